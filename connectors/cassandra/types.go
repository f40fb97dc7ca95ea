package cassandra

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// The driver's schema metadata cannot parse a column type that names a
// user-defined type anywhere inside it (list<frozen<addr>>, a UDT field of
// a UDT type, tuple<int, frozen<addr>>): it leaves the whole column as an
// unknown type that marshals nothing. cqlType parses the CQL type text
// itself and resolves UDTs from the keyspace's definitions.

// protoVersion is only used to build native and collection types, which do
// not differ between the protocol versions Cassandra 3+ speaks.
const protoVersion = 4

// resolveType gives a column its full type, UDTs resolved at any depth.
func resolveType(km *gocql.KeyspaceMetadata, c *gocql.ColumnMetadata) *gocql.ColumnMetadata {
	if c.Type != nil && !hasUnknown(c.Type) {
		return c
	}
	t, err := cqlType(km, c.Validator, 0)
	if err != nil {
		return c // the column fails later with the driver's own message
	}
	out := *c
	out.Type = t
	return &out
}

// hasUnknown reports whether a type, or one of its parts, is a type the
// driver could not parse.
func hasUnknown(t gocql.TypeInfo) bool {
	switch x := t.(type) {
	case gocql.CollectionType:
		return (x.Key != nil && hasUnknown(x.Key)) || (x.Elem != nil && hasUnknown(x.Elem))
	case gocql.TupleTypeInfo:
		for _, e := range x.Elems {
			if hasUnknown(e) {
				return true
			}
		}
		return false
	case gocql.UDTTypeInfo:
		for _, f := range x.Elements {
			if hasUnknown(f.Type) {
				return true
			}
		}
		return false
	case gocql.VectorType:
		return hasUnknown(x.SubType)
	}
	return t.Type() == gocql.TypeCustom
}

// unknownText is the type text the driver kept for a type it could not
// parse (its unknown type is a string type).
func unknownText(t gocql.TypeInfo) (string, bool) {
	v := reflect.ValueOf(t)
	if t.Type() == gocql.TypeCustom && v.Kind() == reflect.String {
		return v.String(), true
	}
	return "", false
}

// cqlType parses a CQL type such as "map<text, frozen<list<frozen<addr>>>>".
func cqlType(km *gocql.KeyspaceMetadata, s string, depth int) (gocql.TypeInfo, error) {
	if depth > 32 {
		return nil, fmt.Errorf("type %q nests too deep", s)
	}
	s = strings.TrimSpace(s)
	name, params := s, ""
	if i := strings.IndexByte(s, '<'); i > 0 && strings.HasSuffix(s, ">") && !strings.HasPrefix(s, `"`) {
		name, params = strings.TrimSpace(s[:i]), s[i+1:len(s)-1]
	}
	args := splitTypes(params)
	sub := func(i int) (gocql.TypeInfo, error) { return cqlType(km, args[i], depth+1) }
	switch strings.ToLower(name) {
	case "frozen":
		return cqlType(km, params, depth+1)
	case "list", "set":
		if len(args) != 1 {
			return nil, fmt.Errorf("type %q: %s takes one type", s, name)
		}
		elem, err := sub(0)
		if err != nil {
			return nil, err
		}
		ct := gocql.NewNativeType(protoVersion, gocql.TypeCustom, strings.ToLower(name)+"<int>").(gocql.CollectionType)
		ct.Elem = elem
		return ct, nil
	case "map":
		if len(args) != 2 {
			return nil, fmt.Errorf("type %q: map takes two types", s)
		}
		key, err := sub(0)
		if err != nil {
			return nil, err
		}
		elem, err := sub(1)
		if err != nil {
			return nil, err
		}
		ct := gocql.NewNativeType(protoVersion, gocql.TypeCustom, "map<int, int>").(gocql.CollectionType)
		ct.Key, ct.Elem = key, elem
		return ct, nil
	case "tuple":
		var tt gocql.TupleTypeInfo
		for i := range args {
			e, err := sub(i)
			if err != nil {
				return nil, err
			}
			tt.Elems = append(tt.Elems, e)
		}
		return tt, nil
	case "vector":
		if len(args) != 2 {
			return nil, fmt.Errorf("type %q: vector takes a type and a size", s)
		}
		elem, err := sub(0)
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(strings.TrimSpace(args[1]))
		if err != nil {
			return nil, fmt.Errorf("type %q: vector size: %w", s, err)
		}
		return gocql.VectorType{SubType: elem, Dimensions: n}, nil
	}
	if params != "" {
		return nil, fmt.Errorf("unknown parameterised type %q", s)
	}
	if ut, ok := km.UserTypes[unquote(name)]; ok {
		udt := gocql.UDTTypeInfo{Keyspace: ut.Keyspace, Name: ut.Name}
		for i, f := range ut.FieldNames {
			ft := ut.FieldTypes[i]
			if raw, ok := unknownText(ft); ok || hasUnknown(ft) {
				if !ok {
					return nil, fmt.Errorf("field %s of type %s: unresolved type", f, ut.Name)
				}
				var err error
				if ft, err = cqlType(km, raw, depth+1); err != nil {
					return nil, fmt.Errorf("field %s of type %s: %w", f, ut.Name, err)
				}
			}
			udt.Elements = append(udt.Elements, gocql.UDTField{Name: f, Type: ft})
		}
		return udt, nil
	}
	return nativeType(name)
}

// nativeType builds a native type; the driver panics on names it does not know.
func nativeType(name string) (t gocql.TypeInfo, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("unknown type %q", name)
		}
	}()
	return gocql.NewNativeType(protoVersion, gocql.TypeCustom, strings.ToLower(name)), nil
}

// splitTypes splits "int, map<text, int>, frozen<x>" at top-level commas.
func splitTypes(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}
