//go:build integration

package clientsecurity_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/clientsecurity"
	"github.com/gonnect/gonnect/worker/storage"
)

func saslProps(password, truststore string) map[string]string {
	return map[string]string{
		"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
		"sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="` + stack.KafkaSASLUser() +
			`" password="` + password + `";`,
		"ssl.truststore.location": stack.TLSFile(truststore), "ssl.truststore.password": stack.TLSPassword(),
	}
}

func mtlsProps(typ, keystore, truststore string) map[string]string {
	return map[string]string{
		"security.protocol": "SSL", "ssl.keystore.type": typ, "ssl.keystore.location": stack.TLSFile(keystore),
		"ssl.keystore.password": stack.TLSPassword(), "ssl.key.password": stack.TLSPassword(),
		"ssl.truststore.type": typ, "ssl.truststore.location": stack.TLSFile(truststore), "ssl.truststore.password": stack.TLSPassword(),
	}
}

// Both of gonnect's Kafka clients reach the broker's secured listeners
// with settings written as for Java's clients (stores made by keytool and
// openssl), and a wrong password, an untrusted broker certificate or an
// untrusted client certificate is refused at once, saying why.
func TestIntegrationClientSecurity(t *testing.T) {
	stack.RequireKafkaSASL(t)
	stack.RequireKafkaMTLS(t)
	pem := map[string]string{"security.protocol": "SSL", "ssl.keystore.type": "PEM", "ssl.keystore.location": stack.TLSFile("client-encrypted.key"),
		"ssl.key.password": stack.TLSPassword(), "ssl.truststore.type": "PEM", "ssl.truststore.location": stack.TLSFile("ca.pem")}
	// A PEM key store is one file holding the key and its chain.
	pem["ssl.keystore.location"] = writePEMStore(t)
	for _, c := range []struct {
		name      string
		bootstrap string
		props     map[string]string
		err       string
	}{
		{name: "SASL_SSL SCRAM-SHA-512, JKS trust store", bootstrap: stack.KafkaSASLBootstrap(), props: saslProps(stack.KafkaSASLPassword(), "truststore.jks")},
		{name: "SASL_SSL PLAIN, PKCS12 trust store", bootstrap: stack.KafkaSASLBootstrap(), props: with(saslProps(stack.KafkaSASLPassword(), "truststore.p12"),
			map[string]string{"sasl.mechanism": "PLAIN", "ssl.truststore.type": "PKCS12",
				"sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="` + stack.KafkaSASLUser() + `" password="` + stack.KafkaSASLPassword() + `";`})},
		{name: "SASL_SSL SCRAM-SHA-256", bootstrap: stack.KafkaSASLBootstrap(), props: with(saslProps(stack.KafkaSASLPassword(), "truststore.jks"), map[string]string{"sasl.mechanism": "SCRAM-SHA-256"})},
		{name: "mTLS JKS", bootstrap: stack.KafkaMTLSBootstrap(), props: mtlsProps("JKS", "client.jks", "truststore.jks")},
		{name: "mTLS PKCS12", bootstrap: stack.KafkaMTLSBootstrap(), props: mtlsProps("PKCS12", "client.p12", "truststore.p12")},
		{name: "mTLS PEM", bootstrap: stack.KafkaMTLSBootstrap(), props: pem},
		{name: "wrong password", bootstrap: stack.KafkaSASLBootstrap(), props: saslProps("wrong", "truststore.jks"), err: "authentication failed"},
		{name: "untrusted broker certificate", bootstrap: stack.KafkaSASLBootstrap(), props: saslProps(stack.KafkaSASLPassword(), "untrusted-truststore.jks"),
			err: "the broker's certificate is not trusted"},
		{name: "untrusted client certificate", bootstrap: stack.KafkaMTLSBootstrap(), props: mtlsProps("JKS", "untrusted-client.jks", "truststore.jks"),
			err: "the broker refused the client certificate"},
		{name: "no client certificate", bootstrap: stack.KafkaMTLSBootstrap(), props: map[string]string{"security.protocol": "SSL",
			"ssl.truststore.location": stack.TLSFile("truststore.jks"), "ssl.truststore.password": stack.TLSPassword()}, err: "the broker refused the client certificate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := clientsecurity.Parse(c.props)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			began := time.Now()
			err = s.Check(ctx, []string{c.bootstrap})
			took := time.Since(began)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), c.bootstrap) {
					t.Fatalf("error = %v, want one naming %s and saying %q", err, c.bootstrap, c.err)
				}
				if took > 10*time.Second {
					t.Fatalf("refused after %s, want within seconds", took)
				}
				t.Logf("refused in %s: %v", took.Round(time.Millisecond), err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// librdkafka with the translated properties.
			id, err := storage.ClusterID(ctx, c.bootstrap, s.Librdkafka())
			if err != nil || id == "" {
				t.Fatalf("librdkafka cluster id: %q %v", id, err)
			}
		})
	}
}

func with(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func writePEMStore(t *testing.T) string {
	t.Helper()
	key, err := os.ReadFile(stack.TLSFile("client-encrypted.key"))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := os.ReadFile(stack.TLSFile("client.pem"))
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "client-store.pem")
	if err := os.WriteFile(f, append(append(key, '\n'), cert...), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}
