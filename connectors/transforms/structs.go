package transforms

import (
	"strings"
	"time"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/schemas"
	"gopkg.in/inf.v0"
)

// Flatten$Key / $Value.
type flatten struct {
	s     side
	delim string
	cache schemaCache
}

func (t *flatten) name(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + t.delim + field
}

func (t *flatten) Apply(r Record) (Record, bool, error) {
	sv := t.s.get(&r)
	if sv.Value == nil {
		return r, true, nil
	}
	if sv.Schema == nil {
		m, err := requireMap(sv.Value, "flattening")
		if err != nil {
			return r, false, err
		}
		out := make(map[string]any, len(m))
		if err := t.flatMap(m, "", out); err != nil {
			return r, false, err
		}
		t.s.set(&r, nil, out)
		return r, true, nil
	}
	st, err := requireStruct(sv.Value, "flattening")
	if err != nil {
		return r, false, err
	}
	up := t.cache.get(sv.Schema)
	if up == nil {
		var fs []schemas.Field
		var def *schemas.Struct
		if d, ok := sv.Schema.Default.(*schemas.Struct); ok {
			def = d
		}
		if fs, err = t.flatSchema(sv.Schema, "", fs, sv.Schema.Optional, def); err != nil {
			return r, false, err
		}
		up = structLike(sv.Schema, false, fs)
		t.cache.put(sv.Schema, up)
	}
	out := schemas.NewStructValue(up)
	t.flatStruct(st, "", out)
	t.s.set(&r, up, out)
	return r, true, nil
}

func (t *flatten) flatMap(m map[string]any, prefix string, out map[string]any) error {
	for k, v := range m {
		name := t.name(prefix, k)
		if v == nil {
			out[name] = nil
			continue
		}
		switch inferType(v) {
		case 0:
			return dataErr("Flatten transformation was passed a value of type class %s which is not supported by Connect's data API", javaClass(v))
		case schemas.Map:
			sub, err := requireMap(v, "flattening")
			if err != nil {
				return err
			}
			if err := t.flatMap(sub, name, out); err != nil {
				return err
			}
		case schemas.StructType:
			return dataErr("Flatten transformation does not support class %s for record without schemas (for field %s).", javaClass(v), name)
		default:
			out[name] = v
		}
	}
	return nil
}

func (t *flatten) flatSchema(s *schemas.Schema, prefix string, fs []schemas.Field, optional bool, parentDefault *schemas.Struct) ([]schemas.Field, error) {
	for i, f := range s.Fields {
		name := t.name(prefix, f.Name)
		opt := optional || f.Schema.Optional
		var def any
		if f.Schema.Default != nil {
			def = f.Schema.Default
		} else if parentDefault != nil {
			def = fieldValue(parentDefault, i, true)
		}
		switch f.Schema.Type {
		case schemas.StructType:
			sub, _ := def.(*schemas.Struct)
			var err error
			if fs, err = t.flatSchema(f.Schema, name, fs, opt, sub); err != nil {
				return nil, err
			}
		case schemas.Map:
			return nil, dataErr("Flatten transformation does not support %s for record with schemas (for field %s).", f.Schema.Type, name)
		default:
			fsch := copyBasics(f.Schema)
			fsch.Optional = opt
			fsch.Default = def
			fs = append(fs, schemas.Field{Name: name, Schema: fsch})
		}
	}
	return fs, nil
}

func (t *flatten) flatStruct(st *schemas.Struct, prefix string, out *schemas.Struct) {
	if st == nil {
		return
	}
	for i, f := range st.Schema.Fields {
		name := t.name(prefix, f.Name)
		if f.Schema.Type == schemas.StructType {
			sub, _ := st.Values[i].(*schemas.Struct)
			t.flatStruct(sub, name, out)
			continue
		}
		_ = out.Put(name, fieldValue(st, i, true))
	}
}

// insertSpec is a field name with optional "?" (optional, the default) or
// "!" (required) suffix.
type insertSpec struct {
	name     string
	optional bool
}

func parseInsertSpec(s string, set bool) *insertSpec {
	if !set {
		return nil
	}
	switch {
	case strings.HasSuffix(s, "?"):
		return &insertSpec{s[:len(s)-1], true}
	case strings.HasSuffix(s, "!"):
		return &insertSpec{s[:len(s)-1], false}
	}
	return &insertSpec{s, true}
}

