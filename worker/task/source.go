package task

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/transforms"
	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/worker"
	"github.com/gonnect/gonnect/worker/storage"
)

// OffsetStore is where source offsets are kept (the offset topic, or a
// file in standalone mode).
type OffsetStore interface {
	Get(connector string, partition map[string]any) map[string]any
	Set(ctx context.Context, connector string, offsets []worker.ConnectorOffset) error
}

// SourceConfig configures a source task runner.
type SourceConfig struct {
	ID                           worker.TaskID
	Bootstrap                    string
	ProducerProps                map[string]string
	TaskConfig                   map[string]string
	CommitInterval               time.Duration
	KeyConverter, ValueConverter schemas.Converter
	Task                         connectors.SourceTask
	Offsets                      OffsetStore
	Listener                     worker.TaskListener
	Logger                       *slog.Logger
	// Transforms run on each polled record before conversion; a failing
	// transformation fails the task, a dropped record is not produced.
	Transforms *transforms.Chain
}

// SourceRunner runs one source task: poll, convert, produce, and store
// source offsets only once Kafka acknowledged their records.
type SourceRunner struct {
	cfg      SourceConfig
	log      *slog.Logger
	producer *kafka.Producer

	mu       sync.Mutex
	paused   bool
	reported string
	inflight int
	failed   error
	// acked holds, per source partition, the newest offset whose record
	// and every earlier one were acknowledged.
	acked  map[string]worker.ConnectorOffset
	topics map[string]bool
	cond   *sync.Cond
}

// NewSourceRunner builds a runner.
func NewSourceRunner(cfg SourceConfig) *SourceRunner {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.CommitInterval <= 0 {
		cfg.CommitInterval = time.Minute
	}
	r := &SourceRunner{cfg: cfg, log: cfg.Logger.With("task", cfg.ID.String()), acked: map[string]worker.ConnectorOffset{}, topics: map[string]bool{}}
	r.cond = sync.NewCond(&r.mu)
	return r
}

// SetTargetState implements worker.TaskRunner.
func (r *SourceRunner) SetTargetState(state string) {
	r.mu.Lock()
	r.paused = state == string(worker.TargetPaused)
	r.mu.Unlock()
}

type sourceContext SourceRunner

func (c *sourceContext) Config() map[string]string { return c.cfg.TaskConfig }
func (c *sourceContext) Offset(p map[string]any) (map[string]any, error) {
	return c.cfg.Offsets.Get(c.cfg.ID.Connector, p), nil
}

// Run implements worker.TaskRunner.
func (r *SourceRunner) Run(ctx context.Context) (err error) {
	cm := kafka.ConfigMap{"bootstrap.servers": r.cfg.Bootstrap, "enable.idempotence": true, "acks": "all", "linger.ms": 5,
		"client.id": fmt.Sprintf("connector-producer-%s", r.cfg.ID)}
	for k, v := range r.cfg.ProducerProps {
		cm[k] = v
	}
	if r.producer, err = storage.NewProducer(cm); err != nil {
		return fmt.Errorf("creating producer for task %s: %w", r.cfg.ID, err)
	}
	done := make(chan struct{})
	go r.acks(done)
	// Close ends the events channel, which ends the acks goroutine.
	defer func() { r.producer.Flush(10000); r.producer.Close(); <-done }()
	if err := r.cfg.Task.Start(ctx, r.cfg.TaskConfig, (*sourceContext)(r)); err != nil {
		return fmt.Errorf("starting task %s: %w", r.cfg.ID, err)
	}
	defer func() {
		if serr := r.cfg.Task.Stop(); serr != nil && err == nil {
			err = fmt.Errorf("stopping task %s: %w", r.cfg.ID, serr)
		}
	}()
	lastFlush := time.Now()
	defer func() {
		// Bounded by the worker's shutdown timeout (task.shutdown.graceful.timeout.ms).
		fctx, cancel := worker.FinalContext(ctx)
		defer cancel()
		if ferr := r.flushOffsets(fctx); ferr != nil && err == nil {
			err = ferr
		}
	}()
	for ctx.Err() == nil {
		r.report()
		if r.isPaused() {
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		recs, err := r.cfg.Task.Poll(ctx)
		if err != nil {
			if connectors.IsRetriable(err) {
				r.log.Warn("retriable error polling task", "error", err)
				continue
			}
			return fmt.Errorf("task %s poll: %w", r.cfg.ID, err)
		}
		for _, rec := range recs {
			if r.cfg.Transforms.Len() > 0 {
				out, keep, err := r.cfg.Transforms.Apply(transforms.FromSource(&rec))
				if err != nil {
					return fmt.Errorf("task %s: error in stage %s: %w", r.cfg.ID, StageTransformation, err)
				}
				if !keep {
					continue
				}
				rec = out.ToSource(rec)
			}
			if err := r.send(rec); err != nil {
				return err
			}
		}
		if time.Since(lastFlush) >= r.cfg.CommitInterval {
			if err := r.flushOffsets(ctx); err != nil {
				return err
			}
			lastFlush = time.Now()
		}
	}
	return nil
}

func (r *SourceRunner) isPaused() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.paused
}

