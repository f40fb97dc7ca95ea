//go:build faults

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/group"
	"github.com/gonnect/gonnect/worker/storage"
)

// ---- paths ----

// RepoRoot is the module's root folder.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// StackScript runs stack/stack.sh with args and fails the test, with the
// script's output, when it fails.
func StackScript(t testing.TB, args ...string) {
	t.Helper()
	if _, err := stackCmd(args...); err != nil {
		t.Fatal(err)
	}
}

// stackCmd runs stack/stack.sh with args against the stack directory and
// returns its output; an error holds the output too.
func stackCmd(args ...string) (string, error) {
	cmd := exec.Command("bash", append([]string{filepath.Join(RepoRoot(), "stack", "stack.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "GONNECT_STACK_DIR="+stack.StateDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("stack.sh %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func binary(t testing.TB) string {
	b := filepath.Join(RepoRoot(), "bin", "gonnect")
	if _, err := os.Stat(b); err != nil {
		t.Fatalf("gonnect binary missing at %s: run `make build` first (make test-faults does it)", b)
	}
	return b
}

// FreePort is a TCP port free on 127.0.0.1 at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ---- REST ----

var httpClient = &http.Client{Timeout: 90 * time.Second}

// Do sends a REST request (body marshalled as JSON unless a string) and
// returns the status code and body; code 0 means no answer (the body then
// holds the error).
func Do(method, url string, body any) (int, []byte) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return 0, []byte(err.Error())
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Eventually polls cond every 250 ms until it holds, or fails the test
// after timeout with cond's last message.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, msg := cond()
		if ok {
			return
		}
		last = msg
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s; last: %s", timeout, what, last)
}

// Status is a connector's GET /connectors/{name}/status.
type Status struct {
	Name      string `json:"name"`
	Connector struct {
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
		Trace    string `json:"trace"`
	} `json:"connector"`
	Tasks []struct {
		ID       int    `json:"id"`
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
		Trace    string `json:"trace"`
	} `json:"tasks"`
}

// StatusOf reads a connector's status from a worker; ok is false without a
// 200 answer.
func StatusOf(url, name string) (Status, bool) {
	var s Status
	code, b := Do("GET", url+"/connectors/"+name+"/status", nil)
	if code != 200 || json.Unmarshal(b, &s) != nil {
		return s, false
	}
	return s, true
}

// ---- workers ----

// logCap bounds each worker's log: two files of half of it.
const logCap = 16 << 20

// cappedLog is a log file of at most max bytes: at half of it the file is
// moved to path.1 (replacing the previous one) and a new one is started.
type cappedLog struct {
	mu   sync.Mutex
	path string
	f    *os.File
	n    int64
	max  int64
}

func newCappedLog(path string, max int64) (*cappedLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating log %s: %w", path, err)
	}
	st, _ := f.Stat()
	return &cappedLog{path: path, f: f, n: st.Size(), max: max}, nil
}

func (l *cappedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n+int64(len(p)) > l.max/2 {
		l.f.Close()
		_ = os.Rename(l.path, l.path+".1")
		f, err := os.Create(l.path)
		if err != nil {
			return 0, fmt.Errorf("rolling log %s: %w", l.path, err)
		}
		l.f, l.n = f, 0
	}
	n, err := l.f.Write(p)
	l.n += int64(n)
	return n, err
}

func (l *cappedLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}

// Cluster is a set of gonnect workers (processes) sharing a group and
// internal topics on one Kafka.
type Cluster struct {
	T         testing.TB
	Group     string
	Bootstrap string
	Extra     map[string]string // worker properties over the defaults
	dir       string
	mu        sync.Mutex
	workers   []*Worker
}

// Worker is one gonnect worker process; it can be started again on its port.
type Worker struct {
	Port int
	c    *Cluster
	cmd  *exec.Cmd
	done chan struct{}
	Log  string
}

// NewCluster prepares a cluster on bootstrap with its own group id and
// internal topics; workers are started by Start. Every worker still running
// when the test ends is killed, and on failure the warnings and errors of
// each worker's log are printed.
func NewCluster(t testing.TB, bootstrap string, extra map[string]string) *Cluster {
	c := &Cluster{T: t, Group: fmt.Sprintf("faults-%d", rand.Uint32()), Bootstrap: bootstrap, Extra: extra, dir: t.TempDir()}
	t.Cleanup(func() {
		c.mu.Lock()
		ws := slices.Clone(c.workers)
		c.mu.Unlock()
		for _, w := range ws {
			w.Kill()
		}
		if t.Failed() {
			seen := map[string]bool{}
			for _, w := range ws {
				if seen[w.Log] {
					continue
				}
				seen[w.Log] = true
				t.Logf("worker %d log (warnings and errors, last 60):\n%s", w.Port, filteredLog(w.Log, 60))
			}
			// The whole logs outlive the test's directory.
			keep := filepath.Join(ReportDir(), "logs", strings.ReplaceAll(t.Name(), "/", "_"))
			if err := os.MkdirAll(keep, 0o755); err == nil {
				for l := range seen {
					for _, f := range []string{l, l + ".1"} {
						if b, err := os.ReadFile(f); err == nil {
							_ = os.WriteFile(filepath.Join(keep, filepath.Base(f)), b, 0o644)
						}
					}
				}
				t.Logf("worker logs kept in %s", keep)
			}
		}
	})
	return c
}

func filteredLog(path string, n int) string {
	var keep []string
	for _, p := range []string{path + ".1", path} {
		b, _ := os.ReadFile(p)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") || strings.Contains(l, "panic") {
				keep = append(keep, l)
			}
		}
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return strings.Join(keep, "\n")
}

func (c *Cluster) props(port int) string {
	p := map[string]string{
		"bootstrap.servers": c.Bootstrap, "group.id": c.Group,
		"listeners":            fmt.Sprintf("http://127.0.0.1:%d", port),
		"config.storage.topic": c.Group + "-configs", "offset.storage.topic": c.Group + "-offsets", "status.storage.topic": c.Group + "-status",
		"config.storage.replication.factor": "1", "offset.storage.replication.factor": "1", "status.storage.replication.factor": "1",
		"offset.storage.partitions": "3", "status.storage.partitions": "2",
		"key.converter": "org.apache.kafka.connect.storage.StringConverter", "value.converter": "org.apache.kafka.connect.storage.StringConverter",
		"offset.flush.interval.ms": "1000", "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000",
		"scheduled.rebalance.max.delay.ms": "10000",
	}
	for k, v := range c.Extra {
		p[k] = v
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, p[k])
	}
	f := filepath.Join(c.dir, fmt.Sprintf("worker-%d.properties", port))
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		c.T.Fatal(err)
	}
	return f
}

