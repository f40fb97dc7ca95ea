package console

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHistoryLocalAndFromPeers(t *testing.T) {
	local := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"tasks":"local"}`) })
	var peerAuth string
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != HistoryPath || r.URL.RawQuery != "" {
			http.NotFound(w, r)
			return
		}
		peerAuth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"tasks":"peer"}`)
	}))
	defer peer.Close()
	peerID := strings.TrimPrefix(peer.URL, "http://")
	members := func(_ *http.Request, id string) (string, bool) {
		if id == peerID || id == "127.0.0.1:1" {
			return "http://" + id + "/", true
		}
		return "", false
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	for _, c := range []struct {
		name, method, target string
		opts                 Options
		code                 int
		body                 string
	}{
		{"this worker's", "GET", HistoryPath, Options{History: local, Peer: members}, 200, `"local"`},
		{"a member's, fetched by this worker", "GET", HistoryPath + "?worker=" + peerID, Options{History: local, Peer: members}, 200, `"peer"`},
		{"not a member", "GET", HistoryPath + "?worker=example.com:80", Options{History: local, Peer: members}, 404, "runs no connector or task"},
		{"a member that does not answer", "GET", HistoryPath + "?worker=127.0.0.1:1", Options{History: local, Peer: members}, 502, "fetching the history of worker 127.0.0.1:1"},
		{"no history kept", "GET", HistoryPath, Options{}, 404, ""},
		{"read only", "POST", HistoryPath, Options{History: local}, 405, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(c.method, c.target, nil)
			req.Header.Set("Authorization", "Basic dTpw")
			Wrap(next, c.opts).ServeHTTP(rec, req)
			if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.body) {
				t.Fatalf("%s %s = %d %q, want %d with %q", c.method, c.target, rec.Code, rec.Body, c.code, c.body)
			}
		})
	}
	if peerAuth != "Basic dTpw" {
		t.Fatalf("the peer got Authorization %q, want the client's", peerAuth)
	}
}
