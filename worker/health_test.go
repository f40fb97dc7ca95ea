package worker

import (
	"context"
	"errors"
	"testing"
	"time"
)

// gatedMember holds the standalone membership back until open is closed,
// as a worker that has not joined its group yet.
type gatedMember struct {
	*Solo
	open chan struct{}
}

func (g *gatedMember) Run(ctx context.Context) error {
	select {
	case <-g.open:
	case <-ctx.Done():
		return nil
	}
	return g.Solo.Run(ctx)
}

func TestHealthCheck(t *testing.T) {
	open := make(chan struct{})
	hs := startHarnessWith(t, func(s *Solo, _ *MemoryStatusStore) Membership { return &gatedMember{Solo: s, open: open} })
	check := func(d time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		return hs.h.HealthCheck(ctx)
	}

	// Starting: the loop runs but start-up is not complete.
	if err := check(100 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) || hs.h.Ready() == nil {
		t.Fatalf("before joining: %v (ready: %v), want a timeout while not ready", err, hs.h.Ready())
	}
	close(open)
	eventually(t, "healthy after joining", func() bool { return check(time.Second) == nil })

	// Stuck: a request holds the loop, so the no-op cannot run.
	release := make(chan struct{})
	go func() { _ = hs.h.do(context.Background(), func() error { <-release; return nil }) }()
	time.Sleep(50 * time.Millisecond)
	if err := check(100 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) || hs.h.Ready() != nil {
		t.Fatalf("loop held: %v (ready: %v), want a timeout while ready", err, hs.h.Ready())
	}
	close(release)
	if err := check(time.Second); err != nil {
		t.Fatalf("after release: %v", err)
	}
}
