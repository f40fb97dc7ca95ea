package task

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas/converters"
)

// fakeBroker is a kfake cluster seeded with one topic; librdkafka talks to
// it over loopback.
func fakeBroker(t *testing.T, topic string, partitions int32) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// produceTo writes n records to each partition of topic.
func produceTo(t *testing.T, bootstrap, topic string, partitions int32, n int) {
	t.Helper()
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": bootstrap, "go.delivery.reports": false, "log_level": 0})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < n; i++ {
		for part := int32(0); part < partitions; part++ {
			if err := p.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: part}, Value: []byte(fmt.Sprintf("v%d-%d", part, i))}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if left := p.Flush(10000); left != 0 {
		t.Fatalf("%d records not produced", left)
	}
}

// groupOffsets reads a group's committed offsets from the broker.
func groupOffsets(t *testing.T, bootstrap, group string) map[int32]int64 {
	t.Helper()
	ad, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": bootstrap, "log_level": 0})
	if err != nil {
		t.Fatal(err)
	}
	defer ad.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := ad.ListConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group}})
	var kerr kafka.Error
	if errors.As(err, &kerr) && kerr.Code() == kafka.ErrGroupIDNotFound {
		return map[int32]int64{} // nothing committed yet
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	for _, g := range res.ConsumerGroupsTopicPartitions {
		for _, tp := range g.Partitions {
			if tp.Offset >= 0 {
				out[tp.Partition] = int64(tp.Offset)
			}
		}
	}
	return out
}

type fakeRun struct {
	r      *SinkRunner
	cancel context.CancelFunc
	done   chan error
}

func startRunner(t *testing.T, bootstrap, topic, conn string, task int, sink connectors.SinkTask, interval time.Duration) *fakeRun {
	t.Helper()
	key, _ := converters.New(converters.ByteArrayClass)
	val, _ := converters.New(converters.ByteArrayClass)
	r, err := NewSinkRunner(SinkConfig{
		ID: entities.TaskID{Connector: conn, Task: task}, Bootstrap: bootstrap,
		ConsumerProps:   map[string]string{"log_level": "0", "session.timeout.ms": "6000"},
		ConnectorConfig: map[string]string{"topics": topic}, CommitInterval: interval,
		KeyConverter: key, ValueConverter: val, Task: sink, Listener: &nopListener{},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: testLogLevel})),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	fr := &fakeRun{r: r, cancel: cancel, done: make(chan error, 1)}
	go func() { fr.done <- r.Run(ctx) }()
	t.Cleanup(func() { fr.stop(t) })
	return fr
}

func (f *fakeRun) stop(t *testing.T) {
	if f.cancel == nil {
		return
	}
	f.cancel()
	f.cancel = nil
	if err := <-f.done; err != nil {
		t.Errorf("runner: %v", err)
	}
}

type nopListener struct{}

func (nopListener) OnRunning(entities.TaskID)        {}
func (nopListener) OnPause(entities.TaskID)          {}
func (nopListener) OnResume(entities.TaskID)         {}
func (nopListener) OnFailure(entities.TaskID, error) {}
func (nopListener) OnTopic(entities.TaskID, string)  {}
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Offsets are committed only as far as the task's PreCommit allows.
func TestSinkRunnerCommitsWhatPreCommitAllows(t *testing.T) {
	for _, tc := range []struct {
		name string
		// hold is how far behind what was delivered PreCommit answers.
		hold int64
	}{{"task writes synchronously", 0}, {"task holds back two records", 2}, {"task holds back everything", 10}} {
		t.Run(tc.name, func(t *testing.T) {
			const topic, n = "precommit", 10
			bootstrap := fakeBroker(t, topic, 2)
			produceTo(t, bootstrap, topic, 2, n)
			sink := &memSink{safe: func(cur map[connectors.TopicPartition]int64) map[connectors.TopicPartition]int64 {
				out := map[connectors.TopicPartition]int64{}
				for tp, off := range cur {
					if off-tc.hold > 0 {
						out[tp] = off - tc.hold
					}
				}
				return out
			}}
			run := startRunner(t, bootstrap, topic, "pc", 0, sink, 100*time.Millisecond)
			waitFor(t, "all records", 10*time.Second, func() bool { return sink.count() == 2*n })
			want := map[int32]int64{}
			if n-tc.hold > 0 {
				want = map[int32]int64{0: n - tc.hold, 1: n - tc.hold}
			}
			waitFor(t, "commits", 10*time.Second, func() bool {
				sink.mu.Lock()
				asked := len(sink.preCommit)
				sink.mu.Unlock()
				return asked > 2
			})
			run.stop(t)
			got := groupOffsets(t, bootstrap, "connect-pc")
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("committed %v, want %v", got, want)
			}
		})
	}
}

