//go:build integration

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

// The differential test of the Cassandra sink: every case's records are
// produced once to a topic of their own, then consumed by the DataStax
// Apache Kafka Connector 1.5.0 in the reference Apache Kafka Connect and by
// gonnect's sink in a gonnect worker, each writing into its own keyspace
// (same table definitions). The tables are then compared row by row,
// with TTL() and WRITETIME() of every single-cell column, together with
// committed offsets, task states and dead letter queues. Every difference
// must be listed in expectedDiffs. GONNECT_DIFF_DUMP=1 (with -v) logs every
// row of both sides and gonnect's record errors.

const (
	datastaxClass = "com.datastax.oss.kafka.sink.CassandraSinkConnector"
	// The reference Connect reads Confluent's Avro wire format with the
	// converter of bench/reference (Confluent's is not on Maven
	// Central); gonnect has Confluent's class name built in.
	referenceAvroClass = "gonnect.bench.reference.AvroConverter"
	confluentAvroClass = "io.confluent.connect.avro.AvroConverter"
	jsonClass          = "org.apache.kafka.connect.json.JsonConverter"
	stringClass        = "org.apache.kafka.connect.storage.StringConverter"
	// TTLs count down between the two sides' writes and the reads.
	ttlTolerance = 30
)

// expectedDiff is a difference between the DataStax row (ds) and gonnect's
// (gn) that the test accepts. why is "deliberate: <reason>" for behaviour
// gonnect keeps on purpose (the entry must keep matching: a deliberate
// difference that disappears means behaviour changed, and each is in
// README's differences from the DataStax connector), or another reason for
// a difference that comes and goes (matched while present).
type expectedDiff struct{ kase, what, ds, gn, why string }

// Logical types (Connect Timestamp, Date, Time, Decimal) are a deliberate
// gonnect extension and are not sent to the DataStax side at all: DataStax
// 1.5.0 maps struct fields by their Connect schema type only, fails such
// records ("Codec not found", "java.util.Date cannot be cast to
// java.lang.Number") and retries them forever. gonnect writes them to the
// matching CQL types (see connectors/cassandra TestIntegrationCassandraTypesAndMapping).
//
// Patterns: "*" matches anything, a trailing "*" a prefix.
var expectedDiffs = []expectedDiff{
	// A timestamp column from a JSON number: DataStax parses the number as
	// text with codec.timestamp (CQL_TIMESTAMP) and fails the record ("Text
	// '1772600767008' could not be parsed at index 0"), although it takes the
	// same number from a Connect INT64 field as milliseconds since the epoch
	// (types_json_schema row 17 is equal).
	{"types_json", "row id=17", "absent", `id=17 tsn="2026-03-04 05:06:07.008Z"`,
		"deliberate: a JSON number is read as milliseconds since the epoch, as DataStax does for INT64 fields"},
	{"types_string", "row id=17", "absent", `id=17 tsn="2026-03-04 05:06:07.008Z"`,
		"deliberate: a JSON number is read as milliseconds since the epoch, as DataStax does for INT64 fields"},

	// A vector column from a Connect array (JSON with schema, Avro): DataStax
	// fails (ClassCastException ArrayList -> CqlVector); gonnect writes it,
	// as both write it from a schemaless JSON list.
	{"types_json_schema", "row id=29", "absent", "id=29 ve=*", "deliberate: DataStax 1.5.0 cannot bind a Connect array to a vector"},
	{"types_avro", "row id=29", "absent", "id=29 ve=*", "deliberate: DataStax 1.5.0 cannot bind a Connect array to a vector"},

	// A host name into an inet column: DataStax looks it up in DNS.
	{"json_coercions", "row id=78", `id=78 ip="127.0.0.1"`, "absent",
		"deliberate: gonnect does not resolve host names per record (slow, and the answer depends on the machine)"},

	// Two updates of one key in the same millisecond.
	{"update_same_ms", "row id=6 WRITETIME(tx)", "base+0us", "base+1us",
		"deliberate: gonnect makes write times strictly increase per partition, so same-millisecond updates apply in offset order (DataStax ties, and Cassandra keeps the larger value)"},

	// ignoreErrors None or Driver with a mapping failure: DataStax never uses
	// Connect's errant record reporter; it rewinds to the failed record and
	// retries it forever (its rewind also keeps Connect from committing).
	// gonnect sends the failure to the dead letter queue (errors.tolerance=all)
	// and goes on. The legacy ignoreErrors=true is Driver in both.
	{"errors_none", "committed offset", "*", "5", "deliberate: gonnect reports failed records to Connect's dead letter queue instead of retrying them forever"},
	{"errors_driver", "committed offset", "*", "5", "deliberate: gonnect reports failed records to Connect's dead letter queue instead of retrying them forever"},
	{"errors_legacy_true", "committed offset", "*", "5", "deliberate: gonnect reports failed records to Connect's dead letter queue instead of retrying them forever"},
	{"errors_none", "dead letter queue records", "0", "2", "deliberate: the mapping and the driver failure go to the dead letter queue"},
	{"errors_driver", "dead letter queue records", "0", "1", "deliberate: the mapping failure goes to the dead letter queue"},
	{"errors_legacy_true", "dead letter queue records", "0", "1", "deliberate: the mapping failure goes to the dead letter queue"},

	// Counters: DataStax 1.5.0 binds the record timestamp into its counter
	// UPDATE, which has no USING TIMESTAMP, and so fails every record that has
	// a Kafka timestamp ("message_internal_timestamp is not a variable in this
	// bound statement"). gonnect adds the values.
	{"counter", "row id=1", "absent", "id=1 c=5", "deliberate: DataStax 1.5.0 cannot write counters from records with a timestamp"},
	{"counter", "row id=2", "absent", "id=2 c=-4", "deliberate: DataStax 1.5.0 cannot write counters from records with a timestamp"},

	// errors.tolerance=none and a record that cannot be mapped: gonnect fails
	// the task, as Connect does when put throws; DataStax retries the record
	// forever. Whether gonnect wrote record 0 first depends on whether it came
	// in the same put.
	{"errors_fail_task", "task state", "RUNNING", "FAILED: *",
		"deliberate: with errors.tolerance=none a record that cannot be mapped fails the task instead of being retried forever"},
	{"errors_fail_task", "committed offset", "*", "*", "depends on batching (see task state)"},
	{"errors_fail_task", "row id=1", "*", "absent", "depends on batching (see task state)"},
}

const deliberate = "deliberate"

// dsRecord is one Kafka record of a case; at is its timestamp after the run's base.
type dsRecord struct {
	key     *string
	value   []byte
	headers [][2]string
	at      time.Duration
}

// diffCase is one connector config and the records it consumes. Keys of
// conn that start with "table." are the per table settings
// (topic.<topic>.<keyspace>.<table>.*), "codec." the per topic ones.
type diffCase struct {
	name    string
	columns string // the table definition: "(id int PRIMARY KEY, ...)"
	conn    map[string]string
	dlq     bool
	records func(topic string) []dsRecord
	// dsRows, when set, is what the DataStax side is waited for instead of
	// its committed offset: with ignoreErrors None or Driver it retries a
	// failed record forever and never commits (its rewind moves Connect's
	// last committed offset too), so the test waits for the rows it writes
	// in its first put.
	dsRows int
}

func sptr(s string) *string { return &s }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// jrec is a JSON record keyed by its id.
func jrec(key string, at time.Duration, v any, headers ...[2]string) dsRecord {
	r := dsRecord{key: sptr(key), at: at, headers: headers}
	if v != nil {
		r.value = mustJSON(v)
	}
	return r
}

// typeCol is one column of the types table: its CQL type, the Connect
// type of the field that feeds it (for JSON schemas and Avro) and a value.
type typeCol struct {
	col, cql, conn string
	v              any
}

