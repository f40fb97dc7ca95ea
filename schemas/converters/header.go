package converters

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/gonnect/gonnect/schemas"
)

// SimpleHeaderConverter is Connect's default header converter: a header
// is written as the string form of its value, and read back with the
// schema inferred from that string (null, booleans, the smallest integer
// type that holds an integer, FLOAT32 for other finite numbers, otherwise
// a string). Lists, maps and dates written by it read back as strings.
type SimpleHeaderConverter struct{}

// Configure implements schemas.Converter.
func (*SimpleHeaderConverter) Configure(map[string]string, bool) error { return nil }

// ToConnect implements schemas.Converter.
func (*SimpleHeaderConverter) ToConnect(_ string, data []byte) (schemas.SchemaAndValue, error) {
	if data == nil {
		return schemas.SchemaAndValue{}, nil
	}
	return ParseHeaderString(string(data)), nil
}

// FromConnect implements schemas.Converter.
func (*SimpleHeaderConverter) FromConnect(_ string, _ *schemas.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	var b strings.Builder
	if err := appendValue(&b, value, false); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// ParseHeaderString infers a schema and value from a header's text, as
// Connect's Values.parseString does for scalars.
func ParseHeaderString(s string) schemas.SchemaAndValue {
	if s == "" {
		return schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: s}
	}
	switch t := strings.TrimSpace(s); t {
	case "null":
		return schemas.SchemaAndValue{}
	case "true", "false":
		return schemas.SchemaAndValue{Schema: schemas.BooleanSchema, Value: t == "true"}
	default:
		if sv, ok := parseNumber(t); ok {
			return sv
		}
	}
	return schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: s}
}

func parseNumber(t string) (schemas.SchemaAndValue, bool) {
	c := t[0]
	if (c == '+' || c == '-') && len(t) > 1 {
		c = t[1]
	}
	if c < '0' || c > '9' {
		return schemas.SchemaAndValue{}, false
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok {
		return schemas.SchemaAndValue{}, false
	}
	if r.IsInt() && r.Num().IsInt64() {
		n := r.Num().Int64()
		switch {
		case n >= math.MinInt8 && n <= math.MaxInt8:
			return schemas.SchemaAndValue{Schema: schemas.Int8Schema, Value: int8(n)}, true
		case n >= math.MinInt16 && n <= math.MaxInt16:
			return schemas.SchemaAndValue{Schema: schemas.Int16Schema, Value: int16(n)}, true
		case n >= math.MinInt32 && n <= math.MaxInt32:
			return schemas.SchemaAndValue{Schema: schemas.Int32Schema, Value: int32(n)}, true
		}
		return schemas.SchemaAndValue{Schema: schemas.Int64Schema, Value: n}, true
	}
	if r.IsInt() {
		return schemas.SchemaAndValue{}, false // beyond a long: Connect gives a Decimal, kept as text here
	}
	if f, _ := r.Float32(); !math.IsInf(float64(f), 0) {
		return schemas.SchemaAndValue{Schema: schemas.Float32Schema, Value: f}, true
	}
	if f, _ := r.Float64(); !math.IsInf(f, 0) {
		return schemas.SchemaAndValue{Schema: schemas.Float64Schema, Value: f}, true
	}
	return schemas.SchemaAndValue{}, false
}

// appendValue writes a value as Connect's Values.convertToString does;
// embedded strings (in lists and maps) are quoted.
func appendValue(b *strings.Builder, v any, embedded bool) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		if embedded {
			b.WriteString(`"` + strings.ReplaceAll(strings.ReplaceAll(x, `\`, `\\`), `"`, `\"`) + `"`)
		} else {
			b.WriteString(x)
		}
	case []byte:
		s := base64.StdEncoding.EncodeToString(x)
		if embedded {
			s = `"` + s + `"`
		}
		b.WriteString(s)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case float32:
		b.WriteString(javaFloat(float64(x), 32))
	case float64:
		b.WriteString(javaFloat(x, 64))
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64:
		fmt.Fprint(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendValue(b, e, true); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			_ = appendValue(b, k, true)
			b.WriteByte(':')
			if err := appendValue(b, x[k], true); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case *schemas.Struct:
		b.WriteByte('{')
		for i, f := range x.Schema.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			_ = appendValue(b, f.Name, true)
			b.WriteByte(':')
			if err := appendValue(b, x.Values[i], true); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("Failed to serialize unexpected value type %T: %v", v, v)
	}
	return nil
}

// javaFloat prints a float as Java's toString does for the common cases
// (a whole number keeps ".0").
func javaFloat(f float64, bits int) string {
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if !strings.ContainsAny(s, ".eEN") && !strings.Contains(s, "Inf") {
		s += ".0"
	}
	return s
}

// HeaderFromConfig builds the header converter named by
// cfg["header.converter"] (SimpleHeaderConverter when unset) and configures
// it with the keys under "header.converter.".
func HeaderFromConfig(cfg map[string]string) (schemas.Converter, error) {
	class := strings.TrimSpace(cfg["header.converter"])
	var c schemas.Converter
	if class == "" || class == SimpleHeaderClass || class == "SimpleHeaderConverter" {
		c = &SimpleHeaderConverter{}
	} else {
		var err error
		if c, err = New(class); err != nil {
			return nil, fmt.Errorf("creating header.converter: %w", err)
		}
	}
	sub := map[string]string{}
	for k, v := range cfg {
		if strings.HasPrefix(k, "header.converter.") {
			sub[strings.TrimPrefix(k, "header.converter.")] = v
		}
	}
	if err := c.Configure(sub, false); err != nil {
		return nil, fmt.Errorf("configuring header.converter %s: %w", class, err)
	}
	return c, nil
}
