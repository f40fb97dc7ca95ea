package cassandra

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
)

func TestParseMapping(t *testing.T) {
	tests := []struct {
		in      string
		want    []string // column=source:path
		wantErr string
	}{
		{in: "id=key, name=value.name", want: []string{"id=key:", "name=value:name"}},
		{in: `"MyCol"=value."Field".x, Col2=value.a.b.c`, want: []string{`"MyCol"=value:Field/x`, "col2=value:a/b/c"}},
		{in: "t=value.tags[0], a=value.attrs['k'], h=header.trace, n=now(), __ttl=value.ttl", want: []string{"t=value:tags/[0]", "a=value:attrs/['k']", "h=header:", "n=now:", "__ttl=value:ttl"}},
		{in: "v=value, k=key", want: []string{"v=value:", "k=key:"}},
		{in: "a=value.x, a=value.y", wantErr: "mapped twice"},
		{in: "a", wantErr: "expected column=expression"},
		{in: "a=other.x", wantErr: "must start with key, value or header"},
		{in: "a=value.x[", wantErr: "unterminated ["},
		{in: "", wantErr: "mapping is empty"},
	}
	for _, tt := range tests {
		ms, err := parseMapping(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.column+"="+[]string{"key", "value", "header", "now"}[m.src]+":"+pathString(m.path))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func pathString(p []pathStep) string {
	var parts []string
	for _, s := range p {
		switch {
		case s.isIdx:
			parts = append(parts, fmt.Sprintf("[%d]", s.index))
		case s.key != nil:
			parts = append(parts, "['"+*s.key+"']")
		default:
			parts = append(parts, s.field)
		}
	}
	return strings.Join(parts, "/")
}

func TestExtract(t *testing.T) {
	inner := schemas.NewStruct("I", false, schemas.Field{Name: "x", Schema: schemas.Int32Schema})
	outer := schemas.NewStruct("O", false, schemas.Field{Name: "in", Schema: inner}, schemas.Field{Name: "tags", Schema: schemas.NewArray(schemas.StringSchema, false)})
	iv := schemas.NewStructValue(inner)
	iv.Values[0] = int32(5)
	ov := schemas.NewStructValue(outer)
	ov.Values = []any{iv, []any{"a", "b"}}
	rec := connectors.SinkRecord{Key: schemas.SchemaAndValue{Value: "k"}, Value: schemas.SchemaAndValue{Schema: outer, Value: ov},
		Headers: []schemas.Header{{Key: "h", Value: "hv"}}}
	json := connectors.SinkRecord{Value: schemas.SchemaAndValue{Value: map[string]any{"m": map[string]any{"k": "v"}, "n": nil}}}
	now := time.Unix(1, 0)
	tests := []struct {
		expr    string
		rec     *connectors.SinkRecord
		want    any
		missing bool
	}{
		{"key", &rec, "k", false},
		{"value.in.x", &rec, int32(5), false},
		{"value.tags[1]", &rec, "b", false},
		{"value.tags[5]", &rec, nil, false},
		{"header.h", &rec, "hv", false},
		{"header.nope", &rec, nil, true},
		{"value.nope", &rec, nil, true},
		{"now()", &rec, now, false},
		{"value.m['k']", &json, "v", false},
		{"value.m['z']", &json, nil, false},
		{"value.n", &json, nil, false},
		{"value.n.deeper", &json, nil, false},
	}
	for _, tt := range tests {
		m, err := parseExpr(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.extract(tt.rec, now)
		var miss *errMissing
		if tt.missing != (err != nil && errorsAs(err, &miss)) {
			t.Errorf("%s: err = %v, want missing=%v", tt.expr, err, tt.missing)
			continue
		}
		if !tt.missing && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.expr, got, tt.want)
		}
	}
}

func TestParseTables(t *testing.T) {
	cfg := map[string]string{
		"topic.my.topic.ks.t1.mapping":          "a=value.a",
		"topic.my.topic.ks.t1.ttl":              "60",
		"topic.my.topic.ks.t1.ttlTimeUnit":      "MINUTES",
		"topic.my.topic.ks.t1.consistencyLevel": "QUORUM",
		"topic.other.ks.t2.mapping":             "a=value.a",
		"topic.other.ks.t2.deletesEnabled":      "maybe",
		"topic.x.ks.t3.ttl":                     "5",
	}
	tables, errs := parseTables(cfg)
	if len(errs) != 2 || errs["topic.other.ks.t2.deletesEnabled"] == nil || errs["topic.x.ks.t3.mapping"] == nil {
		t.Fatalf("errors = %v", errs)
	}
	var t1 *tableSettings
	for _, ts := range tables {
		if ts.table == "t1" {
			t1 = ts
		}
	}
	if t1 == nil || t1.topic != "my.topic" || t1.ttl != 60 || t1.ttlUnit != time.Minute || t1.consistency.String() != "QUORUM" || !t1.nullToUnset {
		t.Fatalf("t1 = %+v", t1)
	}
}