// InsertField$Key / $Value.
type insertField struct {
	s                                               side
	topic, partition, offset, timestamp, staticName *insertSpec
	staticValue                                     string
	withDefault                                     bool
	cache                                           schemaCache
}

func (t *insertField) Apply(r Record) (Record, bool, error) {
	const purpose = "field insertion"
	sv := t.s.get(&r)
	if sv.Value == nil {
		return r, true, nil
	}
	if t.offset != nil && !r.Sink {
		return r, false, dataErr("Only SinkRecord supported for [%s], found: org.apache.kafka.connect.source.SourceRecord", purpose)
	}
	if sv.Schema == nil {
		m, err := requireMap(sv.Value, purpose)
		if err != nil {
			return r, false, err
		}
		out := copyMap(m, 5)
		if t.topic != nil {
			out[t.topic.name] = r.Topic
		}
		if t.partition != nil && r.Partition != nil {
			out[t.partition.name] = *r.Partition
		}
		if t.offset != nil {
			out[t.offset.name] = r.Offset
		}
		if t.timestamp != nil && !r.Timestamp.IsZero() {
			// Schemaless, Connect inserts the timestamp as a long.
			out[t.timestamp.name] = r.Timestamp.UnixMilli()
		}
		if t.staticName != nil {
			out[t.staticName.name] = t.staticValue
		}
		t.s.set(&r, nil, out)
		return r, true, nil
	}
	st, err := requireStruct(sv.Value, purpose)
	if err != nil {
		return r, false, err
	}
	up := t.cache.get(st.Schema)
	if up == nil {
		fs := make([]schemas.Field, 0, len(st.Schema.Fields)+5)
		for _, f := range st.Schema.Fields {
			fs = append(fs, schemas.Field{Name: f.Name, Schema: f.Schema})
		}
		add := func(sp *insertSpec, opt, req *schemas.Schema) {
			if sp != nil {
				s := req
				if sp.optional {
					s = opt
				}
				fs = append(fs, schemas.Field{Name: sp.name, Schema: s})
			}
		}
		add(t.topic, schemas.OptionalStringSchema, schemas.StringSchema)
		add(t.partition, schemas.OptionalInt32Schema, schemas.Int32Schema)
		add(t.offset, schemas.OptionalInt64Schema, schemas.Int64Schema)
		add(t.timestamp, timestampSchema(true), timestampSchema(false))
		add(t.staticName, schemas.OptionalStringSchema, schemas.StringSchema)
		up = structLike(st.Schema, false, fs)
		t.cache.put(st.Schema, up)
	}
	out := schemas.NewStructValue(up)
	for i, f := range st.Schema.Fields {
		_ = out.Put(f.Name, fieldValue(st, i, t.withDefault))
	}
	if t.topic != nil {
		_ = out.Put(t.topic.name, r.Topic)
	}
	if t.partition != nil && r.Partition != nil {
		_ = out.Put(t.partition.name, *r.Partition)
	}
	if t.offset != nil {
		_ = out.Put(t.offset.name, r.Offset)
	}
	if t.timestamp != nil && !r.Timestamp.IsZero() {
		_ = out.Put(t.timestamp.name, r.Timestamp.UTC())
	}
	if t.staticName != nil {
		_ = out.Put(t.staticName.name, t.staticValue)
	}
	t.s.set(&r, up, out)
	return r, true, nil
}

// ReplaceField$Key / $Value.
type replaceField struct {
	s                side
	exclude, include map[string]bool
	renames, reverse map[string]string
	withDefault      bool
	cache            schemaCache
}

func (t *replaceField) keep(name string) bool {
	return !t.exclude[name] && (len(t.include) == 0 || t.include[name])
}

func (t *replaceField) renamed(name string) string {
	if n, ok := t.renames[name]; ok {
		return n
	}
	return name
}

