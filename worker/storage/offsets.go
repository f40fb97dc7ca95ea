package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// OffsetStore is the offset topic of source connectors, in Connect's
// format: key ["<connector>",{source partition}], value {source offset}
// (null for a deleted offset).
type OffsetStore struct {
	log     *Log
	logger  *slog.Logger
	mu      sync.Mutex
	offsets offsetTable
}

// NewOffsetStore returns a store on the offset topic.
func NewOffsetStore(cfg LogConfig) *OffsetStore {
	s := &OffsetStore{offsets: offsetTable{}, logger: cfg.Logger}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.log = NewLog(cfg, s.onRecord)
	return s
}

func (s *OffsetStore) onRecord(r Record) {
	var key []json.RawMessage
	if err := json.Unmarshal(r.Key, &key); err != nil || len(key) != 2 {
		s.logger.Warn("skipping offset topic record with unexpected key", "key", string(r.Key))
		return
	}
	var conn string
	var part map[string]any
	if json.Unmarshal(key[0], &conn) != nil || json.Unmarshal(key[1], &part) != nil {
		s.logger.Warn("skipping offset topic record with unexpected key", "key", string(r.Key))
		return
	}
	var off map[string]any
	if r.Value != nil {
		if err := json.Unmarshal(r.Value, &off); err != nil {
			s.logger.Warn("skipping offset topic record with unexpected value", "key", string(r.Key))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offsets.put(conn, entities.ConnectorOffset{Partition: part, Offset: off})
}

// Start reads the topic to its end.
func (s *OffsetStore) Start(ctx context.Context) error {
	if err := s.log.Start(ctx); err != nil {
		return fmt.Errorf("starting offset store: %w", err)
	}
	return nil
}

// Stop closes the store.
func (s *OffsetStore) Stop() { s.log.Close() }

// Get returns the stored offset of a source partition, or nil.
func (s *OffsetStore) Get(connector string, partition map[string]any) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offsets.get(connector, partition)
}

// Set writes offsets (nil offset: delete) and waits until they are stored.
func (s *OffsetStore) Set(ctx context.Context, connector string, offsets []entities.ConnectorOffset) error {
	for _, o := range offsets {
		key, err := json.Marshal([]any{connector, o.Partition})
		if err != nil {
			return fmt.Errorf("encoding offset key of connector %s: %w", connector, err)
		}
		var val []byte
		if o.Offset != nil {
			if val, err = json.Marshal(o.Offset); err != nil {
				return fmt.Errorf("encoding offset of connector %s: %w", connector, err)
			}
		}
		if err := s.log.Send(ctx, key, val); err != nil {
			return err
		}
	}
	return s.log.ReadToEnd(ctx)
}

// All returns a connector's source offsets, sorted by partition.
func (s *OffsetStore) All(connector string) []entities.ConnectorOffset {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offsets.all(connector)
}

// SourceOffsets is where source connector offsets live (the offset topic,
// or a file in standalone mode).
type SourceOffsets interface {
	All(connector string) []entities.ConnectorOffset
	Set(ctx context.Context, connector string, offsets []entities.ConnectorOffset) error
}

// OffsetAdmin implements worker.OffsetAdmin: sink offsets are the consumer
// group's committed offsets, source offsets those of the offset store.
type OffsetAdmin struct {
	Bootstrap   string
	ClientProps map[string]string
	Source      SourceOffsets
}

// SinkGroup is a sink connector's consumer group and the settings of the
// admin client that reads and changes its offsets (nil: ClientProps).
type SinkGroup struct {
	ID          string
	AdminClient map[string]string
}

func (a *OffsetAdmin) admin(g SinkGroup) (*kafka.AdminClient, error) {
	props := a.ClientProps
	if g.AdminClient != nil {
		props = g.AdminClient
	}
	cm := clientConfig(a.Bootstrap, props)
	ad, err := kafka.NewAdminClient(&cm)
	if err != nil {
		return nil, fmt.Errorf("creating admin client: %w", err)
	}
	return ad, nil
}

// Offsets implements worker.OffsetAdmin.
func (a *OffsetAdmin) Offsets(ctx context.Context, name string, sink bool, group SinkGroup) ([]entities.ConnectorOffset, error) {
	if !sink {
		return a.Source.All(name), nil
	}
	ad, err := a.admin(group)
	if err != nil {
		return nil, err
	}
	defer ad.Close()
	res, err := ad.ListConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group.ID}})
	if err != nil {
		return nil, fmt.Errorf("listing offsets of consumer group %s: %w", group.ID, err)
	}
	var out []entities.ConnectorOffset
	for _, g := range res.ConsumerGroupsTopicPartitions {
		tps := g.Partitions
		sort.Slice(tps, func(i, j int) bool {
			if *tps[i].Topic != *tps[j].Topic {
				return *tps[i].Topic < *tps[j].Topic
			}
			return tps[i].Partition < tps[j].Partition
		})
		for _, tp := range tps {
			if tp.Error != nil || tp.Offset < 0 {
				continue
			}
			out = append(out, entities.ConnectorOffset{
				Partition: map[string]any{"kafka_topic": *tp.Topic, "kafka_partition": tp.Partition},
				Offset:    map[string]any{"kafka_offset": int64(tp.Offset)},
			})
		}
	}
	return out, nil
}

