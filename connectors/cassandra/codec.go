package cassandra

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net"
	"strconv"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"gopkg.in/inf.v0"

	"github.com/gonnect/gonnect/schemas"
)

// toCQL converts a Connect value to what gocql marshals for the column
// type t, accepting the forms the DataStax connector accepts: exact types,
// widening numbers, numbers and times written as strings (JSON), structs
// for UDTs and lists for tuples.
func toCQL(t gocql.TypeInfo, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if s, ok := v.(string); ok && s == "" && !isText(t) {
		return nil, nil // DataStax reads the empty string as null for every type but text
	}
	if vt, ok := t.(gocql.VectorType); ok {
		// A vector from a list, element by element (a JSON array, as
		// DataStax reads it).
		arr, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("cannot convert %T to CQL %s", v, typeName(t))
		}
		if len(arr) != vt.Dimensions {
			return nil, fmt.Errorf("vector of %d elements, got %d", vt.Dimensions, len(arr))
		}
		return convertList(vt.SubType, arr, toCQL)
	}
	if n, ok := v.(json.Number); ok {
		// A number of a JSON text: exact for integers, decimals and text.
		switch i, err := n.Int64(); {
		case err == nil:
			v = i
		case t.Type() == gocql.TypeDecimal || t.Type() == gocql.TypeVarint || t.Type() == gocql.TypeText || t.Type() == gocql.TypeVarchar:
			v = string(n)
		default:
			f, err := n.Float64()
			if err != nil {
				return nil, fmt.Errorf("invalid number %s: %w", n, err)
			}
			v = f
		}
	}
	if exact(t, v) {
		return v, nil // returned as is: re-boxing would allocate per value
	}
	switch t.Type() {
	case gocql.TypeText, gocql.TypeVarchar, gocql.TypeAscii:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case fmt.Stringer:
			return x.String(), nil
		case bool, int8, int16, int32, int64, float32, float64:
			return fmt.Sprint(x), nil
		case map[string]any, []any:
			// A JSON object or array into text is its JSON, as the DataStax
			// connector writes a JSON node (object keys sorted here).
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(x); err != nil {
				return nil, err
			}
			return strings.TrimSuffix(b.String(), "\n"), nil
		}
	case gocql.TypeBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			if b, ok := booleanWords[strings.ToLower(x)]; ok {
				return b, nil
			}
			return nil, fmt.Errorf("invalid boolean value %q", x)
		case int8, int16, int32, int64, int, float32, float64:
			// DataStax's boolean numbers: 1 is true, 0 false (by value: 1.0 too).
			switch f, _ := toFloat(x); f {
			case 1:
				return true, nil
			case 0:
				return false, nil
			}
			return nil, fmt.Errorf("invalid boolean number %v", x)
		}
	case gocql.TypeTinyInt, gocql.TypeSmallInt, gocql.TypeInt, gocql.TypeBigInt, gocql.TypeCounter:
		if s, ok := v.(string); ok {
			b, err := textInteger(s)
			if err != nil {
				return nil, err
			}
			if !b.IsInt64() {
				return nil, fmt.Errorf("value %s out of range for 64-bit column", b)
			}
			v = b.Int64()
		}
		n, err := toInt64(v)
		if err != nil {
			return nil, err
		}
		bits := 64
		switch t.Type() {
		case gocql.TypeTinyInt:
			bits = 8
		case gocql.TypeSmallInt:
			bits = 16
		case gocql.TypeInt:
			bits = 32
		}
		if bits < 64 && (n < -(1<<(bits-1)) || n >= 1<<(bits-1)) {
			return nil, fmt.Errorf("value %d out of range for %d-bit column", n, bits)
		}
		return n, nil
	case gocql.TypeVarint:
		switch x := v.(type) {
		case string:
			return textInteger(x)
		case *inf.Dec:
			if x.Scale() != 0 {
				return nil, fmt.Errorf("decimal %s is not an integer", decString(x))
			}
			return x.UnscaledBig(), nil
		}
		n, err := toInt64(v)
		if err != nil {
			return nil, err
		}
		return big.NewInt(n), nil
	case gocql.TypeFloat, gocql.TypeDouble:
		if s, ok := v.(string); ok {
			n, _, err := parseTextNumber(s)
			if err != nil {
				return nil, err
			}
			if t.Type() == gocql.TypeFloat {
				return n.float32Exact()
			}
			return n.float64Exact()
		}
		f, err := toFloat(v)
		if err != nil {
			return nil, err
		}
		if t.Type() == gocql.TypeFloat {
			if _, isDouble := v.(float64); isDouble {
				return exactFloat32(f)
			}
			return float32(f), nil
		}
		return f, nil
	case gocql.TypeDecimal:
		switch x := v.(type) {
		case *inf.Dec:
			return x, nil
		case string:
			n, _, err := parseTextNumber(x)
			if err != nil {
				return nil, err
			}
			if n.dec == nil {
				return nil, fmt.Errorf("invalid decimal %q", x)
			}
			return n.dec, nil
		case float32, float64:
			f, _ := toFloat(x)
			d, ok := new(inf.Dec).SetString(strconv.FormatFloat(f, 'f', -1, 64))
			if !ok {
				return nil, fmt.Errorf("invalid decimal %v", x)
			}
			return d, nil
		}
		n, err := toInt64(v)
		if err != nil {
			return nil, err
		}
		return inf.NewDec(n, 0), nil
	case gocql.TypeUUID, gocql.TypeTimeUUID:
		switch x := v.(type) {
		case string:
			return parseUUID(x)
		case []byte:
			return gocql.UUIDFromBytes(x)
		}
	case gocql.TypeTimestamp:
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			return parseTime(x)
		}
		n, err := toInt64(v)
		if err != nil {
			return nil, err
		}
		return time.UnixMilli(n).UTC(), nil
	case gocql.TypeDate:
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			return time.Parse("2006-01-02", strings.TrimSpace(x))
		}
	case gocql.TypeTime:
		switch x := v.(type) {
		case time.Time:
			d := x.UTC()
			return time.Duration(d.Hour())*time.Hour + time.Duration(d.Minute())*time.Minute + time.Duration(d.Second())*time.Second + time.Duration(d.Nanosecond()), nil
		case time.Duration:
			return x, nil
		case string:
			// ISO_LOCAL_TIME, DataStax's default: two-digit fields,
			// seconds and fraction optional.
			x = strings.TrimSpace(x)
			if !isoLocalTime.MatchString(x) {
				return nil, fmt.Errorf("invalid time %q", x)
			}
			layout := "15:04:05.999999999"
			if len(x) == 5 {
				layout = "15:04"
			}
			tm, err := time.Parse(layout, x)
			if err != nil {
				return nil, fmt.Errorf("invalid time %q", x)
			}
			return toCQL(t, tm)
		}
		// A number is not a time of day for DataStax (no codec): refused.
	case gocql.TypeDuration:
		switch x := v.(type) {
		case string:
			return parseDuration(x)
		case time.Duration:
			return gocql.Duration{Nanoseconds: int64(x)}, nil
		}
	case gocql.TypeInet:
		switch x := v.(type) {
		case string:
			ip := net.ParseIP(strings.TrimSpace(x))
			if ip == nil {
				return nil, fmt.Errorf("invalid inet %q", x)
			}
			return ip, nil
		case []byte:
			return net.IP(x), nil
		}
	case gocql.TypeBlob:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return parseBlob(x)
		}
	case gocql.TypeList, gocql.TypeSet:
		elem := t.(gocql.CollectionType).Elem
		arr, ok := v.([]any)
		if !ok {
			break
		}
		return convertList(elem, arr, toCQL)
	case gocql.TypeMap:
		ct := t.(gocql.CollectionType)
		switch x := v.(type) {
		case map[string]any:
			return convertMap(ct, x, toCQL)
		case map[any]any:
			out := make(map[any]any, len(x))
			for k, e := range x {
				kv, err := toCQL(ct.Key, k)
				if err != nil {
					return nil, err
				}
				ev, err := toCQL(ct.Elem, e)
				if err != nil {
					return nil, err
				}
				out[kv] = ev
			}
			return out, nil
		}
	case gocql.TypeUDT:
		udt := t.(gocql.UDTTypeInfo)
		out := make(map[string]any, len(udt.Elements))
		get, ok := udtFields(v)
		if !ok {
			return nil, fmt.Errorf("cannot convert %T to UDT %s", v, udt.Name)
		}
		for _, f := range udt.Elements {
			fv, _ := get(f.Name)
			cv, err := toCQL(f.Type, fv)
			if err != nil {
				return nil, fmt.Errorf("UDT field %s: %w", f.Name, err)
			}
			out[f.Name] = cv
		}
		return out, nil
	case gocql.TypeTuple:
		tt := t.(gocql.TupleTypeInfo)
		var items []any
		switch x := v.(type) {
		case []any:
			items = x
		case *schemas.Struct:
			items = x.Values
		default:
			return nil, fmt.Errorf("cannot convert %T to a tuple", v)
		}
		if len(items) != len(tt.Elems) {
			return nil, fmt.Errorf("tuple of %d elements, got %d", len(tt.Elems), len(items))
		}
		return convertTuple(tt.Elems, items, toCQL)
	}
	return nil, fmt.Errorf("cannot convert %T to CQL %s", v, typeName(t))
}

