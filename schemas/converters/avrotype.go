package converters

import (
	"encoding/binary"
	"fmt"
	"math"
)

// AvroType is a writer schema node for code that decodes Avro bodies
// itself (a sink binding values straight from their bytes): named types
// are resolved, so a field's type is always the node itself.
type AvroType struct {
	// Kind is an Avro type name: null, boolean, int, long, float, double,
	// bytes, string, fixed, enum, array, map, union or record.
	Kind     string
	Logical  string // logicalType, if any
	Size     int    // of a fixed
	Symbols  int    // of an enum: how many
	Items    *AvroType
	Values   *AvroType
	Branches []*AvroType
	Fields   []AvroField
}

// AvroField is a field of a record.
type AvroField struct {
	Name string
	Type *AvroType
}

// Type returns the writer schema as an AvroType.
func (w *AvroWriter) Type() *AvroType { return w.typ }

// avroNullType is the null branch of unions (the builder builds no node
// for it).
var avroNullType = &AvroType{Kind: "null"}

// AvroCursor reads Avro binary from a buffer, for code that decodes
// bodies itself; byte values alias the buffer.
type AvroCursor struct{ d avroDecoder }

// NewAvroCursor reads body from its start.
func NewAvroCursor(body []byte) AvroCursor { return AvroCursor{d: avroDecoder{buf: body}} }

// Long reads a long (or an int, unchecked).
func (c *AvroCursor) Long() (int64, error) { return c.d.long() }

// Int reads an int.
func (c *AvroCursor) Int() (int32, error) { return c.d.int() }

// Bytes reads a length-prefixed bytes or string value.
func (c *AvroCursor) Bytes() ([]byte, error) {
	n, err := c.d.long()
	if err != nil {
		return nil, err
	}
	return c.Fixed(n)
}

// Fixed reads n bytes.
func (c *AvroCursor) Fixed(n int64) ([]byte, error) {
	a, b, err := c.d.span(n)
	if err != nil {
		return nil, err
	}
	return c.d.buf[a:b:b], nil
}

// Float64 reads a double; Float32 a float.
func (c *AvroCursor) Float64() (float64, error) {
	b, err := c.Fixed(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
}

// Float32 reads a float.
func (c *AvroCursor) Float32() (float32, error) {
	b, err := c.Fixed(4)
	if err != nil {
		return 0, err
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(b)), nil
}

// Bool reads a boolean.
func (c *AvroCursor) Bool() (bool, error) {
	b, err := c.Fixed(1)
	if err != nil {
		return false, err
	}
	return b[0] != 0, nil
}

// Block reads the header of an array or map block: its count, 0 at the end.
func (c *AvroCursor) Block() (int64, error) { return c.d.block() }

// Left is the number of bytes not read yet.
func (c *AvroCursor) Left() int { return len(c.d.buf) - c.d.pos }

// Skip reads past a value of type t.
func (c *AvroCursor) Skip(t *AvroType) error {
	switch t.Kind {
	case "null":
		return nil
	case "boolean":
		_, err := c.Fixed(1)
		return err
	// Skipped values are checked as the converter's decoder checks them, so
	// a body one refuses the other refuses too.
	case "int":
		_, err := c.d.int()
		return err
	case "long":
		_, err := c.d.long()
		return err
	case "enum":
		i, err := c.d.long()
		if err == nil && (i < 0 || i >= int64(t.Symbols)) {
			err = fmt.Errorf("enum has no symbol at index %d", i)
		}
		return err
	case "float":
		_, err := c.Fixed(4)
		return err
	case "double":
		_, err := c.Fixed(8)
		return err
	case "bytes", "string":
		_, err := c.Bytes()
		return err
	case "fixed":
		_, err := c.Fixed(int64(t.Size))
		return err
	case "array", "map":
		for {
			n, err := c.Block()
			if err != nil || n == 0 {
				return err
			}
			for range n {
				if t.Kind == "map" {
					if _, err := c.Bytes(); err != nil {
						return err
					}
					if err := c.Skip(t.Values); err != nil {
						return err
					}
				} else if err := c.Skip(t.Items); err != nil {
					return err
				}
			}
		}
	case "union":
		i, err := c.d.long()
		if err != nil {
			return err
		}
		if i < 0 || i >= int64(len(t.Branches)) {
			return fmt.Errorf("union has no branch %d", i)
		}
		return c.Skip(t.Branches[i])
	case "record":
		for _, f := range t.Fields {
			if err := c.Skip(f.Type); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("cannot skip Avro %s", t.Kind)
}