// A failed preCommit rewinds to the last committed offsets: the records
// after them are delivered again, and offsets beyond what was consumed
// are not committed.
func TestSinkRunnerPreCommitFailureRewinds(t *testing.T) {
	const topic, n = "rewind", 5
	bootstrap := fakeBroker(t, topic, 1)
	produceTo(t, bootstrap, topic, 1, n)
	sink := &memSink{
		preCommitErr: func(call int) error {
			if call == 1 {
				return errors.New("flush failed")
			}
			return nil
		},
		safe: func(cur map[connectors.TopicPartition]int64) map[connectors.TopicPartition]int64 {
			out := map[connectors.TopicPartition]int64{}
			for tp, off := range cur {
				out[tp] = off + 100 // beyond what was consumed: ignored
			}
			out[connectors.TopicPartition{Topic: "other", Partition: 0}] = 1 // not assigned: ignored
			return out
		},
	}
	waitDelivered := func(want int) {
		waitFor(t, fmt.Sprintf("%d deliveries", want), 10*time.Second, func() bool { return sink.count() >= want })
	}
	run := startRunner(t, bootstrap, topic, "rw", 0, sink, 200*time.Millisecond)
	waitDelivered(2 * n)
	run.stop(t)
	offs := sink.offsets()[connectors.TopicPartition{Topic: topic}]
	if fmt.Sprint(offs[:2*n]) != "[0 1 2 3 4 0 1 2 3 4]" {
		t.Fatalf("delivered %v, want the records twice", offs)
	}
	if got := groupOffsets(t, bootstrap, "connect-rw"); len(got) != 0 {
		t.Fatalf("committed %v; only offsets beyond the consumed ones were offered", got)
	}
}

