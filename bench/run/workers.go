package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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

	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/stack"
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
	// logLimit aborts a run whose worker directory grows past it (bytes).
	logLimit int64
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
	w := &worker{system: system, dir: dir, group: fmt.Sprintf("bench-%s-%d", system, time.Now().UnixNano()), logLimit: int64(o.logLimitMiB) << 20}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	w.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	// Both commit offsets every second, so neither run waits on the other's
	// longer flush interval (Apache Connect's default is 60 s).
	props := fmt.Sprintf(`%s
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
`, kafkaClientProps(system), w.group, w.url, port, w.group, w.group, w.group, stack.SchemaRegistryURL())
	var args []string
	if isGonnect(system) {
		props += "value.converter=io.confluent.connect.avro.AvroConverter\n"
		args = []string{o.bin, "distributed", filepath.Join(dir, "worker.properties")}
	} else {
		conv, err := filepath.Abs(o.plugins)
		if err != nil {
			return nil, fmt.Errorf("plugin path: %w", err)
		}
		if _, err := os.Stat(filepath.Join(conv, "avro-converter")); err != nil {
			return nil, fmt.Errorf("the Avro converter is not built (bash bench/bench.sh builds it): %w", err)
		}
		dsx, err := filepath.Abs(o.datastax)
		if err != nil {
			return nil, fmt.Errorf("DataStax connector folder: %w", err)
		}
		if _, err := os.Stat(filepath.Join(dsx, datastaxJar)); err != nil {
			return nil, fmt.Errorf("the DataStax connector is missing (set DATASTAX_SINK_DIR to the folder holding %s): %w", datastaxJar, err)
		}
		// The connector's folder is on the plugin path as it is (its jar is
		// one plugin); Confluent's AvroConverter is not on Maven Central and
		// not in the connector's jar, so the harness' converter, reading the
		// same wire format from the same registry, sits beside it. The jar has
		// no ServiceLoader manifests: plugins are found by scanning.
		props += "value.converter=gonnect.bench.reference.AvroConverter\n" +
			"plugin.path=" + conv + "," + dsx + "\n" +
			"plugin.discovery=only_scan\n"
		log4j := filepath.Join(dir, "log4j2.properties")
		if err := os.WriteFile(log4j, []byte(fmt.Sprintf(log4jConfig, filepath.Join(dir, "connect.log"), filepath.Join(dir, "connect.log"))), 0o644); err != nil {
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

// gonnectSASLSSL is gonnect reaching Kafka only through the broker's
// SASL_SSL listener (SCRAM-SHA-512, the stack's user and CA): every
// client of the worker (internal topics, group, the sink's consumers)
// encrypts and authenticates, to measure what that costs against
// plaintext on the same data.
const gonnectSASLSSL = "gonnect-sasl_ssl"

// kafkaClientProps are the worker's bootstrap and client security settings.
func kafkaClientProps(system string) string {
	if system != gonnectSASLSSL {
		return "bootstrap.servers=" + stack.KafkaBootstrap()
	}
	return strings.Join([]string{
		"bootstrap.servers=" + stack.KafkaSASLBootstrap(),
		"security.protocol=SASL_SSL",
		"sasl.mechanism=SCRAM-SHA-512",
		`sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="` + stack.KafkaSASLUser() + `" password="` + stack.KafkaSASLPassword() + `";`,
		"ssl.truststore.location=" + stack.TLSFile("truststore.jks"),
		"ssl.truststore.password=" + stack.TLSPassword(),
	}, "\n")
}

// datastaxJar is the DataStax Apache Kafka Connector's jar in its folder.
const datastaxJar = "kafka-connect-cassandra-sink-1.5.0.jar"

// log4jConfig logs Apache Connect to a file of at most 4 MiB plus one
// rolled-over file: a sink that logs a warning per record it keeps
// retrying (the DataStax connector on a type it cannot write) must not
// fill the disk. The run also aborts once the worker's directory outgrows
// -log-limit. Arguments: the file, and its rolled-over name's stem.
const log4jConfig = `status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = %s
appender.file.filePattern = %s.%%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%%d] %%p %%m (%%c)%%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 4MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 1
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
`

// logBytes is the size of the worker's directory: its properties and logs.
func (w *worker) logBytes() int64 {
	var n int64
	entries, _ := os.ReadDir(w.dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

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
// table. now names a timeuuid column that records when the row was written.
// gonnect and DataStax take the same DataStax settings (datastax-tuned adds
// datastaxTuned), except how now is filled: gonnect is given an INSERT
// with Cassandra's now() as its custom query, which the coordinator
// evaluates as it executes the write; DataStax has no custom query, and its
// mapping now() binds a time UUID its client makes when it maps the record,
// a little before the write.
func (w *worker) sinkConfig(from, table, now string) map[string]string {
	host, port, _ := strings.Cut(stack.CassandraHosts()[0], ":")
	c := map[string]string{
		"connector.class": "com.datastax.oss.kafka.sink.CassandraSinkConnector", "tasks.max": "6", "topics": from,
		"contactPoints": host, "port": port, "loadBalancing.localDc": "datacenter1",
	}
	mappingKey := fmt.Sprintf("topic.%s.%s.%s.mapping", from, keyspace, table)
	c[mappingKey] = workload.Mapping
	switch {
	case now != "" && isGonnect(w.system):
		var marks []string
		for _, col := range strings.Split(columns, ", ") {
			marks = append(marks, ":"+col)
		}
		c[fmt.Sprintf("topic.%s.%s.%s.query", from, keyspace, table)] = fmt.Sprintf("INSERT INTO %s.%s (%s, %s) VALUES (%s, now())",
			keyspace, table, columns, now, strings.Join(marks, ", "))
		// As with the DataStax connector, a custom query cannot delete.
		c[fmt.Sprintf("topic.%s.%s.%s.deletesEnabled", from, keyspace, table)] = "false"
	case now != "":
		c[mappingKey] += ", " + now + "=now()"
	}
	if w.system == "datastax-tuned" {
		maps.Copy(c, datastaxTuned)
	}
	if w.system == "gonnect-smt" {
		maps.Copy(c, smtChain)
		// ReplaceField renames quantity, so the mapping reads the new name.
		c[mappingKey] = strings.Replace(c[mappingKey], "quantity=value.quantity", "quantity=value.qty", 1)
	}
	return c
}

// isGonnect reports whether a system is a gonnect worker: gonnect itself
// or one of its variants measured against it on scenario A.
func isGonnect(system string) bool { return strings.HasPrefix(system, "gonnect") }

// smtChain is gonnect-smt's transformation chain, a common one in front of
// a Cassandra sink: created_at made a Connect Timestamp (from the long
// variant's epoch milliseconds; a no-op conversion on timestamp-millis), a
// static field and the topic added, and a field renamed. With a chain the
// sink leaves its direct Avro path for the general one, which this prices.
var smtChain = map[string]string{
	"transforms":                     "ts,insert,rename",
	"transforms.ts.type":             "org.apache.kafka.connect.transforms.TimestampConverter$Value",
	"transforms.ts.field":            "created_at",
	"transforms.ts.target.type":      "Timestamp",
	"transforms.insert.type":         "org.apache.kafka.connect.transforms.InsertField$Value",
	"transforms.insert.static.field": "pipeline",
	"transforms.insert.static.value": "bench",
	"transforms.insert.topic.field":  "source_topic",
	"transforms.rename.type":         "org.apache.kafka.connect.transforms.ReplaceField$Value",
	"transforms.rename.renames":      "quantity:qty",
}

// datastaxTuned is the DataStax connector with its batching and
// concurrency set to what gonnect's sink does with the same settings.
// Both default to tasks.max=6 here, maxNumberOfRecordsInBatch=32,
// connectionPoolLocalSize=4 and maxConcurrentRequests=500 per connector,
// but a gonnect request is a batch packing up to 10 partitions and 32
// records, while DataStax batches only rows of one partition key found in
// one put: on these tables (one row per order id; 10,000 customers against
// 500 records a put) nearly every DataStax request is one record, so its
// 500 requests in flight hold about 500 records where gonnect's hold every
// record of its six puts. Tuned, DataStax may have one request in flight
// per record of the six puts (6 x 500 = 3000, a bound gonnect never
// reaches), which the pool of 4 connections carries (the driver's 1024
// requests per connection); batch size, pool and tasks stay gonnect's.
var datastaxTuned = map[string]string{
	"maxConcurrentRequests": "3000", "maxNumberOfRecordsInBatch": "32", "connectionPoolLocalSize": "4",
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
	var sc1 *scraper
	if system == "gonnect-scraped" {
		sc1 = startScraper(w.url+"/metrics", o.scrape)
	}
	name, err := w.createSink(w.sinkConfig(topic, sc.Table, ""))
	if err != nil {
		return Result{}, err
	}
	if err := w.awaitCommitted(ad, name, int64(o.n), 30*time.Minute); err != nil {
		return Result{}, fmt.Errorf("%s: %w (log in %s)", system, err, w.dir)
	}
	elapsed := time.Since(start)
	cpu := procCPU(w.pid()) - cpu0
	var scrapes, metricsBytes int
	if sc1 != nil {
		if scrapes, metricsBytes, err = sc1.stop(); err != nil {
			return Result{}, fmt.Errorf("%s: %w", system, err)
		}
	}
	rss := peakRSS(w.pid())
	if c, err := count(s, sc); err != nil || c != o.n {
		return Result{}, fmt.Errorf("%s committed all offsets but %d of %d rows are readable: %v", system, c, o.n, err)
	}
	if err := checkRows(s, sc, o); err != nil {
		return Result{}, fmt.Errorf("%s: %w", system, err)
	}
	ok = true
	return Result{System: system, Mode: "throughput", Scenario: sc.Name, Records: o.n,
		RecordsPerSec: float64(o.n) / elapsed.Seconds(), CPUSeconds: cpu, PeakRSSBytes: rss,
		Scrapes: scrapes, MetricsBytes: metricsBytes}, nil
}

// scraper reads a worker's /metrics at a fixed interval, as Prometheus
// would, for as long as a run lasts.
type scraper struct {
	cancel  context.CancelFunc
	done    chan struct{}
	n, size int
	err     error
}

func startScraper(url string, every time.Duration) *scraper {
	ctx, cancel := context.WithCancel(context.Background())
	sc := &scraper{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(sc.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			body, err := httpGet(url)
			if err != nil {
				sc.err = fmt.Errorf("scraping %s: %w", url, err)
				return
			}
			sc.n, sc.size = sc.n+1, len(body)
		}
	}()
	return sc
}

// stop ends the scraping and says how many scrapes were made and how big
// the last was; a scrape that failed fails the run.
func (sc *scraper) stop() (n, size int, err error) {
	sc.cancel()
	<-sc.done
	if sc.err == nil && sc.n == 0 {
		sc.err = errors.New("the run ended before /metrics was scraped once")
	}
	return sc.n, sc.size, sc.err
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
		if i%10 == 0 && w.logLimit > 0 {
			if n := w.logBytes(); n > w.logLimit {
				return fmt.Errorf("the %s worker logged %d MiB (over -log-limit %d MiB), a sign of records failing over and over; aborted",
					w.system, n>>20, w.logLimit>>20)
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

// checkRows reads back the first and the last order and compares the
// columns a sink could get wrong without failing (created_at's unit in the
// long variant, above all) with the generated order.
func checkRows(s *gocql.Session, sc workload.Scenario, o options) error {
	g := workload.Generator{Seed: o.seed}
	for _, i := range []uint64{0, uint64(o.n - 1)} {
		want := g.Order(i)
		q := "SELECT customer_id, created_at, quantity, sku FROM " + keyspace + "." + sc.Table + " WHERE order_id = ?"
		args := []any{want.OrderID}
		if sc.Name == "B" {
			q += " AND customer_id = ?"
			args = append(args, want.CustomerID)
		}
		var cust int64
		var created time.Time
		var qty int32
		var sku string
		if err := s.Query(q, args...).Scan(&cust, &created, &qty, &sku); err != nil {
			return fmt.Errorf("reading order %d (%s) back: %w", i, want.OrderID, err)
		}
		if cust != want.CustomerID || !created.Equal(want.CreatedAt) || qty != want.Quantity || sku != want.SKU {
			return fmt.Errorf("order %d reads back as customer %d, created_at %s, quantity %d, sku %s; want %d, %s, %d, %s",
				i, cust, created.UTC().Format(time.RFC3339Nano), qty, sku, want.CustomerID, want.CreatedAt.Format(time.RFC3339Nano), want.Quantity, want.SKU)
		}
	}
	return nil
}
