package restapi

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

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
	var cfg map[string]string
	if err := decode(r, &cfg); err != nil {
		writeError(w, err)
		return
	}
	class := cfg[connectorconfig.ConnectorClass]
	if class == "" {
		// Connect wraps this BadRequestException into a 500.
		writeError(w, newStatusError(http.StatusInternalServerError,
			"org.apache.kafka.connect.runtime.rest.errors.BadRequestException: Connector config "+fmtMap(cfg)+" contains no connector type"))
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
	writeJSON(w, http.StatusOK, infos)
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
