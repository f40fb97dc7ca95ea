//go:build faults

package faults

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gonnect/gonnect/stack"
)

// TestFaultsWorkersKilled: a three-worker cluster runs the Cassandra sink
// while records stream in; a worker other than the leader is killed with
// SIGKILL, then the leader; two workers join again; then every worker is
// stopped and all are started again. Every record ends in Cassandra as sent.
func TestFaultsWorkersKilled(t *testing.T) {
	stack.RequireKafka(t)
	sc := New(t, Config{Name: "workers-killed", Tasks: 6})
	// A killed worker's sink consumers hold their partitions until their
	// session times out; 10 s (a common production setting, the Java
	// default being 45 s) keeps the scenario short. The recovery figures
	// are that timeout plus the rebalance.
	c := NewCluster(t, stack.KafkaBootstrap(), map[string]string{"consumer.session.timeout.ms": "10000"})
	sc.Cluster = c
	ws := []*Worker{c.Start(), c.Start(), c.Start()}
	sc.CreateConnector(ws[0].URL(), nil)
	sc.Stream.Produce(2000)
	sc.Recovered("start", sc.started, 2*time.Minute)
	sc.Stream.Run(300)

	leader := func() *Worker {
		t.Helper()
		var l *Worker
		Eventually(t, 30*time.Second, "the group's leader", func() (bool, string) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var err error
			l, err = c.Leader(ctx)
			if err != nil {
				return false, err.Error()
			}
			return true, ""
		})
		return l
	}

	time.Sleep(2 * time.Second)
	l := leader()
	var victim *Worker
	for _, w := range c.Live() {
		if w != l {
			victim = w
			break
		}
	}
	killed := time.Now()
	victim.Kill()
	sc.Recovered("SIGKILL of a worker", killed, 2*time.Minute)

	time.Sleep(2 * time.Second)
	l = leader()
	killed = time.Now()
	l.Kill()
	sc.Recovered("SIGKILL of the leader", killed, 2*time.Minute)

	// The two killed workers come back on their ports: the cluster is
	// three again before the full stop.
	joined := time.Now()
	victim.Restart()
	l.Restart()
	sc.Recovered("two workers rejoin", joined, 2*time.Minute)

	time.Sleep(2 * time.Second)
	stopped := time.Now()
	live := c.Live()
	var wg sync.WaitGroup
	for _, w := range live {
		wg.Go(w.Stop)
	}
	wg.Wait()
	time.Sleep(3 * time.Second)
	for _, w := range live {
		w.Restart()
	}
	sc.Recovered("all workers stopped and started", stopped, 3*time.Minute)
	time.Sleep(3 * time.Second)
	sc.Prove()
}
