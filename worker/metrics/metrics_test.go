package metrics

import (
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestNameLikeTheJMXExporterRules(t *testing.T) {
	for _, c := range []struct{ group, attr, want string }{
		{GroupSinkTask, "sink-record-read-total", "kafka_connect_sink_task_metrics_sink_record_read_total"},
		{GroupSourceTask, "poll-batch-avg-time-ms", "kafka_connect_source_task_metrics_poll_batch_avg_time_ms"},
		{GroupConnectorTask, "offset-commit-success-percentage", "kafka_connect_connector_task_metrics_offset_commit_success_percentage"},
		{GroupTaskError, "deadletterqueue-produce-requests", "kafka_connect_task_error_metrics_deadletterqueue_produce_requests"},
		{GroupWorker, "task-startup-attempts-total", "kafka_connect_connect_worker_metrics_task_startup_attempts_total"},
		{GroupRebalance, "completed-rebalances-total", "kafka_connect_connect_worker_rebalance_metrics_completed_rebalances_total"},
		{"Odd.Group", "a b:c", "kafka_connect_odd_group_a_b_c"},
	} {
		if got := Name(c.group, c.attr); got != c.want {
			t.Errorf("Name(%q, %q) = %q, want %q", c.group, c.attr, got, c.want)
		}
	}
}

// fakeClock is a settable time.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestWindowLikeKafkaSampledStats(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	w := newWindow(clk.now)
	if !math.IsNaN(w.avg()) || !math.IsNaN(w.maxValue()) {
		t.Fatalf("empty window: avg %v max %v, want NaN", w.avg(), w.maxValue())
	}
	w.record(10, clk.t)
	w.record(30, clk.t)
	clk.t = clk.t.Add(31 * time.Second) // second sample
	w.record(20, clk.t)
	if got := w.avg(); got != 20 {
		t.Errorf("avg = %v, want 20", got)
	}
	if got := w.maxValue(); got != 30 {
		t.Errorf("max = %v, want 30", got)
	}
	if got, want := w.rate(), 60.0/31; math.Abs(got-want) > 1e-9 {
		t.Errorf("rate = %v, want %v", got, want)
	}
	clk.t = clk.t.Add(30 * time.Second) // the first sample has expired
	if got := w.maxValue(); got != 20 {
		t.Errorf("max after expiry = %v, want 20", got)
	}
	f := newWindow(clk.now)
	for _, ok := range []bool{true, true, true, false} {
		f.record(map[bool]float64{true: 1, false: 0}[ok], clk.t)
	}
	if got := f.frequency(true); got != 0.75 {
		t.Errorf("success frequency = %v, want 0.75", got)
	}
}

func TestTaskMetricsExposedAndRemoved(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	reg := New()
	tm := newTask("orders-sink", 2, true, clk.now)
	tm.ClientID = "connector-consumer-orders-sink-2"
	reg.Add(tm.Key(), tm)
	tm.SetStatus("RUNNING")
	tm.RecordRead(7, clk.t)
	tm.RecordRead(5, clk.t)
	tm.RecordPut(12, 40*time.Millisecond, clk.t)
	tm.RecordCommit(5*time.Millisecond, true)
	tm.RecordCommit(15*time.Millisecond, false)
	tm.RecordErrors.Add(3)
	tm.SetLag(map[string]map[int32]int64{"orders": {0: 4, 1: 0}})
	clk.t = clk.t.Add(3 * time.Second)
	tm.SetStatus("PAUSED")
	clk.t = clk.t.Add(1 * time.Second)

	rec := httptest.NewRecorder()
	reg.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`kafka_connect_sink_task_metrics_sink_record_read_total{connector="orders-sink",task="2"} 12`,
		`kafka_connect_sink_task_metrics_sink_record_send_total{connector="orders-sink",task="2"} 12`,
		`kafka_connect_sink_task_metrics_put_batch_max_time_ms{connector="orders-sink",task="2"} 40`,
		`kafka_connect_sink_task_metrics_offset_commit_seq_no{connector="orders-sink",task="2"} 2`,
		`kafka_connect_sink_task_metrics_offset_commit_completion_total{connector="orders-sink",task="2"} 1`,
		`kafka_connect_connector_task_metrics_batch_size_max{connector="orders-sink",task="2"} 12`,
		`kafka_connect_connector_task_metrics_offset_commit_failure_percentage{connector="orders-sink",task="2"} 0.5`,
		`kafka_connect_connector_task_metrics_offset_commit_avg_time_ms{connector="orders-sink",task="2"} 10`,
		`kafka_connect_connector_task_metrics_running_ratio{connector="orders-sink",task="2"} 0.75`,
		`kafka_connect_connector_task_metrics_pause_ratio{connector="orders-sink",task="2"} 0.25`,
		`kafka_connect_connector_task_metrics_status{connector="orders-sink",status="paused",task="2"} 1`,
		`kafka_connect_task_error_metrics_total_record_errors{connector="orders-sink",task="2"} 3`,
		`kafka_consumer_consumer_fetch_manager_metrics_records_lag{client_id="connector-consumer-orders-sink-2",client_type="consumer",connector="orders-sink",partition="0",task="2",topic="orders"} 4`,
		"# TYPE kafka_connect_sink_task_metrics_sink_record_read_total counter",
		"go_goroutines",
	} {
		if !strings.Contains(body, want+"\n") && !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(body, "source_record_poll_total") {
		t.Error("a sink task exposes source-task metrics")
	}
	reg.Remove(tm.Key())
	if n, err := testutil.GatherAndCount(reg.Gatherer(), "kafka_connect_sink_task_metrics_sink_record_read_total"); err != nil || n != 0 {
		t.Errorf("after Remove: %d series, %v; want none", n, err)
	}
}

