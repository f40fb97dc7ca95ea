//go:build integration

package e2e

import (
	"context"
	be "encoding/binary"
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

// The corpus: good records (id, n, note) and malformed ones, each of a
// kind a real topic meets, with the stage Connect reports it in and text
// its reason must contain.
type badRecord struct {
	kind   string
	value  func(c *corpus, id string) []byte
	stage  string // __connect.errors.stage
	reason string // in the exception message or trace
}

var (
	goodSchema = schemas.NewStruct("e2e.bad.Row", false,
		schemas.Field{Name: "id", Schema: schemas.OptionalStringSchema},
		schemas.Field{Name: "n", Schema: schemas.Int32Schema},
		schemas.Field{Name: "note", Schema: schemas.StringSchema})
	// Writer schemas the table cannot take: n as text, n missing.
	textNSchema = schemas.NewStruct("e2e.bad.TextN", false, schemas.Field{Name: "id", Schema: schemas.StringSchema},
		schemas.Field{Name: "n", Schema: schemas.StringSchema}, schemas.Field{Name: "note", Schema: schemas.StringSchema})
	noNSchema    = schemas.NewStruct("e2e.bad.NoN", false, schemas.Field{Name: "id", Schema: schemas.StringSchema}, schemas.Field{Name: "other", Schema: schemas.Int64Schema})
	stringSchema = schemas.StringSchema
)

const (
	stageConverter = "VALUE_CONVERTER"
	stagePut       = "TASK_PUT"
)

var badKinds = []badRecord{
	{"wrong magic byte", func(c *corpus, id string) []byte { return append([]byte{1, 0, 0, 0, 1}, id...) }, stageConverter, "Unknown magic byte!"},
	{"unknown schema id", func(c *corpus, id string) []byte {
		v := c.good(id, 1)
		be.BigEndian.PutUint32(v[1:5], 2_000_000_000)
		return v
	}, stageConverter, "Error retrieving Avro value schema for id 2000000000"},
	{"truncated Avro", func(c *corpus, id string) []byte { v := c.good(id, 1); return v[:len(v)-3] }, stageConverter, "Error deserializing Avro message"},
	{"trailing bytes", func(c *corpus, id string) []byte { return append(c.good(id, 1), 0x02, 0x04) }, stageConverter, "2 bytes after the end of the value"},
	{"JSON, not Avro", func(c *corpus, id string) []byte { return []byte(`{"id":"` + id + `","n":1,"note":"x"}`) }, stageConverter, "Unknown magic byte!"},
	{"Avro text that is not JSON", func(c *corpus, id string) []byte {
		return c.encode(stringSchema, `{"id":"`+id+`","n":1,`)
	}, stagePut, "the record value is text that opens as a JSON object but is not valid JSON: unexpected EOF"},
	{"text where the table has an int", func(c *corpus, id string) []byte {
		s := schemas.NewStructValue(textNSchema)
		s.Values = []any{id, "twelve", "text n"}
		return c.encode(textNSchema, s)
	}, stagePut, "twelve"},
	{"null primary key", func(c *corpus, id string) []byte {
		s := schemas.NewStructValue(goodSchema)
		s.Values = []any{nil, int32(1), "null key"}
		return c.encode(goodSchema, s)
	}, stagePut, "Primary key column id cannot be mapped to null"},
	{"empty primary key", func(c *corpus, id string) []byte {
		s := schemas.NewStructValue(goodSchema)
		s.Values = []any{"", int32(1), "empty key"}
		return c.encode(goodSchema, s)
	}, stagePut, "Key may not be empty"},
	{"key over Cassandra's 64 KiB", func(c *corpus, id string) []byte {
		s := schemas.NewStructValue(goodSchema)
		s.Values = []any{id + strings.Repeat("k", 70_000), int32(1), "long key"}
		return c.encode(goodSchema, s)
	}, stagePut, "longer than maximum of 65535"},
	{"writer schema without a mapped field", func(c *corpus, id string) []byte {
		s := schemas.NewStructValue(noNSchema)
		s.Values = []any{id, int64(5)}
		return c.encode(noNSchema, s)
	}, stagePut, "Required field 'value.n' (mapped to column n) was missing from record"},
}

type corpus struct {
	t    *testing.T
	conv *converters.AvroConverter
	// topic the schemas are registered under (<topic>-value).
	topic string
}

func (c *corpus) encode(s *schemas.Schema, v any) []byte {
	c.t.Helper()
	b, err := c.conv.FromConnect(c.topic, s, v)
	if err != nil {
		c.t.Fatalf("encoding %v: %v", v, err)
	}
	return b
}

func (c *corpus) good(id string, n int) []byte {
	s := schemas.NewStructValue(goodSchema)
	s.Values = []any{id, int32(n), "note of " + id}
	return c.encode(goodSchema, s)
}

// sent is a record as produced: its offset and, for a good one, its row.
type sent struct {
	offset int64
	id     string
	n      int
	bad    *badRecord
	key    []byte
	value  []byte
}

// produceCorpus writes to partition 0 of topic: good records with every
// bad kind between them (goodEach good records before each bad one, and
// after the last), and returns them with their offsets.
func produceCorpus(t *testing.T, c *corpus, topic string, kinds []badRecord, goodEach int) []sent {
	t.Helper()
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "enable.idempotence": true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var out []sent
	add := func(s sent) {
		out = append(out, s)
	}
	n := 0
	goods := func() {
		for range goodEach {
			id := fmt.Sprintf("g-%d", n)
			add(sent{id: id, n: n, key: []byte(id), value: c.good(id, n)})
			n++
		}
	}
	for i := range kinds {
		goods()
		id := fmt.Sprintf("bad-%d", i)
		add(sent{id: id, bad: &kinds[i], key: []byte(id), value: kinds[i].value(c, id)})
	}
	goods()
	events := make(chan kafka.Event, len(out))
	for i := range out {
		if err := p.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: 0}, Key: out[i].key, Value: out[i].value}, events); err != nil {
			t.Fatal(err)
		}
	}
	for range out {
		m := (<-events).(*kafka.Message)
		if m.TopicPartition.Error != nil {
			t.Fatalf("producing: %v", m.TopicPartition.Error)
		}
		for i := range out {
			if string(out[i].key) == string(m.Key) {
				out[i].offset = int64(m.TopicPartition.Offset)
			}
		}
	}
	return out
}

