//go:build faults

package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// cassSetWriteTimeout sets every node's write_request_timeout at runtime.
func cassSetWriteTimeout(t *testing.T, c *cassCluster, ms int) {
	t.Helper()
	cassNodetool(t, c, "settimeout", "write", strconv.Itoa(ms))
}

var cassBackoffLine = regexp.MustCompile(`put retried in ([0-9.]+m?s)`)

// TestFaultsCassandraOverload streams orders through the Cassandra sink at
// LOCAL_QUORUM while the cluster is overloaded: 48 writers hammer a small
// table with large values and every node's write timeout is 20 ms, so
// writes time out. The tasks stay RUNNING, failed puts are retried after a
// growing backoff (not in a tight loop), and once the load ends every order
// is in Cassandra as sent and committed.
func TestFaultsCassandraOverload(t *testing.T) {
	c := cassClusterUp(t)
	s := c.session()
	id := fmt.Sprintf("faults-cass-load-%d", rand.Uint32())
	ks := strings.ReplaceAll(id, "-", "_")
	cassTables(t, s, ks, 3)
	if err := schemaChange(s, "CREATE TABLE IF NOT EXISTS "+ks+".hot (k int, c int, v blob, PRIMARY KEY (k, c))"); err != nil {
		t.Fatal(err)
	}
	run := cassStartRun(t, c, ks, id)
	f, w, name, group, prog, stop := run.feed, run.w, run.name, run.group, run.prog, run.stop
	parts := f.parts

	// The overload: a tiny write timeout and many writers of large values
	// on ten partitions.
	restored := false
	defer func() {
		if !restored {
			cassSetWriteTimeout(t, c, 2000)
		}
	}()
	cassSetWriteTimeout(t, c, 20)
	loadCtx, endLoad := context.WithCancel(context.Background())
	var loadWrites, loadTimeouts atomic.Int64
	var loaders sync.WaitGroup
	blob := make([]byte, 64<<10)
	for i := range blob {
		blob[i] = byte(rand.Uint32())
	}
	for g := range 48 {
		loaders.Add(1)
		go func() {
			defer loaders.Done()
			for i := 0; loadCtx.Err() == nil; i++ {
				err := s.Query("INSERT INTO "+ks+".hot (k, c, v) VALUES (?, ?, ?)", i%10, g*1000000+i, blob).
					Consistency(gocql.LocalQuorum).ExecContext(loadCtx)
				loadWrites.Add(1)
				var re gocql.RequestError
				if errors.As(err, &re) && (re.Code() == gocql.ErrCodeWriteTimeout || re.Code() == gocql.ErrCodeOverloaded) {
					loadTimeouts.Add(1)
				}
			}
		}()
	}
	retriesBefore := cassLogCount(w.log, "retriable error from the task's put")
	overloadFrom := time.Now()
	want := strings.TrimSuffix(strings.Repeat("RUNNING,", 4), ",")
	for time.Since(overloadFrom) < 25*time.Second {
		if st := cassTaskStates(w.url, name); st != want {
			t.Fatalf("connector states %s during the overload, want %s", st, want)
		}
		time.Sleep(250 * time.Millisecond)
	}
	duringOverload := prog.latest()
	endLoad()
	loaders.Wait()
	cassSetWriteTimeout(t, c, 2000)
	restored = true
	relieved := time.Now()
	retries := cassLogCount(w.log, "retriable error from the task's put") - retriesBefore
	var backoffs []time.Duration
	for _, m := range cassBackoffLine.FindAllStringSubmatch(cassLogTail(w.log, 100000), -1) {
		if d, err := time.ParseDuration(m[1]); err == nil {
			backoffs = append(backoffs, d)
		}
	}
	t.Logf("overload 25 s: %d load writes, %d timed out or refused; the sink retried %d puts (backoffs %v)",
		loadWrites.Load(), loadTimeouts.Load(), retries, backoffs)
	if loadTimeouts.Load() == 0 && retries == 0 {
		t.Fatalf("no write timed out: the cluster was not overloaded")
	}
	if retries > 25*3*5 {
		t.Errorf("%d puts retried in 25 s by 3 tasks: no backoff", retries)
	}
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
	t.Logf("orders written during the overload: %.0f of %d sent by its end", duringOverload, sent)
	cassReport(t, "cassandra: overloaded (48 writers, 20 ms write timeout)", r, cassTiming{"drained_after_overload", drained.Sub(relieved)})
}
