package restapi

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/gonnect/gonnect/internal/logging"
)

// clusterLoggers records cluster-scoped level requests.
type clusterLoggers struct {
	fakeHerder
	calls []string
}

func (c *clusterLoggers) SetClusterLoggerLevel(_ context.Context, namespace, level string) error {
	c.calls = append(c.calls, namespace+"="+level)
	return nil
}

// TestSetLoggerScopes follows Connect's LoggingResource: scope=cluster
// (any case) hands the level as spelled to the herder and answers 204
// without touching this worker's levels; worker, no scope or an unknown
// scope set the level here and answer 200 with the changed loggers.
func TestSetLoggerScopes(t *testing.T) {
	h := &clusterLoggers{}
	reg := logging.New(slog.NewTextHandler(io.Discard, nil), slog.LevelInfo)
	reg.Logger("org.apache.kafka.connect.runtime.WorkerSinkTask")
	s, err := New(Config{Herder: h, Listener: "http://127.0.0.1:0", Loggers: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	const path = "/admin/loggers/org.apache.kafka.connect.runtime.WorkerSinkTask"
	tests := []struct {
		query, body string
		code        int
		want        string
		wantCalls   []string
	}{
		{"?scope=cluster", `{"level":"debug"}`, 204, "", []string{"org.apache.kafka.connect.runtime.WorkerSinkTask=debug"}},
		{"?scope=CLUSTER", `{"level":"WARN"}`, 204, "", []string{"org.apache.kafka.connect.runtime.WorkerSinkTask=WARN"}},
		{"?scope=cluster", `{}`, 400, `{"error_code":400,"message":"Desired 'level' parameter was not specified in request."}`, nil},
		{"?scope=cluster", `{"level":"LOUD"}`, 404, `{"error_code":404,"message":"invalid log level 'LOUD'."}`, nil},
		{"", `{"level":"ERROR"}`, 200, `["org.apache.kafka.connect.runtime.WorkerSinkTask"]`, nil},
		{"?scope=worker", `{"level":"ERROR"}`, 200, `[]`, nil},
		{"?scope=bogus", `{"level":"WARN"}`, 200, `["org.apache.kafka.connect.runtime.WorkerSinkTask"]`, nil},
	}
	for _, tt := range tests {
		h.calls = nil
		code, body := call(t, "PUT", ts.URL+path+tt.query, "application/json", tt.body)
		if code != tt.code || !jsonEqual(body, tt.want) || !slices.Equal(h.calls, tt.wantCalls) {
			t.Errorf("PUT %s %s: %d %s, herder got %v; want %d %s, %v", tt.query, tt.body, code, body, h.calls, tt.code, tt.want, tt.wantCalls)
		}
	}
	// The cluster requests left this worker alone: only worker scope changed it.
	if lv, _ := reg.Get("org.apache.kafka.connect.runtime.WorkerSinkTask"); lv.Level != "WARN" {
		t.Errorf("level = %+v, want WARN from the last worker-scoped request", lv)
	}
}
