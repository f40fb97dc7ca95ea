package cassandra

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
	"unsafe"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/schemas/converters"
)

// Direct binding: for Avro values whose fields map one to one onto columns
// of natural types (string→text, long→bigint, timestamp-millis→timestamp,
// a plain long→timestamp as epoch milliseconds, int→bigint, float→double,
// array of string→list<text>, ...), plus now() into uuid and timeuuid
// columns, the task reads the Avro body straight
// into the driver's wire encoding, with no Connect Struct, no boxed values
// and no per-value encoding by the driver: three allocations per record
// instead of about fifty. Anything else (other types, nested paths, key or
// header mappings, codecs, custom queries, counters, tuples, a null primary
// key, a record that is a delete, a body that does not decode) takes the
// general path, which decodes with the converter and binds as before, so
// both paths write the same bytes (direct_integration_test.go compares
// them).

// Direct implements connectors.DirectSink: Avro values are bound directly.
func (t *Task) Direct(vc schemas.Converter) bool {
	if _, ok := vc.(*converters.AvroConverter); !ok {
		return false
	}
	t.values = vc
	return true
}

// Bounds of a table bound directly: its per-record state stays on the stack.
const maxDirectCols, maxDirectKey = 64, 8

// directPlan binds one table's columns from the bodies of one writer schema.
type directPlan struct {
	writer *converters.AvroWriter
	fields []directField // the writer's fields, in order
	now    []int         // columns of now(): a new time UUID each
}

type directField struct {
	typ     *converters.AvroType // as written, for skipping
	cols    []int                // columns fed by the field; none: skipped
	nullAt  int64                // union branch of null, -1 if not nullable
	valueAt int64                // union branch of value, -1 if not a union
	cqlType gocql.Type
	kind    directKind // value's kind, switched on per record
}

// directKind is an Avro kind the direct path binds: an integer, so the
// per-record switches do not compare type names.
type directKind uint8

const (
	kindText directKind = iota
	kindBytes
	kindInt
	kindLong
	kindTimestamp // long (timestamp-millis or plain: epoch milliseconds)
	kindDouble
	kindFloat
	kindIntBig       // int into bigint
	kindIntTimestamp // int into timestamp: epoch milliseconds
	kindIntVarint    // int into varint
	kindLongVarint   // long into varint
	kindFloatDouble  // float into double
	kindBool
	kindArray
	kindMap
)

// planFor returns the table's plan for a writer schema, nil when the table
// cannot bind it directly.
func (w *tableWriter) planFor(writer any) *directPlan {
	aw, ok := writer.(*converters.AvroWriter)
	if !ok {
		return nil
	}
	if p, ok := w.plans.Load(aw); ok {
		return p.(*directPlan) // nil: the table cannot bind this schema directly
	}
	p := w.compilePlan(aw)
	w.plans.Store(aw, p)
	return p
}

func (w *tableWriter) compilePlan(aw *converters.AvroWriter) *directPlan {
	if w.ts.query != "" || w.counter || w.hasTuple || w.ttlMap != nil || w.tsMap != nil || w.ts.codec != nil ||
		len(w.cols) > maxDirectCols || w.pkCount > maxDirectKey {
		return nil
	}
	rt := aw.Type()
	if rt.Kind != "record" {
		return nil
	}
	p := &directPlan{writer: aw, fields: make([]directField, len(rt.Fields))}
	byName := map[string]int{}
	for i, f := range rt.Fields {
		byName[f.Name] = i
		p.fields[i] = directField{typ: f.Type}
	}
	for ci, c := range w.cols {
		m := c.mapping
		if m.src == fromNow {
			// The general path reports now() into other types, and a now()
			// key groups by the UUID's own bytes there.
			if t := c.meta.Type.Type(); ci < w.pkCount || (t != gocql.TypeUUID && t != gocql.TypeTimeUUID) {
				return nil
			}
			p.now = append(p.now, ci)
			continue
		}
		if m.src != fromValue || len(m.path) != 1 || m.path[0].isIdx || m.path[0].key != nil {
			return nil
		}
		fi, ok := byName[m.path[0].field]
		if !ok {
			return nil // the general path reports the missing field
		}
		f := &p.fields[fi]
		value, nullAt, valueAt := nullable(f.typ)
		if value == nil {
			return nil
		}
		kind, ok := directBinding(value, c.meta.Type, ci < w.pkCount)
		if !ok {
			return nil
		}
		if len(f.cols) > 0 && f.cqlType != c.meta.Type.Type() {
			return nil // one field feeding columns of two types
		}
		f.nullAt, f.valueAt, f.cqlType, f.kind = nullAt, valueAt, c.meta.Type.Type(), kind
		f.cols = append(f.cols, ci)
	}
	return p
}

