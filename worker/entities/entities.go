// Package entities holds what the herder answers with and the errors it
// returns: the JSON of these types is exactly Apache Connect's REST
// entities, and every layer below the REST API shares them.
package entities

import (
	"errors"
	"fmt"
	"time"
)

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

// StatusError is an error Connect answers with a status of its own choosing
// (its ConnectRestException), such as 403 for a badly signed internal request.
type StatusError struct {
	Status int
	Msg    string
}

func (e *StatusError) Error() string { return e.Msg }

// NotLeaderError says the request must be served by another worker
// (the leader, or the owner of a connector/task); URL is its advertised
// REST URL with trailing slash, empty when unknown.
type NotLeaderError struct {
	URL string
	Msg string
}

func (e *NotLeaderError) Error() string { return e.Msg }

// ClusterConfig is a consistent snapshot of the config topic.
type ClusterConfig struct {
	// Offset is the config topic offset the snapshot reflects.
	Offset     int64
	Connectors map[string]map[string]string
	Targets    map[string]TargetState
	// Tasks holds each connector's committed task configs, by task number.
	Tasks map[string][]map[string]string
	// SessionKey is the latest session key record (KIP-507), nil before the
	// leader has written one.
	SessionKey *SessionKey
	// TaskCountRecords is each connector's latest task count record
	// (Connect's tasks-fencing-<name>, written by the leader after a zombie
	// fencing); PendingFencing names the connectors whose task configs were
	// committed after their last task count record.
	TaskCountRecords map[string]int
	PendingFencing   map[string]bool
}

// SessionKey is the key the leader distributes through the config topic
// for signing internal REST requests (Connect's session-key record).
type SessionKey struct {
	// Material is the raw key; Algorithm its key generator's name
	// (HmacSHA256); Created when the leader made it.
	Material  []byte
	Algorithm string
	Created   time.Time
}

// Target returns a connector's target state (STARTED when unset).
func (c *ClusterConfig) Target(name string) TargetState {
	if t, ok := c.Targets[name]; ok && t != "" {
		return t
	}
	return TargetStarted
}

// TaskIDs returns the task ids of a connector, in order.
func (c *ClusterConfig) TaskIDs(name string) []TaskID {
	n := len(c.Tasks[name])
	out := make([]TaskID, n)
	for i := range out {
		out[i] = TaskID{Connector: name, Task: i}
	}
	return out
}
