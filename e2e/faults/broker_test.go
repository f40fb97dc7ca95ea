//go:build faults

package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/stack"
)

// faultsBroker is the suite's own single-node Kafka (stack.sh
// faults-broker), with the ports stack.sh gives it.
type faultsBroker struct {
	// Bootstrap is its PLAINTEXT listener, for the test's own clients.
	Bootstrap string
	// Proxied is where its PROXIED listener is advertised, the address a
	// proxy listens on; ProxiedUpstream is that listener itself.
	Proxied, ProxiedUpstream string
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func theFaultsBroker() faultsBroker {
	return faultsBroker{
		Bootstrap:       "127.0.0.1:" + envOr("FAULTS_KAFKA_PORT", "19092"),
		Proxied:         envOr("FAULTS_KAFKA_PROXIED_ADVERTISED", "127.0.0.1:19096"),
		ProxiedUpstream: "127.0.0.1:" + envOr("FAULTS_KAFKA_PROXIED_PORT", "19094"),
	}
}

// startFaultsBroker starts the suite's broker when it is not running and
// waits until it answers.
func startFaultsBroker(t testing.TB) faultsBroker {
	t.Helper()
	StackScript(t, "faults-broker", "start")
	b := theFaultsBroker()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		if _, err := stack.PingKafka(ctx, b.Bootstrap); err == nil {
			return b
		} else if ctx.Err() != nil {
			t.Fatalf("the fault suite's broker does not answer at %s: %v", b.Bootstrap, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stopFaultsBroker stops the suite's broker (SIGTERM, as stack.sh stops
// servers) and waits until it exited.
func stopFaultsBroker(t testing.TB) {
	t.Helper()
	StackScript(t, "faults-broker", "stop")
	b := theFaultsBroker()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := stack.PingKafka(ctx, b.Bootstrap); err == nil {
		t.Fatalf("the fault suite's broker still answers at %s after stack.sh faults-broker stop", b.Bootstrap)
	}
}

// TestFaultsBrokerRestart: the broker of a two-worker cluster is stopped for
// 20 s mid-stream and started again. The workers recover on their own (the
// group, the internal topics, the tasks): no task FAILED, nothing to do by
// hand; a config change afterwards goes through the config topic and the
// connector's offsets read back from the offsets the tasks commit.
func TestFaultsBrokerRestart(t *testing.T) {
	b := startFaultsBroker(t)
	// Whatever happens, the broker runs again after the test.
	t.Cleanup(func() { startFaultsBroker(t) })
	sc := New(t, Config{Name: "broker-restart", Bootstrap: b.Bootstrap})
	c := NewCluster(t, b.Bootstrap, nil)
	sc.Cluster = c
	w1, w2 := c.Start(), c.Start()
	sc.CreateConnector(w1.URL(), nil)
	sc.Stream.Produce(2000)
	sc.Recovered("start", sc.started, 2*time.Minute)
	sc.Stream.Run(300)
	time.Sleep(3 * time.Second)

	stopped := time.Now()
	stopFaultsBroker(t)
	exited := time.Now()
	// The workers outlive the outage and keep answering.
	for time.Since(exited) < 20*time.Second {
		for _, w := range []*Worker{w1, w2} {
			if !w.Alive() {
				t.Fatalf("worker %d exited while the broker was down:\n%s", w.Port, filteredLog(w.Log, 30))
			}
		}
		time.Sleep(time.Second)
	}
	if code, b := Do("GET", w1.URL()+"/connectors", nil); code != 200 {
		t.Errorf("GET /connectors while the broker was down: %d %s", code, b)
	}
	started := time.Now()
	startFaultsBroker(t)
	sc.Note("broker down %.1fs (stop took %.1fs), answering %.1fs after its start", started.Sub(exited).Seconds(),
		exited.Sub(stopped).Seconds(), time.Since(started).Seconds())
	sc.Recovered("broker stopped 20s and started", started, 3*time.Minute)

	// The internal topics work again: a config change is written, read by
	// both workers and applied to the tasks.
	cfg := sc.ConnectorConfig()
	cfg["maxConcurrentRequests"] = "200"
	if code, body := Do("PUT", w2.URL()+"/connectors/"+sc.Connector+"/config", cfg); code != 200 {
		t.Fatalf("updating the connector after the broker's restart: %d %s", code, body)
	}
	for _, w := range []*Worker{w1, w2} {
		Eventually(t, time.Minute, "the new config on worker "+w.ID(), func() (bool, string) {
			code, body := Do("GET", w.URL()+"/connectors/"+sc.Connector+"/config", nil)
			return code == 200 && strings.Contains(string(body), `"maxConcurrentRequests":"200"`), fmt.Sprintf("%d %s", code, body)
		})
	}
	sc.Recovered("config change after the restart", time.Now(), 2*time.Minute)
	rep := sc.Prove()
	// The offsets REST endpoint reads what the tasks committed.
	code, body := Do("GET", w1.URL()+"/connectors/"+sc.Connector+"/offsets", nil)
	if code != 200 {
		t.Fatalf("GET offsets: %d %s", code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	end, err := sc.EndOffsets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Offsets []struct {
			Partition struct {
				Topic     string `json:"kafka_topic"`
				Partition int32  `json:"kafka_partition"`
			} `json:"partition"`
			Offset struct {
				Offset int64 `json:"kafka_offset"`
			} `json:"offset"`
		} `json:"offsets"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("GET offsets: %v: %s", err, body)
	}
	read := Offsets{}
	for _, o := range got.Offsets {
		if o.Partition.Topic == sc.Stream.Topic {
			read[o.Partition.Partition] = o.Offset.Offset
		}
	}
	if !reflect.DeepEqual(read, end) {
		t.Errorf("GET offsets says %v, the topic ends at %v", read, end)
	}
	if !rep.CommittedAtEnd {
		t.Errorf("committed offsets did not reach the end offsets")
	}
}
