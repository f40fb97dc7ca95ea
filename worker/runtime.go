package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
	"github.com/gonnect/gonnect/worker/task"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/connectors/connectorconfig"
	"github.com/gonnect/gonnect/worker/configprovider"
	"github.com/gonnect/gonnect/worker/metrics"
)

// StatusSink receives the state changes of the connectors and tasks this
// worker runs; the herder writes them to the status topic.
type StatusSink interface {
	ConnectorState(name string, state entities.State, trace string)
	TaskState(id entities.TaskID, state entities.State, trace string)
	// TopicUsed records that a task consumed or produced a topic.
	TopicUsed(id entities.TaskID, topic string)
}

// TaskRunner runs one task until its context ends or the task fails
// (worker/task's sink and source runners).
type TaskRunner interface {
	Run(ctx context.Context) error
	// SetTargetState pauses or resumes the task ("STARTED"/"PAUSED").
	SetTargetState(state string)
}

// TaskFactory builds the runner of a task from its connector's and its own
// configuration.
type TaskFactory func(id entities.TaskID, plugin connectors.Plugin, connConfig, taskConfig map[string]string, listener task.Listener) (TaskRunner, error)

// runtime starts and stops the connectors and tasks assigned to this
// worker. Their lifetime is the runtime's, never their caller's: each runs
// under a context derived from root, which the herder's Run owns (open,
// close), so a caller's context (an HTTP request, a membership callback)
// bounds only the call that starts or stops them. Every goroutine it
// starts is counted in wg and joined by close. It is driven by the herder
// goroutine only, except for listener callbacks.
type runtime struct {
	log         *slog.Logger
	status      StatusSink
	newTask     TaskFactory
	stopTimeout time.Duration
	// transform resolves config provider placeholders each time a connector
	// or task starts; nil leaves configurations as stored.
	transform func(map[string]string) (map[string]string, error)

	root       context.Context
	cancelRoot context.CancelFunc
	wg         sync.WaitGroup

	mu         sync.Mutex
	connectors map[string]*runningConnector
	tasks      map[entities.TaskID]*runningTask

	// metrics is nil without a registry (setMetrics).
	metrics *metrics.Registry
	wm      *metrics.Worker
}

type runningConnector struct {
	plugin connectors.Plugin
	conn   connectors.Connector
	cancel context.CancelFunc // ends the context conn.Start was given
	config map[string]string  // resolved: what the connector was given
	raw    map[string]string  // as stored, placeholders unresolved
	target entities.TargetState
	failed bool
}

type runningTask struct {
	id     entities.TaskID
	runner TaskRunner
	// stop ends Run's context: the task should finish and commit.
	stop context.CancelFunc
	// abandon ends the context of its final work (FinalContext).
	abandon context.CancelFunc
	// done is closed when Run has returned; err is written before, so it
	// may be read only after done.
	done chan struct{}
	err  error
	// abandoned is set when the task did not stop in time: what it reports
	// afterwards is dropped, since another worker may run it by then.
	abandoned atomic.Bool
}

func newRuntime(log *slog.Logger, status StatusSink, newTask TaskFactory, stopTimeout time.Duration) *runtime {
	rt := &runtime{log: log, status: status, newTask: newTask, stopTimeout: stopTimeout,
		connectors: map[string]*runningConnector{}, tasks: map[entities.TaskID]*runningTask{}}
	rt.root, rt.cancelRoot = context.WithCancel(context.Background())
	return rt
}

// open derives the root of all work from the owner's context, keeping its
// values but not its cancellation: work is stopped by close, gracefully.
func (rt *runtime) open(owner context.Context) {
	rt.cancelRoot()
	rt.root, rt.cancelRoot = context.WithCancel(context.WithoutCancel(owner))
}

// close stops all work, then ends the root context (abandoned tasks' final
// work too) and joins every goroutine the runtime started, bounded by the
// shutdown timeout.
func (rt *runtime) close() {
	rt.stopAll()
	rt.cancelRoot()
	joined := make(chan struct{})
	go func() { rt.wg.Wait(); close(joined) }()
	select {
	case <-joined:
	case <-time.After(rt.stopTimeout):
		rt.log.Error("abandoned tasks still running at shutdown", "waited", rt.stopTimeout)
	}
}

