package worker

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/gonnect/gonnect/internal/keystores/testpki"
)

// The listeners' TLS settings are read as Connect's SSLUtils reads them:
// the listeners.https. (or admin.listeners.https.) keys when any is given,
// all of them then and nothing of the top level, else the top-level ssl.*
// keys; errors name the key the value came from.
func TestRESTTLSSettings(t *testing.T) {
	p := testpki.New(t)
	store := func(prefix, file string) map[string]string {
		return map[string]string{prefix + "ssl.keystore.location": p.File(file), prefix + "ssl.keystore.password": testpki.StorePassword,
			prefix + "ssl.key.password": testpki.KeyPassword}
	}
	join := func(ms ...map[string]string) map[string]string {
		out := baseDistributed()
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	https := map[string]string{"listeners": "https://localhost:8443"}
	for _, c := range []struct {
		name        string
		props       map[string]string
		admin       bool
		wantNil     bool
		clientAuth  tls.ClientAuthType
		err, cfgErr string
	}{
		{name: "http only: no TLS", props: join(store("", "server.jks")), wantNil: true},
		{name: "top-level keys", props: join(https, store("", "server.jks"), map[string]string{"ssl.client.auth": "required"}), clientAuth: tls.RequireAndVerifyClientCert},
		{name: "listeners.https keys", props: join(https, store("listeners.https.", "server.jks"), map[string]string{"listeners.https.ssl.client.auth": "requested"}),
			clientAuth: tls.VerifyClientCertIfGiven},
		// All or nothing: one listeners.https. key hides every top-level one.
		{name: "a listeners.https key hides the top-level ones", props: join(https, store("", "server.jks"), map[string]string{"listeners.https.ssl.client.auth": "required"}),
			err: "set listeners.https.ssl.keystore.location"},
		{name: "the top-level client auth does not reach listeners.https", props: join(https, store("listeners.https.", "server.jks"), map[string]string{"ssl.client.auth": "required"}),
			clientAuth: tls.NoClientCert},
		{name: "no key store", props: join(https), err: "an https listener needs a key store: set ssl.keystore.location"},
		{name: "wrong password names the key", props: join(https, store("listeners.https.", "server.jks"), map[string]string{"listeners.https.ssl.keystore.password": "bad"}),
			err: "REST listener https://localhost:8443: Failed to load SSL keystore"},
		{name: "missing file names the key", props: join(https, store("listeners.https.", "nothing.p12")), err: "listeners.https.ssl.keystore.location"},
		{name: "admin listeners read admin.listeners.https", admin: true, props: join(map[string]string{"admin.listeners": "https://localhost:9443"}, store("admin.listeners.https.", "server.p12"),
			map[string]string{"admin.listeners.https.ssl.client.auth": "required", "admin.listeners.https.ssl.key.password": ""}), clientAuth: tls.RequireAndVerifyClientCert},
		{name: "admin listeners fall back to the top level, not to listeners.https", admin: true,
			props: join(map[string]string{"admin.listeners": "https://localhost:9443"}, store("listeners.https.", "server.jks")), err: "set ssl.keystore.location"},
		{name: "client auth is validated as declared", props: join(https, store("", "server.jks"), map[string]string{"ssl.client.auth": "always"}), cfgErr: "ssl.client.auth"},
		{name: "listeners.https client auth too", props: join(https, store("listeners.https.", "server.jks"), map[string]string{"listeners.https.ssl.client.auth": "x"}),
			cfgErr: "listeners.https.ssl.client.auth"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig(c.props, true, nil)
			if c.cfgErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.cfgErr) {
					t.Fatalf("ParseConfig error = %v, want %q", err, c.cfgErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := cfg.RESTServerTLS(c.admin)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want it to contain %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.wantNil != (got == nil) {
				t.Fatalf("TLS config %v, want nil %v", got, c.wantNil)
			}
			if got != nil && (got.ClientAuth != c.clientAuth || len(got.Certificates) != 1) {
				t.Fatalf("client auth %v (want %v), %d certificates", got.ClientAuth, c.clientAuth, len(got.Certificates))
			}
		})
	}
}

// The worker's client for other workers reads listeners.https. (never the
// admin keys), or the top level, and only an https listener of its own
// makes its errors fatal.
func TestRESTClientTLSSettings(t *testing.T) {
	p := testpki.New(t)
	for _, c := range []struct {
		name  string
		props map[string]string
		roots int
		https bool
		err   string
	}{
		{name: "nothing set: the system's roots", props: map[string]string{}},
		{name: "top-level trust store", props: map[string]string{"ssl.truststore.location": p.File("trust.jks"), "ssl.truststore.password": testpki.StorePassword}, roots: 1},
		{name: "listeners.https trust store", props: map[string]string{"listeners.https.ssl.truststore.type": "PEM", "listeners.https.ssl.truststore.location": p.File("ca.pem"),
			"ssl.truststore.location": "/nonexistent"}, roots: 1},
		{name: "admin keys are not the client's", props: map[string]string{"admin.listeners.https.ssl.truststore.location": "/nonexistent"}},
		{name: "bad trust store", props: map[string]string{"listeners.https.ssl.truststore.location": "/nonexistent"}, err: "listeners.https.ssl.truststore.location"},
		{name: "https advertised", props: map[string]string{"rest.advertised.listener": "https"}, https: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			props := baseDistributed()
			for k, v := range c.props {
				props[k] = v
			}
			cfg, err := ParseConfig(props, true, nil)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.HasHTTPSListener() != c.https {
				t.Errorf("HasHTTPSListener = %v", !c.https)
			}
			got, err := cfg.RESTClientTLS()
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want it to contain %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// roots 1: the stack's CA alone; 0: the system's (nil).
			if (c.roots == 1) != (got.RootCAs != nil && got.RootCAs.Equal(p.Pool())) || c.roots == 0 && got.RootCAs != nil {
				t.Fatalf("roots %v, want the CA %v", got.RootCAs, c.roots == 1)
			}
		})
	}
}

func TestRestExtensionClasses(t *testing.T) {
	for _, c := range []struct {
		value, err string
	}{
		{value: ""},
		{value: BasicAuthExtension},
		{value: "com.example.MyExtension", err: "REST extension com.example.MyExtension cannot be loaded"},
		{value: BasicAuthExtension + ",com.example.Other", err: "com.example.Other"},
		{value: BasicAuthExtension + "," + BasicAuthExtension, err: "Values must not be duplicated"},
	} {
		t.Run(c.value, func(t *testing.T) {
			props := baseDistributed()
			props[RestExtensionClasses] = c.value
			_, err := ParseConfig(props, true, nil)
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), RestExtensionClasses)) {
				t.Fatalf("error = %v, want %q", err, c.err)
			}
		})
	}
}
