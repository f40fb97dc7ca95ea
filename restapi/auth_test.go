package restapi

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonnect/gonnect/internal/keystores/testpki"
	"github.com/gonnect/gonnect/worker/basicauth"
)

func testAuthenticator(t *testing.T) *basicauth.Authenticator {
	t.Helper()
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds.properties")
	jaas := filepath.Join(dir, "jaas.conf")
	if err := os.WriteFile(creds, []byte("admin=admin-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jaas, []byte("KafkaConnect { "+basicauth.LoginModule+" required file=\""+creds+"\"; };"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := basicauth.Load(jaas, "test")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func basicHeader(userPass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPass))
}

// Requests that reach a resource are authenticated as Connect's filter
// (a post-matching Jersey filter) authenticates them: 401 with Connect's
// body, while unknown paths, wrong methods and media types are answered
// before authentication, and the internal worker-to-worker endpoints are
// exempt.
func TestBasicAuthLikeConnect(t *testing.T) {
	h := &fakeHerder{configs: map[string]map[string]string{"a": {"name": "a"}}, isLeader: true}
	s, err := New(Config{Herder: h, Listener: "http://127.0.0.1:0", BasicAuth: testAuthenticator(t), ResponseHeaders: "set X-Frame-Options: DENY"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	good, bad := basicHeader("admin:admin-secret"), basicHeader("admin:wrong")
	// The console's pages are served to anyone; its data is not.
	if code, _ := call(t, "GET", ts.URL+"/ui/", "", ""); code != 200 {
		t.Fatalf("console page: %d", code)
	}
	for _, c := range []struct {
		method, path, auth, ctype string
		code                      int
		body                      string
	}{
		{method: "GET", path: "/connectors", code: 401, body: unauthorizedBody},
		{method: "GET", path: "/connectors", auth: bad, code: 401, body: unauthorizedBody},
		{method: "GET", path: "/connectors", auth: good, code: 200, body: `["a"]`},
		{method: "GET", path: "/", code: 401, body: unauthorizedBody},
		{method: "GET", path: "/admin/loggers", code: 401, body: unauthorizedBody},
		{method: "HEAD", path: "/connectors", code: 401},
		{method: "GET", path: "/ui/api/history?worker=w", code: 401, body: unauthorizedBody},
		{method: "OPTIONS", path: "/connectors", code: 401, body: unauthorizedBody},
		{method: "GET", path: "/nope", code: 404, body: `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{method: "PATCH", path: "/connectors", code: 405, body: `{"error_code":405,"message":"HTTP 405 Method Not Allowed"}`},
		{method: "POST", path: "/connectors", ctype: "text/plain", code: 415, body: `{"error_code":415,"message":"HTTP 415 Unsupported Media Type"}`},
		{method: "GET", path: "/connectors", auth: "Basic !!", code: 500, body: `{"error_code":500,"message":"Illegal base64 character 21"}`},
	} {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || strings.TrimSpace(string(b)) != c.body {
			t.Errorf("%s %s (%q): %d %s, want %d %s", c.method, c.path, c.auth, resp.StatusCode, b, c.code, c.body)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s %s: response headers rule not applied: %v", c.method, c.path, resp.Header)
		}
		want := "application/json"
		if c.method == "OPTIONS" {
			want = "text/plain"
		}
		if resp.StatusCode == 401 && (resp.Header.Get("Content-Type") != want || resp.Header.Get("WWW-Authenticate") != "") {
			t.Errorf("401 headers %v", resp.Header)
		}
	}
}

func TestInternalRequestsExempt(t *testing.T) {
	for _, c := range []struct {
		method, path string
		exempt       bool
	}{
		{"POST", "/connectors/c/tasks", true},
		{"POST", "/connectors/c/tasks/", true},
		{"PUT", "/connectors/c/fence", true},
		{"GET", "/connectors/c/tasks", false},
		{"POST", "/connectors/c/restart", false},
		{"POST", "/connectors/c/tasks/0/restart", false},
		{"PUT", "/connectors/c/d/fence", false},
		{"POST", "/connectors", false},
	} {
		r := httptest.NewRequest(c.method, "http://w"+c.path, nil)
		if got := isInternalRequest(r); got != c.exempt {
			t.Errorf("%s %s exempt = %v, want %v", c.method, c.path, got, c.exempt)
		}
	}
}

// An admin listener of its own is outside the extension, as in Connect
// (its resources are not registered with the main listener's).
func TestBasicAuthNotOnSeparateAdminListener(t *testing.T) {
	s, err := New(Config{Herder: &fakeHerder{configs: map[string]map[string]string{}}, Listener: "http://127.0.0.1:0", AdminListeners: []string{"http://127.0.0.1:0"},
		BasicAuth: testAuthenticator(t)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.AdminHandler())
	defer ts.Close()
	if code, body := call(t, "GET", ts.URL+"/admin/loggers", "", ""); code != 200 {
		t.Fatalf("admin listener: %d %s", code, body)
	}
}

// https:// listeners serve with the given TLS configuration, a follower
// forwards to an https leader with its client TLS configuration and the
// Location keeps the client's scheme; an admin listener requiring client
// certificates refuses a client without one.
func TestHTTPSListenersAndForwarding(t *testing.T) {
	p := testpki.New(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{p.Server}}
	clientTLS := &tls.Config{RootCAs: p.Pool()}
	start := func(cfg Config) *Server {
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
		return s
	}
	leaderH := &fakeHerder{configs: map[string]map[string]string{}, isLeader: true}
	leader := start(Config{Herder: leaderH, Listener: "https://localhost:0", TLS: serverTLS})
	leaderURL := "https://localhost:" + portOf(leader) + "/"
	followerH := &fakeHerder{configs: map[string]map[string]string{}, leaderURL: leaderURL}
	admin := freeAddr(t)
	follower := start(Config{Herder: followerH, Listener: "https://localhost:0", TLS: serverTLS, ClientTLS: clientTLS,
		AdminListeners: []string{"https://" + admin}, AdminTLS: &tls.Config{Certificates: []tls.Certificate{p.Server}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.Pool()}})

	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: clientTLS}}
	resp, err := cl.Post("https://localhost:"+portOf(follower)+"/connectors", "application/json", strings.NewReader(`{"name":"x","config":{"connector.class":"X"}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || leaderH.configs["x"] == nil {
		t.Fatalf("forwarded create: %d %s", resp.StatusCode, b)
	}
	if loc := resp.Header.Get("Location"); loc != "https://localhost:"+portOf(follower)+"/connectors/x" {
		t.Fatalf("Location %q", loc)
	}
	// Without the CA the worker's certificate is not trusted.
	if _, err := http.Get("https://localhost:" + portOf(follower) + "/connectors"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted server accepted: %v", err)
	}
	// Plain HTTP on an https listener gets no API answer.
	if resp, err := http.Get("http://localhost:" + portOf(follower) + "/connectors"); err == nil && resp.StatusCode == 200 {
		t.Fatal("plain HTTP served on an https listener")
	}
	// The admin listener requires a client certificate.
	if _, err := cl.Get("https://" + admin + "/admin/loggers"); err == nil {
		t.Fatal("admin listener answered a client without a certificate")
	}
	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.Pool(), Certificates: []tls.Certificate{p.ClientTLS}, ServerName: "localhost"}}}
	resp, err = withCert.Get("https://" + admin + "/admin/loggers")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin listener with a client certificate: %v %v", resp, err)
	}
	resp.Body.Close()
}

// A client TLS configuration that could not be built fails the requests
// to https:// workers with its reason.
func TestForwardingWithBrokenClientTLS(t *testing.T) {
	h := &fakeHerder{configs: map[string]map[string]string{}, leaderURL: "https://127.0.0.1:1/"}
	s, err := New(Config{Herder: h, Listener: "http://127.0.0.1:0", ClientTLSErr: errorString("Failed to load SSL trust store /x (ssl.truststore.location)")})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	code, body := call(t, "POST", ts.URL+"/connectors", "application/json", `{"name":"x","config":{"connector.class":"X"}}`)
	if code != 500 || !strings.Contains(body, "Error trying to forward REST request: Failed to load SSL trust store /x") {
		t.Fatalf("%d %s", code, body)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func portOf(s *Server) string {
	a := s.Addr().String()
	return a[strings.LastIndexByte(a, ':')+1:]
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a := l.Addr().String()
	return "localhost:" + a[strings.LastIndexByte(a, ':')+1:]
}
