//go:build integration

package cassandra

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/stack"
)

// TestIntegrationCassandraCustomQuery runs the .query setting as DataStax
// documents it: named bind markers filled from the mapping (which names
// markers, not columns), TTL and write time from mapped fields or from
// gonnect's computed :ttl/:timestamp, and UPDATEs that must all run.
func TestIntegrationCassandraCustomQuery(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s, "CREATE TABLE KS.q (k text PRIMARY KEY, v text, n bigint, tags list<text>)")
	when := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	rec := func(topic string, off int64, v map[string]any) connectors.SinkRecord {
		r := jsonRec(topic, off, when, v)
		r.Key.Value = v["id"]
		return r
	}
	type row struct {
		v    string
		n    int64
		tags []string
		ttl  int   // of v; 0 when none
		wt   int64 // writetime of v
	}
	cases := []struct {
		name, query, mapping string
		extra                map[string]string
		recs                 []map[string]any
		key                  string
		check                func(t *testing.T, r row)
	}{{
		name:    "insert with renamed binds",
		query:   "INSERT INTO KS.q (k, v, n) VALUES (:some_key, :some_v, :some_n)",
		mapping: "some_key=key, some_v=value.v, some_n=value.n",
		recs:    []map[string]any{{"id": "renamed", "v": "x", "n": "42"}},
		key:     "renamed",
		check: func(t *testing.T, r row) {
			if r.v != "x" || r.n != 42 || r.ttl != 0 {
				t.Errorf("row = %+v", r)
			}
		},
	}, {
		name:    "ttl and write time mapped from fields",
		query:   "INSERT INTO KS.q (k, v) VALUES (:k, :v) USING TTL :input_ttl AND TIMESTAMP :input_ts",
		mapping: "k=key, v=value.v, input_ttl=value.ttl, input_ts=value.ts",
		recs:    []map[string]any{{"id": "mapped", "v": "y", "ttl": int64(600), "ts": int64(1234567)}},
		key:     "mapped",
		check: func(t *testing.T, r row) {
			if r.v != "y" || r.ttl <= 500 || r.ttl > 600 || r.wt != 1234567 {
				t.Errorf("row = %+v, want ttl near 600 and writetime 1234567", r)
			}
		},
	}, {
		name:    "computed :ttl (static ttl, HOURS) and :timestamp (Kafka timestamp)",
		query:   "INSERT INTO KS.q (k, v) VALUES (:k, :v) USING TTL :ttl AND TIMESTAMP :timestamp",
		mapping: "k=key, v=value.v",
		extra:   map[string]string{"ttl": "2", "ttlTimeUnit": "HOURS"},
		recs:    []map[string]any{{"id": "computed", "v": "z"}},
		key:     "computed",
		check: func(t *testing.T, r row) {
			if r.v != "z" || r.ttl <= 7000 || r.ttl > 7200 || r.wt != when.UnixMicro() {
				t.Errorf("row = %+v, want ttl near 7200 and writetime %d", r, when.UnixMicro())
			}
		},
	}, {
		name:    "update appending to a list runs for every record of a key",
		query:   "UPDATE KS.q SET tags = tags + :more WHERE k = :k",
		mapping: "k=key, more=value.more",
		recs:    []map[string]any{{"id": "appended", "more": []any{"a"}}, {"id": "appended", "more": []any{"b"}}, {"id": "appended", "more": []any{"c"}}},
		key:     "appended",
		check: func(t *testing.T, r row) {
			if strings.Join(r.tags, ",") != "a,b,c" {
				t.Errorf("tags = %v, want a,b,c", r.tags)
			}
		},
	}}
	cfg := map[string]string{}
	var recs []connectors.SinkRecord
	for i, c := range cases {
		topic := fmt.Sprintf("q%d", i)
		prefix := "topic." + topic + "." + ks + ".q."
		cfg[prefix+"query"] = strings.ReplaceAll(c.query, "KS", ks)
		cfg[prefix+"mapping"] = c.mapping
		cfg[prefix+"deletesEnabled"] = "false"
		for k, v := range c.extra {
			cfg[prefix+k] = v
		}
		for j, v := range c.recs {
			recs = append(recs, rec(topic, int64(j), v))
		}
	}
	tc := &fakeCtx{}
	task := startTask(t, cfg, tc)
	if err := task.Put(context.Background(), recs); err != nil || len(tc.errs) > 0 {
		t.Fatal(err, tc.errs)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r row
			var v *string
			var ttl *int
			if err := s.Query("SELECT v, n, tags, ttl(v), writetime(v) FROM "+ks+".q WHERE k = ?", c.key).Scan(&v, &r.n, &r.tags, &ttl, &r.wt); err != nil {
				t.Fatal(err)
			}
			if v != nil {
				r.v = *v
			}
			if ttl != nil {
				r.ttl = *ttl
			}
			c.check(t, r)
		})
	}
}

