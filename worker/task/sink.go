// Package task runs connector tasks like Connect's WorkerSinkTask and
// WorkerSourceTask: it moves records between Kafka (librdkafka) and a
// task, converting them, tolerating or dead-lettering bad ones, and
// committing offsets only for records the task has written.
package task

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/connectorconfig"
	"github.com/gonnect/gonnect/connectors/transforms"
	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/worker"
)

// SinkConfig configures a sink task runner.
type SinkConfig struct {
	ID        worker.TaskID
	Bootstrap string
	// ConsumerProps are librdkafka properties (worker consumer.* and the
	// connector's consumer.override.*, already merged).
	ConsumerProps, ProducerProps    map[string]string
	ConnectorConfig, TaskConfig     map[string]string
	CommitInterval                  time.Duration
	KeyConverter, ValueConverter    schemas.Converter
	KeyClass, ValueClass, TaskClass string
	// Header converts a header value; nil keeps headers as bytes.
	Header   func([]byte) schemas.SchemaAndValue
	Task     connectors.SinkTask
	Listener worker.TaskListener
	Logger   *slog.Logger
	// MaxBatch bounds the records given to one Put (max.poll.records).
	MaxBatch int
}

// SinkRunner runs one sink task.
type SinkRunner struct {
	cfg SinkConfig
	// consumerCfg is the librdkafka configuration of the consumer, less
	// what Run adds (bootstrap, group, client id).
	consumerCfg kafka.ConfigMap
	log         *slog.Logger
	tolerance   *Tolerance
	consumer    *kafka.Consumer

	mu            sync.Mutex
	paused        bool // target state PAUSED
	taskPaused    map[connectors.TopicPartition]bool
	commitAsked   bool
	resetTo       map[connectors.TopicPartition]int64
	assignment    map[connectors.TopicPartition]bool
	current       map[connectors.TopicPartition]int64 // next offset to consume, per delivered partition
	seenTopics    map[string]bool
	stateChanged  chan struct{}
	reportedState string
	runCtx        context.Context
	// writers is set when the task decodes values itself (DirectSink).
	writers schemas.WriterSchemaReader
	chain   *transforms.Chain
}

// NewSinkRunner validates the config and builds a runner.
func NewSinkRunner(cfg SinkConfig) (*SinkRunner, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cm, maxPoll, warnings, err := sinkConsumerConfig(cfg.ConsumerProps)
	if err != nil {
		return nil, fmt.Errorf("consumer settings of task %s: %w", cfg.ID, err)
	}
	for _, w := range warnings {
		cfg.Logger.Warn(w, "task", cfg.ID.String())
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = maxPoll
	}
	if cfg.CommitInterval <= 0 {
		cfg.CommitInterval = time.Minute
	}
	tol, err := NewTolerance(cfg.ID.Connector, cfg.ID.Task, cfg.ConnectorConfig, cfg.Bootstrap, cfg.ProducerProps, cfg.Logger)
	if err != nil {
		return nil, err
	}
	r := &SinkRunner{cfg: cfg, consumerCfg: cm, log: cfg.Logger.With("task", cfg.ID.String()), tolerance: tol,
		taskPaused: map[connectors.TopicPartition]bool{}, assignment: map[connectors.TopicPartition]bool{},
		current: map[connectors.TopicPartition]int64{}, seenTopics: map[string]bool{}, stateChanged: make(chan struct{}, 1)}
	if r.chain, err = transforms.NewChain(cfg.ConnectorConfig); err != nil {
		return nil, fmt.Errorf("transformations of task %s: %w", cfg.ID, err)
	}
	// Transformations need the converted value, so a task decodes values
	// itself only when there are none.
	if ws, ok := cfg.ValueConverter.(schemas.WriterSchemaReader); ok && r.chain.Len() == 0 {
		if ds, ok := cfg.Task.(connectors.DirectSink); ok && ds.Direct(cfg.ValueConverter) {
			r.writers = ws
		}
	}
	return r, nil
}

