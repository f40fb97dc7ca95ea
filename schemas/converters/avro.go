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
	schema *schemas.Schema
	dec    avroDecodeFunc
	writer *AvroWriter
}

// AvroWriter is the writer schema of a value in the Confluent wire format,
// for a sink task that decodes Avro bodies itself (connectors.DirectSink).
type AvroWriter struct {
	ID  int
	typ *AvroType
}

// Body returns the Avro binary of a value in the Confluent wire format.
func (w *AvroWriter) Body(data []byte) []byte { return data[5:] }

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
	id, r, err := c.header(topic, data)
	if err != nil {
		return schemas.SchemaAndValue{}, err
	}
	d := avroDecoder{buf: data[5:], src: string(data[5:])}
	v, err := r.dec(&d)
	if err != nil {
		return schemas.SchemaAndValue{}, fmt.Errorf("Converting byte[] to Kafka Connect data failed due to serialization error of topic %s: Error deserializing Avro message for id %d: %w", topic, id, err)
	}
	if d.pos != len(d.buf) {
		// Confluent's deserializer ignores what follows the value; bytes
		// the writer schema does not account for are refused here, as the
		// converter's own failure, since the record is not what it claims.
		return schemas.SchemaAndValue{}, fmt.Errorf("Converting byte[] to Kafka Connect data failed due to serialization error of topic %s: Error deserializing Avro message for id %d: %d bytes after the end of the value", topic, id, len(d.buf)-d.pos)
	}
	return schemas.SchemaAndValue{Schema: r.schema, Value: v}, nil
}

// WriterSchema implements schemas.WriterSchemaReader: it reads the header
// of a non-null value and returns its *AvroWriter; a bad header or an
// unknown id fails as ToConnect fails.
func (c *AvroConverter) WriterSchema(topic string, data []byte) (any, error) {
	_, r, err := c.header(topic, data)
	if err != nil {
		return nil, err
	}
	return r.writer, nil
}

func (c *AvroConverter) header(topic string, data []byte) (int, *avroReader, error) {
	if len(data) < 5 || data[0] != 0 {
		return 0, nil, fmt.Errorf("Converting byte[] to Kafka Connect data failed due to serialization error of topic %s: Unknown magic byte!", topic)
	}
	id := int(binary.BigEndian.Uint32(data[1:5]))
	r, err := c.reader(id)
	if err != nil {
		return 0, nil, fmt.Errorf("Converting byte[] to Kafka Connect data failed due to serialization error of topic %s: Error retrieving Avro %s schema for id %d: %w", topic, c.what(), id, err)
	}
	return id, r, nil
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
	// goavro validates the schema as Avro's specification defines it; the
	// records are then decoded by the compiled decoder.
	if _, err := goavro.NewCodec(s.Schema()); err != nil {
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
	r = &avroReader{schema: node.schema, dec: node.dec, writer: &AvroWriter{ID: id, typ: node.typ}}
	c.mu.Lock()
	c.readers[id] = r
	c.mu.Unlock()
	return r, nil
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
