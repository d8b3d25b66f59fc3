package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/planledger/planledger/auth"
	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
	plhttp "github.com/planledger/planledger/http"
	"github.com/planledger/planledger/projections"
)

// holyokeMorgan is the Morgan Full Service Community School in Holyoke.
const holyokeMorgan = "01370025"

// storeServer is the API on an embedded JetStream store, with the read
// model fed by a subscription as in production, so a write can reach the
// store before the read model sees the writes that raced it.
type storeServer struct {
	url    string
	secret []byte
}

func newStoreServer(t *testing.T) *storeServer {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	server, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Port: -1, StoreDir: t.TempDir(), Logger: logger})
	if err != nil {
		t.Fatalf("start embedded nats-server: %v", err)
	}
	t.Cleanup(server.Shutdown)
	nc, err := nats.Connect(server.ClientURL(), server.Credentials().AdminOption())
	if err != nil {
		t.Fatalf("connect to %s: %v", server.ClientURL(), err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store, err := eventstore.Open(ctx, nc, eventstore.StoreConfig{Logger: logger})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	read := projections.New(logger)
	stop, err := store.Subscribe(context.Background(), 1, "", read.Apply)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(stop)

	service := commands.New(store, read)
	orgs := []domain.Org{
		{Code: newburyport, Type: domain.OrgDistrict, Name: "Newburyport", DistrictCode: newburyport},
		{Code: newburyportHigh, Type: domain.OrgSchool, Name: "Newburyport High", DistrictCode: newburyport, GradeSpan: "09-12"},
		{Code: holyoke, Type: domain.OrgDistrict, Name: "Holyoke", DistrictCode: holyoke},
		{Code: holyokeMorgan, Type: domain.OrgSchool, Name: "Morgan Full Service Community School", DistrictCode: holyoke, GradeSpan: "PK-08"},
	}
	for _, org := range orgs {
		if _, err := service.RegisterOrg(ctx, commands.Meta{Actor: "surveys-test"}, org); err != nil {
			t.Fatalf("register org %s: %v", org.Code, err)
		}
	}
	verifier, err := auth.NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	handler := plhttp.NewServer(plhttp.Config{Commands: service, Read: read, Version: "test", Auth: verifier, Logger: logger}).Handler()
	web := httptest.NewServer(handler)
	t.Cleanup(web.Close)
	return &storeServer{url: web.URL, secret: testSecret}
}

func (s *storeServer) token(t *testing.T, role domain.Role, org, sub string) string {
	t.Helper()
	token, err := auth.Sign(s.secret, domain.Principal{Subject: sub, Role: role, OrgCode: org}, time.Hour, time.Now())
	if err != nil {
		t.Fatalf("sign a %s token: %v", role, err)
	}
	return token
}

// call sends one request and returns the status, headers and decoded body.
// It is safe to call from several goroutines, so it reports through
// t.Errorf.
func (s *storeServer) call(t *testing.T, method, path, token string, header map[string]string, body any) (int, http.Header, map[string]any) {
	var payload io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Errorf("encode body: %v", err)
			return 0, nil, nil
		}
		payload = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url+path, payload)
	if err != nil {
		t.Errorf("new request: %v", err)
		return 0, nil, nil
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// A bound, so a request the server never answers fails the test
	// instead of hanging the package until its timeout.
	client := &http.Client{Timeout: time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0, nil, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Errorf("%s %s: decode %d body: %v", method, path, resp.StatusCode, err)
	}
	return resp.StatusCode, resp.Header, out
}

// issueSurvey issues the TELL Mass instrument to orgs, open for a day.
func (s *storeServer) issueSurvey(t *testing.T, orgs ...string) string {
	t.Helper()
	now := time.Now().UTC()
	status, _, body := s.call(t, "POST", "/v1/surveys", s.token(t, domain.RoleDepartment, "", "dese-staff"), nil,
		map[string]any{"instrument_id": "tell-mass", "org_codes": orgs,
			"opens_at": now.Add(-time.Hour).Format(time.RFC3339), "closes_at": now.Add(24 * time.Hour).Format(time.RFC3339)})
	if status != http.StatusCreated {
		t.Fatalf("issue survey: status %d, body %v", status, body)
	}
	return body["survey"].(map[string]any)["id"].(string)
}

