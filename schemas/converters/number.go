package converters

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gonnect/gonnect/schemas"
)

// NumberConverter is one of Connect's primitive converters (Boolean, Short,
// Integer, Long, Float, Double): big-endian bytes as Kafka's serializers
// write them.
type NumberConverter struct {
	t schemas.Type
}

// Configure implements schemas.Converter.
func (*NumberConverter) Configure(map[string]string, bool) error { return nil }

func (c *NumberConverter) size() int {
	switch c.t {
	case schemas.Boolean:
		return 1
	case schemas.Int16:
		return 2
	case schemas.Int32, schemas.Float32:
		return 4
	}
	return 8
}

// ToConnect implements schemas.Converter.
func (c *NumberConverter) ToConnect(_ string, data []byte) (schemas.SchemaAndValue, error) {
	s := &schemas.Schema{Type: c.t, Optional: true}
	if data == nil {
		return schemas.SchemaAndValue{Schema: s}, nil
	}
	if len(data) != c.size() {
		return schemas.SchemaAndValue{}, fmt.Errorf("Failed to deserialize %s: size of data received is not %d", c.t, c.size())
	}
	var v any
	switch c.t {
	case schemas.Boolean:
		v = data[0] != 0
	case schemas.Int16:
		v = int16(binary.BigEndian.Uint16(data))
	case schemas.Int32:
		v = int32(binary.BigEndian.Uint32(data))
	case schemas.Int64:
		v = int64(binary.BigEndian.Uint64(data))
	case schemas.Float32:
		v = math.Float32frombits(binary.BigEndian.Uint32(data))
	case schemas.Float64:
		v = math.Float64frombits(binary.BigEndian.Uint64(data))
	}
	return schemas.SchemaAndValue{Schema: s, Value: v}, nil
}

// FromConnect implements schemas.Converter.
func (c *NumberConverter) FromConnect(_ string, _ *schemas.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	b := make([]byte, c.size())
	switch x := value.(type) {
	case bool:
		if x {
			b[0] = 1
		}
	case int16:
		binary.BigEndian.PutUint16(b, uint16(x))
	case int32:
		binary.BigEndian.PutUint32(b, uint32(x))
	case int64:
		binary.BigEndian.PutUint64(b, uint64(x))
	case float32:
		binary.BigEndian.PutUint32(b, math.Float32bits(x))
	case float64:
		binary.BigEndian.PutUint64(b, math.Float64bits(x))
	default:
		return nil, fmt.Errorf("%s converter cannot serialize %T", c.t, value)
	}
	return b, nil
}
