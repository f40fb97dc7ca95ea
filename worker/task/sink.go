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

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/connectorconfig"
	"github.com/gonnect/gonnect/connectors/transforms"
	"github.com/gonnect/gonnect/internal/logging"
	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/worker/metrics"
)

// SinkConfig configures a sink task runner.
type SinkConfig struct {
	ID        entities.TaskID
	Bootstrap string
	// ConsumerProps are librdkafka properties (worker consumer.* and the
	// connector's consumer.override.*, already merged).
	ConsumerProps, ProducerProps map[string]string
	ConnectorConfig, TaskConfig  map[string]string
	CommitInterval               time.Duration
	KeyConverter, ValueConverter schemas.Converter
	KeyClass, ValueClass         string
	// HeaderConverter reads record headers (header.converter); nil keeps
	// them as bytes.
	HeaderConverter schemas.Converter
	HeaderClass     string
	// CommitTimeout bounds an offset commit (offset.flush.timeout.ms, 5 s
	// by default); ShutdownTimeout the final commit when the task stops
	// (task.shutdown.graceful.timeout.ms, 5 s by default).
	CommitTimeout, ShutdownTimeout time.Duration
	Task                           connectors.SinkTask
	Listener                       Listener
	Logger                         *slog.Logger
	// PluginLogger is the task's own logger (named after its class);
	// Logger when nil. Both get the connector context.
	PluginLogger *slog.Logger
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

	mu          sync.Mutex
	paused      bool // target state PAUSED
	taskPaused  map[connectors.TopicPartition]bool
	commitAsked bool
	resetTo     map[connectors.TopicPartition]int64
	assignment  map[connectors.TopicPartition]bool
	current     map[connectors.TopicPartition]int64 // next offset to consume, per delivered partition
	// committed is the last committed offset per partition (at first the
	// first one consumed): where a failed preCommit rewinds to.
	committed     map[connectors.TopicPartition]int64
	seenTopics    map[string]bool
	stateChanged  chan struct{}
	reportedState string
	runCtx        context.Context
	// writers is set when the task decodes values itself (DirectSink).
	writers schemas.WriterSchemaReader

	// batch is the converted records awaiting a successful put, and
	// batchNext the next offset per partition once it succeeds (records
	// that failed conversion included), as Connect's messageBatch and
	// origOffsets; redelivering is set while a retriable put failure has
	// paused every partition.
	batch        []connectors.SinkRecord
	batchNext    map[connectors.TopicPartition]int64
	redelivering bool
	// timeout is the task's SinkTaskContext timeout: how long to wait
	// before the next redelivery (0: until the next offset commit).
	timeout time.Duration
	// closing is set once the final commit and close are done;
	// shutdownBy is when the stop's graceful timeout ends; joined once the
	// consumer had its first assignment (see leaveGroup).
	closing    bool
	shutdownBy time.Time
	joined     bool
	// inflight is the offset commit under way, if any.
	inflight   *commitJob
	nextCommit time.Time
	// chain is the connector's transformations (transforms), applied
	// after conversion.
	chain *transforms.Chain

	// m counts the task's metrics; nextLag is when the consumer lag is
	// read again.
	m       *metrics.Task
	nextLag time.Time
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
		taskLogger(cfg.Logger, cfg.ID).Warn(w)
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = maxPoll
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
	tol, err := NewTolerance(cfg.ID.Connector, cfg.ID.Task, cfg.ConnectorConfig, cfg.Bootstrap, cfg.ProducerProps, taskLogger(cfg.Logger, cfg.ID))
	if err != nil {
		return nil, err
	}
	m := metrics.NewTask(cfg.ID.Connector, cfg.ID.Task, true)
	m.ClientID = fmt.Sprintf("connector-consumer-%s", cfg.ID)
	tol.Metrics = m
	r := &SinkRunner{cfg: cfg, consumerCfg: cm, log: taskLogger(cfg.Logger, cfg.ID), tolerance: tol, m: m,
		taskPaused: map[connectors.TopicPartition]bool{}, assignment: map[connectors.TopicPartition]bool{},
		current: map[connectors.TopicPartition]int64{}, committed: map[connectors.TopicPartition]int64{}, batchNext: map[connectors.TopicPartition]int64{}, seenTopics: map[string]bool{}, stateChanged: make(chan struct{}, 1)}
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

// TaskMetrics implements worker.TaskMetricsOwner.
func (r *SinkRunner) TaskMetrics() *metrics.Task { return r.m }

// SetTargetState implements worker.TaskRunner.
func (r *SinkRunner) SetTargetState(state string) {
	r.mu.Lock()
	r.paused = state == string(entities.TargetPaused)
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
	defer func() {
		// A commit still under way uses the consumer: librdkafka's request
		// timeout ends it, and closing the consumer ends its wait.
		if r.inflight != nil && !r.shutdownBy.IsZero() {
			select {
			case <-r.inflight.done:
			case <-time.After(time.Until(r.shutdownBy)):
			}
		}
		r.leaveGroup()
		r.consumer.Close()
	}()
	r.reportState()
	err = r.loop(ctx)
	// Commit what the task has written before leaving, so the next owner
	// starts after it. ctx has ended: the final context ends when the worker
	// abandons the task, and at the latest task.shutdown.graceful.timeout.ms
	// from now.
	r.shutdownBy = time.Now().Add(r.cfg.ShutdownTimeout)
	final, cancelFinal := FinalContext(ctx)
	defer cancelFinal()
	fctx, cancel := context.WithDeadline(final, r.shutdownBy)
	defer cancel()
	if cerr := r.commitSync(fctx, r.ownedPartitions()); cerr != nil && err == nil {
		r.log.Warn("final offset commit", "error", cerr)
	}
	if cerr := r.cfg.Task.Close(fctx, r.ownedPartitions()); cerr != nil && err == nil {
		r.log.Warn("closing partitions", "error", cerr)
	}
	// Closing the consumer revokes its partitions once more: they are
	// committed and closed already.
	r.closing = true
	return err
}

// leaveGroup leaves the consumer group before the consumer is closed.
// librdkafka's close alone leaves badly: of a cooperative consumer with an
// empty assignment it sends no LeaveGroup, and of one still joining (its
// JoinGroup or SyncGroup in flight) the LeaveGroup is dropped, after 5 s
// behind a JoinGroup or at once when the SyncGroup fails on the closing
// client. The member then stays in the group until its session times out
// (45 s), every rebalance of the group waits for it, and each later close
// is caught the same way: a connector whose tasks restart while they join,
// as a rebalance or a quick restart over REST makes them, stalled its
// partitions for the session timeout again and again. So a consumer that
// has not completed its first join yet is polled until it has (bounded),
// then leaves by an explicit unsubscribe, which sends the LeaveGroup at
// once; what it is assigned or polled meanwhile is left to the next owner.
func (r *SinkRunner) leaveGroup() {
	deadline := time.Now().Add(leaveJoinWait)
	if !r.shutdownBy.IsZero() && r.shutdownBy.Before(deadline) {
		deadline = r.shutdownBy
	}
	for !r.joined && time.Now().Before(deadline) {
		r.consumer.Poll(50)
	}
	if err := r.consumer.Unsubscribe(); err != nil {
		r.log.Warn("leaving consumer group", "error", err)
	}
}

// leaveJoinWait bounds how long a stopping task waits for its consumer's
// first join to complete (see leaveGroup): a join takes a heartbeat
// interval or two.
const leaveJoinWait = 3 * time.Second

func (r *SinkRunner) subscribe() error {
	cm := maps.Clone(r.consumerCfg)
	for k, v := range map[string]string{"bootstrap.servers": r.cfg.Bootstrap, "group.id": "connect-" + r.cfg.ID.Connector, "client.id": r.m.ClientID} {
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
		r.joined = true
		tps := make([]connectors.TopicPartition, len(e.Partitions))
		for i, p := range e.Partitions {
			tps[i] = tpOf(p)
		}
		if err := r.consumer.IncrementalAssign(e.Partitions); err != nil {
			return fmt.Errorf("assigning partitions: %w", err)
		}
		if r.closing {
			return nil // leaving: the next owner opens them (see leaveGroup)
		}
		r.mu.Lock()
		for _, tp := range tps {
			r.assignment[tp] = true
		}
		paused := r.paused
		r.m.Partitions.Store(int64(len(r.assignment)))
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
		// Commit what the task wrote before another task takes over (Java
		// commits synchronously, bounded by default.api.timeout.ms).
		if !r.closing && !r.consumer.AssignmentLost() {
			cctx, cancel := context.WithTimeout(context.Background(), revokeCommitTimeout)
			err := r.commitSync(cctx, tps)
			cancel()
			if err != nil {
				r.log.Warn("committing revoked partitions", "error", err)
			}
		}
		r.dropBatch(tps)
		if !r.closing {
			if err := r.cfg.Task.Close(ctx, tps); err != nil {
				r.log.Warn("closing revoked partitions", "error", err)
			}
		}
		r.mu.Lock()
		for _, tp := range tps {
			delete(r.assignment, tp)
			delete(r.current, tp)
			delete(r.committed, tp)
		}
		r.m.Partitions.Store(int64(len(r.assignment)))
		r.mu.Unlock()
		r.updateActive()
		if err := r.consumer.IncrementalUnassign(e.Partitions); err != nil {
			return fmt.Errorf("unassigning partitions: %w", err)
		}
	}
	return nil
}

// loop is Connect's WorkerSinkTask iteration: commit when due, poll
// (or, while redelivering, wait), convert, put.
func (r *SinkRunner) loop(ctx context.Context) error {
	r.nextCommit = time.Now().Add(r.cfg.CommitInterval)
	for ctx.Err() == nil {
		r.applyControl()
		r.checkCommit()
		r.mu.Lock()
		asked := r.commitAsked
		r.commitAsked = false
		r.mu.Unlock()
		if now := time.Now(); asked || !now.Before(r.nextCommit) {
			if r.inflight == nil {
				r.startCommit(ctx, r.ownedPartitions())
			} else {
				r.log.Warn("offset commit skipped: the previous one has not completed")
				r.m.CommitSkipped.Add(1)
			}
			r.nextCommit = now.Add(r.cfg.CommitInterval)
		}
		if now := time.Now(); !now.Before(r.nextLag) {
			r.updateLag()
			r.nextLag = now.Add(lagInterval)
		}
		if r.redelivering {
			// Connect polls its paused consumer until the next commit (or
			// for the task's timeout), then puts the same records again.
			wait := time.Until(r.nextCommit)
			r.mu.Lock()
			if r.timeout > 0 {
				wait, r.timeout = min(wait, r.timeout), 0
			}
			r.mu.Unlock()
			if err := r.waitKeepingGroup(ctx, wait); err != nil {
				return nil
			}
		} else if len(r.batch) == 0 {
			msgs, err := r.poll()
			if err != nil {
				return err
			}
			if err := r.convertAll(ctx, msgs); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
		if err := r.deliver(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	return nil
}

// applyControl applies pause/resume and offset resets asked for by the
// worker or the task.
func (r *SinkRunner) applyControl() {
	select {
	case <-r.stateChanged:
		if r.isPaused() {
			_ = r.consumer.Pause(r.kafkaAssignment())
		} else if !r.redelivering {
			r.resumeAll()
		}
		r.reportState()
	default:
	}
	r.mu.Lock()
	resets := r.resetTo
	r.resetTo = nil
	r.mu.Unlock()
	for tp, off := range resets {
		// As Connect's rewind: what is committed next starts there.
		r.mu.Lock()
		if r.assignment[tp] {
			r.current[tp], r.committed[tp] = off, off
		}
		r.mu.Unlock()
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
func (r *SinkRunner) poll() ([]*kafka.Message, error) {
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
	if len(batch) > 0 {
		r.m.RecordRead(len(batch), time.Now())
	}
	return batch, nil
}

// convertAll converts polled messages into the batch to put; records that
// fail conversion are reported and skipped, or fail the task.
func (r *SinkRunner) convertAll(ctx context.Context, msgs []*kafka.Message) error {
	for _, m := range msgs {
		rec, skip, err := r.convert(ctx, m)
		if err != nil {
			return err
		}
		tp := connectors.TopicPartition{Topic: rec.Topic, Partition: rec.Partition}
		r.batchNext[tp] = rec.Offset + 1
		r.mu.Lock()
		if _, ok := r.committed[tp]; !ok && r.assignment[tp] {
			r.committed[tp] = rec.Offset
		}
		r.mu.Unlock()
		if skip {
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
				// Skipped or dropped: its offset still advances (batchNext).
				continue
			}
			// Offsets count against the record as read (batchNext above),
			// whatever topic or partition the chain gives it.
			out = tr.ToSink(rec)
		}
		r.batch = append(r.batch, out)
	}
	return nil
}

// convert turns a Kafka message into a SinkRecord through the key, value
// and header converters, each run by the retry and tolerance operator.
func (r *SinkRunner) convert(ctx context.Context, m *kafka.Message) (rec connectors.SinkRecord, skip bool, err error) {
	rec = connectors.SinkRecord{Topic: *m.TopicPartition.Topic, Partition: m.TopicPartition.Partition, Offset: int64(m.TopicPartition.Offset),
		Raw: &connectors.RawRecord{Key: m.Key, Value: m.Value}}
	if m.TimestampType != kafka.TimestampNotAvailable {
		rec.Timestamp = m.Timestamp
	}
	for _, h := range m.Headers {
		rec.Raw.Headers = append(rec.Raw.Headers, connectors.RawHeader{Key: h.Key, Value: h.Value})
	}
	skip, err = r.tolerance.Execute(ctx, rec, StageKeyConverter, r.cfg.KeyClass, func() (err error) {
		rec.Key, err = r.cfg.KeyConverter.ToConnect(rec.Topic, m.Key)
		return err
	})
	if skip || err != nil {
		return rec, skip, err
	}
	skip, err = r.tolerance.Execute(ctx, rec, StageValueConverter, r.cfg.ValueClass, func() (err error) {
		if r.writers != nil && m.Value != nil {
			// The task decodes the value; only its header is read here.
			rec.ValueWriter, err = r.writers.WriterSchema(rec.Topic, m.Value)
			return err
		}
		rec.Value, err = r.cfg.ValueConverter.ToConnect(rec.Topic, m.Value)
		return err
	})
	if skip || err != nil || len(m.Headers) == 0 {
		return rec, skip, err
	}
	skip, err = r.tolerance.Execute(ctx, rec, StageHeaderConverter, r.cfg.HeaderClass, func() error {
		rec.Headers = rec.Headers[:0]
		for _, h := range m.Headers {
			hv := schemas.SchemaAndValue{Schema: schemas.OptionalBytesSchema, Value: h.Value}
			if r.cfg.HeaderConverter != nil {
				var err error
				if hv, err = r.cfg.HeaderConverter.ToConnect(rec.Topic, h.Value); err != nil {
					return fmt.Errorf("converting header %q: %w", h.Key, err)
				}
			}
			rec.Headers = append(rec.Headers, schemas.Header{Key: h.Key, Schema: hv.Schema, Value: hv.Value})
		}
		return nil
	})
	return rec, skip, err
}

// deliver puts the batch to the task. A retriable failure pauses every
// partition and keeps the batch for redelivery (as Connect's
// WorkerSinkTask, without limit: errors.retry.timeout does not apply to
// put); any other failure fails the task.
func (r *SinkRunner) deliver(ctx context.Context) error {
	if len(r.batch) > 0 {
		began := time.Now()
		err := r.cfg.Task.Put(ctx, r.batch)
		if err == nil {
			end := time.Now()
			r.m.RecordPut(len(r.batch), end.Sub(began), end)
		}
		if err != nil {
			if !connectors.IsRetriable(err) {
				return fmt.Errorf("task %s threw an error in put and is being killed: %w", r.cfg.ID, err)
			}
			r.log.Error("retriable error from the task's put; pausing its partitions to redeliver the same records", "records", len(r.batch), "error", err)
			if !r.redelivering {
				r.redelivering = true
				_ = r.consumer.Pause(r.kafkaAssignment())
			}
			return nil
		}
	}
	r.mu.Lock()
	for tp, off := range r.batchNext {
		if r.assignment[tp] {
			r.current[tp] = off
		}
	}
	r.mu.Unlock()
	r.batch, r.batchNext = r.batch[:0], map[connectors.TopicPartition]int64{}
	r.updateActive()
	if r.redelivering {
		r.redelivering = false
		r.resumeAll()
	}
	return nil
}

// dropBatch forgets records of revoked partitions: their next owner
// consumes them from the committed offset.
func (r *SinkRunner) dropBatch(tps []connectors.TopicPartition) {
	gone := map[connectors.TopicPartition]bool{}
	for _, tp := range tps {
		gone[tp] = true
		delete(r.batchNext, tp)
	}
	kept := r.batch[:0]
	for _, rec := range r.batch {
		if !gone[connectors.TopicPartition{Topic: rec.Topic, Partition: rec.Partition}] {
			kept = append(kept, rec)
		}
	}
	r.batch = kept
}

// resumeAll resumes the partitions that neither the target state nor the
// task paused.
func (r *SinkRunner) resumeAll() {
	if r.isPaused() {
		return
	}
	var resume []kafka.TopicPartition
	r.mu.Lock()
	for _, p := range r.kafkaAssignment() {
		if !r.taskPaused[tpOf(p)] {
			resume = append(resume, p)
		}
	}
	r.mu.Unlock()
	_ = r.consumer.Resume(resume)
}

// waitKeepingGroup polls the paused consumer for d so the group keeps the
// task's partitions and rebalances are handled.
func (r *SinkRunner) waitKeepingGroup(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	rewound := map[connectors.TopicPartition]bool{}
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil
		}
		ev := r.consumer.Poll(int(min(left, 100*time.Millisecond).Milliseconds()) + 1)
		if m, ok := ev.(*kafka.Message); ok && m.TopicPartition.Error == nil {
			// A paused consumer may still return a prefetched record; seek
			// back to the first so it is delivered again later.
			if tp := tpOf(m.TopicPartition); !rewound[tp] {
				rewound[tp] = true
				_ = r.consumer.Seek(m.TopicPartition, 0)
			}
		}
	}
}

// revokeCommitTimeout bounds the commit of revoked partitions, as the
// Java consumer's default.api.timeout.ms bounds commitSync.
const revokeCommitTimeout = time.Minute

// commitJob is one offset commit to Kafka under way.
type commitJob struct {
	done     chan struct{}
	err      error
	started  time.Time
	timedOut bool
	offs     []kafka.TopicPartition
}

// offsetsToCommit asks the task which offsets are safe for parts (its
// PreCommit, with what was delivered) and returns them for Kafka.
func (r *SinkRunner) offsetsToCommit(ctx context.Context, parts []connectors.TopicPartition) ([]kafka.TopicPartition, error) {
	r.mu.Lock()
	current := make(map[connectors.TopicPartition]int64, len(parts))
	for _, tp := range parts {
		if off, ok := r.current[tp]; ok {
			current[tp] = off
		}
	}
	r.mu.Unlock()
	if len(current) == 0 {
		return nil, nil
	}
	safe, err := r.cfg.Task.PreCommit(ctx, current)
	if err != nil {
		r.rewind()
		return nil, fmt.Errorf("task %s preCommit (rewound to the last committed offsets): %w", r.cfg.ID, err)
	}
	offs := make([]kafka.TopicPartition, 0, len(safe))
	for tp, off := range safe {
		// As Connect: only offsets of assigned partitions, and not beyond
		// what was consumed.
		if cur, ok := current[tp]; !ok || off > cur {
			r.log.Warn("Ignoring invalid task provided offset", "partition", tp.String(), "offset", off, "current", cur)
			continue
		}
		topic := tp.Topic
		offs = append(offs, kafka.TopicPartition{Topic: &topic, Partition: tp.Partition, Offset: kafka.Offset(off)})
	}
	return offs, nil
}

// rewind seeks every partition back to its last committed offset, as
// Connect does when preCommit fails: what follows is consumed again.
func (r *SinkRunner) rewind() {
	r.mu.Lock()
	back := maps.Clone(r.committed)
	for tp, off := range back {
		r.current[tp] = off
	}
	r.mu.Unlock()
	for tp, off := range back {
		topic := tp.Topic
		if err := r.consumer.Seek(kafka.TopicPartition{Topic: &topic, Partition: tp.Partition, Offset: kafka.Offset(off)}, 0); err != nil {
			r.log.Warn("rewinding to the last committed offset", "partition", tp.String(), "offset", off, "error", err)
		}
	}
}

// committedOK records offsets Kafka took.
func (r *SinkRunner) committedOK(offs []kafka.TopicPartition) {
	r.mu.Lock()
	for _, p := range offs {
		if tp := tpOf(p); r.assignment[tp] {
			r.committed[tp] = int64(p.Offset)
		}
	}
	r.mu.Unlock()
	r.updateActive()
}

// lagInterval is how often the consumer lag is read from librdkafka's
// cached high watermarks.
const lagInterval = time.Second

// updateActive sets sink-record-active-count: records consumed and not
// yet committed (delivered past the last commit, and the batch in hand).
func (r *SinkRunner) updateActive() {
	r.mu.Lock()
	n := int64(len(r.batch))
	for tp, cur := range r.current {
		if c, ok := r.committed[tp]; ok && cur > c {
			n += cur - c
		}
	}
	r.mu.Unlock()
	r.m.Active.Store(n)
}

// updateLag sets the lag of each owned partition: its high watermark as
// last fetched less the next offset to deliver to the task.
func (r *SinkRunner) updateLag() {
	r.mu.Lock()
	pos := make(map[connectors.TopicPartition]int64, len(r.assignment))
	for tp := range r.assignment {
		if off, ok := r.current[tp]; ok {
			pos[tp] = off
		} else if off, ok := r.committed[tp]; ok {
			pos[tp] = off
		}
	}
	r.mu.Unlock()
	lag := map[string]map[int32]int64{}
	for tp, off := range pos {
		_, high, err := r.consumer.GetWatermarkOffsets(tp.Topic, tp.Partition)
		if err != nil || high < 0 {
			continue
		}
		if lag[tp.Topic] == nil {
			lag[tp.Topic] = map[int32]int64{}
		}
		lag[tp.Topic][tp.Partition] = max(0, high-off)
	}
	r.m.SetLag(lag)
}

// startCommit asks the task for safe offsets and commits them in the
// background; checkCommit collects the result.
func (r *SinkRunner) startCommit(ctx context.Context, parts []connectors.TopicPartition) {
	offs, err := r.offsetsToCommit(ctx, parts)
	if err != nil {
		// Connect logs a failed preCommit and tries again at the next interval.
		r.log.Error("offset commit failed", "error", err)
		r.m.RecordCommit(0, false)
		return
	}
	if len(offs) > 0 {
		r.inflight = r.commitAsync(offs)
	}
}

func (r *SinkRunner) commitAsync(offs []kafka.TopicPartition) *commitJob {
	job := &commitJob{done: make(chan struct{}), started: time.Now(), offs: offs}
	go func() {
		defer close(job.done)
		if _, err := r.consumer.CommitOffsets(offs); err != nil {
			var kerr kafka.Error
			if !errors.As(err, &kerr) || kerr.Code() != kafka.ErrNoOffset {
				job.err = fmt.Errorf("committing offsets %v of task %s: %w", offs, r.cfg.ID, err)
			}
		}
	}()
	return job
}

// checkCommit reports a finished commit, or one that outlasted
// offset.flush.timeout.ms (as Connect: a warning, and the next interval
// commits again).
func (r *SinkRunner) checkCommit() {
	job := r.inflight
	if job == nil {
		return
	}
	select {
	case <-job.done:
		r.inflight = nil
		r.m.RecordCommit(time.Since(job.started), job.err == nil)
		if job.err != nil {
			r.log.Error("offset commit failed", "error", job.err)
		} else {
			r.committedOK(job.offs)
		}
	default:
		if !job.timedOut && time.Since(job.started) >= r.cfg.CommitTimeout {
			job.timedOut = true
			r.log.Warn("Commit of offsets timed out", "timeout", r.cfg.CommitTimeout)
		}
	}
}

// commitSync commits the safe offsets of parts and waits for the result
// as long as ctx allows.
func (r *SinkRunner) commitSync(ctx context.Context, parts []connectors.TopicPartition) error {
	if job := r.inflight; job != nil {
		select {
		case <-job.done:
			r.inflight = nil
		case <-ctx.Done():
			return fmt.Errorf("waiting for the previous offset commit of task %s: %w", r.cfg.ID, ctx.Err())
		}
	}
	offs, err := r.offsetsToCommit(ctx, parts)
	if err != nil || len(offs) == 0 {
		return err
	}
	job := r.commitAsync(offs)
	select {
	case <-job.done:
		r.m.RecordCommit(time.Since(job.started), job.err == nil)
		if job.err == nil {
			r.committedOK(offs)
		}
		return job.err
	case <-ctx.Done():
		r.inflight = job
		return fmt.Errorf("commit of offsets of task %s timed out: %w", r.cfg.ID, ctx.Err())
	}
}

// sinkContext is the SinkTaskContext the task sees.
type sinkContext SinkRunner

func (c *sinkContext) Config() map[string]string { return c.cfg.TaskConfig }

// Logger implements connectors.TaskInstrumentation.
func (c *sinkContext) Logger() *slog.Logger {
	return pluginLogger(c.cfg.PluginLogger, c.cfg.Logger, c.cfg.ID)
}

// Metrics implements connectors.TaskInstrumentation.
func (c *sinkContext) Metrics() prometheus.Registerer { return c.m.Plugins() }

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

// Timeout is Connect's SinkTaskContext.timeout: after a retriable put
// failure, redeliver after d rather than at the next offset commit.
func (c *sinkContext) Timeout(d time.Duration) {
	c.mu.Lock()
	c.timeout = d
	c.mu.Unlock()
}

func (c *sinkContext) RequestCommit() {
	c.mu.Lock()
	c.commitAsked = true
	c.mu.Unlock()
}

func (c *sinkContext) Reporter() connectors.ErrantRecordReporter { return (*reporter)(c) }

type reporter SinkRunner

// classSinkTask is the executing class of errant records in Connect's
// reports (the DLQ's __connect.errors.class.name, the error log).
const classSinkTask = "org.apache.kafka.connect.sink.SinkTask"

// Report implements connectors.ErrantRecordReporter for records the task
// could not write.
func (rp *reporter) Report(ctx context.Context, rec connectors.SinkRecord, cause error) error {
	var conv *connectors.ConversionError
	if errors.As(cause, &conv) {
		return rp.tolerance.Report(ctx, rec, StageValueConverter, rp.cfg.ValueClass, conv.Err)
	}
	// Connect reports a task's errant records as executed by SinkTask
	// itself (WorkerErrantRecordReporter), whatever the task's class.
	return rp.tolerance.Report(ctx, rec, StageTaskPut, classSinkTask, cause)
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

// taskLogger is the runner's logger for a task: its lines carry the
// connector and task, and Connect's connector context.
func taskLogger(l *slog.Logger, id entities.TaskID) *slog.Logger {
	return logging.WithContext(l.With("connector", id.Connector, "task", id.String()), logging.TaskContext(id.Connector, id.Task))
}

// pluginLogger is the logger a task's own code gets.
func pluginLogger(plugin, runner *slog.Logger, id entities.TaskID) *slog.Logger {
	if plugin == nil {
		plugin = runner
	}
	return taskLogger(plugin, id)
}
