package worker

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func baseDistributed() map[string]string {
	return map[string]string{
		"bootstrap.servers": "127.0.0.1:9092", "group.id": "g", "config.storage.topic": "c",
		"offset.storage.topic": "o", "status.storage.topic": "s",
		"key.converter": "org.apache.kafka.connect.storage.StringConverter", "value.converter": "org.apache.kafka.connect.json.JsonConverter",
	}
}

func TestParseConfigErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(map[string]string)
		wantErr string
	}{
		{"valid", func(map[string]string) {}, ""},
		{"missing group", func(m map[string]string) { delete(m, "group.id") }, `Missing required configuration "group.id"`},
		{"bad int", func(m map[string]string) { m["offset.storage.partitions"] = "x" }, "Invalid value x for configuration offset.storage.partitions: Not a number of type INT"},
		{"bad rf", func(m map[string]string) { m["config.storage.replication.factor"] = "0" }, "config.storage.replication.factor"},
		{"bad listener", func(m map[string]string) { m["listeners"] = "ftp://x:1" }, "configuration listeners"},
		{"listener without a port", func(m map[string]string) { m["listeners"] = "http://" }, "Could not parse listener URL http://"},
		{"bad protocol", func(m map[string]string) { m["connect.protocol"] = "nope" }, "Invalid value nope for configuration connect.protocol: Invalid Connect protocol compatibility"},
		{"heartbeat vs session", func(m map[string]string) { m["heartbeat.interval.ms"] = "20000" }, "session.timeout.ms"},
		{"unknown key is fine", func(m map[string]string) { m["no.such.key"] = "1" }, ""},
		{"missing bootstrap", func(m map[string]string) { delete(m, "bootstrap.servers") }, `Missing required configuration "bootstrap.servers" which has no default value.`},
		{"empty bootstrap", func(m map[string]string) { m["bootstrap.servers"] = "" }, "Configuration 'bootstrap.servers' must not be empty. Valid values include: any non-empty value"},
		{"blank bootstrap entry", func(m map[string]string) { m["bootstrap.servers"] = "a:1, ,b:2" }, "Configuration 'bootstrap.servers' values must not be empty."},
		{"unknown key converter", func(m map[string]string) { m["key.converter"] = "x.Nope" }, "Invalid value x.Nope for configuration key.converter: Class x.Nope could not be found."},
		{"unknown value converter", func(m map[string]string) { m["value.converter"] = "Nope" }, "configuration value.converter: Class Nope could not be found."},
		{"unknown header converter", func(m map[string]string) { m["header.converter"] = "Nope" }, "configuration header.converter: Class Nope could not be found."},
		{"converter alias", func(m map[string]string) { m["value.converter"] = "JsonConverter" }, ""},
		{"config and offset topic shared", func(m map[string]string) { m["offset.storage.topic"] = "c" }, "config.storage.topic and offset.storage.topic are both 'c'"},
		{"offset and status topic shared", func(m map[string]string) { m["status.storage.topic"] = "o" }, "offset.storage.topic and status.storage.topic are both 'o'"},
		{"config and status topic shared", func(m map[string]string) { m["status.storage.topic"] = "c" }, "config.storage.topic and status.storage.topic are both 'c'"},
		{"policy None", func(m map[string]string) { m["connector.client.config.override.policy"] = "None" }, ""},
		{"policy class name", func(m map[string]string) {
			m["connector.client.config.override.policy"] = "org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy"
		}, ""},
		{"unknown policy", func(m map[string]string) { m["connector.client.config.override.policy"] = "none" }, "connector.client.config.override.policy: Failed to find any class that implements interface org.apache.kafka.connect.connector.policy.ConnectorClientConfigOverridePolicy and which name matches none"},
		{"protocol case-insensitive", func(m map[string]string) { m["connect.protocol"] = "EAGER" }, ""},
		{"key algorithm", func(m map[string]string) { m["inter.worker.key.generation.algorithm"] = "HmacSHA512" }, ""},
		{"unknown key algorithm", func(m map[string]string) { m["inter.worker.key.generation.algorithm"] = "Nope" }, "Invalid value Nope for configuration inter.worker.key.generation.algorithm: the algorithm is not supported by this worker; the supported algorithms are: HmacMD5"},
		{"key too small", func(m map[string]string) { m["inter.worker.key.size"] = "16" }, "Unable to create key generator with algorithm HmacSHA256 and key size 16: Key length must be at least 40 bits"},
		{"key size", func(m map[string]string) { m["inter.worker.key.size"] = "512" }, ""},
		{"negative key ttl", func(m map[string]string) { m["inter.worker.key.ttl.ms"] = "-1" }, "Invalid value -1 for configuration inter.worker.key.ttl.ms: Value must be at least 0"},
		{"unknown signature algorithm", func(m map[string]string) { m["inter.worker.signature.algorithm"] = "HmacNope" }, "Invalid value HmacNope for configuration inter.worker.signature.algorithm: the algorithm is not supported"},
		{"signature not verified", func(m map[string]string) { m["inter.worker.signature.algorithm"] = "HmacSHA512" }, "Invalid value HmacSHA512 for configuration inter.worker.signature.algorithm: Signature algorithm must be present in inter.worker.verification.algorithms list"},
		{"signature among verified", func(m map[string]string) {
			m["inter.worker.signature.algorithm"], m["inter.worker.verification.algorithms"] = "HmacSHA512", "HmacSHA256,HmacSHA512"
		}, ""},
		{"no verification algorithm", func(m map[string]string) { m["inter.worker.verification.algorithms"] = "" }, "At least one signature verification algorithm must be provided"},
		{"unknown verification algorithm", func(m map[string]string) { m["inter.worker.verification.algorithms"] = "HmacSHA256,HmacNope" }, "Invalid value HmacNope for configuration inter.worker.verification.algorithms"},
		{"empty listeners", func(m map[string]string) { m["listeners"] = "" }, "Invalid value for listeners, at least one URL is expected, ex: http://localhost:8080,https://localhost:8443."},
		{"empty listener", func(m map[string]string) { m["listeners"] = "http://:1,,http://:2" }, "Empty URL found when parsing listeners list."},
		{"empty plugin.path", func(m map[string]string) { m["plugin.path"] = "" }, "Configuration 'plugin.path' must not be empty."},
		{"metrics listener", func(m map[string]string) { m["gonnect.metrics.listener"] = "http://:9404" }, ""},
		{"bad metrics listener", func(m map[string]string) { m["gonnect.metrics.listener"] = "https://:9404" }, "configuration gonnect.metrics.listener"},
		{"json logs", func(m map[string]string) { m["gonnect.log.format"] = "json" }, ""},
		{"bad log format", func(m map[string]string) { m["gonnect.log.format"] = "xml" }, "configuration gonnect.log.format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := baseDistributed()
			tt.mutate(p)
			_, err := ParseConfig(p, true, nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestAdvertisedURL(t *testing.T) {
	tests := []struct {
		props map[string]string
		bound int
		want  string
	}{
		{map[string]string{"listeners": "http://127.0.0.1:8083"}, 8083, "http://127.0.0.1:8083/"},
		{map[string]string{"listeners": "http://127.0.0.1:0"}, 41234, "http://127.0.0.1:41234/"},
		{map[string]string{"listeners": "http://127.0.0.1:8083", "rest.advertised.host.name": "w1", "rest.advertised.port": "9999"}, 8083, "http://w1:9999/"},
		{map[string]string{"listeners": "https://127.0.0.1:8443"}, 8443, "https://127.0.0.1:8443/"},
		// Connect advertises http whenever a listener is http://, on that listener's port.
		{map[string]string{"listeners": "https://127.0.0.1:8443,http://127.0.0.1:8083"}, 8443, "http://127.0.0.1:8083/"},
		{map[string]string{"listeners": "http://127.0.0.1:8083,https://localhost:8443", "rest.advertised.listener": "HTTPS"}, 8083, "https://localhost:8443/"},
		// No listener of the advertised scheme: the first listener's address.
		{map[string]string{"listeners": "http://127.0.0.1:8083", "rest.advertised.listener": "https"}, 8083, "https://127.0.0.1:8083/"},
	}
	for _, tt := range tests {
		p := baseDistributed()
		for k, v := range tt.props {
			p[k] = v
		}
		c, err := ParseConfig(p, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.AdvertisedURL(tt.bound); got != tt.want {
			t.Errorf("AdvertisedURL = %q, want %q", got, tt.want)
		}
	}
}

func TestCheckBootstrap(t *testing.T) {
	tests := []struct{ servers, wantErr string }{
		{"127.0.0.1:9092", ""},
		{"localhost:9092,no-such-host.invalid:9092", ""}, // one resolvable host is enough
		{"PLAINTEXT://127.0.0.1:9092", ""},
		{"[::1]:9092", ""},
		{"foo", "Invalid url in bootstrap.servers: foo"},
		{"foo:bar", "Invalid url in bootstrap.servers: foo:bar"},
		{"127.0.0.1:99999", "Invalid port in bootstrap.servers: 127.0.0.1:99999"},
		{"no-such-host.invalid:9092", "No resolvable bootstrap urls given in bootstrap.servers"},
	}
	for _, tt := range tests {
		p := baseDistributed()
		p["bootstrap.servers"] = tt.servers
		c, err := ParseConfig(p, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = c.CheckBootstrap(context.Background())
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
			t.Errorf("%s: err = %v, want %q", tt.servers, err, tt.wantErr)
		}
	}
}

func TestStandaloneWarnsDistributedKeys(t *testing.T) {
	var buf bytes.Buffer
	p := map[string]string{"bootstrap.servers": "127.0.0.1:9092", "offset.storage.file.filename": "/tmp/x", "group.id": "g",
		"key.converter": "StringConverter", "value.converter": "StringConverter"}
	if _, err := ParseConfig(p, false, slog.New(slog.NewTextHandler(&buf, nil))); err != nil {
		t.Fatal(err)
	}
	if want := "The configuration 'group.id' was supplied but isn't a known config."; !strings.Contains(buf.String(), want) {
		t.Errorf("log %q, want %q", buf.String(), want)
	}
}

func TestUnknownWorkerKeysAreWarned(t *testing.T) {
	tests := []struct {
		key  string
		want string // "" for no warning
	}{
		{"no.such.key", "The configuration 'no.such.key' was supplied but isn't a known config."},
		{"metrics.foo", "The configuration 'metrics.foo' was supplied but isn't a known config."},
		{"inter.worker.foo", "The configuration 'inter.worker.foo' was supplied but isn't a known config."},
		{"rest.extension.foo", "The configuration 'rest.extension.foo' was supplied but isn't a known config."},
		{"offset.storage.cleanup.policy", "The configuration 'offset.storage.cleanup.policy' was supplied but isn't a known config."},
		{"config.providersx", "The configuration 'config.providersx' was supplied but isn't a known config."},
		{"metrics.num.samples", "The configuration 'metrics.num.samples' is an Apache Kafka Connect worker setting this worker does not implement; it is ignored."},
		{"topic.creation.enable", "The configuration 'topic.creation.enable' is an Apache Kafka Connect worker setting this worker does not implement; it is ignored."},
		{"producer.linger.ms", ""},
		{"consumer.max.poll.records", ""},
		{"admin.request.timeout.ms", ""},
		{"key.converter.schemas.enable", ""},
		{"value.converter.schema.registry.url", ""},
		{"header.converter.foo", ""},
		{"config.providers.file.class", ""},
		{"ssl.truststore.location", ""},
		{"sasl.mechanism", ""},
		{"security.protocol", ""},
		{"group.id", ""},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		p := baseDistributed()
		if _, ok := p[tt.key]; !ok {
			p[tt.key] = "1"
		}
		if _, err := ParseConfig(p, true, log); err != nil {
			t.Fatal(err)
		}
		got := buf.String()
		if tt.want == "" && got != "" {
			t.Errorf("%s: unexpected warning %q", tt.key, got)
		}
		if tt.want != "" && (!strings.Contains(got, "level=WARN") || !strings.Contains(got, tt.want)) {
			t.Errorf("%s: log %q, want a warning %q", tt.key, got, tt.want)
		}
	}
}