// answerAll sends one response per subject at once and returns the statuses.
func (s *storeServer) answerAll(t *testing.T, surveyID, org string, subjects []string, likert func(i int) int) []int {
	statuses := make([]int, len(subjects))
	var wg sync.WaitGroup
	for i, sub := range subjects {
		wg.Add(1)
		go func() {
			defer wg.Done()
			token := s.token(t, domain.RoleSchoolEditor, org, sub)
			status, _, body := s.call(t, "POST", "/v1/surveys/"+surveyID+"/responses", token, nil,
				map[string]any{"answers": map[string]any{"school_leadership": likert(i)}})
			statuses[i] = status
			if status >= 300 {
				t.Errorf("response by %s: status %d, body %v", sub, status, body)
			}
		}()
	}
	wg.Wait()
	return statuses
}

func TestSurveyAnswersConcurrentRespondents(t *testing.T) {
	s := newStoreServer(t)
	id := s.issueSurvey(t, newburyport)
	var subjects []string
	for i := range 30 {
		subjects = append(subjects, fmt.Sprintf("nhs-teacher-%d", i))
	}
	for i, status := range s.answerAll(t, id, newburyportHigh, subjects, func(i int) int { return i%5 + 1 }) {
		if status != http.StatusCreated {
			t.Errorf("response %d: status %d, want 201", i, status)
		}
	}
	_, _, body := s.call(t, "GET", "/v1/surveys/"+id+"/results", s.token(t, domain.RoleDepartment, "", "dese-staff"), nil, nil)
	overall := body["results"].(map[string]any)["overall"].(map[string]any)
	if overall["respondents"] != float64(30) {
		t.Errorf("overall respondents = %v, want 30", overall["respondents"])
	}
}

func TestSurveyAnswersSameRespondentRace(t *testing.T) {
	s := newStoreServer(t)
	id := s.issueSurvey(t, newburyport)
	statuses := s.answerAll(t, id, newburyportHigh, []string{"nhs-teacher", "nhs-teacher"}, func(i int) int { return i + 1 })
	created, replaced := 0, 0
	for _, status := range statuses {
		switch status {
		case http.StatusCreated:
			created++
		case http.StatusOK:
			replaced++
		}
	}
	if created != 1 || replaced != 1 {
		t.Errorf("statuses = %v, want one 201 and one 200 (the later replaces the earlier)", statuses)
	}
	_, _, body := s.call(t, "GET", "/v1/surveys/"+id, "", nil, nil)
	if body["respondents"] != float64(1) {
		t.Errorf("respondents = %v, want 1", body["respondents"])
	}
}

func TestSurveyResultsComplementarySuppression(t *testing.T) {
	s := newStoreServer(t)
	id := s.issueSurvey(t, holyokeMorgan, newburyportHigh)
	var teachers []string
	for i := range 5 {
		teachers = append(teachers, fmt.Sprintf("morgan-teacher-%d", i))
	}
	s.answerAll(t, id, holyokeMorgan, teachers, func(int) int { return 5 })
	s.answerAll(t, id, newburyportHigh, []string{"nhs-principal"}, func(int) int { return 1 })
	dese := s.token(t, domain.RoleDepartment, "", "dese-staff")
	if status, _, body := s.call(t, "POST", "/v1/surveys/"+id+"/close", dese, nil, nil); status != http.StatusOK {
		t.Fatalf("close: status %d, body %v", status, body)
	}

	status, _, body := s.call(t, "GET", "/v1/surveys/"+id+"/results", "", nil, nil)
	if status != http.StatusOK {
		t.Fatalf("anonymous results: status %d, body %v", status, body)
	}
	results := body["results"].(map[string]any)
	overall := results["overall"].(map[string]any)
	if overall["suppressed"] != false || overall["respondents"] != float64(6) {
		t.Errorf("overall = %v, want 6 respondents reported", overall)
	}
	orgs := results["orgs"].([]any)
	morgan, nbpt := orgs[0].(map[string]any), orgs[1].(map[string]any)
	if morgan["suppressed"] != true || morgan["suppression"] != domain.SuppressedComplementary || morgan["questions"] != nil {
		t.Errorf("Morgan = %v, want it suppressed as the complement", morgan)
	}
	if nbpt["suppressed"] != true || nbpt["suppression"] != domain.SuppressedFewRespondents {
		t.Errorf("Newburyport High = %v, want it suppressed for few respondents", nbpt)
	}
}

