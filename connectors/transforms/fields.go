package transforms

import (
	"strings"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/schemas"
)

const fieldSyntaxDoc = "Defines the version of the syntax to access fields. If set to <code>V1</code>, then the field paths are limited to access the elements at the root level of the struct or map. If set to <code>V2</code>, the syntax will support accessing nested elements. To access nested elements, dotted notation is used. If dots are already included in the field name, then backtick pairs can be used to wrap field names containing dots. E.g. to access the subfield <code>baz</code> from a field named \"foo.bar\" in a struct/map the following format can be used to access its elements: \"<code>foo.bar</code>.baz\"."

func fieldSyntaxKey() configdef.Key {
	return configdef.Key{Name: "field.syntax.version", Type: configdef.String, Default: "V1", Validator: configdef.InIgnoreCase("V1", "V2"),
		Importance: configdef.High, Doc: fieldSyntaxDoc}
}

// fieldPath is Connect's SingleFieldPath: V1 names a top-level field, V2 a
// dotted path where backticks quote names holding dots.
type fieldPath []string

func parseFieldPath(path, version string) (fieldPath, error) {
	if !strings.EqualFold(version, "V2") {
		return fieldPath{path}, nil
	}
	var steps []string
	incomplete := func(at int) error {
		return configError("", nil, "Incomplete backtick pair in path: ["+path+"], consider adding a backslash before backtick at position "+itoa(at)+" to escape it")
	}
	idx := 0
	for idx < len(path) && idx >= 0 {
		if path[idx] != '`' {
			start := idx
			j := strings.IndexByte(path[idx:], '.')
			if j >= 0 {
				steps = append(steps, path[start:idx+j])
				idx += j + 1
			} else {
				steps = append(steps, path[start:])
				idx = -1
			}
			continue
		}
		at := idx
		idx++
		var field strings.Builder
		start := idx
		for {
			j := strings.IndexByte(path[idx:], '`')
			if j < 0 {
				return nil, incomplete(at)
			}
			idx += j
			escaped := path[idx-1] == '\\'
			if idx >= len(path)-1 {
				if escaped {
					return nil, incomplete(at)
				}
				field.WriteString(path[start:idx])
				steps = append(steps, field.String())
				idx++
				break
			}
			if path[idx+1] != '.' {
				idx++
				continue
			}
			if escaped {
				field.WriteString(path[start : idx-1])
				field.WriteByte('`')
				idx++
				start = idx
				continue
			}
			field.WriteString(path[start:idx])
			steps = append(steps, field.String())
			idx += 2
			break
		}
	}
	if path != "" && path[len(path)-1] == '.' {
		steps = append(steps, "")
	}
	if len(steps) == 0 {
		steps = []string{""}
	}
	return steps, nil
}

func itoa(i int) string {
	var b [20]byte
	p := len(b)
	if i == 0 {
		return "0"
	}
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	return string(b[p:])
}

func (p fieldPath) fieldFrom(s *schemas.Schema) (schemas.Field, bool) {
	cur := s
	for _, step := range p[:len(p)-1] {
		f, ok := cur.Field(step)
		if !ok {
			return schemas.Field{}, false
		}
		cur = f.Schema
	}
	return cur.Field(p[len(p)-1])
}

func (p fieldPath) valueFromStruct(st *schemas.Struct, withDefault bool) (any, error) {
	cur := st
	for _, step := range p[:len(p)-1] {
		v, ok := getField(cur, step, true)
		if !ok {
			return nil, nil
		}
		if v == nil {
			return nil, nil
		}
		next, err := requireStruct(v, "nested field access")
		if err != nil {
			return nil, err
		}
		cur = next
	}
	v, _ := getField(cur, p[len(p)-1], withDefault)
	return v, nil
}

func (p fieldPath) valueFromMap(m map[string]any) (any, error) {
	cur := m
	for _, step := range p[:len(p)-1] {
		v := cur[step]
		if v == nil {
			return nil, nil
		}
		next, err := requireMap(v, "nested field access")
		if err != nil {
			return nil, err
		}
		cur = next
	}
	return cur[p[len(p)-1]], nil
}

// ExtractField$Key / $Value.
type extractField struct {
	s           side
	path        fieldPath
	orig        string
	withDefault bool
}

