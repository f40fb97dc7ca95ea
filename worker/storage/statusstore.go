package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
)

// Status topic keys, as Apache Connect writes them (KafkaStatusBackingStore).
const (
	connectorStatusPrefix = "status-connector-"
	taskStatusPrefix      = "status-task-"
	topicStatusPrefix     = "status-topic-"
	topicStatusSeparator  = ":connector-"
)

type statusValue struct {
	State      string  `json:"state"`
	Trace      *string `json:"trace"`
	WorkerID   string  `json:"worker_id"`
	Generation int32   `json:"generation"`
	Version    *string `json:"version"`
}

type topicStatusValue struct {
	Topic struct {
		Name              string `json:"name"`
		Connector         string `json:"connector"`
		Task              int    `json:"task"`
		DiscoverTimestamp int64  `json:"discoverTimestamp"`
	} `json:"topic"`
}

func encodeStatus(state entities.State, trace, workerID, version string, generation int32) []byte {
	v := statusValue{State: string(state), WorkerID: workerID, Generation: generation}
	if trace != "" {
		v.Trace = &trace
	}
	if version != "" {
		v.Version = &version
	}
	b, _ := json.Marshal(v)
	return b
}

type statusEntry struct {
	value      statusValue
	generation int32
}

// statusState folds the status topic: latest status per connector and
// task, and the active topics of each connector.
type statusState struct {
	connectors map[string]statusEntry
	tasks      map[entities.TaskID]statusEntry
	topics     map[string]map[string]bool
}

func newStatusState() *statusState {
	return &statusState{connectors: map[string]statusEntry{}, tasks: map[entities.TaskID]statusEntry{}, topics: map[string]map[string]bool{}}
}

func parseTaskKey(rest string) (entities.TaskID, error) {
	i := strings.LastIndexByte(rest, '-')
	if i < 0 {
		return entities.TaskID{}, fmt.Errorf("malformed task status key %q", rest)
	}
	n, err := strconv.Atoi(rest[i+1:])
	if err != nil {
		return entities.TaskID{}, fmt.Errorf("malformed task status key %q", rest)
	}
	return entities.TaskID{Connector: rest[:i], Task: n}, nil
}

func (s *statusState) apply(key string, value []byte) error {
	switch {
	case strings.HasPrefix(key, connectorStatusPrefix):
		return applyStatus(s.connectors, strings.TrimPrefix(key, connectorStatusPrefix), key, value)
	case strings.HasPrefix(key, taskStatusPrefix):
		id, err := parseTaskKey(strings.TrimPrefix(key, taskStatusPrefix))
		if err != nil {
			return err
		}
		return applyStatus(s.tasks, id, key, value)
	case strings.HasPrefix(key, topicStatusPrefix):
		topic, conn, ok := strings.Cut(strings.TrimPrefix(key, topicStatusPrefix), topicStatusSeparator)
		if !ok {
			return fmt.Errorf("malformed topic status key %q", key)
		}
		if value == nil {
			delete(s.topics[conn], topic)
			return nil
		}
		if s.topics[conn] == nil {
			s.topics[conn] = map[string]bool{}
		}
		s.topics[conn][topic] = true
	}
	return nil
}

// applyStatus folds one connector or task status record into m: a
// tombstone deletes, a value replaces. topicKey names the record in errors.
func applyStatus[K comparable](m map[K]statusEntry, id K, topicKey string, value []byte) error {
	if value == nil {
		delete(m, id)
		return nil
	}
	var v statusValue
	if err := json.Unmarshal(value, &v); err != nil {
		return fmt.Errorf("decoding %s: %w", topicKey, err)
	}
	m[id] = statusEntry{value: v, generation: v.Generation}
	return nil
}

// StatusStore is the status topic (worker.StatusStore).
type StatusStore struct {
	log    *Log
	logger *slog.Logger
	mu     sync.Mutex
	state  *statusState
}

// NewStatusStore returns a store on the status topic.
func NewStatusStore(cfg LogConfig) *StatusStore {
	s := &StatusStore{state: newStatusState(), logger: cfg.Logger}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.log = NewLog(cfg, s.onRecord)
	return s
}

func (s *StatusStore) onRecord(r Record) {
	s.mu.Lock()
	err := s.state.apply(string(r.Key), r.Value)
	s.mu.Unlock()
	if err != nil {
		s.logger.Error("skipping status topic record", "key", string(r.Key), "offset", r.Offset, "error", err)
	}
}

// Start reads the topic to its end.
func (s *StatusStore) Start(ctx context.Context) error {
	if err := s.log.Start(ctx); err != nil {
		return fmt.Errorf("starting status store: %w", err)
	}
	return nil
}

// Stop closes the store.
func (s *StatusStore) Stop() { s.log.Close() }

// Refresh implements worker.StatusStore.
func (s *StatusStore) Refresh(ctx context.Context) error {
	if err := s.log.ReadToEnd(ctx); err != nil {
		return fmt.Errorf("reading statuses: %w", err)
	}
	return nil
}

