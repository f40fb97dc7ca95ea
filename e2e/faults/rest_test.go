//go:build faults

package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/entities"
	"github.com/gonnect/gonnect/worker/storage"
)

// raceModel is what a connector was last asked to be.
type raceModel struct {
	name   string
	exists bool
	target entities.TargetState
	tasks  int // its config's tasks.max
	config map[string]string
	file   string
	// kept holds the task counts it may have while paused. As in Connect,
	// a paused connector keeps the task configs it had and a config change
	// takes effect on resume; which ones it had depends on whether the
	// owner regenerated them before it saw the pause.
	kept map[int]bool
}

// wantTasks is the number of tasks m has in its target state, or while
// paused the set it may keep.
func (m *raceModel) wantTasks() map[int]bool {
	switch m.target {
	case entities.TargetStopped:
		return map[int]bool{0: true}
	case entities.TargetPaused:
		return m.kept
	}
	return map[int]bool{m.tasks: true}
}

// raceClient sends one connector's requests, one at a time, each to a
// random running worker, and retries what did not get a definitive answer.
type raceClient struct {
	t       *testing.T
	c       *Cluster
	mu      *sync.Mutex
	retries map[string]int // answers retried, by kind
}

var rebalancing = regexp.MustCompile(`(?i)rebalanc|stale configuration|momentarily|forward`)

// send retries on no answer (a worker stopping), 409 while the cluster
// rebalances and 5xx from forwarding to a leader that is going away, and
// returns the first other answer. A 5xx of another kind fails the test.
func (rc *raceClient) send(method, path string, body any) (int, []byte) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		live := rc.c.Live()
		if len(live) == 0 {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		w := live[rand.IntN(len(live))]
		code, b := Do(method, w.URL()+path, body)
		kind := ""
		switch {
		case code == 0:
			kind = "no answer"
		case code == 500 && strings.Contains(string(b), "Worker is shutting down"):
			// Connect's answer from a stopping worker to a request its
			// herder had not served: nothing was applied.
			kind = "stopping worker"
		case code == 409 && rebalancing.Match(b):
			kind = "409 rebalancing"
		case code >= 500 && rebalancing.Match(b):
			kind = fmt.Sprintf("%d forwarding", code)
		case code >= 500:
			rc.t.Errorf("%s %s via %s: %d %s", method, path, w.ID(), code, b)
			return code, b
		default:
			return code, b
		}
		rc.mu.Lock()
		rc.retries[kind]++
		rc.mu.Unlock()
		if time.Now().After(deadline) {
			rc.t.Errorf("%s %s: no definitive answer within 2 minutes, last %d %s", method, path, code, b)
			return code, b
		}
		time.Sleep(time.Duration(50+rand.IntN(200)) * time.Millisecond)
	}
}

func (rc *raceClient) expect(m *raceModel, op string, code int, b []byte, want ...int) bool {
	if !slices.Contains(want, code) {
		rc.t.Errorf("%s %s: %d %s, want %v", op, m.name, code, b, want)
		return false
	}
	return true
}

// step applies one random operation to m.
func (rc *raceClient) step(m *raceModel, topic string) {
	base := "/connectors/" + m.name
	if !m.exists {
		m.tasks = 1 + rand.IntN(3)
		m.config = map[string]string{"connector.class": "FileStreamSink", "topics": topic, "file": m.file, "tasks.max": fmt.Sprint(m.tasks)}
		if code, b := rc.send("PUT", base+"/config", m.config); rc.expect(m, "create", code, b, 201, 200) {
			// Paused before its owner first generated its tasks, it has none.
			m.exists, m.target, m.kept = true, entities.TargetStarted, map[int]bool{0: true, m.tasks: true}
		}
		return
	}
	switch op := rand.IntN(10); {
	case op < 3:
		cfg := maps.Clone(m.config)
		tasks := 1 + rand.IntN(3)
		cfg["tasks.max"] = fmt.Sprint(tasks)
		if code, b := rc.send("PUT", base+"/config", cfg); rc.expect(m, "update", code, b, 200) {
			m.config, m.tasks = cfg, tasks
			if m.target == entities.TargetStarted {
				m.kept[tasks] = true
			}
		}
	case op < 4:
		if code, b := rc.send("PUT", base+"/pause", nil); rc.expect(m, "pause", code, b, 202) {
			m.target = entities.TargetPaused
		}
	case op < 6:
		if code, b := rc.send("PUT", base+"/resume", nil); rc.expect(m, "resume", code, b, 202) {
			m.target = entities.TargetStarted
			m.kept[m.tasks] = true
		}
	case op < 7:
		if code, b := rc.send("PUT", base+"/stop", nil); rc.expect(m, "stop", code, b, 204) {
			m.target = entities.TargetStopped
			m.kept[0] = true // resumed and paused again before its tasks exist
		}
	case op < 9:
		if m.target != entities.TargetStarted {
			return
		}
		code, b := rc.send("POST", base+"/restart?includeTasks=true", nil)
		// Connect's answer when no status exists yet (just created): the
		// restart request is written all the same.
		if code == 404 && strings.Contains(string(b), "Status for connector "+m.name+" not found") {
			return
		}
		rc.expect(m, "restart", code, b, 202, 204)
	default:
		if code, b := rc.send("DELETE", base, nil); rc.expect(m, "delete", code, b, 204, 404) {
			m.exists = false
		}
	}
}

