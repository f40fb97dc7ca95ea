package restapi

import (
	stdjson "encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gonnect/gonnect/worker/entities"
)

// Request bodies are read the way Connect's Jackson provider reads them, so
// clients get the same outcome and the same 500 messages: numbers and
// booleans given for a string are kept as their literal text, null stays
// null, invalid UTF-8 is refused, and errors name the position and the
// entity as Jackson does. No JSON library exposes both literal number text
// and Jackson's positions, hence this small parser.

const jacksonSource = "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); "

// jnode is one parsed JSON value.
type jnode struct {
	kind  byte // '{', '[', '"', '0' (number), 't', 'f', 'n'
	text  string
	start int // offset of the token's first byte
	end   int // offset just past a scalar token
	keys  []string
	vals  []*jnode
}

// jsonError is a parse error at a position; ptr follows Jackson's input
// pointer, which decides the reported column.
type jsonError struct {
	msg string
	ptr int
	// field is the root object's field whose value was being read.
	field string
}

type jparser struct {
	b         []byte
	i         int
	depth     int
	rootField string
	// keepUnder is the root field whose Object's entries are kept (the
	// create request's "config"); deeper values, and Array elements, are
	// parsed for their syntax only, as no binder reads them: a large body
	// then costs its bytes, not a node per value.
	keepUnder string
}

// keepElements, as keepUnder, keeps a root Array's elements and their
// Objects' entries (the internal task configs' list of maps).
const keepElements = "\x00[]"

// keep reports whether a value read now is stored in its parent Object
// (or, with keepElements, its root Array).
func (p *jparser) keep() bool {
	if p.keepUnder == keepElements {
		return p.depth <= 2
	}
	return p.depth == 1 || p.depth == 2 && p.keepUnder != "" && p.rootField == p.keepUnder
}

// location renders Jackson's "line: L, column: C" for an input pointer.
func location(b []byte, ptr int) string {
	line, rowStart := 1, 0
	for i := 0; i < ptr && i < len(b); i++ {
		switch b[i] {
		case '\n':
			line, rowStart = line+1, i+1
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			line, rowStart = line+1, i+1
		}
	}
	return fmt.Sprintf("line: %d, column: %d]", line, ptr-rowStart+1)
}

func (p *jparser) fail(ptr int, format string, args ...any) {
	panic(&jsonError{msg: fmt.Sprintf(format, args...), ptr: ptr, field: p.rootField})
}

