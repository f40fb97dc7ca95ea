// Command run measures the benchmark workload (see the project's workload
// description) on the local servers and appends one JSON result per run:
//
//	run limit   -scenario A -n 100000   # gocql writing decoded rows, best batching
//	run gonnect -scenario A -n 100000   # a gonnect worker with the Cassandra sink, tasks.max=6
//
// Records per second count from the start (loader start, or connector
// creation) until all N rows are readable and, for gonnect, all offsets
// are committed. CPU seconds and peak RSS are those of the worker process.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/internal/stack"
	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/internal/workload/produce"
	"github.com/gonnect/gonnect/worker/storage"
)

// Result is one run, in the shape of bench/results/<date>.json's runs.
type Result struct {
	System        string  `json:"system"`
	Scenario      string  `json:"scenario"`
	Records       int     `json:"records"`
	RecordsPerSec float64 `json:"records_per_sec"`
	CPUSeconds    float64 `json:"cpu_seconds"`
	PeakRSSBytes  int64   `json:"peak_rss_bytes"`
	P50Ms         float64 `json:"p50_ms,omitempty"`
	P99Ms         float64 `json:"p99_ms,omitempty"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: run limit|gonnect|produce [-scenario A|B] [-n N]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	scenario := fs.String("scenario", "A", "A or B")
	n := fs.Int("n", 100000, "records")
	seed := fs.Uint64("seed", 42, "seed")
	binPath := fs.String("bin", "bin/gonnect", "gonnect binary")
	out := fs.String("out", "", "append the JSON result to this file")
	_ = fs.Parse(os.Args[2:])
	sc := workload.ScenarioA
	if strings.EqualFold(*scenario, "B") {
		sc = workload.ScenarioB
	}
	var res Result
	var err error
	switch os.Args[1] {
	case "produce":
		err = produceOrders(*n, *seed)
	case "limit":
		res, err = limit(sc, *n, *seed)
	case "gonnect":
		res, err = gonnect(sc, *n, *binPath)
	default:
		err = fmt.Errorf("unknown system %s", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if os.Args[1] == "produce" {
		return
	}
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

const keyspace = "bench"

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
	return nil
}

func count(s *gocql.Session, sc workload.Scenario) (int, error) {
	var n int
	err := s.Query("SELECT count(*) FROM " + keyspace + "." + sc.Table).Scan(&n)
	return n, err
}

// produce writes N workload records to the workload topic (6 partitions).
func produceOrders(n int, seed uint64) error {
	ctx := context.Background()
	// A fresh topic holds exactly the N records the run counts.
	ad, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap()})
	if err != nil {
		return err
	}
	_, _ = ad.DeleteTopics(ctx, []string{workload.Topic})
	ad.Close()
	for i := 0; ; i++ {
		if _, err := storage.EnsureTopic(ctx, stack.KafkaBootstrap(), nil, workload.Topic, workload.Partitions, 1, nil); err == nil {
			break
		} else if i > 50 {
			return err
		}
		time.Sleep(200 * time.Millisecond) // the deletion completes asynchronously
	}
	if err := produce.Orders(stack.KafkaBootstrap(), stack.SchemaRegistryURL(), workload.Topic, n, seed); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "produced %d records to %s\n", n, workload.Topic)
	return nil
}

// limit writes N decoded rows with gocql: prepared INSERTs, unlogged
// batches per partition key for scenario B, 256 requests in flight.
func limit(sc workload.Scenario, n int, seed uint64) (Result, error) {
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
	stmt := "INSERT INTO " + keyspace + "." + sc.Table + " (order_id, customer_id, sku, quantity, price, currency, status, created_at, tags, attributes, note, discount) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
	args := func(o workload.Order) []any {
		var note, disc any = gocql.UnsetValue, gocql.UnsetValue
		if o.Note != nil {
			note = *o.Note
		}
		if o.Discount != nil {
			disc = *o.Discount
		}
		return []any{o.OrderID, o.CustomerID, o.SKU, o.Quantity, o.Price, o.Currency, o.Status, o.CreatedAt, o.Tags, o.Attributes, note, disc}
	}
	// Group rows by partition key when the table has many rows per partition.
	var groups [][]workload.Order
	if sc.Name == "B" {
		byCust := map[int64][]workload.Order{}
		for _, o := range orders {
			byCust[o.CustomerID] = append(byCust[o.CustomerID], o)
		}
		for _, os := range byCust {
			for len(os) > 0 {
				k := min(32, len(os))
				groups = append(groups, os[:k])
				os = os[k:]
			}
		}
	} else {
		for _, o := range orders {
			groups = append(groups, []workload.Order{o})
		}
	}
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
	return Result{System: "limit", Scenario: sc.Name, Records: n, RecordsPerSec: float64(n) / elapsed.Seconds(),
		CPUSeconds: selfCPU() - cpu0, PeakRSSBytes: peakRSS(os.Getpid())}, nil
}

// gonnect starts a fresh worker, creates the sink and waits for every row.
func gonnect(sc workload.Scenario, n int, bin string) (Result, error) {
	s, err := session()
	if err != nil {
		return Result{}, err
	}
	defer s.Close()
	if err := freshTable(s, sc); err != nil {
		return Result{}, err
	}
	dir, err := os.MkdirTemp("", "gonnect-bench")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	group := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	props := fmt.Sprintf(`bootstrap.servers=%s
group.id=%s
listeners=http://127.0.0.1:18093
config.storage.topic=%s-configs
offset.storage.topic=%s-offsets
status.storage.topic=%s-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=io.confluent.connect.avro.AvroConverter
value.converter.schema.registry.url=%s
offset.flush.interval.ms=1000
`, stack.KafkaBootstrap(), group, group, group, group, stack.SchemaRegistryURL())
	pf := filepath.Join(dir, "worker.properties")
	if err := os.WriteFile(pf, []byte(props), 0o644); err != nil {
		return Result{}, err
	}
	logf, _ := os.Create(filepath.Join(dir, "worker.log"))
	cmd := exec.Command(bin, "distributed", pf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	url := "http://127.0.0.1:18093"
	for i := 0; ; i++ {
		if resp, err := httpGet(url + "/health"); err == nil && strings.Contains(resp, "healthy") {
			break
		}
		if i > 600 {
			return Result{}, fmt.Errorf("worker not healthy; log in %s", logf.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}
	host := strings.Split(stack.CassandraHosts()[0], ":")
	conn := map[string]string{
		"connector.class": "com.datastax.oss.kafka.sink.CassandraSinkConnector", "tasks.max": "6", "topics": workload.Topic,
		"contactPoints": host[0], "port": host[1], "loadBalancing.localDc": "datacenter1",
		fmt.Sprintf("topic.%s.%s.%s.mapping", workload.Topic, keyspace, sc.Table): workload.Mapping,
	}
	name := "bench-sink-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	body, _ := json.Marshal(map[string]any{"name": name, "config": conn})
	cpu0 := procCPU(cmd.Process.Pid)
	start := time.Now()
	if _, err := httpPost(url+"/connectors", body); err != nil {
		return Result{}, err
	}
	ad, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap()})
	if err != nil {
		return Result{}, err
	}
	defer ad.Close()
	ends := endOffsets(n)
	for {
		c, _ := count(s, sc)
		if c >= n && committed(ad, "connect-"+name) >= ends {
			break
		}
		if time.Since(start) > 30*time.Minute {
			return Result{}, fmt.Errorf("only %d of %d rows after 30 minutes", c, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	elapsed := time.Since(start)
	return Result{System: "gonnect", Scenario: sc.Name, Records: n, RecordsPerSec: float64(n) / elapsed.Seconds(),
		CPUSeconds: procCPU(cmd.Process.Pid) - cpu0, PeakRSSBytes: peakRSS(cmd.Process.Pid)}, nil
}

func endOffsets(n int) int64 { return int64(n) }

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