// Start launches a new worker on a free port and waits until it is healthy.
func (c *Cluster) Start() *Worker {
	c.T.Helper()
	port := FreePort(c.T)
	w := &Worker{Port: port, c: c, Log: filepath.Join(c.dir, fmt.Sprintf("worker-%d.log", port))}
	c.mu.Lock()
	c.workers = append(c.workers, w)
	c.mu.Unlock()
	w.Restart()
	return w
}

// Restart starts a stopped or killed worker again on its port, with the
// same properties, and waits until it is healthy.
func (w *Worker) Restart() {
	t := w.c.T
	t.Helper()
	if w.Alive() {
		t.Fatalf("worker %d is still running", w.Port)
	}
	lf, err := newCappedLog(w.Log, logCap)
	if err != nil {
		t.Fatal(err)
	}
	w.cmd = exec.Command(binary(t), "distributed", w.c.props(w.Port))
	w.cmd.Stdout, w.cmd.Stderr = lf, lf
	if err := w.cmd.Start(); err != nil {
		t.Fatalf("starting worker %d: %v", w.Port, err)
	}
	w.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); lf.Close(); close(done) }(w.cmd, w.done)
	deadline := time.Now().Add(90 * time.Second)
	for {
		if code, _ := Do("GET", w.URL()+"/health", nil); code == 200 {
			return
		}
		select {
		case <-w.done:
			t.Fatalf("worker %d exited during start-up:\n%s", w.Port, filteredLog(w.Log, 40))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker %d not healthy within 90s:\n%s", w.Port, filteredLog(w.Log, 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// URL is the worker's REST address.
func (w *Worker) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", w.Port) }

// ID is the worker id statuses name.
func (w *Worker) ID() string { return fmt.Sprintf("127.0.0.1:%d", w.Port) }

// Alive reports whether the worker's process runs.
func (w *Worker) Alive() bool {
	if w.done == nil {
		return false
	}
	select {
	case <-w.done:
		return false
	default:
		return true
	}
}

// Kill ends the worker with SIGKILL (a crash) and waits for it.
func (w *Worker) Kill() {
	if w.Alive() {
		_ = w.cmd.Process.Kill()
		<-w.done
	}
}

// Stop ends the worker with SIGTERM and waits for it to exit.
func (w *Worker) Stop() {
	t := w.c.T
	t.Helper()
	if !w.Alive() {
		return
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("worker %d did not exit within 60s of SIGTERM", w.Port)
	}
}

// Live is the running workers, in start order.
func (c *Cluster) Live() []*Worker {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Worker
	for _, w := range c.workers {
		if w.Alive() {
			out = append(out, w)
		}
	}
	return out
}

// Leader is the running worker the group's last assignment names leader
// (from the group's description on the broker).
func (c *Cluster) Leader(ctx context.Context) (*Worker, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(c.Bootstrap, ",")...))
	if err != nil {
		return nil, fmt.Errorf("creating a Kafka client for %s: %w", c.Bootstrap, err)
	}
	defer cl.Close()
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Groups = []string{c.Group}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("describing group %s: %w", c.Group, err)
	}
	for _, g := range resp.Groups {
		for _, m := range g.Members {
			a, err := group.DecodeAssignment(m.MemberAssignment)
			if err != nil || a.LeaderURL == "" {
				continue
			}
			for _, w := range c.Live() {
				if strings.TrimSuffix(a.LeaderURL, "/") == w.URL() {
					return w, nil
				}
			}
			return nil, fmt.Errorf("group %s's leader %s is none of the running workers", c.Group, a.LeaderURL)
		}
	}
	return nil, fmt.Errorf("group %s has no member with an assignment", c.Group)
}

