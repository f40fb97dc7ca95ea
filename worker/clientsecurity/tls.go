package clientsecurity

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/gonnect/gonnect/internal/keystores"
)

// SSLClientAuth is the REST listeners' client authentication setting
// (Connect's BrokerSecurityConfigs.SSL_CLIENT_AUTH_CONFIG).
const SSLClientAuth = "ssl.client.auth"

// TLSUse is what a TLS configuration is parsed for, which decides what
// the TLS stack behind it can honour.
type TLSUse int

const (
	// KafkaClient is a Kafka client: librdkafka (OpenSSL) and franz-go
	// both get it, so librdkafka's limits apply.
	KafkaClient TLSUse = iota
	// RESTServer is an https:// REST listener (Go's crypto/tls), as
	// Connect's SSLUtils.createServerSideSslContextFactory reads it.
	RESTServer
	// RESTClient is the worker's own requests to other workers' https://
	// listeners, as Connect's SSLUtils.createClientSideSslContextFactory
	// reads it.
	RESTClient
)

// TLS is a parsed Java-style TLS configuration (the ssl.* keys).
type TLS struct {
	// Roots are the trusted certificates; nil means the system's.
	Roots []*x509.Certificate
	// Chain and Key are the key store's certificate chain and its key
	// (crypto.PrivateKey of Chain[0]); nil without a key store.
	Chain          []*x509.Certificate
	Key            any
	VerifyHostname bool
	MinTLS, MaxTLS uint16
	// CipherSuites are the TLS 1.2 suites of ssl.cipher.suites; nil for
	// Go's defaults (TLS 1.3 suites cannot be chosen in Go).
	CipherSuites []uint16
	// ClientAuth is ssl.client.auth of a REST listener.
	ClientAuth tls.ClientAuthType
}

// restUnsupported are the keys Connect's SSLUtils reads that need the JVM.
var restUnsupported = []string{"ssl.provider", "ssl.secure.random.implementation"}

// ParseTLS reads the ssl.* settings get gives (names without prefix;
// prefix is where the caller's configuration holds them, named in
// messages) for use. get returns a setting's value, or def when unset.
func ParseTLS(get func(k, def string) string, prefix string, use TLSUse) (*TLS, error) {
	t := &TLS{VerifyHostname: true}
	name := func(k string) string { return prefix + k }
	if use != KafkaClient {
		for _, k := range restUnsupported {
			if v := get(k, ""); v != "" {
				return nil, fmt.Errorf("Invalid value %s for configuration %s: %s", v, name(k), unsupported[k])
			}
		}
	}
	if use != RESTServer {
		switch alg := get(SSLEndpointAlgorithm, "https"); strings.ToLower(alg) {
		case "https":
		case "":
			t.VerifyHostname = false
		default:
			return nil, fmt.Errorf("Invalid value %s for configuration %s: use https (verify the server's host name) or an empty value (do not)", alg, name(SSLEndpointAlgorithm))
		}
	}
	if alg := get(SSLKeyManagerAlgorithm, "SunX509"); alg != "SunX509" && alg != "PKIX" && alg != "NewSunX509" {
		return nil, fmt.Errorf("Invalid value %s for configuration %s: only the default key manager is available", alg, name(SSLKeyManagerAlgorithm))
	}
	if alg := get(SSLTrustManagerAlgorithm, "PKIX"); alg != "PKIX" && alg != "SunX509" {
		return nil, fmt.Errorf("Invalid value %s for configuration %s: only the default (PKIX) trust manager is available", alg, name(SSLTrustManagerAlgorithm))
	}
	if err := t.parseProtocols(get(SSLProtocol, "TLSv1.3"), get(SSLEnabledProtocols, "TLSv1.2,TLSv1.3"), prefix, use); err != nil {
		return nil, err
	}
	if use != KafkaClient {
		if err := t.parseCipherSuites(get(SSLCipherSuites, ""), name(SSLCipherSuites)); err != nil {
			return nil, err
		}
	}
	if use == RESTServer {
		switch v := get(SSLClientAuth, "none"); v {
		case "none":
			t.ClientAuth = tls.NoClientCert
		case "requested":
			t.ClientAuth = tls.VerifyClientCertIfGiven
		case "required":
			t.ClientAuth = tls.RequireAndVerifyClientCert
		default:
			return nil, fmt.Errorf("Invalid value %s for configuration %s: String must be one of: required, requested, none", v, name(SSLClientAuth))
		}
	}
	names := keystores.Kafka.Prefixed(prefix)
	trustType, trustLocation := get(SSLTruststoreType, "JKS"), get(SSLTruststoreLocation, "")
	roots, err := keystores.TrustStore(names, trustType, trustLocation, get(SSLTruststorePassword, ""), get(SSLTruststoreCerts, ""))
	if err != nil {
		return nil, err
	}
	t.Roots = roots
	keyType, keyLocation, keyPassword := get(SSLKeystoreType, "JKS"), get(SSLKeystoreLocation, ""), get(SSLKeystorePassword, "")
	chain, key, err := keystores.KeyStore(names, keyType, keyLocation, keyPassword,
		get(SSLKeyPassword, ""), get(SSLKeystoreKey, ""), get(SSLKeystoreCertChain, ""))
	if err != nil {
		return nil, err
	}
	t.Chain, t.Key = chain, key
	// Jetty, which serves Connect's REST API and sends its requests, trusts
	// what the key store holds when no trust store is given: its key
	// entries' own certificates and its trusted certificate entries.
	if use != KafkaClient && trustLocation == "" && keyLocation != "" && chain != nil {
		t.Roots = []*x509.Certificate{chain[0]}
		if more, err := keystores.TrustStore(names, keyType, keyLocation, keyPassword, ""); err == nil {
			t.Roots = append(t.Roots, more...)
		}
	}
	return t, nil
}

