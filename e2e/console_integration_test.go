//go:build integration

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestIntegrationConsole drives the web console at /ui/ in headless Chromium
// against a real worker: cluster facts in the header, a FileStreamSink created
// from the generated form (a validation error shown next to its field first,
// then fixed), RUNNING, paused, a task restarted, resumed, its config edited,
// stopped, its offsets reset, deleted; the same console from a second worker,
// charting a task of the first; per-task throughput from the workers' samples;
// logger levels. Each step is also checked through the REST API.
// CONSOLE_SCREENSHOT=docs/console.png keeps the screenshot of the connector
// list (README's picture).
func TestIntegrationConsole(t *testing.T) {
	start := time.Now()
	c := newCluster(t, nil)
	w := c.start()
	base := w.url()
	suffix := fmt.Sprintf("%d", rand.Uint32())
	topic := "console-" + suffix
	source, sink := "orders-source-"+suffix, "orders-sink-"+suffix
	dlq := topic + "-dlq"

	// A source connector made over the API, so the list holds two connectors.
	in := filepath.Join(c.dir, "in.txt")
	if err := os.WriteFile(in, []byte("one\ntwo\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, b, _ := do("POST", base+"/connectors", map[string]any{"name": source, "config": map[string]string{
		"connector.class": "FileStreamSource", "topic": topic, "file": in}}); code != 201 {
		t.Fatalf("creating %s: %d %s", source, code, b)
	}
	var info struct {
		Version   string `json:"version"`
		ClusterID string `json:"kafka_cluster_id"`
	}
	if _, b := get(base + "/"); json.Unmarshal(b, &info) != nil || info.ClusterID == "" {
		t.Fatalf("GET /: %s", b)
	}

	ctx := browser(t, 90*time.Second)
	var mu sync.Mutex
	taskRestarts := map[int64]int{} // status -> count, of POST .../tasks/0/restart seen by the browser
	// Listen starts the browser: its context must outlive the test's steps.
	methods := map[network.RequestID]string{}
	var calls []string // the browser's writes to the REST API, for a failure's log
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			methods[e.RequestID] = e.Request.Method
		case *network.EventResponseReceived:
			if m := methods[e.RequestID]; m != "GET" && m != "" {
				calls = append(calls, fmt.Sprintf("%s %s %s -> %d", time.Now().Format("15:04:05.000"), m, e.Response.URL, e.Response.Status))
			}
			if strings.HasSuffix(e.Response.URL, "/connectors/"+sink+"/tasks/0/restart") {
				taskRestarts[e.Response.Status]++
			}
		}
	})
	t.Cleanup(func() {
		if t.Failed() || time.Since(start) > 40*time.Second {
			mu.Lock()
			t.Logf("REST writes from the browser:\n%s", strings.Join(calls, "\n"))
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("starting the browser: %v", err)
	}

	// The list: the worker's facts and the source connector RUNNING.
	run(t, ctx, "open the console", chromedp.Navigate(base+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS("#kafka-cluster-id")))
	shownID, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#kafka-cluster-id")))
	if err != nil {
		t.Fatal(err)
	}
	shownVersion, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#worker-version")))
	if err != nil {
		t.Fatal(err)
	}
	if shownID != info.ClusterID || shownVersion != info.Version {
		t.Fatalf("header shows cluster %q version %q, GET / says %q %q", shownID, shownVersion, info.ClusterID, info.Version)
	}
	row := func(name string) string { return `tr[data-connector=` + jsString(name) + `]` }
	stateIs := func(name, state string) string {
		return `(document.querySelector(` + jsString(row(name)+` td.state .badge`) + `) || {}).dataset?.state === ` + jsString(state)
	}
	waitJS(t, ctx, source+" RUNNING in the list", stateIs(source, "RUNNING"))

	// The create form: generated from the plugin's validation, an error
	// next to `topics` until it is set, then created.
	run(t, ctx, "choose FileStreamSink", chromedp.Click(chromedp.CSS("#new-connector")),
		chromedp.Click(chromedp.CSS(`button[data-plugin="org.apache.kafka.connect.file.FileStreamSinkConnector"]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-name")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), sink),
		chromedp.SendKeys(chromedp.CSS("#f-file"), filepath.Join(c.dir, "out.txt")))
	waitJS(t, ctx, "the missing-topics error next to the topics field",
		`document.querySelector('[data-field="topics"] .err').textContent.includes('Must configure one of topics or topics.regex')`)
	waitJS(t, ctx, "the error count", `document.querySelector('#cfg-status').dataset.errors === '2'`)
	run(t, ctx, "submit with the error", chromedp.Click(chromedp.CSS("#cfg-submit")))
	waitJS(t, ctx, "the form refusing to submit", `document.querySelector('#form-error').textContent.includes('Fix the 2 errors')`)
	if code, _ := get(base + "/connectors/" + sink); code != 404 {
		t.Fatalf("an invalid form created the connector: GET %s = %d", sink, code)
	}
	// A MEDIUM setting, hidden until the filter finds it.
	run(t, ctx, "filter and fill the DLQ", chromedp.SendKeys(chromedp.CSS(`input[aria-label="Filter settings"]`), "deadletterqueue.topic.name"),
		chromedp.WaitVisible(chromedp.CSS(`[id="f-errors.deadletterqueue.topic.name"]`)),
		chromedp.SendKeys(chromedp.CSS(`[id="f-errors.deadletterqueue.topic.name"]`), dlq),
		chromedp.SendKeys(chromedp.CSS(`input[aria-label="Filter settings"]`), strings.Repeat(kb.Backspace, len("deadletterqueue.topic.name"))))
	run(t, ctx, "fill topics", chromedp.SendKeys(chromedp.CSS("#f-topics"), topic))
	waitJS(t, ctx, "the error gone", `document.querySelector('[data-field="topics"] .err').textContent === '' && document.querySelector('#cfg-status').dataset.errors === '0'`)
	run(t, ctx, "create", chromedp.Click(chromedp.CSS("#cfg-submit")))
	waitJS(t, ctx, "the connector's page", `location.hash === `+jsString("#/c/"+sink))
	waitJS(t, ctx, sink+" RUNNING on its page", `(document.querySelector('#connector-state .badge') || {}).dataset?.state === 'RUNNING'`)
	eventually(t, 20*time.Second, sink+" running", func() (bool, string) { return allRunning(t, base, sink, 1) })
	waitJS(t, ctx, "task 0 on its worker", `document.querySelector('#tasks tr[data-task="0"]').textContent.includes(`+jsString(fmt.Sprintf("127.0.0.1:%d", w.port))+`)`)

	// The source's three lines reach the sink, whose offsets are committed.
	eventually(t, 20*time.Second, sink+" offsets committed", func() (bool, string) {
		code, b := get(base + "/connectors/" + sink + "/offsets")
		return code == 200 && strings.Contains(string(b), `"kafka_offset":3`), fmt.Sprintf("%d %s", code, b)
	})
	// The task's throughput panel, from the worker's samples: the three
	// records it sent.
	waitJS(t, ctx, "task 0's throughput total", `(document.querySelector('#throughput tr[data-task="0"]') || {dataset: {}}).dataset.total === '3' && !!document.querySelector('#throughput tr[data-task="0"] svg.spark.rate polyline')`)
	run(t, ctx, "reload the active topics", chromedp.Click(chromedp.CSS(`#topics button`)))
	waitJS(t, ctx, "the active topic", `[...document.querySelectorAll('#topics .chip')].some(e => e.textContent === `+jsString(topic)+`)`)
	waitJS(t, ctx, "the DLQ topic from the config", `document.querySelector('#dlq-topic').textContent === `+jsString(dlq))
	waitJS(t, ctx, "the DLQ count from the tasks' samples", `(document.querySelector('#dlq-count') || {dataset: {}}).dataset.count === '0'`)

	// The list with both connectors.
	run(t, ctx, "back to the list", chromedp.Navigate(base+"/ui/#/"))
	waitJS(t, ctx, "both RUNNING", stateIs(sink, "RUNNING")+" && "+stateIs(source, "RUNNING"))
	// Pause from the list.
	run(t, ctx, "pause", chromedp.Click(chromedp.CSS(row(sink)+` button[data-action="pause"]`)))
	waitJS(t, ctx, sink+" and its task PAUSED in the list", stateIs(sink, "PAUSED")+` && document.querySelector(`+jsString(row(sink)+` .task`)+`).dataset.state === 'PAUSED'`)
	eventually(t, 10*time.Second, sink+" paused over REST", func() (bool, string) {
		s, ok := statusOf(t, base, sink)
		return ok && s.Connector.State == "PAUSED", fmt.Sprintf("%+v", s)
	})

	// The list with one connector running and one paused: the README's picture.
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 10_000 {
		t.Fatalf("screenshot is not a PNG of the page (%d bytes)", len(png))
	}
	shot := filepath.Join(c.dir, "console.png")
	if p := os.Getenv("CONSOLE_SCREENSHOT"); p != "" {
		shot = filepath.Join(repoRoot(t), p)
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}

	// Restart task 0 from the connector's page.
	run(t, ctx, "open the connector", chromedp.Click(chromedp.CSS(row(sink)+` td.name a`)),
		chromedp.WaitVisible(chromedp.CSS(`#tasks tr[data-task="0"] button[data-action="restart-task"]`)),
		chromedp.Click(chromedp.CSS(`#tasks tr[data-task="0"] button[data-action="restart-task"]`)))
	waitJS(t, ctx, "the restart confirmed", `[...document.querySelectorAll('#toasts .toast')].some(e => e.textContent.includes('Restarted task 0'))`)
	mu.Lock()
	restarted := taskRestarts[204]
	mu.Unlock()
	if restarted != 1 {
		t.Fatalf("POST tasks/0/restart answers seen by the browser: %v, want one 204", taskRestarts)
	}
	eventually(t, 10*time.Second, "task 0 PAUSED after its restart", func() (bool, string) {
		s, ok := statusOf(t, base, sink)
		return ok && len(s.Tasks) == 1 && s.Tasks[0].State == "PAUSED", fmt.Sprintf("%+v", s)
	})

	// Resume from the connector's page.
	run(t, ctx, "resume", chromedp.Click(chromedp.CSS(`.head button[data-action="resume"]`)))
	waitJS(t, ctx, sink+" RUNNING again", `(document.querySelector('#connector-state .badge') || {}).dataset?.state === 'RUNNING'`)
	eventually(t, 10*time.Second, sink+" running over REST", func() (bool, string) { return allRunning(t, base, sink, 1) })

	// The config editor: an invalid tasks.max shown next to the field, then saved.
	tasksMax := `[id="f-tasks.max"]`
	run(t, ctx, "edit tasks.max", chromedp.Click(chromedp.CSS(`.tabs a[data-tab="config"]`)),
		chromedp.WaitVisible(chromedp.CSS(tasksMax)), chromedp.SendKeys(chromedp.CSS(tasksMax), "x"))
	waitJS(t, ctx, "the tasks.max error", `document.querySelector('[data-field="tasks.max"] .err').textContent.includes('tasks.max')`)
	run(t, ctx, "fix tasks.max", chromedp.SendKeys(chromedp.CSS(tasksMax), kb.Backspace+"1"))
	waitJS(t, ctx, "the config valid", `document.querySelector('#cfg-status').dataset.errors === '0'`)
	run(t, ctx, "save", chromedp.Click(chromedp.CSS("#cfg-submit")))
	eventually(t, 10*time.Second, "tasks.max=1 saved over REST", func() (bool, string) {
		code, b := get(base + "/connectors/" + sink + "/config")
		var cfg map[string]string
		_ = json.Unmarshal(b, &cfg)
		return code == 200 && cfg["tasks.max"] == "1" && cfg["topics"] == topic, fmt.Sprintf("%d %s", code, b)
	})
	eventually(t, 20*time.Second, sink+" running after the update", func() (bool, string) { return allRunning(t, base, sink, 1) })

	// Stop, then the committed offsets and their reset.
	run(t, ctx, "stop", chromedp.Click(chromedp.CSS(`.head button[data-action="stop"]`)))
	waitJS(t, ctx, sink+" STOPPED on its page", `(document.querySelector('#connector-state .badge') || {}).dataset?.state === 'STOPPED'`)
	run(t, ctx, "open the offsets", chromedp.Click(chromedp.CSS(`.tabs a[data-tab="offsets"]`)))
	waitJS(t, ctx, "the committed offset", `!!document.querySelector('#offsets') && document.querySelector('#offsets').textContent.includes(`+jsString(topic)+`) && !document.querySelector('#reset-offsets').disabled`)
	run(t, ctx, "reset the offsets", chromedp.Click(chromedp.CSS("#reset-offsets")),
		chromedp.WaitVisible(chromedp.CSS(`#dialog button[data-role="confirm"]`)),
		chromedp.Click(chromedp.CSS(`#dialog button[data-role="confirm"]`)))
	waitJS(t, ctx, "no offsets left", `!document.querySelector('#offsets') && document.querySelector('main').textContent.includes('No committed offsets.')`)
	if code, b := get(base + "/connectors/" + sink + "/offsets"); code != 200 || strings.TrimSpace(string(b)) != `{"offsets":[]}` {
		t.Fatalf("offsets after the reset: %d %s", code, b)
	}

	// Delete, confirmed in the dialog.
	run(t, ctx, "delete", chromedp.Click(chromedp.CSS(`.head button[data-action="delete"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#dialog button[data-role="confirm"]`)),
		chromedp.Click(chromedp.CSS(`#dialog button[data-role="confirm"]`)))
	waitJS(t, ctx, "back on the list without "+sink, `location.hash === '#/' && !document.querySelector(`+jsString(row(sink))+`) && !!document.querySelector(`+jsString(row(source))+`)`)
	eventually(t, 10*time.Second, sink+" deleted over REST", func() (bool, string) {
		code, b := get(base + "/connectors/" + sink)
		return code == 404, fmt.Sprintf("%d %s", code, b)
	})
	// A second worker serves the same console over the same cluster.
	w2 := c.start()
	run(t, ctx, "open the second worker's console", chromedp.Navigate(w2.url()+"/ui/"), chromedp.WaitVisible(chromedp.CSS("#kafka-cluster-id")))
	waitJS(t, ctx, source+" RUNNING from the second worker", stateIs(source, "RUNNING")+` && document.querySelector('#kafka-cluster-id').textContent === `+jsString(info.ClusterID)+
		` && document.querySelectorAll('#connectors tbody tr[data-connector]').length === 1`)

	// The second worker charts the source's task, which runs on the first,
	// with the first's samples fetched through it.
	run(t, ctx, "open the source from the second worker", chromedp.Navigate(w2.url()+"/ui/#/c/"+source))
	waitJS(t, ctx, "the source task's throughput from the first worker", `(document.querySelector('#throughput tr[data-task="0"]') || {dataset: {}}).dataset.total === '3' && document.querySelector('#throughput tr[data-task="0"]').textContent.includes(`+jsString(fmt.Sprintf("127.0.0.1:%d", w.port))+`)`)

	// Logger levels.
	logger := "org.gonnect.console" + suffix
	run(t, ctx, "set a logger level", chromedp.Navigate(w.url()+"/ui/#/loggers"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-logger="root"]`)),
		chromedp.SendKeys(chromedp.CSS("#logger-name"), logger),
		chromedp.SetValue(chromedp.CSS("#logger-name + select"), "DEBUG"),
		chromedp.Click(chromedp.CSS(`#logger-name ~ button`)))
	waitJS(t, ctx, "the logger at DEBUG", `(document.querySelector(`+jsString(`tr[data-logger=`+jsString(logger)+`] select`)+`) || {}).value === 'DEBUG'`)
	if code, b := get(base + "/admin/loggers/" + logger); code != 200 || !strings.Contains(string(b), `"level":"DEBUG"`) {
		t.Fatalf("GET /admin/loggers/%s: %d %s", logger, code, b)
	}
	t.Logf("console end to end in %s (screenshot %s)", time.Since(start).Round(100*time.Millisecond), shot)
}

// TestIntegrationConsoleSignIn: with the REST API behind Connect's Basic
// authentication, the console asks for credentials once (a wrong password
// asks again), then lists the connectors and charts a task with them.
func TestIntegrationConsoleSignIn(t *testing.T) {
	jaas := basicAuthFiles(t, "ops=ops-secret")
	c := newCluster(t, map[string]string{"rest.extension.classes": basicAuthExtension})
	c.authorization = basicAuth("ops:ops-secret")
	w := c.startWith(map[string]string{"gonnect.java.security.auth.login.config": jaas}, nil)
	base := w.url()
	name := fmt.Sprintf("signed-in-%d", rand.Uint32())
	in := filepath.Join(c.dir, "in.txt")
	if err := os.WriteFile(in, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, b, _ := doWith(client, c.authorization, "POST", base+"/connectors", map[string]any{"name": name, "config": map[string]string{
		"connector.class": "FileStreamSource", "topic": name, "file": in}}); code != 201 {
		t.Fatalf("creating %s: %d %s", name, code, b)
	}
	if code, _, _ := do("GET", base+"/connectors", nil); code != 401 {
		t.Fatalf("GET /connectors without credentials: %d, want 401", code)
	}

	ctx := browser(t, 90*time.Second)
	signIn := func(pass string) {
		run(t, ctx, "sign in as ops/"+pass, chromedp.WaitVisible(chromedp.CSS("#login-user")),
			chromedp.SendKeys(chromedp.CSS("#login-user"), "ops"),
			chromedp.SendKeys(chromedp.CSS("#login-password"), pass),
			chromedp.Click(chromedp.CSS(`#dialog button[data-role="confirm"]`)))
	}
	run(t, ctx, "open the console", chromedp.Navigate(base+"/ui/"))
	signIn("wrong")
	// The refused password leaves the list empty and asks again.
	signIn("ops-secret")
	waitJS(t, ctx, name+" RUNNING in the list", `(document.querySelector(`+jsString(`tr[data-connector=`+jsString(name)+`] td.state .badge`)+`) || {}).dataset?.state === 'RUNNING'`)
	run(t, ctx, "open the connector", chromedp.Navigate(base+"/ui/#/c/"+name))
	waitJS(t, ctx, "its task's throughput with the credentials", `(document.querySelector('#throughput tr[data-task="0"]') || {dataset: {}}).dataset.total === '2'`)
}
