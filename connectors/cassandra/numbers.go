package cassandra

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"gopkg.in/inf.v0"
)

// Text into a numeric column, read as the DataStax connector reads it (its
// codecs, with their default settings): in turn a number with optional
// thousands separators ("1,234.5", "NaN", "Infinity"), a decimal with an
// exponent ("1e-3"), a floating-point literal ("0x1p3", "2.5f"), a
// timestamp (milliseconds since the epoch) and a boolean word (1 or 0).
// The empty string is null.

// booleanWords are the words DataStax reads as booleans (case-insensitive,
// not trimmed).
var booleanWords = map[string]bool{
	"1": true, "0": false, "y": true, "n": false, "t": true, "f": false,
	"yes": true, "no": false, "true": true, "false": false,
}

var (
	groupedNumber = regexp.MustCompile(`^-?([0-9][0-9,]*)?(\.[0-9]*)?$`)
	plainDecimal  = regexp.MustCompile(`^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$`)
	isoLocalTime  = regexp.MustCompile(`^[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?$`)
	floatLiteral  = regexp.MustCompile(`^[+-]?(NaN|Infinity|0[xX][0-9a-fA-F]*\.?[0-9a-fA-F]*[pP][+-]?[0-9]+[fFdD]?|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[fFdD]?)$`)
)

// textNumber is a number read from text: dec when finite and exact, else f.
type textNumber struct {
	dec *inf.Dec
	f   float64
}

