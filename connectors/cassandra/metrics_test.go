package cassandra

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestTableMetricsCountOutcomes(t *testing.T) {
	reg := prometheus.NewRegistry()
	tm := newSinkMetrics(reg).table("orders", "ks", "t")
	tm.request(make([]op, 3), 2*time.Millisecond)
	tm.outcome(3, 1)
	if got := testutil.ToFloat64(tm.records); got != 3 {
		t.Errorf("records = %v, want 3", got)
	}
	if got := testutil.ToFloat64(tm.failed); got != 1 {
		t.Errorf("failed = %v, want 1", got)
	}
	if n, err := testutil.GatherAndCount(reg, "cassandra_sink_batch_size"); err != nil || n != 1 {
		t.Errorf("batch size series = %d, %v", n, err)
	}
	var none *tableMetrics // no metrics offered by the worker
	none.request(make([]op, 1), time.Millisecond)
	none.outcome(1, 0)
}

// BenchmarkRequestMetrics is what one write request (a packed batch of 10
// records, as scenario A's) costs the instrumentation: two clock readings
// and three histogram observations.
func BenchmarkRequestMetrics(b *testing.B) {
	tm := newSinkMetrics(prometheus.NewRegistry()).table("orders", "ks", "t")
	ops := make([]op, 10)
	for b.Loop() {
		began := time.Now()
		tm.request(ops, time.Since(began))
		tm.outcome(len(ops), 0)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ops)), "ns/record")
}
