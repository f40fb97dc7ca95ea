package cassandra

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/schemas"
)

// timeCodec is DataStax's per-topic topic.<topic>.codec.* settings: how
// text (and numbers, for timestamps) becomes CQL timestamp, date and time.
// Without any codec setting a topic keeps toCQL's defaults, which are the
// same as DataStax's defaults in UTC.
type timeCodec struct {
	loc       *time.Location
	unit      time.Duration // of numbers and all-digit strings as timestamps
	timestamp timeFormat
	date      timeFormat
	time      timeFormat
}

// timeFormat parses one kind of text; name is the setting's value, for errors.
type timeFormat struct {
	name    string
	layouts []string // Go layouts tried in order
	zoned   bool     // ISO_ZONED_DATE_TIME: an optional [Region/City] suffix
	cql     bool     // CQL_TIMESTAMP: every CQL timestamp literal
	epoch   bool     // UNITS_SINCE_EPOCH: digits only, in codec.unit
}

var codecKey = regexp.MustCompile(`^topic\.(.+)\.codec\.(locale|timeZone|timestamp|date|time|unit)$`)

// Java's predefined DateTimeFormatter constants gonnect understands.
var predefined = map[string][]string{
	"ISO_LOCAL_DATE":       {"2006-01-02"},
	"ISO_DATE":             {"2006-01-02Z07:00", "2006-01-02"},
	"BASIC_ISO_DATE":       {"20060102Z0700", "20060102"},
	"ISO_LOCAL_TIME":       {"15:04:05.999999999", "15:04"},
	"ISO_TIME":             {"15:04:05.999999999Z07:00", "15:04Z07:00", "15:04:05.999999999", "15:04"},
	"ISO_OFFSET_TIME":      {"15:04:05.999999999Z07:00", "15:04Z07:00"},
	"ISO_LOCAL_DATE_TIME":  {"2006-01-02T15:04:05.999999999", "2006-01-02T15:04"},
	"ISO_OFFSET_DATE_TIME": {"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04Z07:00"},
	"ISO_ZONED_DATE_TIME":  {"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04Z07:00"},
	"ISO_DATE_TIME":        {"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04"},
	"ISO_INSTANT":          {"2006-01-02T15:04:05.999999999Z07:00"},
	"RFC_1123_DATE_TIME":   {"Mon, 2 Jan 2006 15:04:05 MST", "Mon, 2 Jan 2006 15:04:05 -0700", "2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 -0700"},
}

// cqlTimestampLayouts are the CQL timestamp literal forms (date, optional
// time with optional fraction, optional zone, space or T).
var cqlTimestampLayouts = func() []string {
	var out []string
	for _, sep := range []string{"T", " "} {
		for _, tm := range []string{"15:04:05.999999999", "15:04"} {
			for _, z := range []string{"Z07:00", "Z0700", " Z07:00", " Z0700", " MST", ""} {
				out = append(out, "2006-01-02"+sep+tm+z)
			}
		}
	}
	return append(out, "2006-01-02Z07:00", "2006-01-02Z0700", "2006-01-02")
}()

// parseCodecs reads every topic.<topic>.codec.* setting into one codec per
// topic; errors name the key.
func parseCodecs(cfg map[string]string) (map[string]*timeCodec, map[string]error) {
	out := map[string]*timeCodec{}
	errs := map[string]error{}
	locales := map[string]string{}
	for k, v := range cfg {
		m := codecKey.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		c := out[m[1]]
		if c == nil {
			c = defaultCodec()
			out[m[1]] = c
		}
		v = strings.TrimSpace(v)
		var err error
		switch m[2] {
		case "locale":
			locales[m[1]] = v
		// A refused value leaves the default in place: the codec is never
		// used with a nil zone or a zero unit.
		case "timeZone":
			var loc *time.Location
			if loc, err = time.LoadLocation(v); err == nil {
				c.loc = loc
			}
		case "unit":
			u, ok := units[strings.ToUpper(v)]
			if !ok {
				err = fmt.Errorf("unknown time unit %q", v)
			} else {
				c.unit = u
			}
		case "timestamp", "date", "time":
			var f timeFormat
			if f, err = newTimeFormat(v, m[2]); err == nil {
				switch m[2] {
				case "timestamp":
					c.timestamp = f
				case "date":
					c.date = f
				default:
					c.time = f
				}
			}
		}
		if err != nil {
			errs[k] = fmt.Errorf("Invalid value %s for configuration %s: %w", v, k, err)
		}
	}
	for topic, loc := range locales {
		key := "topic." + topic + ".codec.locale"
		if err := checkLocale(loc, out[topic]); err != nil {
			errs[key] = fmt.Errorf("Invalid value %s for configuration %s: %w", loc, key, err)
		}
	}
	return out, errs
}

