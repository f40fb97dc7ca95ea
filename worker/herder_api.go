package worker

import (
	"context"
	"errors"
	"fmt"
	"github.com/gonnect/gonnect/worker/storage"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/internal/version"
)

var _ Interface = (*Herder)(nil)

// ServerInfo implements Interface.
func (h *Herder) ServerInfo(context.Context) entities.ServerInfo {
	return entities.ServerInfo{Version: version.Version(), Commit: version.Commit, KafkaClusterID: h.clusterID}
}

// Ready implements Interface.
func (h *Herder) Ready() error {
	if !h.ready.Load() {
		return errors.New("Worker is still starting up: it has not joined its cluster and read its configuration yet")
	}
	return nil
}

func notFound(name string) error {
	return &entities.NotFoundError{Msg: fmt.Sprintf("Connector %s not found", name)}
}

// staleCheck fails reads while a rebalance is pending after a config change,
// as Connect answers 409 then.
func (h *Herder) staleCheck() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.needsRebalance {
		return entities.ErrRebalanceNeeded
	}
	return nil
}

// requireLeader fails requests only the leader may serve.
func (h *Herder) requireLeader() error {
	url, isLeader := h.member.Leader()
	if isLeader {
		return nil
	}
	return &entities.NotLeaderError{URL: url, Msg: "Cannot complete request because this worker is not the leader of the cluster"}
}

// Connectors implements Interface.
func (h *Herder) Connectors(context.Context) ([]string, error) {
	snap := h.configs.Snapshot()
	names := slices.Collect(maps.Keys(snap.Connectors))
	sort.Strings(names)
	return names, nil
}

func connectorType(config map[string]string) entities.ConnectorType {
	p, err := connectors.Lookup(config["connector.class"])
	if err != nil {
		return entities.TypeUnknown
	}
	switch p.Type {
	case connectors.TypeSink:
		return entities.TypeSink
	case connectors.TypeSource:
		return entities.TypeSource
	}
	return entities.TypeUnknown
}

func infoOf(snap entities.ClusterConfig, name string) entities.ConnectorInfo {
	cfg := snap.Connectors[name]
	return entities.ConnectorInfo{Name: name, Config: cfg, Tasks: snap.TaskIDs(name), Type: connectorType(cfg)}
}

// ConnectorInfo implements Interface.
func (h *Herder) ConnectorInfo(_ context.Context, name string) (entities.ConnectorInfo, error) {
	snap := h.configs.Snapshot()
	if snap.Connectors[name] == nil {
		return entities.ConnectorInfo{}, notFound(name)
	}
	return infoOf(snap, name), nil
}

// ConnectorConfig implements Interface.
func (h *Herder) ConnectorConfig(ctx context.Context, name string) (map[string]string, error) {
	info, err := h.ConnectorInfo(ctx, name)
	return info.Config, err
}

// ValidateConfig implements Interface.
func (h *Herder) ValidateConfig(ctx context.Context, plugin string, config map[string]string) (configdef.Infos, error) {
	return h.validate(ctx, plugin, config)
}

// validateForWrite runs full validation and turns errors into Connect's 400.
func (h *Herder) validateForWrite(ctx context.Context, config map[string]string) error {
	class := config["connector.class"]
	if class == "" {
		return &entities.BadRequestError{Msg: "Connector config " + fmtConfig(config) + " contains no connector type"}
	}
	infos, err := h.validate(ctx, class, config)
	if err != nil {
		return err
	}
	if infos.ErrorCount == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Connector configuration is invalid and contains the following %d error(s):", infos.ErrorCount)
	for _, c := range infos.Configs {
		if c.Value == nil {
			continue
		}
		for _, e := range c.Value.Errors {
			b.WriteString("\n" + e)
		}
	}
	b.WriteString("\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`")
	return &entities.BadRequestError{Msg: b.String()}
}

