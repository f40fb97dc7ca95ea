//go:build integration

package cassandra

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
)

// TestIntegrationCassandraSameKeyWritesMerge: writes of one key in one put
// end as if each record had been written on its own, in order (as the
// DataStax connector writes them): a column a later record leaves unset
// keeps the earlier value with its write time and TTL, a delete hides the
// writes before it and the writes after it start from it.
func TestIntegrationCassandraSameKeyWritesMerge(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s, "CREATE TABLE KS.t (id int PRIMARY KEY, b bigint, tx text, n int)")
	task := startTask(t, map[string]string{
		"topic.m." + ks + ".t.mapping": "id=value.id, b=value.b, tx=value.tx, n=value.n, __ttl=value.ttl",
		"topic.d." + ks + ".t.mapping": "id=value.id, b=value.b, tx=value.tx, n=value.n", // deletes: no __ttl (see deletable)
	}, &fakeCtx{})
	at := time.Now().Truncate(time.Millisecond)
	row := func(id int, b, tx, n, ttl any) map[string]any {
		return map[string]any{"id": int64(id), "b": b, "tx": tx, "n": n, "ttl": ttl}
	}
	recs := []connectors.SinkRecord{
		jsonRec("m", 0, at, row(6, int64(6000000042), "first", int64(1), int64(1000))),
		jsonRec("m", 1, at, row(6, nil, "updated", int64(2), int64(2000))),
		jsonRec("d", 2, at, row(7, int64(1), "x", int64(1), int64(0))),
		jsonRec("d", 3, at, row(7, nil, nil, nil, nil)), // every column (and the TTL) null: a delete
		jsonRec("d", 4, at, row(7, nil, "after", nil, int64(0))),
	}
	if err := task.Put(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	var b int64
	var tx string
	var wb, wtx int64
	var tb, ttx int
	q := "SELECT b, tx, writetime(b), writetime(tx), ttl(b), ttl(tx) FROM " + ks + ".t WHERE id = 6"
	if err := s.Query(q).Scan(&b, &tx, &wb, &wtx, &tb, &ttx); err != nil {
		t.Fatal(err)
	}
	us := at.UnixMilli() * 1000
	if b != 6000000042 || tx != "updated" {
		t.Errorf("b = %d, tx = %q; want 6000000042 (kept from the first record), updated", b, tx)
	}
	if wb != us || wtx != us+1 {
		t.Errorf("writetime(b) = %d, writetime(tx) = %d; want %d (first record) and %d (second)", wb, wtx, us, us+1)
	}
	if tb <= 0 || tb > 1000 || ttx <= 1000 || ttx > 2000 {
		t.Errorf("ttl(b) = %d, ttl(tx) = %d; want the first record's 1000 and the second's 2000", tb, ttx)
	}
	var b7 *int64
	var n7 *int
	if err := s.Query("SELECT b, tx, n FROM "+ks+".t WHERE id = 7").Scan(&b7, &tx, &n7); err != nil {
		t.Fatal(err)
	}
	if b7 != nil || n7 != nil || tx != "after" {
		t.Errorf("after a delete and an update: b = %v, tx = %q, n = %v; want null, after, null", b7, tx, n7)
	}
	if err := s.Query("SELECT id FROM " + ks + ".t WHERE id = 8").Scan(new(int)); !errors.Is(err, gocql.ErrNotFound) {
		t.Errorf("id 8: %v", err)
	}
}

// TestIntegrationCassandraBadRecordInABatch: a record Cassandra refuses
// fails alone, with its own error; the records batched with it (here ten
// partitions share batches) are written.
func TestIntegrationCassandraBadRecordInABatch(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s, "CREATE TABLE KS.t (p text, c int, v text, PRIMARY KEY ((p), c))")
	tc := &fakeCtx{}
	task := startTask(t, map[string]string{"topic.b." + ks + ".t.mapping": "p=value.p, c=value.c, v=value.v", "crossPartitionBatching": "true"}, tc)
	for _, bad := range []struct {
		name string
		p, v string
		want string
	}{
		{"invalid UTF-8", "p3", "bad \xff\xfe", "String didn't validate"},
		{"empty partition key", "", "fine", "Key may not be empty"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			_ = s.Query("TRUNCATE " + ks + ".t").Exec()
			tc.reported, tc.errs = nil, nil
			var recs []connectors.SinkRecord
			for i := range 30 {
				v := map[string]any{"p": fmt.Sprintf("p%d", i%10), "c": int64(i), "v": fmt.Sprintf("v%d", i)}
				if i == 13 {
					v["p"], v["v"] = bad.p, bad.v
				}
				recs = append(recs, jsonRec("b", int64(i), time.Now(), v))
			}
			if err := task.Put(context.Background(), recs); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := s.Query("SELECT count(*) FROM " + ks + ".t").Scan(&n); err != nil || n != 29 {
				t.Errorf("rows = %d (%v), want 29", n, err)
			}
			if len(tc.reported) != 1 || tc.reported[0].Offset != 13 {
				t.Fatalf("reported %d records (%v), want offset 13 only", len(tc.reported), tc.errs)
			}
			var re *RecordError
			if !errors.As(tc.errs[0], &re) || re.Offset != 13 || !strings.Contains(tc.errs[0].Error(), bad.want) {
				t.Errorf("error = %v, want record 13's own (%s)", tc.errs[0], bad.want)
			}
			if c := re.ExceptionClass(); c != "com.datastax.oss.driver.api.core.servererrors.InvalidQueryException" {
				t.Errorf("exception class %s, want the Java driver's InvalidQueryException", c)
			}
		})
	}
}

