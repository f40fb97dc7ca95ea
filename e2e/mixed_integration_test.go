//go:build integration

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/entities"
	"github.com/gonnect/gonnect/worker/sessionkey"
	"github.com/gonnect/gonnect/worker/storage"
)

const (
	// mixedDelay is scheduled.rebalance.max.delay.ms of the mixed clusters,
	// mixedKeyTTL their inter.worker.key.ttl.ms (short, so keys rotate
	// during the test).
	mixedDelay  = 12 * time.Second
	mixedKeyTTL = 25 * time.Second
)

// mixed is one mixed cluster's pipeline: a FileStreamSource reads in into
// a topic, two FileStreamSinks write it out.
type mixed struct {
	t     *testing.T
	c     *cluster
	topic string
	in    string
	outs  []string
	names []string
	next  int
}

func (m *mixed) appendLines(n int) {
	m.t.Helper()
	var b strings.Builder
	for range n {
		fmt.Fprintf(&b, "line-%06d\n", m.next)
		m.next++
	}
	f, err := os.OpenFile(m.in, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		m.t.Fatal(err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		m.t.Fatal(err)
	}
	f.Close()
}

// delivered waits until each sink's file holds every line appended so far
// and nothing else (duplicates are at-least-once's right).
func (m *mixed) delivered(what string) {
	m.t.Helper()
	eventually(m.t, 150*time.Second, what, func() (bool, string) {
		for _, o := range m.outs {
			got := linesIn(o)
			for i := range m.next {
				if !got[fmt.Sprintf("line-%06d", i)] {
					return false, fmt.Sprintf("%s lacks line-%06d (%d distinct of %d)", o, i, len(got), m.next)
				}
			}
			if len(got) != m.next {
				return false, fmt.Sprintf("%s has %d distinct lines, want %d", o, len(got), m.next)
			}
		}
		return true, ""
	})
}

// create creates a connector through worker w, retrying while the cluster
// rebalances.
func (m *mixed) create(w *proc, name string, cfg map[string]string) {
	m.t.Helper()
	eventually(m.t, 60*time.Second, "create "+name+" through "+w.id(), func() (bool, string) {
		code, b, _ := do("POST", w.url()+"/connectors", map[string]any{"name": name, "config": cfg})
		return code == 201, fmt.Sprintf("%d %s", code, b)
	})
	m.names = append(m.names, name)
}

// settled waits until every connector and task runs, each on one of
// workers, spread evenly over them (connectors and tasks each differing by
// at most one between workers), as seen from every live worker.
func (m *mixed) settled(what string, workers ...*proc) {
	m.t.Helper()
	eventually(m.t, 150*time.Second, what, func() (bool, string) {
		var first string
		for _, w := range m.c.worker {
			if !w.alive() {
				continue
			}
			conns, tasks, all := placement(m.t, w.url(), m.names...)
			if !all {
				return false, "not all running, seen from " + w.id()
			}
			if !even(conns, workers) || !even(tasks, workers) {
				return false, fmt.Sprintf("connectors %v, tasks %v over %v", conns, tasks, ids(workers))
			}
			view := fmt.Sprint(conns, tasks)
			if first == "" {
				first = view
			} else if view != first {
				return false, "workers disagree: " + first + " / " + view
			}
		}
		return true, ""
	})
}

func ids(ws []*proc) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.id())
	}
	return out
}

// even reports whether counts cover exactly workers, spread within one.
func even(counts map[string]int, workers []*proc) bool {
	lo, hi := -1, 0
	for k := range counts {
		if !slices.Contains(ids(workers), k) {
			return false
		}
	}
	for _, w := range workers {
		n := counts[w.id()]
		if lo < 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
	}
	return hi-lo <= 1
}

// owner is the worker running connector name.
func (m *mixed) owner(name string) string {
	for _, w := range m.c.worker {
		if w.alive() {
			if s, ok := statusOf(m.t, w.url(), name); ok {
				return s.Connector.WorkerID
			}
		}
	}
	return ""
}

