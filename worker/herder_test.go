package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
	"github.com/gonnect/gonnect/worker/task"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/internal/logging"
)

// testConnector splits into tasks.max tasks.
type testConnector struct{ cfg map[string]string }

func (c *testConnector) Version() string              { return "1" }
func (c *testConnector) Config() *configdef.ConfigDef { return configdef.New() }
func (c *testConnector) Start(_ context.Context, cfg map[string]string) error {
	if cfg["fail.start"] == "true" {
		return fmt.Errorf("boom")
	}
	c.cfg = cfg
	return nil
}
func (c *testConnector) TaskConfigs(max int) ([]map[string]string, error) {
	// extra.tasks makes a connector that ignores tasks.max.
	extra, _ := strconv.Atoi(c.cfg["extra.tasks"])
	out := make([]map[string]string, max+extra)
	for i := range out {
		out[i] = map[string]string{"n": strconv.Itoa(i), "v": c.cfg["v"]}
	}
	return out, nil
}
func (c *testConnector) Stop() error                  { return nil }
func (c *testConnector) NewTask() connectors.SinkTask { return nil }

// fakeRunner reports its state like a real runner: RUNNING or PAUSED as
// its target says, under one lock so reports are never reordered.
type fakeRunner struct {
	id      entities.TaskID
	l       task.Listener
	mu      sync.Mutex
	paused  bool
	started bool
}

func (r *fakeRunner) Run(ctx context.Context) error {
	r.mu.Lock()
	r.started = true
	if r.paused {
		r.l.OnPause(r.id)
	} else {
		r.l.OnRunning(r.id)
	}
	r.mu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}

func (r *fakeRunner) SetTargetState(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paused = s == string(entities.TargetPaused)
	if !r.started {
		return
	}
	if r.paused {
		r.l.OnPause(r.id)
	} else {
		r.l.OnResume(r.id)
	}
}

func init() {
	connectors.Register(connectors.Plugin{Class: "test.HerderSinkConnector", Type: connectors.TypeSink, Version: "1",
		New: func() connectors.Connector { return &testConnector{} }})
}

type harness struct {
	h       *Herder
	configs *MemoryConfigStore
	status  *MemoryStatusStore
	cancel  context.CancelFunc
	done    chan error
}

func startHarness(t *testing.T) *harness {
	t.Helper()
	return startHarnessWith(t, func(s *Solo, _ *MemoryStatusStore) Membership { return s })
}

// startHarnessWith runs a herder whose membership wraps the standalone one.
func startHarnessWith(t *testing.T, member func(*Solo, *MemoryStatusStore) Membership) *harness {
	t.Helper()
	return startHarnessConfig(t, member, func(c *HerderConfig) {})
}

