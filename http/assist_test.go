package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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

// Bundled org codes the tests act on.
const (
	lawrence          = "01490000"
	lawrenceSchool    = "01490001"
	southbridge       = "02770000"
	newburyportHigh   = "02040505"
	newburyportMiddle = "02040305"
)

// newAssistFixture is newBundledFixture that also returns the projector,
// so a test can rebuild a plan from its stored events.
func newAssistFixture(t *testing.T) (*fixture, *projections.Projector) {
	t.Helper()
	doc, raw := loadOpenAPI(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	read := projections.New(logger)
	store := newMemoryStore(read)
	src, closeAll, err := importer.BundledSources(data.Bundled())
	if err != nil {
		t.Fatal(err)
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
	return &fixture{doc: doc, handler: handler, router: handler.(*mux.Router), secret: testSecret}, read
}

func TestAssistPriorityBundled(t *testing.T) {
	f, _ := newAssistFixture(t)
	body := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/assistance/priority?scheme=levels&as_of=2018-06-30", wantStatus: 200}))
	items := body["items"].([]any)
	for i, want := range []string{lawrence, holyoke, southbridge} {
		e := items[i].(map[string]any)
		if e["org_code"] != want || e["level"] != float64(5) {
			t.Errorf("rank %d: %v at level %v, want %s at level 5", i+1, e["org_code"], e["level"], want)
		}
		iv := e["intervention"].(map[string]any)
		if !strings.Contains(iv["priority"].(string), "receivership") {
			t.Errorf("%s intervention = %v, want receivership", want, iv)
		}
	}
	if e := items[3].(map[string]any); e["level"] != float64(4) || !strings.Contains(e["intervention"].(map[string]any)["summary"].(string), "Accelerated Improvement Plan") {
		t.Errorf("rank 4 = %v, want a Level 4 district with the Accelerated Improvement Plan", e)
	}
	if got := len(body["interventions"].([]any)); got != 5 {
		t.Errorf("interventions has %d rows, want 5", got)
	}

	schools := decodeBody(t, f.do(t, apiCall{method: "GET",
		target: "/v1/assistance/priority?type=school&min_level=4&limit=3&as_of=2018-06-30", wantStatus: 200}))
	if got := len(schools["items"].([]any)); got != 3 {
		t.Errorf("limit=3 returned %d schools", got)
	}
	if total := schools["total"].(float64); total < 30 {
		t.Errorf("total Level 4+ schools = %v, want the 35 of the 2017 profile at least roughly", total)
	}
	f.do(t, apiCall{method: "GET", target: "/v1/assistance/priority?scheme=percentiles", invalidRequest: true, wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/assistance/priority?min_level=9", invalidRequest: true, wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/assistance/priority?as_of=someday", wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/assistance/interventions", wantStatus: 200})
}

func TestAssistLibraryRoutes(t *testing.T) {
	f, _ := newAssistFixture(t)
	dese := f.signIn(t, domain.RoleDepartment, "", "dese-staff")

	all := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/assistance/library", wantStatus: 200}))
	surveys := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/assistance/library?kind=survey", wantStatus: 200}))
	if n, m := len(all["items"].([]any)), len(surveys["items"].([]any)); m == 0 || m >= n {
		t.Errorf("kind=survey kept %d of %d items", m, n)
	}
	for _, it := range surveys["items"].([]any) {
		if kind := it.(map[string]any)["kind"]; kind != "survey" {
			t.Errorf("kind=survey returned a %v", kind)
		}
	}
	level4 := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/assistance/library?level=4&audience=district", wantStatus: 200}))
	for _, it := range level4["items"].([]any) {
		item := it.(map[string]any)
		if levels, ok := item["levels"].([]any); ok && len(levels) > 0 && !containsNumber(levels, 4) {
			t.Errorf("level=4 returned %v for levels %v", item["id"], levels)
		}
	}
	f.do(t, apiCall{method: "GET", target: "/v1/assistance/library?kind=survay", invalidRequest: true, wantStatus: 400})
	tell := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/assistance/library/tell-mass", wantStatus: 200}))
	if item := tell["item"].(map[string]any); item["verified"] != true || item["instrument"] == nil {
		t.Errorf("tell-mass = %v, want a verified item with an instrument", item)
	}
	f.do(t, apiCall{method: "GET", target: "/v1/assistance/library/no-such-item", wantStatus: 404})

	// Local items: Department staff only, never under a catalog id.
	local := f.example(t, "POST", "/v1/assistance/library", "network")
	f.do(t, apiCall{method: "POST", target: "/v1/assistance/library", body: local, invalidRequest: true, wantStatus: 401})
	f.do(t, apiCall{method: "POST", target: "/v1/assistance/library", body: local,
		header: f.signIn(t, domain.RoleDistrictEditor, newburyport, "nbpt-editor"), wantStatus: 403})
	added := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/assistance/library", body: local, header: dese, wantStatus: 201}))
	if item := added["item"].(map[string]any); item["origin"] != "local" || item["verified"] != false || item["version"] != float64(1) {
		t.Errorf("added item = %v, want a local, unverified item at version 1", item)
	}
	f.do(t, apiCall{method: "POST", target: "/v1/assistance/library", body: local, header: dese, wantStatus: 409})
	clash := f.example(t, "POST", "/v1/assistance/library", "network")
	clash["id"] = "tell-mass"
	f.do(t, apiCall{method: "POST", target: "/v1/assistance/library", body: clash, header: dese, wantStatus: 409})

	path := "/v1/assistance/library/" + local["id"].(string)
	local["title"] = "Pioneer Valley DSAC network calendar, revised"
	f.do(t, apiCall{method: "PUT", target: path, body: local, header: dese, wantStatus: 428})
	revised := decodeBody(t, f.do(t, apiCall{method: "PUT", target: path, body: local, header: withHeader(dese, "If-Match", `"1"`), wantStatus: 200}))
	if item := revised["item"].(map[string]any); item["version"] != float64(2) || item["title"] != local["title"] {
		t.Errorf("revised item = %v, want version 2 with the new title", item)
	}
	catalogEdit := f.example(t, "POST", "/v1/assistance/library", "network")
	catalogEdit["id"] = "tell-mass"
	f.do(t, apiCall{method: "PUT", target: "/v1/assistance/library/tell-mass", body: catalogEdit, header: withHeader(dese, "If-Match", `"1"`), wantStatus: 400})
	f.do(t, apiCall{method: "DELETE", target: "/v1/assistance/library/no-such-item", header: withHeader(dese, "If-Match", `"0"`), wantStatus: 404})
	f.do(t, apiCall{method: "DELETE", target: path, header: withHeader(dese, "If-Match", `"1"`), wantStatus: 412})
	f.do(t, apiCall{method: "DELETE", target: path + "?reason=replaced", header: withHeader(dese, "If-Match", `"2"`), wantStatus: 200})
	after := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/assistance/library", wantStatus: 200}))
	if len(after["items"].([]any)) != len(all["items"].([]any)) {
		t.Errorf("after retiring, the list has %d items, want the catalog's %d", len(after["items"].([]any)), len(all["items"].([]any)))
	}
	if got := decodeBody(t, f.do(t, apiCall{method: "GET", target: path, wantStatus: 200})); got["retired"] != true {
		t.Errorf("retired item reads as %v", got)
	}
}

func containsNumber(xs []any, n float64) bool {
	for _, x := range xs {
		if x == n {
			return true
		}
	}
	return false
}

func TestAssistPlanFromTemplate(t *testing.T) {
	f, read := newAssistFixture(t)
	editor := f.signIn(t, domain.RoleDistrictEditor, newburyport, "nbpt-district-editor")
	mission := "Every student leaves ready for college, career and citizenship."
	dip := map[string]any{"template_id": "pfs-plan-template", "org_code": newburyport, "first_year": 2019, "last_year": 2021,
		"sections": map[string]any{"mission": mission}, "effective_date": "2018-07-01"}
	created := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/plans", body: dip, header: editor, wantStatus: 201}))
	plan := created["plan"].(map[string]any)
	if plan["kind"] != "dip" || plan["title"] != "District Improvement Plan" {
		t.Errorf("plan kind %v title %v, want the template's dip and title", plan["kind"], plan["title"])
	}
	if ref := plan["template"].(map[string]any); ref["id"] != "pfs-plan-template" || ref["version"] != float64(1) {
		t.Errorf("template ref = %v", ref)
	}
	sections, prompts := map[string]string{}, map[string]string{}
	for _, s := range plan["sections"].([]any) {
		sec := s.(map[string]any)
		sections[sec["key"].(string)] = sec["text"].(string)
		prompts[sec["key"].(string)], _ = sec["prompt"].(string)
	}
	if sections["mission"] != mission {
		t.Errorf("mission = %q, want the request's text", sections["mission"])
	}
	for _, key := range []string{"vision", "core_values", "data_analysis", "theory_of_action", "professional_development", "evaluation_process"} {
		if sections[key] != "" {
			t.Errorf("section %s text = %q, want it unwritten", key, sections[key])
		}
		if !strings.Contains(prompts[key], "(component I") {
			t.Errorf("section %s prompt = %q, want the template's Planning for Success prompt", key, prompts[key])
		}
	}

	// A rebuild folds the stored events into the same plan.
	dipID := plan["id"].(string)
	rebuilt := projections.New(slog.New(slog.DiscardHandler))
	for seq := uint64(1); ; seq++ {
		e, ok := read.PlanEvent(dipID, seq)
		if !ok {
			break
		}
		if err := rebuilt.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	original, _ := read.Plan(dipID)
	again, ok := rebuilt.Plan(dipID)
	if !ok {
		t.Fatalf("rebuilt projector has no plan %s", dipID)
	}
	want, _ := json.Marshal(original)
	got, _ := json.Marshal(again)
	if string(got) != string(want) {
		t.Errorf("rebuilt plan differs:\n%s\nwant\n%s", got, want)
	}

	// An SIP with the Turnaround Practices skeleton goals, by the school's editor.
	sip := map[string]any{"template_id": "turnaround-practices-sip", "org_code": newburyportHigh, "district_plan_id": dipID,
		"first_year": 2020, "title": "Newburyport High School Improvement Plan 2019-20", "effective_date": "2019-07-01"}
	highEditor := f.signIn(t, domain.RoleSchoolEditor, newburyportHigh, "nhs-editor")
	sipBody := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/plans", body: sip, header: highEditor, wantStatus: 201}))
	sipPlan := sipBody["plan"].(map[string]any)
	if goals := sipPlan["goals"].([]any); len(goals) != 4 {
		t.Errorf("SIP has %d goals, want the template's 4 skeleton goals", len(goals))
	}
	if sipPlan["title"] != sip["title"] {
		t.Errorf("title = %v, want the request's", sipPlan["title"])
	}

	// Errors name the template field.
	wrongKind := map[string]any{"template_id": "pfs-plan-template", "kind": "sip", "org_code": newburyportMiddle,
		"district_plan_id": dipID, "first_year": 2020}
	bad := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/plans", body: wrongKind,
		header: f.signIn(t, domain.RoleSchoolEditor, newburyportMiddle, "nms-editor"), wantStatus: 400}))
	if bad["field"] != "kind" {
		t.Errorf("kind mismatch field = %v, want kind", bad["field"])
	}
	unknown := map[string]any{"template_id": "no-such-template", "org_code": newburyport, "first_year": 2022, "last_year": 2024}
	if got := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/plans", body: unknown, header: editor, wantStatus: 404})); got["field"] != "template_id" {
		t.Errorf("unknown template field = %v, want template_id", got["field"])
	}
	notTemplate := map[string]any{"template_id": "tell-mass", "org_code": newburyport, "first_year": 2022, "last_year": 2024}
	f.do(t, apiCall{method: "POST", target: "/v1/plans", body: notTemplate, header: editor, wantStatus: 400})
}

func TestAssistSurveyFlow(t *testing.T) {
	f, _ := newAssistFixture(t)
	dese := f.signIn(t, domain.RoleDepartment, "", "dese-staff")
	now := time.Now().UTC()
	issue := map[string]any{"instrument_id": "tell-mass", "org_codes": []any{newburyport},
		"opens_at": now.Add(-time.Hour).Format(time.RFC3339), "closes_at": now.Add(24 * time.Hour).Format(time.RFC3339)}

	f.do(t, apiCall{method: "POST", target: "/v1/surveys", body: issue,
		header: f.signIn(t, domain.RoleSchoolEditor, newburyportHigh, "nhs-editor"), wantStatus: 403})
	f.do(t, apiCall{method: "POST", target: "/v1/surveys", body: map[string]any{"instrument_id": "vocal", "org_codes": []any{newburyport},
		"opens_at": issue["opens_at"], "closes_at": issue["closes_at"]}, header: dese, wantStatus: 400})
	issued := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/surveys", body: issue, header: dese, wantStatus: 201}))
	id := issued["survey"].(map[string]any)["id"].(string)
	if issued["status"] != "open" {
		t.Errorf("status after issue = %v, want open", issued["status"])
	}
	path := "/v1/surveys/" + id

	answer := map[string]any{"answers": map[string]any{"school_leadership": 4, "focus_area": "Use of time", "comment": "More common planning time."}}
	teacher := func(n int) map[string]string {
		return f.signIn(t, domain.RoleSchoolEditor, newburyportHigh, fmt.Sprintf("nhs-teacher-%d", n))
	}
	first := decodeBody(t, f.do(t, apiCall{method: "POST", target: path + "/responses", body: answer, header: teacher(1), wantStatus: 201}))
	if resp := first["response"].(map[string]any); resp["counts_for"] != newburyport || resp["replaced"] != false {
		t.Errorf("first response = %v, want it counted for the district and not replacing", resp)
	}
	second := decodeBody(t, f.do(t, apiCall{method: "POST", target: path + "/responses", body: answer, header: teacher(1), wantStatus: 200}))
	if resp := second["response"].(map[string]any); resp["replaced"] != true || second["respondents"] != float64(1) {
		t.Errorf("second answer by the same respondent = %v with %v respondents, want a replacement and 1 respondent", resp, second["respondents"])
	}

	// Role and target checks.
	f.do(t, apiCall{method: "POST", target: path + "/responses", body: answer, invalidRequest: true, wantStatus: 401})
	outsider := decodeBody(t, f.do(t, apiCall{method: "POST", target: path + "/responses", body: answer,
		header: f.signIn(t, domain.RoleSchoolEditor, lawrenceSchool, "lawrence-editor"), wantStatus: 403}))
	if !strings.Contains(outsider["detail"].(string), newburyport) {
		t.Errorf("outsider detail = %v, want the targeted orgs named", outsider["detail"])
	}
	f.do(t, apiCall{method: "POST", target: path + "/responses", body: answer,
		header: f.signIn(t, domain.RoleAuditor, "", "auditor"), wantStatus: 403})
	badAnswer := map[string]any{"answers": map[string]any{"school_leadership": 6}}
	if got := decodeBody(t, f.do(t, apiCall{method: "POST", target: path + "/responses", body: badAnswer, header: teacher(2),
		invalidRequest: true, wantStatus: 400})); got["field"] != "answers/school_leadership" {
		t.Errorf("bad answer field = %v", got["field"])
	}

	// Results before close: Department only.
	f.do(t, apiCall{method: "GET", target: path + "/results", header: teacher(1), wantStatus: 403})
	f.do(t, apiCall{method: "GET", target: path + "/results", wantStatus: 401})
	early := decodeBody(t, f.do(t, apiCall{method: "GET", target: path + "/results", header: dese, wantStatus: 200}))
	if overall := early["results"].(map[string]any)["overall"].(map[string]any); overall["suppressed"] != true {
		t.Errorf("one respondent: overall = %v, want suppressed", overall)
	}

	for n := 2; n <= 5; n++ {
		a := map[string]any{"answers": map[string]any{"school_leadership": n, "focus_area": "Teacher leadership"}}
		f.do(t, apiCall{method: "POST", target: path + "/responses", body: a, header: teacher(n), wantStatus: 201})
	}
	district := f.signIn(t, domain.RoleApprover, newburyport, "nbpt-superintendent")
	f.do(t, apiCall{method: "POST", target: path + "/responses", body: answer, header: district, wantStatus: 201})

	listed := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/surveys?org=" + newburyportHigh, wantStatus: 200}))
	if items := listed["items"].([]any); len(items) != 1 || items[0].(map[string]any)["respondents"] != float64(6) {
		t.Errorf("surveys for Newburyport High = %v, want this survey with 6 respondents", items)
	}
	none := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/surveys?org=" + lawrenceSchool, wantStatus: 200}))
	if items := none["items"].([]any); len(items) != 0 {
		t.Errorf("surveys for a Lawrence school = %v, want none", items)
	}

	f.do(t, apiCall{method: "POST", target: path + "/close", header: teacher(1), wantStatus: 403})
	f.do(t, apiCall{method: "POST", target: path + "/close", body: map[string]any{"reason": "enough responses"}, header: dese, wantStatus: 200})
	f.do(t, apiCall{method: "POST", target: path + "/close", header: dese, wantStatus: 409})
	late := decodeBody(t, f.do(t, apiCall{method: "POST", target: path + "/responses", body: answer, header: teacher(6), wantStatus: 409}))
	if late["field"] != "closed_at" {
		t.Errorf("answer after close field = %v, want closed_at", late["field"])
	}

	public := decodeBody(t, f.do(t, apiCall{method: "GET", target: path + "/results", wantStatus: 200}))
	results := public["results"].(map[string]any)
	overall := results["overall"].(map[string]any)
	if overall["respondents"] != float64(6) || overall["suppressed"] != false {
		t.Fatalf("overall = %v, want 6 respondents reported", overall)
	}
	for _, q := range overall["questions"].([]any) {
		qr := q.(map[string]any)
		if qr["question_id"] == "school_leadership" {
			// Latest answers: 4 (teacher 1), 2, 3, 4, 5, and 4 from the superintendent.
			if qr["answered"] != float64(6) || qr["mean"] != 3.67 {
				t.Errorf("school_leadership = %v, want 6 answers with mean 3.67", qr)
			}
		}
	}
	got := decodeBody(t, f.do(t, apiCall{method: "GET", target: path, wantStatus: 200}))
	if got["status"] != "closed" {
		t.Errorf("status = %v, want closed", got["status"])
	}
	before := decodeBody(t, f.do(t, apiCall{method: "GET", target: path + "?basis=recorded&as_of=" + now.Add(-2*time.Hour).Format(time.RFC3339), wantStatus: 404}))
	if before["field"] != "id" {
		t.Errorf("survey read before issue: field %v, want id", before["field"])
	}

	// A survey that has not opened yet.
	later := map[string]any{"instrument_id": "cse-self-assessment", "org_codes": []any{newburyportHigh},
		"opens_at": now.Add(24 * time.Hour).Format(time.RFC3339), "closes_at": now.Add(48 * time.Hour).Format(time.RFC3339)}
	scheduled := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/surveys", body: later, header: dese, wantStatus: 201}))
	early2 := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/surveys/" + scheduled["survey"].(map[string]any)["id"].(string) + "/responses",
		body: map[string]any{"answers": map[string]any{"cse2": "Developing"}}, header: teacher(1), wantStatus: 409}))
	if early2["field"] != "opens_at" {
		t.Errorf("answer before opening field = %v, want opens_at", early2["field"])
	}
	f.do(t, apiCall{method: "GET", target: "/v1/surveys/" + scheduled["survey"].(map[string]any)["id"].(string) + "/results", header: teacher(1), wantStatus: 403})
}
