package storage

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
)

// Config topic keys and values, as Apache Connect writes them
// (KafkaConfigBackingStore).
const (
	connectorPrefix   = "connector-"
	taskPrefix        = "task-"
	commitPrefix      = "commit-"
	targetStatePrefix = "target-state-"
	restartPrefix     = "restart-connector-"
	sessionKey        = "session-key"
	taskCountPrefix   = "tasks-fencing-"
	// loggerPrefix keys cluster-scoped logger levels (KIP-976).
	loggerPrefix = "logger-cluster-"
)

type propertiesValue struct {
	Properties map[string]string `json:"properties"`
}

type commitValue struct {
	Tasks int `json:"tasks"`
}

// Connect writes the legacy "state" (STARTED or PAUSED, which old workers
// understand) next to "state.v2" (which may also be STOPPED).
type targetStateValue struct {
	State   string `json:"state"`
	StateV2 string `json:"state.v2,omitempty"`
}

// sessionKeyValue is Connect's SESSION_KEY_V0 struct as its JSON converter
// writes it without schemas: the key base64 encoded.
type sessionKeyValue struct {
	Key       *string `json:"key"`
	Algorithm *string `json:"algorithm"`
	Created   *int64  `json:"creation-timestamp"`
}

// taskCountValue is Connect's TASK_COUNT_RECORD_V0.
type taskCountValue struct {
	TaskCount *int `json:"task-count"`
}

// encodeSessionKey is the session-key record's value.
func encodeSessionKey(k *entities.SessionKey) []byte {
	key, alg, created := base64.StdEncoding.EncodeToString(k.Material), k.Algorithm, k.Created.UnixMilli()
	b, _ := json.Marshal(sessionKeyValue{Key: &key, Algorithm: &alg, Created: &created})
	return b
}

// decodeSessionKey reads a session-key record as Connect does, refusing
// what Connect ignores with an error.
func decodeSessionKey(value []byte) (*entities.SessionKey, error) {
	if value == nil {
		return nil, errors.New("ignoring session key because it is unexpectedly null")
	}
	var v sessionKeyValue
	if err := json.Unmarshal(value, &v); err != nil {
		return nil, fmt.Errorf("decoding session key: %w", err)
	}
	if v.Key == nil || v.Algorithm == nil || v.Created == nil {
		return nil, errors.New("session key record lacks its key, algorithm or creation-timestamp field")
	}
	key, err := base64.StdEncoding.DecodeString(*v.Key)
	if err != nil {
		return nil, fmt.Errorf("decoding session key material: %w", err)
	}
	return &entities.SessionKey{Material: key, Algorithm: *v.Algorithm, Created: time.UnixMilli(*v.Created)}, nil
}

type restartValue struct {
	IncludeTasks bool `json:"include-tasks"`
	OnlyFailed   bool `json:"only-failed"`
}

// loggerValue keeps the level as the user spelled it ("debug"); readers
// parse it case-insensitively.
type loggerValue struct {
	Level *string `json:"level"`
}

func encodeTargetState(s entities.TargetState) []byte {
	legacy := s
	if s == entities.TargetStopped {
		legacy = entities.TargetPaused
	}
	b, _ := json.Marshal(targetStateValue{State: string(legacy), StateV2: string(s)})
	return b
}

// configState is the config topic folded into a snapshot, with Connect's
// rule that task configs become visible only with their commit record.
type configState struct {
	snap    entities.ClusterConfig
	pending map[string]map[int]map[string]string
}

func newConfigState() *configState {
	return &configState{
		snap: entities.ClusterConfig{Connectors: map[string]map[string]string{}, Targets: map[string]entities.TargetState{},
			Tasks: map[string][]map[string]string{}, TaskCountRecords: map[string]int{}, PendingFencing: map[string]bool{}},
		pending: map[string]map[int]map[string]string{},
	}
}

// restart is a restart request read from the topic.
type restart struct {
	name                     string
	includeTasks, onlyFailed bool
}

// loggerLevel is a cluster-scoped logger level read from the topic.
type loggerLevel struct {
	namespace, level string
}

// event is what a record asks of the listener beyond changing the
// snapshot: at most one of its fields is set.
type event struct {
	restart *restart
	logger  *loggerLevel
}

