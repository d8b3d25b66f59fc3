package http

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/planledger/planledger/domain"
)

// Problem is an RFC 9457 problem details body. Type is a stable URI per
// error code, relative to the API root, that GET serves a description at
// (see problemTypes); Field names the input at fault.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance,omitempty"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// CurrentSequence, on a conflict, is the version a retry must state.
	CurrentSequence *uint64 `json:"current_sequence,omitempty"`
}

var problemStatus = map[string]int{
	domain.EConflict:        http.StatusConflict,
	domain.EInvalid:         http.StatusBadRequest,
	domain.ENotFound:        http.StatusNotFound,
	domain.EUnavailable:     http.StatusServiceUnavailable,
	domain.EPrecondition:    http.StatusPreconditionRequired,
	domain.ETooLarge:        http.StatusRequestEntityTooLarge,
	domain.EInternal:        http.StatusInternalServerError,
	domain.EUnauthenticated: http.StatusUnauthorized,
	domain.EForbidden:       http.StatusForbidden,
}

var problemTitle = map[string]string{
	domain.EConflict:        "Conflict with the current version",
	domain.EInvalid:         "Invalid request",
	domain.ENotFound:        "Not found",
	domain.EUnavailable:     "Service unavailable",
	domain.EPrecondition:    "Precondition required",
	domain.ETooLarge:        "Content too large",
	domain.EInternal:        "Internal error",
	domain.EUnauthenticated: "Sign-in required",
	domain.EForbidden:       "Not allowed for this role or organization",
}

// writeProblem maps an error to problem+json. Internal errors are logged
// with the request id and shown to the client only as that id.
func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	var conflict *domain.ConflictError
	if errors.As(err, &conflict) {
		writeProblemBody(w, conflictProblem(r, conflict))
		return
	}
	code := domain.ErrorCode(err)
	var de *domain.Error
	p := Problem{Type: problemTypePrefix + code, Title: problemTitle[code], Status: problemStatus[code],
		Instance: r.URL.Path, RequestID: requestID(r)}
	if errors.As(err, &de) && code != domain.EInternal {
		p.Detail, p.Field = de.Message, de.Field
	} else {
		slog.Error("internal error", "method", r.Method, "path", r.URL.Path, "request_id", p.RequestID, "err", err)
		p.Detail = "an internal error occurred; report request id " + p.RequestID
	}
	if code == domain.EUnauthenticated {
		setChallenge(w, r)
	}
	writeProblemBody(w, p)
}

// setChallenge sends the WWW-Authenticate header every 401 needs (RFC 9110
// section 11.6.1), naming invalid_token when the request sent a token, as
// RFC 6750 section 3.1 defines.
func setChallenge(w http.ResponseWriter, r *http.Request) {
	challenge := `Bearer realm="planledger"`
	if r.Header.Get("Authorization") != "" {
		challenge += `, error="invalid_token"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
}

func conflictProblem(r *http.Request, conflict *domain.ConflictError) Problem {
	return Problem{Type: problemTypePrefix + domain.EConflict, Title: problemTitle[domain.EConflict], Status: http.StatusConflict,
		Detail: conflict.Error() + "; reload it and retry with the current sequence",
		Field:  "If-Match", Instance: r.URL.Path, RequestID: requestID(r), CurrentSequence: &conflict.Current}
}

func writeProblemStatus(w http.ResponseWriter, r *http.Request, status int, code, field, detail string) {
	writeProblemBody(w, Problem{Type: problemTypePrefix + code, Title: http.StatusText(status), Status: status,
		Detail: detail, Field: field, Instance: r.URL.Path, RequestID: requestID(r)})
}

func writeProblemBody(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
