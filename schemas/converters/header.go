package converters

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gonnect/gonnect/schemas"
)

// SimpleHeaderConverter is Connect's default header converter: a header
// is written as the string form of its value, and read back with the
// schema inferred from that string as Connect's Values.parseString does
// (ParseValueString: numbers, booleans, dates and times, lists, maps).
type SimpleHeaderConverter struct{}

// Configure implements schemas.Converter.
func (*SimpleHeaderConverter) Configure(map[string]string, bool) error { return nil }

// ToConnect implements schemas.Converter.
func (*SimpleHeaderConverter) ToConnect(_ string, data []byte) (schemas.SchemaAndValue, error) {
	if data == nil {
		return schemas.SchemaAndValue{}, nil
	}
	return ParseValueString(string(data)), nil
}

// FromConnect implements schemas.Converter.
func (*SimpleHeaderConverter) FromConnect(_ string, _ *schemas.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	var b strings.Builder
	if err := appendValue(&b, value, false); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// appendValue writes a value as Connect's Values.convertToString does;
// embedded strings (in lists and maps) are quoted.
func appendValue(b *strings.Builder, v any, embedded bool) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		if embedded {
			b.WriteString(`"` + strings.ReplaceAll(strings.ReplaceAll(x, `\`, `\\`), `"`, `\"`) + `"`)
		} else {
			b.WriteString(x)
		}
	case []byte:
		s := base64.StdEncoding.EncodeToString(x)
		if embedded {
			s = `"` + s + `"`
		}
		b.WriteString(s)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case time.Time:
		b.WriteString(formatDate(x))
	case float32:
		b.WriteString(javaFloat(float64(x), 32))
	case float64:
		b.WriteString(javaFloat(x, 64))
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64:
		fmt.Fprint(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendValue(b, e, true); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			_ = appendValue(b, k, true)
			b.WriteByte(':')
			if err := appendValue(b, x[k], true); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case *schemas.Struct:
		b.WriteByte('{')
		for i, f := range x.Schema.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			_ = appendValue(b, f.Name, true)
			b.WriteByte(':')
			if err := appendValue(b, x.Values[i], true); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("Failed to serialize unexpected value type %T: %v", v, v)
	}
	return nil
}

// formatDate writes a date, time or timestamp value as Connect's
// Values.dateFormatFor picks its ISO-8601 form: a time within the first
// day of the epoch, a date at midnight, else a timestamp (UTC).
func formatDate(t time.Time) string {
	const day = 86400000
	ms := t.UnixMilli()
	t = t.UTC()
	switch {
	case ms < day:
		return t.Format("15:04:05.000Z")
	case ms%day == 0:
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// javaFloat prints a float as Java's toString does for the common cases
// (a whole number keeps ".0").
func javaFloat(f float64, bits int) string {
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if !strings.ContainsAny(s, ".eEN") && !strings.Contains(s, "Inf") {
		s += ".0"
	}
	return s
}

// HeaderFromConfig builds the header converter named by
// cfg["header.converter"] (SimpleHeaderConverter when unset) and configures
// it with the keys under "header.converter.".
func HeaderFromConfig(cfg map[string]string) (schemas.Converter, error) {
	class := strings.TrimSpace(cfg["header.converter"])
	var c schemas.Converter
	if class == "" || class == SimpleHeaderClass || class == "SimpleHeaderConverter" {
		c = &SimpleHeaderConverter{}
	} else {
		var err error
		if c, err = New(class); err != nil {
			return nil, fmt.Errorf("creating header.converter: %w", err)
		}
	}
	sub := map[string]string{}
	for k, v := range cfg {
		if strings.HasPrefix(k, "header.converter.") {
			sub[strings.TrimPrefix(k, "header.converter.")] = v
		}
	}
	if err := c.Configure(sub, false); err != nil {
		return nil, fmt.Errorf("configuring header.converter %s: %w", class, err)
	}
	return c, nil
}
