//go:build faults

package faults

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/gonnect/gonnect/stack"
)

// cassandraProxyAddr is where the proxy in front of Cassandra listens: an
// address of its own on loopback and a port other than 9042, so a driver
// that dialled the address Cassandra reports, or port 9042, would miss it.
const cassandraProxyAddr = "127.0.0.10:19042"

// netFault is one fault a proxy can inject, and how it heals.
type netFault struct {
	name   string
	inject func(t *testing.T, p *toxiproxy.Proxy)
	heal   func(t *testing.T, p *toxiproxy.Proxy)
	// flows: records keep being committed while the fault lasts.
	flows bool
}

// metricSum adds up every series of a metric on the workers' /metrics.
func metricSum(ws []*Worker, name string) float64 {
	var sum float64
	for _, w := range ws {
		_, b := Do("GET", w.URL()+"/metrics", nil)
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(l, name+"{") && !strings.HasPrefix(l, name+" ") {
				continue
			}
			var v float64
			if _, err := fmt.Sscan(l[strings.LastIndexByte(l, ' ')+1:], &v); err == nil {
				sum += v
			}
		}
	}
	return sum
}

func addToxic(t *testing.T, p *toxiproxy.Proxy, js string) {
	t.Helper()
	if _, err := p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		t.Fatalf("adding toxic %s to proxy %s: %v", js, p.Name, err)
	}
}

func removeToxics(t *testing.T, p *toxiproxy.Proxy) { p.Toxics.ResetToxics(t.Context()) }

var netFaults = []netFault{
	{name: "connection cut",
		inject: func(t *testing.T, p *toxiproxy.Proxy) { p.Stop() },
		heal: func(t *testing.T, p *toxiproxy.Proxy) {
			if err := p.Start(); err != nil {
				t.Fatalf("starting proxy %s again: %v", p.Name, err)
			}
		}},
	{name: "1s latency", flows: true,
		inject: func(t *testing.T, p *toxiproxy.Proxy) {
			addToxic(t, p, `{"name":"latency","type":"latency","stream":"downstream","attributes":{"latency":1000}}`)
		},
		heal: removeToxics},
	// Connections stay open (new ones are accepted too) but nothing gets
	// through either way, as with a peer gone without a FIN: only the
	// clients' own timeouts can notice.
	{name: "half-open",
		inject: func(t *testing.T, p *toxiproxy.Proxy) {
			addToxic(t, p, `{"name":"up","type":"timeout","stream":"upstream","attributes":{"timeout":0}}`)
			addToxic(t, p, `{"name":"down","type":"timeout","stream":"downstream","attributes":{"timeout":0}}`)
		},
		heal: removeToxics},
}

func newProxy(t *testing.T, srv *toxiproxy.ApiServer, name, listen, upstream string) *toxiproxy.Proxy {
	t.Helper()
	p := toxiproxy.NewProxy(srv, name, listen, upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("starting proxy %s on %s to %s: %v", name, listen, upstream, err)
	}
	t.Cleanup(p.Stop)
	return p
}

// TestFaultsNetwork puts a TCP proxy (toxiproxy, in process) between the
// workers and Cassandra and between the workers and Kafka (the suite's own
// broker, whose proxied listener is advertised at the proxy), and on each
// path cuts the connections and heals them, adds 1 s of latency, and makes
// the connections half-open (accepted, never answered). The sink's
// queryExecutionTimeout and retries and the Kafka clients' timeouts handle
// them: no task fails, the workers keep answering, and after each heal the
// records sent so far are committed within a bound.
// faultFor is how long each network fault lasts: three
// queryExecutionTimeouts, so writes caught by it time out and are retried.
const faultFor = 15 * time.Second

func TestFaultsNetwork(t *testing.T) {
	b := startFaultsBroker(t)
	stack.RequireCassandra(t)
	logger := zerolog.Nop()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), logger)
	cassUp := stack.CassandraHosts()[0]
	cass := newProxy(t, srv, "cassandra", cassandraProxyAddr, cassUp)
	kafkaProxy := newProxy(t, srv, "kafka", b.Proxied, b.ProxiedUpstream)

	host, port, _ := net.SplitHostPort(cassandraProxyAddr)
	var cport int
	fmt.Sscan(port, &cport)
	const timeout = 5 // queryExecutionTimeout, seconds
	sc := New(t, Config{Name: "network", Bootstrap: b.Bootstrap, Cassandra: Cassandra{ContactPoints: host, Port: cport}})
	c := NewCluster(t, b.Proxied, nil)
	sc.Cluster = c
	w1, w2 := c.Start(), c.Start()
	sc.CreateConnector(w1.URL(), map[string]string{"queryExecutionTimeout": fmt.Sprint(timeout)})
	sc.Stream.Produce(1000)
	sc.Recovered("start", sc.started, 2*time.Minute)
	sc.Stream.Run(200)

	for _, path := range []struct {
		name  string
		proxy *toxiproxy.Proxy
	}{{"worker-Cassandra", cass}, {"worker-Kafka", kafkaProxy}} {
		for _, f := range netFaults {
			fault := path.name + " " + f.name
			time.Sleep(2 * time.Second)
			ctxEnd, _ := sc.EndOffsets(t.Context())
			requests := metricSum([]*Worker{w1, w2}, "cassandra_sink_write_latency_seconds_count")
			f.inject(t, path.proxy)
			injected := time.Now()
			// While the fault lasts the workers answer REST at once and no
			// task fails; with latency, records still get committed.
			for time.Since(injected) < faultFor {
				for _, w := range []*Worker{w1, w2} {
					start := time.Now()
					code, body := Do("GET", w.URL()+"/connectors/"+sc.Connector+"/status", nil)
					if d := time.Since(start); code != 200 || d > 3*time.Second {
						t.Errorf("%s: worker %s answered the status in %s: %d %s", fault, w.ID(), d, code, body)
					}
					if strings.Contains(string(body), `"FAILED"`) {
						t.Errorf("%s: a task FAILED: %s", fault, body)
					}
				}
				time.Sleep(time.Second)
			}
			// Writes that cannot reach Cassandra end within the timeout
			// (as errors, retried): they do not wait for the heal.
			if path.proxy == cass && !f.flows {
				if n := metricSum([]*Worker{w1, w2}, "cassandra_sink_write_latency_seconds_count"); n <= requests {
					t.Errorf("%s: no write request ended during the fault (%v before, %v after %s; queryExecutionTimeout %ds)", fault, requests, n, faultFor, timeout)
				}
			}
			if f.flows {
				if com, err := sc.Committed(t.Context()); err == nil {
					if ok, msg := caughtUp(com, ctxEnd); !ok {
						t.Errorf("%s: records sent before the fault were not committed during it: %s", fault, msg)
					}
				}
			}
			healed := time.Now()
			f.heal(t, path.proxy)
			d := sc.Recovered(fault, healed, 3*time.Minute)
			if limit := 90 * time.Second; d > limit {
				t.Errorf("%s: recovery took %s after the heal, over %s", fault, d.Round(time.Second), limit)
			}
		}
	}
	sc.Prove()
}
