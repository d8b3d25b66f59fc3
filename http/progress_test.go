package http_test

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
)

const (
	// graduationGoal is the bundled Newburyport High SIP goal "Every student
	// on track to graduate", whose first measure is the four-year
	// graduation rate.
	graduationGoal = "46a06aa1-b150-4b29-8c74-64c8c541a72e"
	graduationFile = "ma/dese/4B_2_four_year_grad.csv"
)

// graduationRate reads a school's four-year graduation rate and cohort for
// a school year ("2016-17") from the bundled DESE file.
func graduationRate(t *testing.T, code, year string) (rate float64, cohort string) {
	t.Helper()
	f, err := data.Bundled().Open(graduationFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", graduationFile, err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, row := range rows[1:] {
		if row[col["DESE ID"]] != code || row[col["Academic Year"]] != year {
			continue
		}
		rate, err := strconv.ParseFloat(strings.TrimSpace(row[col["% Graduated"]]), 64)
		if err != nil {
			t.Fatalf("%s %s: %% Graduated %q: %v", code, year, row[col["% Graduated"]], err)
		}
		return rate, strings.TrimSpace(row[col["# in Cohort"]])
	}
	t.Fatalf("%s has no row for %s %s", graduationFile, code, year)
	return 0, ""
}

// graduationProgress reads the plan's progress and returns the measure of
// the graduation goal at index 0, with the ETag.
func graduationProgress(t *testing.T, f *fixture, target string) (map[string]any, string) {
	t.Helper()
	rec := f.do(t, apiCall{method: "GET", target: target, wantStatus: 200})
	for _, m := range decodeBody(t, rec)["measures"].([]any) {
		if m := m.(map[string]any); m["item_id"] == graduationGoal && m["measure_index"] == float64(0) {
			return m, rec.Header().Get("ETag")
		}
	}
	t.Fatalf("%s lists no graduation measure", target)
	return nil, ""
}

