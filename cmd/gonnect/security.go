package main

import (
	"fmt"

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
	if _, err := clientsecurity.Parse(worker.NewWorker(cfg, nil).ClientSecurityProps()); err != nil {
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