// reconfigureOwnedBy changes the config of a connector that w runs, so w
// regenerates its task configs and, as a follower, hands them to the
// leader; it waits until the cluster's task configs carry the change.
func (m *mixed) reconfigureOwnedBy(w *proc, marker string) string {
	m.t.Helper()
	var name string
	eventually(m.t, 60*time.Second, "a connector running on "+w.id(), func() (bool, string) {
		for _, n := range m.names {
			if m.owner(n) == w.id() {
				name = n
				return true, ""
			}
		}
		return false, "none"
	})
	eventually(m.t, 30*time.Second, "PATCH "+name, func() (bool, string) {
		code, b, _ := do("PATCH", w.url()+"/connectors/"+name+"/config", map[string]string{"migration.marker": marker})
		return code == 200, fmt.Sprintf("%d %s", code, b)
	})
	eventually(m.t, 90*time.Second, "task configs of "+name+" with the change", func() (bool, string) {
		code, b := get(m.c.worker[len(m.c.worker)-1].url() + "/connectors/" + name + "/tasks")
		var tasks []struct {
			Config map[string]string `json:"config"`
		}
		if code != 200 || json.Unmarshal(b, &tasks) != nil || len(tasks) == 0 {
			return false, fmt.Sprintf("%d %s", code, b)
		}
		for _, tk := range tasks {
			if tk.Config["migration.marker"] != marker {
				return false, string(b)
			}
		}
		return true, ""
	})
	return name
}

// sessionKeys reads the session-key records of the cluster's config topic.
func sessionKeys(t *testing.T, c *cluster) []entities.SessionKey {
	var out []entities.SessionKey
	for _, r := range readTopic(t, c.id+"-configs") {
		if string(r.Key) != "session-key" || r.Value == nil {
			continue
		}
		var v struct {
			Key       string `json:"key"`
			Algorithm string `json:"algorithm"`
			Created   int64  `json:"creation-timestamp"`
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("session key record %s: %v", r.Value, err)
		}
		k, err := base64.StdEncoding.DecodeString(v.Key)
		if err != nil {
			t.Fatalf("session key record %s: %v", r.Value, err)
		}
		out = append(out, entities.SessionKey{Material: k, Algorithm: v.Algorithm, Created: time.UnixMilli(v.Created)})
	}
	return out
}