// ---- records ----

// Stream produces the workload's orders (unique order ids) as Confluent
// Avro through the Schema Registry, order i of a seed always the same, and
// counts the records Kafka acknowledged.
type Stream struct {
	T          testing.TB
	Topic      string
	Partitions int
	gen        workload.Generator
	conv       *converters.AvroConverter
	prod       *kafka.Producer
	mu         sync.Mutex
	next       int // index of the next record to produce
	acked      int
	failures   []string
	events     chan struct{}
	bgStop     chan struct{}
	bgDone     chan struct{}
}

// NewStream creates topic with the given partitions on bootstrap and a
// producer for it (idempotent, so retries during faults write no copies).
func NewStream(t testing.TB, bootstrap, topic string, partitions int) *Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := storage.EnsureTopic(ctx, bootstrap, nil, topic, partitions, 1, nil); err != nil {
		t.Fatalf("creating topic %s on %s: %v", topic, bootstrap, err)
	}
	s := &Stream{T: t, Topic: topic, Partitions: partitions, gen: workload.Generator{Seed: rand.Uint64()}, events: make(chan struct{})}
	s.conv = &converters.AvroConverter{}
	if err := s.conv.Configure(map[string]string{"schema.registry.url": stack.SchemaRegistryURL()}, false); err != nil {
		t.Fatalf("configuring the Avro converter: %v", err)
	}
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": bootstrap, "enable.idempotence": true,
		"message.timeout.ms": 240000, "linger.ms": 5})
	if err != nil {
		t.Fatalf("creating a producer on %s: %v", bootstrap, err)
	}
	s.prod = p
	go s.deliveries()
	t.Cleanup(func() { s.Stop(); p.Close() })
	return s
}

func (s *Stream) deliveries() {
	for e := range s.prod.Events() {
		m, ok := e.(*kafka.Message)
		if !ok {
			continue
		}
		s.mu.Lock()
		if m.TopicPartition.Error != nil {
			s.failures = append(s.failures, fmt.Sprintf("record %v: %v", m.Opaque, m.TopicPartition.Error))
		} else {
			s.acked++
		}
		s.mu.Unlock()
	}
}

// Order is record i.
func (s *Stream) Order(i int) workload.Order { return s.gen.Order(uint64(i)) }

func (s *Stream) produceOne() {
	s.mu.Lock()
	i := s.next
	s.next++
	s.mu.Unlock()
	o := s.Order(i)
	v, err := s.conv.FromConnect(s.Topic, workload.ConnectSchema, o.Struct())
	if err != nil {
		s.T.Errorf("encoding order %d: %v", i, err)
		return
	}
	for {
		err := s.prod.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &s.Topic, Partition: int32(i % s.Partitions)},
			Key: []byte(o.OrderID), Value: v, Opaque: i}, nil)
		if err == nil {
			return
		}
		if ke, ok := err.(kafka.Error); ok && ke.Code() == kafka.ErrQueueFull {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.T.Errorf("producing order %d: %v", i, err)
		return
	}
}

// Produce sends n more records and waits until Kafka acknowledged them.
func (s *Stream) Produce(n int) {
	s.T.Helper()
	for range n {
		s.produceOne()
	}
	s.Flush()
}

// Flush waits until every record handed to the producer is acknowledged (or
// failed), up to 4 minutes.
func (s *Stream) Flush() {
	s.T.Helper()
	deadline := time.Now().Add(4 * time.Minute)
	for {
		s.mu.Lock()
		done := s.acked+len(s.failures) == s.next
		s.mu.Unlock()
		if done {
			return
		}
		if time.Now().After(deadline) {
			s.T.Fatalf("records of %s not acknowledged within 4 minutes: %d of %d", s.Topic, s.Sent(), s.Produced())
		}
		s.prod.Flush(100)
	}
}

// Run produces rate records per second in the background until Stop.
func (s *Stream) Run(rate int) {
	s.bgStop, s.bgDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.bgDone)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		start := time.Now()
		sent := 0
		for {
			select {
			case <-s.bgStop:
				return
			case <-tick.C:
				want := int(time.Since(start).Seconds() * float64(rate))
				for ; sent < want; sent++ {
					s.produceOne()
				}
			}
		}
	}()
}

