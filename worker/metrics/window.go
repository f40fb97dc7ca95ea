package metrics

import (
	"math"
	"sync"
	"time"
)

// Connect's defaults for metrics.sample.window.ms and metrics.num.samples:
// its avg, max, rate and percentage metrics cover the last two 30 s
// windows.
const (
	sampleWindow = 30 * time.Second
	numSamples   = 2
)

// window is Kafka's SampledStat: values recorded into numSamples windows
// of sampleWindow, the oldest reused once it has expired.
type window struct {
	mu      sync.Mutex
	samples [numSamples]sample
	cur     int
	now     func() time.Time
}

type sample struct {
	start    time.Time
	count    int64
	sum, max float64
	ones     int64 // values of 1, for frequencies
}

func newWindow(now func() time.Time) *window {
	if now == nil {
		now = time.Now
	}
	w := &window{now: now}
	w.samples[0].start = now()
	return w
}

// record adds v at now (the caller's clock reading: on some machines a
// clock reading costs more than the rest of the instrumentation).
func (w *window) record(v float64, now time.Time) {
	w.mu.Lock()
	s := &w.samples[w.cur]
	if now.Sub(s.start) >= sampleWindow {
		w.cur = (w.cur + 1) % numSamples
		s = &w.samples[w.cur]
		*s = sample{start: now}
	}
	if s.count == 0 || v > s.max {
		s.max = v
	}
	s.count++
	s.sum += v
	if v == 1 {
		s.ones++
	}
	w.mu.Unlock()
}

type windowStats struct {
	count    int64
	sum, max float64
	ones     int64
	elapsed  time.Duration
}

// read combines the samples that have not expired.
func (w *window) read() windowStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	var st windowStats
	oldest := now
	for i := range w.samples {
		s := &w.samples[i]
		if s.start.IsZero() || now.Sub(s.start) >= numSamples*sampleWindow {
			continue
		}
		if s.start.Before(oldest) {
			oldest = s.start
		}
		if s.count == 0 {
			continue
		}
		if st.count == 0 || s.max > st.max {
			st.max = s.max
		}
		st.count += s.count
		st.sum += s.sum
		st.ones += s.ones
	}
	st.elapsed = now.Sub(oldest)
	return st
}

// Avg is Kafka's Avg: NaN without values.
func (w *window) avg() float64 {
	st := w.read()
	if st.count == 0 {
		return math.NaN()
	}
	return st.sum / float64(st.count)
}

// Max is Kafka's Max: NaN without values.
func (w *window) maxValue() float64 {
	st := w.read()
	if st.count == 0 {
		return math.NaN()
	}
	return st.max
}

// rate is Kafka's Rate in seconds: the sum over the time the samples
// cover, at least all but one full window (so a fresh stat does not
// report a burst as a huge rate).
func (w *window) rate() float64 {
	st := w.read()
	elapsed := max(st.elapsed, (numSamples-1)*sampleWindow)
	return st.sum / elapsed.Seconds()
}

// frequency is the share of recorded values that were 1 (Kafka's
// Frequencies over boolean values); 0 without values.
func (w *window) frequency(one bool) float64 {
	st := w.read()
	if st.count == 0 {
		return 0
	}
	f := float64(st.ones) / float64(st.count)
	if !one {
		f = 1 - f
	}
	return f
}
