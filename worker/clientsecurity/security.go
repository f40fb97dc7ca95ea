// Package clientsecurity translates the security settings of a Kafka client
// as Apache Connect users write them (the Java client's security.protocol,
// sasl.* and ssl.* keys, taken from a worker's or connector's client
// property set) into what gonnect's two Kafka clients take: librdkafka
// properties for consumers, producers and admin clients, and franz-go
// options (TLS configuration, SASL mechanism) for the group-membership
// client. Java key stores (JKS, PKCS12) are read here and handed to
// librdkafka as PEM. A setting that cannot be honoured is refused with an
// error naming it.
package clientsecurity

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Java client keys (CommonClientConfigs, SslConfigs, SaslConfigs).
const (
	SecurityProtocol         = "security.protocol"
	SecurityProviders        = "security.providers"
	SASLMechanism            = "sasl.mechanism"
	SASLJAASConfig           = "sasl.jaas.config"
	SSLProtocol              = "ssl.protocol"
	SSLEnabledProtocols      = "ssl.enabled.protocols"
	SSLEndpointAlgorithm     = "ssl.endpoint.identification.algorithm"
	SSLTruststoreType        = "ssl.truststore.type"
	SSLTruststoreLocation    = "ssl.truststore.location"
	SSLTruststorePassword    = "ssl.truststore.password"
	SSLTruststoreCerts       = "ssl.truststore.certificates"
	SSLKeystoreType          = "ssl.keystore.type"
	SSLKeystoreLocation      = "ssl.keystore.location"
	SSLKeystorePassword      = "ssl.keystore.password"
	SSLKeystoreKey           = "ssl.keystore.key"
	SSLKeystoreCertChain     = "ssl.keystore.certificate.chain"
	SSLKeyPassword           = "ssl.key.password"
	SSLCipherSuites          = "ssl.cipher.suites"
	SSLKeyManagerAlgorithm   = "ssl.keymanager.algorithm"
	SSLTrustManagerAlgorithm = "ssl.trustmanager.algorithm"
)

// unsupported are Java keys whose only meaningful values need the JVM:
// any non-empty value is refused with the reason.
var unsupported = map[string]string{
	SecurityProviders:                    "Java security providers cannot run in this worker",
	"ssl.provider":                       "Java security providers cannot run in this worker",
	"ssl.engine.factory.class":           "Java SSL engine factories cannot run in this worker",
	"ssl.secure.random.implementation":   "the Go runtime's and OpenSSL's random sources are used",
	SSLCipherSuites:                      "the Java cipher suite list cannot be applied to librdkafka's OpenSSL; remove it to use the default suites",
	"sasl.client.callback.handler.class": "Java callback handlers cannot run in this worker",
	"sasl.login.callback.handler.class":  "Java callback handlers cannot run in this worker",
	"sasl.login.class":                   "Java login classes cannot run in this worker",
}

// known are the Java client's other security keys that Parse reads; keys
// under inertPrefixes act only for mechanisms gonnect refuses (GSSAPI,
// OAUTHBEARER), so with PLAIN and SCRAM they change nothing, in Java as here.
var known = map[string]bool{
	SecurityProtocol: true, SASLMechanism: true, SASLJAASConfig: true, SSLProtocol: true, SSLEnabledProtocols: true,
	SSLEndpointAlgorithm: true, SSLTruststoreType: true, SSLTruststoreLocation: true, SSLTruststorePassword: true,
	SSLTruststoreCerts: true, SSLKeystoreType: true, SSLKeystoreLocation: true, SSLKeystorePassword: true, SSLKeystoreKey: true,
	SSLKeystoreCertChain: true, SSLKeyPassword: true, SSLKeyManagerAlgorithm: true, SSLTrustManagerAlgorithm: true,
}

var inertPrefixes = []string{"sasl.kerberos.", "sasl.login.", "sasl.oauthbearer."}

// librdkafkaOnly are librdkafka's own spellings of what the Java keys
// say: refused, since the group-membership client would not see them.
var librdkafkaOnly = map[string]string{
	"sasl.username": SASLJAASConfig, "sasl.password": SASLJAASConfig, "sasl.mechanisms": SASLMechanism,
	"ssl.ca.location": SSLTruststoreLocation, "ssl.ca.pem": SSLTruststoreCerts, "ssl.certificate.location": SSLKeystoreLocation,
	"ssl.certificate.pem": SSLKeystoreCertChain, "ssl.key.location": SSLKeystoreLocation, "ssl.key.pem": SSLKeystoreKey,
	"enable.ssl.certificate.verification": SSLTruststoreLocation, "ssl.ca.certificate.stores": SSLTruststoreLocation,
}

