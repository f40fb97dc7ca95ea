//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

type loggerLevel struct {
	Level        string `json:"level"`
	LastModified *int64 `json:"last_modified"`
}

func levelOf(url, name string) (loggerLevel, string) {
	code, b := get(url + "/admin/loggers/" + name)
	var l loggerLevel
	if code != 200 || json.Unmarshal(b, &l) != nil {
		return loggerLevel{}, fmt.Sprint(code, " ", string(b))
	}
	return l, string(b)
}

// TestIntegrationClusterLoggers: PUT /admin/loggers/{name}?scope=cluster on
// one worker writes Connect's logger-cluster-<namespace> record to the
// config topic, and every running worker applies it; a worker started
// afterwards keeps its configured levels, as Connect ignores such records
// read during start-up.
func TestIntegrationClusterLoggers(t *testing.T) {
	c := newCluster(t, nil)
	w1 := c.start()
	w2 := c.start()
	const ns = "org.apache.kafka.connect.runtime"
	const child = ns + ".rest.RestServer"

	if code, b, _ := do("PUT", w1.url()+"/admin/loggers/"+ns+"?scope=cluster", map[string]string{"level": "debug"}); code != 204 || len(b) != 0 {
		t.Fatalf("cluster-scoped PUT on worker 1: %d %s", code, b)
	}
	// The writer has read its record back before answering.
	if l, b := levelOf(w1.url(), ns); l.Level != "DEBUG" || l.LastModified == nil {
		t.Fatalf("worker 1 right after the PUT: %s", b)
	}
	for _, name := range []string{ns, child} {
		eventually(t, 30*time.Second, "worker 2 reports "+name+" at DEBUG", func() (bool, string) {
			l, b := levelOf(w2.url(), name)
			return l.Level == "DEBUG" && l.LastModified != nil, b
		})
	}
	// The level is in effect, not only reported: worker 2's REST server
	// now logs each request at DEBUG.
	get(w2.url() + "/connectors")
	eventually(t, 10*time.Second, "worker 2 logging REST requests at DEBUG", func() (bool, string) {
		b, _ := os.ReadFile(w2.log)
		return strings.Contains(string(b), `level=DEBUG msg="REST request"`), "no DEBUG line in worker 2's log"
	})

	// The record is Connect's: key logger-cluster-<namespace>, the level as spelled.
	var got []string
	l := storage.NewLog(storage.LogConfig{Bootstrap: stack.KafkaBootstrap(), Topic: c.id + "-configs", Partitions: 1, Replication: 1}, func(r storage.Record) {
		if strings.HasPrefix(string(r.Key), "logger-") {
			got = append(got, string(r.Key)+" "+string(r.Value))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if want := `logger-cluster-` + ns + ` {"level":"debug"}`; len(got) != 1 || got[0] != want {
		t.Fatalf("config topic logger records = %q, want [%q]", got, want)
	}

	// Worker scope stays on its worker.
	if code, b, _ := do("PUT", w2.url()+"/admin/loggers/"+child, map[string]string{"level": "ERROR"}); code != 200 || !strings.Contains(string(b), child) {
		t.Fatalf("worker-scoped PUT on worker 2: %d %s", code, b)
	}
	if l, b := levelOf(w1.url(), child); l.Level != "DEBUG" {
		t.Fatalf("worker 1 changed by a worker-scoped PUT on worker 2: %s", b)
	}

	// A worker joining later does not replay the cluster level.
	w3 := c.start()
	if l, b := levelOf(w3.url(), child); l.Level != "INFO" || l.LastModified != nil {
		t.Fatalf("worker started after the cluster-scoped PUT: %s", b)
	}
	// But it hears the next one.
	if code, b, _ := do("PUT", w3.url()+"/admin/loggers/"+ns+"?scope=cluster", map[string]string{"level": "WARN"}); code != 204 {
		t.Fatalf("cluster-scoped PUT on worker 3: %d %s", code, b)
	}
	for _, w := range []*proc{w1, w2, w3} {
		eventually(t, 30*time.Second, fmt.Sprintf("worker %d at WARN", w.port), func() (bool, string) {
			l, b := levelOf(w.url(), child)
			return l.Level == "WARN", b
		})
	}
}
