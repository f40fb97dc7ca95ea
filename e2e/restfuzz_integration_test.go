//go:build integration

package e2e

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gonnect/gonnect/stack"
)

// fuzzRequest is one request of the HTTP fuzz pass: the request target is
// sent as written (percent-encodings, "..", control characters and all).
type fuzzRequest struct {
	method, target, body string
	ctype                string // "" sends no Content-Type
}

func (r fuzzRequest) String() string {
	b := r.body
	if len(b) > 60 {
		b = fmt.Sprintf("%s... (%d bytes)", b[:60], len(b))
	}
	t := r.target
	if len(t) > 100 {
		t = fmt.Sprintf("%s... (%d bytes)", t[:100], len(t))
	}
	return fmt.Sprintf("%s %q %q", r.method, t, b)
}

var fuzzClient = &http.Client{Timeout: 100 * time.Second}

// send sends r to base, returning the status (0 when the connection
// failed or was closed without an answer, which Jetty does for some
// malformed request targets).
func (r fuzzRequest) send(base string) (int, string) {
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, base, body)
	if err != nil {
		return -1, err.Error()
	}
	req.URL.Opaque = r.target // sent verbatim as the request target
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	resp, err := fuzzClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b)
}

// fuzzNames are connector (and plugin, logger) names that break paths.
func fuzzNames(base string) []string {
	return []string{
		base, "no-such-connector", "a%2Fb", "a/b", "..", "%2E%2E", "a%00b", "%00",
		strings.Repeat("n", 10_000), "a%01b", "%1F", "%7F", "%FF%FE", "caf%C3%A9", "sp%20ace", "semi;colon", "%25", "a%5Cb",
	}
}

// fuzzBodies are request bodies no endpoint can take as they are.
func fuzzBodies() []string {
	return []string{
		"", "null", "not json", `{"a":`, `{"a":"b"} trailing`, `[1,2]`, `"string"`, `42`,
		`{"name":1,"config":[]}`, `{"connector.class":{"nested":true}}`, `{"name":"x","config":{"a":1},"initial_state":"NAPPING"}`,
		`{"offsets":"nope"}`, `{"offsets":[{"partition":1,"offset":2}]}`, `{"level":7}`,
		strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
		strings.Repeat(`{"a":`, 3000) + "1" + strings.Repeat("}", 3000),
		"{\"a\":\"\xff\xfe\"}", "{\"\xc3\x28\":\"x\"}", "{\"a\":\"\x01\x02\"}", "{\"a\":\"b\x00\"}",
		`{"a":"` + strings.Repeat("x", 2<<20) + `"}`,
	}
}

// fuzzRequests builds the bounded request set: every endpoint with every
// name, and every body-reading endpoint with every body.
func fuzzRequests(base string) []fuzzRequest {
	var out []fuzzRequest
	const j = "application/json"
	for _, n := range fuzzNames(base) {
		c := "/connectors/" + n
		out = append(out,
			fuzzRequest{"GET", c, "", ""}, fuzzRequest{"DELETE", c + "-gone", "", ""},
			fuzzRequest{"GET", c + "/config", "", ""}, fuzzRequest{"PUT", c + "/config", `{"a":`, j},
			fuzzRequest{"PATCH", c + "/config", `[]`, j}, fuzzRequest{"GET", c + "/status", "", ""},
			fuzzRequest{"POST", c + "/restart?includeTasks=maybe&onlyFailed=%00", "", ""},
			fuzzRequest{"PUT", c + "/pause", "", ""}, fuzzRequest{"PUT", c + "/resume", "", ""},
			fuzzRequest{"GET", c + "/tasks", "", ""}, fuzzRequest{"GET", c + "/tasks/x/status", "", ""},
			fuzzRequest{"GET", c + "/tasks/99999999999/status", "", ""}, fuzzRequest{"POST", c + "/tasks/-1/restart", "", ""},
			fuzzRequest{"GET", c + "/topics", "", ""}, fuzzRequest{"GET", c + "/offsets", "", ""},
			fuzzRequest{"PATCH", c + "/offsets", `{"offsets":7}`, j},
			fuzzRequest{"GET", "/connector-plugins/" + n + "/config", "", ""},
			fuzzRequest{"PUT", "/connector-plugins/" + n + "/config/validate", `{"connector.class":"` + n + `"}`, j},
			fuzzRequest{"GET", "/admin/loggers/" + n, "", ""},
		)
	}
	for _, b := range fuzzBodies() {
		for _, target := range []string{"/connectors", "/connectors/" + base + "/config", "/connectors/fuzz-new/config",
			"/connector-plugins/FileStreamSink/config/validate", "/connectors/" + base + "/offsets", "/admin/loggers/gonnect.fuzz"} {
			method := map[string]string{"/connectors": "POST", "/connectors/" + base + "/offsets": "PATCH"}[target]
			if method == "" {
				method = "PUT"
			}
			out = append(out, fuzzRequest{method, target, b, j})
			if target == "/connectors" {
				out = append(out, fuzzRequest{method, target, b, "text/plain"}, fuzzRequest{method, target, b, ""})
			}
		}
		out = append(out, fuzzRequest{"PATCH", "/connectors/" + base + "/config", b, j})
	}
	out = append(out,
		fuzzRequest{"GET", "/connectors?expand=bogus&expand=%FF", "", ""}, fuzzRequest{"GET", "/connectors?expand=status&expand=info", "", ""},
		fuzzRequest{"GET", "/connector-plugins?connectorsOnly=maybe", "", ""}, fuzzRequest{"POST", "/connector-plugins", "", ""},
		fuzzRequest{"DELETE", "/", "", ""}, fuzzRequest{"GET", "/%", "", ""}, fuzzRequest{"GET", "/connectors/%zz", "", ""},
		fuzzRequest{"GET", "/" + strings.Repeat("a", 10_000), "", ""},
	)
	return out
}

