package restapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/go-chi/chi/v5"
)

// reply writes the outcome of a herder call: the leader's answer when the
// request had to be forwarded, Connect's error body, or status and body
// (no body when body is nil).
func (s *Server) reply(w http.ResponseWriter, r *http.Request, err error, status int, body any) {
	if s.forwardIfNeeded(w, r, err) {
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if body == nil {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, body)
}

func (s *Server) serverInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Herder.ServerInfo(r.Context()))
}

type workerStatus struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// health answers GET /health as Connect 4 does (KIP-1017): healthy once a
// no-op went through the herder's loop within the health timeout, else
// starting (503) while the herder has not completed start-up, unhealthy
// (500) after.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.HealthTimeout)
	defer cancel()
	err := s.cfg.Herder.HealthCheck(ctx)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, workerStatus{Status: "healthy", Message: "Worker has completed startup and is ready to handle requests."})
	case errors.Is(err, context.DeadlineExceeded) && s.cfg.Herder.Ready() != nil:
		writeJSON(w, http.StatusServiceUnavailable, workerStatus{Status: "starting", Message: "Worker is still starting up."})
	case errors.Is(err, context.DeadlineExceeded):
		writeJSON(w, http.StatusInternalServerError, workerStatus{Status: "unhealthy", Message: "Worker was unable to handle this request and may be unable to handle other requests."})
	default:
		writeError(w, err)
	}
}

type expanded struct {
	Status *entities.ConnectorStateInfo `json:"status,omitempty"`
	Info   *entities.ConnectorInfo      `json:"info,omitempty"`
}

func (s *Server) listConnectors(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	names, err := s.cfg.Herder.Connectors(ctx)
	if err != nil {
		writeError(w, err)
		return
	}
	// Any expand parameter, even one naming nothing Connect knows, turns
	// the list into a map, as in Connect.
	expand, expanding := r.URL.Query()["expand"]
	var wantStatus, wantInfo bool
	for _, e := range expand {
		wantStatus = wantStatus || e == "status"
		wantInfo = wantInfo || e == "info"
	}
	if !expanding {
		writeJSON(w, http.StatusOK, names)
		return
	}
	out := make(map[string]expanded, len(names))
	for _, n := range names {
		var e expanded
		// A connector deleted while listing is skipped, as Connect does.
		if wantStatus {
			st, err := s.cfg.Herder.ConnectorStatus(ctx, n)
			if err != nil {
				continue
			}
			e.Status = &st
		}
		if wantInfo {
			info, err := s.cfg.Herder.ConnectorInfo(ctx, n)
			if err != nil {
				continue
			}
			e.Info = &info
		}
		out[n] = e
	}
	writeJSON(w, http.StatusOK, out)
}

// splitNulls separates null values, which Connect refuses in a config it
// writes, from the rest. A null name is no name: the connector's own is
// put in its place, as in Connect.
func splitNulls(cfg map[string]*string) (map[string]string, []string) {
	out := make(map[string]string, len(cfg))
	var nulls []string
	for k, v := range cfg {
		if v == nil {
			if k == "name" {
				continue
			}
			nulls = append(nulls, k)
			continue
		}
		out[k] = *v
	}
	sort.Strings(nulls)
	return out, nulls
}