type badInputEnv struct {
	t    *testing.T
	id   uint32
	ks   string
	s    *gocql.Session
	conv *converters.AvroConverter
	w    *proc
}

func newBadInputEnv(t *testing.T) *badInputEnv {
	stack.RequireCassandra(t)
	stack.RequireSchemaRegistry(t)
	e := &badInputEnv{t: t, id: rand.Uint32()}
	e.ks = fmt.Sprintf("e2e_bad_%d", e.id)
	cl := gocql.NewCluster(stack.CassandraHosts()...)
	cl.Timeout = 30 * time.Second
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	t.Cleanup(func() { _ = s.Query("DROP KEYSPACE IF EXISTS " + e.ks).Exec(); s.Close() })
	if err := s.Query(fmt.Sprintf("CREATE KEYSPACE %s WITH replication = {'class':'SimpleStrategy','replication_factor':1}", e.ks)).Exec(); err != nil {
		t.Fatal(err)
	}
	e.conv = &converters.AvroConverter{}
	if err := e.conv.Configure(map[string]string{"schema.registry.url": stack.SchemaRegistryURL()}, false); err != nil {
		t.Fatal(err)
	}
	e.w = newCluster(t, nil).start()
	return e
}

func (e *badInputEnv) table(name string) {
	if err := e.s.Query(fmt.Sprintf("CREATE TABLE %s.%s (id text PRIMARY KEY, n int, note text)", e.ks, name)).Exec(); err != nil {
		e.t.Fatal(err)
	}
}

