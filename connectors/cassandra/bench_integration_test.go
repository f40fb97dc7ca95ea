//go:build integration

package cassandra

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/schemas/converters"
)

// benchWriter builds the scenario A writer from the live table.
func benchWriter(b *testing.B) *tableWriter {
	s := session(b)
	for _, q := range []string{"CREATE KEYSPACE IF NOT EXISTS bench WITH replication = {'class':'SimpleStrategy','replication_factor':1}",
		workload.ScenarioA.CreateTable("bench")} {
		if err := s.Query(q).Exec(); err != nil {
			b.Fatal(err)
		}
	}
	ms, err := parseMapping(workload.Mapping)
	if err != nil {
		b.Fatal(err)
	}
	w, err := newTableWriter(context.Background(), s, &tableSettings{topic: workload.Topic, keyspace: "bench", table: workload.ScenarioA.Table, mapping: ms, ttl: -1,
		ttlUnit: time.Second, timestampUnit: time.Microsecond, deletesEnabled: true, nullToUnset: true})
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// createdAts are the workload's variants of created_at: both bind directly.
var createdAts = []workload.CreatedAt{workload.CreatedAtTimestamp, workload.CreatedAtLong}

// BenchmarkDecodeAndBind is the per-record hot path of the sink on the
// benchmark workload: Avro decode to Connect data, then mapping to bound values.
func BenchmarkDecodeAndBind(b *testing.B) {
	for _, c := range createdAts {
		b.Run("created_at="+string(c), func(b *testing.B) { benchDecodeAndBind(b, c) })
	}
}

func benchDecodeAndBind(b *testing.B, c workload.CreatedAt) {
	dec, raw := workloadValues(b, c)
	const n = len(raw)
	w := benchWriter(b)
	t := &Task{lastStamp: map[connectors.TopicPartition]*int64{}}
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sv, err := dec.ToConnect(workload.Topic, raw[i%n])
		if err != nil {
			b.Fatal(err)
		}
		rec := connectors.SinkRecord{Topic: workload.Topic, Offset: int64(i), Timestamp: now, Value: sv}
		if _, err := w.bind(t, &rec, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDirectBind is the same work on the direct path (direct.go): the
// Avro header read as the worker reads it, then the body bound straight to
// wire values.
func BenchmarkDirectBind(b *testing.B) {
	for _, c := range createdAts {
		b.Run("created_at="+string(c), func(b *testing.B) { benchDirectBind(b, c) })
	}
}

func benchDirectBind(b *testing.B, c workload.CreatedAt) {
	dec, raw := workloadValues(b, c)
	const n = len(raw)
	w := benchWriter(b)
	t := &Task{lastStamp: map[connectors.TopicPartition]*int64{}, values: dec}
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	var put []connectors.SinkRecord
	var raws []connectors.RawRecord
	for i := 0; i < b.N; i++ {
		if i%500 == 0 { // a put of max.poll.records, as the worker hands it over
			t.arena = newDirectArena(500, len(w.cols))
			put, raws = make([]connectors.SinkRecord, 500), make([]connectors.RawRecord, 500)
		}
		ws, err := dec.WriterSchema(workload.Topic, raw[i%n])
		if err != nil {
			b.Fatal(err)
		}
		rec := &put[i%500]
		raws[i%500].Value = raw[i%n]
		*rec = connectors.SinkRecord{Topic: workload.Topic, Offset: int64(i), Timestamp: now, Raw: &raws[i%500], ValueWriter: ws}
		p := w.planFor(ws)
		if p == nil {
			b.Fatal("no direct plan for the workload")
		}
		if _, ok := w.bindDirect(t, p, rec); !ok {
			b.Fatal("left the direct path")
		}
	}
}

// workloadValues returns 1024 workload values of a created_at variant in
// the Confluent wire format and a converter that reads them (the registry
// is a fake).
func workloadValues(b *testing.B, c workload.CreatedAt) (*converters.AvroConverter, [1024][]byte) {
	reg := srfake.New()
	b.Cleanup(reg.Close)
	enc := &converters.AvroConverter{}
	dec := &converters.AvroConverter{}
	for _, c := range []*converters.AvroConverter{enc, dec} {
		if err := c.Configure(map[string]string{"schema.registry.url": reg.URL()}, false); err != nil {
			b.Fatal(err)
		}
	}
	g := workload.Generator{Seed: 42}
	var raw [1024][]byte
	for i := range raw {
		v, err := enc.FromConnect(workload.Topic, c.Schema(), g.Order(uint64(i)).StructAs(c))
		if err != nil {
			b.Fatal(err)
		}
		raw[i] = v
	}
	return dec, raw
}
