package transforms

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/schemas"
	"gopkg.in/inf.v0"
)

// side is the part of the record a $Key or $Value transformation works on.
type side uint8

const (
	keySide side = iota
	valueSide
)

func (s side) String() string {
	if s == keySide {
		return "Key"
	}
	return "Value"
}

func (s side) get(r *Record) schemas.SchemaAndValue {
	if s == keySide {
		return r.Key
	}
	return r.Value
}

func (s side) set(r *Record, sch *schemas.Schema, v any) {
	if s == keySide {
		r.Key = schemas.SchemaAndValue{Schema: sch, Value: v}
	} else {
		r.Value = schemas.SchemaAndValue{Schema: sch, Value: v}
	}
}

// javaClass names the Java class Connect would hold for a Go value, for
// messages that quote it.
func javaClass(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "java.lang.String"
	case int8:
		return "java.lang.Byte"
	case int16:
		return "java.lang.Short"
	case int32:
		return "java.lang.Integer"
	case int64, int:
		return "java.lang.Long"
	case float32:
		return "java.lang.Float"
	case float64:
		return "java.lang.Double"
	case bool:
		return "java.lang.Boolean"
	case []byte:
		return "[B"
	case []any:
		return "java.util.ArrayList"
	case map[string]any, map[any]any:
		return "java.util.HashMap"
	case *schemas.Struct:
		return "org.apache.kafka.connect.data.Struct"
	case time.Time:
		return "java.util.Date"
	case *inf.Dec:
		return "java.math.BigDecimal"
	}
	return fmt.Sprintf("%T", v)
}

// javaString renders a config value as Java's toString would (lists as
// "[a, b]").
func javaString(v any) any {
	switch x := v.(type) {
	case []string:
		return "[" + strings.Join(x, ", ") + "]"
	case nil:
		return nil
	}
	return v
}

func requireMap(v any, purpose string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, dataErr("Only Map objects supported in absence of schema for [%s], found: %s", purpose, javaClass(v))
	}
	return m, nil
}

func requireStruct(v any, purpose string) (*schemas.Struct, error) {
	st, ok := v.(*schemas.Struct)
	if !ok || st == nil {
		return nil, dataErr("Only Struct objects supported for [%s], found: %s", purpose, javaClass(v))
	}
	return st, nil
}

func requireSchema(s *schemas.Schema, purpose string) error {
	if s == nil {
		return dataErr("Schema required for [%s]", purpose)
	}
	return nil
}

// fieldValue is Connect's Struct.get: a null field reads as its schema's
// default; without withDefault it is Struct.getWithoutDefault.
func fieldValue(st *schemas.Struct, i int, withDefault bool) any {
	v := st.Values[i]
	if v == nil && withDefault {
		return st.Schema.Fields[i].Schema.Default
	}
	return v
}

func getField(st *schemas.Struct, name string, withDefault bool) (any, bool) {
	f, ok := st.Schema.Field(name)
	if !ok {
		return nil, false
	}
	return fieldValue(st, f.Index, withDefault), true
}

// structLike copies the name, version, doc and parameters of src onto a new
// STRUCT schema (SchemaUtil.copySchemaBasics); like SchemaBuilder.struct(),
// the result is required unless the caller says otherwise.
func structLike(src *schemas.Schema, optional bool, fields []schemas.Field) *schemas.Schema {
	s := schemas.NewStruct(src.Name, optional, fields...)
	s.Version, s.Doc, s.Parameters = src.Version, src.Doc, src.Parameters
	return s
}

// copyBasics copies a schema's type, name, version, doc, parameters (and an
// array's element schema), dropping optionality and default.
func copyBasics(src *schemas.Schema) *schemas.Schema {
	if src.Type == schemas.StructType {
		fs := make([]schemas.Field, len(src.Fields))
		copy(fs, src.Fields)
		return structLike(src, false, fs)
	}
	return &schemas.Schema{Type: src.Type, Name: src.Name, Version: src.Version, Doc: src.Doc, Parameters: src.Parameters, Key: src.Key, Value: src.Value}
}

