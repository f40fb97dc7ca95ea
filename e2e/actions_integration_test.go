//go:build integration

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

// actionSink is one FileStreamSink connector (one task) on its own topic,
// with a counter of the lines produced to it so far.
type actionSink struct {
	name, topic, file string
	produced          int
}

// TestIntegrationActionsKeepConsuming: after every REST action on a running
// sink (sent to the worker that runs its task and to the other one, which
// forwards where needed) the task still consumes: every record produced
// afterwards reaches the file. A task whose lifetime was bound to the
// request that restarted it reports RUNNING and consumes nothing.
func TestIntegrationActionsKeepConsuming(t *testing.T) {
	c := newCluster(t, map[string]string{"scheduled.rebalance.max.delay.ms": "3000", "task.shutdown.graceful.timeout.ms": "3000"})
	workers := []*proc{c.start(), c.start()}
	suffix := rand.Uint32()
	dir := t.TempDir()

	newSink := func(t *testing.T, action string) *actionSink {
		t.Helper()
		s := &actionSink{name: fmt.Sprintf("act-%s-%d", action, suffix), topic: fmt.Sprintf("e2e-act-%s-%d", action, suffix)}
		s.file = dir + "/" + s.name + ".txt"
		if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, s.topic, 1, 1, nil); err != nil {
			t.Fatal(err)
		}
		if code, b, _ := do("PUT", workers[0].url()+"/connectors/"+s.name+"/config", s.config("0")); code != 201 {
			t.Fatalf("create %s: %d %s", s.name, code, b)
		}
		waitRunning(t, workers[0], s)
		s.produceAndAwait(t, 10)
		return s
	}

	// Each action runs against the task's worker, then against the other.
	actions := []struct {
		name string
		act  func(t *testing.T, via *proc, s *actionSink, round int)
	}{
		{"pause-resume", func(t *testing.T, via *proc, s *actionSink, _ int) {
			expect(t, via, "PUT", "/connectors/"+s.name+"/pause", nil, 202)
			waitState(t, workers[0], s, "PAUSED", "PAUSED")
			s.produce(t, 5) // held while paused, written after resume
			expect(t, via, "PUT", "/connectors/"+s.name+"/resume", nil, 202)
		}},
		{"stop-resume", func(t *testing.T, via *proc, s *actionSink, _ int) {
			expect(t, via, "PUT", "/connectors/"+s.name+"/stop", nil, 204)
			waitState(t, workers[0], s, "STOPPED", "")
			s.produce(t, 5)
			expect(t, via, "PUT", "/connectors/"+s.name+"/resume", nil, 202)
		}},
		{"restart", func(t *testing.T, via *proc, s *actionSink, _ int) {
			expect(t, via, "POST", "/connectors/"+s.name+"/restart", nil, 204)
		}},
		{"restart-tasks", func(t *testing.T, via *proc, s *actionSink, _ int) {
			expect(t, via, "POST", "/connectors/"+s.name+"/restart?includeTasks=true", nil, 202)
		}},
		{"restart-failed", func(t *testing.T, via *proc, s *actionSink, _ int) {
			expect(t, via, "POST", "/connectors/"+s.name+"/restart?onlyFailed=true", nil, 202)
		}},
		{"restart-tasks-failed", func(t *testing.T, via *proc, s *actionSink, _ int) {
			expect(t, via, "POST", "/connectors/"+s.name+"/restart?includeTasks=true&onlyFailed=true", nil, 202)
		}},
		{"task-restart", func(t *testing.T, via *proc, s *actionSink, _ int) {
			expect(t, via, "POST", "/connectors/"+s.name+"/tasks/0/restart", nil, 204)
		}},
		{"put-config", func(t *testing.T, via *proc, s *actionSink, round int) {
			// A new config gives the task a new config: it is restarted.
			expect(t, via, "PUT", "/connectors/"+s.name+"/config", s.config(fmt.Sprint(round)), 200)
		}},
		{"patch-config", func(t *testing.T, via *proc, s *actionSink, round int) {
			expect(t, via, "PATCH", "/connectors/"+s.name+"/config", map[string]string{"e2e.round": fmt.Sprint(round)}, 200)
		}},
		{"offsets-reset", func(t *testing.T, via *proc, s *actionSink, _ int) {
			expect(t, via, "PUT", "/connectors/"+s.name+"/stop", nil, 204)
			waitState(t, workers[0], s, "STOPPED", "")
			expect(t, via, "DELETE", "/connectors/"+s.name+"/offsets", nil, 200)
			expect(t, via, "PUT", "/connectors/"+s.name+"/resume", nil, 202)
		}},
	}
	for _, a := range actions {
		t.Run(a.name, func(t *testing.T) {
			s := newSink(t, a.name)
			for round, target := range []string{"owner", "other"} {
				owner, other := ownerOf(t, workers, s)
				via := owner
				if target == "other" {
					via = other
				}
				a.act(t, via, s, round+1)
				waitRunning(t, workers[0], s)
				s.produceAndAwait(t, 10)
				// Restart records are applied after the request returns:
				// a task restarted late must consume too.
				time.Sleep(time.Second)
				s.produceAndAwait(t, 10)
				t.Logf("%s via the %s worker (%s): all %d records written", a.name, target, via.url(), s.produced)
			}
		})
	}
}

