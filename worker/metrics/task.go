package metrics

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Task holds one task's metrics (connector-task-metrics, sink- or
// source-task-metrics, task-error-metrics), counted by its runner.
// Counters are atomics: the runner adds per batch, a scrape reads.
type Task struct {
	Connector string
	ID        int
	Sink      bool
	// ClientID is the consumer's client.id, the label of its lag.
	ClientID string
	now      func() time.Time

	// sink-task-metrics
	Read, Sent, Active, Partitions, CommitSeq, CommitCompleted, CommitSkipped atomic.Int64
	readRate, sendRate, putTime                                               *window
	// source-task-metrics
	Polled, Written             atomic.Int64
	pollRate, writeRate, pollMS *window
	// connector-task-metrics
	batchSize, commitTime, commitOK *window
	// task-error-metrics
	RecordFailures, RecordErrors, RecordsSkipped, Retries, ErrorsLogged, DLQRequests, DLQFailures atomic.Int64
	LastError                                                                                     atomic.Int64 // ms since the epoch

	mu      sync.Mutex
	status  string
	since   time.Time
	running time.Duration
	paused  time.Duration
	started time.Time
	lag     map[lagKey]int64

	plugins Registerer
	labels  []string
}

type lagKey struct {
	topic     string
	partition int32
}

// NewTask returns the metrics of a task, in status "unassigned" until the
// runtime says otherwise.
func NewTask(connector string, id int, sink bool) *Task {
	return newTask(connector, id, sink, time.Now)
}

func newTask(connector string, id int, sink bool, now func() time.Time) *Task {
	t := &Task{Connector: connector, ID: id, Sink: sink, now: now, status: "unassigned", since: now(), started: now(),
		readRate: newWindow(now), sendRate: newWindow(now), putTime: newWindow(now),
		pollRate: newWindow(now), writeRate: newWindow(now), pollMS: newWindow(now),
		batchSize: newWindow(now), commitTime: newWindow(now), commitOK: newWindow(now),
		lag: map[lagKey]int64{}, labels: []string{connector, strconv.Itoa(id)}}
	return t
}

// Key is the task's key in a Registry.
func (t *Task) Key() string { return TaskKey(t.Connector, t.ID) }

// TaskKey is the Registry key of a task's metrics.
func TaskKey(connector string, id int) string { return "task/" + connector + "/" + strconv.Itoa(id) }

// SetStatus records the task's state as Connect's status names it
// (running, paused, failed, unassigned...), for status, running-ratio and
// pause-ratio.
func (t *Task) SetStatus(state string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.account()
	t.status = strings.ToLower(state)
}

// Status is the task's state as SetStatus last recorded it.
func (t *Task) Status() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status
}

func (t *Task) account() {
	now := t.now()
	switch t.status {
	case "running":
		t.running += now.Sub(t.since)
	case "paused":
		t.paused += now.Sub(t.since)
	}
	t.since = now
}

// RecordRead counts n records polled from Kafka at now (sink).
func (t *Task) RecordRead(n int, now time.Time) {
	t.Read.Add(int64(n))
	t.readRate.record(float64(n), now)
}

// RecordPut counts n records given to the task's put, which took d and
// ended at now.
// As Connect's, the sink's batch size is that of a successful put.
func (t *Task) RecordPut(n int, d time.Duration, now time.Time) {
	t.Sent.Add(int64(n))
	t.batchSize.record(float64(n), now)
	t.sendRate.record(float64(n), now)
	t.putTime.record(float64(d.Milliseconds()), now)
}

// RecordPoll counts n records a source task's poll returned, which took d
// and ended at now.
func (t *Task) RecordPoll(n int, d time.Duration, now time.Time) {
	t.Polled.Add(int64(n))
	t.pollRate.record(float64(n), now)
	t.pollMS.record(float64(d.Milliseconds()), now)
	t.batchSize.record(float64(n), now)
}

// RecordWrite counts n source records Kafka acknowledged.
func (t *Task) RecordWrite(n int) {
	t.Written.Add(int64(n))
	t.writeRate.record(float64(n), t.now())
}

// RecordCommit records an offset commit that took d and succeeded or not.
func (t *Task) RecordCommit(d time.Duration, ok bool) {
	now := t.now()
	t.commitTime.record(float64(d.Milliseconds()), now)
	t.CommitSeq.Add(1) // as Connect's commit sequence number: per attempt
	if ok {
		t.commitOK.record(1, now)
		t.CommitCompleted.Add(1)
	} else {
		t.commitOK.record(0, now)
	}
}

// RecordError notes the time of the last error (last-error-timestamp).
func (t *Task) RecordError() { t.LastError.Store(t.now().UnixMilli()) }

// SetLag sets the records between the task's position and the high
// watermark of each partition it owns; partitions absent are dropped.
func (t *Task) SetLag(lag map[string]map[int32]int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.lag)
	for topic, ps := range lag {
		for p, l := range ps {
			t.lag[lagKey{topic, p}] = l
		}
	}
}

