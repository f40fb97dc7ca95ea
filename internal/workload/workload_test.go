package workload

import (
	"reflect"
	"testing"

	"github.com/linkedin/goavro/v2"

	"github.com/gonnect/gonnect/schemas"
)

func TestGeneratorIsDeterministic(t *testing.T) {
	g := Generator{Seed: 42}
	a, b := g.Order(7), g.Order(7)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed and index differ: %+v vs %+v", a, b)
	}
	if reflect.DeepEqual(g.Order(7), g.Order(8)) {
		t.Fatal("different indexes gave the same order")
	}
	if reflect.DeepEqual(g.Order(7), Generator{Seed: 43}.Order(7)) {
		t.Fatal("different seeds gave the same order")
	}
}

func TestGeneratorDistribution(t *testing.T) {
	g := Generator{Seed: 42}
	const n = 20000
	var notes, discounts int
	for i := range uint64(n) {
		o := g.Order(i)
		if o.CustomerID < 0 || o.CustomerID >= 10000 || o.Quantity < 1 || o.Quantity > 20 || o.Price < 0.5 || o.Price > 500 ||
			len(o.Tags) > 4 || len(o.Attributes) > 3 || len(o.OrderID) != 36 {
			t.Fatalf("order %d out of range: %+v", i, o)
		}
		if o.Note != nil {
			notes++
			if len(*o.Note) < 80 {
				t.Fatalf("note too short: %q", *o.Note)
			}
		}
		if o.Discount != nil {
			discounts++
		}
	}
	if notes < n*45/100 || notes > n*55/100 {
		t.Errorf("notes on %d of %d orders, want about half", notes, n)
	}
	if discounts < n*25/100 || discounts > n*35/100 {
		t.Errorf("discounts on %d of %d orders, want about 30%%", discounts, n)
	}
}

func TestAvroSchemaParsesAndEncodedSizeMatchesWorkload(t *testing.T) {
	codec, err := goavro.NewCodec(AvroSchema)
	if err != nil {
		t.Fatal(err)
	}
	g := Generator{Seed: 42}
	total := 0
	const n = 2000
	for i := range uint64(n) {
		o := g.Order(i)
		native := map[string]any{
			"order_id": o.OrderID, "customer_id": o.CustomerID, "sku": o.SKU, "quantity": o.Quantity, "price": o.Price,
			"currency": o.Currency, "status": o.Status, "created_at": o.CreatedAt, "tags": toAny(o.Tags), "attributes": toAnyMap(o.Attributes),
			"note": nil, "discount": nil,
		}
		if o.Note != nil {
			native["note"] = goavro.Union("string", *o.Note)
		}
		if o.Discount != nil {
			native["discount"] = goavro.Union("double", *o.Discount)
		}
		b, err := codec.BinaryFromNative(nil, native)
		if err != nil {
			t.Fatalf("encoding order %d: %v", i, err)
		}
		total += len(b) + 5
	}
	avg := total / n
	t.Logf("average encoded value size: %d bytes", avg)
	if avg < 200 || avg > 300 {
		t.Errorf("average encoded size %d bytes, want within the workload's range", avg)
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func toAnyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestCreatedAtVariants(t *testing.T) {
	o := Generator{Seed: 42}.Order(3)
	for _, tc := range []struct {
		variant CreatedAt
		want    any
		logical string
	}{
		{CreatedAtTimestamp, o.CreatedAt, "org.apache.kafka.connect.data.Timestamp"},
		{CreatedAtLong, o.CreatedAt.UnixMilli(), ""},
	} {
		t.Run(string(tc.variant), func(t *testing.T) {
			s := o.StructAs(tc.variant)
			f, ok := s.Schema.Field("created_at")
			if !ok {
				t.Fatal("no created_at field")
			}
			if f.Schema.Name != tc.logical || !reflect.DeepEqual(s.Values[f.Index], tc.want) {
				t.Fatalf("created_at is %v (%T, schema %q), want %v (schema %q)", s.Values[f.Index], s.Values[f.Index], f.Schema.Name, tc.want, tc.logical)
			}
			if f.Schema.Type != schemas.Int64 || len(s.Values) != len(s.Schema.Fields) {
				t.Fatalf("created_at schema %v, %d values for %d fields", f.Schema.Type, len(s.Values), len(s.Schema.Fields))
			}
			if c, err := ParseCreatedAt(string(tc.variant)); err != nil || c != tc.variant {
				t.Fatalf("ParseCreatedAt(%q) = %q, %v", tc.variant, c, err)
			}
		})
	}
	if _, err := ParseCreatedAt("date"); err == nil {
		t.Fatal("an unknown variant was accepted")
	}
}