// nullable returns the value type of t: t itself, or X of a union of null
// and X (with the union branches); nil for other unions.
func nullable(t *converters.AvroType) (value *converters.AvroType, nullAt, valueAt int64) {
	if t.Kind != "union" {
		return t, -1, -1
	}
	if len(t.Branches) != 2 {
		return nil, 0, 0
	}
	switch {
	case t.Branches[0].Kind == "null" && t.Branches[1].Kind != "null":
		return t.Branches[1], 0, 1
	case t.Branches[1].Kind == "null" && t.Branches[0].Kind != "null":
		return t.Branches[0], 1, 0
	}
	return nil, 0, 0
}

// directBinding reports whether an Avro/CQL pair is bound directly, and
// the kind the per-record code switches on; a primary key column also
// needs a type whose grouping key is built here.
func directBinding(a *converters.AvroType, c gocql.TypeInfo, pk bool) (directKind, bool) {
	if a.Logical != "" && !(a.Kind == "long" && a.Logical == "timestamp-millis") {
		return 0, false
	}
	ct := c.Type()
	// A number into a timestamp is epoch milliseconds, as the general
	// path (and DataStax, with the default codec.unit) reads it; plans
	// exist only without codec settings.
	switch a.Kind {
	case "string":
		return kindText, ct == gocql.TypeText || ct == gocql.TypeVarchar
	case "int":
		switch ct {
		case gocql.TypeInt:
			return kindInt, true
		case gocql.TypeBigInt:
			return kindIntBig, true
		case gocql.TypeTimestamp:
			return kindIntTimestamp, true
		case gocql.TypeVarint:
			return kindIntVarint, true
		}
		return 0, false
	case "long":
		switch {
		case ct == gocql.TypeTimestamp:
			return kindTimestamp, true
		case a.Logical != "":
			return 0, false
		case ct == gocql.TypeBigInt:
			return kindLong, true
		case ct == gocql.TypeVarint:
			return kindLongVarint, true
		}
		return 0, false
	}
	if pk {
		return 0, false
	}
	switch a.Kind {
	case "double":
		return kindDouble, ct == gocql.TypeDouble
	case "float":
		if ct == gocql.TypeDouble {
			return kindFloatDouble, true
		}
		return kindFloat, ct == gocql.TypeFloat
	case "boolean":
		return kindBool, ct == gocql.TypeBoolean
	case "bytes":
		return kindBytes, ct == gocql.TypeBlob
	case "array":
		return kindArray, a.Items.Kind == "string" && a.Items.Logical == "" && (ct == gocql.TypeList || ct == gocql.TypeSet) &&
			isPlainText(c.(gocql.CollectionType).Elem)
	case "map":
		return kindMap, a.Values.Kind == "string" && a.Values.Logical == "" && ct == gocql.TypeMap &&
			isPlainText(c.(gocql.CollectionType).Key) && isPlainText(c.(gocql.CollectionType).Elem)
	}
	return 0, false
}

func isPlainText(t gocql.TypeInfo) bool {
	return t.Type() == gocql.TypeText || t.Type() == gocql.TypeVarchar
}

// rawValue is a value already in the driver's wire form, handed to the
// driver through gocql.Marshaler; nil is a null.
type rawValue []byte

// MarshalCQL implements gocql.Marshaler.
func (r *rawValue) MarshalCQL(gocql.TypeInfo) ([]byte, error) { return *r, nil }

// directArena hands out the memory of the records bound directly in one
// put, in chunks: a few allocations per put instead of three per record.
// It lives as long as the put's writes: a new put starts a new arena,
// with chunks sized for its records (a put of one record must not cost a
// full chunk).
type directArena struct {
	slab []byte // len: used
	vals []rawValue
	args []any
	keys []byte // the records' grouping keys, handed out as strings
	// Chunk sizes for this put.
	slabChunk, valsChunk int
}

// Chunks are small next to a full put (500 records take ~200 KiB of slab),
// so little is held beyond what the put uses.
const arenaChunk, arenaValues = 64 << 10, 2048

// newDirectArena returns an arena for a put of records of cols columns.
func newDirectArena(records, cols int) directArena {
	return directArena{slabChunk: min(arenaChunk, records<<10), valsChunk: min(arenaValues, records*(cols+2))}
}

// take returns room for one record: a slab of at least need bytes (to be
// committed with commit) and n values and arguments.
func (a *directArena) take(need, n int) ([]byte, []rawValue, []any) {
	if cap(a.slab)-len(a.slab) < need {
		a.slab = make([]byte, 0, max(a.slabChunk, need))
	}
	if len(a.vals) < n {
		a.vals = make([]rawValue, max(a.valsChunk, n))
		a.args = make([]any, len(a.vals))
	}
	vals, args := a.vals[:n:n], a.args[:n:n]
	a.vals, a.args = a.vals[n:], a.args[n:]
	return a.slab[len(a.slab) : len(a.slab) : len(a.slab)+need], vals, args
}

