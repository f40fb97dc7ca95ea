package transforms

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/schemas"
	"gopkg.in/inf.v0"
)

var castInputs = []schemas.Type{schemas.Int8, schemas.Int16, schemas.Int32, schemas.Int64, schemas.Float32, schemas.Float64, schemas.Boolean, schemas.String, schemas.Bytes}
var castOutputs = castInputs[:8]

func typeList(ts []schemas.Type) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func hasType(ts []schemas.Type, t schemas.Type) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// parseCastSpec parses "field:type,..." or a single whole-value "type";
// whole is 0 when fields are cast.
func parseCastSpec(spec []string) (casts map[string]schemas.Type, whole schemas.Type, err error) {
	casts = map[string]schemas.Type{}
	for _, m := range spec {
		parts := strings.Split(m, ":")
		// Java's String.split drops trailing empty strings.
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		if len(parts) > 2 {
			return nil, 0, configError("renames", spec, "Invalid rename mapping: "+m)
		}
		tname := ""
		if len(parts) == 1 {
			tname = strings.TrimSpace(parts[0])
		} else if len(parts) == 2 {
			tname = strings.TrimSpace(parts[1])
		}
		t, perr := schemas.ParseType(tname)
		if perr != nil {
			return nil, 0, configError("", nil, "Invalid type found in casting spec: "+tname)
		}
		if !hasType(castOutputs, t) {
			return nil, 0, configError("", nil, "Cast transformation does not support casting to "+t.String()+"; supported types are "+typeList(castOutputs))
		}
		if len(parts) <= 1 {
			whole = t
		} else {
			casts[strings.TrimSpace(parts[0])] = t
		}
	}
	if whole != 0 && len(spec) > 1 {
		return nil, 0, configError("", nil, "Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec")
	}
	return casts, whole, nil
}

var castSpecValidator = configdef.ValidatorFunc{Desc: "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>", Fn: func(_ string, v any) error {
	l, _ := v.([]string)
	if len(l) == 0 {
		return configError("", nil, "Must specify at least one field to cast.")
	}
	_, _, err := parseCastSpec(l)
	return err
}}

// Cast$Key / $Value.
type cast struct {
	s           side
	casts       map[string]schemas.Type
	whole       schemas.Type
	withDefault bool
	cache       schemaCache
}

func (t *cast) Apply(r Record) (Record, bool, error) {
	sv := t.s.get(&r)
	if sv.Value == nil {
		return r, true, nil
	}
	if sv.Schema == nil {
		if t.whole != 0 {
			v, err := castValue(nil, sv.Value, t.whole)
			if err != nil {
				return r, false, err
			}
			t.s.set(&r, nil, v)
			return r, true, nil
		}
		m, err := requireMap(sv.Value, "cast types")
		if err != nil {
			return r, false, err
		}
		out := copyMap(m, 0)
		for f, typ := range t.casts {
			v, err := castValue(nil, m[f], typ)
			if err != nil {
				return r, false, err
			}
			out[f] = v
		}
		t.s.set(&r, nil, out)
		return r, true, nil
	}
	up, err := t.schemaFor(sv.Schema)
	if err != nil {
		return r, false, err
	}
	if t.whole != 0 {
		v, err := castValue(sv.Schema, sv.Value, t.whole)
		if err != nil {
			return r, false, err
		}
		t.s.set(&r, up, v)
		return r, true, nil
	}
	st, err := requireStruct(sv.Value, "cast types")
	if err != nil {
		return r, false, err
	}
	out := schemas.NewStructValue(up)
	for i, f := range st.Schema.Fields {
		v := fieldValue(st, i, t.withDefault)
		if typ, ok := t.casts[f.Name]; ok {
			if v, err = castValue(f.Schema, v, typ); err != nil {
				return r, false, err
			}
		}
		uf, _ := up.Field(f.Name)
		out.Values[uf.Index] = v
	}
	t.s.set(&r, up, out)
	return r, true, nil
}

func primitiveSchema(t schemas.Type) *schemas.Schema { return &schemas.Schema{Type: t} }

