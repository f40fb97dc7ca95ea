package metrics

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Worker is connect-worker-metrics: connector and task counts and
// start-up outcomes, counted by the runtime.
type Worker struct {
	// Connectors and Tasks count what this worker runs (set by the runtime).
	Connectors, Tasks func() int
	// TaskStates counts this worker's tasks per connector and state
	// (running, paused, ...), for the per-connector task counts.
	TaskStates func() map[string]map[string]int

	ConnectorAttempts, ConnectorSuccesses, ConnectorFailures atomic.Int64
	TaskAttempts, TaskSuccesses, TaskFailures                atomic.Int64
	connectorResults, taskResults                            *window
}

// NewWorker returns worker metrics counting through the given functions.
func NewWorker(connectors, tasks func() int) *Worker {
	return &Worker{Connectors: connectors, Tasks: tasks, connectorResults: newWindow(nil), taskResults: newWindow(nil)}
}

// ConnectorStarted records a connector start-up attempt's outcome.
func (w *Worker) ConnectorStarted(ok bool) {
	w.ConnectorAttempts.Add(1)
	if ok {
		w.ConnectorSuccesses.Add(1)
		w.connectorResults.record(1, time.Now())
	} else {
		w.ConnectorFailures.Add(1)
		w.connectorResults.record(0, time.Now())
	}
}

// TaskStarted records a task start-up attempt's outcome.
func (w *Worker) TaskStarted(ok bool) {
	w.TaskAttempts.Add(1)
	if ok {
		w.TaskSuccesses.Add(1)
		w.taskResults.record(1, time.Now())
	} else {
		w.TaskFailures.Add(1)
		w.taskResults.record(0, time.Now())
	}
}

// WorkerMetric describes one exposed worker-level metric.
type WorkerMetric struct {
	Group, Attribute, Help string
	Counter                bool
	desc                   *prometheus.Desc
}

// Name is the metric's Prometheus name.
func (m *WorkerMetric) Name() string { return Name(m.Group, m.Attribute) }

var workerMetrics = map[string]*WorkerMetric{}

func wm(group, attr, help string, counter bool, labels ...string) *WorkerMetric {
	m := &WorkerMetric{Group: group, Attribute: attr, Help: help, Counter: counter,
		desc: prometheus.NewDesc(Name(group, attr), help, labels, nil)}
	workerMetrics[group+"/"+attr] = m
	WorkerMetrics = append(WorkerMetrics, m)
	return m
}

// WorkerMetrics lists the worker, rebalance and connector metrics.
var WorkerMetrics []*WorkerMetric

// The worker-level metrics carry connector="aggregate", as the common
// exporter rules label them.
var (
	mConnCount     = wm(GroupWorker, "connector-count", "The number of connectors run in this worker.", false, "connector")
	mConnAttempts  = wm(GroupWorker, "connector-startup-attempts-total", "The total number of connector startups that this worker has attempted.", true, "connector")
	mConnSuccess   = wm(GroupWorker, "connector-startup-success-total", "The total number of connector starts that succeeded.", true, "connector")
	mConnFailure   = wm(GroupWorker, "connector-startup-failure-total", "The total number of connector starts that failed.", true, "connector")
	mConnSuccPct   = wm(GroupWorker, "connector-startup-success-percentage", "The average fraction of this worker's connector starts that succeeded.", false, "connector")
	mConnFailPct   = wm(GroupWorker, "connector-startup-failure-percentage", "The average fraction of this worker's connector starts that failed.", false, "connector")
	mTaskCount     = wm(GroupWorker, "task-count", "The number of tasks run in this worker.", false, "connector")
	mTaskAttempts  = wm(GroupWorker, "task-startup-attempts-total", "The total number of task startups that this worker has attempted.", true, "connector")
	mTaskSuccess   = wm(GroupWorker, "task-startup-success-total", "The total number of task starts that succeeded.", true, "connector")
	mTaskFailure   = wm(GroupWorker, "task-startup-failure-total", "The total number of task starts that failed.", true, "connector")
	mTaskSuccPct   = wm(GroupWorker, "task-startup-success-percentage", "The average fraction of this worker's task starts that succeeded.", false, "connector")
	mTaskFailPct   = wm(GroupWorker, "task-startup-failure-percentage", "The average fraction of this worker's task starts that failed.", false, "connector")
	mConnTasks     = map[string]*WorkerMetric{}
	mRebalancing   = wm(GroupRebalance, "rebalancing", "Whether this worker is currently rebalancing (1) or not (0).", false)
	mRebalances    = wm(GroupRebalance, "completed-rebalances-total", "The total number of rebalances completed by this worker.", true)
	mEpoch         = wm(GroupRebalance, "epoch", "The epoch or generation number of this worker.", false)
	mSinceLast     = wm(GroupRebalance, "time-since-last-rebalance-ms", "The time in milliseconds since this worker completed the most recent rebalance (-1 before the first).", false)
	mRebalanceAvg  = wm(GroupRebalance, "rebalance-avg-time-ms", "The average time in milliseconds spent by this worker to rebalance.", false)
	mRebalanceMax  = wm(GroupRebalance, "rebalance-max-time-ms", "The maximum time in milliseconds spent by this worker to rebalance.", false)
	mConnectorInfo = &WorkerMetric{Group: GroupConnector, Help: "One series of value 1 per string attribute of the connector: connector_class, connector_type, connector_version, status.",
		desc: prometheus.NewDesc("kafka_connect_connector_metrics", "The connector's class, type, version and status, as labels (value 1).", []string{"connector", "connector_class", "connector_type", "connector_version", "status"}, nil)}
)

