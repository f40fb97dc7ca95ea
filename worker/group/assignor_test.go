package group

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
)

// simulate runs rounds of the cooperative protocol until no member is
// asked to revoke anything, applying each round's changes to what members
// own, as members do between rejoins.
func simulate(t *testing.T, snap Snapshot, owned map[string]Work) map[string]Work {
	t.Helper()
	for round := 0; round < 5; round++ {
		var ms []member
		for id, w := range owned {
			ms = append(ms, member{id: id, meta: Metadata{Version: 2, Owned: w}})
		}
		out := assignCooperative(snap, ms)
		revoked := false
		next := map[string]Work{}
		for id, a := range out {
			w := owned[id]
			w = minus(w, a.Revoked)
			w.Connectors = append(w.Connectors, a.Assigned.Connectors...)
			w.Tasks = append(w.Tasks, a.Assigned.Tasks...)
			next[id] = w
			revoked = revoked || !a.Revoked.empty()
		}
		owned = next
		if !revoked {
			return owned
		}
	}
	t.Fatal("assignment did not converge in 5 rounds")
	return nil
}

func minus(w, r Work) Work {
	rc := map[string]bool{}
	for _, c := range r.Connectors {
		rc[c] = true
	}
	rt := map[TaskID]bool{}
	for _, x := range r.Tasks {
		rt[x] = true
	}
	var out Work
	for _, c := range w.Connectors {
		if !rc[c] {
			out.Connectors = append(out.Connectors, c)
		}
	}
	for _, x := range w.Tasks {
		if !rt[x] {
			out.Tasks = append(out.Tasks, x)
		}
	}
	return out
}

func counts(owned map[string]Work) (conns, tasks []int, total int) {
	for _, id := range sortedKeys(owned) {
		conns = append(conns, len(owned[id].Connectors))
		tasks = append(tasks, len(owned[id].Tasks))
		total += len(owned[id].Tasks)
	}
	return conns, tasks, total
}

func sortedKeys(m map[string]Work) []string {
	return slices.Sorted(maps.Keys(m))
}

func balanced(xs []int) bool {
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return hi-lo <= 1
}

