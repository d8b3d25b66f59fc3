package http

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/domain"
)

// problemTypePrefix starts every problem type URI. The type is a path on
// the API itself, so it dereferences to its description on every
// deployment (GET /problems/{code}); docs/problems.md explains the choice.
const problemTypePrefix = "/problems/"

// Problem codes the HTTP layer adds to the domain's error codes.
const (
	codeMethodNotAllowed   = "method_not_allowed"
	codePreconditionFailed = "precondition_failed"
)

// problemType describes one problem type: when the server sends it and what
// the client should do. docs/problems.md carries the same text.
type problemType struct {
	Type   string `json:"type"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	// Cause is when the server sends the problem.
	Cause string `json:"cause"`
	// Action is what the client should do next.
	Action string `json:"action"`
}

// problemTypes lists every problem type the server sends, in the order
// docs/problems.md documents them.
var problemTypes = []problemType{
	{Code: domain.EInvalid, Status: http.StatusBadRequest,
		Cause:  "A parameter, header or body field breaks a rule: a malformed value, an unknown field, a value out of range or a change the domain rules reject.",
		Action: "Fix the input named in field as detail describes, then send the request again."},
	{Code: domain.EUnauthenticated, Status: http.StatusUnauthorized,
		Cause:  "A write came without a bearer token, or a request sent a token that is malformed, expired or signed with another key.",
		Action: "Send Authorization: Bearer <JWT> with a valid token; planledger token prints one for a development server."},
	{Code: domain.EForbidden, Status: http.StatusForbidden,
		Cause:  "The signed-in role or organization may not make this change.",
		Action: "Sign in with a role and org allowed to make it; docs/auth.md lists what each role may do."},
	{Code: domain.ENotFound, Status: http.StatusNotFound,
		Cause:  "The org, plan, review, item or route named in the request does not exist, or did not exist at the requested as_of instant.",
		Action: "Check the id named in field; list what exists with the collection route, or read at a later as_of."},
	{Code: codeMethodNotAllowed, Status: http.StatusMethodNotAllowed,
		Cause:  "The route exists but does not accept this method.",
		Action: "Use a method the API description (/openapi.json) lists for the route."},
	{Code: domain.EConflict, Status: http.StatusConflict,
		Cause:  "The version the body's expected_sequence stated is not the current one, or a create races another for the same slot.",
		Action: "Read the resource again, apply the change to what it now holds and retry with current_sequence from this problem."},
	{Code: codePreconditionFailed, Status: http.StatusPreconditionFailed,
		Cause:  "The version the If-Match header stated is not the aggregate's current one.",
		Action: "Read the resource again and retry with its new ETag in If-Match; current_sequence carries the version."},
	{Code: domain.ETooLarge, Status: http.StatusRequestEntityTooLarge,
		Cause:  "The request body is over 1 MiB, or the event it would store is over the event store's size limit.",
		Action: "Shorten the longest text or split the change into several requests."},
	{Code: domain.EPrecondition, Status: http.StatusPreconditionRequired,
		Cause:  "A change to an existing plan, review, survey or library item did not state the version it edits.",
		Action: "Send If-Match with the ETag of your last read, or expected_sequence in the body."},
	{Code: domain.EInternal, Status: http.StatusInternalServerError,
		Cause:  "The server failed in a way the request could not cause; the details are in the server log, not in the response.",
		Action: "Retry later; if it persists, report request_id to the operator, who can find the log line by it."},
	{Code: domain.EUnavailable, Status: http.StatusServiceUnavailable,
		Cause: "The server is starting (replaying the log or loading bundled data); on /readyz, the event store is unreachable " +
			"or the read model trails it by more than the readiness limit; on a write, the event was stored but not yet applied when the request ended.",
		Action: "Retry after Retry-After seconds when the header is present; /readyz returns 200 once the server is ready. " +
			"After a 503 on a write, read the resource before retrying, because the change may have been stored."},
}

func init() {
	for i := range problemTypes {
		p := &problemTypes[i]
		p.Type = problemTypePrefix + p.Code
		p.Title = problemTitle[p.Code]
		if p.Title == "" {
			p.Title = http.StatusText(p.Status)
		}
	}
}

func problemTypeOf(code string) (problemType, bool) {
	for _, p := range problemTypes {
		if p.Code == code {
			return p, true
		}
	}
	return problemType{}, false
}

func (s *Server) handleProblemTypes(w http.ResponseWriter, r *http.Request) {
	page, err := parsePage(r, "problems", maxPageSize)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	ordered := make([]positioned[problemType], len(problemTypes))
	for i, p := range problemTypes {
		ordered[i] = positioned[problemType]{position: uint64(i + 1), item: p}
	}
	items, next, err := takePage(ordered, page)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	body := map[string]any{"items": items}
	setNextPage(w, r, page, body, next, nil)
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleProblemType(w http.ResponseWriter, r *http.Request) {
	code := mux.Vars(r)["code"]
	p, ok := problemTypeOf(code)
	if !ok {
		writeProblem(w, r, domain.Errorf(domain.ENotFound, "code", "no problem type %q; list them at GET /problems", code))
		return
	}
	writeJSON(w, http.StatusOK, p)
}
