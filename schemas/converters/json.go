package converters

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"gopkg.in/inf.v0"

	"github.com/gonnect/gonnect/schemas"
)

// JSONConverter is Connect's JsonConverter. With schemas.enable (the
// default) each message is an envelope {"schema":..., "payload":...} in
// Connect's JSON schema format; without, plain JSON is read schemaless.
type JSONConverter struct {
	schemasEnabled bool
	decimalNumeric bool
	cache          map[string]*schemas.Schema
}

// Configure implements schemas.Converter.
func (c *JSONConverter) Configure(cfg map[string]string, _ bool) error {
	c.schemasEnabled = true
	if v, ok := cfg["schemas.enable"]; ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("Invalid value %s for configuration schemas.enable: Expected value to be either true or false", v)
		}
		c.schemasEnabled = b
	}
	switch strings.ToUpper(cfg["decimal.format"]) {
	case "", "BASE64":
	case "NUMERIC":
		c.decimalNumeric = true
	default:
		return fmt.Errorf("Invalid value %s for configuration decimal.format: String must be one of: BASE64, NUMERIC", cfg["decimal.format"])
	}
	c.cache = map[string]*schemas.Schema{}
	return nil
}

func serializationError(err error) error {
	return fmt.Errorf("Converting byte[] to Kafka Connect data failed due to serialization error: %w", err)
}

// ToConnect implements schemas.Converter.
func (c *JSONConverter) ToConnect(_ string, data []byte) (schemas.SchemaAndValue, error) {
	if data == nil {
		return schemas.Null, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return schemas.SchemaAndValue{}, serializationError(err)
	}
	if !c.schemasEnabled {
		return schemas.SchemaAndValue{Value: schemaless(v)}, nil
	}
	env, ok := v.(map[string]any)
	_, hasSchema := env["schema"]
	_, hasPayload := env["payload"]
	if !ok || len(env) != 2 || !hasSchema || !hasPayload {
		return schemas.SchemaAndValue{}, fmt.Errorf("JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.")
	}
	if env["schema"] == nil {
		return schemas.SchemaAndValue{Value: schemaless(env["payload"])}, nil
	}
	s, err := c.schemaOf(env["schema"])
	if err != nil {
		return schemas.SchemaAndValue{}, err
	}
	val, err := c.toValue(s, env["payload"])
	if err != nil {
		return schemas.SchemaAndValue{}, err
	}
	return schemas.SchemaAndValue{Schema: s, Value: val}, nil
}

// schemaless turns decoded JSON into Connect's schemaless values.
func schemaless(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = schemaless(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = schemaless(e)
		}
		return x
	}
	return v
}

func (c *JSONConverter) schemaOf(raw any) (*schemas.Schema, error) {
	key, _ := json.Marshal(raw)
	if s, ok := c.cache[string(key)]; ok {
		return s, nil
	}
	s, err := parseSchema(raw)
	if err != nil {
		return nil, err
	}
	c.cache[string(key)] = s
	return s, nil
}

func parseSchema(raw any) (*schemas.Schema, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Schema must be an object, got %v", raw)
	}
	typ, _ := m["type"].(string)
	var t schemas.Type
	switch typ {
	case "float":
		t = schemas.Float32
	case "double":
		t = schemas.Float64
	default:
		var err error
		if t, err = schemas.ParseType(typ); err != nil {
			return nil, fmt.Errorf("Unknown schema type: %s", typ)
		}
	}
	s := &schemas.Schema{Type: t}
	s.Optional, _ = m["optional"].(bool)
	s.Name, _ = m["name"].(string)
	s.Doc, _ = m["doc"].(string)
	if v, ok := m["version"].(json.Number); ok {
		n, _ := v.Int64()
		n32 := int32(n)
		s.Version = &n32
	}
	if p, ok := m["parameters"].(map[string]any); ok {
		s.Parameters = map[string]string{}
		for k, v := range p {
			s.Parameters[k] = fmt.Sprint(v)
		}
	}
	switch t {
	case schemas.StructType:
		fs, _ := m["fields"].([]any)
		fields := make([]schemas.Field, 0, len(fs))
		for _, f := range fs {
			fm, _ := f.(map[string]any)
			name, _ := fm["field"].(string)
			fsch, err := parseSchema(fm)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", name, err)
			}
			fields = append(fields, schemas.Field{Name: name, Schema: fsch})
		}
		ns := schemas.NewStruct(s.Name, s.Optional, fields...)
		ns.Doc, ns.Version, ns.Parameters = s.Doc, s.Version, s.Parameters
		s = ns
	case schemas.Array:
		items, err := parseSchema(m["items"])
		if err != nil {
			return nil, fmt.Errorf("array items: %w", err)
		}
		s.Value = items
	case schemas.Map:
		k, err := parseSchema(m["keys"])
		if err != nil {
			return nil, fmt.Errorf("map keys: %w", err)
		}
		v, err := parseSchema(m["values"])
		if err != nil {
			return nil, fmt.Errorf("map values: %w", err)
		}
		s.Key, s.Value = k, v
	}
	if d, ok := m["default"]; ok && d != nil {
		var err error
		if s.Default, err = (&JSONConverter{}).toValue(s, d); err != nil {
			return nil, fmt.Errorf("default value: %w", err)
		}
	}
	return s, nil
}

