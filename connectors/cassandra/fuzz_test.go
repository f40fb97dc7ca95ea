package cassandra

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
)

// fuzzRecords are records of the shapes the sink meets: a struct with a
// nested struct, an array and a map; a schemaless JSON map; a string
// value that holds JSON; a null value.
func fuzzRecords() []*connectors.SinkRecord {
	inner := schemas.NewStruct("I", false, schemas.Field{Name: "x", Schema: schemas.Int32Schema})
	outer := schemas.NewStruct("O", false, schemas.Field{Name: "in", Schema: inner},
		schemas.Field{Name: "tags", Schema: schemas.NewArray(schemas.StringSchema, false)},
		schemas.Field{Name: "m", Schema: schemas.NewMap(schemas.StringSchema, schemas.Int64Schema, false)})
	iv := schemas.NewStructValue(inner)
	iv.Values[0] = int32(5)
	ov := schemas.NewStructValue(outer)
	ov.Values = []any{iv, []any{"a", "b"}, map[string]any{"k": int64(1)}}
	return []*connectors.SinkRecord{
		{Topic: "t", Key: schemas.SchemaAndValue{Value: "k"}, Value: schemas.SchemaAndValue{Schema: outer, Value: ov},
			Headers: []schemas.Header{{Key: "h", Value: "hv"}}},
		{Topic: "t", Value: schemas.SchemaAndValue{Value: map[string]any{"m": map[string]any{"k": "v"}, "n": nil, "l": []any{json.Number("1")}}}},
		{Topic: "t", Key: schemas.SchemaAndValue{Value: `{"a":[1,{"b":2}]}`}, Value: schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: `{"id":"x","v":[1,2]}`}},
		{Topic: "t", Key: schemas.SchemaAndValue{Value: []byte{1, 2}}},
	}
}

// FuzzMappingSettings parses arbitrary mapping, codec and table settings
// as the connector does at start and validation, then extracts every
// mapped expression from records of several shapes: nothing may panic,
// and a setting that does not parse is an error naming its key.
func FuzzMappingSettings(f *testing.F) {
	for _, s := range []struct{ mapping, codec, ttl string }{
		{"id=value.id, v=value.v", "ISO_ZONED_DATE_TIME", "60"},
		{`id=key, "Col"=value."Field", c=value.tags[0], d=value.m['k'], e=header.h, t=now(), __ttl=value.ttl, __timestamp=value.ts`, "yyyy-MM-dd HH:mm:ss.SSS", "-1"},
		{"a=value.in.x, b=value.tags[-1], c=value.m[''], d=value.[0]", "CQL_TIMESTAMP", "x"},
		{"a=value.a.b.c.d.e[1][2]['x'], b=key.a[1].b", "'T'HH 'o''clock'", "2147483648"},
		{"=value", "[[yyyy]]", ""}, {"a=", "", ""}, {"a=value.\"unterminated", "uuuu-MM-dd'T'HH:mm:ssXXX", ""},
		{"a=value['unterminated, b=value[99999999999999999999]", "EEEE, MMMM d, yyyy G", ""},
		{strings.Repeat("a=value.a,", 50), strings.Repeat("y", 200), "0"},
	} {
		f.Add(s.mapping, s.codec, s.ttl)
	}
	recs := fuzzRecords()
	now := time.Unix(1, 0)
	f.Fuzz(func(t *testing.T, mapping, codec, ttl string) {
		const table = "topic.t.ks.tb."
		cfg := map[string]string{
			table + "mapping": mapping, table + "ttl": ttl, table + "consistencyLevel": codec,
			"topic.t.codec.timestamp": codec, "topic.t.codec.date": codec, "topic.t.codec.time": codec,
			"topic.t.codec.locale": ttl, "topic.t.codec.timeZone": ttl, "topic.t.codec.unit": codec,
		}
		tables, errs := parseTables(cfg)
		for k, err := range errs {
			if !strings.HasPrefix(k, "topic.t.") || err.Error() == "" {
				t.Fatalf("error %q under key %q", err, k)
			}
		}
		for _, ts := range tables {
			for _, m := range ts.mapping {
				for _, rec := range recs {
					_, _ = m.extract(rec, now)
				}
			}
			if ts.codec != nil {
				for _, typ := range []gocql.Type{gocql.TypeTimestamp, gocql.TypeDate, gocql.TypeTime} {
					_, _ = ts.codec.apply(gocql.NewNativeType(protoVersion, typ, ""), mapping)
				}
			}
		}
	})
}

