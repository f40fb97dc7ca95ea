package converters

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
	"gopkg.in/inf.v0"

	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/schemas"
)

func avroConv(t *testing.T, url string) *AvroConverter {
	t.Helper()
	c := &AvroConverter{}
	if err := c.Configure(map[string]string{"schema.registry.url": url}, false); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAvroRoundTripWorkload(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	c := avroConv(t, reg.URL())
	g := workload.Generator{Seed: 1}
	for i := range uint64(50) {
		o := g.Order(i)
		b, err := c.FromConnect("orders", workload.ConnectSchema, o.Struct())
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != 0 {
			t.Fatalf("magic byte %d", b[0])
		}
		sv, err := avroConv(t, reg.URL()).ToConnect("orders", b)
		if err != nil {
			t.Fatal(err)
		}
		got := sv.Value.(*schemas.Struct)
		want := o.Struct()
		if sv.Schema.Name != "bench.Order" || len(sv.Schema.Fields) != 12 || !sv.Schema.Fields[10].Schema.Optional {
			t.Fatalf("schema = %s", sv.Schema)
		}
		for j, f := range want.Schema.Fields {
			w, gv := want.Values[j], got.Values[j]
			if tm, ok := w.(time.Time); ok {
				if !tm.Equal(gv.(time.Time)) {
					t.Fatalf("order %d field %s = %v, want %v", i, f.Name, gv, w)
				}
				continue
			}
			if !reflect.DeepEqual(w, gv) {
				t.Fatalf("order %d field %s = %#v, want %#v", i, f.Name, gv, w)
			}
		}
	}
}

func TestAvroLogicalTypesAndUnions(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	schema := `{"type":"record","name":"R","namespace":"ns","fields":[
	  {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":3}},
	  {"name":"day","type":{"type":"int","logicalType":"date"}},
	  {"name":"u","type":{"type":"string","logicalType":"uuid"}},
	  {"name":"e","type":{"type":"enum","name":"Color","symbols":["RED","BLUE"]}},
	  {"name":"multi","type":["null","int","string"]},
	  {"name":"inner","type":["null",{"type":"record","name":"Inner","fields":[{"name":"x","type":"long"}]}]}]}`
	id, _, err := reg.RegisterSchema("t-value", sr.Schema{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	// Encode with goavro directly, as another producer would.
	codec, err := newCodecForTest(schema)
	if err != nil {
		t.Fatal(err)
	}
	native := map[string]any{"dec": ratOf(12345, 3), "day": time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC), "u": "8f14e45f-ceea-467f-a0f0-8b9f3a9e5c11",
		"e": "BLUE", "multi": map[string]any{"string": "s"}, "inner": map[string]any{"ns.Inner": map[string]any{"x": int64(9)}}}
	body, err := codec.BinaryFromNative(nil, native)
	if err != nil {
		t.Fatal(err)
	}
	msg := append([]byte{0, 0, 0, 0, 0}, body...)
	binary.BigEndian.PutUint32(msg[1:5], uint32(id))
	sv, err := avroConv(t, reg.URL()).ToConnect("t", msg)
	if err != nil {
		t.Fatal(err)
	}
	st := sv.Value.(*schemas.Struct)
	if d := st.Values[0].(*inf.Dec); d.Cmp(inf.NewDec(12345, 3)) != 0 || sv.Schema.Fields[0].Schema.Name != schemas.DecimalName {
		t.Errorf("decimal = %v", st.Values[0])
	}
	if !st.Values[1].(time.Time).Equal(time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)) || st.Values[2] != "8f14e45f-ceea-467f-a0f0-8b9f3a9e5c11" || st.Values[3] != "BLUE" {
		t.Errorf("values = %v", st.Values)
	}
	multi := st.Values[4].(*schemas.Struct)
	if multi.Schema.Name != "io.confluent.connect.avro.Union" || multi.Values[1] != "s" || multi.Values[0] != nil {
		t.Errorf("union = %+v", multi)
	}
	inner := st.Values[5].(*schemas.Struct)
	if !sv.Schema.Fields[5].Schema.Optional || inner.Values[0] != int64(9) {
		t.Errorf("optional record = %+v", inner)
	}
}

func TestAvroErrors(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	c := avroConv(t, reg.URL())
	if _, err := c.ToConnect("t", []byte{1, 0, 0, 0, 1, 2}); err == nil || !strings.Contains(err.Error(), "Unknown magic byte") {
		t.Errorf("bad magic: %v", err)
	}
	if _, err := c.ToConnect("t", []byte{0, 0, 0, 0, 42, 2}); err == nil || !strings.Contains(err.Error(), "schema for id 42") {
		t.Errorf("unknown id: %v", err)
	}
	if sv, err := c.ToConnect("t", nil); err != nil || sv.Value != nil {
		t.Errorf("tombstone: %v %v", sv, err)
	}
	if err := (&AvroConverter{}).Configure(map[string]string{}, false); err == nil {
		t.Error("missing schema.registry.url accepted")
	}
}
