//go:build integration

package cassandra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"gopkg.in/inf.v0"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/stack"
)

func session(t testing.TB) *gocql.Session {
	t.Helper()
	stack.RequireCassandra(t)
	c := gocql.NewCluster(stack.CassandraHosts()...)
	c.Timeout = 30 * time.Second
	s, err := c.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func keyspace(t *testing.T, s *gocql.Session, ddl ...string) string {
	t.Helper()
	ks := fmt.Sprintf("it_%d", rand.Uint32())
	stmts := append([]string{fmt.Sprintf("CREATE KEYSPACE %s WITH replication = {'class':'SimpleStrategy','replication_factor':1}", ks)}, ddl...)
	for _, q := range stmts {
		if err := s.Query(strings.ReplaceAll(q, "KS", ks)).Exec(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() { _ = s.Query("DROP KEYSPACE " + ks).Exec() })
	return ks
}

type fakeCtx struct {
	reported []connectors.SinkRecord
	errs     []error
	timeouts []time.Duration // what the task asked with Timeout
}

func (f *fakeCtx) Config() map[string]string                        { return nil }
func (f *fakeCtx) ResetOffsets(map[connectors.TopicPartition]int64) {}
func (f *fakeCtx) Assignment() []connectors.TopicPartition          { return nil }
func (f *fakeCtx) Pause(...connectors.TopicPartition)               {}
func (f *fakeCtx) Resume(...connectors.TopicPartition)              {}
func (f *fakeCtx) RequestCommit()                                   {}
func (f *fakeCtx) Timeout(d time.Duration)                          { f.timeouts = append(f.timeouts, d) }
func (f *fakeCtx) Reporter() connectors.ErrantRecordReporter        { return f }
func (f *fakeCtx) Report(_ context.Context, r connectors.SinkRecord, err error) error {
	f.reported = append(f.reported, r)
	f.errs = append(f.errs, err)
	return nil
}

func startTask(t *testing.T, cfg map[string]string, tc connectors.SinkTaskContext) *Task {
	t.Helper()
	base := map[string]string{"contactPoints": strings.Split(stack.CassandraHosts()[0], ":")[0], "port": strings.Split(stack.CassandraHosts()[0], ":")[1],
		"loadBalancing.localDc": "datacenter1"}
	for k, v := range cfg {
		base[k] = v
	}
	task := &Task{log: testLogger()}
	if err := task.Start(context.Background(), base, tc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = task.Stop() })
	return task
}

var allTypes = schemas.NewStruct("AllTypes", false,
	schemas.Field{Name: "id", Schema: schemas.Int32Schema},
	schemas.Field{Name: "t", Schema: schemas.OptionalStringSchema},
	schemas.Field{Name: "bi", Schema: schemas.Int64Schema},
	schemas.Field{Name: "si", Schema: schemas.Int16Schema},
	schemas.Field{Name: "ti", Schema: schemas.Int8Schema},
	schemas.Field{Name: "f", Schema: schemas.Float32Schema},
	schemas.Field{Name: "d", Schema: schemas.Float64Schema},
	schemas.Field{Name: "dec", Schema: schemas.NewDecimal(2, false)},
	schemas.Field{Name: "b", Schema: schemas.BooleanSchema},
	schemas.Field{Name: "u", Schema: schemas.StringSchema},
	schemas.Field{Name: "ts", Schema: schemas.NewTimestamp(false)},
	schemas.Field{Name: "dt", Schema: schemas.NewDate(false)},
	schemas.Field{Name: "blob", Schema: schemas.BytesSchema},
	schemas.Field{Name: "ip", Schema: schemas.StringSchema},
	schemas.Field{Name: "tags", Schema: schemas.NewArray(schemas.StringSchema, false)},
	schemas.Field{Name: "attrs", Schema: schemas.NewMap(schemas.StringSchema, schemas.StringSchema, false)},
	schemas.Field{Name: "addr", Schema: schemas.NewStruct("Addr", false, schemas.Field{Name: "street", Schema: schemas.StringSchema}, schemas.Field{Name: "zip", Schema: schemas.Int32Schema})},
	schemas.Field{Name: "vi", Schema: schemas.StringSchema},
)

func TestIntegrationCassandraTypesAndMapping(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s,
		"CREATE TYPE KS.addr (street text, zip int)",
		"CREATE TABLE KS.all_types (id int PRIMARY KEY, t text, bi bigint, si smallint, ti tinyint, f float, d double, dec decimal, b boolean, "+
			"u uuid, ts timestamp, dt date, blob blob, ip inet, tags list<text>, tagset set<text>, attrs map<text,text>, addr frozen<addr>, vi varint, "+
			"first_tag text, attr_k text, hdr text, k text)")
	mapping := "id=value.id, t=value.t, bi=value.bi, si=value.si, ti=value.ti, f=value.f, d=value.d, dec=value.dec, b=value.b, u=value.u, " +
		"ts=value.ts, dt=value.dt, blob=value.blob, ip=value.ip, tags=value.tags, tagset=value.tags, attrs=value.attrs, addr=value.addr, vi=value.vi, " +
		"first_tag=value.tags[0], attr_k=value.attrs['k'], hdr=header.h, k=key"
	tc := &fakeCtx{}
	task := startTask(t, map[string]string{"topic.orders." + ks + ".all_types.mapping": mapping}, tc)
	when := time.Date(2026, 3, 4, 5, 6, 7, 8e6, time.UTC)
	st := schemas.NewStructValue(allTypes)
	addr := schemas.NewStructValue(allTypes.Fields[16].Schema)
	addr.Values = []any{"Main St", int32(12345)}
	st.Values = []any{int32(1), nil, int64(1 << 40), int16(300), int8(-5), float32(1.5), 2.25, inf.NewDec(12345, 2), true,
		"8f14e45f-ceea-467f-a0f0-8b9f3a9e5c11", when, time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), []byte{1, 2, 3}, "10.0.0.1",
		[]any{"a", "b", "a"}, map[string]any{"k": "v"}, addr, "123456789012345678901234567890"}
	rec := connectors.SinkRecord{Topic: "orders", Partition: 0, Offset: 7, Timestamp: when,
		Key: schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: "the-key"}, Value: schemas.SchemaAndValue{Schema: allTypes, Value: st},
		Headers: []schemas.Header{{Key: "h", Value: "hv"}}}
	if err := task.Put(context.Background(), []connectors.SinkRecord{rec}); err != nil || len(tc.errs) > 0 {
		t.Fatal(err, tc.errs)
	}
	row := map[string]any{}
	if err := s.Query("SELECT * FROM " + ks + ".all_types WHERE id = 1").MapScan(row); err != nil {
		t.Fatal(err)
	}
	checks := map[string]any{"bi": int64(1 << 40), "si": int16(300), "ti": int8(-5), "f": float32(1.5), "d": 2.25, "b": true,
		"first_tag": "a", "attr_k": "v", "hdr": "hv", "k": "the-key", "tags": []string{"a", "b", "a"}, "tagset": []string{"a", "b"},
		"attrs": map[string]string{"k": "v"}, "blob": []byte{1, 2, 3}}
	for col, want := range checks {
		if !reflect.DeepEqual(row[col], want) {
			t.Errorf("column %s = %#v, want %#v", col, row[col], want)
		}
	}
	if row["dec"].(*inf.Dec).Cmp(inf.NewDec(12345, 2)) != 0 || !row["ts"].(time.Time).Equal(when) || row["u"].(gocql.UUID).String() != "8f14e45f-ceea-467f-a0f0-8b9f3a9e5c11" ||
		row["ip"].(interface{ String() string }).String() != "10.0.0.1" || row["vi"].(interface{ String() string }).String() != "123456789012345678901234567890" {
		t.Errorf("row = %v", row)
	}
	if a := row["addr"].(map[string]any); a["street"] != "Main St" || a["zip"] != 12345 {
		t.Errorf("udt = %v", a)
	}
	if row["t"] != "" {
		t.Errorf("null with nullToUnset left %q", row["t"])
	}
	var wt int64
	if err := s.Query("SELECT writetime(bi) FROM " + ks + ".all_types WHERE id = 1").Scan(&wt); err != nil || wt != when.UnixMilli()*1000 {
		t.Errorf("writetime = %d (%v), want %d", wt, err, when.UnixMilli()*1000)
	}
}

