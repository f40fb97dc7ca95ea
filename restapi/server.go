// Package restapi serves the Kafka Connect REST API over a herder, with
// Apache Connect's paths, status codes, JSON shapes and error bodies, so
// existing tooling works unchanged.
package restapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/go-chi/chi/v5"

	"github.com/gonnect/gonnect/connectors/connectorconfig"
	"github.com/gonnect/gonnect/internal/logging"
	"github.com/gonnect/gonnect/restapi/console"
	"github.com/gonnect/gonnect/worker"
	"github.com/gonnect/gonnect/worker/basicauth"
)

// PluginInfo is one entry of GET /connector-plugins.
type PluginInfo struct {
	Class   string `json:"class"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

// Config wires a server.
type Config struct {
	// Listener is the first of the worker's listeners, e.g. http://127.0.0.1:8083.
	Listener string
	// MoreListeners are the other listeners, served alike (Connect binds
	// every entry of listeners).
	MoreListeners []string
	Herder        worker.Interface
	Logger        *slog.Logger
	Loggers       *logging.Registry
	// Defaults are the worker's converters, shown in plugin configs.
	Defaults connectorconfig.Defaults
	// ExtraPlugins are listed by /connector-plugins?connectorsOnly=false
	// (converters, header converters).
	ExtraPlugins []PluginInfo
	// RequestTimeout bounds herder-backed requests (Connect: 90 s).
	RequestTimeout time.Duration
	// HealthTimeout bounds GET /health (Connect: 10 s).
	HealthTimeout time.Duration
	// AllowOrigin and AllowMethods configure CORS when AllowOrigin is set.
	AllowOrigin, AllowMethods string
	// AdminListeners is admin.listeners: nil serves the /admin endpoints
	// on the main listener, empty serves them nowhere, otherwise they are
	// served only on these listeners (which serve nothing else).
	AdminListeners []string
	// ResponseHeaders is response.http.headers.config, applied to every
	// response of the main listener.
	ResponseHeaders string
	// DisableTopicTracking (topic.tracking.enable=false) and
	// DisableTopicTrackingReset (topic.tracking.allow.reset=false) refuse
	// the /topics endpoints as Connect does.
	DisableTopicTracking, DisableTopicTrackingReset bool
	// Metrics serves GET /metrics (Prometheus) when set.
	Metrics http.Handler
	// History is the per-task throughput and lag the web console charts
	// (metrics.History), when set.
	History http.Handler
	// ReadHeaderTimeout bounds reading a request's line and headers,
	// BodyReadTimeout reading its body, and IdleTimeout how long a kept-alive
	// connection waits for the next request; zero takes the defaults below.
	ReadHeaderTimeout, BodyReadTimeout, IdleTimeout time.Duration
	// TLS serves the https:// entries of Listener and MoreListeners,
	// AdminTLS those of AdminListeners (the listeners.https. and
	// admin.listeners.https. settings).
	TLS, AdminTLS *tls.Config
	// ClientTLS is used for requests to other workers' https:// URLs
	// (Connect's RestClient); ClientTLSErr, when set, is why it could not
	// be built, and such requests fail with it.
	ClientTLS    *tls.Config
	ClientTLSErr error
	// Client, when set, is the worker's client for requests to other
	// workers (the herder's too), used instead of one built from ClientTLS.
	Client *http.Client
	// BasicAuth, when set, authenticates the requests of the main
	// listeners as Connect's BasicAuthSecurityRestExtension does.
	BasicAuth *basicauth.Authenticator
}

// Connection limits. Jetty, under Apache Connect, only closes a connection
// after 30 s without a byte (its idle timeout), so a client sending a byte
// every few seconds holds one forever; here the headers and the body must
// each arrive in full within a bound.
const (
	// DefaultReadHeaderTimeout: a request line and headers are at most a
	// few kilobytes.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultBodyReadTimeout: a body of maxBody at about 300 KiB/s.
	DefaultBodyReadTimeout = 60 * time.Second
	// DefaultIdleTimeout is Jetty's idle timeout.
	DefaultIdleTimeout = 30 * time.Second
)

// Server is the REST server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	client  *http.Client
	handler http.Handler
	admin   http.Handler
	servers []*http.Server
	lns     []net.Listener
	errc    chan error
}

// New builds a server; Start binds it.
func New(cfg Config) (*Server, error) {
	if cfg.Herder == nil {
		return nil, errors.New("restapi: a herder is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 90 * time.Second
	}
	if cfg.HealthTimeout == 0 {
		cfg.HealthTimeout = 10 * time.Second
	}
	if cfg.ReadHeaderTimeout == 0 {
		cfg.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if cfg.BodyReadTimeout == 0 {
		cfg.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	rules, err := parseHeaderRules(cfg.ResponseHeaders)
	if err != nil {
		return nil, fmt.Errorf("invalid worker configuration: %s: %w", worker.ResponseHTTPHeaders, err)
	}
	for _, l := range cfg.AdminListeners {
		if strings.TrimSpace(l) == "" {
			return nil, fmt.Errorf("invalid worker configuration: %s: Empty URL found when parsing admin.listeners list.", worker.AdminListeners)
		}
	}
	client := cfg.Client
	if client == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.TLSClientConfig = cfg.ClientTLS
		client = &http.Client{Timeout: cfg.RequestTimeout, Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	s := &Server{cfg: cfg, log: cfg.Logger, client: client}
	s.handler = responseHeaders(rules, s.routes(true, cfg.AdminListeners == nil))
	s.admin = s.routes(false, true)
	return s, nil
}

// Handler returns the main listener's HTTP handler (for tests).
func (s *Server) Handler() http.Handler { return s.handler }

// AdminHandler returns the admin listeners' HTTP handler (for tests).
func (s *Server) AdminHandler() http.Handler { return s.admin }

// Start binds the listeners and serves in the background.
func (s *Server) Start() error {
	for _, l := range append([]string{s.cfg.Listener}, s.cfg.MoreListeners...) {
		if err := s.listen(l, s.handler, s.cfg.TLS); err != nil {
			return err
		}
	}
	for _, l := range s.cfg.AdminListeners {
		if err := s.listen(l, s.admin, s.cfg.AdminTLS); err != nil {
			return err
		}
		s.log.Info("REST admin endpoints listening", "address", s.lns[len(s.lns)-1].Addr().String())
	}
	return nil
}

func (s *Server) listen(listener string, h http.Handler, tc *tls.Config) error {
	u, err := url.Parse(listener)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("parsing listener %q: Listener protocol must be either \"http\" or \"https\".", listener)
	}
	if u.Scheme == "https" && tc == nil {
		return fmt.Errorf("listener %s: no TLS configuration for an https listener", listener)
	}
	ln, err := net.Listen("tcp", u.Host)
	if err != nil {
		return fmt.Errorf("binding REST listener %s: %w", u.Host, err)
	}
	if u.Scheme == "https" {
		ln = tls.NewListener(ln, tc)
	}
	// No ReadTimeout: net/http cancels a request's context when its read
	// deadline passes, even after the body was read, which would cut herder
	// requests (up to RequestTimeout) short; bufferBody bounds the body.
	// Failed handshakes (a client without the certificate asked for, an
	// untrusted one) are logged at debug level, as Jetty does.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: s.cfg.ReadHeaderTimeout, IdleTimeout: s.cfg.IdleTimeout,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	if s.errc == nil {
		s.errc = make(chan error, 1+len(s.cfg.MoreListeners)+len(s.cfg.AdminListeners))
	}
	s.lns, s.servers = append(s.lns, ln), append(s.servers, srv)
	go func() { s.errc <- srv.Serve(ln) }()
	s.log.Info("REST server listening", "address", ln.Addr().String(), "protocol", u.Scheme)
	return nil
}

// Addr is the main listener's bound address.
func (s *Server) Addr() net.Addr { return s.lns[0].Addr() }

// Shutdown stops accepting requests and waits for in-flight ones until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	for _, srv := range s.servers {
		if e := srv.Shutdown(ctx); e != nil && err == nil {
			err = e
		}
	}
	for range s.servers {
		if serr := <-s.errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	return err
}

// routes builds the handler of a listener: the main API and/or the
// /admin endpoints, as admin.listeners places them.
func (s *Server) routes(main, admin bool) http.Handler {
	r := chi.NewRouter()
	// HEAD is answered as GET, as Jersey does, without the body.
	r.Use(s.recoverer, s.bufferBody)
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		// Jersey writes its 404 for an unknown path without a Content-Type.
		w.Header()["Content-Type"] = nil
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error_code":404,"message":"HTTP 404 Not Found"}`))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		// Jersey writes its 405 without a Content-Type.
		w.Header()["Content-Type"] = nil
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write([]byte(`{"error_code":405,"message":"HTTP 405 Method Not Allowed"}`))
	})
	if admin {
		r.Route("/admin/loggers", func(r chi.Router) {
			r.Get("/", s.listLoggers)
			r.Get("/{logger}", s.getLogger)
			r.With(requireJSON).Put("/{logger}", s.setLogger)
		})
	}
	if !main {
		return jettyLimits(jettyPath(stripTrailingSlash(s.mediaTypes(r, r, nil))))
	}
	r.Get("/", s.serverInfo)
	r.Get("/health", s.health)
	if s.cfg.Metrics != nil {
		r.Method(http.MethodGet, "/metrics", s.cfg.Metrics)
	}
	r.Route("/connectors", func(r chi.Router) {
		r.Get("/", s.listConnectors)
		r.With(requireJSON).Post("/", s.createConnector)
		r.Route("/{connector}", func(r chi.Router) {
			r.Get("/", s.getConnector)
			r.Delete("/", s.deleteConnector)
			r.Get("/config", s.getConfig)
			r.With(requireJSON).Put("/config", s.putConfig)
			r.With(requireJSON).Patch("/config", s.patchConfig)
			r.Get("/status", s.connectorStatus)
			r.Post("/restart", s.restartConnector)
			r.Put("/pause", s.targetState(entities.TargetPaused))
			r.Put("/resume", s.targetState(entities.TargetStarted))
			r.Put("/stop", s.targetState(entities.TargetStopped))
			r.Get("/tasks", s.tasks)
			r.Post("/tasks", s.putTaskConfigs)
			r.Put("/fence", s.fenceZombies)
			r.Get("/tasks/{task}/status", s.taskStatus)
			r.Post("/tasks/{task}/restart", s.restartTask)
			r.Get("/topics", s.topics)
			r.Put("/topics/reset", s.resetTopics)
			r.Get("/offsets", s.getOffsets)
			r.With(requireJSON).Patch("/offsets", s.alterOffsets)
			r.Delete("/offsets", s.resetOffsets)
		})
	})
	r.Route("/connector-plugins", func(r chi.Router) {
		r.Get("/", s.listPlugins)
		r.Get("/{plugin}/config", s.pluginConfig)
		r.With(requireJSON).Put("/{plugin}/config/validate", s.validate)
	})
	// The web console (/ui/) is outermost: its pages are not JSON, so the
	// API's media-type checks must not see them.
	h := console.Wrap(jettyPath(stripTrailingSlash(s.cors(s.mediaTypes(r, r, s.cfg.BasicAuth)))),
		console.Options{History: s.cfg.History, Peer: s.consolePeer, Client: s.client})
	if s.cfg.BasicAuth == nil {
		return jettyLimits(h)
	}
	// The console's pages carry no data; its history of task metrics is
	// authenticated as the API is.
	return jettyLimits(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == console.HistoryPath && !s.authenticated(w, r, s.cfg.BasicAuth) {
			return
		}
		h.ServeHTTP(w, r)
	}))
}

