package task

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/connectorconfig"
	"github.com/gonnect/gonnect/worker/metrics"
	"github.com/gonnect/gonnect/worker/storage"
)

// Stage names where a record failed, as Connect's error context reports them.
const (
	StageKeyConverter    = "KEY_CONVERTER"
	StageValueConverter  = "VALUE_CONVERTER"
	StageHeaderConverter = "HEADER_CONVERTER"
	StageTransformation  = "TRANSFORMATION"
	StageTaskPut         = "TASK_PUT"
	StageTaskPoll        = "TASK_POLL"
	StageKafkaProduce    = "KAFKA_PRODUCE"
)

// Connect's exception classes, named in the dead letter queue's headers
// for failures whose error does not name its own (connectors.ExceptionClassifier).
const (
	classDataException      = "org.apache.kafka.connect.errors.DataException"
	classConnectException   = "org.apache.kafka.connect.errors.ConnectException"
	classRetriableException = "org.apache.kafka.connect.errors.RetriableException"
)

// retryDelayMin is where Connect's retry backoff starts; it doubles per attempt.
const retryDelayMin = 300 * time.Millisecond

// Clock is the time retries wait on; tests inject a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Dead letter queue header names, as Connect's DeadLetterQueueReporter writes them.
const (
	hdrTopic         = "__connect.errors.topic"
	hdrPartition     = "__connect.errors.partition"
	hdrOffset        = "__connect.errors.offset"
	hdrConnector     = "__connect.errors.connector.name"
	hdrTaskID        = "__connect.errors.task.id"
	hdrStage         = "__connect.errors.stage"
	hdrClassName     = "__connect.errors.class.name"
	hdrExceptionName = "__connect.errors.exception.class.name"
	hdrExceptionMsg  = "__connect.errors.exception.message"
	hdrStacktrace    = "__connect.errors.exception.stacktrace"
)

// RecordError is a failure of one record, naming where it came from.
type RecordError struct {
	Topic     string
	Partition int32
	Offset    int64
	Stage     string
	Class     string
	Err       error
}

func (e *RecordError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("Error in stage %s (%s) for a record to topic %s: %v", e.Stage, e.Class, e.Topic, e.Err)
	}
	return fmt.Sprintf("Error in stage %s (%s) for record from topic %s partition %d offset %d: %v", e.Stage, e.Class, e.Topic, e.Partition, e.Offset, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// Tolerance applies a connector's errors.* settings as Connect's
// RetryWithToleranceOperator and its reporters do: failed operations are
// retried while retriable (errors.retry.timeout, errors.retry.delay.max.ms),
// then logged (errors.log.enable) and dead-lettered (sinks,
// errors.deadletterqueue.topic.name) whatever errors.tolerance is, and
// with errors.tolerance=none the first failure fails the task.
type Tolerance struct {
	connector string
	task      int
	all       bool
	logErrors bool
	logMsgs   bool
	dlqTopic  string
	dlqRF     int
	headers   bool
	bootstrap string
	props     map[string]string
	log       *slog.Logger
	// retryTimeout < 0 retries for ever; retryMaxDelay caps the backoff.
	retryTimeout, retryMaxDelay time.Duration
	clock                       Clock
	jitter                      func(n int64) int64

	mu       sync.Mutex
	producer *kafka.Producer
	// Failed counts failed operations (Connect's totalFailures).
	Failed int64
	// Metrics receives task-error-metrics; nil counts nothing.
	Metrics *metrics.Task
}

// NewTolerance reads the errors.* keys of a connector config.
func NewTolerance(connector string, task int, cfg map[string]string, bootstrap string, producerProps map[string]string, log *slog.Logger) (*Tolerance, error) {
	t := &Tolerance{connector: connector, task: task, bootstrap: bootstrap, props: producerProps, log: log, dlqRF: 3,
		retryMaxDelay: time.Minute, clock: realClock{}, jitter: rand.Int64N}
	t.all = strings.EqualFold(strings.TrimSpace(cfg[connectorconfig.ErrorsTolerance]), "all")
	t.logErrors, _ = strconv.ParseBool(cfg[connectorconfig.ErrorsLog])
	t.logMsgs, _ = strconv.ParseBool(cfg[connectorconfig.ErrorsLogMsgs])
	t.dlqTopic = strings.TrimSpace(cfg[connectorconfig.DLQTopic])
	t.headers, _ = strconv.ParseBool(cfg[connectorconfig.DLQHeaders])
	if v := cfg[connectorconfig.DLQReplication]; v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("invalid %s %q", connectorconfig.DLQReplication, v)
		}
		t.dlqRF = n
	}
	for _, kv := range []struct {
		key string
		to  *time.Duration
		min int64
	}{{connectorconfig.RetryTimeout, &t.retryTimeout, math.MinInt64}, {connectorconfig.RetryDelayMax, &t.retryMaxDelay, 1}} {
		v := strings.TrimSpace(cfg[kv.key])
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < kv.min {
			// A zero maximum delay would make Connect's jittered backoff throw.
			return nil, fmt.Errorf("Invalid value %s for configuration %s: must be a whole number of milliseconds of at least %d", v, kv.key, kv.min)
		}
		*kv.to = time.Duration(n) * time.Millisecond
		if n < 0 {
			*kv.to = -1 // any negative timeout retries for ever, as in Connect
		}
	}
	return t, nil
}

