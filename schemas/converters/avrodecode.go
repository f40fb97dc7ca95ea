package converters

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
	"time"

	"gopkg.in/inf.v0"

	"github.com/gonnect/gonnect/schemas"
)

// The Avro reader compiles each writer schema once into a tree of decode
// functions that read Avro binary straight into Connect data (as
// Confluent's AvroData maps it). Nothing is interpreted per record and no
// intermediate generic value is built: this is the sink's hot path.

// avroDecoder is the read position in one record's Avro body. src holds
// the same bytes as a string, so decoded strings are substrings of one
// allocation instead of one allocation each.
type avroDecoder struct {
	buf []byte
	src string
	pos int
}

type avroDecodeFunc func(d *avroDecoder) (any, error)

var errAvroShort = errors.New("unexpected end of Avro data")

func (d *avroDecoder) long() (int64, error) {
	// Most varints (lengths, union branches, small numbers) are one byte.
	if d.pos < len(d.buf) {
		if b := d.buf[d.pos]; b < 0x80 {
			d.pos++
			return int64(b>>1) ^ -int64(b&1), nil
		}
	}
	var u uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if d.pos >= len(d.buf) {
			return 0, errAvroShort
		}
		b := d.buf[d.pos]
		d.pos++
		u |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return int64(u>>1) ^ -int64(u&1), nil
		}
	}
	return 0, fmt.Errorf("Avro varint longer than 10 bytes at byte %d", d.pos)
}

func (d *avroDecoder) int() (int32, error) {
	v, err := d.long()
	if err != nil {
		return 0, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("Avro int %d out of range", v)
	}
	return int32(v), nil
}

// span returns the bounds of n next bytes.
func (d *avroDecoder) span(n int64) (int, int, error) {
	if n < 0 || n > int64(len(d.buf)-d.pos) {
		return 0, 0, fmt.Errorf("%w: %d bytes wanted at byte %d of %d", errAvroShort, n, d.pos, len(d.buf))
	}
	a := d.pos
	d.pos += int(n)
	return a, d.pos, nil
}

func (d *avroDecoder) string() (string, error) {
	n, err := d.long()
	if err != nil {
		return "", err
	}
	a, b, err := d.span(n)
	return d.src[a:b], err
}

// bytes copies, so the value does not alias the caller's buffer.
func (d *avroDecoder) bytes(n int64) ([]byte, error) {
	a, b, err := d.span(n)
	if err != nil {
		return nil, err
	}
	return append(make([]byte, 0, b-a), d.buf[a:b]...), nil // empty, not nil: not a null
}

// block reads the header of an array or map block: its element count,
// 0 at the end.
func (d *avroDecoder) block() (int64, error) {
	n, err := d.long()
	if err != nil || n == 0 {
		return 0, err
	}
	if n < 0 { // a negative count is followed by the block's size in bytes
		if n == math.MinInt64 {
			return 0, fmt.Errorf("Avro block count %d at byte %d has no positive form", n, d.pos)
		}
		n = -n
		if _, err := d.long(); err != nil {
			return 0, err
		}
	}
	// Every element but null takes at least a byte: a count far beyond
	// what is left is corrupt data, not a reason to loop or allocate.
	if n > int64(len(d.buf)-d.pos) && n > 1<<16 {
		return 0, fmt.Errorf("Avro block of %d elements with %d bytes left", n, len(d.buf)-d.pos)
	}
	return n, nil
}

func decodeNull(*avroDecoder) (any, error) { return nil, nil }

func decodeBoolean(d *avroDecoder) (any, error) {
	if d.pos >= len(d.buf) {
		return nil, errAvroShort
	}
	b := d.buf[d.pos]
	d.pos++
	return b != 0, nil
}

func decodeInt(d *avroDecoder) (any, error) {
	v, err := d.int()
	return v, err
}

func decodeLong(d *avroDecoder) (any, error) {
	v, err := d.long()
	return v, err
}

func decodeFloat(d *avroDecoder) (any, error) {
	a, b, err := d.span(4)
	if err != nil {
		return nil, err
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(d.buf[a:b])), nil
}

func decodeDouble(d *avroDecoder) (any, error) {
	a, b, err := d.span(8)
	if err != nil {
		return nil, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(d.buf[a:b])), nil
}

func decodeString(d *avroDecoder) (any, error) {
	s, err := d.string()
	return s, err
}

