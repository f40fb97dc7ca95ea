package cassandra

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/apache/cassandra-gocql-driver/v2/lz4"
	"github.com/apache/cassandra-gocql-driver/v2/snappy"

	"github.com/gonnect/gonnect/connectors/configdef"
)

// connect opens a session from the connector settings; a session refused
// for its credentials or TLS settings is explained naming the setting.
func connect(v configdef.Values) (*gocql.Session, error) {
	c, sec, err := clusterConfig(v)
	if err != nil {
		return nil, err
	}
	s, err := c.CreateSession()
	if err != nil {
		d, _ := c.HostDialer.(*tlsDialer)
		return nil, explainConnect(v, sec, d, c.Hosts, err)
	}
	return s, nil
}

// clusterConfig turns the connector settings into the driver's cluster
// configuration: contact points, pool, policies, compression,
// authentication and TLS (security.go).
func clusterConfig(v configdef.Values) (*gocql.ClusterConfig, *security, error) {
	var hosts []string
	for _, h := range v.List("contactPoints") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(h, strconv.Itoa(v.Int("port")))
		}
		hosts = append(hosts, h)
	}
	if len(hosts) == 0 {
		hosts = []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(v.Int("port")))}
	}
	c := gocql.NewCluster(hosts...)
	// The driver dials every node it discovers (the contact point itself
	// included, once the ring is read) on the cluster's port, not on the
	// contact point's: without this a port other than 9042 reached only the
	// control connection and every write went to :9042.
	c.Port = v.Int("port")
	c.Timeout = time.Duration(v.Int("queryExecutionTimeout")) * time.Second
	c.WriteTimeout = c.Timeout
	c.ConnectTimeout = 10 * time.Second
	c.NumConns = v.Int("connectionPoolLocalSize")
	c.Consistency = gocql.LocalOne
	// Keep retrying connections while Cassandra is away; the task retries writes.
	c.ReconnectionPolicy = &gocql.ConstantReconnectionPolicy{MaxRetries: 1 << 30, Interval: time.Second}
	c.ReconnectInterval = time.Second
	c.RetryPolicy = retryPolicy{}
	fallback := gocql.RoundRobinHostPolicy()
	if dc := v.String("loadBalancing.localDc"); dc != "" {
		fallback = gocql.DCAwareRoundRobinPolicy(dc)
	}
	c.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(fallback)
	switch strings.ToLower(v.String("compression")) {
	case "snappy":
		c.Compressor = snappy.SnappyCompressor{}
	case "lz4":
		c.Compressor = lz4.LZ4Compressor{}
	}
	sec, err := securityOf(v)
	if err != nil {
		return nil, nil, err
	}
	if sec.auth != nil {
		c.Authenticator = sec.auth
	}
	if sec.tls != nil {
		c.HostDialer = &tlsDialer{dialer: net.Dialer{Timeout: c.ConnectTimeout}, config: sec.tls}
	}
	return c, sec, nil
}

// column is one bound column of a table writer.
type column struct {
	name    string // as written in CQL (quoted when needed)
	meta    *gocql.ColumnMetadata
	mapping *mapping
}

// tableWriter writes one topic's records to one table.
type tableWriter struct {
	ts        *tableSettings
	fqtn      string
	cols      []column // bound in this order; primary key columns first
	pkCount   int      // number of leading cols that form the primary key
	partCount int      // number of leading cols that form the partition key
	ttlMap    *mapping
	tsMap     *mapping
	counter   bool
	insert    string
	delete    string
	// deletable: deletes are enabled and the mapping covers the table (see
	// newTableWriter), so a record with no non-null value for a non-key
	// column, TTL or write time is a delete.
	deletable bool
	pack      bool // partitions are packed into shared batches (see packing.go)
	keepAll   bool // every statement counts (counters, custom queries): no dedup
	hasTuple  bool // some column is a tuple: see tuple.go
	// keyFields, valueFields: some mapping selects a field of the key, of
	// the value (a text holding JSON is then parsed).
	keyFields, valueFields bool
	variants               sync.Map
	qargs                  []queryArg
	qpart                  []int         // indexes of the partition key among qargs
	plans                  sync.Map      // *converters.AvroWriter → *directPlan (direct.go)
	metrics                *tableMetrics // nil when the worker offers no metrics
}

func unquote(id string) string { return strings.Trim(id, `"`) }

func quote(id string) string {
	if strings.ToLower(id) == id && !strings.ContainsAny(id, " -.") {
		return id
	}
	return `"` + strings.ReplaceAll(id, `"`, `""`) + `"`
}

