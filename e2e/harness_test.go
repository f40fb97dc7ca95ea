//go:build integration

// Package e2e runs gonnect workers as processes against the local real
// servers and checks what users see: the REST API, clustering, restarts.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gonnect/gonnect/stack"
)

func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), ".."))
}

func binary(t testing.TB) string {
	b := filepath.Join(repoRoot(t), "bin", "gonnect")
	if _, err := os.Stat(b); err != nil {
		t.Fatalf("gonnect binary missing at %s: run `make build` first (make test does it)", b)
	}
	return b
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// cluster is a set of workers sharing a group and internal topics.
type cluster struct {
	t      testing.TB
	id     string
	dir    string
	extra  map[string]string
	worker []*proc
	// scheme of the workers' listeners (http unless set); client and
	// authorization are what start's health check uses to reach them.
	scheme        string
	client        *http.Client
	authorization string
}

type proc struct {
	port   int
	scheme string
	java   bool // an Apache Connect worker (startJava)
	cmd    *exec.Cmd
	log    string
	done   chan struct{}
}

func (p *proc) url() string {
	s := p.scheme
	if s == "" {
		s = "http"
	}
	return fmt.Sprintf("%s://127.0.0.1:%d", s, p.port)
}

func newCluster(t testing.TB, extra map[string]string) *cluster {
	stack.RequireKafka(t)
	c := &cluster{t: t, id: fmt.Sprintf("e2e-%d", rand.Uint32()), dir: t.TempDir(), extra: extra}
	t.Cleanup(func() {
		for _, w := range c.worker {
			w.kill()
			if t.Failed() {
				b, _ := os.ReadFile(w.log)
				lines := strings.Split(string(b), "\n")
				var keep []string
				for _, l := range lines {
					if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") || strings.Contains(l, "] WARN ") || strings.Contains(l, "] ERROR ") || strings.Contains(l, "holding") || strings.Contains(l, "joined worker group") {
						keep = append(keep, l)
					}
				}
				if len(keep) > 40 {
					keep = keep[len(keep)-40:]
				}
				t.Logf("worker %d log (filtered):\n%s", w.port, strings.Join(keep, "\n"))
			}
		}
	})
	return c
}