func TestWorkerConnectorAndRebalanceMetrics(t *testing.T) {
	reg := New()
	w := NewWorker(func() int { return 2 }, func() int { return 5 })
	reg.Add("worker", w)
	w.ConnectorStarted(true)
	w.ConnectorStarted(false)
	w.TaskStarted(true)
	c := &Connector{Name: "c1", Class: "FileStreamSink", Type: "sink", Version: "4.3.1"}
	c.SetStatus("RUNNING")
	reg.Add(ConnectorKey("c1"), c)
	rb := NewRebalance()
	reg.Add("rebalance", rb)
	rb.Began()
	rb.Completed(7)
	rb.Began()
	for _, c := range []struct {
		name string
		want float64
	}{
		{"kafka_connect_connect_worker_metrics_connector_count", 2},
		{"kafka_connect_connect_worker_metrics_task_count", 5},
		{"kafka_connect_connect_worker_metrics_connector_startup_attempts_total", 2},
		{"kafka_connect_connect_worker_metrics_connector_startup_failure_total", 1},
		{"kafka_connect_connect_worker_metrics_connector_startup_success_percentage", 0.5},
		{"kafka_connect_connect_worker_metrics_task_startup_success_total", 1},
		{"kafka_connect_connect_worker_rebalance_metrics_completed_rebalances_total", 1},
		{"kafka_connect_connect_worker_rebalance_metrics_epoch", 7},
		{"kafka_connect_connect_worker_rebalance_metrics_rebalancing", 1},
		{"kafka_connect_connector_metrics", 1},
	} {
		if got := gauge(t, reg, c.name); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	rec := httptest.NewRecorder()
	reg.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if want := `kafka_connect_connector_metrics{connector="c1",connector_class="FileStreamSink",connector_type="sink",connector_version="4.3.1",status="running"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("scrape lacks %s", want)
	}
	if !strings.Contains(rec.Body.String(), `kafka_connect_connect_worker_metrics_task_count{connector="aggregate"} 5`) {
		t.Error("worker-level metrics lack connector=\"aggregate\"")
	}
}

// gauge reads the value of a metric with a single series.
func gauge(t *testing.T, reg *Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		if m.GetCounter() != nil {
			return m.GetCounter().GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// BenchmarkSinkBatch is the instrumentation a sink runner adds per polled
// batch (records read, put time, records sent, active count), reported
// per record; batches of 50 are smaller than the runner's usual (up to
// max.poll.records=500), so this bounds the cost from above.
func BenchmarkSinkBatch(b *testing.B) {
	tm := NewTask("bench", 0, true)
	const batch = 50
	b.ReportAllocs()
	for b.Loop() {
		// The runner reads the clock once after the poll and twice around
		// the put (which it would do for put-batch-time anyway).
		tm.RecordRead(batch, time.Now())
		began := time.Now()
		end := time.Now()
		tm.RecordPut(batch, end.Sub(began), end)
		tm.Active.Store(batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
}

// BenchmarkScrape is one scrape of a worker running 6 sink tasks.
func BenchmarkScrape(b *testing.B) {
	reg := New()
	for i := range 6 {
		tm := NewTask("bench", i, true)
		tm.SetLag(map[string]map[int32]int64{"orders": {int32(i): 1}})
		reg.Add(tm.Key(), tm)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		reg.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	}
}
