package worker

import (
	"strings"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/worker/metrics"
)

// TaskMetricsOwner is a runner that counts its task's metrics; the runtime
// exposes them from the task's start until it stops the task (a failed
// task keeps reporting status "failed" until then, as in Connect).
type TaskMetricsOwner interface {
	TaskMetrics() *metrics.Task
}

// setMetrics makes the runtime report into reg: worker metrics, and the
// connectors and tasks it runs, with their states.
func (rt *runtime) setMetrics(reg *metrics.Registry) {
	if reg == nil {
		return
	}
	rt.metrics = reg
	rt.wm = metrics.NewWorker(func() int {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		n := 0
		for _, c := range rt.connectors {
			if c.conn != nil {
				n++
			}
		}
		return n
	}, func() int {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		return len(rt.tasks)
	})
	rt.wm.TaskStates = func() map[string]map[string]int {
		rt.mu.Lock()
		ids := make([]entities.TaskID, 0, len(rt.tasks))
		for id := range rt.tasks {
			ids = append(ids, id)
		}
		rt.mu.Unlock()
		out := map[string]map[string]int{}
		for _, id := range ids {
			if t, ok := reg.Get(metrics.TaskKey(id.Connector, id.Task)).(*metrics.Task); ok {
				if out[id.Connector] == nil {
					out[id.Connector] = map[string]int{}
				}
				out[id.Connector][t.Status()]++
			}
		}
		return out
	}
	reg.Add("worker", rt.wm)
	rt.status = metricsStatus{StatusSink: rt.status, reg: reg}
}

func (rt *runtime) connectorStarted(name string, plugin connectors.Plugin, ok bool) {
	if rt.wm == nil {
		return
	}
	rt.wm.ConnectorStarted(ok)
	// A connector that failed to start reports status failed until stopped.
	rt.metrics.Add(metrics.ConnectorKey(name), &metrics.Connector{Name: name, Class: plugin.Class, Type: string(plugin.Type), Version: plugin.Version})
}

func (rt *runtime) connectorGone(name string) { rt.metrics.Remove(metrics.ConnectorKey(name)) }

func (rt *runtime) taskStarted(runner TaskRunner, ok bool) {
	if rt.wm == nil {
		return
	}
	rt.wm.TaskStarted(ok)
	if o, is := runner.(TaskMetricsOwner); ok && is {
		if tm := o.TaskMetrics(); tm != nil {
			rt.metrics.Add(tm.Key(), tm)
		}
	}
}

func (rt *runtime) taskGone(id entities.TaskID) {
	rt.metrics.Remove(metrics.TaskKey(id.Connector, id.Task))
}

// metricsStatus passes states on and records them in the metrics.
type metricsStatus struct {
	StatusSink
	reg *metrics.Registry
}

func (s metricsStatus) ConnectorState(name string, state entities.State, trace string) {
	if c, ok := s.reg.Get(metrics.ConnectorKey(name)).(*metrics.Connector); ok {
		c.SetStatus(strings.ToLower(string(state)))
	}
	s.StatusSink.ConnectorState(name, state, trace)
}

func (s metricsStatus) TaskState(id entities.TaskID, state entities.State, trace string) {
	if t, ok := s.reg.Get(metrics.TaskKey(id.Connector, id.Task)).(*metrics.Task); ok {
		t.SetStatus(strings.ToLower(string(state)))
	}
	s.StatusSink.TaskState(id, state, trace)
}