// jettyRequestHeaderSize is Jetty's HttpConfiguration default, which
// Connect keeps: the request line and headers together may hold this many
// bytes.
const jettyRequestHeaderSize = 8192

// jettyLimits answers as Jetty's parser does for a request head over its
// limit: 414 when the request line alone is too long, else 431.
func jettyLimits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := len(r.Method) + 1 + len(r.RequestURI)
		if n > jettyRequestHeaderSize {
			jettyErrorPage(w, http.StatusRequestURITooLong, "URI Too Long", "/badMessage")
			return
		}
		n += len(" HTTP/1.1\r\n") + len("Host: \r\n") + len(r.Host)
		for k, vs := range r.Header {
			for _, v := range vs {
				n += len(k) + 2 + len(v) + 2
			}
		}
		if n > jettyRequestHeaderSize {
			jettyErrorPage(w, http.StatusRequestHeaderFieldsTooLarge, "Request Header Fields Too Large", "/badMessage")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// stripTrailingSlash serves "/connectors/" like "/connectors", as Jersey does.
func stripTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			r.URL.Path = strings.TrimRight(p, "/")
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v) // net/http closes the connection quietly
				}
				s.log.Error("panic serving REST request", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeError(w, fmt.Errorf("%v", v))
			}
		}()
		s.log.Debug("REST request", "method", r.Method, "path", r.URL.Path)
		next.ServeHTTP(w, r)
	})
}

