package http_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"regexp"
	"slices"
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

// Org codes and plan ids of the bundled Newburyport data, besides
// newburyport and newburyDIPID.
const (
	highSchool    = "02040505"
	molin         = "02040030"
	bresnahanSIP  = "616b54eb-2a0e-43f3-81a1-f83db33df9fa"
	molinSIP      = "00e49c23-e3ca-4123-8c9e-023274d897ab"
	nockSIP       = "ff5970cc-7844-4d93-b8e0-87a398965160"
	highSIP       = "ccd8efb0-355b-4a03-b9c1-f61e175e6d81"
	familiesGoal  = "ca1c3a89-dd3a-4a35-a1f0-aec0117dc912"
	plcObjective  = "51b18ca7-95d3-4ced-93ea-29d6d06a39c2"
	workflowTitle = "Newburyport High School Improvement Plan, 2016-17"
)

// newburyportRows returns the header and the Newburyport rows of the
// bundled enrollments.csv, enough to register the district and its four
// schools quickly.
func newburyportRows(t *testing.T) io.Reader {
	t.Helper()
	raw, err := fs.ReadFile(data.Bundled(), data.EnrollmentsPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	code := regexp.MustCompile(`,0204\d{4},`)
	var b strings.Builder
	b.WriteString(lines[0])
	for _, l := range lines[1:] {
		if code.MatchString(l) {
			b.WriteString(l)
		}
	}
	return strings.NewReader(b.String())
}

// newNewburyportFixture serves the bundled Newburyport orgs and plans. It
// imports only Newburyport's enrollment rows, which makes it much faster
// than newBundledFixture.
func newNewburyportFixture(t *testing.T) *fixture {
	t.Helper()
	doc, raw := loadOpenAPI(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	read := projections.New(logger)
	store := newMemoryStore(read)
	plans, err := data.Bundled().Open("ma/plans/newburyport.json")
	if err != nil {
		t.Fatal(err)
	}
	defer plans.Close()
	sum, err := importer.Run(context.Background(), store, read, importer.Sources{Enrollments: newburyportRows(t), Plans: plans}, nil)
	if err != nil {
		t.Fatalf("import bundled Newburyport data: %v", err)
	}
	if sum.PlansCreated != 5 {
		t.Fatalf("imported %d plans, want the 5 bundled ones", sum.PlansCreated)
	}
	verifier, err := auth.NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	handler := plhttp.NewServer(plhttp.Config{Commands: commands.New(store, read), Read: read, OpenAPI: raw,
		Version: "test", Logger: logger, Auth: verifier}).Handler()
	return &fixture{doc: doc, handler: handler, router: handler.(*mux.Router), secret: testSecret}
}

// version returns a plan's current version.
func (f *fixture) version(t *testing.T, planID string) float64 {
	t.Helper()
	return decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/plans/" + planID, wantStatus: 200}))["version"].(float64)
}

// write sends a plan write at the plan's current version and returns the
// decoded response.
func (f *fixture) write(t *testing.T, method, path string, caller map[string]string, body map[string]any, want int) map[string]any {
	t.Helper()
	planID := strings.Split(strings.TrimPrefix(path, "/v1/plans/"), "/")[0]
	if body == nil {
		body = map[string]any{}
	}
	body["expected_sequence"] = f.version(t, planID)
	// A request without a token breaks the document's security requirement
	// on purpose.
	return decodeBody(t, f.do(t, apiCall{method: method, target: path, header: caller, body: body, wantStatus: want,
		invalidRequest: caller == nil}))
}

// post is write for the workflow steps, which are all POSTs.
func (f *fixture) post(t *testing.T, path string, caller map[string]string, body map[string]any, want int) map[string]any {
	t.Helper()
	return f.write(t, "POST", path, caller, body, want)
}

func planStatus(t *testing.T, body map[string]any) string {
	t.Helper()
	return body["plan"].(map[string]any)["status"].(string)
}

func wantProblem(t *testing.T, body map[string]any, field string, details ...string) {
	t.Helper()
	if body["field"] != field {
		t.Errorf("problem field = %v, want %s (detail %v)", body["field"], field, body["detail"])
	}
	for _, d := range details {
		if !strings.Contains(body["detail"].(string), d) {
			t.Errorf("problem detail %q lacks %q", body["detail"], d)
		}
	}
}

func TestWorkflowWalkWithRoles(t *testing.T) {
	f := newNewburyportFixture(t)
	plan := "/v1/plans/" + highSIP
	principal := bearer(t, domain.RoleSchoolEditor, highSchool)
	council := bearer(t, domain.RoleCouncilMember, highSchool)
	superintendent := bearer(t, domain.RoleApprover, newburyport)
	meeting := map[string]any{"meeting_date": time.Now().Format(time.DateOnly), "notes": "Reviewed both goals"}

	wf := decodeBody(t, f.do(t, apiCall{method: "GET", target: plan + "/workflow", wantStatus: 200}))
	if wf["status"] != "draft" || wf["allowed_next_steps"].([]any)[0].(map[string]any)["action"] != "consult_council" {
		t.Fatalf("bundled SIP workflow = %v %v, want a draft whose next step is consult_council", wf["status"], wf["allowed_next_steps"])
	}

	// Submitting a draft skips the council.
	wantProblem(t, f.post(t, plan+"/submissions", principal, nil, 409), "status", "is draft", "council-consultations")

	// Only a council member of the school records the council's part.
	f.post(t, plan+"/council-consultations", nil, copyBody(meeting), 401)
	f.post(t, plan+"/council-consultations", superintendent, copyBody(meeting), 403)
	f.post(t, plan+"/council-consultations", bearer(t, domain.RoleCouncilMember, molin), copyBody(meeting), 403)
	if got := planStatus(t, f.post(t, plan+"/council-consultations", council, copyBody(meeting), 200)); got != "council_consulted" {
		t.Fatalf("status after the council = %s", got)
	}

	// Only the principal submits.
	f.post(t, plan+"/submissions", council, nil, 403)
	f.post(t, plan+"/submissions", bearer(t, domain.RoleDistrictEditor, newburyport), nil, 403)
	if got := planStatus(t, f.post(t, plan+"/submissions", principal, nil, 200)); got != "submitted" {
		t.Fatalf("status after submission = %s", got)
	}
	section := map[string]any{"text": "Average class size is 16.3; about 12 students per teacher."}
	wantProblem(t, f.write(t, "PUT", plan+"/sections/class_size", principal, copyBody(section), 409), "status", "submitted")

	// Only the district's superintendent returns it, with reasons.
	f.post(t, plan+"/returns", bearer(t, domain.RoleApprover, "00350000"), map[string]any{"reasons": []any{"x"}}, 403)
	f.post(t, plan+"/returns", principal, map[string]any{"reasons": []any{"x"}}, 403)
	bad := f.version(t, highSIP)
	f.do(t, apiCall{method: "POST", target: plan + "/returns", header: superintendent, body: map[string]any{"expected_sequence": bad},
		invalidRequest: true, wantStatus: 400})
	returned := f.post(t, plan+"/returns", superintendent, map[string]any{"reasons": []any{"State the class size ratio."}}, 200)
	if planStatus(t, returned) != "returned" {
		t.Fatalf("status after return = %s", planStatus(t, returned))
	}

	// A returned plan is edited, goes back to the council and is resubmitted.
	wantProblem(t, f.post(t, plan+"/submissions", principal, nil, 409), "status", "is returned")
	f.write(t, "PUT", plan+"/sections/class_size", principal, copyBody(section), 200)
	f.post(t, plan+"/council-consultations", council, copyBody(meeting), 200)
	if got := planStatus(t, f.post(t, plan+"/submissions", principal, nil, 200)); got != "resubmitted" {
		t.Fatalf("status after the second submission = %s, want resubmitted", got)
	}

	// Only the superintendent approves, after consulting the committee.
	committee := map[string]any{"school_committee_consulted_on": time.Now().Format(time.DateOnly)}
	f.post(t, plan+"/approvals", principal, copyBody(committee), 403)
	f.do(t, apiCall{method: "POST", target: plan + "/approvals", header: superintendent,
		body: map[string]any{"expected_sequence": f.version(t, highSIP)}, invalidRequest: true, wantStatus: 400})
	approved := f.post(t, plan+"/approvals", superintendent, copyBody(committee), 200)
	if planStatus(t, approved) != "approved" {
		t.Fatalf("status after approval = %s", planStatus(t, approved))
	}

	// An approved plan changes only after a recorded reopening.
	wantProblem(t, f.write(t, "PUT", plan+"/sections/class_size", principal, map[string]any{"text": "Changed"}, 409), "status", "reopenings")
	f.post(t, plan+"/reopenings", superintendent, map[string]any{"reason": "x"}, 403)
	reopened := f.post(t, plan+"/reopenings", principal, map[string]any{"reason": "New enrollment figures"}, 200)
	got := reopened["plan"].(map[string]any)
	if got["status"] != "draft" || got["revision"] != float64(2) {
		t.Errorf("after reopening: %v revision %v, want draft revision 2", got["status"], got["revision"])
	}

	wf = decodeBody(t, f.do(t, apiCall{method: "GET", target: plan + "/workflow", wantStatus: 200}))
	var types []string
	for _, s := range wf["workflow"].([]any) {
		types = append(types, s.(map[string]any)["type"].(string))
	}
	want := []string{"plan.council_consulted", "plan.submitted", "plan.returned", "plan.council_consulted",
		"plan.resubmitted", "plan.approved", "plan.reopened"}
	if !slices.Equal(types, want) {
		t.Errorf("workflow = %v, want %v", types, want)
	}
	steps := wf["workflow"].([]any)
	if actor := steps[5].(map[string]any)["actor"]; actor != "approver@"+newburyport {
		t.Errorf("approval recorded by %v, want the superintendent's subject", actor)
	}
}

func copyBody(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// requiredFailing returns the ids of a plan's failing required rules.
func requiredFailing(t *testing.T, f *fixture, planID string) []string {
	t.Helper()
	body := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/plans/" + planID + "/compliance", wantStatus: 200}))
	var out []string
	for _, id := range body["summary"].(map[string]any)["required_failing"].([]any) {
		out = append(out, id.(string))
	}
	return out
}

func TestComplianceBundledSIPs(t *testing.T) {
	f := newNewburyportFixture(t)
	want := map[string][]string{
		bresnahanSIP: {"sip.council_consulted", "sip.student_teacher_ratio"},
		molinSIP:     {"sip.dip_alignment", "sip.council_consulted", "sip.student_teacher_ratio", "sip.pd_english_learners"},
		nockSIP:      {"sip.council_consulted", "sip.student_teacher_ratio", "sip.pd_english_learners"},
		highSIP:      {"sip.council_consulted"},
		newburyDIPID: nil,
	}
	for id, ids := range want {
		if got := requiredFailing(t, f, id); !slices.Equal(got, ids) {
			t.Errorf("plan %s fails %v, want %v", id, got, ids)
		}
	}
	body := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/plans/" + molinSIP + "/compliance?as_of=2017-06-30", wantStatus: 200}))
	lm := body["language_minority"].(map[string]any)
	if lm["students"] != float64(78) || body["district_plan_id"] != newburyDIPID {
		t.Errorf("context = %v and DIP %v, want 78 students and DIP %s", lm, body["district_plan_id"], newburyDIPID)
	}
	for _, r := range body["rules"].([]any) {
		rule := r.(map[string]any)
		if rule["id"] == "sip.dip_alignment" && !strings.Contains(rule["detail"].(string), `goal "Families as partners" cites no DIP objective`) {
			t.Errorf("alignment detail %q does not name the goal", rule["detail"])
		}
	}
	f.do(t, apiCall{method: "GET", target: "/v1/plans/" + molinSIP + "/compliance?as_of=2016-06-30", wantStatus: 404})
}

func TestApprovalBlockedUntilFixed(t *testing.T) {
	f := newNewburyportFixture(t)
	plan := "/v1/plans/" + molinSIP
	principal := bearer(t, domain.RoleSchoolEditor, molin)
	council := bearer(t, domain.RoleCouncilMember, molin)
	superintendent := bearer(t, domain.RoleApprover, newburyport)
	today := time.Now().Format(time.DateOnly)

	f.post(t, plan+"/council-consultations", council, map[string]any{"meeting_date": today}, 200)
	f.post(t, plan+"/submissions", principal, nil, 200)
	blocked := f.post(t, plan+"/approvals", superintendent, map[string]any{"school_committee_consulted_on": today}, 400)
	wantProblem(t, blocked, "compliance", "sip.dip_alignment", "sip.student_teacher_ratio", "sip.pd_english_learners")
	if got := planStatus(t, decodeBody(t, f.do(t, apiCall{method: "GET", target: plan, wantStatus: 200}))); got != "submitted" {
		t.Fatalf("a blocked approval left the plan %s, want submitted", got)
	}

	f.post(t, plan+"/returns", superintendent, map[string]any{"reasons": []any{"Fix the failing checklist rules."}}, 200)
	body := decodeBody(t, f.do(t, apiCall{method: "GET", target: plan, wantStatus: 200}))
	var goal map[string]any
	for _, g := range body["plan"].(map[string]any)["goals"].([]any) {
		if g.(map[string]any)["id"] == familiesGoal {
			goal = copyBody(g.(map[string]any))
		}
	}
	goal["objectives"] = []any{plcObjective}
	f.write(t, "PUT", plan+"/goals/"+familiesGoal, principal, goal, 200)
	f.write(t, "PUT", plan+"/sections/class_size", principal, map[string]any{
		"text": "Average class size is 22.6 (2016-17); the council also reviewed the student-to-teacher ratio of each grade."}, 200)
	f.write(t, "PUT", plan+"/sections/professional_development", principal, map[string]any{
		"text": "PLCs meet weekly, paid from the district PD budget; teachers of English learners take the sheltered English course."}, 200)

	f.post(t, plan+"/council-consultations", council, map[string]any{"meeting_date": today}, 200)
	f.post(t, plan+"/submissions", principal, nil, 200)
	if got := planStatus(t, f.post(t, plan+"/approvals", superintendent, map[string]any{"school_committee_consulted_on": today}, 200)); got != "approved" {
		t.Errorf("status after fixing = %s, want approved", got)
	}
}

func TestDIPAdoption(t *testing.T) {
	f := newNewburyportFixture(t)
	plan := "/v1/plans/" + newburyDIPID
	superintendent := bearer(t, domain.RoleApprover, newburyport)
	editor := bearer(t, domain.RoleDistrictEditor, newburyport)
	committee := map[string]any{"school_committee_consulted_on": "2015-08-11", "effective_date": "2015-08-12"}

	f.post(t, plan+"/adoptions", editor, copyBody(committee), 403)
	f.post(t, plan+"/council-consultations", bearer(t, domain.RoleCouncilMember, highSchool), map[string]any{"meeting_date": "2015-08-01"}, 403)
	wantProblem(t, f.post(t, plan+"/approvals", superintendent, copyBody(committee), 409), "status", "cannot approve", "adopt")
	f.post(t, plan+"/adoptions", superintendent, copyBody(committee), 200)
	f.post(t, plan+"/adoptions", superintendent, copyBody(committee), 409)

	// The SIPs' advisory rule on the DIP's adoption now passes.
	body := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/plans/" + highSIP + "/compliance", wantStatus: 200}))
	if adv := body["summary"].(map[string]any)["advisory_failing"].([]any); len(adv) != 0 {
		t.Errorf("advisory failures after adoption = %v, want none", adv)
	}
	// As of the day before adoption, it was a draft.
	wf := decodeBody(t, f.do(t, apiCall{method: "GET", target: plan + "/workflow?as_of=2015-08-11", wantStatus: 200}))
	if wf["status"] != "draft" {
		t.Errorf("DIP as of 2015-08-11 = %v, want draft", wf["status"])
	}
	f.post(t, plan+"/reopenings", editor, map[string]any{"reason": "Add a fourth objective"}, 200)
}

// overdueReasons maps "kind org" to the reason of each item.
func overdueReasons(t *testing.T, f *fixture, query string) (map[string]any, map[string]string) {
	t.Helper()
	body := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs/" + newburyport + "/overdue" + query, wantStatus: 200}))
	out := map[string]string{}
	for _, it := range body["items"].([]any) {
		item := it.(map[string]any)
		out[item["kind"].(string)+" "+item["org_code"].(string)] = item["reason"].(string)
	}
	return body, out
}

func TestOverdueNewburyport(t *testing.T) {
	f := newNewburyportFixture(t)
	schools := []string{"02040005", molin, "02040305", highSchool}

	june, reasons := overdueReasons(t, f, "?as_of=2017-06-30")
	if june["school_year"] != float64(2017) || june["sip_deadline"] != "2016-07-01" {
		t.Errorf("as of 2017-06-30: year %v, deadline %v; want 2017 and 2016-07-01", june["school_year"], june["sip_deadline"])
	}
	for _, s := range schools {
		if reasons["sip "+s] != "not_submitted" {
			t.Errorf("as of 2017-06-30, school %s: %q, want not_submitted", s, reasons["sip "+s])
		}
	}
	if len(reasons) != 4 || june["district_plan"].(map[string]any)["plan_id"] != newburyDIPID {
		t.Errorf("as of 2017-06-30: items %v and DIP %v, want four SIPs and the covering DIP", reasons, june["district_plan"])
	}

	july, reasons := overdueReasons(t, f, "?as_of=2017-07-02")
	if july["school_year"] != float64(2018) || july["sip_deadline"] != "2017-07-01" {
		t.Errorf("as of 2017-07-02: year %v, deadline %v; want 2018 and 2017-07-01", july["school_year"], july["sip_deadline"])
	}
	for _, s := range schools {
		if reasons["sip "+s] != "missing" {
			t.Errorf("as of 2017-07-02, school %s: %q, want missing", s, reasons["sip "+s])
		}
	}
	if len(reasons) != 4 {
		t.Errorf("as of 2017-07-02: items %v, want the four missing 2017-18 SIPs", reasons)
	}

	// Record the high school's steps in May and June 2017: as of May 15 it
	// was not yet submitted, and as of June 30 it was approved, after its
	// July 1, 2016 deadline.
	plan := "/v1/plans/" + highSIP
	f.post(t, plan+"/council-consultations", bearer(t, domain.RoleCouncilMember, highSchool),
		map[string]any{"meeting_date": "2017-05-01", "effective_date": "2017-05-01"}, 200)
	f.post(t, plan+"/submissions", bearer(t, domain.RoleSchoolEditor, highSchool), map[string]any{"effective_date": "2017-05-20"}, 200)
	f.post(t, plan+"/approvals", bearer(t, domain.RoleApprover, newburyport),
		map[string]any{"school_committee_consulted_on": "2017-06-13", "effective_date": "2017-06-14"}, 200)
	if _, reasons := overdueReasons(t, f, "?as_of=2017-05-15"); reasons["sip "+highSchool] != "not_submitted" {
		t.Errorf("as of 2017-05-15: %q, want not_submitted", reasons["sip "+highSchool])
	}
	if _, reasons := overdueReasons(t, f, "?as_of=2017-05-25"); reasons["sip "+highSchool] != "not_approved" {
		t.Errorf("as of 2017-05-25: %q, want not_approved", reasons["sip "+highSchool])
	}
	if _, reasons := overdueReasons(t, f, "?as_of=2017-06-30"); reasons["sip "+highSchool] != "approved_late" {
		t.Errorf("as of 2017-06-30: %q, want approved_late", reasons["sip "+highSchool])
	}
	// The year parameter checks another year at the same instant.
	if body, reasons := overdueReasons(t, f, "?as_of=2017-06-30&year=2018"); body["deadline_passed"] != false || len(reasons) != 0 {
		t.Errorf("2017-18 as of 2017-06-30: deadline passed %v, items %v; want not passed and none", body["deadline_passed"], reasons)
	}
	if _, reasons := overdueReasons(t, f, "?as_of=2018-07-02"); reasons["dip "+newburyport] != "expired" {
		t.Errorf("as of 2018-07-02: DIP %q, want expired", reasons["dip "+newburyport])
	}

	f.do(t, apiCall{method: "GET", target: "/v1/orgs/" + highSchool + "/overdue", wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02049999/overdue", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/" + newburyport + "/overdue?year=17", invalidRequest: true, wantStatus: 400})
}

// flatPDFText returns the text of a PDF with runs of white space
// collapsed, so that wrapped table cells read as one line.
func flatPDFText(t *testing.T, body []byte) string {
	t.Helper()
	return strings.Join(strings.Fields(pdfText(t, body)), " ")
}

func TestPlanPDFChecklist(t *testing.T) {
	f := newNewburyportFixture(t)
	plan := "/v1/plans/" + highSIP
	f.post(t, plan+"/council-consultations", bearer(t, domain.RoleCouncilMember, highSchool),
		map[string]any{"meeting_date": "2017-05-01", "effective_date": "2017-05-01"}, 200)
	f.post(t, plan+"/submissions", bearer(t, domain.RoleSchoolEditor, highSchool), map[string]any{"effective_date": "2017-05-20"}, 200)
	f.post(t, plan+"/approvals", bearer(t, domain.RoleApprover, newburyport),
		map[string]any{"school_committee_consulted_on": "2017-06-13", "effective_date": "2017-06-14"}, 200)

	target := plan + "/pdf?as_of=2017-06-30"
	first := f.do(t, apiCall{method: "GET", target: target, wantStatus: 200})
	text := flatPDFText(t, first.Body.Bytes())
	for _, want := range []string{
		"Status and approval", "Status: approved · revision 1",
		"School council consulted", "Council met 2017-05-01", "Approved by the superintendent", "School committee consulted 2017-06-13",
		"Compliance checklist", "No required rule fails.", "Advisory rules failing: sip.dip_adopted.",
		"Assessment of student-to-teacher ratios", "sip.student_teacher_ratio · required", "M.G.L. c.71 s.59C; 603 CMR 2.03(5)(d)",
		"Goals aligned with the District Improvement Plan", "603 CMR 2.03(5)(b)", "Pass",
		"78 students whose first language is not English in 2016-17", "Legal basis UNVERIFIED",
		workflowTitle,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	again := f.do(t, apiCall{method: "GET", target: target, wantStatus: 200})
	if !bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) {
		t.Error("two prints of the same plan as of the same instant differ")
	}

	// As of May 10 only the council step had happened.
	may := flatPDFText(t, f.do(t, apiCall{method: "GET", target: plan + "/pdf?as_of=2017-05-10", wantStatus: 200}).Body.Bytes())
	if !strings.Contains(may, "Status: council consulted") || strings.Contains(may, "Approved by the superintendent") {
		t.Error("the PDF as of 2017-05-10 does not show the plan as council consulted only")
	}

	molinText := flatPDFText(t, f.do(t, apiCall{method: "GET", target: "/v1/plans/" + molinSIP + "/pdf", wantStatus: 200}).Body.Bytes())
	for _, want := range []string{
		"Status: draft · revision 1", "No workflow step recorded",
		"Required rules failing, which block approval: sip.dip_alignment, sip.council_consulted, sip.student_teacher_ratio, sip.pd_english_learners.",
		"Fail", `goal "Families as partners" cites no DIP objective`,
	} {
		if !strings.Contains(molinText, want) {
			t.Errorf("the Molin PDF lacks %q", want)
		}
	}
	if resp := f.do(t, apiCall{method: "GET", target: "/v1/plans/" + newburyDIPID + "/pdf", wantStatus: 200}); resp.Header().Get("Content-Type") != "application/pdf" {
		t.Errorf("DIP PDF content type %q", resp.Header().Get("Content-Type"))
	}
}