// Stop ends Run and waits for every record to be acknowledged.
func (s *Stream) Stop() {
	if s.bgStop == nil {
		return
	}
	close(s.bgStop)
	<-s.bgDone
	s.bgStop = nil
	s.Flush()
}

// Produced is the number of records handed to the producer.
func (s *Stream) Produced() int { s.mu.Lock(); defer s.mu.Unlock(); return s.next }

// Sent is the number of records Kafka acknowledged.
func (s *Stream) Sent() int { s.mu.Lock(); defer s.mu.Unlock(); return s.acked }

// Failures are the records Kafka did not acknowledge, with the reason.
func (s *Stream) Failures() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.failures)
}

// ---- the scenario: records through the Cassandra sink ----

// Cassandra says where the sink writes and how the test reads it back.
type Cassandra struct {
	// Hosts are the host:port addresses the test itself reads from;
	// default stack.CassandraHosts().
	Hosts []string
	// ContactPoints and Port are the connector's contactPoints and port;
	// default the hosts and port of Hosts.
	ContactPoints string
	Port          int
	LocalDC       string // loadBalancing.localDc; default datacenter1
	// Keyspace is created (and dropped at the end); default a unique name.
	Keyspace string
	// Replication is the keyspace's replication map; default SimpleStrategy, 1.
	Replication string
	// Consistency is the tables' consistencyLevel; default LOCAL_ONE.
	Consistency string
	// ReadConsistency is the consistency the proof reads at; default ALL.
	ReadConsistency gocql.Consistency
}

// Config is a scenario's setting.
type Config struct {
	// Name names the scenario in its report (and report file).
	Name string
	// Bootstrap is where the test produces and reads offsets; default the
	// shared broker.
	Bootstrap  string
	Partitions int // default 6
	Tasks      int // the connector's tasks.max; default 3
	Cassandra  Cassandra
}

// Recovery is how long one fault took to recover from: from the fault (or
// its end) until every record sent before the check was committed with all
// tasks running on live workers.
type Recovery struct {
	Fault   string  `json:"fault"`
	Seconds float64 `json:"seconds"`
}

// Report is a scenario's outcome, printed and written as JSON.
type Report struct {
	Scenario          string     `json:"scenario"`
	RecordsSent       int        `json:"records_sent"`
	RecordsFound      int        `json:"records_found"`
	RecordsMissing    int        `json:"records_missing"`
	RecordsMismatched int        `json:"records_mismatched"`
	RecordsUnexpected int        `json:"records_unexpected"`
	WritesTotal       int        `json:"writes_total"`
	DuplicatesWritten int        `json:"duplicates_written"`
	CommittedAtEnd    bool       `json:"committed_offsets_equal_end_offsets"`
	Recoveries        []Recovery `json:"recoveries"`
	FailedTasks       []string   `json:"failed_tasks,omitempty"`
	Notes             []string   `json:"notes,omitempty"`
	DurationSeconds   float64    `json:"duration_seconds"`
}

// Scenario streams records through one Cassandra sink connector and proves
// at the end that none was lost or changed.
type Scenario struct {
	T         testing.TB
	Cfg       Config
	Stream    *Stream
	Connector string
	// Cluster, when set, gives the workers whose statuses and liveness
	// recovery checks read.
	Cluster *Cluster
	session *gocql.Session
	started time.Time
	mu      sync.Mutex
	report  Report
}

// Table names: the content table is the workload's orders_by_id, written
// by the sink's mapping (its ordinary, direct path); writesTable counts
// every write of a record, as a list of the coordinator's now() that each
// write appends to, so replays show as extra elements.
const writesTable = "writes"

// New creates the scenario's topic, keyspace and tables, and its stream.
func New(t testing.TB, cfg Config) *Scenario {
	t.Helper()
	stack.RequireSchemaRegistry(t)
	id := rand.Uint32()
	if cfg.Bootstrap == "" {
		cfg.Bootstrap = stack.KafkaBootstrap()
	}
	if cfg.Partitions == 0 {
		cfg.Partitions = 6
	}
	if cfg.Tasks == 0 {
		cfg.Tasks = 3
	}
	cc := &cfg.Cassandra
	if len(cc.Hosts) == 0 {
		stack.RequireCassandra(t)
		cc.Hosts = stack.CassandraHosts()
	}
	if cc.ContactPoints == "" || cc.Port == 0 {
		var hosts []string
		port := "9042"
		for _, h := range cc.Hosts {
			host, p, err := net.SplitHostPort(h)
			if err != nil {
				host = h
			} else {
				port = p
			}
			hosts = append(hosts, host)
		}
		if cc.ContactPoints == "" {
			cc.ContactPoints = strings.Join(hosts, ",")
		}
		if cc.Port == 0 {
			fmt.Sscan(port, &cc.Port)
		}
	}
	if cc.LocalDC == "" {
		cc.LocalDC = "datacenter1"
	}
	if cc.Keyspace == "" {
		cc.Keyspace = fmt.Sprintf("faults_%d", id)
	}
	if cc.Replication == "" {
		cc.Replication = "{'class':'SimpleStrategy','replication_factor':1}"
	}
	if cc.Consistency == "" {
		cc.Consistency = "LOCAL_ONE"
	}
	if cc.ReadConsistency == 0 {
		cc.ReadConsistency = gocql.All
	}
	s := &Scenario{T: t, Cfg: cfg, Connector: fmt.Sprintf("faults-%s-%d", cfg.Name, id), started: time.Now()}
	s.report.Scenario = cfg.Name
	cl := gocql.NewCluster(cc.Hosts...)
	cl.Timeout = 30 * time.Second
	cl.Consistency = cc.ReadConsistency
	sess, err := cl.CreateSession()
	if err != nil {
		t.Fatalf("connecting to Cassandra at %v: %v", cc.Hosts, err)
	}
	s.session = sess
	// Cleanups run last first: the session closes after the keyspace drop.
	t.Cleanup(sess.Close)
	createSchema(t, sess, cc.Keyspace, cc.Replication, true)
	s.Stream = NewStream(t, cfg.Bootstrap, fmt.Sprintf("faults.%s.%d", cfg.Name, id), cfg.Partitions)
	return s
}

