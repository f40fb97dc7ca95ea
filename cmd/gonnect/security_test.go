package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonnect/gonnect/worker"
	"github.com/gonnect/gonnect/worker/basicauth"
)

// --check refuses security settings that cannot be honoured.
func TestCheckSecurity(t *testing.T) {
	base := map[string]string{"bootstrap.servers": "127.0.0.1:9092", "group.id": "g", "config.storage.topic": "c", "offset.storage.topic": "o", "status.storage.topic": "s",
		"key.converter": "StringConverter", "value.converter": "StringConverter"}
	for _, c := range []struct {
		name  string
		extra map[string]string
		err   string
	}{
		{name: "plaintext", extra: nil},
		{name: "missing trust store", extra: map[string]string{"security.protocol": "SSL", "ssl.truststore.location": "/nonexistent.jks",
			"ssl.truststore.password": "x"}, err: "invalid worker configuration: Failed to load SSL trust store /nonexistent.jks"},
		{name: "kerberos", extra: map[string]string{"security.protocol": "SASL_SSL"}, err: "GSSAPI"},
	} {
		t.Run(c.name, func(t *testing.T) {
			props := map[string]string{}
			for k, v := range base {
				props[k] = v
			}
			for k, v := range c.extra {
				props[k] = v
			}
			cfg, err := worker.ParseConfig(props, true, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = checkSecurity(cfg)
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("error = %v, want %q", err, c.err)
			}
		})
	}
}

// The REST security of a worker: the JAAS file from the worker setting,
// else from KAFKA_OPTS; the client's TLS errors fatal only with an https
// listener of the worker's own.
func TestNewRESTSecurity(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds")
	if err := os.WriteFile(creds, []byte("u=p\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	jaas := func(name string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(`KafkaConnect { `+basicauth.LoginModule+` required file="`+creds+`"; };`), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	fromSetting, fromOpts := jaas("setting.conf"), jaas("opts.conf")
	base := map[string]string{"bootstrap.servers": "127.0.0.1:9092", "group.id": "g", "config.storage.topic": "c", "offset.storage.topic": "o", "status.storage.topic": "s",
		"key.converter": "StringConverter", "value.converter": "StringConverter"}
	for _, c := range []struct {
		name      string
		extra     map[string]string
		kafkaOpts string
		jaas      string // the JAAS file used; empty for no authentication
		clientErr bool
		err       string
	}{
		{name: "no extension: KAFKA_OPTS alone turns nothing on", kafkaOpts: "-Djava.security.auth.login.config=" + fromOpts},
		{name: "from KAFKA_OPTS", extra: map[string]string{worker.RestExtensionClasses: worker.BasicAuthExtension},
			kafkaOpts: "-Xmx1g -Djava.security.auth.login.config=" + fromOpts, jaas: fromOpts},
		{name: "the setting wins", extra: map[string]string{worker.RestExtensionClasses: worker.BasicAuthExtension, worker.JAASLoginConfig: fromSetting},
			kafkaOpts: "-Djava.security.auth.login.config=" + fromOpts, jaas: fromSetting},
		{name: "no JAAS file", extra: map[string]string{worker.RestExtensionClasses: worker.BasicAuthExtension}, err: "KAFKA_OPTS"},
		{name: "a broken client trust store without an https listener is kept for https requests",
			extra: map[string]string{"listeners.https.ssl.truststore.location": "/nonexistent"}, clientErr: true},
		{name: "and is fatal with an https advertised listener", extra: map[string]string{"listeners.https.ssl.truststore.location": "/nonexistent",
			"rest.advertised.listener": "https"}, err: "listeners.https.ssl.truststore.location"},
	} {
		t.Run(c.name, func(t *testing.T) {
			props := map[string]string{}
			for _, m := range []map[string]string{base, c.extra} {
				for k, v := range m {
					props[k] = v
				}
			}
			cfg, err := worker.ParseConfig(props, true, nil)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := newRESTSecurity(cfg, c.kafkaOpts, nil)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ""; rs.auth != nil || c.jaas != "" {
				if rs.auth != nil {
					got = rs.auth.JAASFile()
				}
				if got != c.jaas {
					t.Fatalf("JAAS file %q, want %q", got, c.jaas)
				}
			}
			if (rs.clientTLSErr != nil) != c.clientErr {
				t.Fatalf("client TLS error %v, want one: %v", rs.clientTLSErr, c.clientErr)
			}
		})
	}
}