// retry runs op until it succeeds, fails with an error that is not
// retriable, or errors.retry.timeout has passed since the first attempt
// (ctx ending stops it too); it returns op's last error.
func (t *Tolerance) retry(ctx context.Context, op func() error) error {
	start := t.clock.Now()
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil {
			return nil
		}
		if t.Metrics != nil {
			t.Metrics.RecordFailures.Add(1)
		}
		if !connectors.IsRetriable(err) {
			return err
		}
		now := t.clock.Now()
		if t.retryTimeout >= 0 && !now.Before(start.Add(t.retryTimeout)) {
			return err
		}
		if t.Metrics != nil {
			t.Metrics.Retries.Add(1)
		}
		delay := t.backoff(attempt, start, now)
		t.log.Debug("retrying a failed operation", "attempt", attempt, "delay", delay, "error", err)
		select {
		case <-ctx.Done():
			return err
		case <-t.clock.After(delay):
		}
	}
}

// backoff is Connect's: 300 ms doubled per attempt; past
// errors.retry.delay.max.ms a random delay below it; never past the deadline.
func (t *Tolerance) backoff(attempt int, start, now time.Time) time.Duration {
	delay := t.retryMaxDelay + 1
	if attempt-1 < 32 {
		delay = retryDelayMin << (attempt - 1)
	}
	if delay > t.retryMaxDelay {
		delay = time.Duration(t.jitter(t.retryMaxDelay.Milliseconds())) * time.Millisecond
	}
	if t.retryTimeout >= 0 {
		if left := start.Add(t.retryTimeout).Sub(now); delay > left {
			delay = max(0, left)
		}
	}
	return delay
}

// Execute runs one operation of a record's processing (a converter) as
// Connect's operator does. skip tells the caller to drop the record (it
// failed and was reported); err fails the task. As in Connect, a
// retriable failure that outlasted errors.retry.timeout skips the record
// even with errors.tolerance=none; any other failure fails the task then.
func (t *Tolerance) Execute(ctx context.Context, rec connectors.SinkRecord, stage, class string, op func() error) (skip bool, err error) {
	return t.execute(ctx, sinkFailure(rec), stage, class, op)
}

// ExecuteSource is Execute for a source record's conversion.
func (t *Tolerance) ExecuteSource(ctx context.Context, rec connectors.SourceRecord, stage, class string, op func() error) (skip bool, err error) {
	return t.execute(ctx, sourceFailure(rec), stage, class, op)
}

