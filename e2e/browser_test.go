//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds a Chromium, installing Debian's package on a machine
// that has none, so the browser test runs on a fresh machine.
func chromiumPath(t testing.TB) string {
	t.Helper()
	look := func() string {
		for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
		}
		return ""
	}
	if p := look(); p != "" {
		return p
	}
	script := filepath.Join(repoRoot(t), "e2e", "install-chromium.sh")
	if out, err := exec.Command("bash", script).CombinedOutput(); err != nil {
		t.Fatalf("no chromium on the PATH and %s failed: %v\n%s", script, err, out)
	}
	p := look()
	if p == "" {
		t.Fatalf("%s ran but no chromium is on the PATH", script)
	}
	return p
}

// browser starts a headless Chromium with a laptop-sized window; it is
// closed when the test ends.
func browser(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // tests may run as root, where Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.WindowSize(1440, 900),
		chromedp.Flag("hide-scrollbars", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitJS polls a JavaScript expression in the page until it is truthy (20 s at most).
func waitJS(t testing.TB, ctx context.Context, what, expr string) {
	t.Helper()
	// An element not rendered yet throws: that is "not yet", not a failure.
	guarded := `(() => { try { return !!(` + expr + `); } catch (e) { return false; } })()`
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](guarded, chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(100*time.Millisecond)))
	if err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('main') ? document.querySelector('main').innerText.slice(0, 2000) : '') + '\n[toasts] ' + (document.querySelector('#toasts') || {}).innerText`))
		t.Fatalf("waiting in the browser for %s (%s): %v\npage text:\n%s", what, expr, err, body)
	}
}

// run runs browser actions, failing the test with what was being done.
func run(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}