func decodeBytes(d *avroDecoder) (any, error) {
	n, err := d.long()
	if err != nil {
		return nil, err
	}
	return d.bytes(n)
}

func decodeFixed(size int64) avroDecodeFunc {
	return func(d *avroDecoder) (any, error) { return d.bytes(size) }
}

// decodeDecimal reads the big-endian two's-complement unscaled value of a
// decimal (from bytes when size < 0, else from a fixed of that size).
func decodeDecimal(scale int, size int64) avroDecodeFunc {
	return func(d *avroDecoder) (any, error) {
		n := size
		if n < 0 {
			var err error
			if n, err = d.long(); err != nil {
				return nil, err
			}
		}
		a, b, err := d.span(n)
		if err != nil {
			return nil, err
		}
		raw := d.buf[a:b]
		unscaled := new(big.Int).SetBytes(raw)
		if len(raw) > 0 && raw[0]&0x80 != 0 {
			unscaled.Sub(unscaled, new(big.Int).Lsh(big.NewInt(1), uint(8*len(raw))))
		}
		return inf.NewDecBig(unscaled, inf.Scale(scale)), nil
	}
}

var epochUTC = time.Unix(0, 0).UTC()

func decodeDate(d *avroDecoder) (any, error) {
	v, err := d.int()
	if err != nil {
		return nil, err
	}
	return time.Unix(int64(v)*86400, 0).UTC(), nil
}

// decodeTime reads time-millis (int) or time-micros (long) as a time of day
// on the epoch, as Connect's Time logical type holds it.
func decodeTime(unit time.Duration) avroDecodeFunc {
	return func(d *avroDecoder) (any, error) {
		var v int64
		var err error
		if unit == time.Millisecond { // time-millis annotates an int
			var i int32
			i, err = d.int()
			v = int64(i)
		} else {
			v, err = d.long()
		}
		if err != nil {
			return nil, err
		}
		return epochUTC.Add(time.Duration(v) * unit), nil
	}
}

func decodeTimestamp(micros bool) avroDecodeFunc {
	return func(d *avroDecoder) (any, error) {
		v, err := d.long()
		if err != nil {
			return nil, err
		}
		if micros {
			return time.UnixMicro(v).UTC(), nil
		}
		return time.UnixMilli(v).UTC(), nil
	}
}

// avroNode is one Avro schema compiled to a Connect schema and a decoder.
// Named types are shared nodes.
type avroNode struct {
	schema *schemas.Schema
	dec    avroDecodeFunc
	typ    *AvroType // the Avro type itself, for code that decodes bodies directly
}

func (n *avroNode) decode(d *avroDecoder) (any, error) { return n.dec(d) }

type avroBuilder struct {
	named map[string]*avroNode
}

func fullName(m map[string]any, ns string) string {
	name, _ := m["name"].(string)
	if strings.Contains(name, ".") {
		return name
	}
	if n, ok := m["namespace"].(string); ok && n != "" {
		ns = n
	}
	if ns == "" {
		return name
	}
	return ns + "." + name
}

func (b *avroBuilder) build(s any, ns string) (*avroNode, error) {
	switch x := s.(type) {
	case string:
		return b.primitive(x, nil, ns)
	case []any:
		return b.union(x, ns)
	case map[string]any:
		t, _ := x["type"].(string)
		if t == "" {
			return b.build(x["type"], ns)
		}
		switch t {
		case "record", "error":
			return b.record(x, ns)
		case "enum":
			return b.enum(x, ns)
		case "array":
			return b.array(x, ns)
		case "map":
			return b.mapOf(x, ns)
		default:
			return b.primitive(t, x, ns)
		}
	}
	return nil, fmt.Errorf("unsupported Avro schema %v", s)
}

func (b *avroBuilder) enum(m map[string]any, ns string) (*avroNode, error) {
	raw, _ := m["symbols"].([]any)
	symbols := make([]string, len(raw))
	for i, s := range raw {
		symbols[i], _ = s.(string)
	}
	name := fullName(m, ns)
	n := &avroNode{schema: &schemas.Schema{Type: schemas.String, Name: name}, dec: func(d *avroDecoder) (any, error) {
		i, err := d.long()
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= int64(len(symbols)) {
			return nil, fmt.Errorf("enum %s has no symbol at index %d", name, i)
		}
		return symbols[i], nil
	}, typ: &AvroType{Kind: "enum", Symbols: len(symbols)}}
	b.named[name] = n
	return n, nil
}

