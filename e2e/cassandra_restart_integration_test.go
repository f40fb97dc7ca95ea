//go:build integration

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/stack"
)

// cassandraPid reads the pid the stack script recorded for Cassandra.
func cassandraPid(t *testing.T, stateDir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stateDir, "pids", "cassandra.pid"))
	if err != nil {
		t.Fatalf("reading Cassandra's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("Cassandra's pid file holds %q: %v", b, err)
	}
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// stackUp runs the stack script, which starts only what is not running,
// with the state directory the running servers use (the resolved .stack),
// so Cassandra comes back on the same data directory and configuration.
func stackUp(t *testing.T, stateDir string) error {
	cmd := exec.Command("bash", filepath.Join(repoRoot(t), "stack", "stack.sh"), "up")
	cmd.Env = append(os.Environ(), "GONNECT_STACK_DIR="+stateDir)
	out, err := cmd.CombinedOutput()
	t.Logf("stack.sh up:\n%s", out)
	if err != nil {
		return fmt.Errorf("running stack.sh up: %w", err)
	}
	return nil
}

// committedSum is the sum of a consumer group's committed offsets on a topic.
func committedSum(t *testing.T, group, topic string) int64 {
	t.Helper()
	ad, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap()})
	if err != nil {
		t.Fatal(err)
	}
	defer ad.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := ad.ListConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group}})
	if err != nil {
		t.Fatalf("listing offsets of group %s: %v", group, err)
	}
	var sum int64
	for _, g := range res.ConsumerGroupsTopicPartitions {
		for _, tp := range g.Partitions {
			if *tp.Topic == topic && tp.Offset >= 0 {
				sum += int64(tp.Offset)
			}
		}
	}
	return sum
}

// TestIntegrationCassandraRestart stops Cassandra gracefully (SIGTERM) for
// about 20 s while records keep coming, then starts it again with the stack
// script: every record ends up in Cassandra, and the committed offsets never
// pass what Cassandra acknowledged (they stay put while it is down). The
// test leaves Cassandra running even when it fails.
func TestIntegrationCassandraRestart(t *testing.T) {
	p := newPipeline(t)
	stateDir, err := filepath.EvalSymlinks(stack.StateDir())
	if err != nil {
		t.Fatalf("resolving the stack directory: %v", err)
	}
	c := newCluster(t, nil)
	w := c.start()
	name := fmt.Sprintf("cass-restart-%d", rand.Uint32())
	group := "connect-" + name
	if code, b, _ := do("PUT", w.url()+"/connectors/"+name+"/config", p.connector(p.topic+".dlq")); code != 201 {
		t.Fatalf("create: %d %s", code, b)
	}
	const before, after = 1500, 3000
	p.produce(0, before)
	eventually(t, 90*time.Second, "rows and committed offsets before the stop", func() (bool, string) {
		n, off := p.rows(), committedSum(t, group, p.topic)
		return n == before && off == before, fmt.Sprintf("rows %d, committed %d", n, off)
	})

	pid := cassandraPid(t, stateDir)
	// Registered before the stop: whatever happens, Cassandra runs again
	// when the test ends, since other tests share it.
	t.Cleanup(func() {
		if !alive(cassandraPid(t, stateDir)) {
			if err := stackUp(t, stateDir); err != nil {
				t.Errorf("restarting Cassandra after the test: %v", err)
			}
		}
	})
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("stopping Cassandra (pid %d): %v", pid, err)
	}
	stopped := time.Now()
	eventually(t, 90*time.Second, "Cassandra to exit after SIGTERM", func() (bool, string) { return !alive(pid), fmt.Sprintf("pid %d alive", pid) })
	t.Logf("Cassandra exited %s after SIGTERM", time.Since(stopped).Round(time.Millisecond))

	p.produce(before, after)
	// While Cassandra is down nothing new can be acknowledged, so no offset
	// past the rows written before the stop may be committed.
	for time.Since(stopped) < 20*time.Second {
		if off := committedSum(t, group, p.topic); off > before {
			t.Fatalf("committed %d records while Cassandra was down, only %d were written", off, before)
		}
		time.Sleep(time.Second)
	}
	if err := stackUp(t, stateDir); err != nil {
		t.Fatal(err)
	}
	if newPid := cassandraPid(t, stateDir); newPid == pid || !alive(newPid) {
		t.Fatalf("Cassandra pid after restart %d (was %d), alive %v", newPid, pid, alive(newPid))
	}
	// A new session: the pipeline's one may wait a long time before it
	// tries the restarted node again.
	cl := gocql.NewCluster(stack.CassandraHosts()...)
	cl.Timeout = 30 * time.Second
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatalf("connecting to the restarted Cassandra: %v", err)
	}
	defer s.Close()
	defer func() { _ = s.Query("DROP KEYSPACE " + p.ks).Exec() }()
	rows := func() int {
		var n int
		if err := s.Query("SELECT count(*) FROM " + p.ks + "." + workload.ScenarioB.Table).Scan(&n); err != nil {
			return -1
		}
		return n
	}
	// The rows written before the stop survived: same data directory.
	if n := rows(); n < before {
		t.Fatalf("%d rows right after the restart, %d were written before the stop", n, before)
	}
	eventually(t, 180*time.Second, "every record in Cassandra and committed", func() (bool, string) {
		n, off := rows(), committedSum(t, group, p.topic)
		return n == after && off == after, fmt.Sprintf("rows %d, committed %d", n, off)
	})
	if ok, msg := allRunning(t, w.url(), name, 3); !ok {
		t.Fatalf("connector after the restart: %s", msg)
	}
}
