package cassandra

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/gonnect/gonnect/connectors/configdef"
)

const storePass = "store-secret"

// stores is a CA, a server certificate for 127.0.0.1 only, and client
// certificates of that CA and of another, written as the stores DataStax
// users give: JKS, PKCS12 and PEM.
type stores struct {
	dir    string
	server tls.Certificate
	ca     *x509.CertPool
	file   map[string]string // name → path
}

func newStores(t *testing.T) *stores {
	t.Helper()
	s := &stores{dir: t.TempDir(), file: map[string]string{}, ca: x509.NewCertPool()}
	serial := int64(1)
	issue := func(cn string, ips []net.IP, isCA bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		serial++
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, IPAddresses: ips,
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: isCA, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c, key
	}
	write := func(name string, data []byte) {
		s.file[name] = filepath.Join(s.dir, name)
		if err := os.WriteFile(s.file[name], data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pemOf := func(certs ...*x509.Certificate) []byte {
		var b bytes.Buffer
		for _, c := range certs {
			_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		}
		return b.Bytes()
	}
	trust := func(name string, ca *x509.Certificate) {
		ks := keystore.New()
		if err := ks.SetTrustedCertificateEntry("ca", keystore.TrustedCertificateEntry{CreationTime: time.Now(),
			Certificate: keystore.Certificate{Type: "X509", Content: ca.Raw}}); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := ks.Store(&b, []byte(storePass)); err != nil {
			t.Fatal(err)
		}
		write(name+".jks", b.Bytes())
		p12, err := pkcs12.Modern.EncodeTrustStore([]*x509.Certificate{ca}, storePass)
		if err != nil {
			t.Fatal(err)
		}
		write(name+".p12", p12)
		write(name+".pem", pemOf(ca))
	}
	keys := func(name string, cert *x509.Certificate, key *ecdsa.PrivateKey, ca *x509.Certificate) {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		ks := keystore.New()
		if err := ks.SetPrivateKeyEntry(name, keystore.PrivateKeyEntry{CreationTime: time.Now(), PrivateKey: der,
			CertificateChain: []keystore.Certificate{{Type: "X509", Content: cert.Raw}, {Type: "X509", Content: ca.Raw}}}, []byte(storePass)); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := ks.Store(&b, []byte(storePass)); err != nil {
			t.Fatal(err)
		}
		write(name+".jks", b.Bytes())
		p12, err := pkcs12.Modern.Encode(key, cert, []*x509.Certificate{ca}, storePass)
		if err != nil {
			t.Fatal(err)
		}
		write(name+".p12", p12)
		enc, err := pkcs8.MarshalPrivateKey(key, []byte(storePass), nil)
		if err != nil {
			t.Fatal(err)
		}
		write(name+"-keystore.pem", append(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: enc}), pemOf(cert, ca)...))
		write(name+".crt", pemOf(cert, ca))
		write(name+".key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	ca, caKey := issue("stores CA", nil, true, nil, nil)
	other, otherKey := issue("other CA", nil, true, nil, nil)
	s.ca.AddCert(ca)
	trust("truststore", ca)
	trust("other-truststore", other)
	srv, srvKey := issue("node", []net.IP{net.IPv4(127, 0, 0, 1)}, false, ca, caKey)
	s.server = tls.Certificate{Certificate: [][]byte{srv.Raw, ca.Raw}, PrivateKey: srvKey}
	client, clientKey := issue("client", nil, false, ca, caKey)
	keys("client", client, clientKey, ca)
	stranger, strangerKey := issue("stranger", nil, false, other, otherKey)
	keys("stranger", stranger, strangerKey, other)
	return s
}

// serve runs a TLS server on loopback that writes the common name of the
// client certificate it verified ("-" for none) and closes.
func (s *stores) serve(t *testing.T, clientAuth tls.ClientAuthType) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{s.server}, ClientAuth: clientAuth, ClientCAs: s.ca})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := c.(*tls.Conn)
				_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
				if tc.Handshake() != nil {
					return
				}
				cn := "-"
				if pc := tc.ConnectionState().PeerCertificates; len(pc) > 0 {
					cn = pc[0].Subject.CommonName
				}
				_, _ = tc.Write([]byte(cn))
			}()
		}
	}()
	return ln.Addr().String()
}