func defaultCodec() *timeCodec {
	return &timeCodec{loc: time.UTC, unit: time.Millisecond,
		timestamp: timeFormat{name: "CQL_TIMESTAMP", cql: true},
		date:      timeFormat{name: "ISO_LOCAL_DATE", layouts: predefined["ISO_LOCAL_DATE"]},
		time:      timeFormat{name: "ISO_LOCAL_TIME", layouts: predefined["ISO_LOCAL_TIME"]}}
}

var localeRE = regexp.MustCompile(`^([A-Za-z]{2,3})(?:[_-][A-Za-z0-9]{2,3})?$`)

// checkLocale accepts any well-formed locale, but month and day names are
// parsed in English only, so a pattern with names needs an English locale.
func checkLocale(loc string, c *timeCodec) error {
	m := localeRE.FindStringSubmatch(loc)
	if m == nil {
		return fmt.Errorf("not a locale such as en_US")
	}
	if strings.EqualFold(m[1], "en") {
		return nil
	}
	for _, f := range []timeFormat{c.timestamp, c.date, c.time} {
		for _, l := range f.layouts {
			if strings.Contains(l, "Jan") || strings.Contains(l, "Mon") || strings.Contains(l, "PM") {
				return fmt.Errorf("format %s has month or day names or AM/PM, which gonnect reads in English only; use an en locale or a numeric pattern", f.name)
			}
		}
	}
	return nil
}

// newTimeFormat reads a codec.timestamp/date/time value: a predefined
// DateTimeFormatter name, CQL_TIMESTAMP or UNITS_SINCE_EPOCH (timestamps
// only), or a DateTimeFormatter pattern such as "dd/MM/yyyy HH:mm:ss".
func newTimeFormat(v, kind string) (timeFormat, error) {
	f := timeFormat{name: v}
	switch up := strings.ToUpper(v); {
	case up == "CQL_TIMESTAMP" || up == "UNITS_SINCE_EPOCH":
		if kind != "timestamp" {
			return f, fmt.Errorf("%s is only valid for codec.timestamp", up)
		}
		f.cql, f.epoch = up == "CQL_TIMESTAMP", up == "UNITS_SINCE_EPOCH"
		return f, nil
	case predefined[up] != nil:
		f.layouts, f.zoned = predefined[up], up == "ISO_ZONED_DATE_TIME" || up == "ISO_DATE_TIME"
		return f, nil
	case strings.HasPrefix(up, "ISO_") || strings.HasPrefix(up, "RFC_") || strings.HasPrefix(up, "BASIC_"):
		return f, fmt.Errorf("unsupported formatter %s (supported: CQL_TIMESTAMP, UNITS_SINCE_EPOCH, %s, or a pattern)", v, strings.Join(predefinedNames(), ", "))
	}
	layout, err := javaLayout(v)
	if err != nil {
		return f, err
	}
	f.layouts = []string{layout}
	return f, nil
}

func predefinedNames() []string {
	var out []string
	for k := range predefined {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// javaLayout turns a java.time DateTimeFormatter pattern into a Go layout.
func javaLayout(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' {
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				return "", fmt.Errorf("pattern %q: unterminated quote", p)
			}
			if j == 0 {
				b.WriteByte('\'')
			} else {
				b.WriteString(p[i+1 : i+1+j])
			}
			i += j + 2
			continue
		}
		if c == '[' || c == ']' || c == '{' || c == '}' || c == '#' {
			return "", fmt.Errorf("pattern %q: optional sections and reserved characters are not supported", p)
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b.WriteByte(c)
			i++
			continue
		}
		n := 1
		for i+n < len(p) && p[i+n] == c {
			n++
		}
		i += n
		var out string
		switch {
		case c == 'y' || c == 'u':
			out = map[bool]string{true: "06", false: "2006"}[n == 2]
		case c == 'M' || c == 'L':
			out = [...]string{"", "1", "01", "Jan", "January"}[min(n, 4)]
		case c == 'd' && n <= 2:
			out = [...]string{"", "2", "02"}[n]
		case c == 'D' && n == 3:
			out = "002"
		case c == 'E':
			out = map[bool]string{true: "Mon", false: "Monday"}[n <= 3]
		case c == 'a' && n == 1:
			out = "PM"
		case c == 'H' && n <= 2:
			out = "15"
		case c == 'h' && n <= 2:
			out = [...]string{"", "3", "03"}[n]
		case c == 'm' && n <= 2:
			out = [...]string{"", "4", "04"}[n]
		case c == 's' && n <= 2:
			out = [...]string{"", "5", "05"}[n]
		case c == 'S' && n <= 9 && (strings.HasSuffix(b.String(), ".") || strings.HasSuffix(b.String(), ",")):
			out = strings.Repeat("0", n)
		case c == 'X' && n <= 3:
			out = [...]string{"", "Z07", "Z0700", "Z07:00"}[n]
		case c == 'x' && n <= 3:
			out = [...]string{"", "-07", "-0700", "-07:00"}[n]
		case c == 'Z' && n <= 3:
			out = "-0700"
		case c == 'Z' && n == 5:
			out = "Z07:00"
		case c == 'z' && n <= 3:
			out = "MST"
		default:
			return "", fmt.Errorf("pattern %q: %s is not supported (supported letters: y u M L d D E a H h m s S after '.', X x Z z)", p, strings.Repeat(string(c), n))
		}
		b.WriteString(out)
	}
	return b.String(), nil
}

