package http_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/auth"
	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/domain"
	plhttp "github.com/planledger/planledger/http"
	"github.com/planledger/planledger/projections"
)

const levelBody = `{"level": 3, "reason": "Among the lowest performing", "effective_date": "2017-09-01"}`

// send makes a request to srv over loopback and returns the response with
// its body read.
func send(t *testing.T, srv *httptest.Server, method, path, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(raw)
}

func TestSignInChallenges(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.handler)
	defer srv.Close()
	department := f.signIn(t, domain.RoleDepartment, "", "dese-staff@doe.mass.edu")

	cases := []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
		challenge, detail        string
	}{
		{"write without a token", "POST", "/v1/orgs/02040505/levels", levelBody, nil,
			401, `Bearer realm="planledger"`, "needs sign-in"},
		// The body is not read before sign-in, so a malformed one still gets 401.
		{"malformed write without a token", "POST", "/v1/orgs/02040505/levels", `{"level":`, nil,
			401, `Bearer realm="planledger"`, "needs sign-in"},
		{"X-Actor instead of a token", "POST", "/v1/orgs/02040505/levels", levelBody,
			map[string]string{"X-Actor": "dese-staff@doe.mass.edu"}, 401, `Bearer realm="planledger"`, "needs sign-in"},
		{"basic scheme", "POST", "/v1/orgs/02040505/levels", levelBody,
			map[string]string{"Authorization": "Basic ZGVzZTpzZWNyZXQ="}, 401,
			`Bearer realm="planledger", error="invalid_token"`, `must be \"Bearer`},
		{"empty bearer", "POST", "/v1/orgs/02040505/levels", levelBody,
			map[string]string{"Authorization": "Bearer "}, 401,
			`Bearer realm="planledger", error="invalid_token"`, `must be \"Bearer`},
		{"read with a bad token", "GET", "/v1/orgs/02040505", "",
			map[string]string{"Authorization": "Bearer not-a-jwt"}, 401,
			`Bearer realm="planledger", error="invalid_token"`, "malformed"},
		{"read without a token", "GET", "/v1/orgs/02040505", "", nil, 200, "", ""},
		{"lower-case scheme", "POST", "/v1/orgs/02040505/levels", levelBody,
			map[string]string{"Authorization": "bearer " + strings.TrimPrefix(department["Authorization"], "Bearer ")},
			201, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := send(t, srv, c.method, c.path, c.body, c.header)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, c.status, body)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != c.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, c.challenge)
			}
			if !strings.Contains(body, c.detail) {
				t.Errorf("body %s lacks %q", body, c.detail)
			}
		})
	}
}

// TestSignInActorIsSubject checks that the stored event names the token's
// sub and that an X-Actor header sent beside the token changes nothing.
func TestSignInActorIsSubject(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.handler)
	defer srv.Close()
	header := withHeader(f.signIn(t, domain.RoleDepartment, "", "dese-staff@doe.mass.edu"), "X-Actor", "someone-else")
	resp, body := send(t, srv, "POST", "/v1/orgs/02040505/levels", levelBody, header)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want 201; body %s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `"actor":"dese-staff@doe.mass.edu"`) || strings.Contains(body, "someone-else") {
		t.Errorf("event does not name the token's sub as its only actor: %s", body)
	}
}

// TestRequestLogNamesPrincipal checks that the request log gives the
// subject, role and org of a write, the reason for a rejected token or
// role, and never the token.
func TestRequestLogNamesPrincipal(t *testing.T) {
	var logs strings.Builder
	f := newFixtureWithLog(t, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	srv := httptest.NewServer(f.handler)
	defer srv.Close()

	good := f.signIn(t, domain.RoleDepartment, "", "dese-staff@doe.mass.edu")
	expired, err := auth.Sign(f.secret, domain.Principal{Subject: "late@newburyport", Role: domain.RoleSchoolEditor,
		OrgCode: "02040505"}, time.Hour, time.Now().Add(-3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	school := f.signIn(t, domain.RoleSchoolEditor, "02040505", "principal@newburyport")
	if resp, body := send(t, srv, "POST", "/v1/orgs/02040505/levels", levelBody, good); resp.StatusCode != 201 {
		t.Fatalf("department level change: %d %s", resp.StatusCode, body)
	}
	if resp, _ := send(t, srv, "POST", "/v1/orgs/02040505/levels", levelBody,
		map[string]string{"Authorization": "Bearer " + expired}); resp.StatusCode != 401 {
		t.Fatalf("expired token: status %d, want 401", resp.StatusCode)
	}
	if resp, _ := send(t, srv, "POST", "/v1/orgs/02040505/levels", levelBody, school); resp.StatusCode != 403 {
		t.Fatalf("school editor level change: status %d, want 403", resp.StatusCode)
	}

	text := logs.String()
	for _, token := range []string{good["Authorization"], school["Authorization"], expired} {
		token = strings.TrimPrefix(token, "Bearer ")
		if strings.Contains(text, token) || strings.Contains(text, token[strings.LastIndex(token, ".")+1:]) {
			t.Fatalf("a token appears in the log:\n%s", text)
		}
	}
	for _, want := range []string{
		`"status":201,`,
		`"subject":"dese-staff@doe.mass.edu","role":"department"}`,
		`"subject":"principal@newburyport","role":"school_editor","org":"02040505",`,
		`"status":401,`,
		`"auth_error":"unauthenticated: Authorization: token rejected: expired; sign in again for a new token"`,
		`"status":403,`,
		`"auth_error":"forbidden: Authorization: role school_editor may not \"change_level\"; roles that may: department"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %s:\n%s", want, text)
		}
	}
}

func TestServerWithoutVerifier(t *testing.T) {
	read := projections.New(slog.New(slog.DiscardHandler))
	server := plhttp.NewServer(plhttp.Config{Commands: commands.New(newMemoryStore(read), read), Read: read,
		Logger: slog.New(slog.DiscardHandler)})
	if err := server.Open("127.0.0.1:0"); err == nil {
		server.Close(context.Background())
		t.Fatal("Open succeeded without a token verifier, want an error")
	} else if !strings.Contains(err.Error(), "Config.Auth") {
		t.Errorf("Open error %q does not name Config.Auth", err)
	}

	// The handler, used without Open, still accepts no write.
	srv := httptest.NewServer(server.Handler())
	defer srv.Close()
	token, err := auth.Sign(testSecret, domain.Principal{Subject: "a", Role: domain.RoleDepartment}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for name, header := range map[string]map[string]string{
		"X-Actor": {"X-Actor": "dese-staff"},
		"token":   {"Authorization": "Bearer " + token},
	} {
		resp, body := send(t, srv, "POST", "/v1/orgs/02040505/levels", levelBody, header)
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d, want 401 or 503; body %s", name, resp.StatusCode, body)
		}
	}
	if n := read.Applied(); n != 0 {
		t.Errorf("store holds %d events, want none", n)
	}
}
