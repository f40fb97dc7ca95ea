// Package connectors is the plugin SPI of gonnect (Connect's connect-api):
// connectors split work into task configs; sink tasks receive converted
// records and report which offsets are safe to commit. It must not import
// worker/ or restapi/.
package connectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/schemas"
)

// Connector is the part of a plugin that runs once per connector (on one
// worker) and decides the task configurations.
type Connector interface {
	Version() string
	// Config declares the connector's own keys (the worker adds Connect's
	// common keys such as name, connector.class, tasks.max, topics).
	Config() *configdef.ConfigDef
	Start(ctx context.Context, config map[string]string) error
	// TaskConfigs returns at most maxTasks task configurations.
	TaskConfigs(maxTasks int) ([]map[string]string, error)
	Stop() error
}

// ConfigValidator is implemented by connectors that validate more than
// their ConfigDef can (for example by connecting to the target system); it
// adds errors to infos, which already holds the ConfigDef's results.
type ConfigValidator interface {
	ValidateConfig(ctx context.Context, config map[string]string, infos *configdef.Infos)
}

// SinkConnector creates sink tasks.
type SinkConnector interface {
	Connector
	NewTask() SinkTask
}

// SourceConnector creates source tasks.
type SourceConnector interface {
	Connector
	NewTask() SourceTask
}

// TopicPartition names one Kafka partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

// SinkRecord is one consumed record, converted to Connect data.
type SinkRecord struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time // zero when the record has none
	Key       schemas.SchemaAndValue
	Value     schemas.SchemaAndValue
	Headers   []schemas.Header
	// Raw is the record as read from Kafka, kept for the dead letter queue.
	Raw *RawRecord
	// ValueWriter, set only for a DirectSink, is the writer schema of a
	// value the worker left undecoded (Value is then unset).
	ValueWriter any
}

// DirectSink is a sink task that decodes some record values itself,
// straight from their bytes into what it writes, skipping the Connect data
// model. The worker asks Direct once, with its value converter; when the
// converter is a schemas.WriterSchemaReader and Direct returns true, the
// worker leaves Value unset on each record with a non-null value and sets
// ValueWriter to the converter's writer schema instead (Raw.Value holds the
// bytes). The task converts any record it does not decode itself with the
// converter's ToConnect, and reports values it cannot read wrapped in a
// ConversionError, so that they count as the converter's failures.
type DirectSink interface {
	Direct(valueConverter schemas.Converter) bool
}

// ConversionError is a value a DirectSink task could not read; reported
// through the ErrantRecordReporter, it is a failure of the value converter
// stage, as it would have been had the worker converted the record.
type ConversionError struct{ Err error }

func (e *ConversionError) Error() string { return e.Err.Error() }
func (e *ConversionError) Unwrap() error { return e.Err }

// RawRecord is a record's bytes as read from Kafka.
type RawRecord struct {
	Key, Value []byte
	Headers    []RawHeader
}

// RawHeader is one header as read from Kafka.
type RawHeader struct {
	Key   string
	Value []byte
}

// SinkTask writes records to an external system.
type SinkTask interface {
	Version() string
	Start(ctx context.Context, config map[string]string, tc SinkTaskContext) error
	// Open is called when partitions are assigned to the task, Close when
	// they are revoked; a task drops buffered state for closed partitions.
	Open(ctx context.Context, partitions []TopicPartition) error
	Close(ctx context.Context, partitions []TopicPartition) error
	// Put delivers records in offset order per partition. Returning a
	// RetriableError makes the worker pause, back off and redeliver the
	// same records; any other error fails the task.
	Put(ctx context.Context, records []SinkRecord) error
	// PreCommit is asked before the worker commits: current holds the next
	// offset to consume per partition (last delivered + 1); the task returns
	// the offsets that are safe to commit (all written). Tasks that write
	// synchronously in Put return current unchanged.
	PreCommit(ctx context.Context, current map[TopicPartition]int64) (map[TopicPartition]int64, error)
	Stop() error
}

// SinkTaskContext is what the worker offers a sink task.
type SinkTaskContext interface {
	// Config is the task's configuration.
	Config() map[string]string
	// ResetOffsets asks the worker to consume the given partitions from
	// the given offsets (next offset to read).
	ResetOffsets(offsets map[TopicPartition]int64)
	// Assignment is the set of partitions currently assigned.
	Assignment() []TopicPartition
	Pause(partitions ...TopicPartition)
	Resume(partitions ...TopicPartition)
	// RequestCommit asks for an offset commit as soon as possible.
	RequestCommit()
	// Timeout is Connect's SinkTaskContext.timeout: after a put that
	// failed with a retriable error, the worker puts the same records again
	// after d rather than at its next offset commit.
	Timeout(d time.Duration)
	// Reporter returns the errant record reporter (dead letter queue and
	// error log, per errors.tolerance), or nil if none is configured.
	Reporter() ErrantRecordReporter
}

// TaskInstrumentation is offered by the worker's task contexts (sink and
// source): a logger whose lines carry the task's connector context
// ("[name|task-0] "), and a registerer for the task's own Prometheus
// metrics, exposed with connector and task labels and removed with the
// task. A task checks for it with a type assertion.
type TaskInstrumentation interface {
	Logger() *slog.Logger
	Metrics() prometheus.Registerer
}

// ErrantRecordReporter reports a record the task could not process. When
// Report returns nil the record is accounted for (sent to the DLQ and/or
// tolerated) and its offset may be committed; an error means the task
// must fail rather than lose the record.
type ErrantRecordReporter interface {
	Report(ctx context.Context, rec SinkRecord, cause error) error
}

// SourceRecord is one record produced by a source task.
type SourceRecord struct {
	SourcePartition map[string]any
	SourceOffset    map[string]any
	Topic           string
	Partition       *int32
	Key             schemas.SchemaAndValue
	Value           schemas.SchemaAndValue
	Timestamp       time.Time
	Headers         []schemas.Header
}

// SourceTask reads from an external system.
type SourceTask interface {
	Version() string
	Start(ctx context.Context, config map[string]string, tc SourceTaskContext) error
	// Poll returns the next records, or none; it should return within
	// about a second so the worker can stop or commit.
	Poll(ctx context.Context) ([]SourceRecord, error)
	// Commit tells the task that offsets of records up to now were written.
	Commit(ctx context.Context) error
	Stop() error
}

// SourceTaskContext is what the worker offers a source task.
type SourceTaskContext interface {
	Config() map[string]string
	// Offset returns the last committed offset of a source partition, or nil.
	Offset(partition map[string]any) (map[string]any, error)
}

// ExceptionClassifier is implemented by errors that know the Java class
// name Connect (or the connector gonnect replaces) would give the failure,
// such as "com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException".
// The worker names the first error of a chain that implements it in the
// dead letter queue's __connect.errors.exception.class.name header.
type ExceptionClassifier interface {
	ExceptionClass() string
}

// RetriableError marks an error after which the same operation may succeed
// if retried (Connect's RetriableException).
type RetriableError struct{ Err error }

func (e *RetriableError) Error() string { return "retriable: " + e.Err.Error() }
func (e *RetriableError) Unwrap() error { return e.Err }

// Retriable wraps err as retriable.
func Retriable(err error) error { return &RetriableError{Err: err} }

// IsRetriable reports whether err is or wraps a RetriableError.
func IsRetriable(err error) bool {
	var r *RetriableError
	return errors.As(err, &r)
}
