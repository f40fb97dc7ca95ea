//go:build integration

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/internal/workload"
	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker/storage"
)

// scramJAAS is a sasl.jaas.config for the stack's user with the given
// password text (a placeholder or the password itself).
func scramJAAS(password string) string {
	return `org.apache.kafka.common.security.scram.ScramLoginModule required username="` + stack.KafkaSASLUser() + `" password="` + password + `";`
}

// produceValues writes values to a topic through the plaintext listener
// (shared by the end-to-end tests).
func produceValues(t *testing.T, topic string, values []string) {
	t.Helper()
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "go.delivery.reports": false})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, v := range values {
		if err := p.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Value: []byte(v)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.Flush(30000); n != 0 {
		t.Fatalf("%d records not delivered", n)
	}
}

// readAll returns the values of a single-partition-or-more topic, read
// from the beginning to its end through the plaintext listener.
func readAll(t *testing.T, topic string) []string {
	t.Helper()
	c, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "group.id": "e2e-read-" + topic,
		"enable.auto.commit": false, "auto.offset.reset": "earliest", "enable.partition.eof": true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	md, err := c.GetMetadata(&topic, false, 10000)
	if err != nil {
		t.Fatal(err)
	}
	parts := md.Topics[topic].Partitions
	var tps []kafka.TopicPartition
	for _, p := range parts {
		tps = append(tps, kafka.TopicPartition{Topic: &topic, Partition: p.ID, Offset: kafka.OffsetBeginning})
	}
	if err := c.Assign(tps); err != nil {
		t.Fatal(err)
	}
	var out []string
	eof := 0
	deadline := time.Now().Add(30 * time.Second)
	for eof < len(tps) && time.Now().Before(deadline) {
		switch e := c.Poll(200).(type) {
		case *kafka.Message:
			out = append(out, string(e.Value))
		case kafka.PartitionEOF:
			eof++
		}
	}
	return out
}

var startupRe = regexp.MustCompile(`startup=([0-9.]+(?:ms|s|µs))`)

