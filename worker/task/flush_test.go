package task

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/schemas/converters"
)

// syncBuffer is a log sink safe for the runner's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// holdRequests makes the fake broker leave requests of one kind
// unanswered until release is called.
func holdRequests(c *kfake.Cluster, key int16) (release func()) {
	held := make(chan struct{})
	c.ControlKey(key, func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		c.SleepControl(func() { <-held })
		return nil, nil, false
	})
	var once sync.Once
	return func() { once.Do(func() { close(held) }) }
}

// countingSource emits one record per poll and counts its polls.
type countingSource struct {
	polls atomic.Int64
	topic string
}

func (s *countingSource) Version() string { return "test" }
func (s *countingSource) Start(context.Context, map[string]string, connectors.SourceTaskContext) error {
	return nil
}
func (s *countingSource) Poll(ctx context.Context) ([]connectors.SourceRecord, error) {
	n := s.polls.Add(1)
	select {
	case <-ctx.Done():
	case <-time.After(20 * time.Millisecond):
	}
	return []connectors.SourceRecord{{SourcePartition: map[string]any{"p": 0}, SourceOffset: map[string]any{"n": n}, Topic: s.topic,
		Value: schemas.SchemaAndValue{Schema: schemas.OptionalBytesSchema, Value: []byte("x")}}}, nil
}
func (s *countingSource) Commit(context.Context) error { return nil }
func (s *countingSource) Stop() error                  { return nil }

// offset.flush.timeout.ms bounds a source flush: while Kafka does not
// acknowledge, flushes time out (logged, nothing stored) and the task
// keeps polling; once it does, the next flush stores the offsets.
func TestSourceFlushTimeout(t *testing.T) {
	const topic = "flush"
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	release := holdRequests(c, (&kmsg.ProduceRequest{}).Key())
	defer release()
	src := &countingSource{topic: topic}
	offsets := &memOffsets{}
	logs := &syncBuffer{}
	key, _ := converters.New(converters.ByteArrayClass)
	r, err := NewSourceRunner(SourceConfig{
		ID: entities.TaskID{Connector: "flush"}, Bootstrap: c.ListenAddrs()[0], ProducerProps: map[string]string{"log_level": "0"},
		CommitInterval: 200 * time.Millisecond, CommitTimeout: 300 * time.Millisecond, ShutdownTimeout: time.Second,
		KeyConverter: key, ValueConverter: key, Task: src, Offsets: offsets, Listener: nopListener{},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	time.Sleep(2 * time.Second)
	offsets.mu.Lock()
	stored := len(offsets.sets)
	offsets.mu.Unlock()
	if stored != 0 {
		t.Fatalf("offsets stored while Kafka acknowledged nothing: %v", offsets.sets)
	}
	if !strings.Contains(logs.String(), "timed out while waiting for producer") {
		t.Fatalf("no flush timeout logged: %s", logs.String())
	}
	// A flush that waited for ever would have stopped the polls.
	if polls := src.polls.Load(); polls < 20 {
		t.Fatalf("only %d polls in 2 s of timed out flushes", polls)
	}
	release()
	waitFor(t, "offsets stored after Kafka answered", 10*time.Second, func() bool {
		offsets.mu.Lock()
		defer offsets.mu.Unlock()
		return len(offsets.sets) > 0
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// offset.flush.timeout.ms bounds a sink commit (a warning, the task goes
// on), and task.shutdown.graceful.timeout.ms the final one.
func TestSinkCommitTimeout(t *testing.T) {
	const topic = "committimeout"
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bootstrap := c.ListenAddrs()[0]
	produceTo(t, bootstrap, topic, 1, 5)
	release := holdRequests(c, (&kmsg.OffsetCommitRequest{}).Key())
	defer release()
	sink := &memSink{}
	logs := &syncBuffer{}
	key, _ := converters.New(converters.ByteArrayClass)
	r, err := NewSinkRunner(SinkConfig{
		ID: entities.TaskID{Connector: "ct"}, Bootstrap: bootstrap, ConsumerProps: map[string]string{"log_level": "0"},
		ConnectorConfig: map[string]string{"topics": topic}, CommitInterval: 200 * time.Millisecond,
		CommitTimeout: 300 * time.Millisecond, ShutdownTimeout: time.Second,
		KeyConverter: key, ValueConverter: key, Task: sink, Listener: nopListener{},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitFor(t, "records", 10*time.Second, func() bool { return sink.count() == 5 })
	waitFor(t, "a commit timeout", 10*time.Second, func() bool { return strings.Contains(logs.String(), "Commit of offsets timed out") })
	cancel()
	stopped := time.Now()
	// The final commit waits at most the graceful timeout; closing the
	// consumer then ends librdkafka's wait for the held commit once the
	// broker lets it go.
	time.AfterFunc(1500*time.Millisecond, release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if took := time.Since(stopped); took > 5*time.Second {
		t.Fatalf("stop took %v", took)
	}
	if !strings.Contains(logs.String(), "final offset commit") {
		t.Errorf("final commit did not time out: %s", logs.String())
	}
}
