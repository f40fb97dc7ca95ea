package transforms

import (
	"testing"
	"time"

	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/schemas"
)

// BenchmarkTransforms measures each transformation on one record shaped
// like the benchmark workload's orders (schema'd Struct value).
func BenchmarkTransforms(b *testing.B) {
	var g workload.Generator
	st := g.Order(7).Struct()
	p := int32(0)
	rec := Record{Topic: "orders", Partition: &p, Offset: 1, Sink: true, Timestamp: time.UnixMilli(1700000000000),
		Key: schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: "k"}, Value: schemas.SchemaAndValue{Schema: st.Schema, Value: st}}
	for _, c := range []struct {
		name, class string
		props       map[string]string
	}{
		{"Cast", "Cast$Value", map[string]string{"spec": "quantity:int64,price:string"}},
		{"ExtractField", "ExtractField$Value", map[string]string{"field": "order_id"}},
		{"HoistField", "HoistField$Value", map[string]string{"field": "order"}},
		{"InsertField", "InsertField$Value", map[string]string{"topic.field": "topic", "timestamp.field": "ts"}},
		{"MaskField", "MaskField$Value", map[string]string{"fields": "customer_id,note"}},
		{"ReplaceField", "ReplaceField$Value", map[string]string{"exclude": "attributes", "renames": "order_id:id"}},
		{"TimestampConverter", "TimestampConverter$Value", map[string]string{"field": "created_at", "target.type": "string", "format": "yyyy-MM-dd'T'HH:mm:ss.SSSZ"}},
		{"ValueToKey", "ValueToKey", map[string]string{"fields": "order_id,customer_id"}},
		{"RegexRouter", "RegexRouter", map[string]string{"regex": "(.*)", "replacement": "$1-routed"}},
		{"TimestampRouter", "TimestampRouter", nil},
		{"SetSchemaMetadata", "SetSchemaMetadata$Value", map[string]string{"schema.name": "x"}},
		{"InsertHeader", "InsertHeader", map[string]string{"header": "h", "value.literal": "v"}},
		{"HeaderFrom", "HeaderFrom$Value", map[string]string{"fields": "sku", "headers": "sku", "operation": "copy"}},
		{"Filter", "Filter", nil},
		{"Flatten", "Flatten$Value", nil},
	} {
		in := rec
		if c.name == "Flatten" {
			// Connect's Flatten refuses MAP fields; drop the order's map first.
			rf, _ := NewTransformation(pkg+"ReplaceField$Value", map[string]string{"exclude": "attributes"})
			in, _, _ = rf.Apply(rec)
		}
		tr, err := NewTransformation(pkg+c.class, c.props)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := tr.Apply(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
