package cassandra

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"gopkg.in/inf.v0"
)

// TestToCQLTextRules: values read as the DataStax connector's codecs read
// text and JSON (their default settings).
func TestToCQLTextRules(t *testing.T) {
	nt := func(ty gocql.Type) gocql.TypeInfo { return gocql.NewNativeType(protoVersion, ty, "") }
	i32, bi, dbl, flt, bo, de, vi, bl, du, tx := nt(gocql.TypeInt), nt(gocql.TypeBigInt), nt(gocql.TypeDouble), nt(gocql.TypeFloat),
		nt(gocql.TypeBoolean), nt(gocql.TypeDecimal), nt(gocql.TypeVarint), nt(gocql.TypeBlob), nt(gocql.TypeDuration), nt(gocql.TypeText)
	vec := gocql.VectorType{SubType: flt, Dimensions: 3}
	uu, ts, tm := nt(gocql.TypeUUID), nt(gocql.TypeTimestamp), nt(gocql.TypeTime)
	mustUUID := func(s string) gocql.UUID { u, _ := gocql.ParseUUID(s); return u }
	dec := func(s string) *inf.Dec { d, _ := decimalOf(s); return d }
	for _, tc := range []struct {
		t    gocql.TypeInfo
		v    any
		want any // nil with fail: an error
		fail bool
	}{
		{bo, "yes", true, false}, {bo, "N", false, false}, {bo, "T", true, false}, {bo, "1", true, false},
		{bo, json.Number("1"), true, false}, {bo, json.Number("0"), false, false}, {bo, int32(1), true, false},
		{bo, json.Number("2"), nil, true}, {bo, json.Number("1.0"), true, false}, {bo, json.Number("0.5"), nil, true}, {bo, " true", nil, true}, {bo, "maybe", nil, true},
		{i32, "1,000", int64(1000), false}, {i32, "1.0", int64(1), false}, {i32, "1e3", int64(1000), false},
		{i32, "yes", int64(1), false}, {i32, " 7", int64(7), false}, {i32, "+8", int64(8), false},
		{i32, "1.5", nil, true}, {i32, "3000000000", nil, true}, {i32, "abc", nil, true}, {i32, "", nil, false},
		{bi, "2026-03-04T05:06:07Z", int64(1772600767000), false}, {bi, "false", int64(0), false},
		{dbl, "Infinity", math.Inf(1), false}, {dbl, "1.5f", 1.5, false}, {dbl, "0x1p3", 8.0, false}, {dbl, "-1,234.5", -1234.5, false},
		{flt, 0.1, float32(0.1), false}, {flt, "0.1", float32(0.1), false}, {flt, 0.123456789, nil, true}, {flt, "3.4e39", nil, true},
		{de, "1e-3", dec("0.001"), false}, {de, "1,234.50", dec("1234.50"), false}, {de, "NaN", nil, true}, {de, "1e3", dec("1e3"), false},
		{vi, "1e3", big.NewInt(1000), false}, {vi, "1.5", nil, true},
		{bl, "0x0102", []byte{1, 2}, false}, {bl, "AQI=", []byte{1, 2}, false}, {bl, "AQI", []byte{1, 2}, false}, {bl, "zz!", nil, true}, {bl, "", nil, false},
		{du, "1h30m", gocql.Duration{Nanoseconds: 5400e9}, false}, {du, "P1DT2H", gocql.Duration{Days: 1, Nanoseconds: 7200e9}, false},
		{du, "1mo2d", gocql.Duration{Months: 1, Days: 2}, false}, {du, "-3w", gocql.Duration{Days: -21}, false},
		{du, "P0001-02-03T04:05:06", gocql.Duration{Months: 14, Days: 3, Nanoseconds: 14706e9}, false}, {du, "P2W", gocql.Duration{Days: 14}, false},
		{du, "2m1h", nil, true}, {du, "1x", nil, true},
		{tx, "", "", false},
		{uu, "1-2-3-4-5", mustUUID("00000001-0002-0003-0004-000000000005"), false},
		{uu, "8F14E45F-CEEA-467F-A0F0-8B9F3A9E5C11", mustUUID("8f14e45f-ceea-467f-a0f0-8b9f3a9e5c11"), false},
		{uu, "1-2-3-4", nil, true}, {uu, "1-2-3-4-x", nil, true},
		{ts, "1772600767008", nil, true}, {ts, json.Number("1772600767008"), time.UnixMilli(1772600767008).UTC(), false},
		{tm, "08:15", 8*time.Hour + 15*time.Minute, false}, {tm, json.Number("3600000"), nil, true}, {tm, "1:02", nil, true},
		{vec, []any{json.Number("1"), json.Number("2.5"), json.Number("3")}, []any{float32(1), float32(2.5), float32(3)}, false},
		{vec, []any{json.Number("1")}, nil, true},
	} {
		t.Run(fmt.Sprintf("%s %v", typeName(tc.t), tc.v), func(t *testing.T) {
			got, err := toCQL(tc.t, tc.v)
			if tc.fail {
				if err == nil {
					t.Fatalf("got %#v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d, ok := tc.want.(*inf.Dec); ok {
				g, ok := got.(*inf.Dec)
				if !ok || g.Cmp(d) != 0 || g.Scale() != d.Scale() {
					t.Fatalf("got %v, want %v", got, d)
				}
				return
			}
			if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestEmptyValue(t *testing.T) {
	bl := gocql.NewNativeType(protoVersion, gocql.TypeBlob, "")
	tx := gocql.NewNativeType(protoVersion, gocql.TypeText, "")
	if !emptyValue(bl, []byte{}) || emptyValue(bl, []byte{0}) || emptyValue(tx, "") {
		t.Fatal("only an empty blob is an empty value")
	}
}
