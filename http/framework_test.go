package http_test

import (
	"slices"
	"testing"

	"github.com/planledger/planledger/domain"
)

// Ids of the bundled Newburyport plans, besides familiesGoal and
// plcObjective.
const (
	newburyportDIP       = "1496d2f4-3f89-4c37-8c47-d3358c42ebf0"
	selObjective         = "9c5162bc-a5a2-4d37-b00d-da70401f3be4"
	supportsObjective    = "dcf36b25-84e4-4a1e-b7cb-0360a34e4223"
	newburyportHighSIP   = "ccd8efb0-355b-4a03-b9c1-f61e175e6d81"
	newburyportSelfEval  = "02040000-2016"
	newburyportDistrict  = "02040000"
	newburyportHighCode  = "02040505"
	selfEvaluationTarget = "/v1/self-evaluations/" + newburyportSelfEval
)

// keysOf returns the "key" field of each object in a JSON array.
func keysOf(items any) []string {
	var out []string
	for _, item := range items.([]any) {
		out = append(out, item.(map[string]any)["key"].(string))
	}
	return out
}

// stringsOf returns the strings of a JSON array.
func stringsOf(items any) []string {
	var out []string
	for _, item := range items.([]any) {
		out = append(out, item.(string))
	}
	return out
}

// find returns the object in a JSON array whose field has the value.
func find(t *testing.T, items any, field, value string) map[string]any {
	t.Helper()
	for _, item := range items.([]any) {
		if m := item.(map[string]any); m[field] == value {
			return m
		}
	}
	t.Fatalf("no item with %s %q", field, value)
	return nil
}

func TestFrameworkCatalogRoutes(t *testing.T) {
	f := newFixture(t)
	list := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/framework", wantStatus: 200}))
	if got := keysOfField(list["items"], "version"); !slices.Equal(got, []string{"dsi-2010", "dsi-2013", "dsi-2017"}) {
		t.Errorf("versions = %v, want dsi-2010, dsi-2013, dsi-2017", got)
	}
	if list["current"] != "dsi-2017" {
		t.Errorf("current = %v, want dsi-2017", list["current"])
	}

	detail := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/framework/dsi-2013", wantStatus: 200}))
	fw := detail["framework"].(map[string]any)
	lg := find(t, fw["standards"], "key", "leadership_governance")
	if lg["name"] != "Leadership, Governance and Communication" {
		t.Errorf("dsi-2013 leadership_governance name = %v", lg["name"])
	}
	if n := len(lg["indicators"].([]any)); n != 5 {
		t.Errorf("dsi-2013 leadership_governance has %d indicators, want 5", n)
	}
	if n := len(fw["conditions"].([]any)); n != 11 {
		t.Errorf("dsi-2013 has %d conditions, want 11", n)
	}
	if n := len(detail["rating_scale"].([]any)); n != 4 {
		t.Errorf("rating scale has %d levels, want 4", n)
	}
	f.do(t, apiCall{method: "GET", target: "/v1/framework/dsi-1999", wantStatus: 404})
	// The older catalog route keeps serving the regulation's names.
	ref := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/reference", wantStatus: 200}))
	if got := keysOf(ref["district_standards"]); len(got) != 6 {
		t.Errorf("/v1/reference lists %d standards, want 6", len(got))
	}
}

func keysOfField(items any, field string) []string {
	var out []string
	for _, item := range items.([]any) {
		out = append(out, item.(map[string]any)[field].(string))
	}
	return out
}

