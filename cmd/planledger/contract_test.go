package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/planledger/planledger/docs"
)

// The end-to-end tests check every exchange with the real server against
// the OpenAPI document, so the document and the server cannot drift apart
// in the paths a user actually takes.
var (
	contractOnce   sync.Once
	contractRouter routers.Router
	contractErr    error
)

func loadContract() (routers.Router, error) {
	contractOnce.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
		if err != nil {
			contractErr = fmt.Errorf("load the OpenAPI document: %w", err)
			return
		}
		// The test servers listen on random loopback ports, so match paths
		// whatever the host.
		doc.Servers = nil
		contractRouter, contractErr = gorillamux.NewRouter(doc)
	})
	return contractRouter, contractErr
}

// checkContract validates a response against the document and, when the
// server accepted the request, the request too: tests send invalid
// requests on purpose, but whatever the server answers must be documented.
func checkContract(tb testing.TB, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	tb.Helper()
	router, err := loadContract()
	if err != nil {
		tb.Fatal(err)
	}
	probe := req.Clone(context.Background())
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(probe)
	if err != nil {
		tb.Errorf("%s %s is not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
		return
	}
	input := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: bearerSent}}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
			tb.Errorf("%s %s was accepted but does not match the document: %v", req.Method, req.URL.Path, err)
		}
	}
	options := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	if media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); !strings.HasSuffix(media, "json") {
		options.ExcludeResponseBody = true // PDFs, HTML and event streams are checked by their own tests
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: options,
	})
	if err != nil {
		tb.Errorf("%s %s: the %d response does not match the document: %v", req.Method, req.URL.Path, resp.StatusCode, err)
	}
}

// bearerSent is the document's security check: the request carries a bearer
// token. Whether the token is valid is the server's decision.
func bearerSent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme, token, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return fmt.Errorf("request sends no Authorization: Bearer token")
	}
	return nil
}

// errorRecorder keeps the errors a check reports instead of failing the
// test, so a test can show that the check catches a drift.
type errorRecorder struct {
	*testing.T
	errors []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestContractCatchesDrift(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/v1/orgs/02040505", nil)
	resp := &http.Response{StatusCode: http.StatusTeapot, Header: http.Header{"Content-Type": {"application/json"}}}
	rec := &errorRecorder{T: t}
	checkContract(rec, req, nil, resp, []byte(`{}`))
	if len(rec.errors) == 0 {
		t.Error("an undocumented 418 passed the contract check")
	}

	resp = &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}}
	rec = &errorRecorder{T: t}
	checkContract(rec, req, nil, resp, []byte(`{"code": 2040505}`))
	if len(rec.errors) == 0 {
		t.Error("an org whose code is a number passed the contract check")
	}

	req, _ = http.NewRequest(http.MethodGet, "http://127.0.0.1:1/v1/no-such-route", nil)
	rec = &errorRecorder{T: t}
	checkContract(rec, req, nil, resp, []byte(`{}`))
	if len(rec.errors) == 0 {
		t.Error("an undocumented path passed the contract check")
	}
}
