package cassandra

import (
	"bytes"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// TestCollectionMarshalMatchesDriver checks the fast encoders produce the
// driver's bytes.
func TestCollectionMarshalMatchesDriver(t *testing.T) {
	typ := func(s string) gocql.TypeInfo {
		ti, err := cqlType(&gocql.KeyspaceMetadata{}, s, 0)
		if err != nil {
			t.Fatal(err)
		}
		return ti
	}
	listText, setInt, mapTextText, mapTextDouble := typ("list<text>"), typ("set<int>"), typ("map<text,text>"), typ("map<text,double>")
	tests := []struct {
		name string
		t    gocql.TypeInfo
		v    any
	}{
		{"list<text>", listText, []any{"a", "", "héllo"}},
		{"empty list", listText, []any{}},
		{"set<int>", setInt, []any{int32(1), int32(-2)}},
		{"map<text,text> one entry", mapTextText, map[string]any{"k": "v"}},
		{"map<text,double>", mapTextDouble, map[string]any{"x": 1.5}},
		{"empty map", mapTextText, map[string]any{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := gocql.Marshal(tc.t, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			w := wrapCollection(tc.t, tc.v)
			if _, ok := w.(gocql.Marshaler); !ok {
				t.Fatalf("%T not wrapped", tc.v)
			}
			got, err := gocql.Marshal(tc.t, w)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got %x, want %x", got, want)
			}
		})
	}
}
