package converters

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/inf.v0"

	"github.com/gonnect/gonnect/schemas"
)

// ParseValueString infers a schema and value from text as Connect's
// Values.parseString does (what SimpleHeaderConverter reads headers with,
// and InsertHeader its literal): null, booleans, the smallest integer type,
// FLOAT32/FLOAT64 for fractions, Decimal beyond those, ISO-8601 dates,
// times and timestamps, and arrays and maps of those ("[1, 2]",
// "{a:1, b:2}", quoted strings inside them) with their elements' common
// schema; anything else, or a list or map that does not parse, is the
// text as a STRING. Schema and value are both nil for "null".
func ParseValueString(s string) schemas.SchemaAndValue {
	if s == "" {
		return schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: s}
	}
	p := &valueParser{orig: s}
	sv, err := p.parse(false)
	if err != nil || sv == nil {
		// A top-level value never fails (it falls back to a string), and
		// "null" is nil.
		return schemas.SchemaAndValue{}
	}
	return *sv
}

// errParse is Connect's DataException inside the parser: the list or map
// being read falls back to text.
var errParse = errors.New("unparsable value")

// valueParser is Connect's Values.Parser: tokens are the text between the
// delimiters : , { } [ ] and ", each delimiter a token of its own unless a
// backslash escapes it.
type valueParser struct {
	orig   string
	pos    int
	peek   string
	peeked bool
	prev   string
}

func (p *valueParser) mark() int {
	if p.peeked {
		return p.pos - len(p.peek)
	}
	return p.pos
}

func (p *valueParser) rewind(i int) { p.pos, p.peeked, p.prev = i, false, "" }

func (p *valueParser) hasNext() bool { return p.peeked || p.pos < len(p.orig) }

func (p *valueParser) consume() string {
	escaped := false
	start := p.pos
	for ; p.pos < len(p.orig); p.pos++ {
		switch p.orig[p.pos] {
		case '\\':
			escaped = !escaped
		case ':', ',', '{', '}', '[', ']', '"':
			if !escaped {
				if start < p.pos {
					return p.orig[start:p.pos]
				}
				p.pos++
				return p.orig[start:p.pos]
			}
			escaped = false
		default:
			escaped = false
		}
	}
	return p.orig[start:p.pos]
}

func (p *valueParser) next() string {
	if p.peeked {
		p.prev, p.peeked = p.peek, false
	} else {
		p.prev = p.consume()
	}
	return p.prev
}

// nextN consumes n tokens and returns their text, or rewinds and returns
// false when fewer are left.
func (p *valueParser) nextN(n int) (string, bool) {
	start := p.mark()
	for i := 0; i < n; i++ {
		if !p.hasNext() {
			p.rewind(start)
			return "", false
		}
		p.next()
	}
	return p.orig[start:p.pos], true
}

// javaTrim is Java's String.trim: every character up to ' ' goes.
func javaTrim(s string) string { return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }) }

// canConsume consumes the next token, whitespace-only tokens skipped, if
// it is expected once trimmed.
func (p *valueParser) canConsume(expected string) bool {
	if !p.peeked {
		if !p.hasNext() {
			return false
		}
		p.peek, p.peeked = p.consume(), true
	}
	for javaTrim(p.peek) == "" && p.pos < len(p.orig) {
		p.peek = p.consume()
	}
	if javaTrim(p.peek) == expected {
		p.peeked = false
		return true
	}
	return false
}

// literal reports whether the next token is lit and, at the top level,
// the last one ("true}" is text, not true).
func (p *valueParser) literal(embedded bool, lit string) bool {
	start := p.mark()
	if p.canConsume(lit) && (embedded || !p.hasNext()) {
		return true
	}
	p.rewind(start)
	return false
}

