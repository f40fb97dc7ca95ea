package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/gonnect/gonnect/worker"
	"github.com/gonnect/gonnect/worker/basicauth"
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
// read, JAAS parsed) and its REST listeners' without connecting, for
// --check.
func checkSecurity(cfg *worker.Config) error {
	if _, err := clientsecurity.Parse(worker.NewWorker(cfg, nil).ClientSecurityProps()); err != nil {
		return fmt.Errorf("invalid worker configuration: %w", err)
	}
	_, err := newRESTSecurity(cfg, os.Getenv("KAFKA_OPTS"), nil)
	return err
}

// restSecurity is the REST server's TLS and authentication.
type restSecurity struct {
	tls, adminTLS, clientTLS *tls.Config
	clientTLSErr             error
	auth                     *basicauth.Authenticator
}

// workerClient sends the worker's requests to other workers (forwarding
// to the leader, task configs to it), with the TLS settings of Connect's
// RestClient.
func (rs *restSecurity) workerClient(timeout time.Duration) *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = rs.clientTLS
	return &http.Client{Timeout: timeout, Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// newRESTSecurity reads the stores of the https:// listeners and of the
// worker's requests to other workers, and the Basic authentication's
// JAAS file (the worker setting, else -Djava.security.auth.login.config
// in kafkaOpts), so that a wrong password or a missing file stops
// start-up naming the key. The client's settings matter only for https://
// requests, as in Connect: when this worker has no https listener, an
// error is kept for such requests (and warned about) instead.
func newRESTSecurity(cfg *worker.Config, kafkaOpts string, log *slog.Logger) (*restSecurity, error) {
	rs := &restSecurity{}
	var err error
	if rs.tls, err = cfg.RESTServerTLS(false); err != nil {
		return nil, err
	}
	if rs.adminTLS, err = cfg.RESTServerTLS(true); err != nil {
		return nil, err
	}
	if rs.clientTLS, err = cfg.RESTClientTLS(); err != nil {
		if cfg.HasHTTPSListener() {
			return nil, err
		}
		rs.clientTLSErr = err
		if log != nil {
			log.Warn("requests to other workers' https:// listeners will fail", "error", err)
		}
	}
	if !slices.Contains(cfg.Values.List(worker.RestExtensionClasses), worker.BasicAuthExtension) {
		return rs, nil
	}
	file, from := cfg.Values.String(worker.JAASLoginConfig), worker.JAASLoginConfig
	if file == "" {
		file, from = basicauth.LoginConfigFromJavaOpts(kafkaOpts), "-D"+basicauth.LoginConfigProperty+" in KAFKA_OPTS"
	}
	if file == "" {
		return nil, fmt.Errorf("invalid worker configuration: %s=%s needs a JAAS login configuration file with a %s entry: set -D%s=<file> in the KAFKA_OPTS environment variable, or %s",
			worker.RestExtensionClasses, worker.BasicAuthExtension, basicauth.AppName, basicauth.LoginConfigProperty, worker.JAASLoginConfig)
	}
	if rs.auth, err = basicauth.Load(file, from); err != nil {
		return nil, fmt.Errorf("invalid worker configuration: %s: %w", worker.RestExtensionClasses, err)
	}
	if log != nil {
		log.Info("REST Basic authentication enabled", "jaas_file", file, "from", from, "credentials_files", rs.auth.CredentialFiles())
	}
	return rs, nil
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