func (b *avroBuilder) array(m map[string]any, ns string) (*avroNode, error) {
	elem, err := b.build(m["items"], ns)
	if err != nil {
		return nil, err
	}
	return &avroNode{schema: schemas.NewArray(elem.schema, false), dec: func(d *avroDecoder) (any, error) {
		var out []any
		for {
			n, err := d.block()
			if err != nil {
				return nil, err
			}
			if n == 0 {
				break
			}
			out = slices.Grow(out, int(n))
			for ; n > 0; n-- {
				v, err := elem.decode(d)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
		}
		if out == nil {
			out = []any{}
		}
		return out, nil
	}, typ: &AvroType{Kind: "array", Items: elem.typ}}, nil
}

func (b *avroBuilder) mapOf(m map[string]any, ns string) (*avroNode, error) {
	val, err := b.build(m["values"], ns)
	if err != nil {
		return nil, err
	}
	return &avroNode{schema: schemas.NewMap(schemas.StringSchema, val.schema, false), dec: func(d *avroDecoder) (any, error) {
		n, err := d.block()
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, n)
		for n > 0 {
			for ; n > 0; n-- {
				k, err := d.string()
				if err != nil {
					return nil, err
				}
				if out[k], err = val.decode(d); err != nil {
					return nil, err
				}
			}
			if n, err = d.block(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}, typ: &AvroType{Kind: "map", Values: val.typ}}, nil
}

func (b *avroBuilder) primitive(t string, m map[string]any, ns string) (*avroNode, error) {
	logical, _ := m["logicalType"].(string)
	var size int64
	if t == "fixed" {
		f, ok := m["size"].(float64)
		if !ok || f < 0 {
			return nil, fmt.Errorf("fixed %s has no valid size", fullName(m, ns))
		}
		size = int64(f)
	}
	var n *avroNode
	switch {
	case logical == "decimal" && (t == "bytes" || t == "fixed"):
		scale := 0
		if v, ok := m["scale"].(float64); ok {
			scale = int(v)
		}
		fixedSize := size
		if t == "bytes" {
			fixedSize = -1
		}
		n = &avroNode{schema: schemas.NewDecimal(scale, false), dec: decodeDecimal(scale, fixedSize)}
	case logical == "date" && t == "int":
		n = &avroNode{schema: schemas.NewDate(false), dec: decodeDate}
	case logical == "time-millis" && t == "int":
		n = &avroNode{schema: schemas.NewTime(false), dec: decodeTime(time.Millisecond)}
	case logical == "time-micros" && t == "long":
		n = &avroNode{schema: schemas.NewTime(false), dec: decodeTime(time.Microsecond)}
	case (logical == "timestamp-millis" || logical == "local-timestamp-millis") && t == "long":
		n = &avroNode{schema: schemas.NewTimestamp(false), dec: decodeTimestamp(false)}
	case (logical == "timestamp-micros" || logical == "local-timestamp-micros") && t == "long":
		n = &avroNode{schema: schemas.NewTimestamp(false), dec: decodeTimestamp(true)}
	}
	if n == nil {
		switch t {
		case "null":
			n = &avroNode{schema: &schemas.Schema{Type: schemas.String, Optional: true}, dec: decodeNull}
		case "boolean":
			n = &avroNode{schema: schemas.BooleanSchema, dec: decodeBoolean}
		case "int":
			n = &avroNode{schema: schemas.Int32Schema, dec: decodeInt}
		case "long":
			n = &avroNode{schema: schemas.Int64Schema, dec: decodeLong}
		case "float":
			n = &avroNode{schema: schemas.Float32Schema, dec: decodeFloat}
		case "double":
			n = &avroNode{schema: schemas.Float64Schema, dec: decodeDouble}
		case "bytes":
			n = &avroNode{schema: schemas.BytesSchema, dec: decodeBytes}
		case "string":
			n = &avroNode{schema: schemas.StringSchema, dec: decodeString}
		case "fixed":
			n = &avroNode{schema: schemas.BytesSchema, dec: decodeFixed(size)}
		default:
			full := t
			if !strings.Contains(t, ".") && ns != "" {
				full = ns + "." + t
			}
			n, ok := b.named[full]
			if !ok {
				n, ok = b.named[t]
			}
			if !ok {
				return nil, fmt.Errorf("unknown Avro type %q", t)
			}
			if n.schema == nil {
				// Connect schemas are trees; a type that contains itself has no Connect form.
				return nil, fmt.Errorf("recursive Avro type %q cannot be mapped to a Connect schema", t)
			}
			return n, nil
		}
	}
	n.typ = &AvroType{Kind: t, Logical: logical, Size: int(size)}
	if t == "fixed" {
		b.named[fullName(m, ns)] = n
	}
	return n, nil
}

func (b *avroBuilder) record(m map[string]any, ns string) (*avroNode, error) {
	name := fullName(m, ns)
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ns = name[:i]
	}
	node := &avroNode{typ: &AvroType{Kind: "record"}}
	b.named[name] = node // before fields, so a self-reference is recognised
	fs, _ := m["fields"].([]any)
	fields := make([]schemas.Field, len(fs))
	decs := make([]*avroNode, len(fs))
	for i, f := range fs {
		fm, _ := f.(map[string]any)
		fname, _ := fm["name"].(string)
		fn, err := b.build(fm["type"], ns)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", fname, err)
		}
		fields[i] = schemas.Field{Name: fname, Schema: fn.schema}
		decs[i] = fn
		node.typ.Fields = append(node.typ.Fields, AvroField{Name: fname, Type: fn.typ})
	}
	st := schemas.NewStruct(name, false, fields...)
	node.schema = st
	node.dec = func(d *avroDecoder) (any, error) {
		out := &schemas.Struct{Schema: st, Values: make([]any, len(decs))}
		for i, fd := range decs {
			v, err := fd.decode(d)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", fields[i].Name, err)
			}
			out.Values[i] = v
		}
		return out, nil
	}
	return node, nil
}

