//go:build integration

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

// sample is one series of a scrape.
type sample struct {
	labels map[string]string
	value  float64
}

var labelRE = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// scrape reads /metrics in Prometheus' text format: name -> series.
func scrape(t *testing.T, url string) map[string][]sample {
	t.Helper()
	code, b := get(url)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", url, code, b)
	}
	out := map[string][]sample{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		head := line[:i]
		s := sample{labels: map[string]string{}, value: v}
		name := head
		if j := strings.IndexByte(head, '{'); j >= 0 {
			name = head[:j]
			for _, m := range labelRE.FindAllStringSubmatch(head[j:], -1) {
				s.labels[m[1]] = m[2]
			}
		}
		out[name] = append(out[name], s)
	}
	return out
}

// sum adds the series of name whose labels include match.
func sum(m map[string][]sample, name string, match map[string]string) (float64, int) {
	var total float64
	n := 0
next:
	for _, s := range m[name] {
		for k, v := range match {
			if s.labels[k] != v {
				continue next
			}
		}
		total += s.value
		n++
	}
	return total, n
}

// TestIntegrationMetrics runs N records through a FileStreamSink (with a
// poison record tolerated and dead-lettered), the Cassandra sink and a
// FileStreamSource, and
// checks the scraped metrics against what happened: records read and put,
// committed offsets, error counts, per-table Cassandra counts; a second
// worker joining raises the rebalance count; a deleted connector's metrics
// go. The worker logs JSON, each task line with its connector context.
func TestIntegrationMetrics(t *testing.T) {
	const n = 600
	p := newPipeline(t)
	metricsPort := freePort(t)
	c := newCluster(t, map[string]string{"gonnect.metrics.listener": fmt.Sprintf("http://127.0.0.1:%d", metricsPort), "gonnect.log.format": "json"})
	w := c.start()
	delete(c.extra, "gonnect.metrics.listener")
	own := fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)

	before := scrape(t, w.url()+"/metrics")
	rebalances, _ := sum(before, "kafka_connect_connect_worker_rebalance_metrics_completed_rebalances_total", nil)
	if rebalances < 1 {
		t.Fatalf("completed rebalances after joining = %v, want at least 1", rebalances)
	}

	// FileStreamSink: n JSON values and one that is not JSON.
	id := rand.Uint32()
	topic, fs, dlq := fmt.Sprintf("e2e.metrics.%d", id), fmt.Sprintf("fs-%d", id), fmt.Sprintf("e2e.metrics.%d.dlq", id)
	if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 3, 1, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.txt")
	if code, b, _ := do("PUT", w.url()+"/connectors/"+fs+"/config", map[string]string{"connector.class": "FileStreamSink", "tasks.max": "1",
		"topics": topic, "file": out, "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
		"errors.tolerance": "all", "errors.log.enable": "true", "errors.deadletterqueue.topic.name": dlq,
		"errors.deadletterqueue.topic.replication.factor": "1"}); code != 201 {
		t.Fatalf("create %s: %d %s", fs, code, b)
	}
	values := make([]string, 0, n+1)
	for i := range n {
		values = append(values, fmt.Sprintf(`"v-%d"`, i))
	}
	values = append(values, "{not json")
	produceValues(t, topic, values)

	// Cassandra sink: n orders into one table.
	if code, b, _ := do("PUT", w.url()+"/connectors/cass-metrics/config", p.connector(p.topic+".dlq")); code != 201 {
		t.Fatalf("create cass-metrics: %d %s", code, b)
	}
	p.produce(0, n)

	// FileStreamSource: n lines of a file into a topic.
	src, in := fmt.Sprintf("fsrc-%d", id), filepath.Join(t.TempDir(), "in.txt")
	var lines strings.Builder
	for i := range n {
		fmt.Fprintf(&lines, "line-%d\n", i)
	}
	if err := os.WriteFile(in, []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, b, _ := do("PUT", w.url()+"/connectors/"+src+"/config", map[string]string{"connector.class": "FileStreamSource", "tasks.max": "1",
		"file": in, "topic": topic + ".src"}); code != 201 {
		t.Fatalf("create %s: %d %s", src, code, b)
	}

	fsLabels := map[string]string{"connector": fs}
	eventually(t, 90*time.Second, "every record committed", func() (bool, string) {
		fsCommitted, cassCommitted := committedSum(t, "connect-"+fs, topic), committedSum(t, "connect-cass-metrics", p.topic)
		return fsCommitted == n+1 && cassCommitted == n, fmt.Sprintf("committed %d of %d and %d of %d", fsCommitted, n+1, cassCommitted, n)
	})
	var m map[string][]sample
	eventually(t, 30*time.Second, "metrics to show every record", func() (bool, string) {
		m = scrape(t, own)
		active, _ := sum(m, "kafka_connect_sink_task_metrics_sink_record_active_count", fsLabels)
		lag, _ := sum(m, "kafka_consumer_consumer_fetch_manager_metrics_records_lag", fsLabels)
		cassActive, _ := sum(m, "kafka_connect_sink_task_metrics_sink_record_active_count", map[string]string{"connector": "cass-metrics"})
		written, _ := sum(m, "kafka_connect_source_task_metrics_source_record_write_total", map[string]string{"connector": src})
		return active == 0 && lag == 0 && cassActive == 0 && written == n, fmt.Sprintf("active %v, lag %v, cassandra active %v, source written %v", active, lag, cassActive, written)
	})
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"kafka_connect_sink_task_metrics_sink_record_read_total", fsLabels, n + 1},
		{"kafka_connect_sink_task_metrics_sink_record_send_total", fsLabels, n},
		{"kafka_connect_sink_task_metrics_partition_count", fsLabels, 3},
		{"kafka_connect_task_error_metrics_total_record_errors", fsLabels, 1},
		{"kafka_connect_task_error_metrics_total_record_failures", fsLabels, 1},
		{"kafka_connect_task_error_metrics_total_records_skipped", fsLabels, 1},
		{"kafka_connect_task_error_metrics_total_errors_logged", fsLabels, 1},
		{"kafka_connect_task_error_metrics_deadletterqueue_produce_requests", fsLabels, 1},
		{"kafka_connect_task_error_metrics_deadletterqueue_produce_failures", fsLabels, 0},
		{"kafka_connect_connector_task_metrics_status", map[string]string{"connector": fs, "status": "running"}, 1},
		{"kafka_connect_connector_metrics", map[string]string{"connector": fs, "connector_type": "sink", "status": "running"}, 1},
		{"kafka_connect_sink_task_metrics_sink_record_read_total", map[string]string{"connector": "cass-metrics"}, n},
		{"kafka_connect_sink_task_metrics_sink_record_send_total", map[string]string{"connector": "cass-metrics"}, n},
		{"cassandra_sink_record_count_total", map[string]string{"connector": "cass-metrics", "keyspace": p.ks, "table": workload.ScenarioB.Table, "topic": p.topic}, n},
		{"cassandra_sink_failed_record_count_total", map[string]string{"connector": "cass-metrics"}, 0},
		{"kafka_connect_source_task_metrics_source_record_poll_total", map[string]string{"connector": src}, n},
		{"kafka_connect_source_task_metrics_source_record_write_total", map[string]string{"connector": src}, n},
		{"kafka_connect_source_task_metrics_source_record_active_count", map[string]string{"connector": src}, 0},
		{"kafka_connect_connector_metrics", map[string]string{"connector": src, "connector_type": "source", "status": "running"}, 1},
		{"kafka_connect_connect_worker_metrics_connector_count", nil, 3},
		{"kafka_connect_connect_worker_metrics_task_count", nil, 5},
		{"kafka_connect_connect_worker_metrics_task_startup_success_total", nil, 5},
	} {
		if got, series := sum(m, c.name, c.labels); got != c.want || series == 0 {
			t.Errorf("%s%v = %v over %d series, want %v", c.name, c.labels, got, series, c.want)
		}
	}
	if got, _ := sum(m, "kafka_connect_task_error_metrics_last_error_timestamp", fsLabels); got < float64(time.Now().Add(-5*time.Minute).UnixMilli()) {
		t.Errorf("last-error-timestamp = %v, want the poison record's time", got)
	}
	if _, series := sum(m, "cassandra_sink_write_latency_seconds_count", map[string]string{"connector": "cass-metrics"}); series != 3 {
		t.Errorf("write latency histograms: %d series, want one per task (3)", series)
	}
	if lines := linesIn(out); len(lines) != n {
		t.Errorf("file has %d lines, want %d", len(lines), n)
	}
	// The REST listener serves the same.
	rest := scrape(t, w.url()+"/metrics")
	if got, _ := sum(rest, "kafka_connect_sink_task_metrics_sink_record_read_total", fsLabels); got != n+1 {
		t.Errorf("REST listener: sink-record-read-total = %v, want %d", got, n+1)
	}

	// Task lines carry the connector context in JSON.
	b, _ := os.ReadFile(w.log)
	found := false
	for _, l := range strings.Split(string(b), "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(l), &e) != nil {
			continue
		}
		if msg, _ := e["msg"].(string); e["connector.context"] == "["+fs+"|task-0] " && strings.HasPrefix(msg, "["+fs+"|task-0] Error encountered in task") {
			found = true
		}
	}
	if !found {
		t.Errorf("no JSON error log line of %s with its connector context", fs)
	}

	// A second worker joins: a rebalance completes on the first.
	c.start()
	eventually(t, 60*time.Second, "a rebalance counted", func() (bool, string) {
		got, _ := sum(scrape(t, own), "kafka_connect_connect_worker_rebalance_metrics_completed_rebalances_total", nil)
		return got > rebalances, fmt.Sprintf("completed rebalances %v, before %v", got, rebalances)
	})

	// A deleted connector's metrics go.
	if code, b, _ := do("DELETE", w.url()+"/connectors/"+fs, nil); code != 204 {
		t.Fatalf("delete: %d %s", code, b)
	}
	eventually(t, 60*time.Second, "the deleted connector's metrics removed", func() (bool, string) {
		m := scrape(t, own)
		for name, ss := range m {
			for _, s := range ss {
				if s.labels["connector"] == fs {
					return false, name
				}
			}
		}
		return true, ""
	})
}
