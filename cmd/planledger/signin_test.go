package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/auth"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// devSecret returns the development signing secret of the server on dir.
func devSecret(tb testing.TB, dir string) []byte {
	tb.Helper()
	secret, _, err := auth.ReadSecretFile(filepath.Join(dir, auth.DevSecretFileName))
	if err != nil {
		tb.Fatalf("read the development key of %s: %v", dir, err)
	}
	return secret
}

// signIn returns an Authorization header with an hour's token for role
// acting for org, signed with the development key of the server on dir.
func signIn(tb testing.TB, dir string, role domain.Role, org, sub string) map[string]string {
	tb.Helper()
	token, err := auth.Sign(devSecret(tb, dir), domain.Principal{Subject: sub, Role: role, OrgCode: org}, time.Hour, time.Now())
	if err != nil {
		tb.Fatalf("sign a %s token for %q: %v", role, org, err)
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

// writeSecretFile writes a 64-byte signing secret readable by its owner
// only and returns its path.
func writeSecretFile(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "auth-secret")
	if err := os.WriteFile(path, []byte(strings.Repeat("5e", 32)+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// syncBuffer is a bytes.Buffer that log handlers on several goroutines
// may write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// storedMessages returns the data and headers of every message in the
// event stream, up to stream sequence last, as text.
func storedMessages(t *testing.T, embedded *eventstore.Embedded, last uint64) []string {
	t.Helper()
	nc, err := nats.Connect(embedded.ClientURL(), embedded.Credentials().ReaderOption())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	consumer, err := js.OrderedConsumer(ctx, eventstore.DefaultStreamName, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		t.Fatal(err)
	}
	iter, err := consumer.Messages()
	if err != nil {
		t.Fatal(err)
	}
	defer iter.Stop()

	var out []string
	for {
		msg, err := iter.Next(jetstream.NextContext(ctx))
		if err != nil {
			t.Fatalf("read the stream after %d messages: %v", len(out), err)
		}
		var text strings.Builder
		text.Write(msg.Data())
		for key, values := range msg.Headers() {
			text.WriteString("\n" + key + ": " + strings.Join(values, ", "))
		}
		out = append(out, text.String())
		meta, err := msg.Metadata()
		if err != nil {
			t.Fatal(err)
		}
		if meta.Sequence.Stream >= last {
			return out
		}
	}
}

// TestSignInEnforcedEndToEnd drives every sign-in rule through the real
// server: HTTP on loopback, embedded JetStream, the bundled Newburyport
// plans and the development key. Each rejected write must leave the stream
// and the plan version as they were.
func TestSignInEnforcedEndToEnd(t *testing.T) {
	dir := t.TempDir()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, base := testServerWithLog(t, dir, log)
	defer srv.Close(context.Background())

	const (
		sipID            = "ccd8efb0-355b-4a03-b9c1-f61e175e6d81" // Newburyport High
		dipID            = "1496d2f4-3f89-4c37-8c47-d3358c42ebf0" // Newburyport district
		bresnahan        = "02040005"                             // another Newburyport school
		abingtonDistrict = "00010000"
	)
	secret := devSecret(t, dir)
	var tokens []string // every token sent, to search logs and events for
	token := func(role domain.Role, org, sub string) map[string]string {
		h := signIn(t, dir, role, org, sub)
		tokens = append(tokens, strings.TrimPrefix(h["Authorization"], "Bearer "))
		return h
	}
	bearer := func(raw string) map[string]string {
		tokens = append(tokens, raw)
		return map[string]string{"Authorization": "Bearer " + raw}
	}
	signed := func(method jwt.SigningMethod, key any, claims auth.Claims) string {
		raw, err := jwt.NewWithClaims(method, claims).SignedString(key)
		if err != nil {
			t.Fatalf("sign a %s test token: %v", method.Alg(), err)
		}
		return raw
	}
	validClaims := func(ttl time.Duration, now time.Time) auth.Claims {
		return auth.Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: "principal@newburyport",
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl))},
			Role: domain.RoleSchoolEditor, Org: newburyportHigh}
	}

	schoolEditor := token(domain.RoleSchoolEditor, newburyportHigh, "principal@newburyport")
	otherSchool := token(domain.RoleSchoolEditor, bresnahan, "principal@bresnahan")
	districtEditor := token(domain.RoleDistrictEditor, newburyportDistrict, "curriculum@newburyport")
	otherDistrict := token(domain.RoleDistrictEditor, abingtonDistrict, "curriculum@abington")
	auditor := token(domain.RoleAuditor, "", "auditor@doe.mass.edu")
	department := token(domain.RoleDepartment, "", "levels@doe.mass.edu")

	version := func(id string) string {
		r := call(t, "GET", base+"/v1/plans/"+id, nil, "")
		wantStatus(t, r, http.StatusOK)
		return r.header.Get("ETag")
	}
	// A section every plan of its kind has: other on an SIP, mission on a DIP.
	section := func(id string) string {
		if id == dipID {
			return base + "/v1/plans/" + id + "/sections/mission"
		}
		return base + "/v1/plans/" + id + "/sections/other"
	}
	sectionEdit := func(id string) string {
		return `{"text": "Edited in the sign-in test", "expected_sequence": ` + strings.Trim(version(id), `"`) + `}`
	}

	// rejected sends a write that must fail with status and detail text,
	// and checks that the stream and both plans stayed as they were.
	rejected := func(t *testing.T, method, url string, header map[string]string, body string, status int, detail string) {
		t.Helper()
		before, sip, dip := appliedSeq(t, base), version(sipID), version(dipID)
		r := call(t, method, url, header, body)
		if r.status != status {
			t.Fatalf("%s %s: status %d, want %d; body %s", method, url, r.status, status, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("content type %q, want application/problem+json", ct)
		}
		if got := r.json(t)["detail"].(string); !strings.Contains(got, detail) {
			t.Errorf("detail %q lacks %q", got, detail)
		}
		if status == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("401 has WWW-Authenticate %q, want a Bearer challenge", r.header.Get("WWW-Authenticate"))
		}
		if after := appliedSeq(t, base); after != before {
			t.Errorf("stream moved from %v to %v after a rejected write", before, after)
		}
		if got := version(sipID); got != sip {
			t.Errorf("SIP version moved from %s to %s", sip, got)
		}
		if got := version(dipID); got != dip {
			t.Errorf("DIP version moved from %s to %s", dip, got)
		}
	}

	t.Run("school editor of another school gets 403", func(t *testing.T) {
		rejected(t, "PUT", section(sipID), otherSchool, sectionEdit(sipID), http.StatusForbidden,
			"acts for school "+bresnahan)
	})

	t.Run("school editor of the school edits its SIP", func(t *testing.T) {
		before := appliedSeq(t, base)
		r := call(t, "PUT", section(sipID), schoolEditor, sectionEdit(sipID))
		wantStatus(t, r, http.StatusOK)
		event := r.json(t)["event"].(map[string]any)
		if event["actor"] != "principal@newburyport" {
			t.Errorf("event actor %v, want the token's sub principal@newburyport", event["actor"])
		}
		if after := appliedSeq(t, base); after != before+1 {
			t.Errorf("stream moved from %v to %v, want one event", before, after)
		}
	})

	t.Run("district editor cannot edit a school's SIP", func(t *testing.T) {
		rejected(t, "PUT", section(sipID), districtEditor, sectionEdit(sipID), http.StatusForbidden,
			"written by its school editor")
	})

	t.Run("district editor edits the DIP", func(t *testing.T) {
		r := call(t, "PUT", section(dipID), districtEditor, sectionEdit(dipID))
		wantStatus(t, r, http.StatusOK)
	})

	t.Run("district editor of another district gets 403", func(t *testing.T) {
		rejected(t, "PUT", section(dipID), otherDistrict, sectionEdit(dipID), http.StatusForbidden,
			"acts for district "+abingtonDistrict)
	})

	t.Run("auditor reads but every write is 403", func(t *testing.T) {
		r := call(t, "GET", base+"/v1/plans/"+sipID, auditor, "")
		wantStatus(t, r, http.StatusOK)
		writes := []struct{ method, path, body string }{
			{"PUT", "/v1/plans/" + sipID + "/sections/other", sectionEdit(sipID)},
			{"PUT", "/v1/plans/" + dipID + "/title", `{"title": "Audited", "expected_sequence": ` +
				strings.Trim(version(dipID), `"`) + `}`},
			{"POST", "/v1/plans/" + sipID + "/goals", `{"title": "Audit goal", "expected_sequence": ` +
				strings.Trim(version(sipID), `"`) + `, "measures": [{"description": "x", "target": "y"}]}`},
			{"POST", "/v1/plans", `{"kind": "dip", "org_code": "00010000", "first_year": 2030, "last_year": 2032, "title": "Audit"}`},
			{"POST", "/v1/orgs/" + newburyportHigh + "/levels", `{"level": 2, "reason": "audit"}`},
		}
		for _, w := range writes {
			rejected(t, w.method, base+w.path, auditor, w.body, http.StatusForbidden, "role auditor may not")
		}
	})

	t.Run("department changes levels for any org but not plans", func(t *testing.T) {
		for _, org := range []string{newburyportHigh, abingtonDistrict} {
			r := call(t, "POST", base+"/v1/orgs/"+org+"/levels", department,
				`{"level": 2, "reason": "Sign-in test", "effective_date": "2026-09-30"}`)
			wantStatus(t, r, http.StatusCreated)
		}
		rejected(t, "PUT", section(sipID), department, sectionEdit(sipID), http.StatusForbidden,
			"role department may not")
	})

	t.Run("expired token gets 401", func(t *testing.T) {
		expired := bearer(signed(jwt.SigningMethodHS256, secret, validClaims(time.Hour, time.Now().Add(-2*time.Hour))))
		rejected(t, "PUT", section(sipID), expired, sectionEdit(sipID), http.StatusUnauthorized, "expired")
	})

	t.Run("forged signature gets 401", func(t *testing.T) {
		valid := signed(jwt.SigningMethodHS256, secret, validClaims(time.Hour, time.Now()))
		parts := strings.Split(valid, ".")
		// Raise the role in the payload and keep the original signature.
		claims := validClaims(time.Hour, time.Now())
		claims.Role, claims.Org = domain.RoleDepartment, ""
		other := strings.Split(signed(jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), claims), ".")
		rejected(t, "PUT", section(sipID), bearer(parts[0]+"."+other[1]+"."+parts[2]), sectionEdit(sipID),
			http.StatusUnauthorized, "signature does not match")
		// Flip one byte of the signature.
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			t.Fatal(err)
		}
		sig[0] ^= 0x01
		flipped := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
		rejected(t, "PUT", section(sipID), bearer(flipped), sectionEdit(sipID), http.StatusUnauthorized,
			"signature does not match")
	})

	t.Run("alg none, HS512 and a wrong key get 401", func(t *testing.T) {
		claims := validClaims(time.Hour, time.Now())
		none := signed(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims)
		rejected(t, "PUT", section(sipID), bearer(none), sectionEdit(sipID), http.StatusUnauthorized,
			`algorithm "none"`)
		hs512 := signed(jwt.SigningMethodHS512, secret, claims)
		rejected(t, "PUT", section(sipID), bearer(hs512), sectionEdit(sipID), http.StatusUnauthorized,
			`algorithm "HS512"`)
		wrongKey := signed(jwt.SigningMethodHS256, []byte(strings.Repeat("k", 32)), claims)
		rejected(t, "PUT", section(sipID), bearer(wrongKey), sectionEdit(sipID), http.StatusUnauthorized,
			"signature does not match")
	})

	t.Run("write without a token gets 401", func(t *testing.T) {
		rejected(t, "PUT", section(sipID), nil, sectionEdit(sipID), http.StatusUnauthorized, "needs sign-in")
		// The header that named the actor before sign-in existed is ignored.
		rejected(t, "PUT", section(sipID), map[string]string{"X-Actor": "principal@newburyport"}, sectionEdit(sipID),
			http.StatusUnauthorized, "needs sign-in")
	})

	t.Run("tokens appear in no log line or stored event", func(t *testing.T) {
		// A token leaks if it or its signature, enough to replay a copy
		// of it, appears. An alg none token has no signature.
		leaks := func(text string) bool {
			for _, raw := range tokens {
				sig := raw[strings.LastIndex(raw, ".")+1:]
				if strings.Contains(text, raw) || (sig != "" && strings.Contains(text, sig)) {
					return true
				}
			}
			return false
		}
		text := logs.String()
		if leaks(text) {
			t.Fatalf("a token appears in the logs")
		}
		if !strings.Contains(text, `"subject":"principal@newburyport","role":"school_editor"`) {
			t.Errorf("no request log line names the subject and role of the school editor's write")
		}
		if !strings.Contains(text, `"auth_error":"unauthenticated: Authorization: token rejected: expired`) {
			t.Errorf("no request log line gives the reason an expired token was rejected")
		}
		messages := storedMessages(t, srv.app.embedded, uint64(appliedSeq(t, base)))
		for _, m := range messages {
			if leaks(m) {
				t.Fatalf("a stored event contains a token: %.200s", m)
			}
		}
		if len(messages) < 1000 {
			t.Errorf("read %d stored messages, want the whole bundled log", len(messages))
		}
	})
}

