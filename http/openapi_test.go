package http_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/planledger/planledger/auth"
	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/docs"
	"github.com/planledger/planledger/domain"
	plhttp "github.com/planledger/planledger/http"
	"github.com/planledger/planledger/projections"
)

// openAPIPath names the document the tests check: docs/openapi.json with
// the docs/openapi/*.json fragments merged in, as the server serves it.
const openAPIPath = "the merged OpenAPI document"

func loadOpenAPI(t *testing.T) (*openapi3.T, []byte) {
	t.Helper()
	raw := docs.OpenAPI
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("load %s: %v", openAPIPath, err)
	}
	return doc, raw
}

// memoryStore is an in-memory domain.EventStore that applies each event to
// the projector as it appends it, standing in for JetStream and the
// subscription that feeds the read model.
type memoryStore struct {
	mu        sync.Mutex
	read      *projections.Projector
	last      map[string]uint64 // aggregate kind/id -> last aggregate sequence
	streamSeq uint64
}

func newMemoryStore(read *projections.Projector) *memoryStore {
	return &memoryStore{read: read, last: map[string]uint64{}}
}

func (s *memoryStore) Append(_ context.Context, req domain.AppendRequest) (domain.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	key := req.AggregateKind + "/" + req.AggregateID
	if current := s.last[key]; current != req.ExpectedSequence {
		return domain.Event{}, &domain.ConflictError{AggregateID: req.AggregateID, Expected: req.ExpectedSequence, Current: current}
	}
	payload, err := json.Marshal(req.Draft.Payload)
	if err != nil {
		return domain.Event{}, err
	}

	recorded := time.Now().UTC().Truncate(time.Microsecond)
	effective := req.Draft.EffectiveAt.UTC()
	if req.Draft.EffectiveAt.IsZero() {
		effective = recorded
	}
	s.streamSeq++
	// Like the real store, a fixed event id from the command is kept, so
	// keyed retries find their first attempt's event.
	id := req.Metadata.EventID
	if id == "" {
		id = uuid.Must(uuid.NewV7()).String()
	}
	event := domain.Event{
		ID:             id,
		Type:           req.Draft.Type,
		SchemaVersion:  domain.CurrentSchemaVersion,
		AggregateKind:  req.AggregateKind,
		AggregateID:    req.AggregateID,
		Sequence:       req.ExpectedSequence + 1,
		RecordedAt:     recorded,
		EffectiveAt:    effective,
		Actor:          req.Metadata.Actor,
		CorrelationID:  req.Metadata.CorrelationID,
		CausationID:    req.Metadata.CausationID,
		Payload:        payload,
		StreamSequence: s.streamSeq,
	}

	if err := s.read.Apply(event); err != nil {
		return domain.Event{}, err
	}
	s.last[key] = event.Sequence
	return event, nil
}

// fixture is a server on an in-memory store with the document that
// describes it.
type fixture struct {
	doc     *openapi3.T
	handler http.Handler
	router  *mux.Router
	secret  []byte // the HS256 secret the server verifies tokens with
}

// testSecret signs the fixture's tokens; any 32 bytes will do.
var testSecret = []byte("openapi-test-secret-0123456789abcdef")

// signIn returns an Authorization header for a token of role acting for
// org, signed with the fixture's secret and valid for an hour.
func (f *fixture) signIn(t *testing.T, role domain.Role, org, sub string) map[string]string {
	t.Helper()
	token, err := auth.Sign(f.secret, domain.Principal{Subject: sub, Role: role, OrgCode: org}, time.Hour, time.Now())
	if err != nil {
		t.Fatalf("sign a %s token for %q: %v", role, org, err)
	}
	return map[string]string{"Authorization": "Bearer " + token}
}