func (t *replaceField) Apply(r Record) (Record, bool, error) {
	const purpose = "field replacement"
	sv := t.s.get(&r)
	if sv.Value == nil {
		return r, true, nil
	}
	if sv.Schema == nil {
		m, err := requireMap(sv.Value, purpose)
		if err != nil {
			return r, false, err
		}
		out := make(map[string]any, len(m))
		for k, v := range m {
			if t.keep(k) {
				out[t.renamed(k)] = v
			}
		}
		t.s.set(&r, nil, out)
		return r, true, nil
	}
	st, err := requireStruct(sv.Value, purpose)
	if err != nil {
		return r, false, err
	}
	up := t.cache.get(st.Schema)
	if up == nil {
		var fs []schemas.Field
		for _, f := range st.Schema.Fields {
			if t.keep(f.Name) {
				fs = append(fs, schemas.Field{Name: t.renamed(f.Name), Schema: f.Schema})
			}
		}
		up = structLike(st.Schema, false, fs)
		t.cache.put(st.Schema, up)
	}
	out := schemas.NewStructValue(up)
	for i, f := range up.Fields {
		src := f.Name
		if o, ok := t.reverse[f.Name]; ok {
			src = o
		}
		out.Values[i], _ = getField(st, src, t.withDefault)
	}
	t.s.set(&r, up, out)
	return r, true, nil
}

func parseRenames(l []string) (map[string]string, error) {
	m := map[string]string{}
	for _, s := range l {
		parts := strings.Split(s, ":")
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		if len(parts) != 2 {
			return nil, configError("renames", l, "Invalid rename mapping: "+s)
		}
		m[parts[0]] = parts[1]
	}
	return m, nil
}

// MaskField$Key / $Value.
type maskField struct {
	s           side
	fields      map[string]bool
	replacement *string
	withDefault bool
}

func (t *maskField) masked(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if t.replacement == nil {
		switch x := v.(type) {
		case bool:
			return false, nil
		case int8:
			return int8(0), nil
		case int16:
			return int16(0), nil
		case int32:
			return int32(0), nil
		case int64:
			return int64(0), nil
		case float32:
			return float32(0), nil
		case float64:
			return float64(0), nil
		case *inf.Dec:
			return inf.NewDec(0, 0), nil
		case time.Time:
			return time.UnixMilli(0).UTC(), nil
		case string:
			return "", nil
		case []any:
			return []any{}, nil
		case map[string]any:
			return map[string]any{}, nil
		case map[any]any:
			return map[any]any{}, nil
		default:
			return nil, dataErr("Cannot mask value of type: class %s", javaClass(x))
		}
	}
	rep := *t.replacement
	bad := func() error {
		return dataErr("Unable to convert %s (class java.lang.String) to number", rep)
	}
	switch v.(type) {
	case string:
		return rep, nil
	case int8, int16, int32, int64, float32, float64:
		target := inferType(v)
		out, err := valuesConvert(rep, target)
		if err != nil {
			return nil, bad()
		}
		return out, nil
	case *inf.Dec:
		d, ok := new(inf.Dec).SetString(rep)
		if !ok {
			return nil, bad()
		}
		return d, nil
	}
	return nil, dataErr("Cannot mask value of type class %s with custom replacement.", javaClass(v))
}

func (t *maskField) Apply(r Record) (Record, bool, error) {
	const purpose = "mask fields"
	sv := t.s.get(&r)
	if sv.Schema == nil {
		m, err := requireMap(sv.Value, purpose)
		if err != nil {
			return r, false, err
		}
		out := copyMap(m, 0)
		for f := range t.fields {
			v, err := t.masked(m[f])
			if err != nil {
				return r, false, err
			}
			out[f] = v
		}
		t.s.set(&r, nil, out)
		return r, true, nil
	}
	st, err := requireStruct(sv.Value, purpose)
	if err != nil {
		return r, false, err
	}
	out := schemas.NewStructValue(st.Schema)
	for i, f := range st.Schema.Fields {
		v := fieldValue(st, i, t.withDefault)
		if t.fields[f.Name] {
			if v, err = t.masked(v); err != nil {
				return r, false, err
			}
		}
		out.Values[i] = v
	}
	t.s.set(&r, st.Schema, out)
	return r, true, nil
}

// valuesConvert parses a replacement as Connect's Values.convertTo* does
// for a string: the string is parsed as a number and narrowed.
func valuesConvert(s string, target schemas.Type) (any, error) {
	d, ok := new(inf.Dec).SetString(strings.TrimSpace(s))
	if !ok {
		f, err := parseJavaDouble(s, false)
		if err != nil {
			return nil, err
		}
		return castValue(nil, f, target)
	}
	return castValue(schemas.NewDecimal(int(d.Scale()), false), d, target)
}

