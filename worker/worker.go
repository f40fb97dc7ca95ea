package worker

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/connectors/connectorconfig"
	"github.com/gonnect/gonnect/connectors/transforms"
	"github.com/gonnect/gonnect/internal/logging"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/worker/clientsecurity"
	"github.com/gonnect/gonnect/worker/entities"
	"github.com/gonnect/gonnect/worker/task"
)

// Worker is what Connect's Worker is to its herder: it turns a connector's
// and a task's configuration into something that runs, resolving their
// converters and Kafka client configs (the worker's settings overlaid with
// the connector's *.override.* keys, under the override policy, translated
// for librdkafka) and choosing the sink or source runner, and it validates
// connector configs as the herder's /config/validate answers. The herder's
// runtime starts and stops what it builds.
type Worker struct {
	cfg     *Config
	loggers *logging.Registry
	policy  connectorconfig.OverridePolicy
}

// NewWorker builds a worker from its configuration.
func NewWorker(cfg *Config, loggers *logging.Registry) *Worker {
	return &Worker{cfg: cfg, loggers: loggers, policy: cfg.OverridePolicy()}
}

// TaskFactory is how the herder's runtime builds a task's runner; offsets
// stores source offsets (the offset topic, or a file in standalone mode).
func (w *Worker) TaskFactory(offsets task.OffsetStore) TaskFactory {
	return newTaskFactory(w.cfg, w.loggers, offsets)
}

// ConverterDefaults are the converters a connector gets when it names
// none, and the converter classes validation accepts.
func (w *Worker) ConverterDefaults() connectorconfig.Defaults { return converterDefaults(w.cfg) }

// ClientSecurityProps are the worker's Kafka client security settings.
func (w *Worker) ClientSecurityProps() map[string]string { return clientSecurityProps(w.cfg) }

// AdminClientProps are the librdkafka settings of the admin client Connect
// makes for a connector (its offsets, KIP-875): the worker's security
// settings, its admin.* settings, then the connector's admin.override.*.
// Credentials of their own (admin.* or admin.override.* security keys) are
// tried on the brokers first, as librdkafka would retry a refused login
// quietly until its request timed out.
func (w *Worker) AdminClientProps(connector map[string]string) (map[string]string, error) {
	own := overridesSecurity(connector, "admin.override.") || overridesSecurity(w.cfg.Raw, "admin.")
	props, err := librdkafkaProps(mergedClientProps(w.cfg, connector, "admin.", "admin.override."), own, w.cfg.Values.List(BootstrapServers))
	if err != nil {
		return nil, fmt.Errorf("admin client settings (worker admin.*, connector admin.override.*): %w", err)
	}
	return props, nil
}

// ValidateConnector validates a connector config (already resolved of
// config provider placeholders).
func (w *Worker) ValidateConnector(ctx context.Context, plugin string, config map[string]string) (configdef.Infos, error) {
	return validateConnector(ctx, plugin, w.ConverterDefaults(), w.policy, config)
}

func converterDefaults(cfg *Config) connectorconfig.Defaults {
	return connectorconfig.Defaults{
		KeyConverter: cfg.Values.String(KeyConverter), ValueConverter: cfg.Values.String(ValueConverter),
		HeaderConverter: cfg.Values.String(HeaderConverter),
		Converters:      converters.Classes(), HeaderConverters: converters.HeaderClasses(), Known: converters.Known,
	}
}

// converterConfig is the worker's converter settings overlaid with the
// connector's, as Connect resolves them.
func converterConfig(workerCfg *Config, connCfg map[string]string) map[string]string {
	out := map[string]string{}
	for _, src := range []map[string]string{workerCfg.Raw, connCfg} {
		for k, v := range src {
			if strings.HasPrefix(k, KeyConverter) || strings.HasPrefix(k, ValueConverter) || strings.HasPrefix(k, HeaderConverter) {
				out[k] = v
			}
		}
	}
	return out
}

// clientProps merges worker client settings (prefix) with the connector's
// overrides (override prefix), translated for librdkafka (checkClientProps
// reported what cannot be translated before).
func clientProps(workerCfg *Config, connCfg map[string]string, prefix, override string) map[string]string {
	lib, _ := librdkafkaProps(mergedClientProps(workerCfg, connCfg, prefix, override), false, nil)
	return lib
}

func mergedClientProps(workerCfg *Config, connCfg map[string]string, prefix, override string) map[string]string {
	out := clientSecurityProps(workerCfg)
	for k, v := range workerCfg.ClientProps(prefix) {
		out[k] = v
	}
	for k, v := range connCfg {
		if strings.HasPrefix(k, override) {
			out[strings.TrimPrefix(k, override)] = v
		}
	}
	return out
}