var zoneSuffix = regexp.MustCompile(`\[([^\]]+)\]$`)

// parse reads s with the format; text without a zone is in loc.
func (f timeFormat) parse(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	var zone *time.Location
	if f.zoned {
		if m := zoneSuffix.FindStringSubmatch(s); m != nil {
			z, err := time.LoadLocation(m[1])
			if err != nil {
				return time.Time{}, fmt.Errorf("unknown time zone %s in %q", m[1], s)
			}
			zone, s = z, s[:len(s)-len(m[0])]
		}
	}
	layouts := f.layouts
	if f.cql {
		layouts = cqlTimestampLayouts
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			if zone != nil {
				t = t.In(zone)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q does not match %s", s, f.name)
}

// allDigits reports an optionally signed integer.
func allDigits(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (c *timeCodec) timestampOf(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if !c.timestamp.epoch {
		t, err := c.timestamp.parse(s, c.loc)
		if err == nil {
			return t, nil
		}
		if !allDigits(s) {
			return time.Time{}, fmt.Errorf("timestamp with codec.timestamp=%s: %w", c.timestamp.name, err)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not a number of %s since the epoch: %w", s, c.unitName(), err)
	}
	return c.fromUnits(n), nil
}

func (c *timeCodec) fromUnits(n int64) time.Time {
	if c.unit >= time.Second {
		return time.Unix(n*int64(c.unit/time.Second), 0).UTC()
	}
	return time.Unix(0, n*int64(c.unit)).UTC()
}

func (c *timeCodec) unitName() string {
	for k, u := range units {
		if u == c.unit {
			return k
		}
	}
	return c.unit.String()
}

// apply converts the text (and, for timestamps, numbers) in v that the
// codec governs, at any depth of collections, tuples and UDTs, into
// time.Time and time.Duration, leaving the rest for toCQL.
func (c *timeCodec) apply(t gocql.TypeInfo, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t.Type() {
	case gocql.TypeTimestamp:
		switch x := v.(type) {
		case string:
			return c.timestampOf(x)
		case int8, int16, int32, int64, int:
			n, _ := toInt64(x)
			return c.fromUnits(n), nil
		}
	case gocql.TypeDate:
		if s, ok := v.(string); ok {
			d, err := c.date.parse(s, c.loc)
			if err != nil {
				return nil, fmt.Errorf("date with codec.date=%s: %w", c.date.name, err)
			}
			d = d.In(c.loc)
			return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	case gocql.TypeTime:
		if s, ok := v.(string); ok {
			d, err := c.time.parse(s, c.loc)
			if err != nil {
				return nil, fmt.Errorf("time with codec.time=%s: %w", c.time.name, err)
			}
			d = d.In(c.loc)
			return time.Duration(d.Hour())*time.Hour + time.Duration(d.Minute())*time.Minute + time.Duration(d.Second())*time.Second + time.Duration(d.Nanosecond()), nil
		}
	case gocql.TypeList, gocql.TypeSet:
		if arr, ok := v.([]any); ok {
			return convertList(t.(gocql.CollectionType).Elem, arr, c.apply)
		}
	case gocql.TypeMap:
		if m, ok := v.(map[string]any); ok {
			return convertMap(t.(gocql.CollectionType), m, c.apply)
		}
	case gocql.TypeTuple:
		tt := t.(gocql.TupleTypeInfo)
		items, ok := v.([]any)
		if st, isStruct := v.(*schemas.Struct); isStruct {
			items, ok = st.Values, true
		}
		if ok && len(items) == len(tt.Elems) {
			return convertTuple(tt.Elems, items, c.apply)
		}
	case gocql.TypeUDT:
		udt := t.(gocql.UDTTypeInfo)
		get, ok := udtFields(v)
		if !ok {
			return v, nil
		}
		out := make(map[string]any, len(udt.Elements))
		for _, f := range udt.Elements {
			fv, ok := get(f.Name)
			if !ok {
				continue
			}
			cv, err := c.apply(f.Type, fv)
			if err != nil {
				return nil, fmt.Errorf("UDT field %s: %w", f.Name, err)
			}
			out[f.Name] = cv
		}
		return out, nil
	}
	return v, nil
}