// withHeader returns a copy of header with key set to value.
func withHeader(header map[string]string, key, value string) map[string]string {
	out := map[string]string{key: value}
	for k, v := range header {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// newFixture builds the server on an in-memory store with the Newburyport
// district and Newburyport High, the orgs the document's examples use.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWithLog(t, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// newFixtureWithLog is newFixture with the server logging to logger.
func newFixtureWithLog(t *testing.T, logger *slog.Logger) *fixture {
	t.Helper()
	doc, raw := loadOpenAPI(t)
	read := projections.New(logger)
	service := commands.New(newMemoryStore(read), read)

	meta := commands.Meta{Actor: "openapi-test"}
	orgs := []domain.Org{
		{Code: "02040000", Type: domain.OrgDistrict, Name: "Newburyport", DistrictCode: "02040000"},
		{Code: "02040505", Type: domain.OrgSchool, Name: "Newburyport High", DistrictCode: "02040000", GradeSpan: "09-12"},
	}
	for _, org := range orgs {
		if _, err := service.RegisterOrg(context.Background(), meta, org); err != nil {
			t.Fatalf("register org %s: %v", org.Code, err)
		}
	}

	verifier, err := auth.NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	handler := plhttp.NewServer(plhttp.Config{Commands: service, Read: read, OpenAPI: raw, Version: "test",
		Auth: verifier, Logger: logger, AsyncAPI: docs.AsyncAPI}).Handler()
	router, ok := handler.(*mux.Router)
	if !ok {
		t.Fatalf("Handler() returned %T, want *mux.Router", handler)
	}
	return &fixture{doc: doc, handler: handler, router: router, secret: testSecret}
}

// gorillaVar matches a gorilla/mux path variable, {name} or {name:pattern}.
var gorillaVar = regexp.MustCompile(`\{([^{}:]+)(:[^{}]*)?\}`)

// openAPIPathOf turns a gorilla/mux path template into an OpenAPI path by
// dropping variable patterns.
func openAPIPathOf(template string) string {
	return gorillaVar.ReplaceAllString(template, "{$1}")
}

func pathVariables(path string) []string {
	var names []string
	for _, m := range gorillaVar.FindAllStringSubmatch(path, -1) {
		names = append(names, m[1])
	}
	sort.Strings(names)
	return names
}

func TestOpenAPIDocumentValidates(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi version = %q, want 3.0.3", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate %s: %v", openAPIPath, err)
	}
}

func TestOpenAPIRoutesMatchServer(t *testing.T) {
	f := newFixture(t)

	registered := map[string]bool{}
	err := f.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		template, err := route.GetPathTemplate()
		if err != nil {
			return nil // a route without a path, such as a subrouter matcher
		}
		methods, err := route.GetMethods()
		if err != nil {
			t.Errorf("route %s has no method matcher, so the document cannot describe it", template)
			return nil
		}
		for _, method := range methods {
			registered[method+" "+openAPIPathOf(template)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk routes: %v", err)
	}

	documented := map[string]bool{}
	for path, item := range f.doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented[method+" "+path] = true
			var declared []string
			for _, ref := range slices.Concat(item.Parameters, op.Parameters) {
				if ref.Value != nil && ref.Value.In == openapi3.ParameterInPath {
					declared = append(declared, ref.Value.Name)
				}
			}
			sort.Strings(declared)
			if want := pathVariables(path); !slices.Equal(declared, want) {
				t.Errorf("%s %s declares path parameters %v, want %v", method, path, declared, want)
			}
		}
	}

	for route := range registered {
		if !documented[route] {
			t.Errorf("route %s is registered but not in %s", route, openAPIPath)
		}
	}
	for route := range documented {
		if !registered[route] {
			t.Errorf("route %s is in %s but the server does not register it", route, openAPIPath)
		}
	}
	if len(registered) == 0 {
		t.Fatal("walk found no routes")
	}
}

