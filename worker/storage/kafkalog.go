// Package storage keeps a worker's state in Kafka's compacted internal
// topics, in Apache Connect's record formats (config, status and offset
// topics), and in memory or a file for standalone workers.
package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Record is one record read from a log.
type Record struct {
	Key, Value []byte
	Partition  int32
	Offset     int64
}

// LogConfig describes a compacted topic and its clients.
type LogConfig struct {
	Bootstrap  string
	Topic      string
	Partitions int // -1: broker default
	// Replication is the replication factor when creating; -1: broker default.
	Replication int
	// ClientProps are extra librdkafka properties (security settings).
	ClientProps map[string]string
	Logger      *slog.Logger
}

// Log is Connect's KafkaBasedLog: a compacted topic read from the beginning
// by one goroutine into a callback, with read-to-end and acknowledged writes.
type Log struct {
	cfg      LogConfig
	onRecord func(Record)
	producer *kafka.Producer
	release  func() // gives the shared producer back
	consumer *kafka.Consumer

	mu       sync.Mutex
	cond     *sync.Cond
	position map[int32]int64 // next offset to deliver, per partition
	readErr  error

	cancel context.CancelFunc
	done   chan struct{}
}

// NewLog builds a log; onRecord is called, in order, from the reader goroutine.
func NewLog(cfg LogConfig, onRecord func(Record)) *Log {
	l := &Log{cfg: cfg, onRecord: onRecord, position: map[int32]int64{}}
	l.cond = sync.NewCond(&l.mu)
	if l.cfg.Logger == nil {
		l.cfg.Logger = slog.Default()
	}
	return l
}

// NewProducer creates a librdkafka producer with the Go client's event and
// produce channels bounded: their defaults (a million entries each) are
// allocated up front and cost ~24 MB per producer, a worker runs several,
// and every delivery here is awaited per message, so a small buffer is enough.
func NewProducer(cm kafka.ConfigMap) (*kafka.Producer, error) {
	for _, k := range []string{"go.events.channel.size", "go.produce.channel.size"} {
		if _, ok := cm[k]; !ok {
			cm[k] = 1024
		}
	}
	return kafka.NewProducer(&cm)
}