func TestCoverageBundledNewburyport(t *testing.T) {
	f := newBundledFixture(t)
	body := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040000/coverage?year=2017", wantStatus: 200}))
	if body["framework_version"] != "dsi-2013" {
		t.Errorf("framework_version = %v, want dsi-2013 for 2016-17", body["framework_version"])
	}
	if n := len(body["plans"].([]any)); n != 5 {
		t.Errorf("coverage counts %d plans, want the DIP and four SIPs", n)
	}
	if got := stringsOf(body["unserved_standards"]); !slices.Equal(got, []string{"financial_asset_management"}) {
		t.Errorf("unserved standards = %v, want financial_asset_management", got)
	}
	wantUnserved := []string{"district_support_intervention", "school_leadership", "aligned_curriculum",
		"effective_instruction", "principal_staffing_authority", "resources_budget_authority"}
	if got := stringsOf(body["unserved_conditions"]); !slices.Equal(got, wantUnserved) {
		t.Errorf("unserved conditions = %v, want %v", got, wantUnserved)
	}
	pd := find(t, body["conditions"], "key", "pd_collaboration")
	if objs := pd["objectives"].([]any); len(objs) != 1 || objs[0].(map[string]any)["objective_id"] != plcObjective {
		t.Errorf("pd_collaboration objectives = %v, want the PLC objective", objs)
	}
	family := find(t, body["conditions"], "key", "family_school_engagement")
	goals := family["goals"].([]any)
	if len(goals) != 1 || goals[0].(map[string]any)["goal_id"] != familiesGoal {
		t.Errorf("family_school_engagement goals = %v, want Molin's families goal", goals)
	}
	support := find(t, body["standards"], "key", "student_support")
	if n := len(support["goals"].([]any)); n != 5 {
		t.Errorf("student_support is cited by %d goals, want 5", n)
	}
	lg := find(t, body["standards"], "key", "leadership_governance")
	if lg["name"] != "Leadership, Governance and Communication" {
		t.Errorf("leadership_governance is named %v, want the dsi-2013 name", lg["name"])
	}

	now := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040000/coverage", wantStatus: 200}))
	if now["framework_version"] != "dsi-2017" {
		t.Errorf("framework_version now = %v, want dsi-2017", now["framework_version"])
	}
	none := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040000/coverage?year=2020", wantStatus: 200}))
	if n := len(none["unserved_conditions"].([]any)); n != 11 {
		t.Errorf("2019-20 has %d unserved conditions, want all 11: no plan covers it", n)
	}
	before := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040000/coverage?as_of=2016-06-30", wantStatus: 200}))
	if n := len(before["plans"].([]any)); n != 1 {
		t.Errorf("as of 2016-06-30 coverage counts %d plans, want the DIP only", n)
	}

	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040505/coverage", wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/0204/coverage", invalidRequest: true, wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02049999/coverage", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040000/coverage?year=abc", invalidRequest: true, wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040000/coverage?as_of=2009-01-01", wantStatus: 400})
}