// TestExternalNATSNeedsSigningKey starts nothing: with -nats and no key
// the server refuses before it connects.
func TestExternalNATSNeedsSigningKey(t *testing.T) {
	cfg := Config{NATSURL: "nats://127.0.0.1:1", Listen: "127.0.0.1:0", LogLevel: "warn", LogFormat: "text"}
	_, err := startServer(context.Background(), cfg, discardLogger())
	if !errors.Is(err, errNoSharedKey) {
		t.Fatalf("startServer with -nats and no key: %v, want errNoSharedKey", err)
	}
	if !strings.Contains(err.Error(), "-auth-secret-file") {
		t.Errorf("error %q does not name -auth-secret-file", err)
	}
}

func TestDevKeyCreatedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	logs := &recordingHandler{}
	cfg := Config{DataDir: dir}
	first, err := cfg.verifier(slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, auth.DevSecretFileName))
	if err != nil {
		t.Fatalf("no development key after first start: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("development key mode %o, want 600", perm)
	}
	warning := checkLogged(t, logs, slog.LevelWarn, "signing in with a development key: anyone who can read it can sign in with any role; "+
		"pass -auth-secret-file on a shared server")
	if warning.attrs["created"] != true {
		t.Errorf("first start logged created=%v, want true", warning.attrs["created"])
	}

	again := &recordingHandler{}
	second, err := cfg.verifier(slog.New(again))
	if err != nil {
		t.Fatal(err)
	}
	if w := checkLogged(t, again, slog.LevelWarn, warning.message); w.attrs["created"] != false {
		t.Errorf("second start logged created=%v, want false", w.attrs["created"])
	}
	token := signIn(t, dir, domain.RoleSchoolEditor, newburyportHigh, "principal@newburyport")["Authorization"]
	for name, v := range map[string]*auth.Verifier{"first": first, "second": second} {
		if _, err := v.Verify(strings.TrimPrefix(token, "Bearer ")); err != nil {
			t.Errorf("%s start's verifier rejects a token signed with the key on disk: %v", name, err)
		}
	}
}

