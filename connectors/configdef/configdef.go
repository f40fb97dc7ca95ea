// Package configdef declares configuration once (name, type, default,
// importance, docs, validator) and derives parsing, validation and the
// REST /config and /config/validate shapes from it, like Connect's ConfigDef.
package configdef

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Type is a ConfigDef type; the string is Connect's enum name.
type Type string

const (
	Boolean  Type = "BOOLEAN"
	String   Type = "STRING"
	Int      Type = "INT"
	Short    Type = "SHORT"
	Long     Type = "LONG"
	Double   Type = "DOUBLE"
	List     Type = "LIST"
	Class    Type = "CLASS"
	Password Type = "PASSWORD"
)

// Importance of a key, as Connect spells it.
type Importance string

const (
	High   Importance = "HIGH"
	Medium Importance = "MEDIUM"
	Low    Importance = "LOW"
)

// Width is a UI hint, as Connect spells it.
type Width string

const (
	WidthNone   Width = "NONE"
	WidthShort  Width = "SHORT"
	WidthMedium Width = "MEDIUM"
	WidthLong   Width = "LONG"
)

type noDefault struct{}

// NoDefault marks a required key (Connect's ConfigDef.NO_DEFAULT_VALUE).
var NoDefault any = noDefault{}

// Key declares one configuration key.
type Key struct {
	Name       string
	Type       Type
	Default    any // NoDefault for required keys; nil means default null
	Validator  Validator
	Importance Importance
	Doc        string
	Group      string
	Order      int // order within group; 0 means "assign in definition order"
	Width      Width
	Display    string
	Dependents []string
	// Recommender returns recommended values and visibility given the
	// parsed configuration so far; optional.
	Recommender func(name string, parsed map[string]any) (values []any, visible bool)
	// Internal keys are parsed but not listed by the REST API.
	Internal bool
}

// Required reports whether the key has no default.
func (k *Key) Required() bool { _, ok := k.Default.(noDefault); return ok }

// ConfigDef is an ordered set of keys.
type ConfigDef struct {
	keys   []*Key
	byName map[string]*Key
	groups []string
}

// New returns an empty ConfigDef.
func New() *ConfigDef { return &ConfigDef{byName: map[string]*Key{}} }

// Define adds a key; it panics on a duplicate name or a default that does
// not parse, since both are programming errors found at start-up.
func (d *ConfigDef) Define(k Key) *ConfigDef {
	if _, dup := d.byName[k.Name]; dup {
		panic("configdef: duplicate key " + k.Name)
	}
	if k.Width == "" {
		k.Width = WidthNone
	}
	if k.Display == "" {
		k.Display = k.Name
	}
	if k.Group != "" {
		found := false
		n := 0
		for _, g := range d.groups {
			if g == k.Group {
				found = true
			}
		}
		for _, o := range d.keys {
			if o.Group == k.Group {
				n++
			}
		}
		if !found {
			d.groups = append(d.groups, k.Group)
		}
		if k.Order == 0 {
			k.Order = n + 1
		}
	} else if k.Order == 0 {
		k.Order = -1
	}
	if !k.Required() && k.Default != nil {
		v, err := ParseValue(k.Type, k.Default)
		if err != nil {
			panic(fmt.Sprintf("configdef: default of %s: %v", k.Name, err))
		}
		k.Default = v
	}
	kk := k
	d.keys = append(d.keys, &kk)
	d.byName[k.Name] = &kk
	return d
}

// Merge returns a new ConfigDef with d's keys followed by other's; keys of
// other that d already has are skipped.
func (d *ConfigDef) Merge(other *ConfigDef) *ConfigDef {
	out := New()
	for _, k := range d.keys {
		out.Define(*k)
	}
	for _, k := range other.keys {
		if _, ok := out.byName[k.Name]; !ok {
			out.Define(*k)
		}
	}
	return out
}

// Keys returns the keys in definition order.
func (d *ConfigDef) Keys() []*Key { return d.keys }

// Key returns the named key.
func (d *ConfigDef) Key(name string) (*Key, bool) { k, ok := d.byName[name]; return k, ok }

// Groups returns group names in first-definition order.
func (d *ConfigDef) Groups() []string { return d.groups }

// Names returns the key names, sorted.
func (d *ConfigDef) Names() []string {
	out := make([]string, 0, len(d.keys))
	for _, k := range d.keys {
		out = append(out, k.Name)
	}
	sort.Strings(out)
	return out
}

// Error is a configuration error naming the key, with Connect's wording.
type Error struct {
	Name    string
	Value   any
	Message string
	// Unparsable means the value could not be parsed (see ParseError).
	Unparsable bool
}

func (e *Error) Error() string {
	if e.Value == nil {
		return e.Message
	}
	return fmt.Sprintf("Invalid value %v for configuration %s: %s", e.Value, e.Name, e.Message)
}

// ParseError marks a value that could not be parsed at all (as opposed to
// a parsed value a validator rejects); validation then shows no value, as
// Connect does. Validators may return it for checks that are part of
// parsing in Connect, such as a CLASS value naming no known class.
type ParseError struct{ Msg string }

func (e *ParseError) Error() string { return e.Msg }

// Parse parses and validates props against d. Keys not defined in d are
// ignored. The first error found, in definition order, is returned.
func (d *ConfigDef) Parse(props map[string]string) (Values, error) {
	out := make(Values, len(d.keys))
	for _, k := range d.keys {
		v, err := d.parseKey(k, props)
		if err != nil {
			return nil, err
		}
		out[k.Name] = v
	}
	return out, nil
}