// TestFaultsRESTRaces: REST requests for a dozen FileStreamSink connectors
// (creates, config updates, pauses, resumes, stops, restarts, deletes) go to
// random workers of a three-worker cluster, concurrently, while a fourth
// worker joins and one of the first three leaves. At the end every worker
// and the config topic agree with the last request for each connector,
// each connector is in the state last asked for, and no task runs on two
// workers or for a connector that is paused, stopped or deleted: new lines
// reach each running connector's file exactly once and no other file.
func TestFaultsRESTRaces(t *testing.T) {
	stack.RequireKafka(t)
	const connectors, opsEach = 12, 14
	c := NewCluster(t, stack.KafkaBootstrap(), nil)
	c.Start()
	leaver := c.Start()
	c.Start()
	topic := fmt.Sprintf("faults.races.%d", rand.Uint32())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := storage.EnsureTopic(ctx, stack.KafkaBootstrap(), nil, topic, 3, 1, nil); err != nil {
		t.Fatal(err)
	}
	produceLines(t, topic, "before", 300)

	dir := t.TempDir()
	models := make([]*raceModel, connectors)
	for i := range models {
		name := fmt.Sprintf("race-%s-%02d", strings.TrimPrefix(topic, "faults.races."), i)
		models[i] = &raceModel{name: name, file: filepath.Join(dir, name+".txt")}
	}
	rc := &raceClient{t: t, c: c, mu: &sync.Mutex{}, retries: map[string]int{}}
	var wg sync.WaitGroup
	for _, m := range models {
		wg.Go(func() {
			for range opsEach {
				rc.step(m, topic)
				time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
			}
		})
	}
	membership := time.Now()
	wg.Go(func() {
		time.Sleep(1500 * time.Millisecond)
		c.Start()
		time.Sleep(1500 * time.Millisecond)
		leaver.Stop()
	})
	wg.Wait()
	t.Logf("%d connectors × %d requests while a worker joined and one left, in %.1fs; retried answers: %v",
		connectors, opsEach, time.Since(membership).Seconds(), rc.retries)

	expected := map[string]*raceModel{}
	for _, m := range models {
		if m.exists {
			expected[m.name] = m
		}
	}
	live := c.Live()
	// Every worker converges on the last request for each connector.
	Eventually(t, 2*time.Minute, "every connector in the state last asked for, on every worker", func() (bool, string) {
		for _, w := range live {
			var names []string
			if code, b := Do("GET", w.URL()+"/connectors", nil); code != 200 || jsonInto(b, &names) != nil {
				return false, fmt.Sprintf("GET /connectors on %s: %d %s", w.ID(), code, b)
			}
			if got, want := slices.Sorted(slices.Values(names)), slices.Sorted(maps.Keys(expected)); !slices.Equal(got, want) {
				return false, fmt.Sprintf("%s lists %v, want %v", w.ID(), got, want)
			}
			for _, m := range expected {
				var cfg map[string]string
				if code, b := Do("GET", w.URL()+"/connectors/"+m.name+"/config", nil); code != 200 || jsonInto(b, &cfg) != nil {
					return false, fmt.Sprintf("config of %s on %s: %d %s", m.name, w.ID(), code, b)
				}
				want := maps.Clone(m.config)
				want["name"] = m.name
				if !maps.Equal(cfg, want) {
					return false, fmt.Sprintf("config of %s on %s: %v, want %v", m.name, w.ID(), cfg, want)
				}
				if ok, msg := inState(w.URL(), m, live); !ok {
					return false, msg
				}
			}
		}
		return true, ""
	})

	// The config topic itself, read from the start, says the same.
	store := storage.NewConfigStore(storage.LogConfig{Bootstrap: stack.KafkaBootstrap(), Topic: c.Group + "-configs"})
	if err := store.Start(ctx); err != nil {
		t.Fatalf("reading the config topic: %v", err)
	}
	snap := store.Snapshot()
	store.Stop()
	if got, want := slices.Sorted(maps.Keys(snap.Connectors)), slices.Sorted(maps.Keys(expected)); !slices.Equal(got, want) {
		t.Errorf("the config topic holds connectors %v, want %v", got, want)
	}
	for _, m := range expected {
		want := maps.Clone(m.config)
		want["name"] = m.name
		if got := snap.Connectors[m.name]; !maps.Equal(got, want) {
			t.Errorf("the config topic's config of %s: %v, want %v", m.name, got, want)
		}
		if got := snap.Target(m.name); got != m.target {
			t.Errorf("the config topic's target state of %s: %s, want %s", m.name, got, m.target)
		}
		if got, want := len(snap.Tasks[m.name]), m.wantTasks(); !want[got] {
			t.Errorf("the config topic's committed tasks of %s: %d, want one of %v (target %s)", m.name, got, slices.Sorted(maps.Keys(want)), m.target)
		}
	}

	// Each task runs on one worker only, as each worker's task metrics
	// say. The workers are read one after another, so a task moving (or a
	// restart asked for last, applied after the statuses agreed) can be
	// seen on two or none: the count must settle. The files below are
	// the check for zombies.
	metric := regexp.MustCompile(`kafka_connect_connector_task_metrics_status\{connector="([^"]+)",status="running",task="(\d+)"\} 1`)
	Eventually(t, 30*time.Second, "each task running on one worker by the workers' metrics", func() (bool, string) {
		running := map[string]string{} // connector/task -> worker id
		for _, w := range live {
			_, b := Do("GET", w.URL()+"/metrics", nil)
			for _, m := range metric.FindAllStringSubmatch(string(b), -1) {
				key := m[1] + "/" + m[2]
				if prev, ok := running[key]; ok {
					return false, fmt.Sprintf("task %s runs on %s and on %s", key, prev, w.ID())
				}
				running[key] = w.ID()
			}
		}
		for _, m := range models {
			want := 0
			if m.exists && m.target == entities.TargetStarted {
				want = m.tasks
			}
			var got []string
			for key := range running {
				if strings.HasPrefix(key, m.name+"/") {
					got = append(got, key+" on "+running[key])
				}
			}
			if len(got) != want {
				return false, fmt.Sprintf("%s (exists %v, target %s, tasks %d): running by the workers' metrics %v, want %d tasks", m.name, m.exists, m.target, m.tasks, got, want)
			}
		}
		return true, ""
	})

	// New lines reach every running connector's file once, and no other.
	produceLines(t, topic, "after", 300)
	for _, m := range models {
		if !m.exists || m.target != entities.TargetStarted {
			continue
		}
		Eventually(t, time.Minute, "the new lines in "+m.name+"'s file", func() (bool, string) {
			n := countLines(m.file, "after-")
			return len(n) == 300, fmt.Sprintf("%d of 300", len(n))
		})
	}
	time.Sleep(3 * time.Second)
	for _, m := range models {
		lines := countLines(m.file, "after-")
		running := m.exists && m.target == entities.TargetStarted
		for l, n := range lines {
			if !running {
				t.Errorf("%s (exists %v, target %s) wrote %q: a task kept running", m.name, m.exists, m.target, l)
				break
			}
			if n != 1 {
				t.Errorf("%s wrote %q %d times: a task ran twice", m.name, l, n)
				break
			}
		}
		if running {
			if before := countLines(m.file, "before-"); len(before) != 300 {
				t.Errorf("%s's file holds %d of the 300 lines sent before the races", m.name, len(before))
			}
		}
	}
}

