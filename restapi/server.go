// Package restapi serves the Kafka Connect REST API over a herder, with
// Apache Connect's paths, status codes, JSON shapes and error bodies, so
// existing tooling works unchanged.
package restapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/gonnect/gonnect/connectors/connectorconfig"
	"github.com/gonnect/gonnect/internal/logging"
	"github.com/gonnect/gonnect/worker"
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
	Herder   worker.Interface
	Logger   *slog.Logger
	Loggers  *logging.Registry
	// Defaults are the worker's converters, shown in plugin configs.
	Defaults connectorconfig.Defaults
	// ExtraPlugins are listed by /connector-plugins?connectorsOnly=false
	// (converters, header converters).
	ExtraPlugins []PluginInfo
	// RequestTimeout bounds herder-backed requests (Connect: 90 s).
	RequestTimeout time.Duration
	// AllowOrigin and AllowMethods configure CORS when AllowOrigin is set.
	AllowOrigin, AllowMethods string
	// Metrics serves GET /metrics (Prometheus) when set.
	Metrics http.Handler
}

// Server is the REST server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	srv     *http.Server
	ln      net.Listener
	client  *http.Client
	errc    chan error
	handler http.Handler
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
	s := &Server{cfg: cfg, log: cfg.Logger, client: &http.Client{Timeout: cfg.RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the HTTP handler (for tests).
func (s *Server) Handler() http.Handler { return s.handler }

// Start binds the listener and serves in the background.
func (s *Server) Start() error {
	u, err := url.Parse(s.cfg.Listener)
	if err != nil || (u.Scheme != "http") {
		return fmt.Errorf("parsing listener %q: only http:// listeners are supported", s.cfg.Listener)
	}
	ln, err := net.Listen("tcp", u.Host)
	if err != nil {
		return fmt.Errorf("binding REST listener %s: %w", u.Host, err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 30 * time.Second}
	s.errc = make(chan error, 1)
	go func() { s.errc <- s.srv.Serve(ln) }()
	s.log.Info("REST server listening", "address", ln.Addr().String())
	return nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Shutdown stops accepting requests and waits for in-flight ones until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	if serr := <-s.errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverer, s.cors, bufferBody)
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, newStatusError(http.StatusNotFound, "HTTP 404 Not Found"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, newStatusError(http.StatusMethodNotAllowed, "HTTP 405 Method Not Allowed"))
	})
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
			r.Put("/pause", s.targetState(worker.TargetPaused))
			r.Put("/resume", s.targetState(worker.TargetStarted))
			r.Put("/stop", s.targetState(worker.TargetStopped))
			r.Get("/tasks", s.tasks)
			r.Get("/tasks-config", s.tasksConfig)
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
	r.Route("/admin/loggers", func(r chi.Router) {
		r.Get("/", s.listLoggers)
		r.Get("/{logger}", s.getLogger)
		r.With(requireJSON).Put("/{logger}", s.setLogger)
	})
	return stripTrailingSlash(r)
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
				s.log.Error("panic serving REST request", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeError(w, fmt.Errorf("%v", v))
			}
		}()
		s.log.Debug("REST request", "method", r.Method, "path", r.URL.Path)
		next.ServeHTTP(w, r)
	})
}

func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.AllowOrigin != "" {
			w.Header().Set("Access-Control-Allow-Origin", s.cfg.AllowOrigin)
			if s.cfg.AllowMethods != "" {
				w.Header().Set("Access-Control-Allow-Methods", s.cfg.AllowMethods)
			}
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusOK)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// requireJSON answers 415 for a body that is not JSON, as JAX-RS does.
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
			writeError(w, newStatusError(http.StatusUnsupportedMediaType, "HTTP 415 Unsupported Media Type"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// herderCtx bounds a herder-backed request like Connect's 90 s timeout.
func (s *Server) herderCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
}