// str returns b as a string kept in the arena: its bytes are never written
// again, so the string needs no allocation of its own.
func (a *directArena) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.keys)-len(a.keys) < len(b) {
		a.keys = make([]byte, 0, max(a.slabChunk/8, len(b)))
	}
	at := len(a.keys)
	a.keys = append(a.keys, b...)
	return unsafe.String(&a.keys[at], len(b))
}

// commit marks the first used bytes of the last slab taken as in use.
func (a *directArena) commit(used int) { a.slab = a.slab[:len(a.slab)+used] }

// bindDirect binds rec, whose value has the plan's writer schema; false
// sends the record to the general path.
func (w *tableWriter) bindDirect(t *Task, p *directPlan, rec *connectors.SinkRecord) (op, bool) {
	body := p.writer.Body(rec.Raw.Value)
	n := len(w.cols)
	ttl := max(w.ts.ttl*int64(w.ts.ttlUnit/time.Second), 0)
	if ttl > math.MaxInt32 {
		return op{}, false // the general path reports it
	}
	// An Avro value never takes more than a quarter of its CQL form (an
	// empty string in a list: 1 byte against 4), numbers at most 8 bytes.
	slab, vals, args := t.arena.take(4*len(body)+8*n+16*len(p.now)+12, n+2)
	var nullArr [maxDirectCols]bool
	// The primary key's parts: text, or a number written in decimal.
	var keyText [maxDirectKey][]byte
	var keyNum [maxDirectKey]int64
	var keyIsNum [maxDirectKey]bool
	var keyBuf [128]byte
	nullCol := nullArr[:n] // compilePlan bounds n and the key
	size := 64
	nonNull := 0
	cur := converters.NewAvroCursor(body)
	for i := range p.fields {
		f := &p.fields[i]
		if len(f.cols) == 0 {
			if cur.Skip(f.typ) != nil {
				return op{}, false
			}
			continue
		}
		isNull := false
		if f.valueAt >= 0 {
			br, err := cur.Long()
			if err != nil || (br != f.nullAt && br != f.valueAt) {
				return op{}, false
			}
			isNull = br == f.nullAt
		}
		var v rawValue
		var num int64
		if !isNull {
			var ok bool
			// slab has room for every value: appends never move it, so v
			// may point into it.
			if slab, v, num, ok = f.decode(&cur, slab, body); !ok {
				return op{}, false
			}
			// An empty blob counts as a null (see emptyValue): unset
			// under nullToUnset, else written as it is.
			if f.kind == kindBytes && len(v) == 0 && w.ts.nullToUnset {
				isNull = true
			}
		}
		for _, ci := range f.cols {
			if isNull {
				if ci < w.pkCount {
					return op{}, false // the general path reports it
				}
				nullCol[ci] = true
				size += 16 // as the general path estimates
				continue
			}
			vals[ci] = v
			if ci < w.pkCount {
				// The bytes appendKey writes for the general path's value.
				switch f.kind {
				case kindText:
					keyText[ci] = v
				case kindTimestamp, kindIntTimestamp:
					keyNum[ci], keyIsNum[ci] = time.UnixMilli(num).UnixNano(), true // a time.Time's key
				default:
					keyNum[ci], keyIsNum[ci] = num, true
				}
			} else {
				nonNull++
			}
			if f.kind == kindText {
				size += len(v)
			} else {
				size += 16
			}
		}
	}
	if cur.Left() != 0 {
		return op{}, false
	}
	for _, ci := range p.now {
		// As the general path: not a value of the record, so no write of
		// its own (nonNull), and never a key column.
		u := gocql.TimeUUID()
		a := len(slab)
		slab = append(slab, u[:]...)
		vals[ci] = slab[a:]
		size += 16
	}
	if w.deletable && nonNull == 0 {
		return op{}, false // a delete: the general path decides it
	}
	pk := keyBuf[:0]
	partLen := 0
	for i := range w.pkCount {
		if keyIsNum[i] {
			pk = strconv.AppendInt(pk, keyNum[i], 10)
		} else {
			pk = append(pk, keyText[i]...)
		}
		pk = append(pk, 0)
		if i < w.partCount {
			partLen = len(pk)
		}
	}
	var set uint64
	partial := false
	for ci := range n {
		switch {
		case nullCol[ci] && w.ts.nullToUnset:
			args[ci] = gocql.UnsetValue
			partial = true
			continue
		case nullCol[ci]:
			vals[ci] = nil
		}
		args[ci] = &vals[ci]
		if ci < 64 {
			set |= 1 << ci
		}
	}
	// USING TTL takes an int, TIMESTAMP a bigint.
	a := len(slab)
	slab = binary.BigEndian.AppendUint32(slab, uint32(ttl))
	ts := t.stamp(rec)
	slab = binary.BigEndian.AppendUint64(slab, uint64(ts))
	vals[n], vals[n+1] = rawValue(slab[a:a+4]), rawValue(slab[a+4:])
	args[n], args[n+1] = &vals[n], &vals[n+1]
	if w.ts.ttl < 0 {
		args[n] = gocql.UnsetValue // no TTL: the table's default applies
	}
	t.arena.commit(len(slab))
	pks := t.arena.str(pk)
	return op{w: w, stmt: w.insert, args: args, pk: pks, part: pks[:partLen], size: size, rec: rec, ts: ts, set: set, partial: partial}, true
}