// startHarnessConfig runs a herder whose config edit may change anything.
func startHarnessConfig(t *testing.T, member func(*Solo, *MemoryStatusStore) Membership, edit func(*HerderConfig)) *harness {
	t.Helper()
	configs, status := NewMemoryConfigStore(), NewMemoryStatusStore()
	solo := NewSolo("http://w1:8083/")
	hc := HerderConfig{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), WorkerID: "w1:8083", Configs: configs, Status: status, Member: member(solo, status),
		NewTask: func(id entities.TaskID, _ connectors.Plugin, _, _ map[string]string, l task.Listener) (TaskRunner, error) {
			return &fakeRunner{id: id, l: l}, nil
		},
		Validate: func(context.Context, string, map[string]string) (configdef.Infos, error) {
			return configdef.Infos{}, nil
		},
		StopTimeout: time.Second,
		Loggers:     logging.New(slog.NewTextHandler(io.Discard, nil), slog.LevelInfo),
	}
	edit(&hc)
	h := NewHerder(hc)
	configs.SetListener(h)
	solo.SetHandler(h)
	ctx, cancel := context.WithCancel(context.Background())
	hs := &harness{h: h, configs: configs, status: status, cancel: cancel, done: make(chan error, 1)}
	go func() { hs.done <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-hs.done:
		case <-time.After(5 * time.Second):
			t.Error("herder did not stop within 5s")
		}
	})
	return hs
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHerderLifecycle(t *testing.T) {
	hs := startHarness(t)
	ctx := context.Background()
	cfg := map[string]string{"connector.class": "test.HerderSinkConnector", "tasks.max": "3", "name": "c1", "v": "a"}
	created, info, err := hs.h.PutConnectorConfig(ctx, "c1", cfg, false, "")
	if err != nil || !created || info.Type != entities.TypeSink || len(info.Tasks) != 0 {
		t.Fatalf("create: created=%v info=%+v err=%v", created, info, err)
	}
	if _, _, err := hs.h.PutConnectorConfig(ctx, "c1", cfg, false, ""); err == nil || err.Error() != "Connector c1 already exists" {
		t.Fatalf("duplicate create: err=%v", err)
	}
	running := func(n int) func() bool {
		return func() bool {
			st, err := hs.h.ConnectorStatus(ctx, "c1")
			if err != nil || st.Connector.State != entities.StateRunning || len(st.Tasks) != n {
				return false
			}
			for _, ts := range st.Tasks {
				if ts.State != entities.StateRunning || ts.WorkerID != "w1:8083" {
					return false
				}
			}
			return true
		}
	}
	eventually(t, "connector and 3 tasks RUNNING", running(3))
	tasks, err := hs.h.Tasks(ctx, "c1")
	if err != nil || len(tasks) != 3 || tasks[2].Config["task.class"] != "test.HerderSinkTask" || tasks[1].Config["n"] != "1" {
		t.Fatalf("tasks = %+v, %v", tasks, err)
	}

	// Fewer tasks after an update: task 2's status drops out.
	cfg2 := maps.Clone(cfg)
	cfg2["tasks.max"] = "2"
	if created, _, err := hs.h.PutConnectorConfig(ctx, "c1", cfg2, true, ""); err != nil || created {
		t.Fatalf("update: created=%v err=%v", created, err)
	}
	eventually(t, "2 tasks after update", running(2))

	// A null patch is Connect's 500 once the connector exists, a 404 before.
	var se *entities.StatusError
	if _, err := hs.h.PatchConnectorConfig(ctx, "c1", nil); !errors.As(err, &se) || se.Status != 500 {
		t.Fatalf("null patch: err=%v, want a 500", err)
	}
	if _, err := hs.h.PatchConnectorConfig(ctx, "nope", nil); err == nil || err.Error() != "Connector nope not found" {
		t.Fatalf("null patch of an unknown connector: err=%v", err)
	}

	if err := hs.h.SetTargetState(ctx, "c1", entities.TargetPaused); err != nil {
		t.Fatal(err)
	}
	eventually(t, "PAUSED", func() bool {
		st, _ := hs.h.ConnectorStatus(ctx, "c1")
		return st.Connector.State == entities.StatePaused && len(st.Tasks) == 2 && st.Tasks[0].State == entities.StatePaused
	})

	if err := hs.h.SetTargetState(ctx, "c1", entities.TargetStopped); err != nil {
		t.Fatal(err)
	}
	eventually(t, "STOPPED with no tasks", func() bool {
		st, _ := hs.h.ConnectorStatus(ctx, "c1")
		return st.Connector.State == entities.StateStopped && len(st.Tasks) == 0
	})
	if err := hs.h.SetTargetState(ctx, "c1", entities.TargetStarted); err != nil {
		t.Fatal(err)
	}
	eventually(t, "running again after resume from STOPPED", running(2))

	if err := hs.h.DeleteConnector(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "404 after delete", func() bool {
		_, err := hs.h.ConnectorInfo(ctx, "c1")
		return err != nil && err.Error() == "Connector c1 not found"
	})
	if err := hs.h.DeleteConnector(ctx, "c1"); err == nil {
		t.Fatal("second delete must fail with not found")
	}
}

func TestHerderConnectorStartFailureIsFailedStatus(t *testing.T) {
	hs := startHarness(t)
	ctx := context.Background()
	cfg := map[string]string{"connector.class": "test.HerderSinkConnector", "tasks.max": "1", "fail.start": "true"}
	if _, _, err := hs.h.PutConnectorConfig(ctx, "bad", cfg, false, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "FAILED with trace", func() bool {
		st, err := hs.h.ConnectorStatus(ctx, "bad")
		return err == nil && st.Connector.State == entities.StateFailed && st.Connector.Trace != ""
	})
}

