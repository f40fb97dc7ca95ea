package transforms

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/internal/version"
)

// Transformation is one configured transform (Connect's Transformation).
// Apply returns the transformed record, or keep=false to drop it (Filter).
type Transformation interface {
	Apply(r Record) (out Record, keep bool, err error)
}

// Predicate is one configured predicate (Connect's Predicate).
type Predicate interface {
	Test(r Record) bool
}

// Plugin types, as GET /connector-plugins reports them.
const (
	TypeTransformation = "transformation"
	TypePredicate      = "predicate"
)

// Plugin describes one transformation or predicate class.
type Plugin struct {
	Class string
	// Type is TypeTransformation or TypePredicate.
	Type   string
	Config *configdef.ConfigDef
	// newT or newP builds a configured instance from parsed settings.
	newT func(v configdef.Values) (Transformation, error)
	newP func(v configdef.Values) (Predicate, error)
}

const pkg = "org.apache.kafka.connect.transforms."

var registry = map[string]*Plugin{}

func register(p *Plugin) { registry[p.Class] = p }

// registerKV registers the $Key and $Value variants of a transformation
// that operates on one side of the record.
func registerKV(name string, def *configdef.ConfigDef, build func(s side, v configdef.Values) (Transformation, error)) {
	for _, s := range []side{keySide, valueSide} {
		s := s
		register(&Plugin{Class: pkg + name + "$" + s.String(), Type: TypeTransformation, Config: def,
			newT: func(v configdef.Values) (Transformation, error) { return build(s, v) }})
	}
}

// Plugins lists every transformation and predicate, sorted by class name.
func Plugins() []*Plugin {
	out := make([]*Plugin, 0, len(registry))
	for _, p := range registry {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Class < out[j].Class })
	return out
}

// Lookup returns the plugin of a class name.
func Lookup(class string) (*Plugin, bool) { p, ok := registry[class]; return p, ok }

func classesOf(typ string) []any {
	var out []any
	for _, p := range Plugins() {
		if p.Type == typ {
			out = append(out, p.Class)
		}
	}
	return out
}

// configError is Connect's ConfigException: with a name it renders as
// "Invalid value V for configuration N: M", without one as the message.
func configError(name string, value any, msg string) error {
	if name == "" {
		return &configdef.Error{Message: msg}
	}
	return &configdef.Error{Name: name, Value: javaString(value), Message: msg}
}

// NewTransformation configures a transformation of the given class with
// its own settings (prefix removed).
func NewTransformation(class string, props map[string]string) (Transformation, error) {
	p, ok := registry[class]
	if !ok || p.Type != TypeTransformation {
		return nil, fmt.Errorf("transformation class %s could not be found", class)
	}
	v, err := p.Config.Parse(props)
	if err != nil {
		return nil, err
	}
	return p.newT(v)
}

// NewPredicate configures a predicate of the given class.
func NewPredicate(class string, props map[string]string) (Predicate, error) {
	p, ok := registry[class]
	if !ok || p.Type != TypePredicate {
		return nil, fmt.Errorf("predicate class %s could not be found", class)
	}
	v, err := p.Config.Parse(props)
	if err != nil {
		return nil, err
	}
	return p.newP(v)
}