func (p *jparser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func charDesc(c byte) string {
	if c < 0x20 {
		return fmt.Sprintf("(CTRL-CHAR, code %d)", c)
	}
	if c >= 0x80 {
		return fmt.Sprintf("'%c' (code %d / 0x%x)", rune(c), c, c)
	}
	return fmt.Sprintf("'%c' (code %d)", c, c)
}

func (p *jparser) unexpected(expect string) {
	p.fail(p.i, "Unexpected character (%s): %s", charDesc(p.b[p.i]), expect)
}

const validValues = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"

func isIdentPart(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// value parses one value and hands it to add as soon as it starts, so a
// later syntax error leaves the values read so far for the binder; a nil
// add parses the value for its syntax only, storing nothing.
func (p *jparser) value(add func(*jnode)) {
	if p.i >= len(p.b) {
		p.fail(p.i, "Unexpected end-of-input: expected a value")
	}
	start := p.i
	switch c := p.b[p.i]; {
	case c == '{':
		var n *jnode
		if add != nil {
			n = &jnode{kind: '{', start: start}
			add(n)
		}
		p.object(n)
	case c == '[':
		var n *jnode
		if add != nil {
			n = &jnode{kind: '[', start: start}
			add(n)
		}
		p.array(n)
	case c == '"':
		s := p.str(false)
		if add != nil {
			add(&jnode{kind: '"', text: s, start: start, end: p.i})
		}
	case c == '-' || c >= '0' && c <= '9':
		num := p.number()
		if add != nil {
			add(&jnode{kind: '0', text: num, start: start, end: p.i})
		}
	case c == ']' || c == '}' || c == ',':
		p.unexpected("expected a value")
	case isIdentPart(c):
		j := p.i
		for j < len(p.b) && isIdentPart(p.b[j]) && j-p.i < 256 {
			j++
		}
		tok := string(p.b[p.i:j])
		for lit, kind := range map[string]byte{"true": 't', "false": 'f', "null": 'n'} {
			if tok == lit {
				p.i = j
				if add != nil {
					add(&jnode{kind: kind, text: lit, start: start, end: j})
				}
				return
			}
		}
		p.fail(start, "Unrecognized token '%s': was expecting %s", tok, validValues)
	default:
		p.unexpected("expected a valid value " + validValues)
	}
}

// maxNestingDepth is Jackson's StreamReadConstraints default: a deeper
// document is refused, which also bounds this parser's recursion.
const maxNestingDepth = 1000

// enter opens an Object or Array at p.i, refusing one nested too deep as
// Jackson does.
func (p *jparser) enter() {
	p.i++
	p.depth++
	if p.depth > maxNestingDepth {
		p.fail(p.i, "Document nesting depth (%d) exceeds the maximum allowed (%d, from `StreamReadConstraints.getMaxNestingDepth()`)", p.depth, maxNestingDepth)
	}
}

// object parses an Object; its entries are stored in n when n is set and
// they are kept (see keep).
func (p *jparser) object(n *jnode) {
	open := p.i
	p.enter()
	defer func() { p.depth-- }()
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return
	}
	for first := true; ; first = false {
		p.ws()
		if p.i >= len(p.b) {
			if first {
				p.fail(p.i, "Unexpected end-of-input: expected close marker for Object (start marker at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); %s)", location(p.b, open))
			}
			p.fail(p.i, "Unexpected end-of-input within/between Object entries")
		}
		if p.b[p.i] != '"' {
			p.unexpected("was expecting double-quote to start field name")
		}
		key := p.str(true)
		p.ws()
		if p.i >= len(p.b) {
			p.fail(p.i, "Unexpected end-of-input within/between Object entries")
		}
		if p.b[p.i] != ':' {
			p.unexpected("was expecting a colon to separate field name and value")
		}
		p.i++
		p.ws()
		if p.i >= len(p.b) {
			p.fail(p.i, "Unexpected end-of-input within/between Object entries")
		}
		if p.depth == 1 {
			p.rootField = key
		}
		if n != nil && p.keep() {
			p.value(func(v *jnode) { n.keys, n.vals = append(n.keys, key), append(n.vals, v) })
		} else {
			p.value(nil)
		}
		if p.depth == 1 {
			p.rootField = ""
		}
		p.ws()
		if p.i >= len(p.b) {
			p.fail(p.i, "Unexpected end-of-input: expected close marker for Object (start marker at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); %s)", location(p.b, open))
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return
		case ']':
			p.fail(p.i, "Unexpected close marker ']': expected '}' (for Object starting at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); %s)", location(p.b, open))
		default:
			p.unexpected("was expecting comma to separate Object entries")
		}
	}
}

// array parses an Array; binders read an Array's kind only, so its
// elements are not stored, but for keepElements' root Array into n.
func (p *jparser) array(n *jnode) {
	open := p.i
	p.enter()
	defer func() { p.depth-- }()
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return
	}
	for {
		p.ws()
		if n != nil && p.keepUnder == keepElements && p.depth == 1 {
			p.value(func(v *jnode) { n.vals = append(n.vals, v) })
		} else {
			p.value(nil)
		}
		p.ws()
		if p.i >= len(p.b) {
			p.fail(p.i, "Unexpected end-of-input: expected close marker for Array (start marker at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); %s)", location(p.b, open))
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return
		case '}':
			p.fail(p.i, "Unexpected close marker '}': expected ']' (for Array starting at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); %s)", location(p.b, open))
		default:
			p.unexpected("was expecting comma to separate Array entries")
		}
	}
}

