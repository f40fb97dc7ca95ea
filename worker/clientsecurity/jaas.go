package clientsecurity

import (
	"fmt"
	"strings"
)

// JAASEntry is one login module of a sasl.jaas.config value.
type JAASEntry struct {
	LoginModule string
	Flag        string
	Options     map[string]string
}

// jaasToken is a token as Java's StreamTokenizer, which Kafka's JaasConfig
// parses with, yields it: a word or quoted string (text set), a number
// (never a usable key or value), an ordinary character, or the end.
type jaasToken struct {
	kind byte // 'w' word or quoted string, 'n' number, 'c' ordinary char, 0 end
	text string
	char rune
}

type jaasLexer struct {
	in  []rune
	pos int
}

func (l *jaasLexer) peek(off int) rune {
	if l.pos+off < len(l.in) {
		return l.in[l.pos+off]
	}
	return -1
}

// isWordChar: letters, chars from 160 up, and what JaasConfig adds ('-',
// '_', '$'); digits and '.' continue a word once it has started.
func isWordStart(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 160 || c == '_' || c == '$'
}

func isWordPart(c rune) bool { return isWordStart(c) || c >= '0' && c <= '9' || c == '.' || c == '-' }

func (l *jaasLexer) next() jaasToken {
	for {
		c := l.peek(0)
		switch {
		case c < 0:
			return jaasToken{}
		case c <= ' ':
			l.pos++
			continue
		case c == '/':
			if l.peek(1) == '*' {
				l.pos += 2
				for l.pos < len(l.in) && !(l.in[l.pos] == '*' && l.peek(1) == '/') {
					l.pos++
				}
				l.pos += 2
				continue
			}
			// "//" and a lone '/' (the tokenizer's comment character) both
			// comment out the rest of the line.
			for l.pos < len(l.in) && l.in[l.pos] != '\n' && l.in[l.pos] != '\r' {
				l.pos++
			}
			continue
		case c >= '0' && c <= '9' || c == '.' || c == '-' && (l.peek(1) >= '0' && l.peek(1) <= '9' || l.peek(1) == '.'):
			if c == '-' {
				l.pos++
			}
			dot := false
			for p := l.peek(0); p >= '0' && p <= '9' || p == '.' && !dot; p = l.peek(0) {
				dot = dot || p == '.'
				l.pos++
			}
			return jaasToken{kind: 'n'}
		case isWordStart(c):
			start := l.pos
			for isWordPart(l.peek(0)) {
				l.pos++
			}
			return jaasToken{kind: 'w', text: string(l.in[start:l.pos])}
		case c == '"' || c == '\'':
			l.pos++
			return jaasToken{kind: 'w', text: l.quoted(c)}
		default:
			l.pos++
			return jaasToken{kind: 'c', char: c}
		}
	}
}

// quoted reads a quoted string up to its closing quote, the end of the line
// or the input, with the tokenizer's escapes (\n, \t, octal, \x for x).
func (l *jaasLexer) quoted(q rune) string {
	var b strings.Builder
	for {
		c := l.peek(0)
		if c < 0 || c == '\n' || c == '\r' {
			return b.String()
		}
		l.pos++
		if c == q {
			return b.String()
		}
		if c != '\\' {
			b.WriteRune(c)
			continue
		}
		e := l.peek(0)
		if e < 0 {
			return b.String()
		}
		l.pos++
		switch e {
		case 'a':
			b.WriteRune(7)
		case 'b':
			b.WriteRune('\b')
		case 'f':
			b.WriteRune('\f')
		case 'n':
			b.WriteRune('\n')
		case 'r':
			b.WriteRune('\r')
		case 't':
			b.WriteRune('\t')
		case 'v':
			b.WriteRune('\v')
		default:
			if e >= '0' && e <= '7' {
				n, max := int(e-'0'), 2
				if e > '3' {
					max = 1
				}
				for i := 0; i < max && l.peek(0) >= '0' && l.peek(0) <= '7'; i++ {
					n = n*8 + int(l.peek(0)-'0')
					l.pos++
				}
				b.WriteRune(rune(n))
			} else {
				b.WriteRune(e)
			}
		}
	}
}