// createSchema creates keyspace ks (replication a CQL map) with the
// workload's orders table and the writes ledger. With drop, the keyspace is
// dropped at the end unless the test failed (the rows are kept to look at).
// Each statement is idempotent, waits for schema agreement and is tried
// again on a server error.
func createSchema(t testing.TB, sess *gocql.Session, ks, replication string, drop bool) {
	t.Helper()
	for _, q := range []string{
		fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = %s", ks, replication),
		workload.ScenarioA.CreateReplaySafeTable(ks),
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s (order_id text PRIMARY KEY, w list<timeuuid>)", ks, writesTable),
	} {
		if err := schemaChange(sess, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if !drop || t.Failed() {
			return
		}
		if err := schemaChange(sess, "DROP KEYSPACE IF EXISTS "+ks); err != nil {
			t.Logf("dropping the scenario's keyspace: %v", err)
		}
	})
}

// schemaChange runs one idempotent DDL statement until it succeeds and the
// nodes agree on the schema. A node left behind by a failed change catches
// up by its periodic schema pull (every 60 s), hence three minutes at most.
func schemaChange(sess *gocql.Session, q string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for {
		err := sess.Query(q).ExecContext(ctx)
		if err == nil {
			err = sess.AwaitSchemaAgreement(ctx)
			if err != nil {
				err = fmt.Errorf("waiting for schema agreement: %w", err)
			}
		}
		if err == nil {
			return nil
		}
		if errors.Is(err, gocql.ErrSessionClosed) {
			return fmt.Errorf("%s: %w", q, err) // trying again cannot help
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", q, err)
		case <-time.After(2 * time.Second):
		}
	}
}

// ConnectorConfig is the sink's config: Avro values through the registry,
// every column of the orders table mapped, and the writes ledger.
func (s *Scenario) ConnectorConfig() map[string]string {
	cc, topic := s.Cfg.Cassandra, s.Stream.Topic
	table := fmt.Sprintf("topic.%s.%s.%s.", topic, cc.Keyspace, workload.ScenarioA.Table)
	ledger := fmt.Sprintf("topic.%s.%s.%s.", topic, cc.Keyspace, writesTable)
	return map[string]string{
		"connector.class": "CassandraSink", "tasks.max": fmt.Sprint(s.Cfg.Tasks), "topics": topic,
		"contactPoints": cc.ContactPoints, "port": fmt.Sprint(cc.Port), "loadBalancing.localDc": cc.LocalDC,
		"queryExecutionTimeout": "10",
		"key.converter":         "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":       "io.confluent.connect.avro.AvroConverter", "value.converter.schema.registry.url": stack.SchemaRegistryURL(),
		table + "mapping": workload.Mapping, table + "consistencyLevel": cc.Consistency,
		ledger + "mapping": "order_id=value.order_id", ledger + "consistencyLevel": cc.Consistency, ledger + "deletesEnabled": "false",
		ledger + "query": fmt.Sprintf("UPDATE %s.%s SET w = w + [now()] WHERE order_id = :order_id", cc.Keyspace, writesTable),
	}
}

// CreateConnector creates the sink through worker url with extra settings
// over ConnectorConfig, and waits until its tasks run.
func (s *Scenario) CreateConnector(url string, extra map[string]string) {
	s.T.Helper()
	cfg := s.ConnectorConfig()
	for k, v := range extra {
		cfg[k] = v
	}
	if code, b := Do("PUT", url+"/connectors/"+s.Connector+"/config", cfg); code != 201 {
		s.T.Fatalf("creating connector %s: %d %s", s.Connector, code, b)
	}
	Eventually(s.T, 90*time.Second, "the connector's tasks running", func() (bool, string) { return s.running(url) })
}

