package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
	"github.com/gonnect/gonnect/worker/sessionkey"
)

// clusterMember is a group member of a distributed cluster as the herder
// sees it: it leads or follows a leader at url, under a protocol version.
type clusterMember struct {
	*Solo
	url     string
	leads   atomic.Bool
	version int16
}

func (m *clusterMember) Leader() (string, bool) { return m.url, m.leads.Load() }
func (m *clusterMember) ProtocolVersion() int16 { return m.version }

func testKeys(ttl time.Duration) *SessionKeyConfig {
	g, err := sessionkey.NewGenerator("HmacSHA256", nil)
	if err != nil {
		panic(err)
	}
	return &SessionKeyConfig{Generator: g, TTL: ttl, SignatureAlgorithm: "HmacSHA256", Verifier: sessionkey.Verifier{Algorithms: []string{"HmacSHA256"}}}
}

func startCluster(t *testing.T, leads bool, version int16, leaderURL string, keys *SessionKeyConfig) (*harness, *clusterMember) {
	t.Helper()
	var m *clusterMember
	hs := startHarnessConfig(t, func(s *Solo, _ *MemoryStatusStore) Membership {
		m = &clusterMember{Solo: s, url: leaderURL, version: version}
		m.leads.Store(leads)
		return m
	}, func(c *HerderConfig) { c.SessionKeys, c.GroupID = keys, "g1" })
	return hs, m
}

// TestHerderLeaderDistributesAndRotatesSessionKey: under the sessioned
// protocol the leader writes a key when there is none, when it expires and
// when it is not what its settings make; under older protocols and on
// followers nobody writes one.
func TestHerderLeaderDistributesAndRotatesSessionKey(t *testing.T) {
	const ttl = 300 * time.Millisecond
	hs, _ := startCluster(t, true, 2, "http://w1:8083/", testKeys(ttl))
	var first *entities.SessionKey
	eventually(t, "a session key", func() bool { first = hs.configs.Snapshot().SessionKey; return first != nil })
	if first.Algorithm != "HmacSHA256" || len(first.Material) != 32 {
		t.Fatalf("key %s of %d bytes, want HmacSHA256 of 32", first.Algorithm, len(first.Material))
	}
	eventually(t, "the key rotated after its TTL", func() bool {
		k := hs.configs.Snapshot().SessionKey
		return k != first && !bytes.Equal(k.Material, first.Material) && !k.Created.Before(first.Created.Add(ttl))
	})
	// Another leader's key of another size is replaced at once.
	foreign := &entities.SessionKey{Material: make([]byte, 64), Algorithm: "HmacSHA256", Created: time.Now()}
	if err := hs.configs.PutSessionKey(context.Background(), foreign); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the foreign key replaced", func() bool {
		k := hs.configs.Snapshot().SessionKey
		return k != foreign && len(k.Material) == 32
	})

	for _, tc := range []struct {
		name    string
		leads   bool
		version int16
	}{{"compatible protocol", true, 1}, {"follower", false, 2}} {
		hs, _ := startCluster(t, tc.leads, tc.version, "http://w1:8083/", testKeys(ttl))
		time.Sleep(200 * time.Millisecond)
		if k := hs.configs.Snapshot().SessionKey; k != nil {
			t.Errorf("%s wrote a session key", tc.name)
		}
	}
}