// ParseJAAS parses a sasl.jaas.config value as Kafka's JaasConfig does:
// `LoginModuleClass flag key=value ...;`, values bare words or quoted,
// with Java comments. Like Kafka's clients it requires exactly one login
// module. Errors carry Kafka's wording.
func ParseJAAS(s string) (JAASEntry, error) {
	l := &jaasLexer{in: []rune(s)}
	entries, _, err := l.modules(false)
	if err != nil {
		return JAASEntry{}, err
	}
	switch len(entries) {
	case 0:
		return JAASEntry{}, fmt.Errorf("JAAS config property does not contain any login modules")
	case 1:
		return entries[0], nil
	}
	return JAASEntry{}, fmt.Errorf("JAAS config property contains %d login modules, should be 1 module", len(entries))
}

// modules reads login modules up to the end of the input or, in a JAAS
// file (braced), up to the closing brace, which it consumes.
func (l *jaasLexer) modules(braced bool) ([]JAASEntry, bool, error) {
	var entries []JAASEntry
	for t := l.next(); t.kind != 0; t = l.next() {
		if braced && t.kind == 'c' && t.char == '}' {
			return entries, true, nil
		}
		if t.kind != 'w' {
			return nil, false, fmt.Errorf("login module class name expected in JAAS config")
		}
		e := JAASEntry{LoginModule: t.text, Options: map[string]string{}}
		ft := l.next()
		if ft.kind == 0 {
			return nil, false, fmt.Errorf("Login module control flag not specified in JAAS config")
		}
		if ft.kind != 'w' {
			return nil, false, fmt.Errorf("Login module control flag is not available in the JAAS config")
		}
		switch strings.ToUpper(ft.text) {
		case "REQUIRED", "REQUISITE", "SUFFICIENT", "OPTIONAL":
			e.Flag = strings.ToLower(ft.text)
		default:
			return nil, false, fmt.Errorf("Invalid login module control flag '%s' in JAAS config", ft.text)
		}
		var t jaasToken
		for t = l.next(); t.kind != 0 && !(t.kind == 'c' && t.char == ';'); t = l.next() {
			key := t.text
			eq := l.next()
			v := jaasToken{}
			if eq.kind == 'c' && eq.char == '=' {
				v = l.next()
			}
			if eq.kind != 'c' || eq.char != '=' || v.kind != 'w' || t.kind != 'w' {
				return nil, false, fmt.Errorf("Value not specified for key '%s' in JAAS config", key)
			}
			e.Options[key] = v.text
		}
		if t.kind == 0 {
			return nil, false, fmt.Errorf("JAAS config entry not terminated by semi-colon")
		}
		entries = append(entries, e)
	}
	return entries, false, nil
}

// ParseJAASFile parses a JAAS login configuration file (the JVM's
// java.security.auth.login.config): entries `Name { module flag
// key=value ...; ... };`, by application name. An application named twice
// is refused, as the JVM does.
func ParseJAASFile(s string) (map[string][]JAASEntry, error) {
	l := &jaasLexer{in: []rune(s)}
	out := map[string][]JAASEntry{}
	for t := l.next(); t.kind != 0; t = l.next() {
		if t.kind != 'w' {
			return nil, fmt.Errorf("expected an application name in the JAAS file")
		}
		name := t.text
		if o := l.next(); o.kind != 'c' || o.char != '{' {
			return nil, fmt.Errorf("expected '{' after %s in the JAAS file", name)
		}
		entries, closed, err := l.modules(true)
		if err != nil {
			return nil, fmt.Errorf("entry %s of the JAAS file: %w", name, err)
		}
		if !closed {
			return nil, fmt.Errorf("entry %s of the JAAS file is not closed by '}'", name)
		}
		if sc := l.next(); sc.kind != 'c' || sc.char != ';' {
			return nil, fmt.Errorf("expected ';' after the '}' of entry %s in the JAAS file", name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("Can not specify multiple entries for %s in the JAAS file", name)
		}
		out[name] = entries
	}
	return out, nil
}
