package task

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/connectorconfig"
	"github.com/gonnect/gonnect/worker/storage"
)

// Stage names where a record failed, as Connect's error context reports them.
const (
	StageKeyConverter    = "KEY_CONVERTER"
	StageValueConverter  = "VALUE_CONVERTER"
	StageHeaderConverter = "HEADER_CONVERTER"
	StageTaskPut         = "TASK_PUT"
)

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
	return fmt.Sprintf("Error in stage %s (%s) for record from topic %s partition %d offset %d: %v", e.Stage, e.Class, e.Topic, e.Partition, e.Offset, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// Tolerance applies a connector's errors.* settings: whether a failed record
// is tolerated, logged and sent to the dead letter queue.
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

	mu       sync.Mutex
	producer *kafka.Producer
	// Failed counts tolerated records.
	Failed int64
}

// NewTolerance reads the errors.* keys of a connector config.
func NewTolerance(connector string, task int, cfg map[string]string, bootstrap string, producerProps map[string]string, log *slog.Logger) (*Tolerance, error) {
	t := &Tolerance{connector: connector, task: task, bootstrap: bootstrap, props: producerProps, log: log, dlqRF: 3}
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
	return t, nil
}

// Report handles a failed record: with errors.tolerance=none it returns the
// error (the task must fail); with all it logs and dead-letters the record
// and returns nil once the dead letter queue acknowledged it.
func (t *Tolerance) Report(ctx context.Context, rec connectors.SinkRecord, stage, class string, cause error) error {
	re := &RecordError{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset, Stage: stage, Class: class, Err: cause}
	if !t.all {
		return fmt.Errorf("Tolerance exceeded in error handler: %w", re)
	}
	if t.logErrors {
		args := []any{"connector", t.connector, "task", t.task, "topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "stage", stage, "error", cause}
		if t.logMsgs && rec.Raw != nil {
			args = append(args, "key", string(rec.Raw.Key), "value", string(rec.Raw.Value))
		}
		t.log.Error("Error encountered in task; tolerating it", args...)
	}
	if t.dlqTopic != "" {
		if err := t.sendToDLQ(ctx, rec, stage, class, cause); err != nil {
			// Never lose a record: a DLQ that cannot take it fails the task.
			return fmt.Errorf("writing record %s-%d@%d to dead letter queue %s: %w", rec.Topic, rec.Partition, rec.Offset, t.dlqTopic, err)
		}
	}
	t.mu.Lock()
	t.Failed++
	t.mu.Unlock()
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

// ErrorHeaders builds Connect's error context headers.
func ErrorHeaders(rec connectors.SinkRecord, connector string, task int, stage, class string, cause error) []kafka.Header {
	h := func(k, v string) kafka.Header { return kafka.Header{Key: k, Value: []byte(v)} }
	root := cause
	for u := errors.Unwrap(root); u != nil; u = errors.Unwrap(root) {
		root = u
	}
	return []kafka.Header{
		h(hdrTopic, rec.Topic),
		h(hdrPartition, strconv.Itoa(int(rec.Partition))),
		h(hdrOffset, strconv.FormatInt(rec.Offset, 10)),
		h(hdrConnector, connector),
		h(hdrTaskID, strconv.Itoa(task)),
		h(hdrStage, stage),
		h(hdrClassName, class),
		h(hdrExceptionName, fmt.Sprintf("%T", root)),
		h(hdrExceptionMsg, cause.Error()),
		h(hdrStacktrace, cause.Error()+"\n"+string(debug.Stack())),
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