// dial connects as gocql's dialer does with the sink's TLS settings (the
// handshake's failure recorded in d when given) and returns the client
// certificate name the server saw.
func dial(t *testing.T, addr string, tc *tls.Config, d *tlsDialer) (string, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	dh, err := gocql.WrapTLS(ctx, conn, addr, tc)
	if err != nil {
		if d != nil {
			d.record(err)
		}
		return "", err
	}
	defer dh.Conn.Close()
	_ = dh.Conn.SetDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 64)
	n, err := dh.Conn.Read(b)
	if n > 0 {
		return string(b[:n]), nil // the server closes after it wrote
	}
	return "", err
}

func securityFor(t *testing.T, cfg map[string]string) (configdef.Values, *security, error) {
	t.Helper()
	v, err := configDef.Parse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := securityOf(v)
	return v, s, err
}

// TestTLSHandshakesWithDataStaxStores: the stores DataStax users give (JKS
// and PKCS12, PEM too) make TLS sessions with a server, presenting the
// client certificate of the key store (JDK) or of the OpenSSL files.
func TestTLSHandshakesWithDataStaxStores(t *testing.T) {
	s := newStores(t)
	addr := s.serve(t, tls.VerifyClientCertIfGiven)
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, c := range []struct {
		name   string
		cfg    map[string]string
		wantCN string
	}{
		{"JDK, JKS trust store", with("ssl.provider", "JDK", "ssl.truststore.path", s.file["truststore.jks"], "ssl.truststore.password", storePass), "-"},
		{"JDK, PKCS12 trust store", with("ssl.provider", "JDK", "ssl.truststore.path", s.file["truststore.p12"], "ssl.truststore.password", storePass), "-"},
		{"JDK, PEM trust store", with("ssl.provider", "JDK", "ssl.truststore.path", s.file["truststore.pem"]), "-"},
		{"JDK, JKS key store", with("ssl.provider", "JDK", "ssl.truststore.path", s.file["truststore.jks"], "ssl.truststore.password", storePass,
			"ssl.keystore.path", s.file["client.jks"], "ssl.keystore.password", storePass), "client"},
		{"JDK, PKCS12 key store", with("ssl.provider", "JDK", "ssl.truststore.path", s.file["truststore.p12"], "ssl.truststore.password", storePass,
			"ssl.keystore.path", s.file["client.p12"], "ssl.keystore.password", storePass), "client"},
		{"JDK, PEM key store with an encrypted key", with("ssl.provider", "JDK", "ssl.truststore.path", s.file["truststore.pem"],
			"ssl.keystore.path", s.file["client-keystore.pem"], "ssl.keystore.password", storePass), "client"},
		{"OpenSSL, PEM files, JKS trust store", with("ssl.provider", "OpenSSL", "ssl.truststore.path", s.file["truststore.jks"], "ssl.truststore.password", storePass,
			"ssl.openssl.keyCertChain", s.file["client.crt"], "ssl.openssl.privateKey", s.file["client.key"]), "client"},
		{"OpenSSL ignores the key store", with("ssl.provider", "OpenSSL", "ssl.truststore.path", s.file["truststore.jks"], "ssl.truststore.password", storePass,
			"ssl.keystore.path", s.file["client.jks"], "ssl.keystore.password", storePass), "-"},
		{"cipher suites by Java name, TLS 1.2", with("ssl.provider", "JDK", "ssl.truststore.path", s.file["truststore.pem"],
			"ssl.cipherSuites", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_EMPTY_RENEGOTIATION_INFO_SCSV"), "-"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, sec, err := securityFor(t, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			cn, err := dial(t, addr, sec.tls, nil)
			if err != nil || cn != c.wantCN {
				t.Fatalf("client certificate %q, %v; want %q", cn, err, c.wantCN)
			}
		})
	}
}