// taskStates are the states Connect counts tasks of a connector in.
var taskStates = []string{"running", "paused", "failed", "unassigned", "destroyed", "restarting"}

func init() {
	wm(GroupWorker, "connector-total-task-count", "The number of tasks of the connector on the worker.", false, "connector")
	for _, s := range taskStates {
		mConnTasks[s] = wm(GroupWorker, "connector-"+s+"-task-count", "The number of "+s+" tasks of the connector on the worker.", false, "connector")
	}
}

// Describe implements prometheus.Collector (unchecked).
func (w *Worker) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (w *Worker) Collect(ch chan<- prometheus.Metric) {
	put := func(m *WorkerMetric, v float64) {
		vt := prometheus.GaugeValue
		if m.Counter {
			vt = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(m.desc, vt, v, "aggregate")
	}
	put(mConnCount, float64(w.Connectors()))
	put(mConnAttempts, float64(w.ConnectorAttempts.Load()))
	put(mConnSuccess, float64(w.ConnectorSuccesses.Load()))
	put(mConnFailure, float64(w.ConnectorFailures.Load()))
	put(mConnSuccPct, w.connectorResults.frequency(true))
	put(mConnFailPct, w.connectorResults.frequency(false))
	put(mTaskCount, float64(w.Tasks()))
	put(mTaskAttempts, float64(w.TaskAttempts.Load()))
	put(mTaskSuccess, float64(w.TaskSuccesses.Load()))
	put(mTaskFailure, float64(w.TaskFailures.Load()))
	put(mTaskSuccPct, w.taskResults.frequency(true))
	put(mTaskFailPct, w.taskResults.frequency(false))
	if w.TaskStates == nil {
		return
	}
	total := workerMetrics[GroupWorker+"/connector-total-task-count"]
	for conn, states := range w.TaskStates() {
		n := 0
		for _, s := range taskStates {
			n += states[s]
			ch <- prometheus.MustNewConstMetric(mConnTasks[s].desc, prometheus.GaugeValue, float64(states[s]), conn)
		}
		ch <- prometheus.MustNewConstMetric(total.desc, prometheus.GaugeValue, float64(n), conn)
	}
}

// Connector is connector-metrics: class, type, version and status of a
// connector this worker runs.
type Connector struct {
	Name, Class, Type, Version string
	mu                         sync.Mutex
	status                     string
}

// ConnectorKey is the Registry key of a connector's metrics.
func ConnectorKey(name string) string { return "connector/" + name }

// SetStatus records the connector's state (RUNNING, PAUSED...).
func (c *Connector) SetStatus(s string) {
	c.mu.Lock()
	c.status = strings.ToLower(s)
	c.mu.Unlock()
}

// Describe implements prometheus.Collector (unchecked).
func (c *Connector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (c *Connector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	s := c.status
	c.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(mConnectorInfo.desc, prometheus.GaugeValue, 1, c.Name, c.Class, strings.ToLower(c.Type), c.Version, s)
}

// Rebalance is connect-worker-rebalance-metrics, counted by the group
// member.
type Rebalance struct {
	mu          sync.Mutex
	rebalancing bool
	began       time.Time
	completed   int64
	epoch       int64
	last        time.Time
	times       *window
}

// NewRebalance returns rebalance metrics.
func NewRebalance() *Rebalance { return &Rebalance{times: newWindow(nil), epoch: -1} }

// Began records that a rebalance round started.
func (r *Rebalance) Began() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.rebalancing {
		r.rebalancing, r.began = true, time.Now()
	}
}

// Completed records a rebalance completed at generation epoch.
func (r *Rebalance) Completed(epoch int32) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if r.rebalancing {
		r.times.record(float64(now.Sub(r.began).Milliseconds()), now)
	}
	r.rebalancing, r.completed, r.epoch, r.last = false, r.completed+1, int64(epoch), now
}

// Describe implements prometheus.Collector (unchecked).
func (r *Rebalance) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (r *Rebalance) Collect(ch chan<- prometheus.Metric) {
	r.mu.Lock()
	rebalancing, completed, epoch, last := r.rebalancing, r.completed, r.epoch, r.last
	r.mu.Unlock()
	since := float64(-1)
	if !last.IsZero() {
		since = float64(time.Since(last).Milliseconds())
	}
	b := 0.0
	if rebalancing {
		b = 1
	}
	ch <- prometheus.MustNewConstMetric(mRebalancing.desc, prometheus.GaugeValue, b)
	ch <- prometheus.MustNewConstMetric(mRebalances.desc, prometheus.CounterValue, float64(completed))
	ch <- prometheus.MustNewConstMetric(mEpoch.desc, prometheus.GaugeValue, float64(epoch))
	ch <- prometheus.MustNewConstMetric(mSinceLast.desc, prometheus.GaugeValue, since)
	ch <- prometheus.MustNewConstMetric(mRebalanceAvg.desc, prometheus.GaugeValue, r.times.avg())
	ch <- prometheus.MustNewConstMetric(mRebalanceMax.desc, prometheus.GaugeValue, r.times.maxValue())
}