func (e *badInputEnv) connector(name, topic, table string, extra map[string]string) {
	host := strings.Split(stack.CassandraHosts()[0], ":")
	cfg := map[string]string{
		"connector.class": "com.datastax.oss.kafka.sink.CassandraSinkConnector", "tasks.max": "1", "topics": topic,
		"contactPoints": host[0], "port": host[1], "loadBalancing.localDc": "datacenter1",
		"value.converter": "io.confluent.connect.avro.AvroConverter", "value.converter.schema.registry.url": stack.SchemaRegistryURL(),
		fmt.Sprintf("topic.%s.%s.%s.mapping", topic, e.ks, table): "id=value.id, n=value.n, note=value.note",
	}
	for k, v := range extra {
		cfg[k] = v
	}
	if code, b, _ := do("PUT", e.w.url()+"/connectors/"+name+"/config", cfg); code != 201 {
		e.t.Fatalf("creating %s: %d %s", name, code, b)
	}
}

// TestIntegrationBadRecordsTolerated streams a corpus of malformed records
// among good ones through the Cassandra sink with the Avro converter and
// the real Schema Registry, with errors.tolerance=all and a dead letter
// queue: every bad record is in the queue, once, with its original bytes
// and Connect's __connect.errors.* headers, and every good record around
// it is in Cassandra exactly as sent, none of the bad ones.
func TestIntegrationBadRecordsTolerated(t *testing.T) {
	e := newBadInputEnv(t)
	topic := fmt.Sprintf("e2e.bad.all.%d", e.id)
	dlq := topic + ".dlq"
	if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 1, 1, nil); err != nil {
		t.Fatal(err)
	}
	e.table("rows")
	c := &corpus{t: t, conv: e.conv, topic: topic}
	records := produceCorpus(t, c, topic, badKinds, 3)
	e.connector("bad-all", topic, "rows", map[string]string{
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq, "errors.deadletterqueue.topic.replication.factor": "1",
		"errors.deadletterqueue.context.headers.enable": "true", "errors.log.enable": "true",
	})
	end := records[len(records)-1].offset + 1
	eventually(t, 120*time.Second, "every record committed", func() (bool, string) {
		got := committed(t, "bad-all", topic)
		s, _ := statusOf(t, e.w.url(), "bad-all")
		return got == end, fmt.Sprintf("committed %d of %d; status %+v", got, end, s)
	})
	if s, _ := statusOf(t, e.w.url(), "bad-all"); len(s.Tasks) != 1 || s.Tasks[0].State != "RUNNING" {
		t.Fatalf("status %+v", s)
	}

	// Cassandra holds exactly the good rows.
	want := map[string]sent{}
	for _, r := range records {
		if r.bad == nil {
			want[r.id] = r
		}
	}
	iter := e.s.Query(fmt.Sprintf("SELECT id, n, note FROM %s.rows", e.ks)).Iter()
	var id, note string
	var n int
	rows := 0
	for iter.Scan(&id, &n, &note) {
		rows++
		r, ok := want[id]
		if !ok {
			t.Errorf("row %q (n=%d) is not a good record", id[:min(len(id), 40)], n)
			continue
		}
		if n != r.n || note != "note of "+id {
			t.Errorf("row %q = (%d, %q), want (%d, %q)", id, n, note, r.n, "note of "+id)
		}
		delete(want, id)
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if len(want) != 0 {
		t.Errorf("%d good records missing from Cassandra: %v", len(want), want)
	}

	// The DLQ holds each bad record once, with Connect's headers.
	cons, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "group.id": "dlq-check-" + topic,
		"auto.offset.reset": "earliest", "enable.auto.commit": false})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	if err := cons.Subscribe(dlq, nil); err != nil {
		t.Fatal(err)
	}
	byOffset := map[string]sent{}
	for _, r := range records {
		if r.bad != nil {
			byOffset[strconv.FormatInt(r.offset, 10)] = r
		}
	}
	seen := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < len(byOffset) && time.Now().Before(deadline) {
		m, err := cons.ReadMessage(2 * time.Second)
		if err != nil {
			continue
		}
		h := map[string]string{}
		for _, hd := range m.Headers {
			h[hd.Key] = string(hd.Value)
		}
		r, ok := byOffset[h["__connect.errors.offset"]]
		if !ok {
			t.Errorf("DLQ record with offset header %q, key %q: not a bad record", h["__connect.errors.offset"], m.Key)
			continue
		}
		if seen[h["__connect.errors.offset"]] {
			t.Errorf("%s: in the DLQ twice", r.bad.kind)
		}
		seen[h["__connect.errors.offset"]] = true
		class := "io.confluent.connect.avro.AvroConverter"
		exClass := "org.apache.kafka.connect.errors.DataException"
		if r.bad.stage == stagePut {
			class = "org.apache.kafka.connect.sink.SinkTask"
			exClass = ""
		}
		for k, v := range map[string]string{
			"__connect.errors.topic": topic, "__connect.errors.partition": "0", "__connect.errors.connector.name": "bad-all",
			"__connect.errors.task.id": "0", "__connect.errors.stage": r.bad.stage, "__connect.errors.class.name": class,
		} {
			if h[k] != v {
				t.Errorf("%s: header %s = %q, want %q", r.bad.kind, k, h[k], v)
			}
		}
		if exClass != "" && h["__connect.errors.exception.class.name"] != exClass || h["__connect.errors.exception.class.name"] == "" {
			t.Errorf("%s: exception class %q", r.bad.kind, h["__connect.errors.exception.class.name"])
		}
		if msg := h["__connect.errors.exception.message"] + "\n" + h["__connect.errors.exception.stacktrace"]; !strings.Contains(msg, r.bad.reason) {
			t.Errorf("%s: message and trace do not say %q:\n%s", r.bad.kind, r.bad.reason, msg)
		}
		if string(m.Key) != string(r.key) || string(m.Value) != string(r.value) {
			t.Errorf("%s: DLQ record is not the original bytes", r.bad.kind)
		}
	}
	for off, r := range byOffset {
		if !seen[off] {
			t.Errorf("%s (offset %s) is not in the DLQ", r.bad.kind, off)
		}
	}
	t.Logf("%d records: %d rows in Cassandra, %d in the DLQ", len(records), rows, len(seen))
}