// PutConnector implements worker.StatusStore.
func (s *StatusStore) PutConnector(ctx context.Context, name string, st entities.ConnectorState, generation int32) error {
	return s.log.SendAndRead(ctx, []byte(connectorStatusPrefix+name), encodeStatus(st.State, st.Trace, st.WorkerID, st.Version, generation))
}

// PutTask implements worker.StatusStore.
func (s *StatusStore) PutTask(ctx context.Context, id entities.TaskID, st entities.TaskState, generation int32) error {
	return s.log.SendAndRead(ctx, []byte(taskStatusPrefix+id.String()), encodeStatus(st.State, st.Trace, st.WorkerID, st.Version, generation))
}

// PutConnectorSafe implements worker.StatusStore: Connect's putSafe.
func (s *StatusStore) PutConnectorSafe(ctx context.Context, name string, st entities.ConnectorState, generation int32) error {
	return putSafe(s, s.state.connectors, name, st.WorkerID, generation, func() error { return s.PutConnector(ctx, name, st, generation) })
}

// PutTaskSafe implements worker.StatusStore: Connect's putSafe.
func (s *StatusStore) PutTaskSafe(ctx context.Context, id entities.TaskID, st entities.TaskState, generation int32) error {
	return putSafe(s, s.state.tasks, id, st.WorkerID, generation, func() error { return s.PutTask(ctx, id, st, generation) })
}

// putSafe calls put unless the status held in m for key may not be replaced
// by workerID in generation (writableBy). m is one of the state's maps,
// which are never reassigned, only read and written under s.mu.
func putSafe[K comparable](s *StatusStore, m map[K]statusEntry, key K, workerID string, generation int32, put func() error) error {
	s.mu.Lock()
	cur, ok := m[key]
	s.mu.Unlock()
	if ok && !cur.writableBy(workerID, generation) {
		return nil
	}
	return put()
}

// writableBy is Connect's canWriteSafely: a worker may replace a status it
// wrote itself, or one written in its generation or an earlier one. A
// worker that stopped work late (its UNASSIGNED delayed by a network fault)
// must not hide the status of the worker the group gave the work to since.
func (e statusEntry) writableBy(workerID string, generation int32) bool {
	return e.value.WorkerID == workerID || e.generation <= generation
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Connector implements worker.StatusStore.
func (s *StatusStore) Connector(name string) (entities.ConnectorState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.state.connectors[name]
	if !ok {
		return entities.ConnectorState{}, false
	}
	return entities.ConnectorState{State: entities.State(e.value.State), WorkerID: e.value.WorkerID, Trace: deref(e.value.Trace), Version: deref(e.value.Version)}, true
}

func taskState(id int, e statusEntry) entities.TaskState {
	return entities.TaskState{ID: id, State: entities.State(e.value.State), WorkerID: e.value.WorkerID, Trace: deref(e.value.Trace), Version: deref(e.value.Version)}
}

// Task implements worker.StatusStore.
func (s *StatusStore) Task(id entities.TaskID) (entities.TaskState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.state.tasks[id]
	if !ok {
		return entities.TaskState{}, false
	}
	return taskState(id.Task, e), true
}

// Tasks implements worker.StatusStore.
func (s *StatusStore) Tasks(name string) []entities.TaskState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []entities.TaskState
	for id, e := range s.state.tasks {
		if id.Connector == name {
			out = append(out, taskState(id.Task, e))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// DeleteConnector implements worker.StatusStore: tombstones for the
// connector's and its tasks' statuses.
func (s *StatusStore) DeleteConnector(ctx context.Context, name string, tasks int) error {
	for i := range tasks {
		if err := s.log.Send(ctx, []byte(fmt.Sprintf("%s%s-%d", taskStatusPrefix, name, i)), nil); err != nil {
			return err
		}
	}
	return s.log.SendAndRead(ctx, []byte(connectorStatusPrefix+name), nil)
}

// ActiveTopics implements worker.StatusStore.
func (s *StatusStore) ActiveTopics(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.state.topics[name]))
	for t := range s.state.topics[name] {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// PutActiveTopic implements worker.StatusStore.
func (s *StatusStore) PutActiveTopic(ctx context.Context, name, topic string, task int) error {
	s.mu.Lock()
	known := s.state.topics[name][topic]
	s.mu.Unlock()
	if known {
		return nil
	}
	var v topicStatusValue
	v.Topic.Name, v.Topic.Connector, v.Topic.Task, v.Topic.DiscoverTimestamp = topic, name, task, time.Now().UnixMilli()
	b, _ := json.Marshal(v)
	return s.log.SendAndRead(ctx, []byte(topicStatusPrefix+topic+topicStatusSeparator+name), b)
}

// ResetActiveTopics implements worker.StatusStore.
func (s *StatusStore) ResetActiveTopics(ctx context.Context, name string) error {
	for _, t := range s.ActiveTopics(name) {
		if err := s.log.Send(ctx, []byte(topicStatusPrefix+t+topicStatusSeparator+name), nil); err != nil {
			return err
		}
	}
	return s.log.ReadToEnd(ctx)
}
