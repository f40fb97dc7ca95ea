package clientsecurity

import (
	"maps"
	"strings"
	"testing"
)

func TestParseJAAS(t *testing.T) {
	for _, c := range []struct {
		name, in string
		module   string
		opts     map[string]string
		err      string
	}{
		{name: "plain quoted", in: `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr=t;x";`,
			module: "org.apache.kafka.common.security.plain.PlainLoginModule", opts: map[string]string{"username": "alice", "password": "s3cr=t;x"}},
		{name: "bare words, single quotes, newlines", in: "org.apache.kafka.common.security.scram.ScramLoginModule REQUIRED\n  username=bob_1.x-y\n  password='it s';",
			module: "org.apache.kafka.common.security.scram.ScramLoginModule", opts: map[string]string{"username": "bob_1.x-y", "password": "it s"}},
		// Two quoted strings in a row are two tokens, not one with a quote in it.
		{name: "doubled quote", in: `m required password='it''s';`, err: "Value not specified for key 's' in JAAS config"},
		{name: "escapes", in: `m required password="a\"b\\c\tz\101";`, module: "m", opts: map[string]string{"password": "a\"b\\c\tzA"}},
		{name: "comments", in: "m /* block */ required // line\n username=\"u\" ;", module: "m", opts: map[string]string{"username": "u"}},
		{name: "no options", in: `m optional;`, module: "m", opts: map[string]string{}},
		{name: "unquoted number value", in: `m required password=123;`, err: "Value not specified for key 'password' in JAAS config"},
		{name: "missing semicolon", in: `m required username="u"`, err: "JAAS config entry not terminated by semi-colon"},
		{name: "bad flag", in: `m mandatory username="u";`, err: "Invalid login module control flag 'mandatory' in JAAS config"},
		{name: "no flag", in: `m`, err: "Login module control flag not specified in JAAS config"},
		{name: "two modules", in: `a required; b required;`, err: "contains 2 login modules, should be 1 module"},
		{name: "empty", in: `  `, err: "does not contain any login modules"},
		{name: "missing value", in: `m required username=;`, err: "Value not specified for key 'username'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := ParseJAAS(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.LoginModule != c.module || !maps.Equal(e.Options, c.opts) {
				t.Fatalf("got %s %v, want %s %v", e.LoginModule, e.Options, c.module, c.opts)
			}
		})
	}
}
