package worker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
	"github.com/gonnect/gonnect/worker/task"

	"github.com/gonnect/gonnect/connectors"
)

// statusLog records what a runtime reports.
type statusLog struct {
	mu     sync.Mutex
	states []string
}

func (s *statusLog) ConnectorState(name string, state entities.State, _ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states = append(s.states, name+"="+string(state))
}
func (s *statusLog) TaskState(id entities.TaskID, state entities.State, _ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states = append(s.states, id.String()+"="+string(state))
}
func (s *statusLog) TopicUsed(entities.TaskID, string) {}
func (s *statusLog) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.states...)
}

// scriptedRunner stops slowStop after its context ends, then does its final
// work under FinalContext for finalFor, and fails if that was cut short.
type scriptedRunner struct {
	id       entities.TaskID
	l        task.Listener
	slowStop time.Duration
	finalFor time.Duration
	// returnAtOnce makes Run end by itself, without error.
	returnAtOnce bool
	finalCut     atomic.Bool
	ended        chan struct{}
}

func (r *scriptedRunner) Run(ctx context.Context) error {
	defer close(r.ended)
	if r.returnAtOnce {
		return nil
	}
	r.l.OnRunning(r.id)
	<-ctx.Done()
	time.Sleep(r.slowStop)
	fctx, cancel := task.FinalContext(ctx)
	defer cancel()
	select {
	case <-time.After(r.finalFor):
		return ctx.Err()
	case <-fctx.Done():
		r.finalCut.Store(true)
		r.l.OnFailure(r.id, errors.New("final commit cut short"))
		return errors.New("final commit cut short")
	}
}

func (r *scriptedRunner) SetTargetState(string) {}

func newTestRuntime(stopTimeout time.Duration, build func(id entities.TaskID) *scriptedRunner) (*runtime, *statusLog, *sync.Map) {
	st := &statusLog{}
	var runners sync.Map
	rt := newRuntime(slog.New(slog.NewTextHandler(io.Discard, nil)), st, func(id entities.TaskID, _ connectors.Plugin, _, _ map[string]string, l task.Listener) (TaskRunner, error) {
		r := build(id)
		r.id, r.l, r.ended = id, l, make(chan struct{})
		runners.Store(id, r)
		return r, nil
	}, stopTimeout)
	rt.open(context.Background())
	return rt, st, &runners
}

var testConnConfig = map[string]string{"connector.class": "test.HerderSinkConnector", "tasks.max": "8"}

func runnerOf(t *testing.T, m *sync.Map, id entities.TaskID) *scriptedRunner {
	t.Helper()
	r, ok := m.Load(id)
	if !ok {
		t.Fatalf("no runner for %s", id)
	}
	return r.(*scriptedRunner)
}

// TestRuntimeStopsTasks: tasks stop in parallel under one deadline; one that
// does not stop in time is abandoned: its final work's context ends, what it
// reports afterwards is dropped, and it gets no UNASSIGNED (another worker
// may own it by then). Run with -race: nothing of it is read unsynchronised.
func TestRuntimeStopsTasks(t *testing.T) {
	cases := []struct {
		name      string
		slowStop  time.Duration
		finalFor  time.Duration
		tasks     int
		maxWait   time.Duration
		abandoned bool
	}{
		{name: "clean stops run in parallel", slowStop: 300 * time.Millisecond, tasks: 6, maxWait: time.Second},
		{name: "final commit bounded by the shutdown timeout", finalFor: time.Hour, tasks: 3, maxWait: 900 * time.Millisecond, abandoned: true},
		{name: "stuck stop abandoned", slowStop: 2 * time.Second, tasks: 2, maxWait: 900 * time.Millisecond, abandoned: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt, st, runners := newTestRuntime(500*time.Millisecond, func(entities.TaskID) *scriptedRunner {
				return &scriptedRunner{slowStop: tc.slowStop, finalFor: tc.finalFor}
			})
			var ids []entities.TaskID
			for i := range tc.tasks {
				id := entities.TaskID{Connector: "c", Task: i}
				ids = append(ids, id)
				if err := rt.startTask(id, testConnConfig, nil, entities.TargetStarted, tc.tasks); err != nil {
					t.Fatal(err)
				}
			}
			began := time.Now()
			rt.stopAll()
			if took := time.Since(began); took > tc.maxWait {
				t.Fatalf("stopping %d tasks took %s, want at most %s", tc.tasks, took, tc.maxWait)
			}
			for _, id := range ids {
				r := runnerOf(t, runners, id)
				if tc.abandoned && tc.finalFor > 0 {
					<-r.ended
					if !r.finalCut.Load() {
						t.Errorf("%s: final work not cut at the shutdown timeout", id)
					}
				}
			}
			rt.close()
			for _, id := range ids {
				<-runnerOf(t, runners, id).ended // joined by close
			}
			states := strings.Join(st.all(), " ")
			for _, id := range ids {
				running := id.String() + "=RUNNING"
				if !strings.Contains(states, running) {
					t.Errorf("%s never RUNNING: %s", id, states)
				}
				gone := id.String() + "=" + string(entities.StateUnassigned)
				failed := id.String() + "=" + string(entities.StateFailed)
				if tc.abandoned && (strings.Contains(states, gone) || strings.Contains(states, failed)) {
					t.Errorf("abandoned %s still reported: %s", id, states)
				}
				if !tc.abandoned && !strings.Contains(states, gone) {
					t.Errorf("%s stopped cleanly but not UNASSIGNED: %s", id, states)
				}
			}
		})
	}
}

