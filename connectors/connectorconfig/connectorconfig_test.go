package connectorconfig

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/configdef"
)

func TestOverridePolicies(t *testing.T) {
	const (
		sink   = connectors.TypeSink
		source = connectors.TypeSource
	)
	tests := []struct {
		policy string
		typ    connectors.PluginType
		config map[string]string
		want   map[string][]string // override key -> errors; keys not listed must not appear
	}{
		{"All", sink, map[string]string{"consumer.override.max.poll.records": "5"}, map[string][]string{"consumer.override.max.poll.records": {}}},
		{"None", sink, map[string]string{"consumer.override.max.poll.records": "5"},
			map[string][]string{"consumer.override.max.poll.records": {"The 'None' policy does not allow 'max.poll.records' to be overridden in the connector configuration."}}},
		{"Principal", sink, map[string]string{"consumer.override.sasl.jaas.config": "x", "consumer.override.security.protocol": "SSL", "consumer.override.sasl.mechanism": "PLAIN", "consumer.override.client.id": "c"},
			map[string][]string{"consumer.override.sasl.jaas.config": {}, "consumer.override.security.protocol": {}, "consumer.override.sasl.mechanism": {},
				"consumer.override.client.id": {"The 'Principal' policy does not allow 'client.id' to be overridden in the connector configuration."}}},
		// A sink without a DLQ has no producer or admin client: not checked.
		{"None", sink, map[string]string{"producer.override.acks": "1", "admin.override.client.id": "a"}, map[string][]string{}},
		{"None", sink, map[string]string{"producer.override.acks": "1", "admin.override.client.id": "a", DLQTopic: "dlq"},
			map[string][]string{"producer.override.acks": {"The 'None' policy does not allow 'acks' to be overridden in the connector configuration."},
				"admin.override.client.id": {"The 'None' policy does not allow 'client.id' to be overridden in the connector configuration."}}},
		// A source has no consumer; its admin client only creates topics.
		{"None", source, map[string]string{"producer.override.acks": "1", "consumer.override.x": "1", "admin.override.y": "1"},
			map[string][]string{"producer.override.acks": {"The 'None' policy does not allow 'acks' to be overridden in the connector configuration."}}},
		{"None", source, map[string]string{"admin.override.y": "1", "topic.creation.default.partitions": "1"},
			map[string][]string{"admin.override.y": {"The 'None' policy does not allow 'y' to be overridden in the connector configuration."}}},
	}
	for _, tt := range tests {
		p, err := ParseOverridePolicy(tt.policy)
		if err != nil {
			t.Fatal(err)
		}
		var infos configdef.Infos
		p.ValidateOverrides(tt.typ, tt.config, &infos)
		got := map[string][]string{}
		count := 0
		for _, c := range infos.Configs {
			got[c.Value.Name] = c.Value.Errors
			if c.Definition != nil || c.Value.Value == nil || *c.Value.Value != tt.config[c.Value.Name] {
				t.Errorf("%s %v: entry %+v", tt.policy, tt.config, c.Value)
			}
			if len(c.Value.Errors) > 0 {
				count++
			}
		}
		if !reflect.DeepEqual(got, tt.want) || infos.ErrorCount != count {
			t.Errorf("%s %s %v:\n got %v (%d errors)\nwant %v", tt.policy, tt.typ, tt.config, got, infos.ErrorCount, tt.want)
		}
	}
}

func TestParseOverridePolicy(t *testing.T) {
	for _, s := range []string{"All", "None", "Principal", "NoneConnectorClientConfigOverridePolicy",
		"org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy"} {
		if _, err := ParseOverridePolicy(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"all", "", "Bogus", "Allowlist"} {
		if _, err := ParseOverridePolicy(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

// config.action.reload is validated case-sensitively, as Connect's
// ValidString: "RESTART" is refused.
func TestConfigActionReload(t *testing.T) {
	p := connectors.Plugin{Class: "x.Sink", Type: connectors.TypeSink, Version: "1", New: func() connectors.Connector { return nil }}
	def := Common(p, Defaults{})
	tests := []struct{ value, wantErr string }{
		{"none", ""}, {"restart", ""},
		{"RESTART", "Invalid value RESTART for configuration config.action.reload: String must be one of: none, restart"},
		{"later", "Invalid value later for configuration config.action.reload: String must be one of: none, restart"},
	}
	for _, tt := range tests {
		infos := def.Validate(map[string]string{"name": "c", "connector.class": "x.Sink", "topics": "t", "config.action.reload": tt.value})
		var errs []string
		for _, c := range infos.Configs {
			if c.Value.Name == "config.action.reload" {
				errs = c.Value.Errors
			}
		}
		if tt.wantErr == "" && len(errs) != 0 || tt.wantErr != "" && (len(errs) != 1 || errs[0] != tt.wantErr) {
			t.Errorf("%s: errors %q, want %q", tt.value, errs, tt.wantErr)
		}
	}
}

func TestOverridePolicyCheck(t *testing.T) {
	none, _ := ParseOverridePolicy("None")
	all, _ := ParseOverridePolicy("All")
	cfg := map[string]string{"consumer.override.max.poll.records": "5"}
	if err := all.Check(connectors.TypeSink, cfg); err != nil {
		t.Errorf("All: %v", err)
	}
	err := none.Check(connectors.TypeSink, cfg)
	if err == nil || !strings.Contains(err.Error(), "Client Config Overrides not allowed") || !strings.Contains(err.Error(), "'max.poll.records'") {
		t.Errorf("None: %v", err)
	}
}
