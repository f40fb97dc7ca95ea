//go:build integration

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

// TestIntegrationResetOffsetsIdleTasks: a stopped sink with more tasks than
// partitions has its offsets reset at once (Apache Connect answers without
// waiting: every stopped task's consumer has left the group), and after
// resume the sink consumes the topic again from the start.
func TestIntegrationResetOffsetsIdleTasks(t *testing.T) {
	c := newCluster(t, map[string]string{"task.shutdown.graceful.timeout.ms": "3000"})
	w := c.start()
	suffix := rand.Uint32()
	dir := t.TempDir()
	for _, tasks := range []int{2, 3} {
		t.Run(fmt.Sprintf("tasks.max=%d", tasks), func(t *testing.T) {
			name := fmt.Sprintf("reset-idle-%d-%d", tasks, suffix)
			topic := "e2e-" + name
			file := dir + "/" + name + ".txt"
			if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 1, 1, nil); err != nil {
				t.Fatal(err)
			}
			cfg := map[string]string{"connector.class": "FileStreamSink", "tasks.max": fmt.Sprint(tasks), "topics": topic, "file": file}
			if code, b, _ := do("PUT", w.url()+"/connectors/"+name+"/config", cfg); code != 201 {
				t.Fatalf("create %s: %d %s", name, code, b)
			}
			eventually(t, 60*time.Second, name+" RUNNING", func() (bool, string) { return allRunning(t, w.url(), name, tasks) })
			const n = 20
			produceLines(t, topic, 0, n)
			awaitCopies(t, file, n, 1)

			expect(t, w, "PUT", "/connectors/"+name+"/stop", nil, 204)
			eventually(t, 30*time.Second, name+" STOPPED", func() (bool, string) {
				st, ok := statusOf(t, w.url(), name)
				return ok && st.Connector.State == "STOPPED" && len(st.Tasks) == 0, fmt.Sprintf("%+v", st)
			})
			start := time.Now()
			expect(t, w, "DELETE", "/connectors/"+name+"/offsets", nil, 200)
			took := time.Since(start)
			t.Logf("offsets reset with %d tasks on one partition took %s", tasks, took.Round(time.Millisecond))
			if took > 5*time.Second {
				t.Errorf("offsets reset took %s: the stopped tasks' consumers did not leave the group", took)
			}
			expect(t, w, "PUT", "/connectors/"+name+"/resume", nil, 202)
			// Reset offsets: every record is consumed again from the start.
			awaitCopies(t, file, n, 2)
		})
	}
}

// awaitCopies waits until each of lines 0..n-1 is in file want times.
func awaitCopies(t *testing.T, file string, n, want int) {
	t.Helper()
	eventually(t, 60*time.Second, fmt.Sprintf("%d copies of %d lines in %s", want, n, file), func() (bool, string) {
		b, _ := os.ReadFile(file)
		count := map[string]int{}
		for _, l := range strings.Split(string(b), "\n") {
			count[l]++
		}
		for i := range n {
			if got := count[fmt.Sprintf("line-%06d", i)]; got != want {
				return false, fmt.Sprintf("line %d written %d times", i, got)
			}
		}
		return true, ""
	})
}
