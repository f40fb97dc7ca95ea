package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/internal/logging"
)

// Herder owns this worker's view of the cluster: one goroutine (Run) applies
// group assignments, config topic changes and REST writes in order, like
// Connect's DistributedHerder tick thread. REST reads answer from the stores'
// snapshots without queuing.
type Herder struct {
	log       *slog.Logger
	workerID  string
	clusterID string
	configs   ConfigStore
	status    StatusStore
	offsets   OffsetAdmin
	member    Membership
	rt        *runtime
	validate  func(ctx context.Context, plugin string, config map[string]string) (configdef.Infos, error)
	syncWait  time.Duration
	loggers   *logging.Registry
	noTopics  bool

	reqs    chan func()
	changed chan struct{}
	ready   atomic.Bool
	// stopped is closed when Run returns, so queued requests fail fast.
	stopped chan struct{}

	// Owned by the Run goroutine.
	assignedConnectors map[string]bool
	assignedTasks      map[TaskID]bool
	applied            ClusterConfig

	mu             sync.Mutex // guards the fields below, read by other goroutines
	ownedConns     map[string]bool
	ownedTasks     map[TaskID]bool
	generation     int32
	needsRebalance bool
	// rebalanceAt is the config offset whose change needs a rebalance; an
	// assignment made from that offset or later settles it.
	rebalanceAt int64
}

type restartRequest struct {
	name                     string
	includeTasks, onlyFailed bool
}

// HerderConfig wires a herder.
type HerderConfig struct {
	Logger    *slog.Logger
	WorkerID  string // host:port, as reported in statuses
	ClusterID string
	Configs   ConfigStore
	Status    StatusStore
	Offsets   OffsetAdmin
	Member    Membership
	NewTask   TaskFactory
	// Validate validates a connector config (Connect's common keys plus
	// the plugin's own), as /config/validate answers.
	Validate    func(ctx context.Context, plugin string, config map[string]string) (configdef.Infos, error)
	StopTimeout time.Duration
	// SyncTimeout bounds reading the config topic up to the leader's offset.
	SyncTimeout time.Duration
	// Loggers receives cluster-scoped logger levels; nil ignores them.
	Loggers *logging.Registry
	// DisableTopicTracking (topic.tracking.enable=false): tasks record no
	// active topics.
	DisableTopicTracking bool
}

// NewHerder builds a herder; Run starts it.
func NewHerder(c HerderConfig) *Herder {
	h := &Herder{
		log: c.Logger, workerID: c.WorkerID, clusterID: c.ClusterID, configs: c.Configs, status: c.Status,
		offsets: c.Offsets, member: c.Member, validate: c.Validate, syncWait: c.SyncTimeout, loggers: c.Loggers, noTopics: c.DisableTopicTracking,
		reqs: make(chan func()), changed: make(chan struct{}, 1), stopped: make(chan struct{}),
		assignedConnectors: map[string]bool{}, assignedTasks: map[TaskID]bool{},
	}
	if h.syncWait <= 0 {
		h.syncWait = 3 * time.Second
	}
	h.rt = newRuntime(c.Logger, h, c.NewTask, c.StopTimeout)
	return h
}

// Run runs the herder and its group membership until ctx ends, then stops
// every connector and task this worker runs.
func (h *Herder) Run(ctx context.Context) error {
	// The membership outlives ctx until this worker's work is stopped (see
	// below): leaving the group first would let the leader judge the work
	// before its UNASSIGNED statuses exist, and hold it as if we crashed.
	mctx, cancelMember := context.WithCancel(context.WithoutCancel(ctx))
	memberDone := make(chan error, 1)
	go func() { memberDone <- h.member.Run(mctx) }()
	defer close(h.stopped)
	defer func() {
		// Stop work before leaving the group so a graceful stop hands tasks
		// over at once, with offsets committed.
		h.rt.stopAll()
		cancelMember()
		<-memberDone
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-memberDone:
			memberDone <- err
			if err != nil && ctx.Err() == nil {
				return fmt.Errorf("running group membership: %w", err)
			}
			return nil
		case fn := <-h.reqs:
			fn()
		case <-h.changed:
			h.reconcile(ctx)
		}
	}
}