// configTopicEnd is the end offset of a worker's config topic (one partition).
func configTopicEnd(t *testing.T, c *kafka.Consumer, topic string) int64 {
	t.Helper()
	_, high, err := c.QueryWatermarkOffsets(topic, 0, 10000)
	if err != nil {
		t.Fatalf("end offset of %s: %v", topic, err)
	}
	return high
}

// settleConfigTopic waits until the config topic's end has not moved for
// a second (at most 15 s).
func settleConfigTopic(t *testing.T, c *kafka.Consumer, topic string) {
	t.Helper()
	last, since := configTopicEnd(t, c, topic), time.Now()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && time.Since(since) < time.Second; {
		time.Sleep(100 * time.Millisecond)
		if end := configTopicEnd(t, c, topic); end != last {
			last, since = end, time.Now()
		}
	}
}

// TestIntegrationRESTFuzz sends a bounded set of malformed requests to
// every REST endpoint of a gonnect worker on the real broker and the same
// requests to the reference Apache Connect 4.3.1: gonnect never panics,
// never answers 5xx where Apache Connect answers 4xx, and no request it
// refuses changes the config topic. Then concurrent creates of one name:
// exactly one 201, the rest 409.
func TestIntegrationRESTFuzz(t *testing.T) {
	stack.RequireReferenceConnect(t)
	c := newCluster(t, nil)
	w := c.start()
	ref := stack.ReferenceConnectURL()
	base := fmt.Sprintf("fuzz-%d", rand.Uint32())
	topic := base + "-in"
	sink := map[string]string{"connector.class": "FileStreamSink", "tasks.max": "1", "topics": topic, "file": os.DevNull}
	for _, url := range []string{w.url(), ref} {
		if code, b, _ := do("PUT", url+"/connectors/"+base+"/config", sink); code != 201 {
			t.Fatalf("creating %s on %s: %d %s", base, url, code, b)
		}
		t.Cleanup(func() { do("DELETE", url+"/connectors/"+base, nil) })
	}
	eventually(t, 60*time.Second, "the base connector running", func() (bool, string) { return allRunning(t, w.url(), base, 1) })

	cons, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": stack.KafkaBootstrap(), "group.id": base + "-watch"})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	configs := c.id + "-configs"

	reqs := fuzzRequests(base)
	type outcome struct {
		req      fuzzRequest
		ours     int
		theirs   int
		oursBody string
	}
	var mismatched []outcome
	classes := map[string]int{}
	for _, r := range reqs {
		before := configTopicEnd(t, cons, configs)
		ours, body := r.send(w.url())
		if ours/100 == 2 {
			// An accepted change goes on writing (task configs after a
			// config update): let the topic settle before the next check.
			settleConfigTopic(t, cons, configs)
		}
		if ours >= 400 || ours <= 0 {
			if after := configTopicEnd(t, cons, configs); after != before {
				t.Errorf("%s: refused with %d, but the config topic moved from %d to %d", r, ours, before, after)
			}
		}
		theirs, _ := r.send(ref)
		classes[fmt.Sprintf("%dxx/%dxx", ours/100, theirs/100)]++
		switch {
		case ours >= 500 && theirs > 0 && theirs < 500:
			t.Errorf("%s: gonnect %d %s, Apache Connect %d", r, ours, body, theirs)
		case ours/100 != theirs/100:
			mismatched = append(mismatched, outcome{r, ours, theirs, body})
		}
		if code, _ := get(w.url() + "/"); code != 200 {
			t.Fatalf("after %s the worker answers GET / with %d", r, code)
		}
	}
	var keys []string
	for k := range classes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var summary []string
	for _, k := range keys {
		summary = append(summary, fmt.Sprintf("%s: %d", k, classes[k]))
	}
	t.Logf("%d requests; status classes gonnect/Apache Connect: %s", len(reqs), strings.Join(summary, ", "))
	for _, m := range mismatched {
		t.Logf("differs: %s: gonnect %d, Apache Connect %d (%s)", m.req, m.ours, m.theirs, strings.TrimSpace(m.oursBody[:min(len(m.oursBody), 120)]))
	}

	// Concurrent creates of one name.
	race := base + "-race"
	createBody := fmt.Sprintf(`{"name":%q,"config":{"connector.class":"FileStreamSink","tasks.max":"1","topics":%q,"file":%q}}`, race, topic, os.DevNull)
	const n = 16
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = fuzzRequest{"POST", "/connectors", createBody, "application/json"}.send(w.url())
		}()
	}
	wg.Wait()
	t.Cleanup(func() { do("DELETE", w.url()+"/connectors/"+race, nil) })
	count := map[int]int{}
	for _, code := range codes {
		count[code]++
	}
	if count[201] != 1 || count[409] != n-1 {
		t.Errorf("concurrent creates of %s: status codes %v, want one 201 and %d 409", race, count, n-1)
	}

	b, _ := os.ReadFile(w.log)
	if strings.Contains(string(b), "panic serving REST request") {
		i := strings.Index(string(b), "panic serving REST request")
		t.Errorf("the worker logged a panic:\n%s", string(b)[i:min(len(b), i+2000)])
	}
}