// newTableWriter checks the mapping against the table and prepares CQL.
func newTableWriter(ctx context.Context, s *gocql.Session, ts *tableSettings) (*tableWriter, error) {
	km, err := keyspaceMetadata(ctx, s, ts.keyspace, ts.table)
	if err != nil {
		return nil, err
	}
	tm := km.Tables[ts.table]
	w := &tableWriter{ts: ts, fqtn: quote(ts.keyspace) + "." + quote(ts.table)}
	if ts.query != "" {
		if err := w.initQuery(s, tm); err != nil {
			return nil, err
		}
		return w, nil
	}
	byCol := map[string]*mapping{}
	for i := range ts.mapping {
		m := &ts.mapping[i]
		switch m.column {
		case ttlColumn:
			w.ttlMap = m
			continue
		case timestampColumn:
			w.tsMap = m
			continue
		}
		name := unquote(m.column)
		if _, ok := tm.Columns[name]; !ok {
			return nil, fmt.Errorf("mapping names column %s, which table %s.%s does not have", name, ts.keyspace, ts.table)
		}
		byCol[name] = m
	}
	var pk []*gocql.ColumnMetadata
	pk = append(pk, tm.PartitionKey...)
	pk = append(pk, tm.ClusteringColumns...)
	for _, c := range pk {
		m := byCol[c.Name]
		if m == nil {
			return nil, fmt.Errorf("primary key column %s of table %s.%s is not mapped", c.Name, ts.keyspace, ts.table)
		}
		w.cols = append(w.cols, column{name: quote(c.Name), meta: resolveType(km, c), mapping: m})
		delete(byCol, c.Name)
	}
	w.pkCount, w.partCount = len(pk), len(tm.PartitionKey)
	for _, name := range tm.OrderedColumns {
		if m := byCol[name]; m != nil {
			c := resolveType(km, tm.Columns[name])
			w.cols = append(w.cols, column{name: quote(name), meta: c, mapping: m})
			if c.Type.Type() == gocql.TypeCounter {
				w.counter = true
			}
		}
	}
	for _, c := range w.cols {
		if c.meta.Type.Type() == gocql.TypeTuple {
			w.hasTuple = true
		}
	}
	w.noteFields()
	// DataStax's rule: an all-null record deletes only when the mapping
	// has as many entries as the table has columns, else it would drop
	// unmapped columns' data. It counts __ttl and __timestamp as entries,
	// so a mapping of every column and a TTL never deletes (and one that
	// leaves one column out but maps a TTL does): the rows must end the same.
	entries := len(w.cols)
	if w.ttlMap != nil {
		entries++
	}
	if w.tsMap != nil {
		entries++
	}
	// Counter tables too: a null value deletes the counters' row.
	w.deletable = ts.deletesEnabled && entries == len(tm.Columns) && entries > w.pkCount
	w.keepAll = w.counter
	w.build()
	return w, nil
}

func (w *tableWriter) build() {
	var where []string
	for _, c := range w.cols[:w.pkCount] {
		where = append(where, c.name+" = "+marker(c.meta.Type))
	}
	switch {
	case w.ts.query != "":
		w.insert = w.ts.query
	case w.counter:
		var sets []string
		for _, c := range w.cols[w.pkCount:] {
			sets = append(sets, fmt.Sprintf("%s = %s + ?", c.name, c.name))
		}
		w.insert = fmt.Sprintf("UPDATE %s SET %s WHERE %s", w.fqtn, strings.Join(sets, ", "), strings.Join(where, " AND "))
	default:
		w.insert = w.insertStmt(nil)
	}
	w.delete = fmt.Sprintf("DELETE FROM %s USING TIMESTAMP ? WHERE %s", w.fqtn, strings.Join(where, " AND "))
	if w.counter {
		// Cassandra refuses a write time on counters.
		w.delete = fmt.Sprintf("DELETE FROM %s WHERE %s", w.fqtn, strings.Join(where, " AND "))
	}
}

// insertStmt is the INSERT of the writer's columns; variant, when not nil,
// says per column how a null tuple is written: 'u' leaves the column out
// (unset), 'n' writes a null literal.
func (w *tableWriter) insertStmt(variant []byte) string {
	var names, marks []string
	for i, c := range w.cols {
		m := marker(c.meta.Type)
		if variant != nil {
			switch variant[i] {
			case 'u':
				continue
			case 'n':
				m = "null"
			}
		}
		names = append(names, c.name)
		marks = append(marks, m)
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) USING TTL ? AND TIMESTAMP ?", w.fqtn, strings.Join(names, ","), strings.Join(marks, ","))
}

// isRetriable reports whether a write failed because Cassandra was
// unavailable or slow, so the same write may succeed later.
func isRetriable(err error) bool {
	if err == nil {
		return false
	}
	var re gocql.RequestError
	if errors.As(err, &re) {
		switch re.Code() {
		case gocql.ErrCodeUnavailable, gocql.ErrCodeWriteTimeout, gocql.ErrCodeOverloaded, gocql.ErrCodeBootstrapping, gocql.ErrCodeServer, gocql.ErrCodeTruncate, gocql.ErrCodeReadTimeout:
			return true
		}
		return false
	}
	return connectionLost(err) || errors.Is(err, gocql.ErrTimeoutNoResponse) || errors.Is(err, context.DeadlineExceeded) ||
		strings.Contains(err.Error(), "no hosts available") || strings.Contains(err.Error(), "connection refused")
}

// replayAppended names the mapped columns that are non-frozen lists: a
// record delivered again (Connect delivers at least once) appends its
// elements a second time there, as with DataStax's sink. Cassandra
// overwrites a list with a tombstone one microsecond before the write, and
// a replay carries the same write time (the record's timestamp), so the
// first delivery's elements survive it.
func (w *tableWriter) replayAppended() []string {
	var out []string
	if w.ts.query != "" || w.counter {
		return nil
	}
	for _, c := range w.cols[w.pkCount:] {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(c.meta.Validator)), "list<") {
			out = append(out, c.name)
		}
	}
	return out
}

// noteFields records whether the mapping selects fields of the key or
// the value.
func (w *tableWriter) noteFields() {
	for i := range w.ts.mapping {
		m := &w.ts.mapping[i]
		if len(m.path) > 0 {
			w.keyFields = w.keyFields || m.src == fromKey
			w.valueFields = w.valueFields || m.src == fromValue
		}
	}
}
