package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gonnect/gonnect/connectors"
)

// StatusSink receives the state changes of the connectors and tasks this
// worker runs; the herder writes them to the status topic.
type StatusSink interface {
	ConnectorState(name string, state State, trace string)
	TaskState(id TaskID, state State, trace string)
	// TopicUsed records that a task consumed or produced a topic.
	TopicUsed(id TaskID, topic string)
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
type TaskFactory func(id TaskID, plugin connectors.Plugin, connConfig, taskConfig map[string]string, listener TaskListener) (TaskRunner, error)

// TaskListener is how a runner reports state; implemented by runtime.
type TaskListener interface {
	OnRunning(id TaskID)
	OnPause(id TaskID)
	OnResume(id TaskID)
	OnFailure(id TaskID, err error)
	// OnTopic is called the first time the task uses a topic.
	OnTopic(id TaskID, topic string)
}

// runtime starts and stops the connectors and tasks assigned to this
// worker. Every goroutine it starts is tracked and stopped by it; it is
// driven by the herder goroutine only, except for listener callbacks.
type runtime struct {
	log         *slog.Logger
	status      StatusSink
	newTask     TaskFactory
	stopTimeout time.Duration

	mu         sync.Mutex
	connectors map[string]*runningConnector
	tasks      map[TaskID]*runningTask
}

type runningConnector struct {
	plugin connectors.Plugin
	conn   connectors.Connector
	config map[string]string
	target TargetState
	failed bool
}

type runningTask struct {
	runner TaskRunner
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func newRuntime(log *slog.Logger, status StatusSink, newTask TaskFactory, stopTimeout time.Duration) *runtime {
	return &runtime{log: log, status: status, newTask: newTask, stopTimeout: stopTimeout,
		connectors: map[string]*runningConnector{}, tasks: map[TaskID]*runningTask{}}
}

// startConnector starts a connector instance in the given target state. A
// failure marks it FAILED in status and is returned.
func (rt *runtime) startConnector(ctx context.Context, name string, config map[string]string, target TargetState) error {
	rt.stopConnector(name)
	plugin, err := connectors.Lookup(config["connector.class"])
	if err != nil {
		rt.status.ConnectorState(name, StateFailed, traceOf(err))
		return fmt.Errorf("starting connector %s: %w", name, err)
	}
	rc := &runningConnector{plugin: plugin, config: config, target: target}
	rt.mu.Lock()
	rt.connectors[name] = rc
	rt.mu.Unlock()
	if target == TargetStopped {
		rt.status.ConnectorState(name, StateStopped, "")
		return nil
	}
	conn, err := safeNew(plugin)
	if err == nil {
		err = safeCall(func() error { return conn.Start(ctx, config) })
	}
	if err != nil {
		rc.failed = true
		rt.status.ConnectorState(name, StateFailed, traceOf(err))
		return fmt.Errorf("starting connector %s: %w", name, err)
	}
	rc.conn = conn
	if target == TargetPaused {
		rt.status.ConnectorState(name, StatePaused, "")
	} else {
		rt.status.ConnectorState(name, StateRunning, "")
	}
	return nil
}

// taskConfigs asks a running connector for its task configurations.
func (rt *runtime) taskConfigs(name string, maxTasks int) ([]map[string]string, error) {
	rt.mu.Lock()
	rc := rt.connectors[name]
	rt.mu.Unlock()
	if rc == nil || rc.conn == nil {
		return nil, fmt.Errorf("connector %s is not running on this worker", name)
	}
	var out []map[string]string
	err := safeCall(func() error {
		var err error
		out, err = rc.conn.TaskConfigs(maxTasks)
		return err
	})
	if err != nil {
		rc.failed = true
		rt.status.ConnectorState(name, StateFailed, traceOf(err))
		return nil, fmt.Errorf("generating task configs of connector %s: %w", name, err)
	}
	if len(out) > maxTasks {
		out = out[:maxTasks]
	}
	return out, nil
}

// stopConnector stops a connector if it runs here.
func (rt *runtime) stopConnector(name string) {
	rt.mu.Lock()
	rc := rt.connectors[name]
	delete(rt.connectors, name)
	rt.mu.Unlock()
	if rc == nil {
		return
	}
	if rc.conn != nil {
		if err := safeCall(rc.conn.Stop); err != nil {
			rt.log.Warn("stopping connector", "connector", name, "error", err)
		}
	}
	if !rc.failed {
		// As Connect: stopped here, it is UNASSIGNED until started again;
		// the leader takes that as a clean hand-over (no rebalance delay).
		rt.status.ConnectorState(name, StateUnassigned, "")
	}
}

// setConnectorTarget pauses or resumes a running connector's status.
func (rt *runtime) setConnectorTarget(name string, target TargetState) {
	rt.mu.Lock()
	rc := rt.connectors[name]
	rt.mu.Unlock()
	if rc == nil || rc.failed {
		return
	}
	rc.target = target
	switch target {
	case TargetPaused:
		rt.status.ConnectorState(name, StatePaused, "")
	case TargetStarted:
		rt.status.ConnectorState(name, StateRunning, "")
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

// startTask starts a task runner goroutine.
func (rt *runtime) startTask(ctx context.Context, id TaskID, connConfig, taskConfig map[string]string, target TargetState) error {
	rt.stopTask(id)
	plugin, err := connectors.Lookup(connConfig["connector.class"])
	if err != nil {
		rt.status.TaskState(id, StateFailed, traceOf(err))
		return fmt.Errorf("starting task %s: %w", id, err)
	}
	runner, err := rt.newTask(id, plugin, connConfig, taskConfig, rt)
	if err != nil {
		rt.status.TaskState(id, StateFailed, traceOf(err))
		return fmt.Errorf("starting task %s: %w", id, err)
	}
	if target == TargetPaused {
		runner.SetTargetState(string(TargetPaused))
	}
	tctx, cancel := context.WithCancel(ctx)
	t := &runningTask{runner: runner, cancel: cancel, done: make(chan struct{})}
	rt.mu.Lock()
	rt.tasks[id] = t
	rt.mu.Unlock()
	go func() {
		defer close(t.done)
		err := safeCall(func() error { return runner.Run(tctx) })
		if err != nil && !errors.Is(err, context.Canceled) {
			t.err = err
			rt.OnFailure(id, err)
		}
	}()
	return nil
}

// stopTask stops a task and waits for it, bounded by the shutdown timeout.
func (rt *runtime) stopTask(id TaskID) {
	rt.mu.Lock()
	t := rt.tasks[id]
	delete(rt.tasks, id)
	rt.mu.Unlock()
	if t == nil {
		return
	}
	t.cancel()
	select {
	case <-t.done:
	case <-time.After(rt.stopTimeout):
		rt.log.Error("task did not stop in time; abandoning it", "task", id.String(), "timeout", rt.stopTimeout)
	}
	if t.err == nil {
		// As Connect: a task stopped by this worker is UNASSIGNED until
		// some worker starts it again; a failed one keeps its FAILED trace.
		rt.status.TaskState(id, StateUnassigned, "")
	}
}

func (rt *runtime) setTaskTarget(id TaskID, target TargetState) {
	rt.mu.Lock()
	t := rt.tasks[id]
	rt.mu.Unlock()
	if t != nil {
		t.runner.SetTargetState(string(target))
	}
}

func (rt *runtime) ownedTasks() []TaskID {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make([]TaskID, 0, len(rt.tasks))
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
	var wg sync.WaitGroup
	for _, id := range rt.ownedTasks() {
		wg.Add(1)
		go func(id TaskID) { defer wg.Done(); rt.stopTask(id) }(id)
	}
	wg.Wait()
	for _, n := range rt.ownedConnectors() {
		rt.stopConnector(n)
	}
}

// TaskListener implementation: runners report here.

func (rt *runtime) OnRunning(id TaskID)             { rt.status.TaskState(id, StateRunning, "") }
func (rt *runtime) OnPause(id TaskID)               { rt.status.TaskState(id, StatePaused, "") }
func (rt *runtime) OnResume(id TaskID)              { rt.status.TaskState(id, StateRunning, "") }
func (rt *runtime) OnTopic(id TaskID, topic string) { rt.status.TopicUsed(id, topic) }
func (rt *runtime) OnFailure(id TaskID, err error) {
	rt.log.Error("task failed", "task", id.String(), "error", err)
	rt.status.TaskState(id, StateFailed, traceOf(err))
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