// TestRuntimeTaskEndingByItselfFails: a runner whose Run returns without
// being asked to stop is FAILED, never left RUNNING with nothing running.
func TestRuntimeTaskEndingByItselfFails(t *testing.T) {
	rt, st, runners := newTestRuntime(time.Second, func(entities.TaskID) *scriptedRunner { return &scriptedRunner{returnAtOnce: true} })
	defer rt.close()
	id := entities.TaskID{Connector: "c", Task: 0}
	if err := rt.startTask(id, testConnConfig, nil, entities.TargetStarted, 1); err != nil {
		t.Fatal(err)
	}
	<-runnerOf(t, runners, id).ended
	eventually(t, "task FAILED", func() bool {
		return strings.Contains(strings.Join(st.all(), " "), "c-0=FAILED")
	})
}

// TestHerderTaskOutlivesRestartRequest: a task restarted through the REST
// API runs on after the request's context ends (the request's 204).
func TestHerderTaskOutlivesRestartRequest(t *testing.T) {
	var mu sync.Mutex
	var runs []*ctxRunner
	hs := startHarnessConfig(t, func(s *Solo, _ *MemoryStatusStore) Membership { return s }, func(c *HerderConfig) {
		c.NewTask = func(id entities.TaskID, _ connectors.Plugin, _, _ map[string]string, l task.Listener) (TaskRunner, error) {
			r := &ctxRunner{fakeRunner: fakeRunner{id: id, l: l}, started: make(chan context.Context, 1)}
			mu.Lock()
			runs = append(runs, r)
			mu.Unlock()
			return r, nil
		}
	})
	if _, _, err := hs.h.PutConnectorConfig(context.Background(), "c1", map[string]string{"connector.class": "test.HerderSinkConnector", "tasks.max": "1"}, false, ""); err != nil {
		t.Fatal(err)
	}
	id := entities.TaskID{Connector: "c1", Task: 0}
	eventually(t, "task RUNNING", func() bool { st, _ := hs.status.Task(id); return st.State == entities.StateRunning })
	req, endRequest := context.WithCancel(context.Background())
	if err := hs.h.RestartTask(req, id); err != nil {
		t.Fatal(err)
	}
	endRequest()
	mu.Lock()
	last := runs[len(runs)-1]
	n := len(runs)
	mu.Unlock()
	if n != 2 {
		t.Fatalf("%d runners after one restart, want 2", n)
	}
	runCtx := <-last.started
	select {
	case <-runCtx.Done():
		t.Fatal("the restarted task's context ended with the request that restarted it")
	case <-time.After(100 * time.Millisecond):
	}
}

// ctxRunner hands out the context its Run got.
type ctxRunner struct {
	fakeRunner
	started chan context.Context
}

func (r *ctxRunner) Run(ctx context.Context) error {
	r.started <- ctx
	return r.fakeRunner.Run(ctx)
}

// TestHerderRestartRecordsAllApplied: every restart record read from
// the config topic is applied on the herder loop, none dropped.
func TestHerderRestartRecordsAllApplied(t *testing.T) {
	var starts atomic.Int32
	hs := startHarnessConfig(t, func(s *Solo, _ *MemoryStatusStore) Membership { return s }, func(c *HerderConfig) {
		c.NewTask = func(id entities.TaskID, _ connectors.Plugin, _, _ map[string]string, l task.Listener) (TaskRunner, error) {
			starts.Add(1)
			return &fakeRunner{id: id, l: l}, nil
		}
	})
	if _, _, err := hs.h.PutConnectorConfig(context.Background(), "c1", map[string]string{"connector.class": "test.HerderSinkConnector", "tasks.max": "1"}, false, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "task started", func() bool { return starts.Load() == 1 })
	for range 5 {
		hs.h.RestartRequested("c1", true, false)
	}
	eventually(t, "5 restarts applied", func() bool { return starts.Load() == 6 })
}

