package worker

import (
	"sort"
	"strings"
	"testing"

	"github.com/gonnect/gonnect/connectors/configdef"
)

// notImplemented are Apache Connect 4.3.1 worker keys this worker does not
// declare: start-up warns that they are ignored. Declaring one of them (or
// Connect adding a key) must update this list, so no key is forgotten.
var notImplemented = []string{
	"client.dns.lookup", "connections.max.idle.ms", "exactly.once.source.support",
	"header.converter.plugin.version", "key.converter.plugin.version", "metadata.max.age.ms", "metadata.recovery.rebootstrap.trigger.ms",
	"metadata.recovery.strategy", "metric.reporters", "metrics.num.samples", "metrics.recording.level",
	"metrics.sample.window.ms", "plugin.discovery", "receive.buffer.bytes", "reconnect.backoff.max.ms",
	"reconnect.backoff.ms", "request.timeout.ms", "retry.backoff.max.ms",
	"retry.backoff.ms", "send.buffer.bytes", "socket.connection.setup.timeout.max.ms",
	"socket.connection.setup.timeout.ms", "topic.creation.enable",
	"value.converter.plugin.version",
}

// TestWorkerKeysMatchApacheConnect compares the declared worker keys with
// Apache Connect 4.3.1's DistributedConfig (a list extracted once from its
// runtime): every declared key exists there with the same type and default,
// and every key there is declared or listed in notImplemented. Client
// security keys (sasl.*, security.protocol and the ssl.* keys the REST
// listeners do not read) are forwarded to the Kafka clients rather than
// declared; the listeners.https. and admin.listeners.https. keys have
// their top-level key's type and default.
func TestWorkerKeysMatchApacheConnect(t *testing.T) {
	apache := apacheWorkerKeys()
	declared := map[string]*configdef.Key{}
	for _, distributed := range []bool{true, false} {
		for _, k := range workerDef(distributed).Keys() {
			declared[k.Name] = k
		}
	}
	for name, k := range declared {
		a, ok := apache[name]
		if !ok && strings.HasPrefix(name, "gonnect.") {
			continue // gonnect's own settings, named so they cannot clash
		}
		// The listeners' ssl.* keys are Connect's prefixed originals, read
		// with the top-level keys' types and defaults.
		for _, p := range []string{ListenersHTTPSPrefix, AdminListenersHTTPSPrefix} {
			if rest, found := strings.CutPrefix(name, p); !ok && found {
				a, ok = apache[rest]
			}
		}
		if !ok {
			t.Errorf("%s is declared but is no Apache Connect worker key", name)
			continue
		}
		if string(k.Type) != a.Type {
			t.Errorf("%s: type %s, Apache Connect's is %s", name, k.Type, a.Type)
		}
		def := "<null>"
		if k.Required() {
			def = "<required>"
		} else if info := configdef.KeyInfoOf(k); info.DefaultValue != nil {
			def = *info.DefaultValue
		}
		if def != a.Default {
			t.Errorf("%s: default %q, Apache Connect's is %q", name, def, a.Default)
		}
	}
	skipped := map[string]bool{}
	for _, n := range notImplemented {
		skipped[n] = true
		if _, ok := declared[n]; ok {
			t.Errorf("%s is declared: remove it from notImplemented", n)
		}
		if _, ok := apache[n]; !ok {
			t.Errorf("%s is no Apache Connect worker key: remove it from notImplemented", n)
		}
	}
	var missing []string
	for name := range apache {
		if _, ok := declared[name]; ok || skipped[name] || hasAnyPrefix(name, forwardedPrefixes) {
			continue
		}
		missing = append(missing, name)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("Apache Connect worker keys neither declared nor in notImplemented: %s", strings.Join(missing, ", "))
	}
}