func mismatch(s *schemas.Schema, v any) error {
	return fmt.Errorf("Invalid type for %s: %T", s.Type, v)
}

func (c *JSONConverter) toValue(s *schemas.Schema, v any) (any, error) {
	if v == nil {
		if s.Default != nil {
			return s.Default, nil
		}
		if s.Optional {
			return nil, nil
		}
		return nil, fmt.Errorf("Invalid null value for required %s field", s.Type)
	}
	switch s.Name {
	case schemas.DecimalName:
		scale, _ := strconv.Atoi(s.Parameters[schemas.DecimalScaleParam])
		switch x := v.(type) {
		case string:
			b, err := base64.StdEncoding.DecodeString(x)
			if err != nil {
				return nil, fmt.Errorf("Invalid bytes for Decimal field: %w", err)
			}
			return DecimalFromBytes(b, scale), nil
		case json.Number:
			d, ok := new(inf.Dec).SetString(x.String())
			if !ok {
				return nil, fmt.Errorf("Invalid numeric Decimal %s", x)
			}
			return d, nil
		}
		return nil, mismatch(s, v)
	case schemas.DateName:
		n, err := jsonInt(v, 32)
		if err != nil {
			return nil, err
		}
		return time.Unix(n*86400, 0).UTC(), nil
	case schemas.TimeName:
		n, err := jsonInt(v, 32)
		if err != nil {
			return nil, err
		}
		return time.UnixMilli(n).UTC(), nil
	case schemas.TimestampName:
		n, err := jsonInt(v, 64)
		if err != nil {
			return nil, err
		}
		return time.UnixMilli(n).UTC(), nil
	}
	switch s.Type {
	case schemas.Int8, schemas.Int16, schemas.Int32, schemas.Int64:
		bits := map[schemas.Type]int{schemas.Int8: 8, schemas.Int16: 16, schemas.Int32: 32, schemas.Int64: 64}[s.Type]
		n, err := jsonInt(v, bits)
		if err != nil {
			return nil, err
		}
		switch s.Type {
		case schemas.Int8:
			return int8(n), nil
		case schemas.Int16:
			return int16(n), nil
		case schemas.Int32:
			return int32(n), nil
		}
		return n, nil
	case schemas.Float32, schemas.Float64:
		num, ok := v.(json.Number)
		if !ok {
			return nil, mismatch(s, v)
		}
		f, err := num.Float64()
		if err != nil {
			return nil, err
		}
		if s.Type == schemas.Float32 {
			return float32(f), nil
		}
		return f, nil
	case schemas.Boolean:
		b, ok := v.(bool)
		if !ok {
			return nil, mismatch(s, v)
		}
		return b, nil
	case schemas.String:
		str, ok := v.(string)
		if !ok {
			return nil, mismatch(s, v)
		}
		return str, nil
	case schemas.Bytes:
		str, ok := v.(string)
		if !ok {
			return nil, mismatch(s, v)
		}
		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			return nil, fmt.Errorf("Invalid bytes field: %w", err)
		}
		return b, nil
	case schemas.Array:
		arr, ok := v.([]any)
		if !ok {
			return nil, mismatch(s, v)
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			ev, err := c.toValue(s.Value, e)
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	case schemas.Map:
		if s.Key.Type == schemas.String {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, mismatch(s, v)
			}
			out := make(map[string]any, len(obj))
			for k, e := range obj {
				ev, err := c.toValue(s.Value, e)
				if err != nil {
					return nil, err
				}
				out[k] = ev
			}
			return out, nil
		}
		// Non-string keys are an array of [key, value] pairs.
		arr, ok := v.([]any)
		if !ok {
			return nil, mismatch(s, v)
		}
		out := make(map[any]any, len(arr))
		for _, e := range arr {
			pair, ok := e.([]any)
			if !ok || len(pair) != 2 {
				return nil, fmt.Errorf("Found invalid map entry instead of array tuple: %v", e)
			}
			k, err := c.toValue(s.Key, pair[0])
			if err != nil {
				return nil, err
			}
			val, err := c.toValue(s.Value, pair[1])
			if err != nil {
				return nil, err
			}
			out[k] = val
		}
		return out, nil
	case schemas.StructType:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, mismatch(s, v)
		}
		st := schemas.NewStructValue(s)
		for i, f := range s.Fields {
			fv, err := c.toValue(f.Schema, obj[f.Name])
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f.Name, err)
			}
			st.Values[i] = fv
		}
		return st, nil
	}
	return nil, fmt.Errorf("unsupported schema type %s", s.Type)
}