func (t *TLS) parseProtocols(protocol, enabled, prefix string, use TLSUse) error {
	switch protocol {
	case "TLS", "TLSv1.2", "TLSv1.3":
	default:
		return fmt.Errorf("Invalid value %s for configuration %s: use TLSv1.3, TLSv1.2 or TLS", protocol, prefix+SSLProtocol)
	}
	has := map[string]bool{}
	for _, p := range strings.Split(enabled, ",") {
		switch p = strings.TrimSpace(p); p {
		case "TLSv1.2", "TLSv1.3":
			has[p] = true
		case "TLSv1", "TLSv1.1", "SSLv3", "":
			// Disabled by Java 17 and by OpenSSL's defaults alike.
		default:
			return fmt.Errorf("Invalid value %s for configuration %s: unknown protocol %s", enabled, prefix+SSLEnabledProtocols, p)
		}
	}
	// Connect's REST server and client keep Jetty's defaults for an empty
	// list.
	if use != KafkaClient && strings.TrimSpace(enabled) == "" {
		has["TLSv1.2"], has["TLSv1.3"] = true, true
	}
	switch {
	case has["TLSv1.2"] && has["TLSv1.3"]:
		t.MinTLS, t.MaxTLS = tls.VersionTLS12, tls.VersionTLS13
	case has["TLSv1.3"]:
		t.MinTLS, t.MaxTLS = tls.VersionTLS13, tls.VersionTLS13
	case has["TLSv1.2"] && use != KafkaClient:
		t.MinTLS, t.MaxTLS = tls.VersionTLS12, tls.VersionTLS12
	case has["TLSv1.2"]:
		// librdkafka (OpenSSL) offers no setting to keep it from TLS 1.3.
		return fmt.Errorf("Invalid value %s for configuration %s: gonnect's consumers and producers (librdkafka) cannot be kept from negotiating TLSv1.3; include TLSv1.3", enabled, prefix+SSLEnabledProtocols)
	default:
		return fmt.Errorf("Invalid value %s for configuration %s: no protocol this worker can use (TLSv1.2, TLSv1.3)", enabled, prefix+SSLEnabledProtocols)
	}
	return nil
}

// tls13Suites are the TLS 1.3 suites Go offers, always all of them.
var tls13Suites = map[string]bool{"TLS_AES_128_GCM_SHA256": true, "TLS_AES_256_GCM_SHA384": true, "TLS_CHACHA20_POLY1305_SHA256": true}

