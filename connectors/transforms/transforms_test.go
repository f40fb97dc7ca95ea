package transforms

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/schemas"
	"gopkg.in/inf.v0"
)

func mustT(t *testing.T, class string, props map[string]string) Transformation {
	t.Helper()
	tr, err := NewTransformation(pkg+class, props)
	if err != nil {
		t.Fatalf("configure %s %v: %v", class, props, err)
	}
	return tr
}

func apply(t *testing.T, tr Transformation, r Record) Record {
	t.Helper()
	out, keep, err := tr.Apply(r)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if !keep {
		t.Fatalf("record dropped")
	}
	return out
}

var (
	nested   = schemas.NewStruct("ns", true, schemas.Field{Name: "x", Schema: schemas.OptionalInt32Schema}, schemas.Field{Name: "y", Schema: schemas.StringSchema})
	orderSch = schemas.NewStruct("order", false,
		schemas.Field{Name: "id", Schema: schemas.Int64Schema},
		schemas.Field{Name: "name", Schema: schemas.OptionalStringSchema},
		schemas.Field{Name: "qty", Schema: &schemas.Schema{Type: schemas.Int32, Optional: true, Default: int32(7)}},
		schemas.Field{Name: "price", Schema: schemas.Float64Schema},
		schemas.Field{Name: "inner", Schema: nested},
	)
)

func order(id int64, name any, qty any, price float64, inner any) *schemas.Struct {
	st := schemas.NewStructValue(orderSch)
	st.Values = []any{id, name, qty, price, inner}
	return st
}

func valueRec(s *schemas.Schema, v any) Record {
	p := int32(3)
	return Record{Topic: "orders", Partition: &p, Offset: 42, Sink: true, Value: schemas.SchemaAndValue{Schema: s, Value: v}, Timestamp: time.UnixMilli(1700000000123).UTC()}
}

