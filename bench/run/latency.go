package main

// Latency runs measure how long a record takes from the producer to a
// readable Cassandra row, at a fixed rate well below saturation, while the
// sink runs:
//
//   - records are produced at -rate per second for -duration to a fresh
//     topic, each one's created_at set to the moment it is handed to the
//     producer (the time the record exists, as a millisecond timestamp);
//   - the sink writes them into a fresh table with the workload's columns
//     (scenario A's key) plus `written timeuuid`, which the INSERT sets to
//     now(): Cassandra's coordinator evaluates it when it executes the
//     write, and from then on the row is readable (replication factor 1 on
//     the same node);
//   - once all offsets are committed, one scan of the table yields each
//     record's written - created_at; the first -warmup of records (group
//     join, connection set-up, JIT) are left out of p50 and p99.
//
// Nothing polls Cassandra while the system runs, both times come from this
// machine's clock, and the sink's own clock plays no part (gonnect, like the
// DataStax sink, writes with the record timestamp, so writetime() would not
// do). The limit's latency run writes the same rows straight from the
// loader at the same rate: the floor the sinks add their latency to.

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/stack"
)

const latencyTable = "orders_latency"

func freshLatencyTable(s *gocql.Session) error {
	for _, q := range []string{
		"CREATE KEYSPACE IF NOT EXISTS " + keyspace + " WITH replication = {'class':'SimpleStrategy','replication_factor':1}",
		"DROP TABLE IF EXISTS " + keyspace + "." + latencyTable,
		fmt.Sprintf("CREATE TABLE %s.%s (%s, written timeuuid, PRIMARY KEY %s)", keyspace, latencyTable,
			workload.TableColumns, workload.ScenarioA.PrimaryKey),
	} {
		if err := s.Query(q).Exec(); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// workerLatency runs a gonnect or DataStax worker on the latency topic.
func workerLatency(system string, o options) (Result, error) {
	r, err := newWorkerRun(system, o, func(s *gocql.Session) error {
		if err := freshLatencyTable(s); err != nil {
			return err
		}
		return freshTopic(topic + ".latency")
	})
	if err != nil {
		return Result{}, err
	}
	ok := false
	defer func() { r.close(ok) }()
	s, ad, w := r.s, r.ad, r.w
	name, err := w.createSink(w.sinkConfig(topic+".latency", latencyTable, "written"))
	if err != nil {
		return Result{}, err
	}
	// Producing before the tasks own their partitions would measure the
	// group join, not the pipeline.
	if err := awaitAssigned(ad, "connect-"+name, workload.Partitions, 2*time.Minute); err != nil {
		return Result{}, fmt.Errorf("%s: %w (log in %s)", system, err, w.dir)
	}
	cpu0 := procCPU(w.pid())
	total, start, err := producePaced(topic+".latency", o)
	if err != nil {
		return Result{}, err
	}
	if err := w.awaitCommitted(ad, name, int64(total), 5*time.Minute); err != nil {
		return Result{}, fmt.Errorf("%s: %w (log in %s)", system, err, w.dir)
	}
	res := Result{System: system, Mode: "latency", Scenario: workload.ScenarioA.Name, Records: total,
		RecordsPerSec: float64(total) / o.duration.Seconds(), CPUSeconds: procCPU(w.pid()) - cpu0, PeakRSSBytes: peakRSS(w.pid())}
	if res.P50Ms, res.P99Ms, err = percentiles(s, start.Add(o.warmup), total); err != nil {
		return Result{}, fmt.Errorf("%s: %w", system, err)
	}
	ok = true
	return res, nil
}

// awaitAssigned waits until the group's members own want partitions.
func awaitAssigned(ad *kafka.AdminClient, group string, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := ad.DescribeConsumerGroups(ctx, []string{group})
		cancel()
		got := 0
		if err == nil {
			for _, g := range res.ConsumerGroupDescriptions {
				if g.State != kafka.ConsumerGroupStateStable {
					continue
				}
				for _, m := range g.Members {
					got += len(m.Assignment.TopicPartitions)
				}
			}
		}
		if got >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("group %s owns %d of %d partitions after %s", group, got, want, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// paced calls emit for records [0, rate*duration) at their due times and
// returns the count and the start.
func paced(o options, emit func(i int) error) (int, time.Time, error) {
	total := int(float64(o.rate) * o.duration.Seconds())
	start := time.Now()
	for i := 0; i < total; {
		due := min(total, int(time.Since(start).Seconds()*float64(o.rate))+1)
		for ; i < due; i++ {
			if err := emit(i); err != nil {
				return 0, start, err
			}
		}
		time.Sleep(time.Millisecond)
	}
	return total, start, nil
}

// producePaced produces latency records, created_at being the produce time.
func producePaced(to string, o options) (int, time.Time, error) {
	conv := &converters.AvroConverter{}
	if err := conv.Configure(map[string]string{"schema.registry.url": stack.SchemaRegistryURL()}, false); err != nil {
		return 0, time.Time{}, fmt.Errorf("configuring the Avro converter: %w", err)
	}
	// linger.ms=1: a latency-minded producer; its delay is the same for every system.
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "linger.ms": 1,
		"go.delivery.reports": false, "enable.idempotence": true, "compression.type": "lz4"})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("creating producer: %w", err)
	}
	defer p.Close()
	g := workload.Generator{Seed: o.seed + 1}
	total, start, err := paced(o, func(i int) error {
		ord := g.Order(uint64(i))
		ord.CreatedAt = time.Now()
		val, err := conv.FromConnect(to, o.createdAt.Schema(), ord.StructAs(o.createdAt))
		if err != nil {
			return fmt.Errorf("encoding order %d: %w", i, err)
		}
		msg := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &to, Partition: kafka.PartitionAny}, Key: []byte(ord.OrderID), Value: val}
		if err := p.Produce(msg, nil); err != nil {
			return fmt.Errorf("producing order %d to %s: %w", i, to, err)
		}
		return nil
	})
	if err != nil {
		return 0, start, err
	}
	if left := p.Flush(60000); left > 0 {
		return 0, start, fmt.Errorf("%d latency records not delivered to %s", left, to)
	}
	return total, start, nil
}

