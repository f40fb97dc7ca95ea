// Command orders runs the demo pipeline's data side: it creates the
// Cassandra table, produces Avro orders (Confluent wire format, schema
// registered in the Schema Registry) and checks the rows arrived.
//
//	orders setup   -keyspace demo
//	orders produce -topic demo.orders -n 1000
//	orders verify  -keyspace demo -n 1000 -timeout 60s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/internal/workload/produce"
	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: orders setup|produce|verify [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	ks := fs.String("keyspace", "demo", "Cassandra keyspace")
	table := fs.String("table", workload.ScenarioA.Table, "Cassandra table")
	topic := fs.String("topic", "demo.orders", "Kafka topic")
	n := fs.Int("n", 1000, "number of orders")
	seed := fs.Uint64("seed", 42, "generator seed")
	timeout := fs.Duration("timeout", 90*time.Second, "how long verify waits")
	_ = fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "setup":
		err = setup(*ks, *table, *topic)
	case "produce":
		err = produceOrders(*topic, *n, *seed)
	case "verify":
		err = verify(*ks, *table, *n, *timeout)
	default:
		err = fmt.Errorf("unknown command %s", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "orders:", err)
		os.Exit(1)
	}
}

func session(ks string) (*gocql.Session, error) {
	c := gocql.NewCluster(stack.CassandraHosts()...)
	c.Timeout = 30 * time.Second
	if ks != "" {
		c.Keyspace = ks
	}
	return c.CreateSession()
}

func setup(ks, table, topic string) error {
	s, err := session("")
	if err != nil {
		return fmt.Errorf("connecting to Cassandra: %w", err)
	}
	defer s.Close()
	sc := workload.ScenarioA
	if table == workload.ScenarioB.Table {
		sc = workload.ScenarioB
	}
	for _, q := range []string{
		fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = {'class':'SimpleStrategy','replication_factor':1}", ks),
		sc.CreateTable(ks),
		fmt.Sprintf("TRUNCATE %s.%s", ks, sc.Table),
	} {
		if err := s.Query(q).Exec(); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, workload.Partitions, 1, nil); err != nil {
		return err
	}
	fmt.Printf("created %s.%s and topic %s\n", ks, sc.Table, topic)
	return nil
}

func produceOrders(topic string, n int, seed uint64) error {
	if err := produce.Orders(stack.KafkaBootstrap(), stack.SchemaRegistryURL(), topic, n, seed); err != nil {
		return err
	}
	fmt.Printf("produced %d Avro orders to %s (schema registered under %s-value)\n", n, topic, topic)
	return nil
}

func verify(ks, table string, n int, timeout time.Duration) error {
	s, err := session(ks)
	if err != nil {
		return err
	}
	defer s.Close()
	deadline := time.Now().Add(timeout)
	var count int
	for {
		if err := s.Query("SELECT count(*) FROM " + table).Scan(&count); err != nil {
			return err
		}
		if count >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if count < n {
		return fmt.Errorf("only %d of %d rows in %s.%s after %s", count, n, ks, table, timeout)
	}
	fmt.Printf("%d rows in %s.%s; a few of them:\n", count, ks, table)
	iter := s.Query("SELECT order_id, customer_id, sku, quantity, price, currency, status, created_at, tags FROM " + table + " LIMIT 3").Iter()
	var id, sku, cur, st string
	var cust int64
	var q int
	var price float64
	var created time.Time
	var tags []string
	for iter.Scan(&id, &cust, &sku, &q, &price, &cur, &st, &created, &tags) {
		fmt.Printf("  %s customer=%d %s x%d %.2f %s %s %s [%s]\n", id, cust, sku, q, price, cur, st, created.Format(time.RFC3339), strings.Join(tags, ","))
	}
	return iter.Close()
}
