//go:build integration

package cassandra

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/connectors"
)

// TestIntegrationNowFunction: as in the DataStax connector, now() writes a
// time-based UUID of the moment of the write into uuid and timeuuid
// columns, a new one for each column of each record; with a TTL, a mapped
// write time, batches of one partition, custom queries and deletes. Into a
// column of another type it fails the record, as DataStax finds no codec.
func TestIntegrationNowFunction(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s,
		"CREATE TABLE KS.t (p int, c int, v text, tu timeuuid, tu2 timeuuid, u uuid, ts timestamp, PRIMARY KEY (p, c))",
		"CREATE TABLE KS.k (id timeuuid PRIMARY KEY, v text)",
		"CREATE TABLE KS.d (p int, c int, v text, tu timeuuid, PRIMARY KEY (p, c))")
	tc := &fakeCtx{}
	task := startTask(t, map[string]string{
		"topic.now." + ks + ".t.mapping":          "p=value.p, c=value.c, v=value.v, tu=now(), tu2=now(), u=now(), __timestamp=value.wt",
		"topic.now." + ks + ".t.ttl":              "600",
		"topic.query." + ks + ".t.mapping":        "p=value.p, c=value.c, v=value.v, tu=now()",
		"topic.query." + ks + ".t.query":          "INSERT INTO " + ks + ".t (p, c, v, tu) VALUES (:p, :c, :v, :tu)",
		"topic.query." + ks + ".t.deletesEnabled": "false",
		"topic.del." + ks + ".d.mapping":          "p=value.p, c=value.c, v=value.v, tu=now()",
		"topic.ts." + ks + ".t.mapping":           "p=value.p, c=value.c, v=value.v, ts=now()",
		"topic.key." + ks + ".k.mapping":          "id=now(), v=value.v",
	}, tc)
	if err := s.Query("INSERT INTO " + ks + ".t (p, c, v) VALUES (3, 1, 'old')").Exec(); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second)
	wt := time.Now().Add(-time.Hour).UnixMicro()
	var recs []connectors.SinkRecord
	// Five rows of one partition: one batch.
	for c := range 5 {
		recs = append(recs, jsonRec("now", int64(c), time.Now(), map[string]any{"p": int64(1), "c": int64(c), "v": fmt.Sprint("v", c), "wt": wt}))
	}
	recs = append(recs,
		jsonRec("query", 10, time.Now(), map[string]any{"p": int64(2), "c": int64(0), "v": "q"}),
		jsonRec("del", 11, time.Now(), map[string]any{"p": int64(3), "c": int64(1), "v": nil}),
		jsonRec("ts", 12, time.Now(), map[string]any{"p": int64(4), "c": int64(0), "v": "ts"}),
		jsonRec("key", 13, time.Now(), map[string]any{"v": "k1"}),
		jsonRec("key", 14, time.Now(), map[string]any{"v": "k2"}),
	)
	if err := task.Put(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	after := time.Now().Add(time.Second)

	// Only the timestamp column failed, with DataStax's message and class.
	if len(tc.errs) != 1 {
		t.Fatalf("failures %v, want one (now() into a timestamp column)", tc.errs)
	}
	var re *RecordError
	if !errors.As(tc.errs[0], &re) || re.Offset != 12 || re.Column != "ts" ||
		re.Err.Error() != "Codec not found for requested operation: [TIMESTAMP <-> java.util.UUID]" || re.ExceptionClass() != classCodecNotFound {
		t.Errorf("failure %v, want offset 12, column ts, no codec for a UUID into a timestamp", tc.errs[0])
	}

	inRange := func(what string, u gocql.UUID) {
		t.Helper()
		if u.Version() != 1 || u.Time().Before(before) || u.Time().After(after) {
			t.Errorf("%s = %v (version %d, time %v), want a time UUID between %v and %v", what, u, u.Version(), u.Time(), before, after)
		}
	}
	seen := map[gocql.UUID]bool{}
	for c := range 5 {
		var tu, tu2, u gocql.UUID
		var v string
		var ttl int
		var w int64
		if err := s.Query("SELECT v, tu, tu2, u, ttl(tu), writetime(tu) FROM "+ks+".t WHERE p = 1 AND c = ?", c).Scan(&v, &tu, &tu2, &u, &ttl, &w); err != nil {
			t.Fatalf("row 1/%d: %v", c, err)
		}
		inRange("tu", tu)
		inRange("tu2", tu2)
		inRange("u", u)
		for _, x := range []gocql.UUID{tu, tu2, u} {
			if seen[x] {
				t.Errorf("row 1/%d: now() value %v written twice", c, x)
			}
			seen[x] = true
		}
		if v != fmt.Sprint("v", c) || ttl < 590 || ttl > 600 || w != wt {
			t.Errorf("row 1/%d: v=%q ttl=%d writetime=%d, want v%d, ttl 600, writetime %d", c, v, ttl, w, c, wt)
		}
	}
	var tu gocql.UUID
	if err := s.Query("SELECT tu FROM " + ks + ".t WHERE p = 2 AND c = 0").Scan(&tu); err != nil {
		t.Fatalf("custom query row: %v", err)
	}
	inRange("tu of the custom query", tu)
	if err := s.Query("SELECT v FROM " + ks + ".d WHERE p = 3 AND c = 1").Scan(new(string)); !errors.Is(err, gocql.ErrNotFound) {
		t.Errorf("row of the all-null record: %v, want deleted", err)
	}
	if err := s.Query("SELECT v FROM " + ks + ".t WHERE p = 4 AND c = 0").Scan(new(string)); !errors.Is(err, gocql.ErrNotFound) {
		t.Errorf("row of the failed record: %v, want none", err)
	}
	// now() as the primary key: each record its own row.
	var n int
	if err := s.Query("SELECT count(*) FROM " + ks + ".k").Scan(&n); err != nil || n != 2 {
		t.Errorf("rows keyed by now(): %d (%v), want 2", n, err)
	}
}
