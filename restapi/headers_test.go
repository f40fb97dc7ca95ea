package restapi

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseHeaderRules(t *testing.T) {
	tests := []struct {
		config  string
		want    []headerRule
		wantErr string
	}{
		{"", nil, ""},
		{"set X-Frame-Options: DENY", []headerRule{{name: "X-Frame-Options", value: "DENY"}}, ""},
		{`add Cache-Control: no-cache, "addDate Expires: 3600000", SET X-A:b`, []headerRule{
			{add: true, name: "Cache-Control", value: "no-cache"},
			{add: true, date: true, name: "Expires", value: "3600000", offset: time.Hour},
			{name: "X-A", value: "b"},
		}, ""},
		{"set", nil, "Invalid format of header config 'set'. Expected: '[action] [header name]:[header value]'"},
		{"set X-Frame-Options", nil, "Invalid format of header name and header value pair 'X-Frame-Options'. Expected: '[header name]:[header value]'"},
		{"put X-A: b", nil, "Invalid header config action: 'put'. Expected one of [set, add, setDate, addDate]"},
		{"set X-A:", nil, "Invalid format of header name and header value pair 'X-A:'. Expected: '[header name]:[header value]'"},
		{"set X-A: b: c", nil, "Invalid format of header name and header value pair 'X-A: b: c'. Expected: '[header name]:[header value]'"},
		{"set X A: b", nil, "Invalid header name 'X A'. The '[header name]' cannot contain whitespace"},
	}
	for _, tt := range tests {
		got, err := parseHeaderRules(tt.config)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%q: error %v, want %q", tt.config, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("%q: %+v, %v; want %+v", tt.config, got, err, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%q rule %d: %+v, want %+v", tt.config, i, got[i], tt.want[i])
			}
		}
	}
	if _, err := New(Config{Herder: &fakeHerder{}, ResponseHeaders: "put X: y"}); err == nil || !strings.Contains(err.Error(), "response.http.headers.config") {
		t.Errorf("invalid rule at start-up: %v, want an error naming the key", err)
	}
}

func TestWorkerSettingsOnREST(t *testing.T) {
	h := &fakeHerder{configs: map[string]map[string]string{}, isLeader: true}
	tests := []struct {
		name   string
		cfg    Config
		admin  bool // request the admin handler
		method string
		path   string
		code   int
		body   string
		header map[string]string
	}{
		{"headers set", Config{ResponseHeaders: "set X-Frame-Options: DENY, add X-A: 1"}, false, "GET", "/connectors", 200, `[]`, map[string]string{"X-Frame-Options": "DENY", "X-A": "1"}},
		{"handler's own header wins", Config{ResponseHeaders: "set Content-Type: text/plain"}, false, "GET", "/connectors", 200, `[]`, map[string]string{"Content-Type": "application/json"}},
		{"admin on main by default", Config{}, false, "GET", "/admin/loggers/nope", 404, `{"error_code":404,"message":"Logger nope not found."}`, nil},
		{"admin disabled", Config{AdminListeners: []string{}}, false, "GET", "/admin/loggers/nope", 404, `{"error_code":404,"message":"HTTP 404 Not Found"}`, nil},
		{"admin moved off main", Config{AdminListeners: []string{"http://127.0.0.1:0"}}, false, "GET", "/admin/loggers/nope", 404, `{"error_code":404,"message":"HTTP 404 Not Found"}`, nil},
		{"admin listener serves admin", Config{AdminListeners: []string{"http://127.0.0.1:0"}}, true, "GET", "/admin/loggers/nope", 404, `{"error_code":404,"message":"Logger nope not found."}`, nil},
		{"admin listener serves nothing else", Config{AdminListeners: []string{"http://127.0.0.1:0"}}, true, "GET", "/connectors", 404, `{"error_code":404,"message":"HTTP 404 Not Found"}`, nil},
		{"topic tracking disabled", Config{DisableTopicTracking: true}, false, "GET", "/connectors/a/topics", 403, `{"error_code":403,"message":"Topic tracking is disabled."}`, nil},
		{"topic tracking disabled reset", Config{DisableTopicTracking: true, DisableTopicTrackingReset: true}, false, "PUT", "/connectors/a/topics/reset", 403, `{"error_code":403,"message":"Topic tracking is disabled."}`, nil},
		{"topic reset disabled", Config{DisableTopicTrackingReset: true}, false, "PUT", "/connectors/a/topics/reset", 403, `{"error_code":403,"message":"Topic tracking reset is disabled."}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Herder = h
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			handler := s.Handler()
			if tt.admin {
				handler = s.AdminHandler()
			}
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.code || strings.TrimSpace(rec.Body.String()) != tt.body {
				t.Fatalf("%d %s, want %d %s", rec.Code, rec.Body.String(), tt.code, tt.body)
			}
			for k, v := range tt.header {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("header %s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestCORSAsJetty(t *testing.T) {
	s, err := New(Config{Herder: &fakeHerder{configs: map[string]map[string]string{}}, AllowOrigin: "http://a.example"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, origin, preflight string
		wantOrigin, wantMethods   string
	}{
		{"GET", "", "", "", ""},
		{"GET", "http://a.example", "", "http://a.example", ""},
		{"GET", "http://b.example", "", "", ""},
		{"OPTIONS", "http://a.example", "PUT", "http://a.example", "GET,POST,HEAD"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, "/connectors", nil)
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		if tt.preflight != "" {
			req.Header.Set("Access-Control-Request-Method", tt.preflight)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		h := rec.Header()
		if rec.Code != 200 || h.Get("Vary") != "Origin" || h.Get("Access-Control-Allow-Origin") != tt.wantOrigin || h.Get("Access-Control-Allow-Methods") != tt.wantMethods {
			t.Errorf("%s origin %q: %d %v", tt.method, tt.origin, rec.Code, h)
		}
	}
}

func TestVersionMatches(t *testing.T) {
	tests := []struct {
		req, shown string
		ok         bool
	}{
		{"4.3.1", "[4.3.1,4.3.1]", true}, {"9.9", "[9.9,9.9]", false},
		{"[1.0,2.0]", "[1.0,2.0]", false}, {"[4.0,5.0)", "[4.0,5.0)", true}, {"[4.3.1,)", "[4.3.1,)", true},
		{"(4.3.1,)", "(4.3.1,)", false}, {"(,4.3.1]", "(,4.3.1]", true}, {"[1.0,2.0],[4.0,)", "[1.0,2.0],[4.0,)", true},
	}
	for _, tt := range tests {
		if shown, ok := versionMatches(tt.req, "4.3.1"); shown != tt.shown || ok != tt.ok {
			t.Errorf("%s: %s %v, want %s %v", tt.req, shown, ok, tt.shown, tt.ok)
		}
	}
}
