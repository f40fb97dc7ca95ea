package worker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gonnect/gonnect/worker/entities"
	"github.com/gonnect/gonnect/worker/task"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/worker/configprovider"
)

// Connectors and tasks start with their placeholders resolved, again at
// each start; the config store keeps the placeholders, and a provider that
// fails fails the connector with its reason.
func TestHerderResolvesPlaceholdersAtStart(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.properties")
	if err := os.WriteFile(secret, []byte("v=first\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ps, err := configprovider.FromConfig(map[string]string{"config.providers": "file", "config.providers.file.class": configprovider.FileClass})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	given := map[string]string{} // what the last task was started with
	hs := startHarnessConfig(t, func(s *Solo, _ *MemoryStatusStore) Membership { return s }, func(c *HerderConfig) {
		c.ConfigTransform = ps.Transform
		c.NewTask = func(id entities.TaskID, _ connectors.Plugin, connCfg, taskCfg map[string]string, l task.Listener) (TaskRunner, error) {
			mu.Lock()
			given["conn"], given["task"] = connCfg["v"], taskCfg["v"]
			mu.Unlock()
			return &fakeRunner{id: id, l: l}, nil
		}
	})
	placeholder := "${file:" + secret + ":v}"
	cfg := map[string]string{"connector.class": "test.HerderSinkConnector", "tasks.max": "1", "v": placeholder}
	if _, _, err := hs.h.PutConnectorConfig(context.Background(), "c1", cfg, false, ""); err != nil {
		t.Fatal(err)
	}
	taskGot := func(want string) func() bool {
		return func() bool {
			mu.Lock()
			defer mu.Unlock()
			return given["conn"] == want && given["task"] == want
		}
	}
	eventually(t, "task started with the resolved value", taskGot("first"))
	snap := hs.configs.Snapshot()
	if got := snap.Connectors["c1"]["v"]; got != placeholder {
		t.Fatalf("stored connector config v = %q, want the placeholder", got)
	}
	if got := snap.Tasks["c1"][0]["v"]; got != placeholder {
		t.Fatalf("stored task config v = %q, want the placeholder", got)
	}

	if err := os.WriteFile(secret, []byte("v=second\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.h.RestartConnector(context.Background(), "c1", true, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "restarted task resolved the new value", taskGot("second"))

	if err := os.Remove(secret); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.h.RestartConnector(context.Background(), "c1", false, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "connector FAILED", func() bool {
		st, ok := hs.status.Connector("c1")
		return ok && st.State == entities.StateFailed
	})
	st, _ := hs.status.Connector("c1")
	if !strings.Contains(st.Trace, "Could not read properties from file "+secret) {
		t.Fatalf("trace = %q", st.Trace)
	}
}