var typeCols = []typeCol{
	{"t", "text", "string", "hello"},
	{"a", "ascii", "string", "plain"},
	{"bo", "boolean", "boolean", true},
	{"ti", "tinyint", "int8", int8(-5)},
	{"si", "smallint", "int16", int16(300)},
	{"i", "int", "int32", int32(70000)},
	{"bi", "bigint", "int64", int64(6000000042)},
	{"vi", "varint", "string", "123456789012345678901234567890"},
	{"vin", "varint", "int64", int64(42)},
	{"f", "float", "float", float32(1.5)},
	{"d", "double", "double", 2.25},
	{"de", "decimal", "string", "12.345"},
	{"den", "decimal", "double", 0.1},
	{"u", "uuid", "string", "8f14e45f-ceea-467f-a0f0-8b9f3a9e5c11"},
	{"tu", "timeuuid", "string", "50554d6e-29bb-11e5-b345-feff819cdc9f"},
	{"ts", "timestamp", "string", "2026-03-04T05:06:07.008Z"},
	{"tsn", "timestamp", "int64", int64(1772600767008)},
	{"dt", "date", "string", "2026-03-04"},
	{"tm", "time", "string", "13:30:54.234"},
	{"du", "duration", "string", "1h30m"},
	{"ip", "inet", "string", "10.0.0.1"},
	{"bl", "blob", "bytes", []byte{1, 2, 3}},
	{"li", "list<int>", "array:int32", []any{int32(1), int32(2), int32(3)}},
	{"se", "set<text>", "array:string", []any{"b", "a", "b"}},
	{"ma", "map<text, int>", "map:string:int32", map[string]any{"x": int32(1), "y": int32(2)}},
	{"fl", "frozen<list<text>>", "array:string", []any{"p", "q"}},
	{"tup", "tuple<int, text>", "array:string", []any{"1", "x"}},
	{"ud", "frozen<addr>", "struct:addr", map[string]any{"street": "Main St", "zip": int32(12345)}},
	{"ve", "vector<float, 3>", "array:float", []any{float32(1), float32(2.5), float32(3)}},
	// New columns go last: the rows of the columns above keep their ids.
	{"vc", "varchar", "string", "chars"},
	{"udn", "addr", "struct:addr", map[string]any{"street": "Side St", "zip": int32(54321)}},
}

// typeRows are the rows of the types table: id i (1-based) has only
// typeCols[i-1] set, so a value one side cannot write loses one row, not
// all; id 100 has every column set but those of fullRowLeavesOut.
func typeRows() []map[string]any {
	full := map[string]any{"id": int32(100)}
	rows := []map[string]any{full}
	for i, c := range typeCols {
		full[c.col] = c.v
		if fullRowLeavesOut[c.col] {
			full[c.col] = nil
		}
		// Every field is there, null when not set: DataStax fails a
		// record that lacks a mapped field.
		row := map[string]any{"id": int32(i + 1)}
		for _, o := range typeCols {
			row[o.col] = nil
		}
		row[c.col] = c.v
		rows = append(rows, row)
	}
	// Edge values: empty text, blob and collections, the smallest integers.
	edge := map[string]any{"id": int32(200)}
	for _, o := range typeCols {
		edge[o.col] = nil
	}
	for k, v := range map[string]any{"t": "", "ti": int8(-128), "si": int16(-32768), "i": int32(-2147483648), "bi": int64(-9223372036854775808),
		"vi": "-1", "de": "0.000", "bl": []byte{}, "li": []any{}, "se": []any{}, "ma": map[string]any{}} {
		edge[k] = v
	}
	return append(rows, edge)
}

// fullRowLeavesOut: columns DataStax cannot write from some converter's
// values (a vector from a Connect array; a timestamp from a JSON number),
// left out of row 100 so that it compares every other column.
var fullRowLeavesOut = map[string]bool{"ve": true, "tsn": true}

func typesTable() string {
	cols := []string{"id int PRIMARY KEY"}
	for _, c := range typeCols {
		cols = append(cols, c.col+" "+c.cql)
	}
	return "(" + strings.Join(cols, ", ") + ")"
}

func typesMapping() string {
	m := []string{"id=value.id"}
	for _, c := range typeCols {
		m = append(m, c.col+"=value."+c.col)
	}
	return strings.Join(m, ", ")
}

// jsonSchemaOf is the JsonConverter schema of a typeCol's Connect type.
func jsonSchemaOf(conn string) map[string]any {
	parts := strings.Split(conn, ":")
	switch parts[0] {
	case "array":
		return map[string]any{"type": "array", "items": map[string]any{"type": parts[1]}, "optional": true}
	case "map":
		return map[string]any{"type": "map", "keys": map[string]any{"type": parts[1]}, "values": map[string]any{"type": parts[2]}, "optional": true}
	case "struct":
		return map[string]any{"type": "struct", "name": parts[1], "optional": true, "fields": []any{
			map[string]any{"field": "street", "type": "string", "optional": true}, map[string]any{"field": "zip", "type": "int32", "optional": true}}}
	}
	return map[string]any{"type": conn, "optional": true}
}

// typesEnvelope is a row as JsonConverter's schema-and-payload envelope.
func typesEnvelope(row map[string]any) []byte {
	fields := []any{map[string]any{"field": "id", "type": "int32"}}
	payload := map[string]any{"id": row["id"]}
	for _, c := range typeCols {
		f := jsonSchemaOf(c.conn)
		f["field"] = c.col
		fields = append(fields, f)
		payload[c.col] = row[c.col]
	}
	return mustJSON(map[string]any{"schema": map[string]any{"type": "struct", "name": "types", "fields": fields}, "payload": payload})
}

var addrSchema = schemas.NewStruct("addr", true,
	schemas.Field{Name: "street", Schema: schemas.OptionalStringSchema}, schemas.Field{Name: "zip", Schema: schemas.OptionalInt32Schema})

func connectSchemaOf(conn string) *schemas.Schema {
	prim := map[string]*schemas.Schema{"string": schemas.OptionalStringSchema, "boolean": schemas.OptionalBooleanSchema,
		"int8": schemas.OptionalInt8Schema, "int16": schemas.OptionalInt16Schema, "int32": schemas.OptionalInt32Schema,
		"int64": schemas.OptionalInt64Schema, "float": schemas.OptionalFloat32Schema, "double": schemas.OptionalFloat64Schema,
		"bytes": schemas.OptionalBytesSchema}
	parts := strings.Split(conn, ":")
	switch parts[0] {
	case "array":
		return schemas.NewArray(prim[parts[1]], true)
	case "map":
		return schemas.NewMap(prim[parts[1]], prim[parts[2]], true)
	case "struct":
		return addrSchema
	}
	return prim[conn]
}

var typesAvroSchema = func() *schemas.Schema {
	fields := []schemas.Field{{Name: "id", Schema: schemas.Int32Schema}}
	for _, c := range typeCols {
		fields = append(fields, schemas.Field{Name: c.col, Schema: connectSchemaOf(c.conn)})
	}
	return schemas.NewStruct("types", false, fields...)
}()

// typesStruct is a row as a Connect Struct (for the Avro converter).
func typesStruct(row map[string]any) *schemas.Struct {
	st := schemas.NewStructValue(typesAvroSchema)
	st.Values[0] = row["id"]
	for i, c := range typeCols {
		v := row[c.col]
		if m, ok := v.(map[string]any); ok && c.conn == "struct:addr" {
			a := schemas.NewStructValue(addrSchema)
			a.Values = []any{m["street"], m["zip"]}
			v = a
		}
		st.Values[i+1] = v
	}
	return st
}

