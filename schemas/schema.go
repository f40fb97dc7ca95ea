package schemas

import (
	"fmt"
	"strings"
)

// Type is a Connect schema type; the string form is Connect's enum name.
type Type uint8

const (
	Int8 Type = iota + 1
	Int16
	Int32
	Int64
	Float32
	Float64
	Boolean
	String
	Bytes
	Array
	Map
	StructType
)

var typeNames = [...]string{"", "INT8", "INT16", "INT32", "INT64", "FLOAT32", "FLOAT64", "BOOLEAN", "STRING", "BYTES", "ARRAY", "MAP", "STRUCT"}

func (t Type) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// ParseType returns the Type for a Connect type name such as "int32" or "STRUCT".
func ParseType(name string) (Type, error) {
	up := strings.ToUpper(name)
	for i, n := range typeNames {
		if i > 0 && n == up {
			return Type(i), nil
		}
	}
	return 0, fmt.Errorf("unknown schema type %q", name)
}

// IsPrimitive reports whether values of t are not containers.
func (t Type) IsPrimitive() bool { return t != 0 && t < Array }

// Logical type names, as Connect spells them.
const (
	DecimalName   = "org.apache.kafka.connect.data.Decimal"
	DateName      = "org.apache.kafka.connect.data.Date"
	TimeName      = "org.apache.kafka.connect.data.Time"
	TimestampName = "org.apache.kafka.connect.data.Timestamp"
	// DecimalScaleParam is the parameter holding a Decimal's scale.
	DecimalScaleParam = "scale"
)

// Schema describes a Connect value. Schemas are immutable once built and
// shared between records, so converters cache them.
type Schema struct {
	Type       Type
	Optional   bool
	Default    any
	Name       string
	Version    *int32
	Doc        string
	Parameters map[string]string
	// Fields of a STRUCT, in order; Field.Index is the position.
	Fields []Field
	// Key schema of a MAP.
	Key *Schema
	// Value schema of a MAP, element schema of an ARRAY.
	Value *Schema

	fieldIndex map[string]int
}

// Field is one field of a STRUCT schema.
type Field struct {
	Name   string
	Index  int
	Schema *Schema
}

// Field returns the named field of a STRUCT schema.
func (s *Schema) Field(name string) (Field, bool) {
	if s == nil || s.Type != StructType {
		return Field{}, false
	}
	if s.fieldIndex != nil {
		i, ok := s.fieldIndex[name]
		if !ok {
			return Field{}, false
		}
		return s.Fields[i], true
	}
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// IsLogical reports whether the schema carries the given logical type name.
func (s *Schema) IsLogical(name string) bool { return s != nil && s.Name == name }

// String renders the schema compactly for error messages.
func (s *Schema) String() string {
	if s == nil {
		return "<schemaless>"
	}
	var b strings.Builder
	if s.Name != "" {
		b.WriteString(s.Name)
		b.WriteByte(':')
	}
	b.WriteString(s.Type.String())
	switch s.Type {
	case Array:
		fmt.Fprintf(&b, "<%s>", s.Value)
	case Map:
		fmt.Fprintf(&b, "<%s,%s>", s.Key, s.Value)
	case StructType:
		b.WriteByte('{')
		for i, f := range s.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s:%s", f.Name, f.Schema)
		}
		b.WriteByte('}')
	}
	if s.Optional {
		b.WriteByte('?')
	}
	return b.String()
}
