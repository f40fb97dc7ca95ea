package metrics

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"
)

// History keeps the last minutes of every task's throughput and lag on
// this worker, sampled from the task metrics at a fixed interval, so the
// web console can chart them as soon as it opens (Prometheus keeps the
// long history; this is the few minutes an operator looks at).
type History struct {
	reg   *Registry
	every time.Duration
	keep  int

	mu     sync.Mutex
	series map[string]*series
}

// Sample is one point of a task's series.
type Sample struct {
	// At is the sample's time in milliseconds since the epoch.
	At int64 `json:"t"`
	// Total is the records the task has passed on since it started: sent
	// to the sink's put, or written to Kafka by a source.
	Total int64 `json:"total"`
	// Rate is records per second since the previous sample.
	Rate float64 `json:"rate"`
	// Lag is the records between a sink task's position and the end of
	// its partitions (summed), -1 for a source task.
	Lag int64 `json:"lag"`
	// DLQ is the records the task has sent to its dead letter queue.
	DLQ int64 `json:"dlq"`
}

// TaskSeries is one task's samples, oldest first.
type TaskSeries struct {
	Connector string   `json:"connector"`
	Task      int      `json:"task"`
	Type      string   `json:"type"` // sink or source
	Samples   []Sample `json:"samples"`
}

type series struct {
	TaskSeries
	task *Task
}

// NewHistory samples reg's tasks every interval, keeping span of samples.
func NewHistory(reg *Registry, every, span time.Duration) *History {
	keep := int(span / every)
	if keep < 2 {
		keep = 2
	}
	return &History{reg: reg, every: every, keep: keep, series: map[string]*series{}}
}

// Run samples until ctx ends; its owner is the worker.
func (h *History) Run(ctx context.Context) {
	t := time.NewTicker(h.every)
	defer t.Stop()
	h.sample(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			h.sample(now)
		}
	}
}

// sample takes one point of every task registered now; a task gone from
// the registry leaves the history with its series, and a task object that
// replaced another under the same key (a restart) starts a new series.
func (h *History) sample(now time.Time) {
	tasks := h.reg.tasks()
	h.mu.Lock()
	defer h.mu.Unlock()
	live := make(map[string]bool, len(tasks))
	for _, t := range tasks {
		k := t.Key()
		live[k] = true
		s := h.series[k]
		if s == nil || s.task != t {
			typ := "source"
			if t.Sink {
				typ = "sink"
			}
			s = &series{TaskSeries: TaskSeries{Connector: t.Connector, Task: t.ID, Type: typ}, task: t}
			h.series[k] = s
		}
		p := Sample{At: now.UnixMilli(), Total: t.Written.Load(), Lag: -1, DLQ: t.DLQRequests.Load()}
		if t.Sink {
			p.Total, p.Lag = t.Sent.Load(), t.totalLag()
		}
		if n := len(s.Samples); n > 0 {
			prev := s.Samples[n-1]
			if dt := float64(p.At-prev.At) / 1000; dt > 0 && p.Total >= prev.Total {
				p.Rate = float64(p.Total-prev.Total) / dt
			}
		}
		s.Samples = append(s.Samples, p)
		if len(s.Samples) > h.keep {
			s.Samples = append(s.Samples[:0], s.Samples[len(s.Samples)-h.keep:]...)
		}
	}
	for k := range h.series {
		if !live[k] {
			delete(h.series, k)
		}
	}
}

// Snapshot is every task's series, ordered by connector and task.
func (h *History) Snapshot() []TaskSeries {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]TaskSeries, 0, len(h.series))
	for _, s := range h.series {
		ts := s.TaskSeries
		ts.Samples = append([]Sample(nil), s.Samples...)
		out = append(out, ts)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Connector != out[j].Connector {
			return out[i].Connector < out[j].Connector
		}
		return out[i].Task < out[j].Task
	})
	return out
}

// ServeHTTP answers the history as JSON: the sampling interval and the
// series of the tasks this worker runs.
func (h *History) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(struct {
		IntervalMs int64        `json:"interval_ms"`
		Tasks      []TaskSeries `json:"tasks"`
	}{h.every.Milliseconds(), h.Snapshot()})
}

// totalLag sums the lag of the task's partitions.
func (t *Task) totalLag() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for _, l := range t.lag {
		n += l
	}
	return n
}