func kvRows(recs ...dsRecord) func(string) []dsRecord {
	return func(string) []dsRecord { return recs }
}

// errorRecords: a mapping failure at offset 1 (text into an int column) and a
// driver failure at offset 3 (a TTL beyond Cassandra's 20 years).
var errorRecords = kvRows(
	jrec("1", 0, map[string]any{"id": 1, "n": 1, "tx": "a", "ttl": 3600}),
	jrec("2", 1*time.Millisecond, map[string]any{"id": 2, "n": "abc", "tx": "b", "ttl": 3600}),
	jrec("3", 2*time.Millisecond, map[string]any{"id": 3, "n": 3, "tx": "c", "ttl": 3600}),
	jrec("4", 3*time.Millisecond, map[string]any{"id": 4, "n": 4, "tx": "d", "ttl": 700000000}),
	jrec("5", 4*time.Millisecond, map[string]any{"id": 5, "n": 5, "tx": "e", "ttl": 3600}),
)

const kvTable = "(id int PRIMARY KEY, b bigint, tx text, n int)"

// coercion is one schemaless JSON value written to a column of another type.
type coercion struct {
	col string
	v   any
}

// coercions: JSON values that need converting, one row each (id = index + 1).
var coercions = []coercion{
	{"i", "42"}, {"i", 4.0}, {"i", 4.5}, {"i", "0x10"}, {"i", 3000000000}, {"i", true},
	{"bi", "6000000042"}, {"bi", 1e3},
	{"d", "2.5"}, {"d", 7}, {"d", "NaN"},
	{"bo", "true"}, {"bo", "yes"}, {"bo", 1}, {"bo", "FALSE"},
	{"de", 1.25}, {"de", 10}, {"de", "1e-3"},
	{"tx", 12}, {"tx", false}, {"tx", map[string]any{"a": 1}}, {"tx", []any{1, "x"}},
	{"ts", "2026-03-04T05:06:07+02:00"}, {"ts", "2026-03-04T05:06:07"}, {"ts", "2026-03-04"},
	{"u", "8F14E45F-CEEA-467F-A0F0-8B9F3A9E5C11"},
	{"li", []any{"1", "2"}}, {"li", "[3, 4]"},
	{"mi", map[string]any{"1": "a", "2": "b"}},
	{"ip", "::1"},
	// id 31 on: the rest of DataStax's text and number rules.
	{"i", "1,000"}, {"i", "1.0"}, {"i", "1e3"}, {"i", "yes"}, {"i", ""}, {"i", " 7"}, {"i", "+8"},
	{"bi", "2026-03-04T05:06:07Z"}, {"bi", "false"},
	{"d", "Infinity"}, {"d", "1.5f"}, {"d", "0x1p3"}, {"d", "-1,234.5"},
	{"de", "1.50"}, {"de", "1,234.50"}, {"de", "NaN"}, {"de", "100"}, {"de", 2.5e-7},
	{"bo", 0}, {"bo", "n"}, {"bo", 2}, {"bo", " true"}, {"bo", json.Number("1.0")}, {"bo", "T"},
	{"f", 0.1}, {"f", 0.123456789}, {"f", "0.1"}, {"f", "3.4e39"},
	{"bl", "0x0102"}, {"bl", "AQI="}, {"bl", "AQI"}, {"bl", ""}, {"bl", "zz!"},
	{"du", "1h30m"}, {"du", "P1DT2H"}, {"du", "1mo2d"}, {"du", "-3w"}, {"du", "P0001-02-03T04:05:06"}, {"du", "2m1h"}, {"du", "PT1.5S"},
	{"vi", "1e3"}, {"vi", "12345678901234567890"}, {"vi", "1.5"},
	{"tx", ""}, {"u", ""},
	{"ts", "1772600767008"}, {"u", "1-2-3-4-5"}, {"ip", "localhost"},
	{"dt", 20000}, {"dt", "20000"}, {"tm", 3600000}, {"tm", "01:02:03"}, {"tm", "1:02"}, {"tm", "08:15"},
}

const coercionTable = "(id int PRIMARY KEY, i int, bi bigint, d double, bo boolean, de decimal, tx text, ts timestamp, u uuid, li list<int>, mi map<int, text>, ip inet, f float, bl blob, du duration, vi varint, dt date, tm time)"

func coercionRecords(string) []dsRecord {
	var out []dsRecord
	for i, c := range coercions {
		v := map[string]any{"id": i + 1, "i": nil, "bi": nil, "d": nil, "bo": nil, "de": nil, "tx": nil, "ts": nil, "u": nil, "li": nil, "mi": nil, "ip": nil,
			"f": nil, "bl": nil, "du": nil, "vi": nil, "dt": nil, "tm": nil}
		v[c.col] = c.v
		out = append(out, jrec(fmt.Sprint(i+1), time.Duration(i)*time.Millisecond, v))
	}
	return out
}

// blobEnvelopes: JSON with schema records of an optional bytes field,
// empty or not, in turn on two keys.
func blobEnvelopes(string) []dsRecord {
	schema := map[string]any{"type": "struct", "fields": []any{
		map[string]any{"field": "id", "type": "int32"},
		map[string]any{"field": "bl", "type": "bytes", "optional": true},
		map[string]any{"field": "tx", "type": "string", "optional": true}}}
	var out []dsRecord
	for i, p := range []map[string]any{
		{"id": 1, "bl": "AQI=", "tx": "a"}, {"id": 2, "bl": "", "tx": ""},
		{"id": 1, "bl": "", "tx": "b"}, {"id": 3, "bl": nil, "tx": "c"},
	} {
		out = append(out, dsRecord{key: sptr(fmt.Sprint(p["id"])), value: mustJSON(map[string]any{"schema": schema, "payload": p}),
			at: time.Duration(i) * time.Millisecond})
	}
	return out
}