// liveIDs are the cluster's running workers: URLs and worker ids.
func (s *Scenario) liveIDs() (urls []string, ids map[string]bool) {
	ids = map[string]bool{}
	if s.Cluster == nil {
		s.T.Fatalf("scenario %s has no Cluster to ask for statuses", s.Cfg.Name)
	}
	for _, w := range s.Cluster.Live() {
		urls = append(urls, w.URL())
		ids[w.ID()] = true
	}
	return urls, ids
}

// running reports whether the connector and all its tasks run, on live
// workers when the scenario knows its cluster.
func (s *Scenario) running(urls ...string) (bool, string) {
	live, ids := s.liveIDs()
	if len(urls) == 0 {
		urls = live
	}
	for _, u := range urls {
		st, ok := StatusOf(u, s.Connector)
		if !ok {
			continue
		}
		if st.Connector.State != "RUNNING" || len(st.Tasks) != s.Cfg.Tasks {
			return false, fmt.Sprintf("%+v", st)
		}
		for _, ts := range st.Tasks {
			if ts.State == "FAILED" {
				s.failed(ts.ID, ts.WorkerID, ts.Trace)
			}
			if ts.State != "RUNNING" || (len(ids) > 0 && !ids[ts.WorkerID]) {
				return false, fmt.Sprintf("%+v (live workers %v)", st, slices.Sorted(maps.Keys(ids)))
			}
		}
		return true, ""
	}
	return false, "no worker answered the status"
}

// failed fails the test once per task seen FAILED: no fault may leave a
// task failed (Connect restarts no failed task by itself).
func (s *Scenario) failed(task int, worker, trace string) {
	s.mu.Lock()
	key := fmt.Sprintf("task %d", task)
	seen := slices.Contains(s.report.FailedTasks, key)
	if !seen {
		s.report.FailedTasks = append(s.report.FailedTasks, key)
	}
	s.mu.Unlock()
	if !seen {
		s.T.Errorf("task %d of %s FAILED on %s: %s", task, s.Connector, worker, firstLine(trace))
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Offsets are per-partition offsets of the scenario's topic.
type Offsets map[int32]int64

// EndOffsets are the end offsets of the scenario's topic.
func (s *Scenario) EndOffsets(ctx context.Context) (Offsets, error) {
	return endOffsets(ctx, s.Cfg.Bootstrap, s.Stream.Topic, s.Cfg.Partitions)
}

// Committed are the connector's committed offsets (its consumer group's).
func (s *Scenario) Committed(ctx context.Context) (Offsets, error) {
	return committedOffsets(ctx, s.Cfg.Bootstrap, "connect-"+s.Connector, s.Stream.Topic)
}

// endOffsets asks a client of its own for a topic's end offsets: an admin
// client that lived through a broker restart was seen sending ListOffsets
// with the partitions' old leader epochs for minutes, which the broker
// refuses (FENCED_LEADER_EPOCH).
func endOffsets(ctx context.Context, bootstrap, topic string, parts int) (Offsets, error) {
	ad, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": bootstrap})
	if err != nil {
		return nil, err
	}
	defer ad.Close()
	req := map[kafka.TopicPartition]kafka.OffsetSpec{}
	for p := range parts {
		req[kafka.TopicPartition{Topic: &topic, Partition: int32(p)}] = kafka.LatestOffsetSpec
	}
	res, err := ad.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("listing the end offsets of %s: %w", topic, err)
	}
	out := Offsets{}
	for tp, r := range res.ResultInfos {
		if r.Error.Code() != kafka.ErrNoError {
			return nil, fmt.Errorf("end offset of %s[%d]: %v", topic, tp.Partition, r.Error)
		}
		out[tp.Partition] = int64(r.Offset)
	}
	return out, nil
}

// committedOffsets are a consumer group's committed offsets of a topic.
func committedOffsets(ctx context.Context, bootstrap, group, topic string) (Offsets, error) {
	ad, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": bootstrap})
	if err != nil {
		return nil, err
	}
	defer ad.Close()
	res, err := ad.ListConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group}})
	if err != nil {
		return nil, fmt.Errorf("listing the committed offsets of group %s: %w", group, err)
	}
	out := Offsets{}
	for _, gr := range res.ConsumerGroupsTopicPartitions {
		for _, tp := range gr.Partitions {
			if *tp.Topic == topic && tp.Offset >= 0 {
				out[tp.Partition] = int64(tp.Offset)
			}
		}
	}
	return out, nil
}

// caughtUp reports whether committed reached want on every partition.
func caughtUp(committed, want Offsets) (bool, string) {
	for p, end := range want {
		if committed[p] < end {
			return false, fmt.Sprintf("partition %d committed %d of %d", p, committed[p], end)
		}
	}
	return true, ""
}

