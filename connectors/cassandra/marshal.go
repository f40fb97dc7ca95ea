package cassandra

import (
	"encoding/binary"
	"fmt"
	"math"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// The driver encodes lists, sets and maps by reflection, one Marshal call
// and one allocation per element; collections are in most records of the
// workloads we write, so they are encoded here in one pass instead, text
// elements copied straight into the output. Other element types still go
// through the driver's Marshal.

// cqlList is a list or set value.
type cqlList []any

// cqlMap is a map value with text keys.
type cqlMap map[string]any

// wrapCollection returns v as a cqlList or cqlMap when the column is a
// collection the fast encoders handle; otherwise v itself.
func wrapCollection(t gocql.TypeInfo, v any) any {
	switch t.Type() {
	case gocql.TypeList, gocql.TypeSet:
		if l, ok := v.([]any); ok && l != nil {
			return cqlList(l)
		}
	case gocql.TypeMap:
		if m, ok := v.(map[string]any); ok && m != nil && isText(t.(gocql.CollectionType).Key) {
			return cqlMap(m)
		}
	}
	return v
}

func isText(t gocql.TypeInfo) bool {
	switch t.Type() {
	case gocql.TypeText, gocql.TypeVarchar, gocql.TypeAscii:
		return true
	}
	return false
}

// MarshalCQL implements gocql.Marshaler.
func (l cqlList) MarshalCQL(info gocql.TypeInfo) ([]byte, error) {
	ct, ok := info.(gocql.CollectionType)
	if !ok {
		return nil, fmt.Errorf("cannot write a list to CQL %s", typeName(info))
	}
	buf := make([]byte, 4, 4+len(l)*16)
	binary.BigEndian.PutUint32(buf, uint32(len(l)))
	for i, e := range l {
		var err error
		if buf, err = appendValue(buf, ct.Elem, e); err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return buf, nil
}

// MarshalCQL implements gocql.Marshaler.
func (m cqlMap) MarshalCQL(info gocql.TypeInfo) ([]byte, error) {
	ct, ok := info.(gocql.CollectionType)
	if !ok || !isText(ct.Key) {
		return nil, fmt.Errorf("cannot write a map with text keys to CQL %s", typeName(info))
	}
	buf := make([]byte, 4, 4+len(m)*32)
	binary.BigEndian.PutUint32(buf, uint32(len(m)))
	for k, e := range m {
		buf = appendText(buf, k)
		var err error
		if buf, err = appendValue(buf, ct.Elem, e); err != nil {
			return nil, fmt.Errorf("value of %q: %w", k, err)
		}
	}
	return buf, nil
}

func appendText(buf []byte, s string) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
	return append(buf, s...)
}

// appendValue appends one length-prefixed element (-1 for null).
func appendValue(buf []byte, t gocql.TypeInfo, v any) ([]byte, error) {
	if s, ok := v.(string); ok && isText(t) {
		return appendText(buf, s), nil
	}
	b, err := gocql.Marshal(t, v)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return binary.BigEndian.AppendUint32(buf, math.MaxUint32), nil // -1: null
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
	return append(buf, b...), nil
}
