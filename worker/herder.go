package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/internal/logging"
	"github.com/gonnect/gonnect/worker/metrics"
)

// Herder owns this worker's view of the cluster: one goroutine (Run) applies
// group assignments, config topic changes and REST writes in order, like
// Connect's DistributedHerder tick thread. REST reads answer from the stores'
// snapshots without queuing.
type Herder struct {
	log        *slog.Logger
	workerID   string
	clusterID  string
	configs    ConfigStore
	status     StatusStore
	offsets    OffsetAdmin
	adminProps func(map[string]string) (map[string]string, error)
	member     Membership
	rt         *runtime
	validate   func(ctx context.Context, plugin string, config map[string]string) (configdef.Infos, error)
	syncWait   time.Duration
	// unsyncBackoff and rebalanceDelay pace rejoining after the config
	// topic could not be read in time (see unsynced).
	unsyncBackoff  time.Duration
	rebalanceDelay time.Duration
	loggers        *logging.Registry
	noTopics       bool
	// keys is nil for a standalone worker; groupID names the fenced
	// transactional producers; fence fences them out.
	keys           *SessionKeyConfig
	groupID        string
	fence          func(ctx context.Context, transactionalIDs []string) error
	internalClient *http.Client
	// runCtx is Run's context (ended when Run returns); forwards are the
	// task config forwards in flight, which Run waits for.
	runCtx   context.Context
	forwards sync.WaitGroup
	// fwdMu guards fwdBusy (connectors with a forward in flight) and
	// fwdNext (the configs each forwards next); see forwardTaskConfigs.
	fwdMu   sync.Mutex
	fwdBusy map[string]bool
	fwdNext map[string]taskForward

	reqs    chan func()
	changed chan struct{}
	ready   atomic.Bool
	// stopped is closed when Run returns, so queued requests fail fast.
	stopped chan struct{}

	// restarts queues the config topic's restart records for the Run
	// goroutine, which applies them in order.
	restartMu   sync.Mutex
	restarts    []restartRequest
	restartKick chan struct{}

	// Owned by the Run goroutine.
	backoffRetries     int
	eager              bool // the last assignment was the eager protocol's
	assignedConnectors map[string]bool
	assignedTasks      map[entities.TaskID]bool
	applied            entities.ClusterConfig
	keyTimer           *time.Timer
	keyRetryAt         time.Time

	mu             sync.Mutex // guards the fields below, read by other goroutines
	ownedConns     map[string]bool
	ownedTasks     map[entities.TaskID]bool
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
	// SyncTimeout bounds reading the config topic up to the leader's offset
	// (worker.sync.timeout.ms).
	SyncTimeout time.Duration
	// UnsyncBackoff is how long a worker that could not catch up stays out
	// of the group under the eager protocol (worker.unsync.backoff.ms);
	// ScheduledRebalanceDelay paces it under the incremental ones
	// (scheduled.rebalance.max.delay.ms), as Connect does.
	UnsyncBackoff           time.Duration
	ScheduledRebalanceDelay time.Duration
	// Loggers receives cluster-scoped logger levels; nil ignores them.
	Loggers *logging.Registry
	// DisableTopicTracking (topic.tracking.enable=false): tasks record no
	// active topics.
	DisableTopicTracking bool
	// ConfigTransform resolves config provider placeholders of connector
	// and task configs when they start; stored configs keep them.
	ConfigTransform func(map[string]string) (map[string]string, error)
	// AdminClientProps are the settings of the admin client that reads and
	// changes a sink connector's offsets, from its (resolved) config: the
	// worker's admin.* and the connector's admin.override.*, as Connect's;
	// nil uses the offset admin's own.
	AdminClientProps func(connector map[string]string) (map[string]string, error)
	// Metrics receives the runtime's metrics; nil keeps none.
	Metrics *metrics.Registry
	// SessionKeys are a distributed worker's KIP-507 settings (nil for a
	// standalone worker); GroupID is group.id.
	SessionKeys *SessionKeyConfig
	GroupID     string
	// FenceProducers fences out transactional producers by id (zombie
	// fencing of exactly-once source tasks, done by the leader).
	FenceProducers func(ctx context.Context, transactionalIDs []string) error
	// InternalClient sends requests to other workers; nil uses a client
	// bounded by Connect's 90 s request timeout.
	InternalClient *http.Client
}

