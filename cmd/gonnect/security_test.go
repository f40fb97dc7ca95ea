package main

import (
	"strings"
	"testing"

	"github.com/gonnect/gonnect/worker"
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
