package restapi

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// headerRule is one response.http.headers.config directive, as Jetty's
// HeaderFilter applies it: set or add a header, or set or add a date that
// many milliseconds from now.
type headerRule struct {
	add, date   bool
	name, value string
	offset      time.Duration
}

var whitespace = regexp.MustCompile(`\s+`)

// parseHeaderRules parses the comma-separated rules (a rule in double
// quotes may contain commas) with Connect's checks and messages.
func parseHeaderRules(config string) ([]headerRule, error) {
	if strings.TrimSpace(config) == "" {
		return nil, nil
	}
	var rules []headerRule
	for _, c := range csvSplit(config) {
		tokens := whitespace.Split(strings.TrimSpace(c), 2)
		if len(tokens) != 2 {
			return nil, fmt.Errorf("Invalid format of header config '%s'. Expected: '[action] [header name]:[header value]'", c)
		}
		var r headerRule
		switch strings.ToLower(strings.TrimSpace(tokens[0])) {
		case "set":
		case "add":
			r.add = true
		case "setdate":
			r.date = true
		case "adddate":
			r.add, r.date = true, true
		default:
			return nil, fmt.Errorf("Invalid header config action: '%s'. Expected one of [set, add, setDate, addDate]", strings.TrimSpace(tokens[0]))
		}
		// Java's split drops trailing empty parts: "X:" has one.
		parts := strings.Split(strings.TrimSpace(tokens[1]), ":")
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		if len(parts) != 2 {
			return nil, fmt.Errorf("Invalid format of header name and header value pair '%s'. Expected: '[header name]:[header value]'", tokens[1])
		}
		r.name, r.value = strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
		if r.name == "" || whitespace.MatchString(r.name) {
			return nil, fmt.Errorf("Invalid header name '%s'. The '[header name]' cannot contain whitespace", r.name)
		}
		if r.date {
			ms, err := strconv.ParseInt(r.value, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("Invalid date offset '%s' of header config '%s': a number of milliseconds is expected", r.value, c)
			}
			r.offset = time.Duration(ms) * time.Millisecond
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// csvSplit splits on commas, trimming each part; a part in double quotes
// keeps its commas (Jetty's StringUtil.csvSplit).
func csvSplit(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	if t := strings.TrimSpace(cur.String()); t != "" || len(out) > 0 {
		out = append(out, t)
	}
	return out
}

// responseHeaders applies the rules to every response before the handler
// runs, so a header the handler sets itself wins, as with Jetty's filter.
func responseHeaders(rules []headerRule, next http.Handler) http.Handler {
	if len(rules) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, rule := range rules {
			v := rule.value
			if rule.date {
				v = time.Now().Add(rule.offset).UTC().Format(http.TimeFormat)
			}
			if rule.add {
				h.Add(rule.name, v)
			} else {
				h.Set(rule.name, v)
			}
		}
		next.ServeHTTP(w, r)
	})
}
