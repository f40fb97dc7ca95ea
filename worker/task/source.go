package task

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/transforms"
	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/worker/metrics"
	"github.com/gonnect/gonnect/worker/storage"
)

// OffsetStore is where source offsets are kept (the offset topic, or a
// file in standalone mode).
type OffsetStore interface {
	Get(connector string, partition map[string]any) map[string]any
	Set(ctx context.Context, connector string, offsets []entities.ConnectorOffset) error
}

// SourceConfig configures a source task runner.
type SourceConfig struct {
	ID              entities.TaskID
	Bootstrap       string
	ProducerProps   map[string]string
	ConnectorConfig map[string]string
	TaskConfig      map[string]string
	CommitInterval  time.Duration
	// CommitTimeout bounds an offset flush (offset.flush.timeout.ms, 5 s
	// by default); ShutdownTimeout the final one when the task stops
	// (task.shutdown.graceful.timeout.ms, 5 s by default).
	CommitTimeout, ShutdownTimeout time.Duration
	KeyConverter, ValueConverter   schemas.Converter
	// HeaderConverter writes record headers (header.converter); nil
	// writes header values as their string form.
	HeaderConverter                   schemas.Converter
	KeyClass, ValueClass, HeaderClass string
	Task                              connectors.SourceTask
	Offsets                           OffsetStore
	Listener                          Listener
	Logger                            *slog.Logger
	// Transforms run on each polled record before conversion; a record a
	// transformation drops is not produced, its offset is committed.
	Transforms *transforms.Chain
	// PluginLogger is the task's own logger (Logger when nil).
	PluginLogger *slog.Logger
}

// SourceRunner runs one source task: poll, convert, produce, and store
// source offsets only once Kafka acknowledged their records.
type SourceRunner struct {
	cfg       SourceConfig
	log       *slog.Logger
	producer  *kafka.Producer
	tolerance *Tolerance
	m         *metrics.Task

	mu       sync.Mutex
	paused   bool
	reported string
	inflight int
	failed   error
	// acked holds, per source partition, the newest offset whose record
	// and every earlier one were acknowledged.
	acked  map[string]entities.ConnectorOffset
	topics map[string]bool
	cond   *sync.Cond
}

// NewSourceRunner validates the config and builds a runner.
func NewSourceRunner(cfg SourceConfig) (*SourceRunner, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.CommitInterval <= 0 {
		cfg.CommitInterval = time.Minute
	}
	if cfg.CommitTimeout <= 0 {
		cfg.CommitTimeout = 5 * time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 5 * time.Second
	}
	if cfg.HeaderConverter == nil {
		cfg.HeaderConverter = &converters.SimpleHeaderConverter{}
	}
	tol, err := NewTolerance(cfg.ID.Connector, cfg.ID.Task, cfg.ConnectorConfig, cfg.Bootstrap, cfg.ProducerProps, taskLogger(cfg.Logger, cfg.ID))
	if err != nil {
		return nil, err
	}
	m := metrics.NewTask(cfg.ID.Connector, cfg.ID.Task, false)
	tol.Metrics = m
	r := &SourceRunner{cfg: cfg, log: taskLogger(cfg.Logger, cfg.ID), tolerance: tol, m: m, acked: map[string]entities.ConnectorOffset{}, topics: map[string]bool{}}
	r.cond = sync.NewCond(&r.mu)
	return r, nil
}

// SetTargetState implements worker.TaskRunner.
func (r *SourceRunner) SetTargetState(state string) {
	r.mu.Lock()
	r.paused = state == string(entities.TargetPaused)
	r.mu.Unlock()
}

type sourceContext SourceRunner

func (c *sourceContext) Config() map[string]string { return c.cfg.TaskConfig }

// Logger implements connectors.TaskInstrumentation.
func (c *sourceContext) Logger() *slog.Logger {
	return pluginLogger(c.cfg.PluginLogger, c.cfg.Logger, c.cfg.ID)
}

// Metrics implements connectors.TaskInstrumentation.
func (c *sourceContext) Metrics() prometheus.Registerer { return c.m.Plugins() }

