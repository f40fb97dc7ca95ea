package cassandra

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func clusterFor(t *testing.T, cfg map[string]string) (*gocql.ClusterConfig, error) {
	t.Helper()
	v, err := configDef.Parse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := clusterConfig(v)
	return c, err
}

// tlsOf is the TLS configuration a cluster configuration dials with (nil
// without TLS).
func tlsOf(t *testing.T, c *gocql.ClusterConfig) *tls.Config {
	t.Helper()
	if c.HostDialer == nil {
		return nil
	}
	d, ok := c.HostDialer.(*tlsDialer)
	if !ok {
		t.Fatalf("host dialer %T", c.HostDialer)
	}
	return d.config
}

func TestAuthSettingsGivePasswordAuthenticator(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  map[string]string
		want gocql.Authenticator
	}{
		{"PLAIN", map[string]string{"auth.provider": "PLAIN", "auth.username": "cassandra", "auth.password": "s3cret"},
			gocql.PasswordAuthenticator{Username: "cassandra", Password: "s3cret"}},
		{"username without provider means PLAIN", map[string]string{"auth.username": "u", "auth.password": "p"},
			gocql.PasswordAuthenticator{Username: "u", Password: "p"}},
		{"no auth", map[string]string{}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			cc, err := clusterFor(t, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got gocql.Authenticator
			if a, ok := cc.Authenticator.(*plainAuth); ok {
				got = a.PasswordAuthenticator
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("authenticator = %#v, want %#v", cc.Authenticator, c.want)
			}
		})
	}
	if _, err := clusterFor(t, map[string]string{"auth.provider": "PLAIN", "auth.password": "p"}); err == nil || err.Error() != "auth.password was specified without auth.username" {
		t.Errorf("password without username: %v", err)
	}
}

// TestPortIsTheDriversDialPort: the port setting is the port the driver
// dials for every node it finds in the ring, not only the contact points'.
func TestPortIsTheDriversDialPort(t *testing.T) {
	for _, c := range []struct {
		name  string
		cfg   map[string]string
		hosts []string
		port  int
	}{
		{"default", map[string]string{}, []string{"127.0.0.1:9042"}, 9042},
		{"port setting", map[string]string{"contactPoints": "10.0.0.1,10.0.0.2", "loadBalancing.localDc": "dc1", "port": "19042"},
			[]string{"10.0.0.1:19042", "10.0.0.2:19042"}, 19042},
		{"host:port contact point keeps its port", map[string]string{"contactPoints": "10.0.0.1:9142", "loadBalancing.localDc": "dc1", "port": "19042"},
			[]string{"10.0.0.1:9142"}, 19042},
	} {
		t.Run(c.name, func(t *testing.T) {
			cc, err := clusterFor(t, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cc.Hosts, c.hosts) || cc.Port != c.port {
				t.Fatalf("hosts %v port %d, want %v port %d", cc.Hosts, cc.Port, c.hosts, c.port)
			}
		})
	}
}

// pki writes a CA and two certificates it signs (one for the wrong host
// name) plus a certificate of another CA, as PEM files.
type pki struct {
	dir                               string
	ca, clientCert, clientKey         string
	goodDER, wrongHostDER, otherCADER [][]byte
}