// cors is Jetty's CrossOriginHandler as Connect configures it from
// access.control.allow.origin (comma-separated origins, * for any) and
// access.control.allow.methods (default GET, POST, HEAD): an allowed
// Origin is echoed, a preflight also gets the methods, the Content-Type
// header and a 60 s max age, and the request then goes on to be answered.
func (s *Server) cors(next http.Handler) http.Handler {
	if strings.TrimSpace(s.cfg.AllowOrigin) == "" {
		return next
	}
	origins := map[string]bool{}
	for _, o := range strings.Split(s.cfg.AllowOrigin, ",") {
		origins[strings.TrimSpace(o)] = true
	}
	var methods []string
	for _, m := range strings.Split(s.cfg.AllowMethods, ",") {
		if m = strings.TrimSpace(m); m != "" {
			methods = append(methods, m)
		}
	}
	if len(methods) == 0 {
		methods = []string{"GET", "POST", "HEAD"}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		if o := r.Header.Get("Origin"); o != "" && (origins["*"] || origins[o]) {
			h.Set("Access-Control-Allow-Origin", o)
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", strings.Join(methods, ","))
				h.Set("Access-Control-Allow-Headers", "Content-Type")
				h.Set("Access-Control-Max-Age", "60")
			}
		}
		next.ServeHTTP(w, r)
	})
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// acceptsJSON reports whether an Accept header admits application/json
// (every Connect resource produces only that).
func acceptsJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err == nil && f <= 0 {
				continue
			}
		}
		if mt == "application/json" || mt == "application/*" || mt == "*/*" {
			return true
		}
	}
	return false
}

