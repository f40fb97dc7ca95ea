//go:build integration

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

// smtOrder is the Avro value of the transformation test: created_at is a
// plain long of epoch milliseconds and code a number written as text, so
// TimestampConverter and Cast have work to do (and Cast can fail).
var smtOrder = schemas.NewStruct("smt.Order", false,
	schemas.Field{Name: "id", Schema: schemas.StringSchema},
	schemas.Field{Name: "customer_id", Schema: schemas.Int64Schema},
	schemas.Field{Name: "sku", Schema: schemas.StringSchema},
	schemas.Field{Name: "status", Schema: schemas.StringSchema},
	schemas.Field{Name: "currency", Schema: schemas.StringSchema},
	schemas.Field{Name: "quantity", Schema: schemas.Int32Schema},
	schemas.Field{Name: "price", Schema: schemas.Float64Schema},
	schemas.Field{Name: "created_at", Schema: schemas.Int64Schema},
	schemas.Field{Name: "code", Schema: schemas.StringSchema},
)

type smtIn struct {
	id         string
	customer   int64
	sku        string
	status     string
	currency   string
	quantity   int32
	price      float64
	createdAt  int64
	code       string
	kafkaKeyID string
}

func smtInput(run uint32, topic string, i int) smtIn {
	return smtIn{
		id: fmt.Sprintf("%s-%03d", topic, i), customer: int64(1000 + i*37), sku: fmt.Sprintf("SKU-%05d", i*113),
		status: []string{"NEW", "PAID", "SHIPPED"}[i%3], currency: []string{"EUR", "USD", "JPY", "GBP"}[i%4],
		quantity: int32(1 + i%9), price: float64(50+i*731%99950) / 100,
		createdAt: 1767225600000 + int64(i)*86_399_123 - 5_000_000_000, // some before, most after 2026-01-01
		code:      fmt.Sprintf("%05d", i*7), kafkaKeyID: fmt.Sprintf("kafka-key-%d-%d", run, i),
	}
}

func (o smtIn) value() *schemas.Struct {
	s := schemas.NewStructValue(smtOrder)
	s.Values = []any{o.id, o.customer, o.sku, o.status, o.currency, o.quantity, o.price, o.createdAt, o.code}
	return s
}

// smtRow is a row of the test table, and what the chain should make of an
// input, computed here by hand from Connect's documented semantics.
type smtRow struct {
	OrderID, Customer, Product, Status string
	Quantity                           int64
	Price                              float32
	Code                               int32
	CreatedAt                          int64 // epoch millis
	Origin, SrcTopic                   string
}

func (o smtIn) expected(topic string) smtRow {
	code, err := strconv.ParseInt(o.code, 10, 32)
	if err != nil {
		panic(err)
	}
	return smtRow{
		OrderID:  o.id,                                                          // ValueToKey + ExtractField$Key: the key is the value's id, not the Kafka key
		Customer: strconv.FormatInt(o.customer, 10),                             // Cast customer_id:string
		Product:  o.sku,                                                         // ReplaceField renames sku:product
		Status:   o.currency,                                                    // status excluded, currency renamed to status
		Quantity: int64(o.quantity), Price: float32(o.price), Code: int32(code), // Cast
		CreatedAt: o.createdAt,                // TimestampConverter long -> Timestamp
		Origin:    "smt-e2e", SrcTopic: topic, // InsertField static and topic fields
	}
}

const smtChainPrefix = "org.apache.kafka.connect.transforms."

