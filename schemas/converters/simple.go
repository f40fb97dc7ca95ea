package converters

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gonnect/gonnect/schemas"
)

// StringConverter is Connect's StringConverter: UTF-8 text, optional string schema.
type StringConverter struct{}

// Configure implements schemas.Converter; only UTF-8 is supported.
func (*StringConverter) Configure(cfg map[string]string, _ bool) error {
	for _, k := range []string{"converter.encoding", "encoding"} {
		if e := cfg[k]; e != "" && !strings.EqualFold(e, "UTF8") && !strings.EqualFold(e, "UTF-8") {
			return fmt.Errorf("unsupported %s %q: only UTF-8 is supported", k, e)
		}
	}
	return nil
}

// ToConnect implements schemas.Converter.
func (*StringConverter) ToConnect(_ string, data []byte) (schemas.SchemaAndValue, error) {
	if data == nil {
		return schemas.SchemaAndValue{Schema: schemas.OptionalStringSchema}, nil
	}
	if !utf8.Valid(data) {
		return schemas.SchemaAndValue{}, fmt.Errorf("Failed to deserialize string: invalid UTF-8")
	}
	return schemas.SchemaAndValue{Schema: schemas.OptionalStringSchema, Value: string(data)}, nil
}

// FromConnect implements schemas.Converter: any value as its string form.
func (*StringConverter) FromConnect(_ string, _ *schemas.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	if s, ok := value.(string); ok {
		return []byte(s), nil
	}
	return []byte(fmt.Sprint(value)), nil
}

// ByteArrayConverter is Connect's ByteArrayConverter: bytes as they are.
type ByteArrayConverter struct{}

// Configure implements schemas.Converter.
func (*ByteArrayConverter) Configure(map[string]string, bool) error { return nil }

// ToConnect implements schemas.Converter.
func (*ByteArrayConverter) ToConnect(_ string, data []byte) (schemas.SchemaAndValue, error) {
	if data == nil {
		return schemas.SchemaAndValue{Schema: schemas.OptionalBytesSchema}, nil
	}
	return schemas.SchemaAndValue{Schema: schemas.OptionalBytesSchema, Value: data}, nil
}

// FromConnect implements schemas.Converter.
func (*ByteArrayConverter) FromConnect(_ string, s *schemas.Schema, value any) ([]byte, error) {
	if s != nil && s.Type != schemas.Bytes {
		return nil, fmt.Errorf("Invalid schema type for ByteArrayConverter: %s", s.Type)
	}
	if value == nil {
		return nil, nil
	}
	b, ok := value.([]byte)
	if !ok {
		return nil, fmt.Errorf("ByteArrayConverter is not compatible with objects of type %T", value)
	}
	return b, nil
}
