package restapi

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// bodySeeds are request bodies of every shape the decoders meet: valid
// entities, wrong types, broken syntax, invalid UTF-8, deep nesting.
var bodySeeds = []string{
	``, `null`, `{}`, `[]`, `"x"`, `1`, `true`,
	`{"connector.class":"FileStreamSink","tasks.max":"1","topics":"t"}`,
	`{"name":"n","config":{"connector.class":"X","tasks.max":2,"b":true,"n":null},"initial_state":"paused"}`,
	`{"name":"n","config":{"a":{"b":1}}}`, `{"name":"n","config":[1,2]}`, `{"name":["n"]}`,
	`{"name":"n","unknown":{"x":[1,{"y":2}]},"config":{}}`, `{"name":"n","initial_state":"SLEEPING"}`,
	`{"offsets":[{"partition":{"kafka_topic":"t","kafka_partition":0},"offset":{"kafka_offset":5}}]}`,
	`{"offsets":{"a":1}}`, `{"offsets":null,"x":1}`, `{"offsets":[{"partition":null,"offset":null}]}`,
	`{"level":"DEBUG"}`, `{"level":"DEBUG","scope":"cluster"}`,
	`{"a":"b"} {"c":"d"}`, `{"a":"b"}]`, `{"a":"b"`, `{"a":}`, `{"a" "b"}`, `{a:"b"}`, `{'a':'b'}`,
	`{"a":"\u12"}`, `{"a":"\ud800"}`, `{"a":"\q"}`, "{\"a\":\"\x01\"}", "{\"a\":\"\xff\xfe\"}", "{\"\xc3\x28\":\"x\"}",
	"\xef\xbb\xbf{\"a\":\"b\"}", `{"a":-}`, `{"a":01}`, `{"a":1.}`, `{"a":1e}`, `{"a":tru}`, `{"a":nul}`,
	strings.Repeat("[", 1001) + strings.Repeat("]", 1001),
	`{"offsets":[{"partition":` + strings.Repeat(`{"a":`, 1200) + `1` + strings.Repeat(`}`, 1200) + `}]}`,
	`{"a":"` + strings.Repeat("é", 3000) + `"}`,
}

// FuzzDecodeRequestBodies feeds arbitrary bytes to every request-body
// decoder: none may panic, a body the parser accepts is JSON, and a JSON
// body (within Jackson's nesting limit) is accepted by the parser.
func FuzzDecodeRequestBodies(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := func() *http.Request { return bufferedRequest(http.MethodPost, "/connectors", body) }
		for _, decode := range []func(*http.Request) error{
			func(r *http.Request) error { _, err := decodeStringMap(r); return err },
			func(r *http.Request) error { _, err := decodeCreate(r); return err },
			func(r *http.Request) error { _, _, err := decodeOffsets(r); return err },
		} {
			if err := decode(req()); err != nil {
				var se *statusError
				if !errors.As(err, &se) || se.status != http.StatusInternalServerError || se.msg == "" {
					t.Fatalf("body %q: error %v is not a Jackson-style 500", body, err)
				}
			}
		}
		root, end, perr := parseJSON(body, "config")
		if perr != nil {
			if perr.ptr < 0 || perr.ptr > len(body)+1 {
				t.Fatalf("body %q: error position %d outside the body", body, perr.ptr)
			}
			if json := trimBOM(body); stdjson.Valid(json) && utf8.Valid(json) && depthOf(json) <= maxNestingDepth {
				t.Fatalf("body %q is JSON but the parser refused it: %s", body, perr.msg)
			}
			return
		}
		if root == nil {
			return
		}
		if first := trimBOM(body)[:end-(len(body)-len(trimBOM(body)))]; !stdjson.Valid(first) || !utf8.Valid(first) {
			t.Fatalf("body %q: the parser accepted %q, which is not JSON", body, first)
		}
	})
}

// bufferedRequest is a request as the router hands it to a handler, its
// body read by bufferBody.
func bufferedRequest(method, target string, body []byte) *http.Request {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	return r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
}

func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) }

// depthOf is the deepest nesting of a valid JSON text.
func depthOf(b []byte) int {
	d, max, inStr, esc := 0, 0, false, false
	for _, c := range b {
		switch {
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[':
			if d++; d > max {
				max = d
			}
		case c == '}' || c == ']':
			d--
		}
	}
	return max
}

// TestDeepNestingRefusedLikeJackson: a document nested deeper than
// Jackson's limit is refused with Jackson's message, without exhausting
// the stack, and one within the limit is read.
func TestDeepNestingRefusedLikeJackson(t *testing.T) {
	deep := func(n int) string {
		return `{"offsets":[{"partition":` + strings.Repeat(`{"a":`, n) + `1` + strings.Repeat(`}`, n) + `,"offset":{"o":1}}]}`
	}
	for _, tt := range []struct {
		body string
		want string
	}{
		{deep(997), ""},
		{deep(998), "Document nesting depth (1001) exceeds the maximum allowed (1000, from `StreamReadConstraints.getMaxNestingDepth()`)"},
		{`{"offsets":[{"partition":` + strings.Repeat(`{"a":`, 300_000), "Document nesting depth (1001)"},
	} {
		_, _, err := decodeOffsets(bufferedRequest(http.MethodPatch, "/connectors/x/offsets", []byte(tt.body)))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("body of %d bytes: %v", len(tt.body), err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("body of %d bytes: error %v, want %q", len(tt.body), err, tt.want)
		}
	}
}

// TestHugeNestingDoesNotExhaustTheStack: a body of nothing but opening
// brackets, as large as the body limit allows, is refused with Jackson's
// error (the parser used to recurse once per bracket and overflow the
// goroutine's stack, which kills the process).
func TestHugeNestingDoesNotExhaustTheStack(t *testing.T) {
	body := bytes.Repeat([]byte("["), maxBody)
	_, err := decodeStringMap(bufferedRequest(http.MethodPut, "/connectors/x/config", body))
	if err == nil || !strings.Contains(err.Error(), "Cannot deserialize value of type `java.util.LinkedHashMap") {
		t.Fatalf("error %v", err)
	}
	_, _, perr := parseJSON(body, "")
	if perr == nil || !strings.HasPrefix(perr.msg, "Document nesting depth (1001)") {
		t.Fatalf("parse error %+v", perr)
	}
}

// TestLargeBodiesCostTheirBytes: a body of many small values is parsed
// without a node per value (a 64 MiB array of numbers took gigabytes of
// nodes before a binder refused it at its first token).
func TestLargeBodiesCostTheirBytes(t *testing.T) {
	body := append([]byte(`{"config":{"a":"b"},"x":[`), bytes.Repeat([]byte("1,"), 4<<20)...)
	body = append(body, "1]}"...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	root, _, perr := parseJSON(body, "config")
	runtime.ReadMemStats(&after)
	if perr != nil || root == nil || len(root.keys) != 2 || len(root.vals[0].keys) != 1 {
		t.Fatalf("root %+v, error %+v", root, perr)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*uint64(len(body)) {
		t.Errorf("parsing %d bytes allocated %d bytes", len(body), alloc)
	}
}