// decode reads a non-null value of the field into slab (or, for text and
// blobs, as a span of body); num is the value of an int or a long.
func (f *directField) decode(cur *converters.AvroCursor, slab, body []byte) ([]byte, rawValue, int64, bool) {
	a := len(slab)
	switch f.kind {
	case kindText, kindBytes:
		b, err := cur.Bytes()
		if err != nil {
			return slab, nil, 0, false
		}
		if b == nil {
			b = body[:0] // an empty value, not a null
		}
		return slab, b, 0, true
	case kindInt, kindIntBig, kindIntTimestamp, kindIntVarint:
		x, err := cur.Int()
		if err != nil {
			return slab, nil, 0, false
		}
		switch f.kind {
		case kindInt:
			slab = binary.BigEndian.AppendUint32(slab, uint32(x))
		case kindIntVarint:
			slab = appendVarint(slab, int64(x))
		default:
			slab = binary.BigEndian.AppendUint64(slab, uint64(int64(x)))
		}
		return slab, slab[a:], int64(x), true
	case kindLong, kindTimestamp, kindLongVarint:
		x, err := cur.Long()
		if err != nil {
			return slab, nil, 0, false
		}
		if f.kind == kindLongVarint {
			slab = appendVarint(slab, x)
		} else {
			slab = binary.BigEndian.AppendUint64(slab, uint64(x))
		}
		return slab, slab[a:], x, true
	case kindFloatDouble:
		b, err := cur.Fixed(4)
		if err != nil {
			return slab, nil, 0, false
		}
		d := float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		slab = binary.BigEndian.AppendUint64(slab, math.Float64bits(d))
	case kindDouble, kindFloat:
		size := int64(8)
		if f.kind == kindFloat {
			size = 4
		}
		b, err := cur.Fixed(size)
		if err != nil {
			return slab, nil, 0, false
		}
		// Avro is little-endian, CQL big-endian.
		if size == 8 {
			slab = binary.BigEndian.AppendUint64(slab, binary.LittleEndian.Uint64(b))
		} else {
			slab = binary.BigEndian.AppendUint32(slab, binary.LittleEndian.Uint32(b))
		}
	case kindBool:
		x, err := cur.Bool()
		if err != nil {
			return slab, nil, 0, false
		}
		if x {
			slab = append(slab, 1)
		} else {
			slab = append(slab, 0)
		}
	case kindArray, kindMap:
		slab = append(slab, 0, 0, 0, 0) // the count, written at the end
		count := 0
		parts := 1
		if f.kind == kindMap {
			parts = 2
		}
		for {
			n, err := cur.Block()
			if err != nil {
				return slab, nil, 0, false
			}
			if n == 0 {
				break
			}
			for range n * int64(parts) {
				b, err := cur.Bytes()
				if err != nil {
					return slab, nil, 0, false
				}
				slab = binary.BigEndian.AppendUint32(slab, uint32(len(b)))
				slab = append(slab, b...)
			}
			count += int(n)
		}
		binary.BigEndian.PutUint32(slab[a:], uint32(count))
	}
	return slab, slab[a:], 0, true
}

// appendVarint appends n as a CQL varint: the shortest big-endian two's
// complement, as the driver encodes a big.Int.
func appendVarint(b []byte, n int64) []byte {
	var full [8]byte
	binary.BigEndian.PutUint64(full[:], uint64(n))
	i := 0
	// A leading byte is redundant when it only repeats the sign bit of
	// the next one.
	for i < 7 && ((full[i] == 0 && full[i+1]&0x80 == 0) || (full[i] == 0xff && full[i+1]&0x80 != 0)) {
		i++
	}
	return append(b, full[i:]...)
}