// schemaCache is the small per-transformation cache of derived schemas
// Connect keeps (an LRU of 16); keyed by schema identity, since converters
// share schema pointers between records of the same shape.
type schemaCache struct {
	m     map[*schemas.Schema]*schemas.Schema
	order []*schemas.Schema
}

func (c *schemaCache) get(s *schemas.Schema) *schemas.Schema { return c.m[s] }

func (c *schemaCache) put(s, derived *schemas.Schema) {
	if c.m == nil {
		c.m = map[*schemas.Schema]*schemas.Schema{}
	}
	if _, ok := c.m[s]; !ok {
		if len(c.order) >= 16 {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
		c.order = append(c.order, s)
	}
	c.m[s] = derived
}

// copyMap returns a shallow copy of m with room for extra entries.
func copyMap(m map[string]any, extra int) map[string]any {
	out := make(map[string]any, len(m)+extra)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// javaDouble renders f as Java's Double.toString does ("1.0", "1.0E10").
func javaDouble(f float64) string { return javaFloat(f, 64) }

// javaFloat32 renders f as Java's Float.toString does.
func javaFloat32(f float32) string { return javaFloat(float64(f), 32) }

func javaFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	a := math.Abs(f)
	if a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, bits)
	if mant, _, _ := strings.Cut(s, "e"); !strings.Contains(mant, ".") {
		// Java prints at least two significant digits here and picks the
		// two closest to the exact value: 4.9E-324, not 5.0E-324.
		s = strconv.FormatFloat(f, 'e', 1, bits)
	}
	mant, exp, _ := strings.Cut(s, "e")
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(exp, "+-0")
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}

// javaBigDecimal renders d as Java's BigDecimal.toString does (scientific
// notation when the scale is negative or the exponent below -6).
func javaBigDecimal(d *inf.Dec) string {
	unscaled := d.UnscaledBig()
	digits := new(big.Int).Abs(unscaled).String()
	sign := ""
	if unscaled.Sign() < 0 {
		sign = "-"
	}
	scale := int(d.Scale())
	if scale == 0 {
		return sign + digits
	}
	adjusted := -scale + len(digits) - 1
	if scale > 0 && adjusted >= -6 {
		if len(digits) > scale {
			return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
		}
		return sign + "0." + strings.Repeat("0", scale-len(digits)) + digits
	}
	s := digits[:1]
	if len(digits) > 1 {
		s += "." + digits[1:]
	}
	exp := strconv.Itoa(adjusted)
	if adjusted >= 0 {
		exp = "+" + exp
	}
	return sign + s + "E" + exp
}

var nonEmptyList configdef.Validator = configdef.ValidatorFunc{Desc: "non-empty list", Fn: func(name string, v any) error {
	if l, _ := v.([]string); len(l) == 0 {
		return configError("", nil, "Configuration '"+name+"' must not be empty. Valid values include: any non-empty value")
	}
	return nil
}}

// nonEmptyString is Connect's ConfigDef.NonEmptyString (null allowed).
var nonEmptyString configdef.Validator = configdef.ValidatorFunc{Desc: "non-empty string", Fn: func(name string, v any) error {
	if s, ok := v.(string); ok && s == "" {
		return configError(name, v, "String must be non-empty")
	}
	return nil
}}

const replaceNullDoc = "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used."

func replaceNullKey() configdef.Key {
	return configdef.Key{Name: "replace.null.with.default", Type: configdef.Boolean, Default: true, Importance: configdef.Medium, Doc: replaceNullDoc}
}

var one = int32(1)

// Connect's logical schemas carry version 1 (Timestamp.SCHEMA and friends);
// derived schemas show it, so converters write it.
func logicalSchema(s *schemas.Schema) *schemas.Schema { s.Version = &one; return s }

func timestampSchema(optional bool) *schemas.Schema {
	return logicalSchema(schemas.NewTimestamp(optional))
}
func dateSchema(optional bool) *schemas.Schema { return logicalSchema(schemas.NewDate(optional)) }
func timeSchema(optional bool) *schemas.Schema { return logicalSchema(schemas.NewTime(optional)) }
