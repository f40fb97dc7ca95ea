package restapi

import (
	"net/http"
	"strings"
	"testing"
)

const src = "\\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); "

// TestConnectCompatibleRequests covers what Connect answers that Go's
// standard decoding and routing would answer otherwise (the expected
// bodies are Apache Connect 4.3.1's).
func TestConnectCompatibleRequests(t *testing.T) {
	tests := []struct {
		name, method, path, ctype, body string
		code                            int
		want                            string
	}{
		{"empty list", "GET", "/connectors", "", "", 200, `[]`},
		{"empty expand", "GET", "/connectors?expand=status", "", "", 200, `{}`},
		{"typed values", "PUT", "/connectors/t/config", "application/json", `{"connector.class":"X","a":1.0,"b":10,"c":true,"d":1e3}`, 201,
			`{"name":"t","config":{"a":"1.0","b":"10","c":"true","connector.class":"X","d":"1e3","name":"t"},"tasks":[],"type":"sink"}`},
		{"null value", "PUT", "/connectors/t/config", "application/json", `{"connector.class":"X","n":null}`, 400,
			`{"error_code":400,"message":"Connector configuration is invalid and contains the following 1 error(s):\nNull value can not be supplied as the configuration value.\nYou can also find the above list of errors at the endpoint ` + "`/connector-plugins/{connectorType}/config/validate`" + `"}`},
		{"null value without class", "PUT", "/connectors/t/config", "application/json", `{"n":null}`, 400,
			`{"error_code":400,"message":"Connector config {n=null, name=t} contains no connector type"}`},
		{"encoded colon", "PUT", "/connectors/pj%3Anew/config", "application/json", `{"connector.class":"X"}`, 201,
			`{"name":"pj:new","config":{"connector.class":"X","name":"pj:new"},"tasks":[],"type":"sink"}`},
		{"encoded colon read back", "GET", "/connectors/pj:new", "", "", 200,
			`{"name":"pj:new","config":{"connector.class":"X","name":"pj:new"},"tasks":[],"type":"sink"}`},
		{"path parameter", "GET", "/connectors/pj%3Anew;v=1", "", "", 200,
			`{"name":"pj:new","config":{"connector.class":"X","name":"pj:new"},"tasks":[],"type":"sink"}`},
		{"encoded slash", "GET", "/connectors/a%2Fb", "", "", 400, ""},
		// Encodings net/http decodes without keeping the raw path.
		{"encoded NUL", "PUT", "/connectors/a%00b/config", "application/json", `{"a":`, 400, ""},
		{"encoded control character", "GET", "/connectors/a%01b/topics", "", "", 400, ""},
		{"encoded DEL", "GET", "/connectors/%7F", "", "", 400, ""},
		{"encoded backslash", "PUT", "/connectors/a%5Cb/config", "application/json", `{"a":`, 400, ""},
		{"encoded dot segment", "GET", "/connectors/%2E%2E/topics", "", "", 400, ""},
		{"validate names compared as text", "PUT", "/connector-plugins/caf%C3%A9/config/validate", "application/json", `{"connector.class":"caf%C3%A9"}`, 400, `{"error_code":400,"message":"Included connector type caf%C3%A9 does not match request type café"}`},
		{"bad UTF-8 in path", "GET", "/connectors/a%C3", "", "", 400, ""},
		{"head", "HEAD", "/connectors/pj:new", "", "", 200, ""},
		{"unknown field", "POST", "/connectors", "application/json", `{"name":"u","config":{"connector.class":"X"},"foo":1}`, 500,
			`{"error_code":500,"message":"Unrecognized field \"foo\" (class org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest), not marked as ignorable (3 known properties: \"config\", \"name\", \"initial_state\")` + src + `line: 1, column: 54] (through reference chain: org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest[\"foo\"])"}`},
		{"array value", "PATCH", "/connectors/t/config", "application/json", `{"q":[1]}`, 500,
			"{\"error_code\":500,\"message\":\"Cannot deserialize value of type `java.lang.String` from Array value (token `JsonToken.START_ARRAY`)" + src + `line: 1, column: 6] (through reference chain: java.util.LinkedHashMap[\"q\"])"}`},
		{"invalid UTF-8", "PUT", "/connectors/t/config", "application/json", "{\"a\":\"x\xff\"}", 500,
			`{"error_code":500,"message":"Invalid UTF-8 start byte 0xff` + src + `line: 1, column: 9]"}`},
		{"unclosed on second line", "PUT", "/connectors/t/config", "application/json", "{\n\"a\":\"b\"", 500,
			`{"error_code":500,"message":"Unexpected end-of-input: expected close marker for Object (start marker at [Source: REDACTED (` + "`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION`" + ` disabled); line: 1, column: 1])` + src + `line: 2, column: 8]"}`},
		{"text content type on a read", "GET", "/connectors/t", "text/plain", "", 415, `{"error_code":415,"message":"HTTP 415 Unsupported Media Type"}`},
		{"body without content type", "PUT", "/connectors/t/config", "", `{"connector.class":"X"}`, 415, `{"error_code":415,"message":"HTTP 415 Unsupported Media Type"}`},
		{"no body without content type", "PUT", "/connectors/t/config", "", "", 500,
			`{"error_code":500,"message":"Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null"}`},
		{"unknown path with text content type", "GET", "/nope", "text/plain", "", 404, `{"error_code":404,"message":"HTTP 404 Not Found"}`},
	}
	h := &fakeHerder{configs: map[string]map[string]string{}, isLeader: true}
	ts := serve(t, h)
	for _, tt := range tests {
		code, body := call(t, tt.method, ts.URL+tt.path, tt.ctype, tt.body)
		if strings.HasPrefix(body, "<html>") {
			body = ""
		}
		if code != tt.code || body != tt.want {
			t.Errorf("%s: %s %s: %d %s\nwant %d %s", tt.name, tt.method, tt.path, code, body, tt.code, tt.want)
		}
	}
}

