package task

import (
	"context"
	"sync"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/gonnect/gonnect/connectors"
)

// memSink is a sink task that keeps what it was given; putErr, when set,
// decides the error of each Put (before the records are kept).
type memSink struct {
	mu        sync.Mutex
	records   []connectors.SinkRecord
	puts      int
	attempts  [][]int64 // offsets given to every Put, failed ones too
	tc        connectors.SinkTaskContext
	opened    []connectors.TopicPartition
	closed    []connectors.TopicPartition
	preCommit []map[connectors.TopicPartition]int64
	putErr    func(call int, recs []connectors.SinkRecord) error
	// preCommitErr, when set, decides the error of each PreCommit.
	preCommitErr func(call int) error
	// safe, when set, replaces what PreCommit returns.
	safe func(current map[connectors.TopicPartition]int64) map[connectors.TopicPartition]int64
}

func (s *memSink) Version() string { return "test" }
func (s *memSink) Start(_ context.Context, _ map[string]string, tc connectors.SinkTaskContext) error {
	s.tc = tc
	return nil
}
func (s *memSink) Open(_ context.Context, tps []connectors.TopicPartition) error {
	s.mu.Lock()
	s.opened = append(s.opened, tps...)
	s.mu.Unlock()
	return nil
}
func (s *memSink) Close(_ context.Context, tps []connectors.TopicPartition) error {
	s.mu.Lock()
	s.closed = append(s.closed, tps...)
	s.mu.Unlock()
	return nil
}
func (s *memSink) Put(_ context.Context, recs []connectors.SinkRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts++
	offs := make([]int64, len(recs))
	for i, r := range recs {
		offs[i] = r.Offset
	}
	s.attempts = append(s.attempts, offs)
	if s.putErr != nil {
		if err := s.putErr(s.puts, recs); err != nil {
			return err
		}
	}
	s.records = append(s.records, recs...)
	return nil
}
func (s *memSink) PreCommit(_ context.Context, current map[connectors.TopicPartition]int64) (map[connectors.TopicPartition]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := map[connectors.TopicPartition]int64{}
	for k, v := range current {
		cp[k] = v
	}
	s.preCommit = append(s.preCommit, cp)
	if s.preCommitErr != nil {
		if err := s.preCommitErr(len(s.preCommit)); err != nil {
			return nil, err
		}
	}
	if s.safe != nil {
		return s.safe(cp), nil
	}
	return current, nil
}
func (s *memSink) Stop() error { return nil }

func (s *memSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// offsets lists the delivered offsets per partition, in delivery order.
func (s *memSink) offsets() map[connectors.TopicPartition][]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[connectors.TopicPartition][]int64{}
	for _, r := range s.records {
		tp := connectors.TopicPartition{Topic: r.Topic, Partition: r.Partition}
		out[tp] = append(out[tp], r.Offset)
	}
	return out
}

// memOffsets is an in-memory OffsetStore.
type memOffsets struct {
	mu   sync.Mutex
	sets [][]entities.ConnectorOffset
}

func (m *memOffsets) Get(string, map[string]any) map[string]any { return nil }
func (m *memOffsets) Set(_ context.Context, _ string, offs []entities.ConnectorOffset) error {
	m.mu.Lock()
	m.sets = append(m.sets, offs)
	m.mu.Unlock()
	return nil
}
