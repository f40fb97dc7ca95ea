//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

// normalize drops what legitimately differs between runtimes: worker ids,
// traces and logger modification times (only whether one is set counts),
// and converter classes only one side ships (gonnect has Avro built in; the
// reference worker has the benchmark's own Avro converter instead).
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
			if s, ok := e.(string); ok && (strings.HasPrefix(s, "io.confluent.connect.avro.") || strings.HasPrefix(s, "gonnect.bench.reference.")) {
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
	// contentType sends body (a string) as is with this Content-Type;
	// "none" sends it without one.
	contentType string
	// statusOnly compares only status codes (Jetty's HTML error pages).
	statusOnly bool
	// accept is sent as the Accept header.
	accept string
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
		{name: "unknown task restart", method: "POST", path: "/connectors/" + n + "/tasks/0/restart"},
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
		{name: "restart task beyond the last", method: "POST", path: "/connectors/" + n + "/tasks/7/restart"},
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
		{name: "alter offsets unknown field", method: "PATCH", path: "/connectors/" + n + "/offsets", contentType: "application/json", body: `{"offsets":[],"foo":1}`},
		{name: "alter offsets not a list", method: "PATCH", path: "/connectors/" + n + "/offsets", contentType: "application/json", body: `{"offsets":5}`},
		{name: "alter offsets no body", method: "PATCH", path: "/connectors/" + n + "/offsets", contentType: "application/json", body: ""},
		{name: "update config", method: "PUT", path: "/connectors/" + n + "/config", body: withName(valid, "tasks.max", "1")},
		{name: "patch config", method: "PATCH", path: "/connectors/" + n + "/config", body: map[string]any{"file": nil, "tasks.max": "2"}},
		{name: "patch config null body", method: "PATCH", path: "/connectors/" + n + "/config", contentType: "application/json", body: "null"},
		{name: "patch config no body", method: "PATCH", path: "/connectors/" + n + "/config", contentType: "application/json", body: ""},
		{name: "patch config empty object", method: "PATCH", path: "/connectors/" + n + "/config", contentType: "application/json", body: "{}"},
		{name: "config after patches", method: "GET", path: "/connectors/" + n + "/config"},
		{name: "delete", method: "DELETE", path: "/connectors/" + n},
		{name: "gone", method: "GET", path: "/connectors/" + n, waitFor: func(b string) bool { return strings.Contains(b, "not found") }},
		// Cluster-scoped logger levels (KIP-976) on a namespace of this run.
		{name: "cluster logger without level", method: "PUT", path: "/admin/loggers/" + logNS + "?scope=cluster", body: map[string]string{}},
		{name: "cluster logger invalid level", method: "PUT", path: "/admin/loggers/" + logNS + "?scope=cluster", body: map[string]string{"level": "LOUD"}},
		{name: "logger no body", method: "PUT", path: "/admin/loggers/" + logNS, contentType: "application/json", body: ""},
		{name: "logger number level", method: "PUT", path: "/admin/loggers/" + logNS, contentType: "application/json", body: `{"level":5}`},
		{name: "logger null level", method: "PUT", path: "/admin/loggers/" + logNS, contentType: "application/json", body: `{"level":null}`},
		{name: "logger array body", method: "PUT", path: "/admin/loggers/" + logNS, contentType: "application/json", body: `[]`},
		{name: "cluster logger", method: "PUT", path: "/admin/loggers/" + logNS + "?scope=cluster", body: map[string]string{"level": "debug"}},
		{name: "cluster logger applied", method: "GET", path: "/admin/loggers/" + logNS, waitFor: func(b string) bool {
			return strings.Contains(b, `"level":"DEBUG"`)
		}},
		{name: "logger unknown scope", method: "PUT", path: "/admin/loggers/" + logNS + ".child?scope=bogus", body: map[string]string{"level": "DEBUG"}},
		{name: "logger worker scope", method: "PUT", path: "/admin/loggers/" + logNS + "?scope=worker", body: map[string]string{"level": "INFO"}},
		{name: "unknown path", method: "GET", path: "/nope"},
		{name: "unknown topics", method: "GET", path: "/connectors/" + n + "-nope/topics"},
		{name: "plugin config of another version", method: "GET", path: "/connector-plugins/FileStreamSink/config?version=9.9"},
		{name: "plugin config of its version", method: "GET", path: "/connector-plugins/FileStreamSink/config?version=4.3.1"},
		{name: "plugin config of a range without it", method: "GET", path: "/connector-plugins/FileStreamSink/config?version=%5B1.0,2.0%5D"},
		{name: "plugin config of a range with it", method: "GET", path: "/connector-plugins/FileStreamSink/config?version=%5B4.0,5.0)"},
		{name: "root logger in capitals", method: "GET", path: "/admin/loggers/ROOT"},
		{name: "tasks-config removed", method: "GET", path: "/connectors/" + n + "/tasks-config"},
		{name: "wrong method", method: "PATCH", path: "/connectors"},
		{name: "wrong content type", method: "POST", path: "/connectors", body: "{}", contentType: "text/plain"},
	}
	// Location is absolute, against the host asked.
	cfg := map[string]string{"connector.class": "FileStreamSink", "topics": topic, "file": "/tmp/" + n + ".txt"}
	for _, base := range []string{ref, g.url()} {
		code, b, h := do("PUT", base+"/connectors/"+n+"%20loc/config", cfg)
		if want := base + "/connectors/" + n + "%20loc"; code != 201 || h.Get("Location") != want {
			t.Errorf("create on %s: %d %s Location %q, want %q", base, code, b, h.Get("Location"), want)
		}
		do("DELETE", base+"/connectors/"+n+"%20loc", nil)
	}
	// OPTIONS lists a path's methods as Jersey does (plain text).
	for _, p := range []string{"/connectors", "/connectors/" + n, "/connectors/" + n + "/config", "/connectors/" + n + "/offsets", "/connector-plugins/x/config/validate", "/nope"} {
		rc, rb := rawRequest("OPTIONS", ref+p, "", "none")
		gc, gb := rawRequest("OPTIONS", g.url()+p, "", "none")
		if rc != gc || rc == 200 && rb != gb {
			t.Errorf("OPTIONS %s: reference %d %q, gonnect %d %q", p, rc, rb, gc, gb)
		}
	}
	steps = append(steps, bodySteps(n, topic)...)
	steps = append(steps, pathSteps(n, topic)...)
	compareSteps(t, ref, g.url(), steps)
}