func TestCreatedLocationIsAbsolute(t *testing.T) {
	ts := serve(t, &fakeHerder{configs: map[string]map[string]string{}, isLeader: true})
	req, _ := http.NewRequest("PUT", ts.URL+"/connectors/a%20b/config", strings.NewReader(`{"connector.class":"X"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := ts.URL + "/connectors/a%20b"; resp.StatusCode != 201 || resp.Header.Get("Location") != want {
		t.Fatalf("%d Location %q, want 201 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

func TestOptionsListsMethodsAsJersey(t *testing.T) {
	ts := serve(t, &fakeHerder{configs: map[string]map[string]string{}, isLeader: true})
	for path, want := range map[string]string{
		"/connectors":                          "HEAD, POST, GET, OPTIONS",
		"/connectors/x":                        "HEAD, DELETE, GET, OPTIONS",
		"/connectors/x/config":                 "HEAD, GET, OPTIONS, PUT, PATCH",
		"/connectors/x/restart":                "POST, OPTIONS",
		"/connectors/x/offsets":                "HEAD, DELETE, GET, OPTIONS, PATCH",
		"/":                                    "HEAD, GET, OPTIONS",
		"/admin/loggers/x":                     "HEAD, GET, OPTIONS, PUT",
		"/connector-plugins/x/config/validate": "OPTIONS, PUT",
	} {
		if code, body := call(t, "OPTIONS", ts.URL+path, "", ""); code != 200 || body != want {
			t.Errorf("OPTIONS %s: %d %q, want 200 %q", path, code, body, want)
		}
	}
	if code, _ := call(t, "OPTIONS", ts.URL+"/nope", "", ""); code != 404 {
		t.Errorf("OPTIONS /nope: %d, want 404", code)
	}
}

func TestAcceptNegotiation(t *testing.T) {
	ts := serve(t, &fakeHerder{configs: map[string]map[string]string{}, isLeader: true})
	for accept, want := range map[string]int{
		"text/plain": 406, "application/xml, text/html": 406, "application/json;q=0": 406,
		"*/*": 200, "application/*": 200, "application/json;q=0.5, text/plain": 200, "text/html, application/json": 200,
	} {
		req, _ := http.NewRequest("GET", ts.URL+"/connectors", nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Accept %q: %d, want %d", accept, resp.StatusCode, want)
		}
	}
}

func TestBodyDecodingDetails(t *testing.T) {
	h := &fakeHerder{configs: map[string]map[string]string{}, isLeader: true}
	ts := serve(t, h)
	for body, want := range map[string]string{
		"\xef\xbb\xbf{\"connector.class\":\"X\"}":      "X",
		`{"connector.class":"\ud83d\ude00\u00e9"}`:     "😀é",
		`{"connector.class":"a\/b\"c\\d\n"}`:           "a/b\"c\\d\n",
		"{\r\n  \"connector.class\" :\t\"X\"\r\n}\r\n": "X",
	} {
		if code, resp := call(t, "PUT", ts.URL+"/connectors/d/config", "application/json", body); code/100 != 2 || h.configs["d"]["connector.class"] != want {
			t.Errorf("%q: %d %s, stored %q, want %q", body, code, resp, h.configs["d"]["connector.class"], want)
		}
	}
}
