package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/gonnect/gonnect/worker"
	"github.com/gonnect/gonnect/worker/clientsecurity"
	"github.com/gonnect/gonnect/worker/configprovider"
)

// resolveWorkerProps replaces the config provider placeholders of the
// worker's own properties, as Connect's WorkerConfig does when it is built.
func resolveWorkerProps(props map[string]string) (map[string]string, error) {
	ps, err := configprovider.FromConfig(props)
	if err != nil {
		return nil, fmt.Errorf("invalid worker configuration: %w", err)
	}
	out, err := ps.Transform(props)
	if err != nil {
		return nil, fmt.Errorf("resolving the worker configuration: %w", err)
	}
	return out, nil
}

// checkSecurity validates the worker's client security settings (stores
// read, JAAS parsed) without connecting, for --check.
func checkSecurity(cfg *worker.Config) error {
	if _, err := clientsecurity.Parse(clientSecurityProps(cfg)); err != nil {
		return fmt.Errorf("invalid worker configuration: %w", err)
	}
	return nil
}

// workerProviders are the config providers the worker declares, applied
// to connector configurations when connectors and tasks start.
func workerProviders(cfg *worker.Config) (configprovider.Providers, error) {
	ps, err := configprovider.FromConfig(cfg.Raw)
	if err != nil {
		return nil, fmt.Errorf("invalid worker configuration: %w", err)
	}
	return ps, nil
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

// checkClientProps translates a task's consumer and producer settings,
// failing the task with what cannot be honoured, and tries the
// connector's own credentials on the brokers.
func checkClientProps(workerCfg *worker.Config, connCfg map[string]string) error {
	for _, c := range []struct{ prefix, override string }{{"consumer.", "consumer.override."}, {"producer.", "producer.override."}} {
		props := mergedClientProps(workerCfg, connCfg, c.prefix, c.override)
		if _, err := librdkafkaProps(props, overridesSecurity(connCfg, c.override), workerCfg.Values.List(worker.BootstrapServers)); err != nil {
			return fmt.Errorf("%s client settings (worker %s*, connector %s*): %w", strings.TrimSuffix(c.prefix, "."), c.prefix, c.override, err)
		}
	}
	return nil
}

// checkCredentials tries settings on the brokers (a variable for tests).
var checkCredentials = func(s *clientsecurity.Settings, bootstrap []string) error {
	return s.Check(context.Background(), bootstrap)
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
