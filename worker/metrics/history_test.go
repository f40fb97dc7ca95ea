package metrics

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"
)

func TestHistorySamples(t *testing.T) {
	reg := New()
	sink, src := NewTask("s", 0, true), NewTask("src", 1, false)
	reg.Add(sink.Key(), sink)
	reg.Add(src.Key(), src)
	h := NewHistory(reg, 5*time.Second, 15*time.Second) // keeps 3 samples
	t0 := time.UnixMilli(1_700_000_000_000)
	steps := []struct {
		sent, written int64
		lag           map[string]map[int32]int64
	}{
		{0, 0, map[string]map[int32]int64{"t": {0: 7, 1: 3}}},
		{50, 20, map[string]map[int32]int64{"t": {0: 2}}},
		{150, 20, nil},
		{400, 70, nil},
	}
	for i, st := range steps {
		sink.DLQRequests.Store(int64(i))
		sink.Sent.Store(st.sent)
		src.Written.Store(st.written)
		sink.SetLag(st.lag)
		h.sample(t0.Add(time.Duration(i) * 5 * time.Second))
	}
	got := h.Snapshot()
	if len(got) != 2 || got[0].Connector != "s" || got[0].Type != "sink" || got[1].Type != "source" {
		t.Fatalf("series: %+v", got)
	}
	for _, c := range []struct {
		name string
		s    []Sample
		want []Sample
	}{
		{"sink", got[0].Samples, []Sample{
			{At: t0.Add(5 * time.Second).UnixMilli(), Total: 50, Rate: 10, Lag: 2, DLQ: 1},
			{At: t0.Add(10 * time.Second).UnixMilli(), Total: 150, Rate: 20, Lag: 0, DLQ: 2},
			{At: t0.Add(15 * time.Second).UnixMilli(), Total: 400, Rate: 50, Lag: 0, DLQ: 3},
		}},
		{"source", got[1].Samples, []Sample{
			{At: t0.Add(5 * time.Second).UnixMilli(), Total: 20, Rate: 4, Lag: -1},
			{At: t0.Add(10 * time.Second).UnixMilli(), Total: 20, Rate: 0, Lag: -1},
			{At: t0.Add(15 * time.Second).UnixMilli(), Total: 70, Rate: 10, Lag: -1},
		}},
	} {
		if len(c.s) != len(c.want) {
			t.Fatalf("%s: %d samples, want %d: %+v", c.name, len(c.s), len(c.want), c.s)
		}
		for i := range c.want {
			if c.s[i] != c.want[i] {
				t.Errorf("%s sample %d = %+v, want %+v", c.name, i, c.s[i], c.want[i])
			}
		}
	}

	// A restarted task (a new metrics object under the key) starts over,
	// and a removed one leaves the history.
	again := NewTask("s", 0, true)
	reg.Add(again.Key(), again)
	reg.Remove(src.Key())
	h.sample(t0.Add(20 * time.Second))
	got = h.Snapshot()
	if len(got) != 1 || len(got[0].Samples) != 1 || got[0].Samples[0].Total != 0 || got[0].Samples[0].Rate != 0 {
		t.Fatalf("after a restart and a removal: %+v", got)
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	var body struct {
		IntervalMs int64        `json:"interval_ms"`
		Tasks      []TaskSeries `json:"tasks"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.IntervalMs != 5000 || len(body.Tasks) != 1 {
		t.Fatalf("served %s (%v)", rec.Body, err)
	}
}