// TestOpenAPIWritesDeclareSignIn checks that every write in the merged
// document, fragments included, needs the bearer token and lists the 401
// and 403 responses the sign-in middleware and s.meta send.
func TestOpenAPIWritesDeclareSignIn(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	scheme := doc.Components.SecuritySchemes["bearerAuth"]
	if scheme == nil || scheme.Value == nil {
		t.Fatal("components/securitySchemes has no bearerAuth")
	}
	if v := scheme.Value; v.Type != "http" || v.Scheme != "bearer" || v.BearerFormat != "JWT" {
		t.Errorf("bearerAuth is %s %s %s, want http bearer JWT", v.Type, v.Scheme, v.BearerFormat)
	}
	writes := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions {
				continue
			}
			writes++
			secured := false
			if op.Security != nil {
				for _, requirement := range *op.Security {
					if _, ok := requirement["bearerAuth"]; ok {
						secured = true
					}
				}
			}
			if !secured {
				t.Errorf("%s %s does not list bearerAuth under security", method, path)
			}
			for status, ref := range map[int]string{401: "#/components/responses/Unauthorized", 403: "#/components/responses/Forbidden"} {
				response := op.Responses.Status(status)
				if response == nil || response.Ref != ref {
					t.Errorf("%s %s lacks the %d response %s", method, path, status, ref)
				}
			}
		}
	}
	if writes == 0 {
		t.Fatal("the document has no write operations")
	}
}

// apiCall is one request sent through the router and checked against the
// document.
type apiCall struct {
	method, target string
	header         map[string]string
	body           any
	// invalidRequest skips request validation for requests that break the
	// document on purpose to provoke an error response.
	invalidRequest bool
	wantStatus     int
}

// do serves the request, then validates the request (unless marked invalid)
// and the response against the document. Undocumented statuses fail.
func (f *fixture) do(t *testing.T, call apiCall) *httptest.ResponseRecorder {
	t.Helper()
	var payload []byte
	if call.body != nil {
		var err error
		if payload, err = json.Marshal(call.body); err != nil {
			t.Fatalf("encode body of %s %s: %v", call.method, call.target, err)
		}
	}
	newRequest := func() *http.Request {
		req := httptest.NewRequest(call.method, call.target, bytes.NewReader(payload))
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range call.header {
			req.Header.Set(k, v)
		}
		return req
	}

	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, newRequest())
	if rec.Code != call.wantStatus {
		t.Fatalf("%s %s: status %d, want %d; body: %s", call.method, call.target, rec.Code, call.wantStatus, rec.Body.String())
	}
	if rec.Header().Get("X-Request-Id") == "" {
		t.Errorf("%s %s: response has no X-Request-Id", call.method, call.target)
	}
	if encoding := rec.Header().Get("Content-Encoding"); encoding != "" {
		rec.Body = bytes.NewBuffer(decodeContent(t, encoding, rec.Body.Bytes()))
	}

	req := newRequest()
	input := f.validationInput(t, req)
	options := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: checkBearerSent}
	input.Options = options
	if !call.invalidRequest {
		if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
			t.Errorf("%s %s: request does not match the document: %v", call.method, call.target, err)
		}
	}
	err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                options,
	})
	if err != nil {
		t.Errorf("%s %s: %d response does not match the document: %v", call.method, call.target, rec.Code, err)
	}
	return rec
}

// checkBearerSent is the document's security check: the request sends a
// bearer token. Whether the token is valid is the server's to decide, and
// the response validation checks the status it returned.
func checkBearerSent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme.Type != "http" || in.SecurityScheme.Scheme != "bearer" {
		return fmt.Errorf("security scheme %s is not HTTP bearer", in.SecuritySchemeName)
	}
	scheme, token, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return fmt.Errorf("request sends no Authorization: Bearer token")
	}
	return nil
}

// validationInput finds the document operation of the route the server
// matches for req.
func (f *fixture) validationInput(t *testing.T, req *http.Request) *openapi3filter.RequestValidationInput {
	t.Helper()
	var match mux.RouteMatch
	if !f.router.Match(req, &match) || match.MatchErr != nil {
		t.Fatalf("%s %s matches no route", req.Method, req.URL.Path)
	}
	template, err := match.Route.GetPathTemplate()
	if err != nil {
		t.Fatalf("%s %s: route template: %v", req.Method, req.URL.Path, err)
	}
	path := openAPIPathOf(template)
	item := f.doc.Paths.Find(path)
	if item == nil || item.GetOperation(req.Method) == nil {
		t.Fatalf("%s %s is not documented", req.Method, path)
	}
	route := &routers.Route{Spec: f.doc, Path: path, PathItem: item, Method: req.Method, Operation: item.GetOperation(req.Method)}
	return &openapi3filter.RequestValidationInput{Request: req, PathParams: match.Vars, Route: route}
}