// TaskMetrics implements worker.TaskMetricsOwner.
func (r *SourceRunner) TaskMetrics() *metrics.Task { return r.m }
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
	defer func() { r.producer.Flush(int(r.cfg.ShutdownTimeout.Milliseconds())); r.producer.Close(); <-done }()
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
		// ctx has ended: the last flush ends when the worker abandons the
		// task, and at the latest after task.shutdown.graceful.timeout.ms.
		final, cancelFinal := FinalContext(ctx)
		defer cancelFinal()
		fctx, cancel := context.WithTimeout(final, r.cfg.ShutdownTimeout)
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
		began := time.Now()
		recs, err := r.cfg.Task.Poll(ctx)
		if len(recs) > 0 {
			end := time.Now()
			r.m.RecordPoll(len(recs), end.Sub(began), end)
		}
		if err != nil {
			if connectors.IsRetriable(err) {
				r.log.Warn("retriable error polling task", "error", err)
				continue
			}
			return fmt.Errorf("task %s poll: %w", r.cfg.ID, err)
		}
		for _, rec := range recs {
			if err := r.send(ctx, rec); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
		if time.Since(lastFlush) >= r.cfg.CommitInterval {
			fctx, cancel := context.WithTimeout(ctx, r.cfg.CommitTimeout)
			err := r.flushOffsets(fctx)
			cancel()
			if err != nil {
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
	offset entities.ConnectorOffset
	rec    *connectors.SourceRecord // for the error log of a failed send
}

// transform applies the connector's transformations (stage
// TRANSFORMATION, under the retry and tolerance operator); skip is set when
// a transformation dropped the record or it was skipped after failing.
func (r *SourceRunner) transform(ctx context.Context, rec *connectors.SourceRecord) (skip bool, err error) {
	if r.cfg.Transforms.Len() == 0 {
		return false, nil
	}
	keep := true
	skip, err = r.tolerance.ExecuteSource(ctx, *rec, StageTransformation, "", func() error {
		out, k, err := r.cfg.Transforms.Apply(transforms.FromSource(rec))
		if err != nil {
			return err
		}
		if keep = k; k {
			*rec = out.ToSource(*rec)
		}
		return nil
	})
	return skip || !keep, err
}

// send converts a record (headers, key, value, each through the retry and
// tolerance operator) and hands it to the producer.
func (r *SourceRunner) send(ctx context.Context, rec connectors.SourceRecord) error {
	var key, val []byte
	var headers []kafka.Header
	skip, err := r.transform(ctx, &rec)
	if !skip && err == nil {
		skip, err = r.tolerance.ExecuteSource(ctx, rec, StageHeaderConverter, r.cfg.HeaderClass, func() error {
			headers = headers[:0]
			for _, h := range rec.Headers {
				b, err := r.cfg.HeaderConverter.FromConnect(rec.Topic, h.Schema, h.Value)
				if err != nil {
					return fmt.Errorf("converting header %q of a record for %s: %w", h.Key, rec.Topic, err)
				}
				headers = append(headers, kafka.Header{Key: h.Key, Value: b})
			}
			return nil
		})
	}
	if !skip && err == nil {
		skip, err = r.tolerance.ExecuteSource(ctx, rec, StageKeyConverter, r.cfg.KeyClass, func() (err error) {
			if key, err = r.cfg.KeyConverter.FromConnect(rec.Topic, rec.Key.Schema, rec.Key.Value); err != nil {
				return fmt.Errorf("converting key of a record for %s: %w", rec.Topic, err)
			}
			return nil
		})
	}
	if !skip && err == nil {
		skip, err = r.tolerance.ExecuteSource(ctx, rec, StageValueConverter, r.cfg.ValueClass, func() (err error) {
			if val, err = r.cfg.ValueConverter.FromConnect(rec.Topic, rec.Value.Schema, rec.Value.Value); err != nil {
				return fmt.Errorf("converting value of a record for %s: %w", rec.Topic, err)
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	p := pending{key: canonicalKey(rec.SourcePartition), offset: entities.ConnectorOffset{Partition: rec.SourcePartition, Offset: rec.SourceOffset}}
	if skip {
		// As Connect: a dropped record's offset is committed like a written one.
		r.mu.Lock()
		r.acked[p.key] = p.offset
		r.mu.Unlock()
		return nil
	}
	p.rec = &rec
	topic := rec.Topic
	tp := kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}
	if rec.Partition != nil {
		tp.Partition = *rec.Partition
	}
	msg := &kafka.Message{TopicPartition: tp, Key: key, Value: val, Headers: headers, Opaque: p}
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
	r.m.Active.Store(int64(r.inflight))
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
		r.mu.Lock()
		r.inflight--
		r.m.Active.Store(int64(r.inflight))
		r.mu.Unlock()
		if terr := r.tolerance.ReportSource(ctx, rec, StageKafkaProduce, "org.apache.kafka.clients.producer.KafkaProducer", err); terr != nil {
			return fmt.Errorf("producing to %s: %w", topic, terr)
		}
		r.mu.Lock()
		r.acked[p.key] = p.offset
		r.mu.Unlock()
		return nil
	}
}

// acks records acknowledged offsets. A record that failed is, with
// errors.tolerance=all, logged and counted as written (as Connect does);
// otherwise it fails the task.
func (r *SourceRunner) acks(done chan struct{}) {
	defer close(done)
	for ev := range r.producer.Events() {
		m, ok := ev.(*kafka.Message)
		if !ok {
			continue
		}
		p, _ := m.Opaque.(pending)
		var failed error
		if m.TopicPartition.Error != nil && p.rec != nil {
			failed = r.tolerance.ReportSource(context.Background(), *p.rec, StageKafkaProduce, "org.apache.kafka.clients.producer.KafkaProducer", m.TopicPartition.Error)
		} else if m.TopicPartition.Error != nil {
			failed = m.TopicPartition.Error
		}
		r.mu.Lock()
		r.inflight--
		r.m.Active.Store(int64(r.inflight))
		if failed != nil {
			r.failed = fmt.Errorf("producing record to %s: %w", *m.TopicPartition.Topic, failed)
		} else if p.key != "" {
			r.acked[p.key] = p.offset
		}
		if m.TopicPartition.Error == nil {
			r.m.RecordWrite(1)
		}
		r.cond.Broadcast()
		r.mu.Unlock()
	}
}

// flushOffsets waits, as long as ctx allows (offset.flush.timeout.ms), for
// the records in flight and stores the offsets of acknowledged ones. As in
// Connect, a flush that times out is logged and tried again at the next
// interval; a record that could not be produced fails the task.
func (r *SourceRunner) flushOffsets(ctx context.Context) (err error) {
	began := time.Now()
	committed := false
	defer func() {
		if committed || err != nil {
			r.m.RecordCommit(time.Since(began), err == nil)
		}
	}()
	if left := r.producer.Flush(int(time.Until(deadlineOr(ctx, r.cfg.CommitTimeout)).Milliseconds())); left > 0 {
		r.mu.Lock()
		failed := r.failed
		r.mu.Unlock()
		if failed != nil {
			return failed
		}
		r.log.Error("Failed to flush, timed out while waiting for producer to flush outstanding messages", "outstanding", left, "timeout", r.cfg.CommitTimeout)
		r.m.RecordCommit(time.Since(began), false)
		return nil
	}
	r.mu.Lock()
	if r.failed != nil {
		err := r.failed
		r.mu.Unlock()
		return err
	}
	offs := make([]entities.ConnectorOffset, 0, len(r.acked))
	taken := r.acked
	for _, o := range r.acked {
		offs = append(offs, o)
	}
	r.acked = map[string]entities.ConnectorOffset{}
	r.mu.Unlock()
	if len(offs) == 0 {
		return nil
	}
	if err := r.cfg.Offsets.Set(ctx, r.cfg.ID.Connector, offs); err != nil {
		// Keep them for the next flush unless newer ones came meanwhile.
		r.mu.Lock()
		for k, o := range taken {
			if _, newer := r.acked[k]; !newer {
				r.acked[k] = o
			}
		}
		r.mu.Unlock()
		r.log.Error("Failed to commit offsets; will try again on next flush interval", "error", err)
		r.m.RecordCommit(time.Since(began), false)
		return nil
	}
	committed = true
	return r.cfg.Task.Commit(ctx)
}

func deadlineOr(ctx context.Context, d time.Duration) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl
	}
	return time.Now().Add(d)
}

func canonicalKey(m map[string]any) string { return fmt.Sprint(m) }
