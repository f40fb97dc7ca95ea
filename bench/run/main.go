// Command run measures the benchmark workload (see the project's workload
// description) on the local servers and appends one JSON result per run:
//
//	run produce -n 100000                       # the workload into bench.orders
//	run limit     -scenario A -n 100000         # gocql writing decoded rows, best batching
//	run gonnect   -scenario A -n 100000         # a gonnect worker with the Cassandra sink, tasks.max=6
//	run gonnect-sasl_ssl -scenario A -n 100000  # the same worker reaching Kafka through the SASL_SSL listener
//	run datastax  -scenario A -n 100000         # Apache Kafka Connect with the DataStax connector 1.5.0, its defaults
//	run datastax-tuned -scenario A -n 100000    # the same, batching and concurrency tuned to gonnect's (workers.go)
//	run gonnect-smt -scenario A -n 100000       # gonnect with a transformation chain (workers.go)
//	run gonnect-scraped -scenario A -n 100000   # gonnect with /metrics scraped every -scrape
//	run gonnect   -latency -rate 2000 -duration 30s   # end-to-end latency at a fixed rate
//
// Throughput runs count records per second from the start (loader start,
// or connector creation) until all N offsets are committed; the rows are
// counted once after that (a sink commits only what Cassandra
// acknowledged, so they are readable by then) and must number N. Polling
// count(*) during the run would load Cassandra and slow the system under
// test, so only the cheap committed offsets are polled. CPU seconds and peak
// RSS are those of the worker process (the loader's own for limit).
//
// -created-at long (for produce and latency runs) carries created_at as a
// plain Avro long, which the DataStax connector can write; the result says
// which variant a run measured.
//
// Latency runs are described in latency.go.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/internal/workload/produce"
	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

// Result is one run, in the shape of bench/results/<date>.json's runs.
type Result struct {
	System        string  `json:"system"`
	Mode          string  `json:"mode"` // throughput or latency
	Scenario      string  `json:"scenario"`
	Records       int     `json:"records"`
	RecordsPerSec float64 `json:"records_per_sec"`
	CPUSeconds    float64 `json:"cpu_seconds"`
	PeakRSSBytes  int64   `json:"peak_rss_bytes"`
	P50Ms         float64 `json:"p50_ms,omitempty"`
	P99Ms         float64 `json:"p99_ms,omitempty"`
	Window        int     `json:"window,omitempty"` // limit runs with -window
	// Scrapes and MetricsBytes are gonnect-scraped's: how many times
	// /metrics was read during the run, and the size of its last answer.
	Scrapes      int `json:"scrapes,omitempty"`
	MetricsBytes int `json:"metrics_bytes,omitempty"`
	// CreatedAt is the workload variant the records carried (workload.CreatedAt).
	CreatedAt string `json:"created_at,omitempty"`
}

