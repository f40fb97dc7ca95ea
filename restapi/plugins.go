package restapi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/go-chi/chi/v5"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/connectors/connectorconfig"
	"github.com/gonnect/gonnect/connectors/transforms"
)

func (s *Server) listPlugins(w http.ResponseWriter, r *http.Request) {
	connectorsOnly := true
	if v := r.URL.Query().Get("connectorsOnly"); v != "" {
		connectorsOnly = strings.EqualFold(v, "true")
	}
	out := []PluginInfo{}
	for _, p := range connectors.Plugins() {
		if p.Type != connectors.TypeSink && p.Type != connectors.TypeSource {
			continue
		}
		out = append(out, PluginInfo{Class: p.Class, Type: string(p.Type), Version: p.Version})
	}
	// Connect lists connectors by class, then converters and the other
	// plugin types in their own order.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Class < out[j].Class })
	if !connectorsOnly {
		out = append(out, s.cfg.ExtraPlugins...)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) pluginConfig(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "plugin")
	p, err := connectors.Lookup(name)
	if tp, ok := transforms.Lookup(name); err != nil && ok {
		out := []configdef.KeyInfo{}
		for _, k := range tp.Config.Keys() {
			out = append(out, configdef.KeyInfoOf(k))
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	if err != nil {
		writeError(w, newStatusError(http.StatusNotFound, fmt.Sprintf("Unknown plugin %s.", name)))
		return
	}
	// Built-in plugins have one version: a request for others is refused.
	if v := r.URL.Query().Get("version"); v != "" {
		if shown, ok := versionMatches(v, p.Version); !ok {
			writeError(w, newStatusError(http.StatusBadRequest, fmt.Sprintf("Plugin %s not found that matches the version range %s, available versions: [%s]", p.Class, shown, p.Version)))
			return
		}
	}
	// The bare definition: worker defaults only show up in validation.
	def, _ := connectorconfig.Definition(p, connectorconfig.Defaults{})
	// Connect lists the plugin's own keys first, then the common ones.
	own := p.New().Config()
	out := []configdef.KeyInfo{}
	seen := map[string]bool{}
	for _, k := range own.Keys() {
		out = append(out, configdef.KeyInfoOf(k))
		seen[k.Name] = true
	}
	for _, k := range def.Keys() {
		if !seen[k.Name] && !k.Internal {
			out = append(out, configdef.KeyInfoOf(k))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "plugin")
	raw, err := decodeStringMap(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if raw == nil {
		writeError(w, newStatusError(http.StatusInternalServerError, `Cannot invoke "java.util.Map.get(Object)" because "connectorConfig" is null`))
		return
	}
	cfg, nulls := splitNulls(raw)
	// Validation does not fill in the name: a null one is an error here.
	if v, ok := raw["name"]; ok && v == nil {
		nulls = append(nulls, "name")
	}
	class := cfg[connectorconfig.ConnectorClass]
	if class == "" {
		// Connect wraps this BadRequestException into a 500.
		writeError(w, newStatusError(http.StatusInternalServerError,
			"org.apache.kafka.connect.runtime.rest.errors.BadRequestException: Connector config "+fmtMap(cfg)+" contains no connector type"))
		return
	}
	// Connect compares the names as text first, before looking either up.
	if !strings.HasSuffix(normalizedPluginName(class), normalizedPluginName(name)) {
		writeError(w, newStatusError(http.StatusBadRequest, fmt.Sprintf("Included connector type %s does not match request type %s", class, name)))
		return
	}
	want, werr := connectors.Lookup(name)
	got, gerr := connectors.Lookup(class)
	if gerr == nil && werr == nil && want.Class != got.Class {
		writeError(w, newStatusError(http.StatusBadRequest, fmt.Sprintf("Included connector type %s does not match request type %s", class, name)))
		return
	}
	if gerr != nil {
		writeError(w, newStatusError(http.StatusInternalServerError, unknownPluginMessage(class)))
		return
	}
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	infos, err := s.cfg.Herder.ValidateConfig(ctx, class, cfg)
	if err != nil {
		if errors.Is(err, connectors.ErrPluginNotFound) {
			err = newStatusError(http.StatusInternalServerError, unknownPluginMessage(class))
		}
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, withNullErrors(infos, nulls, ownKeys(class)))
}

// normalizedPluginName is Connect's: a name without its "Connector" suffix.
func normalizedPluginName(name string) string {
	if len(name) > len("Connector") && strings.HasSuffix(name, "Connector") {
		return strings.TrimSuffix(name, "Connector")
	}
	return name
}

func unknownPluginMessage(class string) string {
	var avail []string
	for _, p := range connectors.Plugins() {
		if p.Type == connectors.TypeSink || p.Type == connectors.TypeSource {
			avail = append(avail, fmt.Sprintf("PluginDesc{name='%s', version='%s', type=%s}", p.Class, p.Version, p.Type))
		}
	}
	return fmt.Sprintf("org.apache.kafka.connect.runtime.rest.errors.BadRequestException: Failed to find any class that implements Connector and which name matches %s, available connectors are: %s",
		class, strings.Join(avail, ", "))
}

// fmtMap renders a map as Java's Map.toString does (keys sorted here).
func fmtMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

const nullValueError = "Null value can not be supplied as the configuration value."

// withNullErrors adds Connect's error for every null value to a
// validation result: on the key's entry when the key is defined (a null
// key counts as given, so it is not also missing), else as an entry
// without definition, listed before the defined keys. Keys in skip (the
// plugin's own, which Connect's validation lets through) get none.
func withNullErrors(infos configdef.Infos, nulls []string, skip map[string]bool) configdef.Infos {
	var undefined []configdef.Info
	for _, k := range nulls {
		if skip[k] {
			continue
		}
		found := false
		for i, c := range infos.Configs {
			if c.Definition == nil || c.Definition.Name != k {
				continue
			}
			v := configdef.ValueInfo{Name: k, RecommendedValues: []string{}, Visible: true}
			if c.Value != nil {
				v = *c.Value
			}
			var errs []string
			for _, e := range v.Errors {
				if strings.HasPrefix(e, "Missing required configuration") {
					infos.ErrorCount--
					continue
				}
				errs = append(errs, e)
			}
			v.Value, v.Errors = nil, append(errs, nullValueError)
			c.Value = &v
			infos.Configs[i] = c
			found = true
			break
		}
		if !found {
			undefined = append(undefined, configdef.Info{Value: &configdef.ValueInfo{Name: k, RecommendedValues: []string{}, Errors: []string{nullValueError}, Visible: true}})
		}
		infos.ErrorCount++
	}
	infos.Configs = append(undefined, infos.Configs...)
	return infos
}

// ownKeys are the keys a plugin defines itself.
func ownKeys(class string) map[string]bool {
	p, err := connectors.Lookup(class)
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, k := range p.New().Config().Keys() {
		out[k.Name] = true
	}
	return out
}

// refuseNulls answers a config with null values as Connect does: a 400
// listing every validation error, the null ones included.
func (s *Server) refuseNulls(ctx context.Context, cfg map[string]string, nulls []string) error {
	if len(nulls) == 0 {
		return nil
	}
	class := cfg[connectorconfig.ConnectorClass]
	if class == "" {
		shown := maps.Clone(cfg)
		for _, k := range nulls {
			shown[k] = "null"
		}
		return &entities.BadRequestError{Msg: "Connector config " + fmtMap(shown) + " contains no connector type"}
	}
	infos, err := s.cfg.Herder.ValidateConfig(ctx, class, cfg)
	if err != nil {
		return err
	}
	// Connect writes a null for a plugin's own key and the connector then
	// fails to start; refusing it here is the one deliberate difference.
	infos = withNullErrors(infos, nulls, nil)
	var b strings.Builder
	fmt.Fprintf(&b, "Connector configuration is invalid and contains the following %d error(s):", infos.ErrorCount)
	for _, c := range infos.Configs {
		if c.Value != nil {
			for _, e := range c.Value.Errors {
				b.WriteString("\n" + e)
			}
		}
	}
	b.WriteString("\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`")
	return &entities.BadRequestError{Msg: b.String()}
}

// versionMatches checks a version against a Maven-style requirement as
// Connect takes it: a plain version means exactly it, otherwise one or more
// ranges such as [1.0,2.0) or [4.0,). It returns the requirement as
// Connect shows it.
func versionMatches(req, version string) (string, bool) {
	req = strings.ReplaceAll(req, " ", "")
	if !strings.ContainsAny(req, "[]()") {
		return "[" + req + "," + req + "]", compareVersions(req, version) == 0
	}
	shown, ok := req, false
	for rest := req; rest != ""; {
		end := strings.IndexAny(rest, "])")
		if end < 0 || (rest[0] != '[' && rest[0] != '(') {
			return shown, false
		}
		lo, hi, _ := strings.Cut(rest[1:end], ",")
		in := true
		if lo != "" {
			c := compareVersions(version, lo)
			in = c > 0 || c == 0 && rest[0] == '['
		}
		if in && hi != "" {
			c := compareVersions(version, hi)
			in = c < 0 || c == 0 && rest[end] == ']'
		}
		ok = ok || in
		rest = strings.TrimPrefix(rest[end+1:], ",")
	}
	return shown, ok
}

// compareVersions compares dotted versions numerically segment by segment
// (text segments by text).
func compareVersions(a, b string) int {
	as, bs := strings.FieldsFunc(a, isVersionSep), strings.FieldsFunc(b, isVersionSep)
	for i := 0; i < len(as) || i < len(bs); i++ {
		x, y := "0", "0"
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		xn, xerr := strconv.Atoi(x)
		yn, yerr := strconv.Atoi(y)
		switch {
		case xerr == nil && yerr == nil && xn != yn:
			return cmpInt(xn, yn)
		case (xerr != nil || yerr != nil) && x != y:
			return strings.Compare(x, y)
		}
	}
	return 0
}

func isVersionSep(r rune) bool { return r == '.' || r == '-' }

func cmpInt(a, b int) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}
