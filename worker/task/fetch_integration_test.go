//go:build integration

package task

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

// produceLarge writes, to each of 3 partitions, small records around one
// of bigSize bytes in partition 1, and returns how many records it wrote.
func produceLarge(t *testing.T, topic string, bigSize int) int {
	t.Helper()
	ctx := context.Background()
	if _, err := storage.EnsureTopic(ctx, stack.KafkaBootstrap(), nil, topic, 3, 1, map[string]string{"max.message.bytes": fmt.Sprint(8 << 20)}); err != nil {
		t.Fatal(err)
	}
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "go.delivery.reports": false,
		"message.max.bytes": 10 << 20, "compression.type": "none"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	big := make([]byte, bigSize)
	_, _ = rand.Read(big) // incompressible
	n := 0
	send := func(part int32, v []byte) {
		if err := p.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: part}, Value: v}, nil); err != nil {
			t.Fatal(err)
		}
		n++
	}
	for i := 0; i < 5; i++ {
		for part := int32(0); part < 3; part++ {
			send(part, []byte(fmt.Sprintf("small-%d-%d", part, i)))
		}
	}
	p.Flush(30000)
	send(1, big)
	p.Flush(30000)
	for i := 5; i < 10; i++ {
		for part := int32(0); part < 3; part++ {
			send(part, []byte(fmt.Sprintf("small-%d-%d", part, i)))
		}
	}
	if left := p.Flush(30000); left != 0 {
		t.Fatalf("%d records not delivered", left)
	}
	return n
}

func newByteRunner(t *testing.T, topic, conn string, sink *memSink, l *recListener, consumerProps map[string]string) *SinkRunner {
	t.Helper()
	key, _ := converters.New(converters.ByteArrayClass)
	val, _ := converters.New(converters.ByteArrayClass)
	_ = key.Configure(nil, true)
	_ = val.Configure(nil, false)
	r, err := NewSinkRunner(SinkConfig{
		ID: entities.TaskID{Connector: conn}, Bootstrap: stack.KafkaBootstrap(), ConsumerProps: consumerProps,
		ConnectorConfig: map[string]string{"topics": topic}, CommitInterval: 500 * time.Millisecond,
		KeyConverter: key, ValueConverter: val, Task: sink, Listener: l,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A record larger than the fetch sizes (about 2 MiB, between small ones)
// is delivered, as the Java consumer delivers an oversized first batch,
// and the partitions after it keep flowing.
func TestIntegrationSinkRunnerLargeRecord(t *testing.T) {
	stack.RequireKafka(t)
	for _, tc := range []struct {
		name  string
		props map[string]string
	}{
		{"defaults", nil},
		{"connect fetch settings", map[string]string{"max.partition.fetch.bytes": "65536", "fetch.max.bytes": "131072", "fetch.min.bytes": "1", "fetch.max.wait.ms": "200", "max.poll.records": "7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := fmt.Sprintf("it-large-%d", mrand.Uint32())
			want := produceLarge(t, topic, 2<<20+4096)
			conn := fmt.Sprintf("it-large-%d", mrand.Uint32())
			sink, l := &memSink{}, &recListener{}
			r := newByteRunner(t, topic, conn, sink, l, tc.props)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			deadline := time.Now().Add(45 * time.Second)
			for sink.count() < want {
				select {
				case err := <-done:
					cancel()
					t.Fatalf("task ended with %v after %d of %d records", err, sink.count(), want)
				default:
				}
				if time.Now().After(deadline) {
					cancel()
					<-done
					t.Fatalf("only %d of %d records delivered: %v", sink.count(), want, sink.offsets())
				}
				time.Sleep(100 * time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("task failed: %v", err)
			}
			for tp, offs := range sink.offsets() {
				if len(offs) != 10+map[bool]int{true: 1}[tp.Partition == 1] {
					t.Errorf("%s got offsets %v", tp, offs)
				}
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.err != nil || strings.Join(l.states, ",") != "RUNNING" {
				t.Errorf("states %v, failure %v", l.states, l.err)
			}
			if tc.props["max.poll.records"] == "7" {
				sink.mu.Lock()
				if sink.puts < want/7 {
					t.Errorf("%d puts for %d records with max.poll.records=7", sink.puts, want)
				}
				sink.mu.Unlock()
			}
		})
	}
}

// A consumer that cannot make progress fails the task with a clear error
// instead of looping behind a RUNNING status.
func TestIntegrationSinkRunnerConsumerCannotProgress(t *testing.T) {
	stack.RequireKafka(t)
	for _, tc := range []struct {
		name  string
		props map[string]string
		want  string
	}{
		// Java's consumer throws NoOffsetForPartitionException.
		{"auto.offset.reset=none without committed offsets", map[string]string{"auto.offset.reset": "none"}, "auto.offset.reset"},
		// A response bound below the record set the user asked for.
		{"receive.message.max.bytes below a record", map[string]string{"receive.message.max.bytes": "1049088"}, "receive.message.max.bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := fmt.Sprintf("it-stuck-%d", mrand.Uint32())
			produceLarge(t, topic, 2<<20)
			conn := fmt.Sprintf("it-stuck-%d", mrand.Uint32())
			r := newByteRunner(t, topic, conn, &memSink{}, &recListener{}, tc.props)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			err := r.Run(ctx)
			if ctx.Err() != nil {
				t.Fatalf("task still running after 60 s (err %v)", err)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("task error %v, want one naming %s", err, tc.want)
			}
			t.Logf("task failed with: %v", err)
		})
	}
}