// TestHerderClusterLoggerLevel: in standalone mode the worker is the whole
// cluster, so a cluster-scoped level applies before the request returns;
// a level that is not one is ignored.
func TestHerderClusterLoggerLevel(t *testing.T) {
	hs := startHarness(t)
	ctx := context.Background()
	if err := hs.h.SetClusterLoggerLevel(ctx, "org.apache.kafka.connect", "debug"); err != nil {
		t.Fatal(err)
	}
	if lv, ok := hs.h.loggers.Get("org.apache.kafka.connect"); !ok || lv.Level != "DEBUG" || lv.LastModified == nil {
		t.Fatalf("level after cluster request = %+v, %v", lv, ok)
	}
	hs.h.LoggerLevelChanged("org.apache.kafka.connect", "LOUD")
	if lv, _ := hs.h.loggers.Get("org.apache.kafka.connect"); lv.Level != "DEBUG" {
		t.Fatalf("invalid level applied: %+v", lv)
	}
}

// leaveRecorder notes the status of task c1-0 when its membership ends,
// which for a group member is when it leaves the group.
type leaveRecorder struct {
	*Solo
	status  *MemoryStatusStore
	atLeave chan entities.State
}

func (l *leaveRecorder) Run(ctx context.Context) error {
	err := l.Solo.Run(ctx)
	st, _ := l.status.Task(entities.TaskID{Connector: "c1", Task: 0})
	l.atLeave <- st.State
	return err
}

// TestHerderStopsWorkBeforeLeaving: a stopping worker leaves its group only
// after its tasks are stopped and reported UNASSIGNED, so the leader sees a
// clean hand-over and moves the work at once instead of holding it for
// scheduled.rebalance.max.delay.ms as a crashed worker's.
func TestHerderStopsWorkBeforeLeaving(t *testing.T) {
	atLeave := make(chan entities.State, 1)
	hs := startHarnessWith(t, func(s *Solo, st *MemoryStatusStore) Membership {
		return &leaveRecorder{Solo: s, status: st, atLeave: atLeave}
	})
	ctx := context.Background()
	cfg := map[string]string{"connector.class": "test.HerderSinkConnector", "tasks.max": "1"}
	if _, _, err := hs.h.PutConnectorConfig(ctx, "c1", cfg, false, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "task RUNNING", func() bool {
		st, ok := hs.status.Task(entities.TaskID{Connector: "c1", Task: 0})
		return ok && st.State == entities.StateRunning
	})
	hs.cancel()
	select {
	case st := <-atLeave:
		if st != entities.StateUnassigned {
			t.Fatalf("task status when leaving the group = %s, want UNASSIGNED", st)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("membership did not end within 5s of stopping the herder")
	}
}

// TestHerderPausedConnectorKeepsTaskConfigs: as in Connect, a config change
// to a paused connector leaves its task configs as they were until it
// resumes, when they are regenerated from the new config.
func TestHerderPausedConnectorKeepsTaskConfigs(t *testing.T) {
	hs := startHarness(t)
	ctx := context.Background()
	cfg := func(tasks string) map[string]string {
		return map[string]string{"connector.class": "test.HerderSinkConnector", "tasks.max": tasks}
	}
	if _, _, err := hs.h.PutConnectorConfig(ctx, "c1", cfg("2"), false, ""); err != nil {
		t.Fatal(err)
	}
	tasks := func() int { return len(hs.configs.Snapshot().Tasks["c1"]) }
	eventually(t, "two tasks", func() bool { return tasks() == 2 })
	if err := hs.h.SetTargetState(ctx, "c1", entities.TargetPaused); err != nil {
		t.Fatal(err)
	}
	eventually(t, "paused", func() bool {
		st, _ := hs.h.ConnectorStatus(ctx, "c1")
		return st.Connector.State == entities.StatePaused
	})
	if _, _, err := hs.h.PutConnectorConfig(ctx, "c1", cfg("3"), true, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new config applied", func() bool {
		var max string
		_ = hs.h.do(ctx, func() error { max = hs.h.applied.Connectors["c1"]["tasks.max"]; return nil })
		return max == "3"
	})
	time.Sleep(100 * time.Millisecond)
	if n := tasks(); n != 2 {
		t.Fatalf("paused: %d task configs after tasks.max=3, want the 2 it had", n)
	}
	if err := hs.h.SetTargetState(ctx, "c1", entities.TargetStarted); err != nil {
		t.Fatal(err)
	}
	eventually(t, "three tasks after the resume", func() bool { return tasks() == 3 })
}
