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

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

func produceLines(t *testing.T, topic string, from, to int) {
	t.Helper()
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "go.delivery.reports": false})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := from; i < to; i++ {
		v := fmt.Sprintf("line-%06d", i)
		if err := p.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Key: []byte(v), Value: []byte(v)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.Flush(30000); n != 0 {
		t.Fatalf("%d records not delivered", n)
	}
}

// linesIn reads the distinct lines written to the given files.
func linesIn(files ...string) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, l := range strings.Split(string(b), "\n") {
			if l != "" {
				out[l] = true
			}
		}
	}
	return out
}

func workerLoad(t testing.TB, url, name string) map[string]int {
	s, _ := statusOf(t, url, name)
	load := map[string]int{}
	for _, ts := range s.Tasks {
		if ts.State == "RUNNING" {
			load[ts.WorkerID]++
		}
	}
	return load
}

// TestIntegrationClusterFailover: three workers share a connector's tasks;
// one is killed with SIGKILL, its tasks run again elsewhere and no record is
// lost; a returning worker gets work again; a follower forwards a create.
func TestIntegrationClusterFailover(t *testing.T) {
	const delay = 15 * time.Second
	c := newCluster(t, map[string]string{"scheduled.rebalance.max.delay.ms": fmt.Sprint(delay.Milliseconds())})
	w1 := c.start()
	w2 := c.start()
	w3 := c.start()
	topic := fmt.Sprintf("e2e-lines-%d", rand.Uint32())
	// A name of its own: the sink's consumer group (connect-<name>) must not
	// meet members that earlier runs killed, which stall its rebalances
	// until their sessions expire.
	name := "fs-" + strings.TrimPrefix(topic, "e2e-lines-")
	if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 6, 1, nil); err != nil {
		t.Fatal(err)
	}
	produceLines(t, topic, 0, 3000)

	// All tasks append to one file; each Put is one append of whole lines.
	dir := t.TempDir()
	var files []string
	// Create through a follower: the request is forwarded to the leader.
	var follower *proc
	for _, w := range []*proc{w1, w2, w3} {
		follower = w
		if code, b := get(w.url() + "/connectors"); code == 200 && string(b) == "[]" {
			break
		}
	}
	cfg := map[string]any{"name": name, "config": map[string]string{"connector.class": "FileStreamSink", "tasks.max": "6", "topics": topic,
		"file": dir + "/out-shared.txt"}}
	code, body, _ := do("POST", follower.url()+"/connectors", cfg)
	if code != 201 {
		t.Fatalf("create via %s: %d %s", follower.url(), code, body)
	}
	files = append(files, dir+"/out-shared.txt")
	eventually(t, 60*time.Second, "6 tasks RUNNING", func() (bool, string) { return allRunning(t, w1.url(), name, 6) })
	eventually(t, 30*time.Second, "tasks spread over 3 workers", func() (bool, string) {
		load := workerLoad(t, w1.url(), name)
		return len(load) == 3 && load[fmt.Sprintf("127.0.0.1:%d", w1.port)] == 2 && load[fmt.Sprintf("127.0.0.1:%d", w2.port)] == 2, fmt.Sprint(load)
	})
	eventually(t, 60*time.Second, "first 3000 lines written", func() (bool, string) {
		n := len(linesIn(files...))
		return n == 3000, fmt.Sprint(n)
	})

	killedAt := time.Now()
	w3.kill()
	produceLines(t, topic, 3000, 6000)
	dead := fmt.Sprintf("127.0.0.1:%d", w3.port)
	eventually(t, 90*time.Second, "tasks of the killed worker running elsewhere", func() (bool, string) {
		load := workerLoad(t, w1.url(), name)
		return load[dead] == 0 && load[fmt.Sprintf("127.0.0.1:%d", w1.port)]+load[fmt.Sprintf("127.0.0.1:%d", w2.port)] == 6, fmt.Sprint(load)
	})
	reassigned := time.Since(killedAt)
	t.Logf("tasks reassigned %.1fs after SIGKILL (session timeout 6s, scheduled.rebalance.max.delay.ms %s)", reassigned.Seconds(), delay)
	if reassigned < delay {
		t.Errorf("work of a crashed worker moved after %s, before scheduled.rebalance.max.delay.ms (%s)", reassigned, delay)
	}
	eventually(t, 90*time.Second, "all 6000 lines written, none lost", func() (bool, string) {
		n := len(linesIn(files...))
		return n == 6000, fmt.Sprint(n)
	})

	w4 := c.start()
	eventually(t, 60*time.Second, "returning worker gets tasks", func() (bool, string) {
		load := workerLoad(t, w1.url(), name)
		return load[fmt.Sprintf("127.0.0.1:%d", w4.port)] > 0, fmt.Sprint(load)
	})

	// A graceful stop hands work over at once, without the delay.
	stoppedAt := time.Now()
	w4.stop(t)
	eventually(t, delay, "tasks of the stopped worker running elsewhere before the delay", func() (bool, string) {
		load := workerLoad(t, w1.url(), name)
		return load[fmt.Sprintf("127.0.0.1:%d", w1.port)]+load[fmt.Sprintf("127.0.0.1:%d", w2.port)] == 6, fmt.Sprint(load)
	})
	handed := time.Since(stoppedAt)
	t.Logf("tasks handed over %.1fs after a graceful stop", handed.Seconds())
	if handed >= delay {
		t.Errorf("work of a gracefully stopped worker moved after %s, not at once (scheduled.rebalance.max.delay.ms %s)", handed, delay)
	}
}