// TestTLSRefusalsNameTheSetting: a wrong store password, an untrusted or
// misnamed server certificate and a client certificate the server refuses
// or misses are errors naming the setting at fault.
func TestTLSRefusalsNameTheSetting(t *testing.T) {
	s := newStores(t)
	trusted := []string{"ssl.provider", "JDK", "ssl.truststore.path", s.file["truststore.jks"], "ssl.truststore.password", storePass}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	// Reading the stores.
	for _, c := range []struct {
		name      string
		cfg       map[string]string
		key, want string
	}{
		{"wrong trust store password", with("ssl.provider", "JDK", "ssl.truststore.path", s.file["truststore.jks"], "ssl.truststore.password", "nope"),
			"ssl.truststore.path", "(wrong ssl.truststore.password?)"},
		{"JKS trust store without its password", with("ssl.provider", "OpenSSL", "ssl.truststore.path", s.file["truststore.jks"]),
			"ssl.truststore.path", "configuration ssl.truststore.password is required to read the JKS trust store"},
		{"wrong key store password", with(append(trusted, "ssl.keystore.path", s.file["client.p12"], "ssl.keystore.password", "nope")...),
			"ssl.keystore.path", "(wrong ssl.keystore.password?)"},
		{"an encrypted PEM key without the password", with(append(trusted, "ssl.keystore.path", s.file["client-keystore.pem"])...),
			"ssl.keystore.path", "is encrypted: set ssl.keystore.password"},
		{"a key store that is missing", with(append(trusted, "ssl.keystore.path", filepath.Join(s.dir, "none.jks"))...),
			"ssl.keystore.path", "Invalid value " + filepath.Join(s.dir, "none.jks") + " for configuration ssl.keystore.path: does not exist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := securityFor(t, c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) || settingOf(err, "") != c.key {
				t.Fatalf("error %v on %q, want %q on %s", err, settingOf(err, ""), c.want, c.key)
			}
		})
	}

	// Connecting: the handshake's failure, as the session reports it.
	required := s.serve(t, tls.RequireAndVerifyClientCert)
	for _, c := range []struct {
		name      string
		cfg       map[string]string
		addr      string
		key, want string
	}{
		{"untrusted server certificate", with("ssl.provider", "JDK", "ssl.truststore.path", s.file["other-truststore.p12"], "ssl.truststore.password", storePass,
			"ssl.keystore.path", s.file["client.jks"], "ssl.keystore.password", storePass), required,
			"ssl.truststore.path", "is not trusted by ssl.truststore.path " + s.file["other-truststore.p12"]},
		{"untrusted server certificate without hostname validation", with("ssl.provider", "JDK", "ssl.truststore.path", s.file["other-truststore.pem"],
			"ssl.hostnameValidation", "false", "ssl.keystore.path", s.file["client.jks"], "ssl.keystore.password", storePass), required,
			"ssl.truststore.path", "is not trusted by ssl.truststore.path " + s.file["other-truststore.pem"]},
		{"server certificate for another name", with(append(trusted, "ssl.keystore.path", s.file["client.jks"], "ssl.keystore.password", storePass)...),
			strings.Replace(required, "127.0.0.1", "localhost", 1), "ssl.hostnameValidation", "is not valid for the address it was reached at"},
		{"no client certificate", with(trusted...), required,
			"ssl.keystore.path", "requires a client certificate"},
		{"an untrusted client certificate", with(append(trusted, "ssl.keystore.path", s.file["stranger.jks"], "ssl.keystore.password", storePass)...), required,
			"ssl.keystore.path", "refused the client certificate of ssl.keystore.path " + s.file["stranger.jks"]},
		{"an untrusted OpenSSL client certificate", with("ssl.provider", "OpenSSL", "ssl.truststore.path", s.file["truststore.pem"],
			"ssl.openssl.keyCertChain", s.file["stranger.crt"], "ssl.openssl.privateKey", s.file["stranger.key"]), required,
			"ssl.openssl.keyCertChain", "refused the client certificate of ssl.openssl.keyCertChain " + s.file["stranger.crt"]},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, sec, err := securityFor(t, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			d := &tlsDialer{config: sec.tls}
			if _, err = dial(t, c.addr, sec.tls, d); err == nil {
				t.Fatal("connected")
			}
			// gocql flattens the error into its own message.
			err = explainConnect(v, sec, d, []string{c.addr}, errors.New("gocql: unable to create session: unable to discover protocol version: "+err.Error()))
			if !strings.Contains(err.Error(), c.want) || settingOf(err, "") != c.key {
				t.Fatalf("error %v on %q, want %q on %s", err, settingOf(err, ""), c.want, c.key)
			}
		})
	}
}