func TestCooperativeAssignment(t *testing.T) {
	snap := Snapshot{Offset: 10, Connectors: map[string]int{"a": 4, "b": 4, "c": 1}}
	tests := []struct {
		name  string
		owned map[string]Work
	}{
		{"fresh cluster of three", map[string]Work{"m1": {}, "m2": {}, "m3": {}}},
		{"one member holds everything, two join", map[string]Work{
			"m1": {Connectors: []string{"a", "b", "c"}, Tasks: tasksOf("a", 4, "b", 4, "c", 1)}, "m2": {}, "m3": {}}},
		{"member died: its work is free", map[string]Work{
			"m1": {Connectors: []string{"a"}, Tasks: tasksOf("a", 4)}, "m2": {Connectors: []string{"b"}, Tasks: tasksOf("b", 2)}}},
		{"deleted connector and duplicate are revoked", map[string]Work{
			"m1": {Connectors: []string{"a", "gone"}, Tasks: append(tasksOf("a", 2), TaskID{"gone", 0})},
			"m2": {Connectors: []string{"a"}, Tasks: tasksOf("a", 2)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			final := simulate(t, snap, tt.owned)
			conns, tasks, total := counts(final)
			if total != 9 || !balanced(tasks) || !balanced(conns) {
				t.Fatalf("final assignment not complete and balanced: conns=%v tasks=%v total=%d (%v)", conns, tasks, total, final)
			}
			seen := map[string]bool{}
			for _, w := range final {
				for _, x := range w.Tasks {
					k := fmt.Sprint(x)
					if seen[k] {
						t.Fatalf("task %v assigned twice", x)
					}
					seen[k] = true
				}
			}
		})
	}
}

func TestCooperativeKeepsStableAssignment(t *testing.T) {
	snap := Snapshot{Connectors: map[string]int{"a": 2}}
	owned := map[string]Work{"m1": {Connectors: []string{"a"}, Tasks: tasksOf("a", 1)}, "m2": {Tasks: []TaskID{{"a", 1}}}}
	var ms []member
	for id, w := range owned {
		ms = append(ms, member{id: id, meta: Metadata{Owned: w}})
	}
	for id, a := range assignCooperative(snap, ms) {
		if !a.Assigned.empty() || !a.Revoked.empty() {
			t.Fatalf("balanced cluster got changes for %s: %+v", id, a)
		}
	}
}

func tasksOf(args ...any) []TaskID {
	var out []TaskID
	for i := 0; i < len(args); i += 2 {
		for n := range args[i+1].(int) {
			out = append(out, TaskID{Connector: args[i].(string), Task: n})
		}
	}
	return out
}

func TestProtocolRoundTrip(t *testing.T) {
	a := Assignment{Version: 2, Error: 0, Leader: "m1", LeaderURL: "http://h:8083/", ConfigOffset: 42,
		Assigned: Work{Connectors: []string{"c1"}, Tasks: []TaskID{{"c1", 0}, {"c2", 3}}}, Revoked: Work{Tasks: []TaskID{{"c3", 1}}}, DelayMillis: 500}
	got, err := DecodeAssignment(EncodeAssignment(a))
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	m := Metadata{Version: 1, URL: "http://h:8083/", ConfigOffset: 7, Owned: Work{Connectors: []string{"c1"}, Tasks: []TaskID{{"c1", 0}}}}
	gm, err := DecodeMetadata(EncodeMetadata(ProtocolCompatible, m))
	if err != nil || !reflect.DeepEqual(gm, m) {
		t.Fatalf("metadata round trip: %+v, %v", gm, err)
	}
}

// TestProtocolBytes pins the wire form against Connect's schema: version,
// url, offset, then a null allocation for a member with no work.
func TestProtocolBytes(t *testing.T) {
	got := EncodeMetadata(ProtocolSessioned, Metadata{URL: "u", ConfigOffset: 1})
	want := []byte{0, 2, 0, 1, 'u', 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("metadata bytes = %v, want %v", got, want)
	}
	got = EncodeAssignment(Assignment{Version: 0, Leader: "l", LeaderURL: "u", ConfigOffset: 2, Assigned: Work{Connectors: []string{"c"}, Tasks: []TaskID{{"c", 0}}}})
	want = []byte{0, 0, 0, 0, 0, 1, 'l', 0, 1, 'u', 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 'c', 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("v0 assignment bytes = %v, want %v", got, want)
	}
	// An incremental assignment with nothing assigned or revoked has empty
	// arrays, as Connect's leader writes them: Apache Connect's workers add
	// the next round's work to the lists they decode, and a null array
	// decodes to an immutable one (their herder thread died on it).
	got = EncodeAssignment(Assignment{Version: 2, Leader: "l", LeaderURL: "u", ConfigOffset: 2, DelayMillis: 3})
	want = []byte{0, 2, 0, 0, 0, 1, 'l', 0, 1, 'u', 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("empty v2 assignment bytes = %v, want %v", got, want)
	}
}

// TestCooperativeRevokesDuplicatesFromAll: work two members claim (one
// rejoined after losing its membership while the other took it over) is
// revoked from both and handed out in the next round, as Connect does;
// keeping the first claim left a task with a worker that had stopped it.
func TestCooperativeRevokesDuplicatesFromAll(t *testing.T) {
	snap := Snapshot{Offset: 1, Connectors: map[string]int{"a": 3}}
	dup := TaskID{"a", 1}
	for _, first := range []string{"m1", "m2"} {
		t.Run("first claim by "+first, func(t *testing.T) {
			owned := map[string]Work{
				"m1": {Connectors: []string{"a"}, Tasks: []TaskID{{"a", 0}, dup}},
				"m2": {Tasks: []TaskID{dup, {"a", 2}}},
			}
			ms := []member{{id: first, meta: Metadata{Version: 2, Owned: owned[first]}}}
			for id, w := range owned {
				if id != first {
					ms = append(ms, member{id: id, meta: Metadata{Version: 2, Owned: w}})
				}
			}
			out := assignCooperative(snap, ms)
			for id, a := range out {
				if !slices.Contains(a.Revoked.Tasks, dup) {
					t.Errorf("%s keeps %v, which %v also claims: revoked %v", id, dup, owned, a.Revoked.Tasks)
				}
				if slices.Contains(a.Assigned.Tasks, dup) {
					t.Errorf("%s is given %v in the round that revokes it", id, dup)
				}
			}
			final := simulate(t, snap, owned)
			holders := 0
			for _, w := range final {
				if slices.Contains(w.Tasks, dup) {
					holders++
				}
			}
			if holders != 1 {
				t.Fatalf("%v held by %d members after the rounds: %v", dup, holders, final)
			}
		})
	}
}