// smtChain is the chain under test; onlyTopic is the topic whose records
// pass the negated TopicNameMatches filter.
func smtChain(onlyTopic string) map[string]string {
	p := smtChainPrefix
	return map[string]string{
		"transforms":           "dropTomb,onlyA,ts,cast,ren,ins,vtk,ek",
		"predicates":           "tomb,isA",
		"predicates.tomb.type": p + "predicates.RecordIsTombstone",
		"predicates.isA.type":  p + "predicates.TopicNameMatches", "predicates.isA.pattern": strings.ReplaceAll(onlyTopic, ".", "\\."),
		"transforms.dropTomb.type": p + "Filter", "transforms.dropTomb.predicate": "tomb",
		"transforms.onlyA.type": p + "Filter", "transforms.onlyA.predicate": "isA", "transforms.onlyA.negate": "true",
		"transforms.ts.type": p + "TimestampConverter$Value", "transforms.ts.field": "created_at", "transforms.ts.target.type": "Timestamp",
		"transforms.cast.type": p + "Cast$Value", "transforms.cast.spec": "quantity:int64,price:float32,customer_id:string,code:int32",
		"transforms.ren.type": p + "ReplaceField$Value", "transforms.ren.renames": "sku:product,currency:status", "transforms.ren.exclude": "status",
		"transforms.ins.type": p + "InsertField$Value", "transforms.ins.static.field": "origin", "transforms.ins.static.value": "smt-e2e",
		"transforms.ins.topic.field": "src_topic",
		"transforms.vtk.type":        p + "ValueToKey", "transforms.vtk.fields": "id",
		"transforms.ek.type": p + "ExtractField$Key", "transforms.ek.field": "id",
	}
}

const smtMapping = "order_id=key, customer=value.customer_id, product=value.product, status=value.status, quantity=value.quantity, " +
	"price=value.price, code=value.code, created_at=value.created_at, origin=value.origin, src_topic=value.src_topic"

type smtEnv struct {
	t    *testing.T
	run  uint32
	ks   string
	s    *gocql.Session
	conv *converters.AvroConverter
	prod *kafka.Producer
}

func newSMTEnv(t *testing.T) *smtEnv {
	stack.RequireCassandra(t)
	stack.RequireSchemaRegistry(t)
	e := &smtEnv{t: t, run: rand.Uint32()}
	e.ks = fmt.Sprintf("e2e_smt_%d", e.run)
	c := gocql.NewCluster(stack.CassandraHosts()...)
	c.Timeout = 30 * time.Second
	var err error
	if e.s, err = c.CreateSession(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.s.Query("DROP KEYSPACE " + e.ks).Exec(); e.s.Close() })
	e.cql(fmt.Sprintf("CREATE KEYSPACE %s WITH replication = {'class':'SimpleStrategy','replication_factor':1}", e.ks))
	e.conv = &converters.AvroConverter{}
	if err := e.conv.Configure(map[string]string{"schema.registry.url": stack.SchemaRegistryURL()}, false); err != nil {
		t.Fatal(err)
	}
	if e.prod, err = kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "go.delivery.reports": false, "enable.idempotence": true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.prod.Close)
	return e
}

// cql runs a statement, retrying while Cassandra is briefly unreachable.
func (e *smtEnv) cql(q string) {
	e.t.Helper()
	var err error
	for range 20 {
		if err = e.s.Query(q).Exec(); err == nil {
			return
		}
		time.Sleep(time.Second)
	}
	e.t.Fatalf("%s: %v", q, err)
}

func (e *smtEnv) table(name string) {
	e.cql(fmt.Sprintf("CREATE TABLE %s.%s (order_id text PRIMARY KEY, customer text, product text, status text, quantity bigint, "+
		"price float, code int, created_at timestamp, origin text, src_topic text)", e.ks, name))
}

func (e *smtEnv) topic(name string) string {
	topic := fmt.Sprintf("e2e.smt.%d.%s", e.run, name)
	if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 1, 1, nil); err != nil {
		e.t.Fatal(err)
	}
	return topic
}

func (e *smtEnv) send(topic string, key, value []byte) {
	e.t.Helper()
	if err := e.prod.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Key: key, Value: value}, nil); err != nil {
		e.t.Fatal(err)
	}
}

func (e *smtEnv) sendOrder(topic string, o smtIn) {
	e.t.Helper()
	v, err := e.conv.FromConnect(topic, smtOrder, o.value())
	if err != nil {
		e.t.Fatal(err)
	}
	e.send(topic, []byte(o.kafkaKeyID), v)
}

