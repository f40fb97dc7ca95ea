package converters

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/riferrei/srclient"
	"gopkg.in/inf.v0"

	"github.com/gonnect/gonnect/schemas"
)

// AvroConverter is Confluent's AvroConverter: values in the Confluent wire
// format (magic byte 0, 4-byte schema id, Avro binary), schemas fetched
// from a Schema Registry by id and cached, mapped to Connect data as
// Confluent's AvroData maps them.
type AvroConverter struct {
	client       *srclient.SchemaRegistryClient
	isKey        bool
	autoRegister bool

	mu      sync.RWMutex
	readers map[int]*avroReader
	writers map[*schemas.Schema]*avroWriter
}

type avroReader struct {
	codec  *goavro.Codec
	schema *schemas.Schema
	conv   func(any) (any, error)
}

type avroWriter struct {
	id    int
	codec *goavro.Codec
}

// Configure implements schemas.Converter.
func (c *AvroConverter) Configure(cfg map[string]string, isKey bool) error {
	urls := strings.TrimSpace(cfg["schema.registry.url"])
	if urls == "" {
		return errors.New("Missing required configuration \"schema.registry.url\" which has no default value.")
	}
	c.client = srclient.NewSchemaRegistryClient(strings.TrimSpace(strings.Split(urls, ",")[0]))
	c.client.SetTimeout(30 * time.Second)
	info := cfg["basic.auth.user.info"]
	if info == "" {
		info = cfg["schema.registry.basic.auth.user.info"]
	}
	if info != "" {
		user, pass, _ := strings.Cut(info, ":")
		c.client.SetCredentials(user, pass)
	}
	c.isKey = isKey
	c.autoRegister = true
	if v, ok := cfg["auto.register.schemas"]; ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("Invalid value %s for configuration auto.register.schemas: Expected value to be either true or false", v)
		}
		c.autoRegister = b
	}
	c.readers = map[int]*avroReader{}
	c.writers = map[*schemas.Schema]*avroWriter{}
	return nil
}

func (c *AvroConverter) what() string {
	if c.isKey {
		return "key"
	}
	return "value"
}

// ToConnect implements schemas.Converter.
func (c *AvroConverter) ToConnect(topic string, data []byte) (schemas.SchemaAndValue, error) {
	if data == nil {
		return schemas.Null, nil
	}
	if len(data) < 5 || data[0] != 0 {
		return schemas.SchemaAndValue{}, fmt.Errorf("Converting byte[] to Kafka Connect data failed due to serialization error of topic %s: Unknown magic byte!", topic)
	}
	id := int(binary.BigEndian.Uint32(data[1:5]))
	r, err := c.reader(id)
	if err != nil {
		return schemas.SchemaAndValue{}, fmt.Errorf("Converting byte[] to Kafka Connect data failed due to serialization error of topic %s: Error retrieving Avro %s schema for id %d: %w", topic, c.what(), id, err)
	}
	native, rest, err := r.codec.NativeFromBinary(data[5:])
	if err != nil {
		return schemas.SchemaAndValue{}, fmt.Errorf("Converting byte[] to Kafka Connect data failed due to serialization error of topic %s: Error deserializing Avro message for id %d: %w", topic, id, err)
	}
	if len(rest) > 0 {
		return schemas.SchemaAndValue{}, fmt.Errorf("deserializing Avro message for id %d of topic %s: %d trailing bytes", id, topic, len(rest))
	}
	v, err := r.conv(native)
	if err != nil {
		return schemas.SchemaAndValue{}, fmt.Errorf("converting Avro message for id %d of topic %s to Connect data: %w", id, topic, err)
	}
	return schemas.SchemaAndValue{Schema: r.schema, Value: v}, nil
}

