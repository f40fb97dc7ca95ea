package restapi

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/gonnect/gonnect/worker/basicauth"
)

// internalRequests are the worker-to-worker requests Connect's
// JaasBasicAuthFilter lets through unauthenticated (they are signed with
// the session key instead): the follower's task configs and the fencing
// of zombie tasks. Matched on the method and the decoded path, as the
// filter matches Jersey's path.
var internalRequests = []struct {
	method string
	path   *regexp.Regexp
}{
	{http.MethodPost, regexp.MustCompile(`^/?connectors/([^/]+)/tasks/?$`)},
	{http.MethodPut, regexp.MustCompile(`^/?connectors/[^/]+/fence/?$`)},
}

func isInternalRequest(r *http.Request) bool {
	p := strings.TrimPrefix(r.URL.Path, "/")
	for _, m := range internalRequests {
		if r.Method == m.method && m.path.MatchString(p) {
			return true
		}
	}
	return false
}

// unauthorizedBody is Connect's 401 entity, as JaasBasicAuthFilter aborts
// with it.
const unauthorizedBody = "User cannot access the resource."

// authenticated applies Basic authentication to a request that reached a
// route, and answers it when refused. The Authorization header is never
// logged.
func (s *Server) authenticated(w http.ResponseWriter, r *http.Request, auth *basicauth.Authenticator) bool {
	if auth == nil || isInternalRequest(r) {
		return true
	}
	ok, err := auth.Authenticate(r.Header.Get("Authorization"))
	if errors.Is(err, basicauth.ErrMalformedBase64) {
		writeError(w, err)
		return false
	}
	if !ok {
		s.log.Debug("Request failed authentication", "method", r.Method, "path", r.URL.Path)
		// Jersey types the entity as the matched method produces: JSON,
		// or text/plain for the OPTIONS it answers itself.
		ct := "application/json"
		if r.Method == http.MethodOptions {
			ct = "text/plain"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(unauthorizedBody))
		return false
	}
	return true
}