// SetTargetState implements worker.TaskRunner.
func (r *SinkRunner) SetTargetState(state string) {
	r.mu.Lock()
	r.paused = state == string(worker.TargetPaused)
	r.mu.Unlock()
	select {
	case r.stateChanged <- struct{}{}:
	default:
	}
}

func (r *SinkRunner) isPaused() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.paused
}

// reportState tells the listener RUNNING or PAUSED when it changed.
func (r *SinkRunner) reportState() {
	state := "RUNNING"
	if r.isPaused() {
		state = "PAUSED"
	}
	if state == r.reportedState {
		return
	}
	switch {
	case state == "PAUSED":
		r.cfg.Listener.OnPause(r.cfg.ID)
	case r.reportedState == "":
		r.cfg.Listener.OnRunning(r.cfg.ID)
	default:
		r.cfg.Listener.OnResume(r.cfg.ID)
	}
	r.reportedState = state
}

// Run implements worker.TaskRunner: it returns nil when ctx ends after a
// final commit, or the error that failed the task.
func (r *SinkRunner) Run(ctx context.Context) (err error) {
	if err := r.cfg.Task.Start(ctx, r.cfg.TaskConfig, (*sinkContext)(r)); err != nil {
		return fmt.Errorf("starting task %s: %w", r.cfg.ID, err)
	}
	defer func() {
		if serr := r.cfg.Task.Stop(); serr != nil && err == nil {
			err = fmt.Errorf("stopping task %s: %w", r.cfg.ID, serr)
		}
		r.tolerance.Close()
	}()
	r.runCtx = ctx
	if err := r.subscribe(); err != nil {
		return err
	}
	defer r.consumer.Close()
	r.reportState()
	err = r.loop(ctx)
	// Commit what the task has written before leaving, so the next owner
	// starts after it; ctx has ended, the final context lasts until the
	// worker abandons the task (task.shutdown.graceful.timeout.ms).
	fctx, cancel := worker.FinalContext(ctx)
	defer cancel()
	if cerr := r.commit(fctx, r.ownedPartitions()); cerr != nil && err == nil {
		r.log.Warn("final offset commit", "error", cerr)
	}
	if cerr := r.cfg.Task.Close(fctx, r.ownedPartitions()); cerr != nil && err == nil {
		r.log.Warn("closing partitions", "error", cerr)
	}
	return err
}

func (r *SinkRunner) subscribe() error {
	cm := maps.Clone(r.consumerCfg)
	for k, v := range map[string]string{"bootstrap.servers": r.cfg.Bootstrap, "group.id": "connect-" + r.cfg.ID.Connector, "client.id": fmt.Sprintf("connector-consumer-%s", r.cfg.ID)} {
		if _, ok := cm[k]; !ok {
			cm[k] = v
		}
	}
	c, err := kafka.NewConsumer(&cm)
	if err != nil {
		return fmt.Errorf("creating consumer for task %s: %w", r.cfg.ID, err)
	}
	var topics []string
	if re := strings.TrimSpace(r.cfg.ConnectorConfig[connectorconfig.TopicsRegex]); re != "" {
		if _, err := regexp.Compile(re); err != nil {
			c.Close()
			return fmt.Errorf("compiling topics.regex %q: %w", re, err)
		}
		topics = []string{"^" + strings.TrimPrefix(re, "^")}
	} else {
		for _, t := range strings.Split(r.cfg.ConnectorConfig[connectorconfig.Topics], ",") {
			if t = strings.TrimSpace(t); t != "" {
				topics = append(topics, t)
			}
		}
	}
	if len(topics) == 0 {
		c.Close()
		return fmt.Errorf("task %s has no topics to consume", r.cfg.ID)
	}
	// The callback runs inside Poll, on the runner's goroutine.
	if err := c.SubscribeTopics(topics, func(_ *kafka.Consumer, ev kafka.Event) error { return r.onRebalance(r.runCtx, ev) }); err != nil {
		c.Close()
		return fmt.Errorf("subscribing to %v: %w", topics, err)
	}
	r.consumer = c
	return nil
}

