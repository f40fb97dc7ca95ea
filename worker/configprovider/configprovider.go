// Package configprovider resolves ${provider:path:key} placeholders in
// worker and connector configurations with the config providers a worker
// declares, as Apache Kafka's ConfigTransformer does: config.providers
// names them, config.providers.<name>.class picks FileConfigProvider,
// DirectoryConfigProvider or EnvVarConfigProvider, and
// config.providers.<name>.param.* configures them. A placeholder whose
// provider is not declared, or whose key the provider does not have, is
// left as written; a provider that fails (an unreadable file) is an error.
package configprovider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gonnect/gonnect/internal/properties"
)

// Keys and class names, as Apache Kafka spells them.
const (
	ConfigProviders = "config.providers"
	FileClass       = "org.apache.kafka.common.config.provider.FileConfigProvider"
	DirectoryClass  = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
	EnvVarClass     = "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
	AllowedPaths    = "allowed.paths"
	AllowlistRegex  = "allowlist.pattern"
)

// pattern is ConfigTransformer's DEFAULT_PATTERN (RE2 takes it as Java
// does: lazy groups, leftmost match).
var pattern = regexp.MustCompile(`\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}`)

// Provider fetches the values of keys at a path; a key it does not have is
// absent from the result.
type Provider interface {
	Get(path string, keys []string) (map[string]string, error)
}

// Providers are a worker's configured providers by name.
type Providers map[string]Provider

// FromConfig builds the providers declared in a worker's properties. A
// name without a .class is skipped, as Connect does; an unknown class or a
// bad parameter is an error naming the key.
func FromConfig(props map[string]string) (Providers, error) {
	out := Providers{}
	list := strings.TrimSpace(props[ConfigProviders])
	if list == "" {
		return out, nil
	}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		classKey := ConfigProviders + "." + name + ".class"
		class, ok := props[classKey]
		if !ok || name == "" {
			continue
		}
		prefix := ConfigProviders + "." + name + ".param."
		params := map[string]string{}
		for k, v := range props {
			if strings.HasPrefix(k, prefix) {
				params[strings.TrimPrefix(k, prefix)] = v
			}
		}
		p, err := newProvider(strings.TrimSpace(class), params)
		if err != nil {
			return nil, fmt.Errorf("Invalid value %s for configuration %s: %w", class, classKey, err)
		}
		out[name] = p
	}
	return out, nil
}

func newProvider(class string, params map[string]string) (Provider, error) {
	switch class {
	case FileClass, DirectoryClass:
		allowed, err := parseAllowedPaths(params[AllowedPaths])
		if err != nil {
			return nil, err
		}
		if class == FileClass {
			return &fileProvider{allowed: allowed}, nil
		}
		return &dirProvider{allowed: allowed}, nil
	case EnvVarClass:
		expr := ".*"
		if v, ok := params[AllowlistRegex]; ok {
			expr = v
		}
		// Java's Matcher.matches() is anchored at both ends.
		re, err := regexp.Compile(`^(?:` + expr + `)$`)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", AllowlistRegex, err)
		}
		return &envProvider{allow: re, environ: os.Environ}, nil
	}
	return nil, fmt.Errorf("Could not load config provider class or one of its dependencies (gonnect has %s, %s and %s)", FileClass, DirectoryClass, EnvVarClass)
}

// allowedPaths is Kafka's AllowedPaths: nil allows every path.
type allowedPaths []string

func parseAllowedPaths(v string) (allowedPaths, error) {
	if v == "" {
		return nil, nil
	}
	var out allowedPaths
	for _, p := range strings.Split(v, ",") {
		n := filepath.Clean(p)
		if !filepath.IsAbs(n) {
			return nil, fmt.Errorf("parameter %s: Path %s is not absolute", AllowedPaths, n)
		}
		if _, err := os.Stat(n); err != nil {
			return nil, fmt.Errorf("parameter %s: Path %s does not exist", AllowedPaths, n)
		}
		out = append(out, n)
	}
	return out, nil
}

// check returns the path to read, or "" when it is not allowed. Paths
// are compared by whole elements, as java.nio.file.Path.startsWith does.
func (a allowedPaths) check(path string) string {
	if a == nil {
		return path
	}
	n := filepath.Clean(path)
	for _, p := range a {
		if n == p || strings.HasPrefix(n, strings.TrimSuffix(p, "/")+"/") {
			return n
		}
	}
	return ""
}

