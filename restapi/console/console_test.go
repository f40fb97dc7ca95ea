package console

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestWrapServesTheConsoleAndPassesTheRest(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "api "+r.URL.Path)
	})
	h := Wrap(next, Options{})
	js := assets["app.js"]
	tests := []struct {
		name, method, path string
		header             map[string]string
		code               int
		ctype, location    string
		body               string
	}{
		{name: "bare prefix redirects relatively", method: "GET", path: "/ui", code: 301, location: "ui/"},
		{name: "query kept on redirect", method: "GET", path: "/ui?x=1", code: 301, location: "ui/?x=1"},
		{name: "index", method: "GET", path: "/ui/", code: 200, ctype: "text/html; charset=utf-8", body: `<script src="app.js"`},
		{name: "script", method: "GET", path: "/ui/app.js", code: 200, ctype: "text/javascript; charset=utf-8", body: "const BASE = new URL('..', location.href)"},
		{name: "style", method: "GET", path: "/ui/style.css", code: 200, ctype: "text/css; charset=utf-8"},
		{name: "icon", method: "GET", path: "/ui/favicon.svg", code: 200, ctype: "image/svg+xml"},
		{name: "head", method: "HEAD", path: "/ui/app.js", code: 200},
		{name: "unchanged file revalidates", method: "GET", path: "/ui/app.js", header: map[string]string{"If-None-Match": js.etag}, code: 304},
		{name: "changed file is sent", method: "GET", path: "/ui/app.js", header: map[string]string{"If-None-Match": `"stale"`}, code: 200},
		{name: "unknown file", method: "GET", path: "/ui/nope.js", code: 404},
		{name: "no writes", method: "POST", path: "/ui/", code: 405},
		{name: "REST root", method: "GET", path: "/", code: 418, body: "api /"},
		{name: "REST path", method: "GET", path: "/connectors", code: 418, body: "api /connectors"},
		{name: "a path that only starts like the prefix", method: "GET", path: "/uix", code: 418, body: "api /uix"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.code {
				t.Fatalf("%s %s: status %d, want %d (%s)", tc.method, tc.path, rec.Code, tc.code, rec.Body.String())
			}
			if tc.ctype != "" && rec.Header().Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", rec.Header().Get("Content-Type"), tc.ctype)
			}
			if tc.location != "" && rec.Header().Get("Location") != tc.location {
				t.Errorf("Location %q, want %q", rec.Header().Get("Location"), tc.location)
			}
			if tc.body != "" && !strings.Contains(rec.Body.String(), tc.body) {
				t.Errorf("body lacks %q", tc.body)
			}
		})
	}
}

func TestIndexHasAStrictPolicy(t *testing.T) {
	rec := httptest.NewRecorder()
	Wrap(http.NotFoundHandler(), Options{}).ServeHTTP(rec, httptest.NewRequest("GET", "/ui/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy allows unsafe sources: %q", csp)
	}
}

// The console must work where the machine reaches nothing but the worker:
// no file may load anything from another origin or use absolute paths
// (which would break behind a reverse proxy's path prefix).
func TestAssetsStayOnTheWorker(t *testing.T) {
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	absolute := regexp.MustCompile(`(?:src|href)="/|fetch\(\s*['"]/|new URL\(\s*['"]/`)
	if len(assets) < 4 {
		t.Fatalf("embedded assets: %d files", len(assets))
	}
	for name, a := range assets {
		body := strings.ReplaceAll(string(a.body), "http://www.w3.org/2000/svg", "") // an XML namespace, never fetched
		if m := external.FindString(body); m != "" {
			t.Errorf("%s refers to another origin: %q", name, m)
		}
		if m := absolute.FindString(body); m != "" {
			t.Errorf("%s uses an absolute path: %q", name, m)
		}
	}
}
