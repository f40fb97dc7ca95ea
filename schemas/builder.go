package schemas

// Primitive schemas, shared. Do not modify.
var (
	Int8Schema            = &Schema{Type: Int8}
	Int16Schema           = &Schema{Type: Int16}
	Int32Schema           = &Schema{Type: Int32}
	Int64Schema           = &Schema{Type: Int64}
	Float32Schema         = &Schema{Type: Float32}
	Float64Schema         = &Schema{Type: Float64}
	BooleanSchema         = &Schema{Type: Boolean}
	StringSchema          = &Schema{Type: String}
	BytesSchema           = &Schema{Type: Bytes}
	OptionalInt8Schema    = &Schema{Type: Int8, Optional: true}
	OptionalInt16Schema   = &Schema{Type: Int16, Optional: true}
	OptionalInt32Schema   = &Schema{Type: Int32, Optional: true}
	OptionalInt64Schema   = &Schema{Type: Int64, Optional: true}
	OptionalFloat32Schema = &Schema{Type: Float32, Optional: true}
	OptionalFloat64Schema = &Schema{Type: Float64, Optional: true}
	OptionalBooleanSchema = &Schema{Type: Boolean, Optional: true}
	OptionalStringSchema  = &Schema{Type: String, Optional: true}
	OptionalBytesSchema   = &Schema{Type: Bytes, Optional: true}
)

// NewStruct builds a STRUCT schema from fields, assigning indexes.
func NewStruct(name string, optional bool, fields ...Field) *Schema {
	s := &Schema{Type: StructType, Name: name, Optional: optional, Fields: fields, fieldIndex: make(map[string]int, len(fields))}
	for i := range s.Fields {
		s.Fields[i].Index = i
		s.fieldIndex[s.Fields[i].Name] = i
	}
	return s
}

// NewArray builds an ARRAY schema.
func NewArray(elem *Schema, optional bool) *Schema {
	return &Schema{Type: Array, Value: elem, Optional: optional}
}

// NewMap builds a MAP schema.
func NewMap(key, value *Schema, optional bool) *Schema {
	return &Schema{Type: Map, Key: key, Value: value, Optional: optional}
}

// NewDecimal builds a Decimal logical schema with the given scale.
func NewDecimal(scale int, optional bool) *Schema {
	return &Schema{Type: Bytes, Name: DecimalName, Optional: optional, Parameters: map[string]string{DecimalScaleParam: itoa(scale)}}
}

// NewDate builds a Date logical schema (days since the epoch).
func NewDate(optional bool) *Schema { return &Schema{Type: Int32, Name: DateName, Optional: optional} }

// NewTime builds a Time logical schema (milliseconds of the day).
func NewTime(optional bool) *Schema { return &Schema{Type: Int32, Name: TimeName, Optional: optional} }

// NewTimestamp builds a Timestamp logical schema (milliseconds since the epoch).
func NewTimestamp(optional bool) *Schema {
	return &Schema{Type: Int64, Name: TimestampName, Optional: optional}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	p := len(b)
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		p--
		b[p] = '-'
	}
	return string(b[p:])
}