func (e *smtEnv) flush() {
	e.t.Helper()
	if n := e.prod.Flush(30000); n != 0 {
		e.t.Fatalf("%d records not delivered", n)
	}
}

// rows reads the whole table; ok is false while Cassandra does not answer.
func (e *smtEnv) rows(table string) (map[string]smtRow, bool) {
	it := e.s.Query(fmt.Sprintf("SELECT order_id, customer, product, status, quantity, price, code, created_at, origin, src_topic FROM %s.%s", e.ks, table)).Iter()
	got := map[string]smtRow{}
	var r smtRow
	var ts time.Time
	for it.Scan(&r.OrderID, &r.Customer, &r.Product, &r.Status, &r.Quantity, &r.Price, &r.Code, &ts, &r.Origin, &r.SrcTopic) {
		r.CreatedAt = ts.UnixMilli()
		got[r.OrderID] = r
	}
	if err := it.Close(); err != nil {
		return nil, false
	}
	return got, true
}

func (e *smtEnv) connector(name string, topics []string, table, tolerance, dlq string) map[string]string {
	host := strings.Split(stack.CassandraHosts()[0], ":")
	cfg := map[string]string{
		"connector.class": "com.datastax.oss.kafka.sink.CassandraSinkConnector", "tasks.max": "1", "topics": strings.Join(topics, ","),
		"contactPoints": host[0], "port": host[1], "loadBalancing.localDc": "datacenter1",
		"value.converter": "io.confluent.connect.avro.AvroConverter", "value.converter.schema.registry.url": stack.SchemaRegistryURL(),
		"errors.tolerance": tolerance,
	}
	if dlq != "" {
		cfg["errors.deadletterqueue.topic.name"] = dlq
		cfg["errors.deadletterqueue.topic.replication.factor"] = "1"
		cfg["errors.deadletterqueue.context.headers.enable"] = "true"
	}
	for _, tp := range topics {
		cfg[fmt.Sprintf("topic.%s.%s.%s.mapping", tp, e.ks, table)] = smtMapping
	}
	for k, v := range smtChain(topics[0]) {
		cfg[k] = v
	}
	return cfg
}

// committed is the offset the sink task's consumer group committed on
// partition 0 of topic (-1 when none).
func committed(t *testing.T, connector, topic string) int64 {
	t.Helper()
	c, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "group.id": "connect-" + connector})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tps, err := c.Committed([]kafka.TopicPartition{{Topic: &topic, Partition: 0}}, 10000)
	if err != nil || len(tps) != 1 || tps[0].Offset < 0 {
		return -1
	}
	return int64(tps[0].Offset)
}

// deadLetter reads the dead letter queue, which must hold exactly one
// record with the Kafka key key, and returns its headers.
func (e *smtEnv) deadLetter(t *testing.T, dlq, key string) map[string]string {
	t.Helper()
	cons, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "group.id": "dlq-check-" + dlq, "auto.offset.reset": "earliest"})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	if err := cons.Subscribe(dlq, nil); err != nil {
		t.Fatal(err)
	}
	var dead []*kafka.Message
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		m, err := cons.ReadMessage(2 * time.Second)
		if err == nil {
			dead = append(dead, m)
		} else if len(dead) > 0 {
			break
		}
	}
	if len(dead) != 1 || string(dead[0].Key) != key {
		t.Fatalf("dead letter queue %s holds %d records, want 1 (key %s, the record Cast fails on)", dlq, len(dead), key)
	}
	hdr := map[string]string{}
	for _, h := range dead[0].Headers {
		hdr[h.Key] = string(h.Value)
	}
	return hdr
}

func compareRows(t *testing.T, got, want map[string]smtRow) {
	t.Helper()
	for id, w := range want {
		if g, ok := got[id]; !ok {
			t.Errorf("row %s missing, want %+v", id, w)
		} else if g != w {
			t.Errorf("row %s:\n got  %+v\n want %+v", id, g, w)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("unexpected row %+v", g)
		}
	}
}