// fmtConfig renders a config map as Java's Map.toString does.
func fmtConfig(m map[string]string) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// PutConnectorConfig implements Interface.
func (h *Herder) PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initial entities.TargetState) (bool, entities.ConnectorInfo, error) {
	if err := h.validateForWrite(ctx, config); err != nil {
		return false, entities.ConnectorInfo{}, err
	}
	var created bool
	var info entities.ConnectorInfo
	err := h.do(ctx, func() error {
		if err := h.requireLeader(); err != nil {
			return err
		}
		snap := h.configs.Snapshot()
		_, exists := snap.Connectors[name]
		if exists && !allowReplace {
			return &entities.ConflictError{Msg: fmt.Sprintf("Connector %s already exists", name)}
		}
		var target *entities.TargetState
		if !exists && initial != "" && initial != entities.TargetStarted {
			target = &initial
		}
		if err := h.configs.PutConnectorConfig(ctx, name, config, target); err != nil {
			return fmt.Errorf("writing config of connector %s: %w", name, err)
		}
		created = !exists
		snap = h.configs.Snapshot()
		info = infoOf(snap, name)
		if created {
			// Tasks do not exist yet: Connect answers a create with none.
			info.Tasks = []entities.TaskID{}
		}
		return nil
	})
	return created, info, err
}

// PatchConnectorConfig implements Interface.
func (h *Herder) PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (entities.ConnectorInfo, error) {
	cur := h.configs.Snapshot().Connectors[name]
	if cur == nil {
		return entities.ConnectorInfo{}, notFound(name)
	}
	if patch == nil {
		// A null body (or none) is Connect's NullPointerException, once the
		// connector is known to exist.
		return entities.ConnectorInfo{}, &entities.StatusError{Status: 500, Msg: `Cannot invoke "java.util.Map.forEach(java.util.function.BiConsumer)" because "patch" is null`}
	}
	next := maps.Clone(cur)
	for k, v := range patch {
		if v == nil {
			delete(next, k)
		} else {
			next[k] = *v
		}
	}
	_, info, err := h.PutConnectorConfig(ctx, name, next, true, "")
	return info, err
}

// DeleteConnector implements Interface.
func (h *Herder) DeleteConnector(ctx context.Context, name string) error {
	return h.do(ctx, func() error {
		if err := h.requireLeader(); err != nil {
			return err
		}
		snap := h.configs.Snapshot()
		if snap.Connectors[name] == nil {
			return notFound(name)
		}
		if err := h.configs.RemoveConnectorConfig(ctx, name); err != nil {
			return fmt.Errorf("removing connector %s: %w", name, err)
		}
		return nil
	})
}

// ConnectorStatus implements Interface.
func (h *Herder) ConnectorStatus(_ context.Context, name string) (entities.ConnectorStateInfo, error) {
	snap := h.configs.Snapshot()
	st, ok := h.status.Connector(name)
	if !ok || snap.Connectors[name] == nil {
		return entities.ConnectorStateInfo{}, &entities.NotFoundError{Msg: fmt.Sprintf("No status found for connector %s", name)}
	}
	tasks := h.status.Tasks(name)
	// Statuses of tasks beyond the current task count are stale.
	n := len(snap.Tasks[name])
	tasks = slices.DeleteFunc(tasks, func(t entities.TaskState) bool { return t.ID >= n })
	if tasks == nil {
		tasks = []entities.TaskState{}
	}
	return entities.ConnectorStateInfo{Name: name, Connector: st, Tasks: tasks, Type: connectorType(snap.Connectors[name])}, nil
}

// Tasks implements Interface.
func (h *Herder) Tasks(_ context.Context, name string) ([]entities.TaskInfo, error) {
	snap := h.configs.Snapshot()
	if snap.Connectors[name] == nil {
		return nil, notFound(name)
	}
	out := make([]entities.TaskInfo, 0, len(snap.Tasks[name]))
	for i, cfg := range snap.Tasks[name] {
		out = append(out, entities.TaskInfo{ID: entities.TaskID{Connector: name, Task: i}, Config: cfg})
	}
	return out, nil
}

// TaskStatus implements Interface.
func (h *Herder) TaskStatus(_ context.Context, id entities.TaskID) (entities.TaskState, error) {
	st, ok := h.status.Task(id)
	if !ok {
		return entities.TaskState{}, &entities.NotFoundError{Msg: fmt.Sprintf("No status found for task %s", id)}
	}
	return st, nil
}