// TestIntegrationCassandraMappingLikeDataStax: the cases where the DataStax
// connector's mapping rules decide what is written or which error a record
// fails with, on one table mapped in full (so deletes are enabled).
func TestIntegrationCassandraMappingLikeDataStax(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s, "CREATE TABLE KS.t (id int PRIMARY KEY, v text, h text)")
	const classConfig, classArgument = "com.datastax.oss.common.sink.ConfigException", "java.lang.IllegalArgumentException"
	type want struct {
		v, h    *string // the row after the record, nil: no row
		err     string  // the record's error, "" none
		class   string
		ignored bool // the failure is skipped (ignoreErrors), not reported
	}
	cases := []struct {
		name     string
		settings map[string]string // of the table, or (with a dot) global
		rec      connectors.SinkRecord
		want     want
	}{
		{name: "a tombstone with a mapped header upserts the header column",
			rec:  connectors.SinkRecord{Key: schemas.SchemaAndValue{Value: int64(0)}, Headers: []schemas.Header{{Key: "h", Value: "new"}}},
			want: want{v: ptr("old"), h: ptr("new")}},
		{name: "a tombstone lacking the mapped header fails",
			rec: connectors.SinkRecord{Key: schemas.SchemaAndValue{Value: int64(0)}},
			want: want{v: ptr("old"), h: ptr("oldh"), class: classConfig,
				err: "Required field 'header.h' (mapped to column h) was missing from record (or may refer to an invalid function). Please remove it from the mapping."}},
		{name: "every non-key column null deletes",
			rec:  connectors.SinkRecord{Key: schemas.SchemaAndValue{Value: int64(0)}, Value: schemas.SchemaAndValue{Value: map[string]any{"v": nil}}, Headers: []schemas.Header{{Key: "h", Value: nil}}},
			want: want{}},
		{name: "now() does not keep an all-null record from deleting", settings: map[string]string{"mapping": "id=key, v=value.v, h=now()"},
			rec: connectors.SinkRecord{Key: schemas.SchemaAndValue{Value: int64(0)}, Value: schemas.SchemaAndValue{Value: map[string]any{"v": nil}}}, want: want{}},
		{name: "a mapping of every column and a TTL never deletes", settings: map[string]string{"mapping": "id=key, v=value.v, h=header.h, __ttl=value.ttl"},
			rec: connectors.SinkRecord{Key: schemas.SchemaAndValue{Value: int64(0)}, Value: schemas.SchemaAndValue{Value: map[string]any{"v": nil, "ttl": nil}}, Headers: []schemas.Header{{Key: "h", Value: nil}}},
			// Not a delete, so the null TTL fails it.
			want: want{v: ptr("old"), h: ptr("oldh"), class: classArgument, err: "The value: null for field: value.ttl used as a TTL is not a Number but should be."}},
		{name: "a mapped field missing from the record fails it",
			rec: connectors.SinkRecord{Key: schemas.SchemaAndValue{Value: int64(0)}, Value: schemas.SchemaAndValue{Value: map[string]any{"x": "y"}}, Headers: []schemas.Header{{Key: "h", Value: "new"}}},
			want: want{v: ptr("old"), h: ptr("oldh"), class: classConfig,
				err: "Required field 'value.v' (mapped to column v) was missing from record (or may refer to an invalid function). Please remove it from the mapping."}},
		{name: "a null TTL fails the record", settings: map[string]string{"mapping": "id=key, v=value.v, __ttl=value.ttl"},
			rec:  connectors.SinkRecord{Key: schemas.SchemaAndValue{Value: int64(0)}, Value: schemas.SchemaAndValue{Value: map[string]any{"v": "new", "ttl": nil}}},
			want: want{v: ptr("old"), h: ptr("oldh"), class: classArgument, err: "The value: null for field: value.ttl used as a TTL is not a Number but should be."}},
		{name: "ignoreErrors=Driver does not skip a mapping failure", settings: map[string]string{"mapping": "id=key, v=value.v, __ttl=value.ttl", ".ignoreErrors": "Driver"},
			rec:  connectors.SinkRecord{Key: schemas.SchemaAndValue{Value: int64(0)}, Value: schemas.SchemaAndValue{Value: map[string]any{"v": "new", "ttl": nil}}},
			want: want{v: ptr("old"), h: ptr("oldh"), class: classArgument, err: "The value: null for field: value.ttl used as a TTL is not a Number but should be."}},
		{name: "ignoreErrors=true is Driver", settings: map[string]string{"mapping": "id=key, v=value.v, __ttl=value.ttl", ".ignoreErrors": "true"},
			rec:  connectors.SinkRecord{Key: schemas.SchemaAndValue{Value: int64(0)}, Value: schemas.SchemaAndValue{Value: map[string]any{"v": "new", "ttl": nil}}},
			want: want{v: ptr("old"), h: ptr("oldh"), class: classArgument, err: "The value: null for field: value.ttl used as a TTL is not a Number but should be."}},
		{name: "ignoreErrors=All skips a mapping failure", settings: map[string]string{"mapping": "id=key, v=value.v, __ttl=value.ttl", ".ignoreErrors": "All"},
			rec:  connectors.SinkRecord{Key: schemas.SchemaAndValue{Value: int64(0)}, Value: schemas.SchemaAndValue{Value: map[string]any{"v": "new", "ttl": nil}}},
			want: want{v: ptr("old"), h: ptr("oldh"), ignored: true}},
		{name: "JSON text in a string key and value is mapped", settings: map[string]string{"mapping": "id=key.id, v=value.v, h=value"},
			rec: connectors.SinkRecord{Key: schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: `{"id": 0}`},
				Value: schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: `{"v": "from json"}`}},
			want: want{v: ptr("from json"), h: ptr(`{"v": "from json"}`)}},
		{name: "a JSON object into a text column is its JSON", settings: map[string]string{"mapping": "id=key, v=value.v, h=value.h"},
			rec:  connectors.SinkRecord{Key: schemas.SchemaAndValue{Value: int64(0)}, Value: schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: `{"v": {"a": 1.50}, "h": [1, "x"]}`}},
			want: want{v: ptr(`{"a":1.50}`), h: ptr(`[1,"x"]`)}},
		{name: "a text that is not a JSON object leaves value fields unset", settings: map[string]string{"mapping": "id=key, v=value.v, h=value"},
			rec:  connectors.SinkRecord{Key: schemas.SchemaAndValue{Value: int64(0)}, Value: schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: "plain"}},
			want: want{v: ptr("old"), h: ptr("plain")}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := map[string]string{}
			tbl := map[string]string{"mapping": "id=key, v=value.v, h=header.h"}
			for k, v := range c.settings {
				if strings.HasPrefix(k, ".") {
					cfg[k[1:]] = v
				} else {
					tbl[k] = v
				}
			}
			topic := fmt.Sprintf("m%d", i)
			for k, v := range tbl {
				cfg["topic."+topic+"."+ks+".t."+k] = v
			}
			tc := &fakeCtx{}
			task := startTask(t, cfg, tc)
			if err := s.Query("INSERT INTO "+ks+".t (id, v, h) VALUES (?, 'old', 'oldh') USING TIMESTAMP ?", i, time.Now().Add(-time.Minute).UnixMicro()).Exec(); err != nil {
				t.Fatal(err)
			}
			// Each case has its own row: the key is the case's number.
			rec := c.rec
			rec.Topic, rec.Offset, rec.Timestamp = topic, 1, time.Now()
			switch k := rec.Key.Value.(type) {
			case int64:
				rec.Key.Value = int64(i)
			case string:
				rec.Key.Value = strings.Replace(k, "0", fmt.Sprint(i), 1)
			}
			if err := task.Put(context.Background(), []connectors.SinkRecord{rec}); err != nil {
				t.Fatal(err)
			}
			switch {
			case c.want.err == "" && len(tc.errs) > 0:
				t.Errorf("record failed: %v", tc.errs[0])
			case c.want.err != "" && len(tc.errs) != 1:
				t.Errorf("%d failures, want one: %s", len(tc.errs), c.want.err)
			case c.want.err != "":
				var re *RecordError
				if !errors.As(tc.errs[0], &re) || !errors.Is(tc.errs[0], re.Err) || re.Err.Error() != c.want.err || re.ExceptionClass() != c.want.class {
					t.Errorf("failure %v (%s), want %q (%s)", tc.errs[0], re.ExceptionClass(), c.want.err, c.want.class)
				}
			}
			if c.want.ignored && (len(tc.errs) > 0 || task.Failed.Load() != 1) {
				t.Errorf("failures reported %v, counted %d; want one skipped", tc.errs, task.Failed.Load())
			}
			var v, h *string
			err := s.Query("SELECT v, h FROM "+ks+".t WHERE id = ?", i).Scan(&v, &h)
			if c.want.v == nil {
				if !errors.Is(err, gocql.ErrNotFound) {
					t.Errorf("row v=%v h=%v (%v), want deleted", deref(v), deref(h), err)
				}
				return
			}
			if err != nil || deref(v) != *c.want.v || deref(h) != *c.want.h {
				t.Errorf("row v=%q h=%q (%v), want v=%q h=%q", deref(v), deref(h), err, *c.want.v, *c.want.h)
			}
		})
	}
}

