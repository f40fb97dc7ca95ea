//go:build faults

package faults

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

// The Cassandra fault scenarios run against the stack's 3-node cluster
// (stack.sh cluster up), which they start when it is not running and leave
// running, every node up, when they end.

// cassCluster is the 3-node cluster of the stack.
type cassCluster struct {
	t     *testing.T
	hosts []string // host:port of nodes 1..3
}

// cassClusterUp starts the cluster's nodes that are not running and waits
// until every node knows the others; when the test ends, nodes it stopped
// are started again.
func cassClusterUp(t *testing.T) *cassCluster {
	t.Helper()
	stack.RequireKafka(t)
	stack.RequireSchemaRegistry(t)
	began := time.Now()
	if out, err := stackCmd("cluster", "up"); err != nil {
		t.Fatalf("starting the Cassandra cluster: %v", err)
	} else {
		t.Logf("cluster up in %s:\n%s", time.Since(began).Round(time.Millisecond), out)
	}
	c := &cassCluster{t: t, hosts: stack.CassandraClusterHosts()}
	t.Cleanup(func() {
		if out, err := stackCmd("cluster", "up"); err != nil {
			t.Errorf("starting the Cassandra cluster's stopped nodes again: %v\n%s", err, out)
		}
	})
	return c
}

// kill stops node n (1-based) with SIGKILL.
func (c *cassCluster) kill(n int) {
	c.t.Helper()
	if _, err := stackCmd("cluster", "kill", strconv.Itoa(n)); err != nil {
		c.t.Fatal(err)
	}
}

// start starts node n and returns once it answers CQL.
func (c *cassCluster) start(n int) {
	c.t.Helper()
	if _, err := stackCmd("cluster", "start", strconv.Itoa(n)); err != nil {
		c.t.Fatal(err)
	}
}

// addr is node n's address without the port.
// cassNodetool runs one nodetool command on every node at once.
func cassNodetool(t *testing.T, c *cassCluster, args ...string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(c.hosts))
	for n := range c.hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[n] = stackCmd(append([]string{"cluster", "nodetool", strconv.Itoa(n + 1)}, args...)...)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("nodetool %s: %v", strings.Join(args, " "), err)
	}
}

func (c *cassCluster) addr(n int) string { h, _, _ := net.SplitHostPort(c.hosts[n-1]); return h }

func (c *cassCluster) port() string { _, p, _ := net.SplitHostPort(c.hosts[0]); return p }

// session connects to the given nodes only (all when none is given).
func (c *cassCluster) session(nodes ...int) *gocql.Session {
	c.t.Helper()
	hosts := c.hosts
	if len(nodes) > 0 {
		hosts = nil
		for _, n := range nodes {
			hosts = append(hosts, c.hosts[n-1])
		}
	}
	cl := gocql.NewCluster(hosts...)
	cl.Timeout = 30 * time.Second
	cl.ConnectTimeout = 10 * time.Second
	if len(nodes) > 0 {
		cl.DisableInitialHostLookup = true
		cl.PoolConfig.HostSelectionPolicy = gocql.RoundRobinHostPolicy()
		cl.HostFilter = gocql.WhiteListHostFilter(hosts...)
	}
	s, err := cl.CreateSession()
	if err != nil {
		c.t.Fatalf("connecting to %v: %v", hosts, err)
	}
	c.t.Cleanup(s.Close)
	return s
}

// cassFeed produces orders with unique ids (order i of the workload
// generator) to a fresh topic, record i to partition i mod the partition
// count, so order i is at offset i/partitions of its partition.
type cassFeed struct {
	t     *testing.T
	topic string
	parts int
	gen   workload.Generator
	conv  *converters.AvroConverter
	prod  *kafka.Producer
	sent  atomic.Int64
}

func cassNewFeed(t *testing.T, topic string, parts int) *cassFeed {
	t.Helper()
	if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, parts, 1, nil); err != nil {
		t.Fatalf("creating topic %s: %v", topic, err)
	}
	f := &cassFeed{t: t, topic: topic, parts: parts, gen: workload.Generator{Seed: rand.Uint64()}, conv: &converters.AvroConverter{}}
	if err := f.conv.Configure(map[string]string{"schema.registry.url": stack.SchemaRegistryURL()}, false); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.prod, err = kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "go.delivery.reports": false,
		"enable.idempotence": true, "linger.ms": 5}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.prod.Close)
	return f
}

