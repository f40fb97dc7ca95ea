//go:build integration

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gonnect/gonnect/connectors/transforms"
	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/stack"
)

// transformInput reaches the edge cases of the chains below: numbers at
// their type limits, floats in both of Java's notations, booleans in any
// case, non-ASCII text, and timestamps before and after the epoch and
// across time zones.
var transformInput = []string{
	"0", "-1", "127", "128", "-129", "32767", "2147483647", "2147483648", "-9223372036854775808", "9223372036854775807",
	"1e10", "1.5", "-0.0", "0.001", "0.0001", "12345678.9", "3.4028235E38", "1.7976931348623157E308", "4.9E-324", "NaN",
	"true", "TRUE", "False", "abc", "ünïcødé ✓ 日本", " 42 ", "0x10",
	"2024-02-29 13:04:05.006", "1970-01-01 00:00:00.000", "1969-12-31 23:59:59.999", "2000-01-01 00:00:00.000",
	"2024-03-10T02:30:00+05:30", "2024-11-03T01:30:00-08:00", "1999-12-31T23:59:59Z",
}

const smt = "org.apache.kafka.connect.transforms."

// transformChains are run by the reference Connect (on a FileStreamSource
// reading transformInput) and by gonnect's transforms in-process; every
// chain starts from the source's STRING value and, hoisted into a struct,
// reaches the struct paths too.
var transformChains = map[string]map[string]string{
	"cast-int": {
		"transforms": "h,c8,c16", "transforms.h.type": smt + "HoistField$Value", "transforms.h.field": "s",
		"transforms.c8.type": smt + "Cast$Value", "transforms.c8.spec": "s:int64",
		"transforms.c16.type": smt + "Cast$Value", "transforms.c16.spec": "s:int16",
	},
	"cast-float-string": {
		"transforms": "f,s", "transforms.f.type": smt + "Cast$Value", "transforms.f.spec": "float64",
		"transforms.s.type": smt + "Cast$Value", "transforms.s.spec": "string",
	},
	"cast-float32-fields": {
		"transforms": "h,f,i,s", "transforms.h.type": smt + "HoistField$Value", "transforms.h.field": "v",
		"transforms.f.type": smt + "Cast$Value", "transforms.f.spec": "v:float32",
		"transforms.i.type": smt + "Cast$Value", "transforms.i.spec": "v:int32",
		"transforms.s.type": smt + "Cast$Value", "transforms.s.spec": "v:string",
	},
	"cast-bool": {
		"transforms": "h,b", "transforms.h.type": smt + "HoistField$Value", "transforms.h.field": "b",
		"transforms.b.type": smt + "Cast$Value", "transforms.b.spec": "b:boolean",
	},
	"timestamp-unix": {
		"transforms": "h,t", "transforms.h.type": smt + "HoistField$Value", "transforms.h.field": "ts",
		"transforms.t.type": smt + "TimestampConverter$Value", "transforms.t.field": "ts", "transforms.t.target.type": "unix",
		"transforms.t.format": "yyyy-MM-dd HH:mm:ss.SSS", "transforms.t.unix.precision": "seconds",
	},
	"timestamp-zones": {
		"transforms": "t,d,s", "transforms.t.type": smt + "TimestampConverter$Value", "transforms.t.target.type": "Timestamp",
		"transforms.t.format": "yyyy-MM-dd'T'HH:mm:ssXXX",
		"transforms.d.type":   smt + "TimestampConverter$Value", "transforms.d.target.type": "unix", "transforms.d.unix.precision": "microseconds",
		"transforms.s.type": smt + "Cast$Value", "transforms.s.spec": "string",
	},
	"timestamp-strings": {
		"transforms": "t,s", "transforms.t.type": smt + "TimestampConverter$Value", "transforms.t.target.type": "Timestamp",
		"transforms.t.format": "yyyy-MM-dd HH:mm:ss.SSS",
		"transforms.s.type":   smt + "TimestampConverter$Value", "transforms.s.target.type": "string",
		"transforms.s.format": "EEE, d MMM yy hh:mm:ss.S a z (D) 'x''y'",
	},
	"timestamp-date-time": {
		"transforms": "h,t,c,d", "transforms.h.type": smt + "HoistField$Value", "transforms.h.field": "a",
		"transforms.t.type": smt + "TimestampConverter$Value", "transforms.t.field": "a", "transforms.t.target.type": "Time",
		"transforms.t.format": "yyyy-MM-dd HH:mm:ss.SSS",
		"transforms.c.type":   smt + "Cast$Value", "transforms.c.spec": "a:int64",
		"transforms.d.type": smt + "InsertField$Value", "transforms.d.static.field": "k!", "transforms.d.static.value": "é",
	},
	"structure": {
		"transforms":         "h1,h2,fl,ins,ren,vtk,ex,meta,hdr,from,drop,mask",
		"transforms.h1.type": smt + "HoistField$Value", "transforms.h1.field": "s",
		"transforms.h2.type": smt + "HoistField$Value", "transforms.h2.field": "outer",
		"transforms.fl.type": smt + "Flatten$Value", "transforms.fl.delimiter": "__",
		"transforms.ins.type": smt + "InsertField$Value", "transforms.ins.topic.field": "topic!", "transforms.ins.partition.field": "p",
		"transforms.ins.timestamp.field": "ts", "transforms.ins.static.field": "st?", "transforms.ins.static.value": "v",
		"transforms.ren.type": smt + "ReplaceField$Value", "transforms.ren.renames": "outer__s:line", "transforms.ren.exclude": "p",
		"transforms.vtk.type": smt + "ValueToKey", "transforms.vtk.fields": "line,st",
		"transforms.ex.type": smt + "ExtractField$Key", "transforms.ex.field": "line",
		"transforms.meta.type": smt + "SetSchemaMetadata$Value", "transforms.meta.schema.name": "my.Rec", "transforms.meta.schema.version": "2",
		"transforms.hdr.type": smt + "InsertHeader", "transforms.hdr.header": "n", "transforms.hdr.value.literal": "300",
		"transforms.from.type": smt + "HeaderFrom$Value", "transforms.from.fields": "line,topic", "transforms.from.headers": "l,t", "transforms.from.operation": "copy",
		"transforms.drop.type": smt + "DropHeaders", "transforms.drop.headers": "t",
		"transforms.mask.type": smt + "MaskField$Value", "transforms.mask.fields": "topic",
	},
	"mask-replacement": {
		"transforms": "h,c,m", "transforms.h.type": smt + "HoistField$Value", "transforms.h.field": "n",
		"transforms.c.type": smt + "Cast$Value", "transforms.c.spec": "n:int32",
		"transforms.m.type": smt + "MaskField$Value", "transforms.m.fields": "n", "transforms.m.replacement": "-77",
	},
	"route-predicates": {
		"transforms": "r,skip,keep,hk", "predicates": "isIn,tomb,hasN",
		"predicates.isIn.type": smt + "predicates.TopicNameMatches", "predicates.isIn.pattern": "smt-.*-in",
		"predicates.tomb.type": smt + "predicates.RecordIsTombstone",
		"predicates.hasN.type": smt + "predicates.HasHeaderKey", "predicates.hasN.name": "n",
		"transforms.r.type": smt + "RegexRouter", "transforms.r.regex": "smt-(\\d+)-(.*)-in", "transforms.r.replacement": "smt-$1-$2-out",
		"transforms.r.predicate": "isIn",
		"transforms.skip.type":   smt + "Filter", "transforms.skip.predicate": "tomb",
		"transforms.keep.type": smt + "Filter", "transforms.keep.predicate": "hasN",
		"transforms.hk.type": smt + "InsertHeader", "transforms.hk.header": "n", "transforms.hk.value.literal": "[1, 2]",
	},
}