// TestIntegrationCassandraTTLLikeDataStax: with no TTL configured the
// table's default_time_to_live applies (DataStax's statement then has no
// TTL), a negative __ttl means none, and a fractional one is cut.
func TestIntegrationCassandraTTLLikeDataStax(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s, "CREATE TABLE KS.t (id int PRIMARY KEY, v text) WITH default_time_to_live = 1000")
	task := startTask(t, map[string]string{
		"topic.none." + ks + ".t.mapping":   "id=value.id, v=value.v",
		"topic.mapped." + ks + ".t.mapping": "id=value.id, v=value.v, __ttl=value.ttl",
	}, &fakeCtx{})
	recs := []connectors.SinkRecord{
		jsonRec("none", 1, time.Now(), map[string]any{"id": int64(1), "v": "a"}),
		jsonRec("mapped", 1, time.Now(), map[string]any{"id": int64(2), "v": "b", "ttl": int64(-5)}),
		jsonRec("mapped", 2, time.Now(), map[string]any{"id": int64(3), "v": "c", "ttl": 500.9}),
	}
	if err := task.Put(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id       int
		min, max int // TTL(v) range; 0 0: none
	}{{1, 990, 1000}, {2, 0, 0}, {3, 490, 500}} {
		var ttl *int
		if err := s.Query("SELECT ttl(v) FROM "+ks+".t WHERE id = ?", c.id).Scan(&ttl); err != nil {
			t.Fatal(err)
		}
		got := 0
		if ttl != nil {
			got = *ttl
		}
		if got < c.min || got > c.max {
			t.Errorf("id %d: ttl %v, want %d..%d", c.id, got, c.min, c.max)
		}
	}
}