// NewHerder builds a herder; Run starts it.
func NewHerder(c HerderConfig) *Herder {
	h := &Herder{
		log: c.Logger, workerID: c.WorkerID, clusterID: c.ClusterID, configs: c.Configs, status: c.Status,
		offsets: c.Offsets, adminProps: c.AdminClientProps, member: c.Member, validate: c.Validate, syncWait: c.SyncTimeout, loggers: c.Loggers, noTopics: c.DisableTopicTracking,
		unsyncBackoff: c.UnsyncBackoff, rebalanceDelay: c.ScheduledRebalanceDelay, backoffRetries: unsyncRetries,
		reqs: make(chan func()), changed: make(chan struct{}, 1), stopped: make(chan struct{}), restartKick: make(chan struct{}, 1),
		fwdBusy: map[string]bool{}, fwdNext: map[string]taskForward{},
		assignedConnectors: map[string]bool{}, assignedTasks: map[entities.TaskID]bool{},
		keys: c.SessionKeys, groupID: c.GroupID, fence: c.FenceProducers, internalClient: c.InternalClient, runCtx: context.Background(),
	}
	if h.internalClient == nil {
		h.internalClient = &http.Client{Timeout: internalRequestTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if h.syncWait <= 0 {
		h.syncWait = 3 * time.Second
	}
	h.rt = newRuntime(c.Logger, h, c.NewTask, c.StopTimeout)
	h.rt.transform = c.ConfigTransform
	h.rt.setMetrics(c.Metrics)
	return h
}

// Run runs the herder and its group membership until ctx ends, then stops
// every connector and task this worker runs. The work's lifetime is Run's:
// requests and membership callbacks only start and stop it.
func (h *Herder) Run(ctx context.Context) error {
	ctx, cancelRun := context.WithCancel(ctx)
	h.runCtx = ctx
	h.keyTimer = time.NewTimer(time.Hour)
	h.keyTimer.Stop()
	defer h.keyTimer.Stop()
	h.rt.open(ctx)
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
		h.rt.close()
		cancelMember()
		<-memberDone
		cancelRun()
		h.forwards.Wait()
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
		case <-h.restartKick:
			h.applyRestarts(ctx)
		case <-h.keyTimer.C:
			h.maybeRotateKey(ctx)
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

// Connect's answer to requests the herder had not served when it stopped.
var errHerderStopped = errors.New("Worker is shutting down")

// ConfigChanged implements storage.ConfigListener.
func (h *Herder) ConfigChanged() {
	select {
	case h.changed <- struct{}{}:
	default:
	}
}

// RestartRequested implements storage.ConfigListener: restart records are applied
// by whichever worker runs the connector or tasks, on the Run goroutine in
// the order they were read.
func (h *Herder) RestartRequested(name string, includeTasks, onlyFailed bool) {
	h.restartMu.Lock()
	h.restarts = append(h.restarts, restartRequest{name, includeTasks, onlyFailed})
	h.restartMu.Unlock()
	select {
	case h.restartKick <- struct{}{}:
	default:
	}
}

func (h *Herder) applyRestarts(ctx context.Context) {
	h.restartMu.Lock()
	q := h.restarts
	h.restarts = nil
	h.restartMu.Unlock()
	for _, r := range q {
		h.applyRestart(ctx, r)
	}
}

// LoggerLevelChanged implements storage.ConfigListener: every worker applies a
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
func (h *Herder) Snapshot() entities.ClusterConfig { return h.configs.Snapshot() }

// OnRevoked stops revoked work before the group completes the rebalance.
func (h *Herder) OnRevoked(ctx context.Context, a Assignment) {
	_ = h.do(ctx, func() error {
		h.rt.stopTasks(a.RevokedTasks)
		for _, id := range a.RevokedTasks {
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
		if err != nil {
			h.unsynced(a, err)
			return
		}
		h.backoffRetries = unsyncRetries
		if a.ConfigMismatch {
			h.log.Warn("config topic of the leader and this worker differed; read to its end, rejoining", "leader_offset", a.ConfigOffset)
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
		var drop []entities.TaskID
		for id := range h.assignedTasks {
			if !keepT[id] {
				drop = append(drop, id)
				delete(h.assignedTasks, id)
			}
		}
		h.rt.stopTasks(drop)
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
		h.startTask(snap, id)
	}
	h.publishOwned()
	h.ready.Store(true)
	// A new leader distributes a session key when none is valid.
	h.maybeRotateKey(ctx)
	h.log.Info("assignment applied", "generation", a.Generation, "connectors", a.Connectors, "tasks", len(a.Tasks), "config_offset", snap.Offset)
}

func (h *Herder) startConnector(ctx context.Context, snap entities.ClusterConfig, name string) {
	cfg, ok := snap.Connectors[name]
	if !ok {
		return
	}
	if err := h.rt.startConnector(name, cfg, snap.Target(name)); err != nil {
		h.log.Error("connector failed to start", "connector", name, "error", err)
		return
	}
	h.reconfigureTasks(ctx, snap, name)
}

// startTask starts a task of the snapshot. It takes no context: the task's
// lifetime is the runtime's, whoever asks for it to start.
func (h *Herder) startTask(snap entities.ClusterConfig, id entities.TaskID) {
	tasks := snap.Tasks[id.Connector]
	if id.Task >= len(tasks) || snap.Connectors[id.Connector] == nil {
		return
	}
	target := snap.Target(id.Connector)
	if target == entities.TargetStopped {
		return
	}
	if err := h.rt.startTask(id, snap.Connectors[id.Connector], tasks[id.Task], target, len(tasks)); err != nil {
		h.log.Error("task failed to start", "task", id.String(), "error", err)
	}
}

// reconfigureTasks regenerates a running connector's task configs and,
// when they changed, has the leader write them: the leader writes them
// itself, a follower of a distributed cluster hands them to the leader over
// its internal endpoint, as Connect's workers do (a Connect leader expects
// task configs only from itself).
func (h *Herder) reconfigureTasks(ctx context.Context, snap entities.ClusterConfig, name string) {
	h.reconfigureTasksAttempt(ctx, snap, name, 0)
}

func (h *Herder) reconfigureTasksAttempt(ctx context.Context, snap entities.ClusterConfig, name string, attempt int) {
	var desired []map[string]string
	switch snap.Target(name) {
	case entities.TargetPaused:
		// As Connect: a paused connector's tasks keep their configs; a
		// config change made while paused takes effect when it resumes.
		return
	case entities.TargetStarted:
		if !h.rt.connectorRunning(name) {
			return
		}
		var err error
		desired, err = h.rt.taskConfigs(name)
		if err != nil {
			h.log.Error("generating task configs", "connector", name, "error", err)
			return
		}
		desired = decorateTaskConfigs(snap.Connectors[name], desired)
	}
	forward := h.keys != nil && !h.isLeader()
	// Behind a forward in flight the config topic may yet change to older
	// configs, so equal configs are forwarded too.
	if equalTaskConfigs(desired, snap.Tasks[name]) && !(forward && h.forwarding(name)) {
		return
	}
	if forward {
		h.forwardTaskConfigs(name, desired, attempt)
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
	if snap.SessionKey != prev.SessionKey {
		h.rearmKeyTimer()
	}
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
			if snap.Target(n) == entities.TargetStopped || prev.Target(n) == entities.TargetStopped {
				h.startConnector(ctx, snap, n)
			} else {
				h.rt.setConnectorTarget(n, snap.Target(n))
				if snap.Target(n) == entities.TargetStarted {
					// Config changes made while paused take effect now.
					h.reconfigureTasks(ctx, snap, n)
				}
			}
		}
	}
	// Tasks to stop or restart are stopped together, then started.
	var stop, restart []entities.TaskID
	for id := range h.assignedTasks {
		tasks := snap.Tasks[id.Connector]
		target := snap.Target(id.Connector)
		switch {
		case snap.Connectors[id.Connector] == nil || id.Task >= len(tasks) || target == entities.TargetStopped:
			stop = append(stop, id)
		case id.Task >= len(prev.Tasks[id.Connector]) || !maps.Equal(tasks[id.Task], prev.Tasks[id.Connector][id.Task]) ||
			prev.Target(id.Connector) == entities.TargetStopped:
			restart = append(restart, id)
		case target != prev.Target(id.Connector):
			h.rt.setTaskTarget(id, target)
		}
	}
	h.rt.stopTasks(append(stop, restart...))
	for _, id := range restart {
		h.startTask(snap, id)
	}
}

// membershipChanged reports whether the assignable work changed: a
// connector added or removed, or a connector's task count changed.
func membershipChanged(a, b entities.ClusterConfig) bool {
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
		if !r.onlyFailed || st.State == entities.StateFailed {
			h.startConnector(ctx, snap, r.name)
		}
	}
	if !r.includeTasks {
		return
	}
	var restart []entities.TaskID
	for _, id := range snap.TaskIDs(r.name) {
		if !h.assignedTasks[id] {
			continue
		}
		st, _ := h.status.Task(id)
		if !r.onlyFailed || st.State == entities.StateFailed {
			restart = append(restart, id)
		}
	}
	h.rt.stopTasks(restart)
	for _, id := range restart {
		h.startTask(snap, id)
	}
}

// unsyncRetries is how many times, under an incremental protocol, a worker
// that cannot read the config topic in time backs off and rejoins keeping
// its work, before it gives the work up (Connect's BACKOFF_RETRIES).
const unsyncRetries = 5

// groupLeaver is a membership that can leave its group for a while.
type groupLeaver interface {
	// LeaveFor leaves the group and joins again after d.
	LeaveFor(d time.Duration)
}

// unsynced handles a config topic that could not be read to the leader's
// offset within worker.sync.timeout.ms, as Connect does: leave the group
// (it rebalances without this worker, which would hold everyone up) and
// wait before joining again: worker.unsync.backoff.ms under the eager
// protocol; under the incremental ones a growing share of
// scheduled.rebalance.max.delay.ms, keeping the running work, and after
// unsyncRetries of those the work is given up.
func (h *Herder) unsynced(a Assignment, err error) {
	h.eager = a.Full
	backoff := h.nextUnsyncBackoff()
	h.log.Warn("config topic not read to the leader's offset in time; leaving the group", "leader_offset", a.ConfigOffset,
		"read_offset", h.configs.Snapshot().Offset, "sync_timeout", h.syncWait, "backoff", backoff, "error", err)
	if l, ok := h.member.(groupLeaver); ok {
		l.LeaveFor(backoff)
		return
	}
	h.member.RequestRejoin()
}

// nextUnsyncBackoff is how long to stay out of the group after a failed
// read; the incremental protocols' last retry gives up the work instead.
func (h *Herder) nextUnsyncBackoff() time.Duration {
	switch {
	case h.eager:
		return h.unsyncBackoff
	case h.backoffRetries > 0:
		d := h.rebalanceDelay / 10 / time.Duration(h.backoffRetries)
		h.backoffRetries--
		return d
	default:
		h.log.Warn("giving up this worker's work: it has not caught up with the config topic", "retries", unsyncRetries)
		h.revokeAll()
		h.backoffRetries = unsyncRetries
		return 0
	}
}

// CatchUp reads the config topic to its end before a worker that left the
// group unsynced joins again, as Connect does before it rejoins: if it
// still cannot, it stays out for the next backoff rather than join only to
// leave again.
func (h *Herder) CatchUp(ctx context.Context) (ok bool, backoff time.Duration) {
	err := h.do(ctx, func() error {
		sctx, cancel := context.WithTimeout(ctx, h.syncWait)
		err := h.configs.Refresh(sctx)
		cancel()
		if err == nil {
			ok, h.backoffRetries = true, unsyncRetries
			return nil
		}
		backoff = h.nextUnsyncBackoff()
		h.log.Warn("config topic still not read to its end; staying out of the group", "sync_timeout", h.syncWait, "backoff", backoff, "error", err)
		return nil
	})
	if err != nil {
		return true, 0 // stopping: the member's context ends too
	}
	return ok, backoff
}

// revokeAll stops all the work assigned to this worker.
func (h *Herder) revokeAll() {
	h.rt.stopTasks(slices.Collect(maps.Keys(h.assignedTasks)))
	for n := range h.assignedConnectors {
		h.rt.stopConnector(n)
	}
	clear(h.assignedTasks)
	clear(h.assignedConnectors)
	h.publishOwned()
}

// ----- status reporting (StatusSink) -----

func (h *Herder) currentGeneration() int32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.generation
}

// ConnectorState implements StatusSink.
func (h *Herder) ConnectorState(name string, state entities.State, trace string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := entities.ConnectorState{State: state, WorkerID: h.workerID, Trace: trace, Version: h.pluginVersion(name)}
	put := h.status.PutConnector
	if state == entities.StateUnassigned {
		put = h.status.PutConnectorSafe // as Connect's onShutdown
	}
	if err := put(ctx, name, s, h.currentGeneration()); err != nil {
		h.log.Error("writing connector status", "connector", name, "state", state, "error", err)
	}
}

// TaskState implements StatusSink.
func (h *Herder) TaskState(id entities.TaskID, state entities.State, trace string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := entities.TaskState{ID: id.Task, State: state, WorkerID: h.workerID, Trace: trace, Version: h.pluginVersion(id.Connector)}
	put := h.status.PutTask
	if state == entities.StateUnassigned {
		put = h.status.PutTaskSafe // as Connect's onShutdown
	}
	if err := put(ctx, id, s, h.currentGeneration()); err != nil {
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
func (h *Herder) TopicUsed(id entities.TaskID, topic string) {
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
