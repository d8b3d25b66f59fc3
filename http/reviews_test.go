package http_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/auth"
	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	plhttp "github.com/planledger/planledger/http"
	"github.com/planledger/planledger/importer"
	"github.com/planledger/planledger/projections"
)

const (
	holyoke      = "01370000"
	newburyport  = "02040000"
	newburyDIPID = "1496d2f4-3f89-4c37-8c47-d3358c42ebf0" // the bundled Newburyport DIP
)

// newBundledFixture builds the server with sign-in on an in-memory store
// holding the bundled Massachusetts data.
func newBundledFixture(t *testing.T) *fixture {
	t.Helper()
	doc, raw := loadOpenAPI(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	read := projections.New(logger)
	store := newMemoryStore(read)
	src, closeAll, err := importer.BundledSources(data.Bundled())
	if err != nil {
		t.Fatalf("open bundled data: %v", err)
	}
	defer closeAll()
	if _, err := importer.Run(context.Background(), store, read, src, nil); err != nil {
		t.Fatalf("import bundled data: %v", err)
	}
	verifier, err := auth.NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	handler := plhttp.NewServer(plhttp.Config{Commands: commands.New(store, read), Read: read, OpenAPI: raw,
		Version: "test", Auth: verifier, Logger: logger}).Handler()
	return &fixture{doc: doc, handler: handler, router: handler.(*mux.Router), secret: testSecret}
}

// bearer returns headers signing in as the role for the org.
func bearer(t *testing.T, role domain.Role, org string, extra ...string) map[string]string {
	t.Helper()
	token, err := auth.Sign(testSecret, domain.Principal{Subject: string(role) + "@" + org, Role: role, OrgCode: org}, time.Hour, time.Now())
	if err != nil {
		t.Fatalf("sign token: %v", err)
	}
	h := map[string]string{"Authorization": "Bearer " + token}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func problemField(t *testing.T, body map[string]any, want string) {
	t.Helper()
	if got := body["field"]; got != want {
		t.Errorf("problem field = %v, want %q (detail: %v)", got, want, body["detail"])
	}
}

func reviewOf(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	review, ok := body["review"].(map[string]any)
	if !ok {
		t.Fatalf("body has no review: %v", body)
	}
	return review
}

// A Level 4 review of Holyoke, taken through its lifecycle with the
// document's examples, checked against the document at every step.
func TestReviewsHolyokeLifecycle(t *testing.T) {
	f := newBundledFixture(t)
	dept := bearer(t, domain.RoleDepartment, "")
	holyokeEditor := bearer(t, domain.RoleDistrictEditor, holyoke)

	scheduled := f.do(t, apiCall{method: "POST", target: "/v1/reviews", header: dept,
		body: f.example(t, "POST", "/v1/reviews", "holyokeLevel4"), wantStatus: 201})
	review := reviewOf(t, decodeBody(t, scheduled))
	id := review["id"].(string)
	if lv, _ := review["district_level"].(map[string]any); lv == nil || lv["level"] != float64(4) {
		t.Errorf("district_level = %v, want Level 4 from the bundled 2013 determination", review["district_level"])
	}
	base := "/v1/reviews/" + id

	// The 9-month rule and sign-in.
	soon := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/reviews", header: dept,
		body: f.example(t, "POST", "/v1/reviews", "withinNineMonths"), wantStatus: 409}))
	problemField(t, soon, "on_site")
	if detail, _ := soon["detail"].(string); !strings.Contains(detail, id) {
		t.Errorf("9-month detail %q does not name review %s", detail, id)
	}
	exception := f.example(t, "POST", "/v1/reviews", "withinNineMonths")
	exception["emergency_exception"] = map[string]any{"board_vote_date": "2014-05-27", "reason": "Illustrative emergency"}
	exception["type"] = "standard"
	f.do(t, apiCall{method: "POST", target: "/v1/reviews", body: exception, wantStatus: 401, invalidRequest: true})
	f.do(t, apiCall{method: "POST", target: "/v1/reviews", header: holyokeEditor, body: exception, wantStatus: 403})

	// A step out of order names the status field.
	tooEarly := f.example(t, "POST", "/v1/reviews/{id}/findings", "challenge")
	tooEarly["expected_sequence"] = 1
	early := decodeBody(t, f.do(t, apiCall{method: "POST", target: base + "/findings", header: dept, body: tooEarly, wantStatus: 400}))
	problemField(t, early, "status")

	f.do(t, apiCall{method: "POST", target: base + "/conducted", header: dept,
		body: f.example(t, "POST", "/v1/reviews/{id}/conducted", "holyoke"), wantStatus: 200})
	f.do(t, apiCall{method: "POST", target: base + "/findings", header: dept,
		body: f.example(t, "POST", "/v1/reviews/{id}/findings", "challenge"), wantStatus: 201})
	rec := f.do(t, apiCall{method: "POST", target: base + "/recommendations", header: dept,
		body: f.example(t, "POST", "/v1/reviews/{id}/recommendations", "dataCycles"), wantStatus: 201})
	if got := rec.Header().Get("ETag"); got != `"4"` {
		t.Errorf("ETag after the recommendation = %s, want \"4\"", got)
	}

	// The district, not the Department, checks the draft for accuracy.
	comments := map[string]any{"comments": []any{map[string]any{"finding_id": "6f1c2b7e-1d2a-4e8b-9c3d-2a1b0c9d8e72",
		"text": "Two middle schools hold monthly data meetings."}}, "submitted_on": "2014-03-10", "effective_date": "2014-03-10"}
	f.do(t, apiCall{method: "POST", target: base + "/factual-accuracy", header: bearer(t, domain.RoleDepartment, "", "If-Match", `"4"`),
		body: comments, wantStatus: 403})
	f.do(t, apiCall{method: "POST", target: base + "/factual-accuracy", header: bearer(t, domain.RoleDistrictEditor, newburyport, "If-Match", `"4"`),
		body: comments, wantStatus: 403})
	f.do(t, apiCall{method: "POST", target: base + "/factual-accuracy", header: bearer(t, domain.RoleDistrictEditor, holyoke, "If-Match", `"3"`),
		body: comments, wantStatus: 412})
	f.do(t, apiCall{method: "POST", target: base + "/factual-accuracy", header: bearer(t, domain.RoleApprover, holyoke, "If-Match", `"4"`),
		body: comments, wantStatus: 200})

	// An effective date before the review was scheduled is rejected.
	backdated := decodeBody(t, f.do(t, apiCall{method: "POST", target: base + "/report", header: dept,
		body: map[string]any{"published_on": "2014-04-01", "expected_sequence": 5, "effective_date": "2013-01-01"}, wantStatus: 400}))
	problemField(t, backdated, "effective_date")
	f.do(t, apiCall{method: "POST", target: base + "/report", header: dept,
		body: map[string]any{"published_on": "2014-04-01", "expected_sequence": 5, "effective_date": "2014-04-01"}, wantStatus: 200})

	after := decodeBody(t, f.do(t, apiCall{method: "PUT", target: base + "/findings/6f1c2b7e-1d2a-4e8b-9c3d-2a1b0c9d8e72", header: dept,
		body:       map[string]any{"standard": "assessment", "polarity": "challenge", "summary": "Changed", "evidence": "x", "expected_sequence": 6},
		wantStatus: 400}))
	problemField(t, after, "status")
	f.do(t, apiCall{method: "POST", target: base + "/corrections", header: dept, body: map[string]any{
		"reason": "Illustrative wording correction", "expected_sequence": 6, "effective_date": "2014-04-10",
		"finding": map[string]any{"id": "6f1c2b7e-1d2a-4e8b-9c3d-2a1b0c9d8e72", "standard": "assessment", "polarity": "challenge",
			"summary": "Schools use assessment data unevenly.", "evidence": "Teacher focus groups."}}, wantStatus: 200})
	f.do(t, apiCall{method: "POST", target: base + "/cancellation", header: dept,
		body: map[string]any{"reason": "Too late", "expected_sequence": 7}, wantStatus: 400})

	// Reads: now, as of a past day, pinned, and listed.
	now := reviewOf(t, decodeBody(t, f.do(t, apiCall{method: "GET", target: base, wantStatus: 200})))
	if now["status"] != "issued" || len(now["corrections"].([]any)) != 1 {
		t.Errorf("review now: status %v, corrections %v; want issued with one correction", now["status"], now["corrections"])
	}
	past := reviewOf(t, decodeBody(t, f.do(t, apiCall{method: "GET", target: base + "?as_of=2014-01-15", wantStatus: 200})))
	if past["status"] != "scheduled" {
		t.Errorf("status as of 2014-01-15 = %v, want scheduled", past["status"])
	}
	f.do(t, apiCall{method: "GET", target: base + "?as_of=2013-06-30", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: base + "?version=99", wantStatus: 404})
	list := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/reviews?district=" + holyoke, wantStatus: 200}))
	if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["district_name"] != "Holyoke" {
		t.Errorf("reviews of Holyoke = %v, want the one review", list["items"])
	}
	f.do(t, apiCall{method: "GET", target: "/v1/reviews?district=01370505", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: "/v1/reviews?district=0137", wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: base + "/responses", wantStatus: 200})

	// The printed report, twice at the same instant and version.
	first := f.do(t, apiCall{method: "GET", target: base + "/pdf?as_of=2099-12-31&version=7", wantStatus: 200})
	second := f.do(t, apiCall{method: "GET", target: base + "/pdf?as_of=2099-12-31&version=7", wantStatus: 200})
	if a, b := first.Header().Get("X-Content-SHA256"), second.Header().Get("X-Content-SHA256"); a != b {
		t.Errorf("two prints differ: %s and %s", a, b)
	}
	txt := pdfText(t, first.Body.Bytes())
	for _, want := range []string{"Holyoke: Level 4 district review", "Level 4, effective 2013-09-30", "Finding 1. Schools use assessment data unevenly.",
		"Recommendation 1", "Rests on: Finding 1", "On finding 1: Two middle schools", "corrected finding 1", "review version 7"} {
		if !strings.Contains(txt, want) {
			t.Errorf("printed review lacks %q", want)
		}
	}
}