// RestartConnector implements Interface. Restarts go through the config
// topic's restart records, applied by whichever worker owns the work.
func (h *Herder) RestartConnector(ctx context.Context, name string, includeTasks, onlyFailed bool) (*entities.ConnectorStateInfo, error) {
	if err := h.staleCheck(); err != nil {
		return nil, err
	}
	var out *entities.ConnectorStateInfo
	err := h.do(ctx, func() error {
		if err := h.requireLeader(); err != nil {
			return err
		}
		snap := h.configs.Snapshot()
		if snap.Connectors[name] == nil {
			return &entities.NotFoundError{Msg: "Unknown connector: " + name}
		}
		// As Connect: the request is written first, then the plan is read
		// from the statuses; with none yet (a connector just created) the
		// answer is a 404, but the restart still happens.
		if err := h.configs.PutRestartRequest(ctx, name, includeTasks, onlyFailed); err != nil {
			return fmt.Errorf("writing restart request for connector %s: %w", name, err)
		}
		if includeTasks || onlyFailed {
			st, err := h.ConnectorStatus(ctx, name)
			var nf *entities.NotFoundError
			if errors.As(err, &nf) {
				return &entities.NotFoundError{Msg: "Status for connector " + name + " not found"}
			}
			if err != nil {
				return err
			}
			if !onlyFailed || st.Connector.State == entities.StateFailed {
				st.Connector.State = entities.StateRestarting
			}
			if includeTasks {
				for i := range st.Tasks {
					if !onlyFailed || st.Tasks[i].State == entities.StateFailed {
						st.Tasks[i].State = entities.StateRestarting
					}
				}
			}
			out = &st
		}
		return nil
	})
	return out, err
}

// RestartTask implements Interface.
func (h *Herder) RestartTask(ctx context.Context, id entities.TaskID) error {
	if err := h.staleCheck(); err != nil {
		return err
	}
	return h.do(ctx, func() error {
		snap := h.configs.Snapshot()
		if snap.Connectors[id.Connector] == nil {
			return &entities.NotFoundError{Msg: "Unknown connector: " + id.Connector}
		}
		if id.Task < 0 || id.Task >= len(snap.Tasks[id.Connector]) {
			return &entities.NotFoundError{Msg: "Unknown task: " + id.String()}
		}
		if h.assignedTasks[id] {
			// The task outlives this request: startTask gives it the
			// runtime's lifetime, not ctx's.
			h.startTask(snap, id)
			return nil
		}
		// The owner restarts it: forward there, as Connect does.
		if st, ok := h.status.Task(id); ok && st.WorkerID != "" && st.WorkerID != h.workerID {
			return &entities.NotLeaderError{URL: "http://" + st.WorkerID + "/", Msg: "Task " + id.String() + " is not assigned to this worker"}
		}
		return &entities.ConflictError{Msg: "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"}
	})
}

// SetTargetState implements Interface: pause and resume may be served by
// any worker; stop only by the leader, which also clears the task configs.
func (h *Herder) SetTargetState(ctx context.Context, name string, state entities.TargetState) error {
	return h.do(ctx, func() error {
		if state == entities.TargetStopped {
			if err := h.requireLeader(); err != nil {
				return err
			}
		}
		snap := h.configs.Snapshot()
		if snap.Connectors[name] == nil {
			return &entities.NotFoundError{Msg: "Unknown connector " + name}
		}
		if state == entities.TargetStopped {
			if err := h.configs.PutTaskConfigs(ctx, name, nil); err != nil {
				return fmt.Errorf("clearing task configs of connector %s: %w", name, err)
			}
		}
		if err := h.configs.PutTargetState(ctx, name, state); err != nil {
			return fmt.Errorf("writing target state of connector %s: %w", name, err)
		}
		return nil
	})
}

// ActiveTopics implements Interface.
// Like Connect, an unknown connector simply has no active topics.
func (h *Herder) ActiveTopics(_ context.Context, name string) ([]string, error) {
	t := h.status.ActiveTopics(name)
	if t == nil {
		t = []string{}
	}
	return t, nil
}

// ResetActiveTopics implements Interface.
func (h *Herder) ResetActiveTopics(ctx context.Context, name string) error {
	return h.status.ResetActiveTopics(ctx, name)
}

func sinkGroup(name string, cfg map[string]string) string {
	if g := cfg["consumer.override.group.id"]; g != "" {
		return g
	}
	return "connect-" + name
}

// sinkGroupOf is a connector's consumer group with its admin client's
// settings, config provider placeholders resolved.
func (h *Herder) sinkGroupOf(name string, cfg map[string]string) (storage.SinkGroup, error) {
	g := storage.SinkGroup{ID: sinkGroup(name, cfg)}
	if h.adminProps == nil || connectorType(cfg) != entities.TypeSink {
		return g, nil
	}
	resolved := cfg
	if h.rt.transform != nil {
		var err error
		if resolved, err = h.rt.transform(cfg); err != nil {
			return g, fmt.Errorf("resolving the config of connector %s: %w", name, err)
		}
	}
	props, err := h.adminProps(resolved)
	if err != nil {
		return g, fmt.Errorf("the admin client of connector %s: %w", name, err)
	}
	g.AdminClient = props
	return g, nil
}

