package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/connectorconfig"
	"github.com/gonnect/gonnect/connectors/transforms"
	"github.com/gonnect/gonnect/internal/logging"
	"github.com/gonnect/gonnect/internal/version"
	"github.com/gonnect/gonnect/restapi"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/worker"
	"github.com/gonnect/gonnect/worker/group"
	"github.com/gonnect/gonnect/worker/metrics"
	"github.com/gonnect/gonnect/worker/task"
	"github.com/twmb/franz-go/pkg/kgo"

	// Built-in connectors register themselves.
	_ "github.com/gonnect/gonnect/connectors/cassandra"
	_ "github.com/gonnect/gonnect/connectors/file"
)

func converterDefaults(cfg *worker.Config) connectorconfig.Defaults {
	return connectorconfig.Defaults{
		KeyConverter: cfg.Values.String(worker.KeyConverter), ValueConverter: cfg.Values.String(worker.ValueConverter),
		HeaderConverter: cfg.Values.String(worker.HeaderConverter),
		Converters:      converters.Classes(), HeaderConverters: converters.HeaderClasses(), Known: converters.Known,
	}
}

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

// converterConfig is the worker's converter settings overlaid with the
// connector's, as Connect resolves them.
func converterConfig(workerCfg *worker.Config, connCfg map[string]string) map[string]string {
	out := map[string]string{}
	for _, src := range []map[string]string{workerCfg.Raw, connCfg} {
		for k, v := range src {
			if strings.HasPrefix(k, worker.KeyConverter) || strings.HasPrefix(k, worker.ValueConverter) || strings.HasPrefix(k, worker.HeaderConverter) {
				out[k] = v
			}
		}
	}
	return out
}

// clientProps merges worker client settings (prefix) with the connector's
// overrides (override prefix), translated for librdkafka (checkClientProps
// reported what cannot be translated before).
func clientProps(workerCfg *worker.Config, connCfg map[string]string, prefix, override string) map[string]string {
	lib, _ := librdkafkaProps(mergedClientProps(workerCfg, connCfg, prefix, override), false, nil)
	return lib
}

func mergedClientProps(workerCfg *worker.Config, connCfg map[string]string, prefix, override string) map[string]string {
	out := clientSecurityProps(workerCfg)
	for k, v := range workerCfg.WithPrefix(prefix) {
		out[k] = v
	}
	for k, v := range connCfg {
		if strings.HasPrefix(k, override) {
			out[strings.TrimPrefix(k, override)] = v
		}
	}
	return out
}

func newTaskFactory(cfg *worker.Config, loggers *logging.Registry, offsets task.OffsetStore) worker.TaskFactory {
	bootstrap := cfg.Bootstrap()
	interval := cfg.Millis(worker.OffsetFlushInterval)
	policy := cfg.OverridePolicy()
	return func(id worker.TaskID, p connectors.Plugin, connCfg, taskCfg map[string]string, l worker.TaskListener) (worker.TaskRunner, error) {
		if err := policy.Check(p.Type, connCfg); err != nil {
			return nil, err
		}
		if err := checkClientProps(cfg, connCfg); err != nil {
			return nil, err
		}
		cc := converterConfig(cfg, connCfg)
		key, err := converters.FromConfig(cc, worker.KeyConverter, true)
		if err != nil {
			return nil, err
		}
		val, err := converters.FromConfig(cc, worker.ValueConverter, false)
		if err != nil {
			return nil, err
		}
		hdr, err := converters.HeaderFromConfig(cc)
		if err != nil {
			return nil, err
		}
		hdrClass := cc[worker.HeaderConverter]
		if hdrClass == "" {
			hdrClass = cfg.Values.String(worker.HeaderConverter)
		}
		commitTimeout, shutdownTimeout := cfg.Millis(worker.OffsetFlushTimeout), cfg.Millis(worker.TaskShutdownTimeout)
		conn := p.New()
		log := loggers.Logger("org.apache.kafka.connect.runtime.WorkerTask")
		var pluginLog *slog.Logger
		if c := taskCfg["task.class"]; c != "" {
			pluginLog = loggers.Logger(c)
		}
		switch c := conn.(type) {
		case connectors.SinkConnector:
			return task.NewSinkRunner(task.SinkConfig{
				ID: id, Bootstrap: bootstrap,
				ConsumerProps:   clientProps(cfg, connCfg, "consumer.", "consumer.override."),
				ProducerProps:   clientProps(cfg, connCfg, "producer.", "producer.override."),
				ConnectorConfig: connCfg, TaskConfig: taskCfg, CommitInterval: interval,
				KeyConverter: key, ValueConverter: val, KeyClass: cc[worker.KeyConverter], ValueClass: cc[worker.ValueConverter],
				TaskClass: taskCfg["task.class"], HeaderConverter: hdr, HeaderClass: hdrClass, Task: c.NewTask(), Listener: l, Logger: log, PluginLogger: pluginLog,
				CommitTimeout: commitTimeout, ShutdownTimeout: shutdownTimeout,
			})
		case connectors.SourceConnector:
			chain, err := transforms.NewChain(connCfg)
			if err != nil {
				return nil, fmt.Errorf("transformations of task %s: %w", id, err)
			}
			return task.NewSourceRunner(task.SourceConfig{
				ID: id, Bootstrap: bootstrap, ProducerProps: clientProps(cfg, connCfg, "producer.", "producer.override."),
				ConnectorConfig: connCfg, TaskConfig: taskCfg, CommitInterval: interval, KeyConverter: key, ValueConverter: val,
				HeaderConverter: hdr, KeyClass: cc[worker.KeyConverter], ValueClass: cc[worker.ValueConverter], HeaderClass: hdrClass,
				CommitTimeout: commitTimeout, ShutdownTimeout: shutdownTimeout,
				Task: c.NewTask(), Offsets: offsets, Listener: l, Logger: log, PluginLogger: pluginLog, Transforms: chain,
			})
		}
		return nil, fmt.Errorf("connector class %s is neither a sink nor a source", p.Class)
	}
}

// newLoggers builds the logger registry; the base handler passes every
// level so the registry's per-logger levels decide.
func newLoggers(base slog.Handler, root slog.Level) *logging.Registry { return logging.New(base, root) }