type producedRecord struct {
	Topic     string
	Key       any // decoded JSON: objects compare by content, arrays (schema fields) by order
	Value     any
	Headers   string
	timestamp time.Time
}

// writeTransformInput writes the edge-case input lines to a file both
// runtimes' FileStreamSource can read, and returns its path.
func writeTransformInput(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(dir, "input.txt")
	if err := os.WriteFile(input, []byte(strings.Join(transformInput, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return input
}

func TestIntegrationTransformsMatchApacheConnect(t *testing.T) {
	stack.RequireReferenceConnect(t)
	ref := stack.ReferenceConnectURL()
	input := writeTransformInput(t)
	run := rand.Uint32() % 1000000
	for name, chain := range transformChains {
		t.Run(name, func(t *testing.T) {
			base := fmt.Sprintf("smt-%d-%s", run, name)
			inTopic := base + "-in"
			cfg := map[string]string{
				"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max": "1",
				"file": input, "topic": inTopic,
				"key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "true",
				"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "true",
				"errors.tolerance": "all",
			}
			for k, v := range chain {
				cfg[k] = v
			}
			c, err := transforms.NewChain(chain)
			if err != nil {
				t.Fatalf("chain: %v", err)
			}
			code, body, _ := do("PUT", ref+"/connectors/"+base+"/config", cfg)
			if code/100 != 2 {
				t.Fatalf("create %s: %d %s", base, code, body)
			}
			t.Cleanup(func() { do("DELETE", ref+"/connectors/"+base, nil) })
			got := consumeAll(t, []string{inTopic, strings.Replace(inTopic, "-in", "-out", 1)})
			// Walk the input as FileStreamSource does; a record the chain
			// keeps must be the next one the reference produced. The source
			// stamps records with the time it read them, so the expected
			// record takes the reference record's timestamp.
			next, diffs := 0, 0
			for _, line := range transformInput {
				ts := time.Now()
				if next < len(got) {
					ts = got[next].timestamp
				}
				want, keep := expectedRecord(t, c, inTopic, line, ts)
				if !keep {
					continue
				}
				if next >= len(got) {
					t.Errorf("input %q: gonnect produces %+v, the reference nothing more", line, want)
					diffs++
					continue
				}
				if !reflect.DeepEqual(want, got[next]) {
					diffs++
					if diffs <= 5 {
						t.Errorf("input %q:\n reference %s\n gonnect   %s", line, show(got[next]), show(want))
					}
				}
				next++
			}
			if next != len(got) {
				t.Errorf("the reference produced %d records, gonnect's chain %d", len(got), next)
			}
			if diffs > 0 {
				t.Errorf("%d of %d records differ", diffs, len(got))
			}
		})
	}
}

func show(r producedRecord) string {
	k, _ := json.Marshal(r.Key)
	v, _ := json.Marshal(r.Value)
	return fmt.Sprintf("topic=%s key=%s value=%s headers=%s", r.Topic, k, v, r.Headers)
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	if b == nil {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

// expectedRecord applies the chain in-process to what FileStreamSource
// makes of an input line and encodes the result as the reference worker's
// converters would; keep is false when the chain drops the record or fails
// on it (errors.tolerance=all skips it).
func expectedRecord(t *testing.T, c *transforms.Chain, topic, line string, ts time.Time) (producedRecord, bool) {
	t.Helper()
	conv := &converters.JSONConverter{}
	if err := conv.Configure(map[string]string{"schemas.enable": "true"}, false); err != nil {
		t.Fatal(err)
	}
	hc := &converters.SimpleHeaderConverter{}
	r := transforms.Record{Topic: topic, Value: schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: line}, Timestamp: ts}
	r, keep, err := c.Apply(r)
	if err != nil || !keep {
		return producedRecord{}, false
	}
	k, err := conv.FromConnect(r.Topic, r.Key.Schema, r.Key.Value)
	if err != nil {
		t.Fatalf("encode key of %q: %v", line, err)
	}
	v, err := conv.FromConnect(r.Topic, r.Value.Schema, r.Value.Value)
	if err != nil {
		t.Fatalf("encode value of %q: %v", line, err)
	}
	var hs []string
	for _, h := range r.Headers {
		b, err := hc.FromConnect(r.Topic, h.Schema, h.Value)
		if err != nil {
			t.Fatalf("encode header of %q: %v", line, err)
		}
		hs = append(hs, h.Key+"="+string(b))
	}
	return producedRecord{Topic: r.Topic, Key: decodeJSON(t, k), Value: decodeJSON(t, v), Headers: strings.Join(hs, ";"), timestamp: ts}, true
}

// consumeAll reads the topics until no record arrived for a while.
func consumeAll(t *testing.T, topics []string) []producedRecord {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(stack.KafkaBootstrap()), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var got []producedRecord
	deadline := time.Now().Add(60 * time.Second)
	last := time.Now()
	for time.Now().Before(deadline) && (len(got) == 0 || time.Since(last) < 5*time.Second) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			var hs []string
			for _, h := range r.Headers {
				hs = append(hs, h.Key+"="+string(h.Value))
			}
			got = append(got, producedRecord{Topic: r.Topic, Key: decodeJSON(t, r.Key), Value: decodeJSON(t, r.Value), Headers: strings.Join(hs, ";"), timestamp: r.Timestamp})
			last = time.Now()
		})
	}
	return got
}

// TestIntegrationTransformsRuntimeMatchesApacheConnect runs the chains in
// gonnect's own worker (a FileStreamSource task, transformations before
// conversion) and in the reference worker, and compares what both produce,
// and what both answer to validating transformation settings.
func TestIntegrationTransformsRuntimeMatchesApacheConnect(t *testing.T) {
	stack.RequireReferenceConnect(t)
	ref := stack.ReferenceConnectURL()
	g := newCluster(t, nil).start()
	input := writeTransformInput(t)
	dir := filepath.Dir(input)
	run := rand.Uint32() % 1000000
	for name, chain := range transformChains {
		t.Run(name, func(t *testing.T) {
			// gonnect's source runner fails its task on a failing
			// transformation (no errors.tolerance there yet), so both
			// runtimes read only the lines the chain accepts.
			c, err := transforms.NewChain(chain)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, l := range transformInput {
				if _, _, err := c.Apply(transforms.Record{Topic: "x", Value: schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: l}, Timestamp: time.Now()}); err == nil {
					lines = append(lines, l)
				}
			}
			input := filepath.Join(dir, name+".txt")
			if err := os.WriteFile(input, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			var results [2][]producedRecord
			for i, rt := range []string{ref, g.url()} {
				base := fmt.Sprintf("smt-%d-%s-%d", run, name, i)
				cfg := map[string]string{
					"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max": "1",
					"file": input, "topic": base + "-in",
					"key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "true",
					"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "true",
				}
				for k, v := range chain {
					cfg[k] = v
				}
				code, body, _ := do("PUT", rt+"/connectors/"+base+"/config", cfg)
				if code/100 != 2 {
					t.Fatalf("create %s on %s: %d %s", base, rt, code, body)
				}
				rt := rt
				t.Cleanup(func() { do("DELETE", rt+"/connectors/"+base, nil) })
				got := consumeAll(t, []string{base + "-in", base + "-out"})
				for j := range got {
					got[j].Topic = strings.Replace(got[j].Topic, base, "BASE", 1)
					got[j].timestamp = time.Time{}
					if v, ok := got[j].Value.(map[string]any); ok {
						if p, ok := v["payload"].(map[string]any); ok {
							delete(p, "ts") // stamped with the time each source read the line
						}
					}
				}
				results[i] = got
			}
			if len(results[0]) != len(lines) || len(results[0]) != len(results[1]) {
				t.Fatalf("from %d lines the reference produced %d records, gonnect %d", len(lines), len(results[0]), len(results[1]))
			}
			for j := range results[0] {
				if !reflect.DeepEqual(results[0][j], results[1][j]) {
					t.Errorf("record %d:\n reference %s\n gonnect   %s", j, show(results[0][j]), show(results[1][j]))
				}
			}
		})
	}
	t.Run("validate", func(t *testing.T) {
		n := 0
		base := map[string]string{"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "name": fmt.Sprintf("smt-%d-v", run), "topic": "x", "file": input}
		for _, extra := range []map[string]string{
			transformChains["structure"],
			transformChains["route-predicates"],
			{"transforms": "a,b", "transforms.a.type": "com.example.Nope", "transforms.b.type": smt + "Cast$Value", "transforms.b.spec": "x:map"},
			{"transforms": "a", "transforms.a.type": smt + "RegexRouter", "transforms.a.regex": "x", "transforms.a.replacement": "y", "transforms.a.negate": "true"},
			{"transforms": "a", "transforms.a.type": smt + "Filter", "transforms.a.plugin.version": "[1.0,2.0)"},
			{"transforms": "a,a", "transforms.a.type": smt + "Filter", "predicates": "p", "predicates.p.type": smt + "predicates.TopicNameMatches", "predicates.p.pattern": ""},
			{"transforms": "m", "transforms.m.type": smt + "MaskField$Value", "transforms.m.fields": "", "transforms.m.replacement": ""},
		} {
			n++
			cfg := map[string]string{}
			for k, v := range base {
				cfg[k] = v
			}
			for k, v := range extra {
				cfg[k] = v
			}
			var answers [2]any
			for i, rt := range []string{ref, g.url()} {
				code, body, _ := do("PUT", rt+"/connector-plugins/FileStreamSource/config/validate", cfg)
				if code != 200 {
					t.Fatalf("validate on %s: %d %s", rt, code, body)
				}
				answers[i] = transformInfos(t, body)
			}
			if !reflect.DeepEqual(answers[0], answers[1]) {
				a, _ := json.Marshal(answers[0])
				b, _ := json.Marshal(answers[1])
				t.Errorf("validate %v:\n reference %s\n gonnect   %s", extra, a, b)
				_ = os.WriteFile(fmt.Sprintf("%s/smt-validate-%d-ref.json", os.TempDir(), n), a, 0o644)
				_ = os.WriteFile(fmt.Sprintf("%s/smt-validate-%d-gonnect.json", os.TempDir(), n), b, 0o644)
			}
		}
	})
}

// transformInfos keeps the groups, the error count and the configs of the
// transformation and predicate groups of a validate answer.
func transformInfos(t *testing.T, body []byte) any {
	var infos struct {
		ErrorCount int      `json:"error_count"`
		Groups     []string `json:"groups"`
		Configs    []struct {
			Definition map[string]any `json:"definition"`
			Value      map[string]any `json:"value"`
		} `json:"configs"`
	}
	if err := json.Unmarshal(body, &infos); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	var configs []any
	for _, c := range infos.Configs {
		g, _ := c.Definition["group"].(string)
		name, _ := c.Definition["name"].(string)
		if strings.HasPrefix(g, "Transforms") || strings.HasPrefix(g, "Predicates") || strings.HasPrefix(name, "transforms") || strings.HasPrefix(name, "predicates") {
			configs = append(configs, c)
		}
	}
	// Only the groups transformations and predicates add: other groups
	// are the connector config's.
	var groups []string
	for _, g := range infos.Groups {
		if strings.HasPrefix(g, "Transforms: ") || strings.HasPrefix(g, "Predicates: ") {
			groups = append(groups, g)
		}
	}
	return map[string]any{"groups": groups, "configs": configs}
}
