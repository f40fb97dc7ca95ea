package stack

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// KafkaSASLBootstrap is KAFKA_SASL_BOOTSTRAP, default 127.0.0.1:9094: the
// broker's SASL_SSL listener (SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN).
func KafkaSASLBootstrap() string { return env("KAFKA_SASL_BOOTSTRAP", "127.0.0.1:9094") }

// KafkaMTLSBootstrap is KAFKA_MTLS_BOOTSTRAP, default 127.0.0.1:9095: the
// broker's SSL listener that requires a client certificate.
func KafkaMTLSBootstrap() string { return env("KAFKA_MTLS_BOOTSTRAP", "127.0.0.1:9095") }

// KafkaSASLUser and KafkaSASLPassword are the SCRAM/PLAIN user stack.sh creates.
func KafkaSASLUser() string { return env("KAFKA_SASL_USER", "gonnect") }

// KafkaSASLPassword is the password of KafkaSASLUser.
func KafkaSASLPassword() string { return env("KAFKA_SASL_PASSWORD", "gonnect-secret") }

// TLSPassword protects every store and encrypted key in TLSDir.
func TLSPassword() string { return env("TLS_PASSWORD", "gonnect-tls") }

// StateDir is GONNECT_STACK_DIR, or .stack in the checkout holding the
// working directory.
func StateDir() string {
	if d := os.Getenv("GONNECT_STACK_DIR"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ".stack"
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, ".stack")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(dir, ".stack")
		}
	}
}

// TLSFile is a file of the stack's TLS material (made by certs.sh), e.g.
// "ca.pem", "truststore.jks", "client.p12", "client.key",
// "untrusted-truststore.p12", "untrusted-client.jks".
func TLSFile(name string) string { return filepath.Join(StateDir(), "tls", name) }

func stackTLS(clientCert bool) (*tls.Config, error) {
	ca, err := os.ReadFile(TLSFile("ca.pem"))
	if err != nil {
		return nil, fmt.Errorf("reading the stack's CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("no certificate in %s", TLSFile("ca.pem"))
	}
	c := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if clientCert {
		kp, err := tls.LoadX509KeyPair(TLSFile("client.pem"), TLSFile("client.key"))
		if err != nil {
			return nil, fmt.Errorf("reading the stack's client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{kp}
	}
	return c, nil
}

func pingSecured(ctx context.Context, bootstrap string, opts ...kgo.Opt) error {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(bootstrap, ",")...), kgo.DialTimeout(2 * time.Second)}, opts...)...)
	if err != nil {
		return fmt.Errorf("creating Kafka client for %s: %w", bootstrap, err)
	}
	defer cl.Close()
	if _, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl); err != nil {
		return fmt.Errorf("requesting metadata from %s: %w", bootstrap, err)
	}
	return nil
}

// RequireKafkaSASL fails the test unless the SASL_SSL listener accepts the
// stack's SCRAM-SHA-512 user over TLS trusting the stack's CA.
func RequireKafkaSASL(t testing.TB) {
	require(t, "Kafka (SASL_SSL listener)", KafkaSASLBootstrap(), func(ctx context.Context) error {
		tc, err := stackTLS(false)
		if err != nil {
			return err
		}
		auth := scram.Auth{User: KafkaSASLUser(), Pass: KafkaSASLPassword()}
		return pingSecured(ctx, KafkaSASLBootstrap(), kgo.DialTLSConfig(tc), kgo.SASL(auth.AsSha512Mechanism()))
	})
}

// RequireKafkaMTLS fails the test unless the SSL listener accepts the
// stack's client certificate.
func RequireKafkaMTLS(t testing.TB) {
	require(t, "Kafka (SSL listener with client authentication)", KafkaMTLSBootstrap(), func(ctx context.Context) error {
		tc, err := stackTLS(true)
		if err != nil {
			return err
		}
		return pingSecured(ctx, KafkaMTLSBootstrap(), kgo.DialTLSConfig(tc))
	})
}
