package http_test

import (
	"testing"

	"github.com/planledger/planledger/domain"
)

func TestSelfEvaluationStartKeyedRetry(t *testing.T) {
	f := newBundledFixture(t)
	keyed := bearer(t, domain.RoleDistrictEditor, newburyportDistrict, "Idempotency-Key", "start-newburyport-2016")
	start := f.example(t, "POST", "/v1/self-evaluations", "newburyport2016")
	first := f.do(t, apiCall{method: "POST", target: "/v1/self-evaluations", header: keyed, body: start, wantStatus: 201})
	again := f.do(t, apiCall{method: "POST", target: "/v1/self-evaluations", header: keyed, body: start, wantStatus: 201})
	if got := again.Header().Get("Idempotent-Replayed"); got != "true" {
		t.Errorf("repeat Idempotent-Replayed = %q, want true", got)
	}
	firstEvent := decodeBody(t, first)["event"].(map[string]any)["id"]
	if got := decodeBody(t, again)["event"].(map[string]any)["id"]; got != firstEvent {
		t.Errorf("repeat event id = %v, want the first attempt's %v", got, firstEvent)
	}
}

func TestReviewScheduleTwice(t *testing.T) {
	f := newBundledFixture(t)
	dept := bearer(t, domain.RoleDepartment, "")
	body := f.example(t, "POST", "/v1/reviews", "holyokeLevel4")
	created := reviewOf(t, decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/reviews", header: dept, body: body, wantStatus: 201})))
	body["id"] = created["id"]
	again := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/reviews", header: dept, body: body, wantStatus: 409}))
	if again["field"] != "id" {
		t.Errorf("second schedule field = %v, want id", again["field"])
	}
}

func TestFactualAccuracyCommentsRequired(t *testing.T) {
	f := newBundledFixture(t)
	dept := bearer(t, domain.RoleDepartment, "")
	review := reviewOf(t, decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/reviews", header: dept,
		body: f.example(t, "POST", "/v1/reviews", "holyokeLevel4"), wantStatus: 201})))
	path := "/v1/reviews/" + review["id"].(string) + "/factual-accuracy"
	editor := bearer(t, domain.RoleDistrictEditor, holyoke, "If-Match", `"1"`)
	for name, body := range map[string]any{
		"missing": map[string]any{"submitted_on": "2016-10-17"},
		"null":    map[string]any{"comments": nil},
	} {
		got := decodeBody(t, f.do(t, apiCall{method: "POST", target: path, header: editor, body: body, invalidRequest: true, wantStatus: 400}))
		if got["field"] != "comments" {
			t.Errorf("%s comments: field = %v, want comments", name, got["field"])
		}
	}
}