func (c *AvroConverter) reader(id int) (*avroReader, error) {
	c.mu.RLock()
	r := c.readers[id]
	c.mu.RUnlock()
	if r != nil {
		return r, nil
	}
	s, err := c.client.GetSchema(id)
	if err != nil {
		return nil, err
	}
	codec, err := goavro.NewCodec(s.Schema())
	if err != nil {
		return nil, fmt.Errorf("parsing schema %d: %w", id, err)
	}
	var parsed any
	if err := json.Unmarshal([]byte(s.Schema()), &parsed); err != nil {
		return nil, fmt.Errorf("parsing schema %d: %w", id, err)
	}
	b := &avroBuilder{named: map[string]*avroNode{}}
	node, err := b.build(parsed, "")
	if err != nil {
		return nil, fmt.Errorf("mapping schema %d to Connect: %w", id, err)
	}
	r = &avroReader{codec: codec, schema: node.schema, conv: node.conv}
	c.mu.Lock()
	c.readers[id] = r
	c.mu.Unlock()
	return r, nil
}

// avroNode is one Avro schema compiled to a Connect schema and a converter
// of goavro's native values, so no schema is interpreted per record.
type avroNode struct {
	schema *schemas.Schema
	conv   func(any) (any, error)
}

type avroBuilder struct {
	named map[string]*avroNode
}

func fullName(m map[string]any, ns string) string {
	name, _ := m["name"].(string)
	if strings.Contains(name, ".") {
		return name
	}
	if n, ok := m["namespace"].(string); ok && n != "" {
		ns = n
	}
	if ns == "" {
		return name
	}
	return ns + "." + name
}

func identity(v any) (any, error) { return v, nil }

func (b *avroBuilder) build(s any, ns string) (*avroNode, error) {
	switch x := s.(type) {
	case string:
		return b.primitive(x, nil, ns)
	case []any:
		return b.union(x, ns)
	case map[string]any:
		t, _ := x["type"].(string)
		if t == "" {
			return b.build(x["type"], ns)
		}
		switch t {
		case "record", "error":
			return b.record(x, ns)
		case "enum":
			n := &avroNode{schema: &schemas.Schema{Type: schemas.String, Name: fullName(x, ns)}, conv: identity}
			b.named[fullName(x, ns)] = n
			return n, nil
		case "fixed":
			n, err := b.primitive("bytes", x, ns)
			if err == nil {
				b.named[fullName(x, ns)] = n
			}
			return n, err
		case "array":
			elem, err := b.build(x["items"], ns)
			if err != nil {
				return nil, err
			}
			return &avroNode{schema: schemas.NewArray(elem.schema, false), conv: func(v any) (any, error) {
				arr, ok := v.([]any)
				if !ok {
					return nil, fmt.Errorf("expected array, got %T", v)
				}
				out := make([]any, len(arr))
				for i, e := range arr {
					ev, err := elem.conv(e)
					if err != nil {
						return nil, err
					}
					out[i] = ev
				}
				return out, nil
			}}, nil
		case "map":
			val, err := b.build(x["values"], ns)
			if err != nil {
				return nil, err
			}
			return &avroNode{schema: schemas.NewMap(schemas.StringSchema, val.schema, false), conv: func(v any) (any, error) {
				m, ok := v.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("expected map, got %T", v)
				}
				out := make(map[string]any, len(m))
				for k, e := range m {
					ev, err := val.conv(e)
					if err != nil {
						return nil, err
					}
					out[k] = ev
				}
				return out, nil
			}}, nil
		default:
			return b.primitive(t, x, ns)
		}
	}
	return nil, fmt.Errorf("unsupported Avro schema %v", s)
}

