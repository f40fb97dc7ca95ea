// Package schemas is the Connect data model shared by every converter and
// connector: a Schema describes a value, and values are plain Go types.
//
// Value representation, by schema type (a nil value means null):
//
//	INT8 int8, INT16 int16, INT32 int32, INT64 int64, FLOAT32 float32,
//	FLOAT64 float64, BOOLEAN bool, STRING string, BYTES []byte,
//	ARRAY []any, MAP map[string]any when keys are strings (JSON, Avro and the
//	common case) else map[any]any, STRUCT *Struct.
//
// Logical types keep Connect's names and are represented as: Decimal *inf.Dec,
// Date, Time and Timestamp time.Time (UTC). Schemaless data (for example JSON
// without schemas) has a nil Schema and uses map[string]any for objects,
// []any for arrays, int64/float64 for numbers.
//
// This package imports nothing from the rest of the project.
package schemas