// tasksMax reads tasks.max and tasks.max.enforce through the connector
// config's declaration.
func tasksMax(p connectors.Plugin, config map[string]string) (int, bool, error) {
	common := connectorconfig.Common(p, connectorconfig.Defaults{})
	def := configdef.New()
	for _, n := range []string{connectorconfig.TasksMax, connectorconfig.TasksMaxEnforce} {
		k, ok := common.Key(n)
		if !ok {
			return 0, false, fmt.Errorf("connector config declares no %s", n)
		}
		def.Define(*k)
	}
	v, err := def.Parse(config)
	if err != nil {
		return 0, false, fmt.Errorf("reading the task limit of connector %s: %w", config[connectorconfig.Name], err)
	}
	return v.Int(connectorconfig.TasksMax), v.Bool(connectorconfig.TasksMaxEnforce), nil
}

// checkTasksMax fails a connector that has more tasks than tasks.max, with
// Connect's message, unless tasks.max.enforce=false allows it (a warning).
func (rt *runtime) checkTasksMax(name string, n, max int, enforce bool) error {
	if n <= max {
		return nil
	}
	if enforce {
		return fmt.Errorf("The connector %s has generated %d tasks, which is greater than %d, the maximum number of tasks it is configured to create. "+
			"This behaviour should be considered a bug and is disallowed. If necessary, it can be permitted by reconfiguring the connector with '%s' set to false; "+
			"however, this option will be removed in a future release of Kafka Connect.", name, n, max, connectorconfig.TasksMaxEnforce)
	}
	rt.log.Warn("connector has more tasks than tasks.max; allowed because tasks.max.enforce=false, which a future release will remove: the connector should respect tasks.max",
		"connector", name, "tasks", n, "tasks_max", max)
	return nil
}

// startConnector starts a connector instance in the given target state. A
// failure marks it FAILED in status and is returned.
func (rt *runtime) startConnector(name string, config map[string]string, target entities.TargetState) error {
	rt.stopConnector(name)
	plugin, err := connectors.Lookup(config["connector.class"])
	if err != nil {
		rt.connectorStarted(name, connectors.Plugin{Class: config["connector.class"]}, false)
		rt.status.ConnectorState(name, entities.StateFailed, traceOf(err))
		return fmt.Errorf("starting connector %s: %w", name, err)
	}
	raw := config
	if config, err = rt.resolve(config); err != nil {
		rt.status.ConnectorState(name, entities.StateFailed, traceOf(err))
		return fmt.Errorf("starting connector %s: %w", name, err)
	}
	cctx, cancel := context.WithCancel(rt.root)
	rc := &runningConnector{plugin: plugin, config: config, raw: raw, target: target, cancel: cancel}
	rt.mu.Lock()
	rt.connectors[name] = rc
	rt.mu.Unlock()
	if target == entities.TargetStopped {
		rt.status.ConnectorState(name, entities.StateStopped, "")
		return nil
	}
	conn, err := safeNew(plugin)
	if err == nil {
		err = safeCall(func() error { return conn.Start(cctx, config) })
	}
	if err != nil {
		rc.failed = true
		rt.connectorStarted(name, plugin, false)
		rt.status.ConnectorState(name, entities.StateFailed, traceOf(err))
		return fmt.Errorf("starting connector %s: %w", name, err)
	}
	rc.conn = conn
	rt.connectorStarted(name, plugin, true)
	if target == entities.TargetPaused {
		rt.status.ConnectorState(name, entities.StatePaused, "")
	} else {
		rt.status.ConnectorState(name, entities.StateRunning, "")
	}
	return nil
}

// resolve applies the config providers to a stored configuration.
func (rt *runtime) resolve(config map[string]string) (map[string]string, error) {
	if rt.transform == nil {
		return config, nil
	}
	out, err := rt.transform(config)
	if err != nil {
		return nil, fmt.Errorf("resolving config provider placeholders: %w", err)
	}
	return out, nil
}

// taskConfigs asks a running connector for its task configurations; more
// than tasks.max fail the connector unless tasks.max.enforce=false.
func (rt *runtime) taskConfigs(name string) ([]map[string]string, error) {
	rt.mu.Lock()
	rc := rt.connectors[name]
	rt.mu.Unlock()
	if rc == nil || rc.conn == nil {
		return nil, fmt.Errorf("connector %s is not running on this worker", name)
	}
	maxTasks, enforce, err := tasksMax(rc.plugin, rc.config)
	var out []map[string]string
	if err == nil {
		err = safeCall(func() error {
			var err error
			out, err = rc.conn.TaskConfigs(maxTasks)
			return err
		})
	}
	if err == nil {
		err = rt.checkTasksMax(name, len(out), maxTasks, enforce)
	}
	if err != nil {
		rc.failed = true
		rt.status.ConnectorState(name, entities.StateFailed, traceOf(err))
		return nil, fmt.Errorf("generating task configs of connector %s: %w", name, err)
	}
	// Resolved values the connector copied into its tasks' configs are
	// stored as their placeholders, as Connect does.
	return configprovider.ReverseTransform(rc.raw, out), nil
}