func TestSelfEvaluationBundledNewburyport(t *testing.T) {
	f := newBundledFixture(t)
	editor := bearer(t, domain.RoleDistrictEditor, newburyportDistrict)
	ifMatch := func(v string) map[string]string {
		return bearer(t, domain.RoleDistrictEditor, newburyportDistrict, "If-Match", v)
	}
	start := f.example(t, "POST", "/v1/self-evaluations", "newburyport2016")

	// Sign-in and role checks.
	f.do(t, apiCall{method: "POST", target: "/v1/self-evaluations", body: start, invalidRequest: true, wantStatus: 401})
	f.do(t, apiCall{method: "POST", target: "/v1/self-evaluations", header: bearer(t, domain.RoleSchoolEditor, newburyportHighCode),
		body: start, wantStatus: 403})
	f.do(t, apiCall{method: "POST", target: "/v1/self-evaluations", header: bearer(t, domain.RoleDistrictEditor, "00350000"),
		body: start, wantStatus: 403})

	created := f.do(t, apiCall{method: "POST", target: "/v1/self-evaluations", header: editor, body: start, wantStatus: 201})
	if got := created.Header().Get("ETag"); got != `"1"` {
		t.Errorf("start ETag = %s, want \"1\"", got)
	}
	eval := decodeBody(t, created)["self_evaluation"].(map[string]any)
	if eval["id"] != newburyportSelfEval || eval["framework_version"] != "dsi-2013" {
		t.Errorf("started %v under %v, want %s under dsi-2013", eval["id"], eval["framework_version"], newburyportSelfEval)
	}
	f.do(t, apiCall{method: "POST", target: "/v1/self-evaluations", header: editor, body: start, wantStatus: 409})
	f.do(t, apiCall{method: "POST", target: "/v1/self-evaluations", header: editor,
		body: map[string]any{"district_code": newburyportHighCode, "year": 2016}, wantStatus: 400})
	mistyped := f.do(t, apiCall{method: "POST", target: "/v1/self-evaluations", header: editor,
		body: map[string]any{"district_code": newburyportDistrict, "year": "2016"}, invalidRequest: true, wantStatus: 400})
	if got := decodeBody(t, mistyped)["field"]; got != "year" {
		t.Errorf("year as a string: field = %v, want year", got)
	}

	// Ratings and evidence from the document's examples, then the rest.
	ratings := "/v1/self-evaluations/{id}/ratings/{standard}"
	f.do(t, apiCall{method: "PUT", target: selfEvaluationTarget + "/ratings/student_support", header: editor,
		body: f.example(t, "PUT", ratings, "studentSupport"), wantStatus: 200})
	f.do(t, apiCall{method: "PUT", target: selfEvaluationTarget + "/ratings/leadership_governance", header: editor,
		body: f.example(t, "PUT", ratings, "leadership"), wantStatus: 200})
	f.do(t, apiCall{method: "POST", target: selfEvaluationTarget + "/evidence", header: editor,
		body: f.example(t, "POST", "/v1/self-evaluations/{id}/evidence", "crisisCounts"), wantStatus: 201})
	f.do(t, apiCall{method: "PUT", target: selfEvaluationTarget + "/ratings/athletics", header: ifMatch(`"4"`),
		body: map[string]any{"rating": 2}, wantStatus: 404})
	f.do(t, apiCall{method: "PUT", target: selfEvaluationTarget + "/ratings/assessment", header: ifMatch(`"1"`),
		body: map[string]any{"rating": 2}, wantStatus: 412})
	f.do(t, apiCall{method: "PUT", target: selfEvaluationTarget + "/ratings/assessment", header: editor,
		body: map[string]any{"rating": 2}, wantStatus: 428})
	bad := f.do(t, apiCall{method: "PUT", target: selfEvaluationTarget + "/ratings/assessment", header: ifMatch(`"4"`),
		body: map[string]any{"rating": 2, "indicators": []string{"assessment.data_use"}}, wantStatus: 400})
	if got := decodeBody(t, bad)["field"]; got != "indicators/0" {
		t.Errorf("unavailable indicator: field = %v, want indicators/0", got)
	}
	f.do(t, apiCall{method: "POST", target: selfEvaluationTarget + "/complete", header: ifMatch(`"4"`),
		body: map[string]any{}, wantStatus: 400})
	for i, r := range []struct {
		standard string
		rating   int
	}{{"assessment", 2}, {"curriculum_instruction", 3}, {"human_resources_pd", 3}, {"financial_asset_management", 1}} {
		f.do(t, apiCall{method: "PUT", target: selfEvaluationTarget + "/ratings/" + r.standard, header: ifMatch(jsonNumber(4 + i)),
			body: map[string]any{"rating": r.rating}, wantStatus: 200})
	}
	f.do(t, apiCall{method: "POST", target: selfEvaluationTarget + "/complete", header: editor,
		body: f.example(t, "POST", "/v1/self-evaluations/{id}/complete", "complete"), wantStatus: 200})
	f.do(t, apiCall{method: "PUT", target: selfEvaluationTarget + "/ratings/assessment", header: ifMatch(`"9"`),
		body: map[string]any{"rating": 3}, wantStatus: 409})

	// The follow-up: the 2016-2018 DIP runs past 2015-16.
	got := decodeBody(t, f.do(t, apiCall{method: "GET", target: selfEvaluationTarget, wantStatus: 200}))
	follow := got["follow_up"].(map[string]any)
	if plans := follow["later_plans"].([]any); len(plans) != 1 || plans[0].(map[string]any)["id"] != newburyportDIP {
		t.Errorf("later plans = %v, want the bundled DIP", plans)
	}
	if low := keysOfField(follow["low_ratings"], "standard"); !slices.Equal(low, []string{"assessment", "student_support", "financial_asset_management"}) {
		t.Errorf("low ratings = %v, want assessment, student_support, financial_asset_management", low)
	}
	if un := stringsOf(follow["unaddressed_standards"]); !slices.Equal(un, []string{"financial_asset_management"}) {
		t.Errorf("unaddressed = %v, want financial_asset_management", un)
	}
	support := find(t, follow["low_ratings"], "standard", "student_support")
	if ids := keysOfField(support["addressed_by"], "objective_id"); !slices.Equal(ids, []string{selObjective, supportsObjective}) {
		t.Errorf("student_support addressed by %v, want the SEL and academic supports objectives", ids)
	}

	// An objective of the DIP names the rating it answers.
	view := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/plans/" + newburyportDIP, wantStatus: 200}))
	plan := view["plan"].(map[string]any)
	objective := find(t, plan["objectives"], "id", selObjective)
	objective["self_evaluations"] = []any{map[string]any{"id": newburyportSelfEval, "standard": "assessment"}}
	// The bundled DIP's version counts its objectives and data analyses.
	objective["expected_sequence"] = view["version"]
	dipEditor := bearer(t, domain.RoleDistrictEditor, newburyportDistrict)
	rejected := f.do(t, apiCall{method: "PUT", target: "/v1/plans/" + newburyportDIP + "/objectives/" + selObjective, header: dipEditor,
		body: objective, wantStatus: 400})
	if got := decodeBody(t, rejected)["field"]; got != "self_evaluations/0/standard" {
		t.Errorf("answering an uncited standard: field = %v, want self_evaluations/0/standard", got)
	}
	objective["self_evaluations"] = []any{map[string]any{"id": newburyportSelfEval, "standard": "student_support"}}
	f.do(t, apiCall{method: "PUT", target: "/v1/plans/" + newburyportDIP + "/objectives/" + selObjective, header: dipEditor,
		body: objective, wantStatus: 200})
	got = decodeBody(t, f.do(t, apiCall{method: "GET", target: selfEvaluationTarget, wantStatus: 200}))
	support = find(t, got["follow_up"].(map[string]any)["low_ratings"], "standard", "student_support")
	for _, a := range support["addressed_by"].([]any) {
		answer := a.(map[string]any)
		if want := answer["objective_id"] == selObjective; answer["answers_rating"] != want {
			t.Errorf("objective %v answers_rating = %v, want %v", answer["objective_id"], answer["answers_rating"], want)
		}
	}

	// As of the start date, nothing was rated yet.
	early := decodeBody(t, f.do(t, apiCall{method: "GET", target: selfEvaluationTarget + "?as_of=2016-03-01", wantStatus: 200}))
	if n := len(early["self_evaluation"].(map[string]any)["ratings"].([]any)); n != 0 {
		t.Errorf("as of 2016-03-01 the evaluation has %d ratings, want 0", n)
	}
	f.do(t, apiCall{method: "GET", target: selfEvaluationTarget + "?as_of=2016-02-28", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: "/v1/self-evaluations/newburyport", wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/self-evaluations/02040000-2030", wantStatus: 404})

	list := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040000/self-evaluations", wantStatus: 200}))
	items := list["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("district lists %d self-evaluations, want 1", len(items))
	}
	if item := items[0].(map[string]any); item["rated"] != float64(6) || item["completed"] != true {
		t.Errorf("list item = %v, want 6 rated and completed", item)
	}
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040505/self-evaluations", wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02049999/self-evaluations", wantStatus: 404})
}