// unsupportedMedia is Jersey's 415; the error body goes without a
// Content-Type, as Connect's does.
func unsupportedMedia(w http.ResponseWriter) {
	w.Header()["Content-Type"] = nil
	w.WriteHeader(http.StatusUnsupportedMediaType)
	_, _ = w.Write([]byte(`{"error_code":415,"message":"HTTP 415 Unsupported Media Type"}`))
}

// mediaTypes refuses, on every existing route, a request whose
// Content-Type is not JSON, body or not: every Connect resource consumes
// application/json only. Unknown paths stay 404. With auth, a request
// that reaches a route is authenticated first, as Jersey runs Connect's
// authentication filter once a resource method matched.
func (s *Server) mediaTypes(r chi.Routes, next http.Handler, auth *basicauth.Authenticator) http.Handler {
	routes := newRouteTable(r)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// HEAD is answered as GET, as Jersey does (no route declares HEAD);
		// the server drops the body since the original request still says
		// HEAD.
		if r.Method == http.MethodOptions {
			if allowed := routes.allowedMethods(r.URL.Path); allowed != nil {
				if !s.authenticated(w, r, auth) {
					return
				}
				w.Header().Set("Allow", strings.Join(allowed, ","))
				w.Header().Set("Content-Type", "text/plain")
				_, _ = w.Write([]byte(strings.Join(allowed, ", ")))
				return
			}
		}
		if r.Method == http.MethodHead {
			get := *r
			get.Method = http.MethodGet
			r = &get
		}
		if a := r.Header.Get("Accept"); a != "" && !acceptsJSON(a) && routes.has(r.Method, r.URL.Path) {
			w.Header()["Content-Type"] = nil
			w.WriteHeader(http.StatusNotAcceptable)
			_, _ = w.Write([]byte(`{"error_code":406,"message":"HTTP 406 Not Acceptable"}`))
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "" && !isJSON(ct) && !internalPath(r) {
			if routes.has(r.Method, r.URL.Path) {
				unsupportedMedia(w)
				return
			}
		}
		if routes.has(r.Method, r.URL.Path) && !s.authenticated(w, r, auth) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// routeTable is each route's method and path segments ("" for a
// parameter), from chi.Walk: chi's own Match answers true for any method
// on a subrouter's root.
type routeTable []struct {
	method string
	segs   []string
}

func newRouteTable(r chi.Routes) routeTable {
	var t routeTable
	_ = chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(strings.ReplaceAll(route, "/*/", "/"), "/")
		segs := strings.Split(route, "/")
		for i, sg := range segs {
			if strings.HasPrefix(sg, "{") {
				segs[i] = ""
			}
		}
		t = append(t, struct {
			method string
			segs   []string
		}{method, segs})
		return nil
	})
	return t
}

