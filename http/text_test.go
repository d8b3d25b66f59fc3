package http_test

import (
	"strings"
	"testing"

	"github.com/planledger/planledger/domain"
)

// Free text over the length limit or with hidden control characters is
// rejected with the JSON path of the value.
func TestBodyTextChecks(t *testing.T) {
	f := newBundledFixture(t)
	editor := bearer(t, domain.RoleDistrictEditor, newburyportDistrict)
	view := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/plans/" + newburyportDIP, wantStatus: 200}))
	section := "/v1/plans/" + newburyportDIP + "/sections/mission"
	version := view["version"]

	long := decodeBody(t, f.do(t, apiCall{method: "PUT", target: section, header: editor, invalidRequest: true,
		body: map[string]any{"text": strings.Repeat("word ", domain.MaxTextLength/5+1), "expected_sequence": version}, wantStatus: 400}))
	problemField(t, long, "text")
	for _, bad := range []string{"nul\x00byte", "esc\x1b[2J", "right-to-left \u202Eoverride", "isolate \u2066x\u2069"} {
		got := decodeBody(t, f.do(t, apiCall{method: "PUT", target: section, header: editor, invalidRequest: true,
			body: map[string]any{"text": bad, "expected_sequence": version}, wantStatus: 400}))
		problemField(t, got, "text")
	}
	f.do(t, apiCall{method: "PUT", target: section, header: editor,
		body: map[string]any{"text": "Line one.\n\tLine two.\r\n", "expected_sequence": version}, wantStatus: 200})

	dept := bearer(t, domain.RoleDepartment, "")
	review := reviewOf(t, decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/reviews", header: dept,
		body: f.example(t, "POST", "/v1/reviews", "holyokeLevel4"), wantStatus: 201})))
	conducted := f.example(t, "POST", "/v1/reviews/{id}/conducted", "holyoke")
	conducted["evidence"].(map[string]any)["interviews"].([]any)[1].(map[string]any)["group"] = "school\x00committee"
	nested := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/reviews/" + review["id"].(string) + "/conducted", header: dept,
		invalidRequest: true, body: conducted, wantStatus: 400}))
	problemField(t, nested, "evidence/interviews/1/group")
}