func TestJavaNumberStrings(t *testing.T) {
	for _, c := range []struct {
		in   float64
		f32  bool
		want string
	}{
		{1, false, "1.0"}, {1e10, false, "1.0E10"}, {1.5e-5, false, "1.5E-5"}, {123.456, false, "123.456"},
		{1e7, false, "1.0E7"}, {9999999, false, "9999999.0"}, {0.001, false, "0.001"}, {0.0001, false, "1.0E-4"},
		{math.Copysign(0, -1), false, "-0.0"}, {0, false, "0.0"}, {1.7976931348623157e308, false, "1.7976931348623157E308"}, {0.1, true, "0.1"}, {3.4028235e38, true, "3.4028235E38"}, {4.9e-324, false, "4.9E-324"}, {1.4e-45, true, "1.4E-45"}, {2e22, false, "2.0E22"},
	} {
		var got string
		if c.f32 {
			got = javaFloat32(float32(c.in))
		} else {
			got = javaDouble(c.in)
		}
		if got != c.want {
			t.Errorf("%v: got %q want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct {
		d    *inf.Dec
		want string
	}{
		{inf.NewDec(12345, 2), "123.45"}, {inf.NewDec(1, 7), "1E-7"}, {inf.NewDec(1, 6), "0.000001"}, {inf.NewDec(12, -3), "1.2E+4"}, {inf.NewDec(-5, 1), "-0.5"},
	} {
		if got := javaBigDecimal(c.d); got != c.want {
			t.Errorf("%v: got %q want %q", c.d, got, c.want)
		}
	}
}

func TestCast(t *testing.T) {
	tr := mustT(t, "Cast$Value", map[string]string{"spec": "id:string,qty:int8,price:int32,name:boolean"})
	out := apply(t, tr, valueRec(orderSch, order(1<<40, "true", nil, 3.99e10, nil)))
	st := out.Value.Value.(*schemas.Struct)
	want := []any{"1099511627776", true, int8(7), int32(2147483647), nil}
	if !reflect.DeepEqual(st.Values, want) {
		t.Fatalf("values %#v want %#v", st.Values, want)
	}
	s := out.Value.Schema
	if s.Name != "order" || s.Fields[0].Schema.Type != schemas.String || !s.Fields[2].Schema.Optional || s.Fields[2].Schema.Default != int8(7) || s.Fields[4].Schema != nested {
		t.Fatalf("schema %v", s)
	}
	// The derived schema is cached per input schema.
	if again := apply(t, tr, valueRec(orderSch, order(1, nil, int32(1), 1, nil))); again.Value.Schema != s {
		t.Fatal("schema not reused")
	}
	whole := mustT(t, "Cast$Value", map[string]string{"spec": "string"})
	for _, c := range []struct {
		s    *schemas.Schema
		v    any
		want any
	}{
		{schemas.Float64Schema, 1e10, "1.0E10"}, {schemas.Float32Schema, float32(1.1), "1.1"}, {schemas.BooleanSchema, true, "true"},
		{schemas.BytesSchema, []byte("hi"), "aGk="}, {schemas.NewDecimal(2, false), inf.NewDec(100, 2), "1.00"},
		{schemas.NewTimestamp(false), time.UnixMilli(1700000000123).UTC(), "2023-11-14T22:13:20.123Z"}, {nil, int64(5), "5"},
	} {
		out := apply(t, whole, valueRec(c.s, c.v))
		if out.Value.Value != c.want {
			t.Errorf("cast %v %v: got %#v want %#v", c.s, c.v, out.Value.Value, c.want)
		}
	}
	toInt := mustT(t, "Cast$Value", map[string]string{"spec": "int64"})
	if out := apply(t, toInt, valueRec(schemas.NewTimestamp(false), time.UnixMilli(86400000).UTC())); out.Value.Value != int64(86400000) || out.Value.Schema.Name != schemas.TimestampName {
		t.Errorf("timestamp to int64: %#v %v", out.Value.Value, out.Value.Schema)
	}
	// Schemaless.
	sl := mustT(t, "Cast$Value", map[string]string{"spec": "a:int16,b:float64"})
	out = apply(t, sl, valueRec(nil, map[string]any{"a": "12", "b": true, "c": "x"}))
	if !reflect.DeepEqual(out.Value.Value, map[string]any{"a": int16(12), "b": 1.0, "c": "x"}) {
		t.Errorf("schemaless %#v", out.Value.Value)
	}
	for _, c := range []struct {
		tr   Transformation
		r    Record
		want string
	}{
		{sl, valueRec(nil, map[string]any{"a": "x"}), "Value (x) was out of range for requested data type"},
		{sl, valueRec(nil, map[string]any{"a": []any{1}}), "Cast transformation does not support casting from ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"},
		{sl, valueRec(nil, "str"), "Only Map objects supported in absence of schema for [cast types], found: java.lang.String"},
		{tr, valueRec(schemas.StringSchema, "s"), "Only Struct objects supported for [cast types], found: STRING"},
	} {
		if _, _, err := c.tr.Apply(c.r); err == nil || err.Error() != c.want {
			t.Errorf("got %v want %q", err, c.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		class string
		props map[string]string
		want  string
	}{
		{"Cast$Value", map[string]string{"spec": ""}, "Must specify at least one field to cast."},
		{"Cast$Value", map[string]string{"spec": "a:map"}, "Cast transformation does not support casting to MAP; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"},
		{"Cast$Value", map[string]string{"spec": "a:foo"}, "Invalid type found in casting spec: foo"},
		{"Cast$Value", map[string]string{"spec": "int8,a:int8"}, "Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec"},
		{"Cast$Value", map[string]string{}, `Missing required configuration "spec" which has no default value.`},
		{"ReplaceField$Value", map[string]string{"renames": "a:b:c"}, "Invalid value [a:b:c] for configuration renames: Invalid rename mapping: a:b:c"},
		{"ValueToKey", map[string]string{"fields": ""}, "Configuration 'fields' must not be empty. Valid values include: any non-empty value"},
		{"InsertField$Value", map[string]string{}, "No field insertion configured"},
		{"InsertField$Value", map[string]string{"static.field": "s"}, "Invalid value null for configuration static.value: No value specified for static field: s"},
		{"MaskField$Value", map[string]string{"fields": "a", "replacement": ""}, "Invalid value  for configuration replacement: String must be non-empty"},
		{"TimestampConverter$Value", map[string]string{"target.type": "string"}, "TimestampConverter requires format option to be specified when using string timestamps"},
		{"TimestampConverter$Value", map[string]string{"target.type": "long"}, "Invalid value long for configuration target.type: String must be one of: string, unix, Date, Time, Timestamp"},
		{"TimestampConverter$Value", map[string]string{"target.type": "string", "format": "yyyy-bb"}, "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: yyyy-bb"},
		{"ExtractField$Value", map[string]string{"field": "`a.b", "field.syntax.version": "v2"}, "Incomplete backtick pair in path: [`a.b], consider adding a backslash before backtick at position 0 to escape it"},
		{"SetSchemaMetadata$Value", map[string]string{}, "Neither schema name nor version configured"},
		{"HeaderFrom$Value", map[string]string{"fields": "a,b", "headers": "h", "operation": "copy"}, "'fields' config must have the same number of elements as 'headers' config."},
	} {
		_, err := NewTransformation(pkg+c.class, c.props)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s %v: got %v\nwant %q", c.class, c.props, err, c.want)
		}
	}
	if _, err := NewTransformation(pkg+"RegexRouter", map[string]string{"regex": "(?<=a)b", "replacement": "x"}); err == nil || !strings.Contains(err.Error(), "Invalid regex") {
		t.Errorf("lookbehind: %v", err)
	}
	if _, err := NewPredicate(pkg+"predicates.TopicNameMatches", map[string]string{"pattern": ""}); err == nil || err.Error() != "Invalid value  for configuration pattern: String must be non-empty" {
		t.Errorf("empty pattern: %v", err)
	}
}

func TestExtractHoistValueToKey(t *testing.T) {
	inner := schemas.NewStructValue(nested)
	inner.Values = []any{int32(5), "y"}
	rec := valueRec(orderSch, order(9, nil, nil, 1.5, any(inner)))
	out := apply(t, mustT(t, "ExtractField$Value", map[string]string{"field": "qty"}), rec)
	if out.Value.Value != int32(7) || out.Value.Schema != orderSch.Fields[2].Schema {
		t.Errorf("extract with default: %#v", out.Value)
	}
	out = apply(t, mustT(t, "ExtractField$Value", map[string]string{"field": "qty", "replace.null.with.default": "false"}), rec)
	if out.Value.Value != nil {
		t.Errorf("extract without default: %#v", out.Value)
	}
	out = apply(t, mustT(t, "ExtractField$Value", map[string]string{"field": "inner.x", "field.syntax.version": "V2"}), rec)
	if out.Value.Value != int32(5) {
		t.Errorf("nested: %#v", out.Value)
	}
	if _, _, err := mustT(t, "ExtractField$Value", map[string]string{"field": "nope"}).Apply(rec); err == nil || err.Error() != "Unknown field: nope" {
		t.Errorf("unknown: %v", err)
	}
	out = apply(t, mustT(t, "ExtractField$Key", map[string]string{"field": "a"}), Record{Key: schemas.SchemaAndValue{Value: map[string]any{"a": "k"}}})
	if out.Key.Value != "k" {
		t.Errorf("schemaless key: %#v", out.Key)
	}
	out = apply(t, mustT(t, "HoistField$Value", map[string]string{"field": "w"}), valueRec(schemas.OptionalStringSchema, "s"))
	if hs := out.Value.Schema; hs.Optional || hs.Fields[0].Name != "w" || hs.Fields[0].Schema != schemas.OptionalStringSchema || out.Value.Value.(*schemas.Struct).Values[0] != "s" {
		t.Errorf("hoist: %v", out.Value)
	}
	out = apply(t, mustT(t, "ValueToKey", map[string]string{"fields": "qty,id"}), rec)
	if ks := out.Key.Schema; ks.Fields[0].Name != "qty" || ks.Fields[1].Name != "id" || !reflect.DeepEqual(out.Key.Value.(*schemas.Struct).Values, []any{int32(7), int64(9)}) {
		t.Errorf("value to key: %v %v", out.Key.Schema, out.Key.Value)
	}
	if _, _, err := mustT(t, "ValueToKey", map[string]string{"fields": "zz"}).Apply(rec); err == nil || err.Error() != "Field does not exist: zz" {
		t.Errorf("missing: %v", err)
	}
	out = apply(t, mustT(t, "ValueToKey", map[string]string{"fields": "a,b"}), valueRec(nil, map[string]any{"a": 1}))
	if !reflect.DeepEqual(out.Key.Value, map[string]any{"a": 1, "b": nil}) {
		t.Errorf("schemaless key %#v", out.Key.Value)
	}
}

func TestFlatten(t *testing.T) {
	inner := schemas.NewStructValue(nested)
	inner.Values = []any{nil, "y"}
	out := apply(t, mustT(t, "Flatten$Value", map[string]string{"delimiter": "_"}), valueRec(orderSch, order(1, "n", nil, 2, inner)))
	var names []string
	for _, f := range out.Value.Schema.Fields {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "id,name,qty,price,inner_x,inner_y" {
		t.Fatalf("fields %v", names)
	}
	// A required field below an optional struct becomes optional.
	if f, _ := out.Value.Schema.Field("inner_y"); !f.Schema.Optional {
		t.Errorf("inner_y not optional")
	}
	if !reflect.DeepEqual(out.Value.Value.(*schemas.Struct).Values, []any{int64(1), "n", int32(7), 2.0, nil, "y"}) {
		t.Errorf("values %#v", out.Value.Value.(*schemas.Struct).Values)
	}
	// Null nested struct: its fields are null.
	out = apply(t, mustT(t, "Flatten$Value", nil), valueRec(orderSch, order(1, "n", int32(1), 2, nil)))
	if v := out.Value.Value.(*schemas.Struct).Values; v[4] != nil || v[5] != nil {
		t.Errorf("null nested %v", v)
	}
	out = apply(t, mustT(t, "Flatten$Value", nil), valueRec(nil, map[string]any{"a": map[string]any{"b": int64(1), "c": map[string]any{"d": nil}}, "arr": []any{map[string]any{"x": int64(1)}}}))
	if !reflect.DeepEqual(out.Value.Value, map[string]any{"a.b": int64(1), "a.c.d": nil, "arr": []any{map[string]any{"x": int64(1)}}}) {
		t.Errorf("schemaless %#v", out.Value.Value)
	}
	ms := schemas.NewStruct("", false, schemas.Field{Name: "m", Schema: schemas.NewMap(schemas.StringSchema, schemas.StringSchema, false)})
	if _, _, err := mustT(t, "Flatten$Value", nil).Apply(valueRec(ms, schemas.NewStructValue(ms))); err == nil || err.Error() != "Flatten transformation does not support MAP for record with schemas (for field m)." {
		t.Errorf("map: %v", err)
	}
}

func TestInsertReplaceMask(t *testing.T) {
	rec := valueRec(orderSch, order(1, "n", nil, 2, nil))
	out := apply(t, mustT(t, "InsertField$Value", map[string]string{"topic.field": "t!", "partition.field": "p", "offset.field": "o", "timestamp.field": "ts", "static.field": "s", "static.value": "v"}), rec)
	s := out.Value.Schema
	if len(s.Fields) != 10 || s.Fields[5].Schema.Optional || !s.Fields[6].Schema.Optional || s.Fields[8].Schema.Name != schemas.TimestampName || *s.Fields[8].Schema.Version != 1 || s.Optional {
		t.Fatalf("schema %v", s)
	}
	if v := out.Value.Value.(*schemas.Struct).Values; v[2] != int32(7) || v[5] != "orders" || v[6] != int32(3) || v[7] != int64(42) || !v[8].(time.Time).Equal(rec.Timestamp) || v[9] != "v" {
		t.Errorf("values %v", v)
	}
	src := rec
	src.Sink = false
	if _, _, err := mustT(t, "InsertField$Value", map[string]string{"offset.field": "o"}).Apply(src); err == nil || !strings.HasPrefix(err.Error(), "Only SinkRecord supported for [field insertion]") {
		t.Errorf("offset on source: %v", err)
	}
	out = apply(t, mustT(t, "InsertField$Value", map[string]string{"timestamp.field": "ts"}), valueRec(nil, map[string]any{}))
	if out.Value.Value.(map[string]any)["ts"] != int64(1700000000123) {
		t.Errorf("schemaless ts %#v", out.Value.Value)
	}
	out = apply(t, mustT(t, "ReplaceField$Value", map[string]string{"exclude": "price", "include": "id,qty,price", "renames": "id:ident,qty:q"}), rec)
	if s := out.Value.Schema; len(s.Fields) != 2 || s.Fields[0].Name != "ident" || s.Fields[1].Name != "q" || out.Value.Value.(*schemas.Struct).Values[1] != int32(7) {
		t.Errorf("replace %v %v", s, out.Value.Value)
	}
	out = apply(t, mustT(t, "ReplaceField$Value", map[string]string{"exclude": "b", "renames": "a:z"}), valueRec(nil, map[string]any{"a": 1, "b": 2, "c": 3}))
	if !reflect.DeepEqual(out.Value.Value, map[string]any{"z": 1, "c": 3}) {
		t.Errorf("schemaless replace %#v", out.Value.Value)
	}
	out = apply(t, mustT(t, "MaskField$Value", map[string]string{"fields": "id,name,price,qty"}), rec)
	if v := out.Value.Value.(*schemas.Struct).Values; !reflect.DeepEqual(v[:4], []any{int64(0), "", int32(0), 0.0}) || out.Value.Schema != orderSch {
		t.Errorf("mask %#v", v)
	}
	out = apply(t, mustT(t, "MaskField$Value", map[string]string{"fields": "id,name", "replacement": "12"}), rec)
	if v := out.Value.Value.(*schemas.Struct).Values; v[0] != int64(12) || v[1] != "12" {
		t.Errorf("mask replacement %#v", v)
	}
	if _, _, err := mustT(t, "MaskField$Value", map[string]string{"fields": "id", "replacement": "abc"}).Apply(rec); err == nil || err.Error() != "Unable to convert abc (class java.lang.String) to number" {
		t.Errorf("mask bad: %v", err)
	}
	out = apply(t, mustT(t, "MaskField$Value", map[string]string{"fields": "a,b,c,d"}), valueRec(nil, map[string]any{"a": true, "b": []any{1}, "c": map[string]any{"x": 1}, "d": nil}))
	if !reflect.DeepEqual(out.Value.Value, map[string]any{"a": false, "b": []any{}, "c": map[string]any{}, "d": nil}) {
		t.Errorf("schemaless mask %#v", out.Value.Value)
	}
}

func TestRegexRouterAndReplacement(t *testing.T) {
	for _, c := range []struct{ regex, repl, topic, want string }{
		{"(.*)-(\\d+)", "$2_$1", "orders-12", "12_orders"},
		{"(.*)", "prefix-$1", "orders", "prefix-orders"},
		{"(?<base>[a-z]+)\\.v1", "${base}", "orders.v1", "orders"},
		{"orders", "\\$x", "orders", "$x"},
		{"ord", "x", "orders", "orders"}, // not a full match: unchanged
		{"(a)(b)?", "$1$2$1", "a", "aa"},
		{"(.*?)", "[$1]", "ab", "[]ab"}, // replaceFirst finds the shortest first match
		{"(x)", "$11", "x", "x1"},       // $11 is group 1 then "1" when there is no group 11
	} {
		out := apply(t, mustT(t, "RegexRouter", map[string]string{"regex": c.regex, "replacement": c.repl}), Record{Topic: c.topic})
		if out.Topic != c.want {
			t.Errorf("%s %s %s: got %q want %q", c.regex, c.repl, c.topic, out.Topic, c.want)
		}
	}
	if _, err := NewTransformation(pkg+"RegexRouter", map[string]string{"regex": "(a)", "replacement": "$2"}); err == nil || !strings.Contains(err.Error(), "No group 2") {
		t.Errorf("bad group: %v", err)
	}
}

func TestChainPredicatesAndFilter(t *testing.T) {
	cfg := map[string]string{
		"transforms":                   "drop,route,tag",
		"transforms.drop.type":         pkg + "Filter",
		"transforms.drop.predicate":    "tomb",
		"transforms.route.type":        pkg + "RegexRouter",
		"transforms.route.regex":       "(.*)",
		"transforms.route.replacement": "$1-x",
		"transforms.route.predicate":   "isOrders",
		"transforms.route.negate":      "true",
		"transforms.tag.type":          pkg + "InsertHeader",
		"transforms.tag.header":        "h",
		"transforms.tag.value.literal": "42",
		"predicates":                   "tomb,isOrders,hasH",
		"predicates.tomb.type":         pkg + "predicates.RecordIsTombstone",
		"predicates.isOrders.type":     pkg + "predicates.TopicNameMatches",
		"predicates.isOrders.pattern":  "ord.*",
		"predicates.hasH.type":         pkg + "predicates.HasHeaderKey",
		"predicates.hasH.name":         "h",
	}
	c, err := NewChain(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, keep, _ := c.Apply(Record{Topic: "orders"}); keep {
		t.Error("tombstone kept")
	}
	out, keep, err := c.Apply(Record{Topic: "orders", Value: schemas.SchemaAndValue{Value: "v"}})
	if !keep || err != nil || out.Topic != "orders" || len(out.Headers) != 1 || out.Headers[0].Value != int8(42) || out.Headers[0].Schema.Type != schemas.Int8 {
		t.Errorf("orders: %+v %v %v", out, keep, err)
	}
	out, _, _ = c.Apply(Record{Topic: "users", Value: schemas.SchemaAndValue{Value: "v"}})
	if out.Topic != "users-x" {
		t.Errorf("negated predicate: %q", out.Topic)
	}
	bad := map[string]string{"transforms": "a", "transforms.a.type": "com.example.Nope", "transforms.a.negate": "true"}
	infos := Enrich(configdef.New(), bad).Validate(bad)
	var errs []string
	var groups = strings.Join(infos.Groups, ",")
	for _, ci := range infos.Configs {
		errs = append(errs, ci.Value.Errors...)
		if ci.Definition.Name == "transforms.a.type" && len(ci.Value.RecommendedValues) < 20 {
			t.Errorf("recommended classes: %v", ci.Value.RecommendedValues)
		}
	}
	if groups != "Transforms: a" || strings.Join(errs, "|") != "Config 'transforms.a.negate' was provided but there is no config 'transforms.a.predicate' defining a predicate to be negated." {
		t.Errorf("groups %q errors %q", groups, errs)
	}
	bad = map[string]string{"transforms": "c", "transforms.c.type": pkg + "Cast$Value", "transforms.c.spec": "a:nope"}
	infos = Enrich(configdef.New(), bad).Validate(bad)
	found := false
	for _, ci := range infos.Configs {
		if ci.Definition.Name == "transforms.c.spec" {
			found = strings.Join(ci.Value.Errors, "|") == "Invalid type found in casting spec: nope" && *ci.Definition.Group == "Transforms: c"
		}
	}
	if !found || infos.ErrorCount != 1 {
		t.Errorf("cast spec error not reported: %+v", infos)
	}
	if _, err := NewChain(map[string]string{"transforms": "x", "transforms.x.type": "Nope"}); err == nil || !strings.Contains(err.Error(), "Class Nope could not be found.") {
		t.Errorf("unknown class: %v", err)
	}
}

func TestHeadersAndSchemaMetadata(t *testing.T) {
	rec := valueRec(orderSch, order(1, "n", nil, 2, nil))
	rec.Headers = []schemas.Header{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "a", Value: "3"}}
	out := apply(t, mustT(t, "DropHeaders", map[string]string{"headers": "a"}), rec)
	if len(out.Headers) != 1 || out.Headers[0].Key != "b" || len(rec.Headers) != 3 {
		t.Errorf("drop %v", out.Headers)
	}
	out = apply(t, mustT(t, "HeaderFrom$Value", map[string]string{"fields": "id,qty", "headers": "hid,hq", "operation": "move"}), rec)
	if len(out.Headers) != 5 || out.Headers[3].Value != int64(1) || out.Headers[4].Value != int32(7) || len(out.Value.Schema.Fields) != 3 {
		t.Errorf("header from %v %v", out.Headers, out.Value.Schema)
	}
	out = apply(t, mustT(t, "InsertHeader", map[string]string{"header": "h", "value.literal": "[1, 2]"}), rec)
	if h := out.Headers[3]; h.Schema.Type != schemas.Array || !reflect.DeepEqual(h.Value, []any{int8(1), int8(2)}) {
		t.Errorf("array literal %#v", h)
	}
	for lit, want := range map[string]any{"true": true, "300": int16(300), "1.5": float32(1.5), "hello": "hello", "3000000000": int64(3000000000)} {
		out = apply(t, mustT(t, "InsertHeader", map[string]string{"header": "h", "value.literal": lit}), rec)
		if got := out.Headers[3].Value; got != want {
			t.Errorf("literal %q: %#v", lit, got)
		}
	}
	out = apply(t, mustT(t, "SetSchemaMetadata$Value", map[string]string{"schema.name": "renamed", "schema.version": "3"}), rec)
	if out.Value.Schema.Name != "renamed" || *out.Value.Schema.Version != 3 || out.Value.Value.(*schemas.Struct).Schema != out.Value.Schema || orderSch.Name != "order" {
		t.Errorf("metadata %v", out.Value.Schema)
	}
	if _, _, err := mustT(t, "SetSchemaMetadata$Value", map[string]string{"schema.name": "x"}).Apply(valueRec(nil, map[string]any{})); err == nil || err.Error() != "Schema required for [updating schema metadata]" {
		t.Errorf("schemaless: %v", err)
	}
}

func TestTimestamps(t *testing.T) {
	ts := time.Date(2024, 2, 29, 13, 4, 5, 6e6, time.UTC)
	for _, c := range []struct{ pattern, want string }{
		{"yyyyMMdd", "20240229"}, {"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2024-02-29T13:04:05.006Z"}, {"yy/M/d h:mm a", "24/2/29 1:04 PM"},
		{"EEE, d MMM yyyy HH:mm:ss Z", "Thu, 29 Feb 2024 13:04:05 +0000"}, {"EEEE MMMM D", "Thursday February 60"}, {"'at' HH 'o''clock' z", "at 13 o'clock UTC"},
		{"S", "6"}, {"k K", "13 1"},
	} {
		df, err := compileDateFormat(c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := df.format(ts); got != c.want {
			t.Errorf("%q: got %q want %q", c.pattern, got, c.want)
		}
	}
	for _, c := range []struct {
		pattern, in string
		want        time.Time
	}{
		{"yyyyMMdd", "20240229", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"yyyy-MM-dd HH:mm:ss.SSS", "2024-02-29 13:04:05.006", ts},
		{"yyyy-MM-dd'T'HH:mm:ssXXX", "2024-02-29T15:04:05+02:00", ts.Add(-6 * time.Millisecond)},
		{"yyyy-MM-dd", "2024-02-30", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}, // lenient roll-over
		{"dd MMM yyyy", "29 feb 2024 trailing", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
	} {
		df, _ := compileDateFormat(c.pattern)
		got, err := df.parse(c.in)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parse %q %q: %v %v want %v", c.pattern, c.in, got, err, c.want)
		}
	}
	if _, err := compileDateFormat("yyyy-bb"); err == nil || err.Error() != "Illegal pattern character 'b'" {
		t.Errorf("illegal: %v", err)
	}
	tsSch := schemas.NewStruct("", false, schemas.Field{Name: "t", Schema: schemas.OptionalStringSchema}, schemas.Field{Name: "o", Schema: schemas.Int32Schema})
	st := schemas.NewStructValue(tsSch)
	st.Values = []any{"2024-02-29 13:04:05.006", int32(1)}
	out := apply(t, mustT(t, "TimestampConverter$Value", map[string]string{"field": "t", "target.type": "unix", "format": "yyyy-MM-dd HH:mm:ss.SSS", "unix.precision": "seconds"}), valueRec(tsSch, st))
	if f := out.Value.Schema.Fields[0]; f.Schema.Type != schemas.Int64 || !f.Schema.Optional || out.Value.Value.(*schemas.Struct).Values[0] != ts.Unix() {
		t.Errorf("to unix %v %v", out.Value.Schema, out.Value.Value)
	}
	for _, c := range []struct {
		target string
		want   any
	}{
		{"Date", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)}, {"Time", time.UnixMilli(ts.UnixMilli() % millisPerDay).UTC()}, {"unix", ts.UnixMilli()}, {"string", "2024-02-29"},
	} {
		out = apply(t, mustT(t, "TimestampConverter$Value", map[string]string{"target.type": c.target, "format": "yyyy-MM-dd"}), valueRec(schemas.NewTimestamp(false), ts))
		if !reflect.DeepEqual(out.Value.Value, c.want) {
			t.Errorf("whole %s: %#v want %#v", c.target, out.Value.Value, c.want)
		}
	}
	out = apply(t, mustT(t, "TimestampConverter$Value", map[string]string{"field": "t", "target.type": "Timestamp"}), valueRec(nil, map[string]any{"t": int64(1000)}))
	if out.Value.Value.(map[string]any)["t"] != time.UnixMilli(1000).UTC() {
		t.Errorf("schemaless %v", out.Value.Value)
	}
	if _, _, err := mustT(t, "TimestampConverter$Value", map[string]string{"target.type": "Date"}).Apply(valueRec(nil, 1.5)); err == nil || err.Error() != "TimestampConverter does not support class java.lang.Double objects as timestamps" {
		t.Errorf("bad type: %v", err)
	}
	out = apply(t, mustT(t, "TimestampRouter", map[string]string{"topic.format": "${topic}_${timestamp}_${topic}", "timestamp.format": "yyyy.MM"}), valueRec(nil, nil))
	if out.Topic != "orders_2023.11_orders" {
		t.Errorf("router %q", out.Topic)
	}
	if _, _, err := mustT(t, "TimestampRouter", nil).Apply(Record{Topic: "x"}); err == nil || !strings.HasPrefix(err.Error(), "Timestamp missing on record") {
		t.Errorf("no ts: %v", err)
	}
}

func TestPluginsList(t *testing.T) {
	var tr, pr int
	for _, p := range Plugins() {
		switch p.Type {
		case TypeTransformation:
			tr++
		case TypePredicate:
			pr++
		}
	}
	if tr != 26 || pr != 3 {
		t.Errorf("got %d transformations, %d predicates; Connect 4.3 ships 26 and 3", tr, pr)
	}
}