func (t *extractField) Apply(r Record) (Record, bool, error) {
	sv := t.s.get(&r)
	if sv.Schema == nil {
		if sv.Value == nil {
			t.s.set(&r, nil, nil)
			return r, true, nil
		}
		m, err := requireMap(sv.Value, "field extraction")
		if err != nil {
			return r, false, err
		}
		v, err := t.path.valueFromMap(m)
		if err != nil {
			return r, false, err
		}
		t.s.set(&r, nil, v)
		return r, true, nil
	}
	var st *schemas.Struct
	if sv.Value != nil {
		var err error
		if st, err = requireStruct(sv.Value, "field extraction"); err != nil {
			return r, false, err
		}
	}
	f, ok := t.path.fieldFrom(sv.Schema)
	if !ok {
		return r, false, &plainError{"Unknown field: " + t.orig}
	}
	var v any
	if st != nil {
		var err error
		if v, err = t.path.valueFromStruct(st, t.withDefault); err != nil {
			return r, false, err
		}
	}
	t.s.set(&r, f.Schema, v)
	return r, true, nil
}

// plainError is a failure Connect raises as a plain Java exception (for
// example IllegalArgumentException), not a DataException.
type plainError struct{ msg string }

func (e *plainError) Error() string { return e.msg }

// HoistField$Key / $Value.
type hoistField struct {
	s     side
	field string
	cache schemaCache
}

func (t *hoistField) Apply(r Record) (Record, bool, error) {
	sv := t.s.get(&r)
	if sv.Schema == nil {
		t.s.set(&r, nil, map[string]any{t.field: sv.Value})
		return r, true, nil
	}
	up := t.cache.get(sv.Schema)
	if up == nil {
		up = schemas.NewStruct("", false, schemas.Field{Name: t.field, Schema: sv.Schema})
		t.cache.put(sv.Schema, up)
	}
	st := schemas.NewStructValue(up)
	st.Values[0] = sv.Value
	t.s.set(&r, up, st)
	return r, true, nil
}

// ValueToKey.
type valueToKey struct {
	fields      []string
	withDefault bool
	cache       schemaCache
}

func (t *valueToKey) Apply(r Record) (Record, bool, error) {
	const purpose = "copying fields from value to key"
	if r.Value.Schema == nil {
		m, err := requireMap(r.Value.Value, purpose)
		if err != nil {
			return r, false, err
		}
		key := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			key[f] = m[f]
		}
		r.Key = schemas.SchemaAndValue{Value: key}
		return r, true, nil
	}
	st, err := requireStruct(r.Value.Value, purpose)
	if err != nil {
		return r, false, err
	}
	ks := t.cache.get(st.Schema)
	if ks == nil {
		fs := make([]schemas.Field, 0, len(t.fields))
		for _, name := range t.fields {
			f, ok := st.Schema.Field(name)
			if !ok {
				return r, false, dataErr("Field does not exist: %s", name)
			}
			fs = append(fs, schemas.Field{Name: name, Schema: f.Schema})
		}
		ks = schemas.NewStruct("", false, fs...)
		t.cache.put(st.Schema, ks)
	}
	key := schemas.NewStructValue(ks)
	for i, name := range t.fields {
		key.Values[i], _ = getField(st, name, t.withDefault)
	}
	r.Key = schemas.SchemaAndValue{Schema: ks, Value: key}
	r.Value = schemas.SchemaAndValue{Schema: st.Schema, Value: st}
	return r, true, nil
}

func init() {
	extractDef := configdef.New().
		Define(configdef.Key{Name: "field", Type: configdef.String, Default: configdef.NoDefault, Importance: configdef.Medium, Doc: "Field name to extract."}).
		Define(replaceNullKey()).
		Define(fieldSyntaxKey())
	registerKV("ExtractField", extractDef, func(s side, v configdef.Values) (Transformation, error) {
		p, err := parseFieldPath(v.String("field"), v.String("field.syntax.version"))
		if err != nil {
			return nil, err
		}
		return &extractField{s: s, path: p, orig: v.String("field"), withDefault: v.Bool("replace.null.with.default")}, nil
	})
	hoistDef := configdef.New().
		Define(configdef.Key{Name: "field", Type: configdef.String, Default: configdef.NoDefault, Importance: configdef.Medium,
			Doc: "Field name for the single field that will be created in the resulting Struct or Map."})
	registerKV("HoistField", hoistDef, func(s side, v configdef.Values) (Transformation, error) {
		return &hoistField{s: s, field: v.String("field")}, nil
	})
	vtkDef := configdef.New().
		Define(configdef.Key{Name: "fields", Type: configdef.List, Default: configdef.NoDefault, Validator: nonEmptyList, Importance: configdef.High,
			Doc: "Field names on the record value to extract as the record key."}).
		Define(replaceNullKey())
	register(&Plugin{Class: pkg + "ValueToKey", Type: TypeTransformation, Config: vtkDef, newT: func(v configdef.Values) (Transformation, error) {
		return &valueToKey{fields: v.List("fields"), withDefault: v.Bool("replace.null.with.default")}, nil
	}})
}