func diffCases(avro *converters.AvroConverter) []diffCase {
	typesJSON := func(string) []dsRecord {
		var out []dsRecord
		for i, r := range typeRows() {
			out = append(out, jrec(fmt.Sprint(r["id"]), time.Duration(i)*time.Millisecond, r))
		}
		return out
	}
	errCase := func(name, ignore string, dsRows int) diffCase {
		return diffCase{name: name, columns: kvTable, dlq: true, records: errorRecords, dsRows: dsRows, conn: map[string]string{
			"ignoreErrors": ignore, "table.mapping": "id=value.id, n=value.n, tx=value.tx, __ttl=value.ttl"}}
	}
	return []diffCase{
		// Every CQL type, through each converter. ignoreErrors=All: a value
		// one side cannot write loses its row instead of stopping the task.
		{name: "types_json_schema", columns: typesTable(), conn: map[string]string{"value.converter.schemas.enable": "true",
			"ignoreErrors": "All", "table.mapping": typesMapping()},
			records: func(string) []dsRecord {
				var out []dsRecord
				for i, r := range typeRows() {
					out = append(out, dsRecord{key: sptr(fmt.Sprint(r["id"])), value: typesEnvelope(r), at: time.Duration(i) * time.Millisecond})
				}
				return out
			}},
		{name: "types_json", columns: typesTable(), conn: map[string]string{"ignoreErrors": "All", "table.mapping": typesMapping()}, records: typesJSON},
		{name: "types_string", columns: typesTable(), conn: map[string]string{"value.converter": stringClass, "ignoreErrors": "All", "table.mapping": typesMapping()},
			records: typesJSON},
		{name: "types_avro", columns: typesTable(), conn: map[string]string{"value.converter": confluentAvroClass,
			"value.converter.schema.registry.url": stack.SchemaRegistryURL(), "ignoreErrors": "All", "table.mapping": typesMapping()},
			records: func(topic string) []dsRecord {
				var out []dsRecord
				for i, r := range typeRows() {
					b, err := avro.FromConnect(topic, typesAvroSchema, typesStruct(r))
					if err != nil {
						panic(fmt.Sprintf("encoding Avro row %v: %v", r["id"], err))
					}
					out = append(out, dsRecord{key: sptr(fmt.Sprint(r["id"])), value: b, at: time.Duration(i) * time.Millisecond})
				}
				return out
			}},

		// Schemaless JSON values converted to other CQL types, one row each.
		{name: "json_coercions", columns: coercionTable, conn: map[string]string{"ignoreErrors": "All",
			"table.mapping": "id=value.id, i=value.i, bi=value.bi, d=value.d, bo=value.bo, de=value.de, tx=value.tx, ts=value.ts, u=value.u, li=value.li, mi=value.mi, ip=value.ip, f=value.f, bl=value.bl, du=value.du, vi=value.vi, dt=value.dt, tm=value.tm"},
			records: coercionRecords},

		// Nulls: left unset (the earlier cell stays) or written.
		{name: "nulls_unset", columns: kvTable, conn: map[string]string{"table.nullToUnset": "true", "table.mapping": "id=value.id, b=value.b, tx=value.tx, n=value.n"},
			records: kvRows(
				jrec("1", 0, map[string]any{"id": 1, "b": 5, "tx": "a", "n": 1}),
				jrec("1", 10*time.Millisecond, map[string]any{"id": 1, "b": nil, "tx": nil, "n": 2}),
				jrec("2", 20*time.Millisecond, map[string]any{"id": 2, "b": 7, "tx": "b", "n": nil}))},
		{name: "nulls_set", columns: kvTable, conn: map[string]string{"table.nullToUnset": "false", "table.mapping": "id=value.id, b=value.b, tx=value.tx, n=value.n"},
			records: kvRows(
				jrec("1", 0, map[string]any{"id": 1, "b": 5, "tx": "a", "n": 1}),
				jrec("1", 10*time.Millisecond, map[string]any{"id": 1, "b": nil, "tx": nil, "n": 2}),
				jrec("2", 20*time.Millisecond, map[string]any{"id": 2, "b": 7, "tx": "b", "n": nil}))},

		// Two updates of one key within one put: the null b of the second is unset.
		{name: "update_in_put", columns: kvTable, conn: map[string]string{"table.mapping": "id=value.id, b=value.b, tx=value.tx"},
			records: kvRows(
				jrec("6", 0, map[string]any{"id": 6, "b": 6000000042, "tx": "first"}),
				jrec("6", 1*time.Millisecond, map[string]any{"id": 6, "b": nil, "tx": "updated"}))},
		{name: "update_same_ms", columns: kvTable, conn: map[string]string{"table.mapping": "id=value.id, b=value.b, tx=value.tx"},
			records: kvRows(
				jrec("6", 0, map[string]any{"id": 6, "b": 6000000042, "tx": "first"}),
				jrec("6", 0, map[string]any{"id": 6, "b": nil, "tx": "updated"}))},

		// Tombstones, and a value whose non-key fields are all null.
		{name: "tombstone_deletes", columns: kvTable, conn: map[string]string{"table.deletesEnabled": "true", "table.mapping": "id=key, b=value.b, tx=value.tx, n=value.n"},
			records: kvRows(
				jrec("1", 0, map[string]any{"b": 1, "tx": "a", "n": 1}),
				jrec("2", 1*time.Millisecond, map[string]any{"b": 2, "tx": "b", "n": 2}),
				jrec("3", 2*time.Millisecond, map[string]any{"b": 3, "tx": "c", "n": 3}),
				jrec("1", 3*time.Millisecond, nil),
				jrec("2", 4*time.Millisecond, map[string]any{"b": nil, "tx": nil, "n": nil}))},
		{name: "tombstone_no_deletes", columns: kvTable, conn: map[string]string{"table.deletesEnabled": "false", "table.mapping": "id=key, b=value.b, tx=value.tx, n=value.n"},
			records: kvRows(
				jrec("1", 0, map[string]any{"b": 1, "tx": "a", "n": 1}),
				jrec("2", 1*time.Millisecond, map[string]any{"b": 2, "tx": "b", "n": 2}),
				jrec("1", 3*time.Millisecond, nil),
				jrec("2", 4*time.Millisecond, map[string]any{"b": nil, "tx": nil, "n": nil}))},
		// A tombstone whose mapping also maps a header: the header is a
		// non-null value for a non-key column.
		{name: "tombstone_header", columns: "(id int PRIMARY KEY, tx text, hs text)", conn: map[string]string{"ignoreErrors": "All",
			"table.mapping": "id=key, tx=value.tx, hs=header.h"},
			records: kvRows(
				jrec("1", 0, map[string]any{"tx": "a"}, [2]string{"h", "x"}),
				jrec("1", 1*time.Millisecond, nil, [2]string{"h", "y"}),
				jrec("2", 2*time.Millisecond, map[string]any{"tx": "b"}, [2]string{"h", "z"}),
				jrec("2", 3*time.Millisecond, nil))},

		// Headers (SimpleHeaderConverter on both sides) mapped to columns.
		{name: "headers", columns: "(id int PRIMARY KEY, tx text, hs text, hi int, hbi bigint, hbo boolean, hd double)", conn: map[string]string{"ignoreErrors": "All",
			"table.mapping": "id=value.id, tx=value.tx, hs=header.hs, hi=header.hi, hbi=header.hbi, hbo=header.hbo, hd=header.hd"},
			records: kvRows(
				jrec("1", 0, map[string]any{"id": 1, "tx": "a"}, [2]string{"hs", "abc"}, [2]string{"hi", "42"}, [2]string{"hbi", "6000000042"},
					[2]string{"hbo", "true"}, [2]string{"hd", "2.5"}),
				jrec("2", 1*time.Millisecond, map[string]any{"id": 2, "tx": "b"}, [2]string{"hs", "only"}))},

		// TTL and write time from fields, from settings, and both.
		{name: "ttl_timestamp_fields", columns: kvTable, conn: map[string]string{"table.mapping": "id=value.id, tx=value.tx, __ttl=value.ttl, __timestamp=value.wt"},
			records: kvRows(
				jrec("1", 0, map[string]any{"id": 1, "tx": "a", "ttl": 3600, "wt": 1700000000123456}),
				jrec("2", 1*time.Millisecond, map[string]any{"id": 2, "tx": "b", "ttl": -5, "wt": 1700000000123457}),
				jrec("3", 2*time.Millisecond, map[string]any{"id": 3, "tx": "c", "ttl": 0, "wt": 1700000000123458}))},
		{name: "ttl_setting", columns: kvTable, conn: map[string]string{"table.ttl": "7200", "table.mapping": "id=value.id, tx=value.tx"},
			records: kvRows(jrec("1", 0, map[string]any{"id": 1, "tx": "a"}), jrec("2", 1*time.Millisecond, map[string]any{"id": 2, "tx": "b"}))},
		{name: "ttl_units", columns: kvTable, conn: map[string]string{"table.ttl": "2", "table.ttlTimeUnit": "HOURS", "table.timestampTimeUnit": "MILLISECONDS",
			"table.mapping": "id=value.id, tx=value.tx, __timestamp=value.wt"},
			records: kvRows(jrec("1", 0, map[string]any{"id": 1, "tx": "a", "wt": 1700000000123}))},
		{name: "ttl_field_over_setting", columns: kvTable, conn: map[string]string{"table.ttl": "7200", "table.mapping": "id=value.id, tx=value.tx, __ttl=value.ttl"},
			records: kvRows(jrec("1", 0, map[string]any{"id": 1, "tx": "a", "ttl": 3600}))},
		{name: "ttl_null", columns: kvTable, conn: map[string]string{"ignoreErrors": "All", "table.mapping": "id=value.id, tx=value.tx, __ttl=value.ttl"},
			records: kvRows(jrec("1", 0, map[string]any{"id": 1, "tx": "a", "ttl": nil}), jrec("2", 1*time.Millisecond, map[string]any{"id": 2, "tx": "b", "ttl": 600}))},

		// A mapped field the record does not have.
		{name: "missing_field", columns: kvTable, conn: map[string]string{"ignoreErrors": "All", "table.mapping": "id=value.id, b=value.b, tx=value.tx, n=value.n"},
			records: kvRows(jrec("1", 0, map[string]any{"id": 1, "b": 1, "tx": "a", "n": 1}), jrec("2", 1*time.Millisecond, map[string]any{"id": 2, "tx": "b"}))},

		// Error handling, with Connect's dead letter queue configured on both sides.
		errCase("errors_none", "None", 3),
		errCase("errors_driver", "Driver", 3),
		errCase("errors_all", "All", 0),
		errCase("errors_legacy_true", "true", 3),

		// ignoreErrors=None without a dead letter queue (errors.tolerance=none).
		{name: "errors_fail_task", columns: kvTable, dsRows: 1, conn: map[string]string{"table.mapping": "id=value.id, n=value.n, tx=value.tx"},
			records: kvRows(
				jrec("1", 0, map[string]any{"id": 1, "n": 1, "tx": "a"}),
				jrec("2", 1*time.Millisecond, map[string]any{"id": 2, "n": "abc", "tx": "b"}))},

		// JSON text and plain text in String values, mapped whole.
		{name: "string_raw", columns: "(k text PRIMARY KEY, tx text)", conn: map[string]string{"value.converter": stringClass, "ignoreErrors": "All",
			"table.mapping": "k=key, tx=value"},
			records: kvRows(
				dsRecord{key: sptr("plain"), value: []byte("hello"), at: 0},
				dsRecord{key: sptr("json"), value: []byte(`{"a": 1, "b": [true, null]}`), at: 1 * time.Millisecond},
				dsRecord{key: sptr("empty"), value: []byte(""), at: 2 * time.Millisecond},
				dsRecord{key: sptr("number"), value: []byte("42"), at: 3 * time.Millisecond},
				dsRecord{key: sptr("gone"), value: []byte("x"), at: 4 * time.Millisecond},
				dsRecord{key: sptr("gone"), at: 5 * time.Millisecond})},
		// Empty blobs and strings with nulls written (nullToUnset=false):
		// a Connect bytes field of no bytes is written as it is, an empty
		// string stays one; with nulls unset, an empty blob keeps the cell
		// of the earlier record (a blob in a key fails the record).
		{name: "empty_blob_set", columns: "(id int PRIMARY KEY, bl blob, tx text)", conn: map[string]string{"value.converter.schemas.enable": "true",
			"ignoreErrors": "All", "table.nullToUnset": "false", "table.mapping": "id=value.id, bl=value.bl, tx=value.tx"},
			records: blobEnvelopes},
		{name: "empty_blob_unset", columns: "(id int PRIMARY KEY, bl blob, tx text)", conn: map[string]string{"value.converter.schemas.enable": "true",
			"ignoreErrors": "All", "table.nullToUnset": "true", "table.mapping": "id=value.id, bl=value.bl, tx=value.tx"},
			records: blobEnvelopes},
		{name: "empty_blob_key", columns: "(bl blob PRIMARY KEY, tx text)", conn: map[string]string{"value.converter.schemas.enable": "true",
			"ignoreErrors": "All", "table.mapping": "bl=value.bl, tx=value.tx"},
			records: blobEnvelopes},
		// A JSON key: its fields map like the value's; a tombstone deletes by it.
		{name: "json_key", columns: "(id int PRIMARY KEY, tx text)", conn: map[string]string{"key.converter": jsonClass, "key.converter.schemas.enable": "false",
			"ignoreErrors": "All", "table.mapping": "id=key.id, tx=value.tx"},
			records: kvRows(
				jrec(`{"id":1}`, 0, map[string]any{"tx": "a"}),
				jrec(`{"id":2}`, 1*time.Millisecond, map[string]any{"tx": "b"}),
				jrec(`{"id":1}`, 2*time.Millisecond, nil))},
		// Case-sensitive (quoted) column and field names.
		{name: "quoted_names", columns: `(id int PRIMARY KEY, "Tx" text, "mixedCase" int)`, conn: map[string]string{"ignoreErrors": "All",
			"table.mapping": `id=value.id, "Tx"=value.Tx, "mixedCase"=value.mixedCase`},
			records: kvRows(jrec("1", 0, map[string]any{"id": 1, "Tx": "a", "mixedCase": 7}))},
		// codec.* settings: zone, patterns, and numbers as units since the epoch.
		{name: "codec_patterns", columns: "(id int PRIMARY KEY, ts timestamp, dt date, tm time)", conn: map[string]string{"ignoreErrors": "All",
			"codec.timeZone": "Europe/Paris", "codec.timestamp": "yyyy-MM-dd HH:mm:ss", "codec.date": "dd/MM/yyyy", "codec.time": "HH:mm",
			"table.mapping": "id=value.id, ts=value.ts, dt=value.dt, tm=value.tm"},
			records: kvRows(
				jrec("1", 0, map[string]any{"id": 1, "ts": "2026-03-04 05:06:07", "dt": "04/03/2026", "tm": "13:30"}),
				jrec("2", 1*time.Millisecond, map[string]any{"id": 2, "ts": "2026-07-04 05:06:07", "dt": nil, "tm": nil}))},
		{name: "codec_units", columns: "(id int PRIMARY KEY, ts timestamp)", conn: map[string]string{"ignoreErrors": "All",
			"codec.timestamp": "UNITS_SINCE_EPOCH", "codec.unit": "SECONDS", "table.mapping": "id=value.id, ts=value.ts"},
			records: kvRows(
				jrec("1", 0, map[string]any{"id": 1, "ts": "1772600767"}),
				jrec("2", 1*time.Millisecond, map[string]any{"id": 2, "ts": 1772600767}))},
		// A custom query with named binds, its TTL and write time from fields.
		{name: "custom_query", columns: kvTable, conn: map[string]string{"table.deletesEnabled": "false",
			"table.query":   "INSERT INTO {ks}.{table} (id, tx, n) VALUES (:id, :tx, :n) USING TTL :ttl AND TIMESTAMP :wt",
			"table.mapping": "id=value.id, tx=value.tx, n=value.n, ttl=value.ttl, wt=value.wt"},
			records: kvRows(
				jrec("1", 0, map[string]any{"id": 1, "tx": "a", "n": 1, "ttl": 3600, "wt": 1700000000123456}),
				jrec("2", 1*time.Millisecond, map[string]any{"id": 2, "tx": nil, "n": 2, "ttl": 0, "wt": 1700000000123457}))},

		// A counter table: the mapped value is added.
		// ignoreErrors=All: DataStax fails every counter record that has a
		// Kafka timestamp, and would retry it forever.
		{name: "counter", columns: "(id int PRIMARY KEY, c counter)", conn: map[string]string{"ignoreErrors": "All", "table.mapping": "id=value.id, c=value.c"},
			records: kvRows(
				jrec("1", 0, map[string]any{"id": 1, "c": 2}),
				jrec("1", 1*time.Millisecond, map[string]any{"id": 1, "c": 3}),
				jrec("2", 2*time.Millisecond, map[string]any{"id": 2, "c": -4}))},

		// A value the converter cannot read goes to the dead letter queue.
		{name: "dlq_converter", columns: kvTable, dlq: true, conn: map[string]string{"table.mapping": "id=value.id, tx=value.tx"},
			records: kvRows(
				jrec("1", 0, map[string]any{"id": 1, "tx": "a"}),
				dsRecord{key: sptr("2"), value: []byte("not json {"), at: 1 * time.Millisecond, headers: [][2]string{{"h", "v"}}},
				jrec("3", 2*time.Millisecond, map[string]any{"id": 3, "tx": "c"}))},
	}
}

