package worker

import (
	"context"
	"github.com/gonnect/gonnect/worker/storage"

	"github.com/gonnect/gonnect/worker/entities"
)

// The herder consumes these narrow views of its stores; adapters in
// worker/storage bind them to the Kafka topics (distributed) or to memory
// and a file (standalone).

// ConfigStore is the config topic as the herder uses it. Writes return once
// the record is acknowledged and read back into the snapshot.
type ConfigStore interface {
	Snapshot() entities.ClusterConfig
	PutConnectorConfig(ctx context.Context, name string, config map[string]string, target *entities.TargetState) error
	RemoveConnectorConfig(ctx context.Context, name string) error
	PutTaskConfigs(ctx context.Context, name string, tasks []map[string]string) error
	PutTargetState(ctx context.Context, name string, state entities.TargetState) error
	PutRestartRequest(ctx context.Context, name string, includeTasks, onlyFailed bool) error
	// PutLoggerLevel asks every worker of the cluster to set a logging
	// namespace to level (KIP-976); each applies it when it reads it.
	PutLoggerLevel(ctx context.Context, namespace, level string) error
	// PutSessionKey distributes a new session key (the leader only).
	PutSessionKey(ctx context.Context, key *entities.SessionKey) error
	// PutTaskCountRecord records a connector's task count once its older
	// task generations are fenced out (the leader only).
	PutTaskCountRecord(ctx context.Context, name string, tasks int) error
	// Refresh reads the topic to its end.
	Refresh(ctx context.Context) error
}

// StatusStore is the status topic as the herder uses it.
type StatusStore interface {
	PutConnector(ctx context.Context, name string, s entities.ConnectorState, generation int32) error
	PutTask(ctx context.Context, id entities.TaskID, s entities.TaskState, generation int32) error
	// PutConnectorSafe and PutTaskSafe write as Connect's putSafe, used for
	// UNASSIGNED: not over a status another worker wrote in a later
	// generation.
	PutConnectorSafe(ctx context.Context, name string, s entities.ConnectorState, generation int32) error
	PutTaskSafe(ctx context.Context, id entities.TaskID, s entities.TaskState, generation int32) error
	Connector(name string) (entities.ConnectorState, bool)
	Task(id entities.TaskID) (entities.TaskState, bool)
	// Tasks returns the statuses of a connector's tasks, sorted by id.
	Tasks(name string) []entities.TaskState
	DeleteConnector(ctx context.Context, name string, tasks int) error
	ActiveTopics(name string) []string
	ResetActiveTopics(ctx context.Context, name string) error
	PutActiveTopic(ctx context.Context, name, topic string, task int) error
	// Refresh reads the topic to its end: statuses written before the call
	// are then visible.
	Refresh(ctx context.Context) error
}

// OffsetAdmin reads and changes connector offsets (KIP-875): consumer group
// offsets for sink connectors, the offset topic or file for source ones.
// A sink's offsets are its consumer group's, read and changed with an
// admin client configured as Connect configures a connector's (the worker's
// admin.* and the connector's admin.override.* settings).
type OffsetAdmin interface {
	Offsets(ctx context.Context, name string, sink bool, group storage.SinkGroup) ([]entities.ConnectorOffset, error)
	AlterOffsets(ctx context.Context, name string, sink bool, group storage.SinkGroup, offsets []entities.ConnectorOffset) error
	ResetOffsets(ctx context.Context, name string, sink bool, group storage.SinkGroup) error
}

// Membership is the worker's place in its cluster: the Kafka group (distributed)
// or a group of one (standalone).
type Membership interface {
	Run(ctx context.Context) error
	RequestRejoin()
	// Leader returns the leader's advertised URL and whether this worker leads.
	Leader() (url string, isLeader bool)
}

// protocolVersioner is a membership that knows the group protocol version
// of its last round: internal requests are verified from version 2
// (sessioned) on, as Connect does.
type protocolVersioner interface {
	ProtocolVersion() int16
}

// Assignment is what the group gave this worker in one generation.
type Assignment struct {
	// ConfigMismatch means the leader's config is behind ours or ours behind
	// the leader's: read the config topic to ConfigOffset and rejoin.
	ConfigMismatch bool
	LeaderURL      string
	ConfigOffset   int64
	Generation     int32
	Connectors     []string
	Tasks          []entities.TaskID
	// Revoked lists what this worker must stop (incremental protocols).
	RevokedConnectors []string
	RevokedTasks      []entities.TaskID
	// Full means Connectors/Tasks replace the previous assignment (eager
	// protocol, standalone); otherwise they are added to it.
	Full bool
}

// AssignmentHandler is the herder side of Membership.
type AssignmentHandler interface {
	// ConfigOffset is the offset of the config snapshot this worker has read
	// and the connectors with their task counts, for the leader to assign.
	Snapshot() entities.ClusterConfig
	OnRevoked(ctx context.Context, a Assignment)
	OnAssigned(ctx context.Context, a Assignment)
}
