package cassandra

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
)

// Source of a mapped value.
type source int

const (
	fromKey source = iota
	fromValue
	fromHeader
	fromNow
)

// pathStep selects a struct/map field, or an array element / map key.
type pathStep struct {
	field string
	index int // array index when isIndex
	key   *string
	isIdx bool

	// The field's position in the last struct schema seen: records of a
	// topic share a schema, so the name is looked up once, not per record.
	// A mapping belongs to one task, so this needs no lock.
	seen    *schemas.Schema
	seenIdx int
}

// mapping is one "column=expression" of a mapping setting.
type mapping struct {
	column string // CQL identifier, quoted if it was quoted
	src    source
	header string
	path   []pathStep
	expr   string
}

// Special columns.
const (
	ttlColumn       = "__ttl"
	timestampColumn = "__timestamp"
)

// parseMapping reads DataStax's mapping language, extended with nested
// paths, array indexes and map keys: "col=value.a.b, id=key, h=header.x,
// t=now(), __ttl=value.ttl, "Col"=value."Field", c=value.tags[0],
// d=value.attrs['k']".
func parseMapping(s string) ([]mapping, error) {
	var out []mapping
	seen := map[string]bool{}
	for _, part := range splitTopLevel(s) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		eq := indexUnquoted(part, '=')
		if eq < 0 {
			return nil, fmt.Errorf("mapping entry %q: expected column=expression", part)
		}
		col, err := ident(strings.TrimSpace(part[:eq]))
		if err != nil {
			return nil, fmt.Errorf("mapping entry %q: %w", part, err)
		}
		if seen[col] {
			return nil, fmt.Errorf("mapping entry %q: column %s mapped twice", part, col)
		}
		seen[col] = true
		m, err := parseExpr(strings.TrimSpace(part[eq+1:]))
		if err != nil {
			return nil, fmt.Errorf("mapping entry %q: %w", part, err)
		}
		m.column = col
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("mapping is empty")
	}
	return out, nil
}

func splitTopLevel(s string) []string {
	var out []string
	quote, bracket := byte(0), 0
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[' || c == '(':
			bracket++
		case c == ']' || c == ')':
			bracket--
		case c == ',' && bracket == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func indexUnquoted(s string, ch byte) int {
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			if c == quote {
				quote = 0
			}
			continue
		}
		if c == '"' {
			quote = c
			continue
		}
		if c == ch {
			return i
		}
	}
	return -1
}

// ident reads a CQL identifier: quoted keeps case, unquoted is lower-cased.
func ident(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("empty column name")
	}
	if strings.HasPrefix(s, `"`) {
		if len(s) < 2 || !strings.HasSuffix(s, `"`) {
			return "", fmt.Errorf("unterminated quoted identifier %s", s)
		}
		return s, nil
	}
	return strings.ToLower(s), nil
}

func parseExpr(e string) (mapping, error) {
	m := mapping{expr: e}
	switch {
	case strings.EqualFold(e, "now()"):
		m.src = fromNow
		return m, nil
	case e == "key":
		m.src = fromKey
		return m, nil
	case e == "value":
		m.src = fromValue
		return m, nil
	case strings.HasPrefix(e, "key."):
		m.src = fromKey
		e = e[len("key."):]
	case strings.HasPrefix(e, "value."):
		m.src = fromValue
		e = e[len("value."):]
	case strings.HasPrefix(e, "header."):
		m.src, m.header = fromHeader, strings.Trim(e[len("header."):], `"`)
		return m, nil
	default:
		return m, fmt.Errorf("expression %q must start with key, value or header, or be now()", e)
	}
	steps, err := parsePath(e)
	if err != nil {
		return m, err
	}
	m.path = steps
	return m, nil
}

func parsePath(p string) ([]pathStep, error) {
	var steps []pathStep
	i := 0
	for i < len(p) {
		switch {
		case p[i] == '.':
			i++
		case p[i] == '"':
			j := strings.IndexByte(p[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unterminated quoted field in %q", p)
			}
			steps = append(steps, pathStep{field: p[i+1 : i+1+j]})
			i += j + 2
		case p[i] == '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unterminated [ in %q", p)
			}
			inner := strings.TrimSpace(p[i+1 : i+j])
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') {
				k := inner[1 : len(inner)-1]
				steps = append(steps, pathStep{key: &k})
			} else {
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("bad index [%s] in %q", inner, p)
				}
				steps = append(steps, pathStep{index: n, isIdx: true})
			}
			i += j + 1
		default:
			j := i
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			steps = append(steps, pathStep{field: p[i:j]})
			i = j
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("empty path")
	}
	return steps, nil
}

// errMissing marks a path that names nothing in the record.
type errMissing struct{ what string }

func (e *errMissing) Error() string { return e.what + " is missing" }

// errUnbound marks a field of a value that has no fields (null, or a
// primitive such as a text that is not a JSON object): as in the DataStax
// connector, its column is left unset rather than reported missing.
var errUnbound = errors.New("the value has no fields")

// jsonText is a text key or value holding a JSON object: the DataStax
// connector maps its fields, and the whole key or value is the text.
type jsonText struct {
	raw    string
	fields map[string]any
}