// TestHerderTasksMaxEnforce: a connector generating more task configs than
// tasks.max fails with Connect's message unless tasks.max.enforce=false.
func TestHerderTasksMaxEnforce(t *testing.T) {
	cases := []struct {
		enforce string
		fails   bool
	}{{"", true}, {"true", true}, {"false", false}}
	for _, tc := range cases {
		t.Run("enforce="+tc.enforce, func(t *testing.T) {
			hs := startHarness(t)
			cfg := map[string]string{"connector.class": "test.HerderSinkConnector", "tasks.max": "2", "extra.tasks": "1"}
			if tc.enforce != "" {
				cfg["tasks.max.enforce"] = tc.enforce
			}
			if _, _, err := hs.h.PutConnectorConfig(context.Background(), "c1", cfg, false, ""); err != nil {
				t.Fatal(err)
			}
			if tc.fails {
				eventually(t, "connector FAILED", func() bool {
					st, ok := hs.status.Connector("c1")
					return ok && st.State == entities.StateFailed
				})
				st, _ := hs.status.Connector("c1")
				want := "The connector c1 has generated 3 tasks, which is greater than 2, the maximum number of tasks it is configured to create."
				if !strings.Contains(st.Trace, want) || !strings.Contains(st.Trace, "'tasks.max.enforce' set to false") {
					t.Fatalf("trace = %q", st.Trace)
				}
				if n := len(hs.configs.Snapshot().Tasks["c1"]); n != 0 {
					t.Fatalf("%d task configs written for a failed connector", n)
				}
				return
			}
			eventually(t, "3 tasks RUNNING", func() bool {
				ts := hs.status.Tasks("c1")
				if len(ts) != 3 {
					return false
				}
				for _, s := range ts {
					if s.State != entities.StateRunning {
						return false
					}
				}
				return true
			})
		})
	}
}

// unsyncStore is a config store whose reads to the end time out.
type unsyncStore struct{ *MemoryConfigStore }

func (unsyncStore) Refresh(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// leaveRecorderMember records LeaveFor requests.
type leaveRecorderMember struct {
	*Solo
	mu     sync.Mutex
	leaves []time.Duration
}

func (l *leaveRecorderMember) LeaveFor(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.leaves = append(l.leaves, d)
}

// TestHerderUnsyncedBacksOff: an assignment from a config offset this
// worker cannot read within worker.sync.timeout.ms makes it leave the group
// and wait, as Connect: worker.unsync.backoff.ms under the eager protocol,
// growing shares of scheduled.rebalance.max.delay.ms under the incremental
// one, whose sixth attempt gives up the work instead.
func TestHerderUnsyncedBacksOff(t *testing.T) {
	const unsync, delay = 7 * time.Second, 60 * time.Second
	cases := []struct {
		name  string
		full  bool
		times int
		want  []time.Duration
		// catchUp is the backoff a failed read before rejoining gives.
		catchUp time.Duration
	}{
		{"eager", true, 2, []time.Duration{unsync, unsync}, unsync},
		{"incremental", false, 7, []time.Duration{delay / 50, delay / 40, delay / 30, delay / 20, delay / 10, 0, delay / 50}, delay / 40},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &leaveRecorderMember{}
			hs := startHarnessConfig(t, func(s *Solo, _ *MemoryStatusStore) Membership { m.Solo = s; return m }, func(c *HerderConfig) {
				c.Configs = unsyncStore{c.Configs.(*MemoryConfigStore)}
				c.SyncTimeout, c.UnsyncBackoff, c.ScheduledRebalanceDelay = 20*time.Millisecond, unsync, delay
			})
			if _, _, err := hs.h.PutConnectorConfig(context.Background(), "c1", map[string]string{"connector.class": "test.HerderSinkConnector", "tasks.max": "1"}, false, ""); err != nil {
				t.Fatal(err)
			}
			id := entities.TaskID{Connector: "c1", Task: 0}
			eventually(t, "task RUNNING", func() bool { st, _ := hs.status.Task(id); return st.State == entities.StateRunning })
			ahead := hs.configs.Snapshot().Offset + 10
			for range tc.times {
				hs.h.OnAssigned(context.Background(), Assignment{ConfigOffset: ahead, Generation: 9, Full: tc.full})
			}
			m.mu.Lock()
			got := append([]time.Duration(nil), m.leaves...)
			m.mu.Unlock()
			if len(got) != len(tc.want) {
				t.Fatalf("backoffs %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("backoffs %v, want %v", got, tc.want)
				}
			}
			if ok, backoff := hs.h.CatchUp(context.Background()); ok || backoff != tc.catchUp {
				t.Fatalf("catching up before rejoining = %v, %s; want false, %s", ok, backoff, tc.catchUp)
			}
			conns, tasks := hs.h.Owned()
			if gaveUp := !tc.full; gaveUp != (len(conns) == 0 && len(tasks) == 0) {
				t.Fatalf("owned after unsynced rounds: %v %v", conns, tasks)
			}
		})
	}
}