// TestCassandraCredentialsRefused: credentials Cassandra asked for and did
// not accept are reported on auth.password; a server that wants
// credentials none were given for on auth.provider.
func TestCassandraCredentialsRefused(t *testing.T) {
	v, sec, err := securityFor(t, map[string]string{"auth.username": "writer", "auth.password": "wrong"})
	if err != nil || sec.auth == nil {
		t.Fatal(err, sec)
	}
	if _, next, err := sec.auth.Challenge([]byte("org.apache.cassandra.auth.PasswordAuthenticator")); err != nil || next == nil {
		t.Fatal(err)
	}
	err = explainConnect(v, sec, nil, []string{"127.0.0.1:9142"}, errors.New("gocql: unable to create session: Provided username writer and/or password are incorrect"))
	if settingOf(err, "") != "auth.password" || !strings.Contains(err.Error(), "refused the credentials of auth.username writer") {
		t.Fatalf("refused credentials: %v on %q", err, settingOf(err, ""))
	}
	// Accepted credentials, then another failure: not about them.
	_ = sec.auth.Success(nil)
	if err := explainConnect(v, sec, nil, []string{"h:1"}, errors.New("timeout")); settingOf(err, "") != "" {
		t.Fatalf("accepted credentials blamed: %v", err)
	}
	v, sec, _ = securityFor(t, map[string]string{})
	err = explainConnect(v, sec, nil, []string{"h:1"}, errors.New(`unable to discover protocol version: authentication required (using "org.apache.cassandra.auth.PasswordAuthenticator")`))
	if settingOf(err, "") != "auth.provider" || !strings.Contains(err.Error(), "requires authentication: set auth.username and auth.password") {
		t.Fatalf("missing credentials: %v on %q", err, settingOf(err, ""))
	}
}

