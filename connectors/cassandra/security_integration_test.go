//go:build integration

package cassandra

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/stack"
)

// securedConfig is a sink config for the secured Cassandra with the
// stack's role, plus kv (pairs of setting and value).
func securedConfig(t *testing.T, kv ...string) map[string]string {
	t.Helper()
	hp := strings.Split(stack.SecuredCassandraHosts()[0], ":")
	cfg := map[string]string{"contactPoints": hp[0], "port": hp[1], "loadBalancing.localDc": "datacenter1",
		"auth.provider": "PLAIN", "auth.username": stack.SecuredCassandraUser(), "auth.password": stack.SecuredCassandraPassword()}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(cfg, kv[i])
		} else {
			cfg[kv[i]] = kv[i+1]
		}
	}
	return cfg
}

// jdkStores are the JDK provider's settings with the stack's stores of
// one type (JKS or PKCS12) and its client certificate.
func jdkStores(ext string) []string {
	return []string{"ssl.provider", "JDK", "ssl.truststore.path", stack.TLSFile("truststore." + ext), "ssl.truststore.password", stack.TLSPassword(),
		"ssl.keystore.path", stack.TLSFile("client." + ext), "ssl.keystore.password", stack.TLSPassword()}
}

// TestIntegrationCassandraSecured: the sink writes Avro records to the
// Cassandra that requires TLS with a client certificate and a login, with
// the DataStax settings of each store type; and the refusals (a wrong
// password, no credentials, an untrusted server or client certificate, no
// client certificate, no TLS) fail the task within seconds and are
// reported by validation, naming the setting and the reason.
func TestIntegrationCassandraSecured(t *testing.T) {
	stack.RequireSecuredCassandra(t)
	s, err := stack.SecuredCassandraSession(stack.SecuredCassandraHosts(), stack.SecuredCassandraUser(), stack.SecuredCassandraPassword())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ks := keyspace(t, s, "CREATE TABLE KS.orders (id text PRIMARY KEY, qty int, note text)")

	// Avro values, read by the worker's converter as the sink gets them.
	codec, err := goavro.NewCodec(`{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"qty","type":"int"},{"name":"note","type":["null","string"]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	orderSchema := schemas.NewStruct("Order", false, schemas.Field{Name: "id", Schema: schemas.StringSchema},
		schemas.Field{Name: "qty", Schema: schemas.Int32Schema}, schemas.Field{Name: "note", Schema: schemas.OptionalStringSchema})
	record := func(id string, qty int32) connectors.SinkRecord {
		bin, err := codec.BinaryFromNative(nil, map[string]any{"id": id, "qty": qty, "note": goavro.Union("string", "via "+id)})
		if err != nil {
			t.Fatal(err)
		}
		native, _, err := codec.NativeFromBinary(bin)
		if err != nil {
			t.Fatal(err)
		}
		m := native.(map[string]any)
		st := schemas.NewStructValue(orderSchema)
		st.Values = []any{m["id"], m["qty"], m["note"].(map[string]any)["string"]}
		return connectors.SinkRecord{Topic: "orders", Offset: int64(qty), Timestamp: time.Now(), Value: schemas.SchemaAndValue{Schema: orderSchema, Value: st}}
	}
	mapping := []string{"topic.orders." + ks + ".orders.mapping", "id=value.id, qty=value.qty, note=value.note"}
	// A PEM key store: the encrypted key and the certificate in one file.
	pemStore := filepath.Join(t.TempDir(), "client-keystore.pem")
	var pemData []byte
	for _, f := range []string{"client-encrypted.key", "client.pem", "ca.pem"} {
		b, err := os.ReadFile(stack.TLSFile(f))
		if err != nil {
			t.Fatal(err)
		}
		pemData = append(pemData, b...)
	}
	if err := os.WriteFile(pemStore, pemData, 0o600); err != nil {
		t.Fatal(err)
	}

	for i, c := range []struct {
		name string
		kv   []string
	}{
		{"JDK, JKS stores", jdkStores("jks")},
		{"JDK, PKCS12 stores", jdkStores("p12")},
		{"OpenSSL, PEM files", []string{"ssl.provider", "OpenSSL", "ssl.truststore.path", stack.TLSFile("ca.pem"),
			"ssl.openssl.keyCertChain", stack.TLSFile("client.pem"), "ssl.openssl.privateKey", stack.TLSFile("client.key")}},
		{"JDK, PEM stores, username without provider, TLS 1.2 suites", []string{"auth.provider", "", "ssl.provider", "JDK", "ssl.truststore.path", stack.TLSFile("ca.pem"),
			"ssl.keystore.path", pemStore, "ssl.keystore.password", stack.TLSPassword(), "ssl.cipherSuites", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := securedConfig(t, append(append(c.kv, mapping...), "name", fmt.Sprintf("secured-%d-%d", i, rand.Uint32()))...)
			task := startTask(t, cfg, &fakeCtx{})
			id := fmt.Sprintf("order-%d", i)
			if err := task.Put(context.Background(), []connectors.SinkRecord{record(id, int32(10+i))}); err != nil {
				t.Fatal(err)
			}
			var qty int
			var note string
			if err := s.Query("SELECT qty, note FROM "+ks+".orders WHERE id = ?", id).Scan(&qty, &note); err != nil || qty != 10+i || note != "via "+id {
				t.Fatalf("row %s: qty %d note %q (%v)", id, qty, note, err)
			}
		})
	}

	jks := jdkStores("jks")
	for _, c := range []struct {
		name      string
		kv        []string
		key, want string
	}{
		{"wrong password", append(jks, "auth.password", "not-the-password"), "auth.password",
			"refused the credentials of auth.username " + stack.SecuredCassandraUser() + " (wrong auth.username or auth.password)"},
		{"no credentials", append(jks, "auth.provider", "", "auth.username", "", "auth.password", ""), "auth.provider",
			"requires authentication: set auth.username and auth.password"},
		{"untrusted server certificate", append(jks, "ssl.truststore.path", stack.TLSFile("untrusted-truststore.p12")), "ssl.truststore.path",
			"is not trusted by ssl.truststore.path " + stack.TLSFile("untrusted-truststore.p12")},
		{"untrusted client certificate", append(jks, "ssl.keystore.path", stack.TLSFile("untrusted-client.jks")), "ssl.keystore.path",
			"refused the client certificate of ssl.keystore.path " + stack.TLSFile("untrusted-client.jks")},
		{"no client certificate", append(jks, "ssl.keystore.path", "", "ssl.keystore.password", ""), "ssl.keystore.path",
			"requires a client certificate"},
		{"no TLS", []string{}, "ssl.provider", "if its client encryption is enabled, set ssl.provider"},
		{"wrong trust store password", append(jks, "ssl.truststore.password", "nope"), "ssl.truststore.path", "wrong ssl.truststore.password?"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := securedConfig(t, append(append(c.kv, mapping...), "name", fmt.Sprintf("refused-%d", rand.Uint32()))...)
			began := time.Now()
			task := &Task{log: testLogger()}
			err := task.Start(context.Background(), cfg, &fakeCtx{})
			took := time.Since(began)
			if err == nil {
				_ = task.Stop()
				t.Fatal("task started")
			}
			if !strings.Contains(err.Error(), c.want) || settingOf(err, "") != c.key {
				t.Fatalf("start: %v (on %q), want %q on %s", err, settingOf(err, ""), c.want, c.key)
			}
			if took > 15*time.Second {
				t.Fatalf("refused after %s, want within seconds", took)
			}
			infos := configDef.Validate(cfg)
			(&Connector{}).ValidateConfig(context.Background(), cfg, &infos)
			var found bool
			for _, ci := range infos.Configs {
				if ci.Value != nil && ci.Value.Name == c.key {
					for _, e := range ci.Value.Errors {
						found = found || strings.Contains(e, c.want)
					}
				}
			}
			if !found || infos.ErrorCount != 1 {
				t.Fatalf("validation (%d errors) does not report %q on %s: %+v", infos.ErrorCount, c.want, c.key, infos.Configs)
			}
			t.Logf("refused in %s: %v", took.Round(time.Millisecond), err)
		})
	}
}