func tpOf(p kafka.TopicPartition) connectors.TopicPartition {
	return connectors.TopicPartition{Topic: *p.Topic, Partition: p.Partition}
}

func (r *SinkRunner) ownedPartitions() []connectors.TopicPartition {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]connectors.TopicPartition, 0, len(r.assignment))
	for tp := range r.assignment {
		out = append(out, tp)
	}
	return out
}

// onRebalance handles partition assignment changes inside Poll.
func (r *SinkRunner) onRebalance(ctx context.Context, ev kafka.Event) error {
	r.log.Debug("rebalance", "event", ev)
	switch e := ev.(type) {
	case kafka.AssignedPartitions:
		tps := make([]connectors.TopicPartition, len(e.Partitions))
		for i, p := range e.Partitions {
			tps[i] = tpOf(p)
		}
		if err := r.consumer.IncrementalAssign(e.Partitions); err != nil {
			return fmt.Errorf("assigning partitions: %w", err)
		}
		r.mu.Lock()
		for _, tp := range tps {
			r.assignment[tp] = true
		}
		paused := r.paused
		r.mu.Unlock()
		if paused {
			_ = r.consumer.Pause(e.Partitions)
		}
		if err := r.cfg.Task.Open(ctx, tps); err != nil {
			return fmt.Errorf("opening partitions %v: %w", tps, err)
		}
	case kafka.RevokedPartitions:
		tps := make([]connectors.TopicPartition, len(e.Partitions))
		for i, p := range e.Partitions {
			tps[i] = tpOf(p)
		}
		// Commit what the task wrote before another task takes over.
		if !r.consumer.AssignmentLost() {
			if err := r.commit(ctx, tps); err != nil {
				r.log.Warn("committing revoked partitions", "error", err)
			}
		}
		if err := r.cfg.Task.Close(ctx, tps); err != nil {
			r.log.Warn("closing revoked partitions", "error", err)
		}
		r.mu.Lock()
		for _, tp := range tps {
			delete(r.assignment, tp)
			delete(r.current, tp)
		}
		r.mu.Unlock()
		if err := r.consumer.IncrementalUnassign(e.Partitions); err != nil {
			return fmt.Errorf("unassigning partitions: %w", err)
		}
	}
	return nil
}

