package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

// appliedSequence returns the stream sequence the read model has applied.
func appliedSequence(t *testing.T, f *fixture) string {
	t.Helper()
	ready := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/readyz", wantStatus: 200}))
	return jsonNumber(ready["applied_stream_sequence"])
}

// levelsOf reads GET /v1/orgs/{code}/levels and checks it against the document.
func levelsOf(t *testing.T, f *fixture, code, asOf string) map[string]any {
	t.Helper()
	target := "/v1/orgs/" + code + "/levels"
	if asOf != "" {
		target += "?as_of=" + asOf
	}
	return decodeBody(t, f.do(t, apiCall{method: "GET", target: target, wantStatus: 200}))
}

// labelOf returns the label of a level view, or "" for null.
func labelOf(v any) string {
	m, _ := v.(map[string]any)
	label, _ := m["label"].(string)
	return label
}

func TestOrgLevelsMorganSpansSchemes(t *testing.T) {
	f := newBundledFixture(t)

	body := levelsOf(t, f, "01370025", "")
	items := body["items"].([]any)
	want := []struct{ scheme, label string }{
		{"levels", "Level 4"},
		{"levels", "Level 5"},
		{"levels", "Level 5"},
		{"accountability", "Underperforming or chronically underperforming status removed"},
	}
	if len(items) != len(want) {
		t.Fatalf("Morgan has %d entries, want %d: %v", len(items), len(want), items)
	}
	for i, w := range want {
		item := items[i].(map[string]any)
		if item["scheme"] != w.scheme || item["label"] != w.label || item["scheme_name"] == "" {
			t.Errorf("entry %d = %v %v, want %s %q", i, item["scheme"], item["label"], w.scheme, w.label)
		}
	}
	if last := items[3].(map[string]any); !strings.HasPrefix(last["effective_at"].(string), "2022-09-26") {
		t.Errorf("status removal effective %v, want 2022-09-26", last["effective_at"])
	}

	tests := []struct {
		asOf, scheme, current, earlier string
	}{
		{"2012-06-30", "levels", "Level 4", ""},
		{"2016-06-30", "levels", "Level 5", ""},
		{"2020-06-30", "accountability", "", "Level 5"},
		{"2023-06-30", "accountability", "Underperforming or chronically underperforming status removed", ""},
	}
	for _, tt := range tests {
		standing := levelsOf(t, f, "01370025", tt.asOf)["standing"].(map[string]any)
		if standing["scheme"] != tt.scheme {
			t.Errorf("%s: scheme %v, want %s", tt.asOf, standing["scheme"], tt.scheme)
		}
		if got := labelOf(standing["current"]); got != tt.current {
			t.Errorf("%s: current %q, want %q", tt.asOf, got, tt.current)
		}
		if got := labelOf(standing["earlier"]); got != tt.earlier {
			t.Errorf("%s: earlier %q, want %q", tt.asOf, got, tt.earlier)
		}
	}

	holyoke := levelsOf(t, f, "01370000", "2019-06-30")
	current := holyoke["standing"].(map[string]any)["current"].(map[string]any)
	if current["designation"] != "broad_comprehensive_support" || current["target_progress"] != "partially_meeting_targets" ||
		current["target_percent"] != float64(58) {
		t.Errorf("Holyoke in 2019 = %v, want broad/comprehensive support, partially meeting targets (58%%)", current)
	}
	if n := len(holyoke["items"].([]any)); n != 4 {
		t.Errorf("Holyoke as of 2019 has %d entries, want Level 4, Level 5, Level 5 (2017) and the 2018 designation", n)
	}

	f.do(t, apiCall{method: "GET", target: "/v1/orgs/02049999/levels", wantStatus: 404})
	f.do(t, apiCall{method: "GET", target: "/v1/orgs/01370025/levels?as_of=someday", wantStatus: 400})
	schemes := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/schemes", wantStatus: 200}))["items"].([]any)
	if len(schemes) != 2 || schemes[1].(map[string]any)["id"] != "accountability" {
		t.Errorf("schemes = %v, want levels then accountability", schemes)
	}
}

