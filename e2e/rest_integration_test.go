//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

// TestIntegrationRESTContract covers what the differential test cannot
// compare with Apache Connect: admin loggers (Connect lists its Java
// loggers), expand=info, task configs and altering sink offsets.
func TestIntegrationRESTContract(t *testing.T) {
	c := newCluster(t, nil)
	w := c.start()
	u := w.url()
	name := fmt.Sprintf("rc-%d", rand.Uint32())
	topic := name + "-in"
	if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 2, 1, nil); err != nil {
		t.Fatal(err)
	}
	produceLines(t, topic, 0, 10)
	cfg := map[string]string{"connector.class": "FileStreamSink", "tasks.max": "2", "topics": topic, "file": t.TempDir() + "/out.txt"}
	if code, b, _ := do("PUT", u+"/connectors/"+name+"/config", cfg); code != 201 {
		t.Fatalf("create: %d %s", code, b)
	}
	eventually(t, 60*time.Second, "running", func() (bool, string) { return allRunning(t, u, name, 2) })

	// expand=info and expand=status together.
	_, b := get(u + "/connectors?expand=info&expand=status")
	var exp map[string]struct {
		Info   struct{ Name string } `json:"info"`
		Status struct {
			Connector struct{ State string } `json:"connector"`
		} `json:"status"`
	}
	if err := json.Unmarshal(b, &exp); err != nil || exp[name].Info.Name != name || exp[name].Status.Connector.State != "RUNNING" {
		t.Fatalf("expand: %s", b)
	}
	// Task configs carry the task class; tasks-config is gone since
	// Connect 4.0 (KIP-970).
	_, b = get(u + "/connectors/" + name + "/tasks")
	var tc []struct {
		ID     struct{ Task int }
		Config map[string]string
	}
	if err := json.Unmarshal(b, &tc); err != nil || len(tc) != 2 || tc[1].ID.Task != 1 || tc[1].Config["task.class"] != "org.apache.kafka.connect.file.FileStreamSinkTask" {
		t.Fatalf("tasks: %s", b)
	}
	if code, b := get(u + "/connectors/" + name + "/tasks-config"); code != 404 {
		t.Fatalf("tasks-config: %d %s, want 404 as in Connect 4", code, b)
	}
	// Loggers: set a level, read it back with last_modified, bad inputs.
	code, b, _ := do("PUT", u+"/admin/loggers/org.apache.kafka.connect.runtime.WorkerTask", map[string]string{"level": "DEBUG"})
	if code != 200 || !strings.Contains(string(b), "org.apache.kafka.connect.runtime.WorkerTask") {
		t.Fatalf("set logger: %d %s", code, b)
	}
	_, b = get(u + "/admin/loggers/org.apache.kafka.connect.runtime.WorkerTask")
	var lvl struct {
		Level        string `json:"level"`
		LastModified *int64 `json:"last_modified"`
	}
	if err := json.Unmarshal(b, &lvl); err != nil || lvl.Level != "DEBUG" || lvl.LastModified == nil {
		t.Fatalf("get logger: %s", b)
	}
	if code, _, _ := do("PUT", u+"/admin/loggers/x", map[string]string{}); code != 400 {
		t.Fatalf("missing level: %d", code)
	}
	if code, _, _ := do("PUT", u+"/admin/loggers/x", map[string]string{"level": "LOUD"}); code != 404 {
		t.Fatalf("invalid level: %d", code)
	}
	if code, _ := get(u + "/admin/loggers/no.such.logger"); code != 404 {
		t.Fatalf("unknown logger: %d", code)
	}
	// Offsets: altering needs a stopped connector; then GET shows the change.
	patch := map[string]any{"offsets": []any{map[string]any{"partition": map[string]any{"kafka_topic": topic, "kafka_partition": 0}, "offset": map[string]any{"kafka_offset": 3}}}}
	if code, b, _ := do("PATCH", u+"/connectors/"+name+"/offsets", patch); code != 400 || !strings.Contains(string(b), "STOPPED") {
		t.Fatalf("alter while running: %d %s", code, b)
	}
	if code, _, _ := do("PUT", u+"/connectors/"+name+"/stop", nil); code != 204 {
		t.Fatalf("stop: %d", code)
	}
	eventually(t, 60*time.Second, "altered offsets", func() (bool, string) {
		code, b, _ := do("PATCH", u+"/connectors/"+name+"/offsets", patch)
		if code != 200 {
			return false, fmt.Sprint(code, string(b))
		}
		_, b = get(u + "/connectors/" + name + "/offsets")
		return strings.Contains(string(b), `{"partition":{"kafka_partition":0,"kafka_topic":"`+topic+`"},"offset":{"kafka_offset":3}}`), string(b)
	})
}
