package cassandra

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/internal/keystores"
)

// The DataStax connector's auth.* and ssl.* settings, read as its
// AuthenticatorConfig and SslConfig and the Java driver read them:
//
//   - auth.provider PLAIN (or a username or password with None) sends
//     auth.username and auth.password to Cassandra's PasswordAuthenticator;
//     GSSAPI (Kerberos) is refused.
//   - ssl.provider JDK reads ssl.truststore.path and ssl.keystore.path as
//     Java does (a JKS or PKCS12 store, told by its content), each with its
//     password (the key's too); gonnect also reads PEM files there.
//   - ssl.provider OpenSSL reads the client certificate from the PEM files
//     ssl.openssl.keyCertChain and ssl.openssl.privateKey and trusts
//     ssl.truststore.path as JDK does; the key store is not used.
//   - ssl.cipherSuites (Java names) and ssl.hostnameValidation apply to
//     both providers; the server chain is checked in every case.
//
// Connection failures are explained by the setting at fault (settingError),
// so a task's trace and /config/validate name it.

// storeNames are the DataStax settings the stores are given in.
var storeNames = keystores.Names{
	TrustLocation: "ssl.truststore.path", TrustPassword: "ssl.truststore.password",
	KeyLocation: "ssl.keystore.path", KeyPassword: "ssl.keystore.password", KeyKeyPassword: "ssl.keystore.password",
}

// storePaths are the file settings DataStax checks, whatever the provider.
var storePaths = []string{"ssl.keystore.path", "ssl.truststore.path", "ssl.openssl.privateKey", "ssl.openssl.keyCertChain"}

// settingError is a problem of one setting; validation reports it there.
type settingError struct {
	key string
	err error
}

func (e *settingError) Error() string { return e.err.Error() }
func (e *settingError) Unwrap() error { return e.err }

func settingErr(key, format string, args ...any) error {
	return &settingError{key: key, err: fmt.Errorf(format, args...)}
}

// settingOf is the setting err is about, or def.
func settingOf(err error, def string) string {
	var se *settingError
	if errors.As(err, &se) {
		return se.key
	}
	return def
}

// authProviders is auth.provider's validator: DataStax's values, with the
// name earlier connector versions gave PLAIN pointed to it.
var authProviders = configdef.ValidatorFunc{Desc: "[None, PLAIN, GSSAPI]", Fn: func(_ string, v any) error {
	switch s, _ := v.(string); strings.ToUpper(s) {
	case "NONE", "PLAIN", "GSSAPI":
		return nil
	case "DSE":
		return fmt.Errorf("String must be one of: None, PLAIN, GSSAPI (DSE is what earlier versions of the connector called username/password authentication: use PLAIN)")
	}
	return fmt.Errorf("String must be one of: None, PLAIN, GSSAPI")
}}

// checkSecuritySettings makes the checks DataStax makes when it reads the
// settings, without reading the stores: the provider, the username, the
// files named (they must be readable files, whatever the provider) and
// the OpenSSL pair.
func checkSecuritySettings(v configdef.Values) error {
	if strings.EqualFold(v.String("auth.provider"), "GSSAPI") {
		return settingErr("auth.provider", "Invalid value GSSAPI for configuration auth.provider: GSSAPI (Kerberos) authentication is not supported; use PLAIN with auth.username and auth.password")
	}
	if usesPassword(v) && v.Password("auth.password") != "" && v.String("auth.username") == "" {
		return settingErr("auth.password", "auth.password was specified without auth.username")
	}
	for _, k := range storePaths {
		if err := accessibleFile(k, v.String(k)); err != nil {
			return err
		}
	}
	if strings.EqualFold(v.String("ssl.provider"), "OpenSSL") {
		chain, key := v.String("ssl.openssl.keyCertChain"), v.String("ssl.openssl.privateKey")
		if (chain == "") != (key == "") {
			missing := "ssl.openssl.keyCertChain"
			if key == "" {
				missing = "ssl.openssl.privateKey"
			}
			return settingErr(missing, "ssl.openssl.keyCertChain cannot be set without ssl.openssl.privateKey and vice-versa: %s is not set", missing)
		}
	}
	return nil
}

// usesPassword is DataStax's rule: PLAIN, or a username or password given
// with the provider left at None.
func usesPassword(v configdef.Values) bool {
	return strings.EqualFold(v.String("auth.provider"), "PLAIN") ||
		(strings.EqualFold(v.String("auth.provider"), "None") && (v.String("auth.username") != "" || v.Password("auth.password") != ""))
}