// convertFunc converts a value for a CQL type: toCQL, or a codec's apply.
// The walkers below apply one to the parts of a nested value.
type convertFunc func(gocql.TypeInfo, any) (any, error)

func convertList(elem gocql.TypeInfo, arr []any, conv convertFunc) ([]any, error) {
	out := make([]any, len(arr))
	for i, e := range arr {
		ev, err := conv(elem, e)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		out[i] = ev
	}
	return out, nil
}

func convertMap(ct gocql.CollectionType, m map[string]any, conv convertFunc) (map[any]any, error) {
	out := make(map[any]any, len(m))
	for k, e := range m {
		kv, err := conv(ct.Key, k)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		ev, err := conv(ct.Elem, e)
		if err != nil {
			return nil, fmt.Errorf("value of %q: %w", k, err)
		}
		out[kv] = ev
	}
	return out, nil
}

func convertTuple(elems []gocql.TypeInfo, items []any, conv convertFunc) ([]any, error) {
	out := make([]any, len(items))
	for i, e := range items {
		ev, err := conv(elems[i], e)
		if err != nil {
			return nil, fmt.Errorf("tuple element %d: %w", i, err)
		}
		out[i] = ev
	}
	return out, nil
}

// udtFields reads the fields of a UDT value given as a Struct or a map.
func udtFields(v any) (get func(name string) (any, bool), ok bool) {
	switch x := v.(type) {
	case *schemas.Struct:
		return x.Get, true
	case map[string]any:
		return func(n string) (any, bool) { e, ok := x[n]; return e, ok }, true
	}
	return nil, false
}

