package main

import (
	"log/slog"
	"strings"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/transforms"
	"github.com/gonnect/gonnect/internal/logging"
	"github.com/gonnect/gonnect/internal/version"
	"github.com/gonnect/gonnect/restapi"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/worker"
	"github.com/gonnect/gonnect/worker/group"
	"github.com/gonnect/gonnect/worker/metrics"
	"github.com/twmb/franz-go/pkg/kgo"

	// Built-in connectors register themselves.
	_ "github.com/gonnect/gonnect/connectors/cassandra"
	_ "github.com/gonnect/gonnect/connectors/file"
)

func converterPlugins() []restapi.PluginInfo {
	var out []restapi.PluginInfo
	// Connect lists transformations, then predicates, then converters.
	for _, typ := range []string{transforms.TypeTransformation, transforms.TypePredicate} {
		for _, p := range transforms.Plugins() {
			if p.Type == typ {
				out = append(out, restapi.PluginInfo{Class: p.Class, Type: p.Type, Version: version.ConnectAPI})
			}
		}
	}
	for _, c := range converters.Classes() {
		out = append(out, restapi.PluginInfo{Class: c, Type: string(connectors.TypeConverter), Version: version.ConnectAPI})
	}
	for _, c := range converters.HeaderClasses() {
		out = append(out, restapi.PluginInfo{Class: c, Type: string(connectors.TypeHeaderConvert), Version: version.ConnectAPI})
	}
	return out
}

func newGroupMember(cfg *worker.Config, url string, loggers *logging.Registry, clientOpts []kgo.Opt, rebalance *metrics.Rebalance) (*worker.GroupMembership, error) {
	v := cfg.Values
	protocol := strings.ToLower(v.String(worker.ConnectProtocol))
	if protocol == "eager" {
		protocol = group.ProtocolEager
	}
	return worker.NewGroupMembership(group.Config{
		Brokers: v.List(worker.BootstrapServers), GroupID: v.String(worker.GroupID), WorkerURL: url, Protocol: protocol,
		SessionTimeout: cfg.Millis(worker.SessionTimeout), HeartbeatInterval: cfg.Millis(worker.HeartbeatInterval),
		RebalanceTimeout: cfg.Millis(worker.RebalanceTimeout), ScheduledRebalanceMaxDelay: cfg.Millis(worker.ScheduledRebalanceDelay),
		Logger:     loggers.Logger("org.apache.kafka.connect.runtime.distributed.WorkerCoordinator"),
		ClientOpts: clientOpts,
		Metrics:    rebalance,
	})
}

// newLoggers builds the logger registry; the base handler passes every
// level so the registry's per-logger levels decide.
func newLoggers(base slog.Handler, root slog.Level) *logging.Registry { return logging.New(base, root) }