// apply folds one record in; it returns the restart request or logger level
// the record carries.
func (c *configState) apply(key string, value []byte, next int64) (event, error) {
	c.snap.Offset = next
	switch {
	case strings.HasPrefix(key, connectorPrefix):
		name := strings.TrimPrefix(key, connectorPrefix)
		if value == nil {
			delete(c.snap.Connectors, name)
			delete(c.snap.Targets, name)
			delete(c.snap.Tasks, name)
			delete(c.pending, name)
			delete(c.snap.TaskCountRecords, name)
			delete(c.snap.PendingFencing, name)
			return event{}, nil
		}
		var v propertiesValue
		if err := json.Unmarshal(value, &v); err != nil {
			return event{}, fmt.Errorf("decoding %s: %w", key, err)
		}
		c.snap.Connectors[name] = v.Properties
	case strings.HasPrefix(key, taskPrefix):
		rest := strings.TrimPrefix(key, taskPrefix)
		i := strings.LastIndexByte(rest, '-')
		if i < 0 {
			return event{}, fmt.Errorf("malformed task key %s", key)
		}
		n, err := strconv.Atoi(rest[i+1:])
		if err != nil {
			return event{}, fmt.Errorf("malformed task key %s", key)
		}
		name := rest[:i]
		if value == nil {
			return event{}, nil
		}
		var v propertiesValue
		if err := json.Unmarshal(value, &v); err != nil {
			return event{}, fmt.Errorf("decoding %s: %w", key, err)
		}
		if c.pending[name] == nil {
			c.pending[name] = map[int]map[string]string{}
		}
		c.pending[name][n] = v.Properties
	case strings.HasPrefix(key, commitPrefix):
		name := strings.TrimPrefix(key, commitPrefix)
		if value == nil {
			return event{}, nil
		}
		var v commitValue
		if err := json.Unmarshal(value, &v); err != nil {
			return event{}, fmt.Errorf("decoding %s: %w", key, err)
		}
		tasks := make([]map[string]string, v.Tasks)
		for i := range tasks {
			t, ok := c.pending[name][i]
			if !ok {
				// Connect marks such a connector inconsistent and waits for
				// the next complete set; keep the previous one.
				return event{}, fmt.Errorf("commit of %d tasks for connector %s misses task %d", v.Tasks, name, i)
			}
			tasks[i] = t
		}
		c.snap.Tasks[name] = tasks
		delete(c.pending, name)
		// Connect marks every committed task set as needing a zombie
		// fencing (exactly-once sources); a task count record settles it.
		c.snap.PendingFencing[name] = true
	case strings.HasPrefix(key, taskCountPrefix):
		name := strings.TrimPrefix(key, taskCountPrefix)
		if value == nil {
			return event{}, nil
		}
		var v taskCountValue
		if err := json.Unmarshal(value, &v); err != nil || v.TaskCount == nil {
			return event{}, fmt.Errorf("decoding %s: no task-count field (%v)", key, err)
		}
		c.snap.TaskCountRecords[name] = *v.TaskCount
		delete(c.snap.PendingFencing, name)
	case strings.HasPrefix(key, targetStatePrefix):
		name := strings.TrimPrefix(key, targetStatePrefix)
		if value == nil {
			delete(c.snap.Targets, name)
			return event{}, nil
		}
		var v targetStateValue
		if err := json.Unmarshal(value, &v); err != nil {
			return event{}, fmt.Errorf("decoding %s: %w", key, err)
		}
		s := v.StateV2
		if s == "" {
			s = v.State
		}
		c.snap.Targets[name] = entities.TargetState(s)
	case strings.HasPrefix(key, restartPrefix):
		if value == nil {
			return event{}, nil
		}
		var v restartValue
		if err := json.Unmarshal(value, &v); err != nil {
			return event{}, fmt.Errorf("decoding %s: %w", key, err)
		}
		return event{restart: &restart{name: strings.TrimPrefix(key, restartPrefix), includeTasks: v.IncludeTasks, onlyFailed: v.OnlyFailed}}, nil
	case strings.HasPrefix(key, loggerPrefix):
		ns := strings.TrimPrefix(key, loggerPrefix)
		if value == nil {
			return event{}, fmt.Errorf("logging level for namespace %s is unexpectedly null", ns)
		}
		var v loggerValue
		if err := json.Unmarshal(value, &v); err != nil {
			return event{}, fmt.Errorf("decoding %s: %w", key, err)
		}
		if v.Level == nil {
			return event{}, fmt.Errorf("logging level for namespace %s has no level field", ns)
		}
		return event{logger: &loggerLevel{namespace: ns, level: *v.Level}}, nil
	case key == sessionKey:
		k, err := decodeSessionKey(value)
		if err != nil {
			return event{}, err
		}
		c.snap.SessionKey = k
	}
	return event{}, nil
}

func (c *configState) clone() entities.ClusterConfig {
	s := c.snap
	s.Connectors = maps.Clone(s.Connectors)
	s.Targets = maps.Clone(s.Targets)
	s.Tasks = maps.Clone(s.Tasks)
	s.TaskCountRecords = maps.Clone(s.TaskCountRecords)
	s.PendingFencing = maps.Clone(s.PendingFencing)
	return s
}

// ConfigStore is the config topic (worker.ConfigStore).
type ConfigStore struct {
	log      *Log
	logger   *slog.Logger
	mu       sync.Mutex
	state    *configState
	started  bool
	listener ConfigListener
}

// NewConfigStore returns a store on the config topic (always one partition).
func NewConfigStore(cfg LogConfig) *ConfigStore {
	cfg.Partitions = 1
	s := &ConfigStore{state: newConfigState(), logger: cfg.Logger}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.log = NewLog(cfg, s.onRecord)
	return s
}