func TestLevelChangeDesignationFeed(t *testing.T) {
	f := newBundledFixture(t)
	dese := bearer(t, domain.RoleDepartment, "")
	levels := "/v1/orgs/{code}/levels"
	before := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/level-changes?limit=1000", wantStatus: 200}))
	after := appliedSequence(t, f)

	// Holyoke High's 2025 designation, from the document's example shape.
	body := f.example(t, "POST", levels, "holland2018")
	body["designation"], body["percentile"], body["effective_date"] = "focused_targeted_support", 3, "2026-09-30"
	body["reason"] = "Requiring assistance or intervention; focused/targeted support; lowest performing 10%; percentile 3"
	created := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/orgs/01370505/levels", header: dese, body: body, wantStatus: 201}))
	event := created["event"].(map[string]any)
	payload := event["payload"].(map[string]any)
	if payload["scheme"] != "accountability" || payload["percentile"] != float64(3) || payload["level"] != nil {
		t.Errorf("stored payload = %v, want scheme accountability, percentile 3 and no level", payload)
	}

	f.do(t, apiCall{method: "POST", target: "/v1/orgs/01370505/levels", header: dese,
		body: f.example(t, "POST", levels, "newburyportHigh2017"), wantStatus: 201})

	bad := []struct {
		name  string
		edit  map[string]any
		field string
	}{
		{"unknown scheme", map[string]any{"scheme": "recognition"}, "scheme"},
		{"percentile out of range", map[string]any{"percentile": 0}, "percentile"},
		{"level in accountability", map[string]any{"level": 4}, "level"},
		{"unknown designation", map[string]any{"designation": "schools_of_recognition"}, "designation"},
	}
	for _, b := range bad {
		req := f.example(t, "POST", levels, "holland2018")
		for k, v := range b.edit {
			req[k] = v
		}
		problem := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/orgs/01370505/levels", header: dese, body: req,
			invalidRequest: true, wantStatus: 400}))
		if problem["field"] != b.field {
			t.Errorf("%s: problem field %v, want %s", b.name, problem["field"], b.field)
		}
	}

	page := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/level-changes?after=" + after, wantStatus: 200}))
	items := page["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("feed after the import has %d items, want the 2 new changes", len(items))
	}
	for i, wantScheme := range []string{"accountability", "levels"} {
		if got := items[i].(map[string]any)["scheme"]; got != wantScheme {
			t.Errorf("feed item %d scheme %v, want %s", i, got, wantScheme)
		}
	}
	for _, item := range before["items"].([]any) {
		if item.(map[string]any)["scheme"] == nil {
			t.Fatalf("imported feed item without scheme: %v", item)
		}
	}

	// The stream sends the same scheme beside the envelope.
	srv := httptest.NewServer(f.handler)
	defer srv.Close()
	data := firstSSEData(t, srv.URL+"/v1/level-changes/stream?after="+after)
	var streamed map[string]any
	if err := json.Unmarshal([]byte(data), &streamed); err != nil {
		t.Fatalf("stream data %q: %v", data, err)
	}
	if streamed["scheme"] != "accountability" || streamed["aggregate_id"] != "01370505" {
		t.Errorf("streamed event = %v, want Holyoke High's designation with its scheme", streamed)
	}
	if err := f.doc.Components.Schemas["Event"].Value.VisitJSON(streamed); err != nil {
		t.Errorf("stream data does not match the Event schema: %v", err)
	}
}

// firstSSEData returns the data line of the first event of a stream.
func firstSSEData(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	for lines.Scan() {
		if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
			return data
		}
	}
	t.Fatalf("stream ended without an event: %v", lines.Err())
	return ""
}

// planPDFText fetches a plan PDF and returns its text as pdftotext reads
// it, with runs of white space made single spaces, and its bytes.
func planPDFText(t *testing.T, f *fixture, target string) (string, []byte) {
	t.Helper()
	body := f.do(t, apiCall{method: "GET", target: target, wantStatus: 200}).Body.Bytes()
	return strings.Join(strings.Fields(pdfText(t, body)), " "), body
}

func TestPlanCoverPrintsSchemeInForce(t *testing.T) {
	f := newBundledFixture(t)
	dipID, sipID := "0190e0c0-0000-7000-8000-00000000c001", "0190e0c0-0000-7000-8000-00000000c002"
	measure := []any{map[string]any{"description": "Students meeting expectations in ELA", "target": "a rise each year"}}
	f.do(t, apiCall{method: "POST", target: "/v1/plans", header: bearer(t, domain.RoleDistrictEditor, "01370000"), wantStatus: 201,
		body: map[string]any{"id": dipID, "kind": "dip", "org_code": "01370000", "first_year": 2018, "last_year": 2020,
			"title": "Test district plan", "effective_date": "2017-07-01",
			"objectives": []any{map[string]any{"id": "0190e0c0-0000-7000-8000-00000000c0a1", "title": "Literacy",
				"standards": []any{"curriculum_instruction"}, "outcomes": measure}}}})
	f.do(t, apiCall{method: "POST", target: "/v1/plans", header: bearer(t, domain.RoleSchoolEditor, "01370025"), wantStatus: 201,
		body: map[string]any{"id": sipID, "kind": "sip", "org_code": "01370025", "district_plan_id": dipID, "first_year": 2018,
			"title": "Test school plan", "effective_date": "2017-07-01"}})

	tests := []struct {
		plan, asOf string
		want       []string
	}{
		{dipID, "2018-06-30", []string{"Accountability level", "Level 5", "Scheme: Accountability and assistance levels 1 to 5"}},
		{dipID, "2019-06-30", []string{"Accountability status", "Requiring assistance or intervention: in need of broad/comprehensive support",
			"partially meeting targets (58%)", "Scheme: Accountability percentiles and designations (2018 and later)"}},
		{sipID, "2020-06-30", []string{"Accountability status", "None on record under Accountability percentiles and designations",
			"Last under Accountability and assistance levels 1 to 5:", "Level 5"}},
		{sipID, "2023-06-30", []string{"Underperforming or chronically underperforming status removed", "effective 2022-09-26"}},
	}
	for _, tt := range tests {
		text, _ := planPDFText(t, f, "/v1/plans/"+tt.plan+"/pdf?as_of="+tt.asOf)
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("PDF of %s as of %s lacks %q", tt.plan, tt.asOf, w)
			}
		}
	}
}
