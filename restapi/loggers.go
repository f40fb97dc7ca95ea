package restapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/gonnect/gonnect/internal/logging"
)

func (s *Server) listLoggers(w http.ResponseWriter, _ *http.Request) {
	if s.cfg.Loggers == nil {
		writeJSON(w, http.StatusOK, map[string]logging.Level{})
		return
	}
	writeJSON(w, http.StatusOK, s.cfg.Loggers.Levels())
}

func (s *Server) getLogger(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "logger")
	// Connect finds the root logger whatever its case.
	if strings.EqualFold(name, "root") {
		name = "root"
	}
	if s.cfg.Loggers != nil {
		if l, ok := s.cfg.Loggers.Get(name); ok {
			writeJSON(w, http.StatusOK, l)
			return
		}
	}
	writeError(w, newStatusError(http.StatusNotFound, fmt.Sprintf("Logger %s not found.", name)))
}

// setLogger sets a logger's level on this worker (scope=worker, the
// default: 200 with the loggers whose level changed) or on every worker of
// the cluster (scope=cluster, KIP-976: 204 once the request is recorded).
// Like Connect, an unknown scope falls back to worker with a warning.
func (s *Server) setLogger(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "logger")
	body, err := decodeStringMap(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if body == nil {
		writeError(w, newStatusError(http.StatusInternalServerError, `Cannot invoke "java.util.Map.get(Object)" because "levelMap" is null`))
		return
	}
	var lv string
	if v := body["level"]; v != nil {
		lv = *v
	} else {
		writeError(w, newStatusError(http.StatusBadRequest, "Desired 'level' parameter was not specified in request."))
		return
	}
	level, ok := logging.ParseLevel(lv)
	if !ok {
		writeError(w, newStatusError(http.StatusNotFound, fmt.Sprintf("invalid log level '%s'.", lv)))
		return
	}
	if s.cfg.Loggers == nil {
		writeError(w, fmt.Errorf("logger levels cannot be changed on this worker"))
		return
	}
	scope := "worker"
	if q := r.URL.Query(); q.Has("scope") {
		scope = q.Get("scope")
	}
	switch strings.ToLower(scope) {
	case "cluster":
		ctx, cancel := s.herderCtx(r)
		defer cancel()
		// The level goes as spelled; every worker parses it when applying.
		if err := s.cfg.Herder.SetClusterLoggerLevel(ctx, name, lv); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	case "worker":
	default:
		s.log.Warn("invalid scope in request to adjust logging level; using worker", "scope", scope)
	}
	writeJSON(w, http.StatusOK, s.cfg.Loggers.Set(name, level))
}
