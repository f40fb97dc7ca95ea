package converters

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/inf.v0"

	"github.com/gonnect/gonnect/schemas"
)

func jsonConv(t *testing.T, cfg map[string]string) *JSONConverter {
	t.Helper()
	c := &JSONConverter{}
	if err := c.Configure(cfg, false); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestJSONSchemalessToConnect(t *testing.T) {
	c := jsonConv(t, map[string]string{"schemas.enable": "false"})
	tests := []struct {
		in   string
		want any
	}{
		{`42`, int64(42)},
		{`4.5`, 4.5},
		{`"x"`, "x"},
		{`true`, true},
		{`null`, nil},
		{`{"a":1,"b":[1,"x",null],"c":{"d":2.5}}`, map[string]any{"a": int64(1), "b": []any{int64(1), "x", nil}, "c": map[string]any{"d": 2.5}}},
	}
	for _, tt := range tests {
		got, err := c.ToConnect("t", []byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if got.Schema != nil || !reflect.DeepEqual(got.Value, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.in, got.Value, tt.want)
		}
	}
}

// The envelope below is what Apache Connect's JsonConverter writes for a
// struct with these types.
const connectEnvelope = `{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"price"},{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"},{"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"tags"},{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int64","optional":false},"optional":false,"field":"counts"}],"optional":false,"name":"Order"},"payload":{"id":7,"name":null,"price":"MDk=","ts":1700000000123,"tags":["a","b"],"counts":{"x":1}}}`

func TestJSONEnvelopeRoundTrip(t *testing.T) {
	c := jsonConv(t, nil)
	sv, err := c.ToConnect("t", []byte(connectEnvelope))
	if err != nil {
		t.Fatal(err)
	}
	st := sv.Value.(*schemas.Struct)
	if sv.Schema.Name != "Order" || len(sv.Schema.Fields) != 6 {
		t.Fatalf("schema = %s", sv.Schema)
	}
	want := []any{int32(7), nil, inf.NewDec(12345, 2), time.UnixMilli(1700000000123).UTC(), []any{"a", "b"}, map[string]any{"x": int64(1)}}
	for i, w := range want {
		if d, ok := w.(*inf.Dec); ok {
			if st.Values[i].(*inf.Dec).Cmp(d) != 0 {
				t.Errorf("field %d = %v, want %v", i, st.Values[i], d)
			}
			continue
		}
		if !reflect.DeepEqual(st.Values[i], w) {
			t.Errorf("field %s = %#v, want %#v", sv.Schema.Fields[i].Name, st.Values[i], w)
		}
	}
	out, err := c.FromConnect("t", sv.Schema, sv.Value)
	if err != nil {
		t.Fatal(err)
	}
	back, err := c.ToConnect("t", out)
	if err != nil {
		t.Fatalf("re-reading %s: %v", out, err)
	}
	if !reflect.DeepEqual(back.Value.(*schemas.Struct).Values[4], st.Values[4]) || back.Value.(*schemas.Struct).Values[2].(*inf.Dec).Cmp(st.Values[2].(*inf.Dec)) != 0 {
		t.Fatalf("round trip changed values: %s", out)
	}
}

func TestJSONErrors(t *testing.T) {
	c := jsonConv(t, nil)
	tests := []struct{ in, want string }{
		{`{"a":1}`, `requires "schema" and "payload" fields`},
		{`{bad`, "Converting byte[] to Kafka Connect data failed due to serialization error"},
		{`{"schema":{"type":"int32","optional":false},"payload":"x"}`, "Invalid type"},
		{`{"schema":{"type":"int32","optional":false},"payload":null}`, "Invalid null value for required INT32 field"},
		{`{"schema":{"type":"int8","optional":false},"payload":300}`, "8-bit"},
	}
	for _, tt := range tests {
		_, err := c.ToConnect("t", []byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestDecimalBytes(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 127, 128, -128, -129, 12345, -12345, 1 << 40} {
		d := inf.NewDec(v, 3)
		got := DecimalFromBytes(DecimalToBytes(d, 3), 3)
		if got.Cmp(d) != 0 {
			t.Errorf("%v -> %v", d, got)
		}
	}
}

func TestFromConfig(t *testing.T) {
	c, err := FromConfig(map[string]string{"value.converter": "JsonConverter", "value.converter.schemas.enable": "false"}, "value.converter", false)
	if err != nil {
		t.Fatal(err)
	}
	if c.(*JSONConverter).schemasEnabled {
		t.Fatal("schemas.enable=false not passed through")
	}
	if _, err := FromConfig(map[string]string{"value.converter": "nope"}, "value.converter", false); err == nil || !strings.Contains(err.Error(), "Class nope could not be found.") {
		t.Fatalf("unknown class: %v", err)
	}
}