// limitLatency writes the latency rows straight to Cassandra at the rate.
func limitLatency(o options) (Result, error) {
	s, err := session()
	if err != nil {
		return Result{}, fmt.Errorf("connecting to Cassandra: %w", err)
	}
	defer s.Close()
	if err := freshLatencyTable(s); err != nil {
		return Result{}, err
	}
	stmt := fmt.Sprintf("INSERT INTO %s.%s (%s, written) VALUES (%s?, now())", keyspace, latencyTable, columns,
		strings.Repeat("?, ", strings.Count(columns, ",")))
	g := workload.Generator{Seed: o.seed + 1}
	sem := make(chan struct{}, 256)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	cpu0 := selfCPU()
	total, start, _ := paced(o, func(i int) error {
		ord := g.Order(uint64(i))
		ord.CreatedAt = time.Now()
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := s.Query(stmt, orderArgs(ord)...).Exec(); err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
		}()
		return nil
	})
	wg.Wait()
	if firstErr != nil {
		return Result{}, fmt.Errorf("limit latency write: %w", firstErr)
	}
	res := Result{System: "limit", Mode: "latency", Scenario: workload.ScenarioA.Name, Records: total,
		RecordsPerSec: float64(total) / o.duration.Seconds(), CPUSeconds: selfCPU() - cpu0, PeakRSSBytes: peakRSS(os.Getpid())}
	if res.P50Ms, res.P99Ms, err = percentiles(s, start.Add(o.warmup), total); err != nil {
		return Result{}, fmt.Errorf("limit: %w", err)
	}
	return res, nil
}

// percentiles scans the latency table once: p50 and p99 of written -
// created_at, in milliseconds, over the rows created from from on.
func percentiles(s *gocql.Session, from time.Time, total int) (p50, p99 float64, err error) {
	iter := s.Query("SELECT created_at, written FROM " + keyspace + "." + latencyTable).PageSize(5000).Iter()
	var created time.Time
	var written gocql.UUID
	var ms []float64
	rows := 0
	for iter.Scan(&created, &written) {
		rows++
		if created.Before(from) {
			continue
		}
		ms = append(ms, float64(written.Time().Sub(created).Microseconds())/1000)
	}
	if err := iter.Close(); err != nil {
		return 0, 0, fmt.Errorf("scanning %s: %w", latencyTable, err)
	}
	if rows != total {
		return 0, 0, fmt.Errorf("%d of %d latency rows are readable", rows, total)
	}
	if len(ms) == 0 {
		return 0, 0, fmt.Errorf("no latency rows after the %s warm-up", from.Format(time.RFC3339))
	}
	slices.Sort(ms)
	rank := func(q float64) float64 { return ms[int(math.Ceil(q*float64(len(ms))))-1] } // nearest rank
	return rank(0.50), rank(0.99), nil
}