// options are the command-line settings shared by every system.
type options struct {
	n        int
	seed     uint64
	bin      string // gonnect binary
	jars     string // Apache Connect's classpath directory
	plugins  string // folder holding the Avro converter's plugin folder
	datastax string // folder holding the DataStax connector's jar
	latency  bool
	rate     int
	duration time.Duration
	warmup   time.Duration
	keep     bool          // leave the worker's directory (properties, log)
	scrape   time.Duration // gonnect-scraped: how often /metrics is read
	window   int           // limit: group rows only within windows of this many records (0: all)
	// createdAt is the variant produced (produce, latency runs) and recorded.
	createdAt workload.CreatedAt
	// logLimitMiB aborts a worker run whose directory (its logs) outgrows it.
	logLimitMiB int
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: run produce|limit|gonnect|gonnect-sasl_ssl|gonnect-smt|gonnect-scraped|datastax|datastax-tuned [-scenario A|B] [-n N] [-latency -rate R -duration D]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	scenario := fs.String("scenario", "A", "A or B")
	var o options
	fs.IntVar(&o.n, "n", 100000, "records")
	fs.Uint64Var(&o.seed, "seed", 42, "seed")
	fs.StringVar(&o.bin, "bin", "bin/gonnect", "gonnect binary")
	fs.StringVar(&o.jars, "jars", ".stack/jars/connect", "directory of Apache Kafka Connect's jars")
	fs.StringVar(&o.plugins, "plugins", ".stack/avro-plugin", "folder holding the Avro converter's plugin folder avro-converter")
	fs.StringVar(&o.datastax, "datastax", "../shared/reference/datastax-kafka-sink", "folder holding the DataStax connector's "+datastaxJar)
	createdAt := fs.String("created-at", string(workload.CreatedAtTimestamp), "how values carry created_at: timestamp-millis or long (epoch milliseconds, no logical type)")
	fs.IntVar(&o.logLimitMiB, "log-limit", 64, "abort a worker run once its logs exceed this many MiB")
	fs.BoolVar(&o.latency, "latency", false, "measure end-to-end latency at a fixed rate instead of throughput")
	fs.IntVar(&o.rate, "rate", 2000, "records per second of a latency run")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "length of a latency run")
	fs.DurationVar(&o.warmup, "warmup", 10*time.Second, "first part of a latency run left out of the percentiles")
	fs.IntVar(&o.window, "window", 0, "limit only: group rows by partition only within consecutive windows of this many records, as a streaming sink holding that many records could (0: the whole data set)")
	fs.DurationVar(&o.scrape, "scrape", time.Second, "gonnect-scraped: interval at which /metrics is scraped")
	fs.BoolVar(&o.keep, "keep", false, "leave the worker's directory with its log")
	fs.BoolVar(&progress, "progress", false, "print the committed offsets every second (stderr) while a worker runs")
	fs.StringVar(&keyspace, "keyspace", keyspace, "Cassandra keyspace of the tables")
	fs.StringVar(&topic, "topic", topic, "workload topic; latency runs use <topic>.latency")
	out := fs.String("out", "", "append the JSON result to this file")
	_ = fs.Parse(os.Args[2:])
	var err error
	if o.createdAt, err = workload.ParseCreatedAt(*createdAt); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	sc := workload.ScenarioA
	if strings.EqualFold(*scenario, "B") {
		sc = workload.ScenarioB
	}
	var res Result
	switch sys := os.Args[1]; {
	case sys == "produce":
		err = produceOrders(o.n, o.seed, o.createdAt)
	case sys == "limit" && o.latency:
		res, err = limitLatency(o)
	case sys == "limit":
		res, err = limit(sc, o.n, o.seed, o.window)
	case (sys == "gonnect-smt" || sys == "gonnect-scraped") && (o.latency || sc.Name != "A"):
		err = fmt.Errorf("%s is measured on scenario A's throughput only", sys)
	case sys == "gonnect" || sys == gonnectSASLSSL || sys == "gonnect-smt" || sys == "gonnect-scraped" || sys == "datastax" || sys == "datastax-tuned":
		if o.latency {
			res, err = workerLatency(sys, o)
		} else {
			res, err = throughput(sys, sc, o)
		}
	default:
		err = fmt.Errorf("unknown system %s", sys)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if os.Args[1] == "produce" {
		return
	}
	res.CreatedAt = string(o.createdAt)
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		fmt.Fprintln(f, string(b))
		f.Close()
	}
}

// keyspace and topic are the workload's unless -keyspace and -topic move a
// run aside, e.g. when two checkouts share the servers.
var (
	keyspace = "bench"
	topic    = workload.Topic
)

func session() (*gocql.Session, error) {
	c := gocql.NewCluster(stack.CassandraHosts()...)
	c.Timeout = 60 * time.Second
	c.NumConns = 4
	c.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
	return c.CreateSession()
}

