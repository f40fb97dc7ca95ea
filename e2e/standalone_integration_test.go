//go:build integration

package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/stack"
)

// TestIntegrationStandalone runs a standalone worker with connector files:
// a file source into a topic and a file sink out of it; restarted, the
// source resumes from the offsets file without duplicating lines.
func TestIntegrationStandalone(t *testing.T) {
	stack.RequireKafka(t)
	dir := t.TempDir()
	id := fmt.Sprintf("sa-%d", rand.Uint32())
	port := freePort(t)
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	worker := write("worker.properties", fmt.Sprintf("bootstrap.servers=%s\nlisteners=http://127.0.0.1:%d\noffset.storage.file.filename=%s\n"+
		"key.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\n"+
		"offset.flush.interval.ms=500\n", stack.KafkaBootstrap(), port, filepath.Join(dir, "offsets")))
	source := write("source.properties", fmt.Sprintf("name=%s-src\nconnector.class=FileStreamSource\nfile=%s\ntopic=%s\n", id, in, id))
	sink := write("sink.json", fmt.Sprintf(`{"name":"%s-sink","config":{"connector.class":"FileStreamSink","topics":"%s","file":"%s"}}`, id, id, out))
	lines := func(from, to int) {
		f, err := os.OpenFile(in, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		for i := from; i < to; i++ {
			fmt.Fprintf(f, "row-%d\n", i)
		}
		f.Close()
	}
	run := func() *exec.Cmd {
		cmd := exec.Command(binary(t), "standalone", worker, source, sink)
		lf, _ := os.Create(filepath.Join(dir, fmt.Sprintf("worker-%d.log", time.Now().UnixNano())))
		cmd.Stdout, cmd.Stderr = lf, lf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	count := func() int {
		b, _ := os.ReadFile(out)
		return strings.Count(string(b), "\n")
	}
	lines(0, 50)
	cmd := run()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	eventually(t, 60*time.Second, "50 lines through Kafka", func() (bool, string) { return count() == 50, fmt.Sprint(count()) })
	eventually(t, 30*time.Second, "source offset stored", func() (bool, string) {
		_, b := get(url + "/connectors/" + id + "-src/offsets")
		return strings.Contains(string(b), `"position"`), string(b)
	})
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()
	lines(50, 80)
	run()
	eventually(t, 60*time.Second, "80 lines after restart", func() (bool, string) { return count() >= 80, fmt.Sprint(count()) })
	time.Sleep(2 * time.Second)
	b, _ := os.ReadFile(out)
	seen := map[string]int{}
	for _, l := range strings.Fields(string(b)) {
		seen[l]++
	}
	for i := 0; i < 80; i++ {
		if seen[fmt.Sprintf("row-%d", i)] == 0 {
			t.Fatalf("row-%d lost", i)
		}
	}
	if len(seen) != 80 {
		t.Fatalf("%d distinct rows, want 80", len(seen))
	}

	// A standalone worker is its whole cluster: scope=cluster applies here
	// before the 204.
	if code, b, _ := do("PUT", url+"/admin/loggers/org.apache.kafka.connect.runtime?scope=cluster", map[string]string{"level": "WARN"}); code != 204 {
		t.Fatalf("cluster-scoped logger PUT: %d %s", code, b)
	}
	if _, b := get(url + "/admin/loggers/org.apache.kafka.connect.runtime.Herder"); !strings.Contains(string(b), `"level":"WARN"`) {
		t.Fatalf("standalone level after a cluster-scoped PUT: %s", b)
	}
}
