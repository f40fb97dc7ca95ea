package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/internal/stack"
	"github.com/gonnect/gonnect/internal/workload"
)

// A worker is one fresh Connect worker process (gonnect or Apache Connect)
// in distributed mode with its own group and internal topics.
type worker struct {
	system string
	group  string
	url    string
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// freePort asks the kernel for an unused port, so that a run never meets
// a worker it did not start (another checkout's benchmark, the demo).
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// referenceJVM is the heap Apache Kafka's connect-distributed.sh gives the
// worker, with its start script's JVM performance options.
var referenceJVM = []string{"-Xms256M", "-Xmx2G", "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
	"-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent", "-XX:MaxInlineLevel=15",
	"-Djava.awt.headless=true"}

// startWorker starts a gonnect or an Apache Connect worker and waits until
// its REST API reports it healthy (the herder joined its group).
func startWorker(system string, o options) (*worker, error) {
	dir, err := os.MkdirTemp("", "bench-"+system)
	if err != nil {
		return nil, fmt.Errorf("creating the worker's directory: %w", err)
	}
	started := false
	defer func() {
		if !started { // a worker that ran keeps its log for a look
			os.RemoveAll(dir)
		}
	}()
	w := &worker{system: system, dir: dir, group: fmt.Sprintf("bench-%s-%d", system, time.Now().UnixNano())}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	w.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	// Both commit offsets every second, so neither run waits on the other's
	// longer flush interval (Apache Connect's default is 60 s).
	props := fmt.Sprintf(`bootstrap.servers=%s
group.id=%s
listeners=%s
rest.advertised.host.name=127.0.0.1
rest.advertised.port=%d
config.storage.topic=%s-configs
offset.storage.topic=%s-offsets
status.storage.topic=%s-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter.schema.registry.url=%s
offset.flush.interval.ms=1000
`, stack.KafkaBootstrap(), w.group, w.url, port, w.group, w.group, w.group, stack.SchemaRegistryURL())
	var args []string
	if system == "gonnect" {
		props += "value.converter=io.confluent.connect.avro.AvroConverter\n"
		args = []string{o.bin, "distributed", filepath.Join(dir, "worker.properties")}
	} else {
		plugins, err := filepath.Abs(o.plugins)
		if err != nil {
			return nil, fmt.Errorf("plugin path: %w", err)
		}
		if _, err := os.Stat(filepath.Join(plugins, "cassandra-sink")); err != nil {
			return nil, fmt.Errorf("the reference sink is not built (bash internal/bench/bench.sh builds it): %w", err)
		}
		// Confluent's AvroConverter is not on Maven Central; the plugin's
		// converter reads the same wire format from the same registry.
		props += "value.converter=gonnect.bench.reference.AvroConverter\n" +
			"plugin.path=" + plugins + "\n" +
			"plugin.discovery=service_load\n"
		log4j := filepath.Join(dir, "log4j2.properties")
		if err := os.WriteFile(log4j, []byte(log4jConfig), 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", log4j, err)
		}
		args = append([]string{"java"}, referenceJVM...)
		args = append(args, "-Dlog4j2.configurationFile="+log4j, "-cp", filepath.Join(o.jars, "*"),
			"org.apache.kafka.connect.cli.ConnectDistributed", filepath.Join(dir, "worker.properties"))
	}
	if err := os.WriteFile(filepath.Join(dir, "worker.properties"), []byte(props), 0o644); err != nil {
		return nil, fmt.Errorf("writing worker properties: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, "worker.log"))
	if err != nil {
		return nil, fmt.Errorf("creating the worker log: %w", err)
	}
	defer logf.Close()
	w.cmd = exec.Command(args[0], args[1:]...)
	w.cmd.Stdout, w.cmd.Stderr = logf, logf
	if err := w.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", system, err)
	}
	started = true
	w.exited = make(chan struct{})
	go func() { _ = w.cmd.Wait(); close(w.exited) }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if resp, err := httpGet(w.url + "/health"); err == nil && strings.Contains(resp, "healthy") {
			return w, nil
		}
		select {
		case <-w.exited:
			return nil, fmt.Errorf("%s exited at start-up; log in %s", system, logf.Name())
		default:
		}
		if time.Now().After(deadline) {
			w.stop(true)
			return nil, fmt.Errorf("%s not healthy after 2 minutes; log in %s", system, logf.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const log4jConfig = `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
`

func (w *worker) pid() int { return w.cmd.Process.Pid }

// stop kills the worker and deletes its internal topics; keep leaves its
// directory (properties and log) for a look after a failure.
func (w *worker) stop(keep bool) {
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-w.exited:
	case <-time.After(5 * time.Second):
	}
	if ad, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap()}); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, _ = ad.DeleteTopics(ctx, []string{w.group + "-configs", w.group + "-offsets", w.group + "-status"})
		cancel()
		ad.Close()
	}
	if !keep {
		os.RemoveAll(w.dir)
	}
}

// sinkConfig is the Cassandra sink of each system writing topic from into
// table. now names a timeuuid column the write sets to Cassandra's now().
func (w *worker) sinkConfig(from, table, now string) map[string]string {
	host, port, _ := strings.Cut(stack.CassandraHosts()[0], ":")
	if w.system == "gonnect" {
		c := map[string]string{
			"connector.class": "com.datastax.oss.kafka.sink.CassandraSinkConnector", "tasks.max": "6", "topics": from,
			"contactPoints": host, "port": port, "loadBalancing.localDc": "datacenter1",
			fmt.Sprintf("topic.%s.%s.%s.mapping", from, keyspace, table): workload.Mapping,
		}
		if now != "" {
			// The coordinator's now(), not the sink's clock, marks when the row was written.
			var marks []string
			for _, col := range strings.Split(columns, ", ") {
				marks = append(marks, ":"+col)
			}
			c[fmt.Sprintf("topic.%s.%s.%s.query", from, keyspace, table)] = fmt.Sprintf("INSERT INTO %s.%s (%s, %s) VALUES (%s, now())",
				keyspace, table, columns, now, strings.Join(marks, ", "))
			// As with the DataStax connector, a custom query cannot delete.
			c[fmt.Sprintf("topic.%s.%s.%s.deletesEnabled", from, keyspace, table)] = "false"
		}
		return c
	}
	return map[string]string{
		"connector.class": "gonnect.bench.reference.CassandraSinkConnector", "tasks.max": "6", "topics": from,
		"cassandra.contact.points": host + ":" + port, "cassandra.local.datacenter": "datacenter1",
		"cassandra.keyspace": keyspace, "cassandra.table": table, "cassandra.now.columns": now,
	}
}

// createSink creates a connector and returns its name; its consumer group
// is "connect-" + name.
func (w *worker) createSink(config map[string]string) (string, error) {
	name := "bench-sink-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	body, err := json.Marshal(map[string]any{"name": name, "config": config})
	if err != nil {
		return "", fmt.Errorf("encoding the connector: %w", err)
	}
	if _, err := httpPost(w.url+"/connectors", body); err != nil {
		return "", err
	}
	return name, nil
}

// failed returns an error naming the trace of a failed connector or task.
func (w *worker) failed(name string) error {
	body, err := httpGet(w.url + "/connectors/" + name + "/status")
	if err != nil {
		return nil // a busy worker answering late is no failure
	}
	var st struct {
		Connector struct{ State, Trace string }
		Tasks     []struct {
			ID           int
			State, Trace string
		}
	}
	if json.Unmarshal([]byte(body), &st) != nil {
		return nil
	}
	if st.Connector.State == "FAILED" {
		return fmt.Errorf("connector %s failed: %s", name, firstLine(st.Connector.Trace))
	}
	for _, t := range st.Tasks {
		if t.State == "FAILED" {
			return fmt.Errorf("task %s-%d failed: %s", name, t.ID, firstLine(t.Trace))
		}
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// workerRun is what a measured worker run holds: a Cassandra session, an
// admin client and the worker.
type workerRun struct {
	s  *gocql.Session
	ad *kafka.AdminClient
	w  *worker
	o  options
}

// newWorkerRun connects, prepares the data with fresh and starts a fresh
// worker of system.
func newWorkerRun(system string, o options, fresh func(*gocql.Session) error) (*workerRun, error) {
	s, err := session()
	if err != nil {
		return nil, fmt.Errorf("connecting to Cassandra: %w", err)
	}
	if err := fresh(s); err != nil {
		s.Close()
		return nil, err
	}
	ad, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap()})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("creating admin client: %w", err)
	}
	w, err := startWorker(system, o)
	if err != nil {
		ad.Close()
		s.Close()
		return nil, err
	}
	return &workerRun{s: s, ad: ad, w: w, o: o}, nil
}

