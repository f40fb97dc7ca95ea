package transforms

import (
	"strings"
	"time"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/schemas"
)

const (
	tsString    = "string"
	tsUnix      = "unix"
	tsDate      = "Date"
	tsTime      = "Time"
	tsTimestamp = "Timestamp"
)

// TimestampConverter$Key / $Value.
type timestampConverter struct {
	s           side
	field       string
	target      string
	format      *dateFormat
	precision   string
	withDefault bool
	cache       schemaCache
}

func (t *timestampConverter) typeSchema(optional bool) *schemas.Schema {
	switch t.target {
	case tsString:
		if optional {
			return schemas.OptionalStringSchema
		}
		return schemas.StringSchema
	case tsUnix:
		if optional {
			return schemas.OptionalInt64Schema
		}
		return schemas.Int64Schema
	case tsDate:
		return dateSchema(optional)
	case tsTime:
		return timeSchema(optional)
	}
	return timestampSchema(optional)
}

func (t *timestampConverter) toRaw(kind string, v any) (time.Time, error) {
	switch kind {
	case tsString:
		s, ok := v.(string)
		if !ok {
			return time.Time{}, dataErr("Expected string timestamp to be a String, but found class %s", javaClass(v))
		}
		tm, err := t.format.parse(s)
		if err != nil {
			return time.Time{}, dataErr("Could not parse timestamp: value (%s) does not match pattern (%s)", s, t.format.pattern)
		}
		return tm, nil
	case tsUnix:
		n, ok := v.(int64)
		if !ok {
			return time.Time{}, dataErr("Expected Unix timestamp to be a Long, but found class %s", javaClass(v))
		}
		switch t.precision {
		case "seconds":
			return time.UnixMilli(n * 1000).UTC(), nil
		case "microseconds":
			return time.UnixMilli(n / 1000).UTC(), nil
		case "nanoseconds":
			return time.UnixMilli(n / 1e6).UTC(), nil
		}
		return time.UnixMilli(n).UTC(), nil
	}
	tm, ok := v.(time.Time)
	if !ok {
		what := map[string]string{tsDate: "Date", tsTime: "Time", tsTimestamp: "Timestamp"}[kind]
		return time.Time{}, dataErr("Expected %s to be a java.util.Date, but found class %s", what, javaClass(v))
	}
	return tm, nil
}

func (t *timestampConverter) toType(tm time.Time) any {
	ms := tm.UnixMilli()
	switch t.target {
	case tsString:
		return t.format.format(tm)
	case tsUnix:
		switch t.precision {
		case "seconds":
			return ms / 1000 // TimeUnit truncates towards zero
		case "microseconds":
			return ms * 1000
		case "nanoseconds":
			return ms * 1e6
		}
		return ms
	case tsDate:
		return time.UnixMilli(floorDiv(ms, millisPerDay) * millisPerDay).UTC()
	case tsTime:
		return time.UnixMilli(ms - floorDiv(ms, millisPerDay)*millisPerDay).UTC()
	}
	return time.UnixMilli(ms).UTC()
}

// floorDiv is used where Java's calendar arithmetic rounds towards the
// past; TimeUnit conversions truncate (see seconds below).
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func kindOfSchema(s *schemas.Schema) (string, error) {
	switch {
	case s.Name == schemas.TimestampName:
		return tsTimestamp, nil
	case s.Name == schemas.DateName:
		return tsDate, nil
	case s.Name == schemas.TimeName:
		return tsTime, nil
	case s.Type == schemas.String:
		return tsString, nil
	case s.Type == schemas.Int64:
		return tsUnix, nil
	}
	return "", &plainError{"Schema " + s.String() + " does not correspond to a known timestamp type format"}
}

func (t *timestampConverter) convert(v any, kind string) (any, error) {
	if v == nil {
		return nil, nil
	}
	if kind == "" {
		switch v.(type) {
		case time.Time:
			kind = tsTimestamp
		case int64:
			kind = tsUnix
		case string:
			kind = tsString
		default:
			return nil, dataErr("TimestampConverter does not support class %s objects as timestamps", javaClass(v))
		}
	}
	tm, err := t.toRaw(kind, v)
	if err != nil {
		return nil, err
	}
	return t.toType(tm), nil
}