func jsonRec(topic string, off int64, ts time.Time, v any) connectors.SinkRecord {
	return connectors.SinkRecord{Topic: topic, Partition: 0, Offset: off, Timestamp: ts, Value: schemas.SchemaAndValue{Value: v}, Key: schemas.SchemaAndValue{Value: fmt.Sprint(off)}}
}

func TestIntegrationCassandraSemantics(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s,
		"CREATE TABLE KS.kv (k text PRIMARY KEY, v text, n bigint)",
		"CREATE TABLE KS.by_group (g int, id text, v text, PRIMARY KEY ((g), id))",
		"CREATE TABLE KS.counts (k text PRIMARY KEY, c counter)")
	tc := &fakeCtx{}
	task := startTask(t, map[string]string{
		"topic.kv." + ks + ".kv.mapping":         "k=value.k, v=value.v, n=value.n, __ttl=value.ttl",
		"topic.kv." + ks + ".kv.ttlTimeUnit":     "SECONDS",
		"topic.kv." + ks + ".by_group.mapping":   "g=value.g, id=value.k, v=value.v",
		"topic.cnt." + ks + ".counts.mapping":    "k=value.k, c=value.n",
		"topic.del." + ks + ".kv.mapping":        "k=key, v=value.v, n=value.n", // deletes need every column mapped
		"topic.del." + ks + ".kv.deletesEnabled": "true",
		"maxNumberOfRecordsInBatch":              "5",
	}, tc)
	ctx := context.Background()
	ts := time.Now().Truncate(time.Millisecond)
	var recs []connectors.SinkRecord
	for i := range 20 {
		recs = append(recs, jsonRec("kv", int64(i), ts, map[string]any{"k": fmt.Sprintf("k%d", i%4), "v": fmt.Sprintf("v%d", i), "n": int64(i), "g": int64(i % 2), "ttl": int64(0)}))
	}
	// A poison record among good ones: "n" is not a number.
	recs = append(recs, jsonRec("kv", 20, ts, map[string]any{"k": "poison", "v": "x", "n": "NaN-text", "g": int64(1), "ttl": int64(0)}))
	recs = append(recs, jsonRec("kv", 21, ts, map[string]any{"k": "ttl", "v": "x", "n": int64(1), "g": int64(1), "ttl": int64(300)}))
	for i := range 3 {
		recs = append(recs, jsonRec("cnt", int64(i), ts, map[string]any{"k": "c", "n": int64(2)}))
	}
	if err := task.Put(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// Last write wins per key, even inside one millisecond.
	for i := range 4 {
		var v string
		if err := s.Query("SELECT v FROM "+ks+".kv WHERE k = ?", fmt.Sprintf("k%d", i)).Scan(&v); err != nil || v != fmt.Sprintf("v%d", 16+i) {
			t.Errorf("k%d = %q (%v), want v%d", i, v, err, 16+i)
		}
	}
	var n int
	// k0..k3, plus the records that only fail on kv's mapping ("poison") and "ttl".
	if err := s.Query("SELECT count(*) FROM " + ks + ".by_group").Scan(&n); err != nil || n != 6 {
		t.Errorf("by_group rows = %d (%v), want 6", n, err)
	}
	if len(tc.reported) != 1 || tc.reported[0].Offset != 20 {
		t.Errorf("reported = %v, want the poison record only", tc.reported)
	}
	var ttl int
	if err := s.Query("SELECT ttl(v) FROM " + ks + ".kv WHERE k = 'ttl'").Scan(&ttl); err != nil || ttl <= 0 || ttl > 300 {
		t.Errorf("ttl = %d (%v)", ttl, err)
	}
	var c int64
	if err := s.Query("SELECT c FROM " + ks + ".counts WHERE k = 'c'").Scan(&c); err != nil || c != 6 {
		t.Errorf("counter = %d (%v), want 6", c, err)
	}
	// A tombstone deletes the row named by the key.
	del := connectors.SinkRecord{Topic: "del", Offset: 1, Timestamp: time.Now(), Key: schemas.SchemaAndValue{Value: "k1"}}
	if err := task.Put(ctx, []connectors.SinkRecord{del}); err != nil {
		t.Fatal(err)
	}
	if err := s.Query("SELECT v FROM " + ks + ".kv WHERE k = 'k1'").Scan(new(string)); !errors.Is(err, gocql.ErrNotFound) {
		t.Errorf("row k1 after tombstone: %v", err)
	}
}

