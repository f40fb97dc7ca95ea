package restapi

import (
	"fmt"
	"net/http"

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
	if s.cfg.Loggers != nil {
		if l, ok := s.cfg.Loggers.Get(name); ok {
			writeJSON(w, http.StatusOK, l)
			return
		}
	}
	writeError(w, newStatusError(http.StatusNotFound, fmt.Sprintf("Logger %s not found.", name)))
}

func (s *Server) setLogger(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "logger")
	var body map[string]string
	if err := decode(r, &body); err != nil {
		writeError(w, err)
		return
	}
	lv, ok := body["level"]
	if !ok {
		writeError(w, newStatusError(http.StatusBadRequest, "The request body must specify a 'level' field"))
		return
	}
	level, ok := logging.ParseLevel(lv)
	if !ok {
		writeError(w, newStatusError(http.StatusNotFound, fmt.Sprintf("invalid log level '%s'.", lv)))
		return
	}
	scope := r.URL.Query().Get("scope")
	if s.cfg.Loggers == nil {
		writeError(w, fmt.Errorf("logger levels cannot be changed on this worker"))
		return
	}
	affected := s.cfg.Loggers.Set(name, level)
	if scope == "cluster" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, affected)
}