func (r *SourceRunner) report() {
	state := "RUNNING"
	if r.isPaused() {
		state = "PAUSED"
	}
	if state == r.reported {
		return
	}
	switch {
	case state == "PAUSED":
		r.cfg.Listener.OnPause(r.cfg.ID)
	case r.reported == "":
		r.cfg.Listener.OnRunning(r.cfg.ID)
	default:
		r.cfg.Listener.OnResume(r.cfg.ID)
	}
	r.reported = state
}

type pending struct {
	key    string
	offset worker.ConnectorOffset
}

func (r *SourceRunner) send(rec connectors.SourceRecord) error {
	key, err := r.cfg.KeyConverter.FromConnect(rec.Topic, rec.Key.Schema, rec.Key.Value)
	if err != nil {
		return fmt.Errorf("converting key of record for %s: %w", rec.Topic, err)
	}
	val, err := r.cfg.ValueConverter.FromConnect(rec.Topic, rec.Value.Schema, rec.Value.Value)
	if err != nil {
		return fmt.Errorf("converting value of record for %s: %w", rec.Topic, err)
	}
	topic := rec.Topic
	tp := kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}
	if rec.Partition != nil {
		tp.Partition = *rec.Partition
	}
	msg := &kafka.Message{TopicPartition: tp, Key: key, Value: val, Opaque: pending{key: canonicalKey(rec.SourcePartition),
		offset: worker.ConnectorOffset{Partition: rec.SourcePartition, Offset: rec.SourceOffset}}}
	if !rec.Timestamp.IsZero() {
		msg.Timestamp = rec.Timestamp
	}
	r.mu.Lock()
	if r.failed != nil {
		err := r.failed
		r.mu.Unlock()
		return err
	}
	r.inflight++
	first := !r.topics[topic]
	r.topics[topic] = true
	r.mu.Unlock()
	if first {
		r.cfg.Listener.OnTopic(r.cfg.ID, topic)
	}
	for {
		err := r.producer.Produce(msg, nil)
		if err == nil {
			return nil
		}
		if kerr, ok := err.(kafka.Error); ok && kerr.Code() == kafka.ErrQueueFull {
			r.producer.Flush(100)
			continue
		}
		return fmt.Errorf("producing to %s: %w", topic, err)
	}
}

// acks records acknowledged offsets. librdkafka reports deliveries of one
// partition in order, so the latest ack of a source partition covers the
// earlier records of that partition.
func (r *SourceRunner) acks(done chan struct{}) {
	defer close(done)
	for ev := range r.producer.Events() {
		m, ok := ev.(*kafka.Message)
		if !ok {
			continue
		}
		p, _ := m.Opaque.(pending)
		r.mu.Lock()
		r.inflight--
		if m.TopicPartition.Error != nil {
			r.failed = fmt.Errorf("producing record to %s: %w", *m.TopicPartition.Topic, m.TopicPartition.Error)
		} else if p.key != "" {
			r.acked[p.key] = p.offset
		}
		r.cond.Broadcast()
		r.mu.Unlock()
	}
}

// flushOffsets waits for in-flight records and stores their offsets.
func (r *SourceRunner) flushOffsets(ctx context.Context) error {
	r.producer.Flush(int(time.Until(deadlineOr(ctx, 30*time.Second)).Milliseconds()))
	r.mu.Lock()
	if r.failed != nil {
		err := r.failed
		r.mu.Unlock()
		return err
	}
	offs := make([]worker.ConnectorOffset, 0, len(r.acked))
	for _, o := range r.acked {
		offs = append(offs, o)
	}
	r.acked = map[string]worker.ConnectorOffset{}
	r.mu.Unlock()
	if len(offs) == 0 {
		return nil
	}
	if err := r.cfg.Offsets.Set(ctx, r.cfg.ID.Connector, offs); err != nil {
		return fmt.Errorf("storing offsets of task %s: %w", r.cfg.ID, err)
	}
	return r.cfg.Task.Commit(ctx)
}

func deadlineOr(ctx context.Context, d time.Duration) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl
	}
	return time.Now().Add(d)
}

func canonicalKey(m map[string]any) string { return fmt.Sprint(m) }