// fuzzTypes are the CQL types toCQL converts record values into.
func fuzzTypes() []gocql.TypeInfo {
	nt := func(ty gocql.Type) gocql.TypeInfo { return gocql.NewNativeType(protoVersion, ty, "") }
	var out []gocql.TypeInfo
	for _, ty := range []gocql.Type{gocql.TypeAscii, gocql.TypeBigInt, gocql.TypeBlob, gocql.TypeBoolean, gocql.TypeCounter,
		gocql.TypeDecimal, gocql.TypeDouble, gocql.TypeFloat, gocql.TypeInt, gocql.TypeText, gocql.TypeTimestamp, gocql.TypeUUID,
		gocql.TypeVarchar, gocql.TypeVarint, gocql.TypeTimeUUID, gocql.TypeInet, gocql.TypeDate, gocql.TypeDuration, gocql.TypeTime,
		gocql.TypeSmallInt, gocql.TypeTinyInt} {
		out = append(out, nt(ty))
	}
	for _, c := range []string{"list<int>", "set<text>", "map<text, decimal>", "frozen<list<timestamp>>", "tuple<int, text>", "vector<float, 3>"} {
		ti, err := cqlType(&gocql.KeyspaceMetadata{}, c, 0)
		if err != nil {
			panic(c + ": " + err.Error())
		}
		out = append(out, ti)
	}
	return out
}

// FuzzToCQL converts arbitrary text, and the JSON it may hold, into every
// CQL type and marshals what it accepts as the driver will: no panic, and
// no input of a few hundred bytes may take long (a number such as 1e999999999
// must not be expanded digit by digit).
func FuzzToCQL(f *testing.F) {
	for _, s := range []string{"", "0", "-1", "1e3", "1e999999999", "-1e-999999999", "1,234.5", "0x1p3", "NaN", "Infinity", "1.5f",
		"2026-03-04T05:06:07Z", "08:15", "P1DT2H", "1mo2d", "-3w", "P0001-02-03T04:05:06", "1h30m", "AQI=", "0x0102",
		"8F14E45F-CEEA-467F-A0F0-8B9F3A9E5C11", "1-2-3-4-5", "127.0.0.1", "::1", "yes", "T", `[1,2,3]`, `{"a":"1.5"}`, `["x","y"]`,
		"99999999999999999999999999999", "2147483648", "-32769", "128", "9999-12-31", "+292278994-08-17T07:12:55.807Z"} {
		f.Add(s)
	}
	types := fuzzTypes()
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 512 {
			return
		}
		// A hang is a failure too: the fuzzer records the input that was
		// running when its worker died.
		watchdog := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("toCQL of %q hangs", s)) })
		defer watchdog.Stop()
		values := []any{s, json.Number(s)}
		if v, ok := parseJSONText(s); ok {
			values = append(values, v)
		}
		for _, typ := range types {
			for _, v := range values {
				began := time.Now()
				cv, err := toCQL(typ, v)
				if err == nil && cv != nil && cv != any(gocql.UnsetValue) {
					_, _ = gocql.Marshal(typ, wrapCollection(typ, cv))
				}
				if d := time.Since(began); d > 2*time.Second {
					t.Fatalf("%s of %q took %s", typeName(typ), s, d)
				}
			}
		}
	})
}

// TestHugeExponentsRefusedQuickly: numbers whose text is short but whose
// digits are not (found by FuzzToCQL: "1e999999999" into an int column
// expanded a billion digits, holding the task for minutes) are refused or
// kept in scientific form at once.
func TestHugeExponentsRefusedQuickly(t *testing.T) {
	nt := func(ty gocql.Type) gocql.TypeInfo { return gocql.NewNativeType(protoVersion, ty, "") }
	for _, tt := range []struct {
		typ  gocql.TypeInfo
		in   string
		fail bool
	}{
		{nt(gocql.TypeInt), "1e999999999", true},
		{nt(gocql.TypeVarint), "1e999999999", true},
		{nt(gocql.TypeVarint), "-1e-999999999", true},
		{nt(gocql.TypeBigInt), "0e999999999", false},
		{nt(gocql.TypeVarint), "12e3", false},
		{nt(gocql.TypeDouble), "1e999999999", true},
		{nt(gocql.TypeFloat), "1e-999999999", true},
		{nt(gocql.TypeDouble), "1.5e300", false},
		{nt(gocql.TypeDecimal), "1e999999999", false},
	} {
		began := time.Now()
		_, err := toCQL(tt.typ, tt.in)
		if (err != nil) != tt.fail {
			t.Errorf("%s %q: error %v, want failure %v", typeName(tt.typ), tt.in, err, tt.fail)
		}
		if d := time.Since(began); d > time.Second {
			t.Errorf("%s %q took %s", typeName(tt.typ), tt.in, d)
		}
	}
	d, _ := decimalOf("1e999999999")
	if k := string(appendKey(nil, d)); k != "1E999999999\x00" {
		t.Errorf("key of a decimal %q", k)
	}
}