// exact reports whether v already has the Go type gocql marshals for t,
// the common case of typed (Avro, JSON with schemas) records.
func exact(t gocql.TypeInfo, v any) bool {
	switch t.Type() {
	case gocql.TypeText, gocql.TypeVarchar, gocql.TypeAscii:
		_, ok := v.(string)
		return ok
	case gocql.TypeBigInt, gocql.TypeCounter:
		_, ok := v.(int64)
		return ok
	case gocql.TypeInt:
		_, ok := v.(int32)
		return ok
	case gocql.TypeDouble:
		_, ok := v.(float64)
		return ok
	case gocql.TypeFloat:
		_, ok := v.(float32)
		return ok
	case gocql.TypeBoolean:
		_, ok := v.(bool)
		return ok
	case gocql.TypeTimestamp:
		_, ok := v.(time.Time)
		return ok
	case gocql.TypeBlob:
		_, ok := v.([]byte)
		return ok
	case gocql.TypeDecimal:
		_, ok := v.(*inf.Dec)
		return ok
	case gocql.TypeList, gocql.TypeSet:
		arr, ok := v.([]any)
		if !ok || arr == nil { // the driver writes a nil slice as null, not as empty
			return false
		}
		elem := t.(gocql.CollectionType).Elem
		for _, e := range arr {
			if e == nil || !exact(elem, e) {
				return false
			}
		}
		return true
	case gocql.TypeMap:
		m, ok := v.(map[string]any)
		if !ok || m == nil {
			return false
		}
		ct := t.(gocql.CollectionType)
		if k := ct.Key.Type(); k != gocql.TypeText && k != gocql.TypeVarchar && k != gocql.TypeAscii {
			return false
		}
		for _, e := range m {
			if e == nil || !exact(ct.Elem, e) {
				return false
			}
		}
		return true
	}
	return false
}

func typeName(t gocql.TypeInfo) string {
	if s, ok := t.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(t.Type())
}

func toInt64(v any) (int64, error) {
	if n, ok := schemas.AsInt64(v); ok {
		return n, nil
	}
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) {
			return 0, fmt.Errorf("%v is not an integer", x)
		}
		return int64(x), nil
	case float32:
		return toInt64(float64(x))
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil {
			return 0, err
		}
		return toInt64(f)
	case string:
		return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	case time.Time:
		return x.UnixMilli(), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("cannot convert %T to an integer", v)
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	case string:
		return strconv.ParseFloat(strings.TrimSpace(x), 64)
	case json.Number:
		return x.Float64()
	case *inf.Dec:
		return strconv.ParseFloat(decString(x), 64)
	}
	n, err := toInt64(v)
	return float64(n), err
}

// parseTime reads ISO-8601 timestamps (DataStax's default codec.timestamp
// CQL_TIMESTAMP accepts these forms).
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999Z0700", "2006-01-02 15:04:05.999Z07:00", "2006-01-02 15:04:05.999", "2006-01-02T15:04:05.999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	// Digits alone are no CQL_TIMESTAMP: refused, as by DataStax (a
	// number, not text, is milliseconds since the epoch).
	return time.Time{}, fmt.Errorf("invalid timestamp %q", s)
}

// textInteger reads text into an integer column: any number DataStax
// reads (see parseTextNumber) that has no fraction.
func textInteger(s string) (*big.Int, error) {
	n, _, err := parseTextNumber(s)
	if err != nil {
		return nil, err
	}
	return n.integer()
}

// parseBlob reads text into a blob as DataStax does: a CQL hex literal
// (0x...), else base64 (JsonConverter's form of bytes).
func parseBlob(s string) ([]byte, error) {
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		if b, err := hex.DecodeString(s[2:]); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("invalid binary string %q", s)
}

// emptyValue reports a value whose encoding has no bytes (an empty blob):
// DataStax treats it as a null, so it is unset under nullToUnset and
// refused in a primary key column.
func emptyValue(t gocql.TypeInfo, v any) bool {
	b, ok := v.([]byte)
	return ok && len(b) == 0 && !isText(t)
}