func TestGoalCitationRejectedBundled(t *testing.T) {
	f := newBundledFixture(t)
	school := bearer(t, domain.RoleSchoolEditor, newburyportHighCode)
	goal := map[string]any{
		"title":             "Families at every conference",
		"measures":          []any{map[string]any{"description": "Families attending", "target": "90%"}},
		"conditions":        []any{"family_school_engagement", "cse_10"},
		"expected_sequence": 3,
	}
	res := f.do(t, apiCall{method: "POST", target: "/v1/plans/" + newburyportHighSIP + "/goals", header: school,
		body: goal, invalidRequest: true, wantStatus: 400})
	problem := decodeBody(t, res)
	if problem["field"] != "conditions/1" {
		t.Errorf("field = %v, want conditions/1", problem["field"])
	}
	goal["conditions"] = []any{"family_school_engagement"}
	goal["standards"] = []any{"student_support"}
	added := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/plans/" + newburyportHighSIP + "/goals", header: school,
		body: goal, wantStatus: 201}))
	goals := added["plan"].(map[string]any)["goals"].([]any)
	last := goals[len(goals)-1].(map[string]any)
	if got := stringsOf(last["conditions"]); !slices.Equal(got, []string{"family_school_engagement"}) {
		t.Errorf("stored goal conditions = %v", got)
	}
}