// TestIntegrationCassandraCounterTombstone: as with the DataStax connector,
// a null value deletes the row of a counter table mapped in full.
func TestIntegrationCassandraCounterTombstone(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s, "CREATE TABLE KS.c (k text PRIMARY KEY, n counter)")
	tc := &fakeCtx{}
	task := startTask(t, map[string]string{"topic.c." + ks + ".c.mapping": "k=key, n=value.n"}, tc)
	inc := connectors.SinkRecord{Topic: "c", Offset: 1, Timestamp: time.Now(), Key: schemas.SchemaAndValue{Value: "a"}, Value: schemas.SchemaAndValue{Value: map[string]any{"n": int64(2)}}}
	if err := task.Put(context.Background(), []connectors.SinkRecord{inc}); err != nil || len(tc.errs) > 0 {
		t.Fatal(err, tc.errs)
	}
	del := connectors.SinkRecord{Topic: "c", Offset: 2, Timestamp: time.Now(), Key: schemas.SchemaAndValue{Value: "a"}}
	if err := task.Put(context.Background(), []connectors.SinkRecord{del}); err != nil || len(tc.errs) > 0 {
		t.Fatal(err, tc.errs)
	}
	if err := s.Query("SELECT n FROM " + ks + ".c WHERE k = 'a'").Scan(new(int64)); !errors.Is(err, gocql.ErrNotFound) {
		t.Errorf("counter row after a tombstone: %v, want deleted", err)
	}
}