func (r *SinkRunner) loop(ctx context.Context) error {
	lastCommit := time.Now()
	for ctx.Err() == nil {
		r.applyControl()
		batch, err := r.poll(ctx)
		if err != nil {
			return err
		}
		if len(batch) > 0 {
			if err := r.deliver(ctx, batch); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
		r.mu.Lock()
		asked := r.commitAsked
		r.commitAsked = false
		r.mu.Unlock()
		if asked || time.Since(lastCommit) >= r.cfg.CommitInterval {
			if err := r.commit(ctx, r.ownedPartitions()); err != nil {
				r.log.Warn("committing offsets", "error", err)
			}
			lastCommit = time.Now()
		}
	}
	return nil
}

// applyControl applies pause/resume and offset resets asked for by the
// worker or the task.
func (r *SinkRunner) applyControl() {
	select {
	case <-r.stateChanged:
		parts := r.kafkaAssignment()
		if r.isPaused() {
			_ = r.consumer.Pause(parts)
		} else {
			var resume []kafka.TopicPartition
			r.mu.Lock()
			for _, p := range parts {
				if !r.taskPaused[tpOf(p)] {
					resume = append(resume, p)
				}
			}
			r.mu.Unlock()
			_ = r.consumer.Resume(resume)
		}
		r.reportState()
	default:
	}
	r.mu.Lock()
	resets := r.resetTo
	r.resetTo = nil
	r.mu.Unlock()
	for tp, off := range resets {
		topic := tp.Topic
		if err := r.consumer.Seek(kafka.TopicPartition{Topic: &topic, Partition: tp.Partition, Offset: kafka.Offset(off)}, 0); err != nil {
			r.log.Warn("seeking as the task asked", "partition", tp.String(), "offset", off, "error", err)
		}
	}
}

func (r *SinkRunner) kafkaAssignment() []kafka.TopicPartition {
	parts, _ := r.consumer.Assignment()
	return parts
}

// poll gathers up to MaxBatch records: it waits up to 100 ms for the first
// and then takes what is already fetched.
func (r *SinkRunner) poll(ctx context.Context) ([]*kafka.Message, error) {
	var batch []*kafka.Message
	timeout := 100
	for len(batch) < r.cfg.MaxBatch {
		ev := r.consumer.Poll(timeout)
		if ev == nil {
			break
		}
		timeout = 0
		switch e := ev.(type) {
		case *kafka.Message:
			if e.TopicPartition.Error != nil {
				if err := consumeError(e.TopicPartition.Error, e.TopicPartition.String()); err != nil {
					return nil, fmt.Errorf("consumer of task %s cannot make progress: %w", r.cfg.ID, err)
				}
				r.log.Warn("consumer error", "partition", e.TopicPartition.String(), "error", e.TopicPartition.Error)
				continue
			}
			batch = append(batch, e)
		case kafka.Error:
			if err := consumeError(e, ""); err != nil {
				return nil, fmt.Errorf("consumer of task %s cannot make progress: %w", r.cfg.ID, err)
			}
			r.log.Warn("consumer event", "code", e.Code().String(), "error", e)
		}
	}
	return batch, nil
}

// convert turns a Kafka message into a SinkRecord.
func (r *SinkRunner) convert(m *kafka.Message) (connectors.SinkRecord, string, error) {
	rec := connectors.SinkRecord{Topic: *m.TopicPartition.Topic, Partition: m.TopicPartition.Partition, Offset: int64(m.TopicPartition.Offset),
		Raw: &connectors.RawRecord{Key: m.Key, Value: m.Value}}
	if m.TimestampType != kafka.TimestampNotAvailable {
		rec.Timestamp = m.Timestamp
	}
	for _, h := range m.Headers {
		rec.Raw.Headers = append(rec.Raw.Headers, connectors.RawHeader{Key: h.Key, Value: h.Value})
		hv := schemas.SchemaAndValue{Schema: schemas.OptionalBytesSchema, Value: h.Value}
		if r.cfg.Header != nil {
			hv = r.cfg.Header(h.Value)
		}
		rec.Headers = append(rec.Headers, schemas.Header{Key: h.Key, Schema: hv.Schema, Value: hv.Value})
	}
	var err error
	if rec.Key, err = r.cfg.KeyConverter.ToConnect(rec.Topic, m.Key); err != nil {
		return rec, StageKeyConverter, err
	}
	if r.writers != nil && m.Value != nil {
		// The task decodes the value; only its header is read here.
		if rec.ValueWriter, err = r.writers.WriterSchema(rec.Topic, m.Value); err != nil {
			return rec, StageValueConverter, err
		}
		return rec, "", nil
	}
	if rec.Value, err = r.cfg.ValueConverter.ToConnect(rec.Topic, m.Value); err != nil {
		return rec, StageValueConverter, err
	}
	return rec, "", nil
}

// deliver converts a batch and puts it to the task, retrying retriable
// failures with backoff until they succeed or the task stops.
func (r *SinkRunner) deliver(ctx context.Context, msgs []*kafka.Message) error {
	records := make([]connectors.SinkRecord, 0, len(msgs))
	// consumed are the records as read, whose offsets advance after Put
	// (a transformation may change the topic or partition).
	consumed := make([]connectors.SinkRecord, 0, len(msgs))
	for _, m := range msgs {
		rec, stage, err := r.convert(m)
		if err != nil {
			class := r.cfg.ValueClass
			if stage == StageKeyConverter {
				class = r.cfg.KeyClass
			}
			if rerr := r.tolerance.Report(ctx, rec, stage, class, err); rerr != nil {
				return rerr
			}
			r.advance(rec)
			continue
		}
		if !r.seenTopics[rec.Topic] {
			r.seenTopics[rec.Topic] = true
			r.cfg.Listener.OnTopic(r.cfg.ID, rec.Topic)
		}
		out := rec
		if r.chain.Len() > 0 {
			tr, keep, err := r.chain.Apply(transforms.FromSink(&rec))
			if err != nil {
				var te *transforms.Error
				class := ""
				if errors.As(err, &te) {
					class = te.Class
				}
				if rerr := r.tolerance.Report(ctx, rec, StageTransformation, class, err); rerr != nil {
					return rerr
				}
			}
			if err != nil || !keep {
				r.advance(rec)
				continue
			}
			out = tr.ToSink(rec)
		}
		records = append(records, out)
		consumed = append(consumed, rec)
	}
	if len(records) == 0 {
		return nil
	}
	backoff := 100 * time.Millisecond
	for {
		err := r.cfg.Task.Put(ctx, records)
		if err == nil {
			break
		}
		if !connectors.IsRetriable(err) {
			return fmt.Errorf("task %s threw an error in put and is being killed: %w", r.cfg.ID, err)
		}
		r.log.Warn("retriable error in put; pausing and retrying the same records", "error", err, "backoff", backoff)
		parts := r.kafkaAssignment()
		_ = r.consumer.Pause(parts)
		if err := r.waitKeepingGroup(ctx, backoff); err != nil {
			return err
		}
		if !r.isPaused() {
			_ = r.consumer.Resume(parts)
		}
		backoff = min(backoff*2, 10*time.Second)
	}
	for _, rec := range consumed {
		r.advance(rec)
	}
	return nil
}

// waitKeepingGroup sleeps while polling the (paused) consumer so the group
// keeps the task's partitions.
func (r *SinkRunner) waitKeepingGroup(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ev := r.consumer.Poll(50)
		if m, ok := ev.(*kafka.Message); ok {
			// A paused consumer may still return a prefetched record; seek
			// back so it is delivered again later.
			_ = r.consumer.Seek(m.TopicPartition, 0)
		}
	}
	return nil
}

