package group

import (
	"io"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"
)

// holdRound is one rebalance the leader computes: at a time since the
// first round, with the members present and the work each reports owning.
type holdRound struct {
	at       time.Duration
	members  map[string]Work
	released []string // work keys whose statuses show a clean stop
	// What the round must produce: work keys handed to each member,
	// work held back, and the delay before members rejoin.
	wantGets  map[string][]string
	wantHeld  []string
	wantDelay time.Duration
}

func TestScheduledRebalanceHold(t *testing.T) {
	const delay = 15 * time.Second
	snap := Snapshot{Offset: 5, Connectors: map[string]int{"fs": 6}}
	// A balanced cluster of three: m1 runs the connector and two tasks.
	m1 := Work{Connectors: []string{"fs"}, Tasks: taskIDs("fs", 0, 1)}
	m2 := Work{Tasks: taskIDs("fs", 2, 3)}
	m3 := Work{Tasks: taskIDs("fs", 4, 5)}
	start := holdRound{members: map[string]Work{"m1": m1, "m2": m2, "m3": m3}}
	plus := func(w Work, keys ...int) Work {
		out := Work{Connectors: slices.Clone(w.Connectors), Tasks: slices.Clone(w.Tasks)}
		out.Tasks = append(out.Tasks, taskIDs("fs", keys...)...)
		return out
	}

	tests := []struct {
		name     string
		maxDelay time.Duration
		rounds   []holdRound
	}{
		{"crashed member's work is held until the delay passes, then reassigned", delay, []holdRound{start,
			{at: 6 * time.Second, members: map[string]Work{"m1": m1, "m2": m2}, wantHeld: []string{"t:fs:4", "t:fs:5"}, wantDelay: delay},
			// A rebalance for another reason keeps holding, with the remaining delay.
			{at: 20 * time.Second, members: map[string]Work{"m1": m1, "m2": m2}, wantHeld: []string{"t:fs:4", "t:fs:5"}, wantDelay: time.Second},
			{at: 21 * time.Second, members: map[string]Work{"m1": m1, "m2": m2}, wantGets: map[string][]string{"m1": {"t:fs:4"}, "m2": {"t:fs:5"}}},
		}},
		{"crashed member running the connector", delay, []holdRound{start,
			{at: 6 * time.Second, members: map[string]Work{"m2": m2, "m3": m3}, wantHeld: []string{"c:fs", "t:fs:0", "t:fs:1"}, wantDelay: delay},
			{at: 21 * time.Second, members: map[string]Work{"m2": m2, "m3": m3}, wantGets: map[string][]string{"m2": {"c:fs", "t:fs:0"}, "m3": {"t:fs:1"}}},
		}},
		{"work stopped cleanly moves at once", delay, []holdRound{start,
			{at: time.Second, members: map[string]Work{"m1": m1, "m2": m2}, released: []string{"t:fs:4", "t:fs:5"},
				wantGets: map[string][]string{"m1": {"t:fs:4"}, "m2": {"t:fs:5"}}},
		}},
		{"only the cleanly stopped part moves at once", delay, []holdRound{start,
			{at: time.Second, members: map[string]Work{"m1": m1, "m2": m2}, released: []string{"t:fs:4"},
				wantGets: map[string][]string{"m1": {"t:fs:4"}}, wantHeld: []string{"t:fs:5"}, wantDelay: delay},
		}},
		{"no delay configured: crashed member's work moves at once", 0, []holdRound{start,
			{at: 6 * time.Second, members: map[string]Work{"m1": m1, "m2": m2}, wantGets: map[string][]string{"m1": {"t:fs:4"}, "m2": {"t:fs:5"}}},
		}},
		{"member back within the delay still running its work keeps it", delay, []holdRound{start,
			{at: 6 * time.Second, members: map[string]Work{"m1": m1, "m2": m2}, wantHeld: []string{"t:fs:4", "t:fs:5"}, wantDelay: delay},
			// Its session expired, so it rejoins under a new member id.
			{at: 10 * time.Second, members: map[string]Work{"m1": m1, "m2": m2, "m3b": m3}},
			// Nothing stays held for it: the deadline no longer matters.
			{at: 30 * time.Second, members: map[string]Work{"m1": m1, "m2": m2, "m3b": m3}},
		}},
		{"restarted member back within the delay gets the held work when it ends", delay, []holdRound{start,
			{at: 6 * time.Second, members: map[string]Work{"m1": m1, "m2": m2}, wantHeld: []string{"t:fs:4", "t:fs:5"}, wantDelay: delay},
			{at: 10 * time.Second, members: map[string]Work{"m1": m1, "m2": m2, "m4": {}}, wantHeld: []string{"t:fs:4", "t:fs:5"}, wantDelay: 11 * time.Second},
			{at: 21 * time.Second, members: map[string]Work{"m1": m1, "m2": m2, "m4": {}}, wantGets: map[string][]string{"m4": {"t:fs:4", "t:fs:5"}}},
		}},
		{"second crash during a hold: each batch waits for its own deadline", delay, []holdRound{start,
			{at: 6 * time.Second, members: map[string]Work{"m1": m1, "m2": m2}, wantHeld: []string{"t:fs:4", "t:fs:5"}, wantDelay: delay},
			{at: 10 * time.Second, members: map[string]Work{"m1": m1}, wantHeld: []string{"t:fs:2", "t:fs:3", "t:fs:4", "t:fs:5"}, wantDelay: 11 * time.Second},
			{at: 21 * time.Second, members: map[string]Work{"m1": m1}, wantGets: map[string][]string{"m1": {"t:fs:4", "t:fs:5"}},
				wantHeld: []string{"t:fs:2", "t:fs:3"}, wantDelay: 4 * time.Second},
			{at: 25 * time.Second, members: map[string]Work{"m1": plus(m1, 4, 5)}, wantGets: map[string][]string{"m1": {"t:fs:2", "t:fs:3"}}},
		}},
	}
	base := time.Unix(1_700_000_000, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var released map[string]bool
			h := newHolds(tt.maxDelay, func(w Work) Work {
				var out Work
				for _, c := range w.Connectors {
					if released["c:"+c] {
						out.Connectors = append(out.Connectors, c)
					}
				}
				for _, x := range w.Tasks {
					if released[workKeys(Work{Tasks: []TaskID{x}})[0]] {
						out.Tasks = append(out.Tasks, x)
					}
				}
				return out
			}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			for i, r := range tt.rounds {
				released = map[string]bool{}
				for _, k := range r.released {
					released[k] = true
				}
				var ms []member
				for _, id := range slices.Sorted(maps.Keys(r.members)) {
					ms = append(ms, member{id: id, meta: Metadata{Version: 1, Owned: r.members[id]}})
				}
				plan, gotDelay := h.assign(snap, ms, base.Add(r.at))

				gets := map[string][]string{}
				assigned := map[string]bool{}
				for id, a := range plan {
					if !a.Revoked.empty() {
						t.Errorf("round %d: %s asked to revoke %+v", i, id, a.Revoked)
					}
					if keys := workKeys(a.Assigned); len(keys) > 0 {
						gets[id] = keys
					}
					for _, k := range workKeys(a.Assigned) {
						assigned[k] = true
					}
				}
				want := r.wantGets
				if want == nil {
					want = map[string][]string{}
				}
				if !reflect.DeepEqual(gets, want) {
					t.Errorf("round %d (at %s): assigned %v, want %v", i, r.at, gets, want)
				}
				// Held work is what nobody runs and nobody was given.
				var held []string
				for _, k := range workKeys(snap.work()) {
					if assigned[k] || ownedBy(r.members, k) {
						continue
					}
					held = append(held, k)
				}
				sort.Strings(held)
				if !slices.Equal(held, r.wantHeld) {
					t.Errorf("round %d (at %s): held %v, want %v", i, r.at, held, r.wantHeld)
				}
				if gotDelay != r.wantDelay {
					t.Errorf("round %d (at %s): rejoin delay %s, want %s", i, r.at, gotDelay, r.wantDelay)
				}
			}
		})
	}
}

func ownedBy(members map[string]Work, key string) bool {
	for _, w := range members {
		if slices.Contains(workKeys(w), key) {
			return true
		}
	}
	return false
}

func taskIDs(conn string, ids ...int) []TaskID {
	out := make([]TaskID, len(ids))
	for i, n := range ids {
		out[i] = TaskID{Connector: conn, Task: n}
	}
	return out
}
