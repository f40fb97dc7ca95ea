package cassandra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"gopkg.in/inf.v0"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/internal/version"
	"github.com/gonnect/gonnect/schemas"
)

// Task writes records to Cassandra. Put returns once every write of the
// records is acknowledged, so the offsets the worker commits after it are
// of written records only.
type Task struct {
	log       *slog.Logger
	tc        connectors.SinkTaskContext
	session   *gocql.Session
	release   func() // gives the shared session back
	byTopic   map[string][]*tableWriter
	maxInBat  int
	maxBytes  int
	inflight  chan struct{} // request tokens, shared by the connector's tasks
	ignore    string        // none, driver, all
	lastStamp map[connectors.TopicPartition]*int64
	stampTP   connectors.TopicPartition // the partition of stampAt, the last stamped
	stampAt   *int64
	values    schemas.Converter // set when values are bound directly (direct.go)
	arena     directArena       // memory of the current put's direct bindings
	maxCols   int               // columns of the widest table
	backoff   retryBackoff      // between puts failing in a row (retry.go)

	// Written and Failed count records per table, for metrics.
	Written, Failed atomic.Int64
}

// Version implements connectors.SinkTask.
func (t *Task) Version() string { return version.Gonnect }

// Start connects and prepares every table's statements.
func (t *Task) Start(ctx context.Context, cfg map[string]string, tc connectors.SinkTaskContext) error {
	vals, err := configDef.Parse(cfg)
	if err != nil {
		return err
	}
	if err := checkContactPoints(vals); err != nil {
		return err
	}
	if _, err := unsupportedSetting(cfg); err != nil {
		return err
	}
	tables, errs := parseTables(cfg)
	if err := firstError(errs); err != nil {
		return err
	}
	t.tc = tc
	var sm *sinkMetrics
	if ti, ok := tc.(connectors.TaskInstrumentation); ok {
		t.log = ti.Logger()
		sm = newSinkMetrics(ti.Metrics())
	}
	t.maxInBat, t.maxBytes = vals.Int("maxNumberOfRecordsInBatch"), vals.Int("maxBatchSizeBytes")
	t.ignore = ignorePolicy(vals.String("ignoreErrors"))
	if strings.EqualFold(vals.String("ignoreErrors"), "true") {
		t.log.Warn("ignoreErrors=true is deprecated, please replace with ignoreErrors=Driver")
	}
	if _, set := cfg["jmx"]; set && vals.Bool("jmx") {
		t.log.Warn("jmx=true: gonnect has no JMX reporter; the sink's metrics are served by the worker at /metrics (Prometheus)")
	}
	sec, err := securityOf(vals)
	if err != nil {
		return err
	}
	for _, n := range sec.notes {
		t.log.Warn(n)
	}
	if t.session, t.inflight, t.release, err = acquireSession(cfg["name"], vals); err != nil {
		return err
	}
	t.byTopic = map[string][]*tableWriter{}
	for _, ts := range tables {
		w, err := newTableWriter(ctx, t.session, ts)
		if err != nil {
			t.release()
			return fmt.Errorf("checking %s: %w", ts.mappingKey, err)
		}
		w.metrics = sm.table(ts.topic, ts.keyspace, ts.table)
		for _, col := range w.replayAppended() {
			t.log.Warn("column is a non-frozen list: a record delivered again after a failure appends its elements a second time; declare it frozen<list<...>> for writes that replays leave exact",
				"table", ts.keyspace+"."+ts.table, "column", col)
		}
		switch mode := strings.ToLower(vals.String("crossPartitionBatching")); {
		case ts.query != "":
			// A custom query may be conditional (IF ...), and a batch with
			// conditions must stay within one partition.
		case mode == "true":
			w.pack = true
		case mode == "auto":
			var why string
			w.pack, why = everyNodeIsReplica(ctx, t.session, ts.keyspace, vals.String("loadBalancing.localDc"))
			t.log.Info("cross-partition batching", "table", ts.keyspace+"."+ts.table, "enabled", w.pack, "because", why)
		}
		t.byTopic[ts.topic] = append(t.byTopic[ts.topic], w)
		t.maxCols = max(t.maxCols, len(w.cols))
	}
	t.lastStamp = map[connectors.TopicPartition]*int64{}
	return nil
}

