package transforms

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/gonnect/gonnect/connectors/configdef"
)

// javaRegex is a java.util.regex pattern run by Go's RE2 engine. The two
// agree on the common syntax; what RE2 cannot run (lookarounds,
// backreferences, possessive quantifiers, atomic groups) is refused when
// the transformation is configured rather than matched differently.
type javaRegex struct {
	src   string
	find  *regexp.Regexp // unanchored, for Matcher.find/replaceFirst
	whole *regexp.Regexp // anchored, for Matcher.matches
}

func compileJavaRegex(src string) (*javaRegex, error) {
	find, err := regexp.Compile(src)
	if err != nil {
		return nil, err
	}
	return &javaRegex{src: src, find: find, whole: regexp.MustCompile(`\A(?:` + src + `)\z`)}, nil
}

func (j *javaRegex) matches(s string) bool { return j.whole.MatchString(s) }

// regexErrorMessage explains a pattern RE2 refuses.
func regexErrorMessage(err error) string {
	return err.Error() + " (patterns run on the RE2 engine: lookarounds, backreferences, possessive quantifiers and atomic groups are not supported)"
}

// regexValidator is Connect's RegexValidator ("Invalid regex: ...").
var regexValidator configdef.Validator = configdef.ValidatorFunc{Desc: "valid regex", Fn: func(name string, v any) error {
	s, _ := v.(string)
	if _, err := compileJavaRegex(s); err != nil {
		return configError(name, v, "Invalid regex: "+regexErrorMessage(err))
	}
	return nil
}}

// javaReplacement is a parsed Matcher.appendReplacement string: "$n" and
// "${name}" name groups, a backslash quotes the next character.
type javaReplacement struct {
	parts []replPart
}

type replPart struct {
	lit   string
	group int // -1 for a literal
}

