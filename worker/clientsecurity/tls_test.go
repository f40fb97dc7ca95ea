package clientsecurity

import (
	"crypto/tls"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/internal/keystores/testpki"
)

func getter(props map[string]string) func(k, def string) string {
	return func(k, def string) string {
		if v, ok := props[k]; ok {
			return v
		}
		return def
	}
}

// ParseTLS for the REST listeners and client reads what Connect's SSLUtils
// reads, names the caller's prefixed keys in messages and refuses what
// Go's TLS cannot do.
func TestParseTLSForREST(t *testing.T) {
	p := testpki.New(t)
	server := map[string]string{"ssl.keystore.location": p.File("server.jks"), "ssl.keystore.password": testpki.StorePassword,
		"ssl.key.password": testpki.KeyPassword, "ssl.truststore.location": p.File("trust.jks"), "ssl.truststore.password": testpki.StorePassword}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	for _, c := range []struct {
		name  string
		use   TLSUse
		props map[string]string
		check func(t *testing.T, got *TLS)
		err   string
	}{
		{name: "defaults: TLS 1.2 and 1.3, no client certificate", use: RESTServer, props: server, check: func(t *testing.T, got *TLS) {
			if got.MinTLS != tls.VersionTLS12 || got.MaxTLS != tls.VersionTLS13 || got.ClientAuth != tls.NoClientCert || got.Chain == nil || len(got.Roots) != 1 {
				t.Fatalf("%+v", got)
			}
		}},
		{name: "client auth required", use: RESTServer, props: with(server, "ssl.client.auth", "required"), check: func(t *testing.T, got *TLS) {
			if got.ClientAuth != tls.RequireAndVerifyClientCert {
				t.Fatal(got.ClientAuth)
			}
		}},
		{name: "client auth requested", use: RESTServer, props: with(server, "ssl.client.auth", "requested"), check: func(t *testing.T, got *TLS) {
			if got.ClientAuth != tls.VerifyClientCertIfGiven {
				t.Fatal(got.ClientAuth)
			}
		}},
		{name: "client auth in capitals is no value of Connect's", use: RESTServer, props: with(server, "ssl.client.auth", "REQUIRED"), err: "listeners.https.ssl.client.auth"},
		{name: "TLS 1.2 only is possible in Go", use: RESTServer, props: with(server, "ssl.enabled.protocols", "TLSv1.2"), check: func(t *testing.T, got *TLS) {
			if got.MinTLS != tls.VersionTLS12 || got.MaxTLS != tls.VersionTLS12 {
				t.Fatalf("%x-%x", got.MinTLS, got.MaxTLS)
			}
		}},
		{name: "an empty protocol list keeps the defaults", use: RESTClient, props: with(server, "ssl.enabled.protocols", ""), check: func(t *testing.T, got *TLS) {
			if got.MinTLS != tls.VersionTLS12 || got.MaxTLS != tls.VersionTLS13 {
				t.Fatalf("%x-%x", got.MinTLS, got.MaxTLS)
			}
		}},
		{name: "TLS 1.2 suites only: no TLS 1.3", use: RESTServer, props: with(server, "ssl.cipher.suites", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
			check: func(t *testing.T, got *TLS) {
				if got.MaxTLS != tls.VersionTLS12 || len(got.CipherSuites) != 2 || got.CipherSuites[0] != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 {
					t.Fatalf("%+v", got)
				}
			}},
		{name: "all TLS 1.3 suites only: no TLS 1.2", use: RESTServer, props: with(server, "ssl.cipher.suites", "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256"),
			check: func(t *testing.T, got *TLS) {
				if got.MinTLS != tls.VersionTLS13 {
					t.Fatalf("%+v", got)
				}
			}},
		{name: "some TLS 1.3 suites", use: RESTServer, props: with(server, "ssl.cipher.suites", "TLS_AES_256_GCM_SHA384"), err: "list all three or none"},
		{name: "unknown suite", use: RESTServer, props: with(server, "ssl.cipher.suites", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"), err: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 is not available"},
		{name: "TLS 1.3 only without TLS 1.3 suites", use: RESTServer, props: with(server, "ssl.enabled.protocols", "TLSv1.3", "ssl.cipher.suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
			err: "TLSv1.2 is not enabled"},
		{name: "Java provider", use: RESTServer, props: with(server, "ssl.provider", "SunJSSE"), err: "listeners.https.ssl.provider: Java security providers"},
		{name: "wrong key store password names the prefixed key", use: RESTServer, props: with(server, "ssl.keystore.password", "nope"), err: "wrong listeners.https.ssl.keystore.password"},
		{name: "missing trust store names the prefixed key", use: RESTClient, props: with(server, "ssl.truststore.location", p.File("none.jks")), err: "listeners.https.ssl.truststore.location"},
		{name: "no trust store: the key store's certificate is trusted, as Jetty does", use: RESTClient,
			props: map[string]string{"ssl.keystore.type": "PKCS12", "ssl.keystore.location": p.File("server.p12"), "ssl.keystore.password": testpki.StorePassword},
			check: func(t *testing.T, got *TLS) {
				if len(got.Roots) != 1 || !got.Roots[0].Equal(got.Chain[0]) || !got.VerifyHostname {
					t.Fatalf("roots %v", got.Roots)
				}
			}},
		{name: "PEM stores", use: RESTServer, props: map[string]string{"ssl.keystore.type": "PEM", "ssl.keystore.location": p.File("server.pem"),
			"ssl.truststore.type": "PEM", "ssl.truststore.location": p.File("ca.pem")}, check: func(t *testing.T, got *TLS) {
			if got.Chain == nil || len(got.Roots) != 1 {
				t.Fatalf("%+v", got)
			}
		}},
		{name: "no hostname verification for the client", use: RESTClient, props: with(server, "ssl.endpoint.identification.algorithm", ""), check: func(t *testing.T, got *TLS) {
			if got.VerifyHostname {
				t.Fatal("hostname verified")
			}
		}},
		{name: "Kafka clients still cannot be kept to TLS 1.2", use: KafkaClient, props: with(server, "ssl.enabled.protocols", "TLSv1.2"), err: "include TLSv1.3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseTLS(getter(c.props), "listeners.https.", c.use)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want it to contain %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, got)
		})
	}
}

// A REST listener's configuration and a worker's client configuration,
// both parsed from Connect's settings, handshake with each other as
// client authentication, trust, hostname verification and protocols say.
func TestRESTServerAndClientHandshake(t *testing.T) {
	p := testpki.New(t)
	jks := map[string]string{"ssl.keystore.location": p.File("server.jks"), "ssl.keystore.password": testpki.StorePassword,
		"ssl.key.password": testpki.KeyPassword, "ssl.truststore.location": p.File("trust.jks"), "ssl.truststore.password": testpki.StorePassword}
	merge := func(base map[string]string, kv map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range kv {
			if v == "-" {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
		return out
	}
	for _, c := range []struct {
		name           string
		server, client map[string]string
		host           string
		version        uint16
		err            string
	}{
		{name: "client certificate required and given", server: merge(jks, map[string]string{"ssl.client.auth": "required"}), client: jks, host: "localhost"},
		{name: "client certificate required, none given", server: merge(jks, map[string]string{"ssl.client.auth": "required"}),
			client: merge(jks, map[string]string{"ssl.keystore.location": "-", "ssl.keystore.password": "-", "ssl.key.password": "-"}), host: "localhost", err: "certificate required"},
		{name: "no client certificate asked", server: jks, client: map[string]string{"ssl.truststore.type": "PEM", "ssl.truststore.location": p.File("ca.pem")}, host: "localhost"},
		{name: "the address is not in the certificate", server: jks, client: jks, host: "127.0.0.1", err: "127.0.0.1"},
		{name: "no hostname verification", server: jks, client: merge(jks, map[string]string{"ssl.endpoint.identification.algorithm": ""}), host: "127.0.0.1"},
		{name: "untrusted server even without hostname verification", server: jks,
			client: map[string]string{"ssl.truststore.type": "PEM", "ssl.truststore.location": p.File("other.pem"), "ssl.endpoint.identification.algorithm": ""}, host: "127.0.0.1",
			err: "unknown authority"},
		{name: "key stores only: the client trusts the server's certificate, its own", server: merge(jks, map[string]string{"ssl.truststore.location": "-", "ssl.truststore.password": "-"}),
			client: merge(jks, map[string]string{"ssl.truststore.location": "-", "ssl.truststore.password": "-"}), host: "localhost"},
		// The server then asks for certificates issued by its own (CA-signed)
		// one, so the client, as Java's key manager, has none to send.
		{name: "key stores only with client authentication", server: merge(jks, map[string]string{"ssl.client.auth": "required", "ssl.truststore.location": "-", "ssl.truststore.password": "-"}),
			client: merge(jks, map[string]string{"ssl.truststore.location": "-", "ssl.truststore.password": "-"}), host: "localhost", err: "certificate required"},
		{name: "TLS 1.2 only server", server: merge(jks, map[string]string{"ssl.enabled.protocols": "TLSv1.2"}), client: jks, host: "localhost", version: tls.VersionTLS12},
		{name: "TLS 1.3 only client against TLS 1.2 only server", server: merge(jks, map[string]string{"ssl.enabled.protocols": "TLSv1.2"}),
			client: merge(jks, map[string]string{"ssl.enabled.protocols": "TLSv1.3"}), host: "localhost", err: "protocol version"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := ParseTLS(getter(c.server), "", RESTServer)
			if err != nil {
				t.Fatal(err)
			}
			ct, err := ParseTLS(getter(c.client), "", RESTClient)
			if err != nil {
				t.Fatal(err)
			}
			ln, err := tls.Listen("tcp", "127.0.0.1:0", st.ServerConfig())
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					conn, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						defer conn.Close()
						if conn.(*tls.Conn).Handshake() == nil {
							_, _ = conn.Write([]byte("ok"))
						}
						// Read until the client closes: closing with its data
						// unread would reset the connection.
						_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
						_, _ = io.Copy(io.Discard, conn)
					}()
				}
			}()
			cfg := ct.ClientConfig()
			cfg.ServerName = c.host // as net/http sets it from the URL
			conn, err := tls.Dial("tcp", ln.Addr().String(), cfg)
			if err == nil {
				defer conn.Close()
				if c.version != 0 && conn.ConnectionState().Version != c.version {
					t.Errorf("version %x, want %x", conn.ConnectionState().Version, c.version)
				}
				// The server checks the client's certificate after the
				// client's handshake ends; a read surfaces a refusal.
				_, err = io.ReadFull(conn, make([]byte, 2))
			}
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("handshake: %v, want error containing %q", err, c.err)
			}
		})
	}
}