// Settings is a client's parsed security configuration.
type Settings struct {
	// Protocol is PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
	Protocol string
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 for SASL_*.
	Mechanism          string
	Username, Password string
	// TLS material, for SSL and SASL_SSL.
	TLS
	// Unknown are security-looking keys that are no Java client setting
	// (e.g. a server's ssl.client.auth): ignored, as Java's clients do,
	// for the caller to warn about.
	Unknown []string
	// rest are the non-security properties, passed to librdkafka as given.
	rest map[string]string
}

func (s *Settings) usesTLS() bool { return s.Protocol == "SSL" || s.Protocol == "SASL_SSL" }
func (s *Settings) sasl() bool    { return strings.HasPrefix(s.Protocol, "SASL_") }

// Describe names the protocol and mechanism, for error messages.
func (s *Settings) Describe() string {
	if s.sasl() {
		return fmt.Sprintf("security.protocol=%s, sasl.mechanism=%s", s.Protocol, s.Mechanism)
	}
	return "security.protocol=" + s.Protocol
}

func hasPrefix(k string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func isSecurityKey(k string) bool {
	return strings.HasPrefix(k, "ssl.") || strings.HasPrefix(k, "sasl.") || strings.HasPrefix(k, "security.")
}

// Parse reads the security settings of one client's property set (the
// worker's top-level keys overlaid with a client prefix's and a
// connector's overrides, prefixes removed).
func Parse(props map[string]string) (*Settings, error) {
	s := &Settings{rest: map[string]string{}}
	for k, v := range props {
		if !isSecurityKey(k) {
			s.rest[k] = v
		}
	}
	get := func(k, def string) string {
		if v, ok := props[k]; ok {
			return strings.TrimSpace(v)
		}
		return def
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if why, ok := unsupported[k]; ok && strings.TrimSpace(props[k]) != "" {
			return nil, fmt.Errorf("Invalid value %s for configuration %s: %s", props[k], k, why)
		}
		if java, ok := librdkafkaOnly[k]; ok {
			return nil, fmt.Errorf("configuration %s is librdkafka's; use the Java client setting %s (gonnect translates it for all its Kafka clients)", k, java)
		}
		if _, ok := unsupported[k]; isSecurityKey(k) && !ok && !known[k] && !hasPrefix(k, inertPrefixes) {
			s.Unknown = append(s.Unknown, k)
		}
	}
	s.Protocol = strings.ToUpper(get(SecurityProtocol, "PLAINTEXT"))
	switch s.Protocol {
	case "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL":
	default:
		return nil, fmt.Errorf("Invalid value %s for configuration %s: String must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL", props[SecurityProtocol], SecurityProtocol)
	}
	if s.sasl() {
		if err := s.parseSASL(get(SASLMechanism, "GSSAPI"), props[SASLJAASConfig]); err != nil {
			return nil, err
		}
	}
	if s.usesTLS() {
		t, err := ParseTLS(get, "", KafkaClient)
		if err != nil {
			return nil, err
		}
		s.TLS = *t
	}
	return s, nil
}

func (s *Settings) parseSASL(mechanism, jaas string) error {
	s.Mechanism = mechanism
	switch mechanism {
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	case "GSSAPI":
		return fmt.Errorf("Invalid value GSSAPI for configuration %s (the Java default when unset): Kerberos is not supported; use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", SASLMechanism)
	default:
		return fmt.Errorf("Invalid value %s for configuration %s: supported mechanisms are PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512", mechanism, SASLMechanism)
	}
	if strings.TrimSpace(jaas) == "" {
		return fmt.Errorf("configuration %s is required with %s=%s: no JAAS configuration file is read", SASLJAASConfig, SASLMechanism, mechanism)
	}
	e, err := ParseJAAS(jaas)
	if err != nil {
		return fmt.Errorf("Invalid value for configuration %s: %w", SASLJAASConfig, err)
	}
	switch e.LoginModule {
	case "org.apache.kafka.common.security.plain.PlainLoginModule", "org.apache.kafka.common.security.scram.ScramLoginModule":
	default:
		return fmt.Errorf("Invalid value for configuration %s: login module %s is not supported; use org.apache.kafka.common.security.plain.PlainLoginModule or org.apache.kafka.common.security.scram.ScramLoginModule", SASLJAASConfig, e.LoginModule)
	}
	if strings.EqualFold(e.Options["tokenauth"], "true") {
		return fmt.Errorf("Invalid value for configuration %s: delegation tokens (tokenauth=true) are not supported", SASLJAASConfig)
	}
	var ok bool
	if s.Username, ok = e.Options["username"]; !ok {
		return fmt.Errorf("Invalid value for configuration %s: the login module has no username option", SASLJAASConfig)
	}
	if s.Password, ok = e.Options["password"]; !ok {
		return fmt.Errorf("Invalid value for configuration %s: the login module has no password option", SASLJAASConfig)
	}
	return nil
}

// Librdkafka returns the property set as librdkafka takes it: the
// non-security keys as given, the security keys translated.
func (s *Settings) Librdkafka() map[string]string {
	out := make(map[string]string, len(s.rest)+8)
	for k, v := range s.rest {
		out[k] = v
	}
	out["security.protocol"] = strings.ToLower(s.Protocol)
	if s.sasl() {
		out["sasl.mechanisms"] = s.Mechanism
		out["sasl.username"] = s.Username
		out["sasl.password"] = s.Password
	}
	if s.usesTLS() {
		if s.Roots != nil {
			out["ssl.ca.pem"] = pemCerts(s.Roots)
		}
		if s.Chain != nil {
			out["ssl.certificate.pem"] = pemCerts(s.Chain)
			der, _ := x509.MarshalPKCS8PrivateKey(s.Key) // parsed from PKCS8 or PKCS1 earlier: marshals
			out["ssl.key.pem"] = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		}
		if s.VerifyHostname {
			out["ssl.endpoint.identification.algorithm"] = "https"
		} else {
			out["ssl.endpoint.identification.algorithm"] = "none"
		}
	}
	return out
}

func pemCerts(certs []*x509.Certificate) string {
	var b strings.Builder
	for _, c := range certs {
		b.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	return b.String()
}

// TLSConfig is the crypto/tls configuration for SSL and SASL_SSL, nil
// otherwise. Without hostname verification the chain is still verified.
func (s *Settings) TLSConfig() *tls.Config {
	if !s.usesTLS() {
		return nil
	}
	return s.TLS.ClientConfig()
}

// SASLMechanism is the franz-go SASL mechanism, nil without SASL.
func (s *Settings) SASLMechanism() sasl.Mechanism {
	switch s.Mechanism {
	case "PLAIN":
		return plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism()
	case "SCRAM-SHA-256":
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism()
	}
	return nil
}

// FranzOpts are the franz-go options of these settings.
func (s *Settings) FranzOpts() []kgo.Opt {
	var opts []kgo.Opt
	if c := s.TLSConfig(); c != nil {
		opts = append(opts, kgo.DialTLSConfig(c))
	}
	if m := s.SASLMechanism(); m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	return opts
}

// Check connects to the bootstrap servers with these settings and asks
// for metadata, so that a wrong password or an untrusted certificate
// stops start-up at once with the listener and the reason, where
// librdkafka would retry quietly.
func (s *Settings) Check(ctx context.Context, bootstrap []string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	last := &dialHook{}
	opts := append([]kgo.Opt{kgo.SeedBrokers(bootstrap...), kgo.DialTimeout(5 * time.Second), kgo.RequestRetries(len(bootstrap) - 1),
		kgo.WithHooks(last)}, s.FranzOpts()...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("connecting to Kafka at %s (%s): %w", strings.Join(bootstrap, ","), s.Describe(), err)
	}
	defer cl.Close()
	_, err = kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err == nil {
		return nil
	}
	if dialErr := last.get(); ctx.Err() != nil && dialErr != nil {
		err = dialErr
	}
	return fmt.Errorf("connecting to Kafka at %s (%s): %s", strings.Join(bootstrap, ","), s.Describe(), reason(err))
}

// dialHook keeps the last connection error, which says more than a
// request that timed out.
type dialHook struct {
	mu   sync.Mutex
	last error
}

func (h *dialHook) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil {
		h.mu.Lock()
		h.last = err
		h.mu.Unlock()
	}
}

func (h *dialHook) get() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

func reason(err error) string {
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce *tls.CertificateVerificationError
	switch {
	case errors.As(err, &ue):
		return "the broker's certificate is not trusted (signed by an unknown authority; check ssl.truststore.*): " + err.Error()
	case errors.As(err, &he):
		return "the broker's certificate does not match its host name (ssl.endpoint.identification.algorithm=https): " + err.Error()
	case errors.As(err, &ce):
		return "the broker's certificate was refused: " + err.Error()
	case strings.Contains(err.Error(), "SASL_AUTHENTICATION_FAILED"), strings.Contains(err.Error(), "Authentication failed"):
		return "authentication failed (check the username and password of sasl.jaas.config): " + err.Error()
	case strings.Contains(err.Error(), "certificate required"), strings.Contains(err.Error(), "bad certificate"), strings.Contains(err.Error(), "unknown certificate authority"):
		return "the broker refused the client certificate (check ssl.keystore.*): " + err.Error()
	}
	return err.Error()
}