func (d *ConfigDef) parseKey(k *Key, props map[string]string) (any, error) {
	raw, present := props[k.Name]
	var v any
	if present {
		pv, err := ParseValue(k.Type, raw)
		if err != nil {
			return nil, &Error{Name: k.Name, Value: raw, Message: err.Error(), Unparsable: true}
		}
		v = pv
	} else {
		if k.Required() {
			return nil, &Error{Name: k.Name, Message: fmt.Sprintf("Missing required configuration %q which has no default value.", k.Name)}
		}
		v = k.Default
	}
	if k.Validator != nil {
		if err := k.Validator.Validate(k.Name, v); err != nil {
			var ce *Error
			if errors.As(err, &ce) {
				return nil, ce
			}
			shown := any(raw)
			if !present {
				shown = v
			}
			if k.Type == Password {
				shown = "[hidden]"
			}
			var pe *ParseError
			return nil, &Error{Name: k.Name, Value: shown, Message: err.Error(), Unparsable: errors.As(err, &pe)}
		}
	}
	return v, nil
}

// ParseValue converts a raw value (usually a string) to the Go value for t:
// bool, string, int32 (INT), int16 (SHORT), int64 (LONG), float64, []string
// (LIST), string (CLASS), Secret (PASSWORD). Messages follow Connect's.
func ParseValue(t Type, raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	s, isString := raw.(string)
	if !isString {
		switch v := raw.(type) {
		case bool, int32, int16, int64, float64, []string, Secret:
			return v, nil
		case int:
			switch t {
			case Int:
				return int32(v), nil
			case Short:
				return int16(v), nil
			case Long:
				return int64(v), nil
			case Double:
				return float64(v), nil
			}
		}
		s = fmt.Sprint(raw)
	}
	trimmed := strings.TrimSpace(s)
	switch t {
	case Boolean:
		switch strings.ToLower(trimmed) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, errors.New("Expected value to be either true or false")
	case String, Class:
		return trimmed, nil
	case Password:
		return Secret(trimmed), nil
	case Int:
		n, err := strconv.ParseInt(trimmed, 10, 32)
		if err != nil {
			return nil, errors.New("Not a number of type INT")
		}
		return int32(n), nil
	case Short:
		n, err := strconv.ParseInt(trimmed, 10, 16)
		if err != nil {
			return nil, errors.New("Not a number of type SHORT")
		}
		return int16(n), nil
	case Long:
		n, err := strconv.ParseInt(trimmed, 10, 64)
		if err != nil {
			return nil, errors.New("Not a number of type LONG")
		}
		return n, nil
	case Double:
		f, err := strconv.ParseFloat(trimmed, 64)
		if err != nil || math.IsNaN(f) {
			return nil, errors.New("Not a number of type DOUBLE")
		}
		return f, nil
	case List:
		if trimmed == "" {
			return []string{}, nil
		}
		parts := strings.Split(trimmed, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts, nil
	}
	return nil, fmt.Errorf("unknown config type %s", t)
}

// Format renders a parsed value as Connect shows it in REST responses:
// lists comma-joined, passwords hidden, null as nil.
func Format(t Type, v any) any {
	if v == nil {
		return nil
	}
	switch x := v.(type) {
	case []string:
		return strings.Join(x, ",")
	case Secret:
		return "[hidden]"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// Secret is a PASSWORD value; it never prints its content.
type Secret string

func (s Secret) String() string { return "[hidden]" }

// Value returns the secret text.
func (s Secret) Value() string { return string(s) }

// Values is a parsed configuration: every declared key is present (nil
// when it has no value), so a key that is absent was never declared.
type Values map[string]any

// get returns the value of a declared key. Reading a key that was never
// declared is a programming error (a mistyped constant), not a
// configuration error, so it panics naming the key, as Connect's
// AbstractConfig throws ConfigException "Unknown configuration 'x'". An
// error return would be one more value callers could drop, and a silent
// zero is how a mistyped key became a limit of 0 that blocked forever.
func (v Values) get(name string) any {
	x, ok := v[name]
	if !ok {
		panic(fmt.Sprintf("configdef: Unknown configuration '%s' (read but never declared)", name))
	}
	return x
}

// Has reports whether name is declared, for code that reads optional
// keys of several definitions.
func (v Values) Has(name string) bool { _, ok := v[name]; return ok }

// IsSet reports whether a declared key has a non-null value.
func (v Values) IsSet(name string) bool { return v.get(name) != nil }

func (v Values) String(name string) string {
	switch x := v.get(name).(type) {
	case string:
		return x
	case Secret:
		return string(x)
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}
func (v Values) Bool(name string) bool       { b, _ := v.get(name).(bool); return b }
func (v Values) Int(name string) int         { return int(toInt64(v.get(name))) }
func (v Values) Long(name string) int64      { return toInt64(v.get(name)) }
func (v Values) Double(name string) float64  { f, _ := v.get(name).(float64); return f }
func (v Values) List(name string) []string   { l, _ := v.get(name).([]string); return l }
func (v Values) Password(name string) string { s, _ := v.get(name).(Secret); return string(s) }

func toInt64(x any) int64 {
	switch n := x.(type) {
	case int32:
		return int64(n)
	case int16:
		return int64(n)
	case int64:
		return n
	case int:
		return int64(n)
	}
	return 0
}