// close stops the worker (keeping its directory when asked or when the run
// failed) and closes the clients.
func (r *workerRun) close(ok bool) {
	r.w.stop(r.o.keep || !ok)
	r.ad.Close()
	r.s.Close()
}

// throughput starts a fresh worker, creates the sink on the workload topic
// and measures until all N offsets are committed.
func throughput(system string, sc workload.Scenario, o options) (Result, error) {
	r, err := newWorkerRun(system, o, func(s *gocql.Session) error { return freshTable(s, sc) })
	if err != nil {
		return Result{}, err
	}
	ok := false
	defer func() { r.close(ok) }()
	s, ad, w := r.s, r.ad, r.w
	cpu0 := procCPU(w.pid())
	start := time.Now()
	name, err := w.createSink(w.sinkConfig(topic, sc.Table, ""))
	if err != nil {
		return Result{}, err
	}
	if err := w.awaitCommitted(ad, name, int64(o.n), 30*time.Minute); err != nil {
		return Result{}, fmt.Errorf("%s: %w (log in %s)", system, err, w.dir)
	}
	elapsed := time.Since(start)
	cpu := procCPU(w.pid()) - cpu0
	rss := peakRSS(w.pid())
	if c, err := count(s, sc); err != nil || c != o.n {
		return Result{}, fmt.Errorf("%s committed all offsets but %d of %d rows are readable: %v", system, c, o.n, err)
	}
	ok = true
	return Result{System: system, Mode: "throughput", Scenario: sc.Name, Records: o.n,
		RecordsPerSec: float64(o.n) / elapsed.Seconds(), CPUSeconds: cpu, PeakRSSBytes: rss}, nil
}

// progress prints the committed offsets while a worker runs, to see
// start-up, steady rate and the final commit apart.
var progress bool

// awaitCommitted polls the sink's committed offsets, which costs the
// broker little, until they add up to want; now and then it checks that
// the sink has not failed.
func (w *worker) awaitCommitted(ad *kafka.AdminClient, name string, want int64, timeout time.Duration) error {
	start := time.Now()
	for i := 1; ; i++ {
		got := committed(ad, "connect-"+name)
		if progress && i%10 == 0 {
			fmt.Fprintf(os.Stderr, "%6.1f s %d committed\n", time.Since(start).Seconds(), got)
		}
		if got >= want {
			return nil
		}
		if i%20 == 0 {
			if err := w.failed(name); err != nil {
				return err
			}
		}
		if time.Since(start) > timeout {
			return fmt.Errorf("sink %s committed %d of %d offsets after %s", name, got, want, timeout)
		}
		select {
		case <-w.exited:
			return fmt.Errorf("the %s worker exited with %d of %d offsets committed; log in %s", w.system, got, want, w.dir)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
