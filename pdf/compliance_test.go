package pdf_test

import (
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

func TestRenderChecklistAndTrail(t *testing.T) {
	p := sipPlan()
	p.Status, p.Revision = domain.StatusReturned, 1
	p.Workflow = []domain.WorkflowStep{
		{Type: domain.TypePlanCouncilConsulted, From: domain.StatusDraft, To: domain.StatusCouncilConsulted, Revision: 1, Sequence: 5,
			Actor: "council@example.org", EffectiveAt: time.Date(2017, 5, 1, 4, 0, 0, 0, time.UTC), Date: "2017-05-01"},
		{Type: domain.TypePlanSubmitted, From: domain.StatusCouncilConsulted, To: domain.StatusSubmitted, Revision: 1, Sequence: 6,
			Actor: "principal@example.org", EffectiveAt: time.Date(2017, 5, 2, 4, 0, 0, 0, time.UTC)},
		{Type: domain.TypePlanReturned, From: domain.StatusSubmitted, To: domain.StatusReturned, Revision: 1, Sequence: 7,
			Actor: "superintendent@example.org", EffectiveAt: time.Date(2017, 5, 9, 4, 0, 0, 0, time.UTC),
			Reasons: []string{"Assess the student-to-teacher ratio"}},
	}
	doc := sipDocument(p) // no language-minority count
	path, _ := renderFile(t, "checklist", doc)
	got := flat(text(t, path))
	for _, want := range []string{
		"Status: returned · revision 1",
		"2017-05-09 04:00 Returned to the principal plan version 6, revision 1 superintendent@example.org",
		"• Assess the student-to-teacher ratio",
		"Council met 2017-05-01",
		"Compliance checklist",
		"sip.pd_english_learners · required",
		"Unknown no count of the district's students whose first language is not English is on record",
		"Could not be checked: sip.pd_english_learners.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	// The checklist follows the cover, before the narrative sections.
	if page := flat(pageText(t, path, 2)); !strings.Contains(page, "Status and approval") {
		t.Errorf("page 2 does not start with the status: %.200s", page)
	}
	checkMargins(t, path, sipRunningHead, "effective", 42)
}

func TestRenderChecklistDIPDraft(t *testing.T) {
	path, _ := renderFile(t, "dip-checklist", dipDocument())
	got := flat(text(t, path))
	for _, want := range []string{
		"Status: draft · revision 1",
		"the plan is a draft that the superintendent has not adopted",
		"dip.three_years · required",
		"Legal basis UNVERIFIED.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the DIP PDF lacks %q", want)
		}
	}
	if strings.Contains(got, "school council") {
		t.Error("the DIP PDF mentions a school council step")
	}
}