func TestProgressNewburyportGraduation(t *testing.T) {
	f := newBundledFixture(t)
	sip := newburyportHighSIP
	plan := "/v1/plans/" + sip
	editor := bearer(t, domain.RoleSchoolEditor, newburyportHigh)

	measure, etag := graduationProgress(t, f, plan+"/progress")
	if measure["status"] != domain.StatusNoData || measure["baseline"] != "96.1% for a cohort of 178 (MA_Public_Schools_2017.csv)" {
		t.Errorf("bundled measure = %v, want its text baseline and no data", measure)
	}

	// State the plan's own baseline and target as numbers.
	view := decodeBody(t, f.do(t, apiCall{method: "GET", target: plan, wantStatus: 200}))
	var goal map[string]any
	for _, g := range view["plan"].(map[string]any)["goals"].([]any) {
		if g.(map[string]any)["id"] == graduationGoal {
			goal = g.(map[string]any)
		}
	}
	m0 := goal["measures"].([]any)[0].(map[string]any)
	m0["id"], m0["baseline_value"], m0["target_value"], m0["unit"], m0["direction"] = "graduation", 96.1, 97, "%", "higher"
	f.do(t, apiCall{method: "PUT", target: plan + "/goals/" + graduationGoal, header: withHeader(editor, "If-Match", etag),
		body: goal, wantStatus: 200})

	// Approve the plan: values recorded later change no content, so the
	// approved plan takes them without a reopening.
	today := time.Now().Format(time.DateOnly)
	f.post(t, plan+"/council-consultations", bearer(t, domain.RoleCouncilMember, newburyportHigh), map[string]any{"meeting_date": today}, 200)
	f.post(t, plan+"/submissions", editor, nil, 200)
	approved := f.post(t, plan+"/approvals", bearer(t, domain.RoleApprover, newburyport),
		map[string]any{"school_committee_consulted_on": today}, 200)
	if got := planStatus(t, approved); got != "approved" {
		t.Fatalf("plan status %s, want approved", got)
	}

	// Record the 2016-17 and 2017-18 rates from the bundled DESE file.
	years := []struct {
		label string
		year  int
	}{{"2016-17", 2017}, {"2017-18", 2018}}
	for _, y := range years {
		rate, cohort := graduationRate(t, newburyportHigh, y.label)
		_, etag = graduationProgress(t, f, plan+"/progress")
		body := f.example(t, "POST", "/v1/plans/{id}/progress", "graduation2017")
		body["year"], body["value"], body["note"] = y.year, rate, "cohort of "+cohort
		body["source"] = "DESE four-year graduation rate, " + y.label + " (bundled " + graduationFile + ")"
		written := decodeBody(t, f.do(t, apiCall{method: "POST", target: plan + "/progress", header: withHeader(editor, "If-Match", etag),
			body: body, wantStatus: 201}))
		if ev := written["event"].(map[string]any); ev["type"] != domain.TypeMeasureActualRecorded {
			t.Errorf("recorded event type %v", ev["type"])
		}
	}

	measure, etag = graduationProgress(t, f, plan+"/progress")
	actuals := measure["actuals"].([]any)
	if len(actuals) != 2 || actuals[0].(map[string]any)["value"] != 94.4 || actuals[1].(map[string]any)["value"] != 95.4 {
		t.Fatalf("actuals = %v, want 94.4 (2016-17) and 95.4 (2017-18) from the DESE file", actuals)
	}
	// The SIP's target year is 2016-17, and 94.4% fell short of 97%.
	if measure["status"] != domain.StatusNotMet || !strings.Contains(measure["reason"].(string), "95.4% in 2017-18") {
		t.Errorf("status %v (%v), want not_met on the 2017-18 rate", measure["status"], measure["reason"])
	}

	// The plan JSON carries the actuals and the same progress, and the
	// plan is still approved.
	view = decodeBody(t, f.do(t, apiCall{method: "GET", target: plan, wantStatus: 200}))
	if got := planStatus(t, view); got != "approved" {
		t.Errorf("plan status after recording actuals = %s, want approved", got)
	}
	if n := len(view["plan"].(map[string]any)["actuals"].([]any)); n != 2 {
		t.Errorf("plan JSON has %d actuals, want 2", n)
	}
	found := false
	for _, p := range view["progress"].([]any) {
		if p := p.(map[string]any); p["measure_id"] == "graduation" {
			found = p["status"] == domain.StatusNotMet
		}
	}
	if !found {
		t.Errorf("plan JSON progress lacks the graduation measure as not_met: %v", view["progress"])
	}

	// Before the numbers were stated, as of an earlier instant, there was
	// nothing to judge.
	if early, _ := graduationProgress(t, f, plan+"/progress?as_of=2020-01-01"); early["status"] != domain.StatusNoData ||
		len(early["actuals"].([]any)) != 0 {
		t.Errorf("progress as of 2020-01-01 = %v, want no actuals and no data", early)
	}

	// The PDF prints a Progress section with the same figures, and a
	// reprint at the same instant and version gives the same bytes.
	version := strings.Trim(etag, `"`)
	pdfTarget := fmt.Sprintf("%s/pdf?as_of=%s&version=%s", plan, "2030-01-01", version)
	text, first := planPDFText(t, f, pdfTarget)
	for _, want := range []string{"Progress", "Four-year graduation rate", "96.1% → 97% †", "by 2016-17, higher is better",
		"2016-17: 94.4%", "2017-18: 95.4%", "cohort of 214", "Not met"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if _, again := planPDFText(t, f, pdfTarget); string(again) != string(first) {
		t.Error("a reprint at the same as_of and version differs")
	}
}

func TestProgressRecordRejects(t *testing.T) {
	f := newBundledFixture(t)
	sip := newburyportHighSIP
	target := "/v1/plans/" + sip + "/progress"
	_, etag := graduationProgress(t, f, target)
	editor := withHeader(bearer(t, domain.RoleSchoolEditor, newburyportHigh), "If-Match", etag)
	valid := func() map[string]any {
		return map[string]any{"item_id": graduationGoal, "measure_index": 0, "year": 2017, "value": 94.4, "source": "DESE"}
	}

	f.do(t, apiCall{method: "POST", target: target, header: map[string]string{"If-Match": etag}, body: valid(),
		invalidRequest: true, wantStatus: 401})
	f.do(t, apiCall{method: "POST", target: target, header: withHeader(bearer(t, domain.RoleCouncilMember, newburyportHigh), "If-Match", etag),
		body: valid(), wantStatus: 403})
	f.do(t, apiCall{method: "POST", target: target, header: withHeader(bearer(t, domain.RoleSchoolEditor, "02040305"), "If-Match", etag),
		body: valid(), wantStatus: 403})
	f.do(t, apiCall{method: "POST", target: target, header: bearer(t, domain.RoleSchoolEditor, newburyportHigh),
		body: valid(), wantStatus: 428})
	f.do(t, apiCall{method: "POST", target: target, header: withHeader(bearer(t, domain.RoleSchoolEditor, newburyportHigh), "If-Match", `"1"`),
		body: valid(), wantStatus: 412})
	f.do(t, apiCall{method: "POST", target: "/v1/plans/0190e0c0-0000-7000-8000-00000000dead/progress", header: editor,
		body: valid(), wantStatus: 404})

	bad := []struct {
		name   string
		edit   map[string]any
		status int
		field  string
	}{
		{"index out of range", map[string]any{"measure_index": 5}, 400, "measure_index"},
		{"unknown goal", map[string]any{"item_id": "0190e0c0-0000-7000-8000-00000000beef"}, 404, "item_id"},
		{"value not a number", map[string]any{"value": "94.4%"}, 400, "value"},
		{"missing source", map[string]any{"source": " "}, 400, "source"},
		{"unknown field", map[string]any{"valeu": 1}, 400, "valeu"},
	}
	for _, b := range bad {
		body := valid()
		for k, v := range b.edit {
			body[k] = v
		}
		problem := decodeBody(t, f.do(t, apiCall{method: "POST", target: target, header: editor, body: body,
			invalidRequest: true, wantStatus: b.status}))
		if problem["field"] != b.field {
			t.Errorf("%s: problem field %v, want %s", b.name, problem["field"], b.field)
		}
	}

	// A district editor may record progress for the district's schools.
	district := withHeader(bearer(t, domain.RoleDistrictEditor, "02040000"), "If-Match", etag)
	f.do(t, apiCall{method: "POST", target: target, header: district, body: valid(), wantStatus: 201})
	f.do(t, apiCall{method: "GET", target: target + "?as_of=June", wantStatus: 400})
	f.do(t, apiCall{method: "GET", target: "/v1/plans/0190e0c0-0000-7000-8000-00000000dead/progress", wantStatus: 404})
}