// side is one of the two systems under comparison.
type side struct {
	name, url, ks string
	avroClass     string
}

type caseRun struct {
	c       diffCase
	topic   string
	records []dsRecord
	conns   [2]string // connector names per side
	result  [2]sideResult
}

type sideResult struct {
	createErr string
	state     string // task state when done: RUNNING or FAILED: <first trace line>
	committed int64
	done      bool
}

func (r *caseRun) connector(s side, name string) map[string]string {
	cfg := map[string]string{
		"connector.class": datastaxClass, "tasks.max": "1", "topics": r.topic,
		"contactPoints": strings.Split(stack.CassandraHosts()[0], ":")[0], "port": strings.Split(stack.CassandraHosts()[0], ":")[1],
		"loadBalancing.localDc": "datacenter1", "connectionPoolLocalSize": "1", "jmx": "false",
		"key.converter": stringClass, "value.converter": jsonClass, "value.converter.schemas.enable": "false",
	}
	if r.c.dlq {
		cfg["errors.tolerance"] = "all"
		cfg["errors.deadletterqueue.topic.name"] = dlqTopic(r.topic, s)
		cfg["errors.deadletterqueue.topic.replication.factor"] = "1"
		cfg["errors.deadletterqueue.context.headers.enable"] = "true"
	}
	for k, v := range r.c.conn {
		switch {
		case strings.HasPrefix(k, "table."):
			k = fmt.Sprintf("topic.%s.%s.%s.%s", r.topic, s.ks, r.c.name, strings.TrimPrefix(k, "table."))
		case strings.HasPrefix(k, "codec."):
			k = fmt.Sprintf("topic.%s.%s", r.topic, k)
		}
		if v == confluentAvroClass {
			v = s.avroClass
		}
		v = strings.NewReplacer("{ks}", s.ks, "{table}", r.c.name).Replace(v)
		cfg[k] = v
	}
	return cfg
}

