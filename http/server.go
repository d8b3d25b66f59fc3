// Package http serves planledger's JSON API, plan PDFs and the level-change
// feed over HTTP with gorilla/mux. Callers import it as plhttp.
package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/comparisons"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/observe"
	"github.com/planledger/planledger/projections"
)

// Config wires the server to the rest of the product.
type Config struct {
	Commands *commands.Service
	Read     *projections.Projector
	// Ready reports whether the store is reachable and the read model has
	// caught up; /readyz returns 503 with the error otherwise.
	Ready   func(ctx context.Context) error
	OpenAPI []byte
	Version string
	// Auth verifies bearer tokens. Every write needs a token whose role and
	// org allow it; Open fails without a verifier.
	Auth   TokenVerifier
	Logger *slog.Logger
	// Data is the comparison data behind the data-element, similar and
	// compare routes, plan analyses and their printed figures. Without it
	// those routes return 503.
	Data *comparisons.Dataset

	// AsyncAPI is the document of the NATS events, served at /asyncapi.json.
	AsyncAPI []byte
	// Metrics collects the Prometheus metrics served at /metrics; nil
	// makes a new set.
	Metrics *observe.Metrics
	// Starting, when set, returns why the server cannot serve data yet
	// (replaying the log, loading bundled data), or "" once it can. Until
	// then every route but the probes responds 503.
	Starting func() string

	// ReadTimeout bounds reading a request, headers and body, so a client
	// that stalls mid-body cannot hold a connection; zero means
	// DefaultReadTimeout. WriteTimeout bounds writing a response; zero means
	// DefaultWriteTimeout. The level-change stream lifts both for itself.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
}

// Defaults of Config.ReadTimeout and Config.WriteTimeout. A 1 MiB body, the
// largest accepted, needs about 35 KB/s to arrive in 30 s. Two minutes
// leaves a PDF render waiting for one of the four render slots time to
// finish.
const (
	DefaultReadTimeout  = 30 * time.Second
	DefaultWriteTimeout = 2 * time.Minute
)

// Server is the HTTP front of planledger.
type Server struct {
	cfg    Config
	log    *slog.Logger
	router *mux.Router
	srv    *http.Server
	ln     net.Listener
	pdfs   chan struct{} // bounds concurrent PDF renders, which allocate heavily
	// stopping closes when Close begins, so open event streams end at once
	// instead of holding shutdown until its timeout.
	stopping chan struct{}
}

// NewServer builds the routes; Open starts listening.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = observe.New()
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "http"), router: mux.NewRouter(),
		pdfs: make(chan struct{}, 4), stopping: make(chan struct{})}
	s.router.Use(s.withRequestLog, s.withObservation, s.withRecovery, s.withStartupGate, s.withPrincipal,
		s.withCompression(), s.withConditional)
	// gorilla/mux runs middleware only on matched routes, so the fallback
	// handlers are wrapped by hand to get a request id, metrics and a log
	// line too.
	s.router.NotFoundHandler = s.withRequestLog(s.withObservation(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, domain.Errorf(domain.ENotFound, "", "no route for %s %s; see /openapi.json", r.Method, r.URL.Path))
	})))
	s.router.MethodNotAllowedHandler = s.withRequestLog(s.withObservation(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblemStatus(w, r, http.StatusMethodNotAllowed, codeMethodNotAllowed, "",
			fmt.Sprintf("%s is not allowed on %s; see /openapi.json", r.Method, r.URL.Path))
	})))
	s.registerHealthRoutes(s.router)
	s.registerObservabilityRoutes(s.router)
	s.registerOrgRoutes(s.router)
	s.registerPlanRoutes(s.router)
	s.registerLevelRoutes(s.router)
	s.registerReviewRoutes(s.router)
	s.registerAssistRoutes(s.router)
	s.registerWorkflowRoutes(s.router)
	s.registerFrameworkRoutes(s.router)
	s.registerSchemeRoutes(s.router)
	s.registerProgressRoutes(s.router)
	s.registerWebRoutes(s.router)
	s.registerComparisonRoutes(s.router)
	s.registerAsyncAPIRoutes(s.router)
	return s
}

// Handler returns the router, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.router }