// ConnectorOffsets implements Interface.
func (h *Herder) ConnectorOffsets(ctx context.Context, name string) (entities.ConnectorOffsets, error) {
	cfg := h.configs.Snapshot().Connectors[name]
	if cfg == nil {
		return entities.ConnectorOffsets{}, notFound(name)
	}
	group, err := h.sinkGroupOf(name, cfg)
	if err != nil {
		return entities.ConnectorOffsets{}, err
	}
	offs, err := h.offsets.Offsets(ctx, name, connectorType(cfg) == entities.TypeSink, group)
	if err != nil {
		return entities.ConnectorOffsets{}, fmt.Errorf("reading offsets of connector %s: %w", name, err)
	}
	if offs == nil {
		offs = []entities.ConnectorOffset{}
	}
	return entities.ConnectorOffsets{Offsets: offs}, nil
}

// stoppedForOffsets checks KIP-875's precondition.
func (h *Herder) stoppedForOffsets(name string) (map[string]string, error) {
	if err := h.requireLeader(); err != nil {
		return nil, err
	}
	snap := h.configs.Snapshot()
	cfg := snap.Connectors[name]
	if cfg == nil {
		return nil, notFound(name)
	}
	if snap.Target(name) != entities.TargetStopped || len(snap.Tasks[name]) > 0 {
		return nil, &entities.BadRequestError{Msg: "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/" + name + "/stop' endpoint"}
	}
	return cfg, nil
}

// AlterOffsets implements Interface.
func (h *Herder) AlterOffsets(ctx context.Context, name string, offsets entities.ConnectorOffsets) (string, error) {
	var msg string
	err := h.do(ctx, func() error {
		cfg, err := h.stoppedForOffsets(name)
		if err != nil {
			return err
		}
		sink := connectorType(cfg) == entities.TypeSink
		group, err := h.sinkGroupOf(name, cfg)
		if err != nil {
			return err
		}
		if err := h.offsets.AlterOffsets(ctx, name, sink, group, offsets.Offsets); err != nil {
			return err
		}
		// Built-in connectors keep no offsets outside Kafka, so Connect's
		// message for connectors that handled the change themselves applies.
		msg = "The offsets for this connector have been altered successfully"
		return nil
	})
	return msg, err
}

// ResetOffsets implements Interface.
func (h *Herder) ResetOffsets(ctx context.Context, name string) (string, error) {
	var msg string
	err := h.do(ctx, func() error {
		cfg, err := h.stoppedForOffsets(name)
		if err != nil {
			return err
		}
		sink := connectorType(cfg) == entities.TypeSink
		group, err := h.sinkGroupOf(name, cfg)
		if err != nil {
			return err
		}
		if err := h.offsets.ResetOffsets(ctx, name, sink, group); err != nil {
			return err
		}
		msg = "The offsets for this connector have been reset successfully"
		return nil
	})
	return msg, err
}

// decorateTaskConfigs adds what Connect's worker adds to every task config:
// the task class and, for sink connectors, the topic subscription.
func decorateTaskConfigs(connConfig map[string]string, tasks []map[string]string) []map[string]string {
	p, err := connectors.Lookup(connConfig["connector.class"])
	out := make([]map[string]string, len(tasks))
	for i, t := range tasks {
		c := maps.Clone(t)
		if c == nil {
			c = map[string]string{}
		}
		if err == nil {
			c["task.class"] = strings.TrimSuffix(p.Class, "Connector") + "Task"
			if p.Type == connectors.TypeSink {
				for _, k := range []string{"topics", "topics.regex"} {
					if v, ok := connConfig[k]; ok {
						c[k] = v
					}
				}
			}
		}
		out[i] = c
	}
	return out
}

// SetClusterLoggerLevel implements Interface. Any worker may write the
// record, as in Connect; no leader is involved.
func (h *Herder) SetClusterLoggerLevel(ctx context.Context, namespace, level string) error {
	if err := h.configs.PutLoggerLevel(ctx, namespace, level); err != nil {
		return fmt.Errorf("writing logger level for namespace %s: %w", namespace, err)
	}
	return nil
}