func sign(t *testing.T, key *entities.SessionKey, body []byte) *sessionkey.Signature {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://x", nil)
	if err := sessionkey.AddToRequest(req, key, "HmacSHA256", body); err != nil {
		t.Fatal(err)
	}
	sig, err := sessionkey.FromHeaders(req.Header, body)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func statusCode(err error) int {
	var bad *entities.BadRequestError
	var nf *entities.NotFoundError
	var st *entities.StatusError
	var nl *entities.NotLeaderError
	switch {
	case err == nil:
		return 204
	case errors.As(err, &bad):
		return 400
	case errors.As(err, &nf):
		return 404
	case errors.As(err, &st):
		return st.Status
	case errors.As(err, &nl):
		return 307
	}
	return 500
}

// TestHerderInternalTaskConfigs: the leader writes task configs handed to it
// only with a valid signature under the sessioned protocol, with Connect's
// answers otherwise; a follower sends the request on to the leader.
func TestHerderInternalTaskConfigs(t *testing.T) {
	ctx := context.Background()
	hs, m := startCluster(t, true, 2, "http://w1:8083/", testKeys(time.Hour))
	eventually(t, "a session key", func() bool { return hs.configs.Snapshot().SessionKey != nil })
	key := hs.configs.Snapshot().SessionKey
	if err := hs.configs.PutConnectorConfig(ctx, "c1", map[string]string{"connector.class": "test.HerderSinkConnector"}, nil); err != nil {
		t.Fatal(err)
	}
	stopped := entities.TargetStopped
	if err := hs.configs.PutConnectorConfig(ctx, "off", map[string]string{"connector.class": "test.HerderSinkConnector"}, &stopped); err != nil {
		t.Fatal(err)
	}
	configs := []map[string]string{{"task": "0"}, {"task": "1"}}
	body, _ := json.Marshal(configs)
	other := &entities.SessionKey{Material: bytes.Repeat([]byte{7}, 32), Algorithm: "HmacSHA256"}
	for _, tc := range []struct {
		name   string
		conn   string
		sig    *sessionkey.Signature
		status int
		msg    string
	}{
		{"unsigned", "c1", nil, 400, "Internal request missing required signature"},
		{"signed with another key", "c1", sign(t, other, body), 403, "Internal request contained invalid signature."},
		{"unknown connector", "nope", sign(t, key, body), 404, "Connector nope not found"},
		{"stopped connector", "off", sign(t, key, body), 400, "Cannot submit non-empty set of task configs for stopped connector off"},
		{"signed", "c1", sign(t, key, body), 204, ""},
	} {
		err := hs.h.PutTaskConfigs(ctx, tc.conn, configs, tc.sig)
		if got := statusCode(err); got != tc.status || (err != nil && err.Error() != tc.msg) {
			t.Errorf("%s: %d %v; want %d %q", tc.name, got, err, tc.status, tc.msg)
		}
	}
	if got := hs.configs.Snapshot().Tasks["c1"]; len(got) != 2 || got[1]["task"] != "1" {
		t.Fatalf("task configs after the signed request: %v", got)
	}

	m.leads.Store(false)
	err := hs.h.PutTaskConfigs(ctx, "c1", configs, sign(t, key, body))
	var nl *entities.NotLeaderError
	if !errors.As(err, &nl) || nl.URL != "http://w1:8083/" || nl.Msg != "Only the leader may write task configurations." {
		t.Fatalf("follower: %v", err)
	}
	if err := hs.h.FenceZombies(ctx, "c1", nil); statusCode(err) != 400 {
		t.Fatalf("unsigned fencing: %v", err)
	}

	// Under the compatible protocol nothing is verified, as in Connect.
	hs1, _ := startCluster(t, true, 1, "http://w1:8083/", testKeys(time.Hour))
	if err := hs1.configs.PutConnectorConfig(ctx, "c1", map[string]string{"connector.class": "test.HerderSinkConnector"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := hs1.h.PutTaskConfigs(ctx, "c1", configs, nil); err != nil {
		t.Fatalf("unsigned under the compatible protocol: %v", err)
	}
	// Standalone workers refuse both as Connect's standalone herder does.
	solo := startHarness(t)
	if err := solo.h.PutTaskConfigs(ctx, "c1", configs, nil); err == nil || err.Error() != "Kafka Connect in standalone mode does not support externally setting task configurations." {
		t.Fatalf("standalone: %v", err)
	}
	if err := solo.h.FenceZombies(ctx, "c1", nil); err == nil || err.Error() != "Kafka Connect in standalone mode does not support exactly-once source connectors." {
		t.Fatalf("standalone fencing: %v", err)
	}
}

// TestHerderFollowerForwardsTaskConfigs: a follower running a connector does
// not write its task configs but posts them to the leader, signed with the
// session key as Connect signs them, and posts again after a failure.
func TestHerderFollowerForwardsTaskConfigs(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	var sigErrs []error
	var key *entities.SessionKey
	verifier := sessionkey.Verifier{Algorithms: []string{"HmacSHA256"}}
	leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sig, err := sessionkey.FromHeaders(r.Header, b)
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			err = verifier.Check(sig, key)
		}
		if r.URL.Path != "/connectors/c1/tasks" || r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" {
			err = errors.New("unexpected request " + r.Method + " " + r.URL.Path)
		}
		sigErrs = append(sigErrs, err)
		bodies = append(bodies, b)
		if len(bodies) == 1 {
			w.WriteHeader(500)
			_, _ = w.Write([]byte(`{"error_code":500,"message":"try again"}`))
			return
		}
		w.WriteHeader(204)
	}))
	defer leader.Close()
	ctx := context.Background()
	mu.Lock()
	key = &entities.SessionKey{Material: bytes.Repeat([]byte{3}, 32), Algorithm: "HmacSHA256", Created: time.Now()}
	mu.Unlock()
	hs, _ := startCluster(t, false, 2, leader.URL+"/", testKeys(time.Hour))
	if err := hs.configs.PutSessionKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := hs.configs.PutConnectorConfig(ctx, "c1", map[string]string{"connector.class": "test.HerderSinkConnector", "tasks.max": "2"}, nil); err != nil {
		t.Fatal(err)
	}
	hs.h.member.RequestRejoin()
	eventually(t, "two posts to the leader", func() bool { mu.Lock(); defer mu.Unlock(); return len(bodies) >= 2 })
	mu.Lock()
	defer mu.Unlock()
	for i, err := range sigErrs[:2] {
		if err != nil {
			t.Errorf("post %d: %v", i, err)
		}
	}
	var got []map[string]string
	if err := json.Unmarshal(bodies[1], &got); err != nil || len(got) != 2 || got[1]["n"] != "1" || got[0]["task.class"] != "test.HerderSinkTask" {
		t.Fatalf("posted %s (%v)", bodies[1], err)
	}
	if n := len(hs.configs.Snapshot().Tasks["c1"]); n != 0 {
		t.Fatalf("the follower wrote %d task configs itself", n)
	}
}

