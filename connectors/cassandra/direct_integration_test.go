//go:build integration

package cassandra

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/linkedin/goavro/v2"
	"github.com/riferrei/srclient"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas/converters"
)

const directSchema = `{"type":"record","name":"R","namespace":"t","fields":[
 {"name":"id","type":"string"},
 {"name":"cust","type":"long"},
 {"name":"skipme","type":{"type":"record","name":"Inner","fields":[{"name":"a","type":{"type":"array","items":"Inner2"}}]}},
 {"name":"i","type":"int"},
 {"name":"d","type":["null","double"]},
 {"name":"f","type":["float","null"]},
 {"name":"ok","type":"boolean"},
 {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"bl","type":"bytes"},
 {"name":"l","type":{"type":"array","items":"string"}},
 {"name":"s","type":{"type":"array","items":"string"}},
 {"name":"m","type":{"type":"map","values":"string"}},
 {"name":"n","type":["null","string"]},
 {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}}
]}`

// widenSchema's numbers go into wider CQL types: int into bigint, varint
// and timestamp, long into timestamp and varint, float into double.
const widenSchema = `{"type":"record","name":"W","namespace":"t","fields":[
 {"name":"pi","type":"int"},
 {"name":"pl","type":"long"},
 {"name":"pv","type":"long"},
 {"name":"iv","type":"int"},
 {"name":"lv","type":["null","long"]},
 {"name":"fd","type":"float"},
 {"name":"it","type":["int","null"]},
 {"name":"lt","type":["null","long"]},
 {"name":"ib","type":["null","int"]}
]}`

// Inner2 is defined before use inside Inner's array: a named reference.
var directSchemaFull = strings.Replace(directSchema, `"items":"Inner2"`,
	`"items":{"type":"record","name":"Inner2","fields":[{"name":"q","type":{"type":"fixed","name":"Inner2Fixed","size":3}},{"name":"z","type":["null","Inner2Fixed"]}]}`, 1)