// produce sends orders from (inclusive) to (exclusive) and waits for them.
func (f *cassFeed) produce(from, to int) error {
	for i := from; i < to; i++ {
		o := f.gen.Order(uint64(i))
		v, err := f.conv.FromConnect(f.topic, workload.ConnectSchema, o.Struct())
		if err != nil {
			return fmt.Errorf("encoding order %d: %w", i, err)
		}
		msg := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &f.topic, Partition: int32(i % f.parts)}, Key: []byte(o.OrderID), Value: v}
		for {
			err := f.prod.Produce(msg, nil)
			if err == nil {
				break
			}
			if ke, ok := err.(kafka.Error); ok && ke.Code() == kafka.ErrQueueFull {
				f.prod.Flush(100)
				continue
			}
			return fmt.Errorf("producing order %d: %w", i, err)
		}
	}
	if n := f.prod.Flush(30000); n != 0 {
		return fmt.Errorf("%d records of orders %d-%d not delivered", n, from, to)
	}
	f.sent.Store(int64(to))
	return nil
}

// stream produces about rate orders a second, from order sent onwards,
// until ctx ends; the returned function waits for it and returns its error.
func (f *cassFeed) stream(ctx context.Context, rate int) func() error {
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			from := int(f.sent.Load())
			if err = f.produce(from, from+rate/10); err != nil {
				return
			}
		}
	}()
	return func() error { <-done; return err }
}

// cassWorker is one gonnect worker process.
type cassWorker struct {
	url, log string
	cmd      *exec.Cmd
	done     chan struct{}
}