// ignorePolicy reads ignoreErrors as the DataStax connector does: None,
// Driver (skip records whose write Cassandra refused) or All (also skip
// records that cannot be mapped); the legacy true is Driver, false None.
func ignorePolicy(v string) string {
	switch strings.ToLower(v) {
	case "all":
		return "all"
	case "driver", "true":
		return "driver"
	}
	return "none"
}

// Open implements connectors.SinkTask.
func (t *Task) Open(context.Context, []connectors.TopicPartition) error { return nil }

// Close forgets the write timestamps of revoked partitions.
func (t *Task) Close(_ context.Context, parts []connectors.TopicPartition) error {
	for _, p := range parts {
		delete(t.lastStamp, p)
	}
	t.stampAt = nil
	return nil
}

// PreCommit implements connectors.SinkTask: Put writes synchronously, so
// everything delivered is written.
func (t *Task) PreCommit(_ context.Context, cur map[connectors.TopicPartition]int64) (map[connectors.TopicPartition]int64, error) {
	return cur, nil
}

// Stop gives the session back (the last task of the connector closes it).
func (t *Task) Stop() error {
	if t.release != nil {
		t.release()
	}
	return nil
}

// op is one statement for one record.
type op struct {
	w    *tableWriter
	stmt string
	args []any
	pk   string
	part string
	size int
	rec  *connectors.SinkRecord
	// What the write does to its row, for dropping writes that later writes
	// of the key hide (packing.go): its write time, whether it is a delete,
	// the columns it sets (of the first 64), and whether it leaves any
	// column unset.
	ts      int64
	del     bool
	set     uint64
	partial bool
}

// stamp is the write time of a record in microseconds: the Kafka timestamp,
// made strictly increasing per partition so that two updates of a key in
// the same millisecond apply in offset order.
func (t *Task) stamp(rec *connectors.SinkRecord) int64 {
	ms := rec.Timestamp.UnixMilli()
	if rec.Timestamp.IsZero() {
		ms = time.Now().UnixMilli()
	}
	// Records of a put come in runs of one partition: look the map up
	// only when the partition changes.
	if t.stampAt == nil || t.stampTP.Partition != rec.Partition || t.stampTP.Topic != rec.Topic {
		t.stampTP = connectors.TopicPartition{Topic: rec.Topic, Partition: rec.Partition}
		if t.stampAt = t.lastStamp[t.stampTP]; t.stampAt == nil {
			t.stampAt = new(int64)
			t.lastStamp[t.stampTP] = t.stampAt
		}
	}
	us := max(ms*1000, *t.stampAt+1)
	*t.stampAt = us
	return us
}

// RecordError names the record, table and column of a failure.
type RecordError struct {
	Topic     string
	Partition int32
	Offset    int64
	Table     string
	Column    string
	Err       error
}