// example returns a request body example of an operation as a map the test
// can adjust.
func (f *fixture) example(t *testing.T, method, path, name string) map[string]any {
	t.Helper()
	op := f.doc.Paths.Find(path).GetOperation(method)
	ref := op.RequestBody.Value.Content.Get("application/json").Examples[name]
	if ref == nil || ref.Value == nil {
		t.Fatalf("%s %s has no request example %q", method, path, name)
	}
	raw, err := json.Marshal(ref.Value.Value)
	if err != nil {
		t.Fatalf("encode example %q: %v", name, err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decode example %q: %v", name, err)
	}
	return out
}

func decodeBody(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("decode response body: %v; body: %s", err, rec.Body.String())
	}
	return out
}

// TestOpenAPIResponsesMatchHandlers drives every route through the
// document's own request examples and checks each request and response,
// errors included, against the document.
func TestOpenAPIResponsesMatchHandlers(t *testing.T) {
	f := newFixture(t)
	department := f.signIn(t, domain.RoleDepartment, "", "dese-staff@doe.mass.edu")
	district := f.signIn(t, domain.RoleDistrictEditor, "02040000", "curriculum@newburyport")
	school := f.signIn(t, domain.RoleSchoolEditor, "02040505", "principal@newburyport")

	// Health and reference.
	f.do(t, apiCall{method: "GET", target: "/livez", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/readyz", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/openapi.json", wantStatus: 200})
	asyncAPI := f.do(t, apiCall{method: "GET", target: "/asyncapi.json", wantStatus: 200})
	if !bytes.Equal(asyncAPI.Body.Bytes(), docs.AsyncAPI) {
		t.Error("GET /asyncapi.json did not return docs.AsyncAPI")
	}
	f.do(t, apiCall{method: "GET", target: "/asyncapi.json", header: map[string]string{"Authorization": "Bearer not-a-jwt"},
		wantStatus: 401})
	f.do(t, apiCall{method: "GET", target: "/v1/reference", wantStatus: 200})

	// Orgs.
	f.do(t, apiCall{method: "GET", target: "/v1/orgs?district=02040000&q=newburyport&limit=1", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs?type=school&after=02040000", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs?type=charter", invalidRequest: true, wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs?limit=0", invalidRequest: true, wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040505", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/0204", invalidRequest: true, wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02049999", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040505/plans", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02049999/plans", wantStatus: 404})

	// Level changes, from the document's examples.
	levels := "/v1/orgs/{code}/levels"
	f.do(t, apiCall{method: "POST", target: "/v1/orgs/02040505/levels", header: department,
		body: f.example(t, "POST", levels, "newburyportHigh2017"), wantStatus: 201})
	f.do(t, apiCall{method: "POST", target: "/v1/orgs/02040000/levels", header: department,
		body: f.example(t, "POST", levels, "newburyportHigh2017"), wantStatus: 201})
	f.do(t, apiCall{method: "POST", target: "/v1/orgs/02040000/levels", header: department,
		body: f.example(t, "POST", levels, "withExpectedSequence"), wantStatus: 201})
	stale := f.do(t, apiCall{method: "POST", target: "/v1/orgs/02040000/levels", header: department,
		body: f.example(t, "POST", levels, "withExpectedSequence"), wantStatus: 409})
	if got := decodeBody(t, stale)["current_sequence"]; got != float64(2) {
		t.Errorf("level conflict current_sequence = %v, want 2", got)
	}
	f.do(t, apiCall{method: "POST", target: "/v1/orgs/02040000/levels", body: f.example(t, "POST", levels, "newburyportHigh2017"),
		invalidRequest: true, wantStatus: 401})
	f.do(t, apiCall{method: "POST", target: "/v1/orgs/02049999/levels", header: department,
		body: f.example(t, "POST", levels, "newburyportHigh2017"), wantStatus: 404})

	// Sign-in failures, checked against the document like any response.
	f.do(t, apiCall{method: "POST", target: "/v1/orgs/02040505/levels", header: school,
		body: f.example(t, "POST", levels, "newburyportHigh2017"), wantStatus: 403})
	f.do(t, apiCall{method: "POST", target: "/v1/orgs/02040505/levels", header: map[string]string{"Authorization": "Bearer not-a-jwt"},
		body: f.example(t, "POST", levels, "newburyportHigh2017"), wantStatus: 401})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040505", header: map[string]string{"Authorization": "Bearer not-a-jwt"},
		wantStatus: 401})

	// A DIP, built up through the document's examples, whose expected
	// sequences follow one another.
	dip := f.example(t, "POST", "/v1/plans", "newburyportDIP")
	dipID := dip["id"].(string)
	created := f.do(t, apiCall{method: "POST", target: "/v1/plans", header: district, body: dip, wantStatus: 201})
	if got := created.Header().Get("ETag"); got != `"1"` {
		t.Errorf("create ETag = %s, want \"1\"", got)
	}
	f.do(t, apiCall{method: "POST", target: "/v1/plans", header: district, body: dip, wantStatus: 409})
	f.do(t, apiCall{method: "POST", target: "/v1/plans", header: district, body: map[string]any{"titel": "x"},
		invalidRequest: true, wantStatus: 400})

	plan := "/v1/plans/" + dipID
	objective := f.example(t, "POST", "/v1/plans/{id}/objectives", "objective")
	objectiveID := objective["id"].(string)
	delete(objective, "expected_sequence")
	f.do(t, apiCall{method: "POST", target: plan + "/objectives", header: district, body: objective,
		invalidRequest: true, wantStatus: 428})
	f.do(t, apiCall{method: "POST", target: plan + "/objectives", header: district,
		body: f.example(t, "POST", "/v1/plans/{id}/objectives", "objective"), wantStatus: 201})
	f.do(t, apiCall{method: "PUT", target: plan + "/objectives/" + objectiveID, header: district,
		body: f.example(t, "PUT", "/v1/plans/{id}/objectives/{item}", "objective"), wantStatus: 200})
	f.do(t, apiCall{method: "PUT", target: plan + "/title", header: district,
		body: map[string]any{"title": "Stale", "expected_sequence": 1}, wantStatus: 409})
	f.do(t, apiCall{method: "PUT", target: plan + "/title", header: district,
		body: f.example(t, "PUT", "/v1/plans/{id}/title", "retitle"), wantStatus: 200})
	f.do(t, apiCall{method: "PUT", target: plan + "/sections/mission", header: withHeader(district, "If-Match", `"4"`),
		body: f.example(t, "PUT", "/v1/plans/{id}/sections/{key}", "mission"), wantStatus: 200})
	f.do(t, apiCall{method: "PUT", target: plan + "/sections/class_size", header: withHeader(district, "If-Match", `"5"`),
		body: map[string]any{"text": "A DIP has no class size section."}, wantStatus: 404})
	f.do(t, apiCall{method: "PUT", target: plan + "/title", header: withHeader(district, "If-Match", "seven"),
		body: map[string]any{"title": "x"}, invalidRequest: true, wantStatus: 400})

	// An SIP under that DIP, with a goal citing the objective.
	sip := f.example(t, "POST", "/v1/plans", "newburyportHighSIP")
	sipResponse := f.do(t, apiCall{method: "POST", target: "/v1/plans", header: school, body: sip, wantStatus: 201})
	sipID := decodeBody(t, sipResponse)["plan"].(map[string]any)["id"].(string)
	sipPlan := "/v1/plans/" + sipID
	goal := f.example(t, "POST", "/v1/plans/{id}/goals", "goal")
	goalID := goal["id"].(string)
	f.do(t, apiCall{method: "POST", target: sipPlan + "/goals", header: school, body: goal, wantStatus: 201})
	f.do(t, apiCall{method: "PUT", target: sipPlan + "/goals/" + goalID, header: school,
		body: f.example(t, "PUT", "/v1/plans/{id}/goals/{item}", "goal"), wantStatus: 200})
	goalOnDIP := map[string]any{
		"title":             "Goals belong to SIPs",
		"measures":          []any{map[string]any{"description": "Ninth graders failing a course", "target": "under 5%"}},
		"expected_sequence": 5,
	}
	f.do(t, apiCall{method: "POST", target: plan + "/goals", header: district, body: goalOnDIP, wantStatus: 400})

	// Reads now and as of past instants.
	f.do(t, apiCall{method: "GET", target: plan, wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: plan + "?as_of=2018-06-30", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: plan + "?as_of=2016-06-30T12:00:00Z&basis=effective", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: plan + "?basis=recorded", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: plan + "?basis=someday", invalidRequest: true, wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: plan + "?as_of=June", wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/plans/" + uuid.NewString(), wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: plan + "/alignment", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: sipPlan + "/alignment?as_of=2018-06-30", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: plan + "/history", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/v1/plans/" + uuid.NewString() + "/history", wantStatus: 404})
	pdf := f.do(t, apiCall{method: "GET", target: sipPlan + "/pdf?as_of=2018-06-30", wantStatus: 200})
	if !bytes.HasPrefix(pdf.Body.Bytes(), []byte("%PDF-")) {
		t.Errorf("GET %s/pdf did not return a PDF", sipPlan)
	}

	// The accessible document and the auditor's pages, which answer in
	// HTML, errors included, except the document's API errors.
	doc := f.do(t, apiCall{method: "GET", target: sipPlan + "/html?as_of=2018-06-30&version=3", wantStatus: 200})
	if !strings.Contains(doc.Body.String(), "<h1>") {
		t.Errorf("GET %s/html has no h1", sipPlan)
	}
	f.do(t, apiCall{method: "GET", target: sipPlan + "/html?as_of=2016-06-30T12:00:00Z", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: sipPlan + "/html?version=0", invalidRequest: true, wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/ui/?q=newburyport&type=school", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/ui/?after=02040000", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/ui/?type=charter", invalidRequest: true, wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/ui/orgs/02040505", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/ui/orgs/0204", wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/ui/orgs/02049999", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: "/ui/plans/" + sipID + "?date=2018-06-30&time=14:30&basis=effective&version=", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/ui/plans/" + sipID + "?as_of=2018-06-30T16:00:00Z&version=2", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/ui/plans/" + sipID + "?time=14:30", wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/ui/plans/" + sipID + "?date=June", invalidRequest: true, wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/ui/plans/" + sipID + "?date=2016-06-30", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: "/ui/plans/" + uuid.NewString(), wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: "/ui/plans/" + sipID + "/history", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/ui/plans/" + uuid.NewString() + "/history", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: "/ui/plans/" + sipID + "/diff", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/ui/plans/" + sipID + "/diff?from_version=1&to_version=2", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/ui/plans/" + sipID + "/diff?from_date=2016-06-30&to_date=2018-06-30&basis=effective", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/ui/plans/" + sipID + "/diff?from_version=1&to_version=99", invalidRequest: false, wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: "/ui/plans/" + sipID + "/diff?from_version=1&basis=later", wantStatus: 400})

	// Removals, which take the version from If-Match only.
	f.do(t, apiCall{method: "DELETE", target: sipPlan + "/goals/" + goalID, header: school,
		invalidRequest: true, wantStatus: 428})
	f.do(t, apiCall{method: "DELETE", target: sipPlan + "/goals/" + goalID, header: withHeader(school, "If-Match", `"3"`), wantStatus: 200})
	f.do(t, apiCall{method: "DELETE", target: sipPlan + "/goals/" + goalID, header: withHeader(school, "If-Match", `"4"`), wantStatus: 404})
	f.do(t, apiCall{method: "DELETE", target: plan + "/objectives/" + objectiveID, header: withHeader(district, "If-Match", `"4"`), wantStatus: 412})
	f.do(t, apiCall{method: "DELETE", target: plan + "/objectives/" + objectiveID, header: withHeader(district, "If-Match", `W/"5"`), wantStatus: 200})

	// The level-change feed.
	page := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/level-changes?limit=2", wantStatus: 200}))
	if items := page["items"].([]any); len(items) != 2 {
		t.Errorf("level-changes?limit=2 returned %d items, want 2", len(items))
	}
	f.do(t, apiCall{method: "GET", target: "/v1/level-changes", header: map[string]string{"Last-Event-ID": "0"}, wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/v1/level-changes?after=" + jsonNumber(page["next_after"]), wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/v1/level-changes?after=abc", invalidRequest: true, wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/level-changes/stream?after=x", invalidRequest: true, wantStatus: 400})

	// Schemes, an org's classifications under them, and plan progress;
	// schemes_test.go and progress_test.go drive these routes further.
	f.do(t, apiCall{method: "GET", target: "/v1/schemes", wantStatus: 200})
	f.do(t, apiCall{method: "POST", target: "/v1/orgs/02040505/levels", header: department,
		body: f.example(t, "POST", levels, "holland2018"), wantStatus: 201})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040505/levels", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040505/levels?as_of=2018-06-30&basis=recorded", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: plan + "/progress?as_of=2018-06-30", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: sipPlan + "/progress", wantStatus: 200})
	f.do(t, apiCall{method: "POST", target: sipPlan + "/progress", header: withHeader(school, "If-Match", `"4"`),
		body: f.example(t, "POST", "/v1/plans/{id}/progress", "graduation2017"), wantStatus: 404})
}