func (t *cast) schemaFor(s *schemas.Schema) (*schemas.Schema, error) {
	if up := t.cache.get(s); up != nil {
		return up, nil
	}
	var up *schemas.Schema
	if t.whole != 0 {
		up = copyBasics(s)
		up.Type, up.Key, up.Value, up.Fields = t.whole, nil, nil, nil
	} else {
		if s.Type != schemas.StructType {
			return nil, dataErr("Only Struct objects supported for [cast types], found: %s", s.Type)
		}
		fs := make([]schemas.Field, len(s.Fields))
		for i, f := range s.Fields {
			typ, ok := t.casts[f.Name]
			if !ok {
				fs[i] = schemas.Field{Name: f.Name, Schema: f.Schema}
				continue
			}
			fsch := primitiveSchema(typ)
			fsch.Optional = f.Schema.Optional
			if f.Schema.Default != nil {
				d, err := castValue(f.Schema, f.Schema.Default, typ)
				if err != nil {
					return nil, err
				}
				fsch.Default = d
			}
			fs[i] = schemas.Field{Name: f.Name, Schema: fsch}
		}
		up = structLike(s, false, fs)
	}
	up.Optional = s.Optional
	if s.Default != nil {
		d, err := castValue(s, s.Default, up.Type)
		if err != nil {
			return nil, err
		}
		up.Default = d
	}
	t.cache.put(s, up)
	return up, nil
}

func inferType(v any) schemas.Type {
	switch v.(type) {
	case int8:
		return schemas.Int8
	case int16:
		return schemas.Int16
	case int32:
		return schemas.Int32
	case int64:
		return schemas.Int64
	case float32:
		return schemas.Float32
	case float64:
		return schemas.Float64
	case bool:
		return schemas.Boolean
	case string:
		return schemas.String
	case []byte:
		return schemas.Bytes
	case []any:
		return schemas.Array
	case map[string]any, map[any]any:
		return schemas.Map
	case *schemas.Struct:
		return schemas.StructType
	}
	return 0
}

const millisPerDay = 24 * 60 * 60 * 1000

func castValue(s *schemas.Schema, v any, target schemas.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	var in schemas.Type
	if s == nil {
		in = inferType(v)
	} else {
		in = s.Type
	}
	if in == 0 {
		return nil, dataErr("Cast transformation was passed a value of type class %s which is not supported by Connect's data API", javaClass(v))
	}
	if !hasType(castInputs, in) {
		return nil, dataErr("Cast transformation does not support casting from %s; supported types are %s", in, typeList(castInputs))
	}
	if tm, ok := v.(time.Time); ok && target != schemas.String && s != nil {
		ms := tm.UnixMilli()
		switch s.Name {
		case schemas.DateName:
			v = int32(ms / millisPerDay)
		case schemas.TimeName:
			v = int32(ms % millisPerDay)
		default:
			v = ms
		}
	}
	outOfRange := func() error {
		return &DataError{Msg: "Value (" + castString(v) + ") was out of range for requested data type"}
	}
	switch target {
	case schemas.Int8, schemas.Int16, schemas.Int32, schemas.Int64:
		var n int64
		switch x := v.(type) {
		case bool:
			if x {
				n = 1
			}
		case string:
			bits := map[schemas.Type]int{schemas.Int8: 8, schemas.Int16: 16, schemas.Int32: 32, schemas.Int64: 64}[target]
			p, err := strconv.ParseInt(x, 10, bits)
			if err != nil {
				return nil, outOfRange()
			}
			n = p
		case float32:
			n = javaF2I(float64(x), target)
		case float64:
			n = javaF2I(x, target)
		case *inf.Dec:
			i := new(big.Int).Quo(x.UnscaledBig(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(x.Scale(), 0))), nil))
			if x.Scale() < 0 {
				i = new(big.Int).Mul(x.UnscaledBig(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-x.Scale())), nil))
			}
			// BigInteger.longValue/intValue keep the low-order bits.
			n = int64(new(big.Int).And(i, new(big.Int).SetUint64(math.MaxUint64)).Uint64())
		default:
			var ok bool
			if n, ok = schemas.AsInt64(v); !ok {
				return nil, dataErr("Unexpected type in Cast transformation: class %s", javaClass(v))
			}
		}
		switch target {
		case schemas.Int8:
			return int8(n), nil
		case schemas.Int16:
			return int16(n), nil
		case schemas.Int32:
			return int32(n), nil
		}
		return n, nil
	case schemas.Float32, schemas.Float64:
		var f float64
		switch x := v.(type) {
		case bool:
			if x {
				f = 1
			}
		case string:
			p, err := parseJavaDouble(x, target == schemas.Float32)
			if err != nil {
				return nil, outOfRange()
			}
			f = p
		case float32:
			f = float64(x)
		case float64:
			f = x
		case *inf.Dec:
			f, _ = strconv.ParseFloat(x.String(), 64)
		default:
			n, ok := schemas.AsInt64(v)
			if !ok {
				return nil, dataErr("Unexpected type in Cast transformation: class %s", javaClass(v))
			}
			if target == schemas.Float32 {
				return float32(n), nil
			}
			f = float64(n)
		}
		if target == schemas.Float32 {
			return float32(f), nil
		}
		return f, nil
	case schemas.Boolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			return strings.EqualFold(x, "true"), nil
		case float32:
			return javaF2I(float64(x), schemas.Int64) != 0, nil
		case float64:
			return javaF2I(x, schemas.Int64) != 0, nil
		case *inf.Dec:
			return x.Sign() != 0 && new(big.Int).Quo(x.UnscaledBig(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(x.Scale(), 0))), nil)).Sign() != 0, nil
		}
		n, ok := schemas.AsInt64(v)
		if !ok {
			return nil, dataErr("Unexpected type in Cast transformation: class %s", javaClass(v))
		}
		return n != 0, nil
	case schemas.String:
		if tm, ok := v.(time.Time); ok {
			ms := tm.UnixMilli()
			u := tm.UTC()
			switch {
			case ms < millisPerDay:
				return u.Format("15:04:05.000Z"), nil
			case ms%millisPerDay == 0:
				return u.Format("2006-01-02"), nil
			}
			return u.Format("2006-01-02T15:04:05.000Z"), nil
		}
		return castString(v), nil
	}
	return nil, dataErr("%s is not supported in the Cast transformation.", target)
}