// parseJSONText returns v as a jsonText, and true, when it is a text whose
// first JSON value is an object. Numbers stay json.Number, so decimals
// keep every digit.
func parseJSONText(v any) (any, bool) {
	s, ok := v.(string)
	if !ok || len(s) == 0 {
		return v, false
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return v, false
	}
	return &jsonText{raw: s, fields: fields}, true
}

// brokenJSONText is the parse error of a text that opens as a JSON object
// but is not one, nil for any other value: such a record is reported as
// bad JSON rather than as one whose fields are all missing.
func brokenJSONText(v any) error {
	s, ok := v.(string)
	if !ok || !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return nil
	}
	var fields map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil {
		return err
	}
	return nil
}

// hasFields reports whether a key or value has named fields to map.
func hasFields(v any) bool {
	switch x := v.(type) {
	case *schemas.Struct:
		return x != nil && len(x.Schema.Fields) > 0
	case map[string]any:
		return len(x) > 0
	}
	return false
}

// extract evaluates a mapping on a record: errMissing when the record has
// no such field (distinct from a present null), errUnbound when the value
// has no fields at all.
func (m *mapping) extract(rec *connectors.SinkRecord, now time.Time) (any, error) {
	switch m.src {
	case fromNow:
		return now, nil
	case fromHeader:
		// The first header of the name, as the DataStax connector reads it.
		for i := range rec.Headers {
			if rec.Headers[i].Key == m.header {
				return rec.Headers[i].Value, nil
			}
		}
		return nil, &errMissing{"header " + m.header}
	}
	v := rec.Value.Value
	if m.src == fromKey {
		v = rec.Key.Value
	}
	if jt, ok := v.(*jsonText); ok {
		if len(m.path) == 0 {
			return jt.raw, nil
		}
		v = jt.fields
	}
	if len(m.path) > 0 && !hasFields(v) {
		if m.src == fromValue {
			return nil, errUnbound
		}
		return nil, &errMissing{m.expr}
	}
	for i := range m.path {
		st := &m.path[i]
		if v == nil {
			return nil, nil
		}
		switch x := v.(type) {
		case *schemas.Struct:
			if st.isIdx || st.key != nil {
				return nil, fmt.Errorf("%s: cannot index a struct", m.expr)
			}
			if x.Schema != st.seen {
				f, ok := x.Schema.Field(st.field)
				if !ok {
					return nil, &errMissing{"field " + st.field}
				}
				st.seen, st.seenIdx = x.Schema, f.Index
			}
			v = x.Values[st.seenIdx]
		case map[string]any:
			k := st.field
			if st.key != nil {
				k = *st.key
			}
			fv, ok := x[k]
			if !ok {
				if st.key != nil {
					return nil, nil // a map without the key: null
				}
				return nil, &errMissing{"field " + k}
			}
			v = fv
		case []any:
			if !st.isIdx {
				return nil, fmt.Errorf("%s: an array needs an index", m.expr)
			}
			if st.index >= len(x) {
				return nil, nil
			}
			v = x[st.index]
		default:
			return nil, fmt.Errorf("%s: cannot select %q in a %T", m.expr, st.field, v)
		}
	}
	return v, nil
}

// classCodecNotFound is the Java driver's failure for a value it has no
// codec for, such as now()'s UUID into a column that is not a UUID.
const classCodecNotFound = driverErrors + "type.codec.CodecNotFoundException"

// nowValue is now()'s value for a column of type t. As in the DataStax
// connector, now() is a time-based UUID generated for each column of each
// record (two now() columns of a record differ), so it fits only uuid and
// timeuuid columns: any other type fails the record, as DataStax's driver
// finds no codec for a UUID into it.
func nowValue(t gocql.TypeInfo) (gocql.UUID, error) {
	switch t.Type() {
	case gocql.TypeUUID, gocql.TypeTimeUUID:
		return gocql.TimeUUID(), nil
	}
	name, ok := javaTypeNames[t.Type()]
	if !ok {
		name = typeName(t)
	}
	return gocql.UUID{}, &mappingError{class: classCodecNotFound,
		msg: fmt.Sprintf("Codec not found for requested operation: [%s <-> java.util.UUID]", name)}
}

// javaTypeNames are the Java driver's names of the native CQL types, as
// its messages print them.
var javaTypeNames = map[gocql.Type]string{
	gocql.TypeAscii: "ASCII", gocql.TypeBigInt: "BIGINT", gocql.TypeBlob: "BLOB", gocql.TypeBoolean: "BOOLEAN",
	gocql.TypeCounter: "COUNTER", gocql.TypeDecimal: "DECIMAL", gocql.TypeDouble: "DOUBLE", gocql.TypeFloat: "FLOAT",
	gocql.TypeInt: "INT", gocql.TypeText: "TEXT", gocql.TypeVarchar: "TEXT", gocql.TypeTimestamp: "TIMESTAMP",
	gocql.TypeVarint: "VARINT", gocql.TypeInet: "INET", gocql.TypeDate: "DATE", gocql.TypeTime: "TIME",
	gocql.TypeSmallInt: "SMALLINT", gocql.TypeTinyInt: "TINYINT", gocql.TypeDuration: "DURATION",
}