func dlqTopic(topic string, s side) string { return topic + ".dlq." + s.name }

// TestIntegrationDataStaxDifferential runs the same records through the
// DataStax Apache Kafka Connector 1.5.0 (in Apache Kafka Connect 4.3.1) and
// through gonnect's Cassandra sink and compares the resulting tables.
func TestIntegrationDataStaxDifferential(t *testing.T) {
	stack.RequireKafka(t)
	stack.RequireCassandra(t)
	stack.RequireSchemaRegistry(t)
	stack.RequireReferenceConnect(t)
	requireDataStaxPlugin(t)

	id := rand.Uint32()
	sides := [2]side{
		{name: "datastax", url: stack.ReferenceConnectURL(), ks: fmt.Sprintf("dsx_%d", id), avroClass: referenceAvroClass},
		{name: "gonnect", ks: fmt.Sprintf("gnx_%d", id), avroClass: confluentAvroClass},
	}
	sess := cassandraSession(t)
	avro := &converters.AvroConverter{}
	if err := avro.Configure(map[string]string{"schema.registry.url": stack.SchemaRegistryURL()}, false); err != nil {
		t.Fatal(err)
	}
	cases := diffCases(avro)
	t0 := time.Now()

	// Keyspaces and tables, the same on both sides.
	for _, s := range sides {
		ddl := []string{
			fmt.Sprintf("CREATE KEYSPACE %s WITH replication = {'class':'SimpleStrategy','replication_factor':1}", s.ks),
			fmt.Sprintf("CREATE TYPE %s.addr (street text, zip int)", s.ks),
		}
		for _, c := range cases {
			ddl = append(ddl, fmt.Sprintf("CREATE TABLE %s.%s %s", s.ks, c.name, c.columns))
		}
		for _, q := range ddl {
			if err := sess.Query(q).Exec(); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		ks := s.ks
		t.Cleanup(func() { _ = sess.Query("DROP KEYSPACE " + ks).Exec() })
	}
	t.Logf("schema created in %s", time.Since(t0).Round(time.Millisecond))

	// Topics (one partition each, so offsets are a sequence) and records.
	prod, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "go.delivery.reports": false, "linger.ms": 5})
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	runs := make([]*caseRun, len(cases))
	for i, c := range cases {
		r := &caseRun{c: c, topic: fmt.Sprintf("diff.%d.%s", id, c.name)}
		topics := []string{r.topic}
		if c.dlq {
			topics = append(topics, dlqTopic(r.topic, sides[0]), dlqTopic(r.topic, sides[1]))
		}
		for _, tp := range topics {
			if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, tp, 1, 1, nil); err != nil {
				t.Fatal(err)
			}
		}
		r.records = c.records(r.topic)
		for _, rec := range r.records {
			m := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &r.topic, Partition: 0}, Value: rec.value, Timestamp: base.Add(rec.at)}
			if rec.key != nil {
				m.Key = []byte(*rec.key)
			}
			for _, h := range rec.headers {
				m.Headers = append(m.Headers, kafka.Header{Key: h[0], Value: []byte(h[1])})
			}
			if err := prod.Produce(m, nil); err != nil {
				t.Fatal(err)
			}
		}
		for si, s := range sides {
			r.conns[si] = fmt.Sprintf("diff-%d-%s-%s", id, s.name, c.name)
		}
		runs[i] = r
	}
	if n := prod.Flush(30000); n != 0 {
		t.Fatalf("%d records not delivered", n)
	}

	w := newCluster(t, nil).start()
	sides[1].url = w.url()

	// Connectors, on both sides at once.
	var wg sync.WaitGroup
	for _, r := range runs {
		for si, s := range sides {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, b, _ := do("PUT", s.url+"/connectors/"+r.conns[si]+"/config", r.connector(s, r.conns[si]))
				if code != 201 && code != 200 {
					r.result[si] = sideResult{createErr: fmt.Sprintf("%d %s", code, b), done: true}
				}
			}()
		}
	}
	wg.Wait()
	deleteAll := func() {
		for _, r := range runs {
			for si, s := range sides {
				if r.result[si].createErr == "" {
					do("DELETE", s.url+"/connectors/"+r.conns[si], nil)
				}
			}
		}
	}
	t.Cleanup(deleteAll)

	waitForSides(t, sess, sides, runs)
	t.Logf("both sides done in %s", time.Since(t0).Round(time.Millisecond))
	deleteAll()

	var all []expectedDiff
	for _, r := range runs {
		t.Run(r.c.name, func(t *testing.T) {
			diffs := compareRun(t, sess, sides, r, base)
			for _, d := range diffs {
				t.Logf("difference: %s: datastax %s, gonnect %s", d.what, d.ds, d.gn)
			}
			all = append(all, diffs...)
		})
	}
	checkExpected(t, all)
	if os.Getenv("GONNECT_DIFF_DUMP") != "" {
		b, _ := os.ReadFile(w.log)
		seen := map[string]bool{}
		for _, l := range strings.Split(string(b), "\n") {
			if i := strings.Index(l, "error="); i >= 0 && !seen[l[i:]] {
				seen[l[i:]] = true
				t.Logf("gonnect: %.400s", l[i:])
			}
		}
	}
}