// str reads a string token (the opening quote at p.i), checking UTF-8.
func (p *jparser) str(name bool) string {
	p.i++
	var sb strings.Builder
	for {
		if p.i >= len(p.b) {
			if name {
				p.fail(p.i, "Unexpected end-of-input in field name")
			}
			p.fail(p.i, "Unexpected end-of-input: was expecting closing quote for a string value")
		}
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return sb.String()
		case c == '\\':
			p.i++
			if p.i >= len(p.b) {
				p.fail(p.i, "Unexpected end-of-input in character escape sequence")
			}
			e := p.b[p.i]
			p.i++
			switch e {
			case '"', '\\', '/':
				sb.WriteByte(e)
			case 'b':
				sb.WriteByte('\b')
			case 'f':
				sb.WriteByte('\f')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 't':
				sb.WriteByte('\t')
			case 'u':
				var r rune
				for k := 0; k < 4; k++ {
					if p.i >= len(p.b) {
						p.fail(p.i, "Unexpected end-of-input in character escape sequence")
					}
					h := p.b[p.i]
					var d byte
					switch {
					case h >= '0' && h <= '9':
						d = h - '0'
					case h >= 'a' && h <= 'f':
						d = h - 'a' + 10
					case h >= 'A' && h <= 'F':
						d = h - 'A' + 10
					default:
						p.unexpected("expected a hex-digit for character escape sequence")
					}
					r = r<<4 | rune(d)
					p.i++
				}
				// A surrogate pair escaped as two \u escapes is one character.
				if utf16.IsSurrogate(r) && r < 0xDC00 && p.i+6 <= len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
					var lo rune
					ok := true
					for _, h := range p.b[p.i+2 : p.i+6] {
						switch {
						case h >= '0' && h <= '9':
							lo = lo<<4 | rune(h-'0')
						case h >= 'a' && h <= 'f':
							lo = lo<<4 | rune(h-'a'+10)
						case h >= 'A' && h <= 'F':
							lo = lo<<4 | rune(h-'A'+10)
						default:
							ok = false
						}
					}
					if ok && lo >= 0xDC00 && lo <= 0xDFFF {
						r = utf16.DecodeRune(r, lo)
						p.i += 6
					}
				}
				sb.WriteRune(r)
			default:
				p.fail(p.i-1, "Unrecognized character escape %s", charDesc(e))
			}
		case c < 0x20:
			where := "string value"
			if name {
				where = "name"
			}
			p.fail(p.i, "Illegal unquoted character (%s): has to be escaped using backslash to be included in %s", charDesc(c), where)
		case c < 0x80:
			sb.WriteByte(c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && size <= 1 {
				p.badUTF8()
			}
			sb.WriteString(string(p.b[p.i : p.i+size]))
			p.i += size
		}
	}
}

// badUTF8 reports an invalid sequence at p.i as Jackson does: a byte that
// cannot start a sequence, or the first byte that does not continue one.
func (p *jparser) badUTF8() {
	c := p.b[p.i]
	var need int
	switch {
	case c&0xE0 == 0xC0:
		need = 1
	case c&0xF0 == 0xE0:
		need = 2
	case c&0xF8 == 0xF0:
		need = 3
	default:
		p.fail(p.i+1, "Invalid UTF-8 start byte 0x%x", c)
	}
	for k := 1; k <= need; k++ {
		if p.i+k >= len(p.b) {
			p.fail(len(p.b), "Unexpected end-of-input in VALUE_STRING")
		}
		if m := p.b[p.i+k]; m&0xC0 != 0x80 {
			p.fail(p.i+k+1, "Invalid UTF-8 middle byte 0x%x", m)
		}
	}
	// Overlong forms and surrogates.
	p.fail(p.i+1, "Invalid UTF-8 start byte 0x%x", c)
}

func (p *jparser) number() string {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		j := p.i
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
		}
		return p.i - j
	}
	intStart := p.i
	if digits() == 0 {
		if p.i >= len(p.b) {
			p.fail(p.i, "Unexpected end-of-input in a Number value")
		}
		p.unexpected("expected digit (0-9) to follow minus sign, for valid numeric value")
	}
	if p.i-intStart > 1 && p.b[intStart] == '0' {
		p.fail(intStart+1, "Invalid numeric value: Leading zeroes not allowed")
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			if p.i >= len(p.b) {
				p.fail(p.i, "Unexpected end-of-input in a Number value")
			}
			p.unexpected("Decimal point not followed by a digit")
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			if p.i >= len(p.b) {
				p.fail(p.i, "Unexpected end-of-input in a Number value")
			}
			p.unexpected("Exponent indicator not followed by a digit")
		}
	}
	return string(p.b[start:p.i])
}

// parseJSON parses a body. It returns the root (nil for an empty body, as
// Jersey passes no entity), the offset just past the root value, and the
// first syntax error, with whatever was read before it.
func parseJSON(b []byte, keepUnder string) (root *jnode, end int, perr *jsonError) {
	p := &jparser{b: b, keepUnder: keepUnder}
	// Jackson skips a UTF-8 byte order mark.
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		p.i = 3
	}
	p.ws()
	if p.i >= len(b) {
		return nil, 0, nil
	}
	defer func() {
		if v := recover(); v != nil {
			je, ok := v.(*jsonError)
			if !ok {
				panic(v)
			}
			perr = je
		}
	}()
	p.value(func(n *jnode) { root = n })
	end = p.i
	// What follows the value: another token is refused by the caller
	// (FAIL_ON_TRAILING_TOKENS); anything else is a syntax error here.
	p.ws()
	if p.i < len(b) {
		switch c := b[p.i]; {
		case c == '}':
			p.fail(p.i, "Unexpected close marker '}': no open Object to close")
		case c == ']':
			p.fail(p.i, "Unexpected close marker ']': no open Array to close")
		case c == '{' || c == '[' || c == '"' || c == '-' || c >= '0' && c <= '9':
			// A trailing token: the caller refuses it.
		default:
			save := p.i
			p.value(func(*jnode) {})
			p.i = save
		}
	}
	return root, end, nil
}

