//go:build faults

package faults

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// TestFaultsCassandraNodeLoss streams orders through the Cassandra sink
// into a keyspace replicated to all three nodes, written at LOCAL_QUORUM,
// while nodes die (SIGKILL):
//   - one node: writes go on, with no stall longer than the driver needs
//     to notice the node is gone;
//   - a second node (no quorum left): the tasks stay RUNNING, retrying with
//     backoff, the committed offsets do not move, and every record they
//     cover is on the one node left;
//   - the second node returns: writes resume; then the third.
//
// At the end every order is in Cassandra as sent, the committed offsets
// equal the end offsets, and the replayed writes are counted.
func TestFaultsCassandraNodeLoss(t *testing.T) {
	c := cassClusterUp(t)
	s := c.session()
	id := fmt.Sprintf("faults-cass-nodes-%d", rand.Uint32())
	ks := strings.ReplaceAll(id, "-", "_")
	cassTables(t, s, ks, 3)
	run := cassStartRun(t, c, ks, id)
	f, w, name, group, prog, stop := run.feed, run.w, run.name, run.group, run.prog, run.stop
	parts := f.parts

	// running holds the tasks RUNNING for d, failing the test otherwise.
	running := func(d time.Duration, check func()) {
		t.Helper()
		want := strings.TrimSuffix(strings.Repeat("RUNNING,", 4), ",")
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
			if st := cassTaskStates(w.url, name); st != want {
				t.Fatalf("connector states %s, want %s", st, want)
			}
			if check != nil {
				check()
			}
		}
	}

	// One node of three: a quorum is left.
	killed3 := time.Now()
	c.kill(3)
	running(12*time.Second, nil)
	stall1 := prog.longestStall(killed3, time.Now())
	t.Logf("node 3 killed: longest stall of the writes %s", stall1)
	if stall1 > 3*time.Second {
		t.Errorf("writes stalled %s after one node of three was killed, want at most 3 s", stall1)
	}

	// Two nodes of three: no quorum. Nothing can be acknowledged once the
	// writes in flight are answered, so the committed offsets must stay.
	c.kill(2)
	killed2 := time.Now()
	running(8*time.Second, nil)
	committed0, _, err := cassOffsets(f.topic, group, parts)
	if err != nil {
		t.Fatal(err)
	}
	retriesBefore := cassLogCount(w.log, "retriable error from the task's put")
	running(12*time.Second, func() {
		committed, _, err := cassOffsets(f.topic, group, parts)
		if err != nil {
			t.Fatal(err)
		}
		if cassSum(committed) != cassSum(committed0) {
			t.Fatalf("committed offsets moved from %v to %v with two nodes of three down", committed0, committed)
		}
	})
	outageRetries := cassLogCount(w.log, "retriable error from the task's put") - retriesBefore
	t.Logf("two nodes down: %d retried puts in 12 s, committed %d of %d sent", outageRetries, cassSum(committed0), f.sent.Load())
	if outageRetries == 0 {
		t.Errorf("no put was retried while two nodes of three were down")
	}
	if outageRetries > 12*3*4 {
		t.Errorf("%d puts retried in 12 s by 3 tasks: no backoff", outageRetries)
	}
	// Every record the committed offsets cover is on the node left.
	ids, err := cassOrderIDs(c.session(1), ks, gocql.One)
	if err != nil {
		t.Fatalf("reading the orders on node 1: %v", err)
	}
	for p, off := range committed0 {
		for k := int64(0); k < off; k++ {
			if i := uint64(p) + uint64(parts)*uint64(k); !ids[f.gen.Order(i).OrderID] {
				t.Fatalf("partition %d is committed up to %d but order %d (offset %d) is not on node 1", p, off, i, k)
			}
		}
	}

	// A node returns: a quorum again.
	c.start(2)
	back := time.Now()
	var resumed time.Time
	Eventually(t, 60*time.Second, "writes after node 2 returned", func() (bool, string) {
		var ok bool
		resumed, ok = prog.firstGrowthAfter(back)
		return ok, fmt.Sprint(prog.latest())
	})
	t.Logf("node 2 answered CQL %s after it was killed; writes resumed %s after that", back.Sub(killed2).Round(time.Millisecond), resumed.Sub(back).Round(time.Millisecond))
	c.start(3)
	stop()

	sent := f.sent.Load()
	var drained time.Time
	Eventually(t, 180*time.Second, "every order committed", func() (bool, string) {
		committed, end, err := cassOffsets(f.topic, group, parts)
		if err != nil {
			return false, err.Error()
		}
		drained = time.Now()
		return cassSum(committed) == sent && cassSum(end) == sent, fmt.Sprintf("committed %d, end %d, sent %d", cassSum(committed), cassSum(end), sent)
	})
	committed, end, _ := cassOffsets(f.topic, group, parts)
	for p := range parts {
		if committed[p] != end[p] {
			t.Errorf("partition %d: committed %d, end offset %d", p, committed[p], end[p])
		}
	}
	r := cassVerify(t, s, ks, f)
	cassReport(t, "cassandra: one then two of three nodes killed", r,
		cassTiming{"stall_one_node_down", stall1}, cassTiming{"resume_after_node_back", resumed.Sub(back)},
		cassTiming{"drained_after_all_back", drained.Sub(back)})
}
