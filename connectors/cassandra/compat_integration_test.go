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
)

// TestIntegrationCassandraSameKeyWritesMerge: writes of one key in one put
// end as if each record had been written on its own, in order (as the
// DataStax connector writes them): a column a later record leaves unset
// keeps the earlier value with its write time and TTL, a delete hides the
// writes before it and the writes after it start from it.
func TestIntegrationCassandraSameKeyWritesMerge(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s, "CREATE TABLE KS.t (id int PRIMARY KEY, b bigint, tx text, n int)")
	task := startTask(t, map[string]string{"topic.m." + ks + ".t.mapping": "id=value.id, b=value.b, tx=value.tx, n=value.n, __ttl=value.ttl"}, &fakeCtx{})
	at := time.Now().Truncate(time.Millisecond)
	row := func(id int, b, tx, n any, ttl int) map[string]any {
		return map[string]any{"id": int64(id), "b": b, "tx": tx, "n": n, "ttl": int64(ttl)}
	}
	recs := []connectors.SinkRecord{
		jsonRec("m", 0, at, row(6, int64(6000000042), "first", int64(1), 1000)),
		jsonRec("m", 1, at, row(6, nil, "updated", int64(2), 2000)),
		jsonRec("m", 2, at, row(7, int64(1), "x", int64(1), 0)),
		jsonRec("m", 3, at, row(7, nil, nil, nil, 0)), // every column null: a delete
		jsonRec("m", 4, at, row(7, nil, "after", nil, 0)),
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
		})
	}
}
