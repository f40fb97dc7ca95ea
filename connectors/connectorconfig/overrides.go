package connectorconfig

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/configdef"
)

// Prefixes of a connector's client overrides (Connect's ConnectorConfig).
const (
	ProducerOverridePrefix = "producer.override."
	ConsumerOverridePrefix = "consumer.override."
	AdminOverridePrefix    = "admin.override."
)

const policyInterface = "org.apache.kafka.connect.connector.policy.ConnectorClientConfigOverridePolicy"

// OverridePolicy is Connect's ConnectorClientConfigOverridePolicy: which
// client settings a connector may override through its *.override.* keys.
type OverridePolicy struct {
	name    string
	allowed func(key string) bool
}

// principalKeys are the keys the Principal policy lets a connector set.
var principalKeys = map[string]bool{"sasl.jaas.config": true, "sasl.mechanism": true, "security.protocol": true}

var policies = []OverridePolicy{
	{name: "All", allowed: func(string) bool { return true }},
	{name: "None", allowed: func(string) bool { return false }},
	{name: "Principal", allowed: func(k string) bool { return principalKeys[k] }},
}

// ParseOverridePolicy resolves a policy by class name or alias, as Connect's
// plugin loader does: the full class name, the simple class name, or the
// simple name without the ConnectorClientConfigOverridePolicy suffix.
func ParseOverridePolicy(s string) (OverridePolicy, error) {
	for _, p := range policies {
		class := "org.apache.kafka.connect.connector.policy." + p.name + "ConnectorClientConfigOverridePolicy"
		if s == p.name || s == class || s == p.name+"ConnectorClientConfigOverridePolicy" {
			return p, nil
		}
	}
	if s == "Allowlist" || strings.HasSuffix(s, "AllowlistConnectorClientConfigOverridePolicy") {
		return OverridePolicy{}, fmt.Errorf("the Allowlist policy (connector.client.config.override.allowlist) is not supported by this worker; use All, None or Principal")
	}
	return OverridePolicy{}, fmt.Errorf("Failed to find any class that implements interface %s and which name matches %s", policyInterface, s)
}

// Name is the policy's name as its messages give it.
func (p OverridePolicy) Name() string { return p.name }

// ValidateOverrides adds one entry per client override the connector would
// use to infos, with the policy's error when it is not allowed, as
// Connect's AbstractHerder does after the connector's own validation:
// producer overrides for a source or a sink with a DLQ, consumer overrides
// for a sink, admin overrides for a source creating topics or a sink with
// a DLQ. Overrides of a client the connector does not use are not checked.
func (p OverridePolicy) ValidateOverrides(typ connectors.PluginType, config map[string]string, infos *configdef.Infos) {
	dlq := strings.TrimSpace(config[DLQTopic]) != ""
	topicCreation := false
	for k := range config {
		if strings.HasPrefix(k, "topic.creation.") {
			topicCreation = true
		}
	}
	sink := typ == connectors.TypeSink
	if !sink || dlq {
		p.validatePrefix(ProducerOverridePrefix, config, infos)
	}
	if sink {
		p.validatePrefix(ConsumerOverridePrefix, config, infos)
	}
	if (!sink && topicCreation) || (sink && dlq) {
		p.validatePrefix(AdminOverridePrefix, config, infos)
	}
}

func (p OverridePolicy) validatePrefix(prefix string, config map[string]string, infos *configdef.Infos) {
	var keys []string
	for k := range config {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := strings.TrimPrefix(k, prefix)
		var errs []string
		if !p.allowed(name) {
			errs = append(errs, fmt.Sprintf("The '%s' policy does not allow '%s' to be overridden in the connector configuration.", p.name, name))
		}
		infos.AddValue(k, config[k], errs)
	}
}

// Check is the policy applied when a task's clients are built: a connector
// stored under a more permissive policy (the worker restarted with another
// one) fails its tasks instead of running with refused overrides, as
// Connect's Worker does.
func (p OverridePolicy) Check(typ connectors.PluginType, config map[string]string) error {
	var infos configdef.Infos
	p.ValidateOverrides(typ, config, &infos)
	if infos.ErrorCount == 0 {
		return nil
	}
	var refused []string
	for _, c := range infos.Configs {
		if len(c.Value.Errors) > 0 {
			refused = append(refused, fmt.Sprintf("[%s,%s,[],%v,true]", c.Value.Name, *c.Value.Value, c.Value.Errors))
		}
	}
	return fmt.Errorf("Client Config Overrides not allowed [%s]", strings.Join(refused, ", "))
}
