package worker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
	"github.com/gonnect/gonnect/worker/task"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/worker/metrics"
)

// failingRunner fails at once and counts into its task metrics.
type failingRunner struct {
	m *metrics.Task
}

func (r *failingRunner) Run(context.Context) error  { return errors.New("boom") }
func (r *failingRunner) SetTargetState(string)      {}
func (r *failingRunner) TaskMetrics() *metrics.Task { return r.m }
func scrapeText(t *testing.T, reg *metrics.Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	reg.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// TestRuntimeMetrics: start-up outcomes are counted; a connector's and a
// task's metrics follow their states (a failed task reports failed) and
// go when the runtime stops them.
func TestRuntimeMetrics(t *testing.T) {
	reg := metrics.New()
	factoryFails := false
	rt := newRuntime(slog.New(slog.NewTextHandler(io.Discard, nil)), &statusLog{}, func(id entities.TaskID, _ connectors.Plugin, _, _ map[string]string, _ task.Listener) (TaskRunner, error) {
		if factoryFails {
			return nil, errors.New("no converter")
		}
		return &failingRunner{m: metrics.NewTask(id.Connector, id.Task, true)}, nil
	}, time.Second)
	rt.setMetrics(reg)
	rt.open(context.Background())
	defer rt.close()

	if err := rt.startConnector("c1", testConnConfig, entities.TargetStarted); err != nil {
		t.Fatal(err)
	}
	id := entities.TaskID{Connector: "c1", Task: 0}
	if err := rt.startTask(id, testConnConfig, map[string]string{}, entities.TargetStarted, 1); err != nil {
		t.Fatal(err)
	}
	factoryFails = true
	if err := rt.startTask(entities.TaskID{Connector: "c1", Task: 1}, testConnConfig, map[string]string{}, entities.TargetStarted, 2); err == nil {
		t.Fatal("a task whose runner cannot be built started")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(scrapeText(t, reg), `kafka_connect_connector_task_metrics_status{connector="c1",status="failed",task="0"} 1`) {
		if time.Now().After(deadline) {
			t.Fatalf("the failed task does not report status failed:\n%s", scrapeText(t, reg))
		}
		time.Sleep(20 * time.Millisecond)
	}
	body := scrapeText(t, reg)
	for _, want := range []string{
		`kafka_connect_connector_metrics{connector="c1",connector_class="test.HerderSinkConnector",connector_type="sink",connector_version="1",status="running"} 1`,
		`kafka_connect_connect_worker_metrics_connector_count{connector="aggregate"} 1`,
		`kafka_connect_connect_worker_metrics_connector_startup_success_total{connector="aggregate"} 1`,
		`kafka_connect_connect_worker_metrics_task_count{connector="aggregate"} 1`,
		`kafka_connect_connect_worker_metrics_task_startup_attempts_total{connector="aggregate"} 2`,
		`kafka_connect_connect_worker_metrics_task_startup_failure_total{connector="aggregate"} 1`,
		`kafka_connect_connect_worker_metrics_connector_failed_task_count{connector="c1"} 1`,
		`kafka_connect_connect_worker_metrics_connector_running_task_count{connector="c1"} 0`,
		`kafka_connect_connect_worker_metrics_connector_total_task_count{connector="c1"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("scrape lacks %s", want)
		}
	}
	rt.stopTask(id)
	rt.stopConnector("c1")
	if body := scrapeText(t, reg); strings.Contains(body, `connector="c1"`) {
		t.Errorf("stopped connector and task still exposed:\n%s", body)
	}
}
