package group

import (
	"fmt"
	"log/slog"
	"time"
)

// holds is the leader's memory across rounds for
// scheduled.rebalance.max.delay.ms: what each member owned after the last
// round, and the work of members that left without handing it over, held
// back until its deadline so a worker that restarts quickly finds it
// unassigned instead of the cluster shuffling twice.
type holds struct {
	maxDelay time.Duration
	// released returns the part of w that its owner stopped cleanly
	// (its statuses say so); that work moves at once.
	released  func(w Work) Work
	log       *slog.Logger
	prevOwned map[string]Work
	held      map[string]time.Time // work key -> deadline
}

func newHolds(maxDelay time.Duration, released func(Work) Work, log *slog.Logger) *holds {
	if log == nil {
		log = slog.Default()
	}
	return &holds{maxDelay: maxDelay, released: released, log: log, held: map[string]time.Time{}}
}

// assign plans one cooperative round at now. Besides the plan it returns
// after how long members should rejoin so held work is handed out once its
// deadline passes (zero when nothing is held).
func (h *holds) assign(snap Snapshot, members []member, now time.Time) (map[string]Assignment, time.Duration) {
	plan := assignCooperativeHolding(snap, members, h.lostWork(members, now))
	h.remember(members, plan)
	var delay time.Duration
	for _, dl := range h.held {
		// The earliest deadline: held work never waits beyond its own.
		if d := dl.Sub(now); delay == 0 || d < delay {
			delay = d
		}
	}
	return plan, delay
}

func workKeys(w Work) []string {
	keys := make([]string, 0, len(w.Connectors)+len(w.Tasks))
	for _, c := range w.Connectors {
		keys = append(keys, "c:"+c)
	}
	for _, t := range w.Tasks {
		keys = append(keys, fmt.Sprintf("t:%s:%d", t.Connector, t.Task))
	}
	return keys
}

// lostWork returns the keys of work to hold back this round: work of
// members that left without releasing it, until its deadline passes.
func (h *holds) lostWork(members []member, now time.Time) map[string]bool {
	present := map[string]bool{}
	owned := map[string]bool{}
	for _, mm := range members {
		present[mm.id] = true
		for _, k := range workKeys(mm.meta.Owned) {
			owned[k] = true
		}
	}
	if h.maxDelay > 0 {
		for id, w := range h.prevOwned {
			if present[id] {
				continue
			}
			released := map[string]bool{}
			if h.released != nil {
				for _, k := range workKeys(h.released(w)) {
					released[k] = true
				}
			}
			for _, k := range workKeys(w) {
				if _, ok := h.held[k]; !ok && !owned[k] && !released[k] {
					h.held[k] = now.Add(h.maxDelay)
					h.log.Info("holding work of a departed worker", "work", k, "until", h.held[k].Format(time.RFC3339))
				}
			}
		}
	}
	hold := map[string]bool{}
	for k, dl := range h.held {
		if owned[k] || !now.Before(dl) {
			delete(h.held, k) // back, or waited long enough
			continue
		}
		hold[k] = true
	}
	return hold
}

// remember records what each member owns once this round's plan applies,
// so a member that then disappears is known with all its work.
func (h *holds) remember(members []member, plan map[string]Assignment) {
	h.prevOwned = map[string]Work{}
	for _, mm := range members {
		a := plan[mm.id]
		revoked := map[string]bool{}
		for _, k := range workKeys(a.Revoked) {
			revoked[k] = true
		}
		var w Work
		for _, c := range mm.meta.Owned.Connectors {
			if !revoked["c:"+c] {
				w.Connectors = append(w.Connectors, c)
			}
		}
		for _, t := range mm.meta.Owned.Tasks {
			if !revoked[fmt.Sprintf("t:%s:%d", t.Connector, t.Task)] {
				w.Tasks = append(w.Tasks, t)
			}
		}
		w.Connectors = append(w.Connectors, a.Assigned.Connectors...)
		w.Tasks = append(w.Tasks, a.Assigned.Tasks...)
		h.prevOwned[mm.id] = w
	}
}
