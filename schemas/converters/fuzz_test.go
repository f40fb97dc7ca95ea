package converters

import (
	"encoding/json"
	"testing"

	"github.com/linkedin/goavro/v2"
)

// fuzzSchemas are writer schemas of every Avro kind; FuzzAvroDecode reads
// arbitrary bodies with them.
var fuzzSchemas = []string{
	`"boolean"`, `"int"`, `"long"`, `"float"`, `"double"`, `"string"`, `"bytes"`, `"null"`,
	`{"type":"fixed","name":"F","size":3}`,
	`{"type":"enum","name":"E","symbols":["A","B","C"]}`,
	`{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}`,
	`{"type":"fixed","name":"D","size":8,"logicalType":"decimal","precision":12,"scale":4}`,
	`{"type":"int","logicalType":"date"}`,
	`{"type":"int","logicalType":"time-millis"}`,
	`{"type":"long","logicalType":"timestamp-micros"}`,
	`{"type":"array","items":"string"}`,
	`{"type":"array","items":"null"}`,
	`{"type":"map","values":{"type":"array","items":"int"}}`,
	`["null","string"]`, `["int","string","null"]`,
	`{"type":"record","name":"R","fields":[{"name":"f","type":{"type":"fixed","name":"F2","size":2}},{"name":"id","type":"string"},{"name":"n","type":["null","long"]},` +
		`{"name":"tags","type":{"type":"array","items":"string"}},{"name":"m","type":{"type":"map","values":"double"}},` +
		`{"name":"e","type":{"type":"enum","name":"S","symbols":["X","Y"]}},{"name":"g","type":"F2"},` +
		`{"name":"inner","type":{"type":"record","name":"I","fields":[{"name":"b","type":"boolean"},{"name":"s","type":"S"}]}}]}`,
}

func compileForFuzz(t testing.TB, schema string) *avroNode {
	t.Helper()
	var parsed any
	if err := json.Unmarshal([]byte(schema), &parsed); err != nil {
		t.Fatalf("schema %s: %v", schema, err)
	}
	n, err := (&avroBuilder{named: map[string]*avroNode{}}).build(parsed, "")
	if err != nil {
		t.Fatalf("schema %s: %v", schema, err)
	}
	return n
}

// FuzzAvroDecode reads arbitrary bodies with each writer schema, as the
// converter (the compiled decoder) and the sink's direct path (the cursor
// skipping fields it does not bind) do: neither may panic, and they must
// agree on whether a body holds a value and where it ends, or the direct
// path would write a record the converter refuses.
func FuzzAvroDecode(f *testing.F) {
	for i, s := range fuzzSchemas {
		compileForFuzz(f, s)
		codec, err := goavro.NewCodec(s)
		if err != nil {
			f.Fatalf("schema %s: %v", s, err)
		}
		f.Add(uint8(i), []byte{})
		f.Add(uint8(i), []byte{0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
		// MinInt64 as a block count, then a negative byte size.
		f.Add(uint8(i), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02})
		if native, _, err := codec.NativeFromTextual([]byte(sampleJSON[i])); err == nil {
			if body, err := codec.BinaryFromNative(nil, native); err == nil {
				f.Add(uint8(i), body)
				f.Add(uint8(i), append(body, 0))
				if len(body) > 1 {
					f.Add(uint8(i), body[:len(body)-1])
				}
			}
		}
	}
	nodes := make([]*avroNode, len(fuzzSchemas))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		i := int(which) % len(fuzzSchemas)
		if nodes[i] == nil {
			nodes[i] = compileForFuzz(t, fuzzSchemas[i])
		}
		n := nodes[i]
		d := avroDecoder{buf: body, src: string(body)}
		_, derr := n.dec(&d)
		c := NewAvroCursor(body)
		serr := c.Skip(n.typ)
		switch {
		case (derr == nil) != (serr == nil):
			t.Fatalf("schema %s body %x: decoder says %v, cursor says %v", fuzzSchemas[i], body, derr, serr)
		case derr == nil && d.pos != len(body)-c.Left():
			t.Fatalf("schema %s body %x: decoder ends at %d, cursor at %d", fuzzSchemas[i], body, d.pos, len(body)-c.Left())
		}
	})
}

// sampleJSON holds one value of each fuzz schema, in Avro's JSON encoding.
var sampleJSON = []string{
	`true`, `-7`, `123456789012`, `1.5`, `-2.25`, `"héllo"`, `"\u0000\u00ff"`, `null`,
	`"abc"`, `"B"`, `"\u0001\u0002"`, `"\u0000\u0000\u0000\u0000\u0000\u0000\u0001\u0002"`,
	`19000`, `3600000`, `1764000000123456`,
	`["a","b"]`, `[null,null]`, `{"k":[1,2]}`,
	`{"string":"x"}`, `{"int":3}`,
	`{"f":"\u0001\u0002","id":"o-1","n":{"long":5},"tags":["t"],"m":{"a":1.5},"e":"Y","g":"\u0003\u0004","inner":{"b":true,"s":"X"}}`,
}

// FuzzAvroSchema compiles arbitrary writer schemas that Avro accepts (as
// the registry hands them to the converter): building the decoder and
// decoding a few bytes with it must not panic.
func FuzzAvroSchema(f *testing.F) {
	for _, s := range fuzzSchemas {
		f.Add(s, []byte{0x02, 0x04, 0x06})
	}
	f.Add(`{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"]}]}`, []byte{0x02, 0x00})
	f.Add(`{"type":"record","name":"a.R","fields":[{"name":"x","type":{"type":"record","name":"S","fields":[]}},{"name":"y","type":"a.S"}]}`, []byte{})
	f.Add(`{"type":"fixed","name":"Z","size":0,"logicalType":"decimal","precision":1,"scale":0}`, []byte{0x02, 0x01})
	f.Add(`{"type":"bytes","logicalType":"decimal","precision":3,"scale":-1}`, []byte{0x02, 0x01})
	f.Fuzz(func(t *testing.T, schema string, body []byte) {
		if len(schema) > 4096 {
			return
		}
		if _, err := goavro.NewCodec(schema); err != nil {
			return // the converter refuses schemas Avro refuses
		}
		var parsed any
		if err := json.Unmarshal([]byte(schema), &parsed); err != nil {
			return
		}
		n, err := (&avroBuilder{named: map[string]*avroNode{}}).build(parsed, "")
		if err != nil {
			return
		}
		d := avroDecoder{buf: body, src: string(body)}
		_, _ = n.dec(&d)
		c := NewAvroCursor(body)
		_ = c.Skip(n.typ)
	})
}