// sinkPartition reads Connect's sink partition and offset maps.
func sinkPartition(o entities.ConnectorOffset) (kafka.TopicPartition, bool, error) {
	topic, _ := o.Partition["kafka_topic"].(string)
	p, ok := o.Partition["kafka_partition"].(float64)
	if topic == "" || !ok {
		return kafka.TopicPartition{}, false, &entities.BadRequestError{Msg: "Partitions must contain the kafka_topic and kafka_partition keys"}
	}
	tp := kafka.TopicPartition{Topic: &topic, Partition: int32(p)}
	if o.Offset == nil {
		return tp, true, nil
	}
	off, ok := o.Offset["kafka_offset"].(float64)
	if !ok || off < 0 {
		return kafka.TopicPartition{}, false, &entities.BadRequestError{Msg: "Offsets must contain a non-negative kafka_offset"}
	}
	tp.Offset = kafka.Offset(int64(off))
	return tp, false, nil
}

// AlterOffsets implements worker.OffsetAdmin.
func (a *OffsetAdmin) AlterOffsets(ctx context.Context, name string, sink bool, group SinkGroup, offsets []entities.ConnectorOffset) error {
	if !sink {
		return a.Source.Set(ctx, name, offsets)
	}
	var alter, remove []kafka.TopicPartition
	for _, o := range offsets {
		tp, del, err := sinkPartition(o)
		if err != nil {
			return err
		}
		if del {
			remove = append(remove, tp)
		} else {
			alter = append(alter, tp)
		}
	}
	ad, err := a.admin(group)
	if err != nil {
		return err
	}
	defer ad.Close()
	if len(alter) > 0 {
		res, err := ad.AlterConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group.ID, Partitions: alter}})
		if err != nil {
			return fmt.Errorf("altering offsets of consumer group %s: %w", group.ID, err)
		}
		if err := partitionErrors(res.ConsumerGroupsTopicPartitions); err != nil {
			return fmt.Errorf("altering offsets of consumer group %s: %w", group.ID, err)
		}
	}
	if len(remove) > 0 {
		if err := a.deleteOffsets(ctx, ad, group.ID, remove); err != nil {
			return err
		}
	}
	return nil
}

func partitionErrors(groups []kafka.ConsumerGroupTopicPartitions) error {
	for _, g := range groups {
		for _, tp := range g.Partitions {
			if tp.Error != nil {
				return fmt.Errorf("partition %s-%d: %w", *tp.Topic, tp.Partition, tp.Error)
			}
		}
	}
	return nil
}

// deleteOffsets removes committed offsets by deleting the group when it
// holds nothing else: librdkafka's admin API has no per-partition delete.
func (a *OffsetAdmin) deleteOffsets(ctx context.Context, ad *kafka.AdminClient, group string, remove []kafka.TopicPartition) error {
	res, err := ad.ListConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group}})
	if err != nil {
		return fmt.Errorf("listing offsets of consumer group %s: %w", group, err)
	}
	drop := map[string]bool{}
	for _, tp := range remove {
		drop[fmt.Sprintf("%s-%d", *tp.Topic, tp.Partition)] = true
	}
	var keep []kafka.TopicPartition
	for _, g := range res.ConsumerGroupsTopicPartitions {
		for _, tp := range g.Partitions {
			if tp.Offset >= 0 && !drop[fmt.Sprintf("%s-%d", *tp.Topic, tp.Partition)] {
				keep = append(keep, tp)
			}
		}
	}
	dres, err := ad.DeleteConsumerGroups(ctx, []string{group})
	if err != nil {
		return fmt.Errorf("deleting consumer group %s: %w", group, err)
	}
	for _, r := range dres.ConsumerGroupResults {
		if r.Error.Code() != kafka.ErrNoError && r.Error.Code() != kafka.ErrGroupIDNotFound {
			return fmt.Errorf("deleting consumer group %s: %w", group, r.Error)
		}
	}
	if len(keep) > 0 {
		if _, err := ad.AlterConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group, Partitions: keep}}); err != nil {
			return fmt.Errorf("restoring kept offsets of consumer group %s: %w", group, err)
		}
	}
	return nil
}

// ResetOffsets implements worker.OffsetAdmin.
func (a *OffsetAdmin) ResetOffsets(ctx context.Context, name string, sink bool, group SinkGroup) error {
	if !sink {
		all := a.Source.All(name)
		for i := range all {
			all[i].Offset = nil
		}
		return a.Source.Set(ctx, name, all)
	}
	ad, err := a.admin(group)
	if err != nil {
		return err
	}
	defer ad.Close()
	// Tasks of a just-stopped connector may still be leaving the group.
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := ad.DeleteConsumerGroups(ctx, []string{group.ID})
		if err != nil {
			return fmt.Errorf("deleting consumer group %s: %w", group.ID, err)
		}
		code := kafka.ErrNoError
		for _, r := range res.ConsumerGroupResults {
			code = r.Error.Code()
		}
		switch {
		case code == kafka.ErrNoError || code == kafka.ErrGroupIDNotFound:
			return nil
		case code == kafka.ErrNonEmptyGroup && time.Now().Before(deadline):
			time.Sleep(250 * time.Millisecond)
		case code == kafka.ErrNonEmptyGroup:
			return fmt.Errorf("Failed to reset consumer group offsets for connector %s either because its tasks haven't stopped completely yet or the connector was resumed before the request to reset its offsets could be successfully completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't eventually succeed, the Connect cluster may need to be restarted to get rid of the zombie sink tasks.", name)
		default:
			return fmt.Errorf("deleting consumer group %s: %s", group.ID, code)
		}
	}
}