// parseTextNumber reads s as DataStax does; ok is false for the empty string (null).
func parseTextNumber(s string) (n textNumber, ok bool, err error) {
	if s == "" {
		return n, false, nil
	}
	t := strings.TrimSpace(s)
	switch t {
	case "NaN":
		return textNumber{f: math.NaN()}, true, nil
	case "Infinity":
		return textNumber{f: math.Inf(1)}, true, nil
	case "-Infinity":
		return textNumber{f: math.Inf(-1)}, true, nil
	}
	if t == s && groupedNumber.MatchString(t) && strings.ContainsAny(t, "0123456789") {
		if d, ok := decimalOf(strings.ReplaceAll(t, ",", "")); ok {
			return textNumber{dec: d}, true, nil
		}
	}
	if d, ok := decimalOf(s); ok {
		return textNumber{dec: d}, true, nil
	}
	if floatLiteral.MatchString(t) {
		lit := strings.TrimRight(t, "fFdD")
		if strings.HasSuffix(lit, "Infinity") || strings.HasSuffix(lit, "NaN") {
			lit = t
		}
		if f, err := strconv.ParseFloat(lit, 64); err == nil || isRange(err) {
			return textNumber{f: f}, true, nil
		}
	}
	if tm, err := parseTime(s); err == nil {
		return textNumber{dec: inf.NewDec(tm.UnixMilli(), 0)}, true, nil
	}
	if b, ok := booleanWords[strings.ToLower(s)]; ok {
		if b {
			return textNumber{dec: inf.NewDec(1, 0)}, true, nil
		}
		return textNumber{dec: inf.NewDec(0, 0)}, true, nil
	}
	return n, false, fmt.Errorf("could not parse %q as a number, a date-time or a boolean word", s)
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// decimalOf reads a decimal with an optional exponent, keeping its scale
// (digits after the point less the exponent).
func decimalOf(s string) (*inf.Dec, bool) {
	m := plainDecimal.FindStringSubmatch(s)
	if m == nil || m[2]+m[3] == "" {
		return nil, false
	}
	unscaled, ok := new(big.Int).SetString(m[2]+m[3], 10)
	if !ok {
		return nil, false
	}
	if m[1] == "-" {
		unscaled.Neg(unscaled)
	}
	scale := int64(len(m[3]))
	if m[4] != "" {
		e, err := strconv.ParseInt(m[4], 10, 32)
		if err != nil {
			return nil, false
		}
		scale -= e
	}
	if scale > math.MaxInt32 || scale < math.MinInt32 {
		return nil, false
	}
	return inf.NewDecBig(unscaled, inf.Scale(scale)), true
}

// maxIntegerDigits bounds the integers made from decimals: text such as
// "1e999999999" is a few bytes but a billion digits, which would take
// minutes and gigabytes to expand. No CQL integer but varint holds more
// than 20 digits, and no sensible varint this many.
const maxIntegerDigits = 100_000

// decMagnitude bounds the number of digits of d's value before the point:
// at least the true count (negative for values below one), so a value
// whose bound is small enough is cheap to expand.
func decMagnitude(d *inf.Dec) int64 {
	u := d.UnscaledBig()
	if u.Sign() == 0 {
		return 0
	}
	digits := int64(float64(u.BitLen())*math.Log10(2)) + 1 // at least the unscaled digits
	return digits - int64(d.Scale())
}

// decString prints d, in scientific notation (which strconv and the
// decimal parser read back) when the plain form would run long.
func decString(d *inf.Dec) string {
	if sc := d.Scale(); sc > 1000 || sc < -1000 {
		return d.UnscaledBig().String() + "E" + strconv.FormatInt(-int64(sc), 10)
	}
	return d.String()
}

// integer is n as an integer, refused when it has a fraction.
func (n textNumber) integer() (*big.Int, error) {
	if n.dec == nil {
		if math.IsNaN(n.f) || math.IsInf(n.f, 0) || n.f != math.Trunc(n.f) {
			return nil, fmt.Errorf("%v is not an integer", n.f)
		}
		b, _ := big.NewFloat(n.f).Int(nil)
		return b, nil
	}
	if n.dec.UnscaledBig().Sign() == 0 {
		return new(big.Int), nil
	}
	switch m := decMagnitude(n.dec); {
	case m > maxIntegerDigits:
		return nil, fmt.Errorf("%s has more than %d digits, too many for an integer", decString(n.dec), maxIntegerDigits)
	case m < 0:
		return nil, fmt.Errorf("%s is not an integer", decString(n.dec)) // a fraction of magnitude below one
	}
	r := new(inf.Dec).Round(n.dec, 0, inf.RoundDown)
	if r.Cmp(n.dec) != 0 {
		return nil, fmt.Errorf("%s is not an integer", decString(n.dec))
	}
	return r.UnscaledBig(), nil
}

// floatRange bounds the decimal magnitude of a finite, non-zero double.
const floatRange = 330

// float64Exact is n as a double, refused when the double is not exactly
// the decimal (it must print back as the same value).
func (n textNumber) float64Exact() (float64, error) {
	if n.dec == nil {
		return n.f, nil
	}
	if m := decMagnitude(n.dec); n.dec.UnscaledBig().Sign() != 0 && (m > floatRange || m < -floatRange) {
		return 0, fmt.Errorf("%s cannot be converted to a double without loss", decString(n.dec))
	}
	f, err := strconv.ParseFloat(n.dec.String(), 64)
	if err != nil && !isRange(err) {
		return 0, err
	}
	if math.IsInf(f, 0) || !sameDecimal(n.dec, strconv.FormatFloat(f, 'g', -1, 64)) {
		return 0, fmt.Errorf("%s cannot be converted to a double without loss", n.dec)
	}
	return f, nil
}

// float32Exact is float64Exact for a float.
func (n textNumber) float32Exact() (float32, error) {
	if n.dec == nil {
		return float32(n.f), nil
	}
	if m := decMagnitude(n.dec); n.dec.UnscaledBig().Sign() != 0 && (m > floatRange || m < -floatRange) {
		return 0, fmt.Errorf("%s cannot be converted to a float without loss", decString(n.dec))
	}
	f, err := strconv.ParseFloat(n.dec.String(), 32)
	if err != nil && !isRange(err) {
		return 0, err
	}
	if math.IsInf(f, 0) || !sameDecimal(n.dec, strconv.FormatFloat(f, 'g', -1, 32)) {
		return 0, fmt.Errorf("%s cannot be converted to a float without loss", n.dec)
	}
	return float32(f), nil
}

// exactFloat32 refuses a double whose float differs from it in value (as
// printed), as DataStax does for a number into a float column.
func exactFloat32(f float64) (float32, error) {
	g := float32(f)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return g, nil
	}
	back, _ := strconv.ParseFloat(strconv.FormatFloat(float64(g), 'g', -1, 32), 64)
	if back != f {
		return 0, fmt.Errorf("%v cannot be converted to a float without loss", f)
	}
	return g, nil
}

func sameDecimal(d *inf.Dec, s string) bool {
	e, ok := decimalOf(s)
	return ok && e.Cmp(d) == 0
}