// SetListener sets who hears about changes.
func (s *ConfigStore) SetListener(l ConfigListener) {
	s.mu.Lock()
	s.listener = l
	s.mu.Unlock()
}

func (s *ConfigStore) onRecord(r Record) {
	s.mu.Lock()
	ev, err := s.state.apply(string(r.Key), r.Value, r.Offset+1)
	started, listener := s.started, s.listener
	s.mu.Unlock()
	if err != nil {
		s.logger.Error("skipping config topic record", "key", string(r.Key), "offset", r.Offset, "error", err)
	}
	// Restart requests and logger levels read while starting are history:
	// Connect acts only on those written once the worker runs.
	if !started || listener == nil {
		return
	}
	switch {
	case ev.restart != nil:
		listener.RestartRequested(ev.restart.name, ev.restart.includeTasks, ev.restart.onlyFailed)
	case ev.logger != nil:
		listener.LoggerLevelChanged(ev.logger.namespace, ev.logger.level)
	default:
		listener.ConfigChanged()
	}
}

// Start reads the topic to its end.
func (s *ConfigStore) Start(ctx context.Context) error {
	if err := s.log.Start(ctx); err != nil {
		return fmt.Errorf("starting config store: %w", err)
	}
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
	return nil
}

// Stop closes the store.
func (s *ConfigStore) Stop() { s.log.Close() }

// Snapshot implements worker.ConfigStore.
func (s *ConfigStore) Snapshot() entities.ClusterConfig {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.clone()
}

func (s *ConfigStore) put(ctx context.Context, key string, v any) error {
	var b []byte
	if v != nil {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return fmt.Errorf("encoding %s: %w", key, err)
		}
	}
	return s.log.SendAndRead(ctx, []byte(key), b)
}

// PutConnectorConfig implements worker.ConfigStore.
func (s *ConfigStore) PutConnectorConfig(ctx context.Context, name string, config map[string]string, target *entities.TargetState) error {
	if target != nil {
		if err := s.log.Send(ctx, []byte(targetStatePrefix+name), encodeTargetState(*target)); err != nil {
			return err
		}
	}
	return s.put(ctx, connectorPrefix+name, propertiesValue{Properties: config})
}

// RemoveConnectorConfig implements worker.ConfigStore.
func (s *ConfigStore) RemoveConnectorConfig(ctx context.Context, name string) error {
	if err := s.log.Send(ctx, []byte(connectorPrefix+name), nil); err != nil {
		return err
	}
	return s.log.SendAndRead(ctx, []byte(targetStatePrefix+name), nil)
}

// PutTaskConfigs implements worker.ConfigStore: the task records, then the
// commit record that makes them visible together.
func (s *ConfigStore) PutTaskConfigs(ctx context.Context, name string, tasks []map[string]string) error {
	for i, t := range tasks {
		b, err := json.Marshal(propertiesValue{Properties: t})
		if err != nil {
			return fmt.Errorf("encoding task %d of %s: %w", i, name, err)
		}
		if err := s.log.Send(ctx, []byte(fmt.Sprintf("%s%s-%d", taskPrefix, name, i)), b); err != nil {
			return err
		}
	}
	return s.put(ctx, commitPrefix+name, commitValue{Tasks: len(tasks)})
}

// PutTargetState implements worker.ConfigStore.
func (s *ConfigStore) PutTargetState(ctx context.Context, name string, state entities.TargetState) error {
	return s.log.SendAndRead(ctx, []byte(targetStatePrefix+name), encodeTargetState(state))
}

// PutRestartRequest implements worker.ConfigStore.
func (s *ConfigStore) PutRestartRequest(ctx context.Context, name string, includeTasks, onlyFailed bool) error {
	return s.put(ctx, restartPrefix+name, restartValue{IncludeTasks: includeTasks, OnlyFailed: onlyFailed})
}

// PutLoggerLevel implements worker.ConfigStore. It returns once this worker
// has read the record back, so the level already applies here.
func (s *ConfigStore) PutLoggerLevel(ctx context.Context, namespace, level string) error {
	return s.put(ctx, loggerPrefix+namespace, loggerValue{Level: &level})
}

// PutSessionKey implements worker.ConfigStore: the leader distributes a
// new session key.
func (s *ConfigStore) PutSessionKey(ctx context.Context, key *entities.SessionKey) error {
	return s.log.SendAndRead(ctx, []byte(sessionKey), encodeSessionKey(key))
}

// PutTaskCountRecord implements worker.ConfigStore: the leader records how
// many tasks a connector's latest fenced generation has.
func (s *ConfigStore) PutTaskCountRecord(ctx context.Context, name string, tasks int) error {
	return s.put(ctx, taskCountPrefix+name, taskCountValue{TaskCount: &tasks})
}

// Refresh implements worker.ConfigStore.
func (s *ConfigStore) Refresh(ctx context.Context) error { return s.log.ReadToEnd(ctx) }