// internalCall sends an internal request with the given signature headers.
func internalCall(w *proc, method, path, body string, headers map[string]string) (int, string) {
	req, err := http.NewRequest(method, w.url()+path, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func signed(key []byte, alg, body string) map[string]string {
	mac, err := sessionkey.Sign(alg, key, []byte(body))
	if err != nil {
		panic(err)
	}
	return map[string]string{sessionkey.SignatureHeader: base64.StdEncoding.EncodeToString(mac), sessionkey.SignatureAlgorithmHeader: alg}
}

// sameAnswers sends each internal request to both workers (one of each
// runtime) and requires equal statuses and bodies, and the status given;
// when the session key rotates meanwhile it asks again with the new one.
func sameAnswers(t *testing.T, a, b *proc, currentKey func() []byte) {
	t.Helper()
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	body := `[{"task.class":"org.apache.kafka.connect.file.FileStreamSinkTask"}]`
	type call struct {
		name, method, path, body string
		headers                  map[string]string
		status                   int
	}
	for attempt := 0; ; attempt++ {
		key := currentKey()
		var failures []string
		rotated := false
		for _, tc := range []call{
			{"unsigned", "POST", "/connectors/x/tasks", body, map[string]string{"Content-Type": "application/json"}, 400},
			{"forged", "POST", "/connectors/x/tasks", body, signed(random, "HmacSHA256", body), 403},
			{"signed for another body", "POST", "/connectors/x/tasks", body, signed(key, "HmacSHA256", "[]"), 403},
			{"algorithm not verified", "POST", "/connectors/x/tasks", body, signed(key, "HmacSHA512", body), 400},
			{"unknown algorithm", "POST", "/connectors/x/tasks", body, map[string]string{sessionkey.SignatureHeader: "AAAA", sessionkey.SignatureAlgorithmHeader: "HmacNope"}, 400},
			{"signature not base64", "POST", "/connectors/x/tasks", body, map[string]string{sessionkey.SignatureHeader: "!!!!", sessionkey.SignatureAlgorithmHeader: "HmacSHA256"}, 400},
			{"unsigned fencing", "PUT", "/connectors/x/fence", "", nil, 400},
			{"forged fencing", "PUT", "/connectors/x/fence", "", signed(random, "HmacSHA256", ""), 403},
			// Properly signed: a follower passes it on, unsigned as Connect
			// forwards, and the leader refuses that.
			{"signed, through a follower", "POST", "/connectors/x/tasks", body, signed(key, "HmacSHA256", body), 400},
		} {
			ca, ba := internalCall(a, tc.method, tc.path, tc.body, tc.headers)
			cb, bb := internalCall(b, tc.method, tc.path, tc.body, tc.headers)
			if (ca == 403 || cb == 403) && tc.status != 403 {
				rotated = true
			}
			if ca != tc.status || ca != cb || ba != bb {
				failures = append(failures, fmt.Sprintf("%s: %s answered %d %s; %s answered %d %s; want both %d, same body", tc.name, runtimeOf(a), ca, ba, runtimeOf(b), cb, bb, tc.status))
			}
		}
		if len(failures) == 0 {
			return
		}
		if !rotated || attempt == 2 {
			for _, f := range failures {
				t.Error(f)
			}
			return
		}
		t.Log("the session key rotated during the requests; asking again with the new one")
		time.Sleep(time.Second)
	}
}

func runtimeOf(w *proc) string {
	if w.java {
		return "Apache Connect " + w.id()
	}
	return "gonnect " + w.id()
}

// sameEverywhere requires GET path to answer the same from every live worker.
func (m *mixed) sameEverywhere(what, path string) {
	m.t.Helper()
	eventually(m.t, 60*time.Second, what+" the same from every worker", func() (bool, string) {
		var first any
		var from string
		for _, w := range m.c.worker {
			if !w.alive() {
				continue
			}
			code, b := get(w.url() + path)
			var v any
			if code != 200 || json.Unmarshal(b, &v) != nil {
				return false, fmt.Sprintf("%s: %d %s", w.id(), code, b)
			}
			// Offsets come in no particular order.
			if o, ok := v.(map[string]any); ok {
				if l, ok := o["offsets"].([]any); ok {
					slices.SortFunc(l, func(x, y any) int {
						bx, _ := json.Marshal(x)
						by, _ := json.Marshal(y)
						return strings.Compare(string(bx), string(by))
					})
				}
			}
			if first == nil {
				first, from = v, w.id()
			} else if !reflect.DeepEqual(first, v) {
				return false, fmt.Sprintf("%s: %v; %s: %v", from, first, w.id(), v)
			}
		}
		return true, ""
	})
}

// rest asks worker w and requires the status.
func rest(t *testing.T, w *proc, method, path string, body any, status int) []byte {
	t.Helper()
	var code int
	var b []byte
	eventually(t, 60*time.Second, fmt.Sprintf("%s %s on %s answering %d", method, path, runtimeOf(w), status), func() (bool, string) {
		code, b, _ = do(method, w.url()+path, body)
		return code == status, fmt.Sprintf("%d %s", code, b)
	})
	return b
}

// TestIntegrationMixedCluster: gonnect workers join a running Apache
// Connect 4.3.1 cluster (same group.id and internal topics) and the Java
// workers leave one by one, and the reverse: two gonnect workers and one
// Java worker. Whichever runtime leads: work is spread evenly; connectors
// created through either runtime run; each runtime's follower hands its
// task configs to the other runtime's leader, signed with the session key
// the leader distributed; forged internal requests are refused alike;
// status, restarts, pause/stop/resume, offsets and cluster logger levels
// answer the same from any worker; a crashed follower's work is held for
// scheduled.rebalance.max.delay.ms; after the leader is killed and the last
// Java worker stops, every task runs on gonnect with no line lost; the
// session key rotates across the leader change; a Java worker joins back
// and gets work.
func TestIntegrationMixedCluster(t *testing.T) {
	for _, tc := range []struct {
		name      string
		javaLeads bool
	}{{"java-leads", true}, {"gonnect-leads", false}} {
		t.Run(tc.name, func(t *testing.T) { mixedCluster(t, tc.javaLeads) })
	}
}

func mixedCluster(t *testing.T, javaLeads bool) {
	c := newCluster(t, map[string]string{"scheduled.rebalance.max.delay.ms": fmt.Sprint(mixedDelay.Milliseconds()),
		"inter.worker.key.ttl.ms": fmt.Sprint(mixedKeyTTL.Milliseconds())})
	start := func(java bool) *proc {
		if java {
			return c.startJava(nil)
		}
		return c.start()
	}
	leader := start(javaLeads)
	second := start(javaLeads)
	other := start(!javaLeads) // the other runtime's worker
	eventually(t, 60*time.Second, "the first worker leading", func() (bool, string) {
		p := leaderPort(c)
		return p == leader.port, fmt.Sprint(p)
	})
	javaW, gonnectW := leader, other
	if !javaLeads {
		javaW, gonnectW = other, leader
	}

	dir := t.TempDir()
	m := &mixed{t: t, c: c, topic: "mixed-" + c.id, in: dir + "/in.txt", outs: []string{dir + "/out-a.txt", dir + "/out-b.txt"}}
	if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, m.topic, 6, 1, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m.in, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	m.create(javaW, "src-"+c.id, map[string]string{"connector.class": "FileStreamSource", "tasks.max": "3", "file": m.in, "topic": m.topic})
	m.create(gonnectW, "snka-"+c.id, map[string]string{"connector.class": "FileStreamSink", "tasks.max": "6", "topics": m.topic, "file": m.outs[0]})
	m.create(javaW, "snkb-"+c.id, map[string]string{"connector.class": "FileStreamSink", "tasks.max": "2", "topics": m.topic, "file": m.outs[1]})
	m.settled("work spread over the three workers", leader, second, other)
	m.appendLines(1000)
	m.delivered("the first 1000 lines")

	// The other runtime's follower hands task configs to this leader.
	name := m.reconfigureOwnedBy(other, "1")
	if javaLeads {
		// Connect's request log shows the leader took them (204).
		eventually(t, 10*time.Second, "the Java leader logging the accepted task configs", func() (bool, string) {
			b, _ := os.ReadFile(leader.log)
			return strings.Contains(string(b), `"POST /connectors/`+name+`/tasks HTTP/1.1" 204`), "not logged"
		})
	}
	keys := sessionKeys(t, c)
	if len(keys) == 0 {
		t.Fatal("no session key in the config topic")
	}
	key := keys[len(keys)-1]
	if key.Algorithm != "HmacSHA256" || len(key.Material) != 32 {
		t.Fatalf("session key %s of %d bytes, want HmacSHA256 of 32", key.Algorithm, len(key.Material))
	}
	// Both followers (one of each runtime) refuse forged requests alike.
	javaF, gonnectF := second, other
	if !javaLeads {
		javaF, gonnectF = other, second
	}
	sameAnswers(t, javaF, gonnectF, func() []byte { ks := sessionKeys(t, c); return ks[len(ks)-1].Material })
	// The leader verifies a properly signed request itself.
	body := `[]`
	if code, b := internalCall(leader, "POST", "/connectors/nope-"+c.id+"/tasks", body, signed(keys[len(keys)-1].Material, "HmacSHA256", body)); code != 404 && code != 403 {
		t.Errorf("%s answered a signed request for an unknown connector %d %s, want 404 (or 403 if the key just rotated)", runtimeOf(leader), code, b)
	}

	// The same answers from any worker.
	snka, snkb := "snka-"+c.id, "snkb-"+c.id
	for _, n := range m.names {
		m.sameEverywhere("status of "+n, "/connectors/"+n+"/status")
	}
	rest(t, gonnectW, "PUT", "/connectors/"+snkb+"/pause", nil, 202)
	eventually(t, 60*time.Second, snkb+" PAUSED", func() (bool, string) {
		s, _ := statusOf(t, javaW.url(), snkb)
		return s.Connector.State == "PAUSED" && len(s.Tasks) > 0 && s.Tasks[0].State == "PAUSED", fmt.Sprintf("%+v", s)
	})
	m.sameEverywhere("status of the paused "+snkb, "/connectors/"+snkb+"/status")
	rest(t, javaW, "PUT", "/connectors/"+snkb+"/resume", nil, 202)
	rest(t, javaW, "POST", "/connectors/"+snka+"/restart?includeTasks=true", nil, 202)
	rest(t, gonnectW, "PUT", "/connectors/"+snkb+"/stop", nil, 204)
	eventually(t, 60*time.Second, snkb+" STOPPED", func() (bool, string) {
		s, _ := statusOf(t, gonnectW.url(), snkb)
		return s.Connector.State == "STOPPED" && len(s.Tasks) == 0, fmt.Sprintf("%+v", s)
	})
	m.sameEverywhere("offsets of the stopped "+snkb, "/connectors/"+snkb+"/offsets")
	rest(t, javaW, "PATCH", "/connectors/"+snkb+"/offsets", map[string]any{"offsets": []map[string]any{{
		"partition": map[string]any{"kafka_topic": m.topic, "kafka_partition": 0}, "offset": map[string]any{"kafka_offset": 0}}}}, 200)
	m.sameEverywhere("altered offsets of "+snkb, "/connectors/"+snkb+"/offsets")
	if b := rest(t, gonnectW, "DELETE", "/connectors/"+snkb+"/offsets", nil, 200); !strings.Contains(string(b), "reset successfully") {
		t.Errorf("offsets reset answered %s", b)
	}
	m.sameEverywhere("reset offsets of "+snkb, "/connectors/"+snkb+"/offsets")
	rest(t, javaW, "PUT", "/connectors/"+snkb+"/resume", nil, 202)
	rest(t, gonnectW, "PUT", "/admin/loggers/org.apache.kafka.connect.file?scope=cluster", map[string]string{"level": "WARN"}, 204)
	eventually(t, 30*time.Second, "the cluster logger level on every worker", func() (bool, string) {
		for _, w := range c.worker {
			code, b := get(w.url() + "/admin/loggers/org.apache.kafka.connect.file")
			if code != 200 || !strings.Contains(string(b), `"level":"WARN"`) {
				return false, fmt.Sprintf("%s: %d %s", runtimeOf(w), code, b)
			}
		}
		return true, ""
	})
	m.settled("work spread again after the actions", leader, second, other)
	m.appendLines(500)
	m.delivered("lines after the actions")

	// A crashed follower's work waits for scheduled.rebalance.max.delay.ms
	// under this leader.
	killedAt := time.Now()
	other.kill()
	m.appendLines(500)
	eventually(t, mixedDelay+90*time.Second, "the crashed worker's work running elsewhere", func() (bool, string) {
		conns, tasks, all := placement(t, leader.url(), m.names...)
		return all && conns[other.id()] == 0 && tasks[other.id()] == 0, fmt.Sprint(conns, tasks)
	})
	if moved := time.Since(killedAt); moved < mixedDelay {
		t.Errorf("%s moved a crashed worker's work after %s, before scheduled.rebalance.max.delay.ms (%s)", runtimeOf(leader), moved, mixedDelay)
	} else {
		t.Logf("%s moved a crashed follower's work %.1fs after SIGKILL (delay %s)", runtimeOf(leader), moved.Seconds(), mixedDelay)
	}
	m.delivered("lines while a worker was down")
	other = start(!javaLeads)
	m.settled("work spread with the replacement", leader, second, other)

	// The leader crashes; then the last Java worker stops gracefully.
	leaderKilled := time.Now()
	leader.kill()
	m.appendLines(500)
	m.settled("work on the two survivors", second, other)
	m.delivered("lines after the leader crashed")
	lastJava, final := second, other
	if !javaLeads {
		lastJava, final = other, second
	}
	lastJava.stop(t)
	m.appendLines(500)
	m.settled("every connector and task on gonnect", final)
	m.delivered("every line on gonnect")

	// The session key rotates across the leader change.
	eventually(t, mixedKeyTTL+60*time.Second, "a session key made after the leader crashed", func() (bool, string) {
		ks := sessionKeys(t, c)
		last := ks[len(ks)-1]
		return last.Created.After(leaderKilled), fmt.Sprintf("%d keys, last made %s", len(ks), last.Created.Format(time.RFC3339))
	})

	// A Java worker joins back, gets work, and hands the gonnect leader
	// task configs signed with the rotated key.
	back := c.startJava(nil)
	m.settled("work spread with the returning Java worker", final, back)
	m.reconfigureOwnedBy(back, "2")
	m.appendLines(500)
	m.delivered("every line with the Java worker back")
}

// TestIntegrationMixedClusterCassandraSink: one Cassandra sink connector
// config runs as the DataStax connector 1.5.0 on two Apache Connect 4.3.1
// workers and as gonnect's sink on a gonnect worker of the same cluster;
// the Java leader is killed, the other Java worker stops gracefully, and
// every record is a row once gonnect runs every task.
func TestIntegrationMixedClusterCassandraSink(t *testing.T) {
	stack.RequireCassandra(t)
	ds := dataStaxDir(t)
	c := newCluster(t, map[string]string{"scheduled.rebalance.max.delay.ms": fmt.Sprint(mixedDelay.Milliseconds())})
	javaExtra := map[string]string{"plugin.path": ds, "plugin.discovery": "only_scan"}
	j1 := c.startJava(javaExtra)
	j2 := c.startJava(javaExtra)
	g := c.start()
	eventually(t, 60*time.Second, "the first Java worker leading", func() (bool, string) {
		p := leaderPort(c)
		return p == j1.port, fmt.Sprint(p)
	})

	sess := cassandraSession(t)
	ks := strings.ReplaceAll("mixed_"+c.id, "-", "_")
	for _, q := range []string{
		fmt.Sprintf("CREATE KEYSPACE %s WITH replication = {'class':'SimpleStrategy','replication_factor':1}", ks),
		fmt.Sprintf("CREATE TABLE %s.rows (id text PRIMARY KEY, payload text)", ks),
	} {
		if err := sess.Query(q).Exec(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() { _ = sess.Query("DROP KEYSPACE IF EXISTS " + ks).Exec() })
	topic := "mixed-cass-" + c.id
	if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 6, 1, nil); err != nil {
		t.Fatal(err)
	}
	name := "cass-" + c.id
	cfg := map[string]string{
		"connector.class": "com.datastax.oss.kafka.sink.CassandraSinkConnector", "tasks.max": "6", "topics": topic,
		"contactPoints": strings.Split(stack.CassandraHosts()[0], ":")[0], "port": strings.Split(stack.CassandraHosts()[0], ":")[1],
		"loadBalancing.localDc":                                "datacenter1",
		"topic." + topic + "." + ks + ".rows.mapping":          "id=key, payload=value",
		"topic." + topic + "." + ks + ".rows.consistencyLevel": "LOCAL_ONE",
	}
	m := &mixed{t: t, c: c}
	m.create(j2, name, cfg)
	m.settled("the sink's tasks spread over the three workers", j1, j2, g)
	load := workerLoad(t, g.url(), name)
	if load[g.id()] == 0 || load[j1.id()]+load[j2.id()] == 0 {
		t.Fatalf("tasks %v: want some on gonnect and some on Apache Connect", load)
	}
	total := 0
	produce := func(n int) {
		produceLines(t, topic, total, total+n)
		total += n
	}
	rows := func(what string) {
		t.Helper()
		eventually(t, 150*time.Second, what, func() (bool, string) {
			it := sess.Query("SELECT id, payload FROM " + ks + ".rows").Iter()
			seen := map[string]bool{}
			var id, payload string
			for it.Scan(&id, &payload) {
				if payload != id {
					return false, fmt.Sprintf("row %s has payload %q", id, payload)
				}
				seen[id] = true
			}
			if err := it.Close(); err != nil {
				return false, err.Error()
			}
			for i := range total {
				if !seen[fmt.Sprintf("line-%06d", i)] {
					return false, fmt.Sprintf("line-%06d missing (%d of %d rows)", i, len(seen), total)
				}
			}
			return true, ""
		})
	}
	produce(2000)
	rows("the first rows, written by both sinks")

	j1.kill()
	produce(2000)
	m.settled("the sink on the two survivors", j2, g)
	j2.stop(t)
	produce(2000)
	m.settled("every task of the sink on gonnect", g)
	rows("every row once the Java workers are gone")
}
