package clientsecurity

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonnect/gonnect/internal/keystores/testpki"
)

const jaasScram = `org.apache.kafka.common.security.scram.ScramLoginModule required username="u1" password="p w";`

func TestParseTranslates(t *testing.T) {
	p := testpki.New(t)
	f := func(n string) string { return filepath.Join(p.Dir, n) }
	for _, c := range []struct {
		name  string
		props map[string]string
		want  map[string]string // librdkafka keys expected (value "*" = any non-empty)
		gone  []string          // keys that must not reach librdkafka
		err   string
	}{
		{name: "plaintext default", props: map[string]string{"client.id": "x"},
			want: map[string]string{"security.protocol": "plaintext", "client.id": "x"}},
		{name: "plaintext ignores ssl keys as Java does", props: map[string]string{"ssl.truststore.location": "/nonexistent"},
			want: map[string]string{"security.protocol": "plaintext"}, gone: []string{"ssl.truststore.location", "ssl.ca.pem"}},
		{name: "sasl_ssl scram-512 with jks truststore", props: map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
			"sasl.jaas.config": jaasScram, "ssl.truststore.location": f("trust.jks"), "ssl.truststore.password": "storepass", "linger.ms": "5"},
			want: map[string]string{"security.protocol": "sasl_ssl", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "u1", "sasl.password": "p w",
				"ssl.ca.pem": "*", "ssl.endpoint.identification.algorithm": "https", "linger.ms": "5"},
			gone: []string{"sasl.jaas.config", "sasl.mechanism", "ssl.truststore.location", "ssl.truststore.password"}},
		{name: "sasl_plaintext plain with scram module", props: map[string]string{"security.protocol": "sasl_plaintext", "sasl.mechanism": "PLAIN",
			"sasl.jaas.config": jaasScram}, want: map[string]string{"security.protocol": "sasl_plaintext", "sasl.mechanisms": "PLAIN", "sasl.username": "u1"},
			gone: []string{"ssl.ca.pem"}},
		{name: "ssl pkcs12 both stores, no hostname check", props: map[string]string{"security.protocol": "SSL", "ssl.truststore.type": "PKCS12",
			"ssl.truststore.location": f("trust.p12"), "ssl.truststore.password": "storepass", "ssl.keystore.type": "PKCS12",
			"ssl.keystore.location": f("client.p12"), "ssl.keystore.password": "storepass", "ssl.endpoint.identification.algorithm": ""},
			want: map[string]string{"ssl.ca.pem": "*", "ssl.certificate.pem": "*", "ssl.key.pem": "*", "ssl.endpoint.identification.algorithm": "none"},
			gone: []string{"ssl.keystore.location", "ssl.keystore.password", "ssl.key.password"}},
		{name: "ssl jks keystore with key password", props: map[string]string{"security.protocol": "SSL", "ssl.keystore.location": f("client.jks"),
			"ssl.keystore.password": "storepass", "ssl.key.password": "keypass", "ssl.truststore.type": "PEM", "ssl.truststore.location": f("ca.pem")},
			want: map[string]string{"ssl.certificate.pem": "*", "ssl.key.pem": "*", "ssl.ca.pem": "*"}},
		{name: "pem keystore encrypted key", props: map[string]string{"security.protocol": "SSL", "ssl.keystore.type": "PEM",
			"ssl.keystore.location": f("client-enc.pem"), "ssl.key.password": "keypass"}, want: map[string]string{"ssl.key.pem": "*"}},
		{name: "pem keystore plain key", props: map[string]string{"security.protocol": "SSL", "ssl.keystore.type": "PEM", "ssl.keystore.location": f("client.pem")},
			want: map[string]string{"ssl.certificate.pem": "*"}},
		// Java's JKS and PKCS12 stores read each other's files.
		{name: "pkcs12 files with the default type", props: map[string]string{"security.protocol": "SSL", "ssl.truststore.location": f("trust.p12"),
			"ssl.truststore.password": "storepass", "ssl.keystore.location": f("client.p12"), "ssl.keystore.password": "storepass"},
			want: map[string]string{"ssl.ca.pem": "*", "ssl.key.pem": "*"}},
		{name: "jks file typed PKCS12", props: map[string]string{"security.protocol": "SSL", "ssl.truststore.type": "PKCS12",
			"ssl.truststore.location": f("trust.jks"), "ssl.truststore.password": "storepass"}, want: map[string]string{"ssl.ca.pem": "*"}},
		{name: "a key store is no trust store", props: map[string]string{"security.protocol": "SSL", "ssl.truststore.location": f("client.jks"),
			"ssl.truststore.password": "storepass"}, err: "holds no trusted certificate entry"},
		{name: "jks wrong store password", props: map[string]string{"security.protocol": "SSL", "ssl.truststore.location": f("trust.jks"),
			"ssl.truststore.password": "nope"}, err: "wrong ssl.truststore.password"},
		{name: "jks wrong key password", props: map[string]string{"security.protocol": "SSL", "ssl.keystore.location": f("client.jks"),
			"ssl.keystore.password": "storepass", "ssl.key.password": "bad"}, err: "wrong ssl.key.password"},
		{name: "pkcs12 wrong password", props: map[string]string{"security.protocol": "SSL", "ssl.keystore.type": "PKCS12",
			"ssl.keystore.location": f("client.p12"), "ssl.keystore.password": "bad"}, err: "wrong ssl.keystore.password"},
		{name: "pem encrypted key without password", props: map[string]string{"security.protocol": "SSL", "ssl.keystore.type": "PEM",
			"ssl.keystore.location": f("client-enc.pem")}, err: "set ssl.key.password"},
		{name: "pem truststore with password", props: map[string]string{"security.protocol": "SSL", "ssl.truststore.type": "PEM",
			"ssl.truststore.location": f("ca.pem"), "ssl.truststore.password": "x"}, err: "cannot be specified for PEM"},
		{name: "missing truststore file", props: map[string]string{"security.protocol": "SSL", "ssl.truststore.location": f("nope.jks"),
			"ssl.truststore.password": "x"}, err: "ssl.truststore.location"},
		{name: "gssapi default", props: map[string]string{"security.protocol": "SASL_SSL"}, err: "GSSAPI"},
		{name: "oauthbearer", props: map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER"}, err: "sasl.mechanism"},
		{name: "no jaas", props: map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"}, err: "sasl.jaas.config is required"},
		{name: "kerberos module", props: map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
			"sasl.jaas.config": `com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;`}, err: "Krb5LoginModule is not supported"},
		{name: "jaas without password", props: map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
			"sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="u";`}, err: "no password option"},
		{name: "bad protocol", props: map[string]string{"security.protocol": "TLS"}, err: "security.protocol"},
		{name: "librdkafka key", props: map[string]string{"sasl.username": "u"}, err: "sasl.username is librdkafka's; use the Java client setting sasl.jaas.config"},
		{name: "cipher suites", props: map[string]string{"ssl.cipher.suites": "TLS_AES_128_GCM_SHA256"}, err: "ssl.cipher.suites"},
		{name: "tls 1.2 only", props: map[string]string{"security.protocol": "SSL", "ssl.enabled.protocols": "TLSv1.2"}, err: "include TLSv1.3"},
		{name: "bad endpoint algorithm", props: map[string]string{"security.protocol": "SSL", "ssl.endpoint.identification.algorithm": "ldap"}, err: "ssl.endpoint.identification.algorithm"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse(c.props)
			if err == nil && len(s.Unknown) > 0 {
				t.Errorf("unknown keys %v", s.Unknown)
			}
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want it to contain %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := s.Librdkafka()
			for k, v := range c.want {
				if g, ok := got[k]; !ok || (v == "*" && g == "") || (v != "*" && g != v) {
					t.Errorf("librdkafka %s = %q, want %q", k, g, v)
				}
			}
			for _, k := range c.gone {
				if _, ok := got[k]; ok {
					t.Errorf("librdkafka got %s", k)
				}
			}
			if strings.HasPrefix(got["security.protocol"], "sasl") != (s.SASLMechanism() != nil) {
				t.Errorf("franz-go SASL mechanism %v for %s", s.SASLMechanism(), got["security.protocol"])
			}
			if strings.HasSuffix(got["security.protocol"], "ssl") != (s.TLSConfig() != nil) {
				t.Errorf("franz-go TLS config for %s", got["security.protocol"])
			}
		})
	}
}

