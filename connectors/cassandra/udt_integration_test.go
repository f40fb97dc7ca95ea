//go:build integration

package cassandra

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
)

// TestIntegrationCassandraUDTsInCollections writes UDTs nested in lists,
// sets and maps, a UDT inside a UDT and a non-frozen UDT column, from Connect
// Structs (Avro, JSON with schema) and from schemaless JSON maps, and reads
// them back.
func TestIntegrationCassandraUDTsInCollections(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s,
		"CREATE TYPE KS.addr (street text, zip int)",
		"CREATE TYPE KS.person (name text, home frozen<addr>, tags list<text>)",
		"CREATE TABLE KS.u (k text PRIMARY KEY, addrs list<frozen<addr>>, by_kind map<text, frozen<addr>>, uniq set<frozen<addr>>, "+
			"people list<frozen<person>>, owner frozen<person>, loose addr)")
	mapping := "k=key, addrs=value.addrs, by_kind=value.by_kind, uniq=value.uniq, people=value.people, owner=value.owner, loose=value.loose"
	tc := &fakeCtx{}
	task := startTask(t, map[string]string{"topic.u." + ks + ".u.mapping": mapping}, tc)

	addr := schemas.NewStruct("Addr", false, schemas.Field{Name: "street", Schema: schemas.StringSchema}, schemas.Field{Name: "zip", Schema: schemas.Int32Schema})
	person := schemas.NewStruct("Person", false, schemas.Field{Name: "name", Schema: schemas.StringSchema}, schemas.Field{Name: "home", Schema: addr},
		schemas.Field{Name: "tags", Schema: schemas.NewArray(schemas.StringSchema, false)})
	val := schemas.NewStruct("Val", false,
		schemas.Field{Name: "addrs", Schema: schemas.NewArray(addr, false)},
		schemas.Field{Name: "by_kind", Schema: schemas.NewMap(schemas.StringSchema, addr, false)},
		schemas.Field{Name: "uniq", Schema: schemas.NewArray(addr, false)},
		schemas.Field{Name: "people", Schema: schemas.NewArray(person, false)},
		schemas.Field{Name: "owner", Schema: person},
		schemas.Field{Name: "loose", Schema: addr})
	a := func(street string, zip int32) *schemas.Struct {
		st := schemas.NewStructValue(addr)
		st.Values = []any{street, zip}
		return st
	}
	p := func(name string, home *schemas.Struct, tags ...any) *schemas.Struct {
		st := schemas.NewStructValue(person)
		st.Values = []any{name, home, tags}
		return st
	}
	v := schemas.NewStructValue(val)
	v.Values = []any{
		[]any{a("One St", 1), a("Two St", 2)},
		map[string]any{"home": a("Home St", 3), "work": a("Work St", 4)},
		[]any{a("Same St", 5), a("Same St", 5)},
		[]any{p("ann", a("Ann St", 6), "x", "y")},
		p("bob", a("Bob St", 7)),
		a("Loose St", 8),
	}
	now := time.Now()
	structRec := connectors.SinkRecord{Topic: "u", Offset: 1, Timestamp: now, Key: schemas.SchemaAndValue{Value: "struct"}, Value: schemas.SchemaAndValue{Schema: val, Value: v}}
	jsonMap := jsonRec("u", 2, now, map[string]any{
		"addrs":   []any{map[string]any{"street": "One St", "zip": int64(1)}, map[string]any{"street": "Two St", "zip": int64(2)}},
		"by_kind": map[string]any{"home": map[string]any{"street": "Home St", "zip": int64(3)}, "work": map[string]any{"street": "Work St", "zip": int64(4)}},
		"uniq":    []any{map[string]any{"street": "Same St", "zip": int64(5)}},
		"people":  []any{map[string]any{"name": "ann", "home": map[string]any{"street": "Ann St", "zip": int64(6)}, "tags": []any{"x", "y"}}},
		"owner":   map[string]any{"name": "bob", "home": map[string]any{"street": "Bob St", "zip": int64(7)}, "tags": []any{}},
		"loose":   map[string]any{"street": "Loose St", "zip": int64(8)},
	})
	jsonMap.Key.Value = "json"
	if err := task.Put(context.Background(), []connectors.SinkRecord{structRec, jsonMap}); err != nil || len(tc.errs) > 0 {
		t.Fatal(err, tc.errs)
	}
	want := asJSON(t, `{"addrs": [{"street": "One St", "zip": 1}, {"street": "Two St", "zip": 2}],
		"by_kind": {"home": {"street": "Home St", "zip": 3}, "work": {"street": "Work St", "zip": 4}},
		"uniq": [{"street": "Same St", "zip": 5}],
		"people": [{"name": "ann", "home": {"street": "Ann St", "zip": 6}, "tags": ["x", "y"]}],
		"owner": {"name": "bob", "home": {"street": "Bob St", "zip": 7}, "tags": []},
		"loose": {"street": "Loose St", "zip": 8}}`)
	for _, k := range []string{"struct", "json"} {
		got := selectJSON(t, s, "SELECT JSON addrs, by_kind, uniq, people, owner, loose FROM "+ks+".u WHERE k = ?", k)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("row %s:\n got %v\nwant %v", k, got, want)
		}
	}
}