func (t *Tolerance) execute(ctx context.Context, f failure, stage, class string, op func() error) (skip bool, err error) {
	cause := t.retry(ctx, op)
	if cause == nil {
		return false, nil
	}
	// As Connect's operator: a record whose operation failed counts as an
	// error whether tolerated or not, and as skipped when tolerated.
	t.recordError()
	if connectors.IsRetriable(cause) {
		t.failedOnce() // Connect counts the retries' end once more
		t.count()
		if err := t.report(ctx, f, stage, class, cause); err != nil {
			return false, err
		}
		t.skipped()
		return true, nil
	}
	err = t.fail(ctx, f, stage, class, cause)
	if err == nil {
		t.skipped()
	}
	return true, err
}

func (t *Tolerance) skipped() {
	if t.Metrics != nil {
		t.Metrics.RecordsSkipped.Add(1)
	}
}

func (t *Tolerance) recordError() {
	if t.Metrics != nil {
		t.Metrics.RecordErrors.Add(1)
	}
}

// failedOnce counts a failure reported by the task itself (no retries).
func (t *Tolerance) failedOnce() {
	if t.Metrics != nil {
		t.Metrics.RecordFailures.Add(1)
	}
}

// Report handles a record that failed (as Connect's executeFailed): it
// logs and dead-letters it, then with errors.tolerance=none returns the
// error that fails the task; with all, nil once the dead letter queue
// acknowledged the record.
func (t *Tolerance) Report(ctx context.Context, rec connectors.SinkRecord, stage, class string, cause error) error {
	return t.reported(ctx, sinkFailure(rec), stage, class, cause)
}

// reported is Connect's executeFailed: a failure, and an error only when
// it is not tolerated (a tolerated one is not counted as skipped).
func (t *Tolerance) reported(ctx context.Context, f failure, stage, class string, cause error) error {
	t.failedOnce()
	if !t.all {
		t.recordError()
	}
	return t.fail(ctx, f, stage, class, cause)
}

// ReportSource handles a source record that failed (conversion or
// produce): logged, and with errors.tolerance=none the error that fails
// the task. Connect has no dead letter queue for sources.
func (t *Tolerance) ReportSource(ctx context.Context, rec connectors.SourceRecord, stage, class string, cause error) error {
	return t.reported(ctx, sourceFailure(rec), stage, class, cause)
}

func sourceFailure(rec connectors.SourceRecord) failure {
	return failure{topic: rec.Topic, partition: -1, offset: -1, desc: describeSource(rec)}
}

func (t *Tolerance) fail(ctx context.Context, f failure, stage, class string, cause error) error {
	t.count()
	if err := t.report(ctx, f, stage, class, cause); err != nil {
		return err
	}
	if !t.all {
		return fmt.Errorf("Tolerance exceeded in error handler: %w",
			&RecordError{Topic: f.topic, Partition: f.partition, Offset: f.offset, Stage: stage, Class: class, Err: cause})
	}
	return nil
}

func (t *Tolerance) count() {
	t.mu.Lock()
	t.Failed++
	t.mu.Unlock()
	if t.Metrics != nil {
		t.Metrics.RecordError() // last-error-timestamp, as Connect's markAsFailed
	}
}

// failure is what the reporters are told of the failed record.
type failure struct {
	topic     string
	partition int32
	offset    int64
	desc      string // the record as errors.log.include.messages shows it
	sink      *connectors.SinkRecord
}

func sinkFailure(rec connectors.SinkRecord) failure {
	desc := fmt.Sprintf(", where consumed record is {topic='%s', partition=%d, offset=%d", rec.Topic, rec.Partition, rec.Offset)
	if !rec.Timestamp.IsZero() {
		desc += fmt.Sprintf(", timestamp=%d", rec.Timestamp.UnixMilli())
	}
	return failure{topic: rec.Topic, partition: rec.Partition, offset: rec.Offset, desc: desc + "}", sink: &rec}
}

