package domain_test

import (
	"strings"
	"testing"

	"github.com/planledger/planledger/domain"
)

// resultOf returns one rule's result, failing the test when it is absent.
func resultOf(t *testing.T, results []domain.RuleResult, id string) domain.RuleResult {
	t.Helper()
	for _, r := range results {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no result for rule %s", id)
	return domain.RuleResult{}
}

// consulted returns an SIP whose council consultation is recorded.
func consulted(t *testing.T, p *domain.Plan) *domain.Plan {
	t.Helper()
	s := newStepper(t, p)
	s.must(domain.ActionConsultCouncil, s.today(), "")
	return p
}

func TestComplianceCompleteSIP(t *testing.T) {
	results := domain.CheckCompliance(consulted(t, completeSIP()), context())
	if got := len(results); got != len(domain.ComplianceRules(domain.PlanSIP)) {
		t.Fatalf("%d results, want one per SIP rule", got)
	}
	for _, r := range results {
		if r.Status != domain.RulePass && r.ID != "sip.dip_adopted" {
			t.Errorf("%s: %s (%s), want pass", r.ID, r.Status, r.Detail)
		}
		if r.Citation == "" || !strings.HasPrefix(r.SourceURL, "http") || r.Title == "" {
			t.Errorf("%s lacks a title, citation or source URL", r.ID)
		}
	}
	summary := domain.Summarize(results)
	if !summary.Approvable || summary.Passed != summary.Rules-1 || len(summary.AdvisoryFailing) != 1 {
		t.Errorf("summary = %+v, want approvable with one advisory failure", summary)
	}
}

func TestComplianceBlankSection(t *testing.T) {
	p := consulted(t, completeSIP())
	p.Sections[8].Text = "   " // tolerance_respect
	r := resultOf(t, domain.CheckCompliance(p, context()), "sip.tolerance_respect")
	if r.Status != domain.RuleFail || !r.Required {
		t.Fatalf("tolerance rule = %s, required %v; want a required failure", r.Status, r.Required)
	}
	if !strings.Contains(r.Detail, `"Tolerance and respect for all groups" (tolerance_respect) is not written`) {
		t.Errorf("detail %q does not name the blank section", r.Detail)
	}
}

func TestComplianceTextReadingRules(t *testing.T) {
	tests := []struct {
		rule, section, text, status string
	}{
		{"sip.student_teacher_ratio", "class_size", "Average class size is 16.3.", domain.RuleFail},
		{"sip.student_teacher_ratio", "class_size", "About 12 students per teacher.", domain.RulePass},
		{"sip.pd_funding", "professional_development", "PLCs meet weekly on English learners.", domain.RuleFail},
		{"sip.pd_funding", "professional_development", "Stipends for English learner training.", domain.RulePass},
		{"sip.pd_english_learners", "professional_development", "Mindfulness training, funded by a grant.", domain.RuleFail},
		// The Spanish article is not the acronym EL.
		{"sip.pd_english_learners", "professional_development", "Training at El Sistema, funded by a grant.", domain.RuleFail},
		{"sip.pd_english_learners", "professional_development", "SEI endorsement courses, funded by a grant.", domain.RulePass},
		{"sip.pd_english_learners", "professional_development", "Second-language acquisition, funded by a grant.", domain.RulePass},
		{"sip.diverse_learning_needs", "diverse_learning_needs", "Small groups for every student.", domain.RuleFail},
		{"sip.diverse_learning_needs", "diverse_learning_needs", "IEP goals are met in general education.", domain.RulePass},
	}
	for _, tc := range tests {
		p := consulted(t, completeSIP())
		for i := range p.Sections {
			if p.Sections[i].Key == tc.section {
				p.Sections[i].Text = tc.text
			}
		}
		r := resultOf(t, domain.CheckCompliance(p, context()), tc.rule)
		if r.Status != tc.status {
			t.Errorf("%s with %q: %s (%s), want %s", tc.rule, tc.text, r.Status, r.Detail, tc.status)
		}
	}
}

func TestComplianceEnglishLearnerCondition(t *testing.T) {
	p := consulted(t, completeSIP())
	p.Sections[5].Text = "Mindfulness training, funded by a grant." // professional_development
	ctx := context()

	ctx.LanguageMinority = nil
	if r := resultOf(t, domain.CheckCompliance(p, ctx), "sip.pd_english_learners"); r.Status != domain.RuleUnknown {
		t.Errorf("without a count: %s, want unknown", r.Status)
	}
	ctx.LanguageMinority = &domain.PopulationCount{OrgCode: districtCode, Students: 0, SchoolYear: 2017, Source: "test"}
	if r := resultOf(t, domain.CheckCompliance(p, ctx), "sip.pd_english_learners"); r.Status != domain.RuleNotApplicable {
		t.Errorf("with no language-minority students: %s, want not_applicable", r.Status)
	}
	ctx.LanguageMinority.Students = 78
	r := resultOf(t, domain.CheckCompliance(p, ctx), "sip.pd_english_learners")
	if r.Status != domain.RuleFail || !strings.Contains(r.Detail, "78 students whose first language is not English in 2016-17") {
		t.Errorf("with 78 students: %s (%s), want a failure stating the count", r.Status, r.Detail)
	}
}

func TestComplianceAlignment(t *testing.T) {
	p := consulted(t, completeSIP())
	p.Goals = append(p.Goals, validGoal(goalBID))
	p.Goals[1].Title = "Families as partners"
	p.Goals[1].Objectives = nil
	ctx := context()
	r := resultOf(t, domain.CheckCompliance(p, ctx), "sip.dip_alignment")
	if r.Status != domain.RuleFail || !strings.Contains(r.Detail, `goal "Families as partners" cites no DIP objective`) {
		t.Errorf("goal citing none: %s (%s)", r.Status, r.Detail)
	}
	p.Goals[1].Objectives = []string{missingID}
	r = resultOf(t, domain.CheckCompliance(p, ctx), "sip.dip_alignment")
	if r.Status != domain.RuleFail || !strings.Contains(r.Detail, "cites objective "+missingID+", which DIP "+dipID+" does not have") {
		t.Errorf("goal citing an unknown objective: %s (%s)", r.Status, r.Detail)
	}
	ctx.DistrictPlan = nil
	if r := resultOf(t, domain.CheckCompliance(p, ctx), "sip.dip_alignment"); r.Status != domain.RuleFail {
		t.Errorf("without the DIP: %s, want fail", r.Status)
	}
}

func TestComplianceNoCouncil(t *testing.T) {
	r := resultOf(t, domain.CheckCompliance(completeSIP(), context()), "sip.council_consulted")
	if r.Status != domain.RuleFail || !strings.Contains(r.Detail, "/council-consultations") {
		t.Errorf("council rule = %s (%s), want a failure saying how to record one", r.Status, r.Detail)
	}
}

func TestComplianceDIP(t *testing.T) {
	p := newDIP(dipID, districtCode)
	p.LastYear = 2017
	p.Objectives[0].Initiatives = nil
	results := domain.CheckCompliance(p, domain.ComplianceContext{})
	for _, id := range []string{"dip.three_years", "dip.data_analysis", "dip.initiatives", "dip.evaluation_process", "dip.professional_development"} {
		if r := resultOf(t, results, id); r.Status != domain.RuleFail || !r.Required {
			t.Errorf("%s: %s required %v, want a required failure", id, r.Status, r.Required)
		}
	}
	for _, id := range []string{"dip.benchmarks", "dip.objectives", "dip.district_standards"} {
		if r := resultOf(t, results, id); r.Status != domain.RulePass {
			t.Errorf("%s: %s (%s), want pass", id, r.Status, r.Detail)
		}
	}
	if r := resultOf(t, results, "dip.three_years"); !strings.Contains(r.Detail, "covers 2 school years") {
		t.Errorf("three-year detail %q does not give the count", r.Detail)
	}
	if r := resultOf(t, results, "dip.objectives"); r.Unverified == "" || r.Basis != domain.BasisGuidance {
		t.Errorf("dip.objectives is not flagged as guidance with an unverified statutory basis: %+v", r.Rule)
	}
	if r := resultOf(t, results, "dip.three_years"); r.Unverified != "" || r.Basis != domain.BasisRegulation {
		t.Errorf("dip.three_years, from 603 CMR 2.03(5)(a), is flagged: %+v", r.Rule)
	}
}
