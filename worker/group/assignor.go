package group

import (
	"fmt"
	"sort"
)

// Snapshot is the config the leader assigns from: connectors and their
// task counts at a config topic offset.
type Snapshot struct {
	Offset     int64
	Connectors map[string]int
}

// member is one group member as the leader sees it.
type member struct {
	id   string
	meta Metadata
}

// assignCooperative computes incremental assignments the way Connect's
// IncrementalCooperativeAssignor does in its steady state: work no longer
// configured, or held twice, is revoked; work nobody holds is given to the
// least loaded members; and when members are unbalanced, the excess is
// revoked now and handed out in the round that follows (members rejoin
// after a revocation).
func assignCooperative(snap Snapshot, members []member) map[string]Assignment {
	return assignCooperativeHolding(snap, members, nil)
}

// assignCooperativeHolding is assignCooperative keeping the work in hold
// (keys of workKeys) unassigned this round.
func assignCooperativeHolding(snap Snapshot, members []member, hold map[string]bool) map[string]Assignment {
	sort.Slice(members, func(i, j int) bool { return members[i].id < members[j].id })
	out := make(map[string]Assignment, len(members))
	if len(members) == 0 {
		return out
	}
	all := snap.work()
	allConns, allTasks := all.Connectors, all.Tasks
	wantConn := make(map[string]bool, len(allConns))
	for _, c := range allConns {
		wantConn[c] = true
	}
	wantTask := make(map[TaskID]bool, len(allTasks))
	for _, t := range allTasks {
		wantTask[t] = true
	}

	type load struct {
		conns   []string
		tasks   []TaskID
		revoked Work
		added   Work
	}
	// Work two members claim (one rejoined after losing its membership
	// while another took its work over) is revoked from both, as Connect's
	// assignor does: either may be the one that no longer runs it, and
	// keeping the first claim could leave it with a member that stopped it
	// (or two running it). It is handed out in the next round.
	connClaims, taskClaims := map[string]int{}, map[TaskID]int{}
	for _, m := range members {
		for _, c := range m.meta.Owned.Connectors {
			connClaims[c]++
		}
		for _, t := range m.meta.Owned.Tasks {
			taskClaims[t]++
		}
	}
	loads := make([]*load, len(members))
	heldConn := map[string]bool{}
	heldTask := map[TaskID]bool{}
	for i, m := range members {
		l := &load{}
		for _, c := range m.meta.Owned.Connectors {
			if !wantConn[c] || connClaims[c] > 1 {
				l.revoked.Connectors = append(l.revoked.Connectors, c)
				continue
			}
			heldConn[c] = true
			l.conns = append(l.conns, c)
		}
		for _, t := range m.meta.Owned.Tasks {
			if !wantTask[t] || taskClaims[t] > 1 {
				l.revoked.Tasks = append(l.revoked.Tasks, t)
				continue
			}
			heldTask[t] = true
			l.tasks = append(l.tasks, t)
		}
		loads[i] = l
	}
	// Each member's share: total/n, and one more for total%n of them,
	// preferring those that already hold more so fewer things move.
	caps := func(count func(*load) int, total int) []int {
		n := len(loads)
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return count(loads[order[a]]) > count(loads[order[b]]) })
		out := make([]int, n)
		for rank, i := range order {
			out[i] = total / n
			if rank < total%n {
				out[i]++
			}
		}
		return out
	}
	connCaps := caps(func(l *load) int { return len(l.conns) }, len(allConns))
	taskCaps := caps(func(l *load) int { return len(l.tasks) }, len(allTasks))
	// Revoke what exceeds the share; it moves in the next round.
	for i, l := range loads {
		if len(l.conns) > connCaps[i] {
			extra := l.conns[connCaps[i]:]
			l.revoked.Connectors = append(l.revoked.Connectors, extra...)
			l.conns = l.conns[:connCaps[i]]
		}
		if len(l.tasks) > taskCaps[i] {
			sortTasks(l.tasks)
			extra := l.tasks[taskCaps[i]:]
			l.revoked.Tasks = append(l.revoked.Tasks, extra...)
			l.tasks = l.tasks[:taskCaps[i]]
		}
	}
	// Hand out unheld work to the least loaded members.
	for _, c := range allConns {
		if heldConn[c] || hold["c:"+c] || connClaims[c] > 1 {
			continue
		}
		best := loads[0]
		for _, l := range loads[1:] {
			if len(l.conns) < len(best.conns) {
				best = l
			}
		}
		best.conns = append(best.conns, c)
		best.added.Connectors = append(best.added.Connectors, c)
	}
	for _, t := range allTasks {
		if heldTask[t] || hold[fmt.Sprintf("t:%s:%d", t.Connector, t.Task)] || taskClaims[t] > 1 {
			continue
		}
		best := loads[0]
		for _, l := range loads[1:] {
			if len(l.tasks) < len(best.tasks) {
				best = l
			}
		}
		best.tasks = append(best.tasks, t)
		best.added.Tasks = append(best.added.Tasks, t)
	}
	for i, m := range members {
		out[m.id] = Assignment{Assigned: loads[i].added, Revoked: loads[i].revoked}
	}
	return out
}

// assignEager computes full assignments (protocol "default"): connectors
// and tasks spread round robin over members in id order.
func assignEager(snap Snapshot, members []member) map[string]Assignment {
	sort.Slice(members, func(i, j int) bool { return members[i].id < members[j].id })
	out := make(map[string]Assignment, len(members))
	if len(members) == 0 {
		return out
	}
	all := snap.work()
	conns, tasks := all.Connectors, all.Tasks
	works := make([]Work, len(members))
	for i, c := range conns {
		works[i%len(members)].Connectors = append(works[i%len(members)].Connectors, c)
	}
	for i, t := range tasks {
		works[i%len(members)].Tasks = append(works[i%len(members)].Tasks, t)
	}
	for i, m := range members {
		out[m.id] = Assignment{Assigned: works[i]}
	}
	return out
}

// work is every connector and task of the snapshot, sorted.
func (snap Snapshot) work() Work {
	var w Work
	for c, n := range snap.Connectors {
		w.Connectors = append(w.Connectors, c)
		for i := range n {
			w.Tasks = append(w.Tasks, TaskID{Connector: c, Task: i})
		}
	}
	sort.Strings(w.Connectors)
	sortTasks(w.Tasks)
	return w
}

func sortTasks(ts []TaskID) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Connector != ts[j].Connector {
			return ts[i].Connector < ts[j].Connector
		}
		return ts[i].Task < ts[j].Task
	})
}