func describeSource(rec connectors.SourceRecord) string {
	part := "null"
	if rec.Partition != nil {
		part = strconv.Itoa(int(*rec.Partition))
	}
	ts := "null"
	if !rec.Timestamp.IsZero() {
		ts = strconv.FormatInt(rec.Timestamp.UnixMilli(), 10)
	}
	return fmt.Sprintf(", where source record is = SourceRecord{sourcePartition=%v, sourceOffset=%v} ConnectRecord{topic='%s', kafkaPartition=%s, key=%v, keySchema=%v, value=%v, valueSchema=%v, timestamp=%s, headers=%v}",
		rec.SourcePartition, rec.SourceOffset, rec.Topic, part, rec.Key.Value, rec.Key.Schema, rec.Value.Value, rec.Value.Schema, ts, rec.Headers)
}

// report runs Connect's reporters: the error log and, for sinks, the dead
// letter queue. A record the dead letter queue cannot take fails the task.
func (t *Tolerance) report(ctx context.Context, f failure, stage, class string, cause error) error {
	if t.logErrors {
		msg := fmt.Sprintf("Error encountered in task %s-%d. Executing stage '%s' with class '%s'", t.connector, t.task, stage, class)
		if t.logMsgs {
			msg += f.desc
		}
		t.log.Error(msg+".", "error", cause, "exception", ExceptionClass(stage, cause))
		if t.Metrics != nil {
			t.Metrics.ErrorsLogged.Add(1)
		}
	}
	if t.dlqTopic != "" && f.sink != nil {
		if t.Metrics != nil {
			t.Metrics.DLQRequests.Add(1)
		}
		if err := t.sendToDLQ(ctx, *f.sink, stage, class, cause); err != nil {
			if t.Metrics != nil {
				t.Metrics.DLQFailures.Add(1)
			}
			// Never lose a record: a DLQ that cannot take it fails the task.
			return fmt.Errorf("writing record %s-%d@%d to dead letter queue %s: %w", f.topic, f.partition, f.offset, t.dlqTopic, err)
		}
	}
	return nil
}

