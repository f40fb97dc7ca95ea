package cassandra

import (
	"fmt"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Tuple columns. The Go driver cannot bind a tuple as one value of a
// prepared statement: it counts the tuple's elements as separate bind
// values but marshals the tuple as one. So the statements spell a tuple
// column as a tuple literal of markers, "(?, ?)", and bind its elements one
// by one. A literal cannot hold an unset or null tuple, so a record whose
// tuple is null uses a variant of the INSERT that leaves the column out
// (nullToUnset) or writes the literal null. Tuples inside collections and
// UDTs marshal as one value and need none of this.

// marker is the bind marker of a value of type t: "?", or a tuple literal
// of markers, nested tuples included.
func marker(t gocql.TypeInfo) string {
	tt, ok := t.(gocql.TupleTypeInfo)
	if !ok {
		return "?"
	}
	ms := make([]string, len(tt.Elems))
	for i, e := range tt.Elems {
		ms[i] = marker(e)
	}
	return "(" + strings.Join(ms, ", ") + ")"
}

// flattenTuple appends the leaf elements of the tuple value v.
func flattenTuple(dst []any, tt gocql.TupleTypeInfo, v any) ([]any, error) {
	items, ok := v.([]any)
	if v != nil && !ok {
		return nil, fmt.Errorf("cannot bind %T as a tuple", v)
	}
	if v != nil && len(items) != len(tt.Elems) {
		return nil, fmt.Errorf("tuple of %d elements, got %d", len(tt.Elems), len(items))
	}
	for i, e := range tt.Elems {
		var item any
		if v != nil {
			item = items[i]
		}
		if inner, ok := e.(gocql.TupleTypeInfo); ok {
			var err error
			if dst, err = flattenTuple(dst, inner, item); err != nil {
				return nil, fmt.Errorf("tuple element %d: %w", i, err)
			}
			continue
		}
		dst = append(dst, item)
	}
	return dst, nil
}

// withTuples rewrites a bound statement of a table with tuple columns:
// tuple values become their elements, and a null tuple picks the INSERT
// variant that leaves it out or writes null.
func (w *tableWriter) withTuples(o op, isDelete bool) (op, error) {
	if !w.hasTuple {
		return o, nil
	}
	// cols gives the column of each bound value, -1 for TTL and timestamp.
	var cols []int
	switch {
	case isDelete: // timestamp (not on counters), primary key
		if !w.counter {
			cols = append(cols, -1)
		}
		for i := range w.pkCount {
			cols = append(cols, i)
		}
	case w.counter: // counters, primary key
		for i := w.pkCount; i < len(w.cols); i++ {
			cols = append(cols, i)
		}
		for i := range w.pkCount {
			cols = append(cols, i)
		}
	default: // columns, TTL, timestamp
		for i := range w.cols {
			cols = append(cols, i)
		}
		cols = append(cols, -1, -1)
	}
	args := make([]any, 0, len(o.args)+4)
	var variant []byte
	for i, a := range o.args {
		var tt gocql.TupleTypeInfo
		ok := false
		if i < len(cols) && cols[i] >= 0 {
			tt, ok = w.cols[cols[i]].meta.Type.(gocql.TupleTypeInfo)
		}
		if !ok {
			args = append(args, a)
			continue
		}
		if a == nil || a == any(gocql.UnsetValue) {
			if isDelete || w.counter || cols[i] < w.pkCount {
				return o, fmt.Errorf("primary key column %s is null", w.cols[cols[i]].meta.Name)
			}
			if variant == nil {
				variant = make([]byte, len(w.cols))
			}
			variant[cols[i]] = 'n'
			if a != nil {
				variant[cols[i]] = 'u'
			}
			continue
		}
		var err error
		if args, err = flattenTuple(args, tt, a); err != nil {
			return o, fmt.Errorf("column %s: %w", w.cols[cols[i]].meta.Name, err)
		}
	}
	o.args = args
	if variant != nil {
		key := string(variant)
		stmt, ok := w.variants.Load(key)
		if !ok {
			stmt, _ = w.variants.LoadOrStore(key, w.insertStmt(variant))
		}
		o.stmt = stmt.(string)
	}
	return o, nil
}