// pdfText extracts a PDF's text with pdftotext from poppler-utils.
func pdfText(t *testing.T, body []byte) string {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatalf("pdftotext not found on PATH: install poppler-utils")
	}
	path := filepath.Join(t.TempDir(), "review.pdf")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// A standard review of Newburyport whose recommendation the bundled DIP's
// first objective answers; the other recommendation stays unanswered.
func TestReviewsNewburyportResponses(t *testing.T) {
	f := newBundledFixture(t)
	dept := bearer(t, domain.RoleDepartment, "")
	schedule := map[string]any{"district_code": newburyport, "type": "standard",
		"document_review": map[string]any{"start": "2016-10-03", "end": "2016-10-04"},
		"on_site":         map[string]any{"start": "2016-10-17", "end": "2016-10-20"}, "effective_date": "2016-09-01"}
	created := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/reviews",
		header: bearer(t, domain.RoleDepartment, "", "Idempotency-Key", "nps-2016"), body: schedule, wantStatus: 201}))
	id := reviewOf(t, created)["id"].(string)
	retry := f.do(t, apiCall{method: "POST", target: "/v1/reviews",
		header: bearer(t, domain.RoleDepartment, "", "Idempotency-Key", "nps-2016"), body: schedule, wantStatus: 201})
	if retry.Header().Get("Idempotent-Replayed") != "true" || reviewOf(t, decodeBody(t, retry))["id"] != id {
		t.Errorf("retried schedule did not replay review %s", id)
	}
	base := "/v1/reviews/" + id
	seq := 1
	step := func(method, path string, body map[string]any, status int) map[string]any {
		t.Helper()
		body["expected_sequence"] = seq
		out := decodeBody(t, f.do(t, apiCall{method: method, target: base + path, header: dept, body: body, wantStatus: status}))
		if status < 300 {
			seq++
		}
		return out
	}
	step("POST", "/conducted", map[string]any{"on_site": map[string]any{"start": "2016-10-17", "end": "2016-10-20"},
		"evidence": map[string]any{"documents_reviewed": 35, "dart_data": true, "classroom_observations": 48}, "effective_date": "2016-10-21"}, 200)
	finding := reviewOf(t, step("POST", "/findings", map[string]any{"standard": "student_support", "polarity": "challenge",
		"summary": "Supports for social-emotional learning differ among schools (illustrative).", "evidence": "Interviews (illustrative)."}, 201))
	findingID := finding["findings"].([]any)[0].(map[string]any)["id"].(string)
	var recIDs []string
	for _, statement := range []string{"Build one district system for social-emotional learning.", "Review the attendance policy."} {
		rv := reviewOf(t, step("POST", "/recommendations", map[string]any{"standard": "student_support",
			"finding_ids": []any{findingID}, "statement": statement}, 201))
		recs := rv["recommendations"].([]any)
		recIDs = append(recIDs, recs[len(recs)-1].(map[string]any)["id"].(string))
	}
	badRec := step("POST", "/recommendations", map[string]any{"standard": "student_support",
		"finding_ids": []any{"0190e0c0-0000-7000-8000-0000000000ff"}, "statement": "x"}, 400)
	problemField(t, badRec, "finding_ids/0")

	// The district editor revises the DIP's objective 2 to answer the first.
	editor := bearer(t, domain.RoleDistrictEditor, newburyport)
	plan := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/plans/" + newburyDIPID, wantStatus: 200}))
	objective := plan["plan"].(map[string]any)["objectives"].([]any)[1].(map[string]any)
	objective["answers"] = []any{map[string]any{"review_id": id, "recommendation_id": recIDs[0]}}
	objective["expected_sequence"] = plan["version"]
	target := "/v1/plans/" + newburyDIPID + "/objectives/" + objective["id"].(string)
	f.do(t, apiCall{method: "PUT", target: target, header: editor, body: objective, wantStatus: 200})

	wrong := map[string]any{}
	for k, v := range objective {
		wrong[k] = v
	}
	wrong["expected_sequence"] = plan["version"].(float64) + 1
	wrong["answers"] = []any{map[string]any{"review_id": id, "recommendation_id": findingID}}
	problemField(t, decodeBody(t, f.do(t, apiCall{method: "PUT", target: target, header: editor, body: wrong, wantStatus: 404})),
		"answers/0/recommendation_id")

	resp := decodeBody(t, f.do(t, apiCall{method: "GET", target: base + "/responses", wantStatus: 200}))
	answered := resp["answered"].([]any)
	if len(answered) != 1 || answered[0].(map[string]any)["recommendation_id"] != recIDs[0] {
		t.Fatalf("answered = %v, want recommendation %s", answered, recIDs[0])
	}
	by := answered[0].(map[string]any)["answered_by"].([]any)[0].(map[string]any)
	if by["plan_id"] != newburyDIPID || by["item_id"] != objective["id"] || by["org_name"] != "Newburyport" {
		t.Errorf("answered by %v, want objective %v of the Newburyport DIP", by, objective["id"])
	}
	unanswered := resp["unanswered"].([]any)
	if len(unanswered) != 1 || unanswered[0].(map[string]any)["recommendation_id"] != recIDs[1] {
		t.Errorf("unanswered = %v, want recommendation %s", unanswered, recIDs[1])
	}

	// The Holyoke editor cannot comment on Newburyport's review.
	f.do(t, apiCall{method: "POST", target: base + "/factual-accuracy", header: bearer(t, domain.RoleDistrictEditor, holyoke),
		body: map[string]any{"comments": []any{}, "expected_sequence": seq}, wantStatus: 403})
	withdrawn := step("POST", fmt.Sprintf("/recommendations/%s/withdrawal", recIDs[0]), map[string]any{"reason": "Merged"}, 200)
	if recs := reviewOf(t, withdrawn)["recommendations"].([]any); len(recs) != 1 {
		t.Errorf("after withdrawal %d recommendations, want 1", len(recs))
	}
	resp = decodeBody(t, f.do(t, apiCall{method: "GET", target: base + "/responses", wantStatus: 200}))
	if unknown := resp["answering_unknown"].([]any); len(unknown) != 1 {
		t.Errorf("answering_unknown = %v, want the objective answering the withdrawn recommendation", unknown)
	}
}