func parseJavaReplacement(repl string, re *regexp.Regexp) (*javaReplacement, error) {
	out := &javaReplacement{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out.parts = append(out.parts, replPart{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	groups := re.NumSubexp()
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch c {
		case '\\':
			i++
			if i >= len(repl) {
				return nil, &plainError{"character to be escaped is missing"}
			}
			lit.WriteByte(repl[i])
		case '$':
			i++
			if i >= len(repl) {
				return nil, &plainError{"Illegal group reference: group index is missing"}
			}
			if repl[i] == '{' {
				end := strings.IndexByte(repl[i:], '}')
				if end < 0 {
					return nil, &plainError{"named capturing group is missing trailing '}'"}
				}
				name := repl[i+1 : i+end]
				idx := re.SubexpIndex(name)
				if name == "" || idx < 0 {
					return nil, &plainError{"No group with name {" + name + "}"}
				}
				flush()
				out.parts = append(out.parts, replPart{group: idx})
				i += end
				continue
			}
			if repl[i] < '0' || repl[i] > '9' {
				return nil, &plainError{"Illegal group reference"}
			}
			// Java takes further digits while the number stays a group.
			n := int(repl[i] - '0')
			if n > groups {
				return nil, &plainError{"No group " + strconv.Itoa(n)}
			}
			for i+1 < len(repl) && repl[i+1] >= '0' && repl[i+1] <= '9' {
				m := n*10 + int(repl[i+1]-'0')
				if m > groups {
					break
				}
				n = m
				i++
			}
			flush()
			out.parts = append(out.parts, replPart{group: n})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out, nil
}

// replaceFirst is Matcher.replaceFirst.
func (j *javaRegex) replaceFirst(s string, repl *javaReplacement) string {
	loc := j.find.FindStringSubmatchIndex(s)
	if loc == nil {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:loc[0]])
	for _, p := range repl.parts {
		if p.group < 0 {
			b.WriteString(p.lit)
		} else if loc[2*p.group] >= 0 {
			b.WriteString(s[loc[2*p.group]:loc[2*p.group+1]])
		}
	}
	b.WriteString(s[loc[1]:])
	return b.String()
}

// RegexRouter.
type regexRouter struct {
	re   *javaRegex
	repl *javaReplacement
}

func (t *regexRouter) Apply(r Record) (Record, bool, error) {
	if t.re.matches(r.Topic) {
		r.Topic = t.re.replaceFirst(r.Topic, t.repl)
	}
	return r, true, nil
}

// TopicNameMatches.
type topicNameMatches struct{ re *javaRegex }

func (p *topicNameMatches) Test(r Record) bool { return p.re.matches(r.Topic) }

// HasHeaderKey.
type hasHeaderKey struct{ name string }

func (p *hasHeaderKey) Test(r Record) bool {
	for _, h := range r.Headers {
		if h.Key == p.name {
			return true
		}
	}
	return false
}

// RecordIsTombstone.
type recordIsTombstone struct{}

func (recordIsTombstone) Test(r Record) bool { return r.Value.Value == nil }

// Filter.
type filter struct{}

func (filter) Apply(r Record) (Record, bool, error) { return r, false, nil }

func init() {
	routerDef := configdef.New().
		Define(configdef.Key{Name: "regex", Type: configdef.String, Default: configdef.NoDefault, Validator: regexValidator, Importance: configdef.High, Doc: "Regular expression to use for matching."}).
		Define(configdef.Key{Name: "replacement", Type: configdef.String, Default: configdef.NoDefault, Importance: configdef.High, Doc: "Replacement string."})
	register(&Plugin{Class: pkg + "RegexRouter", Type: TypeTransformation, Config: routerDef, newT: func(v configdef.Values) (Transformation, error) {
		re, err := compileJavaRegex(v.String("regex"))
		if err != nil {
			return nil, err
		}
		repl, err := parseJavaReplacement(v.String("replacement"), re.find)
		if err != nil {
			return nil, configError("replacement", v.String("replacement"), err.Error())
		}
		return &regexRouter{re: re, repl: repl}, nil
	}})
	register(&Plugin{Class: pkg + "Filter", Type: TypeTransformation, Config: configdef.New(), newT: func(configdef.Values) (Transformation, error) {
		return filter{}, nil
	}})
	const ppkg = pkg + "predicates."
	tnmDef := configdef.New().Define(configdef.Key{Name: "pattern", Type: configdef.String, Default: configdef.NoDefault,
		Validator: configdef.ValidatorFunc{Desc: "[non-empty string, valid regex]", Fn: func(name string, v any) error {
			if err := nonEmptyString.Validate(name, v); err != nil {
				return err
			}
			return regexValidator.Validate(name, v)
		}},
		Importance: configdef.Medium, Doc: "A Java regular expression for matching against the name of a record's topic."})
	register(&Plugin{Class: ppkg + "TopicNameMatches", Type: TypePredicate, Config: tnmDef, newP: func(v configdef.Values) (Predicate, error) {
		re, err := compileJavaRegex(v.String("pattern"))
		if err != nil {
			return nil, configError("pattern", v.String("pattern"), "entry must be a Java-compatible regular expression: "+regexErrorMessage(err))
		}
		return &topicNameMatches{re: re}, nil
	}})
	hhkDef := configdef.New().Define(configdef.Key{Name: "name", Type: configdef.String, Default: configdef.NoDefault, Validator: nonEmptyString,
		Importance: configdef.Medium, Doc: "The header name."})
	register(&Plugin{Class: ppkg + "HasHeaderKey", Type: TypePredicate, Config: hhkDef, newP: func(v configdef.Values) (Predicate, error) {
		return &hasHeaderKey{name: v.String("name")}, nil
	}})
	register(&Plugin{Class: ppkg + "RecordIsTombstone", Type: TypePredicate, Config: configdef.New(), newP: func(configdef.Values) (Predicate, error) {
		return recordIsTombstone{}, nil
	}})
}