// stopConnector stops a connector if it runs here.
func (rt *runtime) stopConnector(name string) {
	rt.mu.Lock()
	rc := rt.connectors[name]
	delete(rt.connectors, name)
	rt.mu.Unlock()
	rt.connectorGone(name)
	if rc == nil {
		return
	}
	if rc.conn != nil {
		if err := safeCall(rc.conn.Stop); err != nil {
			rt.log.Warn("stopping connector", "connector", name, "error", err)
		}
	}
	rc.cancel()
	if !rc.failed {
		// As Connect: stopped here, it is UNASSIGNED until started again;
		// the leader takes that as a clean hand-over (no rebalance delay).
		rt.status.ConnectorState(name, entities.StateUnassigned, "")
	}
}

// setConnectorTarget pauses or resumes a running connector's status.
func (rt *runtime) setConnectorTarget(name string, target entities.TargetState) {
	rt.mu.Lock()
	rc := rt.connectors[name]
	rt.mu.Unlock()
	if rc == nil || rc.failed {
		return
	}
	rc.target = target
	switch target {
	case entities.TargetPaused:
		rt.status.ConnectorState(name, entities.StatePaused, "")
	case entities.TargetStarted:
		rt.status.ConnectorState(name, entities.StateRunning, "")
	}
}

func (rt *runtime) connectorRunning(name string) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rc := rt.connectors[name]
	return rc != nil && rc.conn != nil && !rc.failed
}

func (rt *runtime) ownsConnector(name string) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	_, ok := rt.connectors[name]
	return ok
}

// startTask starts a task runner goroutine under the runtime's root
// context; numTasks is its connector's current task count.
func (rt *runtime) startTask(id entities.TaskID, connConfig, taskConfig map[string]string, target entities.TargetState, numTasks int) error {
	rt.stopTask(id)
	fail := func(err error) error {
		rt.status.TaskState(id, entities.StateFailed, traceOf(err))
		return fmt.Errorf("starting task %s: %w", id, err)
	}
	plugin, err := connectors.Lookup(connConfig["connector.class"])
	if err != nil {
		return fail(err)
	}
	if connConfig, err = rt.resolve(connConfig); err != nil {
		return fail(err)
	}
	if taskConfig, err = rt.resolve(taskConfig); err != nil {
		return fail(err)
	}
	maxTasks, enforce, err := tasksMax(plugin, connConfig)
	if err == nil {
		err = rt.checkTasksMax(id.Connector, numTasks, maxTasks, enforce)
	}
	if err != nil {
		return fail(err)
	}
	t := &runningTask{id: id, done: make(chan struct{})}
	runner, err := rt.newTask(id, plugin, connConfig, taskConfig, taskReports{rt: rt, t: t})
	rt.taskStarted(runner, err == nil)
	if err != nil {
		return fail(err)
	}
	t.runner = runner
	if target == entities.TargetPaused {
		runner.SetTargetState(string(entities.TargetPaused))
	}
	final, abandon := context.WithCancel(rt.root)
	runCtx, stop := context.WithCancel(task.WithFinalContext(final, final))
	t.stop, t.abandon = stop, abandon
	rt.mu.Lock()
	rt.tasks[id] = t
	rt.mu.Unlock()
	rt.wg.Add(1)
	go func() {
		defer rt.wg.Done()
		defer abandon()
		defer close(t.done)
		err := safeCall(func() error { return runner.Run(runCtx) })
		switch {
		case runCtx.Err() != nil && errors.Is(err, context.Canceled):
			err = nil // stopped as asked
		case runCtx.Err() == nil && err == nil:
			// Nothing asked it to stop: a task that ends by itself must not
			// stay RUNNING in its status.
			err = fmt.Errorf("task %s stopped by itself", id)
		}
		t.err = err
		if err != nil && !t.abandoned.Load() {
			rt.OnFailure(id, err)
		}
	}()
	return nil
}

// stopTask stops a task and waits for it, bounded by the shutdown timeout.
func (rt *runtime) stopTask(id entities.TaskID) { rt.stopTasks([]entities.TaskID{id}) }

