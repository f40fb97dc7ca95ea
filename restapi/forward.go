package restapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
)

type bodyKey struct{}

// maxBody bounds a request body held in memory: connector configs are
// kilobytes, and the config topic takes records of 1 MiB by default
// (Jetty and Jackson set no bound; a larger body is refused with a 413).
const maxBody = 16 << 20

// bufferBody keeps the request body so a handler can both decode it and
// forward it to the leader. The body must arrive within BodyReadTimeout.
func (s *Server) bufferBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		// Not supported by test recorders; a real connection always is.
		deadline := rc.SetReadDeadline(time.Now().Add(s.cfg.BodyReadTimeout)) == nil
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if deadline && err == nil {
			// Lifted, or net/http would cancel the request's context when
			// it passes; after an error it stays, so the server drains
			// nothing more from a slow client.
			_ = rc.SetReadDeadline(time.Time{})
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// The client is too slow to be answered: drop the connection.
				s.log.Warn("REST request body not received in time; closing the connection", "method", r.Method, "path", r.URL.Path,
					"timeout", s.cfg.BodyReadTimeout, "remote", r.RemoteAddr)
				panic(http.ErrAbortHandler)
			}
			writeError(w, fmt.Errorf("reading request body: %w", err))
			return
		}
		r.Body.Close()
		// Refused rather than cut short, which would read as other JSON.
		if len(b) > maxBody {
			w.Header().Set("Connection", "close")
			writeError(w, newStatusError(http.StatusRequestEntityTooLarge, fmt.Sprintf("Request body larger than %d bytes", maxBody)))
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, b))
		r.Body = io.NopCloser(bytes.NewReader(b))
		next.ServeHTTP(w, r)
	})
}

func bodyOf(r *http.Request) ([]byte, error) {
	if b, ok := r.Context().Value(bodyKey{}).([]byte); ok {
		return b, nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	return b, nil
}

const conflictMsg = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"

// forwardIfNeeded forwards a request the herder says another worker must
// serve, as Connect's REST layer does: the first hop adds forward=true, the
// second forward=false, and a third is refused with a 409. It reports
// whether it wrote the response.
func (s *Server) forwardIfNeeded(w http.ResponseWriter, r *http.Request, err error) bool {
	var nl *entities.NotLeaderError
	if !errors.As(err, &nl) {
		return false
	}
	if nl.URL == "" {
		writeError(w, newStatusError(http.StatusConflict, entities.ErrNoLeader.Error()))
		return true
	}
	var next string
	switch r.URL.Query().Get("forward") {
	case "":
		next = "true"
	case "true":
		next = "false"
	default:
		writeError(w, newStatusError(http.StatusConflict, conflictMsg))
		return true
	}
	q := url.Values{"forward": {next}}
	for _, k := range []string{"includeTasks", "onlyFailed"} {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	target := strings.TrimSuffix(nl.URL, "/") + escapeSegments(r.URL.Path) + "?" + q.Encode()
	if s.cfg.ClientTLSErr != nil && strings.HasPrefix(strings.ToLower(target), "https://") {
		writeError(w, fmt.Errorf("Error trying to forward REST request: %v", s.cfg.ClientTLSErr))
		return true
	}
	body, berr := bodyOf(r)
	if berr != nil {
		writeError(w, berr)
		return true
	}
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	req, rerr := http.NewRequestWithContext(ctx, r.Method, target, bytes.NewReader(body))
	if rerr != nil {
		writeError(w, fmt.Errorf("Error trying to forward REST request: %w", rerr))
		return true
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "kafka-connect")
	if a := r.Header.Get("Authorization"); a != "" {
		req.Header.Set("Authorization", a)
	}
	s.log.Debug("forwarding REST request", "method", r.Method, "target", target)
	resp, ferr := s.client.Do(req)
	if ferr != nil {
		writeError(w, fmt.Errorf("IO Error trying to forward REST request: %v", ferr))
		return true
	}
	defer resp.Body.Close()
	respBody, ferr := io.ReadAll(resp.Body)
	if ferr != nil {
		writeError(w, fmt.Errorf("IO Error trying to forward REST request: %v", ferr))
		return true
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		writeError(w, fmt.Errorf("Unexpected status code when handling forwarded request: %d", resp.StatusCode))
		return true
	}
	// The leader's answer, status and body, is ours: it is what this worker
	// would have answered had it been the leader.
	// The Location names this worker, as the client asked it.
	if loc, err := url.Parse(resp.Header.Get("Location")); err == nil && loc.Path != "" {
		loc.Scheme, loc.Host = schemeOf(r), r.Host
		w.Header().Set("Location", loc.String())
	}
	if len(respBody) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
	return true
}

// escapeSegments escapes each path segment for forwarding, ";" included,
// which the leader would otherwise take for segment parameters.
func escapeSegments(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