func TestSurveyIssueKeyedRetry(t *testing.T) {
	s := newStoreServer(t)
	dese := s.token(t, domain.RoleDepartment, "", "dese-staff")
	now := time.Now().UTC()
	issue := map[string]any{"instrument_id": "tell-mass", "org_codes": []string{newburyport},
		"opens_at": now.Add(-time.Hour).Format(time.RFC3339), "closes_at": now.Add(24 * time.Hour).Format(time.RFC3339)}

	key := map[string]string{"Idempotency-Key": "issue-tell-mass-once"}
	status, _, first := s.call(t, "POST", "/v1/surveys", dese, key, issue)
	if status != http.StatusCreated {
		t.Fatalf("first issue: status %d, body %v", status, first)
	}
	status, header, again := s.call(t, "POST", "/v1/surveys", dese, key, issue)
	if status != http.StatusCreated {
		t.Fatalf("repeat: status %d, body %v", status, again)
	}
	if header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat Idempotent-Replayed = %q, want true", header.Get("Idempotent-Replayed"))
	}
	firstID := first["survey"].(map[string]any)["id"]
	if againID := again["survey"].(map[string]any)["id"]; againID != firstID {
		t.Errorf("repeat survey id = %v, want %v", againID, firstID)
	}

	// Repeats sent together store one survey, and every one gets it.
	concurrent := map[string]string{"Idempotency-Key": "issue-tell-mass-together"}
	ids := make([]any, 8)
	replayed := make([]bool, len(ids))
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, header, body := s.call(t, "POST", "/v1/surveys", dese, concurrent, issue)
			if status != http.StatusCreated {
				t.Errorf("concurrent repeat %d: status %d, body %v", i, status, body)
				return
			}
			ids[i] = body["survey"].(map[string]any)["id"]
			replayed[i] = header.Get("Idempotent-Replayed") == "true"
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Errorf("concurrent repeat %d named survey %v, want %v", i, ids[i], ids[0])
		}
		if !replayed[i] {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d concurrent repeats were not marked replayed, want 1", fresh)
	}
	_, _, list := s.call(t, "GET", "/v1/surveys", "", nil, nil)
	if n := len(list["items"].([]any)); n != 2 {
		t.Errorf("surveys stored = %d, want 2", n)
	}
}

func TestLibraryAddConcurrentKeyedRetry(t *testing.T) {
	s := newStoreServer(t)
	dese := s.token(t, domain.RoleDepartment, "", "dese-staff")
	item := newFixture(t).example(t, "POST", "/v1/assistance/library", "network")
	key := map[string]string{"Idempotency-Key": "add-walkthrough"}
	replayed := make([]bool, 6)
	var wg sync.WaitGroup
	for i := range replayed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, header, body := s.call(t, "POST", "/v1/assistance/library", dese, key, item)
			if status != http.StatusCreated {
				t.Errorf("concurrent add %d: status %d, body %v", i, status, body)
			}
			replayed[i] = header.Get("Idempotent-Replayed") == "true"
		}()
	}
	wg.Wait()
	fresh := 0
	for _, r := range replayed {
		if !r {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d concurrent adds were not marked replayed, want 1", fresh)
	}
	status, _, body := s.call(t, "POST", "/v1/assistance/library", dese, map[string]string{"Idempotency-Key": "another-key"}, item)
	if status != http.StatusConflict || body["field"] != "id" {
		t.Errorf("add under a new key: status %d field %v, want 409 on id", status, body["field"])
	}
}
