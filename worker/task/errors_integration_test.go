//go:build integration

package task

import (
	"context"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

// readAll consumes every record of topic (from the start) until n arrived.
func readAll(t *testing.T, topic string, n int) []*kafka.Message {
	t.Helper()
	c, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "group.id": fmt.Sprintf("it-read-%d", mrand.Uint32()),
		"auto.offset.reset": "earliest", "enable.auto.commit": false})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(topic, nil); err != nil {
		t.Fatal(err)
	}
	var out []*kafka.Message
	deadline := time.Now().Add(30 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		if m, err := c.ReadMessage(200 * time.Millisecond); err == nil {
			out = append(out, m)
		}
	}
	if len(out) < n {
		t.Fatalf("read %d of %d records from %s", len(out), n, topic)
	}
	return out
}

func headerMap(hs []kafka.Header) map[string]string {
	out := map[string]string{}
	for _, h := range hs {
		out[h.Key] = string(h.Value)
	}
	return out
}

// A sink reads headers through header.converter (SimpleHeaderConverter
// infers their schemas), and a record the value converter rejects reaches
// the dead letter queue with Connect's error headers, whatever the
// tolerance (with none the task then fails).
func TestIntegrationSinkHeadersAndDeadLetters(t *testing.T) {
	stack.RequireKafka(t)
	for _, tolerance := range []string{"all", "none"} {
		t.Run(tolerance, func(t *testing.T) {
			topic := fmt.Sprintf("it-hdr-%d", mrand.Uint32())
			dlq := topic + "-dlq"
			if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 1, 1, nil); err != nil {
				t.Fatal(err)
			}
			p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap()})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{`{"a":1}`, `not json`, `{"a":3}`} {
				_ = p.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: 0}, Value: []byte(v),
					Headers: []kafka.Header{{Key: "n", Value: []byte("42")}, {Key: "s", Value: []byte("hello")}, {Key: "b", Value: []byte("true")}}}, nil)
			}
			p.Flush(10000)
			p.Close()
			key, _ := converters.New(converters.StringClass)
			val, _ := converters.New(converters.JSONClass)
			_ = key.Configure(nil, true)
			_ = val.Configure(map[string]string{"schemas.enable": "false"}, false)
			hdr, err := converters.HeaderFromConfig(map[string]string{})
			if err != nil {
				t.Fatal(err)
			}
			sink := &memSink{}
			r, err := NewSinkRunner(SinkConfig{
				ID: entities.TaskID{Connector: fmt.Sprintf("it-hdr-%d", mrand.Uint32())}, Bootstrap: stack.KafkaBootstrap(),
				ConnectorConfig: map[string]string{"topics": topic, "errors.tolerance": tolerance, "errors.log.enable": "true",
					"errors.deadletterqueue.topic.name": dlq, "errors.deadletterqueue.topic.replication.factor": "1",
					"errors.deadletterqueue.context.headers.enable": "true"},
				CommitInterval: 500 * time.Millisecond, KeyConverter: key, ValueConverter: val, ValueClass: converters.JSONClass,
				HeaderConverter: hdr, HeaderClass: converters.SimpleHeaderClass, Task: sink, Listener: &recListener{},
				Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			if tolerance == "all" {
				waitFor(t, "two good records", 30*time.Second, func() bool { return sink.count() == 2 })
				cancel()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				sink.mu.Lock()
				h := sink.records[0].Headers
				sink.mu.Unlock()
				want := []schemas.Header{{Key: "n", Schema: schemas.Int8Schema, Value: int8(42)}, {Key: "s", Schema: schemas.StringSchema, Value: "hello"}, {Key: "b", Schema: schemas.BooleanSchema, Value: true}}
				if fmt.Sprint(h) != fmt.Sprint(want) {
					t.Errorf("headers %v, want %v", h, want)
				}
			} else {
				err := <-done
				if err == nil || !strings.Contains(err.Error(), "Tolerance exceeded") {
					t.Fatalf("task ended with %v", err)
				}
			}
			m := readAll(t, dlq, 1)[0]
			got := headerMap(m.Headers)
			if string(m.Value) != "not json" || got["n"] != "42" {
				t.Errorf("dead letter %q with headers %v", m.Value, got)
			}
			for k, want := range map[string]string{
				"__connect.errors.exception.class.name": "org.apache.kafka.connect.errors.DataException",
				"__connect.errors.stage":                "VALUE_CONVERTER",
				"__connect.errors.class.name":           converters.JSONClass,
				"__connect.errors.offset":               "1",
			} {
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
			if msg := got["__connect.errors.exception.message"]; msg == "" || !strings.HasPrefix(got["__connect.errors.exception.stacktrace"], "org.apache.kafka.connect.errors.DataException: "+msg) {
				t.Errorf("message %q, trace %q", msg, got["__connect.errors.exception.stacktrace"])
			}
		})
	}
}

