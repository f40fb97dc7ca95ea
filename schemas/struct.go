package schemas

import "fmt"

// Struct is a STRUCT value: values are positional, matching Schema.Fields.
type Struct struct {
	Schema *Schema
	Values []any
}

// NewStructValue returns an empty Struct for schema s.
func NewStructValue(s *Schema) *Struct {
	return &Struct{Schema: s, Values: make([]any, len(s.Fields))}
}

// Get returns the value of the named field; ok is false if there is no such field.
func (st *Struct) Get(name string) (v any, ok bool) {
	f, ok := st.Schema.Field(name)
	if !ok {
		return nil, false
	}
	return st.Values[f.Index], true
}

// Put sets the named field.
func (st *Struct) Put(name string, v any) error {
	f, ok := st.Schema.Field(name)
	if !ok {
		return fmt.Errorf("struct %s has no field %q", st.Schema.Name, name)
	}
	st.Values[f.Index] = v
	return nil
}

// SchemaAndValue pairs a value with its schema (nil for schemaless data).
type SchemaAndValue struct {
	Schema *Schema
	Value  any
}

// Null is the null SchemaAndValue.
var Null = SchemaAndValue{}

// Header is one record header converted to Connect data.
type Header struct {
	Key    string
	Schema *Schema
	Value  any
}

// Converter turns the bytes of a Kafka record key, value or header into
// Connect data and back, like Connect's org.apache.kafka.connect.storage.Converter.
// Implementations must be safe for use by one task goroutine at a time;
// each task gets its own instance.
type Converter interface {
	// Configure is called once with the converter's settings (the worker's or
	// connector's "key.converter."/"value.converter." prefix already removed).
	Configure(config map[string]string, isKey bool) error
	// ToConnect decodes data; nil data is a null value (a tombstone).
	ToConnect(topic string, data []byte) (SchemaAndValue, error)
	// FromConnect encodes a value.
	FromConnect(topic string, schema *Schema, value any) ([]byte, error)
}

// WriterSchemaReader is a converter that can tell the schema a non-null
// value was written with without decoding the value (for the AvroConverter,
// a *converters.AvroWriter). It fails as ToConnect would on a value whose
// schema cannot be known.
type WriterSchemaReader interface {
	WriterSchema(topic string, data []byte) (any, error)
}

// AsInt64 widens a value of an integer schema type (INT8 to INT64, or a Go
// int) to int64; ok is false for any other value.
func AsInt64(v any) (n int64, ok bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	return 0, false
}
