package converters

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/inf.v0"
)

// decodeWith compiles schema and decodes body, as ToConnect does after the
// wire-format header.
func decodeWith(t *testing.T, schema string, body []byte) (any, error) {
	t.Helper()
	var parsed any
	if err := json.Unmarshal([]byte(schema), &parsed); err != nil {
		t.Fatal(err)
	}
	n, err := (&avroBuilder{named: map[string]*avroNode{}}).build(parsed, "")
	if err != nil {
		t.Fatal(err)
	}
	d := avroDecoder{buf: body, src: string(body)}
	v, err := n.dec(&d)
	if err == nil && d.pos != len(body) {
		t.Fatalf("%d trailing bytes", len(body)-d.pos)
	}
	return v, err
}

// TestAvroDecoderMatchesAvro encodes values with goavro (as any other
// producer would) and checks the compiled decoder's Connect values.
func TestAvroDecoderMatchesAvro(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		native any
		want   any
	}{
		{"boolean", `"boolean"`, true, true},
		{"int", `"int"`, int32(-7), int32(-7)},
		{"long max", `"long"`, int64(1<<63 - 1), int64(1<<63 - 1)},
		{"long min", `"long"`, int64(-1 << 63), int64(-1 << 63)},
		{"float", `"float"`, float32(1.5), float32(1.5)},
		{"double", `"double"`, -2.25, -2.25},
		{"string", `"string"`, "héllo", "héllo"},
		{"empty string", `"string"`, "", ""},
		{"bytes", `"bytes"`, []byte{0, 1, 255}, []byte{0, 1, 255}},
		{"fixed", `{"type":"fixed","name":"F","size":3}`, []byte{9, 8, 7}, []byte{9, 8, 7}},
		{"enum", `{"type":"enum","name":"E","symbols":["A","B","C"]}`, "C", "C"},
		{"negative decimal", `{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}`, ratOf(-12345, 2), inf.NewDec(-12345, 2)},
		{"fixed decimal", `{"type":"fixed","name":"D","size":8,"logicalType":"decimal","precision":12,"scale":4}`, ratOf(-1, 4), inf.NewDec(-1, 4)},
		{"date", `{"type":"int","logicalType":"date"}`, time.Date(1969, 12, 30, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 30, 0, 0, 0, 0, time.UTC)},
		{"time-millis", `{"type":"int","logicalType":"time-millis"}`, 13*time.Hour + 1500*time.Millisecond, time.Date(1970, 1, 1, 13, 0, 1, 5e8, time.UTC)},
		{"time-micros", `{"type":"long","logicalType":"time-micros"}`, 90 * time.Microsecond, time.Date(1970, 1, 1, 0, 0, 0, 90e3, time.UTC)},
		{"timestamp-millis", `{"type":"long","logicalType":"timestamp-millis"}`, time.UnixMilli(1764000000123), time.UnixMilli(1764000000123).UTC()},
		{"timestamp-micros", `{"type":"long","logicalType":"timestamp-micros"}`, time.UnixMicro(1764000000123456), time.UnixMicro(1764000000123456).UTC()},
		{"array", `{"type":"array","items":"string"}`, []any{"a", "b"}, []any{"a", "b"}},
		{"empty array", `{"type":"array","items":"long"}`, []any{}, []any{}},
		{"map", `{"type":"map","values":"int"}`, map[string]any{"x": int32(1), "y": int32(2)}, map[string]any{"x": int32(1), "y": int32(2)}},
		{"null first", `["null","string"]`, nil, nil},
		{"null last", `["string","null"]`, map[string]any{"string": "v"}, "v"},
		{"optional long", `["null","long"]`, map[string]any{"long": int64(300)}, int64(300)},
		{"nested array of maps", `{"type":"array","items":{"type":"map","values":["null","double"]}}`,
			[]any{map[string]any{"a": map[string]any{"double": 1.0}, "b": nil}}, []any{map[string]any{"a": 1.0, "b": nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			codec, err := newCodecForTest(tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			body, err := codec.BinaryFromNative(nil, tc.native)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeWith(t, tc.schema, body)
			if err != nil {
				t.Fatal(err)
			}
			switch w := tc.want.(type) {
			case *inf.Dec:
				if g, ok := got.(*inf.Dec); !ok || g.Cmp(w) != 0 || g.Scale() != w.Scale() {
					t.Fatalf("got %v, want %v", got, w)
				}
			case time.Time:
				if g, ok := got.(time.Time); !ok || !g.Equal(w) || g.Location() != time.UTC {
					t.Fatalf("got %v, want %v", got, w)
				}
			default:
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got %#v, want %#v", got, tc.want)
				}
			}
		})
	}
}

func TestAvroRecursiveRecordIsRefused(t *testing.T) {
	var parsed any
	_ = json.Unmarshal([]byte(`{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}`), &parsed)
	_, err := (&avroBuilder{named: map[string]*avroNode{}}).build(parsed, "")
	if err == nil || !strings.Contains(err.Error(), `recursive Avro type "Node"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestAvroDecoderMultiBlock reads arrays and maps written in several
// blocks, with negative counts carrying byte sizes, as Java writers may.
func TestAvroDecoderMultiBlock(t *testing.T) {
	// array<long>: block of 2 (1, 2), block of -1 with size 1 (3), end.
	arr := []byte{4, 2, 4, 1, 2, 6, 0}
	got, err := decodeWith(t, `{"type":"array","items":"long"}`, arr)
	if err != nil || !reflect.DeepEqual(got, []any{int64(1), int64(2), int64(3)}) {
		t.Fatalf("array = %v, %v", got, err)
	}
	// map<int>: block of 1 ("a"->1), block of 1 ("b"->2), end.
	m := []byte{2, 2, 'a', 2, 2, 2, 'b', 4, 0}
	got, err = decodeWith(t, `{"type":"map","values":"int"}`, m)
	if err != nil || !reflect.DeepEqual(got, map[string]any{"a": int32(1), "b": int32(2)}) {
		t.Fatalf("map = %v, %v", got, err)
	}
}

func TestAvroDecoderRejectsCorruptData(t *testing.T) {
	tests := []struct {
		name, schema string
		body         []byte
		want         string
	}{
		{"truncated string", `"string"`, []byte{10, 'a'}, "unexpected end"},
		{"truncated long", `"long"`, []byte{0x80}, "unexpected end"},
		{"overlong varint", `"long"`, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1}, "longer than 10 bytes"},
		{"int out of range", `"int"`, []byte{0xfe, 0xff, 0xff, 0xff, 0x1f}, "out of range"},
		{"bad union branch", `["null","int"]`, []byte{4}, "no branch 2"},
		{"bad enum index", `{"type":"enum","name":"E","symbols":["A"]}`, []byte{2}, "no symbol at index 1"},
		{"huge block", `{"type":"array","items":"null"}`, []byte{0xfe, 0xff, 0xff, 0xff, 0x0f}, "elements with 0 bytes left"},
		{"negative length", `"bytes"`, []byte{1}, "unexpected end"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeWith(t, tc.schema, tc.body)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// BenchmarkAvroDecodeWorkload is the Avro half of the sink's hot path.
func BenchmarkAvroDecodeWorkload(b *testing.B) {
	raw, c := workloadRecords(b, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.ToConnect("bench.orders", raw[i%len(raw)]); err != nil {
			b.Fatal(err)
		}
	}
}