func (t *timestampConverter) Apply(r Record) (Record, bool, error) {
	const purpose = "converting timestamp formats"
	sv := t.s.get(&r)
	if sv.Schema == nil {
		if sv.Value == nil || t.field == "" {
			v, err := t.convert(sv.Value, "")
			if err != nil {
				return r, false, err
			}
			t.s.set(&r, nil, v)
			return r, true, nil
		}
		m, err := requireMap(sv.Value, purpose)
		if err != nil {
			return r, false, err
		}
		out := copyMap(m, 0)
		if out[t.field], err = t.convert(m[t.field], ""); err != nil {
			return r, false, err
		}
		t.s.set(&r, nil, out)
		return r, true, nil
	}
	if t.field == "" {
		kind, err := kindOfSchema(sv.Schema)
		if err != nil {
			return r, false, err
		}
		v, err := t.convert(sv.Value, kind)
		if err != nil {
			return r, false, err
		}
		t.s.set(&r, t.typeSchema(sv.Schema.Optional), v)
		return r, true, nil
	}
	var st *schemas.Struct
	if sv.Value != nil {
		var err error
		if st, err = requireStruct(sv.Value, purpose); err != nil {
			return r, false, err
		}
	}
	up := t.cache.get(sv.Schema)
	if up == nil {
		if sv.Schema.Type != schemas.StructType {
			return r, false, dataErr("Only Struct objects supported for [%s], found: %s", purpose, sv.Schema.Type)
		}
		fs := make([]schemas.Field, len(sv.Schema.Fields))
		for i, f := range sv.Schema.Fields {
			fs[i] = schemas.Field{Name: f.Name, Schema: f.Schema}
			if f.Name == t.field {
				fs[i].Schema = t.typeSchema(f.Schema.Optional)
			}
		}
		up = structLike(sv.Schema, sv.Schema.Optional, fs)
		if d, ok := sv.Schema.Default.(*schemas.Struct); ok {
			dv, err := t.applyStruct(d, up)
			if err != nil {
				return r, false, err
			}
			up.Default = dv
		}
		t.cache.put(sv.Schema, up)
	}
	out, err := t.applyStruct(st, up)
	if err != nil {
		return r, false, err
	}
	if out == nil {
		t.s.set(&r, up, nil)
	} else {
		t.s.set(&r, up, out)
	}
	return r, true, nil
}

func (t *timestampConverter) applyStruct(st *schemas.Struct, up *schemas.Schema) (*schemas.Struct, error) {
	if st == nil {
		return nil, nil
	}
	out := schemas.NewStructValue(up)
	for i, f := range st.Schema.Fields {
		v := fieldValue(st, i, t.withDefault)
		if f.Name == t.field {
			kind, err := kindOfSchema(f.Schema)
			if err != nil {
				return nil, err
			}
			if v, err = t.convert(v, kind); err != nil {
				return nil, err
			}
		}
		_ = out.Put(f.Name, v)
	}
	return out, nil
}

// TimestampRouter.
type timestampRouter struct {
	topicFormat string
	format      *dateFormat
}

func (t *timestampRouter) Apply(r Record) (Record, bool, error) {
	if r.Timestamp.IsZero() {
		return r, false, dataErr("Timestamp missing on record: %s", describeRecord(r))
	}
	ts := t.format.format(r.Timestamp)
	topic := strings.ReplaceAll(t.topicFormat, "${topic}", r.Topic)
	r.Topic = strings.ReplaceAll(topic, "${timestamp}", ts)
	return r, true, nil
}

func describeRecord(r Record) string {
	p := "null"
	if r.Partition != nil {
		p = itoa(int(*r.Partition))
	}
	return "record{topic='" + r.Topic + "', kafkaPartition=" + p + "}"
}

func init() {
	def := configdef.New().
		Define(configdef.Key{Name: "field", Type: configdef.String, Default: "", Importance: configdef.High,
			Doc: "The field containing the timestamp, or empty if the entire value is a timestamp"}).
		Define(configdef.Key{Name: "target.type", Type: configdef.String, Default: configdef.NoDefault,
			Validator: configdef.In(tsString, tsUnix, tsDate, tsTime, tsTimestamp), Importance: configdef.High,
			Doc: "The desired timestamp representation: string, unix, Date, Time, or Timestamp"}).
		Define(configdef.Key{Name: "format", Type: configdef.String, Default: "", Importance: configdef.Medium,
			Doc: "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string."}).
		Define(configdef.Key{Name: "unix.precision", Type: configdef.String, Default: "milliseconds",
			Validator: configdef.In("nanoseconds", "microseconds", "milliseconds", "seconds"), Importance: configdef.Low,
			Doc: "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long.Note: This SMT will cause precision loss during conversions from, and to, values with sub-millisecond components."}).
		Define(replaceNullKey())
	registerKV("TimestampConverter", def, func(s side, v configdef.Values) (Transformation, error) {
		t := &timestampConverter{s: s, field: v.String("field"), target: v.String("target.type"), precision: v.String("unix.precision"),
			withDefault: v.Bool("replace.null.with.default")}
		pattern := v.String("format")
		if t.target == tsString && strings.TrimSpace(pattern) == "" {
			return nil, configError("", nil, "TimestampConverter requires format option to be specified when using string timestamps")
		}
		if strings.TrimSpace(pattern) != "" {
			f, err := compileDateFormat(pattern)
			if err != nil {
				return nil, configError("", nil, "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: "+pattern)
			}
			t.format = f
		}
		return t, nil
	})
	routerDef := configdef.New().
		Define(configdef.Key{Name: "topic.format", Type: configdef.String, Default: "${topic}-${timestamp}", Importance: configdef.High,
			Doc: "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as placeholders for the topic and timestamp, respectively."}).
		Define(configdef.Key{Name: "timestamp.format", Type: configdef.String, Default: "yyyyMMdd", Importance: configdef.High,
			Doc: "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>."})
	register(&Plugin{Class: pkg + "TimestampRouter", Type: TypeTransformation, Config: routerDef, newT: func(v configdef.Values) (Transformation, error) {
		f, err := compileDateFormat(v.String("timestamp.format"))
		if err != nil {
			return nil, configError("timestamp.format", v.String("timestamp.format"), err.Error())
		}
		return &timestampRouter{topicFormat: v.String("topic.format"), format: f}, nil
	}})
}