// jsonNumber formats a number decoded from JSON as JSON writes it, so a
// float64 such as 4 prints as 4.
func jsonNumber(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

// TestOpenAPILevelStreamFraming reads the first server-sent event of the
// level-change stream and checks its framing and data against the document.
func TestOpenAPILevelStreamFraming(t *testing.T) {
	f := newFixture(t)
	body := f.example(t, "POST", "/v1/orgs/{code}/levels", "newburyportHigh2017")
	f.do(t, apiCall{method: "POST", target: "/v1/orgs/02040505/levels",
		header: f.signIn(t, domain.RoleDepartment, "", "dese-staff@doe.mass.edu"), body: body, wantStatus: 201})

	srv := httptest.NewServer(f.handler)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/level-changes/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Last-Event-ID", "0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET stream: %v", err)
	}
	defer resp.Body.Close()

	input := f.validationInput(t, req)
	options := &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: true}
	input.Options = options
	err = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(strings.NewReader("")), Options: options,
	})
	if err != nil {
		t.Errorf("stream response headers do not match the document: %v", err)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/event-stream" {
		t.Errorf("stream Content-Type = %q, want text/event-stream", got)
	}

	fields := map[string]string{}
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() && lines.Text() != "" {
		name, value, ok := strings.Cut(lines.Text(), ": ")
		if !ok {
			t.Fatalf("stream line %q is not \"field: value\"", lines.Text())
		}
		fields[name] = value
	}
	if err := lines.Err(); err != nil {
		t.Fatalf("read stream: %v", err)
	}

	var event map[string]any
	if err := json.Unmarshal([]byte(fields["data"]), &event); err != nil {
		t.Fatalf("stream data %q is not JSON: %v", fields["data"], err)
	}
	if fields["event"] != domain.TypeLevelChanged {
		t.Errorf("stream event = %q, want %s", fields["event"], domain.TypeLevelChanged)
	}
	if want := jsonNumber(event["stream_sequence"]); fields["id"] != want {
		t.Errorf("stream id = %q, want the event's stream_sequence %s", fields["id"], want)
	}
	schema := f.doc.Components.Schemas["Event"].Value
	if err := schema.VisitJSON(event); err != nil {
		t.Errorf("stream data does not match the Event schema: %v", err)
	}
}

