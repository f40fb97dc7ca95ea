package basicauth

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoginConfigFromJavaOpts(t *testing.T) {
	for _, c := range []struct{ opts, want string }{
		{"", ""},
		{"-Xmx1g -Djava.security.auth.login.config=/etc/connect/jaas.conf", "/etc/connect/jaas.conf"},
		{"-Djava.security.auth.login.config==/only/this.conf", "/only/this.conf"},
		{"-Djava.security.auth.login.config=/a -Djava.security.auth.login.config=/b", "/b"},
		{"-Djava.security.auth.login.configuration=/x", ""},
		{`-Djava.security.auth.login.config="/quoted.conf"`, "/quoted.conf"},
	} {
		if got := LoginConfigFromJavaOpts(c.opts); got != c.want {
			t.Errorf("LoginConfigFromJavaOpts(%q) = %q, want %q", c.opts, got, c.want)
		}
	}
}

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	f := filepath.Join(dir, name)
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func jaasWith(file string) string {
	return "// Connect's REST credentials\nKafkaConnect {\n  " + LoginModule + " required\n  file=\"" + file + "\";\n};\n"
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	creds := write(t, dir, "creds.properties", "alice=alice-secret\nbob: bob secret\n")
	for _, c := range []struct {
		name, jaas, err string
	}{
		{name: "one module", jaas: jaasWith(creds)},
		{name: "file: URL", jaas: jaasWith(creds)},
		{name: "other entries beside", jaas: "KafkaClient { org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\"; };\n" + jaasWith(creds)},
		{name: "no KafkaConnect entry", jaas: "KafkaServer { " + LoginModule + " required file=\"" + creds + "\"; };", err: "has no KafkaConnect entry"},
		{name: "empty entry", jaas: "KafkaConnect { };", err: "has no KafkaConnect entry"},
		{name: "another login module", jaas: "KafkaConnect { com.sun.security.auth.module.LdapLoginModule required; };", err: "uses login module com.sun.security.auth.module.LdapLoginModule"},
		{name: "no file option", jaas: "KafkaConnect { " + LoginModule + " required; };", err: "Property Credentials file must be specified"},
		{name: "missing credentials file", jaas: jaasWith(filepath.Join(dir, "none.properties")), err: "Error loading Property Credentials file " + filepath.Join(dir, "none.properties")},
		{name: "entry twice", jaas: jaasWith(creds) + jaasWith(creds), err: "multiple entries for KafkaConnect"},
		{name: "unclosed", jaas: "KafkaConnect { " + LoginModule + " required file=\"" + creds + "\";", err: "not closed"},
		{name: "unknown property reference", jaas: jaasWith("${no.such.property}/creds"), err: "no.such.property"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := write(t, t.TempDir(), "jaas.conf", c.jaas)
			if c.name == "file: URL" {
				f = "file:" + f
			}
			a, err := Load(f, "test")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want it to contain %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := a.CredentialFiles(); len(got) == 0 || got[len(got)-1] != creds {
				t.Fatalf("credentials files %v", got)
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "missing.conf"), "-Djava.security.auth.login.config in KAFKA_OPTS"); err == nil ||
		!strings.Contains(err.Error(), "missing.conf (-Djava.security.auth.login.config in KAFKA_OPTS)") {
		t.Fatalf("missing JAAS file: %v", err)
	}
}

func basic(userPass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPass))
}

// Credentials are accepted as Connect's BasicAuthCredentials and
// PropertyFileLoginModule accept them.
func TestAuthenticate(t *testing.T) {
	dir := t.TempDir()
	creds := write(t, dir, "creds.properties", "alice=alice-secret\nbob: bob secret\ncolon=a:b\n")
	other := write(t, dir, "other.properties", "carol=carol-secret\n")
	empty := write(t, dir, "empty.properties", "# nobody\n")
	load := func(t *testing.T, jaas string) *Authenticator {
		a, err := Load(write(t, t.TempDir(), "jaas.conf", jaas), "test")
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	one := jaasWith(creds)
	two := "KafkaConnect {\n " + LoginModule + " required file=\"" + creds + "\";\n " + LoginModule + " sufficient file=\"" + other + "\";\n};"
	for _, c := range []struct {
		name, jaas, header string
		ok                 bool
		err                error
	}{
		{name: "good", jaas: one, header: basic("alice:alice-secret"), ok: true},
		{name: "properties separators", jaas: one, header: basic("bob:bob secret"), ok: true},
		{name: "password holding a colon", jaas: one, header: basic("colon:a:b"), ok: true},
		{name: "scheme in any case", jaas: one, header: "bAsIc " + base64.StdEncoding.EncodeToString([]byte("alice:alice-secret")), ok: true},
		{name: "unpadded base64, as Java's decoder takes it", jaas: one, header: "Basic " + base64.RawStdEncoding.EncodeToString([]byte("alice:alice-secret")), ok: true},
		{name: "wrong password", jaas: one, header: basic("alice:nope")},
		{name: "unknown user", jaas: one, header: basic("mallory:alice-secret")},
		{name: "no header", jaas: one},
		{name: "bearer", jaas: one, header: "Bearer abc"},
		{name: "no space", jaas: one, header: "Basic"},
		{name: "no colon", jaas: one, header: basic("alice")},
		{name: "empty user", jaas: one, header: basic(":alice-secret")},
		{name: "not base64", jaas: one, header: "Basic !!!", err: ErrMalformedBase64},
		{name: "an empty credentials file lets everyone in", jaas: jaasWith(empty), ok: true},
		{name: "the second module accepts", jaas: two, header: basic("carol:carol-secret"), ok: true},
		{name: "the first module accepts", jaas: two, header: basic("alice:alice-secret"), ok: true},
		{name: "neither module accepts", jaas: two, header: basic("carol:alice-secret")},
	} {
		t.Run(c.name, func(t *testing.T) {
			ok, err := load(t, c.jaas).Authenticate(c.header)
			if ok != c.ok || !errors.Is(err, c.err) {
				t.Fatalf("Authenticate(%q) = %v, %v; want %v, %v", c.header, ok, err, c.ok, c.err)
			}
		})
	}
}