// Open listens on addr ("127.0.0.1:8080", ":0" for any free port) and serves
// in the background.
func (s *Server) Open(addr string) error {
	if s.cfg.Auth == nil {
		return errors.New("http server has no token verifier (Config.Auth), so no write could sign in; configure a signing key")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.ln = ln
	readTimeout, writeTimeout := s.cfg.ReadTimeout, s.cfg.WriteTimeout
	if readTimeout <= 0 {
		readTimeout = DefaultReadTimeout
	}
	if writeTimeout <= 0 {
		writeTimeout = DefaultWriteTimeout
	}
	s.srv = &http.Server{Handler: s.router, ReadHeaderTimeout: min(10*time.Second, readTimeout),
		ReadTimeout: readTimeout, WriteTimeout: writeTimeout}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// URL returns the base URL the server listens on.
func (s *Server) URL() string {
	return "http://" + s.ln.Addr().String()
}

// Close stops accepting requests and waits for those in flight, up to the
// context's deadline.
func (s *Server) Close(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	close(s.stopping)
	return s.srv.Shutdown(ctx)
}

func (s *Server) registerHealthRoutes(r *mux.Router) {
	r.HandleFunc("/livez", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}).Methods(http.MethodGet)
	r.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Ready != nil {
			if err := s.cfg.Ready(r.Context()); err != nil {
				writeProblem(w, r, domain.Errorf(domain.EUnavailable, "", "not ready: %v", err))
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "applied_stream_sequence": s.cfg.Read.Applied(),
			"counts": s.cfg.Read.Stats()})
	}).Methods(http.MethodGet)
	r.HandleFunc("/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.cfg.OpenAPI)
	}).Methods(http.MethodGet)
	r.HandleFunc("/v1/reference", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"district_standards": domain.DistrictStandards,
			"dip_sections":       domain.DIPSections,
			"sip_sections":       domain.SIPSections,
		})
	}).Methods(http.MethodGet)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Flush lets the SSE handler flush through the recorder.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection, which the SSE
// handler needs to lift the server's deadlines.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// requestState carries facts from inner handlers back to the request log.
type requestState struct {
	id        string
	principal *domain.Principal
	authError string         // the reason sign-in or authorization failed, without the token
	appended  []domain.Event // the events a write stored; see withObservation
}

// withRequestLog sets the request id and logs one line per request with
// the signed-in subject and role. It never logs the Authorization header.
func (s *Server) withRequestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" {
			id = uuid.NewString()
		}
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		state := &requestState{id: id}
		start := time.Now()
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestStateKey{}, state)))
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration_ms", time.Since(start).Milliseconds(), "request_id", id}
		if p := state.principal; p != nil {
			attrs = append(attrs, "subject", p.Subject, "role", p.Role)
			if p.OrgCode != "" {
				attrs = append(attrs, "org", p.OrgCode)
			}
		}
		if state.authError != "" {
			attrs = append(attrs, "auth_error", state.authError)
		}
		attrs = append(attrs, appendedAttrs(state.appended)...)
		s.log.Info("request", attrs...)
	})
}

type requestStateKey struct{}

func stateOf(r *http.Request) *requestState {
	state, _ := r.Context().Value(requestStateKey{}).(*requestState)
	return state
}

func requestID(r *http.Request) string {
	if state := stateOf(r); state != nil {
		return state.id
	}
	return ""
}

// writeJSON sends v as compact JSON. Indenting took about two thirds of
// the time to encode a plan under load, and clients can pretty-print.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// maxBodyBytes caps a request body; the largest real plan section is far
// smaller, and the event it becomes must fit a NATS message.
const maxBodyBytes = 1 << 20

// decodeJSON reads a request body into v, rejecting unknown fields and
// trailing data so a misspelled field is an error rather than ignored.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		media, _, err := mime.ParseMediaType(ct)
		if err != nil || media != "application/json" {
			return domain.Errorf(domain.EInvalid, "Content-Type", "send the body as application/json, not %s", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return decodeError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return domain.Errorf(domain.EInvalid, "body", "invalid body: it contains more than one JSON value; send one object")
	}
	return checkBodyText(body)
}