// Plugins is where the task's plugin registers its own metrics; they are
// exposed with the connector and task labels and go with the task.
func (t *Task) Plugins() prometheus.Registerer {
	return prometheus.WrapRegistererWith(prometheus.Labels{"connector": t.Connector, "task": strconv.Itoa(t.ID)}, &t.plugins)
}

var taskLabels = []string{"connector", "task"}

func desc(group, attr, help string, labels ...string) *prometheus.Desc {
	if labels == nil {
		labels = taskLabels
	}
	return prometheus.NewDesc(Name(group, attr), help, labels, nil)
}

// TaskMetric describes one exposed task metric, for the README and tests.
type TaskMetric struct {
	Group, Attribute, Help string
	Counter                bool
	Sink, Source           bool // only for that kind of task; neither: both
	value                  func(*Task) float64
	desc                   *prometheus.Desc
}

// TaskMetrics lists every numeric task metric.
var TaskMetrics = []*TaskMetric{
	{Group: GroupConnectorTask, Attribute: "running-ratio", Help: "The fraction of time this task has spent in the running state.", value: func(t *Task) float64 { return t.ratio(true) }},
	{Group: GroupConnectorTask, Attribute: "pause-ratio", Help: "The fraction of time this task has spent in the pause state.", value: func(t *Task) float64 { return t.ratio(false) }},
	{Group: GroupConnectorTask, Attribute: "batch-size-avg", Help: "The average number of records in the batches the task has processed so far.", value: func(t *Task) float64 { return t.batchSize.avg() }},
	{Group: GroupConnectorTask, Attribute: "batch-size-max", Help: "The number of records in the largest batch the task has processed so far.", value: func(t *Task) float64 { return t.batchSize.maxValue() }},
	{Group: GroupConnectorTask, Attribute: "offset-commit-success-percentage", Help: "The average fraction of this task's offset commit attempts that succeeded.", value: func(t *Task) float64 { return t.commitOK.frequency(true) }},
	{Group: GroupConnectorTask, Attribute: "offset-commit-failure-percentage", Help: "The average fraction of this task's offset commit attempts that failed.", value: func(t *Task) float64 { return t.commitOK.frequency(false) }},
	{Group: GroupConnectorTask, Attribute: "offset-commit-avg-time-ms", Help: "The average time in milliseconds taken by this task to commit offsets.", value: func(t *Task) float64 { return t.commitTime.avg() }},
	{Group: GroupConnectorTask, Attribute: "offset-commit-max-time-ms", Help: "The maximum time in milliseconds taken by this task to commit offsets.", value: func(t *Task) float64 { return t.commitTime.maxValue() }},

	{Group: GroupSinkTask, Sink: true, Attribute: "sink-record-read-total", Counter: true, Help: "The total number of records read from Kafka by this task since it was last restarted.", value: func(t *Task) float64 { return float64(t.Read.Load()) }},
	{Group: GroupSinkTask, Sink: true, Attribute: "sink-record-read-rate", Help: "The average per-second number of records read from Kafka by this task.", value: func(t *Task) float64 { return t.readRate.rate() }},
	{Group: GroupSinkTask, Sink: true, Attribute: "sink-record-send-total", Counter: true, Help: "The total number of records given to the task's put since it was last restarted.", value: func(t *Task) float64 { return float64(t.Sent.Load()) }},
	{Group: GroupSinkTask, Sink: true, Attribute: "sink-record-send-rate", Help: "The average per-second number of records given to the task's put.", value: func(t *Task) float64 { return t.sendRate.rate() }},
	{Group: GroupSinkTask, Sink: true, Attribute: "sink-record-active-count", Help: "The number of records read from Kafka but not yet completely committed by the task.", value: func(t *Task) float64 { return float64(t.Active.Load()) }},
	{Group: GroupSinkTask, Sink: true, Attribute: "partition-count", Help: "The number of topic partitions assigned to this task.", value: func(t *Task) float64 { return float64(t.Partitions.Load()) }},
	{Group: GroupSinkTask, Sink: true, Attribute: "offset-commit-seq-no", Help: "The current sequence number for offset commits.", value: func(t *Task) float64 { return float64(t.CommitSeq.Load()) }},
	{Group: GroupSinkTask, Sink: true, Attribute: "offset-commit-completion-total", Counter: true, Help: "The total number of offset commit completions that were completed successfully.", value: func(t *Task) float64 { return float64(t.CommitCompleted.Load()) }},
	{Group: GroupSinkTask, Sink: true, Attribute: "offset-commit-skip-total", Counter: true, Help: "The total number of offset commits that were skipped because the previous one had not completed.", value: func(t *Task) float64 { return float64(t.CommitSkipped.Load()) }},
	{Group: GroupSinkTask, Sink: true, Attribute: "put-batch-avg-time-ms", Help: "The average time taken by this task to put a batch of records.", value: func(t *Task) float64 { return t.putTime.avg() }},
	{Group: GroupSinkTask, Sink: true, Attribute: "put-batch-max-time-ms", Help: "The maximum time taken by this task to put a batch of records.", value: func(t *Task) float64 { return t.putTime.maxValue() }},

	{Group: GroupSourceTask, Source: true, Attribute: "source-record-poll-total", Counter: true, Help: "The total number of records produced/polled by this task.", value: func(t *Task) float64 { return float64(t.Polled.Load()) }},
	{Group: GroupSourceTask, Source: true, Attribute: "source-record-poll-rate", Help: "The average per-second number of records produced/polled by this task.", value: func(t *Task) float64 { return t.pollRate.rate() }},
	{Group: GroupSourceTask, Source: true, Attribute: "source-record-write-total", Counter: true, Help: "The number of records output from the transformations and written to Kafka by this task.", value: func(t *Task) float64 { return float64(t.Written.Load()) }},
	{Group: GroupSourceTask, Source: true, Attribute: "source-record-write-rate", Help: "The average per-second number of records written to Kafka by this task.", value: func(t *Task) float64 { return t.writeRate.rate() }},
	{Group: GroupSourceTask, Source: true, Attribute: "source-record-active-count", Help: "The number of records that have been produced by this task but not yet completely written to Kafka.", value: func(t *Task) float64 { return float64(t.Active.Load()) }},
	{Group: GroupSourceTask, Source: true, Attribute: "poll-batch-avg-time-ms", Help: "The average time in milliseconds taken by this task to poll for a batch of source records.", value: func(t *Task) float64 { return t.pollMS.avg() }},
	{Group: GroupSourceTask, Source: true, Attribute: "poll-batch-max-time-ms", Help: "The maximum time in milliseconds taken by this task to poll for a batch of source records.", value: func(t *Task) float64 { return t.pollMS.maxValue() }},

	{Group: GroupTaskError, Attribute: "total-record-failures", Counter: true, Help: "The number of record processing failures in this task.", value: func(t *Task) float64 { return float64(t.RecordFailures.Load()) }},
	{Group: GroupTaskError, Attribute: "total-record-errors", Counter: true, Help: "The number of record processing errors in this task.", value: func(t *Task) float64 { return float64(t.RecordErrors.Load()) }},
	{Group: GroupTaskError, Attribute: "total-records-skipped", Counter: true, Help: "The number of records skipped due to errors.", value: func(t *Task) float64 { return float64(t.RecordsSkipped.Load()) }},
	{Group: GroupTaskError, Attribute: "total-retries", Counter: true, Help: "The number of operations retried.", value: func(t *Task) float64 { return float64(t.Retries.Load()) }},
	{Group: GroupTaskError, Attribute: "total-errors-logged", Counter: true, Help: "The number of errors that were logged.", value: func(t *Task) float64 { return float64(t.ErrorsLogged.Load()) }},
	{Group: GroupTaskError, Attribute: "deadletterqueue-produce-requests", Counter: true, Help: "The number of attempted writes to the dead letter queue.", value: func(t *Task) float64 { return float64(t.DLQRequests.Load()) }},
	{Group: GroupTaskError, Attribute: "deadletterqueue-produce-failures", Counter: true, Help: "The number of failed writes to the dead letter queue.", value: func(t *Task) float64 { return float64(t.DLQFailures.Load()) }},
	{Group: GroupTaskError, Attribute: "last-error-timestamp", Help: "The epoch timestamp (ms) when this task last encountered an error.", value: func(t *Task) float64 { return float64(t.LastError.Load()) }},
}

