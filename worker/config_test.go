package worker

import (
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
		{"bad protocol", func(m map[string]string) { m["connect.protocol"] = "nope" }, "connect.protocol"},
		{"heartbeat vs session", func(m map[string]string) { m["heartbeat.interval.ms"] = "20000" }, "session.timeout.ms"},
		{"unknown key is fine", func(m map[string]string) { m["no.such.key"] = "1" }, ""},
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
