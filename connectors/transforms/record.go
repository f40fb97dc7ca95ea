// Package transforms implements Apache Connect's single message transforms
// (connect-transforms): transformations, predicates and the chain a
// connector's "transforms" and "predicates" settings build, under Connect's
// class names, settings and semantics.
package transforms

import (
	"time"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
)

// Record is what a transformation sees: the part of a sink or source record
// that Connect's ConnectRecord carries. Transformations never modify a
// Record's values in place; they return a record with new values, so the
// caller's data (and the converter's cached schemas) stay untouched.
type Record struct {
	Topic string
	// Partition is nil when unknown (a source record that leaves the
	// choice to the producer).
	Partition *int32
	// Offset is the Kafka offset of a sink record; Sink tells whether there
	// is one (InsertField's offset.field needs it).
	Offset    int64
	Sink      bool
	Key       schemas.SchemaAndValue
	Value     schemas.SchemaAndValue
	Timestamp time.Time // zero when the record has none
	Headers   []schemas.Header
}

// FromSink returns the transformable part of a sink record.
func FromSink(r *connectors.SinkRecord) Record {
	p := r.Partition
	return Record{Topic: r.Topic, Partition: &p, Offset: r.Offset, Sink: true, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp, Headers: r.Headers}
}

// ToSink writes a transformed record back onto a copy of the original sink
// record (offset and raw bytes stay those of the consumed record, as in
// Connect, where the original consumer record is kept for error reporting).
func (r Record) ToSink(orig connectors.SinkRecord) connectors.SinkRecord {
	orig.Topic = r.Topic
	if r.Partition != nil {
		orig.Partition = *r.Partition
	}
	orig.Key, orig.Value, orig.Timestamp, orig.Headers = r.Key, r.Value, r.Timestamp, r.Headers
	return orig
}

// FromSource returns the transformable part of a source record.
func FromSource(r *connectors.SourceRecord) Record {
	return Record{Topic: r.Topic, Partition: r.Partition, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp, Headers: r.Headers}
}

// ToSource writes a transformed record back onto a copy of the original
// source record (its source partition and offset are kept).
func (r Record) ToSource(orig connectors.SourceRecord) connectors.SourceRecord {
	orig.Topic, orig.Partition = r.Topic, r.Partition
	orig.Key, orig.Value, orig.Timestamp, orig.Headers = r.Key, r.Value, r.Timestamp, r.Headers
	return orig
}
