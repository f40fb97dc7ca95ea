package cassandra

import (
	"errors"
	"fmt"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/connectors"
)

// queryArg is one bind marker of a custom query (the .query setting).
type queryArg struct {
	name    string
	typ     gocql.TypeInfo
	mapping *mapping // nil for the computed TTL and write time
	special string   // ttlColumn or timestampColumn when mapping is nil
}

// Names a custom query may bind without mapping them: the TTL and write
// time gonnect computes (static ttl, __ttl, Kafka timestamp, __timestamp),
// under gonnect's short names and DataStax's internal ones.
var specialBinds = map[string]string{
	"ttl": ttlColumn, "message_internal_ttl": ttlColumn,
	"timestamp": timestampColumn, "message_internal_timestamp": timestampColumn,
}

var errPrepared = errors.New("prepared only")

// prepareQuery learns the bind markers (names and types) of a custom query
// from Cassandra: the binding callback sees the prepared statement's
// metadata, and its error stops the statement before it is sent.
func prepareQuery(s *gocql.Session, q string) ([]gocql.ColumnInfo, error) {
	var args []gocql.ColumnInfo
	seen := false
	err := s.Bind(q, func(qi *gocql.QueryInfo) ([]any, error) {
		args, seen = qi.Args, true
		return nil, errPrepared
	}).Exec()
	if !seen {
		return nil, fmt.Errorf("preparing query %q: %w", q, err)
	}
	return args, nil
}

// initQuery sets a writer up for a custom query: as in DataStax's
// connector, the mapping names bind markers rather than table columns, and
// the query runs as written for every record (no delete, no last-write-wins
// deduplication, since the query may append or increment).
func (w *tableWriter) initQuery(s *gocql.Session, tm *gocql.TableMetadata) error {
	ts := w.ts
	byName := map[string]*mapping{}
	for i := range ts.mapping {
		m := &ts.mapping[i]
		switch m.column {
		case ttlColumn:
			w.ttlMap = m
		case timestampColumn:
			w.tsMap = m
		default:
			byName[unquote(m.column)] = m
		}
	}
	args, err := prepareQuery(s, ts.query)
	if err != nil {
		return err
	}
	partIdx := map[string]int{}
	for _, c := range tm.PartitionKey {
		partIdx[c.Name] = -1
	}
	for i, a := range args {
		qa := queryArg{name: a.Name, typ: a.TypeInfo, mapping: byName[a.Name]}
		if qa.mapping == nil {
			if qa.special = specialBinds[strings.ToLower(a.Name)]; qa.special == "" {
				return fmt.Errorf("query %q binds :%s, which the mapping does not define", ts.query, a.Name)
			}
		}
		if a.TypeInfo.Type() == gocql.TypeTuple {
			// The driver cannot bind a whole tuple in a prepared statement.
			return fmt.Errorf("query %q binds the tuple :%s as one value, which the Go driver cannot do; bind its elements instead, as (:%s_a, :%s_b)", ts.query, a.Name, a.Name, a.Name)
		}
		if _, ok := partIdx[a.Name]; ok {
			partIdx[a.Name] = i
		}
		w.qargs = append(w.qargs, qa)
	}
	// Group statements into batches by partition when the query binds the
	// whole partition key by column name.
	for _, c := range tm.PartitionKey {
		if partIdx[c.Name] < 0 {
			w.qpart = nil
			break
		}
		w.qpart = append(w.qpart, partIdx[c.Name])
	}
	w.insert = ts.query
	w.keepAll = true
	w.noteFields()
	return nil
}

// queryArgs binds a custom query's markers for one record; it returns the
// values, the partition the statement writes (for batching), its estimated
// size, and on failure the marker that failed.
func (w *tableWriter) queryArgs(rec *connectors.SinkRecord, now time.Time, ttl, stamp int64) ([]any, string, int, string, error) {
	vals := make([]any, len(w.qargs))
	size := 64
	for i, a := range w.qargs {
		var v any
		switch a.special {
		case ttlColumn:
			v = ttl
		case timestampColumn:
			v = stamp
		default:
			if a.mapping.src == fromNow {
				u, err := nowValue(a.typ)
				if err != nil {
					return nil, "", 0, a.name, err
				}
				v = u
				break
			}
			raw, err := a.mapping.extract(rec, now)
			var missing *errMissing
			switch {
			case err == errUnbound:
				vals[i] = gocql.UnsetValue
				size += 16
				continue
			case errors.As(err, &missing):
				return nil, "", 0, a.name, missingField(a.mapping.expr, quote(a.name))
			}
			if err == nil && w.ts.codec != nil {
				raw, err = w.ts.codec.apply(a.typ, raw)
			}
			if err != nil {
				return nil, "", 0, a.name, argumentError(err)
			}
			if v, err = toCQL(a.typ, raw); err != nil {
				return nil, "", 0, a.name, argumentError(fmt.Errorf("converting %s (%T): %w", a.mapping.expr, raw, err))
			}
			if (v == nil || emptyValue(a.typ, v)) && w.ts.nullToUnset {
				v = gocql.UnsetValue
			}
		}
		if s, ok := v.(string); ok {
			size += len(s)
		} else {
			size += 16
		}
		vals[i] = v
	}
	var part strings.Builder
	for _, i := range w.qpart {
		fmt.Fprint(&part, vals[i], "\x00")
	}
	if w.qpart == nil {
		// Unknown partition: a batch of its own.
		fmt.Fprintf(&part, "%s-%d@%d", rec.Topic, rec.Partition, rec.Offset)
	}
	return vals, part.String(), size, "", nil
}
