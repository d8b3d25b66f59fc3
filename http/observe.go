package http

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/observe"
)

// unmatchedRoute is the route label of requests no route matched, so
// scanners probing random paths add one series, not one per path.
const unmatchedRoute = "unmatched"

// routeLabel returns the template of the route that matched r, such as
// /v1/plans/{id}.
func routeLabel(r *http.Request) string {
	route := mux.CurrentRoute(r)
	if route == nil {
		return unmatchedRoute
	}
	template, err := route.GetPathTemplate()
	if err != nil {
		return unmatchedRoute
	}
	return template
}

// methodLabel keeps the method label to the methods HTTP defines, because a
// client can send any token as a method.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	default:
		return "other"
	}
}

// withObservation counts the request in the HTTP metrics and collects the
// events a write appends, for the request log line. It runs inside
// withRequestLog, which owns the request state.
func (s *Server) withObservation(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done := s.cfg.Metrics.StartRequest()
		defer done()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		ctx := r.Context()
		if state := stateOf(r); state != nil {
			ctx = observe.WithAppendListener(ctx, func(events []domain.Event) {
				state.appended = append(state.appended, events...)
			})
		}
		next.ServeHTTP(rec, r.WithContext(ctx))
		s.cfg.Metrics.ObserveRequest(routeLabel(r), methodLabel(r.Method), rec.status, time.Since(start))
	})
}

// appendedAttrs returns the log attributes of the events a request stored:
// the aggregate, its new sequence and the last event's type and stream
// sequence. A batch stores events of one aggregate, so the last event
// names it.
func appendedAttrs(events []domain.Event) []any {
	if len(events) == 0 {
		return nil
	}
	last := events[len(events)-1]
	return []any{"aggregate_kind", last.AggregateKind, "aggregate_id", last.AggregateID,
		"aggregate_sequence", last.Sequence, "event_type", last.Type, "event_id", last.ID,
		"stream_sequence", last.StreamSequence, "events", len(events)}
}

// withRecovery turns a handler panic into a 500 problem that names the
// request id, and logs the panic with its stack. A panic after the
// response has started can only end the connection, as net/http does.
func (s *Server) withRecovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &startedWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // net/http compares it the same way
				panic(v)
			}
			s.log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "request_id", requestID(r),
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if rec.started {
				panic(http.ErrAbortHandler)
			}
			// The panic is logged above, so the problem is written directly
			// rather than through writeProblem, which would log it again.
			id := requestID(r)
			writeProblemBody(rec, Problem{Type: problemTypePrefix + domain.EInternal, Title: problemTitle[domain.EInternal],
				Status: http.StatusInternalServerError, Detail: "an internal error occurred; report request id " + id,
				Instance: r.URL.Path, RequestID: id})
		}()
		next.ServeHTTP(rec, r)
	})
}

// startingRoutes respond as usual while the server is starting: liveness,
// the metrics and the API description.
var startingRoutes = map[string]bool{"/livez": true, "/metrics": true, "/openapi.json": true}

// withStartupGate responds 503 on every other route while Config.Starting
// reports a reason, such as replaying the log, because until then reads
// would show part of the data and writes would decide on it. /readyz gets
// the reason too.
func (s *Server) withStartupGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Starting == nil || startingRoutes[routeLabel(r)] {
			next.ServeHTTP(w, r)
			return
		}
		reason := s.cfg.Starting()
		switch {
		case reason == "":
			next.ServeHTTP(w, r)
		case r.URL.Path == "/readyz":
			writeProblem(w, r, domain.Errorf(domain.EUnavailable, "", "not ready: starting: %s", reason))
		default:
			w.Header().Set("Retry-After", "5")
			writeProblem(w, r, domain.Errorf(domain.EUnavailable, "",
				"the server is starting (%s); retry in a few seconds or watch /readyz", reason))
		}
	})
}

// registerObservabilityRoutes serves the metrics and the problem type
// descriptions.
func (s *Server) registerObservabilityRoutes(r *mux.Router) {
	r.Handle("/metrics", s.cfg.Metrics.Handler()).Methods(http.MethodGet)
	r.HandleFunc("/problems", s.handleProblemTypes).Methods(http.MethodGet)
	r.HandleFunc("/problems/{code}", s.handleProblemType).Methods(http.MethodGet)
}

// startedWriter records whether the response has started.
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (w *startedWriter) WriteHeader(code int) {
	if code >= 200 {
		w.started = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *startedWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

func (w *startedWriter) Flush() {
	w.started = true
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *startedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