// Error is a failure of one transformation of a chain; its message is the
// transformation's own, as Connect reports it.
type Error struct {
	Alias string
	// Class is the transformation's class name (the stage's class in
	// error reports).
	Class string
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ExceptionClass names the Java exception Connect would report.
func (e *Error) ExceptionClass() string {
	var de *DataError
	if errors.As(e.Err, &de) {
		return "org.apache.kafka.connect.errors.DataException"
	}
	return "org.apache.kafka.connect.errors.ConnectException"
}

// DataError is Connect's DataException: the record's data does not fit
// what the transformation needs.
type DataError struct{ Msg string }

func (e *DataError) Error() string { return e.Msg }

func dataErr(format string, args ...any) error { return &DataError{Msg: fmt.Sprintf(format, args...)} }

type stage struct {
	alias     string
	class     string
	t         Transformation
	predicate Predicate
	negate    bool
}

// Chain is a connector's configured transformations, in order.
type Chain struct{ stages []stage }

// Len is the number of transformations.
func (c *Chain) Len() int {
	if c == nil {
		return 0
	}
	return len(c.stages)
}

// Apply runs the chain; keep is false when a transformation dropped the
// record. A nil or empty chain returns the record unchanged.
func (c *Chain) Apply(r Record) (Record, bool, error) {
	if c == nil {
		return r, true, nil
	}
	for _, s := range c.stages {
		if s.predicate != nil && s.predicate.Test(r) == s.negate {
			continue
		}
		out, keep, err := s.t.Apply(r)
		if err != nil {
			return r, false, &Error{Alias: s.alias, Class: s.class, Err: err}
		}
		if !keep {
			return out, false, nil
		}
		r = out
	}
	return r, true, nil
}

// subProps returns the settings under prefix, prefix removed.
func subProps(config map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range config {
		if strings.HasPrefix(k, prefix) {
			out[k[len(prefix):]] = v
		}
	}
	return out
}

func aliases(config map[string]string, key string) []string {
	raw := strings.TrimSpace(config[key])
	if raw == "" {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, a := range strings.Split(raw, ",") {
		a = strings.TrimSpace(a)
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// NewChain builds the chain of a connector configuration (its
// "transforms", "transforms.<alias>.*", "predicates" and
// "predicates.<alias>.*" settings). A configuration that
// /config/validate would refuse is refused here too.
func NewChain(config map[string]string) (*Chain, error) {
	if infos := Enrich(configdef.New(), config).Validate(config); infos.ErrorCount > 0 {
		for _, ci := range infos.Configs {
			if ci.Value != nil && len(ci.Value.Errors) > 0 {
				return nil, fmt.Errorf("invalid configuration %s: %s", ci.Value.Name, ci.Value.Errors[0])
			}
		}
	}
	preds := map[string]Predicate{}
	for _, a := range aliases(config, "predicates") {
		prefix := "predicates." + a + "."
		p, err := NewPredicate(strings.TrimSpace(config[prefix+"type"]), subProps(config, prefix))
		if err != nil {
			return nil, fmt.Errorf("predicate %s: %w", a, err)
		}
		preds[a] = p
	}
	c := &Chain{}
	for _, a := range aliases(config, "transforms") {
		prefix := "transforms." + a + "."
		props := subProps(config, prefix)
		t, err := NewTransformation(strings.TrimSpace(props["type"]), props)
		if err != nil {
			return nil, fmt.Errorf("transformation %s: %w", a, err)
		}
		s := stage{alias: a, class: strings.TrimSpace(props["type"]), t: t}
		if pa, ok := props["predicate"]; ok && strings.TrimSpace(pa) != "" {
			p, ok := preds[strings.TrimSpace(pa)]
			if !ok {
				return nil, fmt.Errorf("transformation %s: predicate %q is not defined in predicates", a, pa)
			}
			s.predicate = p
			s.negate = strings.EqualFold(strings.TrimSpace(props["negate"]), "true")
		}
		c.stages = append(c.stages, s)
	}
	return c, nil
}

// Enrich returns base extended, as Connect's ConnectorConfig.enrich does,
// with the keys of every configured transformation and predicate alias:
// "transforms.<alias>.type" in group "Transforms: <alias>", then (for a
// transformation) ".predicate" and ".negate", then the class's own keys
// under the alias prefix; the same for predicates in "Predicates: <alias>".
func Enrich(base *configdef.ConfigDef, config map[string]string) *configdef.ConfigDef {
	def := configdef.New().Merge(base)
	enrichKind(def, config, "transforms", "Transforms", "Transformation", TypeTransformation)
	enrichKind(def, config, "predicates", "Predicates", "Predicate", TypePredicate)
	return def
}

func enrichKind(def *configdef.ConfigDef, config map[string]string, aliasKey, group, kind, typ string) {
	lower := strings.ToLower(kind)
	for _, a := range aliases(config, aliasKey) {
		prefix := aliasKey + "." + a + "."
		g := group + ": " + a
		typeKey := prefix + "type"
		pfx := prefix
		if _, dup := def.Key(typeKey); dup {
			continue
		}
		versionKey := prefix + "plugin.version"
		versionErr := func() error {
			raw, ok := config[versionKey]
			if !ok || strings.TrimSpace(raw) == "" {
				return nil
			}
			return versionMismatch(strings.TrimSpace(config[typeKey]), strings.TrimSpace(raw))
		}
		def.Define(configdef.Key{Name: typeKey, Type: configdef.Class, Default: configdef.NoDefault, Importance: configdef.High,
			Doc: "Class for the '" + a + "' " + lower + ".", Group: g, Width: configdef.WidthLong, Display: kind + " type for " + a,
			Validator: configdef.ValidatorFunc{Desc: "valid configs for " + a + " " + lower, Fn: func(name string, v any) error {
				if typ == TypeTransformation {
					if _, neg := config[pfx+"negate"]; neg {
						if _, pred := config[pfx+"predicate"]; !pred {
							return &configdef.Error{Message: "Config '" + pfx + "negate' was provided but there is no config '" + pfx + "predicate' defining a predicate to be negated."}
						}
					}
				}
				s, _ := v.(string)
				if p, ok := registry[s]; !ok || p.Type != typ {
					return &configdef.ParseError{Msg: "Class " + s + " could not be found."}
				}
				return versionErr()
			}},
			Recommender: func(string, map[string]any) ([]any, bool) { return classesOf(typ), true },
		})
		// Connect orders the type key 0 in its group.
		tk, _ := def.Key(typeKey)
		tk.Order = 0
		// The version key defaults to the class's version, when it exists.
		_, exists := registry[strings.TrimSpace(config[typeKey])]
		var versionDefault any
		if exists {
			versionDefault = version.ConnectAPI
		}
		def.Define(configdef.Key{Name: versionKey, Type: configdef.String, Default: versionDefault, Importance: configdef.High,
			Doc: "Version of the '" + a + "' " + lower + ".", Group: g, Order: 1, Width: configdef.WidthLong, Display: kind + " version for " + a,
			Validator: configdef.ValidatorFunc{Desc: "plugin version", Fn: func(string, any) error {
				if _, ok := registry[strings.TrimSpace(config[typeKey])]; !ok {
					return nil
				}
				return versionErr()
			}},
			Recommender: func(string, map[string]any) ([]any, bool) {
				if !exists {
					return nil, true
				}
				return []any{version.ConnectAPI}, true
			},
		})
		if versionErr() != nil {
			continue
		}
		// The transformation's implicit keys and the class's own follow,
		// only for a class that exists.
		p, known := registry[strings.TrimSpace(config[typeKey])]
		if !known || p.Type != typ {
			continue
		}
		var keys []configdef.Key
		if typ == TypeTransformation {
			keys = append(keys,
				configdef.Key{Name: "predicate", Type: configdef.String, Importance: configdef.Medium,
					Doc: "The alias of a predicate used to determine whether to apply this transformation."},
				configdef.Key{Name: "negate", Type: configdef.Boolean, Default: false, Importance: configdef.Medium,
					Doc: "Whether the configured predicate should be negated."})
		}
		for _, k := range p.Config.Keys() {
			if typ == TypeTransformation && (k.Name == "predicate" || k.Name == "negate") {
				continue
			}
			keys = append(keys, *k)
		}
		// Connect embeds them in ConfigDef's sorted order: required keys
		// first, then by importance, then by name.
		rank := map[configdef.Importance]int{configdef.High: 0, configdef.Medium: 1, configdef.Low: 2}
		sort.SliceStable(keys, func(i, j int) bool {
			a, b := keys[i], keys[j]
			if a.Required() != b.Required() {
				return a.Required()
			}
			if rank[a.Importance] != rank[b.Importance] {
				return rank[a.Importance] < rank[b.Importance]
			}
			return a.Name < b.Name
		})
		for i, k := range keys {
			kk := k
			kk.Name = prefix + k.Name
			if kk.Display == "" {
				kk.Display = k.Name
			}
			if k.Validator != nil {
				kk.Validator = embedded(prefix, k.Validator)
			}
			kk.Group = g
			kk.Order = i + 2
			deps := make([]string, len(k.Dependents))
			for i, d := range k.Dependents {
				deps[i] = prefix + d
			}
			kk.Dependents = deps
			def.Define(kk)
		}
	}
}

// versionMismatch is Connect's answer to a plugin.version that names no
// version gonnect has: its transformations and predicates are all of the
// Connect version it implements.
func versionMismatch(class, want string) error {
	lo, hi, loIncl, hiIncl := want, want, true, true
	if n := len(want); n >= 2 && (want[0] == '[' || want[0] == '(') && (want[n-1] == ']' || want[n-1] == ')') {
		a, b, _ := strings.Cut(want[1:n-1], ",")
		lo, hi, loIncl, hiIncl = strings.TrimSpace(a), strings.TrimSpace(b), want[0] == '[', want[n-1] == ']'
	}
	have := version.ConnectAPI
	ok := (lo == "" || cmpVersion(have, lo) > 0 || (loIncl && cmpVersion(have, lo) == 0)) &&
		(hi == "" || cmpVersion(have, hi) < 0 || (hiIncl && cmpVersion(have, hi) == 0))
	if ok {
		return nil
	}
	rng := want
	if lo == hi && loIncl && hiIncl {
		rng = "[" + lo + "," + hi + "]"
	}
	return &configdef.Error{Message: "Plugin " + class + " not found that matches the version range " + rng + ", available versions: [" + have + "]"}
}

func cmpVersion(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// embedded runs a plugin's validator as Connect's ConfigDef.embed does:
// with the key's own (unprefixed) name, so messages name it that way.
func embedded(prefix string, base configdef.Validator) configdef.Validator {
	return configdef.ValidatorFunc{Desc: base.String(), Fn: func(name string, v any) error {
		short := strings.TrimPrefix(name, prefix)
		err := base.Validate(short, v)
		if err == nil {
			return nil
		}
		var ce *configdef.Error
		var pe *configdef.ParseError
		if errors.As(err, &ce) || errors.As(err, &pe) {
			return err
		}
		return &configdef.Error{Name: short, Value: javaString(v), Message: err.Error()}
	}}
}