func (b *avroBuilder) primitive(t string, m map[string]any, ns string) (*avroNode, error) {
	logical, _ := m["logicalType"].(string)
	switch {
	case logical == "decimal" && (t == "bytes" || t == "fixed"):
		scale := 0
		if v, ok := m["scale"].(float64); ok {
			scale = int(v)
		}
		return &avroNode{schema: schemas.NewDecimal(scale, false), conv: func(v any) (any, error) {
			r, ok := v.(*big.Rat)
			if !ok {
				return nil, fmt.Errorf("expected decimal, got %T", v)
			}
			// Exact: the value is unscaled / 10^scale.
			num := new(big.Int).Mul(r.Num(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
			num.Quo(num, r.Denom())
			return inf.NewDecBig(num, inf.Scale(scale)), nil
		}}, nil
	case logical == "date" && t == "int":
		return &avroNode{schema: schemas.NewDate(false), conv: toUTC}, nil
	case (logical == "time-millis" && t == "int") || (logical == "time-micros" && t == "long"):
		return &avroNode{schema: schemas.NewTime(false), conv: func(v any) (any, error) {
			d, ok := v.(time.Duration)
			if !ok {
				return nil, fmt.Errorf("expected time, got %T", v)
			}
			return time.UnixMilli(0).UTC().Add(d), nil
		}}, nil
	case (logical == "timestamp-millis" || logical == "timestamp-micros" || logical == "local-timestamp-millis" || logical == "local-timestamp-micros") && t == "long":
		return &avroNode{schema: schemas.NewTimestamp(false), conv: toUTC}, nil
	}
	var st *schemas.Schema
	switch t {
	case "null":
		return &avroNode{schema: &schemas.Schema{Type: schemas.String, Optional: true}, conv: identity}, nil
	case "boolean":
		st = schemas.BooleanSchema
	case "int":
		st = schemas.Int32Schema
	case "long":
		st = schemas.Int64Schema
	case "float":
		st = schemas.Float32Schema
	case "double":
		st = schemas.Float64Schema
	case "bytes", "fixed":
		st = schemas.BytesSchema
	case "string":
		st = schemas.StringSchema
	default:
		full := t
		if !strings.Contains(t, ".") && ns != "" {
			full = ns + "." + t
		}
		if n, ok := b.named[full]; ok {
			return n, nil
		}
		if n, ok := b.named[t]; ok {
			return n, nil
		}
		return nil, fmt.Errorf("unknown Avro type %q", t)
	}
	return &avroNode{schema: st, conv: identity}, nil
}

func toUTC(v any) (any, error) {
	t, ok := v.(time.Time)
	if !ok {
		return nil, fmt.Errorf("expected time, got %T", v)
	}
	return t.UTC(), nil
}

func (b *avroBuilder) record(m map[string]any, ns string) (*avroNode, error) {
	name := fullName(m, ns)
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ns = name[:i]
	}
	node := &avroNode{}
	b.named[name] = node // before fields, for recursive references
	fs, _ := m["fields"].([]any)
	fields := make([]schemas.Field, len(fs))
	convs := make([]func(any) (any, error), len(fs))
	names := make([]string, len(fs))
	for i, f := range fs {
		fm, _ := f.(map[string]any)
		fname, _ := fm["name"].(string)
		fn, err := b.build(fm["type"], ns)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", fname, err)
		}
		fields[i] = schemas.Field{Name: fname, Schema: fn.schema}
		convs[i], names[i] = fn.conv, fname
	}
	st := schemas.NewStruct(name, false, fields...)
	node.schema = st
	node.conv = func(v any) (any, error) {
		rec, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("expected record %s, got %T", name, v)
		}
		out := &schemas.Struct{Schema: st, Values: make([]any, len(names))}
		for i, n := range names {
			fv, err := convs[i](rec[n])
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", n, err)
			}
			out.Values[i] = fv
		}
		return out, nil
	}
	return node, nil
}