// has reports whether method is routed for path.
func (t routeTable) has(method, path string) bool {
	segs := strings.Split(strings.TrimSuffix(path, "/"), "/")
	for _, rt := range t {
		if rt.method != method || len(rt.segs) != len(segs) {
			continue
		}
		ok := true
		for i, sg := range rt.segs {
			if sg == "" && segs[i] == "" && i > 0 || sg != "" && sg != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// allowedMethods is what Jersey answers OPTIONS with: the path's methods,
// HEAD with GET, in the order of Jersey's method set; nil for no route.
func (t routeTable) allowedMethods(path string) []string {
	var out []string
	for _, m := range []string{"HEAD", "DELETE", "POST", "GET", "OPTIONS", "PUT", "PATCH"} {
		probe := m
		if m == "HEAD" {
			probe = "GET"
		}
		if m == "OPTIONS" || t.has(probe, path) {
			out = append(out, m)
		}
	}
	if len(out) == 1 {
		return nil
	}
	return out
}

// requireJSON guards the routes that read an entity: a body without a
// Content-Type is not JSON either (an empty one is no entity).
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, _ := bodyOf(r); r.Header.Get("Content-Type") == "" && len(b) > 0 {
			unsupportedMedia(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// jettyPath decodes the request path segment by segment as Jetty does
// before Connect sees it: a percent-encoded connector name is its decoded
// name whatever the client chose to encode, ";" starts a segment's
// parameters, and encodings Jetty finds ambiguous or invalid are a 400.
func jettyPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The path as the client sent it: net/http's RawPath is empty when
		// the decoded path re-encodes the same way, and then %00, %01 or
		// %5C would be judged decoded.
		raw := r.URL.EscapedPath()
		if rp, _, _ := strings.Cut(r.RequestURI, "?"); strings.HasPrefix(rp, "/") {
			raw = rp
		}
		segs := strings.Split(raw, "/")
		for i, seg := range segs {
			if j := strings.IndexByte(seg, ';'); j >= 0 {
				seg = seg[:j]
			}
			lower := strings.ToLower(seg)
			switch {
			case strings.Contains(lower, "%2f"):
				jettyError(w, "Ambiguous URI path separator", "/badURI")
				return
			case strings.Contains(lower, "%25"):
				jettyError(w, "Ambiguous URI path encoding", "/badURI")
				return
			case strings.Contains(lower, "%5c"):
				jettyError(w, "Suspicious Path Character", "/badURI")
				return
			case strings.Contains(lower, "%00"):
				jettyError(w, "Bad Request", "/badMessage")
				return
			case hasEncodedControl(lower):
				jettyError(w, "Suspicious Path Character", "/badURI")
				return
			}
			dec, err := url.PathUnescape(seg)
			if err != nil {
				jettyError(w, "Bad Request", "/badMessage")
				return
			}
			if (dec == "." || dec == "..") && dec != seg {
				jettyError(w, "Ambiguous URI path segment", "/badURI")
				return
			}
			if !utf8.ValidString(dec) {
				jettyError(w, "Bad UTF-8 encoding", "/badURI")
				return
			}
			segs[i] = dec
		}
		r.URL.Path = strings.Join(segs, "/")
		// Routing and forwarding work on the decoded path from here on.
		r.URL.RawPath = ""
		next.ServeHTTP(w, r)
	})
}

// hasEncodedControl reports a percent-encoded control character (%01 to
// %1F, %7F; %00 is refused on its own), which Jetty calls suspicious.
func hasEncodedControl(lower string) bool {
	for i := strings.IndexByte(lower, '%'); i >= 0 && i+2 < len(lower); {
		if h := lower[i+1 : i+3]; h[0] == '0' || h[0] == '1' || h == "7f" {
			return true
		}
		j := strings.IndexByte(lower[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// jettyError is Jetty's own error page, which Connect answers with for a
// request URI it refuses before routing.
func jettyError(w http.ResponseWriter, msg, uri string) {
	jettyErrorPage(w, http.StatusBadRequest, msg, uri)
}

func jettyErrorPage(w http.ResponseWriter, status int, msg, uri string) {
	w.Header().Set("Content-Type", "text/html;charset=iso-8859-1")
	w.Header().Set("Cache-Control", "must-revalidate,no-cache,no-store")
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=ISO-8859-1\"/>\n<title>Error %d %s</title>\n</head>\n<body>\n<h2>HTTP ERROR %d %s</h2>\n<table>\n<tr><th>URI:</th><td>%s</td></tr>\n<tr><th>STATUS:</th><td>%d</td></tr>\n<tr><th>MESSAGE:</th><td>%s</td></tr>\n</table>\n\n</body>\n</html>\n", status, msg, status, msg, uri, status, msg)
}

// herderCtx bounds a herder-backed request like Connect's 90 s timeout.
func (s *Server) herderCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
}
