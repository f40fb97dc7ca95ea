package converters

import (
	"reflect"
	"testing"

	"github.com/gonnect/gonnect/schemas"
)

func TestSimpleHeaderConverterInfersSchemas(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want schemas.SchemaAndValue
	}{
		{"", schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: ""}},
		{"null", schemas.SchemaAndValue{}},
		{"true", schemas.SchemaAndValue{Schema: schemas.BooleanSchema, Value: true}},
		{"12", schemas.SchemaAndValue{Schema: schemas.Int8Schema, Value: int8(12)}},
		{"-300", schemas.SchemaAndValue{Schema: schemas.Int16Schema, Value: int16(-300)}},
		{"70000", schemas.SchemaAndValue{Schema: schemas.Int32Schema, Value: int32(70000)}},
		{"5000000000", schemas.SchemaAndValue{Schema: schemas.Int64Schema, Value: int64(5000000000)}},
		{"1.0", schemas.SchemaAndValue{Schema: schemas.Int8Schema, Value: int8(1)}},
		{"1.5", schemas.SchemaAndValue{Schema: schemas.Float32Schema, Value: float32(1.5)}},
		{"abc", schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: "abc"}},
		{"12abc", schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: "12abc"}},
	} {
		got, err := (&SimpleHeaderConverter{}).ToConnect("t", []byte(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestSimpleHeaderConverterWrites(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"a b", "a b"},
		{int32(7), "7"},
		{float64(2), "2.0"},
		{true, "true"},
		{[]any{"x", int8(1)}, `["x",1]`},
		{map[string]any{"k": "v"}, `{"k":"v"}`},
	} {
		got, err := (&SimpleHeaderConverter{}).FromConnect("t", nil, tc.in)
		if err != nil || string(got) != tc.want {
			t.Errorf("%v: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
