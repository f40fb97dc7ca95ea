package configprovider

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTransform(t *testing.T) {
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets")
	if err := os.MkdirAll(filepath.Join(secrets, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	props := filepath.Join(secrets, "kafka.properties")
	if err := os.WriteFile(props, []byte("password=s3cret\nuser = alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(secrets, "token"), []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(dir, "outside.properties")
	if err := os.WriteFile(outside, []byte("password=nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GONNECT_TEST_SECRET", "envval")
	t.Setenv("OTHER_VAR", "hidden")

	worker := map[string]string{
		"config.providers":                             "file, dir,env,allowed,noclass",
		"config.providers.file.class":                  FileClass,
		"config.providers.dir.class":                   DirectoryClass,
		"config.providers.env.class":                   EnvVarClass,
		"config.providers.env.param.allowlist.pattern": "GONNECT_.*",
		"config.providers.allowed.class":               FileClass,
		"config.providers.allowed.param.allowed.paths": secrets,
	}
	ps, err := FromConfig(worker)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ps["noclass"]; ok || len(ps) != 4 {
		t.Fatalf("providers %v: want file, dir, env, allowed", ps)
	}
	for _, c := range []struct{ name, in, want, err string }{
		{name: "file", in: "${file:" + props + ":password}", want: "s3cret"},
		{name: "embedded twice", in: "u=${file:" + props + ":user};p=${file:" + props + ":password}", want: "u=alice;p=s3cret"},
		{name: "missing key kept", in: "${file:" + props + ":nokey}", want: "${file:" + props + ":nokey}"},
		{name: "unknown provider kept", in: "${vault:a/b:c}", want: "${vault:a/b:c}"},
		{name: "class-less provider kept", in: "${noclass:" + props + ":user}", want: "${noclass:" + props + ":user}"},
		{name: "no path: file resolves nothing", in: "${file:password}", want: "${file:password}"},
		{name: "directory", in: "${dir:" + secrets + ":token}", want: "tok\n"},
		{name: "directory: subdirectory is no key", in: "${dir:" + secrets + ":sub}", want: "${dir:" + secrets + ":sub}"},
		{name: "env allowed", in: "${env:GONNECT_TEST_SECRET}", want: "envval"},
		{name: "env not in allowlist kept", in: "${env:OTHER_VAR}", want: "${env:OTHER_VAR}"},
		{name: "env with a path fails", in: "${env:x:GONNECT_TEST_SECRET}", err: "Path is not supported for EnvVarConfigProvider, invalid value 'x'"},
		{name: "allowed path", in: "${allowed:" + props + ":user}", want: "alice"},
		{name: "path outside allowed.paths kept", in: "${allowed:" + outside + ":password}", want: "${allowed:" + outside + ":password}"},
		{name: "dot-dot escape normalised and refused", in: "${allowed:" + secrets + "/../outside.properties:password}", want: "${allowed:" + secrets + "/../outside.properties:password}"},
		{name: "missing file fails", in: "${file:" + dir + "/none.properties:password}", err: "Could not read properties from file " + dir + "/none.properties"},
		{name: "no placeholder", in: "plain $ {x} ${novar}", want: "plain $ {x} ${novar}"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := map[string]string{"k": c.in, "other": "x"}
			got, err := ps.Transform(in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got["k"] != c.want || got["other"] != "x" {
				t.Fatalf("got %q, want %q", got["k"], c.want)
			}
			if in["k"] != c.in {
				t.Fatal("input changed")
			}
		})
	}
}

func TestFromConfigRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		props map[string]string
		err   string
	}{
		{name: "unknown class", props: map[string]string{"config.providers": "v", "config.providers.v.class": "com.example.VaultConfigProvider"},
			err: "Invalid value com.example.VaultConfigProvider for configuration config.providers.v.class"},
		{name: "relative allowed path", props: map[string]string{"config.providers": "f", "config.providers.f.class": FileClass,
			"config.providers.f.param.allowed.paths": "rel/dir"}, err: "Path rel/dir is not absolute"},
		{name: "missing allowed path", props: map[string]string{"config.providers": "f", "config.providers.f.class": DirectoryClass,
			"config.providers.f.param.allowed.paths": dir + "/missing"}, err: "does not exist"},
		{name: "bad allowlist", props: map[string]string{"config.providers": "e", "config.providers.e.class": EnvVarClass,
			"config.providers.e.param.allowlist.pattern": "("}, err: "allowlist.pattern"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := FromConfig(c.props); err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("error = %v, want %q", err, c.err)
			}
		})
	}
}

func TestReverseTransform(t *testing.T) {
	raw := map[string]string{"password": "${file:/s:password}", "topics": "t", "url": "http://${env:HOST}:80"}
	tasks := []map[string]string{{"password": "s3cret", "topics": "t", "task.class": "X"}, {"url": "http://h:80"}}
	got := ReverseTransform(raw, tasks)
	want := []map[string]string{{"password": "${file:/s:password}", "topics": "t", "task.class": "X"}, {"url": "http://${env:HOST}:80"}}
	for i := range want {
		if !maps.Equal(got[i], want[i]) {
			t.Fatalf("task %d = %v, want %v", i, got[i], want[i])
		}
	}
	if tasks[0]["password"] != "s3cret" {
		t.Fatal("input changed")
	}
}