// A retriable put failure pauses consumption and redelivers exactly the
// same records; nothing is committed past them until the put succeeds.
func TestSinkRunnerRedeliversAfterRetriablePut(t *testing.T) {
	for _, tc := range []struct {
		name     string
		failures int
		fatal    bool
	}{{"one retriable failure", 1, false}, {"three retriable failures", 3, false}, {"non-retriable failure", 1, true}} {
		t.Run(tc.name, func(t *testing.T) {
			const topic, n = "redeliver", 20
			bootstrap := fakeBroker(t, topic, 2)
			produceTo(t, bootstrap, topic, 2, n)
			var committedWhileFailing []map[int32]int64
			var mu sync.Mutex
			sink := &memSink{}
			sink.putErr = func(call int, _ []connectors.SinkRecord) error {
				if call > tc.failures {
					return nil
				}
				if tc.fatal {
					return errors.New("broken")
				}
				return connectors.Retriable(errors.New("target busy"))
			}
			run := startRunner(t, bootstrap, topic, "rd", 0, sink, 100*time.Millisecond)
			if tc.fatal {
				select {
				case err := <-run.done:
					run.cancel()
					run.cancel = nil
					if err == nil || !strings.Contains(err.Error(), "error in put") || !strings.Contains(err.Error(), "broken") {
						t.Fatalf("runner ended with %v", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("a non-retriable put failure did not fail the task")
				}
				return
			}
			waitFor(t, "all records", 15*time.Second, func() bool {
				mu.Lock()
				defer mu.Unlock()
				// Read first: what was committed while the puts were still failing.
				c := groupOffsets(t, bootstrap, "connect-rd")
				sink.mu.Lock()
				failing := sink.puts <= tc.failures
				sink.mu.Unlock()
				if failing {
					committedWhileFailing = append(committedWhileFailing, c)
				}
				return sink.count() == 2*n
			})
			sink.mu.Lock()
			attempts := slices.Clone(sink.attempts)
			sink.mu.Unlock()
			for i := 1; i <= tc.failures; i++ {
				if !slices.Equal(attempts[i], attempts[0]) {
					t.Fatalf("put %d got offsets %v, the failed first put %v", i+1, attempts[i], attempts[0])
				}
			}
			for tp, offs := range sink.offsets() {
				if len(offs) != n || !slices.IsSorted(offs) {
					t.Errorf("%s delivered %v", tp, offs)
				}
			}
			for _, c := range committedWhileFailing {
				if len(c) != 0 {
					t.Errorf("offsets %v committed while the first batch was failing", c)
				}
			}
		})
	}
}

// A task that sets the context's timeout after a retriable failure gets
// its records again after that timeout, not at the next offset commit.
func TestSinkRunnerRedeliversAfterTaskTimeout(t *testing.T) {
	const topic, n = "timeout", 3
	bootstrap := fakeBroker(t, topic, 1)
	produceTo(t, bootstrap, topic, 1, n)
	sink := &memSink{}
	sink.putErr = func(call int, _ []connectors.SinkRecord) error {
		if call == 1 {
			sink.tc.(interface{ Timeout(time.Duration) }).Timeout(200 * time.Millisecond)
			return connectors.Retriable(errors.New("busy"))
		}
		return nil
	}
	startRunner(t, bootstrap, topic, "to", 0, sink, time.Hour)
	waitFor(t, "the failed put", 10*time.Second, func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return sink.puts > 0
	})
	start := time.Now()
	waitFor(t, "redelivery", 10*time.Second, func() bool { return sink.count() == n })
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("redelivered after %v with a 200 ms task timeout", took)
	}
}

// When a second task joins, the first commits what it wrote for the
// partitions it hands over, before closing them (no periodic commit runs).
func TestSinkRunnerCommitsOnRevoke(t *testing.T) {
	const topic, n = "revoke", 5
	bootstrap := fakeBroker(t, topic, 2)
	produceTo(t, bootstrap, topic, 2, n)
	first := &memSink{}
	run1 := startRunner(t, bootstrap, topic, "rv", 0, first, time.Hour)
	waitFor(t, "first task's records", 10*time.Second, func() bool { return first.count() == 2*n })
	if got := groupOffsets(t, bootstrap, "connect-rv"); len(got) != 0 {
		t.Fatalf("committed %v before any revoke", got)
	}
	second := &memSink{}
	run2 := startRunner(t, bootstrap, topic, "rv", 1, second, time.Hour)
	waitFor(t, "a partition handed over", 20*time.Second, func() bool {
		first.mu.Lock()
		defer first.mu.Unlock()
		return len(first.closed) > 0
	})
	first.mu.Lock()
	revoked := first.closed[0]
	first.mu.Unlock()
	got := groupOffsets(t, bootstrap, "connect-rv")
	if got[revoked.Partition] != n {
		t.Fatalf("after revoking %s committed %v, want %d for it", revoked, got, n)
	}
	if second.count() != 0 {
		t.Fatalf("the second task got %d records again", second.count())
	}
	// Stop the first while the group is stable (a member leaving starts a
	// rebalance, during which the fake broker holds commits).
	run1.stop(t)
	run2.stop(t)
}

var testLogLevel = slog.LevelWarn