// TestHerderFollowerForwardsTaskConfigsInOrder: a follower's forwards of
// one connector's task configs never overlap, so the leader cannot write
// older configs last, and configs equal to the stored ones are forwarded
// while an older forward may still overwrite them.
func TestHerderFollowerForwardsTaskConfigsInOrder(t *testing.T) {
	var mu sync.Mutex
	var values []string
	var inFlight, most int
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var got []map[string]string
		_ = json.Unmarshal(b, &got)
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		first := len(values) == 0
		if len(got) > 0 {
			values = append(values, got[0]["v"])
		} else {
			values = append(values, "")
		}
		mu.Unlock()
		if first {
			<-release // the leader is slow to answer the first
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
		w.WriteHeader(204)
	}))
	defer leader.Close()
	defer unblock()
	ctx := context.Background()
	hs, _ := startCluster(t, false, 2, leader.URL+"/", testKeys(time.Hour))
	if err := hs.configs.PutSessionKey(ctx, &entities.SessionKey{Material: bytes.Repeat([]byte{3}, 32), Algorithm: "HmacSHA256", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	cfg := func(v string) map[string]string {
		return map[string]string{"connector.class": "test.HerderSinkConnector", "tasks.max": "2", "v": v}
	}
	// The stored task configs are those of v=a, as the leader wrote them.
	stored := decorateTaskConfigs(cfg("a"), []map[string]string{{"n": "0", "v": "a"}, {"n": "1", "v": "a"}})
	if err := hs.configs.PutConnectorConfig(ctx, "c1", cfg("a"), nil); err != nil {
		t.Fatal(err)
	}
	if err := hs.configs.PutTaskConfigs(ctx, "c1", stored); err != nil {
		t.Fatal(err)
	}
	hs.h.member.RequestRejoin()
	eventually(t, "c1 running", func() bool { return hs.h.rt.connectorRunning("c1") })
	for _, v := range []string{"b", "c", "a"} {
		if err := hs.configs.PutConnectorConfig(ctx, "c1", cfg(v), nil); err != nil {
			t.Fatal(err)
		}
		eventually(t, "v="+v+" applied", func() bool {
			hs.h.rt.mu.Lock()
			defer hs.h.rt.mu.Unlock()
			rc := hs.h.rt.connectors["c1"]
			return rc != nil && rc.conn != nil && rc.config["v"] == v
		})
		time.Sleep(50 * time.Millisecond) // its forward is under way
	}
	unblock()
	eventually(t, "the forwards done", func() bool { return !hs.h.forwarding("c1") })
	mu.Lock()
	defer mu.Unlock()
	// b went first; c waited and was replaced by a, which equals the
	// stored configs but must still land after b.
	if most != 1 || len(values) != 2 || values[0] != "b" || values[1] != "a" {
		t.Fatalf("forwards of v: %q, at most %d at once; want [b a] one at a time", values, most)
	}
}