func jsonInt(v any, bits int) (int64, error) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("Invalid type for integer: %T", v)
	}
	n, err := strconv.ParseInt(num.String(), 10, bits)
	if err != nil {
		return 0, fmt.Errorf("Invalid integer %s for a %d-bit field", num, bits)
	}
	return n, nil
}

// DecimalFromBytes reads a big-endian two's complement unscaled value.
func DecimalFromBytes(b []byte, scale int) *inf.Dec {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b)*8)))
	}
	return inf.NewDecBig(n, inf.Scale(scale))
}

// DecimalToBytes writes the unscaled value of d at scale as big-endian
// two's complement.
func DecimalToBytes(d *inf.Dec, scale int) []byte {
	r := new(inf.Dec).Round(d, inf.Scale(scale), inf.RoundHalfEven)
	n := r.UnscaledBig()
	if n.Sign() >= 0 {
		b := n.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	nbytes := (n.BitLen() + 8) / 8
	m := new(big.Int).Add(n, new(big.Int).Lsh(big.NewInt(1), uint(nbytes*8)))
	b := m.Bytes()
	for len(b) < nbytes {
		b = append([]byte{0xff}, b...)
	}
	return b
}

// FromConnect implements schemas.Converter.
func (c *JSONConverter) FromConnect(_ string, s *schemas.Schema, value any) ([]byte, error) {
	if value == nil && (s == nil || !c.schemasEnabled) {
		return nil, nil
	}
	payload, err := c.fromValue(s, value)
	if err != nil {
		return nil, fmt.Errorf("Converting Kafka Connect data to byte[] failed due to serialization error: %w", err)
	}
	if !c.schemasEnabled {
		return json.Marshal(payload)
	}
	var sj any
	if s != nil {
		sj = schemaJSON(s)
	}
	return json.Marshal(struct {
		Schema  any `json:"schema"`
		Payload any `json:"payload"`
	}{sj, payload})
}

func schemaJSON(s *schemas.Schema) map[string]any {
	typ := strings.ToLower(s.Type.String())
	switch s.Type {
	case schemas.Float32:
		typ = "float"
	case schemas.Float64:
		typ = "double"
	}
	m := map[string]any{"type": typ, "optional": s.Optional}
	if s.Name != "" {
		m["name"] = s.Name
	}
	if s.Version != nil {
		m["version"] = *s.Version
	}
	if s.Doc != "" {
		m["doc"] = s.Doc
	}
	if len(s.Parameters) > 0 {
		m["parameters"] = s.Parameters
	}
	switch s.Type {
	case schemas.StructType:
		fs := make([]any, len(s.Fields))
		for i, f := range s.Fields {
			fm := schemaJSON(f.Schema)
			fm["field"] = f.Name
			fs[i] = fm
		}
		m["fields"] = fs
	case schemas.Array:
		m["items"] = schemaJSON(s.Value)
	case schemas.Map:
		m["keys"] = schemaJSON(s.Key)
		m["values"] = schemaJSON(s.Value)
	}
	return m
}

func (c *JSONConverter) fromValue(s *schemas.Schema, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case *inf.Dec:
		scale := int(x.Scale())
		if s != nil {
			scale, _ = strconv.Atoi(s.Parameters[schemas.DecimalScaleParam])
		}
		if c.decimalNumeric {
			return json.Number(new(inf.Dec).Round(x, inf.Scale(scale), inf.RoundHalfEven).String()), nil
		}
		return DecimalToBytes(x, scale), nil
	case time.Time:
		switch {
		case s.IsLogical(schemas.DateName):
			return x.Unix() / 86400, nil
		case s.IsLogical(schemas.TimeName):
			d := x.UTC()
			return int64(d.Hour())*3600000 + int64(d.Minute())*60000 + int64(d.Second())*1000 + int64(d.Nanosecond()/1e6), nil
		}
		return x.UnixMilli(), nil
	case *schemas.Struct:
		obj := make(map[string]any, len(x.Values))
		for i, f := range x.Schema.Fields {
			fv, err := c.fromValue(f.Schema, x.Values[i])
			if err != nil {
				return nil, err
			}
			obj[f.Name] = fv
		}
		return obj, nil
	case []any:
		var elem *schemas.Schema
		if s != nil {
			elem = s.Value
		}
		out := make([]any, len(x))
		for i, e := range x {
			ev, err := c.fromValue(elem, e)
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	case map[string]any:
		var vs *schemas.Schema
		if s != nil {
			vs = s.Value
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			ev, err := c.fromValue(vs, e)
			if err != nil {
				return nil, err
			}
			out[k] = ev
		}
		return out, nil
	case map[any]any:
		var ks, vs *schemas.Schema
		if s != nil {
			ks, vs = s.Key, s.Value
		}
		out := make([]any, 0, len(x))
		for k, e := range x {
			kv, err := c.fromValue(ks, k)
			if err != nil {
				return nil, err
			}
			ev, err := c.fromValue(vs, e)
			if err != nil {
				return nil, err
			}
			out = append(out, []any{kv, ev})
		}
		return out, nil
	}
	return v, nil
}