func (s *Server) createConnector(w http.ResponseWriter, r *http.Request) {
	req, err := decodeCreate(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if req.null {
		writeError(w, newStatusError(http.StatusInternalServerError, `Cannot invoke "org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest.name()" because "createRequest" is null`))
		return
	}
	name := ""
	if req.name != nil {
		name = strings.TrimSpace(*req.name)
	}
	if req.config == nil {
		writeError(w, newStatusError(http.StatusInternalServerError, `Cannot invoke "java.util.Map.get(Object)" because "connectorConfig" is null`))
		return
	}
	cfg, nulls := splitNulls(req.config)
	if err := checkName(name, cfg); err != nil {
		writeError(w, err)
		return
	}
	var initial entities.TargetState
	if req.initialState != nil {
		initial = entities.TargetState(*req.initialState)
		if initial == "RUNNING" {
			initial = entities.TargetStarted
		}
	}
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	if err := s.refuseNulls(ctx, cfg, nulls); err != nil {
		writeError(w, err)
		return
	}
	_, info, err := s.cfg.Herder.PutConnectorConfig(ctx, name, cfg, false, initial)
	if err == nil {
		w.Header().Set("Location", connectorLocation(r, name))
	}
	s.reply(w, r, err, http.StatusCreated, info)
}

// connectorLocation is the Location of a created connector: absolute,
// against the host the client asked for, as Jersey resolves Connect's
// relative one, with the client's scheme; the name escaped as a path
// segment.
func connectorLocation(r *http.Request, name string) string {
	return (&url.URL{Scheme: schemeOf(r), Host: r.Host, Path: "/connectors/" + name}).String()
}

// schemeOf is the scheme the client used: https on a TLS listener.
func schemeOf(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// checkName injects the connector name into its config, or fails when
// the config names another connector; a null name is replaced, as in
// Connect.
func checkName(name string, cfg map[string]string) error {
	if n, ok := cfg["name"]; ok {
		if n != name {
			return &entities.BadRequestError{Msg: fmt.Sprintf("Connector name configuration (%s) doesn't match connector name in the URL (%s)", n, name)}
		}
	} else {
		cfg["name"] = name
	}
	return nil
}

func (s *Server) getConnector(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	info, err := s.cfg.Herder.ConnectorInfo(ctx, chi.URLParam(r, "connector"))
	s.reply(w, r, err, http.StatusOK, info)
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	cfg, err := s.cfg.Herder.ConnectorConfig(ctx, chi.URLParam(r, "connector"))
	s.reply(w, r, err, http.StatusOK, cfg)
}

func (s *Server) putConfig(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "connector")
	raw, err := decodeStringMap(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if raw == nil {
		writeError(w, newStatusError(http.StatusInternalServerError, `Cannot invoke "java.util.Map.get(Object)" because "connectorConfig" is null`))
		return
	}
	cfg, nulls := splitNulls(raw)
	if err := checkName(name, cfg); err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	if err := s.refuseNulls(ctx, cfg, nulls); err != nil {
		writeError(w, err)
		return
	}
	created, info, err := s.cfg.Herder.PutConnectorConfig(ctx, name, cfg, true, "")
	status := http.StatusOK
	if err == nil && created {
		w.Header().Set("Location", connectorLocation(r, name))
		status = http.StatusCreated
	}
	s.reply(w, r, err, status, info)
}

func (s *Server) patchConfig(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "connector")
	patch, err := decodeStringMap(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if v, ok := patch["name"]; ok && (v == nil || *v != name) {
		shown := "null"
		if v != nil {
			shown = *v
		}
		writeError(w, &entities.BadRequestError{Msg: fmt.Sprintf("Connector name configuration (%s) doesn't match connector name in the URL (%s)", shown, name)})
		return
	}
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	info, err := s.cfg.Herder.PatchConnectorConfig(ctx, name, patch)
	s.reply(w, r, err, http.StatusOK, info)
}

func (s *Server) deleteConnector(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	err := s.cfg.Herder.DeleteConnector(ctx, chi.URLParam(r, "connector"))
	s.reply(w, r, err, http.StatusNoContent, nil)
}

func (s *Server) connectorStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	st, err := s.cfg.Herder.ConnectorStatus(ctx, chi.URLParam(r, "connector"))
	s.reply(w, r, err, http.StatusOK, st)
}

func queryBool(r *http.Request, name string) bool {
	b, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return b
}

func (s *Server) restartConnector(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	st, err := s.cfg.Herder.RestartConnector(ctx, chi.URLParam(r, "connector"), queryBool(r, "includeTasks"), queryBool(r, "onlyFailed"))
	if st == nil {
		s.reply(w, r, err, http.StatusNoContent, nil)
		return
	}
	s.reply(w, r, err, http.StatusAccepted, st)
}

func (s *Server) targetState(state entities.TargetState) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := s.herderCtx(r)
		defer cancel()
		err := s.cfg.Herder.SetTargetState(ctx, chi.URLParam(r, "connector"), state)
		status := http.StatusAccepted
		if state == entities.TargetStopped {
			status = http.StatusNoContent
		}
		s.reply(w, r, err, status, nil)
	}
}

