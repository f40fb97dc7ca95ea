package worker

import (
	"context"
	"time"
)

// HealthCheck runs a no-op through the herder's loop and waits for it, as
// Connect's GET /health does (KIP-1017): like every request it is served
// only once the herder has completed start-up (joined its group and read
// its config), and only when the loop is free to take it. ctx bounds the
// wait; the caller tells starting from stuck with Ready.
func (h *Herder) HealthCheck(ctx context.Context) error {
	if !h.ready.Load() {
		// Start-up is not on the loop here (the loop serves requests from
		// the beginning), so wait for readiness the way Connect's request
		// queue waits for its first tick.
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for !h.ready.Load() {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-h.stopped:
				return errHerderStopped
			case <-tick.C:
			}
		}
	}
	return h.do(ctx, func() error { return nil })
}
