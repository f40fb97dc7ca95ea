package stack

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
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

// SecuredCassandraHosts is CASSANDRA_SECURED_HOSTS (comma list), default
// 127.0.0.1:9142: the secured Cassandra (`stack.sh cassandra-secured`),
// which requires TLS with a client certificate of the stack's CA and a
// login (PasswordAuthenticator).
func SecuredCassandraHosts() []string {
	return strings.Split(env("CASSANDRA_SECURED_HOSTS", "127.0.0.1:9142"), ",")
}

// SecuredCassandraUser is the role the tests log in to the secured
// Cassandra as (CASSANDRA_SECURED_USER, default gonnect), made by its
// superuser; SecuredCassandraPassword is its password.
func SecuredCassandraUser() string { return env("CASSANDRA_SECURED_USER", "gonnect") }

// SecuredCassandraPassword is the password of SecuredCassandraUser.
func SecuredCassandraPassword() string {
	return env("CASSANDRA_SECURED_PASSWORD", "gonnect-cql-secret")
}

// securedSuperuser is the superuser Cassandra makes on its first start.
const securedSuperuser, securedSuperuserPassword = "cassandra", "cassandra"

// SecuredCassandraSession opens a session to the secured Cassandra as
// user, over TLS trusting the stack's CA with its client certificate.
func SecuredCassandraSession(hosts []string, user, password string) (*gocql.Session, error) {
	tc, err := stackTLS(true)
	if err != nil {
		return nil, err
	}
	c := gocql.NewCluster(hosts...)
	c.Timeout = 30 * time.Second
	c.ConnectTimeout = 5 * time.Second
	c.DisableInitialHostLookup = true
	c.SslOpts = &gocql.SslOptions{Config: tc, EnableHostVerification: true}
	c.Authenticator = gocql.PasswordAuthenticator{Username: user, Password: password}
	s, err := c.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("connecting to the secured Cassandra at %v as %s: %w", hosts, user, err)
	}
	return s, nil
}

// SetupSecuredCassandra logs in to the secured Cassandra as its superuser,
// makes the tests' role when it is missing, and returns release_version
// once that role can log in.
func SetupSecuredCassandra(ctx context.Context, hosts []string) (string, error) {
	su, err := SecuredCassandraSession(hosts, securedSuperuser, securedSuperuserPassword)
	if err != nil {
		return "", err
	}
	defer su.Close()
	role := fmt.Sprintf("CREATE ROLE IF NOT EXISTS %s WITH PASSWORD = '%s' AND LOGIN = true AND SUPERUSER = false",
		SecuredCassandraUser(), strings.ReplaceAll(SecuredCassandraPassword(), "'", "''"))
	if err := su.Query(role).ExecContext(ctx); err != nil {
		return "", fmt.Errorf("creating role %s in the secured Cassandra: %w", SecuredCassandraUser(), err)
	}
	s, err := SecuredCassandraSession(hosts, SecuredCassandraUser(), SecuredCassandraPassword())
	if err != nil {
		return "", err
	}
	defer s.Close()
	var v string
	if err := s.Query("SELECT release_version FROM system.local").ScanContext(ctx, &v); err != nil {
		return "", fmt.Errorf("querying release_version at %v: %w", hosts, err)
	}
	return v, nil
}

// RequireSecuredCassandra waits, up to SECURED_CASSANDRA_WAIT (default
// 4m: `make test` starts it in the background as it begins), until the
// secured Cassandra lets the tests' role in, and fails the test naming the
// command that starts it when it is not running or does not answer.
func RequireSecuredCassandra(t testing.TB) {
	t.Helper()
	wait, err := time.ParseDuration(env("SECURED_CASSANDRA_WAIT", "4m"))
	if err != nil {
		t.Fatalf("SECURED_CASSANDRA_WAIT: %v", err)
	}
	addr := strings.Join(SecuredCassandraHosts(), ",")
	deadline := time.Now().Add(wait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := SetupSecuredCassandra(ctx, SecuredCassandraHosts())
		cancel()
		if err == nil {
			return
		}
		if !securedCassandraRunning() || time.Now().After(deadline) {
			t.Fatalf("the secured Cassandra is not reachable at %s (start it with `bash stack/stack.sh cassandra-secured up`; `make test` starts it): %v", addr, err)
		}
		time.Sleep(2 * time.Second)
	}
}

// securedCassandraRunning reports whether the process stack.sh started
// for the secured Cassandra is alive.
func securedCassandraRunning() bool {
	b, err := os.ReadFile(filepath.Join(StateDir(), "pids", "cassandra-secured.pid"))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return err == nil && syscall.Kill(pid, 0) == nil
}
