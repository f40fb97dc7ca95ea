//go:build integration

package cassandra

import (
	"context"
	"fmt"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/schemas/converters"
)

// TestIntegrationCassandraFormats writes records decoded by each converter
// (JSON with and without schemas, String, ByteArray) and reads the rows back,
// covering the CQL types the other tests do not: timeuuid, time, duration,
// frozen collections, ascii.
func TestIntegrationCassandraFormats(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s,
		"CREATE TABLE KS.f (k text PRIMARY KEY, tu timeuuid, tm time, du duration, fl frozen<list<int>>, fm frozen<map<text,int>>, a ascii, n bigint, b blob, raw text)")
	tc := &fakeCtx{}
	task := startTask(t, map[string]string{
		"topic.js." + ks + ".f.mapping":  "k=value.k, tu=value.tu, tm=value.tm, du=value.du, fl=value.fl, fm=value.fm, a=value.a, n=value.n",
		"topic.jp." + ks + ".f.mapping":  "k=key, n=value.n, a=value.a",
		"topic.str." + ks + ".f.mapping": "k=key, raw=value",
		"topic.bin." + ks + ".f.mapping": "k=key, b=value",
	}, tc)
	conv := func(class string, schemasEnable string) func([]byte) schemas.SchemaAndValue {
		c, err := converters.FromConfig(map[string]string{"value.converter": class, "value.converter.schemas.enable": schemasEnable}, "value.converter", false)
		if err != nil {
			t.Fatal(err)
		}
		return func(b []byte) schemas.SchemaAndValue {
			sv, err := c.ToConnect("t", b)
			if err != nil {
				t.Fatal(err)
			}
			return sv
		}
	}
	withSchema := conv(converters.JSONClass, "true")
	plain := conv(converters.JSONClass, "false")
	str := conv(converters.StringClass, "")
	bin := conv(converters.ByteArrayClass, "")
	envelope := `{"schema":{"type":"struct","fields":[{"field":"k","type":"string"},{"field":"tu","type":"string"},{"field":"tm","type":"string"},
	  {"field":"du","type":"string"},{"field":"fl","type":"array","items":{"type":"int32"}},
	  {"field":"fm","type":"map","keys":{"type":"string"},"values":{"type":"int32"}},{"field":"a","type":"string"},{"field":"n","type":"int64"}]},
	  "payload":{"k":"js","tu":"50554d6e-29bb-11e5-b345-feff819cdc9f","tm":"13:30:54.234","du":"1h30m","fl":[1,2,3],"fm":{"x":1},"a":"plain","n":42}}`
	var recs []connectors.SinkRecord
	for _, c := range []struct {
		topic, key string
		data       []byte
		dec        func([]byte) schemas.SchemaAndValue
	}{
		{"js", "js", []byte(envelope), withSchema},
		{"jp", "jp", []byte(`{"n":"43","a":"from-json"}`), plain},
		{"str", "str", []byte("hello"), str},
		{"bin", "bin", []byte{0xca, 0xfe}, bin},
	} {
		r := connectors.SinkRecord{Topic: c.topic, Timestamp: time.Now()}
		r.Key.Value = c.key
		r.Value = c.dec(c.data)
		recs = append(recs, r)
	}
	if err := task.Put(context.Background(), recs); err != nil || len(tc.errs) > 0 {
		t.Fatal(err, tc.errs)
	}
	var tu gocql.UUID
	var tm time.Duration
	var du gocql.Duration
	var a string
	var fl []int
	var fm map[string]int
	var n int64
	if err := s.Query("SELECT tu, tm, du, fl, fm, a, n FROM "+ks+".f WHERE k = 'js'").Scan(&tu, &tm, &du, &fl, &fm, &a, &n); err != nil {
		t.Fatal(err)
	}
	if tu.String() != "50554d6e-29bb-11e5-b345-feff819cdc9f" || tm != 13*time.Hour+30*time.Minute+54*time.Second+234*time.Millisecond ||
		du.Nanoseconds != int64(90*time.Minute) || fmt.Sprint(fl) != "[1 2 3]" || fm["x"] != 1 || a != "plain" || n != 42 {
		t.Errorf("js row: %v %v %v %v %v %v %v", tu, tm, du, fl, fm, a, n)
	}
	if err := s.Query("SELECT n, a FROM "+ks+".f WHERE k = 'jp'").Scan(&n, &a); err != nil || n != 43 || a != "from-json" {
		t.Errorf("schemaless JSON row: %d %q %v", n, a, err)
	}
	var raw string
	if err := s.Query("SELECT raw FROM " + ks + ".f WHERE k = 'str'").Scan(&raw); err != nil || raw != "hello" {
		t.Errorf("string row: %q %v", raw, err)
	}
	var b []byte
	if err := s.Query("SELECT b FROM " + ks + ".f WHERE k = 'bin'").Scan(&b); err != nil || fmt.Sprint(b) != "[202 254]" {
		t.Errorf("bytes row: %v %v", b, err)
	}
}
