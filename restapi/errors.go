package restapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// errorBody is Connect's error entity.
type errorBody struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// statusError is an error with a chosen HTTP status (Connect's
// ConnectRestException).
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

func newStatusError(status int, msg string) error { return &statusError{status: status, msg: msg} }

// statusOf maps an error to Connect's status code; this is the only place
// where errors become HTTP statuses.
func statusOf(err error) int {
	var se *statusError
	var bad *entities.BadRequestError
	var nf *entities.NotFoundError
	var conflict *entities.ConflictError
	var rest *entities.StatusError
	switch {
	case errors.As(err, &se):
		return se.status
	case errors.As(err, &rest):
		return rest.Status
	case errors.As(err, &bad):
		return http.StatusBadRequest
	case errors.As(err, &nf), errors.Is(err, entities.ErrNotFound):
		return http.StatusNotFound
	case errors.As(err, &conflict), errors.Is(err, entities.ErrAlreadyExists), errors.Is(err, entities.ErrRebalanceNeeded), errors.Is(err, entities.ErrNoLeader):
		return http.StatusConflict
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusInternalServerError
	}
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, err error) {
	status := statusOf(err)
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "Request timed out"
	}
	writeJSON(w, status, errorBody{ErrorCode: status, Message: msg})
}

// writeJSON writes every response body. Nil slices and maps are written
// as [] and {} (never null, which clients such as kcctl cannot read), map
// keys sorted, and <, > and & unescaped, as Jackson writes them.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		// Invalid UTF-8 already stored (e.g. by another runtime) is written
		// replaced rather than failing the response halfway.
		_ = json.MarshalWrite(w, v, json.Deterministic(true), jsontext.AllowInvalidUTF8(true))
	}
}