func toSet(l []string) map[string]bool {
	m := make(map[string]bool, len(l))
	for _, s := range l {
		m[s] = true
	}
	return m
}

func init() {
	flattenDef := configdef.New().Define(configdef.Key{Name: "delimiter", Type: configdef.String, Default: ".", Importance: configdef.Medium,
		Doc: "Delimiter to insert between field names from the input record when generating field names for the output record"})
	registerKV("Flatten", flattenDef, func(s side, v configdef.Values) (Transformation, error) {
		return &flatten{s: s, delim: v.String("delimiter")}, nil
	})

	const opt = "Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default)."
	str := func(name, doc string) configdef.Key {
		return configdef.Key{Name: name, Type: configdef.String, Importance: configdef.Medium, Doc: doc}
	}
	insertDef := configdef.New().
		Define(str("topic.field", "Field name for Kafka topic. "+opt)).
		Define(str("partition.field", "Field name for Kafka partition. "+opt)).
		Define(str("offset.field", "Field name for Kafka offset - only applicable to sink connectors.<br/>"+opt)).
		Define(str("timestamp.field", "Field name for record timestamp. "+opt)).
		Define(str("static.field", "Field name for static data field. "+opt)).
		Define(str("static.value", "Static field value, if field name configured.")).
		Define(replaceNullKey())
	registerKV("InsertField", insertDef, func(s side, v configdef.Values) (Transformation, error) {
		spec := func(name string) *insertSpec { x, ok := v[name].(string); return parseInsertSpec(x, ok) }
		t := &insertField{s: s, topic: spec("topic.field"), partition: spec("partition.field"), offset: spec("offset.field"),
			timestamp: spec("timestamp.field"), staticName: spec("static.field"), withDefault: v.Bool("replace.null.with.default")}
		sv, hasStatic := v["static.value"].(string)
		t.staticValue = sv
		if t.topic == nil && t.partition == nil && t.offset == nil && t.timestamp == nil && t.staticName == nil {
			return nil, configError("", nil, "No field insertion configured")
		}
		if t.staticName != nil && !hasStatic {
			return nil, &configdef.Error{Name: "static.value", Message: "Invalid value null for configuration static.value: No value specified for static field: " + t.staticName.name}
		}
		return t, nil
	})

	list := func(name, doc string, val configdef.Validator) configdef.Key {
		return configdef.Key{Name: name, Type: configdef.List, Default: "", Validator: val, Importance: configdef.Medium, Doc: doc}
	}
	replaceDef := configdef.New().
		Define(list("exclude", "Fields to exclude. This takes precedence over the fields to include.", nil)).
		Define(list("include", "Fields to include. If specified, only these fields will be used.", nil)).
		Define(list("renames", "Field rename mappings.", configdef.ValidatorFunc{Desc: "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>",
			Fn: func(_ string, v any) error { l, _ := v.([]string); _, err := parseRenames(l); return err }})).
		Define(replaceNullKey())
	registerKV("ReplaceField", replaceDef, func(s side, v configdef.Values) (Transformation, error) {
		ren, err := parseRenames(v.List("renames"))
		if err != nil {
			return nil, err
		}
		rev := make(map[string]string, len(ren))
		for k, x := range ren {
			rev[x] = k
		}
		return &replaceField{s: s, exclude: toSet(v.List("exclude")), include: toSet(v.List("include")), renames: ren, reverse: rev,
			withDefault: v.Bool("replace.null.with.default")}, nil
	})

	maskDef := configdef.New().
		Define(configdef.Key{Name: "fields", Type: configdef.List, Default: configdef.NoDefault, Validator: nonEmptyList, Importance: configdef.High, Doc: "Names of fields to mask."}).
		Define(configdef.Key{Name: "replacement", Type: configdef.String, Validator: nonEmptyString, Importance: configdef.Low,
			Doc: "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only)."}).
		Define(replaceNullKey())
	registerKV("MaskField", maskDef, func(s side, v configdef.Values) (Transformation, error) {
		t := &maskField{s: s, fields: toSet(v.List("fields")), withDefault: v.Bool("replace.null.with.default")}
		if rep, ok := v["replacement"].(string); ok {
			t.replacement = &rep
		}
		return t, nil
	})
}
