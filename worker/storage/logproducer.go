package storage

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// A worker's internal-topic logs (configs, offsets, statuses) share one
// producer: their settings are the same and every send is awaited on its
// own delivery channel, so one librdkafka client (its threads, buffers
// and connections) serves the three instead of one each.

type logProducer struct {
	p      *kafka.Producer
	refs   int
	cancel context.CancelFunc
	done   chan struct{}
}

var logProducers = struct {
	sync.Mutex
	byKey map[string]*logProducer
}{byKey: map[string]*logProducer{}}

// acquireLogProducer returns the shared producer for these settings,
// creating it if it is the first; release must be called once done.
func acquireLogProducer(cm kafka.ConfigMap, logger *slog.Logger) (*kafka.Producer, func(), error) {
	key := ""
	for _, k := range slices.Sorted(maps.Keys(cm)) {
		key += fmt.Sprintf("%s=%v\x00", k, cm[k])
	}
	logProducers.Lock()
	defer logProducers.Unlock()
	lp := logProducers.byKey[key]
	if lp == nil {
		p, err := NewProducer(cm)
		if err != nil {
			return nil, nil, err
		}
		ctx, cancel := context.WithCancel(context.Background())
		lp = &logProducer{p: p, cancel: cancel, done: make(chan struct{})}
		go lp.drainEvents(ctx, logger)
		logProducers.byKey[key] = lp
	}
	lp.refs++
	var once sync.Once
	return lp.p, func() { once.Do(func() { releaseLogProducer(key, lp) }) }, nil
}

func releaseLogProducer(key string, lp *logProducer) {
	logProducers.Lock()
	lp.refs--
	last := lp.refs == 0
	if last {
		delete(logProducers.byKey, key)
	}
	logProducers.Unlock()
	if last {
		lp.p.Flush(5000)
		lp.cancel()
		<-lp.done
		lp.p.Close()
	}
}

// drainEvents consumes producer events that have no waiter.
func (lp *logProducer) drainEvents(ctx context.Context, logger *slog.Logger) {
	defer close(lp.done)
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-lp.p.Events():
			if !ok {
				return
			}
			if e, isErr := ev.(kafka.Error); isErr {
				logger.Warn("internal topics producer error", "error", e)
			}
		}
	}
}
