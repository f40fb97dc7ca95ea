package cassandra

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The DataStax connector's per-table metrics (its JMX names recordCount,
// failedRecordCount, batchSize, batchSizeInBytes, and the driver's
// request latency), labelled by topic, keyspace and table; the worker adds
// connector and task.
type sinkMetrics struct {
	records, failed       *prometheus.CounterVec
	batchSize, batchBytes *prometheus.HistogramVec
	latency               *prometheus.HistogramVec
}

var tableLabels = []string{"topic", "keyspace", "table"}

func newSinkMetrics(reg prometheus.Registerer) *sinkMetrics {
	m := &sinkMetrics{
		records: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cassandra_sink_record_count_total",
			Help: "Records written to the table or that failed to be (DataStax recordCount)."}, tableLabels),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cassandra_sink_failed_record_count_total",
			Help: "Records whose write to the table failed (DataStax failedRecordCount)."}, tableLabels),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "cassandra_sink_batch_size",
			Help: "Statements per request to the table (DataStax batchSize).", Buckets: prometheus.ExponentialBuckets(1, 2, 9)}, tableLabels),
		batchBytes: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "cassandra_sink_batch_size_in_bytes",
			Help: "Bound value bytes per request to the table (DataStax batchSizeInBytes).", Buckets: prometheus.ExponentialBuckets(64, 4, 9)}, tableLabels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "cassandra_sink_write_latency_seconds",
			Help: "Time from sending a write request (statement or batch) to the table until Cassandra answered.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, tableLabels),
	}
	reg.MustRegister(m.records, m.failed, m.batchSize, m.batchBytes, m.latency)
	return m
}

// tableMetrics are one table writer's series, looked up once so the write
// path only adds and observes.
type tableMetrics struct {
	records, failed                prometheus.Counter
	batchSize, batchBytes, latency prometheus.Observer
}

func (m *sinkMetrics) table(topic, keyspace, table string) *tableMetrics {
	if m == nil {
		return nil
	}
	l := []string{topic, keyspace, table}
	return &tableMetrics{records: m.records.WithLabelValues(l...), failed: m.failed.WithLabelValues(l...),
		batchSize: m.batchSize.WithLabelValues(l...), batchBytes: m.batchBytes.WithLabelValues(l...), latency: m.latency.WithLabelValues(l...)}
}

func (tm *tableMetrics) request(ops []op, took time.Duration) {
	if tm == nil {
		return
	}
	size := 0
	for i := range ops {
		size += ops[i].size
	}
	tm.batchSize.Observe(float64(len(ops)))
	tm.batchBytes.Observe(float64(size))
	tm.latency.Observe(took.Seconds())
}

func (tm *tableMetrics) outcome(records, failed int) {
	if tm == nil {
		return
	}
	tm.records.Add(float64(records))
	tm.failed.Add(float64(failed))
}