func newPKI(t *testing.T) pki {
	t.Helper()
	p := pki{dir: t.TempDir()}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	serial := int64(1)
	mk := func(cn string, hosts []string, isCA bool, parent *x509.Certificate, parentKey, key *ecdsa.PrivateKey) (*x509.Certificate, []byte) {
		serial++
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, DNSNames: hosts,
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
		return c, der
	}
	write := func(name, typ string, der []byte) string {
		f := filepath.Join(p.dir, name)
		if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	caKey := newKey()
	ca, caDER := mk("test CA", nil, true, nil, nil, caKey)
	p.ca = write("ca.pem", "CERTIFICATE", caDER)
	clientKey := newKey()
	_, clientDER := mk("client", nil, false, ca, caKey, clientKey)
	p.clientCert = write("client.pem", "CERTIFICATE", clientDER)
	kb, _ := x509.MarshalECPrivateKey(clientKey)
	p.clientKey = write("client-key.pem", "EC PRIVATE KEY", kb)
	_, good := mk("node", []string{"cassandra.example"}, false, ca, caKey, newKey())
	_, wrong := mk("node", []string{"elsewhere.example"}, false, ca, caKey, newKey())
	otherKey := newKey()
	_, other := mk("other CA", nil, true, nil, nil, otherKey)
	p.goodDER, p.wrongHostDER, p.otherCADER = [][]byte{good}, [][]byte{wrong}, [][]byte{other}
	return p
}

func TestSSLSettingsGiveTLSConfig(t *testing.T) {
	p := newPKI(t)
	base := map[string]string{"ssl.provider": "OpenSSL", "ssl.truststore.path": p.ca,
		"ssl.openssl.keyCertChain": p.clientCert, "ssl.openssl.privateKey": p.clientKey}
	cc, err := clusterFor(t, base)
	if err != nil {
		t.Fatal(err)
	}
	tc := tlsOf(t, cc)
	if tc == nil {
		t.Fatal("no TLS settings")
	}
	if tc.InsecureSkipVerify || tc.RootCAs == nil || len(tc.Certificates) != 1 || tc.VerifyPeerCertificate != nil {
		t.Fatalf("TLS with host verification: %+v", tc)
	}

	// Without hostname validation the chain is still checked.
	noHost := map[string]string{"ssl.hostnameValidation": "false"}
	for k, v := range base {
		noHost[k] = v
	}
	cc, err = clusterFor(t, noHost)
	if err != nil {
		t.Fatal(err)
	}
	tc = tlsOf(t, cc)
	if !tc.InsecureSkipVerify || tc.VerifyPeerCertificate == nil {
		t.Fatalf("TLS without host verification: %+v", tc)
	}
	if err := tc.VerifyPeerCertificate(p.wrongHostDER, nil); err != nil {
		t.Errorf("certificate of the trusted CA for another host refused: %v", err)
	}
	if err := tc.VerifyPeerCertificate(p.otherCADER, nil); err == nil {
		t.Error("certificate of an untrusted CA accepted")
	}

	if cc, err := clusterFor(t, map[string]string{}); err != nil || tlsOf(t, cc) != nil {
		t.Errorf("ssl.provider None: %v", err)
	}
	// DataStax's JDK provider takes the client certificate from the key
	// store only: the OpenSSL files are not used.
	jdk := map[string]string{"ssl.provider": "JDK", "ssl.openssl.keyCertChain": p.clientCert, "ssl.openssl.privateKey": p.clientKey}
	if cc, err := clusterFor(t, jdk); err != nil || len(tlsOf(t, cc).Certificates) != 0 {
		t.Errorf("JDK with OpenSSL files: %v", err)
	}
	for _, c := range []struct {
		cfg       map[string]string
		key, want string
	}{
		{map[string]string{"ssl.provider": "OpenSSL", "ssl.truststore.path": filepath.Join(p.dir, "missing.pem")}, "ssl.truststore.path",
			"Invalid value " + filepath.Join(p.dir, "missing.pem") + " for configuration ssl.truststore.path: does not exist"},
		{map[string]string{"ssl.truststore.path": p.dir}, "ssl.truststore.path", "Invalid value " + p.dir + " for configuration ssl.truststore.path: is not a file"},
		{map[string]string{"ssl.provider": "JDK", "ssl.truststore.path": p.clientKey}, "ssl.truststore.path", "no PEM certificate in ssl.truststore.path " + p.clientKey},
		{map[string]string{"ssl.provider": "OpenSSL", "ssl.openssl.keyCertChain": p.clientCert}, "ssl.openssl.privateKey",
			"ssl.openssl.keyCertChain cannot be set without ssl.openssl.privateKey and vice-versa: ssl.openssl.privateKey is not set"},
		{map[string]string{"ssl.provider": "OpenSSL", "ssl.openssl.keyCertChain": p.clientCert, "ssl.openssl.privateKey": p.ca}, "ssl.openssl.keyCertChain",
			"Invalid certificate or private key (ssl.openssl.keyCertChain " + p.clientCert},
	} {
		_, err := clusterFor(t, c.cfg)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || settingOf(err, "") != c.key {
			t.Errorf("%v: error %v (on %q), want %q on %s", c.cfg, err, settingOf(err, ""), c.want, c.key)
		}
	}
}