// Recovered waits until every record the topic holds now is committed and
// the connector's tasks all run on live workers, then records the time
// since since as fault's recovery, in the report and the log.
func (s *Scenario) Recovered(fault string, since time.Time, timeout time.Duration) time.Duration {
	s.T.Helper()
	var want Offsets
	Eventually(s.T, timeout, "the end offsets after "+fault, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var err error
		want, err = s.EndOffsets(ctx)
		return err == nil, fmt.Sprint(err)
	})
	Eventually(s.T, timeout, "recovery from "+fault, func() (bool, string) {
		ok, msg := s.running()
		if !ok {
			return false, msg
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := s.Committed(ctx)
		if err != nil {
			return false, err.Error()
		}
		return caughtUp(c, want)
	})
	d := time.Since(since)
	s.mu.Lock()
	s.report.Recoveries = append(s.report.Recoveries, Recovery{Fault: fault, Seconds: math.Round(d.Seconds()*10) / 10})
	s.mu.Unlock()
	s.T.Logf("%s: recovered from %s in %.1fs", s.Cfg.Name, fault, d.Seconds())
	return d
}

// Note adds a line to the report.
func (s *Scenario) Note(format string, args ...any) {
	s.mu.Lock()
	s.report.Notes = append(s.report.Notes, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// Prove stops the stream, waits until the connector committed the topic's
// end offsets, and checks every record in Cassandra against what was sent:
// the test fails on any record missing, different or not sent, and on any
// record Kafka did not acknowledge. It prints the report and writes it to
// $FAULTS_REPORT_DIR (default bin/faults) as <scenario>.json.
func (s *Scenario) Prove() Report {
	t := s.T
	t.Helper()
	s.Stream.Stop()
	s.Stream.Flush()
	if f := s.Stream.Failures(); len(f) > 0 {
		t.Errorf("%d records were not acknowledged by Kafka, first: %s", len(f), f[0])
	}
	rep := s.finish()
	sent := s.Stream.Sent()
	// Committed offsets reach the end offsets within a few commit intervals.
	deadline := time.Now().Add(3 * time.Minute)
	var last string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		end, err1 := s.EndOffsets(ctx)
		com, err2 := s.Committed(ctx)
		cancel()
		if err := errors.Join(err1, err2); err != nil {
			last = err.Error()
		} else if ok, msg := caughtUp(com, end); ok && reflect.DeepEqual(com, end) {
			rep.CommittedAtEnd = true
			break
		} else {
			last = fmt.Sprintf("%s (committed %v, end %v)", msg, com, end)
		}
		if time.Now().After(deadline) {
			t.Errorf("the connector's committed offsets never equalled the topic's end offsets: %s", last)
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if total := s.endSum(); total != int64(sent) {
		t.Errorf("the topic holds %d records, %d were acknowledged", total, sent)
	}
	rep.RecordsSent = sent
	s.checkRows(&rep, sent)
	rep.DurationSeconds = math.Round(time.Since(s.started).Seconds()*10) / 10
	s.writeReport(rep)
	return rep
}

func (s *Scenario) finish() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.report
	r.Recoveries = slices.Clone(r.Recoveries)
	r.Notes = slices.Clone(r.Notes)
	r.FailedTasks = slices.Clone(r.FailedTasks)
	return r
}

func (s *Scenario) endSum() int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	end, err := s.EndOffsets(ctx)
	if err != nil {
		s.T.Errorf("%v", err)
		return -1
	}
	var n int64
	for _, o := range end {
		n += o
	}
	return n
}

// checkRows reads both tables and compares them with records 0..sent-1.
func (s *Scenario) checkRows(rep *Report, sent int) {
	t := s.T
	ks := s.Cfg.Cassandra.Keyspace
	want := make(map[string]int, sent)
	for i := range sent {
		want[s.Stream.Order(i).OrderID] = i
	}
	found := map[string]bool{}
	var mismatches []string
	iter := s.session.Query("SELECT order_id, customer_id, sku, quantity, price, currency, status, created_at, tags, attributes, note, discount FROM " +
		ks + "." + workload.ScenarioA.Table).PageSize(2000).Iter()
	var (
		o     workload.Order
		note  *string
		disc  *float64
		tags  []string
		attrs map[string]string
	)
	for iter.Scan(&o.OrderID, &o.CustomerID, &o.SKU, &o.Quantity, &o.Price, &o.Currency, &o.Status, &o.CreatedAt, &tags, &attrs, &note, &disc) {
		i, ok := want[o.OrderID]
		if !ok {
			rep.RecordsUnexpected++
			continue
		}
		found[o.OrderID] = true
		o.Tags, o.Attributes, o.Note, o.Discount = tags, attrs, note, disc
		if diff := orderDiff(s.Stream.Order(i), o); diff != "" {
			rep.RecordsMismatched++
			if len(mismatches) < 5 {
				mismatches = append(mismatches, fmt.Sprintf("record %d (%s): %s", i, o.OrderID, diff))
			}
		}
		tags, attrs, note, disc = nil, nil, nil, nil
	}
	if err := iter.Close(); err != nil {
		t.Errorf("reading %s.%s: %v", ks, workload.ScenarioA.Table, err)
	}
	rep.RecordsFound = len(found)
	rep.RecordsMissing = sent - len(found)
	var missing []int
	if rep.RecordsMissing > 0 {
		for id, i := range want {
			if !found[id] {
				missing = append(missing, i)
			}
		}
		sort.Ints(missing)
		if len(missing) > 10 {
			missing = missing[:10]
		}
	}
	// The ledger: one element per write of a record.
	written := map[string]int{}
	iter = s.session.Query("SELECT order_id, w FROM " + ks + "." + writesTable).PageSize(5000).Iter()
	var id string
	var w []gocql.UUID
	for iter.Scan(&id, &w) {
		written[id] = len(w)
		w = nil
	}
	if err := iter.Close(); err != nil {
		t.Errorf("reading %s.%s: %v", ks, writesTable, err)
	}
	for id, n := range written {
		rep.WritesTotal += n
		if _, ok := want[id]; ok && n > 1 {
			rep.DuplicatesWritten += n - 1
		}
	}
	ledgerMissing := 0
	for id := range want {
		if written[id] == 0 {
			ledgerMissing++
		}
	}
	if rep.RecordsMissing > 0 {
		t.Errorf("%s: %d of %d records missing in Cassandra, first (by index) %v", s.Cfg.Name, rep.RecordsMissing, sent, missing)
	}
	if rep.RecordsMismatched > 0 {
		t.Errorf("%s: %d records differ from what was sent: %s", s.Cfg.Name, rep.RecordsMismatched, strings.Join(mismatches, "; "))
	}
	if rep.RecordsUnexpected > 0 {
		t.Errorf("%s: %d rows in Cassandra that were never sent", s.Cfg.Name, rep.RecordsUnexpected)
	}
	if ledgerMissing > 0 {
		t.Errorf("%s: %d records have no write in the ledger table", s.Cfg.Name, ledgerMissing)
	}
}

// orderDiff names the first field where got differs from want.
func orderDiff(want, got workload.Order) string {
	eqStr := func(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	eqF := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	switch {
	case want.CustomerID != got.CustomerID:
		return fmt.Sprintf("customer_id %d, sent %d", got.CustomerID, want.CustomerID)
	case want.SKU != got.SKU, want.Quantity != got.Quantity, want.Price != got.Price, want.Currency != got.Currency, want.Status != got.Status:
		return fmt.Sprintf("sku/quantity/price/currency/status %v %v %v %v %v, sent %v %v %v %v %v",
			got.SKU, got.Quantity, got.Price, got.Currency, got.Status, want.SKU, want.Quantity, want.Price, want.Currency, want.Status)
	case !want.CreatedAt.Equal(got.CreatedAt):
		return fmt.Sprintf("created_at %s, sent %s", got.CreatedAt, want.CreatedAt)
	case len(want.Tags) != len(got.Tags) || (len(want.Tags) > 0 && !slices.Equal(want.Tags, got.Tags)):
		return fmt.Sprintf("tags %q, sent %q", got.Tags, want.Tags)
	case len(want.Attributes) != len(got.Attributes) || (len(want.Attributes) > 0 && !reflect.DeepEqual(want.Attributes, got.Attributes)):
		return fmt.Sprintf("attributes %v, sent %v", got.Attributes, want.Attributes)
	case !eqStr(want.Note, got.Note):
		return "note differs"
	case !eqF(want.Discount, got.Discount):
		return "discount differs"
	}
	return ""
}

// ReportDir is where reports are written: $FAULTS_REPORT_DIR, or bin/faults.
func ReportDir() string {
	if d := os.Getenv("FAULTS_REPORT_DIR"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(), "bin", "faults")
}

func (s *Scenario) writeReport(rep Report) {
	b, _ := json.MarshalIndent(rep, "", "  ")
	var rec []string
	for _, r := range rep.Recoveries {
		rec = append(rec, fmt.Sprintf("%s %.1fs", r.Fault, r.Seconds))
	}
	fmt.Printf("faults: %-16s sent %d, found %d, missing %d, duplicates written %d, committed=end %v; recovery: %s\n",
		rep.Scenario, rep.RecordsSent, rep.RecordsFound, rep.RecordsMissing, rep.DuplicatesWritten, rep.CommittedAtEnd, strings.Join(rec, ", "))
	dir := ReportDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.T.Errorf("creating the report folder %s: %v", dir, err)
		return
	}
	f := filepath.Join(dir, rep.Scenario+".json")
	if err := os.WriteFile(f, append(b, '\n'), 0o644); err != nil {
		s.T.Errorf("writing the report %s: %v", f, err)
	}
}
