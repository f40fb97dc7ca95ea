package worker

import (
	"context"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/worker/sessionkey"
)

// Interface is what the REST layer needs from a herder (distributed or
// standalone). Every method answers from the worker's current view or
// returns one of the errors above.
type Interface interface {
	ServerInfo(ctx context.Context) entities.ServerInfo
	// Ready reports whether the herder has joined its cluster and read its
	// config; the REST API answers /health from it.
	Ready() error
	// HealthCheck runs a no-op through the herder's request loop (GET
	// /health); it fails with ctx's error when the loop does not take it
	// in time.
	HealthCheck(ctx context.Context) error
	Connectors(ctx context.Context) ([]string, error)
	ConnectorInfo(ctx context.Context, name string) (entities.ConnectorInfo, error)
	ConnectorConfig(ctx context.Context, name string) (map[string]string, error)
	// PutConnectorConfig creates or (when allowReplace) replaces a config;
	// created reports which happened.
	PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initial entities.TargetState) (created bool, info entities.ConnectorInfo, err error)
	// PatchConnectorConfig applies a patch: nil values remove keys.
	PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (entities.ConnectorInfo, error)
	DeleteConnector(ctx context.Context, name string) error
	ConnectorStatus(ctx context.Context, name string) (entities.ConnectorStateInfo, error)
	Tasks(ctx context.Context, name string) ([]entities.TaskInfo, error)
	TaskStatus(ctx context.Context, id entities.TaskID) (entities.TaskState, error)
	// RestartConnector restarts a connector; with includeTasks or
	// onlyFailed it returns the status with RESTARTING marks (202),
	// otherwise nil (204).
	RestartConnector(ctx context.Context, name string, includeTasks, onlyFailed bool) (*entities.ConnectorStateInfo, error)
	RestartTask(ctx context.Context, id entities.TaskID) error
	SetTargetState(ctx context.Context, name string, state entities.TargetState) error
	ActiveTopics(ctx context.Context, name string) ([]string, error)
	ResetActiveTopics(ctx context.Context, name string) error
	ConnectorOffsets(ctx context.Context, name string) (entities.ConnectorOffsets, error)
	// AlterOffsets (PATCH) and ResetOffsets (DELETE) return Connect's
	// success message.
	AlterOffsets(ctx context.Context, name string, offsets entities.ConnectorOffsets) (string, error)
	ResetOffsets(ctx context.Context, name string) (string, error)
	// ValidateConfig validates a connector config for the named plugin.
	ValidateConfig(ctx context.Context, plugin string, config map[string]string) (configdef.Infos, error)
	// SetClusterLoggerLevel sets a logging namespace's level on every
	// worker of the cluster (PUT /admin/loggers/{name}?scope=cluster).
	SetClusterLoggerLevel(ctx context.Context, namespace, level string) error
	// PutTaskConfigs (POST /connectors/{c}/tasks) and FenceZombies (PUT
	// /connectors/{c}/fence) are Connect's internal endpoints: another
	// worker asks the leader, with a request signed with the session key
	// (sig, nil when unsigned).
	PutTaskConfigs(ctx context.Context, name string, configs []map[string]string, sig *sessionkey.Signature) error
	FenceZombies(ctx context.Context, name string, sig *sessionkey.Signature) error
}