// parse is Values.parse; a nil result is Java's null (the literal null, or
// nothing left).
func (p *valueParser) parse(embedded bool) (*schemas.SchemaAndValue, error) {
	if !p.hasNext() {
		return nil, nil
	}
	if embedded && p.canConsume(`"`) {
		var b strings.Builder
		for p.hasNext() {
			if p.canConsume(`"`) {
				break
			}
			b.WriteString(p.next())
		}
		content := b.String()
		// A quoted string may be a date, time or timestamp; nothing else.
		if parsed := ParseValueString(content); parsed.Schema != nil && isTemporal(parsed.Schema) {
			return &parsed, nil
		}
		return &schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: content}, nil
	}
	switch {
	case p.literal(embedded, "null"):
		return nil, nil
	case p.literal(embedded, "true"):
		return &schemas.SchemaAndValue{Schema: schemas.BooleanSchema, Value: true}, nil
	case p.literal(embedded, "false"):
		return &schemas.SchemaAndValue{Schema: schemas.BooleanSchema, Value: false}, nil
	}
	start := p.mark()
	if sv, err := p.parseComposite(); err != nil {
		p.rewind(start) // not a list or map after all: read as a token
	} else if sv != nil {
		return sv, nil
	}

	token := p.next()
	if javaTrim(token) == "" {
		return &schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: token}, nil
	}
	token = javaTrim(token)
	first := token[0]
	digit := first >= '0' && first <= '9'
	if digit {
		// A time or timestamp spans five tokens, its colons being delimiters.
		at := p.mark()
		if rest, ok := p.nextN(4); ok {
			if sv := parseTemporal(token + rest); sv != nil {
				return sv, nil
			}
		}
		p.rewind(at)
		if sv := parseTemporal(token); sv != nil {
			return sv, nil
		}
	}
	if digit || first == '+' || first == '-' {
		if sv, ok := parseDecimal(token); ok {
			return sv, nil
		}
	}
	if embedded {
		return nil, fmt.Errorf("%w: Failed to parse embedded value", errParse)
	}
	return &schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: p.orig}, nil
}

// parseComposite reads an array or a map at the parser's position; nil
// and no error when neither starts there.
func (p *valueParser) parseComposite() (*schemas.SchemaAndValue, error) {
	if p.canConsume("[") {
		var out []any
		var elem *schemas.Schema
		mixed := false
		for p.hasNext() {
			if p.canConsume("]") {
				if elem == nil { // every element null, or no common schema
					return &schemas.SchemaAndValue{Schema: &schemas.Schema{Type: schemas.Array}, Value: out}, nil
				}
				for i, v := range out {
					c, err := convertValue(elem, v)
					if err != nil {
						return nil, err
					}
					out[i] = c
				}
				return &schemas.SchemaAndValue{Schema: schemas.NewArray(elem, false), Value: out}, nil
			}
			if p.canConsume(",") {
				return nil, fmt.Errorf("%w: Unable to parse an empty array element: %s", errParse, p.orig)
			}
			e, err := p.parse(true)
			if err != nil {
				return nil, err
			}
			elem, mixed = commonSchemaOf(elem, e, mixed)
			out = append(out, valueOf(e))
			at := p.mark()
			if p.canConsume("]") {
				p.rewind(at)
			} else if !p.canConsume(",") {
				return nil, fmt.Errorf("%w: Array elements missing ',' delimiter", errParse)
			}
		}
		return nil, fmt.Errorf("%w: Array is missing terminating ']': %s", errParse, p.orig)
	}
	if p.canConsume("{") {
		type entry struct{ k, v any }
		var entries []entry
		var keySchema, valSchema *schemas.Schema
		mixedKeys, mixedVals := false, false
		for p.hasNext() {
			if p.canConsume("}") {
				return buildMap(keySchema, valSchema, len(entries), func(yield func(k, v any) error) error {
					for _, e := range entries {
						if err := yield(e.k, e.v); err != nil {
							return err
						}
					}
					return nil
				})
			}
			if p.canConsume(",") {
				return nil, fmt.Errorf("%w: Unable to parse a map entry with no key or value: %s", errParse, p.orig)
			}
			k, err := p.parse(true)
			if err != nil {
				return nil, err
			}
			if k == nil || k.Value == nil {
				return nil, fmt.Errorf("%w: Map entry may not have a null key: %s", errParse, p.orig)
			}
			if !p.canConsume(":") {
				return nil, fmt.Errorf("%w: Map entry is missing ':' at %d in %s", errParse, p.pos, p.orig)
			}
			v, err := p.parse(true)
			if err != nil {
				return nil, err
			}
			entries = append(entries, entry{k.Value, valueOf(v)})
			p.canConsume(",")
			keySchema, mixedKeys = commonSchemaOf(keySchema, k, mixedKeys)
			valSchema, mixedVals = commonSchemaOf(valSchema, v, mixedVals)
		}
		return nil, fmt.Errorf("%w: Map is missing terminating '}': %s", errParse, p.orig)
	}
	return nil, nil
}