// union maps [null, T] to an optional T, as Confluent's AvroData does;
// other unions become a struct with one optional field per branch.
func (b *avroBuilder) union(branches []any, ns string) (*avroNode, error) {
	var nonNull []any
	hasNull := false
	for _, br := range branches {
		if s, ok := br.(string); ok && s == "null" {
			hasNull = true
			continue
		}
		nonNull = append(nonNull, br)
	}
	if len(nonNull) == 1 {
		inner, err := b.build(nonNull[0], ns)
		if err != nil {
			return nil, err
		}
		opt := *inner.schema
		opt.Optional = hasNull
		if opt.Type == schemas.StructType {
			opt = *schemas.NewStruct(inner.schema.Name, hasNull, inner.schema.Fields...)
		}
		return &avroNode{schema: &opt, conv: func(v any) (any, error) {
			if v == nil {
				return nil, nil
			}
			if m, ok := v.(map[string]any); ok && len(m) == 1 {
				for _, e := range m {
					return inner.conv(e)
				}
			}
			return inner.conv(v)
		}}, nil
	}
	nodes := make([]*avroNode, len(nonNull))
	fields := make([]schemas.Field, len(nonNull))
	keys := make([]string, len(nonNull))
	for i, br := range nonNull {
		n, err := b.build(br, ns)
		if err != nil {
			return nil, err
		}
		nodes[i] = n
		key := branchName(br, ns)
		keys[i] = key
		opt := *n.schema
		opt.Optional = true
		fields[i] = schemas.Field{Name: key[strings.LastIndexByte(key, '.')+1:], Schema: &opt}
	}
	st := schemas.NewStruct("io.confluent.connect.avro.Union", hasNull, fields...)
	return &avroNode{schema: st, conv: func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		m, ok := v.(map[string]any)
		if !ok || len(m) != 1 {
			return nil, fmt.Errorf("expected union value, got %T", v)
		}
		out := schemas.NewStructValue(st)
		for k, e := range m {
			for i, key := range keys {
				if key == k {
					ev, err := nodes[i].conv(e)
					if err != nil {
						return nil, err
					}
					out.Values[i] = ev
				}
			}
		}
		return out, nil
	}}, nil
}

func branchName(s any, ns string) string {
	switch x := s.(type) {
	case string:
		return x
	case map[string]any:
		if t, _ := x["type"].(string); t == "record" || t == "enum" || t == "fixed" {
			return fullName(x, ns)
		}
		if t, ok := x["type"].(string); ok {
			if l, ok := x["logicalType"].(string); ok {
				return t + "." + l
			}
			return t
		}
	}
	return fmt.Sprint(s)
}

// FromConnect implements schemas.Converter: it derives the Avro schema of
// a Connect schema, registers it under <topic>-key/-value (when
// auto.register.schemas) and writes the Confluent wire format.
func (c *AvroConverter) FromConnect(topic string, s *schemas.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	if s == nil {
		return nil, errors.New("the Avro converter needs a schema to write a value")
	}
	c.mu.RLock()
	w := c.writers[s]
	c.mu.RUnlock()
	if w == nil {
		avro, err := json.Marshal(avroSchemaOf(s))
		if err != nil {
			return nil, err
		}
		subject := topic + "-" + c.what()
		var reg *srclient.Schema
		if c.autoRegister {
			reg, err = c.client.CreateSchema(subject, string(avro), srclient.Avro)
		} else {
			reg, err = c.client.LookupSchema(subject, string(avro), srclient.Avro)
		}
		if err != nil {
			return nil, fmt.Errorf("registering Avro %s schema of topic %s: %w", c.what(), topic, err)
		}
		codec, err := goavro.NewCodec(string(avro))
		if err != nil {
			return nil, fmt.Errorf("compiling Avro schema of topic %s: %w", topic, err)
		}
		w = &avroWriter{id: reg.ID(), codec: codec}
		c.mu.Lock()
		c.writers[s] = w
		c.mu.Unlock()
	}
	native, err := avroNative(s, value)
	if err != nil {
		return nil, fmt.Errorf("converting Connect data of topic %s to Avro: %w", topic, err)
	}
	out := make([]byte, 5, 256)
	binary.BigEndian.PutUint32(out[1:], uint32(w.id))
	out, err = w.codec.BinaryFromNative(out, native)
	if err != nil {
		return nil, fmt.Errorf("encoding Avro for topic %s: %w", topic, err)
	}
	return out, nil
}