// accessibleFile is DataStax's check of a file setting.
func accessibleFile(key, path string) error {
	if path == "" {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	fi, err := os.Stat(abs)
	switch {
	case err != nil && errors.Is(err, os.ErrNotExist):
		return settingErr(key, "Invalid value %s for configuration %s: does not exist", abs, key)
	case err != nil:
		return settingErr(key, "Invalid value %s for configuration %s: is not readable (%v)", abs, key, err)
	case !fi.Mode().IsRegular():
		return settingErr(key, "Invalid value %s for configuration %s: is not a file", abs, key)
	}
	f, err := os.Open(abs)
	if err != nil {
		return settingErr(key, "Invalid value %s for configuration %s: is not readable (%v)", abs, key, err)
	}
	return f.Close()
}

// security is what the auth.* and ssl.* settings give the driver.
type security struct {
	auth     *plainAuth  // nil without authentication
	tls      *tls.Config // nil without TLS
	provider string      // ssl.provider, lower case
	notes    []string    // settings the provider ignores, as DataStax does
}

// securityOf reads the auth.* and ssl.* settings, stores included.
func securityOf(v configdef.Values) (*security, error) {
	if err := checkSecuritySettings(v); err != nil {
		return nil, err
	}
	s := &security{provider: strings.ToLower(v.String("ssl.provider"))}
	if usesPassword(v) {
		s.auth = &plainAuth{PasswordAuthenticator: gocql.PasswordAuthenticator{Username: v.String("auth.username"), Password: v.Password("auth.password")}, state: &authState{}}
	}
	if s.provider == "none" {
		return s, nil
	}
	tc, notes, err := tlsConfig(v, s.provider)
	if err != nil {
		return nil, err
	}
	s.tls, s.notes = tc, notes
	return s, nil
}

// tlsConfig builds the TLS settings of the provider (jdk or openssl).
// Without hostname validation the server's chain is still verified
// against the trusted CAs, as the Java driver does; Go can only skip
// both, so the chain is then checked by hand.
func tlsConfig(v configdef.Values, provider string) (*tls.Config, []string, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	var notes []string
	if p := v.String("ssl.truststore.path"); p != "" {
		certs, err := keystores.TrustStore(storeNames, keystores.ByContent, p, v.Password("ssl.truststore.password"), "")
		if err != nil {
			return nil, nil, &settingError{key: "ssl.truststore.path", err: err}
		}
		tc.RootCAs = x509.NewCertPool()
		for _, c := range certs {
			tc.RootCAs.AddCert(c)
		}
	}
	switch provider {
	case "jdk":
		if p := v.String("ssl.keystore.path"); p != "" {
			chain, key, err := keystores.KeyStore(storeNames, keystores.ByContent, p, v.Password("ssl.keystore.password"), "", "", "")
			if err != nil {
				return nil, nil, &settingError{key: "ssl.keystore.path", err: err}
			}
			cert := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
			for _, c := range chain {
				cert.Certificate = append(cert.Certificate, c.Raw)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		for _, k := range []string{"ssl.openssl.keyCertChain", "ssl.openssl.privateKey"} {
			if v.String(k) != "" {
				notes = append(notes, k+" is not used with ssl.provider JDK (as in the DataStax connector): the client certificate comes from ssl.keystore.path")
			}
		}
	case "openssl":
		if cert, key := v.String("ssl.openssl.keyCertChain"), v.String("ssl.openssl.privateKey"); cert != "" {
			pair, err := tls.LoadX509KeyPair(cert, key)
			if err != nil {
				return nil, nil, settingErr("ssl.openssl.keyCertChain", "Invalid certificate or private key (ssl.openssl.keyCertChain %s, ssl.openssl.privateKey %s): %w", cert, key, err)
			}
			tc.Certificates = []tls.Certificate{pair}
		}
		if v.String("ssl.keystore.path") != "" {
			notes = append(notes, "ssl.keystore.path is not used with ssl.provider OpenSSL (as in the DataStax connector): the client certificate comes from ssl.openssl.keyCertChain and ssl.openssl.privateKey")
		}
	}
	if err := applyCipherSuites(tc, v.List("ssl.cipherSuites")); err != nil {
		return nil, nil, err
	}
	if !v.Bool("ssl.hostnameValidation") {
		tc.InsecureSkipVerify = true
		roots := tc.RootCAs
		tc.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			return verifyChain(raw, roots)
		}
	}
	return tc, notes, nil
}

// verifyChain checks a peer's certificate chain against roots (the system
// pool when nil), ignoring the host name.
func verifyChain(raw [][]byte, roots *x509.CertPool) error {
	if len(raw) == 0 {
		return fmt.Errorf("the server sent no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, r := range raw {
		c, err := x509.ParseCertificate(r)
		if err != nil {
			return fmt.Errorf("parsing the server certificate: %w", err)
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter}); err != nil {
		return fmt.Errorf("verifying the server certificate %s: %w", certs[0].Subject, err)
	}
	return nil
}

// tls13Suites are TLS 1.3's cipher suites, which Go always enables together.
var tls13Suites = map[string]bool{"TLS_AES_128_GCM_SHA256": true, "TLS_AES_256_GCM_SHA384": true, "TLS_CHACHA20_POLY1305_SHA256": true}

// goSuites are the TLS 1.2 cipher suites Go implements, by their IANA
// names (which Java's are, SSL_ aliases aside).
var goSuites = func() map[string]uint16 {
	m := map[string]uint16{}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if !tls13Suites[s.Name] {
			m[s.Name] = s.ID
		}
	}
	return m
}()

// applyCipherSuites enables the ssl.cipherSuites given by their Java names,
// as the driver's engine.setEnabledCipherSuites does. Java negotiates TLS
// 1.3 only when a TLS 1.3 suite is enabled, so a list without one stops
// at TLS 1.2, and a list of TLS 1.3 suites only starts there; Go cannot
// enable some TLS 1.3 suites without the others, nor the suites Java
// disables (RC4, 3DES), nor the ones it does not implement: those are
// refused, naming them.
func applyCipherSuites(tc *tls.Config, names []string) error {
	var ids []uint16
	var tls13, unknown, disabled, partial []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		name := n
		if strings.HasPrefix(name, "SSL_") {
			name = "TLS_" + strings.TrimPrefix(name, "SSL_")
		}
		switch id, ok := goSuites[name]; {
		case n == "" || n == "TLS_EMPTY_RENEGOTIATION_INFO_SCSV":
			// A signalling value, not a suite: Go signals secure renegotiation itself.
		case tls13Suites[name]:
			tls13 = append(tls13, name)
		case strings.Contains(name, "_RC4_") || strings.Contains(name, "_3DES_"):
			disabled = append(disabled, n)
		case !ok:
			unknown = append(unknown, n)
		default:
			ids = append(ids, id)
		}
	}
	if len(tls13) > 0 {
		for s := range tls13Suites {
			if !slices.Contains(tls13, s) {
				partial = append(partial, s)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	all := strings.Join(names, ",")
	switch {
	case len(unknown) > 0:
		return settingErr("ssl.cipherSuites", "Invalid value %s for configuration ssl.cipherSuites: %s: not a cipher suite gonnect's TLS (Go's crypto/tls) implements; it implements %s", all, strings.Join(unknown, ", "), strings.Join(supportedSuites(), ", "))
	case len(disabled) > 0:
		return settingErr("ssl.cipherSuites", "Invalid value %s for configuration ssl.cipherSuites: %s: Java disables RC4 and 3DES suites (jdk.tls.disabledAlgorithms), so the DataStax connector never negotiates them either", all, strings.Join(disabled, ", "))
	case len(partial) > 0:
		return settingErr("ssl.cipherSuites", "Invalid value %s for configuration ssl.cipherSuites: Go enables TLS 1.3's suites together: list all of TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256 or none (missing: %s)", all, strings.Join(slices.Sorted(slices.Values(partial)), ", "))
	case len(ids) == 0 && len(tls13) == 0:
		return settingErr("ssl.cipherSuites", "Invalid value %s for configuration ssl.cipherSuites: no cipher suite", all)
	}
	tc.CipherSuites = ids
	if len(tls13) == 0 {
		tc.MaxVersion = tls.VersionTLS12
	}
	if len(ids) == 0 {
		tc.MinVersion = tls.VersionTLS13
	}
	return nil
}

func supportedSuites() []string {
	var out []string
	for n := range goSuites {
		if !strings.Contains(n, "_RC4_") && !strings.Contains(n, "_3DES_") {
			out = append(out, n)
		}
	}
	for n := range tls13Suites {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// plainAuth is gocql's PasswordAuthenticator noting whether Cassandra
// asked for the credentials and accepted them, so a session that cannot
// be opened is known to have been refused them.
type plainAuth struct {
	gocql.PasswordAuthenticator
	state *authState
}

type authState struct {
	mu                   sync.Mutex
	challenged, accepted bool
}

// Challenge implements gocql.Authenticator.
func (a *plainAuth) Challenge(req []byte) ([]byte, gocql.Authenticator, error) {
	resp, _, err := a.PasswordAuthenticator.Challenge(req)
	a.state.mu.Lock()
	a.state.challenged = true
	a.state.mu.Unlock()
	return resp, a, err
}

// Success implements gocql.Authenticator.
func (a *plainAuth) Success([]byte) error {
	a.state.mu.Lock()
	a.state.accepted = true
	a.state.mu.Unlock()
	return nil
}

// refused reports that Cassandra asked for credentials and accepted none.
func (a *plainAuth) refused() bool {
	if a == nil {
		return false
	}
	a.state.mu.Lock()
	defer a.state.mu.Unlock()
	return a.state.challenged && !a.state.accepted
}

// tlsDialer dials hosts over TLS as gocql's own dialer does, keeping the
// first failed handshake's error whole, so a refused connection can be
// explained by the setting at fault.
type tlsDialer struct {
	dialer net.Dialer
	config *tls.Config
	mu     sync.Mutex
	failed error
	// certAsked is set once a node asked for a client certificate: under
	// TLS 1.3 a node that refuses the one sent (or its absence) says so
	// only after the handshake, and gocql may report that as a connection
	// that closed during its startup rather than as the TLS alert.
	certAsked bool
}

// DialHost implements gocql.HostDialer.
func (d *tlsDialer) DialHost(ctx context.Context, host *gocql.HostInfo) (*gocql.DialedHost, error) {
	conn, err := d.dialer.DialContext(ctx, "tcp", host.ConnectAddressAndPort())
	if err != nil {
		return nil, err
	}
	cfg := d.config.Clone()
	certs := cfg.Certificates
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		d.mu.Lock()
		d.certAsked = true
		d.mu.Unlock()
		if len(certs) > 0 {
			return &certs[0], nil
		}
		return &tls.Certificate{}, nil // none: the node decides
	}
	dh, err := gocql.WrapTLS(ctx, conn, host.HostnameAndPort(), cfg)
	if err != nil {
		d.record(err)
	}
	return dh, err
}

func (d *tlsDialer) record(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failed == nil {
		d.failed = err
	}
}

func (d *tlsDialer) askedForCert() bool {
	if d == nil {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.certAsked
}

func (d *tlsDialer) handshakeError() error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failed
}

// explainConnect turns a session that could not be opened into an error
// naming the setting at fault and the reason, when the cause is the
// credentials or the TLS settings.
func explainConnect(v configdef.Values, s *security, d *tlsDialer, hosts []string, err error) error {
	at := strings.Join(hosts, ",")
	hs := d.handshakeError()
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var notTLS tls.RecordHeaderError
	msg := err.Error()
	switch {
	case hs != nil && errors.As(hs, &hostErr):
		return settingErr("ssl.hostnameValidation", "the certificate of Cassandra at %s is not valid for the address it was reached at (ssl.hostnameValidation=true checks it; contact it by a name or address the certificate holds): %w", at, hs)
	case hs != nil && (errors.As(hs, &authErr) || errors.As(hs, &invalid)):
		trust := "the system's certificate authorities (set ssl.truststore.path to the store of the CA that signed it)"
		if p := v.String("ssl.truststore.path"); p != "" {
			trust = "ssl.truststore.path " + p
		}
		return settingErr("ssl.truststore.path", "the certificate of Cassandra at %s is not trusted by %s: %w", at, trust, hs)
	case hs != nil && errors.As(hs, &notTLS):
		return settingErr("ssl.provider", "Cassandra at %s did not answer in TLS (ssl.provider=%s): is client encryption enabled on that port? %w", at, v.String("ssl.provider"), hs)
	case s.tls != nil && (strings.Contains(msg, "remote error: tls: ") ||
		d.askedForCert() && !s.auth.refused() && !strings.Contains(msg, "authentication required")):
		alert := "it closed the connection after asking for a client certificate: " + msg
		if i := strings.Index(msg, "remote error: tls: "); i >= 0 {
			alert = msg[i+len("remote error: tls: "):]
		}
		key, given := "ssl.keystore.path", v.String("ssl.keystore.path")
		if s.provider == "openssl" {
			key, given = "ssl.openssl.keyCertChain", v.String("ssl.openssl.keyCertChain")
		}
		if len(s.tls.Certificates) == 0 {
			return settingErr(key, "Cassandra at %s requires a client certificate (it ended the TLS session: %s): set ssl.keystore.path and ssl.keystore.password (ssl.provider JDK), or ssl.openssl.keyCertChain and ssl.openssl.privateKey (OpenSSL)", at, alert)
		}
		return settingErr(key, "Cassandra at %s refused the client certificate of %s %s (it ended the TLS session: %s): its client_encryption_options truststore does not trust it", at, key, given, alert)
	case hs != nil:
		return settingErr("ssl.provider", "the TLS handshake with Cassandra at %s failed: %w", at, hs)
	case s.auth.refused():
		return settingErr("auth.password", "Cassandra at %s refused the credentials of auth.username %s (wrong auth.username or auth.password): %w", at, v.String("auth.username"), err)
	case s.auth == nil && strings.Contains(msg, "authentication required"):
		return settingErr("auth.provider", "Cassandra at %s requires authentication: set auth.username and auth.password (auth.provider PLAIN): %w", at, err)
	case s.tls == nil && (strings.Contains(msg, "EOF") || strings.Contains(msg, "connection reset")):
		return settingErr("ssl.provider", "connecting to Cassandra at %s: %w (if its client encryption is enabled, set ssl.provider)", at, err)
	}
	return fmt.Errorf("connecting to Cassandra at %v: %w", hosts, err)
}