// startupOf is the start-up time a worker logged.
func startupOf(t *testing.T, p *proc) time.Duration {
	t.Helper()
	b, _ := os.ReadFile(p.log)
	m := startupRe.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no start-up time in the log of worker %d", p.port)
	}
	d, err := time.ParseDuration(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestIntegrationSecuredCluster: two workers that reach Kafka only through
// the SASL_SSL listener (SCRAM-SHA-512) keep their internal topics, form
// their group and run sink connectors end to end with dead letter queues:
// a FileStreamSink, and the Cassandra sink writing Avro orders into the
// secured Cassandra (TLS with a client certificate, PasswordAuthenticator)
// with JKS, PKCS12 and PEM stores. The worker's SASL password comes from an
// EnvVarConfigProvider, its trust store password and every connector
// secret (the Cassandra credentials, the store passwords, the consumer's
// SASL password) from a FileConfigProvider; the config topic and GET
// .../config keep the placeholders. A wrong Cassandra password and an
// untrusted certificate are reported by validation and fail the task at
// its next start, naming the setting.
func TestIntegrationSecuredCluster(t *testing.T) {
	stack.RequireKafkaSASL(t)
	p := newSecuredPipeline(t)
	secrets := filepath.Join(t.TempDir(), "secrets.properties")
	out := filepath.Join(t.TempDir(), "out.txt")
	writeSecrets := func(cassandraPassword, truststore string) {
		t.Helper()
		if err := os.WriteFile(secrets, []byte("password="+stack.KafkaSASLPassword()+"\noutfile="+out+"\ntls.password="+stack.TLSPassword()+
			"\ncassandra.user="+stack.SecuredCassandraUser()+"\ncassandra.password="+cassandraPassword+"\ncassandra.truststore="+truststore+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeSecrets(stack.SecuredCassandraPassword(), stack.TLSFile("truststore.jks"))
	t.Setenv("E2E_SASL_PASSWORD", stack.KafkaSASLPassword())
	c := newCluster(t, map[string]string{
		"bootstrap.servers": stack.KafkaSASLBootstrap(),
		"config.providers":  "file,env", "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
		"config.providers.file.param.allowed.paths":    filepath.Dir(secrets),
		"config.providers.env.class":                   "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
		"config.providers.env.param.allowlist.pattern": "E2E_.*",
		"security.protocol":                            "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
		"sasl.jaas.config":        scramJAAS("${env:E2E_SASL_PASSWORD}"),
		"ssl.truststore.location": stack.TLSFile("truststore.jks"), "ssl.truststore.password": "${file:" + secrets + ":tls.password}",
	})
	w1 := c.start()
	w2 := c.start()
	t.Logf("SASL_SSL workers started in %s and %s", startupOf(t, w1), startupOf(t, w2))

	suffix := fmt.Sprint(rand.Uint32())
	topic, dlq, name := "e2e-sec-"+suffix, "e2e-sec-dlq-"+suffix, "sec-sink-"+suffix
	if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 2, 1, nil); err != nil {
		t.Fatal(err)
	}
	var values []string
	for i := 0; i < 200; i++ {
		values = append(values, fmt.Sprintf(`"line-%04d"`, i))
	}
	for i := 0; i < 5; i++ {
		values = append(values, fmt.Sprintf("{not json %d", i))
	}
	produceValues(t, topic, values)

	placeholderFile := "${file:" + secrets + ":outfile}"
	connectorJAAS := scramJAAS("${file:" + secrets + ":password}")
	cfg := map[string]string{"connector.class": "FileStreamSink", "tasks.max": "2", "topics": topic, "file": placeholderFile,
		"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq, "errors.deadletterqueue.topic.replication.factor": "1",
		"consumer.override.sasl.jaas.config": connectorJAAS}
	if code, body, _ := do("PUT", w2.url()+"/connectors/"+name+"/config", cfg); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	eventually(t, 60*time.Second, "2 tasks RUNNING", func() (bool, string) { return allRunning(t, w1.url(), name, 2) })
	eventually(t, 60*time.Second, "tasks on both workers", func() (bool, string) {
		load := workerLoad(t, w1.url(), name)
		return len(load) == 2, fmt.Sprint(load)
	})
	eventually(t, 60*time.Second, "200 lines written to the resolved file", func() (bool, string) {
		n := len(linesIn(out))
		return n == 200, fmt.Sprint(n)
	})
	eventually(t, 30*time.Second, "5 bad records in the dead letter queue", func() (bool, string) {
		got := readAll(t, dlq)
		return len(got) == 5 && strings.HasPrefix(got[0], "{not json"), fmt.Sprint(len(got))
	})

	code, body := get(w1.url() + "/connectors/" + name + "/config")
	if code != 200 || !strings.Contains(string(body), `"file":"`+placeholderFile+`"`) || strings.Contains(string(body), stack.KafkaSASLPassword()) {
		t.Fatalf("GET config: %d %s", code, body)
	}
	records := readAll(t, c.id+"-configs")
	var sawPlaceholder bool
	for _, r := range records {
		if strings.Contains(r, stack.KafkaSASLPassword()) || strings.Contains(r, out) {
			t.Fatalf("config topic holds a resolved value: %s", r)
		}
		sawPlaceholder = sawPlaceholder || strings.Contains(r, placeholderFile)
	}
	if !sawPlaceholder {
		t.Fatalf("config topic (%d records) holds no placeholder", len(records))
	}

	// A connector's own credentials, when wrong, fail its task saying why.
	bad := map[string]string{"connector.class": "FileStreamSink", "tasks.max": "1", "topics": topic, "file": filepath.Join(t.TempDir(), "bad.txt"),
		"consumer.override.sasl.jaas.config": scramJAAS("wrong-password")}
	if code, body, _ := do("PUT", w1.url()+"/connectors/bad-"+name+"/config", bad); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	eventually(t, 60*time.Second, "task with a wrong password FAILED with the reason", func() (bool, string) {
		s, ok := statusOf(t, w1.url(), "bad-"+name)
		return ok && len(s.Tasks) == 1 && s.Tasks[0].State == "FAILED" && strings.Contains(s.Tasks[0].Trace, "authentication failed"), fmt.Sprintf("%+v", s)
	})

	securedCassandra(t, w1, w2, p, secrets, writeSecrets, c.id)

	// A placeholder that cannot be resolved any more (its file is gone)
	// fails the connector at its next start, with the reason.
	gone := filepath.Join(filepath.Dir(secrets), "gone.properties")
	if err := os.WriteFile(gone, []byte("outfile="+filepath.Join(t.TempDir(), "gone.txt")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	goneCfg := map[string]string{"connector.class": "FileStreamSink", "tasks.max": "1", "topics": topic, "file": "${file:" + gone + ":outfile}"}
	if code, body, _ := do("PUT", w1.url()+"/connectors/gone-"+name+"/config", goneCfg); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	eventually(t, 60*time.Second, "connector with a resolvable placeholder RUNNING", func() (bool, string) {
		return allRunning(t, w1.url(), "gone-"+name, 1)
	})
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	if code, body, _ := do("POST", w1.url()+"/connectors/gone-"+name+"/restart", nil); code != 204 && code != 202 {
		t.Fatalf("restart: %d %s", code, body)
	}
	eventually(t, 60*time.Second, "connector FAILED saying the file cannot be read", func() (bool, string) {
		var st struct {
			Connector struct{ State, Trace string } `json:"connector"`
		}
		_, b := get(w1.url() + "/connectors/gone-" + name + "/status")
		_ = json.Unmarshal(b, &st)
		return st.Connector.State == "FAILED" && strings.Contains(st.Connector.Trace, "Could not read properties from file "+gone), string(b)
	})

	// Measured on the same broker: a plaintext worker's start-up.
	plain := newCluster(t, nil)
	p1 := plain.start()
	t.Logf("start-up: SASL_SSL %s / %s, PLAINTEXT %s", startupOf(t, w1), startupOf(t, w2), startupOf(t, p1))
}

// TestIntegrationMutualTLS: a worker on the listener that requires a client
// certificate, with JKS and with PKCS12 stores, runs a sink end to end.
func TestIntegrationMutualTLS(t *testing.T) {
	stack.RequireKafkaMTLS(t)
	for _, typ := range []struct{ name, keystore, truststore string }{{"JKS", "client.jks", "truststore.jks"}, {"PKCS12", "client.p12", "truststore.p12"}} {
		t.Run(typ.name, func(t *testing.T) {
			c := newCluster(t, map[string]string{
				"bootstrap.servers": stack.KafkaMTLSBootstrap(), "security.protocol": "SSL",
				"ssl.keystore.type": typ.name, "ssl.keystore.location": stack.TLSFile(typ.keystore), "ssl.keystore.password": stack.TLSPassword(),
				"ssl.key.password": stack.TLSPassword(), "ssl.truststore.type": typ.name, "ssl.truststore.location": stack.TLSFile(typ.truststore),
				"ssl.truststore.password": stack.TLSPassword(),
			})
			w := c.start()
			t.Logf("mTLS (%s) worker started in %s", typ.name, startupOf(t, w))
			suffix := fmt.Sprint(rand.Uint32())
			topic, name := "e2e-mtls-"+suffix, "mtls-sink-"+suffix
			out := filepath.Join(t.TempDir(), "out.txt")
			var values []string
			for i := 0; i < 50; i++ {
				values = append(values, fmt.Sprintf("v-%d", i))
			}
			if _, err := storage.EnsureTopic(context.Background(), stack.KafkaBootstrap(), nil, topic, 1, 1, nil); err != nil {
				t.Fatal(err)
			}
			produceValues(t, topic, values)
			cfg := map[string]string{"connector.class": "FileStreamSink", "tasks.max": "1", "topics": topic, "file": out}
			if code, body, _ := do("PUT", w.url()+"/connectors/"+name+"/config", cfg); code != 201 {
				t.Fatalf("create: %d %s", code, body)
			}
			eventually(t, 60*time.Second, "50 lines written", func() (bool, string) {
				n := len(linesIn(out))
				return n == 50, fmt.Sprint(n)
			})
		})
	}
}

// TestIntegrationSecuredStartRefused: a wrong password, an untrusted broker
// certificate and an untrusted client certificate stop the worker within
// seconds, naming the listener and the reason.
func TestIntegrationSecuredStartRefused(t *testing.T) {
	stack.RequireKafkaSASL(t)
	stack.RequireKafkaMTLS(t)
	for _, c := range []struct {
		name  string
		props map[string]string
		want  []string
	}{
		{name: "wrong password", props: map[string]string{"bootstrap.servers": stack.KafkaSASLBootstrap(), "security.protocol": "SASL_SSL",
			"sasl.mechanism": "SCRAM-SHA-512", "sasl.jaas.config": scramJAAS("not-the-password"),
			"ssl.truststore.location": stack.TLSFile("truststore.jks"), "ssl.truststore.password": stack.TLSPassword()},
			want: []string{stack.KafkaSASLBootstrap(), "authentication failed"}},
		{name: "untrusted broker certificate", props: map[string]string{"bootstrap.servers": stack.KafkaSASLBootstrap(), "security.protocol": "SASL_SSL",
			"sasl.mechanism": "SCRAM-SHA-512", "sasl.jaas.config": scramJAAS(stack.KafkaSASLPassword()),
			"ssl.truststore.location": stack.TLSFile("untrusted-truststore.p12"), "ssl.truststore.type": "PKCS12", "ssl.truststore.password": stack.TLSPassword()},
			want: []string{stack.KafkaSASLBootstrap(), "the broker's certificate is not trusted"}},
		{name: "untrusted client certificate", props: map[string]string{"bootstrap.servers": stack.KafkaMTLSBootstrap(), "security.protocol": "SSL",
			"ssl.keystore.location": stack.TLSFile("untrusted-client.jks"), "ssl.keystore.password": stack.TLSPassword(),
			"ssl.truststore.location": stack.TLSFile("truststore.jks"), "ssl.truststore.password": stack.TLSPassword()},
			want: []string{stack.KafkaMTLSBootstrap(), "the broker refused the client certificate"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := newCluster(t, c.props)
			f := cl.props(freePort(t))
			began := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			b, err := exec.CommandContext(ctx, binary(t), "distributed", f).CombinedOutput()
			took := time.Since(began)
			if err == nil || ctx.Err() != nil {
				t.Fatalf("worker did not stop with an error (%v after %s):\n%s", err, took, b)
			}
			for _, w := range c.want {
				if !strings.Contains(string(b), w) {
					t.Fatalf("output lacks %q:\n%s", w, b)
				}
			}
			if took > 10*time.Second {
				t.Fatalf("stopped after %s, want within seconds", took)
			}
			t.Logf("stopped in %s", took.Round(time.Millisecond))
		})
	}
}

// merged is the union of property sets, later ones winning.
func merged(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// restHTTPS are worker settings of https:// listeners with the stack's
// broker certificate (127.0.0.1 and localhost in its names, usable as a
// client certificate too), trusting the stack's CA.
func restHTTPS(clientAuth string) map[string]string {
	return map[string]string{
		"listeners.https.ssl.keystore.location": stack.TLSFile("broker.jks"), "listeners.https.ssl.keystore.password": stack.TLSPassword(),
		"listeners.https.ssl.key.password": stack.TLSPassword(), "listeners.https.ssl.truststore.type": "PKCS12",
		"listeners.https.ssl.truststore.location": stack.TLSFile("truststore.p12"), "listeners.https.ssl.truststore.password": stack.TLSPassword(),
		"listeners.https.ssl.client.auth": clientAuth,
	}
}

// httpsClient trusts the stack's CA and presents the certificate of the
// given PEM files (none when empty).
func httpsClient(t testing.TB, cert, key string) *http.Client {
	t.Helper()
	ca, err := os.ReadFile(stack.TLSFile("ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	tc := &tls.Config{RootCAs: pool}
	if cert != "" {
		kp, err := tls.LoadX509KeyPair(stack.TLSFile(cert), stack.TLSFile(key))
		if err != nil {
			t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{kp}
	}
	return &http.Client{Timeout: 100 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
}

// basicAuthFiles writes a credentials file with user=password lines and
// a JAAS file naming it in its KafkaConnect entry, as Connect users write
// them, and returns the JAAS file.
func basicAuthFiles(t testing.TB, users ...string) string {
	t.Helper()
	dir := t.TempDir()
	creds, jaas := filepath.Join(dir, "connect.password"), filepath.Join(dir, "connect_jaas.conf")
	if err := os.WriteFile(creds, []byte(strings.Join(users, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jaas, []byte("KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file=\""+creds+"\";\n};\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return jaas
}

func basicAuth(userPass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPass))
}

const basicAuthExtension = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"

// TestIntegrationSecuredREST: a three-worker cluster whose REST listeners
// are https:// only, require client certificates (but the third's) and
// authenticate with Connect's Basic authentication extension, its JAAS
// file given in KAFKA_OPTS as Connect's scripts take it (and through the
// worker setting for the second). Unauthenticated requests get Connect's
// 401, creates sent to any worker succeed (the followers forward them to
// the leader over HTTPS, presenting their own certificate and the
// client's credentials) with an https Location, clients without a
// trusted certificate are refused, and kafka-connect-py drives a worker
// over HTTPS with credentials.
func TestIntegrationSecuredREST(t *testing.T) {
	jaas := basicAuthFiles(t, "admin=admin-secret", "ops: ops secret")
	kafkaOpts := []string{"KAFKA_OPTS=-Xms256M -Djava.security.auth.login.config=" + jaas}
	c := newCluster(t, merged(restHTTPS("required"), map[string]string{"rest.extension.classes": basicAuthExtension}))
	c.scheme, c.client, c.authorization = "https", httpsClient(t, "client.pem", "client.key"), basicAuth("admin:admin-secret")
	w1 := c.startWith(nil, kafkaOpts)
	w2 := c.startWith(map[string]string{"gonnect.java.security.auth.login.config": jaas}, nil)
	w3 := c.startWith(map[string]string{"listeners.https.ssl.client.auth": "none"}, kafkaOpts)
	t.Logf("HTTPS + Basic auth workers started in %s, %s, %s", startupOf(t, w1), startupOf(t, w2), startupOf(t, w3))

	cl := c.client
	for _, w := range []*proc{w1, w2, w3} {
		for _, r := range []struct {
			method, path, auth string
			code               int
			body               string
		}{
			{method: "GET", path: "/connectors", code: 401, body: "User cannot access the resource."},
			{method: "GET", path: "/connectors", auth: basicAuth("admin:wrong"), code: 401, body: "User cannot access the resource."},
			{method: "GET", path: "/connectors", auth: "Bearer abc", code: 401, body: "User cannot access the resource."},
			{method: "GET", path: "/health", code: 401, body: "User cannot access the resource."},
			{method: "GET", path: "/connectors", auth: basicAuth("ops:ops secret"), code: 200},
		} {
			code, body, h := doWith(cl, r.auth, r.method, w.url()+r.path, nil)
			if code != r.code || (r.body != "" && string(body) != r.body) {
				t.Fatalf("%s %s%s (%q): %d %s, want %d %s", r.method, w.url(), r.path, r.auth, code, body, r.code, r.body)
			}
			if code == 401 && (h.Get("WWW-Authenticate") != "" || h.Get("Content-Type") != "application/json") {
				t.Fatalf("401 headers %v", h)
			}
		}
	}

	// A create sent to each worker: at least two reach a follower, which
	// forwards it to the leader over HTTPS.
	suffix := fmt.Sprint(rand.Uint32())
	topic := "e2e-rest-" + suffix
	for i, w := range []*proc{w1, w2, w3} {
		name := fmt.Sprintf("rest-sec-%s-%d", suffix, i)
		cfg := map[string]any{"name": name, "config": map[string]string{"connector.class": "FileStreamSink", "tasks.max": "1", "topics": topic,
			"file": filepath.Join(t.TempDir(), "out.txt")}}
		code, body, h := doWith(cl, c.authorization, "POST", w.url()+"/connectors", cfg)
		if code != 201 {
			t.Fatalf("create %s on %s: %d %s", name, w.url(), code, body)
		}
		if loc := h.Get("Location"); loc != w.url()+"/connectors/"+name {
			t.Fatalf("Location %q, want %s/connectors/%s", loc, w.url(), name)
		}
	}
	eventually(t, 60*time.Second, "every worker lists the three connectors", func() (bool, string) {
		for _, w := range []*proc{w1, w2, w3} {
			_, body, _ := doWith(cl, c.authorization, "GET", w.url()+"/connectors", nil)
			var names []string
			if json.Unmarshal(body, &names) != nil || len(names) != 3 {
				return false, w.url() + ": " + string(body)
			}
		}
		return true, ""
	})

	// ssl.client.auth=required: no certificate, or one of another CA, is
	// refused; the third worker asks for none.
	noCert, untrusted := httpsClient(t, "", ""), httpsClient(t, "untrusted-client.pem", "untrusted-client.key")
	for _, w := range []*proc{w1, w2} {
		for name, refused := range map[string]*http.Client{"no certificate": noCert, "untrusted certificate": untrusted} {
			if code, body, _ := doWith(refused, c.authorization, "GET", w.url()+"/connectors", nil); code != 0 {
				t.Fatalf("%s: %s answered %d %s", name, w.url(), code, body)
			}
		}
	}
	if code, body, _ := doWith(noCert, c.authorization, "GET", w3.url()+"/connectors", nil); code != 200 {
		t.Fatalf("w3 without a client certificate: %d %s", code, body)
	}
	// Plain HTTP is not served.
	if code, _, _ := doWith(client, c.authorization, "GET", strings.Replace(w1.url(), "https:", "http:", 1)+"/connectors", nil); code == 200 {
		t.Fatal("plain HTTP answered on an https listener")
	}

	// kafka-connect-py, over HTTPS with credentials, against the worker
	// that asks for no client certificate; its writes are forwarded.
	py := stack.PyClient(t)
	name := "py-sec-" + suffix
	script := filepath.Join(repoRoot(t), "e2e", "testdata", "kafka_connect_py_client.py")
	out, err := exec.Command(py, script, w3.url(), name, name+"-in", filepath.Join(t.TempDir(), "out.txt"), "ops:ops secret", stack.TLSFile("ca.pem")).CombinedOutput()
	if err != nil {
		t.Fatalf("kafka-connect-py over HTTPS with credentials failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)

	// Measured on the same broker: a plaintext worker's start-up.
	plain := newCluster(t, nil)
	p1 := plain.start()
	t.Logf("start-up: HTTPS + Basic auth %s / %s / %s, plaintext %s", startupOf(t, w1), startupOf(t, w2), startupOf(t, w3), startupOf(t, p1))
}

// TestIntegrationSecuredRESTStartRefused: REST security settings that
// cannot work stop the worker within seconds with a message naming the
// key or the file.
func TestIntegrationSecuredRESTStartRefused(t *testing.T) {
	jaas := basicAuthFiles(t, "admin=admin-secret")
	noCreds := filepath.Join(t.TempDir(), "jaas.conf")
	if err := os.WriteFile(noCreds, []byte("KafkaConnect { org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required file=\"/nonexistent/creds\"; };"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		props map[string]string
		env   []string
		want  []string
	}{
		{name: "wrong key store password", props: merged(restHTTPS("none"), map[string]string{"listeners.https.ssl.keystore.password": "wrong"}),
			want: []string{"listeners.https.ssl.keystore.password", "broker.jks"}},
		{name: "missing trust store", props: merged(restHTTPS("none"), map[string]string{"listeners.https.ssl.truststore.location": "/nonexistent/trust.p12"}),
			want: []string{"listeners.https.ssl.truststore.location", "/nonexistent/trust.p12"}},
		{name: "no key store", props: map[string]string{"ssl.client.auth": "required"}, want: []string{"an https listener needs a key store: set ssl.keystore.location"}},
		{name: "TLS 1.3 suites Go cannot choose", props: merged(restHTTPS("none"), map[string]string{"listeners.https.ssl.cipher.suites": "TLS_AES_256_GCM_SHA384"}),
			want: []string{"listeners.https.ssl.cipher.suites", "list all three or none"}},
		{name: "another REST extension", props: map[string]string{"rest.extension.classes": "com.example.MyAuthExtension"},
			want: []string{"rest.extension.classes", "com.example.MyAuthExtension cannot be loaded"}},
		{name: "Basic auth without a JAAS file", props: merged(restHTTPS("none"), map[string]string{"rest.extension.classes": basicAuthExtension}),
			want: []string{"-Djava.security.auth.login.config", "KAFKA_OPTS", "gonnect.java.security.auth.login.config"}},
		{name: "missing credentials file", props: merged(restHTTPS("none"), map[string]string{"rest.extension.classes": basicAuthExtension}),
			env: []string{"KAFKA_OPTS=-Djava.security.auth.login.config=" + noCreds}, want: []string{"Error loading Property Credentials file /nonexistent/creds"}},
		{name: "missing JAAS file", props: merged(restHTTPS("none"), map[string]string{"rest.extension.classes": basicAuthExtension, "gonnect.java.security.auth.login.config": jaas + ".missing"}),
			want: []string{jaas + ".missing", "gonnect.java.security.auth.login.config"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := newCluster(t, c.props)
			cl.scheme = "https"
			f := cl.props(freePort(t))
			began := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary(t), "distributed", f)
			cmd.Env = append(os.Environ(), c.env...)
			b, err := cmd.CombinedOutput()
			took := time.Since(began)
			if err == nil || ctx.Err() != nil {
				t.Fatalf("worker did not stop with an error (%v after %s):\n%s", err, took, b)
			}
			for _, w := range c.want {
				if !strings.Contains(string(b), w) {
					t.Fatalf("output lacks %q:\n%s", w, b)
				}
			}
			if strings.Contains(string(b), "admin-secret") {
				t.Fatalf("a password is in the output:\n%s", b)
			}
			if took > 10*time.Second {
				t.Fatalf("stopped after %s, want within seconds", took)
			}
			t.Logf("stopped in %s", took.Round(time.Millisecond))
		})
	}
}

// TestIntegrationRESTSecurityMatchesApacheConnect sends the same requests,
// with and without (good, wrong, malformed) credentials, to an Apache
// Connect 4.3.1 worker with its Basic authentication extension and https://
// listener and to a gonnect worker with the same settings, and requires
// the same status, body and headers.
func TestIntegrationRESTSecurityMatchesApacheConnect(t *testing.T) {
	jaas := basicAuthFiles(t, "admin=admin-secret")
	props := merged(restHTTPS("requested"), map[string]string{"rest.extension.classes": basicAuthExtension})
	cl, good := httpsClient(t, "", ""), basicAuth("admin:admin-secret")
	ref := apacheConnectWith(t, props, apacheOptions{jars: []string{stack.ConnectBasicAuthJars(t)}, jvm: []string{"-Djava.security.auth.login.config=" + jaas},
		scheme: "https", client: cl, authorization: good})
	c := newCluster(t, props)
	c.scheme, c.client, c.authorization = "https", cl, good
	w := c.startWith(nil, []string{"KAFKA_OPTS=-Djava.security.auth.login.config=" + jaas})
	for _, r := range []struct {
		method, path, auth, ctype, body string
	}{
		{method: "GET", path: "/connectors"},
		{method: "GET", path: "/connectors", auth: basicAuth("admin:wrong")},
		{method: "GET", path: "/connectors", auth: basicAuth("nobody:admin-secret")},
		{method: "GET", path: "/connectors", auth: "Basic !!"},
		{method: "GET", path: "/connectors", auth: "Basic " + base64.RawStdEncoding.EncodeToString([]byte("admin:admin-secret"))},
		{method: "GET", path: "/connectors", auth: basicAuth("admin")},
		{method: "GET", path: "/connectors", auth: "Bearer abc"},
		{method: "GET", path: "/connectors", auth: "bAsIc " + base64.StdEncoding.EncodeToString([]byte("admin:admin-secret"))},
		{method: "GET", path: "/connectors", auth: good},
		{method: "GET", path: "/"},
		{method: "GET", path: "/health"},
		{method: "GET", path: "/admin/loggers"},
		{method: "GET", path: "/connector-plugins"},
		{method: "GET", path: "/connectors/missing/status"},
		{method: "GET", path: "/connectors/missing/status", auth: good},
		{method: "GET", path: "/nope"},
		{method: "PATCH", path: "/connectors"},
		{method: "POST", path: "/connectors", ctype: "text/plain", body: "{}"},
		{method: "POST", path: "/connectors", ctype: "application/json", body: `{"name":"x"}`},
		{method: "OPTIONS", path: "/connectors"},
		{method: "HEAD", path: "/connectors"},
	} {
		var got [2]string
		for i, base := range []string{ref, w.url()} {
			req, _ := http.NewRequest(r.method, base+r.path, strings.NewReader(r.body))
			if r.auth != "" {
				req.Header.Set("Authorization", r.auth)
			}
			if r.ctype != "" {
				req.Header.Set("Content-Type", r.ctype)
			}
			resp, err := cl.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got[i] = fmt.Sprintf("%d %q content-type=%q www-authenticate=%q", resp.StatusCode, b, resp.Header.Get("Content-Type"), resp.Header.Get("WWW-Authenticate"))
		}
		if got[0] != got[1] {
			t.Errorf("%s %s (auth %q):\n  Apache Connect: %s\n  gonnect:        %s", r.method, r.path, r.auth, got[0], got[1])
		}
	}
}

// securedCassandra is TestIntegrationSecuredCluster's part with the
// Cassandra sink and the secured Cassandra: Avro orders written with each
// store type, secrets from the file provider kept out of the config topic,
// then a wrong password and an untrusted certificate refused.
func securedCassandra(t *testing.T, w1, w2 *proc, p *pipeline, secrets string, writeSecrets func(string, string), group string) {
	const n = 300
	p.produce(0, n)
	file := func(key string) string { return "${file:" + secrets + ":" + key + "}" }
	stores := []struct {
		name string
		kv   map[string]string
	}{
		{"jks", map[string]string{"ssl.provider": "JDK", "ssl.truststore.path": file("cassandra.truststore"), "ssl.truststore.password": file("tls.password"),
			"ssl.keystore.path": stack.TLSFile("client.jks"), "ssl.keystore.password": file("tls.password")}},
		{"pkcs12", map[string]string{"ssl.provider": "JDK", "ssl.truststore.path": stack.TLSFile("truststore.p12"), "ssl.truststore.password": file("tls.password"),
			"ssl.keystore.path": stack.TLSFile("client.p12"), "ssl.keystore.password": file("tls.password")}},
		{"pem", map[string]string{"ssl.provider": "OpenSSL", "ssl.truststore.path": stack.TLSFile("ca.pem"),
			"ssl.openssl.keyCertChain": stack.TLSFile("client.pem"), "ssl.openssl.privateKey": stack.TLSFile("client.key")}},
	}
	configOf := func(store int) map[string]string {
		st := stores[store]
		table := workload.Scenario{Name: "B", Table: "orders_" + st.name, PrimaryKey: workload.ScenarioB.PrimaryKey}
		cfg := p.connector(p.topic + ".dlq." + st.name)
		delete(cfg, fmt.Sprintf("topic.%s.%s.%s.mapping", p.topic, p.ks, workload.ScenarioB.Table))
		cfg[fmt.Sprintf("topic.%s.%s.%s.mapping", p.topic, p.ks, table.Table)] = workload.Mapping
		cfg["tasks.max"] = "2"
		cfg["auth.provider"], cfg["auth.username"], cfg["auth.password"] = "PLAIN", file("cassandra.user"), file("cassandra.password")
		for k, v := range st.kv {
			cfg[k] = v
		}
		return cfg
	}
	for i, st := range stores {
		table := workload.Scenario{Name: "B", Table: "orders_" + st.name, PrimaryKey: workload.ScenarioB.PrimaryKey}
		if err := p.s.Query(table.CreateTable(p.ks)).Exec(); err != nil {
			t.Fatal(err)
		}
		if code, body, _ := do("PUT", w1.url()+"/connectors/cass-"+st.name+"-"+p.ks+"/config", configOf(i)); code != 201 {
			t.Fatalf("create the %s Cassandra sink: %d %s", st.name, code, body)
		}
	}
	for _, st := range stores {
		eventually(t, 90*time.Second, fmt.Sprintf("%d orders in the secured Cassandra (%s stores)", n, st.name), func() (bool, string) {
			got := p.rowsOf("orders_" + st.name)
			return got == n, fmt.Sprint(got)
		})
	}
	// The first and last orders, read back.
	for _, i := range []uint64{0, n - 1} {
		o := p.gen.Order(i)
		var sku string
		if err := p.s.Query("SELECT sku FROM "+p.ks+".orders_pem WHERE customer_id = ? AND order_id = ?", o.CustomerID, o.OrderID).Scan(&sku); err != nil || sku != o.SKU {
			t.Fatalf("order %d: sku %q (%v), want %q", i, sku, err, o.SKU)
		}
	}
	name := "cass-jks-" + p.ks
	code, body := get(w2.url() + "/connectors/" + name + "/config")
	if code != 200 || !strings.Contains(string(body), `"auth.password":"`+file("cassandra.password")+`"`) || strings.Contains(string(body), stack.SecuredCassandraPassword()) {
		t.Fatalf("GET config: %d %s", code, body)
	}
	var placeholders int
	for _, r := range readAll(t, group+"-configs") {
		for _, secret := range []string{stack.KafkaSASLPassword(), stack.SecuredCassandraPassword(), stack.TLSPassword()} {
			if strings.Contains(r, secret) {
				t.Fatalf("config topic holds a resolved secret: %s", r)
			}
		}
		placeholders += strings.Count(r, file("cassandra.password"))
	}
	if placeholders < len(stores) {
		t.Fatalf("config topic holds %d Cassandra password placeholders, want at least %d", placeholders, len(stores))
	}

	// Refusals: validation reports them on the setting; a running
	// connector whose secret changed fails at its next start, saying why.
	validate := func(cfg map[string]string, key, want string) {
		t.Helper()
		code, b, _ := do("PUT", w1.url()+"/connector-plugins/CassandraSink/config/validate", cfg)
		var infos struct {
			ErrorCount int `json:"error_count"`
			Configs    []struct {
				Value struct {
					Name   string
					Errors []string
				}
			}
		}
		if code != 200 || json.Unmarshal(b, &infos) != nil {
			t.Fatalf("validate: %d %s", code, b)
		}
		for _, c := range infos.Configs {
			if c.Value.Name == key && len(c.Value.Errors) == 1 && strings.Contains(c.Value.Errors[0], want) && infos.ErrorCount == 1 {
				return
			}
		}
		t.Fatalf("validate does not report %q on %s: %s", want, key, b)
	}
	wrong := configOf(0)
	wrong["name"], wrong["auth.password"] = "validate-"+p.ks, "not-the-password"
	validate(wrong, "auth.password", "refused the credentials of auth.username "+stack.SecuredCassandraUser())
	untrusted := configOf(0)
	untrusted["name"] = "validate-" + p.ks
	untrusted["ssl.truststore.path"] = stack.TLSFile("untrusted-truststore.jks")
	validate(untrusted, "ssl.truststore.path", "is not trusted by ssl.truststore.path "+stack.TLSFile("untrusted-truststore.jks"))

	for _, c := range []struct {
		what, password, truststore, want string
	}{
		{"a wrong password", "not-the-password", stack.TLSFile("truststore.jks"), "refused the credentials of auth.username " + stack.SecuredCassandraUser()},
		{"an untrusted certificate", stack.SecuredCassandraPassword(), stack.TLSFile("untrusted-truststore.jks"), "is not trusted by ssl.truststore.path " + stack.TLSFile("untrusted-truststore.jks")},
	} {
		writeSecrets(c.password, c.truststore)
		began := time.Now()
		if code, body, _ := do("POST", w1.url()+"/connectors/"+name+"/restart?includeTasks=true", nil); code != 202 && code != 204 {
			t.Fatalf("restart: %d %s", code, body)
		}
		eventually(t, 30*time.Second, "tasks FAILED for "+c.what, func() (bool, string) {
			s, ok := statusOf(t, w1.url(), name)
			failed := ok && len(s.Tasks) == 2
			for _, tk := range s.Tasks {
				failed = failed && tk.State == "FAILED" && strings.Contains(tk.Trace, c.want)
			}
			return failed, fmt.Sprintf("%+v", s)
		})
		t.Logf("%s: tasks failed %s after the restart", c.what, time.Since(began).Round(100*time.Millisecond))
	}
	writeSecrets(stack.SecuredCassandraPassword(), stack.TLSFile("truststore.jks"))
}

// TestIntegrationAdminClientSettings: a sink's offsets (KIP-875) are read
// with the admin client Connect makes for the connector, from the worker's
// admin.* and the connector's admin.override.* settings: on a worker that
// reaches Kafka over SASL_SSL, a connector whose admin.override.* password
// is wrong cannot have its offsets read, and one without it can; a worker
// whose admin.* password is wrong cannot read any.
func TestIntegrationAdminClientSettings(t *testing.T) {
	stack.RequireKafkaSASL(t)
	secured := map[string]string{
		"bootstrap.servers": stack.KafkaSASLBootstrap(), "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
		"sasl.jaas.config":        scramJAAS(stack.KafkaSASLPassword()),
		"ssl.truststore.location": stack.TLSFile("truststore.jks"), "ssl.truststore.password": stack.TLSPassword(),
	}
	suffix := fmt.Sprint(rand.Uint32())
	sinkConfig := func(extra map[string]string) map[string]string {
		cfg := map[string]string{"connector.class": "FileStreamSink", "tasks.max": "1", "topics": "e2e-admin-" + suffix,
			"file": filepath.Join(t.TempDir(), "out.txt")}
		for k, v := range extra {
			cfg[k] = v
		}
		return cfg
	}
	offsets := func(w *proc, name string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", w.url()+"/connectors/"+name+"/offsets", nil)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	w := newCluster(t, secured).start()
	good, bad := "admin-good-"+suffix, "admin-bad-"+suffix
	for name, extra := range map[string]map[string]string{good: nil, bad: {"admin.override.sasl.jaas.config": scramJAAS("not-the-password")}} {
		if code, body, _ := do("PUT", w.url()+"/connectors/"+name+"/config", sinkConfig(extra)); code != 201 {
			t.Fatalf("create %s: %d %s", name, code, body)
		}
	}
	if code, body := offsets(w, good); code != 200 {
		t.Fatalf("offsets of %s: %d %s", good, code, body)
	}
	if code, body := offsets(w, bad); code == 200 || !strings.Contains(strings.ToLower(body), "authentication") {
		t.Fatalf("offsets of %s with a wrong admin.override.sasl.jaas.config: %d %s, want an authentication failure", bad, code, body)
	}

	wrongAdmin := map[string]string{"admin.sasl.jaas.config": scramJAAS("not-the-password")}
	for k, v := range secured {
		wrongAdmin[k] = v
	}
	w2 := newCluster(t, wrongAdmin).start()
	name := "admin-worker-" + suffix
	if code, body, _ := do("PUT", w2.url()+"/connectors/"+name+"/config", sinkConfig(nil)); code != 201 {
		t.Fatalf("create %s: %d %s", name, code, body)
	}
	if code, body := offsets(w2, name); code == 200 || !strings.Contains(strings.ToLower(body), "authentication") {
		t.Fatalf("offsets on a worker with a wrong admin.sasl.jaas.config: %d %s, want an authentication failure", code, body)
	}
}