// TestIntegrationCassandraCustomQueryRefused checks the start-up errors of
// the .query setting.
func TestIntegrationCassandraCustomQueryRefused(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s, "CREATE TABLE KS.q (k text PRIMARY KEY, v text)")
	prefix := "topic.t." + ks + ".q."
	for _, c := range []struct {
		name string
		cfg  map[string]string
		want string
	}{
		{"deletes left enabled", map[string]string{prefix + "query": "INSERT INTO " + ks + ".q (k, v) VALUES (:k, :v)", prefix + "mapping": "k=key, v=value.v"},
			"You cannot provide both " + prefix + "query and " + prefix + "deletesEnabled. If you want to provide own query, set the deletesEnabled to false."},
		{"marker not in the mapping", map[string]string{prefix + "query": "INSERT INTO " + ks + ".q (k, v) VALUES (:k, :other)", prefix + "mapping": "k=key, v=value.v", prefix + "deletesEnabled": "false"},
			"binds :other, which the mapping does not define"},
		{"query that does not prepare", map[string]string{prefix + "query": "INSERT INTO " + ks + ".nope (k) VALUES (:k)", prefix + "mapping": "k=key", prefix + "deletesEnabled": "false"},
			"preparing query"},
	} {
		t.Run(c.name, func(t *testing.T) {
			host := strings.Split(stack.CassandraHosts()[0], ":")
			cfg := map[string]string{"contactPoints": host[0], "port": host[1], "loadBalancing.localDc": "datacenter1"}
			for k, v := range c.cfg {
				cfg[k] = v
			}
			task := &Task{log: testLogger()}
			err := task.Start(context.Background(), cfg, &fakeCtx{})
			if err == nil {
				_ = task.Stop()
				t.Fatal("start succeeded")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

// TestIntegrationCassandraDeletes covers when a record deletes its row:
// a null value (tombstone), DataStax's rule that a record with no non-null
// value for any non-key column deletes the row when the mapping covers the
// whole table, and deletesEnabled=false writing instead.
func TestIntegrationCassandraDeletes(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s, "CREATE TABLE KS.d (g int, id text, v text, n int, PRIMARY KEY ((g), id))")
	keySchema := schemas.NewStruct("Key", false, schemas.Field{Name: "g", Schema: schemas.Int32Schema}, schemas.Field{Name: "id", Schema: schemas.StringSchema})
	valSchema := schemas.NewStruct("Val", false, schemas.Field{Name: "g", Schema: schemas.Int32Schema}, schemas.Field{Name: "id", Schema: schemas.StringSchema},
		schemas.Field{Name: "v", Schema: schemas.OptionalStringSchema}, schemas.Field{Name: "n", Schema: schemas.OptionalInt32Schema})
	key := func(g int32, id string) schemas.SchemaAndValue {
		st := schemas.NewStructValue(keySchema)
		st.Values = []any{g, id}
		return schemas.SchemaAndValue{Schema: keySchema, Value: st}
	}
	val := func(g int32, id string, v, n any) schemas.SchemaAndValue {
		st := schemas.NewStructValue(valSchema)
		st.Values = []any{g, id, v, n}
		return schemas.SchemaAndValue{Schema: valSchema, Value: st}
	}
	full := "g=key.g, id=key.id, v=value.v, n=value.n"
	cases := []struct {
		name     string
		settings map[string]string
		value    schemas.SchemaAndValue
		deleted  bool
		v        *string // expected v when the row stays
	}{
		{name: "tombstone deletes", settings: map[string]string{"mapping": full}, deleted: true},
		// As in the DataStax connector, only a mapping of every column deletes.
		{name: "tombstone keeps the row with a partial mapping", settings: map[string]string{"mapping": "g=key.g, id=key.id, v=value.v"}, v: ptr("old")},
		{name: "all non-key columns null deletes", settings: map[string]string{"mapping": full}, value: val(1, "x", nil, nil), deleted: true},
		{name: "all non-key columns null with nullToUnset=false deletes", settings: map[string]string{"mapping": full, "nullToUnset": "false"}, value: val(1, "x", nil, nil), deleted: true},
		{name: "one non-key value writes", settings: map[string]string{"mapping": full}, value: val(1, "x", nil, int32(7)), v: ptr("old")},
		{name: "all null with a partial mapping writes (unmapped n is kept)", settings: map[string]string{"mapping": "g=key.g, id=key.id, v=value.v"}, value: val(1, "x", nil, nil), v: ptr("old")},
		{name: "deletesEnabled=false: all null writes", settings: map[string]string{"mapping": full, "deletesEnabled": "false"}, value: val(1, "x", nil, nil), v: ptr("old")},
		{name: "deletesEnabled=false: tombstone keeps the row (nullToUnset)", settings: map[string]string{"mapping": full, "deletesEnabled": "false"}, v: ptr("old")},
		// A tombstone has no value fields to bind: they stay unset whatever nullToUnset says.
		{name: "deletesEnabled=false: tombstone keeps the row (nullToUnset=false)", settings: map[string]string{"mapping": full, "deletesEnabled": "false", "nullToUnset": "false"}, v: ptr("old")},
	}
	cfg := map[string]string{}
	for i, c := range cases {
		for k, v := range c.settings {
			cfg[fmt.Sprintf("topic.d%d.%s.d.%s", i, ks, k)] = v
		}
	}
	tc := &fakeCtx{}
	task := startTask(t, cfg, tc)
	old := time.Now().Add(-time.Minute)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := int32(i)
			if err := s.Query("INSERT INTO "+ks+".d (g, id, v, n) VALUES (?, 'x', 'old', 1) USING TIMESTAMP ?", g, old.UnixMicro()).Exec(); err != nil {
				t.Fatal(err)
			}
			value := c.value
			if value.Value != nil {
				value.Value.(*schemas.Struct).Values[0] = g
			}
			r := connectors.SinkRecord{Topic: fmt.Sprintf("d%d", i), Offset: 1, Timestamp: time.Now(), Key: key(g, "x"), Value: value}
			if err := task.Put(context.Background(), []connectors.SinkRecord{r}); err != nil || len(tc.errs) > 0 {
				t.Fatal(err, tc.errs)
			}
			var v *string
			err := s.Query("SELECT v FROM "+ks+".d WHERE g = ? AND id = 'x'", g).Scan(&v)
			if c.deleted {
				if !errors.Is(err, gocql.ErrNotFound) {
					t.Fatalf("row still there (v=%v, err=%v), want it deleted", deref(v), err)
				}
				return
			}
			if err != nil {
				t.Fatalf("row gone: %v", err)
			}
			if deref(v) != *c.v {
				t.Fatalf("v = %q, want %q", deref(v), *c.v)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