// do runs fn on the herder goroutine and waits for it.
func (h *Herder) do(ctx context.Context, fn func() error) error {
	done := make(chan error, 1)
	select {
	case h.reqs <- func() { done <- fn() }:
	case <-ctx.Done():
		return ctx.Err()
	case <-h.stopped:
		return errHerderStopped
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

var errHerderStopped = errors.New("the worker is shutting down")

// ConfigChanged implements ConfigListener.
func (h *Herder) ConfigChanged() {
	select {
	case h.changed <- struct{}{}:
	default:
	}
}

// RestartRequested implements ConfigListener: restart records are applied
// by whichever worker runs the connector or tasks.
func (h *Herder) RestartRequested(name string, includeTasks, onlyFailed bool) {
	go func() {
		_ = h.do(context.Background(), func() error {
			h.applyRestart(context.Background(), restartRequest{name, includeTasks, onlyFailed})
			return nil
		})
	}()
}

// LoggerLevelChanged implements ConfigListener: every worker applies a
// cluster-scoped level as it reads it, outside the herder goroutine as the
// registry has its own lock.
func (h *Herder) LoggerLevelChanged(namespace, level string) {
	if h.loggers == nil {
		return
	}
	l, ok := logging.ParseLevel(level)
	if !ok {
		h.log.Warn("ignoring cluster logger level that is not a level", "namespace", namespace, "level", level)
		return
	}
	affected := h.loggers.Set(namespace, l)
	h.log.Info("applied cluster logger level", "namespace", namespace, "level", level, "affected", len(affected))
}

// ----- assignment handling (AssignmentHandler) -----

// Snapshot implements AssignmentHandler.
func (h *Herder) Snapshot() ClusterConfig { return h.configs.Snapshot() }

// OnRevoked stops revoked work before the group completes the rebalance.
func (h *Herder) OnRevoked(ctx context.Context, a Assignment) {
	_ = h.do(ctx, func() error {
		for _, id := range a.RevokedTasks {
			h.rt.stopTask(id)
			delete(h.assignedTasks, id)
		}
		for _, n := range a.RevokedConnectors {
			h.rt.stopConnector(n)
			delete(h.assignedConnectors, n)
		}
		h.publishOwned()
		return nil
	})
}

// publishOwned copies the assignment for readers on other goroutines.
func (h *Herder) publishOwned() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ownedConns = maps.Clone(h.assignedConnectors)
	h.ownedTasks = maps.Clone(h.assignedTasks)
}

// OnAssigned applies a new assignment.
func (h *Herder) OnAssigned(ctx context.Context, a Assignment) {
	_ = h.do(ctx, func() error {
		h.applyAssignment(ctx, a)
		return nil
	})
}

func (h *Herder) applyAssignment(ctx context.Context, a Assignment) {
	if a.ConfigMismatch || h.configs.Snapshot().Offset < a.ConfigOffset {
		sctx, cancel := context.WithTimeout(ctx, h.syncWait)
		err := h.configs.Refresh(sctx)
		cancel()
		if err != nil || a.ConfigMismatch {
			h.log.Warn("config topic behind the leader's; rejoining", "leader_offset", a.ConfigOffset, "error", err)
			h.member.RequestRejoin()
			return
		}
	}
	h.mu.Lock()
	h.generation = a.Generation
	h.mu.Unlock()

	if a.Full {
		keepC := toSet(a.Connectors)
		for n := range h.assignedConnectors {
			if !keepC[n] {
				h.rt.stopConnector(n)
				delete(h.assignedConnectors, n)
			}
		}
		keepT := toSet(a.Tasks)
		for id := range h.assignedTasks {
			if !keepT[id] {
				h.rt.stopTask(id)
				delete(h.assignedTasks, id)
			}
		}
	}
	// Bring work we already run up to date first: h.applied is what it
	// reflects, and new work starts from the same snapshot.
	h.reconcile(ctx)
	snap := h.applied
	h.mu.Lock()
	if a.ConfigOffset >= h.rebalanceAt {
		h.needsRebalance = false
	}
	h.mu.Unlock()
	for _, n := range a.Connectors {
		if h.assignedConnectors[n] {
			continue
		}
		h.assignedConnectors[n] = true
		h.startConnector(ctx, snap, n)
	}
	for _, id := range a.Tasks {
		if h.assignedTasks[id] {
			continue
		}
		h.assignedTasks[id] = true
		h.startTask(ctx, snap, id)
	}
	h.publishOwned()
	h.ready.Store(true)
	h.log.Info("assignment applied", "generation", a.Generation, "connectors", a.Connectors, "tasks", len(a.Tasks), "config_offset", snap.Offset)
}

func (h *Herder) startConnector(ctx context.Context, snap ClusterConfig, name string) {
	cfg, ok := snap.Connectors[name]
	if !ok {
		return
	}
	if err := h.rt.startConnector(ctx, name, cfg, snap.Target(name)); err != nil {
		h.log.Error("connector failed to start", "connector", name, "error", err)
		return
	}
	h.reconfigureTasks(ctx, snap, name)
}

func (h *Herder) startTask(ctx context.Context, snap ClusterConfig, id TaskID) {
	tasks := snap.Tasks[id.Connector]
	if id.Task >= len(tasks) || snap.Connectors[id.Connector] == nil {
		return
	}
	target := snap.Target(id.Connector)
	if target == TargetStopped {
		return
	}
	if err := h.rt.startTask(ctx, id, snap.Connectors[id.Connector], tasks[id.Task], target); err != nil {
		h.log.Error("task failed to start", "task", id.String(), "error", err)
	}
}

// reconfigureTasks regenerates a running connector's task configs and
// writes them when they changed. Connect routes this write through the
// leader; any worker may write the config topic, and the commit record
// makes the set of task configs appear atomically to every worker.
func (h *Herder) reconfigureTasks(ctx context.Context, snap ClusterConfig, name string) {
	var desired []map[string]string
	if snap.Target(name) != TargetStopped {
		if !h.rt.connectorRunning(name) {
			return
		}
		maxTasks := 1
		if v, err := parsePositiveInt(snap.Connectors[name]["tasks.max"]); err == nil {
			maxTasks = v
		}
		var err error
		desired, err = h.rt.taskConfigs(name, maxTasks)
		if err != nil {
			h.log.Error("generating task configs", "connector", name, "error", err)
			return
		}
		desired = decorateTaskConfigs(snap.Connectors[name], desired)
	}
	if equalTaskConfigs(desired, snap.Tasks[name]) {
		return
	}
	if err := h.configs.PutTaskConfigs(ctx, name, desired); err != nil {
		h.log.Error("writing task configs", "connector", name, "error", err)
	}
}

// reconcile applies config topic changes to the work this worker owns.
func (h *Herder) reconcile(ctx context.Context) {
	prev := h.applied
	snap := h.configs.Snapshot()
	h.applied = snap
	if membershipChanged(prev, snap) {
		h.mu.Lock()
		h.needsRebalance = true
		h.rebalanceAt = snap.Offset
		h.mu.Unlock()
		h.member.RequestRejoin()
	}
	for n := range h.assignedConnectors {
		cfg, ok := snap.Connectors[n]
		switch {
		case !ok:
			h.rt.stopConnector(n)
			// Connect writes tombstones for a deleted connector's statuses.
			if err := h.status.DeleteConnector(ctx, n, len(prev.Tasks[n])); err != nil {
				h.log.Warn("deleting statuses of removed connector", "connector", n, "error", err)
			}
		case !maps.Equal(cfg, prev.Connectors[n]) || !h.rt.ownsConnector(n):
			h.startConnector(ctx, snap, n)
		case snap.Target(n) != prev.Target(n):
			if snap.Target(n) == TargetStopped || prev.Target(n) == TargetStopped {
				h.startConnector(ctx, snap, n)
			} else {
				h.rt.setConnectorTarget(n, snap.Target(n))
			}
		}
	}
	for id := range h.assignedTasks {
		tasks := snap.Tasks[id.Connector]
		target := snap.Target(id.Connector)
		switch {
		case snap.Connectors[id.Connector] == nil || id.Task >= len(tasks) || target == TargetStopped:
			h.rt.stopTask(id)
		case id.Task >= len(prev.Tasks[id.Connector]) || !maps.Equal(tasks[id.Task], prev.Tasks[id.Connector][id.Task]) ||
			prev.Target(id.Connector) == TargetStopped:
			h.startTask(ctx, snap, id)
		case target != prev.Target(id.Connector):
			h.rt.setTaskTarget(id, target)
		}
	}
}

// membershipChanged reports whether the assignable work changed: a
// connector added or removed, or a connector's task count changed.
func membershipChanged(a, b ClusterConfig) bool {
	if len(a.Connectors) != len(b.Connectors) {
		return true
	}
	for n := range b.Connectors {
		if _, ok := a.Connectors[n]; !ok || len(a.Tasks[n]) != len(b.Tasks[n]) {
			return true
		}
	}
	return false
}

func (h *Herder) applyRestart(ctx context.Context, r restartRequest) {
	snap := h.configs.Snapshot()
	if snap.Connectors[r.name] == nil {
		return
	}
	if h.assignedConnectors[r.name] {
		st, _ := h.status.Connector(r.name)
		if !r.onlyFailed || st.State == StateFailed {
			h.startConnector(ctx, snap, r.name)
		}
	}
	if !r.includeTasks {
		return
	}
	for _, id := range snap.TaskIDs(r.name) {
		if !h.assignedTasks[id] {
			continue
		}
		st, _ := h.status.Task(id)
		if !r.onlyFailed || st.State == StateFailed {
			h.startTask(ctx, snap, id)
		}
	}
}

// ----- status reporting (StatusSink) -----

func (h *Herder) currentGeneration() int32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.generation
}

