// Package metrics exposes Apache Connect's metric groups to Prometheus,
// named as the JMX exporter rules commonly used for Connect name them
// (kafka.connect:type=sink-task-metrics,connector=x,task=0 attribute
// sink-record-read-total becomes
// kafka_connect_sink_task_metrics_sink_record_read_total{connector="x",task="0"}),
// so dashboards built on a JVM worker keep working.
//
// The hot paths count into atomics held by their owner (a task runner, the
// runtime, the group member); values are read only when Prometheus
// scrapes, through collectors, never through labelled-vector lookups.
package metrics

import (
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Connect's metric group names (the type= of their JMX object names).
const (
	GroupWorker        = "connect-worker-metrics"
	GroupRebalance     = "connect-worker-rebalance-metrics"
	GroupConnector     = "connector-metrics"
	GroupConnectorTask = "connector-task-metrics"
	GroupSinkTask      = "sink-task-metrics"
	GroupSourceTask    = "source-task-metrics"
	GroupTaskError     = "task-error-metrics"
)

// Name is the Prometheus name of a Connect metric: "kafka_connect_", the
// group, "_", the attribute, lower case, with every character Prometheus
// does not allow written as "_" (what the exporter does with the hyphens).
func Name(group, attribute string) string {
	return "kafka_connect_" + sanitize(group) + "_" + sanitize(attribute)
}

func sanitize(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Registry is the worker's metrics: the Go runtime's and the process's,
// and Connect's groups, whose members come and go with the connectors and
// tasks this worker runs.
type Registry struct {
	reg  *prometheus.Registry
	live *set
}

// New returns a registry with the Go and process collectors.
func New() *Registry {
	r := &Registry{reg: prometheus.NewRegistry(), live: &set{m: map[string]prometheus.Collector{}}}
	r.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), r.live)
	return r
}

// Handler serves the metrics in Prometheus' text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Gatherer is what Handler serves (for tests).
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// Add exposes c under key until Remove(key); adding a key again replaces
// what it held.
func (r *Registry) Add(key string, c prometheus.Collector) {
	if r == nil {
		return
	}
	r.live.add(key, c)
}

// Remove stops exposing what key holds.
func (r *Registry) Remove(key string) {
	if r == nil {
		return
	}
	r.live.remove(key)
}

// Get returns what key holds, if anything.
func (r *Registry) Get(key string) prometheus.Collector {
	if r == nil {
		return nil
	}
	return r.live.get(key)
}

// tasks are the task metrics registered now.
func (r *Registry) tasks() []*Task {
	if r == nil {
		return nil
	}
	r.live.mu.Lock()
	defer r.live.mu.Unlock()
	var out []*Task
	for _, c := range r.live.m {
		if t, ok := c.(*Task); ok {
			out = append(out, t)
		}
	}
	return out
}

// set is an unchecked collector over collectors that come and go: the
// Prometheus registry cannot unregister unchecked collectors, and the
// metrics of one family here differ only by label values.
type set struct {
	mu sync.Mutex
	m  map[string]prometheus.Collector
}

func (s *set) add(k string, c prometheus.Collector) {
	s.mu.Lock()
	s.m[k] = c
	s.mu.Unlock()
}

func (s *set) remove(k string) {
	s.mu.Lock()
	delete(s.m, k)
	s.mu.Unlock()
}

func (s *set) get(k string) prometheus.Collector {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k]
}

func (s *set) Describe(chan<- *prometheus.Desc) {}

func (s *set) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	cs := make([]prometheus.Collector, len(keys))
	for i, k := range keys {
		cs[i] = s.m[k]
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.Collect(ch)
	}
}

// Registerer collects what plugins register (a connector's own metrics)
// into one collector that is exposed and removed with its owner.
type Registerer struct {
	mu sync.Mutex
	cs []prometheus.Collector
}

// Register implements prometheus.Registerer.
func (r *Registerer) Register(c prometheus.Collector) error {
	r.mu.Lock()
	r.cs = append(r.cs, c)
	r.mu.Unlock()
	return nil
}

// MustRegister implements prometheus.Registerer.
func (r *Registerer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}

// Unregister implements prometheus.Registerer.
func (r *Registerer) Unregister(c prometheus.Collector) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.cs {
		if x == c {
			r.cs = append(r.cs[:i], r.cs[i+1:]...)
			return true
		}
	}
	return false
}

// Describe implements prometheus.Collector (unchecked).
func (r *Registerer) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (r *Registerer) Collect(ch chan<- prometheus.Metric) {
	r.mu.Lock()
	cs := append([]prometheus.Collector(nil), r.cs...)
	r.mu.Unlock()
	for _, c := range cs {
		c.Collect(ch)
	}
}
