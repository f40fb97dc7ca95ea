//go:build integration

package task

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/gonnect/gonnect/connectors/file"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/stack"
)

// A sink runner applies the connector's transformations after conversion:
// a record a transformation fails on is tolerated (errors.tolerance=all)
// and its offset committed, and offsets stay those of the consumed topic
// when a transformation routes records to another topic name.
func TestIntegrationSinkRunnerTransforms(t *testing.T) {
	stack.RequireKafka(t)
	topic := fmt.Sprintf("it-sink-smt-%d", rand.Uint32())
	produce(t, topic, "1", "2", "x", "3")
	out := t.TempDir() + "/out.txt"
	conn := fmt.Sprintf("it-conn-smt-%d", rand.Uint32())
	key, _ := converters.New(converters.StringClass)
	val, _ := converters.New(converters.StringClass)
	_ = key.Configure(nil, true)
	_ = val.Configure(nil, false)
	l := &recListener{}
	r, err := NewSinkRunner(SinkConfig{
		ID: entities.TaskID{Connector: conn}, Bootstrap: stack.KafkaBootstrap(),
		ConnectorConfig: map[string]string{"topics": topic, "errors.tolerance": "all",
			"transforms": "c,r", "transforms.c.type": "org.apache.kafka.connect.transforms.Cast$Value", "transforms.c.spec": "int32",
			"transforms.r.type": "org.apache.kafka.connect.transforms.RegexRouter", "transforms.r.regex": "(.*)", "transforms.r.replacement": "$1-routed"},
		TaskConfig:     map[string]string{"file": out},
		CommitInterval: 500 * time.Millisecond, KeyConverter: key, ValueConverter: val,
		Task: (&file.SinkConnector{}).NewTask(), Listener: l,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	runUntilCommitted(t, r, conn, topic, 4)
	b, _ := os.ReadFile(out)
	lines := strings.Fields(string(b))
	sort.Strings(lines)
	if strings.Join(lines, ",") != "1,2,3" {
		t.Fatalf("file has %q, want the three numbers cast to int32", lines)
	}
}