// TestSecuritySettingsRefusedLikeDataStax: the auth.* and ssl.* settings
// DataStax refuses, and those gonnect cannot honour, fail the connector at
// start with a message naming the setting.
func TestSecuritySettingsRefusedLikeDataStax(t *testing.T) {
	const m = "topic.t.ks.tbl.mapping"
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		cfg  map[string]string
		want string // "" accepted
	}{
		{"PLAIN", map[string]string{"auth.provider": "PLAIN", "auth.username": "u", "auth.password": "p"}, ""},
		{"GSSAPI", map[string]string{"auth.provider": "GSSAPI"},
			"Invalid value GSSAPI for configuration auth.provider: GSSAPI (Kerberos) authentication is not supported; use PLAIN with auth.username and auth.password"},
		{"GSSAPI settings", map[string]string{"auth.gssapi.keyTab": "/k.keytab"},
			"Invalid value /k.keytab for configuration auth.gssapi.keyTab: GSSAPI (Kerberos) authentication is not supported; use auth.provider PLAIN with auth.username and auth.password"},
		{"the DSE provider of earlier versions", map[string]string{"auth.provider": "DSE"},
			"Invalid value DSE for configuration auth.provider: String must be one of: None, PLAIN, GSSAPI (DSE is what earlier versions of the connector called username/password authentication: use PLAIN)"},
		{"an unknown provider", map[string]string{"auth.provider": "LDAP"}, "Invalid value LDAP for configuration auth.provider: String must be one of: None, PLAIN, GSSAPI"},
		{"a password without a username", map[string]string{"auth.password": "p"}, "auth.password was specified without auth.username"},
		{"a trust store that is missing, whatever the provider", map[string]string{"ssl.truststore.path": filepath.Join(dir, "ts.jks")},
			"Invalid value " + filepath.Join(dir, "ts.jks") + " for configuration ssl.truststore.path: does not exist"},
		{"a key file that is a directory", map[string]string{"ssl.openssl.privateKey": dir}, "Invalid value " + dir + " for configuration ssl.openssl.privateKey: is not a file"},
		{"a cloud bundle", map[string]string{"cloud.secureConnectBundle": "/b.zip"},
			"Invalid value /b.zip for configuration cloud.secureConnectBundle: connecting through a cloud secure connect bundle is not supported; use contactPoints, loadBalancing.localDc and ssl.*"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := map[string]string{m: "id=key"}
			for k, v := range c.cfg {
				cfg[k] = v
			}
			err := (&Connector{}).Start(t.Context(), cfg)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.want != "" && (err == nil || err.Error() != c.want):
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

// TestCipherSuitesFromJavaNames: ssl.cipherSuites by Java names enable Go's
// suites; Java's TLS 1.3 rule (a list without TLS 1.3 suites stops at TLS
// 1.2) holds; what Go cannot honour is refused, naming it.
func TestCipherSuitesFromJavaNames(t *testing.T) {
	for _, c := range []struct {
		name     string
		list     []string
		ids      []uint16
		min, max uint16
		want     string
	}{
		{"TLS 1.2 suites", []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
			[]uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}, tls.VersionTLS12, tls.VersionTLS12, ""},
		{"Java's SSL_ alias and the renegotiation signal", []string{"SSL_RSA_WITH_AES_128_CBC_SHA", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
			[]uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}, tls.VersionTLS12, tls.VersionTLS12, ""},
		{"TLS 1.3 and 1.2", []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
			[]uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}, tls.VersionTLS12, 0, ""},
		{"TLS 1.3 only", []string{"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"}, nil, tls.VersionTLS13, 0, ""},
		{"some TLS 1.3 suites", []string{"TLS_AES_256_GCM_SHA384"}, nil, 0, 0,
			"Go enables TLS 1.3's suites together: list all of TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256 or none (missing: TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256)"},
		{"a suite Go lacks", []string{"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"}, nil, 0, 0,
			"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: not a cipher suite gonnect's TLS (Go's crypto/tls) implements; it implements TLS_AES_128_GCM_SHA256, "},
		{"a suite Java disables", []string{"SSL_RSA_WITH_3DES_EDE_CBC_SHA"}, nil, 0, 0, "Java disables RC4 and 3DES suites"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tc := &tls.Config{MinVersion: tls.VersionTLS12}
			err := applyCipherSuites(tc, c.list)
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) || settingOf(err, "") != "ssl.cipherSuites" {
					t.Fatalf("error %v, want %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.CipherSuites) != len(c.ids) || tc.MinVersion != c.min || tc.MaxVersion != c.max {
				t.Fatalf("suites %v, versions %x-%x; want %v, %x-%x", tc.CipherSuites, tc.MinVersion, tc.MaxVersion, c.ids, c.min, c.max)
			}
			for i := range c.ids {
				if tc.CipherSuites[i] != c.ids[i] {
					t.Fatalf("suites %v, want %v", tc.CipherSuites, c.ids)
				}
			}
		})
	}
}

// TestSessionKeyTellsSecretsApart: configurations that differ only in a
// password do not share a session (a password's String is [hidden]).
func TestSessionKeyTellsSecretsApart(t *testing.T) {
	keyOf := func(kv ...string) string {
		cfg := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			cfg[kv[i]] = kv[i+1]
		}
		v, err := configDef.Parse(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return sessionKey("c", v)
	}
	for _, k := range []string{"auth.password", "ssl.keystore.password", "ssl.truststore.password"} {
		if keyOf(k, "one") == keyOf(k, "two") {
			t.Errorf("%s: one session for two passwords", k)
		}
	}
	if a, b := keyOf("auth.password", "same"), keyOf("auth.password", "same"); a != b {
		t.Error("equal configurations get two sessions")
	}
}