// parseCipherSuites applies ssl.cipher.suites (IANA names, which Java and
// Go share): the TLS 1.2 suites listed are the only ones offered; listing
// no TLS 1.3 suite disables TLS 1.3 and no TLS 1.2 suite TLS 1.2, as in
// Java. What Go cannot do is refused: choosing among the TLS 1.3 suites,
// and suites Go does not implement.
func (t *TLS) parseCipherSuites(list, name string) error {
	if strings.TrimSpace(list) == "" {
		return nil
	}
	ids := map[string]uint16{}
	for _, c := range tls.CipherSuites() {
		ids[c.Name] = c.ID
	}
	insecure := map[string]bool{}
	for _, c := range tls.InsecureCipherSuites() {
		insecure[c.Name] = true
	}
	var v13 []string
	var v12 []uint16
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case tls13Suites[s]:
			v13 = append(v13, s)
		case ids[s] != 0:
			v12 = append(v12, ids[s])
		case insecure[s]:
			return fmt.Errorf("Invalid value %s for configuration %s: cipher suite %s is insecure and not offered by this worker", list, name, s)
		default:
			return fmt.Errorf("Invalid value %s for configuration %s: cipher suite %s is not available in this worker (Go's crypto/tls)", list, name, s)
		}
	}
	if len(v13) > 0 && len(v13) != len(tls13Suites) {
		return fmt.Errorf("Invalid value %s for configuration %s: Go's TLS 1.3 always offers TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256; list all three or none", list, name)
	}
	if len(v13) == 0 {
		if t.MinTLS > tls.VersionTLS12 {
			return fmt.Errorf("Invalid value %s for configuration %s: no TLS 1.3 cipher suite is listed and TLSv1.2 is not enabled", list, name)
		}
		t.MaxTLS = tls.VersionTLS12
	}
	if len(v12) == 0 {
		if t.MaxTLS < tls.VersionTLS13 {
			return fmt.Errorf("Invalid value %s for configuration %s: no TLS 1.2 cipher suite is listed and TLSv1.3 is not enabled", list, name)
		}
		t.MinTLS = tls.VersionTLS13
	}
	t.CipherSuites = v12
	return nil
}

func (t *TLS) pool() *x509.CertPool {
	if t.Roots == nil {
		return nil
	}
	pool := x509.NewCertPool()
	for _, r := range t.Roots {
		pool.AddCert(r)
	}
	return pool
}

func (t *TLS) certificates() []tls.Certificate {
	if t.Chain == nil {
		return nil
	}
	cert := tls.Certificate{PrivateKey: t.Key, Leaf: t.Chain[0]}
	for _, x := range t.Chain {
		cert.Certificate = append(cert.Certificate, x.Raw)
	}
	return []tls.Certificate{cert}
}

// ClientConfig is the crypto/tls configuration of a client: it trusts
// Roots (the system's when nil), presents the key store's certificate,
// and without hostname verification still verifies the chain.
func (t *TLS) ClientConfig() *tls.Config {
	pool := t.pool()
	c := &tls.Config{MinVersion: t.MinTLS, MaxVersion: t.MaxTLS, CipherSuites: t.CipherSuites, RootCAs: pool, Certificates: t.certificates()}
	if !t.VerifyHostname {
		c.InsecureSkipVerify = true
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, x := range cs.PeerCertificates[1:] {
				inter.AddCert(x)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
			return err
		}
	}
	return c
}

// ServerConfig is the crypto/tls configuration of a REST listener: the
// key store's certificate, and client certificates as ClientAuth asks,
// verified against Roots. It offers HTTP/1.1 only, as Connect's Jetty
// connector does.
func (t *TLS) ServerConfig() *tls.Config {
	return &tls.Config{MinVersion: t.MinTLS, MaxVersion: t.MaxTLS, CipherSuites: t.CipherSuites, Certificates: t.certificates(),
		ClientAuth: t.ClientAuth, ClientCAs: t.pool(), NextProtos: []string{"http/1.1"}}
}