func (t *Tolerance) sendToDLQ(ctx context.Context, rec connectors.SinkRecord, stage, class string, cause error) error {
	t.mu.Lock()
	if t.producer == nil {
		if _, err := storage.EnsureTopic(ctx, t.bootstrap, t.props, t.dlqTopic, 1, t.dlqRF, nil); err != nil {
			t.mu.Unlock()
			return err
		}
		cm := kafka.ConfigMap{"bootstrap.servers": t.bootstrap, "enable.idempotence": true, "acks": "all"}
		for k, v := range t.props {
			cm[k] = v
		}
		p, err := storage.NewProducer(cm)
		if err != nil {
			t.mu.Unlock()
			return fmt.Errorf("creating dead letter queue producer: %w", err)
		}
		t.producer = p
	}
	p := t.producer
	t.mu.Unlock()
	msg := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &t.dlqTopic, Partition: kafka.PartitionAny}}
	if rec.Raw != nil {
		msg.Key, msg.Value = rec.Raw.Key, rec.Raw.Value
		for _, h := range rec.Raw.Headers {
			msg.Headers = append(msg.Headers, kafka.Header{Key: h.Key, Value: h.Value})
		}
	}
	if t.headers {
		msg.Headers = append(msg.Headers, ErrorHeaders(rec, t.connector, t.task, stage, class, cause)...)
	}
	ch := make(chan kafka.Event, 1)
	if err := p.Produce(msg, ch); err != nil {
		return err
	}
	select {
	case ev := <-ch:
		if m, ok := ev.(*kafka.Message); ok && m.TopicPartition.Error != nil {
			return m.TopicPartition.Error
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ExceptionClass is the Java class name a failure is reported under: that
// of the first error of its chain that names one, otherwise Connect's for
// the stage (converters throw DataException).
func ExceptionClass(stage string, cause error) string {
	var ec connectors.ExceptionClassifier
	if errors.As(cause, &ec) {
		return ec.ExceptionClass()
	}
	switch {
	case stage == StageKeyConverter || stage == StageValueConverter || stage == StageHeaderConverter:
		return classDataException
	case connectors.IsRetriable(cause):
		return classRetriableException
	}
	return classConnectException
}

// Connect's converters fail with a message of what failed ending in ": "
// ("Converting byte[] to Kafka Connect data failed due to serialization
// error: ", Confluent's "... error of topic T: ", "Failed to deserialize
// integer: ") and give the deserializer's SerializationException as the
// cause; converterPrefixes start those messages.
var converterPrefixes = []string{
	"Converting byte[] to Kafka Connect data failed due to serialization error",
	"Converting Kafka Connect data to byte[] failed due to serialization error",
	"Failed to deserialize ",
	"Failed to serialize ",
}

const classSerializationException = "org.apache.kafka.common.errors.SerializationException"

// exceptionMessage splits a failure's text as Connect reports it: the
// message of the exception thrown and, for a converter's, the message of
// its cause (empty when it has none of its own).
func exceptionMessage(stage string, cause error) (msg, causeMsg string) {
	msg = cause.Error()
	if stage != StageKeyConverter && stage != StageValueConverter && stage != StageHeaderConverter {
		return msg, ""
	}
	for _, p := range converterPrefixes {
		if !strings.HasPrefix(msg, p) {
			continue
		}
		if i := strings.Index(msg, ": "); i >= 0 {
			return msg[:i+2], msg[i+2:]
		}
	}
	return msg, ""
}

// stackTrace renders the error chain as Java prints a throwable: the
// failure, then each cause that adds to the message. Go errors carry no
// frames of where they were made, so there are no "at" lines.
func stackTrace(stage string, cause error) string {
	var b strings.Builder
	msg, causeMsg := exceptionMessage(stage, cause)
	b.WriteString(ExceptionClass(stage, cause) + ": " + msg)
	if causeMsg != "" {
		// The converter's own text is the deserializer's exception.
		b.WriteString("\nCaused by: " + classSerializationException + ": " + causeMsg)
		return b.String()
	}
	prev := cause.Error()
	for u := errors.Unwrap(cause); u != nil; u = errors.Unwrap(u) {
		msg := u.Error()
		if msg == prev {
			continue
		}
		b.WriteString("\nCaused by: ")
		if ec, ok := u.(connectors.ExceptionClassifier); ok {
			b.WriteString(ec.ExceptionClass() + ": ")
		}
		b.WriteString(msg)
		prev = msg
	}
	return b.String()
}

func exceptionMsg(stage string, cause error) string {
	msg, _ := exceptionMessage(stage, cause)
	return msg
}

// ErrorHeaders builds Connect's error context headers.
func ErrorHeaders(rec connectors.SinkRecord, connector string, task int, stage, class string, cause error) []kafka.Header {
	h := func(k, v string) kafka.Header { return kafka.Header{Key: k, Value: []byte(v)} }
	return []kafka.Header{
		h(hdrTopic, rec.Topic),
		h(hdrPartition, strconv.Itoa(int(rec.Partition))),
		h(hdrOffset, strconv.FormatInt(rec.Offset, 10)),
		h(hdrConnector, connector),
		h(hdrTaskID, strconv.Itoa(task)),
		h(hdrStage, stage),
		h(hdrClassName, class),
		h(hdrExceptionName, ExceptionClass(stage, cause)),
		h(hdrExceptionMsg, exceptionMsg(stage, cause)),
		h(hdrStacktrace, stackTrace(stage, cause)),
	}
}

// Close releases the dead letter queue producer.
func (t *Tolerance) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.producer != nil {
		t.producer.Flush(5000)
		t.producer.Close()
		t.producer = nil
	}
}
