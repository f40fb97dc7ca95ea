package worker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gonnect/gonnect/worker/clientsecurity"
)

// A client's settings are the worker's top-level security keys, its
// prefixed keys and the connector's overrides, in that order, translated
// for librdkafka; a setting that cannot be honoured names the client.
func TestClientPropsTranslate(t *testing.T) {
	jaas := func(u string) string {
		return `org.apache.kafka.common.security.plain.PlainLoginModule required username="` + u + `" password="p";`
	}
	cfg, err := ParseConfig(map[string]string{"bootstrap.servers": "127.0.0.1:9092", "group.id": "g", "config.storage.topic": "c", "offset.storage.topic": "o", "status.storage.topic": "s",
		"key.converter": "StringConverter", "value.converter": "StringConverter",
		"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.jaas.config": jaas("worker"),
		"consumer.sasl.jaas.config": jaas("consumer"), "producer.linger.ms": "7", "admin.sasl.jaas.config": jaas("admin"),
		"admin.listeners": "https://127.0.0.1:9999", "admin.listeners.https.ssl.keystore.type": "PKCS12"}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, prefix, override string
		conn                   map[string]string
		want                   map[string]string
		absent                 []string // keys that must not reach librdkafka
		checked                bool     // the connector's own credentials are tried first
		err                    string
	}{
		{name: "worker prefix wins over top level", prefix: "consumer.", override: "consumer.override.",
			want: map[string]string{"sasl.username": "consumer", "security.protocol": "sasl_plaintext", "sasl.mechanisms": "PLAIN"}},
		{name: "top level for producers", prefix: "producer.", override: "producer.override.",
			want: map[string]string{"sasl.username": "worker", "linger.ms": "7"}},
		{name: "connector override wins", prefix: "consumer.", override: "consumer.override.",
			conn: map[string]string{"consumer.override.sasl.mechanism": "SCRAM-SHA-256"},
			want: map[string]string{"sasl.username": "consumer", "sasl.mechanisms": "SCRAM-SHA-256"}, checked: true},
		{name: "admin clients take admin.*", prefix: "admin.", override: "admin.override.",
			want:   map[string]string{"sasl.username": "admin", "security.protocol": "sasl_plaintext"},
			absent: []string{"listeners", "listeners.https.ssl.keystore.type"}},
		{name: "and the connector's admin.override.*", prefix: "admin.", override: "admin.override.",
			conn: map[string]string{"admin.override.sasl.jaas.config": jaas("connector-admin")},
			want: map[string]string{"sasl.username": "connector-admin"}},
		{name: "a refused override fails the client", prefix: "consumer.", override: "consumer.override.",
			conn: map[string]string{"consumer.override.sasl.jaas.config": jaas("bad")}, err: "refused bad"},
		{name: "refusal names the client", prefix: "producer.", override: "producer.override.",
			conn: map[string]string{"producer.override.sasl.mechanism": "GSSAPI"},
			err:  "producer client settings (worker producer.*, connector producer.override.*): Invalid value GSSAPI"},
	} {
		t.Run(c.name, func(t *testing.T) {
			checked := false
			checkCredentials = func(s *clientsecurity.Settings, _ []string) error {
				checked = true
				if s.Username == "bad" {
					return fmt.Errorf("refused %s", s.Username)
				}
				return nil
			}
			err := checkClientProps(cfg, c.conn)
			got := clientProps(cfg, c.conn, c.prefix, c.override)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if checked != c.checked {
				t.Errorf("credentials checked: %v, want %v", checked, c.checked)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			for _, k := range append(c.absent, "sasl.jaas.config") {
				if _, ok := got[k]; ok {
					t.Errorf("%s reached librdkafka", k)
				}
			}
		})
	}
}
