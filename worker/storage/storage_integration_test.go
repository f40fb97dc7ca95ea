//go:build integration

package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/gonnect/gonnect/stack"
)

type countingListener struct {
	mu       sync.Mutex
	changes  int
	restarts []string
	loggers  []string
}

func (l *countingListener) LoggerLevelChanged(namespace, level string) {
	l.mu.Lock()
	l.loggers = append(l.loggers, namespace+"="+level)
	l.mu.Unlock()
}

func (l *countingListener) ConfigChanged() { l.mu.Lock(); l.changes++; l.mu.Unlock() }
func (l *countingListener) RestartRequested(name string, _, _ bool) {
	l.mu.Lock()
	l.restarts = append(l.restarts, name)
	l.mu.Unlock()
}

func testLog(t *testing.T, kind string) LogConfig {
	return LogConfig{Bootstrap: stack.KafkaBootstrap(), Topic: fmt.Sprintf("it-%s-%s-%d", kind, t.Name(), rand.Uint32()), Partitions: 1, Replication: 1}
}

func TestIntegrationConfigStoreRoundTripAndRestart(t *testing.T) {
	stack.RequireKafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := testLog(t, "configs")
	s := NewConfigStore(cfg)
	l := &countingListener{}
	s.SetListener(l)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	paused := entities.TargetPaused
	if err := s.PutConnectorConfig(ctx, "c1", map[string]string{"connector.class": "X", "name": "c1"}, &paused); err != nil {
		t.Fatal(err)
	}
	if err := s.PutTaskConfigs(ctx, "c1", []map[string]string{{"a": "0"}, {"a": "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutConnectorConfig(ctx, "c2", map[string]string{"connector.class": "Y"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.PutTargetState(ctx, "c2", entities.TargetStopped); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveConnectorConfig(ctx, "c2"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRestartRequest(ctx, "c1", true, false); err != nil {
		t.Fatal(err)
	}
	if err := s.PutLoggerLevel(ctx, "org.apache.kafka.connect", "debug"); err != nil {
		t.Fatal(err)
	}
	check := func(snap entities.ClusterConfig) {
		t.Helper()
		if snap.Connectors["c1"]["connector.class"] != "X" || snap.Target("c1") != entities.TargetPaused || len(snap.Tasks["c1"]) != 2 || snap.Tasks["c1"][1]["a"] != "1" {
			t.Fatalf("unexpected snapshot: %+v", snap)
		}
		if _, ok := snap.Connectors["c2"]; ok {
			t.Fatalf("c2 should be deleted: %+v", snap)
		}
	}
	check(s.Snapshot())
	l.mu.Lock()
	if l.changes == 0 || len(l.restarts) != 1 || l.restarts[0] != "c1" || len(l.loggers) != 1 || l.loggers[0] != "org.apache.kafka.connect=debug" {
		t.Fatalf("listener saw changes=%d restarts=%v loggers=%v", l.changes, l.restarts, l.loggers)
	}
	l.mu.Unlock()
	s.Stop()

	// A new store on the same topic rebuilds the same state; the restart
	// request and logger level it reads while starting are history.
	s2 := NewConfigStore(cfg)
	l2 := &countingListener{}
	s2.SetListener(l2)
	if err := s2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s2.Stop()
	check(s2.Snapshot())
	l2.mu.Lock()
	if len(l2.restarts) != 0 || len(l2.loggers) != 0 {
		t.Fatalf("restarted store replayed restarts=%v loggers=%v", l2.restarts, l2.loggers)
	}
	l2.mu.Unlock()
	if s2.Snapshot().Offset != s.Snapshot().Offset {
		t.Fatalf("offsets differ after restart: %d vs %d", s2.Snapshot().Offset, s.Snapshot().Offset)
	}
}

func TestIntegrationStatusStore(t *testing.T) {
	stack.RequireKafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := testLog(t, "status")
	cfg.Partitions = 5
	s := NewStatusStore(cfg)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if err := s.PutConnector(ctx, "c1", entities.ConnectorState{State: entities.StateRunning, WorkerID: "w:1", Version: "1.0"}, 3); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := s.PutTask(ctx, entities.TaskID{Connector: "c1", Task: i}, entities.TaskState{State: entities.StateFailed, WorkerID: "w:1", Trace: "boom"}, 3); err != nil {
			t.Fatal(err)
		}
	}
	// UNASSIGNED is written as Connect's putSafe: not over a status another
	// worker wrote in a later generation; over one of an earlier generation,
	// or the writer's own, it is.
	unassigned := func(w string) entities.ConnectorState {
		return entities.ConnectorState{State: entities.StateUnassigned, WorkerID: w}
	}
	for _, c := range []struct {
		worker string
		gen    int32
		want   entities.State
	}{
		{"w:2", 2, entities.StateRunning},
		{"w:1", 2, entities.StateUnassigned},
	} {
		if err := s.PutConnectorSafe(ctx, "c2", entities.ConnectorState{State: entities.StateRunning, WorkerID: "w:1"}, 3); err != nil {
			t.Fatal(err)
		}
		if err := s.PutConnectorSafe(ctx, "c2", unassigned(c.worker), c.gen); err != nil {
			t.Fatal(err)
		}
		if err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.Connector("c2"); st.State != c.want {
			t.Errorf("UNASSIGNED from %s in generation %d over RUNNING from w:1 in 3: %s, want %s", c.worker, c.gen, st.State, c.want)
		}
	}
	if err := s.PutTaskSafe(ctx, entities.TaskID{Connector: "c1", Task: 0}, entities.TaskState{State: entities.StateUnassigned, WorkerID: "w:2"}, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.PutTaskSafe(ctx, entities.TaskID{Connector: "c1", Task: 1}, entities.TaskState{State: entities.StateUnassigned, WorkerID: "w:2"}, 4); err != nil {
		t.Fatal(err)
	}
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if t0, _ := s.Task(entities.TaskID{Connector: "c1", Task: 0}); t0.State != entities.StateFailed {
		t.Errorf("task 0 after a stale UNASSIGNED from another worker: %s, want FAILED", t0.State)
	}
	if t1, _ := s.Task(entities.TaskID{Connector: "c1", Task: 1}); t1.State != entities.StateUnassigned {
		t.Errorf("task 1 after an UNASSIGNED of a later generation: %s, want UNASSIGNED", t1.State)
	}
	if err := s.PutTask(ctx, entities.TaskID{Connector: "c1", Task: 1}, entities.TaskState{State: entities.StateFailed, WorkerID: "w:1", Trace: "boom"}, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.PutActiveTopic(ctx, "c1", "orders", 0); err != nil {
		t.Fatal(err)
	}
	st, ok := s.Connector("c1")
	if !ok || st.State != entities.StateRunning || st.WorkerID != "w:1" || st.Version != "1.0" {
		t.Fatalf("connector status = %+v %v", st, ok)
	}
	tasks := s.Tasks("c1")
	if len(tasks) != 3 || tasks[2].ID != 2 || tasks[2].Trace != "boom" {
		t.Fatalf("tasks = %+v", tasks)
	}
	if got := s.ActiveTopics("c1"); len(got) != 1 || got[0] != "orders" {
		t.Fatalf("active topics = %v", got)
	}
	if err := s.ResetActiveTopics(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteConnector(ctx, "c1", 3); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Connector("c1"); ok || len(s.Tasks("c1")) != 0 || len(s.ActiveTopics("c1")) != 0 {
		t.Fatal("statuses and topics should be gone")
	}
}

func TestIntegrationReadsApacheConnectConfigTopic(t *testing.T) {
	// The reference worker's topic, written by Apache Kafka Connect itself.
	stack.RequireReferenceConnect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := NewConfigStore(LogConfig{Bootstrap: stack.KafkaBootstrap(), Topic: "reference-connect-configs", Replication: 1})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	snap := s.Snapshot()
	if snap.Offset == 0 {
		t.Fatal("read nothing from the reference config topic")
	}
	for name, cfg := range snap.Connectors {
		if cfg["name"] != name || cfg["connector.class"] == "" {
			t.Errorf("connector %s decoded as %v", name, cfg)
		}
		for i, tc := range snap.Tasks[name] {
			if tc["task.class"] == "" {
				t.Errorf("task %d of %s decoded without task.class: %v", i, name, tc)
			}
		}
	}
}