// TestIntegrationTransformsCassandra runs Avro records through a chain of
// transformations in a gonnect Cassandra sink and compares the rows with
// what the chain must make of them; a record the chain fails on goes to the
// dead letter queue (errors.tolerance=all) or fails the task (none). The
// same connectors run in the reference Connect with the DataStax sink on
// the same topics, which must write the same rows and fail the same way:
// that checks the expected rows as much as gonnect.
func TestIntegrationTransformsCassandra(t *testing.T) {
	e := newSMTEnv(t)
	w := newCluster(t, nil).start()

	t.Run("tolerance-all", func(t *testing.T) {
		// The same connector runs in the reference Connect (the DataStax
		// sink) on the same topics, into its own table: both must write the
		// expected rows and dead-letter the same record the same way.
		stack.RequireReferenceConnect(t)
		requireDataStaxPlugin(t)
		e.t = t
		e.table("orders")
		e.table("orders_ref")
		a, b := e.topic("a"), e.topic("b")
		type sideRun struct{ name, url, table, dlq string }
		sides := []sideRun{
			{fmt.Sprintf("smt-all-%d", e.run), w.url(), "orders", a + ".dlq"},
			{fmt.Sprintf("smt-all-ref-%d", e.run), stack.ReferenceConnectURL(), "orders_ref", a + ".dlq-ref"},
		}
		for _, sd := range sides {
			cfg := e.connector(sd.name, []string{a, b}, sd.table, "all", sd.dlq)
			if sd.url != w.url() {
				cfg["value.converter"] = referenceAvroClass
				// DataStax 1.5.0 cannot write Connect's logical types (a
				// NullPointerException on a Timestamp field), so its chain
				// leaves created_at the long of epoch milliseconds, which it
				// writes to the timestamp column as the same instant.
				cfg["transforms"] = strings.Replace(cfg["transforms"], ",ts,", ",", 1)
				delete(cfg, "transforms.ts.type")
				delete(cfg, "transforms.ts.field")
				delete(cfg, "transforms.ts.target.type")
			}
			if code, body, _ := do("PUT", sd.url+"/connectors/"+sd.name+"/config", cfg); code != 201 {
				t.Fatalf("create %s: %d %s", sd.name, code, body)
			}
			t.Cleanup(func() { do("DELETE", sd.url+"/connectors/"+sd.name, nil) })
		}
		want := map[string]smtRow{}
		const n, poison, tomb = 60, 20, 31
		for i := range n {
			o := smtInput(e.run, a, i)
			if i == poison {
				o.code = "12x" // Cast code:int32 fails on it
			} else {
				want[o.id] = o.expected(a)
			}
			e.sendOrder(a, o)
			if i == tomb {
				// A tombstone for an earlier order: the first Filter drops it
				// (ValueToKey would fail on it), so the row stays.
				e.send(a, []byte(smtInput(e.run, a, 0).kafkaKeyID), nil)
			}
		}
		for i := range 5 {
			e.sendOrder(b, smtInput(e.run, b, i)) // dropped by the negated TopicNameMatches filter
		}
		e.flush()
		var dlqHeaders []map[string]string
		for _, sd := range sides {
			eventually(t, 60*time.Second, sd.name+" committing past every record", func() (bool, string) {
				ca, cb := committed(t, sd.name, a), committed(t, sd.name, b)
				st, _ := statusOf(t, sd.url, sd.name)
				return ca == n+1 && cb == 5, fmt.Sprintf("committed a=%d b=%d, status %+v", ca, cb, st)
			})
			got, ok := e.rows(sd.table)
			if !ok {
				eventually(t, 20*time.Second, "Cassandra answering", func() (bool, string) { got, ok = e.rows(sd.table); return ok, "" })
			}
			t.Run(sd.name, func(t *testing.T) { compareRows(t, got, want) })
			dlqHeaders = append(dlqHeaders, e.deadLetter(t, sd.dlq, smtInput(e.run, a, poison).kafkaKeyID))
		}
		g, r := dlqHeaders[0], dlqHeaders[1]
		if g["__connect.errors.stage"] != "TRANSFORMATION" || g["__connect.errors.class.name"] != smtChainPrefix+"Cast$Value" ||
			g["__connect.errors.topic"] != a || g["__connect.errors.offset"] != strconv.Itoa(poison) || g["__connect.errors.connector.name"] != sides[0].name {
			t.Errorf("gonnect's dead letter headers %v", g)
		}
		for _, k := range []string{"stage", "class.name", "topic", "partition", "offset", "task.id", "exception.class.name", "exception.message"} {
			if g["__connect.errors."+k] != r["__connect.errors."+k] {
				t.Errorf("dead letter header %s: gonnect %q, reference %q", k, g["__connect.errors."+k], r["__connect.errors."+k])
			}
		}
	})

	t.Run("tolerance-none", func(t *testing.T) {
		// Both runtimes again, on one topic into their own tables.
		stack.RequireReferenceConnect(t)
		requireDataStaxPlugin(t)
		e.t = t
		c := e.topic("c")
		type sideRun struct{ name, url, table string }
		sides := []sideRun{
			{fmt.Sprintf("smt-none-%d", e.run), w.url(), "orders_none"},
			{fmt.Sprintf("smt-none-ref-%d", e.run), stack.ReferenceConnectURL(), "orders_none_ref"},
		}
		for _, sd := range sides {
			e.table(sd.table)
			cfg := e.connector(sd.name, []string{c}, sd.table, "none", "")
			if sd.url != w.url() {
				cfg["value.converter"] = referenceAvroClass
				cfg["transforms"] = strings.Replace(cfg["transforms"], ",ts,", ",", 1) // as in tolerance-all
				delete(cfg, "transforms.ts.type")
				delete(cfg, "transforms.ts.field")
				delete(cfg, "transforms.ts.target.type")
			}
			if code, body, _ := do("PUT", sd.url+"/connectors/"+sd.name+"/config", cfg); code != 201 {
				t.Fatalf("create %s: %d %s", sd.name, code, body)
			}
			t.Cleanup(func() { do("DELETE", sd.url+"/connectors/"+sd.name, nil) })
		}
		want := map[string]smtRow{}
		const good, poison = 10, 10
		for i := range good {
			o := smtInput(e.run, c, i)
			want[o.id] = o.expected(c)
			e.sendOrder(c, o)
		}
		e.flush()
		for _, sd := range sides {
			eventually(t, 30*time.Second, sd.name+" committing the first records", func() (bool, string) {
				n := committed(t, sd.name, c)
				return n == good, fmt.Sprint(n)
			})
		}
		bad := smtInput(e.run, c, poison)
		bad.code = "twelve"
		e.sendOrder(c, bad)
		for i := poison + 1; i < poison+5; i++ {
			e.sendOrder(c, smtInput(e.run, c, i))
		}
		e.flush()
		for _, sd := range sides {
			var trace string
			eventually(t, 30*time.Second, sd.name+"'s task FAILED", func() (bool, string) {
				s, _ := statusOf(t, sd.url, sd.name)
				if len(s.Tasks) == 1 && s.Tasks[0].State == "FAILED" {
					trace = s.Tasks[0].Trace
					return true, ""
				}
				return false, fmt.Sprintf("%+v", s)
			})
			for _, w := range []string{"Tolerance exceeded in error handler", "org.apache.kafka.connect.transforms.Cast", "Value (twelve) was out of range for requested data type"} {
				if !strings.Contains(trace, w) {
					t.Errorf("%s's trace does not contain %q:\n%s", sd.name, w, trace)
				}
			}
		}
		time.Sleep(2 * time.Second) // past an offset flush interval
		for _, sd := range sides {
			if n := committed(t, sd.name, c); n != poison {
				t.Errorf("%s committed offset %d after the failure, want %d (the failing record's)", sd.name, n, poison)
			}
			got, ok := e.rows(sd.table)
			if !ok {
				eventually(t, 20*time.Second, "Cassandra answering", func() (bool, string) { got, ok = e.rows(sd.table); return ok, "" })
			}
			t.Run(sd.name, func(t *testing.T) { compareRows(t, got, want) })
		}
	})
}