func (r *SinkRunner) advance(rec connectors.SinkRecord) {
	tp := connectors.TopicPartition{Topic: rec.Topic, Partition: rec.Partition}
	r.mu.Lock()
	r.current[tp] = rec.Offset + 1
	r.mu.Unlock()
}

// commit asks the task which offsets are safe and commits them for parts.
func (r *SinkRunner) commit(ctx context.Context, parts []connectors.TopicPartition) error {
	r.mu.Lock()
	current := make(map[connectors.TopicPartition]int64, len(parts))
	for _, tp := range parts {
		if off, ok := r.current[tp]; ok {
			current[tp] = off
		}
	}
	r.mu.Unlock()
	if len(current) == 0 {
		return nil
	}
	safe, err := r.cfg.Task.PreCommit(ctx, current)
	if err != nil {
		return fmt.Errorf("task %s preCommit: %w", r.cfg.ID, err)
	}
	offs := make([]kafka.TopicPartition, 0, len(safe))
	for tp, off := range safe {
		topic := tp.Topic
		offs = append(offs, kafka.TopicPartition{Topic: &topic, Partition: tp.Partition, Offset: kafka.Offset(off)})
	}
	if len(offs) == 0 {
		return nil
	}
	if _, err := r.consumer.CommitOffsets(offs); err != nil {
		var kerr kafka.Error
		if errors.As(err, &kerr) && kerr.Code() == kafka.ErrNoOffset {
			return nil
		}
		return fmt.Errorf("committing offsets of task %s: %w", r.cfg.ID, err)
	}
	return nil
}