// TestIntegrationDirectBindingMatchesGeneral binds Avro records both ways,
// directly and through Connect data, against a live table, and requires
// the same statement, grouping keys and wire bytes; then the cases that
// must leave the direct path.
func TestIntegrationDirectBindingMatchesGeneral(t *testing.T) {
	s := session(t)
	for _, q := range []string{
		"CREATE KEYSPACE IF NOT EXISTS direct WITH replication = {'class':'SimpleStrategy','replication_factor':1}",
		`CREATE TABLE IF NOT EXISTS direct.t (cust bigint, id text, i int, d double, f float, ok boolean, ts timestamp, bl blob,
		  l list<text>, s set<text>, m map<text,text>, n text, PRIMARY KEY ((cust), id, ts))`,
		`CREATE TABLE IF NOT EXISTS direct.k (id text PRIMARY KEY, e text)`,
		`CREATE TABLE IF NOT EXISTS direct.nowt (cust bigint, id text, n text, tu timeuuid, u uuid, PRIMARY KEY (cust, id))`,
		`CREATE TABLE IF NOT EXISTS direct.widen (pi bigint, pl timestamp, pv varint, iv varint, lv varint, fd double, it timestamp,
		  lt timestamp, ib bigint, PRIMARY KEY ((pi), pl, pv))`,
	} {
		if err := s.Query(q).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	reg := srfake.New()
	defer reg.Close()
	sch, err := srclient.NewSchemaRegistryClient(reg.URL()).CreateSchema("t-value", directSchemaFull, srclient.Avro)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := goavro.NewCodec(directSchemaFull)
	if err != nil {
		t.Fatal(err)
	}
	conv := &converters.AvroConverter{}
	if err := conv.Configure(map[string]string{"schema.registry.url": reg.URL()}, false); err != nil {
		t.Fatal(err)
	}
	wsch, err := srclient.NewSchemaRegistryClient(reg.URL()).CreateSchema("w-value", widenSchema, srclient.Avro)
	if err != nil {
		t.Fatal(err)
	}
	wcodec, err := goavro.NewCodec(widenSchema)
	if err != nil {
		t.Fatal(err)
	}
	wireOf := func(codec *goavro.Codec, id int, native map[string]any) []byte {
		body, err := codec.BinaryFromNative(nil, native)
		if err != nil {
			t.Fatal(err)
		}
		out := []byte{0, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(out[1:], uint32(id))
		return append(out, body...)
	}
	wire := func(native map[string]any) []byte { return wireOf(codec, sch.ID(), native) }
	base := func() map[string]any {
		return map[string]any{"id": "a-1", "cust": int64(42), "skipme": map[string]any{"a": []any{
			map[string]any{"z": nil, "q": []byte("abc")}, map[string]any{"z": goavro.Union("t.Inner2Fixed", []byte("xyz")), "q": []byte("def")}}},
			"i": int32(-7), "d": goavro.Union("double", 1.5), "f": goavro.Union("float", float32(-2.25)), "ok": true,
			"ts": time.UnixMilli(1_700_000_000_123), "bl": []byte{0, 1, 2}, "l": []any{"x", "", "ü"}, "s": []any{"b", "a", "b"},
			"m": map[string]any{"k1": "v1", "k2": ""}, "n": goavro.Union("string", "note"), "e": "Y"}
	}
	mapping := "cust=value.cust, id=value.id, i=value.i, d=value.d, f=value.f, ok=value.ok, ts=value.ts, bl=value.bl, l=value.l, s=value.s, m=value.m, n=value.n"
	writer := func(t *testing.T, mapping string, nullToUnset bool, table string) *tableWriter {
		ms, err := parseMapping(mapping)
		if err != nil {
			t.Fatal(err)
		}
		w, err := newTableWriter(context.Background(), s, &tableSettings{topic: "t", keyspace: "direct", table: table, mapping: ms, ttl: 3600,
			ttlUnit: time.Second, timestampUnit: time.Microsecond, deletesEnabled: true, nullToUnset: nullToUnset})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	variants := []struct {
		name   string
		change func(map[string]any)
	}{
		{"all set", func(map[string]any) {}},
		{"nulls", func(m map[string]any) { m["d"], m["f"], m["n"] = nil, nil, nil }},
		{"empty collections and strings", func(m map[string]any) {
			m["l"], m["s"], m["m"], m["bl"], m["id"] = []any{}, []any{}, map[string]any{}, []byte{}, ""
		}},
		{"extremes", func(m map[string]any) {
			m["cust"], m["i"], m["ts"] = int64(-1<<63), int32(1<<31-1), time.UnixMilli(-5)
		}},
		{"many elements", func(m map[string]any) {
			var l []any
			mm := map[string]any{}
			for i := range 300 {
				l = append(l, strings.Repeat("e", i))
				mm[fmt.Sprint("k", i)] = strings.Repeat("v", i%7)
			}
			m["l"], m["m"] = l, mm
		}},
	}
	// bothWays binds one record directly and through Connect data.
	bothWays := func(t *testing.T, w *tableWriter, topic string, raw []byte) op {
		t.Helper()
		task := &Task{lastStamp: map[connectors.TopicPartition]*int64{}, values: conv}
		ws, err := conv.WriterSchema(topic, raw)
		if err != nil {
			t.Fatal(err)
		}
		rec := connectors.SinkRecord{Topic: topic, Offset: 1, Timestamp: time.UnixMilli(1000), Raw: &connectors.RawRecord{Value: raw}, ValueWriter: ws}
		p := w.planFor(ws)
		if p == nil {
			t.Fatal("no direct plan for a schema of direct types")
		}
		direct, ok := w.bindDirect(task, p, &rec)
		if !ok {
			t.Fatal("record left the direct path")
		}
		gen := rec
		if gen.Value, err = conv.ToConnect(topic, raw); err != nil {
			t.Fatal(err)
		}
		general, err := w.bind(task, &gen, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		compareOps(t, w, direct, general)
		return direct
	}
	for _, nullToUnset := range []bool{true, false} {
		w := writer(t, mapping, nullToUnset, "t")
		for _, v := range variants {
			t.Run(fmt.Sprintf("%s/nullToUnset=%v", v.name, nullToUnset), func(t *testing.T) {
				native := base()
				v.change(native)
				bothWays(t, w, "t", wire(native))
			})
		}
	}

	// now() columns: a time UUID of its own on either path.
	for _, nullToUnset := range []bool{true, false} {
		w := writer(t, "cust=value.cust, id=value.id, n=value.n, tu=now(), u=now()", nullToUnset, "nowt")
		t.Run(fmt.Sprintf("now/nullToUnset=%v", nullToUnset), func(t *testing.T) {
			direct := bothWays(t, w, "t", wire(base()))
			if err := s.Query(direct.stmt, direct.args...).Exec(); err != nil {
				t.Fatal(err)
			}
			var tu, u gocql.UUID
			if err := s.Query("SELECT tu, u FROM direct.nowt WHERE cust = 42 AND id = 'a-1'").Scan(&tu, &u); err != nil {
				t.Fatal(err)
			}
			if tu.Version() != 1 || u.Version() != 1 || tu == u {
				t.Errorf("stored tu=%v u=%v, want two time UUIDs", tu, u)
			}
			// now() is no value of the record: with n null it is a delete,
			// which the general path decides.
			native := base()
			native["n"] = nil
			raw := wire(native)
			ws, _ := conv.WriterSchema("t", raw)
			rec := connectors.SinkRecord{Topic: "t", Raw: &connectors.RawRecord{Value: raw}, ValueWriter: ws}
			task := &Task{lastStamp: map[connectors.TopicPartition]*int64{}, values: conv}
			if _, ok := w.bindDirect(task, w.planFor(ws), &rec); ok {
				t.Error("a delete with a now() column stayed on the direct path")
			}
		})
	}

	// Numbers into wider types, keys included.
	widenBase := func() map[string]any {
		return map[string]any{"pi": int32(-3), "pl": int64(1_700_000_000_123), "pv": int64(-129), "iv": int32(255),
			"lv": goavro.Union("long", int64(-1)), "fd": float32(-2.25), "it": goavro.Union("int", int32(86_400_000)),
			"lt": goavro.Union("long", int64(-5)), "ib": goavro.Union("int", int32(-7))}
	}
	widenVariants := []struct {
		name   string
		change func(map[string]any)
	}{
		{"all set", func(map[string]any) {}},
		{"nulls", func(m map[string]any) { m["lv"], m["it"], m["lt"], m["ib"] = nil, nil, nil, nil }},
		{"zeros", func(m map[string]any) {
			m["pi"], m["pl"], m["pv"], m["iv"], m["fd"] = int32(0), int64(0), int64(0), int32(0), float32(0)
		}},
		{"extremes", func(m map[string]any) {
			m["pi"], m["pl"], m["pv"], m["iv"] = int32(math.MinInt32), int64(math.MaxInt64), int64(math.MinInt64), int32(math.MaxInt32)
			m["lv"], m["fd"] = goavro.Union("long", int64(math.MaxInt64)), float32(math.MaxFloat32)
			m["it"], m["lt"], m["ib"] = goavro.Union("int", int32(math.MinInt32)), goavro.Union("long", int64(math.MinInt64)), goavro.Union("int", int32(math.MaxInt32))
		}},
		{"odd floats", func(m map[string]any) { m["fd"] = float32(math.SmallestNonzeroFloat32) }},
		{"infinite float", func(m map[string]any) { m["fd"] = float32(math.Inf(-1)) }},
		{"NaN", func(m map[string]any) { m["fd"] = float32(math.NaN()) }},
	}
	widenMapping := "pi=value.pi, pl=value.pl, pv=value.pv, iv=value.iv, lv=value.lv, fd=value.fd, it=value.it, lt=value.lt, ib=value.ib"
	for _, nullToUnset := range []bool{true, false} {
		w := writer(t, widenMapping, nullToUnset, "widen")
		for _, v := range widenVariants {
			t.Run(fmt.Sprintf("widen/%s/nullToUnset=%v", v.name, nullToUnset), func(t *testing.T) {
				native := widenBase()
				v.change(native)
				direct := bothWays(t, w, "w", wireOf(wcodec, wsch.ID(), native))
				if v.name != "all set" {
					return
				}
				// What Cassandra stores: numbers into timestamps are epoch
				// milliseconds.
				if err := s.Query(direct.stmt, direct.args...).Exec(); err != nil {
					t.Fatal(err)
				}
				var it, lt time.Time
				var iv, lv int64
				var fd float64
				if err := s.Query("SELECT it, lt, iv, lv, fd FROM direct.widen WHERE pi = -3 AND pl = 1700000000123 AND pv = -129").Scan(&it, &lt, &iv, &lv, &fd); err != nil {
					t.Fatal(err)
				}
				if !it.Equal(time.UnixMilli(86_400_000)) || !lt.Equal(time.UnixMilli(-5)) || iv != 255 || lv != -1 || fd != -2.25 {
					t.Errorf("stored it=%v lt=%v iv=%d lv=%d fd=%v, want %v %v 255 -1 -2.25", it, lt, iv, lv, fd, time.UnixMilli(86_400_000), time.UnixMilli(-5))
				}
			})
		}
	}

	// Cases that must take the general path.
	t.Run("fallbacks", func(t *testing.T) {
		raw := wire(base())
		ws, _ := conv.WriterSchema("t", raw)
		task := &Task{lastStamp: map[connectors.TopicPartition]*int64{}, values: conv}
		if p := writer(t, "id=value.id, e=value.e", true, "k").planFor(ws); p != nil {
			t.Error("an enum column got a direct plan")
		}
		// A number into a timestamp is milliseconds only without codec
		// settings: with codec.unit=SECONDS the general path reads it.
		wraw := wireOf(wcodec, wsch.ID(), widenBase())
		wws, err := conv.WriterSchema("w", wraw)
		if err != nil {
			t.Fatal(err)
		}
		seconds := writer(t, widenMapping, true, "widen")
		seconds.ts.codec = defaultCodec()
		seconds.ts.codec.unit = time.Second
		if p := seconds.planFor(wws); p != nil {
			t.Error("a table with codec.unit=SECONDS got a direct plan")
		}
		nulls := base()
		nulls["d"], nulls["f"], nulls["n"] = nil, nil, nil
		w := writer(t, "cust=value.cust, id=value.id, ts=value.ts, d=value.d, f=value.f, n=value.n", true, "t")
		w.deletable = true // the delete rule: all mapped non-key columns null
		rraw := wire(nulls)
		rec := connectors.SinkRecord{Topic: "t", Raw: &connectors.RawRecord{Value: rraw}, ValueWriter: ws}
		if _, ok := w.bindDirect(task, w.planFor(ws), &rec); ok {
			t.Error("a delete stayed on the direct path")
		}
		full := writer(t, mapping, true, "t")
		corrupt := append(slices.Clone(raw[:len(raw)-3]), 0xff)
		rec = connectors.SinkRecord{Topic: "t", Raw: &connectors.RawRecord{Value: corrupt}, ValueWriter: ws}
		if _, ok := full.bindDirect(task, full.planFor(ws), &rec); ok {
			t.Error("a corrupt body stayed on the direct path")
		}
		if _, err := conv.ToConnect("t", corrupt); err == nil {
			t.Error("the converter reads the corrupt body")
		}
		// Put reports a value that does not decode as the converter's
		// failure, on a mapped topic and on one with no table, and a good
		// value on a topic with no table as a mapping failure.
		fc := &fakeCtx{}
		task.tc, task.byTopic = fc, map[string][]*tableWriter{"t": {full}}
		recs := []connectors.SinkRecord{
			{Topic: "t", Raw: &connectors.RawRecord{Value: corrupt}, ValueWriter: ws},
			{Topic: "other", Raw: &connectors.RawRecord{Value: corrupt}, ValueWriter: ws},
			{Topic: "other", Raw: &connectors.RawRecord{Value: raw}, ValueWriter: ws},
		}
		task.arena = newDirectArena(len(recs), len(full.cols))
		if err := task.Put(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		var conv *connectors.ConversionError
		if len(fc.errs) != 3 || !errors.As(fc.errs[0], &conv) || !errors.As(fc.errs[1], &conv) || errors.As(fc.errs[2], &conv) {
			t.Errorf("reported %v, want two conversion failures and a mapping failure", fc.errs)
		}
		trailing := append(slices.Clone(raw), 0)
		rec = connectors.SinkRecord{Topic: "t", Raw: &connectors.RawRecord{Value: trailing}, ValueWriter: ws}
		if _, ok := full.bindDirect(task, full.planFor(ws), &rec); ok {
			t.Error("trailing bytes stayed on the direct path")
		}
	})
}

// compareOps requires two binds of one record to write the same thing.
func compareOps(t *testing.T, w *tableWriter, direct, general op) {
	t.Helper()
	if direct.stmt != general.stmt || direct.pk != general.pk || direct.part != general.part || direct.size != general.size {
		t.Fatalf("direct op %q pk %q part %q size %d, general %q pk %q part %q size %d",
			direct.stmt, direct.pk, direct.part, direct.size, general.stmt, general.pk, general.part, general.size)
	}
	if len(direct.args) != len(general.args) {
		t.Fatalf("direct binds %d values, general %d", len(direct.args), len(general.args))
	}
	n := len(w.cols)
	types := make([]gocql.TypeInfo, 0, n+2)
	for _, c := range w.cols {
		types = append(types, c.meta.Type)
	}
	types = append(types, gocql.NewNativeType(4, gocql.TypeInt, ""), gocql.NewNativeType(4, gocql.TypeBigInt, ""))
	for i := range direct.args {
		if i == n+1 {
			continue // the write timestamp: each bind takes the next one
		}
		name := "ttl"
		if i < n {
			name = w.cols[i].meta.Name
		}
		if i < n && w.cols[i].mapping.src == fromNow {
			// A new time UUID on each path: both of the moment of the bind.
			var du, gu gocql.UUID
			if err := gocql.Unmarshal(types[i], mustMarshal(t, types[i], direct.args[i]), &du); err != nil {
				t.Fatalf("column %s: direct: %v", name, err)
			}
			if err := gocql.Unmarshal(types[i], mustMarshal(t, types[i], general.args[i]), &gu); err != nil {
				t.Fatalf("column %s: general: %v", name, err)
			}
			if du.Version() != 1 || gu.Version() != 1 || du == gu || time.Since(du.Time()) > time.Minute || time.Since(gu.Time()) > time.Minute {
				t.Errorf("column %s: direct %v, general %v; want two recent time UUIDs", name, du, gu)
			}
			continue
		}
		du, gu := direct.args[i] == gocql.UnsetValue, general.args[i] == gocql.UnsetValue
		if du || gu {
			if du != gu {
				t.Errorf("column %s: direct unset %v, general unset %v", name, du, gu)
			}
			continue
		}
		db, err := gocql.Marshal(types[i], direct.args[i])
		if err != nil {
			t.Fatalf("column %s: direct: %v", name, err)
		}
		gb, err := gocql.Marshal(types[i], general.args[i])
		if err != nil {
			t.Fatalf("column %s: general: %v", name, err)
		}
		if (db == nil) != (gb == nil) {
			t.Errorf("column %s: direct null %v, general null %v", name, db == nil, gb == nil)
		}
		if types[i].Type() == gocql.TypeMap {
			db, gb = sortedMapEntries(t, db), sortedMapEntries(t, gb)
		}
		if !bytes.Equal(db, gb) {
			t.Errorf("column %s: direct %x, general %x", name, db, gb)
		}
	}
}

func mustMarshal(t *testing.T, typ gocql.TypeInfo, v any) []byte {
	t.Helper()
	b, err := gocql.Marshal(typ, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sortedMapEntries rewrites an encoded map with its entries in key order,
// as Cassandra stores them.
func sortedMapEntries(t *testing.T, b []byte) []byte {
	if len(b) < 4 {
		return b
	}
	n := int(binary.BigEndian.Uint32(b))
	rest := b[4:]
	var entries [][]byte
	for range n {
		start := rest
		size := 0
		for range 2 {
			l := int(binary.BigEndian.Uint32(rest))
			rest = rest[4+l:]
			size += 4 + l
		}
		entries = append(entries, start[:size])
	}
	slices.SortFunc(entries, bytes.Compare)
	return append(b[:4:4], bytes.Join(entries, nil)...)
}