// freshTable drops and creates the scenario's table.
func freshTable(s *gocql.Session, sc workload.Scenario) error {
	for _, q := range []string{
		"CREATE KEYSPACE IF NOT EXISTS " + keyspace + " WITH replication = {'class':'SimpleStrategy','replication_factor':1}",
		"DROP TABLE IF EXISTS " + keyspace + "." + sc.Table,
		sc.CreateTable(keyspace),
	} {
		if err := s.Query(q).Exec(); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return awaitCompactions(s, 5*time.Minute)
}

// awaitCompactions waits until Cassandra runs no compaction (the previous
// run's tables are compacted in the background, unthrottled), so that no
// system is measured against another's leftover work.
func awaitCompactions(s *gocql.Session, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var n int
		if err := s.Query("SELECT count(*) FROM system_views.sstable_tasks").Scan(&n); err != nil {
			return fmt.Errorf("reading Cassandra's running compactions: %w", err)
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "bench: %d compactions still running after %s; measuring anyway\n", n, limit)
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// count counts the table's rows in 64 token ranges, four at a time: one
// count(*) over a million rows outlasts Cassandra's range read timeout.
func count(s *gocql.Session, sc workload.Scenario) (int, error) {
	pk := "order_id"
	if sc.Name == "B" {
		pk = "customer_id"
	}
	q := "SELECT count(*) FROM " + keyspace + "." + sc.Table + " WHERE token(" + pk + ") >= ? AND token(" + pk + ") <= ?"
	const ranges = 64
	step := uint64(1<<64-1) / ranges
	var (
		total    atomic.Int64
		firstErr error
		mu       sync.Mutex
		wg       sync.WaitGroup
		sem      = make(chan struct{}, 4)
	)
	for i := range uint64(ranges) {
		// Murmur3 tokens span the int64s; ranges are taken on the offset
		// from the smallest, which wraps as two's complement.
		lo := int64(1<<63 + i*step)
		hi := int64(1<<63 + (i+1)*step - 1)
		if i == 0 {
			lo = math.MinInt64
		}
		if i == ranges-1 {
			hi = math.MaxInt64
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var n int64
			if err := s.Query(q, lo, hi).Scan(&n); err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
				return
			}
			total.Add(n)
		}()
	}
	wg.Wait()
	return int(total.Load()), firstErr
}

// produceOrders writes N workload records to the workload topic.
func produceOrders(n int, seed uint64, createdAt workload.CreatedAt) error {
	// A fresh topic holds exactly the N records the run counts.
	if err := freshTopic(topic); err != nil {
		return err
	}
	if err := produce.OrdersAs(stack.KafkaBootstrap(), stack.SchemaRegistryURL(), topic, n, seed, createdAt); err != nil {
		return fmt.Errorf("producing the workload: %w", err)
	}
	fmt.Fprintf(os.Stderr, "produced %d records to %s (created_at %s)\n", n, topic, createdAt)
	return nil
}

// freshTopic deletes and creates a topic with the workload's partitions.
func freshTopic(name string) error {
	ctx := context.Background()
	ad, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap()})
	if err != nil {
		return fmt.Errorf("creating admin client: %w", err)
	}
	_, _ = ad.DeleteTopics(ctx, []string{name})
	ad.Close()
	for i := 0; ; i++ {
		_, err := storage.EnsureTopic(ctx, stack.KafkaBootstrap(), nil, name, workload.Partitions, 1, nil)
		if err == nil {
			return nil
		}
		if i > 50 {
			return fmt.Errorf("creating topic %s: %w", name, err)
		}
		time.Sleep(200 * time.Millisecond) // the deletion completes asynchronously
	}
}

// columns are the workload's CQL columns in orderArgs' order.
const columns = "order_id, customer_id, sku, quantity, price, currency, status, created_at, tags, attributes, note, discount"

// orderArgs are an order's bind values for columns; nulls stay unset, as
// the sinks leave them, so that no tombstones are written.
func orderArgs(o workload.Order) []any {
	var note, disc any = gocql.UnsetValue, gocql.UnsetValue
	if o.Note != nil {
		note = *o.Note
	}
	if o.Discount != nil {
		disc = *o.Discount
	}
	return []any{o.OrderID, o.CustomerID, o.SKU, o.Quantity, o.Price, o.Currency, o.Status, o.CreatedAt, o.Tags, o.Attributes, note, disc}
}