func avroSchemaOf(s *schemas.Schema) any {
	var t any
	switch {
	case s.IsLogical(schemas.DecimalName):
		scale, _ := strconv.Atoi(s.Parameters[schemas.DecimalScaleParam])
		t = map[string]any{"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": scale}
	case s.IsLogical(schemas.DateName):
		t = map[string]any{"type": "int", "logicalType": "date"}
	case s.IsLogical(schemas.TimeName):
		t = map[string]any{"type": "int", "logicalType": "time-millis"}
	case s.IsLogical(schemas.TimestampName):
		t = map[string]any{"type": "long", "logicalType": "timestamp-millis"}
	default:
		switch s.Type {
		case schemas.Int8, schemas.Int16, schemas.Int32:
			t = "int"
		case schemas.Int64:
			t = "long"
		case schemas.Float32:
			t = "float"
		case schemas.Float64:
			t = "double"
		case schemas.Boolean:
			t = "boolean"
		case schemas.String:
			t = "string"
		case schemas.Bytes:
			t = "bytes"
		case schemas.Array:
			t = map[string]any{"type": "array", "items": avroSchemaOf(s.Value)}
		case schemas.Map:
			t = map[string]any{"type": "map", "values": avroSchemaOf(s.Value)}
		case schemas.StructType:
			name := s.Name
			if name == "" {
				name = "ConnectDefault"
			}
			fields := make([]any, len(s.Fields))
			for i, f := range s.Fields {
				fm := map[string]any{"name": f.Name, "type": avroSchemaOf(f.Schema)}
				if f.Schema.Optional {
					fm["default"] = nil
				}
				fields[i] = fm
			}
			ns, short := "", name
			if i := strings.LastIndexByte(name, '.'); i >= 0 {
				ns, short = name[:i], name[i+1:]
			}
			rec := map[string]any{"type": "record", "name": short, "fields": fields}
			if ns != "" {
				rec["namespace"] = ns
			}
			t = rec
		}
	}
	if s.Optional {
		return []any{"null", t}
	}
	return t
}

func avroTypeName(s *schemas.Schema) string {
	switch x := avroSchemaOf(&schemas.Schema{Type: s.Type, Name: s.Name, Parameters: s.Parameters, Fields: s.Fields, Key: s.Key, Value: s.Value}).(type) {
	case string:
		return x
	case map[string]any:
		if t, _ := x["type"].(string); t == "record" {
			if ns, ok := x["namespace"].(string); ok {
				return ns + "." + x["name"].(string)
			}
			return x["name"].(string)
		}
		if l, ok := x["logicalType"].(string); ok {
			return x["type"].(string) + "." + l
		}
		return x["type"].(string)
	}
	return ""
}

func avroNative(s *schemas.Schema, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	var out any
	switch x := v.(type) {
	case *schemas.Struct:
		m := make(map[string]any, len(x.Values))
		for i, f := range x.Schema.Fields {
			fv, err := avroNative(f.Schema, x.Values[i])
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f.Name, err)
			}
			m[f.Name] = fv
		}
		out = m
	case []any:
		arr := make([]any, len(x))
		for i, e := range x {
			ev, err := avroNative(s.Value, e)
			if err != nil {
				return nil, err
			}
			arr[i] = ev
		}
		out = arr
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			ev, err := avroNative(s.Value, e)
			if err != nil {
				return nil, err
			}
			m[k] = ev
		}
		out = m
	case *inf.Dec:
		scale, _ := strconv.Atoi(s.Parameters[schemas.DecimalScaleParam])
		r := new(inf.Dec).Round(x, inf.Scale(scale), inf.RoundHalfEven)
		out = new(big.Rat).SetFrac(r.UnscaledBig(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	case time.Time:
		if s.IsLogical(schemas.TimeName) {
			d := x.UTC()
			out = time.Duration(d.Hour())*time.Hour + time.Duration(d.Minute())*time.Minute + time.Duration(d.Second())*time.Second + time.Duration(d.Nanosecond()/1e6)*time.Millisecond
		} else {
			out = x
		}
	case int8:
		out = int32(x)
	case int16:
		out = int32(x)
	default:
		out = v
	}
	if s.Optional {
		return goavro.Union(avroTypeName(s), out), nil
	}
	return out, nil
}