// castString is Java's toString of a Connect value (bytes as base64).
func castString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case float64:
		return javaDouble(x)
	case float32:
		return javaFloat32(x)
	case bool:
		return strconv.FormatBool(x)
	case *inf.Dec:
		return javaBigDecimal(x)
	}
	if n, ok := schemas.AsInt64(v); ok {
		return strconv.FormatInt(n, 10)
	}
	return javaToString(v)
}

// javaF2I is Java's narrowing of a floating-point number: to long for
// INT64, otherwise to int (saturating, NaN to 0) and then, for INT8 and
// INT16, keeping the low-order bits.
func javaF2I(f float64, target schemas.Type) int64 {
	if math.IsNaN(f) {
		return 0
	}
	lo, hi := float64(math.MinInt32), float64(math.MaxInt32)
	if target == schemas.Int64 {
		if f >= math.MaxInt64 {
			return math.MaxInt64
		}
		if f <= math.MinInt64 {
			return math.MinInt64
		}
		return int64(f)
	}
	if f >= hi {
		return math.MaxInt32
	}
	if f <= lo {
		return math.MinInt32
	}
	return int64(int32(f))
}

// parseJavaDouble is Double.parseDouble / Float.parseFloat: surrounding
// whitespace ignored, an optional d/D/f/F suffix, "NaN" and "Infinity".
func parseJavaDouble(s string, float bool) (float64, error) {
	t := strings.TrimSpace(s)
	if n := len(t); n > 0 && strings.ContainsRune("dDfF", rune(t[n-1])) && !strings.HasSuffix(t, "Infinity") {
		t = t[:n-1]
	}
	switch strings.TrimLeft(t, "+-") {
	case "NaN", "Infinity":
	case "":
		return 0, strconv.ErrSyntax
	default:
		l := strings.ToLower(t)
		if strings.Contains(l, "inf") || strings.Contains(l, "nan") || strings.Contains(l, "_") {
			return 0, strconv.ErrSyntax
		}
	}
	bits := 64
	if float {
		bits = 32
	}
	f, err := strconv.ParseFloat(t, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, nil // Java rounds to infinity or zero
		}
		return 0, err
	}
	return f, nil
}

// javaToString renders containers roughly as Java's collections do.
func javaToString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = javaToString(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string, []byte, float32, float64, bool, *inf.Dec, int8, int16, int32, int64:
		return castString(v)
	}
	return fmt.Sprint(v)
}

func init() {
	def := configdef.New().
		Define(configdef.Key{Name: "spec", Type: configdef.List, Default: configdef.NoDefault, Validator: castSpecValidator, Importance: configdef.High,
			Doc: "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. Note that binary fields can only be cast to string."}).
		Define(replaceNullKey())
	registerKV("Cast", def, func(s side, v configdef.Values) (Transformation, error) {
		casts, whole, err := parseCastSpec(v.List("spec"))
		if err != nil {
			return nil, err
		}
		return &cast{s: s, casts: casts, whole: whole, withDefault: v.Bool("replace.null.with.default")}, nil
	})
}