// checkExpected matches the differences found against expectedDiffs.
func checkExpected(t *testing.T, found []expectedDiff) {
	t.Helper()
	seen := make([]bool, len(expectedDiffs))
	var unexpected []string
	for _, d := range found {
		matched := false
		for i, e := range expectedDiffs {
			if e.kase == d.kase && globMatch(e.what, d.what) && globMatch(e.ds, d.ds) && globMatch(e.gn, d.gn) {
				seen[i], matched = true, true
				break
			}
		}
		if !matched {
			unexpected = append(unexpected, fmt.Sprintf("\t{%q, %q, %q, %q, \"?\"},", d.kase, d.what, d.ds, d.gn))
		}
	}
	if len(unexpected) > 0 {
		t.Errorf("%d differences between DataStax and gonnect not in expectedDiffs (fix the sink, or list them with the reason):\n%s",
			len(unexpected), strings.Join(unexpected, "\n"))
	}
	for i, d := range expectedDiffs {
		if seen[i] {
			continue
		}
		if strings.HasPrefix(d.why, deliberate) {
			t.Errorf("deliberate difference no longer seen (behaviour changed; update expectedDiffs): %+v", d)
		} else {
			t.Logf("listed difference not seen (fixed: delete its entry): %+v", d)
		}
	}
}

// globMatch matches a pattern of expectedDiffs: "*" is anything, a
// trailing "*" a prefix, anything else itself.
func globMatch(pattern, s string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(s, p)
	}
	return pattern == s
}

func requireDataStaxPlugin(t *testing.T) {
	t.Helper()
	code, b := get(stack.ReferenceConnectURL() + "/connector-plugins?connectorsOnly=false")
	if code != 200 || !bytes.Contains(b, []byte(datastaxClass)) || !bytes.Contains(b, []byte(referenceAvroClass)) {
		t.Fatalf("the reference Kafka Connect at %s does not list %s and %s (answer %d); its plugin.path is laid out by "+
			"stack/stack.sh: stop the reference Connect (kill the pid in $GONNECT_STACK_DIR/pids/reference-connect.pid) "+
			"and run `REFERENCE=1 bash stack/stack.sh up`; the DataStax jar comes from $DATASTAX_SINK_DIR "+
			"(default: ../shared/reference/datastax-kafka-sink beside the checkout)", stack.ReferenceConnectURL(), datastaxClass, referenceAvroClass, code)
	}
}

func cassandraSession(t *testing.T) *gocql.Session {
	t.Helper()
	c := gocql.NewCluster(stack.CassandraHosts()...)
	c.Timeout = 30 * time.Second
	s, err := c.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// committedTarget is the offset a side's consumer group is expected to
// commit: the end of the topic, unless expectedDiffs gives a number.
func committedTarget(r *caseRun, si int) int64 {
	for _, d := range expectedDiffs {
		if d.kase == r.c.name && d.what == "committed offset" {
			v := []string{d.ds, d.gn}[si]
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
		}
	}
	return int64(len(r.records))
}

// waitForSides polls, through the admin API, the committed offset of each
// connector's consumer group until it reaches its target, or the task
// fails. A connector is deleted as soon as it is done, so one that retries
// a record forever stops.
func waitForSides(t *testing.T, sess *gocql.Session, sides [2]side, runs []*caseRun) {
	t.Helper()
	admin, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap()})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	deadline := time.Now().Add(240 * time.Second)
	var wg sync.WaitGroup
	for _, r := range runs {
		for si, s := range sides {
			res := &r.result[si]
			if res.done {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !res.done && time.Now().Before(deadline) {
					res.committed = committedOffset(admin, "connect-"+r.conns[si], r.topic)
					if st, ok := statusOf(t, s.url, r.conns[si]); ok && len(st.Tasks) == 1 {
						res.state = st.Tasks[0].State
						if st.Tasks[0].State == "FAILED" {
							// The same text in every run: without the run's names.
							msg := strings.SplitN(st.Tasks[0].Trace, "\n", 2)[0]
							res.state = "FAILED: " + strings.NewReplacer(r.topic, "TOPIC", s.ks, "KEYSPACE").Replace(msg)
						}
					}
					reached := res.committed == committedTarget(r, si)
					if si == 0 && r.c.dsRows > 0 {
						var n int
						reached = sess.Query(fmt.Sprintf("SELECT count(*) FROM %s.%s", s.ks, r.c.name)).Scan(&n) == nil && n >= r.c.dsRows
					}
					if reached || strings.HasPrefix(res.state, "FAILED") {
						res.done = true
						do("DELETE", s.url+"/connectors/"+r.conns[si], nil)
						return
					}
					time.Sleep(time.Second) // 2 x 34 connectors polled: keep the load low
				}
			}()
		}
	}
	wg.Wait()
	var left []string
	for _, r := range runs {
		for si, s := range sides {
			if !r.result[si].done {
				left = append(left, fmt.Sprintf("%s/%s committed %d of %d (task %s)", r.c.name, s.name, r.result[si].committed, committedTarget(r, si), r.result[si].state))
			}
		}
	}
	if len(left) > 0 {
		t.Logf("not done within the deadline: %s", strings.Join(left, "; "))
	}
}

func committedOffset(admin *kafka.AdminClient, group, topic string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := admin.ListConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group,
		Partitions: []kafka.TopicPartition{{Topic: &topic, Partition: 0}}}})
	if err != nil || len(res.ConsumerGroupsTopicPartitions) != 1 || len(res.ConsumerGroupsTopicPartitions[0].Partitions) != 1 {
		return -1
	}
	p := res.ConsumerGroupsTopicPartitions[0].Partitions[0]
	if p.Error != nil || p.Offset < 0 {
		return -1
	}
	return int64(p.Offset)
}

// compareRun gives the differences of one case: connector creation, task
// state, committed offset, dead letter queue and every row and cell.
func compareRun(t *testing.T, sess *gocql.Session, sides [2]side, r *caseRun, base time.Time) []expectedDiff {
	var diffs []expectedDiff
	add := func(what, ds, gn string) {
		if ds != gn {
			diffs = append(diffs, expectedDiff{kase: r.c.name, what: what, ds: ds, gn: gn})
		}
	}
	ds, gn := r.result[0], r.result[1]
	add("connector creation", firstLine(ds.createErr), firstLine(gn.createErr))
	add("task state", ds.state, gn.state)
	add("committed offset", fmt.Sprint(ds.committed), fmt.Sprint(gn.committed))
	if r.c.dlq {
		dq := [2][]*kafka.Message{readTopic(t, dlqTopic(r.topic, sides[0])), readTopic(t, dlqTopic(r.topic, sides[1]))}
		add("dead letter queue records", fmt.Sprint(len(dq[0])), fmt.Sprint(len(dq[1])))
		for i := 0; i < len(dq[0]) && i < len(dq[1]); i++ {
			h := [2]map[string]string{}
			for si := range sides {
				h[si] = map[string]string{"(value)": string(dq[si][i].Value)}
				for _, x := range dq[si][i].Headers {
					v := string(x.Value)
					if x.Key == "__connect.errors.connector.name" && v == r.conns[si] {
						v = "(the connector)"
					}
					if x.Key != "__connect.errors.exception.stacktrace" {
						h[si][x.Key] = v
					}
				}
			}
			for _, k := range unionKeys(h[0], h[1]) {
				a, okA := h[0][k]
				b, okB := h[1][k]
				if !okA {
					a = "(absent)"
				}
				if !okB {
					b = "(absent)"
				}
				add(fmt.Sprintf("dead letter queue record %d %s", i, k), a, b)
			}
		}
	}
	tables := [2]map[string]map[string]any{}
	var cols []string
	var pk []string
	for si, s := range sides {
		tables[si], cols, pk = readTable(t, sess, s.ks, r.c.name)
	}
	if len(tables[0])+len(tables[1]) == 0 {
		t.Errorf("both tables are empty: the case compares nothing")
	}
	if os.Getenv("GONNECT_DIFF_DUMP") != "" {
		for si, s := range sides {
			for _, k := range unionKeys(tables[si], nil) {
				t.Logf("%s row %s: %s", s.name, k, cellText(tables[si][k]))
			}
		}
	}
	for _, k := range unionKeys(tables[0], tables[1]) {
		a, okA := tables[0][k]
		b, okB := tables[1][k]
		if !okA || !okB {
			add("row "+k, presence(a, okA, cols), presence(b, okB, cols))
			continue
		}
		for _, c := range cols {
			if contains(pk, c) {
				continue
			}
			va, vb := a[c], b[c]
			if strings.HasPrefix(c, "ttl_") {
				if x, y, ok := ttlPair(va, vb); ok && abs(x-y) <= ttlTolerance {
					continue
				}
				add(fmt.Sprintf("row %s %s", k, ttlName(c)), ttlText(va), ttlText(vb))
				continue
			}
			if strings.HasPrefix(c, "wt_") {
				add(fmt.Sprintf("row %s %s", k, wtName(c)), writeTimeText(va, base), writeTimeText(vb, base))
				continue
			}
			add(fmt.Sprintf("row %s %s", k, c), cellText(va), cellText(vb))
		}
	}
	return diffs
}

