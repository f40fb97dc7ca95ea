package cassandra

import (
	"fmt"
	"reflect"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func TestCQLTypeResolvesUDTsAtAnyDepth(t *testing.T) {
	text := gocql.NewNativeType(protoVersion, gocql.TypeText, "")
	km := &gocql.KeyspaceMetadata{Name: "ks", UserTypes: map[string]*gocql.UserTypeMetadata{
		"addr": {Keyspace: "ks", Name: "addr", FieldNames: []string{"street"}, FieldTypes: []gocql.TypeInfo{text}},
		// A field of a UDT type is left unparsed by the driver.
		"person": {Keyspace: "ks", Name: "person", FieldNames: []string{"home"}, FieldTypes: []gocql.TypeInfo{unknownLike("frozen<addr>")}},
	}}
	for _, c := range []struct{ in, want string }{
		{"frozen<addr>", "udt"},
		{"list<frozen<addr>>", "list<udt>"},
		{"map<text, frozen<person>>", "map<text,udt>"},
		{"tuple<int, frozen<tuple<text, bigint>>>", "tuple<int,tuple<text,bigint>>"},
		{"frozen<set<frozen<list<frozen<addr>>>>>", "set<list<udt>>"},
	} {
		ti, err := cqlType(km, c.in, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if got := shape(ti); got != c.want {
			t.Errorf("%s parsed as %s, want %s", c.in, got, c.want)
		}
	}
	p, _ := cqlType(km, "frozen<person>", 0)
	if home := p.(gocql.UDTTypeInfo).Elements[0].Type; home.Type() != gocql.TypeUDT {
		t.Errorf("nested UDT field type = %v", home)
	}
	if _, err := cqlType(km, "list<nope>", 0); err == nil {
		t.Error("unknown type accepted")
	}
}

// unknownLike builds what the driver keeps for a type it cannot parse.
func unknownLike(s string) gocql.TypeInfo { return fakeUnknown(s) }

// fakeUnknown mimics the driver's unknown type: a string type whose Type()
// is TypeCustom.
type fakeUnknown string

func (fakeUnknown) Type() gocql.Type              { return gocql.TypeCustom }
func (fakeUnknown) Zero() any                     { return nil }
func (u fakeUnknown) Marshal(any) ([]byte, error) { return nil, nil }
func (u fakeUnknown) Unmarshal([]byte, any) error { return nil }

func shape(t gocql.TypeInfo) string {
	switch x := t.(type) {
	case gocql.CollectionType:
		if x.Type() == gocql.TypeMap {
			return "map<" + shape(x.Key) + "," + shape(x.Elem) + ">"
		}
		return map[gocql.Type]string{gocql.TypeList: "list", gocql.TypeSet: "set"}[x.Type()] + "<" + shape(x.Elem) + ">"
	case gocql.TupleTypeInfo:
		s := "tuple<"
		for i, e := range x.Elems {
			if i > 0 {
				s += ","
			}
			s += shape(e)
		}
		return s + ">"
	case gocql.UDTTypeInfo:
		return "udt"
	}
	if n, ok := map[gocql.Type]string{gocql.TypeInt: "int", gocql.TypeText: "text", gocql.TypeVarchar: "text", gocql.TypeBigInt: "bigint"}[t.Type()]; ok {
		return n
	}
	return fmt.Sprint(t)
}

func TestTupleMarkersAndFlattening(t *testing.T) {
	text := gocql.NewNativeType(protoVersion, gocql.TypeText, "")
	i32 := gocql.NewNativeType(protoVersion, gocql.TypeInt, "")
	tt := gocql.TupleTypeInfo{Elems: []gocql.TypeInfo{i32, gocql.TupleTypeInfo{Elems: []gocql.TypeInfo{text, i32}}}}
	if m := marker(tt); m != "(?, (?, ?))" {
		t.Errorf("marker = %s", m)
	}
	got, err := flattenTuple(nil, tt, []any{int64(1), []any{"x", nil}})
	if err != nil || !reflect.DeepEqual(got, []any{int64(1), "x", nil}) {
		t.Errorf("flatten = %v, %v", got, err)
	}
	if _, err := flattenTuple(nil, tt, []any{int64(1)}); err == nil {
		t.Error("short tuple accepted")
	}
}
