package configdef

import "errors"

// KeyInfo is Connect's ConfigKeyInfo, the JSON of one key definition.
type KeyInfo struct {
	Name         string   `json:"name"`
	Type         string   `json:"type"`
	Required     bool     `json:"required"`
	DefaultValue *string  `json:"default_value"`
	Importance   string   `json:"importance"`
	Doc          string   `json:"documentation"`
	Group        *string  `json:"group"`
	Order        int      `json:"order_in_group"`
	Width        string   `json:"width"`
	DisplayName  string   `json:"display_name"`
	Dependents   []string `json:"dependents"`
}

// ValueInfo is Connect's ConfigValueInfo.
type ValueInfo struct {
	Name              string   `json:"name"`
	Value             *string  `json:"value"`
	RecommendedValues []string `json:"recommended_values"`
	Errors            []string `json:"errors"`
	Visible           bool     `json:"visible"`
}

// Info pairs a definition with a validated value (ConfigInfo).
type Info struct {
	Definition *KeyInfo   `json:"definition"`
	Value      *ValueInfo `json:"value"`
}

// Infos is Connect's ConfigInfos, the /config/validate response.
type Infos struct {
	Name       string   `json:"name"`
	ErrorCount int      `json:"error_count"`
	Groups     []string `json:"groups"`
	Configs    []Info   `json:"configs"`
}

// KeyInfoOf renders a key definition.
func KeyInfoOf(k *Key) KeyInfo {
	ki := KeyInfo{
		Name: k.Name, Type: string(k.Type), Required: k.Required(), Importance: string(k.Importance),
		Doc: k.Doc, Order: k.Order, Width: string(k.Width), DisplayName: k.Display, Dependents: k.Dependents,
	}
	if ki.Dependents == nil {
		ki.Dependents = []string{}
	}
	if k.Group != "" {
		g := k.Group
		ki.Group = &g
	}
	if !k.Required() && k.Default != nil {
		s := defaultString(k.Type, k.Default)
		ki.DefaultValue = &s
	}
	return ki
}

// Connect shows a password default as "[hidden]" and lists comma-joined.
func defaultString(t Type, v any) string {
	f := Format(t, v)
	if s, ok := f.(string); ok {
		return s
	}
	return ""
}

// Validate validates every defined key in props and returns one Info per
// key in definition order (internal keys omitted) plus the error count.
// Unlike Parse it keeps going after the first error, as the REST
// validate endpoint reports all of them.
func (d *ConfigDef) Validate(props map[string]string) Infos {
	parsed := Values{}
	errs := map[string][]string{}
	unparsable := map[string]bool{}
	for _, k := range d.keys {
		v, err := d.parseKey(k, props)
		if err != nil {
			errs[k.Name] = append(errs[k.Name], err.Error())
			var ce *Error
			unparsable[k.Name] = errors.As(err, &ce) && ce.Unparsable
			continue
		}
		parsed[k.Name] = v
	}
	out := Infos{Groups: append([]string{}, d.groups...), Configs: []Info{}}
	for _, k := range d.keys {
		if k.Internal {
			continue
		}
		ki := KeyInfoOf(k)
		vi := ValueInfo{Name: k.Name, Errors: errs[k.Name], RecommendedValues: []string{}, Visible: true}
		if vi.Errors == nil {
			vi.Errors = []string{}
		}
		if raw, ok := props[k.Name]; ok && !unparsable[k.Name] {
			if k.Type == Password {
				raw = "[hidden]"
			}
			vi.Value = &raw
		} else if v, ok := parsed[k.Name]; ok && v != nil {
			s := defaultString(k.Type, v)
			vi.Value = &s
		}
		if k.Recommender != nil {
			rec, visible := k.Recommender(k.Name, parsed)
			vi.Visible = visible
			for _, r := range rec {
				if s, ok := Format(k.Type, r).(string); ok {
					vi.RecommendedValues = append(vi.RecommendedValues, s)
				}
			}
		}
		out.ErrorCount += len(vi.Errors)
		out.Configs = append(out.Configs, Info{Definition: &ki, Value: &vi})
	}
	return out
}

// AddError records an extra error against a named key in infos (for
// connector-specific validation that runs after the ConfigDef's).
func (in *Infos) AddError(name, msg string) {
	for i := range in.Configs {
		if v := in.Configs[i].Value; v != nil && v.Name == name {
			v.Errors = append(v.Errors, msg)
			in.ErrorCount++
			return
		}
	}
	in.Configs = append(in.Configs, Info{Value: &ValueInfo{Name: name, Errors: []string{msg}, RecommendedValues: []string{}, Visible: true}})
	in.ErrorCount++
}

// AddValue appends a value without a definition (a key no ConfigDef of the
// connector declares, such as a client override) with its errors.
func (in *Infos) AddValue(name, value string, errs []string) {
	if errs == nil {
		errs = []string{}
	}
	v := value
	in.Configs = append(in.Configs, Info{Value: &ValueInfo{Name: name, Value: &v, Errors: errs, RecommendedValues: []string{}, Visible: true}})
	in.ErrorCount += len(errs) // Connect counts error messages, not keys
}
