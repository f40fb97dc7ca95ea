package connectors

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// PluginType is how /connector-plugins labels a plugin.
type PluginType string

const (
	TypeSink           PluginType = "sink"
	TypeSource         PluginType = "source"
	TypeConverter      PluginType = "converter"
	TypeHeaderConvert  PluginType = "header_converter"
	TypeTransformation PluginType = "transformation"
	TypePredicate      PluginType = "predicate"
)

// Plugin describes a connector implementation.
type Plugin struct {
	// Class is the Java class name users put in connector.class, so that
	// existing configs work unchanged.
	Class   string
	Type    PluginType
	Version string
	// Aliases are further accepted names (gonnect short names).
	Aliases []string
	// New creates a connector instance; it must be a SinkConnector or a
	// SourceConnector matching Type.
	New func() Connector
}

var (
	regMu   sync.RWMutex
	plugins = map[string]Plugin{}
)

// Register adds a plugin; packages call it from init.
func Register(p Plugin) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := plugins[p.Class]; dup {
		panic("connectors: duplicate plugin " + p.Class)
	}
	plugins[p.Class] = p
}

// Plugins returns all registered plugins sorted by class name.
func Plugins() []Plugin {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]Plugin, 0, len(plugins))
	for _, p := range plugins {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Class < out[j].Class })
	return out
}

// Lookup finds a plugin by fully qualified class name, simple class name,
// simple name without the "Connector" suffix (as Connect accepts), or alias.
func Lookup(name string) (Plugin, error) {
	regMu.RLock()
	defer regMu.RUnlock()
	if p, ok := plugins[name]; ok {
		return p, nil
	}
	var found []Plugin
	for _, p := range plugins {
		simple := p.Class[strings.LastIndexByte(p.Class, '.')+1:]
		match := name == simple || name == strings.TrimSuffix(simple, "Connector")
		for _, a := range p.Aliases {
			match = match || name == a
		}
		if match {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return Plugin{}, fmt.Errorf("%w: %s", ErrPluginNotFound, name)
	}
	return Plugin{}, fmt.Errorf("more than one connector matches alias %s", name)
}

// ErrPluginNotFound is returned by Lookup for an unknown plugin name.
var ErrPluginNotFound = fmt.Errorf("Failed to find any class that implements Connector and which name matches")
