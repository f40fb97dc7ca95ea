//go:build integration

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

type pipeline struct {
	t     *testing.T
	topic string
	ks    string
	hosts []string // the Cassandra written to
	s     *gocql.Session
	conv  *converters.AvroConverter
	prod  *kafka.Producer
	gen   workload.Generator
}

func newPipeline(t *testing.T) *pipeline {
	stack.RequireCassandra(t)
	c := gocql.NewCluster(stack.CassandraHosts()...)
	c.Timeout = 30 * time.Second
	s, err := c.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	return newPipelineOn(t, stack.CassandraHosts(), s)
}

// newSecuredPipeline is a pipeline into the secured Cassandra (TLS with a
// client certificate, PasswordAuthenticator), read as the stack's role.
func newSecuredPipeline(t *testing.T) *pipeline {
	stack.RequireSecuredCassandra(t)
	s, err := stack.SecuredCassandraSession(stack.SecuredCassandraHosts(), stack.SecuredCassandraUser(), stack.SecuredCassandraPassword())
	if err != nil {
		t.Fatal(err)
	}
	return newPipelineOn(t, stack.SecuredCassandraHosts(), s)
}

// newPipelineOn makes the pipeline's keyspace, table and topic, with the
// session s to the Cassandra at hosts (closed with the test).
func newPipelineOn(t *testing.T, hosts []string, s *gocql.Session) *pipeline {
	stack.RequireSchemaRegistry(t)
	id := rand.Uint32()
	p := &pipeline{t: t, topic: fmt.Sprintf("e2e.orders.%d", id), ks: fmt.Sprintf("e2e_%d", id), gen: workload.Generator{Seed: uint64(id)}, hosts: hosts}
	p.s = s
	var err error
	for _, q := range []string{fmt.Sprintf("CREATE KEYSPACE %s WITH replication = {'class':'SimpleStrategy','replication_factor':1}", p.ks), workload.ScenarioB.CreateTable(p.ks)} {
		if err := s.Query(q).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = s.Query("DROP KEYSPACE " + p.ks).Exec(); s.Close() })
	if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, p.topic, 6, 1, nil); err != nil {
		t.Fatal(err)
	}
	p.conv = &converters.AvroConverter{}
	if err := p.conv.Configure(map[string]string{"schema.registry.url": stack.SchemaRegistryURL()}, false); err != nil {
		t.Fatal(err)
	}
	if p.prod, err = kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "go.delivery.reports": false}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.prod.Close)
	return p
}

func (p *pipeline) produce(from, to int) {
	p.t.Helper()
	for i := from; i < to; i++ {
		o := p.gen.Order(uint64(i))
		v, err := p.conv.FromConnect(p.topic, workload.ConnectSchema, o.Struct())
		if err != nil {
			p.t.Fatal(err)
		}
		p.send([]byte(o.OrderID), v)
	}
	if n := p.prod.Flush(30000); n != 0 {
		p.t.Fatalf("%d records not delivered", n)
	}
}

func (p *pipeline) send(k, v []byte) {
	if err := p.prod.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &p.topic, Partition: kafka.PartitionAny}, Key: k, Value: v}, nil); err != nil {
		p.t.Fatal(err)
	}
}

func (p *pipeline) rows() int { return p.rowsOf(workload.ScenarioB.Table) }

func (p *pipeline) rowsOf(table string) int {
	var n int
	if err := p.s.Query("SELECT count(*) FROM " + p.ks + "." + table).Scan(&n); err != nil {
		return -1
	}
	return n
}

func (p *pipeline) connector(dlq string) map[string]string {
	host := strings.Split(p.hosts[0], ":")
	return map[string]string{
		"connector.class": "CassandraSink", "tasks.max": "3", "topics": p.topic, "contactPoints": host[0], "port": host[1],
		"loadBalancing.localDc": "datacenter1", "queryExecutionTimeout": "5",
		"value.converter": "io.confluent.connect.avro.AvroConverter", "value.converter.schema.registry.url": stack.SchemaRegistryURL(),
		fmt.Sprintf("topic.%s.%s.%s.mapping", p.topic, p.ks, workload.ScenarioB.Table): workload.Mapping,
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq, "errors.deadletterqueue.topic.replication.factor": "1",
		"errors.deadletterqueue.context.headers.enable": "true", "errors.log.enable": "true",
	}
}