// AppendBatch appends the drafts one by one; this test store needs no
// atomicity, since nothing reads it concurrently.
func (s *memoryStore) AppendBatch(ctx context.Context, req domain.AppendRequest, drafts []domain.Draft) ([]domain.Event, error) {
	var out []domain.Event
	for i, d := range drafts {
		one := req
		one.Draft = d
		one.ExpectedSequence = req.ExpectedSequence + uint64(i)
		if i > 0 {
			one.Metadata.EventID = "" // only the first event takes the fixed id
		}
		ev, err := s.Append(ctx, one)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// TestOpenAPIWorkflowRoutes drives the workflow, compliance and overdue
// routes through the document's examples, on a DIP and SIP created from
// the plan examples, and checks each response against the document.
func TestOpenAPIWorkflowRoutes(t *testing.T) {
	f := newFixture(t)
	district := f.signIn(t, domain.RoleDistrictEditor, "02040000", "curriculum@newburyport")
	principal := f.signIn(t, domain.RoleSchoolEditor, "02040505", "principal@newburyport")
	council := f.signIn(t, domain.RoleCouncilMember, "02040505", "council@newburyport")
	superintendent := f.signIn(t, domain.RoleApprover, "02040000", "superintendent@newburyport")
	// Who may take each step, by path.
	callers := map[string]map[string]string{"council-consultations": council, "submissions": principal,
		"returns": superintendent, "approvals": superintendent, "adoptions": superintendent, "reopenings": principal}

	dip := f.example(t, "POST", "/v1/plans", "newburyportDIP")
	f.do(t, apiCall{method: "POST", target: "/v1/plans", header: district, body: dip, wantStatus: 201})
	created := f.do(t, apiCall{method: "POST", target: "/v1/plans", header: principal,
		body: f.example(t, "POST", "/v1/plans", "newburyportHighSIP"), wantStatus: 201})
	sipPlan := "/v1/plans/" + decodeBody(t, created)["plan"].(map[string]any)["id"].(string)
	dipPlan := "/v1/plans/" + dip["id"].(string)

	// step sends a path's example at the plan's current version.
	version := 1.0
	step := func(plan, path, example string, want int) map[string]any {
		t.Helper()
		body := f.example(t, "POST", "/v1/plans/{id}/"+path, example)
		body["expected_sequence"] = version
		rec := f.do(t, apiCall{method: "POST", target: plan + "/" + path, header: callers[path], body: body, wantStatus: want})
		out := decodeBody(t, rec)
		if want == 200 {
			version = out["version"].(float64)
		}
		return out
	}

	f.do(t, apiCall{method: "GET", target: sipPlan + "/workflow", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: sipPlan + "/workflow?as_of=2016-06-30", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: sipPlan + "/compliance?as_of=2018-06-30", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: dipPlan + "/compliance?version=1&basis=recorded", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/v1/plans/" + uuid.NewString() + "/compliance", wantStatus: 404})

	step(sipPlan, "submissions", "submit", 409)
	step(sipPlan, "council-consultations", "meeting", 200)
	step(sipPlan, "submissions", "submit", 200)
	step(sipPlan, "adoptions", "adopt", 409)
	blocked := step(sipPlan, "approvals", "approve", 400)
	if blocked["field"] != "compliance" {
		t.Errorf("approval of an incomplete SIP failed on %v, want compliance", blocked["field"])
	}
	step(sipPlan, "returns", "return", 200)
	step(sipPlan, "reopenings", "reopen", 409)
	stale := f.do(t, apiCall{method: "POST", target: sipPlan + "/council-consultations", header: council,
		body: map[string]any{"meeting_date": "2017-05-01", "expected_sequence": 1}, wantStatus: 409})
	if decodeBody(t, stale)["current_sequence"] != version {
		t.Errorf("stale step current_sequence = %v, want %v", decodeBody(t, stale)["current_sequence"], version)
	}
	f.do(t, apiCall{method: "POST", target: sipPlan + "/council-consultations", header: council,
		body: map[string]any{"expected_sequence": version}, invalidRequest: true, wantStatus: 400})

	f.do(t, apiCall{method: "POST", target: sipPlan + "/council-consultations", header: superintendent,
		body: map[string]any{"meeting_date": "2017-05-01", "expected_sequence": version}, wantStatus: 403})
	f.do(t, apiCall{method: "POST", target: sipPlan + "/council-consultations",
		body: map[string]any{"meeting_date": "2017-05-01", "expected_sequence": version}, invalidRequest: true, wantStatus: 401})

	version = 1
	step(dipPlan, "adoptions", "adopt", 400)

	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040000/overdue?as_of=2017-07-02", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040000/overdue?year=2018&basis=recorded", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040505/overdue", wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02049999/overdue", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/0204/overdue", invalidRequest: true, wantStatus: 400})
}
