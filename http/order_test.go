package http_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/planledger/planledger/domain"
)

// A step of a review may not be dated in the future nor before the step
// that precedes it, so an as-of read never shows a report without the
// findings it was issued with.
func TestEffectiveOrderReview(t *testing.T) {
	f := newBundledFixture(t)
	dept := bearer(t, domain.RoleDepartment, "")
	review := reviewOf(t, decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/reviews", header: dept,
		body: f.example(t, "POST", "/v1/reviews", "holyokeLevel4"), wantStatus: 201})))
	base := "/v1/reviews/" + review["id"].(string)
	f.do(t, apiCall{method: "POST", target: base + "/conducted", header: dept,
		body: f.example(t, "POST", "/v1/reviews/{id}/conducted", "holyoke"), wantStatus: 200})

	badCode := f.example(t, "POST", "/v1/reviews", "holyokeLevel4")
	badCode["district_code"], badCode["id"] = "0137", "6d1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
	problemField(t, decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/reviews", header: dept, body: badCode,
		invalidRequest: true, wantStatus: 400})), "district_code")

	finding := f.example(t, "POST", "/v1/reviews/{id}/findings", "challenge")
	finding["effective_date"] = "2040-01-01"
	future := decodeBody(t, f.do(t, apiCall{method: "POST", target: base + "/findings", header: dept, body: finding, wantStatus: 400}))
	problemField(t, future, "effective_date")

	finding["effective_date"] = "2014-01-02"
	early := decodeBody(t, f.do(t, apiCall{method: "POST", target: base + "/findings", header: dept, body: finding, wantStatus: 400}))
	problemField(t, early, "effective_date")

	finding["effective_date"] = "2014-02-14"
	f.do(t, apiCall{method: "POST", target: base + "/findings", header: dept, body: finding, wantStatus: 201})
	report := decodeBody(t, f.do(t, apiCall{method: "POST", target: base + "/report", header: dept,
		body: map[string]any{"published_on": "2014-02-10", "expected_sequence": 3, "effective_date": "2014-02-10"}, wantStatus: 400}))
	problemField(t, report, "effective_date")
}

// A self-evaluation cannot be completed on a day before its last rating.
func TestEffectiveOrderSelfEvaluation(t *testing.T) {
	f := newBundledFixture(t)
	editor := bearer(t, domain.RoleDistrictEditor, newburyportDistrict)
	f.do(t, apiCall{method: "POST", target: "/v1/self-evaluations", header: editor,
		body: f.example(t, "POST", "/v1/self-evaluations", "newburyport2016"), wantStatus: 201})

	fraction := decodeBody(t, f.do(t, apiCall{method: "PUT", target: selfEvaluationTarget + "/ratings/assessment", header: editor,
		body: json.RawMessage(`{"rating": 2.0, "expected_sequence": 1}`), invalidRequest: true, wantStatus: 400}))
	problemField(t, fraction, "rating")
	if detail, _ := fraction["detail"].(string); !strings.Contains(detail, "whole number") {
		t.Errorf("rating 2.0 detail = %q, want it to ask for a whole number", detail)
	}

	rating := map[string]any{"rating": 2, "expected_sequence": 1, "effective_date": "2040-01-01"}
	future := decodeBody(t, f.do(t, apiCall{method: "PUT", target: selfEvaluationTarget + "/ratings/assessment", header: editor,
		body: rating, wantStatus: 400}))
	problemField(t, future, "effective_date")

	standards := []string{"assessment", "curriculum_instruction", "human_resources_pd", "financial_asset_management",
		"leadership_governance", "student_support"}
	for i, standard := range standards {
		rating = map[string]any{"rating": 2, "expected_sequence": i + 1, "effective_date": "2016-04-01"}
		f.do(t, apiCall{method: "PUT", target: selfEvaluationTarget + "/ratings/" + standard, header: editor, body: rating, wantStatus: 200})
	}
	early := decodeBody(t, f.do(t, apiCall{method: "POST", target: selfEvaluationTarget + "/complete", header: editor,
		body: map[string]any{"expected_sequence": 7, "effective_date": "2016-03-15"}, wantStatus: 400}))
	problemField(t, early, "effective_date")
	f.do(t, apiCall{method: "POST", target: selfEvaluationTarget + "/complete", header: editor,
		body: map[string]any{"expected_sequence": 7, "effective_date": "2016-04-01"}, wantStatus: 200})

	// The DIP's workflow reads the completed self-evaluation.
	workflow := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/plans/" + newburyportDIP + "/workflow", wantStatus: 200}))
	item := find(t, workflow["due"], "key", "self_evaluation_2016")
	if item["state"] != "met" {
		t.Errorf("self_evaluation_2016 state = %v, want met", item["state"])
	}
	if detail, _ := item["detail"].(string); !strings.Contains(detail, "completed 2016-04-01 (started 2016-03-01)") {
		t.Errorf("self_evaluation_2016 detail = %q, want the completion and start days", detail)
	}
}