var tokenNames = map[byte]string{'{': "START_OBJECT", '[': "START_ARRAY", '"': "VALUE_STRING", 't': "VALUE_TRUE", 'f': "VALUE_FALSE", 'n': "VALUE_NULL"}

func tokenName(n *jnode) string {
	if n.kind == '0' {
		if strings.ContainsAny(n.text, ".eE") {
			return "VALUE_NUMBER_FLOAT"
		}
		return "VALUE_NUMBER_INT"
	}
	return tokenNames[n.kind]
}

// valueDesc is how Jackson names the shape it found.
func valueDesc(n *jnode) string {
	switch n.kind {
	case '{':
		return "Object value"
	case '[':
		return "Array value"
	case '"':
		return "String value"
	case 't', 'f':
		return "Boolean value"
	}
	if tokenName(n) == "VALUE_NUMBER_FLOAT" {
		return "Floating-point value"
	}
	return "Integer value"
}

const (
	stringMapType = "java.util.LinkedHashMap<java.lang.String,java.lang.String>"
	createType    = "org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest"
)

// bodyError is a Jackson error: 500 with the message, position and chain.
type bodyError struct {
	msg   string
	ptr   int
	chain string
}

func (e *bodyError) render(b []byte) error {
	msg := e.msg + jacksonSource + location(b, e.ptr)
	if e.chain != "" {
		msg += " (through reference chain: " + e.chain + ")"
	}
	return newStatusError(http.StatusInternalServerError, msg)
}

func mismatch(javaType string, n *jnode, chain string) *bodyError {
	if n.kind == '"' {
		return &bodyError{msg: fmt.Sprintf("Cannot construct instance of `%s` (although at least one Creator exists): no String-argument constructor/factory method to deserialize from String value ('%s')",
			strings.SplitN(javaType, "<", 2)[0], n.text), ptr: n.start, chain: chain}
	}
	return &bodyError{msg: fmt.Sprintf("Cannot deserialize value of type `%s` from %s (token `JsonToken.%s`)", javaType, valueDesc(n), tokenName(n)), ptr: n.start, chain: chain}
}

// scalarText is a string-typed field: scalars as their text, null as nil.
func scalarText(n *jnode, chain string) (*string, *bodyError) {
	switch n.kind {
	case 'n':
		return nil, nil
	case '{', '[':
		return nil, mismatch("java.lang.String", n, chain)
	}
	s := n.text
	return &s, nil
}

