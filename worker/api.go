package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/gonnect/gonnect/connectors/configdef"
)

// The types below are what the herder answers with; their JSON is exactly
// Apache Connect's REST entities, so the REST layer serialises them as-is.

// ServerInfo is the body of GET /.
type ServerInfo struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	KafkaClusterID string `json:"kafka_cluster_id"`
}

// ConnectorType is "source", "sink" or "unknown".
type ConnectorType string

const (
	TypeSource  ConnectorType = "source"
	TypeSink    ConnectorType = "sink"
	TypeUnknown ConnectorType = "unknown"
)

// TaskID names a task: {"connector":"c1","task":0}.
type TaskID struct {
	Connector string `json:"connector"`
	Task      int    `json:"task"`
}

func (id TaskID) String() string { return fmt.Sprintf("%s-%d", id.Connector, id.Task) }

// ConnectorInfo is Connect's ConnectorInfo.
type ConnectorInfo struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Tasks  []TaskID          `json:"tasks"`
	Type   ConnectorType     `json:"type"`
}

// State is a connector or task state as reported in status.
type State string

const (
	StateUnassigned State = "UNASSIGNED"
	StateRunning    State = "RUNNING"
	StatePaused     State = "PAUSED"
	StateStopped    State = "STOPPED"
	StateFailed     State = "FAILED"
	StateRestarting State = "RESTARTING"
	StateDestroyed  State = "DESTROYED"
)

// TargetState is what the user asked for (config topic target-state-*).
type TargetState string

const (
	TargetStarted TargetState = "STARTED"
	TargetPaused  TargetState = "PAUSED"
	TargetStopped TargetState = "STOPPED"
)

// ConnectorState is {"state":..,"worker_id":..,"trace":..}.
type ConnectorState struct {
	State    State  `json:"state"`
	WorkerID string `json:"worker_id"`
	// Version is the plugin version (Connect 4.x reports it).
	Version string `json:"version,omitempty"`
	Trace   string `json:"trace,omitempty"`
}

// TaskState is a task's status entry.
type TaskState struct {
	ID       int    `json:"id"`
	State    State  `json:"state"`
	WorkerID string `json:"worker_id"`
	Version  string `json:"version,omitempty"`
	Trace    string `json:"trace,omitempty"`
}

// ConnectorStateInfo is the body of GET /connectors/{c}/status.
type ConnectorStateInfo struct {
	Name      string         `json:"name"`
	Connector ConnectorState `json:"connector"`
	Tasks     []TaskState    `json:"tasks"`
	Type      ConnectorType  `json:"type"`
}

// TaskInfo is one element of GET /connectors/{c}/tasks.
type TaskInfo struct {
	ID     TaskID            `json:"id"`
	Config map[string]string `json:"config"`
}

// ConnectorOffset is one partition/offset pair (KIP-875).
type ConnectorOffset struct {
	Partition map[string]any `json:"partition"`
	Offset    map[string]any `json:"offset"`
}

// ConnectorOffsets is the body of GET/PATCH /connectors/{c}/offsets.
type ConnectorOffsets struct {
	Offsets []ConnectorOffset `json:"offsets"`
}

// Errors the herder returns; the REST layer maps them to Connect's status
// codes in one place.
var (
	// ErrNotFound: unknown connector or task (404).
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: connector name taken (409).
	ErrAlreadyExists = errors.New("already exists")
	// ErrRebalanceNeeded: config changed and the group has not caught up (409).
	ErrRebalanceNeeded = errors.New("Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)")
	// ErrNoLeader: no known leader URL (409).
	ErrNoLeader = errors.New("Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.")
)

// BadRequestError is a 400 with Connect's message.
type BadRequestError struct{ Msg string }

func (e *BadRequestError) Error() string { return e.Msg }

// NotFoundError is a 404 with Connect's message, e.g. "Connector c1 not found".
type NotFoundError struct{ Msg string }

func (e *NotFoundError) Error() string { return e.Msg }
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// ConflictError is a 409 with Connect's message.
type ConflictError struct{ Msg string }

func (e *ConflictError) Error() string { return e.Msg }

// NotLeaderError says the request must be served by another worker
// (the leader, or the owner of a connector/task); URL is its advertised
// REST URL with trailing slash, empty when unknown.
type NotLeaderError struct {
	URL string
	Msg string
}

func (e *NotLeaderError) Error() string { return e.Msg }

// Interface is what the REST layer needs from a herder (distributed or
// standalone). Every method answers from the worker's current view or
// returns one of the errors above.
type Interface interface {
	ServerInfo(ctx context.Context) ServerInfo
	// Ready reports whether the herder has joined its cluster and read its
	// config; the REST API answers /health from it.
	Ready() error
	// HealthCheck runs a no-op through the herder's request loop (GET
	// /health); it fails with ctx's error when the loop does not take it
	// in time.
	HealthCheck(ctx context.Context) error
	Connectors(ctx context.Context) ([]string, error)
	ConnectorInfo(ctx context.Context, name string) (ConnectorInfo, error)
	ConnectorConfig(ctx context.Context, name string) (map[string]string, error)
	// PutConnectorConfig creates or (when allowReplace) replaces a config;
	// created reports which happened.
	PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initial TargetState) (created bool, info ConnectorInfo, err error)
	// PatchConnectorConfig applies a patch: nil values remove keys.
	PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (ConnectorInfo, error)
	DeleteConnector(ctx context.Context, name string) error
	ConnectorStatus(ctx context.Context, name string) (ConnectorStateInfo, error)
	Tasks(ctx context.Context, name string) ([]TaskInfo, error)
	TaskStatus(ctx context.Context, id TaskID) (TaskState, error)
	// RestartConnector restarts a connector; with includeTasks or
	// onlyFailed it returns the status with RESTARTING marks (202),
	// otherwise nil (204).
	RestartConnector(ctx context.Context, name string, includeTasks, onlyFailed bool) (*ConnectorStateInfo, error)
	RestartTask(ctx context.Context, id TaskID) error
	SetTargetState(ctx context.Context, name string, state TargetState) error
	ActiveTopics(ctx context.Context, name string) ([]string, error)
	ResetActiveTopics(ctx context.Context, name string) error
	ConnectorOffsets(ctx context.Context, name string) (ConnectorOffsets, error)
	// AlterOffsets (PATCH) and ResetOffsets (DELETE) return Connect's
	// success message.
	AlterOffsets(ctx context.Context, name string, offsets ConnectorOffsets) (string, error)
	ResetOffsets(ctx context.Context, name string) (string, error)
	// ValidateConfig validates a connector config for the named plugin.
	ValidateConfig(ctx context.Context, plugin string, config map[string]string) (configdef.Infos, error)
	// SetClusterLoggerLevel sets a logging namespace's level on every
	// worker of the cluster (PUT /admin/loggers/{name}?scope=cluster).
	SetClusterLoggerLevel(ctx context.Context, namespace, level string) error
}
