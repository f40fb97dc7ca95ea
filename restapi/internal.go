package restapi

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/gonnect/gonnect/worker/sessionkey"
)

// Connect's internal endpoints (InternalClusterResource): workers of either
// runtime hand the leader the task configs of the connectors they run and
// ask it for zombie fencings. Requests are signed with the session key
// (KIP-507); the herder verifies them as Connect does. Like Connect's
// resource they take any Content-Type: the body is read as bytes, which is
// what the signature covers.

// internalPaths reports whether a request is for one of the internal
// endpoints (which consume any media type).
func internalPath(r *http.Request) bool {
	rctx := chi.NewRouteContext()
	return internalRoutes.Match(rctx, r.Method, r.URL.Path)
}

var internalRoutes = func() chi.Router {
	r := chi.NewRouter()
	nop := func(http.ResponseWriter, *http.Request) {}
	r.Post("/connectors/{connector}/tasks", nop)
	r.Put("/connectors/{connector}/fence", nop)
	return r
}()

const taskConfigsType = "java.util.ArrayList<java.util.Map<java.lang.String,java.lang.String>>"

// decodeTaskConfigs reads the body as Connect's resource does (Jackson,
// List<Map<String,String>>).
func decodeTaskConfigs(r *http.Request) ([]map[string]string, error) {
	var out []map[string]string
	err := readBody(r, taskConfigsType, "", keepElements, func(root *jnode, _ int) *bodyError {
		if root == nil {
			return &bodyError{msg: "No content to map due to end-of-input"}
		}
		if root.kind == 'n' {
			return nil
		}
		if root.kind != '[' {
			return mismatch(taskConfigsType, root, "")
		}
		out = make([]map[string]string, 0, len(root.vals))
		for i, v := range root.vals {
			m, e := bindStringMap(v, fmt.Sprintf("java.util.ArrayList[%d]", i))
			if e != nil {
				return e
			}
			var cfg map[string]string
			if m != nil {
				cfg = make(map[string]string, len(m))
				for k, val := range m {
					if val != nil {
						cfg[k] = *val
					}
				}
			}
			out = append(out, cfg)
		}
		return nil
	})
	return out, err
}

// putTaskConfigs is POST /connectors/{connector}/tasks.
func (s *Server) putTaskConfigs(w http.ResponseWriter, r *http.Request) {
	configs, err := decodeTaskConfigs(r)
	if err != nil {
		writeError(w, err)
		return
	}
	sig, err := signatureOf(r)
	if err == nil {
		ctx, cancel := s.herderCtx(r)
		defer cancel()
		err = s.cfg.Herder.PutTaskConfigs(ctx, chi.URLParam(r, "connector"), configs, sig)
	}
	s.reply(w, r, err, http.StatusNoContent, nil)
}

// fenceZombies is PUT /connectors/{connector}/fence.
func (s *Server) fenceZombies(w http.ResponseWriter, r *http.Request) {
	sig, err := signatureOf(r)
	if err == nil {
		ctx, cancel := s.herderCtx(r)
		defer cancel()
		err = s.cfg.Herder.FenceZombies(ctx, chi.URLParam(r, "connector"), sig)
	}
	s.reply(w, r, err, http.StatusNoContent, nil)
}

// signatureOf reads the request's signature over its body as received.
func signatureOf(r *http.Request) (*sessionkey.Signature, error) {
	body, err := bodyOf(r)
	if err != nil {
		return nil, err
	}
	return sessionkey.FromHeaders(r.Header, body)
}
