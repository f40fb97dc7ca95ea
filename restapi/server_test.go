package restapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/worker"
)

// fakeHerder answers from a map and can pretend not to lead.
type fakeHerder struct {
	worker.Interface // unimplemented methods panic; the recoverer turns that into 500
	configs          map[string]map[string]string
	leaderURL        string
	isLeader         bool
	notReady         error
	// stuck makes HealthCheck wait for its deadline, as a busy loop does.
	stuck bool
}

func (f *fakeHerder) ServerInfo(context.Context) entities.ServerInfo {
	return entities.ServerInfo{Version: "v", Commit: "c", KafkaClusterID: "k"}
}
func (f *fakeHerder) Ready() error { return f.notReady }
func (f *fakeHerder) HealthCheck(ctx context.Context) error {
	if f.stuck || f.notReady != nil {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}
func (f *fakeHerder) Connectors(context.Context) ([]string, error) {
	var out []string
	for n := range f.configs {
		out = append(out, n)
	}
	return out, nil
}
func (f *fakeHerder) ConnectorInfo(_ context.Context, n string) (entities.ConnectorInfo, error) {
	c, ok := f.configs[n]
	if !ok {
		return entities.ConnectorInfo{}, &entities.NotFoundError{Msg: "Connector " + n + " not found"}
	}
	return entities.ConnectorInfo{Name: n, Config: c, Tasks: []entities.TaskID{}, Type: entities.TypeSink}, nil
}
func (f *fakeHerder) PutConnectorConfig(_ context.Context, n string, c map[string]string, replace bool, _ entities.TargetState) (bool, entities.ConnectorInfo, error) {
	if !f.isLeader {
		return false, entities.ConnectorInfo{}, &entities.NotLeaderError{URL: f.leaderURL, Msg: "not leader"}
	}
	_, exists := f.configs[n]
	if exists && !replace {
		return false, entities.ConnectorInfo{}, &entities.ConflictError{Msg: "Connector " + n + " already exists"}
	}
	f.configs[n] = c
	return !exists, entities.ConnectorInfo{Name: n, Config: c, Tasks: []entities.TaskID{}, Type: entities.TypeSink}, nil
}
func (f *fakeHerder) ValidateConfig(context.Context, string, map[string]string) (configdef.Infos, error) {
	return configdef.Infos{}, nil
}

func serve(t *testing.T, h worker.Interface) *httptest.Server {
	s, err := New(Config{Herder: h, Listener: "http://127.0.0.1:0", HealthTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func call(t *testing.T, method, url, ctype, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestRoutesAndErrors(t *testing.T) {
	h := &fakeHerder{configs: map[string]map[string]string{"a": {"name": "a"}}, isLeader: true}
	ts := serve(t, h)
	tests := []struct {
		method, path, ctype, body string
		code                      int
		want                      string
	}{
		{"GET", "/", "", "", 200, `{"version":"v","commit":"c","kafka_cluster_id":"k"}`},
		{"GET", "/connectors/a", "", "", 200, `{"name":"a","config":{"name":"a"},"tasks":[],"type":"sink"}`},
		{"GET", "/connectors/b", "", "", 404, `{"error_code":404,"message":"Connector b not found"}`},
		{"GET", "/nope", "", "", 404, `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"PATCH", "/connectors", "", "", 405, `{"error_code":405,"message":"HTTP 405 Method Not Allowed"}`},
		{"POST", "/connectors", "text/plain", "{}", 415, `{"error_code":415,"message":"HTTP 415 Unsupported Media Type"}`},
		{"POST", "/connectors", "application/json", `{"name":"a","config":{"connector.class":"X"}}`, 409, `{"error_code":409,"message":"Connector a already exists"}`},
		{"POST", "/connectors", "application/json", `{"name":"c","config":{"name":"d"}}`, 400, `{"error_code":400,"message":"Connector name configuration (d) doesn't match connector name in the URL (c)"}`},
		{"POST", "/connectors", "application/json", `{"name":"c"}`, 500, `{"error_code":500,"message":"Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null"}`},
		{"PUT", "/connectors/n/config", "application/json", `{"connector.class":"X"}`, 201, `{"name":"n","config":{"connector.class":"X","name":"n"},"tasks":[],"type":"sink"}`},
		{"PUT", "/connectors/n/config", "application/json", `{"connector.class":"Y"}`, 200, `{"name":"n","config":{"connector.class":"Y","name":"n"},"tasks":[],"type":"sink"}`},
		{"GET", "/connectors/a/tasks/x/status", "", "", 404, `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", "/health", "", "", 200, `{"status":"healthy","message":"Worker has completed startup and is ready to handle requests."}`},
	}
	for _, tt := range tests {
		code, body := call(t, tt.method, ts.URL+tt.path, tt.ctype, tt.body)
		if code != tt.code || !jsonEqual(body, tt.want) {
			t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, code, body, tt.code, tt.want)
		}
	}
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func TestForwardingToLeader(t *testing.T) {
	leader := &fakeHerder{configs: map[string]map[string]string{}, isLeader: true}
	lts := serve(t, leader)
	follower := &fakeHerder{configs: map[string]map[string]string{}, leaderURL: lts.URL + "/"}
	fts := serve(t, follower)
	code, body := call(t, "POST", fts.URL+"/connectors", "application/json", `{"name":"x","config":{"connector.class":"X"}}`)
	if code != 201 || leader.configs["x"] == nil || follower.configs["x"] != nil {
		t.Fatalf("forwarded create: %d %s", code, body)
	}
	// A request that was already forwarded twice is refused.
	code, body = call(t, "POST", fts.URL+"/connectors?forward=false", "application/json", `{"name":"y","config":{"connector.class":"X"}}`)
	if code != 409 || !strings.Contains(body, "conflicting operation") {
		t.Fatalf("third hop: %d %s", code, body)
	}
	// No known leader.
	follower.leaderURL = ""
	code, body = call(t, "POST", fts.URL+"/connectors", "application/json", `{"name":"z","config":{"connector.class":"X"}}`)
	if code != 409 || !strings.Contains(body, "no known leader URL") {
		t.Fatalf("no leader: %d %s", code, body)
	}
}

func TestHealth(t *testing.T) {
	tests := []struct {
		name string
		h    *fakeHerder
		code int
		want string
	}{
		{"healthy", &fakeHerder{}, 200, `{"status":"healthy","message":"Worker has completed startup and is ready to handle requests."}`},
		{"starting", &fakeHerder{notReady: errors.New("starting")}, 503, `{"status":"starting","message":"Worker is still starting up."}`},
		{"unhealthy", &fakeHerder{stuck: true}, 500, `{"status":"unhealthy","message":"Worker was unable to handle this request and may be unable to handle other requests."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := serve(t, tt.h)
			if code, body := call(t, "GET", ts.URL+"/health", "", ""); code != tt.code || body != tt.want {
				t.Fatalf("%d %s, want %d %s", code, body, tt.code, tt.want)
			}
		})
	}
}

func TestServesEveryListener(t *testing.T) {
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String()
	}
	main, more, admin := free(), free(), free()
	s, err := New(Config{Herder: &fakeHerder{configs: map[string]map[string]string{}}, Listener: main, MoreListeners: []string{more}, AdminListeners: []string{admin}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Shutdown(context.Background()) }()
	for _, c := range []struct {
		url  string
		code int
	}{{main + "/connectors", 200}, {more + "/connectors", 200}, {admin + "/connectors", 404}, {admin + "/admin/loggers", 200}, {main + "/admin/loggers", 404}} {
		if code, body := call(t, "GET", c.url, "", ""); code != c.code {
			t.Errorf("GET %s: %d %s, want %d", c.url, code, body, c.code)
		}
	}
}

func TestForwardingKeepsEncodedNames(t *testing.T) {
	leader := &fakeHerder{configs: map[string]map[string]string{}, isLeader: true}
	lts := serve(t, leader)
	follower := &fakeHerder{configs: map[string]map[string]string{}, leaderURL: lts.URL + "/"}
	fts := serve(t, follower)
	for path, name := range map[string]string{"a%3Bb": "a;b", "a%20b": "a b", "a%3Ab": "a:b", "%C3%A9": "é", "a+b": "a+b", "a%2Bb": "a+b"} {
		if code, body := call(t, "PUT", fts.URL+"/connectors/"+path+"/config", "application/json", `{"connector.class":"X"}`); code/100 != 2 || leader.configs[name] == nil {
			t.Errorf("forwarded PUT %s: %d %s, leader has %v", path, code, body, leader.configs)
		}
	}
}
