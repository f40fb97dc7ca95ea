// Package console serves gonnect's web console under /ui/: a few static
// files embedded in the binary that drive the worker's own Kafka Connect
// REST API through relative URLs, so every worker of a cluster serves the
// same console and no other server is needed.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// Prefix is where the console lives; the REST API keeps every other path.
const Prefix = "/ui"

//go:embed assets
var embedded embed.FS

// csp keeps the page to its own origin: no inline script, no third party.
const csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

type asset struct {
	body  []byte
	etag  string
	ctype string
}

var assets = load()

// load reads the embedded files once and gives each a content ETag, so a
// browser revalidates cheaply and picks up a new binary's console at once.
func load() map[string]asset {
	out := map[string]asset{}
	err := fs.WalkDir(embedded, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := embedded.ReadFile(p)
		if err != nil {
			return fmt.Errorf("reading embedded console file %s: %w", p, err)
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		out[strings.TrimPrefix(p, "assets/")] = asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ctype}
		return nil
	})
	if err != nil {
		panic(err) // the files are compiled in: this cannot fail at run time
	}
	return out
}

// Wrap serves the console's files and history API and hands every other request to next.
// It sits in front of the REST router because that router drops trailing
// slashes, and the console must be served at /ui/ for its relative URLs
// (assets beside it, the API one level up) to resolve.
func Wrap(next http.Handler, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == HistoryPath:
			o.serveHistory(w, r)
		case p == Prefix:
			// Relative, so a reverse proxy's path prefix is kept.
			target := "ui/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			// Set by hand: http.Redirect would make it absolute.
			w.Header().Set("Location", target)
			w.WriteHeader(http.StatusMovedPermanently)
		case strings.HasPrefix(p, Prefix+"/"):
			serve(w, r, strings.TrimPrefix(p, Prefix+"/"))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func serve(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if name == "" {
		name = "index.html"
	}
	a, ok := assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if strings.HasSuffix(name, ".html") {
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
	}
	// ServeContent answers If-None-Match with 304 from the ETag set above.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}
