//go:build integration

package cassandra

import (
	"net"
	"testing"

	"github.com/gonnect/gonnect/stack"
)

func TestIntegrationTasksShareASession(t *testing.T) {
	stack.RequireCassandra(t)
	host, port, err := net.SplitHostPort(stack.CassandraHosts()[0])
	if err != nil {
		t.Fatal(err)
	}
	vals, err := configDef.Parse(map[string]string{"contactPoints": host, "port": port})
	if err != nil {
		t.Fatal(err)
	}
	a, tokensA, releaseA, err := acquireSession("c1", vals)
	if err != nil {
		t.Fatal(err)
	}
	b, tokensB, releaseB, err := acquireSession("c1", vals)
	if err != nil {
		t.Fatal(err)
	}
	other, tokensOther, releaseOther, err := acquireSession("c2", vals)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a == other {
		t.Fatalf("tasks of one connector must share a session, other connectors must not: %p %p %p", a, b, other)
	}
	// maxConcurrentRequests bounds the connector's requests, not each task's.
	if tokensA != tokensB || tokensA == tokensOther || cap(tokensA) != 500 {
		t.Fatalf("request tokens: tasks of one connector must share them (%d), other connectors must not", cap(tokensA))
	}
	releaseA()
	releaseA() // idempotent
	if a.Closed() {
		t.Fatal("session closed while a task still uses it")
	}
	releaseB()
	if !a.Closed() {
		t.Fatal("session left open after the connector's last task released it")
	}
	releaseOther()
	c, _, releaseC, err := acquireSession("c1", vals)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseC()
	if c == a || c.Closed() {
		t.Fatal("a task started after the last release must get a new session")
	}
	unreachable, err := configDef.Parse(map[string]string{"contactPoints": "127.0.0.1", "port": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := acquireSession("c3", unreachable); err == nil {
		t.Fatal("connecting to a closed port succeeded")
	}
	sessions.Lock()
	n := len(sessions.byKey)
	sessions.Unlock()
	if n != 1 {
		t.Fatalf("%d sessions cached, want only c1's", n)
	}
}