func (e *RecordError) Error() string {
	col := ""
	if e.Column != "" {
		col = " column " + e.Column
	}
	if e.Table == "" {
		return fmt.Sprintf("record %s-%d@%d: %v", e.Topic, e.Partition, e.Offset, e.Err)
	}
	return fmt.Sprintf("record %s-%d@%d, table %s%s: %v", e.Topic, e.Partition, e.Offset, e.Table, col, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// unbound is a mapped value the record does not bind (a field of a null
// or primitive value): its column is left unset.
var unbound any = struct{ unbound bool }{true}

// fieldNumber reads a TTL or write time field, which must be a number.
func fieldNumber(v any, expr, use string) (int64, error) {
	switch x := v.(type) {
	case float32, float64, json.Number:
		// As Java's Number.longValue(): a fraction is dropped.
		f, err := toFloat(x)
		if err != nil {
			return 0, argumentError(fmt.Errorf("the value %v of field %s used as a %s: %w", v, expr, use, err))
		}
		if i, err := toInt64(x); err == nil {
			return i, nil
		}
		return int64(f), nil
	case int8, int16, int32, int64, int, time.Time:
		n, err := toInt64(v)
		if err != nil {
			return 0, argumentError(fmt.Errorf("the value %v of field %s used as a %s: %w", v, expr, use, err))
		}
		return n, nil
	}
	shown := v
	if v == nil {
		shown = "null"
	}
	return 0, argumentError(fmt.Errorf("The value: %v for field: %s used as a %s is not a Number but should be.", shown, expr, use))
}

// withJSONText returns rec, or a copy whose text key or value holding a
// JSON object is parsed, when the mapping selects fields of it.
func (w *tableWriter) withJSONText(rec *connectors.SinkRecord) *connectors.SinkRecord {
	var k, v any
	pk, pv := false, false
	if w.keyFields {
		k, pk = parseJSONText(rec.Key.Value)
	}
	if w.valueFields {
		v, pv = parseJSONText(rec.Value.Value)
	}
	if !pk && !pv {
		return rec
	}
	cp := *rec
	if pk {
		cp.Key.Value = k
	}
	if pv {
		cp.Value.Value = v
	}
	return &cp
}

// isMissing reports a mapping that names nothing in the record.
func isMissing(err error) bool {
	if err == nil {
		return false
	}
	var missing *errMissing
	return errors.As(err, &missing)
}

// appendKey appends a primary-key value and a separator: the key only
// groups and deduplicates writes, so any unambiguous text will do.
func appendKey(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		b = append(b, x...)
	case int64:
		b = strconv.AppendInt(b, x, 10)
	case int32:
		b = strconv.AppendInt(b, int64(x), 10)
	case time.Time:
		b = strconv.AppendInt(b, x.UnixNano(), 10)
	case gocql.UUID:
		b = append(b, x[:]...)
	case *inf.Dec:
		// Not its plain text, which a scale such as -999999999 would
		// expand to a billion digits; distinct decimals stay distinct.
		b = append(append(x.UnscaledBig().Append(b, 10), 'E'), strconv.FormatInt(-int64(x.Scale()), 10)...)
	default:
		b = fmt.Append(b, v)
	}
	return append(b, 0)
}

func (w *tableWriter) bind(t *Task, rec *connectors.SinkRecord, now time.Time) (op, error) {
	fail := func(col string, err error) (op, error) {
		return op{}, &RecordError{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset, Table: w.ts.keyspace + "." + w.ts.table, Column: col, Err: err}
	}
	src := w.withJSONText(rec)
	for _, side := range []struct {
		what   string
		fields bool
		v      any
	}{{"key", w.keyFields, src.Key.Value}, {"value", w.valueFields, src.Value.Value}} {
		if !side.fields {
			continue
		}
		if err := brokenJSONText(side.v); err != nil {
			return fail("", argumentError(fmt.Errorf("the record %s is text that opens as a JSON object but is not valid JSON: %w", side.what, err)))
		}
	}
	ts := t.stamp(rec)
	vals := make([]any, len(w.cols), len(w.cols)+2) // room for the TTL and timestamp
	// Every mapped value first: as in the DataStax connector, a field the
	// record lacks fails it before anything else, and whether it is a
	// delete depends on all of them.
	nonNull := 0 // non-key values, TTL and write time included
	for i, c := range w.cols {
		v, err := c.mapping.extract(src, now)
		switch {
		case err == nil:
			// now() is no value of the record: it does not make it a write.
			if v != nil && i >= w.pkCount && c.mapping.src != fromNow {
				nonNull++
			}
		case err == errUnbound:
			v = unbound
		case isMissing(err):
			return fail(c.meta.Name, missingField(c.mapping.expr, c.name))
		default:
			return fail(c.meta.Name, argumentError(err))
		}
		vals[i] = v
	}
	ttlRaw, tsRaw := unbound, unbound
	if w.ttlMap != nil {
		v, err := w.ttlMap.extract(src, now)
		switch {
		case err == errUnbound:
		case isMissing(err):
			return fail(ttlColumn, missingField(w.ttlMap.expr, "message_internal_ttl"))
		case err != nil:
			return fail(ttlColumn, argumentError(err))
		default:
			ttlRaw = v
			if v != nil {
				nonNull++
			}
		}
	}
	if w.tsMap != nil {
		// A missing write time field is not an error: the record's own
		// timestamp is used, as in the DataStax connector.
		v, err := w.tsMap.extract(src, now)
		switch {
		case err == errUnbound || isMissing(err):
		case err != nil:
			return fail(timestampColumn, argumentError(err))
		default:
			tsRaw = v
			if v != nil {
				nonNull++
			}
		}
	}
	isDelete := w.deletable && nonNull == 0
	var keyBuf [128]byte
	pk := keyBuf[:0]
	partLen := 0
	size := 64
	var set uint64
	partial := false
	var unmapped []string // primary key columns with no value
	for i, c := range w.cols {
		if isDelete && i >= w.pkCount {
			break
		}
		v := vals[i]
		var cv any
		if v == unbound {
			if i < w.pkCount {
				unmapped = append(unmapped, c.name)
			}
			cv = gocql.UnsetValue
		} else if c.mapping.src == fromNow {
			u, err := nowValue(c.meta.Type)
			if err != nil {
				return fail(c.meta.Name, err)
			}
			cv = u
		} else {
			var err error
			if w.ts.codec != nil {
				if v, err = w.ts.codec.apply(c.meta.Type, v); err != nil {
					return fail(c.meta.Name, argumentError(err))
				}
			}
			if cv, err = toCQL(c.meta.Type, v); err != nil {
				return fail(c.meta.Name, argumentError(fmt.Errorf("converting %s (%T): %w", c.mapping.expr, v, err)))
			}
			if cv == nil || emptyValue(c.meta.Type, cv) {
				if i < w.pkCount {
					return fail(c.meta.Name, configError("Primary key column %s cannot be mapped to null. Check that your mapping setting matches your dataset contents.", c.name))
				}
				if w.ts.nullToUnset {
					cv = gocql.UnsetValue
				}
			}
		}
		if cv == any(gocql.UnsetValue) {
			partial = true
		} else if i < 64 {
			set |= 1 << i
		}
		if i < w.pkCount {
			// Partition-key columns come first, so the partition key is a
			// prefix of the primary key.
			pk = appendKey(pk, cv)
			if i < w.partCount {
				partLen = len(pk)
			}
		}
		if s, ok := cv.(string); ok {
			size += len(s)
		} else {
			size += 16
		}
		vals[i] = wrapCollection(c.meta.Type, cv)
	}
	if len(unmapped) > 0 {
		return fail(unmapped[0], configError("Primary key column(s) %s cannot be left unmapped. Check that your mapping setting matches your dataset contents.", strings.Join(unmapped, ", ")))
	}
	pks := string(pk)
	o := op{w: w, pk: pks, part: pks[:partLen], size: size, rec: rec, ts: ts, set: set, partial: partial}
	if isDelete {
		o.del = true
		o.stmt = w.delete
		if w.counter {
			o.args = append([]any{}, vals[:w.pkCount]...)
		} else {
			o.args = append([]any{ts}, vals[:w.pkCount]...)
		}
		to, err := w.withTuples(o, true)
		if err != nil {
			return fail("", err)
		}
		return to, nil
	}
	if tsRaw != unbound {
		n, err := fieldNumber(tsRaw, w.tsMap.expr, "Timestamp")
		if err != nil {
			return fail(timestampColumn, err)
		}
		ts = int64(time.Duration(n) * w.ts.timestampUnit / time.Microsecond)
		o.ts = ts
	}
	// No TTL (ttl -1, no __ttl mapping, or a __ttl the record does not
	// bind) leaves the TTL unset, so the table's default_time_to_live
	// applies, as with the DataStax connector's statement without TTL;
	// a negative __ttl is 0: no TTL at all.
	ttl := int64(-1)
	switch {
	case ttlRaw != unbound:
		n, err := fieldNumber(ttlRaw, w.ttlMap.expr, "TTL")
		if err != nil {
			return fail(ttlColumn, err)
		}
		ttl = max(int64(time.Duration(n)*w.ts.ttlUnit/time.Second), 0)
	case w.ttlMap == nil && w.ts.ttl >= 0:
		ttl = w.ts.ttl * int64(w.ts.ttlUnit/time.Second)
	}
	var ttlArg any = gocql.UnsetValue
	if ttl >= 0 {
		ttlArg = ttl
	}
	switch {
	case w.ts.query != "":
		args, part, size, col, err := w.queryArgs(src, now, max(ttl, 0), ts)
		if err != nil {
			return fail(col, err)
		}
		o.args, o.part, o.pk, o.size, o.stmt = args, part, part, size, w.insert
	case w.counter:
		o.args = append(append([]any{}, vals[w.pkCount:]...), vals[:w.pkCount]...)
		o.stmt = w.insert
	default:
		o.args = append(vals, ttlArg, ts)
		o.stmt = w.insert
	}
	to, err := w.withTuples(o, false)
	if err != nil {
		return fail("", err)
	}
	return to, nil
}

// mappingFailure applies ignoreErrors and errors.tolerance to a record
// that could not be mapped; a nil return means the record is accounted for.
func (t *Task) mappingFailure(ctx context.Context, rec *connectors.SinkRecord, err error) error {
	t.Failed.Add(1)
	if t.ignore == "all" {
		t.log.Warn("skipping record that cannot be mapped (ignoreErrors=All)", "error", err)
		return nil
	}
	if r := t.reporter(); r != nil {
		return r.Report(ctx, *rec, err)
	}
	return err
}

// bindAllDirect binds a record the worker left undecoded to every table
// directly, appending to ops; false when a table has no plan for its writer
// schema or the record does not bind (ops is then to be used unchanged).
func (t *Task) bindAllDirect(rec *connectors.SinkRecord, ws []*tableWriter, ops []op) ([]op, bool) {
	for _, w := range ws {
		p := w.planFor(rec.ValueWriter)
		if p == nil {
			return nil, false
		}
		o, ok := w.bindDirect(t, p, rec)
		if !ok {
			return nil, false
		}
		ops = append(ops, o)
	}
	return ops, true
}

// decodeValue converts the value of a record the worker left undecoded.
func (t *Task) decodeValue(rec *connectors.SinkRecord) error {
	var err error
	rec.Value, err = t.values.ToConnect(rec.Topic, rec.Raw.Value)
	rec.ValueWriter = nil
	return err
}

// conversionFailure reports a value the converter could not read, as the
// worker would have had it converted the record.
func (t *Task) conversionFailure(ctx context.Context, rec *connectors.SinkRecord, err error) error {
	cerr := &connectors.ConversionError{Err: err}
	if r := t.reporter(); r != nil {
		return r.Report(ctx, *rec, cerr)
	}
	return cerr
}

func (t *Task) reporter() connectors.ErrantRecordReporter {
	if t.tc == nil {
		return nil
	}
	return t.tc.Reporter()
}

// Put maps, batches and writes records, and returns once Cassandra
// acknowledged every write (or the failures were tolerated).
func (t *Task) Put(ctx context.Context, records []connectors.SinkRecord) error {
	now := time.Now().UTC()
	// The last put's writes are done; a fresh arena keeps them apart.
	t.arena = newDirectArena(len(records), t.maxCols)
	ops := make([]op, 0, len(records))
	for i := range records {
		rec := &records[i]
		ws := t.byTopic[rec.Topic]
		if rec.ValueWriter != nil {
			if len(ws) > 0 {
				if bound, ok := t.bindAllDirect(rec, ws, ops); ok {
					ops = bound
					continue
				}
			}
			// The general path; a value that does not decode is the
			// converter's failure, before any mapping.
			if err := t.decodeValue(rec); err != nil {
				if ferr := t.conversionFailure(ctx, rec, err); ferr != nil {
					return ferr
				}
				continue
			}
		}
		if len(ws) == 0 {
			rerr := &RecordError{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset, Err: configError("Topic %s is not configured", rec.Topic)}
			if err := t.mappingFailure(ctx, rec, rerr); err != nil {
				return err
			}
			continue
		}
		for _, w := range ws {
			o, err := w.bind(t, rec, now)
			if err != nil {
				if ferr := t.mappingFailure(ctx, rec, err); ferr != nil {
					return ferr
				}
				continue
			}
			ops = append(ops, o)
		}
	}
	return t.write(ctx, ops)
}

type batch struct {
	ops   []op
	size  int
	parts int // partitions in the batch
}

// failedWrite is a record whose write Cassandra refused on its own.
type failedWrite struct {
	o   *op
	err error
}

func (t *Task) write(ctx context.Context, ops []op) error {
	all := batches(ops, t.maxInBat, t.maxBytes)
	fails := make([][]failedWrite, len(all))
	errs := make([]error, len(all))
	sem := t.inflight
	var wg sync.WaitGroup
	for i, b := range all {
		// The tokens are the connector's: another task may hold them all.
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return connectors.Retriable(fmt.Errorf("waiting to write: %w", ctx.Err()))
		}
		wg.Add(1)
		go func(i int, b *batch) {
			defer func() { <-sem; wg.Done() }()
			fails[i], errs[i] = t.execSplitting(ctx, b.ops)
		}(i, b)
	}
	wg.Wait()
	// A put to be retried reports nothing yet: its records come again,
	// after the backoff.
	for i, err := range errs {
		if err != nil {
			wait := t.backoff.next()
			if t.tc != nil {
				t.tc.Timeout(wait)
			}
			return connectors.Retriable(fmt.Errorf("writing to table %s.%s (put retried in %s): %w", all[i].ops[0].w.ts.keyspace, all[i].ops[0].w.ts.table,
				wait.Round(time.Millisecond), err))
		}
	}
	t.backoff.reset()
	for i := range all {
		table := all[i].ops[0].w.ts.keyspace + "." + all[i].ops[0].w.ts.table
		t.Written.Add(int64(len(all[i].ops) - len(fails[i])))
		all[i].ops[0].w.metrics.outcome(len(all[i].ops), len(fails[i]))
		for _, f := range fails[i] {
			o := f.o
			rerr := &RecordError{Topic: o.rec.Topic, Partition: o.rec.Partition, Offset: o.rec.Offset, Table: table, Err: f.err}
			t.Failed.Add(1)
			if t.ignore != "none" {
				t.log.Warn("skipping record whose write failed (ignoreErrors)", "error", rerr)
				continue
			}
			if r := t.reporter(); r != nil {
				if ferr := r.Report(ctx, *o.rec, rerr); ferr != nil {
					return ferr
				}
				continue
			}
			return rerr
		}
	}
	return nil
}