// ConnectorState implements StatusSink.
func (h *Herder) ConnectorState(name string, state State, trace string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := ConnectorState{State: state, WorkerID: h.workerID, Trace: trace, Version: h.pluginVersion(name)}
	if err := h.status.PutConnector(ctx, name, s, h.currentGeneration()); err != nil {
		h.log.Error("writing connector status", "connector", name, "state", state, "error", err)
	}
}

// TaskState implements StatusSink.
func (h *Herder) TaskState(id TaskID, state State, trace string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := TaskState{ID: id.Task, State: state, WorkerID: h.workerID, Trace: trace, Version: h.pluginVersion(id.Connector)}
	if err := h.status.PutTask(ctx, id, s, h.currentGeneration()); err != nil {
		h.log.Error("writing task status", "task", id.String(), "state", state, "error", err)
	}
}

// pluginVersion is the version of a connector's plugin, which Connect 4.x
// reports in statuses.
func (h *Herder) pluginVersion(name string) string {
	p, err := connectors.Lookup(h.configs.Snapshot().Connectors[name]["connector.class"])
	if err != nil {
		return ""
	}
	return p.Version
}

// TopicUsed implements StatusSink.
func (h *Herder) TopicUsed(id TaskID, topic string) {
	if h.noTopics {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.status.PutActiveTopic(ctx, id.Connector, topic, id.Task); err != nil {
		h.log.Warn("recording active topic", "connector", id.Connector, "topic", topic, "error", err)
	}
}

// ----- helpers -----

func toSet[T comparable](xs []T) map[T]bool {
	m := make(map[T]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func equalTaskConfigs(a, b []map[string]string) bool {
	return slices.EqualFunc(a, b, func(x, y map[string]string) bool { return maps.Equal(x, y) })
}

func parsePositiveInt(s string) (int, error) {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
		return 0, errors.New("not a positive integer")
	}
	return n, nil
}
