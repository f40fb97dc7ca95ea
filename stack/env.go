// Package stack locates the local real servers (Kafka, Cassandra, Schema
// Registry, reference Kafka Connect) that tests, the demo and benchmarks use,
// and checks they answer. Servers are started by `make stack-up`
// (stack/stack.sh); tests never start them and never skip: a
// missing server fails the test with the command that starts it.
package stack

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// KafkaBootstrap is KAFKA_BOOTSTRAP, default 127.0.0.1:9092.
func KafkaBootstrap() string { return env("KAFKA_BOOTSTRAP", "127.0.0.1:9092") }

// CassandraHosts is CASSANDRA_HOSTS (comma list), default 127.0.0.1:9042.
func CassandraHosts() []string {
	return strings.Split(env("CASSANDRA_HOSTS", "127.0.0.1:9042"), ",")
}

// SchemaRegistryURL is SCHEMA_REGISTRY_URL, default http://127.0.0.1:8081.
func SchemaRegistryURL() string { return env("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081") }

// ReferenceConnectURL is REFERENCE_CONNECT_URL, default http://127.0.0.1:28083.
func ReferenceConnectURL() string { return env("REFERENCE_CONNECT_URL", "http://127.0.0.1:28083") }

// PingKafka asks the broker for metadata and returns the cluster id.
func PingKafka(ctx context.Context, bootstrap string) (string, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(bootstrap, ",")...), kgo.DialTimeout(2*time.Second))
	if err != nil {
		return "", fmt.Errorf("creating Kafka client for %s: %w", bootstrap, err)
	}
	defer cl.Close()
	req := kmsg.NewPtrMetadataRequest()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return "", fmt.Errorf("requesting metadata from %s: %w", bootstrap, err)
	}
	if resp.ClusterID == nil || len(resp.Brokers) == 0 {
		return "", fmt.Errorf("broker %s answered metadata without a cluster id or brokers", bootstrap)
	}
	return *resp.ClusterID, nil
}

// PingCassandra connects over CQL and returns release_version.
func PingCassandra(ctx context.Context, hosts []string) (string, error) {
	c := gocql.NewCluster(hosts...)
	c.Timeout = 5 * time.Second
	c.ConnectTimeout = 3 * time.Second
	c.DisableInitialHostLookup = true
	s, err := c.CreateSession()
	if err != nil {
		return "", fmt.Errorf("connecting to Cassandra at %v: %w", hosts, err)
	}
	defer s.Close()
	var v string
	if err := s.Query("SELECT release_version FROM system.local").ScanContext(ctx, &v); err != nil {
		return "", fmt.Errorf("querying release_version at %v: %w", hosts, err)
	}
	return v, nil
}

// CassandraClusterHosts is CASSANDRA_CLUSTER_HOSTS (comma list), the fault
// tests' 3-node cluster (stack.sh cluster up), default
// 127.0.0.1:9043,127.0.0.2:9043,127.0.0.3:9043.
func CassandraClusterHosts() []string {
	return strings.Split(env("CASSANDRA_CLUSTER_HOSTS", "127.0.0.1:9043,127.0.0.2:9043,127.0.0.3:9043"), ",")
}

// PingCassandraRing checks that every host answers CQL and that each one's
// gossip knows all the others as normal members of the ring with a native
// address (system.peers filled, as a driver discovering the ring reads it).
func PingCassandraRing(ctx context.Context, hosts []string) (string, error) {
	for _, h := range hosts {
		c := gocql.NewCluster(h)
		c.Timeout = 5 * time.Second
		c.ConnectTimeout = 3 * time.Second
		c.DisableInitialHostLookup = true
		s, err := c.CreateSession()
		if err != nil {
			return "", fmt.Errorf("connecting to Cassandra at %s: %w", h, err)
		}
		var peers int
		iter := s.Query("SELECT peer, rpc_address, tokens FROM system.peers").IterContext(ctx)
		var peer, rpc string
		var tokens []string
		for iter.Scan(&peer, &rpc, &tokens) {
			if rpc != "" && len(tokens) > 0 {
				peers++
			}
		}
		err = iter.Close()
		s.Close()
		if err != nil {
			return "", fmt.Errorf("reading system.peers at %s: %w", h, err)
		}
		if peers != len(hosts)-1 {
			return "", fmt.Errorf("%s knows %d peers with tokens, want %d", h, peers, len(hosts)-1)
		}
	}
	return fmt.Sprintf("%d nodes, each knowing the others", len(hosts)), nil
}

// PingHTTP expects a 200 from GET url.
func PingHTTP(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return nil
}

func require(t testing.TB, what, addr string, ping func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := ping(ctx); err != nil {
		t.Fatalf("%s is not reachable at %s (start the local servers with `make stack-up`%s): %v", what, addr,
			map[bool]string{true: " REFERENCE=1", false: ""}[what == "reference Kafka Connect"], err)
	}
}

// RequireKafka fails the test unless Kafka answers at KafkaBootstrap.
func RequireKafka(t testing.TB) {
	require(t, "Kafka", KafkaBootstrap(), func(ctx context.Context) error { _, err := PingKafka(ctx, KafkaBootstrap()); return err })
}

// RequireCassandra fails the test unless Cassandra answers CQL.
func RequireCassandra(t testing.TB) {
	require(t, "Cassandra", strings.Join(CassandraHosts(), ","), func(ctx context.Context) error {
		_, err := PingCassandra(ctx, CassandraHosts())
		return err
	})
}

// RequireSchemaRegistry fails the test unless the registry answers.
func RequireSchemaRegistry(t testing.TB) {
	require(t, "Schema Registry", SchemaRegistryURL(), func(ctx context.Context) error {
		return PingHTTP(ctx, SchemaRegistryURL()+"/subjects")
	})
}

// RequireReferenceConnect fails the test unless Apache Kafka Connect answers.
func RequireReferenceConnect(t testing.TB) {
	require(t, "reference Kafka Connect", ReferenceConnectURL(), func(ctx context.Context) error {
		return PingHTTP(ctx, ReferenceConnectURL()+"/")
	})
}