// limit writes N decoded rows with gocql: prepared INSERTs in unlogged
// batches (rows grouped by partition key, partitions packed), 256 requests
// in flight.
func limit(sc workload.Scenario, n int, seed uint64, window int) (Result, error) {
	s, err := session()
	if err != nil {
		return Result{}, err
	}
	defer s.Close()
	if err := freshTable(s, sc); err != nil {
		return Result{}, err
	}
	g := workload.Generator{Seed: seed}
	orders := make([]workload.Order, n)
	for i := range orders {
		orders[i] = g.Order(uint64(i))
	}
	stmt := "INSERT INTO " + keyspace + "." + sc.Table + " (" + columns + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
	args := orderArgs
	// Group rows by partition key when the table has many rows per partition.
	var groups [][]workload.Order
	if sc.Name == "B" {
		// A streaming sink only meets the rows it holds at once; -window
		// shows what grouping within that many records is worth.
		span := window
		if span <= 0 {
			span = len(orders)
		}
		for w := 0; w < len(orders); w += span {
			byCust := map[int64][]workload.Order{}
			var custs []int64
			for _, o := range orders[w:min(w+span, len(orders))] {
				if _, ok := byCust[o.CustomerID]; !ok {
					custs = append(custs, o.CustomerID)
				}
				byCust[o.CustomerID] = append(byCust[o.CustomerID], o)
			}
			for _, c := range custs {
				os := byCust[c]
				for len(os) > 0 {
					k := min(32, len(os))
					groups = append(groups, os[:k])
					os = os[k:]
				}
			}
		}
	} else {
		for _, o := range orders {
			groups = append(groups, []workload.Order{o})
		}
	}
	// On this one-node cluster every partition is local, so the best
	// batching also packs partitions: up to 10 (Cassandra's cross-partition
	// warning threshold) and 32 rows per unlogged batch, the bounds the
	// gonnect sink packs to.
	var packed [][]workload.Order
	var cur []workload.Order
	parts := 0
	for _, grp := range groups {
		if len(cur) > 0 && (len(cur)+len(grp) > 32 || parts == 10) {
			packed, cur, parts = append(packed, cur), nil, 0
		}
		cur = append(cur, grp...)
		parts++
	}
	if len(cur) > 0 {
		packed = append(packed, cur)
	}
	groups = packed
	cpu0 := selfCPU()
	start := time.Now()
	sem := make(chan struct{}, 256)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, grp := range groups {
		sem <- struct{}{}
		wg.Add(1)
		go func(grp []workload.Order) {
			defer func() { <-sem; wg.Done() }()
			var err error
			if len(grp) == 1 {
				err = s.Query(stmt, args(grp[0])...).Exec()
			} else {
				b := s.Batch(gocql.UnloggedBatch)
				for _, o := range grp {
					b.Query(stmt, args(o)...)
				}
				err = b.Exec()
			}
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
		}(grp)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return Result{}, firstErr
	}
	c, err := count(s, sc)
	if err != nil || c != n {
		return Result{}, fmt.Errorf("limit wrote %d of %d rows: %v", c, n, err)
	}
	return Result{System: "limit", Mode: "throughput", Scenario: sc.Name, Records: n, RecordsPerSec: float64(n) / elapsed.Seconds(),
		CPUSeconds: selfCPU() - cpu0, PeakRSSBytes: peakRSS(os.Getpid()), Window: window}, nil
}

func committed(ad *kafka.AdminClient, group string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := ad.ListConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group}})
	if err != nil {
		return 0
	}
	var sum int64
	for _, g := range res.ConsumerGroupsTopicPartitions {
		for _, tp := range g.Partitions {
			if tp.Offset > 0 {
				sum += int64(tp.Offset)
			}
		}
	}
	return sum
}

func httpGet(url string) (string, error) {
	out, err := exec.Command("curl", "-fsS", "-m", "5", url).Output()
	return string(out), err
}

func httpPost(url string, body []byte) (string, error) {
	cmd := exec.Command("curl", "-fsS", "-m", "60", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@-", url)
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("POST %s: %v: %s", url, err, out)
	}
	return string(out), nil
}

// procCPU is a process's user+system CPU seconds from /proc.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

func selfCPU() float64 { return procCPU(os.Getpid()) }

func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}