// sinkContext is the SinkTaskContext the task sees.
type sinkContext SinkRunner

func (c *sinkContext) Config() map[string]string { return c.cfg.TaskConfig }

func (c *sinkContext) ResetOffsets(offsets map[connectors.TopicPartition]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.resetTo == nil {
		c.resetTo = map[connectors.TopicPartition]int64{}
	}
	for tp, o := range offsets {
		c.resetTo[tp] = o
	}
}

func (c *sinkContext) Assignment() []connectors.TopicPartition {
	return (*SinkRunner)(c).ownedPartitions()
}

func (c *sinkContext) Pause(parts ...connectors.TopicPartition) {
	c.mu.Lock()
	for _, p := range parts {
		c.taskPaused[p] = true
	}
	c.mu.Unlock()
	_ = c.consumer.Pause(toKafka(parts))
}

func (c *sinkContext) Resume(parts ...connectors.TopicPartition) {
	c.mu.Lock()
	for _, p := range parts {
		delete(c.taskPaused, p)
	}
	paused := c.paused
	c.mu.Unlock()
	if !paused {
		_ = c.consumer.Resume(toKafka(parts))
	}
}

func (c *sinkContext) RequestCommit() {
	c.mu.Lock()
	c.commitAsked = true
	c.mu.Unlock()
}

func (c *sinkContext) Reporter() connectors.ErrantRecordReporter { return (*reporter)(c) }

type reporter SinkRunner

// Report implements connectors.ErrantRecordReporter for records the task
// could not write.
func (rp *reporter) Report(ctx context.Context, rec connectors.SinkRecord, cause error) error {
	var conv *connectors.ConversionError
	if errors.As(cause, &conv) {
		return rp.tolerance.Report(ctx, rec, StageValueConverter, rp.cfg.ValueClass, conv.Err)
	}
	return rp.tolerance.Report(ctx, rec, StageTaskPut, rp.cfg.TaskClass, cause)
}

func toKafka(parts []connectors.TopicPartition) []kafka.TopicPartition {
	out := make([]kafka.TopicPartition, len(parts))
	for i, p := range parts {
		topic := p.Topic
		out[i] = kafka.TopicPartition{Topic: &topic, Partition: p.Partition}
	}
	return out
}

// consumeError returns the error that fails the task for a consumer error
// after which the consumer cannot make progress by itself (where Java's
// consumer throws from poll, which fails a Connect task), or nil for
// errors librdkafka recovers from (brokers down, leaders moving).
func consumeError(err error, partition string) error {
	var kerr kafka.Error
	if !errors.As(err, &kerr) {
		return err
	}
	where := ""
	if partition != "" {
		where = " on " + partition
	}
	switch {
	case kerr.IsFatal():
		return fmt.Errorf("fatal consumer error%s: %w", where, kerr)
	case kerr.Code() == kafka.ErrAutoOffsetReset:
		// Java: NoOffsetForPartitionException.
		return fmt.Errorf("no committed offset%s and auto.offset.reset is none: %w", where, kerr)
	case kerr.Code() == kafka.ErrTopicAuthorizationFailed, kerr.Code() == kafka.ErrGroupAuthorizationFailed,
		kerr.Code() == kafka.ErrClusterAuthorizationFailed, kerr.Code() == kafka.ErrSaslAuthenticationFailed:
		return fmt.Errorf("not authorized%s: %w", where, kerr)
	case strings.Contains(kerr.Error(), "Invalid response size"):
		// The same fetch would fail again forever: a response (its first
		// record batch) is above the receive bound the user set.
		return fmt.Errorf("a fetch response%s is larger than receive.message.max.bytes (raise it to at least the largest record batch plus 512 bytes, or unset it): %w", where, kerr)
	}
	return nil
}