func (c *cluster) props(port int) string {
	p := map[string]string{
		"bootstrap.servers": stack.KafkaBootstrap(), "group.id": c.id,
		"listeners":            fmt.Sprintf("%s://127.0.0.1:%d", c.schemeOrHTTP(), port),
		"config.storage.topic": c.id + "-configs", "offset.storage.topic": c.id + "-offsets", "status.storage.topic": c.id + "-status",
		"config.storage.replication.factor": "1", "offset.storage.replication.factor": "1", "status.storage.replication.factor": "1",
		"offset.storage.partitions": "3", "status.storage.partitions": "2",
		"key.converter": "org.apache.kafka.connect.storage.StringConverter", "value.converter": "org.apache.kafka.connect.storage.StringConverter",
		"offset.flush.interval.ms": "1000", "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000",
	}
	for k, v := range c.extra {
		p[k] = v
	}
	var b strings.Builder
	for k, v := range p {
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	f := filepath.Join(c.dir, fmt.Sprintf("worker-%d.properties", port))
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return f
}

func (c *cluster) schemeOrHTTP() string {
	if c.scheme == "" {
		return "http"
	}
	return c.scheme
}

// start launches a worker and waits until it is healthy.
func (c *cluster) start() *proc {
	c.t.Helper()
	return c.startWith(nil, nil)
}

// startWith launches a worker with more properties (over the cluster's)
// and environment variables, and waits until it is healthy.
func (c *cluster) startWith(props map[string]string, env []string) *proc {
	c.t.Helper()
	port := freePort(c.t)
	p := &proc{port: port, scheme: c.schemeOrHTTP(), log: filepath.Join(c.dir, fmt.Sprintf("worker-%d.log", port)), done: make(chan struct{})}
	lf, err := os.Create(p.log)
	if err != nil {
		c.t.Fatal(err)
	}
	saved := c.extra
	c.extra = map[string]string{}
	for _, m := range []map[string]string{saved, props} {
		for k, v := range m {
			c.extra[k] = v
		}
	}
	file := c.props(port)
	c.extra = saved
	p.cmd = exec.Command(binary(c.t), "distributed", file)
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.cmd.Stdout, p.cmd.Stderr = lf, lf
	if err := p.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); lf.Close(); close(p.done) }()
	c.worker = append(c.worker, p)
	health := client
	if c.client != nil {
		health = c.client
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if code, _, _ := doWith(health, c.authorization, "GET", p.url()+"/health", nil); code == 200 {
			return p
		}
		select {
		case <-p.done:
			b, _ := os.ReadFile(p.log)
			c.t.Fatalf("worker on port %d exited during start-up:\n%s", port, b)
		default:
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(p.log)
			c.t.Fatalf("worker on port %d not healthy within 60s:\n%s", port, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill stops a worker with SIGKILL (a crash).
func (p *proc) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// stop stops a worker gracefully and waits for it.
func (p *proc) stop(t testing.TB) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("worker on port %d did not stop within 30s of SIGTERM", p.port)
	}
}

var client = &http.Client{Timeout: 100 * time.Second}

func do(method, url string, body any) (int, []byte, http.Header) {
	return doWith(client, "", method, url, body)
}

// doWith sends a request with an HTTP client and an Authorization header
// (none when empty).
func doWith(cl *http.Client, authorization, method, url string, body any) (int, []byte, http.Header) {
	var r io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			r = strings.NewReader(b)
		default:
			j, _ := json.Marshal(b)
			r = bytes.NewReader(j)
		}
	}
	req, _ := http.NewRequest(method, url, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := cl.Do(req)
	if err != nil {
		return 0, []byte(err.Error()), nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func get(url string) (int, []byte) {
	code, b, _ := do("GET", url, nil)
	return code, b
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
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

type status struct {
	Name      string `json:"name"`
	Connector struct {
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
	} `json:"connector"`
	Tasks []struct {
		ID       int    `json:"id"`
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
		Trace    string `json:"trace"`
	} `json:"tasks"`
	Type string `json:"type"`
}

func statusOf(t testing.TB, url, name string) (status, bool) {
	code, b := get(url + "/connectors/" + name + "/status")
	var s status
	if code != 200 || json.Unmarshal(b, &s) != nil {
		return s, false
	}
	return s, true
}

// allRunning reports whether the connector and n tasks run.
func allRunning(t testing.TB, url, name string, n int) (bool, string) {
	s, ok := statusOf(t, url, name)
	if !ok {
		return false, "no status"
	}
	if s.Connector.State != "RUNNING" || len(s.Tasks) != n {
		return false, fmt.Sprintf("%+v", s)
	}
	for _, ts := range s.Tasks {
		if ts.State != "RUNNING" {
			return false, fmt.Sprintf("%+v", s)
		}
	}
	return true, ""
}

// apacheConnect starts an Apache Kafka Connect 4.3.1 worker (the reference
// runtime's jars from the stack directory) in its own group with its own
// internal topics, with extra worker properties, and returns its URL.
// It fails the test when the jars are missing.
func apacheConnect(t testing.TB, extra map[string]string) string {
	t.Helper()
	return apacheConnectWith(t, extra, apacheOptions{})
}

// apacheOptions are more of an Apache Connect worker: jars beside the
// runtime's, JVM options (-D...), its listeners' scheme, and the client
// and Authorization header that reach its /health.
type apacheOptions struct {
	jars          []string
	jvm           []string
	scheme        string
	client        *http.Client
	authorization string
}

func apacheConnectWith(t testing.TB, extra map[string]string, o apacheOptions) string {
	t.Helper()
	stack.RequireKafka(t)
	if o.scheme == "" {
		o.scheme = "http"
	}
	if o.client == nil {
		o.client = client
	}
	jars := filepath.Join(stack.StateDir(), "jars", "connect")
	if _, err := os.Stat(filepath.Join(jars, "connect-runtime-4.3.1.jar")); err != nil {
		t.Fatalf("Apache Kafka Connect jars missing in %s: run `REFERENCE=1 bash stack/stack.sh up` (or set GONNECT_STACK_DIR): %v", jars, err)
	}
	tmp := t.TempDir()
	id := fmt.Sprintf("e2e-ref-%d", rand.Uint32())
	port := freePort(t)
	p := map[string]string{
		"bootstrap.servers": stack.KafkaBootstrap(), "group.id": id,
		"listeners": fmt.Sprintf("%s://127.0.0.1:%d", o.scheme, port), "rest.advertised.host.name": "127.0.0.1",
		"config.storage.topic": id + "-configs", "offset.storage.topic": id + "-offsets", "status.storage.topic": id + "-status",
		"config.storage.replication.factor": "1", "offset.storage.replication.factor": "1", "status.storage.replication.factor": "1",
		"offset.storage.partitions": "3", "status.storage.partitions": "2",
		"key.converter": "org.apache.kafka.connect.storage.StringConverter", "value.converter": "org.apache.kafka.connect.storage.StringConverter",
		"offset.flush.interval.ms": "1000",
	}
	for k, v := range extra {
		p[k] = v
	}
	var b strings.Builder
	for k, v := range p {
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	props := filepath.Join(tmp, "connect.properties")
	logFile := filepath.Join(tmp, "connect.log")
	log4j := filepath.Join(tmp, "log4j2.yaml")
	if err := os.WriteFile(props, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(log4j, []byte("Configuration:\n  Appenders:\n    File:\n      name: file\n      fileName: \""+logFile+
		"\"\n      PatternLayout:\n        pattern: \"[%d] %p %m (%c)%n\"\n  Loggers:\n    Root:\n      level: WARN\n      AppenderRef:\n        - ref: file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(tmp, "connect.out"))
	if err != nil {
		t.Fatal(err)
	}
	classpath := filepath.Join(jars, "*")
	for _, j := range o.jars {
		classpath += string(os.PathListSeparator) + filepath.Join(j, "*")
	}
	args := append([]string{"-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
		"-Dlog4j2.configurationFile=" + log4j}, o.jvm...)
	cmd := exec.Command("java", append(args, "-cp", classpath, "org.apache.kafka.connect.cli.ConnectDistributed", props)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting Apache Kafka Connect: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); out.Close(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	url := fmt.Sprintf("%s://127.0.0.1:%d", o.scheme, port)
	deadline := time.Now().Add(180 * time.Second)
	for {
		if code, _, _ := doWith(o.client, o.authorization, "GET", url+"/health", nil); code == 200 {
			return url
		}
		select {
		case <-done:
			b, _ := os.ReadFile(filepath.Join(tmp, "connect.out"))
			l, _ := os.ReadFile(logFile)
			t.Fatalf("Apache Kafka Connect exited during start-up:\n%s\n%s", b, l)
		default:
		}
		if time.Now().After(deadline) {
			l, _ := os.ReadFile(logFile)
			t.Fatalf("Apache Kafka Connect not healthy within 180s:\n%s", l)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
