package transforms

import (
	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/schemas/converters"
)

func withHeader(hs []schemas.Header, h schemas.Header) []schemas.Header {
	out := make([]schemas.Header, len(hs), len(hs)+1)
	copy(out, hs)
	return append(out, h)
}

// InsertHeader.
type insertHeader struct {
	name  string
	value schemas.SchemaAndValue
}

func (t *insertHeader) Apply(r Record) (Record, bool, error) {
	r.Headers = withHeader(r.Headers, schemas.Header{Key: t.name, Schema: t.value.Schema, Value: t.value.Value})
	return r, true, nil
}

// DropHeaders.
type dropHeaders struct{ names map[string]bool }

func (t *dropHeaders) Apply(r Record) (Record, bool, error) {
	out := make([]schemas.Header, 0, len(r.Headers))
	for _, h := range r.Headers {
		if !t.names[h.Key] {
			out = append(out, h)
		}
	}
	r.Headers = out
	return r, true, nil
}

// HeaderFrom$Key / $Value.
type headerFrom struct {
	s               side
	fields, headers []string
	move            bool
	withDefault     bool
	cache           schemaCache
}

func (t *headerFrom) Apply(r Record) (Record, bool, error) {
	op := "copy"
	if t.move {
		op = "move"
	}
	sv := t.s.get(&r)
	hs := make([]schemas.Header, len(r.Headers), len(r.Headers)+len(t.fields))
	copy(hs, r.Headers)
	if sv.Schema == nil {
		m, err := requireMap(sv.Value, "header "+op)
		if err != nil {
			return r, false, err
		}
		out := copyMap(m, 0)
		for i, f := range t.fields {
			if t.move {
				delete(out, f)
			}
			hs = append(hs, schemas.Header{Key: t.headers[i], Value: m[f]})
		}
		t.s.set(&r, nil, out)
		r.Headers = hs
		return r, true, nil
	}
	st, err := requireStruct(sv.Value, "header "+op)
	if err != nil {
		return r, false, err
	}
	upSchema, upValue := sv.Schema, st
	if t.move {
		upSchema = t.cache.get(sv.Schema)
		if upSchema == nil {
			drop := toSet(t.fields)
			var fs []schemas.Field
			for _, f := range sv.Schema.Fields {
				if !drop[f.Name] {
					fs = append(fs, schemas.Field{Name: f.Name, Schema: f.Schema})
				}
			}
			upSchema = structLike(sv.Schema, false, fs)
			t.cache.put(sv.Schema, upSchema)
		}
		upValue = schemas.NewStructValue(upSchema)
		for i, f := range upSchema.Fields {
			upValue.Values[i], _ = getField(st, f.Name, t.withDefault)
		}
	}
	for i, name := range t.fields {
		f, ok := sv.Schema.Field(name)
		if !ok {
			return r, false, dataErr("%s is not a valid field name", name)
		}
		hs = append(hs, schemas.Header{Key: t.headers[i], Schema: f.Schema, Value: fieldValue(st, f.Index, t.withDefault)})
	}
	t.s.set(&r, upSchema, upValue)
	r.Headers = hs
	return r, true, nil
}

// SetSchemaMetadata$Key / $Value.
type setSchemaMetadata struct {
	s           side
	name        *string
	version     *int32
	withDefault bool
}

func (t *setSchemaMetadata) Apply(r Record) (Record, bool, error) {
	sv := t.s.get(&r)
	if sv.Value == nil && sv.Schema == nil {
		return r, true, nil
	}
	if err := requireSchema(sv.Schema, "updating schema metadata"); err != nil {
		return r, false, err
	}
	var up *schemas.Schema
	if sv.Schema.Type == schemas.StructType {
		fs := make([]schemas.Field, len(sv.Schema.Fields))
		copy(fs, sv.Schema.Fields)
		up = structLike(sv.Schema, sv.Schema.Optional, fs)
	} else {
		c := *sv.Schema
		up = &c
	}
	up.Default = sv.Schema.Default
	if t.name != nil {
		up.Name = *t.name
	}
	if t.version != nil {
		up.Version = t.version
	}
	v := sv.Value
	if st, ok := v.(*schemas.Struct); ok {
		ns := schemas.NewStructValue(up)
		for i := range up.Fields {
			ns.Values[i] = fieldValue(st, i, t.withDefault)
		}
		v = ns
	}
	t.s.set(&r, up, v)
	return r, true, nil
}

func init() {
	ihDef := configdef.New().
		Define(configdef.Key{Name: "header", Type: configdef.String, Default: configdef.NoDefault, Importance: configdef.High, Doc: "The name of the header."}).
		Define(configdef.Key{Name: "value.literal", Type: configdef.String, Default: configdef.NoDefault, Importance: configdef.High,
			Doc: "The literal value that is to be set as the header value on all records."})
	register(&Plugin{Class: pkg + "InsertHeader", Type: TypeTransformation, Config: ihDef, newT: func(v configdef.Values) (Transformation, error) {
		return &insertHeader{name: v.String("header"), value: converters.ParseValueString(v.String("value.literal"))}, nil
	}})
	dhDef := configdef.New().Define(configdef.Key{Name: "headers", Type: configdef.List, Default: configdef.NoDefault, Validator: nonEmptyList,
		Importance: configdef.High, Doc: "The name of the headers to be removed."})
	register(&Plugin{Class: pkg + "DropHeaders", Type: TypeTransformation, Config: dhDef, newT: func(v configdef.Values) (Transformation, error) {
		return &dropHeaders{names: toSet(v.List("headers"))}, nil
	}})
	hfDef := configdef.New().
		Define(configdef.Key{Name: "fields", Type: configdef.List, Default: configdef.NoDefault, Validator: nonEmptyList, Importance: configdef.High,
			Doc: "Field names in the record whose values are to be copied or moved to headers."}).
		Define(configdef.Key{Name: "headers", Type: configdef.List, Default: configdef.NoDefault, Validator: nonEmptyList, Importance: configdef.High,
			Doc: "Header names, in the same order as the field names listed in the fields configuration property."}).
		Define(configdef.Key{Name: "operation", Type: configdef.String, Default: configdef.NoDefault, Validator: configdef.In("move", "copy"), Importance: configdef.High,
			Doc: "Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value)."}).
		Define(replaceNullKey())
	registerKV("HeaderFrom", hfDef, func(s side, v configdef.Values) (Transformation, error) {
		t := &headerFrom{s: s, fields: v.List("fields"), headers: v.List("headers"), move: v.String("operation") == "move", withDefault: v.Bool("replace.null.with.default")}
		if len(t.fields) != len(t.headers) {
			return nil, configError("", nil, "'fields' config must have the same number of elements as 'headers' config.")
		}
		return t, nil
	})
	ssmDef := configdef.New().
		Define(configdef.Key{Name: "schema.name", Type: configdef.String, Importance: configdef.High, Doc: "Schema name to set."}).
		Define(configdef.Key{Name: "schema.version", Type: configdef.Int, Importance: configdef.High, Doc: "Schema version to set."}).
		Define(replaceNullKey())
	registerKV("SetSchemaMetadata", ssmDef, func(s side, v configdef.Values) (Transformation, error) {
		t := &setSchemaMetadata{s: s, withDefault: v.Bool("replace.null.with.default")}
		if n, ok := v["schema.name"].(string); ok {
			t.name = &n
		}
		if n, ok := v["schema.version"].(int32); ok {
			t.version = &n
		}
		if t.name == nil && t.version == nil {
			return nil, configError("", nil, "Neither schema name nor version configured")
		}
		return t, nil
	})
}
