//go:build integration

package cassandra

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
)

// selectJSON reads one row as Cassandra's JSON, decoded, or nil when absent.
func selectJSON(t *testing.T, s *gocql.Session, q string, args ...any) map[string]any {
	t.Helper()
	var js string
	if err := s.Query(q, args...).Scan(&js); err != nil {
		if errors.Is(err, gocql.ErrNotFound) {
			return nil
		}
		t.Fatalf("%s: %v", q, err)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		t.Fatalf("decoding %s: %v", js, err)
	}
	return out
}

func asJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	return out
}

// TestIntegrationCassandraTuples writes tuple columns (in the primary key,
// nested in a tuple, in a list, in a UDT) from JSON arrays and from a
// Struct, null tuples with and without nullToUnset, and deletes by a tuple
// key, reading every row back.
func TestIntegrationCassandraTuples(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s,
		"CREATE TYPE KS.pt (label text, loc frozen<tuple<double, double>>)",
		"CREATE TABLE KS.tup (k frozen<tuple<text, int>>, c int, t tuple<int, text>, nested tuple<int, frozen<tuple<text, bigint>>>, "+
			"lt list<frozen<tuple<int, text>>>, ut frozen<pt>, PRIMARY KEY ((k), c))")
	full := "k=value.k, c=value.c, t=value.t, nested=value.nested, lt=value.lt, ut=value.ut"
	tc := &fakeCtx{}
	task := startTask(t, map[string]string{
		"topic.full." + ks + ".tup.mapping":       full,
		"topic.st." + ks + ".tup.mapping":         "k=value.k, c=value.c, t=value.t",
		"topic.unset." + ks + ".tup.mapping":      "k=value.k, c=value.c, t=value.t, nested=value.nested",
		"topic.null." + ks + ".tup.mapping":       "k=value.k, c=value.c, t=value.t",
		"topic.null." + ks + ".tup.nullToUnset":   "false",
		"topic.del." + ks + ".tup.mapping":        "k=key.k, c=key.c, t=value.t, nested=value.nested, lt=value.lt, ut=value.ut", // deletes need every column mapped
		"topic.del." + ks + ".tup.deletesEnabled": "true",
	}, tc)
	ctx := context.Background()
	put := func(recs ...connectors.SinkRecord) {
		t.Helper()
		if err := task.Put(ctx, recs); err != nil || len(tc.errs) > 0 {
			t.Fatal(err, tc.errs)
		}
	}
	now := time.Now()
	row := func(c int) map[string]any {
		return map[string]any{"k": []any{"a", int64(1)}, "c": int64(c), "t": []any{int64(5), "five"}, "nested": []any{int64(1), []any{"x", int64(9)}},
			"lt": []any{[]any{int64(1), "a"}, []any{int64(2), nil}}, "ut": map[string]any{"label": "p", "loc": []any{1.5, 2.5}}}
	}
	for c := 1; c <= 4; c++ {
		put(jsonRec("full", int64(c), now, row(c)))
	}
	get := func(c int) map[string]any {
		return selectJSON(t, s, "SELECT JSON t, nested, lt, ut FROM "+ks+".tup WHERE k = ('a', 1) AND c = ?", c)
	}
	want := asJSON(t, `{"t": [5, "five"], "nested": [1, ["x", 9]], "lt": [[1, "a"], [2, null]], "ut": {"label": "p", "loc": [1.5, 2.5]}}`)
	if got := get(1); !reflect.DeepEqual(got, want) {
		t.Fatalf("row 1 = %v, want %v", got, want)
	}

	// A Struct becomes a tuple too (fields in order).
	pair := schemas.NewStruct("Pair", false, schemas.Field{Name: "n", Schema: schemas.Int32Schema}, schemas.Field{Name: "s", Schema: schemas.OptionalStringSchema})
	pv := schemas.NewStructValue(pair)
	pv.Values = []any{int32(7), nil}
	put(jsonRec("st", 1, now.Add(time.Millisecond), map[string]any{"k": []any{"a", int64(1)}, "c": int64(1), "t": pv}))
	if got := get(1)["t"]; !reflect.DeepEqual(got, []any{7.0, nil}) {
		t.Errorf("t from a Struct = %v, want [7 <nil>]", got)
	}

	// A null tuple: left as it was with nullToUnset, null without.
	put(jsonRec("unset", 1, now.Add(time.Millisecond), map[string]any{"k": []any{"a", int64(1)}, "c": int64(2), "t": nil, "nested": []any{int64(2), []any{"y", int64(8)}}}))
	if got := get(2); !reflect.DeepEqual(got["t"], want["t"]) || !reflect.DeepEqual(got["nested"], []any{2.0, []any{"y", 8.0}}) {
		t.Errorf("row 2 after a null tuple with nullToUnset = %v", got)
	}
	put(jsonRec("null", 1, now.Add(time.Millisecond), map[string]any{"k": []any{"a", int64(1)}, "c": int64(3), "t": nil}))
	if got := get(3); got["t"] != nil {
		t.Errorf("t after a null tuple without nullToUnset = %v, want null", got["t"])
	}

	// A tombstone deletes by a tuple primary key.
	del := connectors.SinkRecord{Topic: "del", Offset: 1, Timestamp: now.Add(time.Millisecond), Key: schemas.SchemaAndValue{Value: map[string]any{"k": []any{"a", int64(1)}, "c": int64(4)}}}
	put(del)
	if got := get(4); got != nil {
		t.Errorf("row 4 after a tombstone = %v, want deleted", got)
	}
}
