//go:build integration

package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/internal/stack"
)

// normalize drops what legitimately differs between runtimes: worker ids,
// traces and logger modification times (only whether one is set counts),
// and converter classes only one side ships (gonnect has Avro built in; the
// reference worker has no Avro converter installed).
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if k == "worker_id" || k == "trace" {
				continue
			}
			if k == "last_modified" {
				out[k] = e != nil
				continue
			}
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok && strings.HasPrefix(s, "io.confluent.connect.avro.") {
				continue
			}
			out = append(out, normalize(e))
		}
		return out
	}
	return v
}

type step struct {
	name, method, path string
	body               any
	contentType        string
	// waitFor polls GET path on both until this holds (state changes are
	// asynchronous in both runtimes).
	waitFor func(body string) bool
}

// TestIntegrationDifferentialWithApacheConnect sends the same requests to
// gonnect and to Apache Kafka Connect on the same broker and requires the
// same status codes and JSON, field for field.
func TestIntegrationDifferentialWithApacheConnect(t *testing.T) {
	stack.RequireReferenceConnect(t)
	c := newCluster(t, map[string]string{"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false"})
	g := c.start()
	ref := stack.ReferenceConnectURL()
	n := fmt.Sprintf("diff-%d", rand.Uint32())
	topic := n + "-in"
	logNS := "gonnect.diff." + strings.ReplaceAll(n, "-", "")
	valid := map[string]string{"connector.class": "FileStreamSink", "tasks.max": "2", "topics": topic, "file": "/tmp/" + n + ".txt"}
	withName := func(m map[string]string, extra ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(extra); i += 2 {
			if extra[i+1] == "" {
				delete(out, extra[i])
			} else {
				out[extra[i]] = extra[i+1]
			}
		}
		return out
	}
	state := func(want string) func(string) bool {
		return func(b string) bool { return strings.Contains(b, `"connector":{"state":"`+want+`"`) }
	}
	steps := []step{
		{name: "plugin config", method: "GET", path: "/connector-plugins/FileStreamSink/config"},
		{name: "validate valid", method: "PUT", path: "/connector-plugins/FileStreamSink/config/validate", body: withName(valid, "name", n)},
		{name: "validate no topics", method: "PUT", path: "/connector-plugins/FileStreamSink/config/validate", body: withName(valid, "name", n, "topics", "")},
		{name: "validate topics and regex", method: "PUT", path: "/connector-plugins/FileStreamSink/config/validate", body: withName(valid, "name", n, "topics.regex", "x.*")},
		{name: "validate bad values", method: "PUT", path: "/connector-plugins/FileStreamSink/config/validate", body: withName(valid, "tasks.max", "0", "errors.tolerance", "x", "header.converter", "nope")},
		{name: "validate dlq in topics", method: "PUT", path: "/connector-plugins/FileStreamSink/config/validate", body: withName(valid, "name", n, "errors.deadletterqueue.topic.name", topic)},
		{name: "validate type mismatch", method: "PUT", path: "/connector-plugins/FileStreamSource/config/validate", body: withName(valid, "name", n)},
		{name: "unknown plugin config", method: "GET", path: "/connector-plugins/Nope/config"},
		{name: "unknown connector", method: "GET", path: "/connectors/" + n},
		{name: "unknown status", method: "GET", path: "/connectors/" + n + "/status"},
		{name: "unknown task status", method: "GET", path: "/connectors/" + n + "/tasks/0/status"},
		{name: "unknown delete", method: "DELETE", path: "/connectors/" + n},
		{name: "unknown pause", method: "PUT", path: "/connectors/" + n + "/pause"},
		{name: "unknown restart", method: "POST", path: "/connectors/" + n + "/restart"},
		{name: "unknown offsets", method: "GET", path: "/connectors/" + n + "/offsets"},
		{name: "create without class", method: "POST", path: "/connectors", body: map[string]any{"name": n, "config": map[string]string{}}},
		{name: "create invalid", method: "POST", path: "/connectors", body: map[string]any{"name": n, "config": withName(valid, "topics", "")}},
		{name: "create name mismatch", method: "POST", path: "/connectors", body: map[string]any{"name": n, "config": withName(valid, "name", "other")}},
		{name: "create", method: "POST", path: "/connectors", body: map[string]any{"name": n, "config": valid}},
		{name: "create duplicate", method: "POST", path: "/connectors", body: map[string]any{"name": n, "config": valid}},
		{name: "config", method: "GET", path: "/connectors/" + n + "/config"},
		{name: "status running", method: "GET", path: "/connectors/" + n + "/status", waitFor: func(b string) bool {
			return state("RUNNING")(b) && strings.Count(b, `"state":"RUNNING"`) == 3
		}},
		{name: "info", method: "GET", path: "/connectors/" + n},
		{name: "tasks", method: "GET", path: "/connectors/" + n + "/tasks"},
		{name: "task status", method: "GET", path: "/connectors/" + n + "/tasks/1/status"},
		{name: "topics", method: "GET", path: "/connectors/" + n + "/topics"},
		{name: "pause", method: "PUT", path: "/connectors/" + n + "/pause"},
		{name: "status paused", method: "GET", path: "/connectors/" + n + "/status", waitFor: func(b string) bool {
			return state("PAUSED")(b) && strings.Count(b, `"state":"PAUSED"`) == 3
		}},
		{name: "resume", method: "PUT", path: "/connectors/" + n + "/resume"},
		{name: "status resumed", method: "GET", path: "/connectors/" + n + "/status", waitFor: func(b string) bool {
			return strings.Count(b, `"state":"RUNNING"`) == 3
		}},
		{name: "offsets while running", method: "DELETE", path: "/connectors/" + n + "/offsets"},
		{name: "stop", method: "PUT", path: "/connectors/" + n + "/stop"},
		{name: "status stopped", method: "GET", path: "/connectors/" + n + "/status", waitFor: func(b string) bool {
			return state("STOPPED")(b) && strings.Contains(b, `"tasks":[]`)
		}},
		{name: "offsets", method: "GET", path: "/connectors/" + n + "/offsets"},
		{name: "reset offsets", method: "DELETE", path: "/connectors/" + n + "/offsets"},
		{name: "update config", method: "PUT", path: "/connectors/" + n + "/config", body: withName(valid, "tasks.max", "1")},
		{name: "patch config", method: "PATCH", path: "/connectors/" + n + "/config", body: map[string]any{"file": nil, "tasks.max": "2"}},
		{name: "delete", method: "DELETE", path: "/connectors/" + n},
		{name: "gone", method: "GET", path: "/connectors/" + n, waitFor: func(b string) bool { return strings.Contains(b, "not found") }},
		// Cluster-scoped logger levels (KIP-976) on a namespace of this run.
		{name: "cluster logger without level", method: "PUT", path: "/admin/loggers/" + logNS + "?scope=cluster", body: map[string]string{}},
		{name: "cluster logger invalid level", method: "PUT", path: "/admin/loggers/" + logNS + "?scope=cluster", body: map[string]string{"level": "LOUD"}},
		{name: "cluster logger", method: "PUT", path: "/admin/loggers/" + logNS + "?scope=cluster", body: map[string]string{"level": "debug"}},
		{name: "cluster logger applied", method: "GET", path: "/admin/loggers/" + logNS, waitFor: func(b string) bool {
			return strings.Contains(b, `"level":"DEBUG"`)
		}},
		{name: "logger unknown scope", method: "PUT", path: "/admin/loggers/" + logNS + ".child?scope=bogus", body: map[string]string{"level": "DEBUG"}},
		{name: "logger worker scope", method: "PUT", path: "/admin/loggers/" + logNS + "?scope=worker", body: map[string]string{"level": "INFO"}},
		{name: "unknown path", method: "GET", path: "/nope"},
		{name: "wrong method", method: "PATCH", path: "/connectors"},
		{name: "wrong content type", method: "POST", path: "/connectors", body: "{}", contentType: "text/plain"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			call := func(base string) (int, string) {
				if s.waitFor != nil {
					deadline := time.Now().Add(60 * time.Second)
					for time.Now().Before(deadline) {
						_, b := get(base + s.path)
						if s.waitFor(string(b)) {
							break
						}
						time.Sleep(250 * time.Millisecond)
					}
				}
				if s.contentType != "" {
					code, b := rawDo(s.method, base+s.path, s.body.(string), s.contentType)
					return code, b
				}
				code, b, _ := do(s.method, base+s.path, s.body)
				return code, string(b)
			}
			rc, rb := call(ref)
			gc, gb := call(g.url())
			if rc != gc {
				t.Fatalf("status: reference %d, gonnect %d\nreference: %s\ngonnect:   %s", rc, gc, rb, gb)
			}
			if rb == "" && gb == "" {
				return
			}
			var rv, gv any
			if json.Unmarshal([]byte(rb), &rv) != nil || json.Unmarshal([]byte(gb), &gv) != nil {
				t.Fatalf("non-JSON body\nreference: %s\ngonnect:   %s", rb, gb)
			}
			if path, r, g := firstDiff("$", normalize(rv), normalize(gv)); path != "" {
				rj, _ := json.Marshal(r)
				gj, _ := json.Marshal(g)
				t.Fatalf("bodies differ at %s\nreference: %s\ngonnect:   %s", path, rj, gj)
			}
		})
	}
}

// firstDiff returns the path of the first difference and the two values there.
func firstDiff(path string, a, b any) (string, any, any) {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return path, a, b
		}
		for k, v := range x {
			if p, r, g := firstDiff(path+"."+k, v, y[k]); p != "" {
				return p, r, g
			}
		}
		return "", nil, nil
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return path, a, b
		}
		for i := range x {
			if p, r, g := firstDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); p != "" {
				return p, r, g
			}
		}
		return "", nil, nil
	}
	if !reflect.DeepEqual(a, b) {
		return path, a, b
	}
	return "", nil, nil
}
