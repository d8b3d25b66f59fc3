package http

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRecoveryWritesProblem(t *testing.T) {
	var logs bytes.Buffer
	s := NewServer(Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	handler := s.withRequestLog(s.withObservation(s.withRecovery(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("nil map in a handler")
	}))))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/orgs", nil))

	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("Content-Type %q", got)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("decode problem: %v", err)
	}
	id := rec.Header().Get("X-Request-Id")
	if p.Type != "/problems/internal" || p.RequestID != id || !strings.Contains(p.Detail, id) {
		t.Errorf("problem = %+v, want /problems/internal naming request %s", p, id)
	}
	if strings.Contains(p.Detail, "nil map") {
		t.Errorf("the panic value reached the client: %q", p.Detail)
	}
	if !strings.Contains(logs.String(), "nil map in a handler") || !strings.Contains(logs.String(), `"stack"`) {
		t.Errorf("the log lacks the panic or its stack: %s", logs.String())
	}
	if !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("the request log line lacks status 500: %s", logs.String())
	}
}

func TestRecoveryAbortsStartedResponse(t *testing.T) {
	s := NewServer(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	handler := s.withRecovery(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"items":[`))
		panic("failed halfway")
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler { //nolint:errorlint // the sentinel itself is re-panicked
			t.Errorf("recovered %v, want http.ErrAbortHandler so net/http drops the connection", v)
		}
	}()
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/orgs", nil))
	t.Error("a panic after the response started did not propagate")
}