// TestIntegrationRestartResumes: every worker stops; started again on the
// same topics they find the connectors, target states and offsets.
func TestIntegrationRestartResumes(t *testing.T) {
	c := newCluster(t, nil)
	w := c.start()
	topic := fmt.Sprintf("e2e-restart-%d", rand.Uint32())
	rs, paused := "rs-"+topic, "paused-"+topic
	if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 1, 1, nil); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir() + "/out.txt"
	produceLines(t, topic, 0, 100)
	if code, b, _ := do("PUT", w.url()+"/connectors/"+rs+"/config", map[string]string{"connector.class": "FileStreamSink", "topics": topic, "file": out}); code != 201 {
		t.Fatalf("create: %d %s", code, b)
	}
	if code, b, _ := do("PUT", w.url()+"/connectors/"+paused+"/config", map[string]string{"connector.class": "FileStreamSink", "topics": topic, "file": out + ".p"}); code != 201 {
		t.Fatalf("create: %d %s", code, b)
	}
	if code, _, _ := do("PUT", w.url()+"/connectors/"+paused+"/pause", nil); code != 202 {
		t.Fatalf("pause: %d", code)
	}
	eventually(t, 60*time.Second, "100 lines", func() (bool, string) { n := len(linesIn(out)); return n == 100, fmt.Sprint(n) })
	eventually(t, 30*time.Second, "offsets committed", func() (bool, string) {
		_, b := get(w.url() + "/connectors/" + rs + "/offsets")
		return strings.Contains(string(b), `"kafka_offset":100`), string(b)
	})
	w.stop(t)

	produceLines(t, topic, 100, 200)
	w = c.start()
	eventually(t, 60*time.Second, "connector running after restart", func() (bool, string) { return allRunning(t, w.url(), rs, 1) })
	eventually(t, 60*time.Second, "new lines after restart", func() (bool, string) { n := len(linesIn(out)); return n == 200, fmt.Sprint(n) })
	b, _ := os.ReadFile(out)
	if n := strings.Count(string(b), "\n"); n != 200 {
		t.Errorf("file has %d lines, want 200 (restart replayed committed records)", n)
	}
	eventually(t, 30*time.Second, "paused connector still PAUSED", func() (bool, string) {
		s, _ := statusOf(t, w.url(), paused)
		return s.Connector.State == "PAUSED", fmt.Sprintf("%+v", s)
	})
}