// compareSteps sends each step to both runtimes and requires the same
// status and the same JSON.
func compareSteps(t *testing.T, ref, gonnect string, steps []step) {
	t.Helper()
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
				if s.accept != "" {
					req, _ := http.NewRequest(s.method, base+s.path, nil)
					req.Header.Set("Accept", s.accept)
					resp, err := client.Do(req)
					if err != nil {
						return 0, err.Error()
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					return resp.StatusCode, string(b)
				}
				if s.contentType != "" {
					body, _ := s.body.(string)
					return rawRequest(s.method, base+s.path, body, s.contentType)
				}
				code, b, _ := do(s.method, base+s.path, s.body)
				return code, string(b)
			}
			rc, rb := settled(call, ref)
			gc, gb := settled(call, gonnect)
			if rc != gc {
				t.Fatalf("status: reference %d, gonnect %d\nreference: %s\ngonnect:   %s", rc, gc, rb, gb)
			}
			if s.statusOnly || rb == "" && gb == "" {
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

// settled repeats a request while the runtime answers that its group is
// rebalancing (Connect's 409 and "rebalance is expected" 500): a transient of
// the cluster, which a compared step must not see on one side only.
func settled(call func(string) (int, string), base string) (int, string) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := call(base)
		transient := code == http.StatusConflict && strings.Contains(body, "rebalance") ||
			code == http.StatusInternalServerError && strings.Contains(body, "rebalance is expected")
		if !transient || time.Now().After(deadline) {
			return code, body
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// rawRequest sends body as is; contentType "none" sends no Content-Type.
func rawRequest(method, url, body, contentType string) (int, string) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, r)
	if contentType != "none" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// bodySteps are requests whose bodies Connect reads with Jackson: literal
// number and boolean text, null values, unknown fields, malformed JSON and
// invalid UTF-8, and the Content-Type rules of Jersey.
func bodySteps(n, topic string) []step {
	cfg := `"connector.class":"FileStreamSink","topics":"` + topic + `","file":"/tmp/` + n + `.txt"`
	create := func(name, config, extra string) string {
		return `{"name":"` + name + `","config":{` + config + `}` + extra + `}`
	}
	j := "application/json"
	return []step{
		{name: "create typed values", method: "POST", path: "/connectors", contentType: j, body: create(n+"-typed", cfg+`,"a":1.0,"b":10,"c":true,"d":1e3,"e":-0.50,"f":false`, "")},
		{name: "typed values stored as text", method: "GET", path: "/connectors/" + n + "-typed/config"},
		{name: "delete typed", method: "DELETE", path: "/connectors/" + n + "-typed"},
		{name: "create null value", method: "POST", path: "/connectors", contentType: j, body: create(n+"-null", cfg+`,"x":null`, "")},
		{name: "put null value", method: "PUT", path: "/connectors/" + n + "-null/config", contentType: j, body: "{" + cfg + `,"x":null}`},
		{name: "put null name", method: "PUT", path: "/connectors/" + n + "-nullname/config", contentType: j, body: "{" + cfg + `,"name":null}`},
		{name: "delete null name", method: "DELETE", path: "/connectors/" + n + "-nullname"},
		{name: "validate null value", method: "PUT", path: "/connector-plugins/FileStreamSink/config/validate", contentType: j, body: "{" + cfg + `,"name":"` + n + `","x":null}`},
		{name: "validate null name", method: "PUT", path: "/connector-plugins/FileStreamSink/config/validate", contentType: j, body: "{" + cfg + `,"name":null}`},
		{name: "validate null plugin key", method: "PUT", path: "/connector-plugins/FileStreamSink/config/validate", contentType: j, body: `{"connector.class":"FileStreamSink","topics":"` + topic + `","name":"` + n + `","file":null}`},
		{name: "create unknown field", method: "POST", path: "/connectors", contentType: j, body: create(n+"-unknown", cfg, `,"foo":1`)},
		{name: "create bad initial state", method: "POST", path: "/connectors", contentType: j, body: create(n+"-state", cfg, `,"initial_state":"bogus"`)},
		{name: "create array config", method: "POST", path: "/connectors", contentType: j, body: `{"name":"x","config":[]}`},
		{name: "create array value", method: "POST", path: "/connectors", contentType: j, body: create(n+"-arr", cfg+`,"e":[1,2]`, "")},
		{name: "create array", method: "POST", path: "/connectors", contentType: j, body: `[1,]`},
		{name: "create empty body", method: "POST", path: "/connectors", contentType: j, body: ""},
		{name: "create null body", method: "POST", path: "/connectors", contentType: j, body: "null"},
		{name: "create truncated", method: "POST", path: "/connectors", contentType: j, body: `{"name":"x","con`},
		{name: "create trailing token", method: "POST", path: "/connectors", contentType: j, body: create(n+"-trail", cfg, "") + " 5"},
		{name: "create bad escape", method: "POST", path: "/connectors", contentType: j, body: create(n+"-esc", cfg+`,"a":"\q"`, "")},
		{name: "create invalid UTF-8", method: "POST", path: "/connectors", contentType: j, body: create(n+"-utf", cfg+`,"a":"x`+"\xc3"+`."`, "")},
		{name: "put invalid UTF-8", method: "PUT", path: "/connectors/" + n + "-utf/config", contentType: j, body: "{" + cfg + `,"a":"` + "\xff\xfe" + `"}`},
		{name: "put missing value", method: "PUT", path: "/connectors/" + n + "-x/config", contentType: j, body: `{"a":}`},
		{name: "put unclosed", method: "PUT", path: "/connectors/" + n + "-x/config", contentType: j, body: `{"a":"b"`},
		{name: "put unquoted name", method: "PUT", path: "/connectors/" + n + "-x/config", contentType: j, body: "{\n  a:1}"},
		{name: "put string body", method: "PUT", path: "/connectors/" + n + "-x/config", contentType: j, body: `"x"`},
		{name: "put empty body", method: "PUT", path: "/connectors/" + n + "-x/config", contentType: j, body: ""},
		{name: "patch array value", method: "PATCH", path: "/connectors/" + n + "-x/config", contentType: j, body: `{"q":[1]}`},
		{name: "put without content type", method: "PUT", path: "/connectors/" + n + "-x/config", contentType: "none", body: "{" + cfg + "}"},
		{name: "get with text content type", method: "GET", path: "/connectors/" + n + "-x", contentType: "text/plain"},
		{name: "delete with text content type", method: "DELETE", path: "/connectors/" + n + "-x", contentType: "text/plain", body: "x"},
		{name: "accept text", method: "GET", path: "/connectors", accept: "text/plain"},
		{name: "accept text on unknown connector", method: "GET", path: "/connectors/" + n + "-x", accept: "text/plain, application/xml"},
		{name: "accept any", method: "GET", path: "/connectors/" + n + "-x", accept: "*/*"},
		{name: "accept json among others", method: "GET", path: "/connectors/" + n + "-x", accept: "text/html, application/json;q=0.9"},
		{name: "json with charset", method: "PUT", path: "/connectors/" + n + "-cs/config", contentType: "application/json; charset=UTF-8", body: "{" + cfg + "}"},
		{name: "delete charset", method: "DELETE", path: "/connectors/" + n + "-cs"},
	}
}

// pathSteps are connector names a client percent-encodes in the path.
func pathSteps(n, topic string) []step {
	cfg := map[string]string{"connector.class": "FileStreamSink", "topics": topic, "file": "/tmp/" + n + ".txt"}
	var out []step
	for _, c := range []struct{ label, enc string }{
		{"colon", "%3Acolon"}, {"space", "%20space"}, {"plus", "+plus"}, {"encoded plus", "%2Bplus2"}, {"unicode", "%C3%A9t%C3%A9"}, {"semicolon", "%3Bsemi"},
	} {
		out = append(out,
			step{name: c.label + " create", method: "PUT", path: "/connectors/" + n + c.enc + "/config", body: cfg},
			step{name: c.label + " get", method: "GET", path: "/connectors/" + n + c.enc, waitFor: func(b string) bool { return strings.Contains(b, `"task":0`) }},
			step{name: c.label + " head", method: "HEAD", path: "/connectors/" + n + c.enc},
			step{name: c.label + " delete", method: "DELETE", path: "/connectors/" + n + c.enc},
			step{name: c.label + " gone", method: "GET", path: "/connectors/" + n + c.enc, waitFor: func(b string) bool { return strings.Contains(b, "not found") }},
		)
	}
	return append(out,
		step{name: "path parameter dropped", method: "GET", path: "/connectors/" + n + ";x=1/status"},
		step{name: "encoded slash", method: "GET", path: "/connectors/" + n + "%2Fx", statusOnly: true},
		step{name: "encoded percent", method: "GET", path: "/connectors/" + n + "%25x", statusOnly: true},
		step{name: "bad UTF-8 in path", method: "GET", path: "/connectors/" + n + "%C3", statusOnly: true},
		step{name: "head list", method: "HEAD", path: "/connectors"},
		step{name: "head unknown", method: "HEAD", path: "/connectors/" + n + "-nope"},
	)
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

// TestIntegrationDifferentialEmptyClusterAndRESTSettings compares gonnect
// with an Apache Connect worker of its own, both fresh clusters with the
// same REST settings (admin.listeners on a separate port,
// response.http.headers.config, topic.tracking.allow.reset=false, CORS): the
// answers of an empty cluster and of a connector without tasks, where
// lists and maps are empty and never null, and what the settings change.
func TestIntegrationDifferentialEmptyClusterAndRESTSettings(t *testing.T) {
	headers := "set X-Frame-Options: DENY, add X-Gonnect-Test: one"
	settings := func(adminPort int) map[string]string {
		return map[string]string{
			"admin.listeners":              fmt.Sprintf("http://127.0.0.1:%d", adminPort),
			"response.http.headers.config": headers,
			"topic.tracking.allow.reset":   "false",
			"access.control.allow.origin":  "http://ui.example, http://other-ui.example",
			"access.control.allow.methods": "GET,POST,PUT,DELETE",
		}
	}
	refAdmin, gAdmin := freePort(t), freePort(t)
	ref := apacheConnect(t, settings(refAdmin))
	g := newCluster(t, settings(gAdmin)).start()
	n := fmt.Sprintf("empty-%d", rand.Uint32())
	stopped := map[string]any{"name": n, "initial_state": "STOPPED",
		"config": map[string]string{"connector.class": "FileStreamSink", "topics": n + "-in", "file": "/tmp/" + n + ".txt"}}
	compareSteps(t, ref, g.url(), []step{
		{name: "no connectors", method: "GET", path: "/connectors"},
		{name: "no connectors with status", method: "GET", path: "/connectors?expand=status"},
		{name: "no connectors with info", method: "GET", path: "/connectors?expand=info"},
		{name: "no connectors with both", method: "GET", path: "/connectors?expand=status&expand=info"},
		{name: "no connectors with unknown expansion", method: "GET", path: "/connectors?expand=bogus"},
		{name: "topics of unknown connector", method: "GET", path: "/connectors/" + n + "/topics"},
		{name: "create stopped", method: "POST", path: "/connectors", body: stopped},
		{name: "stopped status", method: "GET", path: "/connectors/" + n + "/status", waitFor: func(b string) bool {
			return strings.Contains(b, `"state":"STOPPED"`)
		}},
		{name: "no tasks", method: "GET", path: "/connectors/" + n + "/tasks"},
		{name: "no task configs", method: "GET", path: "/connectors/" + n + "/tasks-config"},
		{name: "no offsets", method: "GET", path: "/connectors/" + n + "/offsets"},
		{name: "no active topics", method: "GET", path: "/connectors/" + n + "/topics"},
		{name: "info without tasks", method: "GET", path: "/connectors/" + n},
		{name: "expanded without tasks", method: "GET", path: "/connectors?expand=status&expand=info"},
		{name: "unknown expansion", method: "GET", path: "/connectors?expand=bogus"},
		{name: "empty expansion", method: "GET", path: "/connectors?expand="},
		{name: "topic reset refused", method: "PUT", path: "/connectors/" + n + "/topics/reset"},
		{name: "no admin on main listener", method: "GET", path: "/admin/loggers"},
		{name: "no admin level on main listener", method: "PUT", path: "/admin/loggers/root", body: map[string]string{"level": "INFO"}},
		{name: "delete", method: "DELETE", path: "/connectors/" + n},
		{name: "empty again", method: "GET", path: "/connectors", waitFor: func(b string) bool { return b == "[]" }},
	})
	// The admin listener serves /admin, and only /admin.
	for _, c := range []struct {
		path string
		code int
	}{{"/admin/loggers/root", 200}, {"/connectors", 404}, {"/", 404}} {
		rc, rb := get(fmt.Sprintf("http://127.0.0.1:%d%s", refAdmin, c.path))
		gc, gb := get(fmt.Sprintf("http://127.0.0.1:%d%s", gAdmin, c.path))
		if rc != c.code || gc != c.code {
			t.Errorf("admin listener %s: reference %d %s, gonnect %d %s, want %d", c.path, rc, rb, gc, gb, c.code)
		}
	}
	// CORS as Jetty's CrossOriginHandler answers: allowed origins echoed,
	// preflights answered with methods, headers and max age.
	for _, c := range []struct{ method, path, origin, reqMethod string }{
		{"GET", "/connectors", "", ""}, {"GET", "/connectors", "http://ui.example", ""}, {"GET", "/connectors", "http://evil.example", ""},
		{"OPTIONS", "/connectors", "http://other-ui.example", "PUT"}, {"OPTIONS", "/connectors/x/config", "http://ui.example", "PATCH"},
		{"OPTIONS", "/connectors", "http://evil.example", "PUT"}, {"OPTIONS", "/connectors", "", ""}, {"GET", "/nope", "http://ui.example", ""},
	} {
		var got [2]string
		for i, base := range []string{ref, g.url()} {
			req, _ := http.NewRequest(c.method, base+c.path, nil)
			if c.origin != "" {
				req.Header.Set("Origin", c.origin)
			}
			if c.reqMethod != "" {
				req.Header.Set("Access-Control-Request-Method", c.reqMethod)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// Jetty lists the allowed methods from a set in no fixed order.
			methods := strings.Split(resp.Header.Get("Access-Control-Allow-Methods"), ",")
			sort.Strings(methods)
			got[i] = fmt.Sprintf("%d %s|vary=%s|origin=%s|methods=%s|headers=%s|age=%s|allow=%s", resp.StatusCode, b, resp.Header.Get("Vary"),
				resp.Header.Get("Access-Control-Allow-Origin"), strings.Join(methods, ","), resp.Header.Get("Access-Control-Allow-Headers"),
				resp.Header.Get("Access-Control-Max-Age"), resp.Header.Get("Allow"))
		}
		if got[0] != got[1] {
			t.Errorf("%s %s origin %q preflight %q:\nreference: %s\ngonnect:   %s", c.method, c.path, c.origin, c.reqMethod, got[0], got[1])
		}
	}
	// Header rules apply to every response of the main listener.
	for _, path := range []string{"/", "/connectors", "/nope"} {
		_, _, rh := do("GET", ref+path, nil)
		_, _, gh := do("GET", g.url()+path, nil)
		for _, k := range []string{"X-Frame-Options", "X-Gonnect-Test"} {
			if rh.Get(k) == "" || rh.Get(k) != gh.Get(k) {
				t.Errorf("GET %s header %s: reference %q, gonnect %q", path, k, rh.Get(k), gh.Get(k))
			}
		}
	}
}

// TestIntegrationTopicTrackingDisabled compares topic.tracking.enable=false
// (with admin.listeners empty: no /admin anywhere) with Apache Connect, and
// checks that tasks record no active topics meanwhile: a worker of the same
// cluster with tracking on finds none, until its own task consumes again.
func TestIntegrationTopicTrackingDisabled(t *testing.T) {
	off := map[string]string{"topic.tracking.enable": "false", "admin.listeners": ""}
	ref := apacheConnect(t, off)
	c := newCluster(t, map[string]string{"topic.tracking.enable": "false", "admin.listeners": ""})
	g := c.start()
	n := fmt.Sprintf("notrack-%d", rand.Uint32())
	topic := n + "-in"
	if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 1, 1, nil); err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/out.txt"
	cfg := map[string]string{"connector.class": "FileStreamSink", "tasks.max": "1", "topics": topic, "file": file}
	compareSteps(t, ref, g.url(), []step{
		{name: "topics refused", method: "GET", path: "/connectors/" + n + "/topics"},
		{name: "topic reset refused", method: "PUT", path: "/connectors/" + n + "/topics/reset"},
		{name: "no admin", method: "GET", path: "/admin/loggers"},
	})
	if code, b, _ := do("PUT", g.url()+"/connectors/"+n+"/config", cfg); code != 201 {
		t.Fatalf("create: %d %s", code, b)
	}
	produceLines(t, topic, 0, 5)
	eventually(t, 60*time.Second, "records written", func() (bool, string) {
		b, _ := os.ReadFile(file)
		return strings.Count(string(b), "\n") >= 5, string(b)
	})
	g.stop(t)

	c.extra["topic.tracking.enable"] = "true"
	g2 := c.start()
	want := func(topics string) func() (bool, string) {
		return func() (bool, string) {
			_, b := get(g2.url() + "/connectors/" + n + "/topics")
			return string(b) == `{"`+n+`":{"topics":`+topics+`}}`, string(b)
		}
	}
	eventually(t, 60*time.Second, "task running", func() (bool, string) { return allRunning(t, g2.url(), n, 1) })
	if ok, b := want("[]")(); !ok {
		t.Fatalf("active topics recorded while tracking was off: %s", b)
	}
	produceLines(t, topic, 5, 6)
	eventually(t, 60*time.Second, "active topic recorded once tracking is on", want(`["`+topic+`"]`))
}
