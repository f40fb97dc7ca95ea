//go:build integration

package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/gonnect/gonnect/stack"
)

// connectJars is the reference Apache Kafka Connect 4.3.1's classpath from
// the stack directory; the test fails naming the command that lays it out.
func connectJars(t testing.TB) string {
	t.Helper()
	jars := filepath.Join(stack.StateDir(), "jars", "connect")
	if _, err := os.Stat(filepath.Join(jars, "connect-runtime-4.3.1.jar")); err != nil {
		t.Fatalf("Apache Kafka Connect jars missing in %s: run `bash stack/stack.sh resolve connect` (or set GONNECT_STACK_DIR): %v", jars, err)
	}
	return jars
}

// dataStaxDir is the folder holding the DataStax connector's jar, as
// stack.sh finds it ($DATASTAX_SINK_DIR, else ../shared/reference beside
// the checkout or beside its main checkout).
func dataStaxDir(t testing.TB) string {
	t.Helper()
	cands := []string{os.Getenv("DATASTAX_SINK_DIR"), filepath.Join(repoRoot(t), "..", "shared", "reference", "datastax-kafka-sink")}
	if out, err := exec.Command("git", "-C", repoRoot(t), "rev-parse", "--path-format=absolute", "--git-common-dir").Output(); err == nil {
		main := filepath.Dir(string(regexp.MustCompile(`\s+$`).ReplaceAll(out, nil)))
		cands = append(cands, filepath.Join(main, "..", "shared", "reference", "datastax-kafka-sink"))
	}
	for _, d := range cands {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "kafka-connect-cassandra-sink-1.5.0.jar")); err == nil {
			return d
		}
	}
	t.Fatalf("the DataStax connector kafka-connect-cassandra-sink-1.5.0.jar is in none of %v: set DATASTAX_SINK_DIR", cands)
	return ""
}

// startJava launches an Apache Connect 4.3.1 worker in the cluster's group,
// with the cluster's internal topics and settings (the same properties a
// gonnect worker of the cluster gets, plus extra), a small heap and a log
// capped at 4 MiB plus one rolled file, and waits until it is healthy.
func (c *cluster) startJava(extra map[string]string) *proc {
	c.t.Helper()
	jars := connectJars(c.t)
	stack.RequireKafka(c.t)
	port := freePort(c.t)
	p := &proc{port: port, java: true, log: filepath.Join(c.dir, fmt.Sprintf("connect-%d.log", port)), done: make(chan struct{})}
	props := c.props(port)
	f, err := os.OpenFile(props, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	fmt.Fprintf(f, "rest.advertised.host.name=127.0.0.1\nrest.advertised.port=%d\n", port)
	for k, v := range extra {
		fmt.Fprintf(f, "%s=%s\n", k, v)
	}
	f.Close()
	log4j := filepath.Join(c.dir, fmt.Sprintf("connect-%d-log4j2.properties", port))
	// Properties, not YAML: Connect's classpath has no YAML parser. The
	// herder, coordinator and REST request log at INFO (the tests read
	// leaders and internal requests from them), the clients at WARN.
	conf := fmt.Sprintf(`appender.file.type=RollingFile
appender.file.name=file
appender.file.fileName=%[1]s
appender.file.filePattern=%[1]s.%%i
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%%d] %%p %%m (%%c)%%n
appender.file.policies.type=Policies
appender.file.policies.size.type=SizeBasedTriggeringPolicy
appender.file.policies.size.size=4MB
appender.file.strategy.type=DefaultRolloverStrategy
appender.file.strategy.max=1
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
logger.clients.name=org.apache.kafka.clients
logger.clients.level=WARN
logger.common.name=org.apache.kafka.common
logger.common.level=WARN
logger.reflections.name=org.reflections
logger.reflections.level=ERROR
`, p.log)
	if err := os.WriteFile(log4j, []byte(conf), 0o644); err != nil {
		c.t.Fatal(err)
	}
	out, err := os.Create(p.log + ".out")
	if err != nil {
		c.t.Fatal(err)
	}
	p.cmd = exec.Command("java", "-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
		"-Dlog4j2.configurationFile="+log4j, "-cp", filepath.Join(jars, "*"), "org.apache.kafka.connect.cli.ConnectDistributed", props)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		c.t.Fatalf("starting Apache Kafka Connect: %v", err)
	}
	go func() { _ = p.cmd.Wait(); out.Close(); close(p.done) }()
	c.worker = append(c.worker, p)
	deadline := time.Now().Add(180 * time.Second)
	for {
		if code, _ := get(p.url() + "/health"); code == 200 {
			return p
		}
		select {
		case <-p.done:
			b, _ := os.ReadFile(p.log + ".out")
			l, _ := os.ReadFile(p.log)
			c.t.Fatalf("Apache Kafka Connect on port %d exited during start-up:\n%s\n%s", port, b, tail(l, 40))
		default:
		}
		if time.Now().After(deadline) {
			l, _ := os.ReadFile(p.log)
			c.t.Fatalf("Apache Kafka Connect on port %d not healthy within 180s:\n%s", port, tail(l, 40))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func tail(b []byte, n int) string {
	lines := regexp.MustCompile("\n").Split(string(b), -1)
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}

func (p *proc) id() string { return fmt.Sprintf("127.0.0.1:%d", p.port) }

func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

var (
	javaJoin    = regexp.MustCompile(`Joined group at generation (\d+) .*leaderUrl='http://[^:]+:(\d+)/'`)
	gonnectJoin = regexp.MustCompile(`msg="joined worker group" .*generation=(\d+) .*leader=(true|false)`)
)

// leaderPort is the REST port of the cluster's current leader, from the
// latest rebalance the live workers logged (Connect names the leader's
// URL; gonnect says whether it leads).
func leaderPort(c *cluster) int {
	best, port := -1, 0
	for _, w := range c.worker {
		if !w.alive() {
			continue
		}
		f, err := os.Open(w.log)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if w.java {
				if m := javaJoin.FindStringSubmatch(sc.Text()); m != nil {
					if g, _ := strconv.Atoi(m[1]); g >= best {
						best, port = g, atoi(m[2])
					}
				}
			} else if m := gonnectJoin.FindStringSubmatch(sc.Text()); m != nil {
				if g, _ := strconv.Atoi(m[1]); g >= best && m[2] == "true" {
					best, port = g, w.port
				}
			}
		}
		f.Close()
	}
	return port
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// placement counts, over the given connectors, the RUNNING connectors and
// tasks per worker id, as url's status endpoint reports them.
func placement(t testing.TB, url string, names ...string) (conns, tasks map[string]int, all bool) {
	conns, tasks, all = map[string]int{}, map[string]int{}, true
	for _, n := range names {
		s, ok := statusOf(t, url, n)
		if !ok || s.Connector.State != "RUNNING" || len(s.Tasks) == 0 {
			all = false
			continue
		}
		conns[s.Connector.WorkerID]++
		for _, ts := range s.Tasks {
			if ts.State != "RUNNING" {
				all = false
				continue
			}
			tasks[ts.WorkerID]++
		}
	}
	return conns, tasks, all
}