func TestParseReportsUnknownKeys(t *testing.T) {
	s, err := Parse(map[string]string{"ssl.client.auth": "required", "ssl.truststore.locaton": "/x", "sasl.kerberos.service.name": "kafka", "linger.ms": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.Unknown, ",") != "ssl.client.auth,ssl.truststore.locaton" {
		t.Fatalf("unknown = %v", s.Unknown)
	}
	if _, ok := s.Librdkafka()["ssl.client.auth"]; ok {
		t.Fatal("an unknown key reached librdkafka")
	}
}

// The TLS configuration given to franz-go trusts what the trust store
// holds, presents the key store's certificate, and checks the host name
// only when ssl.endpoint.identification.algorithm=https.
func TestTLSConfigHandshakes(t *testing.T) {
	p := testpki.New(t)
	f := func(n string) string { return filepath.Join(p.Dir, n) }
	pool := x509.NewCertPool()
	pool.AddCert(p.CA)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{p.Server}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	base := map[string]string{"security.protocol": "SSL", "ssl.keystore.location": f("client.jks"), "ssl.keystore.password": "storepass",
		"ssl.key.password": "keypass", "ssl.truststore.location": f("trust.jks"), "ssl.truststore.password": "storepass"}
	for _, c := range []struct {
		name   string
		host   string
		change map[string]string
		err    string
	}{
		{name: "trusted, host matches", host: "localhost"},
		{name: "ip not in the certificate", host: "127.0.0.1", err: "127.0.0.1"},
		{name: "ip without hostname check", host: "127.0.0.1", change: map[string]string{"ssl.endpoint.identification.algorithm": ""}},
		{name: "untrusted CA even without hostname check", host: "127.0.0.1", change: map[string]string{"ssl.endpoint.identification.algorithm": "",
			"ssl.truststore.type": "PEM", "ssl.truststore.location": f("other.pem"), "ssl.truststore.password": ""}, err: "unknown authority"},
		{name: "pkcs12 stores", host: "localhost", change: map[string]string{"ssl.keystore.type": "PKCS12", "ssl.keystore.location": f("client.p12"),
			"ssl.key.password": "", "ssl.truststore.type": "PKCS12", "ssl.truststore.location": f("trust.p12")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			props := map[string]string{}
			for k, v := range base {
				props[k] = v
			}
			for k, v := range c.change {
				props[k] = v
			}
			s, err := Parse(props)
			if err != nil {
				t.Fatal(err)
			}
			cfg := s.TLSConfig()
			cfg.ServerName = c.host // as franz-go sets it from the broker's address
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			conn, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", port), cfg)
			if err == nil {
				// The client's certificate is checked by the server after the
				// client's handshake ends; a read surfaces a refusal.
				conn.Close()
			}
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("dial: %v, want error containing %q", err, c.err)
			}
		})
	}
}