// cassStartWorker starts a distributed worker with its own group and
// internal topics and waits until it is healthy; the test's end kills it.
func cassStartWorker(t *testing.T, id string, extra map[string]string) *cassWorker {
	t.Helper()
	bin := binary(t)
	port := FreePort(t)
	dir := t.TempDir()
	p := map[string]string{
		"bootstrap.servers": stack.KafkaBootstrap(), "group.id": id, "listeners": fmt.Sprintf("http://127.0.0.1:%d", port),
		"config.storage.topic": id + "-configs", "offset.storage.topic": id + "-offsets", "status.storage.topic": id + "-status",
		"config.storage.replication.factor": "1", "offset.storage.replication.factor": "1", "status.storage.replication.factor": "1",
		"key.converter": "org.apache.kafka.connect.storage.StringConverter", "value.converter": "org.apache.kafka.connect.storage.StringConverter",
	}
	for k, v := range extra {
		p[k] = v
	}
	var b strings.Builder
	for k, v := range p {
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	props := filepath.Join(dir, "worker.properties")
	if err := os.WriteFile(props, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	w := &cassWorker{url: fmt.Sprintf("http://127.0.0.1:%d", port), log: filepath.Join(dir, "worker.log"), done: make(chan struct{})}
	lf, err := os.Create(w.log)
	if err != nil {
		t.Fatal(err)
	}
	w.cmd = exec.Command(bin, "distributed", props)
	w.cmd.Stdout, w.cmd.Stderr = lf, lf
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = w.cmd.Wait(); lf.Close(); close(w.done) }()
	t.Cleanup(func() {
		_ = w.cmd.Process.Kill()
		<-w.done
		if t.Failed() {
			t.Logf("worker log (warnings and errors, last 30):\n%s", cassLogTail(w.log, 30))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if code, _ := cassHTTP("GET", w.url+"/health", ""); code == 200 {
			return w
		}
		select {
		case <-w.done:
			t.Fatalf("worker exited during start-up:\n%s", cassLogTail(w.log, 30))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker not healthy within 60s:\n%s", cassLogTail(w.log, 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cassLogTail is the last n warning and error lines of a worker log.
func cassLogTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var keep []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep[max(0, len(keep)-n):], "\n")
}

// cassLogCount counts the lines of a worker log that contain s.
func cassLogCount(path, s string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), s)
}

var cassClient = &http.Client{Timeout: 30 * time.Second}

func cassHTTP(method, url, body string) (int, string) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := cassClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// cassMetric sums the samples of a Prometheus series whose labels include
// the given ones, from the worker's /metrics.
func cassMetric(url, name string, labels map[string]string) (float64, error) {
	code, body := cassHTTP("GET", url+"/metrics", "")
	if code != 200 {
		return 0, fmt.Errorf("GET %s/metrics: %d %s", url, code, body)
	}
	var sum float64
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for k, v := range labels {
			if !strings.Contains(line, k+`="`+v+`"`) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return 0, fmt.Errorf("metric line %q: %w", line, err)
		}
		sum += f
	}
	return sum, nil
}

// cassTaskStates is the connector's state and its tasks' states.
func cassTaskStates(url, name string) string {
	code, body := cassHTTP("GET", url+"/connectors/"+name+"/status", "")
	if code != 200 {
		return fmt.Sprintf("status %d %s", code, body)
	}
	var states []string
	for _, part := range strings.Split(body, `"state":"`)[1:] {
		states = append(states, part[:strings.IndexByte(part, '"')])
	}
	return strings.Join(states, ",")
}

// cassOffsets returns the group's committed offsets and the topic's end
// offsets per partition.
func cassOffsets(topic, group string, parts int) (committed, end []int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := committedOffsets(ctx, stack.KafkaBootstrap(), group, topic)
	if err != nil {
		return nil, nil, err
	}
	e, err := endOffsets(ctx, stack.KafkaBootstrap(), topic, parts)
	if err != nil {
		return nil, nil, err
	}
	committed, end = make([]int64, parts), make([]int64, parts)
	for p := range parts {
		committed[p], end[p] = c[int32(p)], e[int32(p)]
	}
	return committed, end, nil
}

func cassSum(xs []int64) (s int64) {
	for _, x := range xs {
		s += x
	}
	return s
}

// cassTables creates the keyspace (replication factor rf) with the orders
// table and the writes ledger (createSchema): every write the sink applies
// appends a time UUID made by the coordinator to the order's list there, so
// a list longer than one counts the order's replayed writes.
//
// The keyspace is not dropped at the end. After a node loss or an overload
// the nodes replay hints to its tables for minutes, and Cassandra 5.0 fails
// a keyspace drop that meets such writes ("Unknown CF" in the schema
// merge), leaving the nodes on different schema versions until restarted.
// Names are unique per run; `stack.sh cluster wipe` clears them.
func cassTables(t *testing.T, s *gocql.Session, ks string, rf int) {
	t.Helper()
	createSchema(t, s, ks, fmt.Sprintf("{'class':'SimpleStrategy','replication_factor':%d}", rf), false)
}

// cassSinkConfig is the Cassandra sink writing the feed's topic to the
// keyspace's orders table and counting writes in its writes table.
func cassSinkConfig(c *cassCluster, topic, ks, consistency string, tasks int) map[string]string {
	var points []string
	for n := range c.hosts {
		points = append(points, c.addr(n+1))
	}
	pre := "topic." + topic + "." + ks + "."
	return map[string]string{
		"connector.class": "CassandraSink", "tasks.max": strconv.Itoa(tasks), "topics": topic,
		"contactPoints": strings.Join(points, ","), "port": c.port(), "loadBalancing.localDc": "datacenter1",
		"value.converter": "io.confluent.connect.avro.AvroConverter", "value.converter.schema.registry.url": stack.SchemaRegistryURL(),
		pre + workload.ScenarioA.Table + ".mapping":          workload.Mapping,
		pre + workload.ScenarioA.Table + ".consistencyLevel": consistency,
		pre + writesTable + ".query":                         "UPDATE " + ks + "." + writesTable + " SET w = w + [now()] WHERE order_id = :order_id",
		pre + writesTable + ".mapping":                       "order_id=value.order_id",
		pre + writesTable + ".deletesEnabled":                "false",
		pre + writesTable + ".consistencyLevel":              consistency,
	}
}

// cassCreate creates a connector and waits until it and its tasks run.
func cassCreate(t *testing.T, w *cassWorker, name string, cfg map[string]string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("{")
	first := true
	for k, v := range cfg {
		if !first {
			b.WriteString(",")
		}
		first = false
		fmt.Fprintf(&b, "%q:%q", k, v)
	}
	b.WriteString("}")
	if code, body := cassHTTP("PUT", w.url+"/connectors/"+name+"/config", b.String()); code != 201 {
		t.Fatalf("creating connector %s: %d %s", name, code, body)
	}
	want := strings.TrimSuffix(strings.Repeat("RUNNING,", 1+cassAtoi(cfg["tasks.max"])), ",")
	Eventually(t, 60*time.Second, "the connector and its tasks running", func() (bool, string) {
		s := cassTaskStates(w.url, name)
		return s == want, s
	})
}

func cassAtoi(s string) int { n, _ := strconv.Atoi(s); return n }

// cassProgress samples a worker's count of records written to a table
// every 100 ms, for stall and recovery times.
type cassProgress struct {
	mu      sync.Mutex
	samples []cassSample
	stop    func()
}

type cassSample struct {
	at      time.Time
	written float64
}

func cassWatch(url string, labels map[string]string) *cassProgress {
	p := &cassProgress{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if v, err := cassMetric(url, "cassandra_sink_record_count_total", labels); err == nil {
				p.mu.Lock()
				p.samples = append(p.samples, cassSample{time.Now(), v})
				p.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	p.stop = func() { cancel(); <-done }
	return p
}

// longestStall is the longest time in [from, to) the count did not grow.
func (p *cassProgress) longestStall(from, to time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var longest time.Duration
	last := from
	lastV := -1.0
	for _, s := range p.samples {
		if s.at.Before(from) {
			lastV = s.written
			continue
		}
		if !s.at.Before(to) {
			break
		}
		if s.written != lastV {
			lastV, last = s.written, s.at
		}
		longest = max(longest, s.at.Sub(last))
	}
	return longest
}

// firstGrowthAfter is the first time after t the count grew, and whether it did.
func (p *cassProgress) firstGrowthAfter(t time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	lastV := -1.0
	for _, s := range p.samples {
		if s.at.Before(t) {
			lastV = s.written
			continue
		}
		if lastV >= 0 && s.written > lastV {
			return s.at, true
		}
		lastV = s.written
	}
	return time.Time{}, false
}

func (p *cassProgress) latest() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.samples) == 0 {
		return 0
	}
	return p.samples[len(p.samples)-1].written
}

// cassOrderIDs reads the order ids present in the orders table.
func cassOrderIDs(s *gocql.Session, ks string, cl gocql.Consistency) (map[string]bool, error) {
	ids := map[string]bool{}
	iter := s.Query("SELECT order_id FROM " + ks + "." + workload.ScenarioA.Table).Consistency(cl).PageSize(5000).Iter()
	var id string
	for iter.Scan(&id) {
		ids[id] = true
	}
	return ids, iter.Close()
}

// cassResult is what a scenario proves and reports.
type cassResult struct {
	sent, found, wrong, duplicates int
}

// cassVerify reads every row back at consistency ALL and compares it with
// the order sent; duplicates are the writes table's entries beyond one per
// order.
func cassVerify(t *testing.T, s *gocql.Session, ks string, f *cassFeed) cassResult {
	t.Helper()
	sent := int(f.sent.Load())
	want := make(map[string]workload.Order, sent)
	for i := range sent {
		o := f.gen.Order(uint64(i))
		want[o.OrderID] = o
	}
	// A scan at ALL just after a node came back can meet the server's
	// range read timeout (read repair and hints compete with it): that is
	// the check's own read failing, so the scan is retried whole.
	for attempt := 1; ; attempt++ {
		r, err := cassScan(t, s, ks, want)
		if err == nil {
			return r
		}
		var timeout *gocql.RequestErrReadTimeout
		if attempt == 3 || !errors.As(err, &timeout) {
			t.Fatal(err)
		}
		t.Logf("verification read timed out (attempt %d), reading again: %v", attempt, err)
		time.Sleep(5 * time.Second)
	}
}

// cassScan reads the orders and the writes ledger once; see cassVerify.
func cassScan(t *testing.T, s *gocql.Session, ks string, want map[string]workload.Order) (cassResult, error) {
	t.Helper()
	r := cassResult{sent: len(want)}
	iter := s.Query("SELECT order_id, customer_id, sku, quantity, price, currency, status, created_at, tags, attributes, note, discount FROM " +
		ks + "." + workload.ScenarioA.Table).Consistency(gocql.All).PageSize(1000).Iter()
	var got workload.Order
	var note *string
	var discount *float64
	var wrong []string
	for iter.Scan(&got.OrderID, &got.CustomerID, &got.SKU, &got.Quantity, &got.Price, &got.Currency, &got.Status, &got.CreatedAt,
		&got.Tags, &got.Attributes, &note, &discount) {
		w, ok := want[got.OrderID]
		got.Note, got.Discount = note, discount
		got.CreatedAt = got.CreatedAt.UTC()
		if len(got.Tags) == 0 {
			got.Tags = []string{}
		}
		if len(got.Attributes) == 0 {
			got.Attributes = map[string]string{}
		}
		switch {
		case !ok:
			r.wrong++
			wrong = append(wrong, fmt.Sprintf("row %s was never sent", got.OrderID))
		case !reflect.DeepEqual(got, w):
			r.wrong++
			wrong = append(wrong, fmt.Sprintf("row %s is\n%+v\nsent\n%+v", got.OrderID, got, w))
		default:
			r.found++
		}
		note, discount = nil, nil
		got = workload.Order{}
	}
	if err := iter.Close(); err != nil {
		return r, fmt.Errorf("reading %s.%s: %w", ks, workload.ScenarioA.Table, err)
	}
	iter = s.Query("SELECT w FROM " + ks + "." + writesTable).Consistency(gocql.All).PageSize(2000).Iter()
	var seen []gocql.UUID
	writes := 0
	for iter.Scan(&seen) {
		writes += len(seen)
		seen = nil
	}
	if err := iter.Close(); err != nil {
		return r, fmt.Errorf("reading %s.%s: %w", ks, writesTable, err)
	}
	for _, w := range wrong[:min(len(wrong), 5)] {
		t.Error(w)
	}
	r.duplicates = writes - r.found
	return r, nil
}

// cassTiming is a named time a scenario measured.
type cassTiming struct {
	name string
	d    time.Duration
}

// cassReport logs a scenario's figures in one line and fails the test
// unless every record sent is in Cassandra as sent.
func cassReport(t *testing.T, scenario string, r cassResult, timings ...cassTiming) {
	t.Helper()
	var rec []string
	for _, tm := range timings {
		rec = append(rec, fmt.Sprintf("%s=%s", tm.name, tm.d.Round(10*time.Millisecond)))
	}
	t.Logf("REPORT scenario=%q sent=%d found=%d wrong=%d duplicates=%d %s", scenario, r.sent, r.found, r.wrong, r.duplicates, strings.Join(rec, " "))
	if r.found != r.sent || r.wrong != 0 {
		t.Errorf("%s: %d records sent, %d found as sent, %d rows wrong", scenario, r.sent, r.found, r.wrong)
	}
}

// cassRun is a Cassandra scenario under way: orders streamed at 400/s to
// 6 partitions, written by a 3-task sink at LOCAL_QUORUM, the first 2000
// of them written. The test's end stops the stream and the progress watch.
type cassRun struct {
	feed        *cassFeed
	w           *cassWorker
	name, group string
	prog        *cassProgress
	stop        func() // stops the stream; once, later calls do nothing
}

func cassStartRun(t *testing.T, c *cassCluster, ks, id string) *cassRun {
	t.Helper()
	const parts = 6
	r := &cassRun{feed: cassNewFeed(t, id, parts), name: id, group: "connect-" + id}
	// Offsets are committed every 10 s: a put that fails and waits for the
	// next commit before it is retried would stall that long.
	r.w = cassStartWorker(t, id, map[string]string{"offset.flush.interval.ms": "10000"})
	cassCreate(t, r.w, r.name, cassSinkConfig(c, r.feed.topic, ks, "LOCAL_QUORUM", 3))
	r.prog = cassWatch(r.w.url, map[string]string{"connector": r.name, "table": workload.ScenarioA.Table})
	t.Cleanup(r.prog.stop)
	ctx, cancel := context.WithCancel(context.Background())
	wait := r.feed.stream(ctx, 400)
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			if err := wait(); err != nil {
				t.Errorf("producing: %v", err)
			}
		})
	}
	t.Cleanup(r.stop)
	Eventually(t, 60*time.Second, "the first 2000 orders written", func() (bool, string) {
		return r.prog.latest() >= 2000, fmt.Sprint(r.prog.latest())
	})
	return r
}