// stopTasks stops tasks in parallel, as Connect's stopAndAwaitTasks: all
// are asked to stop, then awaited until one deadline, the shutdown timeout
// from now. One that has not stopped by then is abandoned: its final work's
// context ends and nothing it reports counts any more.
func (rt *runtime) stopTasks(ids []entities.TaskID) {
	var stopping []*runningTask
	rt.mu.Lock()
	for _, id := range ids {
		if t := rt.tasks[id]; t != nil {
			delete(rt.tasks, id)
			stopping = append(stopping, t)
		}
	}
	rt.mu.Unlock()
	if len(stopping) == 0 {
		return
	}
	for _, t := range stopping {
		rt.taskGone(t.id)
		t.stop()
	}
	wait, cancel := context.WithTimeout(context.Background(), rt.stopTimeout)
	defer cancel()
	for _, t := range stopping {
		select {
		case <-t.done:
			if t.err == nil {
				// As Connect: a task stopped by this worker is UNASSIGNED
				// until some worker starts it again; a failed one keeps its
				// FAILED trace.
				rt.status.TaskState(t.id, entities.StateUnassigned, "")
			}
		case <-wait.Done():
			t.abandoned.Store(true)
			t.abandon()
			rt.log.Error("task did not stop in time; abandoning it", "task", t.id.String(), "timeout", rt.stopTimeout)
		}
	}
}

func (rt *runtime) setTaskTarget(id entities.TaskID, target entities.TargetState) {
	rt.mu.Lock()
	t := rt.tasks[id]
	rt.mu.Unlock()
	if t != nil {
		t.runner.SetTargetState(string(target))
	}
}

func (rt *runtime) ownedTasks() []entities.TaskID {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make([]entities.TaskID, 0, len(rt.tasks))
	for id := range rt.tasks {
		out = append(out, id)
	}
	return out
}

func (rt *runtime) ownedConnectors() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make([]string, 0, len(rt.connectors))
	for n := range rt.connectors {
		out = append(out, n)
	}
	return out
}

// stopAll stops every task (in parallel, bounded) and connector.
func (rt *runtime) stopAll() {
	rt.stopTasks(rt.ownedTasks())
	for _, n := range rt.ownedConnectors() {
		rt.stopConnector(n)
	}
}

// taskReports is the listener of one run of a task: once the task is
// abandoned, its reports are dropped.
type taskReports struct {
	rt *runtime
	t  *runningTask
}

func (r taskReports) live() bool { return !r.t.abandoned.Load() }

func (r taskReports) OnRunning(id entities.TaskID) {
	if r.live() {
		r.rt.OnRunning(id)
	}
}

func (r taskReports) OnPause(id entities.TaskID) {
	if r.live() {
		r.rt.OnPause(id)
	}
}

func (r taskReports) OnResume(id entities.TaskID) {
	if r.live() {
		r.rt.OnResume(id)
	}
}

func (r taskReports) OnFailure(id entities.TaskID, err error) {
	if r.live() {
		r.rt.OnFailure(id, err)
	}
}

func (r taskReports) OnTopic(id entities.TaskID, topic string) {
	if r.live() {
		r.rt.OnTopic(id, topic)
	}
}

// task.Listener implementation: runners report here.

func (rt *runtime) OnRunning(id entities.TaskID)             { rt.status.TaskState(id, entities.StateRunning, "") }
func (rt *runtime) OnPause(id entities.TaskID)               { rt.status.TaskState(id, entities.StatePaused, "") }
func (rt *runtime) OnResume(id entities.TaskID)              { rt.status.TaskState(id, entities.StateRunning, "") }
func (rt *runtime) OnTopic(id entities.TaskID, topic string) { rt.status.TopicUsed(id, topic) }
func (rt *runtime) OnFailure(id entities.TaskID, err error) {
	rt.log.Error("task failed", "task", id.String(), "error", err)
	rt.status.TaskState(id, entities.StateFailed, traceOf(err))
}

// safeNew and safeCall turn a panic in plugin code into an error, so a bad
// connector fails itself and never the worker.
func safeNew(p connectors.Plugin) (c connectors.Connector, err error) {
	err = safeCall(func() error { c = p.New(); return nil })
	return c, err
}

func safeCall(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return fn()
}

type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// traceOf renders an error as the status "trace": the error chain, one
// cause per line like a Java trace's "Caused by:", plus a panic's stack.
func traceOf(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
		s += "\nCaused by: " + u.Error()
	}
	var p *panicError
	if errors.As(err, &p) {
		s += "\n" + string(p.stack)
	}
	return s
}