func firstLine(s string) string {
	if s == "" {
		return "created"
	}
	return strings.SplitN(s, "\n", 2)[0]
}

// presence is a row only one side has: its values, or "absent".
func presence(row map[string]any, ok bool, cols []string) string {
	if !ok {
		return "absent"
	}
	return rowText(row, cols)
}

// rowText gives a row's values, without TTLs (they count down) and write times.
func rowText(row map[string]any, cols []string) string {
	var parts []string
	for _, c := range cols {
		if !strings.HasPrefix(c, "ttl_") && !strings.HasPrefix(c, "wt_") && row[c] != nil {
			parts = append(parts, c+"="+cellText(row[c]))
		}
	}
	return strings.Join(parts, " ")
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]V{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// writeTimeText gives a write time near the run's base timestamp (those
// taken from record timestamps) relative to it, so it reads the same in
// every run.
func writeTimeText(v any, base time.Time) string {
	n, ok := v.(json.Number)
	if !ok {
		return cellText(v)
	}
	us, _ := n.Int64()
	if d := us - base.UnixMicro(); abs(d) < int64(24*time.Hour/time.Microsecond) {
		return fmt.Sprintf("base%+dus", d)
	}
	return n.String()
}

func ttlName(c string) string { return "TTL(" + strings.TrimPrefix(c, "ttl_") + ")" }

func wtName(c string) string {
	if strings.HasPrefix(c, "wt_") {
		return "WRITETIME(" + strings.TrimPrefix(c, "wt_") + ")"
	}
	return c
}

func ttlPair(a, b any) (int64, int64, bool) {
	x, okA := a.(json.Number)
	y, okB := b.(json.Number)
	if !okA || !okB {
		return 0, 0, a == nil && b == nil
	}
	xi, _ := x.Int64()
	yi, _ := y.Int64()
	return xi, yi, true
}

// ttlText rounds a TTL to the minute: it counts down while the test reads.
func ttlText(v any) string {
	n, ok := v.(json.Number)
	if !ok {
		return cellText(v)
	}
	i, _ := n.Int64()
	return fmt.Sprintf("~%d", (i+30)/60*60)
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func cellText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var nativeTypes = map[string]bool{"ascii": true, "bigint": true, "blob": true, "boolean": true, "date": true, "decimal": true,
	"double": true, "duration": true, "float": true, "inet": true, "int": true, "smallint": true, "text": true, "time": true,
	"timestamp": true, "timeuuid": true, "tinyint": true, "uuid": true, "varchar": true, "varint": true}

// readTable scans a table with SELECT JSON (nulls stay null, every type has
// one text form), adding ttl_<c> and wt_<c> for every single-cell regular
// column. Rows are keyed by their primary key.
func readTable(t *testing.T, sess *gocql.Session, ks, table string) (map[string]map[string]any, []string, []string) {
	t.Helper()
	type col struct {
		name, kind, typ string
		pos             int
	}
	var all []col
	it := sess.Query("SELECT column_name, kind, position, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?", ks, table).Iter()
	var c col
	for it.Scan(&c.name, &c.kind, &c.pos, &c.typ) {
		all = append(all, c)
	}
	if err := it.Close(); err != nil {
		t.Fatalf("reading the columns of %s.%s: %v", ks, table, err)
	}
	rank := map[string]int{"partition_key": 0, "clustering": 1, "regular": 2}
	sort.Slice(all, func(i, j int) bool {
		if rank[all[i].kind] != rank[all[j].kind] {
			return rank[all[i].kind] < rank[all[j].kind]
		}
		if all[i].pos != all[j].pos {
			return all[i].pos < all[j].pos
		}
		return all[i].name < all[j].name
	})
	var sel, cols, pk []string
	quote := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	for _, c := range all {
		sel = append(sel, quote(c.name))
		cols = append(cols, c.name)
		if c.kind != "regular" {
			pk = append(pk, c.name)
		}
	}
	for _, c := range all {
		// TTL() and WRITETIME() take single-cell columns: native types
		// (not counters), frozen values, tuples and vectors.
		base, _, _ := strings.Cut(c.typ, "<")
		single := nativeTypes[c.typ] || base == "frozen" || base == "tuple" || base == "vector"
		if c.kind == "regular" && single {
			sel = append(sel, fmt.Sprintf("ttl(%s) AS %s", quote(c.name), quote("ttl_"+c.name)), fmt.Sprintf("writetime(%s) AS %s", quote(c.name), quote("wt_"+c.name)))
			cols = append(cols, "ttl_"+c.name, "wt_"+c.name)
		}
	}
	rows := map[string]map[string]any{}
	it = sess.Query(fmt.Sprintf("SELECT JSON %s FROM %s.%s", strings.Join(sel, ", "), ks, table)).Iter()
	var js string
	for it.Scan(&js) {
		d := json.NewDecoder(strings.NewReader(js))
		d.UseNumber()
		raw := map[string]any{}
		if err := d.Decode(&raw); err != nil {
			t.Fatalf("row %s of %s.%s: %v", js, ks, table, err)
		}
		// SELECT JSON quotes the names that are case-sensitive.
		m := map[string]any{}
		for k, v := range raw {
			if u, err := strconv.Unquote(k); err == nil && strings.HasPrefix(k, `"`) {
				k = u
			}
			m[k] = v
		}
		var k []string
		for _, p := range pk {
			k = append(k, p+"="+cellText(m[p]))
		}
		rows[strings.Join(k, ",")] = m
	}
	if err := it.Close(); err != nil {
		t.Fatalf("reading %s.%s: %v", ks, table, err)
	}
	return rows, cols, pk
}

// readTopic reads every record of partition 0 of a topic.
func readTopic(t *testing.T, topic string) []*kafka.Message {
	t.Helper()
	c, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "group.id": "diff-read-" + topic, "enable.auto.commit": false})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, high, err := c.QueryWatermarkOffsets(topic, 0, 10000)
	if err != nil {
		t.Fatalf("end offset of %s: %v", topic, err)
	}
	if high == 0 {
		return nil
	}
	if err := c.Assign([]kafka.TopicPartition{{Topic: &topic, Partition: 0, Offset: kafka.OffsetBeginning}}); err != nil {
		t.Fatal(err)
	}
	var out []*kafka.Message
	for int64(len(out)) < high {
		m, err := c.ReadMessage(10 * time.Second)
		if err != nil {
			t.Fatalf("reading %s (%d of %d): %v", topic, len(out), high, err)
		}
		out = append(out, m)
	}
	return out
}
