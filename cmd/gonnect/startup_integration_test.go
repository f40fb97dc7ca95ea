//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/stack"
	"github.com/gonnect/gonnect/worker"
)

func gonnectBinary(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	b := filepath.Join(filepath.Dir(file), "..", "..", "bin", "gonnect")
	if _, err := os.Stat(b); err != nil {
		t.Fatalf("gonnect binary missing at %s: run `make build` first", b)
	}
	return b
}

func freeTCPPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// workerProps is a valid distributed worker config of its own group and
// topics, with overrides applied ("" deletes a key).
func workerProps(t *testing.T, port int, overrides map[string]string) string {
	props := baseWorkerProps(port)
	id := fmt.Sprintf("cfgtest-%d", rand.Int63())
	for _, k := range []string{"group.id", "config.storage.topic", "offset.storage.topic", "status.storage.topic"} {
		props[k] = strings.Replace(props[k], "cfgtest-inprocess", id, 1)
	}
	for k, v := range overrides {
		if v == "" && k != "bootstrap.servers" {
			delete(props, k)
			continue
		}
		props[k] = v
	}
	var b strings.Builder
	for k, v := range props {
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	f := filepath.Join(t.TempDir(), "worker.properties")
	if err := os.WriteFile(f, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestIntegrationBadWorkerConfigExitsFast runs bin/gonnect with one bad
// setting at a time: each must exit non-zero within seconds naming the
// key, never hang or open the REST port.
func TestIntegrationBadWorkerConfigExitsFast(t *testing.T) {
	stack.RequireKafka(t)
	bin := gonnectBinary(t)
	tests := []struct {
		name     string
		props    map[string]string
		within   time.Duration
		wantText []string
	}{
		{"empty bootstrap", map[string]string{"bootstrap.servers": ""}, 3 * time.Second, []string{"bootstrap.servers", "must not be empty"}},
		{"malformed bootstrap", map[string]string{"bootstrap.servers": "foo"}, 3 * time.Second, []string{"Invalid url in bootstrap.servers: foo"}},
		{"bad port", map[string]string{"bootstrap.servers": "127.0.0.1:99999"}, 3 * time.Second, []string{"Invalid port in bootstrap.servers"}},
		{"unresolvable bootstrap", map[string]string{"bootstrap.servers": "no-such-host.invalid:9092"}, 5 * time.Second, []string{"No resolvable bootstrap urls given in bootstrap.servers"}},
		{"unreachable bootstrap", map[string]string{"bootstrap.servers": "127.0.0.1:1"}, 15 * time.Second, []string{"bootstrap.servers=127.0.0.1:1", "Failed to connect to and describe Kafka cluster"}},
		{"unknown key converter", map[string]string{"key.converter": "com.example.NoSuchConverter"}, 3 * time.Second, []string{"configuration key.converter", "Class com.example.NoSuchConverter could not be found."}},
		{"unknown value converter", map[string]string{"value.converter": "NoSuch"}, 3 * time.Second, []string{"configuration value.converter"}},
		{"unknown header converter", map[string]string{"header.converter": "NoSuch"}, 3 * time.Second, []string{"configuration header.converter"}},
		{"shared storage topic", map[string]string{"status.storage.topic": "cfgtest-shared", "offset.storage.topic": "cfgtest-shared"}, 3 * time.Second, []string{"offset.storage.topic and status.storage.topic are both 'cfgtest-shared'"}},
		{"unknown override policy", map[string]string{"connector.client.config.override.policy": "Bogus"}, 3 * time.Second, []string{"connector.client.config.override.policy", "which name matches Bogus"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := freeTCPPort(t)
			f := workerProps(t, port, tt.props)
			ctx, cancel := context.WithTimeout(context.Background(), tt.within+30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "distributed", f)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			began := time.Now()
			err := cmd.Run()
			took := time.Since(began)
			if err == nil {
				t.Fatalf("gonnect exited 0; output:\n%s", out.String())
			}
			if took > tt.within {
				t.Errorf("gonnect took %s to fail, want at most %s", took.Round(time.Millisecond), tt.within)
			}
			last := lastLine(out.String())
			for _, w := range tt.wantText {
				if !strings.Contains(last, w) {
					t.Errorf("last line %q does not contain %q", last, w)
				}
			}
			t.Logf("failed in %s: %s", took.Round(time.Millisecond), last)
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// startWorker runs bin/gonnect until the test ends and returns its URL.
func startWorker(t *testing.T, overrides map[string]string) string {
	port := freeTCPPort(t)
	f := workerProps(t, port, overrides)
	cmd := exec.Command(gonnectBinary(t), "distributed", f)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("worker output:\n%s", out.String())
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url + "/connectors"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("worker at %s did not answer within 30s", url)
	return ""
}

func putJSON(t *testing.T, url string, body any) (int, []byte) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

// TestIntegrationClientOverridePolicy runs a worker per policy and checks
// what /config/validate reports for a sink's overrides and that create
// answers 400 with Connect's message exactly when the policy refuses one.
func TestIntegrationClientOverridePolicy(t *testing.T) {
	stack.RequireKafka(t)
	const refusedMsg = "The '%s' policy does not allow '%s' to be overridden in the connector configuration."
	tests := []struct {
		policy  string // "" for the default
		key     string
		refused bool
	}{
		{"", "consumer.override.max.poll.records", false},
		{"All", "consumer.override.max.poll.records", false},
		{"None", "consumer.override.max.poll.records", true},
		{"None", "consumer.override.security.protocol", true},
		{"Principal", "consumer.override.max.poll.records", true},
		{"Principal", "consumer.override.security.protocol", false},
		{"org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy", "consumer.override.sasl.mechanism", false},
	}
	workers := map[string]string{} // one worker per policy, for the whole test
	parent := t
	for _, tt := range tests {
		t.Run(tt.policy+"/"+tt.key, func(t *testing.T) {
			url, ok := workers[tt.policy]
			if !ok {
				url = startWorker(parent, map[string]string{"connector.client.config.override.policy": tt.policy})
				workers[tt.policy] = url
			}
			name := fmt.Sprintf("cfgtest-sink-%d", rand.Int63())
			value := "10"
			if strings.HasSuffix(tt.key, "security.protocol") {
				value = "PLAINTEXT"
			} else if strings.HasSuffix(tt.key, "sasl.mechanism") {
				value = "PLAIN"
			}
			config := map[string]string{
				"name": name, "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
				"topics": name, "file": filepath.Join(t.TempDir(), "out.txt"), tt.key: value,
				"producer.override.linger.ms": "5", // a sink without a DLQ uses no producer: not checked
			}
			code, body := putJSON(t, url+"/connector-plugins/FileStreamSinkConnector/config/validate", config)
			if code != 200 {
				t.Fatalf("validate: %d %s", code, body)
			}
			var infos struct {
				ErrorCount int `json:"error_count"`
				Configs    []struct {
					Value struct {
						Name   string   `json:"name"`
						Value  *string  `json:"value"`
						Errors []string `json:"errors"`
					} `json:"value"`
				} `json:"configs"`
			}
			if err := json.Unmarshal(body, &infos); err != nil {
				t.Fatal(err)
			}
			policyName := tt.policy
			if strings.Contains(policyName, ".") {
				policyName = "Principal"
			}
			client := strings.TrimPrefix(tt.key, "consumer.override.")
			want := fmt.Sprintf(refusedMsg, policyName, client)
			var found bool
			for _, c := range infos.Configs {
				if c.Value.Name == "producer.override.linger.ms" {
					t.Errorf("producer override of a sink without DLQ was validated: %+v", c.Value)
				}
				if c.Value.Name != tt.key {
					continue
				}
				found = true
				if c.Value.Value == nil || *c.Value.Value != value {
					t.Errorf("%s value = %v, want %s", tt.key, c.Value.Value, value)
				}
				if tt.refused && (len(c.Value.Errors) != 1 || c.Value.Errors[0] != want) {
					t.Errorf("%s errors = %q, want [%q]", tt.key, c.Value.Errors, want)
				}
				if !tt.refused && len(c.Value.Errors) != 0 {
					t.Errorf("%s errors = %q, want none", tt.key, c.Value.Errors)
				}
			}
			if !found {
				t.Fatalf("validate lists no %s: %s", tt.key, body)
			}
			if wantCount := map[bool]int{true: 1, false: 0}[tt.refused]; infos.ErrorCount != wantCount {
				t.Errorf("error_count = %d, want %d: %s", infos.ErrorCount, wantCount, body)
			}
			// A worker that has just started answers 409 until it joined its group.
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
				code, body = putJSON(t, url+"/connectors/"+name+"/config", config)
				if code != http.StatusConflict || time.Now().After(deadline) {
					break
				}
			}
			if tt.refused {
				if code != 400 || !strings.Contains(string(body), want) ||
					!strings.Contains(string(body), "Connector configuration is invalid and contains the following 1 error(s):") {
					t.Errorf("create: %d %s, want 400 naming %q", code, body, want)
				}
				return
			}
			if code != 201 {
				t.Errorf("create: %d %s, want 201", code, body)
			}
			req, _ := http.NewRequest(http.MethodDelete, url+"/connectors/"+name, nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		})
	}
}

// TestIntegrationUnknownWorkerKeysWarned starts a worker with keys it does
// not know: each is warned about in Connect's words while keys under the
// prefixes handed to clients and converters are not, and the worker runs.
func TestIntegrationUnknownWorkerKeysWarned(t *testing.T) {
	stack.RequireKafka(t)
	port := freeTCPPort(t)
	f := workerProps(t, port, map[string]string{
		"no.such.key": "1", "metrics.foo": "1", "topic.creation.enable": "false",
		"consumer.max.poll.records": "100", "producer.linger.ms": "5", "value.converter.schemas.enable": "false",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gonnectBinary(t), "distributed", f)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "worker started") {
		if time.Now().After(deadline) {
			t.Fatalf("worker did not start:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	log := out.String()
	for _, want := range []string{
		"The configuration 'no.such.key' was supplied but isn't a known config.",
		"The configuration 'metrics.foo' was supplied but isn't a known config.",
		"The configuration 'topic.creation.enable' is an Apache Kafka Connect worker setting this worker does not implement; it is ignored.",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	for _, key := range []string{"consumer.max.poll.records", "producer.linger.ms", "value.converter.schemas.enable"} {
		if strings.Contains(log, "'"+key+"'") {
			t.Errorf("forwarded key %s was warned about", key)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// invalidValues are values of a type that no key of that type takes.
var invalidValues = map[configdef.Type][]string{
	configdef.Boolean: {"maybe", "yes"},
	configdef.Int:     {"ten", "1.5", "3000000000"},
	configdef.Short:   {"ten", "40000"},
	configdef.Long:    {"ten", "1e3", "99999999999999999999"},
	configdef.Double:  {"ten"},
	configdef.Class:   {"com.example.NoSuchClass"},
}

// outOfRange are values a validated key may refuse: each is tried, and a
// key with a validator must refuse at least one of them.
var outOfRange = []string{"-2", "0", "-1", ",", "bogus", "ftp://x:1", "http://", " "}

// laterChecked are keys whose values are checked after the worker's
// ConfigDef (by the REST server as it starts), with a value each refuses.
var laterChecked = map[string]string{
	"response.http.headers.config": "frobnicate X-A: b",
	"admin.listeners":              "http://127.0.0.1:0,,",
}

// TestIntegrationEveryWorkerKeyRefusesBadValues goes over every key the
// distributed worker declares: a value of the wrong type, and values out
// of a validated key's range, each stop bin/gonnect within seconds with a
// last line naming the key, before it binds the REST port.
func TestIntegrationEveryWorkerKeyRefusesBadValues(t *testing.T) {
	stack.RequireKafka(t)
	bin := gonnectBinary(t)
	type tc struct{ key, value string }
	var cases []tc
	for _, k := range worker.ConfigKeys(true) {
		vals := invalidValues[k.Type]
		refused := 0
		if k.Validator != nil {
			vals = append(vals, outOfRange...)
		}
		if v, ok := laterChecked[k.Name]; ok {
			cases = append(cases, tc{k.Name, v})
			refused++
		}
		for _, v := range vals {
			props := baseWorkerProps(18083)
			props[k.Name] = v
			if _, err := worker.ParseConfig(props, true, nil); err == nil {
				if slices.Contains(invalidValues[k.Type], v) {
					t.Errorf("%s (%s) accepts %q", k.Name, k.Type, v)
				}
				continue
			}
			cases = append(cases, tc{k.Name, v})
			refused++
		}
		if k.Validator != nil && refused == 0 {
			t.Errorf("%s has a validator (%s) but none of %q is refused: add a value it refuses", k.Name, k.Validator, vals)
		}
	}
	t.Logf("%d keys, %d bad values", len(worker.ConfigKeys(true)), len(cases))
	for _, c := range cases {
		t.Run(c.key+"="+c.value, func(t *testing.T) {
			port := freeTCPPort(t)
			f := workerProps(t, port, map[string]string{c.key: c.value})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "distributed", f)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			began := time.Now()
			err := cmd.Run()
			took := time.Since(began)
			if err == nil || ctx.Err() != nil {
				t.Fatalf("gonnect did not stop (%v after %s); output:\n%s", err, took, out.String())
			}
			if took > 5*time.Second {
				t.Errorf("gonnect took %s to stop, want at most 5s", took.Round(time.Millisecond))
			}
			if last := lastLine(out.String()); !strings.Contains(last, c.key) {
				t.Errorf("last line does not name %s: %q", c.key, last)
			}
			if strings.Contains(out.String(), "REST server listening") {
				t.Errorf("the REST server was started:\n%s", out.String())
			}
		})
	}
}

// baseWorkerProps is workerProps' valid config as a map.
func baseWorkerProps(port int) map[string]string {
	id := "cfgtest-inprocess"
	return map[string]string{
		"bootstrap.servers": stack.KafkaBootstrap(), "group.id": id, "listeners": fmt.Sprintf("http://127.0.0.1:%d", port),
		"config.storage.topic": id + "-configs", "offset.storage.topic": id + "-offsets", "status.storage.topic": id + "-status",
		"config.storage.replication.factor": "1", "offset.storage.replication.factor": "1", "status.storage.replication.factor": "1",
		"offset.storage.partitions": "1", "status.storage.partitions": "1",
		"key.converter": "org.apache.kafka.connect.storage.StringConverter", "value.converter": "org.apache.kafka.connect.storage.StringConverter",
	}
}