// execSplitting writes ops as one request; when Cassandra refuses a batch
// for what one of its statements holds (an invalid value, an empty key),
// it writes the halves on their own, down to single records, so only the
// records that fail on their own are reported, each with its own error. A
// failure that may pass if retried (timeouts, unavailable) is returned as
// is: the put is retried whole.
func (t *Task) execSplitting(ctx context.Context, ops []op) ([]failedWrite, error) {
	err := t.exec(ctx, ops)
	switch {
	case err == nil:
		return nil, nil
	case isRetriable(err) || ctx.Err() != nil:
		return nil, err
	case len(ops) == 1:
		return []failedWrite{{&ops[0], err}}, nil
	}
	h := len(ops) / 2
	f1, err := t.execSplitting(ctx, ops[:h])
	if err != nil {
		return nil, err
	}
	f2, err := t.execSplitting(ctx, ops[h:])
	if err != nil {
		return nil, err
	}
	return append(f1, f2...), nil
}

func (t *Task) exec(ctx context.Context, ops []op) error {
	began := time.Now()
	err := t.execRequest(ctx, ops)
	ops[0].w.metrics.request(ops, time.Since(began))
	return err
}

func (t *Task) execRequest(ctx context.Context, ops []op) error {
	cl := ops[0].w.ts.consistency
	if len(ops) == 1 {
		o := ops[0]
		return t.session.Query(o.stmt, o.args...).Consistency(cl).Idempotent(!o.w.counter).ExecContext(ctx)
	}
	kind := gocql.UnloggedBatch
	if ops[0].w.counter {
		kind = gocql.CounterBatch // Cassandra refuses counter updates in other batches
	}
	bt := t.session.Batch(kind).Consistency(cl)
	// A batch is idempotent, so retried by the driver, when its statements
	// are: all but counter updates (custom queries are marked as the
	// single statements are).
	for _, o := range ops {
		bt.Entries = append(bt.Entries, gocql.BatchEntry{Stmt: o.stmt, Args: o.args, Idempotent: !o.w.counter})
	}
	return bt.ExecContext(ctx)
}