type fileProvider struct{ allowed allowedPaths }

func (f *fileProvider) Get(path string, keys []string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	p := f.allowed.check(path)
	if p == "" {
		return out, nil // Kafka logs a warning and resolves nothing
	}
	props, err := properties.Load(p)
	if err != nil {
		return nil, fmt.Errorf("Could not read properties from file %s: %w", path, err)
	}
	for _, k := range keys {
		if v, ok := props[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

type dirProvider struct{ allowed allowedPaths }

func (d *dirProvider) Get(path string, keys []string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	dir := d.allowed.check(path)
	if dir == "" {
		return out, nil
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return out, nil // Kafka warns the path is not a directory
	}
	for _, k := range keys {
		if strings.ContainsRune(k, filepath.Separator) {
			continue // only the directory's own files are keys
		}
		f := filepath.Join(dir, k)
		st, err := os.Stat(f)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("Could not read file %s for property %s: %w", f, k, err)
		}
		out[k] = string(b)
	}
	return out, nil
}

type envProvider struct {
	allow   *regexp.Regexp
	environ func() []string
}

func (e *envProvider) Get(path string, keys []string) (map[string]string, error) {
	if path != "" {
		return nil, fmt.Errorf("Path is not supported for EnvVarConfigProvider, invalid value '%s'", path)
	}
	env := map[string]string{}
	for _, kv := range e.environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && e.allow.MatchString(k) {
			env[k] = v
		}
	}
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := env[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

type variable struct{ provider, path, key string }

func varOf(m []string) variable { return variable{provider: m[1], path: m[3], key: m[4]} }

// HasVariables reports whether a value holds a placeholder.
func HasVariables(v string) bool { return pattern.MatchString(v) }

// Transform returns configs with every placeholder of a declared provider
// replaced by its value; configs itself is not changed. Each provider is
// asked once per path for all the keys wanted there.
func (ps Providers) Transform(configs map[string]string) (map[string]string, error) {
	wanted := map[string]map[string]map[string]bool{} // provider -> path -> keys
	for _, v := range configs {
		for _, m := range pattern.FindAllStringSubmatch(v, -1) {
			x := varOf(m)
			if ps[x.provider] == nil {
				continue
			}
			if wanted[x.provider] == nil {
				wanted[x.provider] = map[string]map[string]bool{}
			}
			if wanted[x.provider][x.path] == nil {
				wanted[x.provider][x.path] = map[string]bool{}
			}
			wanted[x.provider][x.path][x.key] = true
		}
	}
	if len(wanted) == 0 {
		return configs, nil
	}
	found := map[variable]string{}
	for _, name := range sortedKeys(wanted) {
		for _, path := range sortedKeys(wanted[name]) {
			keys := sortedKeys(wanted[name][path])
			data, err := ps[name].Get(path, keys)
			if err != nil {
				return nil, fmt.Errorf("config provider %s: %w", name, err)
			}
			for k, v := range data {
				found[variable{name, path, k}] = v
			}
		}
	}
	out := make(map[string]string, len(configs))
	for k, v := range configs {
		out[k] = pattern.ReplaceAllStringFunc(v, func(s string) string {
			if r, ok := found[varOf(pattern.FindStringSubmatch(s))]; ok {
				return r
			}
			return s
		})
	}
	return out, nil
}

// ReverseTransform puts the connector's placeholders back into task
// configs generated from its resolved configuration (Connect's
// AbstractHerder.reverseTransform): a task key that the raw connector
// config sets with a placeholder gets the raw value, so resolved secrets
// are not written to the config topic.
func ReverseTransform(raw map[string]string, tasks []map[string]string) []map[string]string {
	var withVars []string
	for k, v := range raw {
		if HasVariables(v) {
			withVars = append(withVars, k)
		}
	}
	if len(withVars) == 0 {
		return tasks
	}
	out := make([]map[string]string, len(tasks))
	for i, t := range tasks {
		c := make(map[string]string, len(t))
		for k, v := range t {
			c[k] = v
		}
		for _, k := range withVars {
			if _, ok := c[k]; ok {
				c[k] = raw[k]
			}
		}
		out[i] = c
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
