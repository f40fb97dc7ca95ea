// Package converters implements Connect's converters (String, ByteArray,
// JSON with and without schemas, Confluent Avro) and finds them by the Java
// class names users put in worker and connector configs.
package converters

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gonnect/gonnect/schemas"
)

// Class names, as Connect spells them.
const (
	StringClass       = "org.apache.kafka.connect.storage.StringConverter"
	ByteArrayClass    = "org.apache.kafka.connect.converters.ByteArrayConverter"
	JSONClass         = "org.apache.kafka.connect.json.JsonConverter"
	AvroClass         = "io.confluent.connect.avro.AvroConverter"
	SimpleHeaderClass = "org.apache.kafka.connect.storage.SimpleHeaderConverter"
)

var factories = map[string]func() schemas.Converter{
	StringClass:    func() schemas.Converter { return &StringConverter{} },
	ByteArrayClass: func() schemas.Converter { return &ByteArrayConverter{} },
	JSONClass:      func() schemas.Converter { return &JSONConverter{} },
	AvroClass:      func() schemas.Converter { return &AvroConverter{} },
	"org.apache.kafka.connect.converters.BooleanConverter": func() schemas.Converter { return &NumberConverter{t: schemas.Boolean} },
	"org.apache.kafka.connect.converters.ShortConverter":   func() schemas.Converter { return &NumberConverter{t: schemas.Int16} },
	"org.apache.kafka.connect.converters.IntegerConverter": func() schemas.Converter { return &NumberConverter{t: schemas.Int32} },
	"org.apache.kafka.connect.converters.LongConverter":    func() schemas.Converter { return &NumberConverter{t: schemas.Int64} },
	"org.apache.kafka.connect.converters.FloatConverter":   func() schemas.Converter { return &NumberConverter{t: schemas.Float32} },
	"org.apache.kafka.connect.converters.DoubleConverter":  func() schemas.Converter { return &NumberConverter{t: schemas.Float64} },
}

// HeaderClasses are the header converters gonnect accepts: every converter
// can convert headers too, plus SimpleHeaderConverter.
func HeaderClasses() []string {
	out := append(Classes(), SimpleHeaderClass)
	sort.Strings(out)
	return out
}

// Classes returns the converter class names, sorted.
func Classes() []string {
	out := make([]string, 0, len(factories))
	for c := range factories {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func resolve(class string) (string, bool) {
	if _, ok := factories[class]; ok {
		return class, true
	}
	for c := range factories {
		simple := c[strings.LastIndexByte(c, '.')+1:]
		if class == simple {
			return c, true
		}
	}
	return "", false
}

// Known reports whether class names a converter or header converter.
func Known(class string) bool {
	if _, ok := resolve(class); ok {
		return true
	}
	for _, h := range HeaderClasses() {
		if h == class || strings.HasSuffix(h, "."+class) {
			return true
		}
	}
	return false
}

// New creates an unconfigured converter by class name (or simple name).
func New(class string) (schemas.Converter, error) {
	c, ok := resolve(class)
	if !ok {
		return nil, fmt.Errorf("Class %s could not be found.", class)
	}
	return factories[c](), nil
}

// FromConfig builds the converter named by cfg[prefix] ("key.converter" or
// "value.converter") and configures it with the cfg keys under prefix+"."
// (Connect passes "value.converter.schemas.enable" as "schemas.enable").
func FromConfig(cfg map[string]string, prefix string, isKey bool) (schemas.Converter, error) {
	class := cfg[prefix]
	c, err := New(class)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", prefix, err)
	}
	sub := map[string]string{}
	for k, v := range cfg {
		if strings.HasPrefix(k, prefix+".") {
			sub[strings.TrimPrefix(k, prefix+".")] = v
		}
	}
	if err := c.Configure(sub, isKey); err != nil {
		return nil, fmt.Errorf("configuring %s %s: %w", prefix, class, err)
	}
	return c, nil
}
