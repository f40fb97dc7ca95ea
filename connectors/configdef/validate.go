package configdef

import (
	"fmt"
	"regexp"
	"strings"
)

// Validator checks a parsed value; the error text is the part after
// "Invalid value X for configuration Y: ".
type Validator interface {
	Validate(name string, value any) error
	String() string
}

// ValidatorFunc adapts a function, with a description for docs.
type ValidatorFunc struct {
	Fn   func(name string, value any) error
	Desc string
}

func (f ValidatorFunc) Validate(name string, v any) error { return f.Fn(name, v) }
func (f ValidatorFunc) String() string                    { return f.Desc }

type rangeV struct {
	min, max *float64
}

// AtLeast requires a number >= min.
func AtLeast(min float64) Validator { return rangeV{min: &min} }

// Between requires min <= number <= max.
func Between(min, max float64) Validator { return rangeV{min: &min, max: &max} }

func (r rangeV) Validate(_ string, v any) error {
	if v == nil {
		return fmt.Errorf("Value must be non-null")
	}
	var n float64
	switch x := v.(type) {
	case int32:
		n = float64(x)
	case int16:
		n = float64(x)
	case int64:
		n = float64(x)
	case float64:
		n = x
	default:
		return nil
	}
	if r.min != nil && n < *r.min {
		return fmt.Errorf("Value must be at least %s", num(*r.min))
	}
	if r.max != nil && n > *r.max {
		return fmt.Errorf("Value must be no more than %s", num(*r.max))
	}
	return nil
}

func (r rangeV) String() string {
	switch {
	case r.min != nil && r.max != nil:
		return fmt.Sprintf("[%s,...,%s]", num(*r.min), num(*r.max))
	case r.min != nil:
		return fmt.Sprintf("[%s,...]", num(*r.min))
	}
	return fmt.Sprintf("[...,%s]", num(*r.max))
}

func num(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprint(int64(f))
	}
	return fmt.Sprint(f)
}

type inV struct {
	values     []string
	ignoreCase bool
}

// In requires one of values (case-sensitive), like Connect's ValidString.
func In(values ...string) Validator { return inV{values: values} }

// InIgnoreCase is In ignoring case, like Connect's CaseInsensitiveValidString.
func InIgnoreCase(values ...string) Validator { return inV{values: values, ignoreCase: true} }

func (in inV) Validate(_ string, v any) error {
	s, _ := v.(string)
	if v == nil {
		return nil
	}
	for _, want := range in.values {
		if s == want || (in.ignoreCase && strings.EqualFold(s, want)) {
			return nil
		}
	}
	return fmt.Errorf("String must be one of: %s", strings.Join(in.values, ", "))
}

func (in inV) String() string { return "[" + strings.Join(in.values, ", ") + "]" }

// NonEmptyString requires a non-empty string.
var NonEmptyString Validator = ValidatorFunc{Desc: "non-empty string", Fn: func(_ string, v any) error {
	if s, _ := v.(string); s == "" {
		return fmt.Errorf("String must be non-empty")
	}
	return nil
}}

// Regexp requires a compilable regular expression (empty allowed).
var Regexp Validator = ValidatorFunc{Desc: "valid regex", Fn: func(_ string, v any) error {
	s, _ := v.(string)
	if _, err := regexp.Compile(s); err != nil {
		return fmt.Errorf("not a valid regular expression: %v", err)
	}
	return nil
}}

// listV is Connect's ValidList without allowed values: no empty element,
// and, unless emptyOK, at least one element. Its errors carry Connect's
// whole message, which does not start with "Invalid value".
type listV struct{ emptyOK bool }

// NonEmptyList requires at least one element and no empty element.
var NonEmptyList Validator = listV{}

// NoEmptyElements allows an empty list but no empty element.
var NoEmptyElements Validator = listV{emptyOK: true}

func (l listV) Validate(name string, v any) error {
	list, ok := v.([]string)
	if !ok {
		return nil // null is checked by the key being required
	}
	if len(list) == 0 && !l.emptyOK {
		return &Error{Name: name, Message: fmt.Sprintf("Configuration '%s' must not be empty. Valid values include: any non-empty value", name)}
	}
	for _, e := range list {
		if e == "" {
			return &Error{Name: name, Message: fmt.Sprintf("Configuration '%s' values must not be empty.", name)}
		}
	}
	return nil
}

func (l listV) String() string {
	if l.emptyOK {
		return ""
	}
	return "any non-empty value"
}