// bindStringMap binds a Map<String,String>; nil for a null entity.
func bindStringMap(n *jnode, chain string) (map[string]*string, *bodyError) {
	if n == nil || n.kind == 'n' {
		return nil, nil
	}
	if n.kind != '{' {
		return nil, mismatch(stringMapType, n, chain)
	}
	out := make(map[string]*string, len(n.keys))
	prefix := chain
	if prefix != "" {
		prefix += "->"
	}
	for i, k := range n.keys {
		v, err := scalarText(n.vals[i], fmt.Sprintf(`%sjava.util.LinkedHashMap[%q]`, prefix, k))
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// readBody parses the request body and binds it with bind; syntax errors
// that come before the binder's first error win, as Jackson reads in a
// stream. within names the entity for errors inside it, rootType the type
// for trailing tokens, keepUnder the root field whose entries the binder
// reads (see jparser). A nil root means no entity.
func readBody(r *http.Request, rootType, within, keepUnder string, bind func(root *jnode, end int) *bodyError) error {
	b, err := bodyOf(r)
	if err != nil {
		return err
	}
	root, end, perr := parseJSON(b, keepUnder)
	berr := bind(root, end)
	if perr != nil && (berr == nil || berr.ptr >= perr.ptr) {
		chain := ""
		if within != "" && perr.field != "" {
			chain = fmt.Sprintf("%s[%q]", within, perr.field)
		}
		return (&bodyError{msg: perr.msg, ptr: perr.ptr, chain: chain}).render(b)
	}
	if berr != nil {
		return berr.render(b)
	}
	// A second value after the entity.
	p := &jparser{b: b, i: end}
	p.ws()
	if root != nil && p.i < len(b) {
		next := &jnode{start: p.i, kind: b[p.i]}
		switch c := b[p.i]; {
		case c == '-' || c >= '0' && c <= '9':
			func() {
				defer func() { _ = recover() }()
				next.kind, next.text = '0', p.number()
			}()
		case c == 't' || c == 'f' || c == 'n':
		case c == '{' || c == '[' || c == '"':
		default:
			next = nil
		}
		if next != nil {
			return (&bodyError{msg: fmt.Sprintf("Trailing token (of type %s) found after value (bound as `%s`): not allowed as per `DeserializationFeature.FAIL_ON_TRAILING_TOKENS`", tokenName(next), rootType), ptr: next.start}).render(b)
		}
	}
	return nil
}

// decodeStringMap reads a Map<String,String> body (connector configs).
func decodeStringMap(r *http.Request) (map[string]*string, error) {
	var out map[string]*string
	err := readBody(r, "java.util.Map", "", "", func(root *jnode, _ int) *bodyError {
		var e *bodyError
		out, e = bindStringMap(root, "")
		return e
	})
	return out, err
}

type createBody struct {
	name, initialState *string
	config             map[string]*string
	null               bool
}

// decodeCreate reads a CreateConnectorRequest body.
func decodeCreate(r *http.Request) (createBody, error) {
	var out createBody
	err := readBody(r, createType, createType, "config", func(root *jnode, end int) *bodyError {
		if root == nil || root.kind == 'n' {
			out.null = true
			return nil
		}
		if root.kind != '{' {
			return mismatch(createType, root, "")
		}
		var unknown string
		for i, k := range root.keys {
			v := root.vals[i]
			chain := fmt.Sprintf("%s[%q]", createType, k)
			var e *bodyError
			switch k {
			case "name":
				out.name, e = scalarText(v, chain)
			case "config":
				out.config, e = bindStringMap(v, chain)
			case "initial_state":
				var s *string
				if s, e = scalarText(v, chain); e == nil && s != nil {
					st := strings.ToUpper(*s)
					switch st {
					case "RUNNING", "PAUSED", "STOPPED":
						out.initialState = &st
					default:
						e = &bodyError{msg: "Cannot construct instance of `" + createType + "$InitialState`, problem: No enum constant " + createType + ".InitialState." + st, ptr: v.start, chain: chain}
					}
				}
			default:
				if unknown == "" {
					unknown = k
				}
			}
			if e != nil {
				return e
			}
		}
		if unknown != "" && end > 0 {
			// Jackson buffers a creator's properties and judges unknown ones
			// once the object has been read.
			return &bodyError{msg: fmt.Sprintf(`Unrecognized field %q (class %s), not marked as ignorable (3 known properties: "config", "name", "initial_state")`, unknown, createType),
				ptr: end, chain: fmt.Sprintf("%s[%q]", createType, unknown)}
		}
		return nil
	})
	return out, err
}

const (
	offsetsType    = "org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets"
	offsetListType = "java.util.ArrayList<org.apache.kafka.connect.runtime.rest.entities.ConnectorOffset>"
)

// decodeOffsets reads a ConnectorOffsets body (PATCH offsets); null
// reports that there was no entity.
func decodeOffsets(r *http.Request) (entities.ConnectorOffsets, bool, error) {
	var null bool
	err := readBody(r, offsetsType, offsetsType, "", func(root *jnode, _ int) *bodyError {
		if root == nil || root.kind == 'n' {
			null = true
			return nil
		}
		if root.kind != '{' {
			return mismatch(offsetsType, root, "")
		}
		for i, k := range root.keys {
			v := root.vals[i]
			chain := fmt.Sprintf("%s[%q]", offsetsType, k)
			if k != "offsets" {
				// A plain bean judges a field as it reads its value's
				// first token.
				ptr := v.end
				if v.kind == '{' || v.kind == '[' {
					ptr = v.start + 1
				}
				return &bodyError{msg: fmt.Sprintf(`Unrecognized field %q (class %s), not marked as ignorable (one known property: "offsets")`, k, offsetsType), ptr: ptr, chain: chain}
			}
			if v.kind != '[' && v.kind != 'n' {
				return mismatch(offsetListType, v, chain)
			}
		}
		return nil
	})
	if err != nil || null {
		return entities.ConnectorOffsets{}, null, err
	}
	b, err := bodyOf(r)
	if err != nil {
		return entities.ConnectorOffsets{}, false, err
	}
	var offs entities.ConnectorOffsets
	if err := stdjson.Unmarshal(b, &offs); err != nil {
		return entities.ConnectorOffsets{}, false, newStatusError(http.StatusInternalServerError, err.Error())
	}
	return offs, false, nil
}