func newTaskFactory(cfg *Config, loggers *logging.Registry, offsets task.OffsetStore) TaskFactory {
	bootstrap := cfg.Bootstrap()
	interval := cfg.Millis(OffsetFlushInterval)
	policy := cfg.OverridePolicy()
	return func(id entities.TaskID, p connectors.Plugin, connCfg, taskCfg map[string]string, l task.Listener) (TaskRunner, error) {
		if err := policy.Check(p.Type, connCfg); err != nil {
			return nil, err
		}
		if err := checkClientProps(cfg, connCfg); err != nil {
			return nil, err
		}
		cc := converterConfig(cfg, connCfg)
		key, err := converters.FromConfig(cc, KeyConverter, true)
		if err != nil {
			return nil, err
		}
		val, err := converters.FromConfig(cc, ValueConverter, false)
		if err != nil {
			return nil, err
		}
		hdr, err := converters.HeaderFromConfig(cc)
		if err != nil {
			return nil, err
		}
		hdrClass := cc[HeaderConverter]
		if hdrClass == "" {
			hdrClass = cfg.Values.String(HeaderConverter)
		}
		commitTimeout, shutdownTimeout := cfg.Millis(OffsetFlushTimeout), cfg.Millis(TaskShutdownTimeout)
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
				KeyConverter: key, ValueConverter: val, KeyClass: cc[KeyConverter], ValueClass: cc[ValueConverter],
				HeaderConverter: hdr, HeaderClass: hdrClass, Task: c.NewTask(), Listener: l, Logger: log, PluginLogger: pluginLog,
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
				HeaderConverter: hdr, KeyClass: cc[KeyConverter], ValueClass: cc[ValueConverter], HeaderClass: hdrClass,
				CommitTimeout: commitTimeout, ShutdownTimeout: shutdownTimeout,
				Task: c.NewTask(), Offsets: offsets, Listener: l, Logger: log, PluginLogger: pluginLog, Transforms: chain,
			})
		}
		return nil, fmt.Errorf("connector class %s is neither a sink nor a source", p.Class)
	}
}

// checkClientProps translates a task's consumer and producer settings,
// failing the task with what cannot be honoured, and tries the
// connector's own credentials on the brokers.
func checkClientProps(workerCfg *Config, connCfg map[string]string) error {
	for _, c := range []struct{ prefix, override string }{{"consumer.", "consumer.override."}, {"producer.", "producer.override."}} {
		props := mergedClientProps(workerCfg, connCfg, c.prefix, c.override)
		if _, err := librdkafkaProps(props, overridesSecurity(connCfg, c.override), workerCfg.Values.List(BootstrapServers)); err != nil {
			return fmt.Errorf("%s client settings (worker %s*, connector %s*): %w", strings.TrimSuffix(c.prefix, "."), c.prefix, c.override, err)
		}
	}
	return nil
}

// librdkafkaProps translates a client property set written as for Java's
// clients into librdkafka's; what cannot be honoured is an error naming it.
// Credentials of a connector's own (check) are tried on the brokers first:
// librdkafka would retry a refused login quietly where Java's client fails
// the task; the worker's were checked at start-up.
func librdkafkaProps(props map[string]string, check bool, bootstrap []string) (map[string]string, error) {
	s, err := clientsecurity.Parse(props)
	if err != nil {
		return nil, err
	}
	if check && s.Protocol != "PLAINTEXT" {
		if err := checkCredentials(s, bootstrap); err != nil {
			return nil, err
		}
	}
	return s.Librdkafka(), nil
}

// overridesSecurity reports whether a connector sets security settings of
// its own under the override prefix.
func overridesSecurity(connCfg map[string]string, override string) bool {
	for k := range connCfg {
		if r, ok := strings.CutPrefix(k, override); ok &&
			(strings.HasPrefix(r, "security.") || strings.HasPrefix(r, "sasl.") || strings.HasPrefix(r, "ssl.")) {
			return true
		}
	}
	return false
}

// checkCredentials tries settings on the brokers (a variable for tests).
var checkCredentials = func(s *clientsecurity.Settings, bootstrap []string) error {
	return s.Check(context.Background(), bootstrap)
}

// clientSecurityProps are the worker's client security settings
// (security.protocol, sasl.*, ssl.*) every Kafka client it creates starts
// from, in the Java clients' spelling.
func clientSecurityProps(cfg *Config) map[string]string {
	out := map[string]string{}
	for k, v := range cfg.Raw {
		if strings.HasPrefix(k, "security.") || strings.HasPrefix(k, "sasl.") || strings.HasPrefix(k, "ssl.") {
			out[k] = v
		}
	}
	if id := cfg.Values.String(ClientID); id != "" {
		out["client.id"] = id
	}
	return out
}

// validateConnector validates a connector config as Connect's herder does:
// the common and plugin keys, the connector's own checks, then the client
// overrides against the worker's override policy.
func validateConnector(ctx context.Context, plugin string, defaults connectorconfig.Defaults, policy connectorconfig.OverridePolicy, config map[string]string) (configdef.Infos, error) {
	p, err := connectors.Lookup(plugin)
	if err != nil {
		return configdef.Infos{}, err
	}
	infos, conn := connectorconfig.Validate(p, defaults, config)
	if v, ok := conn.(connectors.ConfigValidator); ok && infos.ErrorCount == 0 {
		v.ValidateConfig(ctx, config, &infos)
	}
	policy.ValidateOverrides(p.Type, config, &infos)
	return infos, nil
}
