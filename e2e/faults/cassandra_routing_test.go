//go:build faults

package faults

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// cassForwarded sums, over the nodes, the responses their coordinators
// received from other nodes (the RequestResponseStage thread pool's
// completed tasks, system_views.thread_pools): a write sent to a node that
// is not its replica is forwarded and answered there, one response each.
func cassForwarded(t *testing.T, nodes []*gocql.Session) int64 {
	t.Helper()
	var sum int64
	for i, s := range nodes {
		// A node lists a pool once it has run a task on it.
		var n int64
		if err := s.Query("SELECT completed_tasks FROM system_views.thread_pools WHERE name = 'RequestResponseStage'").Scan(&n); err != nil && !errors.Is(err, gocql.ErrNotFound) {
			t.Fatalf("reading node %d's thread pools: %v", i+1, err)
		}
		sum += n
	}
	return sum
}

// cassQuiet drops the hints earlier scenarios left (their delivery is
// traffic between nodes too: after a node loss or an overload it goes on
// for minutes, throttled) and waits until the nodes exchange nothing for a
// while, so the counts below are the writes' own. Hints still buffered
// are not listed as pending yet: the test pauses their delivery, and they
// are dropped on every node, again while traffic goes on.
func cassQuiet(t *testing.T, c *cassCluster, nodes []*gocql.Session) {
	t.Helper()
	cassNodetool(t, c, "truncatehints")
	last, quiet, dropped := cassForwarded(t, nodes), 0, time.Now()
	Eventually(t, 2*time.Minute, "no traffic between nodes for 3 s", func() (bool, string) {
		time.Sleep(time.Second)
		now := cassForwarded(t, nodes)
		if now == last {
			quiet++
		} else {
			quiet = 0
			if time.Since(dropped) > 15*time.Second {
				cassNodetool(t, c, "truncatehints")
				dropped = time.Now()
			}
		}
		d := now - last
		last = now
		return quiet >= 3, fmt.Sprintf("%d responses in the last second", d)
	})
}

// TestFaultsCassandraTokenAwareRouting checks on the 3-node cluster that
// the sink sends each write to a replica of its partition: in a keyspace
// with one replica per partition, a write sent elsewhere is forwarded and
// answered between nodes. The same measure, taken for writes sent round
// robin by a plain driver session, shows it can tell the two apart.
func TestFaultsCassandraTokenAwareRouting(t *testing.T) {
	c := cassClusterUp(t)
	s := c.session()
	id := fmt.Sprintf("faults-cass-route-%d", rand.Uint32())
	ks := strings.ReplaceAll(id, "-", "_")
	cassTables(t, s, ks, 1)
	nodes := []*gocql.Session{c.session(1), c.session(2), c.session(3)}
	const n = 3000
	cassNodetool(t, c, "pausehandoff")
	t.Cleanup(func() { cassNodetool(t, c, "resumehandoff") })

	// The control: round robin over the nodes, two thirds not replicas.
	rr := c.session(1, 2, 3)
	if err := schemaChange(s, "CREATE TABLE IF NOT EXISTS "+ks+".control (k text PRIMARY KEY, v timeuuid)"); err != nil {
		t.Fatal(err)
	}
	cassQuiet(t, c, nodes)
	before := cassForwarded(t, nodes)
	for i := range n {
		if err := rr.Query("INSERT INTO "+ks+".control (k, v) VALUES (?, now())", fmt.Sprintf("rr-%d", i)).Consistency(gocql.One).Exec(); err != nil {
			t.Fatalf("round-robin write %d: %v", i, err)
		}
	}
	control := cassForwarded(t, nodes) - before
	t.Logf("round robin: %d writes, %d responses between nodes", n, control)
	if control < n/3 {
		t.Fatalf("round-robin writes gave only %d responses between nodes for %d writes: the measure cannot see misrouting", control, n)
	}

	f := cassNewFeed(t, id, 6)
	w := cassStartWorker(t, id, map[string]string{"offset.flush.interval.ms": "1000"})
	cassQuiet(t, c, nodes)
	before = cassForwarded(t, nodes)
	cfg := cassSinkConfig(c, f.topic, ks, "LOCAL_ONE", 3)
	cassCreate(t, w, id, cfg)
	if err := f.produce(0, n); err != nil {
		t.Fatal(err)
	}
	Eventually(t, 120*time.Second, "every order committed", func() (bool, string) {
		committed, _, err := cassOffsets(f.topic, "connect-"+id, 6)
		if err != nil {
			return false, err.Error()
		}
		return cassSum(committed) == n, fmt.Sprint(cassSum(committed))
	})
	sink := cassForwarded(t, nodes) - before
	// Each order is two writes (orders table and writes table).
	t.Logf("sink: %d writes, %d responses between nodes (round robin: %d for %d)", 2*n, sink, control, n)
	if sink > 2*n/20 {
		t.Errorf("the sink's %d writes gave %d responses between nodes: more than 5%% of them did not go to a replica", 2*n, sink)
	}
	r := cassVerify(t, s, ks, f)
	cassReport(t, "cassandra: token-aware routing", r)
}
