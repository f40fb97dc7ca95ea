// Package workload generates the benchmark and demo workload: orders with a
// fixed Avro schema, deterministically from a seed, so two runs produce the
// same records (see the project's benchmark workload description).
package workload

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gonnect/gonnect/schemas"
)

// Topic is the workload's topic; Partitions its partition count.
const (
	Topic      = "bench.orders"
	Partitions = 6
	Subject    = Topic + "-value"
)

// AvroSchema is the order value schema registered under Subject.
const AvroSchema = `{
  "type": "record", "name": "Order", "namespace": "bench",
  "fields": [
    {"name": "order_id", "type": "string"},
    {"name": "customer_id", "type": "long"},
    {"name": "sku", "type": "string"},
    {"name": "quantity", "type": "int"},
    {"name": "price", "type": "double"},
    {"name": "currency", "type": "string"},
    {"name": "status", "type": "string"},
    {"name": "created_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "attributes", "type": {"type": "map", "values": "string"}},
    {"name": "note", "type": ["null", "string"], "default": null},
    {"name": "discount", "type": ["null", "double"], "default": null}
  ]
}`

// ConnectSchema is AvroSchema as Connect data, as the Avro converter maps it.
var ConnectSchema = schemas.NewStruct("bench.Order", false,
	schemas.Field{Name: "order_id", Schema: schemas.StringSchema},
	schemas.Field{Name: "customer_id", Schema: schemas.Int64Schema},
	schemas.Field{Name: "sku", Schema: schemas.StringSchema},
	schemas.Field{Name: "quantity", Schema: schemas.Int32Schema},
	schemas.Field{Name: "price", Schema: schemas.Float64Schema},
	schemas.Field{Name: "currency", Schema: schemas.StringSchema},
	schemas.Field{Name: "status", Schema: schemas.StringSchema},
	schemas.Field{Name: "created_at", Schema: schemas.NewTimestamp(false)},
	schemas.Field{Name: "tags", Schema: schemas.NewArray(schemas.StringSchema, false)},
	schemas.Field{Name: "attributes", Schema: schemas.NewMap(schemas.StringSchema, schemas.StringSchema, false)},
	schemas.Field{Name: "note", Schema: schemas.OptionalStringSchema},
	schemas.Field{Name: "discount", Schema: schemas.OptionalFloat64Schema},
)

// CreatedAt is how an order value carries created_at. The table column is
// a CQL timestamp either way.
type CreatedAt string

const (
	// CreatedAtTimestamp is the workload's own: an Avro long with logical
	// type timestamp-millis, a Connect Timestamp.
	CreatedAtTimestamp CreatedAt = "timestamp-millis"
	// CreatedAtLong is a plain Avro long of epoch milliseconds, a Connect
	// int64: the DataStax connector 1.5.0 maps struct fields by their Connect
	// type only and cannot write Connect's logical types (Timestamp, Date,
	// Time, Decimal), so runs that include it use this variant for every system.
	CreatedAtLong CreatedAt = "long"
)

// ParseCreatedAt reads a variant's name.
func ParseCreatedAt(s string) (CreatedAt, error) {
	switch c := CreatedAt(s); c {
	case CreatedAtTimestamp, CreatedAtLong:
		return c, nil
	}
	return "", fmt.Errorf("created_at variant %q: want %s or %s", s, CreatedAtTimestamp, CreatedAtLong)
}

// ConnectSchemaLong is ConnectSchema with created_at as CreatedAtLong.
var ConnectSchemaLong = func() *schemas.Schema {
	fs := make([]schemas.Field, len(ConnectSchema.Fields))
	copy(fs, ConnectSchema.Fields)
	for i := range fs {
		if fs[i].Name == "created_at" {
			fs[i].Schema = schemas.Int64Schema
		}
	}
	return schemas.NewStruct(ConnectSchema.Name, false, fs...)
}()

// Schema is the value schema of the variant.
func (c CreatedAt) Schema() *schemas.Schema {
	if c == CreatedAtLong {
		return ConnectSchemaLong
	}
	return ConnectSchema
}

// TableColumns is the CQL column list shared by both scenario tables.
const TableColumns = `order_id text, customer_id bigint, sku text, quantity int, price double,
  currency text, status text, created_at timestamp, tags list<text>, attributes map<text,text>,
  note text, discount double`

// Scenario describes one benchmark table.
type Scenario struct {
	Name, Table, PrimaryKey string
}

// Scenarios A (one row per partition) and B (many rows per partition).
var (
	ScenarioA = Scenario{Name: "A", Table: "orders_by_id", PrimaryKey: "(order_id)"}
	ScenarioB = Scenario{Name: "B", Table: "orders_by_customer", PrimaryKey: "((customer_id), order_id)"}
)

// CreateTable returns the CQL creating the scenario's table in keyspace ks.
func (s Scenario) CreateTable(ks string) string { return s.create(ks, TableColumns) }