// listSource emits its records once.
type listSource struct {
	recs []connectors.SourceRecord
	sent bool
}

func (s *listSource) Version() string { return "test" }
func (s *listSource) Start(context.Context, map[string]string, connectors.SourceTaskContext) error {
	return nil
}
func (s *listSource) Poll(ctx context.Context) ([]connectors.SourceRecord, error) {
	if s.sent {
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
		return nil, nil
	}
	s.sent = true
	return s.recs, nil
}
func (s *listSource) Commit(context.Context) error { return nil }
func (s *listSource) Stop() error                  { return nil }

// A source task's headers are written through header.converter, and a
// record its converter rejects is skipped with errors.tolerance=all (its
// offset still committed) or fails the task with none.
func TestIntegrationSourceHeadersAndTolerance(t *testing.T) {
	stack.RequireKafka(t)
	for _, tolerance := range []string{"all", "none"} {
		t.Run(tolerance, func(t *testing.T) {
			topic := fmt.Sprintf("it-src-%d", mrand.Uint32())
			if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 1, 1, nil); err != nil {
				t.Fatal(err)
			}
			rec := func(i int, v any) connectors.SourceRecord {
				return connectors.SourceRecord{SourcePartition: map[string]any{"f": "x"}, SourceOffset: map[string]any{"pos": i}, Topic: topic,
					Value:   schemas.SchemaAndValue{Schema: schemas.OptionalBytesSchema, Value: v},
					Headers: []schemas.Header{{Key: "n", Schema: schemas.Int32Schema, Value: int32(i)}, {Key: "l", Schema: nil, Value: []any{"a", int32(2)}}}}
			}
			src := &listSource{recs: []connectors.SourceRecord{rec(1, []byte("one")), rec(2, "not bytes"), rec(3, []byte("three"))}}
			key, _ := converters.New(converters.ByteArrayClass)
			val, _ := converters.New(converters.ByteArrayClass)
			offsets := &memOffsets{}
			r, err := NewSourceRunner(SourceConfig{
				ID: entities.TaskID{Connector: "it-src"}, Bootstrap: stack.KafkaBootstrap(),
				ConnectorConfig: map[string]string{"errors.tolerance": tolerance, "errors.log.enable": "true"},
				CommitInterval:  200 * time.Millisecond, KeyConverter: key, ValueConverter: val, ValueClass: converters.ByteArrayClass,
				Task: src, Offsets: offsets, Listener: &recListener{},
				Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			if tolerance == "none" {
				err := <-done
				if err == nil || !strings.Contains(err.Error(), "Tolerance exceeded") || !strings.Contains(err.Error(), "VALUE_CONVERTER") {
					t.Fatalf("task ended with %v", err)
				}
				return
			}
			msgs := readAll(t, topic, 2)
			for i, want := range []map[string]string{{"n": "1", "l": `["a",2]`}, {"n": "3", "l": `["a",2]`}} {
				if got := headerMap(msgs[i].Headers); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("record %d headers %v, want %v", i, got, want)
				}
			}
			waitFor(t, "offset 3 stored", 10*time.Second, func() bool {
				offsets.mu.Lock()
				defer offsets.mu.Unlock()
				for _, set := range offsets.sets {
					for _, o := range set {
						if fmt.Sprint(o.Offset["pos"]) == "3" {
							return true
						}
					}
				}
				return false
			})
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}