func TestSecretFileUsedOverDevKey(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, AuthSecretFile: writeSecretFile(t)}
	v, err := cfg.verifier(discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, auth.DevSecretFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a development key was created although -auth-secret-file was given (stat: %v)", err)
	}
	secret, _, err := auth.ReadSecretFile(cfg.AuthSecretFile)
	if err != nil {
		t.Fatal(err)
	}
	token, err := auth.Sign(secret, domain.Principal{Subject: "a", Role: domain.RoleAuditor}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(token); err != nil {
		t.Errorf("verifier rejects a token signed with the secret file: %v", err)
	}

	short := filepath.Join(t.TempDir(), "short")
	if err := os.WriteFile(short, []byte("too short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.AuthSecretFile = short
	if _, err := cfg.verifier(discardLogger()); err == nil || !strings.Contains(err.Error(), "invalid -auth-secret-file") {
		t.Errorf("short secret file: %v, want an invalid -auth-secret-file error", err)
	}
}

// runTokenCommand runs planledger token and returns its stdout and stderr.
func runTokenCommand(args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	err := runToken(args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestTokenCommandSignsWithDevKey(t *testing.T) {
	dir := t.TempDir()
	out, errOut, err := runTokenCommand("-role", "school_editor", "-org", newburyportHigh,
		"-sub", "principal@newburyport", "-ttl", "30m", "-data", dir)
	if err != nil {
		t.Fatalf("token: %v (%s)", err, errOut)
	}
	if !strings.Contains(errOut, "created development signing key") {
		t.Errorf("stderr %q does not say the key was created", errOut)
	}
	v, err := auth.NewHMACVerifier(devSecret(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("the printed token does not verify with the development key: %v", err)
	}
	want := domain.Principal{Subject: "principal@newburyport", Role: domain.RoleSchoolEditor, OrgCode: newburyportHigh}
	if p != want {
		t.Errorf("token signs in %+v, want %+v", p, want)
	}
	var claims auth.Claims
	if _, _, err := jwt.NewParser().ParseUnverified(strings.TrimSpace(out), &claims); err != nil {
		t.Fatal(err)
	}
	if ttl := claims.ExpiresAt.Sub(claims.IssuedAt.Time); ttl != 30*time.Minute {
		t.Errorf("token lives %s, want the 30m of -ttl", ttl)
	}

	_, errOut, err = runTokenCommand("-role", "department", "-sub", "dese", "-data", dir)
	if err != nil {
		t.Fatalf("department token: %v", err)
	}
	if strings.Contains(errOut, "created") {
		t.Errorf("second token created the key again: %s", errOut)
	}
}

func TestTokenCommandSecretFile(t *testing.T) {
	path := writeSecretFile(t)
	t.Setenv("PLANLEDGER_AUTH_SECRET_FILE", path)
	dir := filepath.Join(t.TempDir(), "never-created")
	t.Setenv("PLANLEDGER_DATA", dir)
	out, _, err := runTokenCommand("-role", "auditor", "-sub", "auditor@doe.mass.edu")
	if err != nil {
		t.Fatal(err)
	}
	secret, _, _ := auth.ReadSecretFile(path)
	v, _ := auth.NewHMACVerifier(secret)
	if _, err := v.Verify(strings.TrimSpace(out)); err != nil {
		t.Errorf("token does not verify with PLANLEDGER_AUTH_SECRET_FILE's secret: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("token created the data folder although a secret file was set")
	}
}

func TestTokenCommandRejectsBadRequest(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown role", []string{"-role", "principal", "-org", newburyportHigh, "-sub", "a"},
			`invalid -role "principal": use one of district_editor, school_editor`},
		{"missing role", []string{"-org", newburyportHigh, "-sub", "a"}, "missing -role"},
		{"missing org", []string{"-role", "school_editor", "-sub", "a"}, "missing -org: role school_editor needs org"},
		{"district code for a school role", []string{"-role", "school_editor", "-org", newburyportDistrict, "-sub", "a"},
			"invalid -org: role school_editor acts for one school, but org 02040000 is a district code"},
		{"school code for a district role", []string{"-role", "district_editor", "-org", newburyportHigh, "-sub", "a"},
			"invalid -org: role district_editor acts for a district, but org 02040505 is a school code; use its district's code 02040000"},
		{"org for department", []string{"-role", "department", "-org", newburyportHigh, "-sub", "a"},
			"invalid -org: role department acts for every org"},
		{"malformed org", []string{"-role", "approver", "-org", "0204", "-sub", "a"}, `invalid -org: org "0204" is not an 8-digit`},
		{"missing sub", []string{"-role", "auditor"}, "missing -sub"},
		{"negative ttl", []string{"-role", "auditor", "-sub", "a", "-ttl", "-1h"}, "invalid -ttl"},
		{"both keys", []string{"-role", "auditor", "-sub", "a", "-auth-secret-file", "x"}, "not both"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := runTokenCommand(append(c.args, "-data", dir)...)
			if err == nil {
				t.Fatalf("token %q succeeded, want an error", c.args)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
			if out != "" {
				t.Errorf("printed %q on error", out)
			}
		})
	}
}

func TestTokenHelp(t *testing.T) {
	_, errOut, err := runTokenCommand("-h")
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("token -h: %v", err)
	}
	for _, want := range []string{"-role", "district_editor, school_editor, council_member, approver, auditor, department", "-ttl"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("help lacks %q:\n%s", want, errOut)
		}
	}
}
