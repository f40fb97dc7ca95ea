package restapi

import "net/http"

// consolePeer finds the base URL of the cluster member with worker id id
// for the console's history: only a worker that the status store says
// runs a connector or a task of this cluster qualifies, so the console
// cannot be made to fetch from anywhere else. The scheme is the request's,
// as the members of a cluster share their listener's kind.
func (s *Server) consolePeer(r *http.Request, id string) (string, bool) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	ctx, cancel := s.herderCtx(r)
	defer cancel()
	names, err := s.cfg.Herder.Connectors(ctx)
	if err != nil {
		return "", false
	}
	for _, n := range names {
		st, err := s.cfg.Herder.ConnectorStatus(ctx, n)
		if err != nil {
			continue
		}
		found := st.Connector.WorkerID == id
		for _, t := range st.Tasks {
			found = found || t.WorkerID == id
		}
		if found {
			return scheme + "://" + id + "/", true
		}
	}
	return "", false
}