// TestIntegrationBadRecordFailsTask runs each malformed record, between
// good ones, through its own connector with errors.tolerance=none: the
// task fails with a trace naming the topic, partition, offset and reason,
// and the committed offset stays before the bad record.
func TestIntegrationBadRecordFailsTask(t *testing.T) {
	e := newBadInputEnv(t)
	type run struct {
		name, topic string
		bad         sent
	}
	var runs []run
	for i := range badKinds {
		topic := fmt.Sprintf("e2e.bad.none.%d.%d", e.id, i)
		if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 1, 1, nil); err != nil {
			t.Fatal(err)
		}
		table := fmt.Sprintf("rows_%d", i)
		e.table(table)
		c := &corpus{t: t, conv: e.conv, topic: topic}
		records := produceCorpus(t, c, topic, badKinds[i:i+1], 3)
		r := run{name: fmt.Sprintf("bad-none-%d", i), topic: topic}
		for _, s := range records {
			if s.bad != nil {
				r.bad = s
			}
		}
		e.connector(r.name, topic, table, map[string]string{"errors.tolerance": "none"})
		runs = append(runs, r)
	}
	for _, r := range runs {
		t.Run(r.bad.bad.kind, func(t *testing.T) {
			var trace string
			eventually(t, 90*time.Second, "the task to fail", func() (bool, string) {
				s, _ := statusOf(t, e.w.url(), r.name)
				if len(s.Tasks) == 1 && s.Tasks[0].State == "FAILED" {
					trace = s.Tasks[0].Trace
					return true, ""
				}
				return false, fmt.Sprintf("%+v", s)
			})
			where := fmt.Sprintf("topic %s partition 0 offset %d", r.topic, r.bad.offset)
			for _, w := range []string{where, r.bad.bad.stage, r.bad.bad.reason} {
				if !strings.Contains(trace, w) {
					t.Errorf("trace does not say %q:\n%s", w, trace)
				}
			}
			if got := committed(t, r.name, r.topic); got > r.bad.offset {
				t.Errorf("committed offset %d is past the bad record at %d", got, r.bad.offset)
			}
		})
	}
}