// TestIntegrationCassandraPipeline runs Avro orders through a worker into
// Cassandra with a poison record (to the dead letter queue with Connect's
// headers), Cassandra frozen for 20 s mid-stream, and the worker killed
// with SIGKILL and restarted: every order ends up in Cassandra.
func TestIntegrationCassandraPipeline(t *testing.T) {
	p := newPipeline(t)
	c := newCluster(t, nil)
	w := c.start()
	dlq := p.topic + ".dlq"
	if code, b, _ := do("PUT", w.url()+"/connectors/cass/config", p.connector(dlq)); code != 201 {
		t.Fatalf("create: %d %s", code, b)
	}
	p.produce(0, 2000)
	p.send([]byte("poison"), []byte("not avro at all"))
	// A valid header with a body that does not decode: the sink decodes
	// Avro bodies itself, and must still report it as the converter's.
	good, err := p.conv.FromConnect(p.topic, workload.ConnectSchema, p.gen.Order(0).Struct())
	if err != nil {
		t.Fatal(err)
	}
	badBody := append(append([]byte{}, good[:5]...), 0xff, 0xff, 0xff)
	p.send([]byte("poison-body"), badBody)
	eventually(t, 90*time.Second, "first 2000 rows", func() (bool, string) { n := p.rows(); return n == 2000, fmt.Sprint(n) })

	// The poison record is in the DLQ with its original bytes and headers.
	cons, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "group.id": "dlq-check-" + p.topic, "auto.offset.reset": "earliest"})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	_ = cons.Subscribe(dlq, nil)
	for range 2 {
		m, err := cons.ReadMessage(30 * time.Second)
		if err != nil {
			t.Fatalf("reading DLQ: %v", err)
		}
		hdr := map[string]string{}
		for _, h := range m.Headers {
			hdr[h.Key] = string(h.Value)
		}
		want := "Unknown magic byte"
		if string(m.Key) == "poison-body" {
			want = "Error deserializing Avro message"
			if !bytes.Equal(m.Value, badBody) {
				t.Fatalf("DLQ record %q, want the original bytes", m.Value)
			}
		} else if string(m.Value) != "not avro at all" {
			t.Fatalf("DLQ record %q", m.Value)
		}
		if hdr["__connect.errors.topic"] != p.topic || hdr["__connect.errors.stage"] != "VALUE_CONVERTER" ||
			hdr["__connect.errors.class.name"] != "io.confluent.connect.avro.AvroConverter" ||
			hdr["__connect.errors.connector.name"] != "cass" || !strings.Contains(hdr["__connect.errors.exception.stacktrace"], "Caused by: org.apache.kafka.common.errors.SerializationException: "+want) {
			t.Fatalf("DLQ record %q headers %v", m.Value, hdr)
		}
	}

	// Freeze Cassandra for 20 s while records keep coming.
	pidb, err := os.ReadFile(filepath.Join(stack.StateDir(), "pids", "cassandra.pid"))
	if err != nil {
		t.Fatalf("Cassandra pid: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(pidb)))
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	p.produce(2000, 4000)
	time.Sleep(20 * time.Second)
	_ = syscall.Kill(pid, syscall.SIGCONT)
	resumed = true
	eventually(t, 120*time.Second, "4000 rows after Cassandra came back", func() (bool, string) { n := p.rows(); return n == 4000, fmt.Sprint(n) })

	// Kill the worker mid-stream; a new one resumes from committed offsets.
	p.produce(4000, 7000)
	time.Sleep(500 * time.Millisecond)
	w.kill()
	w2 := c.start()
	eventually(t, 120*time.Second, "7000 rows after the worker was killed", func() (bool, string) { n := p.rows(); return n == 7000, fmt.Sprint(n) })
	if s, _ := statusOf(t, w2.url(), "cass"); s.Connector.State != "RUNNING" {
		t.Fatalf("status after restart: %+v", s)
	}
}
