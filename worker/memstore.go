package worker

import (
	"context"
	"maps"
	"sort"
	"sync"

	"github.com/gonnect/gonnect/worker/entities"
	"github.com/gonnect/gonnect/worker/storage"
)

// MemoryConfigStore is a ConfigStore in memory, for standalone workers
// (whose connector configs come from files at every start) and tests.
type MemoryConfigStore struct {
	mu       sync.Mutex
	snap     entities.ClusterConfig
	listener storage.ConfigListener
}

// NewMemoryConfigStore returns an empty store.
func NewMemoryConfigStore() *MemoryConfigStore {
	return &MemoryConfigStore{snap: entities.ClusterConfig{Connectors: map[string]map[string]string{}, Targets: map[string]entities.TargetState{}, Tasks: map[string][]map[string]string{}}}
}

// SetListener sets who hears about changes.
func (m *MemoryConfigStore) SetListener(l storage.ConfigListener) { m.listener = l }

// Snapshot implements ConfigStore.
func (m *MemoryConfigStore) Snapshot() entities.ClusterConfig {
	m.mu.Lock()
	defer m.mu.Unlock()
	return entities.ClusterConfig{Offset: m.snap.Offset, Connectors: maps.Clone(m.snap.Connectors), Targets: maps.Clone(m.snap.Targets), Tasks: maps.Clone(m.snap.Tasks),
		SessionKey: m.snap.SessionKey, TaskCountRecords: maps.Clone(m.snap.TaskCountRecords), PendingFencing: maps.Clone(m.snap.PendingFencing)}
}

func (m *MemoryConfigStore) write(fn func()) error {
	m.mu.Lock()
	fn()
	m.snap.Offset++
	m.mu.Unlock()
	if m.listener != nil {
		m.listener.ConfigChanged()
	}
	return nil
}

// PutConnectorConfig implements ConfigStore.
func (m *MemoryConfigStore) PutConnectorConfig(_ context.Context, name string, config map[string]string, target *entities.TargetState) error {
	return m.write(func() {
		m.snap.Connectors[name] = maps.Clone(config)
		if target != nil {
			m.snap.Targets[name] = *target
		}
	})
}

// RemoveConnectorConfig implements ConfigStore.
func (m *MemoryConfigStore) RemoveConnectorConfig(_ context.Context, name string) error {
	return m.write(func() {
		delete(m.snap.Connectors, name)
		delete(m.snap.Targets, name)
		delete(m.snap.Tasks, name)
	})
}

// PutTaskConfigs implements ConfigStore.
func (m *MemoryConfigStore) PutTaskConfigs(_ context.Context, name string, tasks []map[string]string) error {
	return m.write(func() {
		m.snap.Tasks[name] = tasks
		if m.snap.PendingFencing == nil {
			m.snap.PendingFencing = map[string]bool{}
		}
		m.snap.PendingFencing[name] = true
	})
}

// PutSessionKey implements ConfigStore.
func (m *MemoryConfigStore) PutSessionKey(_ context.Context, key *entities.SessionKey) error {
	return m.write(func() { m.snap.SessionKey = key })
}

// PutTaskCountRecord implements ConfigStore.
func (m *MemoryConfigStore) PutTaskCountRecord(_ context.Context, name string, tasks int) error {
	return m.write(func() {
		if m.snap.TaskCountRecords == nil {
			m.snap.TaskCountRecords = map[string]int{}
		}
		m.snap.TaskCountRecords[name] = tasks
		delete(m.snap.PendingFencing, name)
	})
}

// PutTargetState implements ConfigStore.
func (m *MemoryConfigStore) PutTargetState(_ context.Context, name string, s entities.TargetState) error {
	return m.write(func() { m.snap.Targets[name] = s })
}

// PutRestartRequest implements ConfigStore.
func (m *MemoryConfigStore) PutRestartRequest(_ context.Context, name string, includeTasks, onlyFailed bool) error {
	if m.listener != nil {
		m.listener.RestartRequested(name, includeTasks, onlyFailed)
	}
	return nil
}

// PutLoggerLevel implements ConfigStore: a standalone worker is the whole
// cluster, so the level applies at once.
func (m *MemoryConfigStore) PutLoggerLevel(_ context.Context, namespace, level string) error {
	if m.listener != nil {
		m.listener.LoggerLevelChanged(namespace, level)
	}
	return nil
}

// Refresh implements ConfigStore.
func (m *MemoryConfigStore) Refresh(context.Context) error { return nil }

// MemoryStatusStore is a StatusStore in memory.
type MemoryStatusStore struct {
	mu     sync.Mutex
	conns  map[string]entities.ConnectorState
	tasks  map[entities.TaskID]entities.TaskState
	topics map[string]map[string]bool
}

// NewMemoryStatusStore returns an empty store.
func NewMemoryStatusStore() *MemoryStatusStore {
	return &MemoryStatusStore{conns: map[string]entities.ConnectorState{}, tasks: map[entities.TaskID]entities.TaskState{}, topics: map[string]map[string]bool{}}
}

// Refresh implements StatusStore: memory is always current.
func (m *MemoryStatusStore) Refresh(context.Context) error { return nil }

// PutConnectorSafe implements StatusStore: one worker writes every status.
func (m *MemoryStatusStore) PutConnectorSafe(ctx context.Context, name string, s entities.ConnectorState, g int32) error {
	return m.PutConnector(ctx, name, s, g)
}

// PutTaskSafe implements StatusStore: one worker writes every status.
func (m *MemoryStatusStore) PutTaskSafe(ctx context.Context, id entities.TaskID, s entities.TaskState, g int32) error {
	return m.PutTask(ctx, id, s, g)
}

// PutConnector implements StatusStore.
func (m *MemoryStatusStore) PutConnector(_ context.Context, name string, s entities.ConnectorState, _ int32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.conns[name] = s
	return nil
}

// PutTask implements StatusStore.
func (m *MemoryStatusStore) PutTask(_ context.Context, id entities.TaskID, s entities.TaskState, _ int32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tasks[id] = s
	return nil
}

// Connector implements StatusStore.
func (m *MemoryStatusStore) Connector(name string) (entities.ConnectorState, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.conns[name]
	return s, ok
}

// Task implements StatusStore.
func (m *MemoryStatusStore) Task(id entities.TaskID) (entities.TaskState, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.tasks[id]
	return s, ok
}

// Tasks implements StatusStore.
func (m *MemoryStatusStore) Tasks(name string) []entities.TaskState {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []entities.TaskState
	for id, s := range m.tasks {
		if id.Connector == name {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// DeleteConnector implements StatusStore.
func (m *MemoryStatusStore) DeleteConnector(_ context.Context, name string, _ int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.conns, name)
	for id := range m.tasks {
		if id.Connector == name {
			delete(m.tasks, id)
		}
	}
	delete(m.topics, name)
	return nil
}

// ActiveTopics implements StatusStore.
func (m *MemoryStatusStore) ActiveTopics(name string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.topics[name]))
	for t := range m.topics[name] {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// ResetActiveTopics implements StatusStore.
func (m *MemoryStatusStore) ResetActiveTopics(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.topics, name)
	return nil
}

// PutActiveTopic implements StatusStore.
func (m *MemoryStatusStore) PutActiveTopic(_ context.Context, name, topic string, _ int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.topics[name] == nil {
		m.topics[name] = map[string]bool{}
	}
	m.topics[name][topic] = true
	return nil
}