func (s *Server) tasks(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	tasks, err := s.cfg.Herder.Tasks(ctx, chi.URLParam(r, "connector"))
	s.reply(w, r, err, http.StatusOK, tasks)
}

// taskID parses the task path parameter; a non-number is a 404, as JAX-RS
// answers a path parameter it cannot convert.
func taskID(r *http.Request) (entities.TaskID, error) {
	n, err := strconv.Atoi(chi.URLParam(r, "task"))
	if err != nil {
		return entities.TaskID{}, newStatusError(http.StatusNotFound, "HTTP 404 Not Found")
	}
	return entities.TaskID{Connector: chi.URLParam(r, "connector"), Task: n}, nil
}

func (s *Server) taskStatus(w http.ResponseWriter, r *http.Request) {
	id, err := taskID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	st, err := s.cfg.Herder.TaskStatus(ctx, id)
	s.reply(w, r, err, http.StatusOK, st)
}

func (s *Server) restartTask(w http.ResponseWriter, r *http.Request) {
	id, err := taskID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	err = s.cfg.Herder.RestartTask(ctx, id)
	s.reply(w, r, err, http.StatusNoContent, nil)
}

type activeTopics struct {
	Topics []string `json:"topics"`
}

var (
	errTopicTrackingDisabled = newStatusError(http.StatusForbidden, "Topic tracking is disabled.")
	errTopicResetDisabled    = newStatusError(http.StatusForbidden, "Topic tracking reset is disabled.")
)

func (s *Server) topics(w http.ResponseWriter, r *http.Request) {
	if s.cfg.DisableTopicTracking {
		writeError(w, errTopicTrackingDisabled)
		return
	}
	name := chi.URLParam(r, "connector")
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	topics, err := s.cfg.Herder.ActiveTopics(ctx, name)
	if err != nil {
		writeError(w, err)
		return
	}
	sort.Strings(topics)
	writeJSON(w, http.StatusOK, map[string]activeTopics{name: {Topics: topics}})
}

func (s *Server) resetTopics(w http.ResponseWriter, r *http.Request) {
	switch {
	case s.cfg.DisableTopicTracking:
		writeError(w, errTopicTrackingDisabled)
		return
	case s.cfg.DisableTopicTrackingReset:
		writeError(w, errTopicResetDisabled)
		return
	}
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	if err := s.cfg.Herder.ResetActiveTopics(ctx, chi.URLParam(r, "connector")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

type message struct {
	Message string `json:"message"`
}

func (s *Server) getOffsets(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	offs, err := s.cfg.Herder.ConnectorOffsets(ctx, chi.URLParam(r, "connector"))
	s.reply(w, r, err, http.StatusOK, offs)
}

func (s *Server) alterOffsets(w http.ResponseWriter, r *http.Request) {
	offs, null, err := decodeOffsets(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if null {
		writeError(w, newStatusError(http.StatusInternalServerError, `Cannot invoke "org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets.offsets()" because "offsets" is null`))
		return
	}
	if offs.Offsets == nil {
		writeError(w, &entities.BadRequestError{Msg: "Partitions / offsets need to be provided for an alter offsets request"})
		return
	}
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	msg, err := s.cfg.Herder.AlterOffsets(ctx, chi.URLParam(r, "connector"), offs)
	s.reply(w, r, err, http.StatusOK, message{Message: msg})
}

func (s *Server) resetOffsets(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	msg, err := s.cfg.Herder.ResetOffsets(ctx, chi.URLParam(r, "connector"))
	s.reply(w, r, err, http.StatusOK, message{Message: msg})
}