// checkBodyText runs domain.CheckText on every string in a decoded body,
// named by its JSON path such as "sections/0/text". Checking here covers
// every write, whose free text all arrives as JSON strings.
func checkBodyText(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	// One frame per open object or array: the current key or element
	// index, with key "" while an object waits for its next key.
	type frame struct {
		array bool
		key   string
		index int
	}
	var stack []frame
	name := func() string {
		parts := make([]string, len(stack))
		for i, f := range stack {
			parts[i] = f.key
		}
		return strings.Join(parts, "/")
	}
	// endValue makes the innermost object, if any, wait for its next key.
	endValue := func() {
		if n := len(stack); n > 0 && !stack[n-1].array {
			stack[n-1].key = ""
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return decodeError(err)
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			endValue()
			continue
		}
		if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].key == "" {
			stack[n-1].key = tok.(string) // an object key; its value follows
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].array {
			stack[n-1].key = strconv.Itoa(stack[n-1].index)
			stack[n-1].index++
		}
		switch t := tok.(type) {
		case json.Delim:
			stack = append(stack, frame{array: t == '['})
			continue
		case string:
			if err := domain.CheckText(name(), t); err != nil {
				return err
			}
		}
		endValue()
	}
}

// decodeError turns an encoding/json error into one that names the JSON
// field, not the Go type that happened to hold it.
func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return domain.Errorf(domain.ETooLarge, "body", "the body is over the %d-byte limit; shorten the longest text", tooLarge.Limit)
	case errors.Is(err, io.EOF):
		return domain.Errorf(domain.EInvalid, "body", "the body is empty; send a JSON object")
	case errors.As(err, &syntax):
		return domain.Errorf(domain.EInvalid, "body", "malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typ):
		field := jsonFieldPath(typ.Field)
		if field == "" {
			return domain.Errorf(domain.EInvalid, "body", "the body must be a JSON object, not %s", typ.Value)
		}
		if k := typ.Type.Kind(); k >= reflect.Int && k <= reflect.Uint64 && strings.HasPrefix(typ.Value, "number") {
			// encoding/json rejects 2.0 and 2e0 for an integer field.
			return domain.Errorf(domain.EInvalid, field, "%s must be a whole number written without a fraction or exponent, such as 2, not %s",
				field, strings.TrimPrefix(typ.Value, "number "))
		}
		return domain.Errorf(domain.EInvalid, field, "%s must be a JSON %s, not %s", field, jsonTypeName(typ.Type.Kind()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return domain.Errorf(domain.EInvalid, field, "unknown field %q; see /openapi.json for the request shape", field)
	default:
		return domain.Errorf(domain.EInvalid, "body", "invalid JSON body: %v", err)
	}
}

// jsonFieldPath drops the Go struct names encoding/json puts before the
// JSON field path ("Goal.measures" becomes "measures"): every JSON field in
// this API is lower case and every Go type name starts upper case, except
// the request wrappers named below.
func jsonFieldPath(path string) string {
	parts := strings.Split(path, ".")
	for len(parts) > 0 && (parts[0] == "" || parts[0] == "planEdit" || unicode.IsUpper(rune(parts[0][0]))) {
		parts = parts[1:]
	}
	return strings.Join(parts, "/")
}

func jsonTypeName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Pointer:
		return "value"
	default:
		return "number"
	}
}

// parseExpected reads the expected aggregate sequence from If-Match ("7" or
// W/"7") or from the body field, which wins when both are present.
func parseExpected(r *http.Request, body *uint64) (*uint64, error) {
	if body != nil {
		return body, nil
	}
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return nil, nil
	}
	h = strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	n, err := strconv.ParseUint(h, 10, 64)
	if err != nil {
		return nil, domain.Errorf(domain.EInvalid, "If-Match", "If-Match %q is not a version ETag such as \"7\"", r.Header.Get("If-Match"))
	}
	return &n, nil
}

// parseEffective reads an effective date: a date means the start of that
// day in America/New_York, an RFC 3339 instant is taken as is.
func parseEffective(value string) (time.Time, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, value, projections.Massachusetts); err == nil {
		return d.UTC(), projections.CheckYear("effective_date", d)
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		return time.Time{}, domain.Errorf(domain.EInvalid, "effective_date",
			"effective_date %q is neither a date like 2024-05-01 nor an RFC 3339 instant", value)
	}
	return t.UTC(), projections.CheckYear("effective_date", t)
}