// buildMap aligns a parsed map's keys (and values, when they have a common
// schema) with their schemas, as Connect does.
func buildMap(keySchema, valSchema *schemas.Schema, n int, each func(yield func(k, v any) error) error) (*schemas.SchemaAndValue, error) {
	if keySchema == nil {
		valSchema = nil // Connect's mapOfNull: nothing is aligned
	}
	schema := &schemas.Schema{Type: schemas.Map, Key: keySchema, Value: valSchema}
	strKeys := keySchema != nil && keySchema.Type == schemas.String
	sm, am := make(map[string]any, n), make(map[any]any, n)
	err := each(func(k, v any) error {
		var err error
		if keySchema != nil {
			if k, err = convertValue(keySchema, k); err != nil {
				return err
			}
		}
		if valSchema != nil {
			if v, err = convertValue(valSchema, v); err != nil {
				return err
			}
		}
		if strKeys {
			sm[k.(string)] = v
			return nil
		}
		// Go map keys must be comparable: a list or map as a key is text.
		if k == nil || !reflect.TypeOf(k).Comparable() {
			return fmt.Errorf("%w: a map key of type %T", errParse, k)
		}
		am[k] = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	if strKeys {
		return &schemas.SchemaAndValue{Schema: schema, Value: sm}, nil
	}
	return &schemas.SchemaAndValue{Schema: schema, Value: am}, nil
}

func valueOf(sv *schemas.SchemaAndValue) any {
	if sv == nil {
		return nil
	}
	return sv.Value
}

func isTemporal(s *schemas.Schema) bool {
	return s.Name == schemas.DateName || s.Name == schemas.TimeName || s.Name == schemas.TimestampName
}

// commonSchemaOf folds one more element into the common schema so far;
// once two elements had none in common, none is found again.
func commonSchemaOf(prev *schemas.Schema, latest *schemas.SchemaAndValue, mixed bool) (*schemas.Schema, bool) {
	if mixed {
		return nil, true
	}
	c := commonSchema(prev, latest)
	return c, c == nil && prev != nil && latest != nil
}

// commonSchema is Values.commonSchemaFor: the schema two values share, a
// wider number type for numbers, nil for none.
func commonSchema(prev *schemas.Schema, latest *schemas.SchemaAndValue) *schemas.Schema {
	if latest == nil {
		return prev
	}
	if prev == nil {
		return latest.Schema
	}
	next := latest.Schema
	if prev.Type != next.Type {
		rank := map[schemas.Type]int{schemas.Int8: 1, schemas.Int16: 2, schemas.Int32: 3, schemas.Int64: 4, schemas.Float32: 5, schemas.Float64: 6}
		a, b := rank[prev.Type], rank[next.Type]
		switch {
		case a == 0 || b == 0:
			return nil
		case b > a:
			return next
		default:
			return prev
		}
	}
	if prev.Optional == next.Optional {
		if prev.Optional {
			return prev
		}
		return next
	}
	return nil
}

// convertValue is Values.convertTo for what the parser aligns: a parsed
// value made the type of its list's or map's common schema.
func convertValue(to *schemas.Schema, v any) (any, error) {
	if v == nil {
		if to.Optional {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: Unable to convert a null value to a schema that requires a value", errParse)
	}
	switch to.Name {
	case schemas.DateName, schemas.TimeName, schemas.TimestampName:
		if s, ok := v.(string); ok {
			v = ParseValueString(s).Value
		}
		if t, ok := v.(time.Time); ok {
			return t, nil // the parser's values carry no schema: nothing to convert
		}
		n, err := asLong(v)
		if err != nil {
			return nil, err
		}
		switch to.Name {
		case schemas.DateName:
			return time.UnixMilli(int64(int32(n)) * 86400000).UTC(), nil
		case schemas.TimeName:
			return time.UnixMilli(int64(int32(n))).UTC(), nil
		}
		return time.UnixMilli(n).UTC(), nil
	case schemas.DecimalName:
		switch x := v.(type) {
		case *inf.Dec:
			return x, nil
		case string:
			break
		default:
			if f, err := asDouble(x); err == nil {
				d, ok := new(inf.Dec).SetString(strconv.FormatFloat(f, 'f', -1, 64))
				if ok {
					return d, nil
				}
			}
		}
		return nil, fmt.Errorf("%w: Unable to convert %v (%T) to a Decimal", errParse, v, v)
	}
	switch to.Type {
	case schemas.String:
		var b strings.Builder
		if err := appendValue(&b, v, false); err != nil {
			return nil, fmt.Errorf("%w: %v", errParse, err)
		}
		return b.String(), nil
	case schemas.Boolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		if s, ok := v.(string); ok {
			if b, ok := ParseValueString(s).Value.(bool); ok {
				return b, nil
			}
		}
		n, err := asLong(v)
		return n != 0, err
	case schemas.Int8, schemas.Int16, schemas.Int32, schemas.Int64:
		n, err := asLong(v)
		if err != nil {
			return nil, err
		}
		switch to.Type {
		case schemas.Int8:
			return int8(n), nil
		case schemas.Int16:
			return int16(n), nil
		case schemas.Int32:
			return int32(n), nil
		}
		return n, nil
	case schemas.Float32:
		f, err := asDouble(v)
		return float32(f), err
	case schemas.Float64:
		return asDouble(v)
	case schemas.Array:
		if s, ok := v.(string); ok {
			v = ParseValueString(s).Value
		}
		if l, ok := v.([]any); ok {
			return l, nil
		}
	case schemas.Map:
		if s, ok := v.(string); ok {
			v = ParseValueString(s).Value
		}
		switch v.(type) {
		case map[string]any, map[any]any:
			return v, nil
		}
	}
	return nil, fmt.Errorf("%w: Unable to convert %v (%T) to %s", errParse, v, v, to.Type)
}

// asLong is Java's Number.longValue of a parsed value (truncating), or of
// a string read as a BigDecimal.
func asLong(v any) (int64, error) {
	if n, ok := schemas.AsInt64(v); ok {
		return n, nil
	}
	switch x := v.(type) {
	case float32:
		return javaF2L(float64(x)), nil
	case float64:
		return javaF2L(x), nil
	case *inf.Dec:
		return decLong(x), nil
	case string:
		if !bigDecimalSyntax.MatchString(x) {
			return 0, fmt.Errorf("%w: Unable to convert %s (class java.lang.String) to a number", errParse, x)
		}
		d, _ := decimalOf(x)
		return decLong(d), nil
	}
	return 0, fmt.Errorf("%w: Unable to convert %v (%T) to a number", errParse, v, v)
}

func asDouble(v any) (float64, error) {
	switch x := v.(type) {
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	case *inf.Dec:
		f, _ := new(big.Float).SetString(x.String())
		d, _ := f.Float64()
		return d, nil
	case string:
		if bigDecimalSyntax.MatchString(x) {
			f, _ := strconv.ParseFloat(x, 64)
			return f, nil
		}
	}
	n, err := asLong(v)
	return float64(n), err
}

// javaF2L is Java's (long) of a double: truncation, saturating, NaN 0.
func javaF2L(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// decLong is BigDecimal.longValue: the integer part's low 64 bits.
func decLong(d *inf.Dec) int64 {
	q := new(inf.Dec).Round(d, 0, inf.RoundDown)
	return q.UnscaledBig().Int64() // Int64 of a big.Int keeps the low 64 bits
}

// bigDecimalSyntax is what java.math.BigDecimal(String) accepts.
var bigDecimalSyntax = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// decimalOf reads BigDecimal text: its unscaled value and scale (the
// fraction's digits less the exponent).
func decimalOf(s string) (*inf.Dec, bool) {
	if !bigDecimalSyntax.MatchString(s) {
		return nil, false
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return nil, false
		}
		mant, exp = s[:i], e
	}
	scale := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = len(mant) - i - 1
		mant = mant[:i] + mant[i+1:]
	}
	unscaled, ok := new(big.Int).SetString(strings.TrimPrefix(mant, "+"), 10)
	if !ok {
		return nil, false
	}
	return new(inf.Dec).SetUnscaledBig(unscaled).SetScale(inf.Scale(scale - exp)), true
}

// parseDecimal is how Values reads a number: the smallest integer type
// holding it exactly, else FLOAT32 or FLOAT64 when it has a scale and
// fits, else a Decimal of its scale.
func parseDecimal(token string) (*schemas.SchemaAndValue, bool) {
	d, ok := decimalOf(token)
	if !ok {
		return nil, false
	}
	r, _ := new(big.Rat).SetString(d.String())
	if r.IsInt() && r.Num().IsInt64() {
		n := r.Num().Int64()
		switch {
		case n >= math.MinInt8 && n <= math.MaxInt8:
			return &schemas.SchemaAndValue{Schema: schemas.Int8Schema, Value: int8(n)}, true
		case n >= math.MinInt16 && n <= math.MaxInt16:
			return &schemas.SchemaAndValue{Schema: schemas.Int16Schema, Value: int16(n)}, true
		case n >= math.MinInt32 && n <= math.MaxInt32:
			return &schemas.SchemaAndValue{Schema: schemas.Int32Schema, Value: int32(n)}, true
		}
		return &schemas.SchemaAndValue{Schema: schemas.Int64Schema, Value: n}, true
	}
	if d.Scale() != 0 {
		if f, _ := r.Float32(); !math.IsInf(float64(f), 0) {
			return &schemas.SchemaAndValue{Schema: schemas.Float32Schema, Value: f}, true
		}
		if f, _ := r.Float64(); !math.IsInf(f, 0) {
			return &schemas.SchemaAndValue{Schema: schemas.Float64Schema, Value: f}, true
		}
	}
	return &schemas.SchemaAndValue{Schema: schemas.NewDecimal(int(d.Scale()), false), Value: d}, true
}

// The ISO-8601 forms Values reads (SimpleDateFormat, lenient: an hour of
// 25 rolls over), in UTC.
var (
	isoTime      = regexp.MustCompile(`^(\d+):(\d+):(\d+)\.(\d+)Z$`)
	isoTimestamp = regexp.MustCompile(`^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)Z$`)
	isoDate      = regexp.MustCompile(`^(\d+)-(\d+)-(\d+)$`)
)

func parseTemporal(token string) *schemas.SchemaAndValue {
	token = strings.ReplaceAll(token, `\:`, ":")
	num := func(ss []string) []int {
		out := make([]int, len(ss))
		for i, s := range ss {
			out[i], _ = strconv.Atoi(s)
		}
		return out
	}
	switch len(token) {
	case len("HH:mm:ss.SSSZ"):
		if m := isoTime.FindStringSubmatch(token); m != nil {
			n := num(m[1:])
			t := time.Date(1970, 1, 1, n[0], n[1], n[2], 0, time.UTC).Add(time.Duration(n[3]) * time.Millisecond)
			return &schemas.SchemaAndValue{Schema: schemas.NewTime(false), Value: t}
		}
	case len("yyyy-MM-ddTHH:mm:ss.SSSZ"):
		if m := isoTimestamp.FindStringSubmatch(token); m != nil {
			n := num(m[1:])
			t := time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], 0, time.UTC).Add(time.Duration(n[6]) * time.Millisecond)
			return &schemas.SchemaAndValue{Schema: schemas.NewTimestamp(false), Value: t}
		}
	case len("yyyy-MM-dd"):
		if m := isoDate.FindStringSubmatch(token); m != nil {
			n := num(m[1:])
			t := time.Date(n[0], time.Month(n[1]), n[2], 0, 0, 0, 0, time.UTC)
			return &schemas.SchemaAndValue{Schema: schemas.NewDate(false), Value: t}
		}
	}
	return nil
}
