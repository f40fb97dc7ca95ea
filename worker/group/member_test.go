package group

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// slowHandler takes applyFor to apply its first assignment, as a worker
// stopping and starting many tasks does, and records every result.
type slowHandler struct {
	applyFor time.Duration
	mu       sync.Mutex
	results  []Result
	applied  chan struct{}
}

func (h *slowHandler) Snapshot() Snapshot              { return Snapshot{Connectors: map[string]int{"c": 1}} }
func (h *slowHandler) Owned() Work                     { return Work{} }
func (h *slowHandler) OnRevoked(context.Context, Work) {}
func (h *slowHandler) Released(w Work) Work            { return w }
func (h *slowHandler) OnAssigned(ctx context.Context, r Result) {
	h.mu.Lock()
	h.results = append(h.results, r)
	first := len(h.results) == 1
	h.mu.Unlock()
	if !first {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(h.applyFor):
	}
	close(h.applied)
}

func (h *slowHandler) seen() []Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Result(nil), h.results...)
}

// TestMemberKeepsSessionWhileApplying: applying an assignment takes three
// session timeouts; the member heartbeats meanwhile, so it keeps its
// membership and generation instead of being expired and rejoining.
func TestMemberKeepsSessionWhileApplying(t *testing.T) {
	for _, protocol := range []string{ProtocolEager, ProtocolSessioned} {
		t.Run(protocol, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(100*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			const session = 500 * time.Millisecond
			h := &slowHandler{applyFor: 3 * session, applied: make(chan struct{})}
			m, err := New(Config{Brokers: c.ListenAddrs(), GroupID: "g-" + protocol, WorkerURL: "http://w1:8083/", Protocol: protocol,
				SessionTimeout: session, HeartbeatInterval: 100 * time.Millisecond, RebalanceTimeout: 5 * time.Second,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, h)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- m.Run(ctx) }()
			defer func() {
				cancel()
				<-done
			}()
			select {
			case <-h.applied:
			case <-time.After(10 * time.Second):
				t.Fatal("first assignment not applied within 10s")
			}
			// Expired, the member would learn so at its next heartbeat
			// and rejoin in a new generation within a few beats.
			time.Sleep(2 * session)
			rs := h.seen()
			if len(rs) != 1 {
				gens := make([]int32, len(rs))
				for i, r := range rs {
					gens[i] = r.Generation
				}
				t.Fatalf("member rejoined while applying its assignment: generations %v, want only the first", gens)
			}
			if _, isLeader := m.Leader(); !isLeader {
				t.Fatal("the only member does not lead")
			}
		})
	}
}

// unsyncHandler asks its member to leave at its first assignment, as a
// worker does that cannot read the config topic in time, and catches up
// only at its third attempt.
type unsyncHandler struct {
	slowHandler
	m        *Member
	catchUps int
	second   chan Result
}

func (h *unsyncHandler) OnAssigned(_ context.Context, r Result) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.results = append(h.results, r)
	switch len(h.results) {
	case 1:
		h.m.LeaveFor(50 * time.Millisecond)
	case 2:
		h.second <- r
	}
}

func (h *unsyncHandler) CatchUp(context.Context) (bool, time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.catchUps++
	return h.catchUps == 3, 50 * time.Millisecond
}

// TestMemberLeavesUntilCaughtUp: LeaveFor leaves the group; the member
// joins again (a new member) only once its handler has caught up.
func TestMemberLeavesUntilCaughtUp(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := &unsyncHandler{second: make(chan Result, 1)}
	m, err := New(Config{Brokers: c.ListenAddrs(), GroupID: "g-unsync", WorkerURL: "http://w1:8083/", Protocol: ProtocolSessioned,
		SessionTimeout: 500 * time.Millisecond, HeartbeatInterval: 100 * time.Millisecond, RebalanceTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, h)
	if err != nil {
		t.Fatal(err)
	}
	h.m = m
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	select {
	case r := <-h.second:
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.catchUps != 3 {
			t.Fatalf("joined again after %d catch-up attempts, want 3", h.catchUps)
		}
		if first := h.results[0]; r.MemberID == first.MemberID {
			t.Fatalf("member %s did not leave the group before joining again", r.MemberID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("member did not join again within 10s")
	}
}