func TestIntegrationCassandraUnavailableIsRetriable(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s, "CREATE TABLE KS.kv (k text PRIMARY KEY, v text)")
	task := startTask(t, map[string]string{"topic.kv." + ks + ".kv.mapping": "k=value.k, v=value.v", "queryExecutionTimeout": "2"}, &fakeCtx{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // an interrupted write must be retried, never dropped
	err := task.Put(ctx, []connectors.SinkRecord{jsonRec("kv", 1, time.Now(), map[string]any{"k": "a", "v": "b"})})
	if !connectors.IsRetriable(err) {
		t.Fatalf("err = %v, want retriable", err)
	}
}

func TestIntegrationCassandraValidateReportsSchemaProblems(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s, "CREATE TABLE KS.kv (k text, c text, v text, PRIMARY KEY (k, c))")
	c := &Connector{}
	host := strings.Split(stack.CassandraHosts()[0], ":")
	cfg := map[string]string{"contactPoints": host[0], "port": host[1], "loadBalancing.localDc": "datacenter1", "topics": "a,b",
		"topic.a." + ks + ".kv.mapping":   "k=value.k, v=value.v",
		"topic.b." + ks + ".nope.mapping": "k=value.k",
	}
	infos := configDef.Validate(cfg)
	c.ValidateConfig(context.Background(), cfg, &infos)
	var msgs []string
	for _, ci := range infos.Configs {
		if ci.Value != nil {
			for _, e := range ci.Value.Errors {
				msgs = append(msgs, ci.Value.Name+": "+e)
			}
		}
	}
	joined := strings.Join(msgs, "\n")
	if !strings.Contains(joined, "topic.a."+ks+".kv.mapping: primary key column c") || !strings.Contains(joined, "topic.b."+ks+".nope.mapping: table "+ks+".nope does not exist") {
		t.Fatalf("validation errors:\n%s", joined)
	}
}

func testLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