// union maps [null, T] (in either order) to an optional T, as Confluent's
// AvroData does; other unions become a struct with one optional field per
// non-null branch, the written branch set.
func (b *avroBuilder) union(branches []any, ns string) (*avroNode, error) {
	nodes := make([]*avroNode, len(branches)) // nil for the null branch
	field := make([]int, len(branches))       // struct field index, -1 for null
	var nonNull []*avroNode
	var fields []schemas.Field
	hasNull := false
	typ := &AvroType{Kind: "union"}
	for i, br := range branches {
		if s, ok := br.(string); ok && s == "null" {
			hasNull, field[i] = true, -1
			typ.Branches = append(typ.Branches, avroNullType)
			continue
		}
		n, err := b.build(br, ns)
		if err != nil {
			return nil, err
		}
		typ.Branches = append(typ.Branches, n.typ)
		nodes[i], field[i] = n, len(nonNull)
		nonNull = append(nonNull, n)
		key := branchName(br, ns)
		opt := *n.schema
		opt.Optional = true
		fields = append(fields, schemas.Field{Name: key[strings.LastIndexByte(key, '.')+1:], Schema: &opt})
	}
	branch := func(d *avroDecoder) (int, error) {
		i, err := d.long()
		if err != nil {
			return 0, err
		}
		if i < 0 || i >= int64(len(branches)) {
			return 0, fmt.Errorf("union has no branch %d", i)
		}
		return int(i), nil
	}
	if len(nonNull) == 1 {
		inner := nonNull[0]
		opt := *inner.schema
		opt.Optional = hasNull
		if opt.Type == schemas.StructType {
			opt = *schemas.NewStruct(inner.schema.Name, hasNull, inner.schema.Fields...)
		}
		return &avroNode{schema: &opt, dec: func(d *avroDecoder) (any, error) {
			i, err := branch(d)
			if err != nil || nodes[i] == nil {
				return nil, err
			}
			return inner.decode(d)
		}, typ: typ}, nil
	}
	st := schemas.NewStruct("io.confluent.connect.avro.Union", hasNull, fields...)
	return &avroNode{schema: st, dec: func(d *avroDecoder) (any, error) {
		i, err := branch(d)
		if err != nil || nodes[i] == nil {
			return nil, err
		}
		v, err := nodes[i].decode(d)
		if err != nil {
			return nil, err
		}
		out := schemas.NewStructValue(st)
		out.Values[field[i]] = v
		return out, nil
	}, typ: typ}, nil
}

func branchName(s any, ns string) string {
	switch x := s.(type) {
	case string:
		return x
	case map[string]any:
		if t, _ := x["type"].(string); t == "record" || t == "enum" || t == "fixed" {
			return fullName(x, ns)
		}
		if t, ok := x["type"].(string); ok {
			if l, ok := x["logicalType"].(string); ok {
				return t + "." + l
			}
			return t
		}
	}
	return fmt.Sprint(s)
}