// inState reports whether a worker shows connector m in its target state
// with its tasks, each on a running worker.
func inState(url string, m *raceModel, live []*Worker) (bool, string) {
	st, ok := StatusOf(url, m.name)
	if !ok {
		return false, "no status of " + m.name
	}
	state := map[entities.TargetState]string{entities.TargetStarted: "RUNNING", entities.TargetPaused: "PAUSED", entities.TargetStopped: "STOPPED"}[m.target]
	if tasks := m.wantTasks(); st.Connector.State != state || !tasks[len(st.Tasks)] {
		return false, fmt.Sprintf("%s on %s: %+v, want %s with %v tasks", m.name, url, st, state, slices.Sorted(maps.Keys(tasks)))
	}
	// As in Connect, a paused connector's task that starts again (moved by
	// a rebalance) under a config whose tasks.max is now below the task
	// count it kept fails, until a resume regenerates the tasks.
	tooMany := fmt.Sprintf("has generated %d tasks, which is greater than %d, the maximum", len(st.Tasks), m.tasks)
	for _, ts := range st.Tasks {
		if m.target == entities.TargetPaused && ts.State == "FAILED" && len(st.Tasks) > m.tasks && strings.Contains(ts.Trace, tooMany) {
			continue
		}
		if ts.State != state || !slices.ContainsFunc(live, func(w *Worker) bool { return w.ID() == ts.WorkerID }) {
			return false, fmt.Sprintf("%s on %s: %+v, want tasks %s on running workers", m.name, url, st, state)
		}
	}
	return true, ""
}

// countLines counts the lines of a file that start with prefix.
func countLines(path, prefix string) map[string]int {
	b, _ := os.ReadFile(path)
	out := map[string]int{}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, prefix) {
			out[l]++
		}
	}
	return out
}

// produceLines writes n string records prefix-000000... to topic.
func produceLines(t *testing.T, topic, prefix string, n int) {
	t.Helper()
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "go.delivery.reports": false})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := range n {
		v := fmt.Sprintf("%s-%06d", prefix, i)
		if err := p.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Key: []byte(v), Value: []byte(v)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if left := p.Flush(30000); left != 0 {
		t.Fatalf("%d records to %s not delivered", left, topic)
	}
}

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }
