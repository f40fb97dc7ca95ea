package restapi

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
)

// slowHerder takes its time to store a config, as a herder waiting for
// the config topic does.
type slowHerder struct {
	fakeHerder
	delay time.Duration
}

func (h *slowHerder) PutConnectorConfig(ctx context.Context, n string, c map[string]string, replace bool, st entities.TargetState) (bool, entities.ConnectorInfo, error) {
	select {
	case <-time.After(h.delay):
	case <-ctx.Done():
		return false, entities.ConnectorInfo{}, ctx.Err()
	}
	return h.fakeHerder.PutConnectorConfig(ctx, n, c, replace, st)
}

// startTimed runs a server on a real listener with short connection limits.
func startTimed(t *testing.T, h *slowHerder) string {
	t.Helper()
	s, err := New(Config{Herder: h, Listener: "http://127.0.0.1:0",
		ReadHeaderTimeout: 500 * time.Millisecond, BodyReadTimeout: 700 * time.Millisecond, IdleTimeout: 900 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s.Addr().String()
}

// closedWithin reports how long the server took to close conn, reading
// (and discarding) whatever it answers.
func closedWithin(t *testing.T, conn net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	began := time.Now()
	_ = conn.SetReadDeadline(began.Add(limit))
	_, err := io.Copy(io.Discard, conn)
	took := time.Since(began)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after %s", limit)
	}
	return took
}

// TestSlowClientsAreCut: a client that trickles its headers (slowloris),
// one that trickles its body, and an idle kept-alive connection are each
// closed within their bound, while a request whose handler outlasts those
// bounds is still answered.
func TestSlowClientsAreCut(t *testing.T) {
	h := &slowHerder{fakeHerder: fakeHerder{configs: map[string]map[string]string{}, isLeader: true}, delay: 1500 * time.Millisecond}
	addr := startTimed(t, h)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	t.Run("headers trickled", func(t *testing.T) {
		c := dial()
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			_, _ = io.WriteString(c, "GET /connectors HTTP/1.1\r\nHost: x\r\n")
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := fmt.Fprintf(c, "X-Slow-%d: y\r\n", i); err != nil {
					return
				}
			}
		}()
		if took := closedWithin(t, c, 5*time.Second); took > 2*time.Second {
			t.Errorf("closed after %s, want about 500ms", took)
		}
	})

	t.Run("body trickled", func(t *testing.T) {
		c := dial()
		body := `{"connector.class":"FileStreamSink","topics":"t"}`
		_, _ = fmt.Fprintf(c, "PUT /connectors/slow/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for i := 0; i < len(body); i++ {
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
				if _, err := io.WriteString(c, body[i:i+1]); err != nil {
					return
				}
			}
		}()
		if took := closedWithin(t, c, 5*time.Second); took > 2*time.Second {
			t.Errorf("closed after %s, want about 700ms", took)
		}
		if _, ok := h.configs["slow"]; ok {
			t.Errorf("a body cut short was stored")
		}
	})

	t.Run("idle keep-alive", func(t *testing.T) {
		c := dial()
		_, _ = io.WriteString(c, "GET /connectors HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("first request: %v %v", resp, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		if took := closedWithin(t, c, 5*time.Second); took > 2500*time.Millisecond {
			t.Errorf("idle connection closed after %s, want about 900ms", took)
		}
	})

	t.Run("slow handler answered", func(t *testing.T) {
		// The handler takes 1.5 s, longer than every bound above.
		req, _ := http.NewRequest(http.MethodPut, "http://"+addr+"/connectors/patient/config", strings.NewReader(`{"connector.class":"FileStreamSink","topics":"t"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("status %d, want 201", resp.StatusCode)
		}
	})

	t.Run("body over the limit", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPut, "http://"+addr+"/connectors/big/config", strings.NewReader(`{"a":"`+strings.Repeat("x", maxBody)+`"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), `"error_code":413`) {
			t.Fatalf("status %d %s, want 413", resp.StatusCode, b)
		}
	})
}

// TestRequestHeadOverJettysLimit: a request line over Jetty's 8 KiB is a
// 414 and a request head over it a 431, as Apache Connect answers, never
// a lookup of a connector with a 10,000-character name.
func TestRequestHeadOverJettysLimit(t *testing.T) {
	ts := serve(t, &fakeHerder{configs: map[string]map[string]string{}, isLeader: true})
	long := strings.Repeat("n", 10_000)
	for _, tt := range []struct {
		method, path string
		header       string
		want         int
	}{
		{"GET", "/connectors/" + long, "", http.StatusRequestURITooLong},
		{"PUT", "/connectors/" + long + "/config", "", http.StatusRequestURITooLong},
		{"GET", "/connectors/" + long[:8000], "", http.StatusNotFound},
		{"GET", "/connectors", strings.Repeat("h", 9000), http.StatusRequestHeaderFieldsTooLarge},
	} {
		req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
		if tt.header != "" {
			req.Header.Set("X-Big", tt.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %d-byte path: %d, want %d", tt.method, len(tt.path), resp.StatusCode, tt.want)
		}
	}
}