func (s *actionSink) config(round string) map[string]string {
	return map[string]string{"connector.class": "FileStreamSink", "tasks.max": "1", "topics": s.topic, "file": s.file, "e2e.round": round}
}

func (s *actionSink) produce(t *testing.T, n int) {
	t.Helper()
	produceLines(t, s.topic, s.produced, s.produced+n)
	s.produced += n
}

// produceAndAwait produces n more lines and waits until every line produced
// so far is in the file.
func (s *actionSink) produceAndAwait(t *testing.T, n int) {
	t.Helper()
	s.produce(t, n)
	eventually(t, 30*time.Second, fmt.Sprintf("all %d lines of %s in its file", s.produced, s.name), func() (bool, string) {
		got := linesIn(s.file)
		for i := range s.produced {
			if !got[fmt.Sprintf("line-%06d", i)] {
				return false, fmt.Sprintf("%d distinct lines, line %d missing", len(got), i)
			}
		}
		return true, ""
	})
}

func waitRunning(t *testing.T, w *proc, s *actionSink) {
	t.Helper()
	eventually(t, 60*time.Second, s.name+" and its task RUNNING", func() (bool, string) { return allRunning(t, w.url(), s.name, 1) })
}

// waitState waits for the connector's state and, when task is not empty,
// its one task's; an empty task state means no tasks.
func waitState(t *testing.T, w *proc, s *actionSink, conn, task string) {
	t.Helper()
	eventually(t, 30*time.Second, fmt.Sprintf("%s %s, task %q", s.name, conn, task), func() (bool, string) {
		st, ok := statusOf(t, w.url(), s.name)
		if !ok || st.Connector.State != conn {
			return false, fmt.Sprintf("%+v", st)
		}
		if task == "" {
			return len(st.Tasks) == 0, fmt.Sprintf("%+v", st)
		}
		return len(st.Tasks) == 1 && st.Tasks[0].State == task, fmt.Sprintf("%+v", st)
	})
}

// ownerOf returns the worker that runs the sink's task and the other one.
func ownerOf(t *testing.T, workers []*proc, s *actionSink) (owner, other *proc) {
	t.Helper()
	st, _ := statusOf(t, workers[0].url(), s.name)
	if len(st.Tasks) != 1 {
		t.Fatalf("%s has no task: %+v", s.name, st)
	}
	for _, w := range workers {
		if strings.HasSuffix(st.Tasks[0].WorkerID, fmt.Sprintf(":%d", w.port)) {
			owner = w
		} else {
			other = w
		}
	}
	if owner == nil || other == nil {
		t.Fatalf("task of %s runs on %s, not one of the two workers", s.name, st.Tasks[0].WorkerID)
	}
	return owner, other
}

func expect(t *testing.T, w *proc, method, path string, body any, want int) {
	t.Helper()
	code, b, _ := do(method, w.url()+path, body)
	if code != want {
		t.Fatalf("%s %s via %s: %d %s, want %d", method, path, w.url(), code, b, want)
	}
}
