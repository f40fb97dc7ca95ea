package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// HistoryPath serves the per-task throughput and lag the console charts:
// this worker's, or with ?worker=<worker id> another cluster member's,
// fetched by this worker so the browser talks to one origin only.
const HistoryPath = Prefix + "/api/history"

// Options are what the console serves besides its files.
type Options struct {
	// History answers this worker's task history (metrics.History); nil
	// answers 404.
	History http.Handler
	// Peer returns the base URL (with a trailing slash) of the cluster
	// member whose worker id is given, and false for an id that is not a
	// member: the console fetches from known workers only.
	Peer func(r *http.Request, workerID string) (string, bool)
	// Client fetches a peer's history (the worker's REST client, with its
	// TLS settings).
	Client *http.Client
}

// peerTimeout bounds a peer's answer: a chart may go without it.
const peerTimeout = 5 * time.Second

func (o Options) serveHistory(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if o.History == nil {
		http.NotFound(w, r)
		return
	}
	id := r.URL.Query().Get("worker")
	if id == "" {
		o.History.ServeHTTP(w, r)
		return
	}
	base, ok := "", false
	if o.Peer != nil {
		base, ok = o.Peer(r, id)
	}
	if !ok {
		http.Error(w, fmt.Sprintf("worker %q runs no connector or task of this cluster", id), http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), peerTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+HistoryPath[1:], nil)
	if err != nil {
		http.Error(w, fmt.Sprintf("fetching the history of worker %s: %v", id, err), http.StatusBadGateway)
		return
	}
	// The peer's REST API asks the same credentials as this one.
	if a := r.Header.Get("Authorization"); a != "" {
		req.Header.Set("Authorization", a)
	}
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		http.Error(w, fmt.Sprintf("fetching the history of worker %s: %v", id, err), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, io.LimitReader(resp.Body, 8<<20))
}
