package converters

import (
	"reflect"
	"testing"
	"time"

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
		{"[1, 300]", schemas.SchemaAndValue{Schema: schemas.NewArray(schemas.Int16Schema, false), Value: []any{int16(1), int16(300)}}},
		{`["a", "b"]`, schemas.SchemaAndValue{Schema: schemas.NewArray(schemas.StringSchema, false), Value: []any{"a", "b"}}},
		{"[1, null]", schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: "[1, null]"}},
		{`{"a":1, "b":2.5}`, schemas.SchemaAndValue{Schema: schemas.NewMap(schemas.StringSchema, schemas.Float32Schema, false), Value: map[string]any{"a": float32(1), "b": float32(2.5)}}},
		{"{1:true}", schemas.SchemaAndValue{Schema: schemas.NewMap(schemas.Int8Schema, schemas.BooleanSchema, false), Value: map[any]any{int8(1): true}}},
		{"2024-02-29", schemas.SchemaAndValue{Schema: schemas.NewDate(false), Value: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)}},
		{"12:34:56.789Z", schemas.SchemaAndValue{Schema: schemas.NewTime(false), Value: time.UnixMilli(45296789).UTC()}},
		{"true}", schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: "true}"}},
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
		{time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "2024-02-29"},
		{time.UnixMilli(45296789).UTC(), "12:34:56.789Z"},
		{time.Date(2024, 2, 29, 12, 34, 56, 789e6, time.UTC), "2024-02-29T12:34:56.789Z"},
	} {
		got, err := (&SimpleHeaderConverter{}).FromConnect("t", nil, tc.in)
		if err != nil || string(got) != tc.want {
			t.Errorf("%v: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
