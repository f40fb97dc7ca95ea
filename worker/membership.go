package worker

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/gonnect/gonnect/worker/group"
)

// GroupMembership is a distributed worker's Membership: the Connect group
// protocol through Kafka's group coordinator.
type GroupMembership struct {
	*group.Member
}

// NewGroupMembership builds the membership; SetHandler binds the herder.
func NewGroupMembership(cfg group.Config) (*GroupMembership, error) {
	m, err := group.New(cfg, nil)
	if err != nil {
		return nil, err
	}
	return &GroupMembership{Member: m}, nil
}

// SetHandler binds the herder; call before Run.
func (g *GroupMembership) SetHandler(h *Herder) { g.Member.SetHandler(groupHandler{h}) }

// releasedReadTimeout bounds catching up on statuses during a rebalance.
const releasedReadTimeout = 3 * time.Second

// groupHandler translates between the group protocol's types and the herder's.
type groupHandler struct{ h *Herder }

func (g groupHandler) Snapshot() group.Snapshot {
	snap := g.h.Snapshot()
	out := group.Snapshot{Offset: snap.Offset, Connectors: make(map[string]int, len(snap.Connectors))}
	for n := range snap.Connectors {
		out.Connectors[n] = len(snap.Tasks[n])
	}
	return out
}

func (g groupHandler) Owned() group.Work {
	conns, tasks := g.h.Owned()
	return group.Work{Connectors: conns, Tasks: toGroupTasks(tasks)}
}

func (g groupHandler) CatchUp(ctx context.Context) (bool, time.Duration) { return g.h.CatchUp(ctx) }

func (g groupHandler) OnRevoked(ctx context.Context, w group.Work) {
	g.h.OnRevoked(ctx, Assignment{RevokedConnectors: w.Connectors, RevokedTasks: fromGroupTasks(w.Tasks)})
}

func (g groupHandler) OnAssigned(ctx context.Context, r group.Result) {
	g.h.OnAssigned(ctx, Assignment{
		ConfigMismatch: r.Error == group.ErrConfigMismatch, LeaderURL: r.LeaderURL, ConfigOffset: r.ConfigOffset,
		Generation: r.Generation, Connectors: r.Assigned.Connectors, Tasks: fromGroupTasks(r.Assigned.Tasks),
		// The eager protocol assigns everything anew each time.
		Full: r.Version == 0,
	})
}

// Released is the work whose statuses say its worker stopped it cleanly
// (UNASSIGNED), so it moves at once instead of after the rebalance delay.
func (g groupHandler) Released(w group.Work) group.Work {
	// A worker that stops cleanly writes its statuses before leaving the
	// group, but the rebalance its leaving starts can reach this leader
	// before its status reader does: read up to now first.
	ctx, cancel := context.WithTimeout(context.Background(), releasedReadTimeout)
	err := g.h.status.Refresh(ctx)
	cancel()
	if err != nil {
		g.h.log.Warn("reading statuses before judging a departed worker's work; using what was read", "error", err)
	}
	var out group.Work
	for _, c := range w.Connectors {
		if st, ok := g.h.status.Connector(c); !ok || st.State == entities.StateUnassigned {
			out.Connectors = append(out.Connectors, c)
		}
	}
	for _, t := range w.Tasks {
		if st, ok := g.h.status.Task(entities.TaskID{Connector: t.Connector, Task: t.Task}); !ok || st.State == entities.StateUnassigned {
			out.Tasks = append(out.Tasks, t)
		}
	}
	return out
}

func toGroupTasks(ts []entities.TaskID) []group.TaskID {
	out := make([]group.TaskID, len(ts))
	for i, t := range ts {
		out[i] = group.TaskID{Connector: t.Connector, Task: t.Task}
	}
	return out
}

func fromGroupTasks(ts []group.TaskID) []entities.TaskID {
	out := make([]entities.TaskID, len(ts))
	for i, t := range ts {
		out[i] = entities.TaskID{Connector: t.Connector, Task: t.Task}
	}
	return out
}

// Owned returns what the group assigned to this worker.
func (h *Herder) Owned() ([]string, []entities.TaskID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Sorted(maps.Keys(h.ownedConns)), slices.Collect(maps.Keys(h.ownedTasks))
}