// CreateReplaySafeTable is CreateTable with tags as frozen<list<text>>:
// Cassandra overwrites a non-frozen list with a tombstone one microsecond
// before the write, so a replayed record (at-least-once delivery, the same
// Kafka timestamp as write time) appends its elements a second time. Tables
// that must end exactly as sent after replays freeze their lists.
func (s Scenario) CreateReplaySafeTable(ks string) string {
	return s.create(ks, strings.Replace(TableColumns, "tags list<text>", "tags frozen<list<text>>", 1))
}

func (s Scenario) create(ks, columns string) string {
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s (%s, PRIMARY KEY %s)", ks, s.Table, columns, s.PrimaryKey)
}

// Mapping is the Cassandra sink mapping of every column.
const Mapping = "order_id=value.order_id, customer_id=value.customer_id, sku=value.sku, quantity=value.quantity, " +
	"price=value.price, currency=value.currency, status=value.status, created_at=value.created_at, tags=value.tags, " +
	"attributes=value.attributes, note=value.note, discount=value.discount"

// Order is one generated record.
type Order struct {
	OrderID    string
	CustomerID int64
	SKU        string
	Quantity   int32
	Price      float64
	Currency   string
	Status     string
	CreatedAt  time.Time
	Tags       []string
	Attributes map[string]string
	Note       *string
	Discount   *float64
}

var (
	epoch      = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	currencies = []string{"EUR", "USD", "GBP", "JPY"}
	statuses   = []string{"NEW", "PAID", "SHIPPED", "CANCELLED"}
	tagWords   = []string{"gift-wrap", "express-24h", "fragile", "bulk-order", "promo-code", "vip-customer", "eco-pack", "return-ok"}
	attrKeys   = []string{"sales_channel", "shipping_region", "marketing_campaign", "client_device"}
	attrValues = []string{"web-checkout", "mobile-app", "retail-store", "europe-west", "us-east", "asia-pacific",
		"spring-sale-2026", "summer-clearance", "ios-17-iphone", "android-14-pixel"}
	noteWords = strings.Fields("please deliver to the back door ring twice leave with neighbour call on arrival fragile handle with care")
)

// Generator yields orders deterministically: order i depends only on the
// seed and i, so generation can be split across goroutines.
type Generator struct{ Seed uint64 }

// Order returns order number i.
func (g Generator) Order(i uint64) Order {
	r := rand.New(rand.NewPCG(g.Seed, i))
	var id [16]byte
	binary.BigEndian.PutUint64(id[:8], r.Uint64())
	binary.BigEndian.PutUint64(id[8:], r.Uint64())
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	o := Order{
		OrderID:    fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16]),
		CustomerID: int64(r.IntN(10000)),
		SKU:        fmt.Sprintf("SKU-%06d", r.IntN(1000000)),
		Quantity:   int32(1 + r.IntN(20)),
		Price:      float64(50+r.IntN(49951)) / 100,
		Currency:   currencies[r.IntN(len(currencies))],
		Status:     statuses[r.IntN(len(statuses))],
		CreatedAt:  epoch.Add(time.Duration(i) * time.Millisecond),
	}
	o.Tags = make([]string, r.IntN(5))
	for j := range o.Tags {
		o.Tags[j] = tagWords[r.IntN(len(tagWords))]
	}
	o.Attributes = make(map[string]string)
	for range r.IntN(4) {
		o.Attributes[attrKeys[r.IntN(len(attrKeys))]] = attrValues[r.IntN(len(attrValues))]
	}
	if r.IntN(2) == 1 {
		var b strings.Builder
		for b.Len() < 120 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(noteWords[r.IntN(len(noteWords))])
		}
		n := b.String()
		o.Note = &n
	}
	if r.IntN(10) >= 7 {
		d := float64(r.IntN(5000)) / 100
		o.Discount = &d
	}
	return o
}

// Struct returns the order as Connect data (ConnectSchema).
func (o Order) Struct() *schemas.Struct {
	s := schemas.NewStructValue(ConnectSchema)
	tags := make([]any, len(o.Tags))
	for i, t := range o.Tags {
		tags[i] = t
	}
	attrs := make(map[string]any, len(o.Attributes))
	for k, v := range o.Attributes {
		attrs[k] = v
	}
	var note, discount any
	if o.Note != nil {
		note = *o.Note
	}
	if o.Discount != nil {
		discount = *o.Discount
	}
	s.Values = []any{o.OrderID, o.CustomerID, o.SKU, o.Quantity, o.Price, o.Currency, o.Status, o.CreatedAt,
		tags, attrs, note, discount}
	return s
}

// StructAs returns the order as Connect data of the variant's schema.
func (o Order) StructAs(c CreatedAt) *schemas.Struct {
	s := o.Struct()
	if c == CreatedAtLong {
		s.Schema = ConnectSchemaLong
		s.Values[7] = o.CreatedAt.UnixMilli()
	}
	return s
}