var (
	taskStatusDesc = desc(GroupConnectorTask, "status", "The status of the connector task (the label status; value 1).", "connector", "task", "status")
	lagDesc        = prometheus.NewDesc("kafka_consumer_consumer_fetch_manager_metrics_records_lag",
		"The records between the sink task's position and the high watermark of the partition.",
		[]string{"client_type", "client_id", "topic", "partition", "connector", "task"}, nil)
)

func init() {
	for _, m := range TaskMetrics {
		m.desc = desc(m.Group, m.Attribute, m.Help)
	}
}

// Name is the metric's Prometheus name.
func (m *TaskMetric) Name() string { return Name(m.Group, m.Attribute) }

func (t *Task) ratio(running bool) float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.account()
	total := t.now().Sub(t.started)
	if total <= 0 {
		return 0
	}
	if running {
		return float64(t.running) / float64(total)
	}
	return float64(t.paused) / float64(total)
}

// Describe implements prometheus.Collector (unchecked: the Registry's set
// is).
func (t *Task) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (t *Task) Collect(ch chan<- prometheus.Metric) {
	for _, m := range TaskMetrics {
		if (m.Sink && !t.Sink) || (m.Source && t.Sink) {
			continue
		}
		vt := prometheus.GaugeValue
		if m.Counter {
			vt = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(m.desc, vt, m.value(t), t.labels...)
	}
	t.mu.Lock()
	status := t.status
	lag := make(map[lagKey]int64, len(t.lag))
	for k, v := range t.lag {
		lag[k] = v
	}
	t.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(taskStatusDesc, prometheus.GaugeValue, 1, t.Connector, t.labels[1], status)
	for k, v := range lag {
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(v), "consumer", t.ClientID, k.topic, strconv.Itoa(int(k.partition)), t.Connector, t.labels[1])
	}
	t.plugins.Collect(ch)
}