var (
	durationUnits = regexp.MustCompile(`(?i)([0-9]+)(y|mo|w|d|h|ms|us|µs|ns|m|s)`)
	isoDuration   = regexp.MustCompile(`^P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)S)?)?$`)
	isoWeeks      = regexp.MustCompile(`^P([0-9]+)W$`)
	isoAlternate  = regexp.MustCompile(`^P([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})$`)
)

// parseDuration reads a CQL duration literal as the DataStax driver does:
// units (1y2mo3w4d5h6m7s8ms9us10ns, in that order), ISO 8601
// (P1Y2M3DT4H5M6S, P2W) or its alternative form (P0001-02-03T04:05:06),
// each optionally negative.
func parseDuration(s string) (gocql.Duration, error) {
	src, neg := strings.CutPrefix(s, "-")
	var months, days, nanos int64
	add := func(unit string, n int64) {
		switch unit {
		case "y":
			months += 12 * n
		case "mo":
			months += n
		case "w":
			days += 7 * n
		case "d":
			days += n
		case "h":
			nanos += n * int64(time.Hour)
		case "m":
			nanos += n * int64(time.Minute)
		case "s":
			nanos += n * int64(time.Second)
		case "ms":
			nanos += n * int64(time.Millisecond)
		case "us", "µs":
			nanos += n * int64(time.Microsecond)
		case "ns":
			nanos += n
		}
	}
	num := func(d string) int64 { n, _ := strconv.ParseInt(d, 10, 64); return n }
	bad := fmt.Errorf("unable to convert %q to a duration", s)
	switch {
	case isoWeeks.MatchString(src):
		add("w", num(isoWeeks.FindStringSubmatch(src)[1]))
	case isoAlternate.MatchString(src):
		m := isoAlternate.FindStringSubmatch(src)
		for i, u := range []string{"y", "mo", "d", "h", "m", "s"} {
			add(u, num(m[i+1]))
		}
	case strings.HasPrefix(src, "P"):
		m := isoDuration.FindStringSubmatch(src)
		if m == nil || src == "P" || strings.HasSuffix(src, "T") {
			return gocql.Duration{}, bad
		}
		for i, u := range []string{"y", "mo", "d", "h", "m", "s"} {
			if m[i+1] != "" {
				add(u, num(m[i+1]))
			}
		}
	default:
		order := []string{"y", "mo", "w", "d", "h", "m", "s", "ms", "us", "ns"}
		at, next := 0, 0
		ms := durationUnits.FindAllStringSubmatchIndex(src, -1)
		if len(ms) == 0 {
			return gocql.Duration{}, bad
		}
		for _, m := range ms {
			if m[0] != at {
				return gocql.Duration{}, bad
			}
			at = m[1]
			unit := strings.ToLower(src[m[4]:m[5]])
			if unit == "µs" {
				unit = "us"
			}
			k := next
			for k < len(order) && order[k] != unit {
				k++
			}
			if k == len(order) {
				return gocql.Duration{}, fmt.Errorf("unable to convert %q to a duration: %s out of order or repeated", s, unit)
			}
			next = k + 1
			add(unit, num(src[m[2]:m[3]]))
		}
		if at != len(src) {
			return gocql.Duration{}, bad
		}
	}
	if neg {
		months, days, nanos = -months, -days, -nanos
	}
	return gocql.Duration{Months: int32(months), Days: int32(days), Nanoseconds: nanos}, nil
}

// parseUUID reads a UUID as Java's UUID.fromString does: five groups of
// hex digits separated by dashes, each group shorter than its width
// allowed ("1-2-3-4-5"), at most 36 characters.
func parseUUID(s string) (gocql.UUID, error) {
	parts := strings.Split(s, "-")
	bad := fmt.Errorf("invalid uuid %q", s)
	if len(s) > 36 || len(parts) != 5 {
		return gocql.UUID{}, bad
	}
	var g [5]uint64
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 16, 64)
		if err != nil {
			return gocql.UUID{}, bad
		}
		g[i] = n
	}
	hi := (g[0]&0xffffffff)<<32 | (g[1]&0xffff)<<16 | g[2]&0xffff
	lo := (g[3]&0xffff)<<48 | g[4]&0xffffffffffff
	var u gocql.UUID
	for i := range 8 {
		u[i] = byte(hi >> (56 - 8*i))
		u[8+i] = byte(lo >> (56 - 8*i))
	}
	return u, nil
}
