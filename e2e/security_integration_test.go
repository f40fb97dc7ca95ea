//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
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