func clientConfig(bootstrap string, extra map[string]string) kafka.ConfigMap {
	m := kafka.ConfigMap{"bootstrap.servers": bootstrap}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// Start creates the topic if missing, starts reading and returns once the
// log has been read to its end.
func (l *Log) Start(ctx context.Context) error {
	parts, err := EnsureTopic(ctx, l.cfg.Bootstrap, l.cfg.ClientProps, l.cfg.Topic, l.cfg.Partitions, l.cfg.Replication, map[string]string{"cleanup.policy": "compact"})
	if err != nil {
		return err
	}
	pc := clientConfig(l.cfg.Bootstrap, l.cfg.ClientProps)
	pc["enable.idempotence"] = true
	pc["acks"] = "all"
	pc["linger.ms"] = 0
	// Java's partitioner, so keys land where an Apache Connect worker puts them.
	pc["partitioner"] = "murmur2_random"
	if l.producer, l.release, err = acquireLogProducer(pc, l.cfg.Logger); err != nil {
		return fmt.Errorf("creating producer for topic %s: %w", l.cfg.Topic, err)
	}
	cc := clientConfig(l.cfg.Bootstrap, l.cfg.ClientProps)
	cc["group.id"] = "gonnect-log-" + l.cfg.Topic // required by librdkafka; never committed or subscribed
	cc["enable.auto.commit"] = false
	cc["enable.auto.offset.store"] = false
	cc["isolation.level"] = "read_committed"
	cc["fetch.wait.max.ms"] = 50
	if l.consumer, err = kafka.NewConsumer(&cc); err != nil {
		l.release()
		return fmt.Errorf("creating consumer for topic %s: %w", l.cfg.Topic, err)
	}
	tps := make([]kafka.TopicPartition, parts)
	for i := range tps {
		tps[i] = kafka.TopicPartition{Topic: &l.cfg.Topic, Partition: int32(i), Offset: kafka.OffsetBeginning}
	}
	if err := l.consumer.Assign(tps); err != nil {
		l.Close()
		return fmt.Errorf("assigning partitions of topic %s: %w", l.cfg.Topic, err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	go l.read(rctx)
	if err := l.ReadToEnd(ctx); err != nil {
		l.Close()
		return err
	}
	return nil
}

func (l *Log) read(ctx context.Context) {
	defer close(l.done)
	for ctx.Err() == nil {
		ev := l.consumer.Poll(100)
		switch e := ev.(type) {
		case *kafka.Message:
			if e.TopicPartition.Error != nil {
				l.cfg.Logger.Warn("reading internal topic", "topic", l.cfg.Topic, "error", e.TopicPartition.Error)
				continue
			}
			l.onRecord(Record{Key: e.Key, Value: e.Value, Partition: e.TopicPartition.Partition, Offset: int64(e.TopicPartition.Offset)})
			l.mu.Lock()
			l.position[e.TopicPartition.Partition] = int64(e.TopicPartition.Offset) + 1
			l.cond.Broadcast()
			l.mu.Unlock()
		case kafka.Error:
			if e.IsFatal() {
				l.mu.Lock()
				l.readErr = e
				l.cond.Broadcast()
				l.mu.Unlock()
				return
			}
			l.cfg.Logger.Debug("consumer event", "topic", l.cfg.Topic, "error", e)
		}
	}
}

// ReadToEnd waits until every record written before the call was delivered.
func (l *Log) ReadToEnd(ctx context.Context) error {
	assigned, err := l.consumer.Assignment()
	if err != nil {
		return fmt.Errorf("reading assignment of topic %s: %w", l.cfg.Topic, err)
	}
	ends := make(map[int32]int64, len(assigned))
	for _, tp := range assigned {
		timeout := 10000
		if dl, ok := ctx.Deadline(); ok {
			timeout = max(1, int(time.Until(dl).Milliseconds()))
		}
		high, err := l.endOffset(ctx, tp.Partition, timeout)
		if err != nil {
			return err
		}
		ends[tp.Partition] = high
	}
	stop := context.AfterFunc(ctx, func() {
		l.mu.Lock()
		l.cond.Broadcast()
		l.mu.Unlock()
	})
	defer stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if l.readErr != nil {
			return fmt.Errorf("reading topic %s: %w", l.cfg.Topic, l.readErr)
		}
		caughtUp := true
		for p, end := range ends {
			if l.position[p] < end {
				caughtUp = false
				break
			}
		}
		if caughtUp {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("reading topic %s to its end: %w", l.cfg.Topic, ctx.Err())
		}
		l.cond.Wait()
	}
}

// endOffset queries a partition's end offset, retrying while leadership
// moves (a new topic, a broker restart).
func (l *Log) endOffset(ctx context.Context, partition int32, timeoutMs int) (int64, error) {
	for {
		_, high, err := l.consumer.QueryWatermarkOffsets(l.cfg.Topic, partition, timeoutMs)
		if err == nil {
			return high, nil
		}
		var kerr kafka.Error
		if !errors.As(err, &kerr) || !kerr.IsRetriable() && kerr.Code() != kafka.ErrNotLeaderForPartition && kerr.Code() != kafka.ErrLeaderNotAvailable {
			return 0, fmt.Errorf("querying end offsets of topic %s partition %d: %w", l.cfg.Topic, partition, err)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("querying end offsets of topic %s partition %d: %w", l.cfg.Topic, partition, errors.Join(err, ctx.Err()))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Send writes a record (nil value: tombstone) and waits for the ack.
func (l *Log) Send(ctx context.Context, key, value []byte) error {
	ch := make(chan kafka.Event, 1)
	msg := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &l.cfg.Topic, Partition: kafka.PartitionAny}, Key: key, Value: value}
	if err := l.producer.Produce(msg, ch); err != nil {
		return fmt.Errorf("writing %s to topic %s: %w", key, l.cfg.Topic, err)
	}
	select {
	case ev := <-ch:
		m, ok := ev.(*kafka.Message)
		if !ok {
			return fmt.Errorf("writing %s to topic %s: unexpected event %v", key, l.cfg.Topic, ev)
		}
		if m.TopicPartition.Error != nil {
			return fmt.Errorf("writing %s to topic %s: %w", key, l.cfg.Topic, m.TopicPartition.Error)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("writing %s to topic %s: %w", key, l.cfg.Topic, ctx.Err())
	}
}

// SendAndRead writes a record and waits until the log has read it back, so
// the caller's view includes its own write.
func (l *Log) SendAndRead(ctx context.Context, key, value []byte) error {
	if err := l.Send(ctx, key, value); err != nil {
		return err
	}
	return l.ReadToEnd(ctx)
}

// Close stops reading and closes the clients, flushing pending writes.
func (l *Log) Close() {
	if l.cancel != nil {
		l.cancel()
		<-l.done
	}
	if l.release != nil {
		l.release()
	}
	if l.consumer != nil {
		_ = l.consumer.Close()
	}
}

// EnsureTopic creates topic if it does not exist and returns its partition
// count. An existing topic is left as it is.
func EnsureTopic(ctx context.Context, bootstrap string, props map[string]string, topic string, partitions, replication int, configs map[string]string) (int, error) {
	cm := clientConfig(bootstrap, props)
	admin, err := kafka.NewAdminClient(&cm)
	if err != nil {
		return 0, fmt.Errorf("creating admin client: %w", err)
	}
	defer admin.Close()
	if n, err := partitionCount(admin, topic); err == nil && n > 0 {
		return n, nil
	}
	res, err := admin.CreateTopics(ctx, []kafka.TopicSpecification{{
		Topic: topic, NumPartitions: partitions, ReplicationFactor: replication, Config: configs,
	}})
	if err != nil {
		return 0, fmt.Errorf("creating topic %s: %w", topic, err)
	}
	for _, r := range res {
		if r.Error.Code() != kafka.ErrNoError && r.Error.Code() != kafka.ErrTopicAlreadyExists {
			return 0, fmt.Errorf("creating topic %s: %w", topic, r.Error)
		}
	}
	// Metadata can lag creation by a moment.
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := partitionCount(admin, topic)
		if err == nil && n > 0 {
			return n, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("topic %s not visible after creation: %w", topic, errors.Join(err, ctx.Err()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// partitionCount asks for all topics' metadata: asking for one topic by
// name would make a broker with auto-creation create it with defaults.
func partitionCount(admin *kafka.AdminClient, topic string) (int, error) {
	md, err := admin.GetMetadata(nil, true, 5000)
	if err != nil {
		return 0, err
	}
	t, ok := md.Topics[topic]
	if !ok || t.Error.Code() != kafka.ErrNoError {
		return 0, fmt.Errorf("topic %s: %v", topic, t.Error)
	}
	// A just-created topic is usable once every partition has a leader.
	for _, p := range t.Partitions {
		if p.Leader < 0 || p.Error.Code() != kafka.ErrNoError {
			return 0, fmt.Errorf("topic %s partition %d has no leader yet", topic, p.ID)
		}
	}
	return len(t.Partitions), nil
}

// ClusterID returns the Kafka cluster id.
func ClusterID(ctx context.Context, bootstrap string, props map[string]string) (string, error) {
	cm := clientConfig(bootstrap, props)
	admin, err := kafka.NewAdminClient(&cm)
	if err != nil {
		return "", fmt.Errorf("creating admin client: %w", err)
	}
	defer admin.Close()
	id, err := admin.ClusterID(ctx)
	if err != nil {
		return "", fmt.Errorf("reading Kafka cluster id from %s: %w", bootstrap, err)
	}
	return id, nil
}
