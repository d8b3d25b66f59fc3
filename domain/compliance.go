package domain

import (
	"fmt"
	"regexp"
	"strings"
)

// Rule is one form-and-content requirement of a DIP or SIP. 603 CMR
// 2.03(5)(d) requires both plans to conform in form and content to M.G.L.
// c.69 s.1I; the SIP subjects are those c.71 s.59C lists, as DESE
// summarizes them.
type Rule struct {
	ID        string   `json:"id"`
	PlanKind  PlanKind `json:"plan_kind"`
	Title     string   `json:"title"`
	Citation  string   `json:"citation"`
	SourceURL string   `json:"source_url"`
	// Basis is statute, regulation or guidance (DESE's published
	// framework rather than law).
	Basis string `json:"basis"`
	// Required rules block approval and adoption while they fail; advisory
	// ones are reported and recorded with the approval.
	Required bool `json:"required"`
	// Unverified names the part of the rule's legal basis that no source
	// at hand confirmed.
	Unverified string `json:"unverified,omitempty"`
	// Reading says how planledger checks the rule when the check is a
	// reading of the text, such as looking for words.
	Reading string `json:"reading,omitempty"`

	check func(p *Plan, ctx ComplianceContext) (status, detail string)
}

// Rule bases.
const (
	BasisStatute    = "statute"
	BasisRegulation = "regulation"
	BasisGuidance   = "guidance"
)

// Rule result statuses. Only a failing required rule blocks approval.
const (
	RulePass          = "pass"
	RuleFail          = "fail"
	RuleNotApplicable = "not_applicable"
	// RuleUnknown is a rule whose condition depends on data planledger does
	// not hold.
	RuleUnknown = "unknown"
)

// RuleResult is a rule checked against one plan.
type RuleResult struct {
	Rule
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// PopulationCount is a count of students of one org in one school year.
type PopulationCount struct {
	OrgCode    string `json:"org_code"`
	Students   int    `json:"students"`
	SchoolYear int    `json:"school_year"`
	Source     string `json:"source"`
}

// ComplianceContext is what the rules need besides the plan itself, read
// as of the same instant.
type ComplianceContext struct {
	// DistrictPlan is, for an SIP, the DIP it aligns with; nil when it is
	// not found.
	DistrictPlan *Plan
	// LanguageMinority is, for an SIP, the district's students whose first
	// language is not English; nil when no count is on record.
	LanguageMinority *PopulationCount
}

// Sources of the rules.
const (
	citationSubjects = "M.G.L. c.71 s.59C; 603 CMR 2.03(5)(d)"
	urlSubjects      = "https://www.doe.mass.edu/lawsregs/advisory/schoolcouncils/part2e.html"
	citationPfS      = "DESE Planning for Success, Massachusetts Planning and Implementation Framework"
	urlPfS           = "https://doe.mass.edu/research/success/create-plan.html"
	// unverifiedC69 flags rules whose statutory basis is the district-plan
	// text of c.69 s.1I, which was not at hand.
	unverifiedC69 = "DESE presents these plan components as legislative requirements, but the district-plan paragraphs " +
		"of M.G.L. c.69 s.1I were not at hand, so the statute is not confirmed as their source."
)

// Words the text-reading rules look for. The acronyms are matched in
// capitals only, so the Spanish article "el" is not read as "EL".
var (
	ratioWords      = regexp.MustCompile(`(?i)\bratios?\b|students? (per|for each) (teacher|adult)|student[- /]?to[- /]?teacher|student[- /]teacher`)
	fundingWords    = regexp.MustCompile(`(?i)\bfund|\bbudget|\bgrants?\b|\bstipends?\b|\$\s?\d|\ballocat|\bpaid\b|\bcosts?\b`)
	learnerWords    = regexp.MustCompile(`(?i)english (language )?learners?|second[- ]language|language acquisition|linguistically diverse|sheltered english|english as a second language`)
	learnerAcronyms = regexp.MustCompile(`\b(ELLs?|ELs?|SEI|ESL)\b`)
	disabilityWords = regexp.MustCompile(`(?i)disabilit|special (education|needs)|\bIEPs?\b|inclusi|\b504\b`)
	inductionWords  = regexp.MustCompile(`(?i)induction|mentor`)
)

// rules lists every rule in the order a checklist prints them.
var rules = []Rule{
	// SIP: what the plan is built on.
	{ID: "sip.goals", PlanKind: PlanSIP, Title: "School performance goals adopted",
		Citation: "603 CMR 2.03(5)(b)", SourceURL: url603, Basis: BasisRegulation, Required: true,
		check: func(p *Plan, _ ComplianceContext) (string, string) {
			if len(p.Goals) == 0 {
				return RuleFail, "the plan has no goals; adopt at least one with POST /v1/plans/" + p.ID + "/goals"
			}
			return RulePass, fmt.Sprintf("%d goals", len(p.Goals))
		}},
	{ID: "sip.measurable_targets", PlanKind: PlanSIP, Title: "Every goal has a measure with a target",
		Citation: citationPfS + " (outcomes and benchmarks)", SourceURL: urlPfS, Basis: BasisGuidance, Required: true,
		Unverified: unverifiedC69, check: checkGoalMeasures},
	{ID: "sip.needs_assessment", PlanKind: PlanSIP, Title: "Assessment of the school's needs, based on data",
		Citation: "603 CMR 2.03(5)(c); M.G.L. c.71 s.59C", SourceURL: url603, Basis: BasisRegulation, Required: true,
		check: sectionWritten("needs_assessment")},
	{ID: "sip.dip_alignment", PlanKind: PlanSIP, Title: "Goals aligned with the District Improvement Plan",
		Citation: "603 CMR 2.03(5)(b)", SourceURL: url603, Basis: BasisRegulation, Required: true,
		Reading: "Every goal must cite at least one objective of the DIP the plan names, and only objectives that DIP has.",
		check:   checkAlignment},
	{ID: "sip.council_consulted", PlanKind: PlanSIP, Title: "Plan developed in consultation with the school council",
		Citation: "M.G.L. c.71 s.59C, as amended by St. 2016, c.255", SourceURL: urlAct2016, Basis: BasisStatute, Required: true,
		Reading: "A council member must have recorded a council meeting on this revision of the plan.",
		check:   checkCouncil},

	// SIP: the subjects of c.71 s.59C.
	{ID: "sip.class_size_impact", PlanKind: PlanSIP, Title: "Assessment of the impact of class size on student performance",
		Citation: citationSubjects, SourceURL: urlSubjects, Basis: BasisStatute, Required: true,
		check: sectionWritten("class_size")},
	{ID: "sip.student_teacher_ratio", PlanKind: PlanSIP, Title: "Assessment of student-to-teacher ratios",
		Citation: citationSubjects, SourceURL: urlSubjects, Basis: BasisStatute, Required: true,
		Reading: "The class size section must mention a ratio or students per teacher.",
		check:   sectionMentions("class_size", "student-to-teacher ratios", ratioWords)},
	{ID: "sip.support_adult_ratio", PlanKind: PlanSIP, Title: "Assessment of ratios of students to other supportive adults",
		Citation: citationSubjects, SourceURL: urlSubjects, Basis: BasisStatute, Required: true,
		check: sectionWritten("support_staff_ratio")},
	{ID: "sip.class_size_reduction", PlanKind: PlanSIP, Title: "Scheduled plan for reducing class size, if deemed necessary",
		Citation: citationSubjects, SourceURL: urlSubjects, Basis: BasisStatute, Required: true,
		Reading: "The section must be written; a statement that no reduction is needed satisfies it.",
		check:   sectionWritten("class_size_reduction")},
	{ID: "sip.professional_development", PlanKind: PlanSIP, Title: "Professional development for the school's staff",
		Citation: citationSubjects, SourceURL: urlSubjects, Basis: BasisStatute, Required: true,
		check: sectionWritten("professional_development")},
	{ID: "sip.pd_funding", PlanKind: PlanSIP, Title: "Allocation of professional development funds in the school budget",
		Citation: citationSubjects, SourceURL: urlSubjects, Basis: BasisStatute, Required: true,
		Reading: "The professional development section must mention its funding: a fund, budget, grant, stipend, cost or amount.",
		check:   sectionMentions("professional_development", "how professional development is funded", fundingWords)},
	{ID: "sip.pd_english_learners", PlanKind: PlanSIP,
		Title:    "Professional development on second-language acquisition and culturally and linguistically diverse students",
		Citation: citationSubjects, SourceURL: urlSubjects, Basis: BasisStatute, Required: true,
		Reading: "Applies when the district has students whose first language is not English; the professional development " +
			"section must then mention English learners, second-language acquisition or sheltered English instruction.",
		check: checkLearnerPD},
	{ID: "sip.parental_involvement", PlanKind: PlanSIP, Title: "Enhancement of parental involvement in the life of the school",
		Citation: citationSubjects, SourceURL: urlSubjects, Basis: BasisStatute, Required: true,
		check: sectionWritten("parental_involvement")},
	{ID: "sip.safety_discipline", PlanKind: PlanSIP, Title: "School safety and discipline",
		Citation: citationSubjects, SourceURL: urlSubjects, Basis: BasisStatute, Required: true,
		check: sectionWritten("safety_discipline")},
	{ID: "sip.tolerance_respect", PlanKind: PlanSIP, Title: "A school environment of tolerance and respect for all groups",
		Citation: citationSubjects, SourceURL: urlSubjects, Basis: BasisStatute, Required: true,
		check: sectionWritten("tolerance_respect")},
	{ID: "sip.extracurricular", PlanKind: PlanSIP, Title: "Extra-curricular activities",
		Citation: citationSubjects, SourceURL: urlSubjects, Basis: BasisStatute, Required: true,
		check: sectionWritten("extracurricular")},
	{ID: "sip.diverse_learning_needs", PlanKind: PlanSIP,
		Title:    "Meeting diverse learning needs in regular education, including students with special needs",
		Citation: citationSubjects, SourceURL: urlSubjects, Basis: BasisStatute, Required: true,
		Reading: "The section must mention students with disabilities, special education, special needs or inclusion.",
		check:   sectionMentions("diverse_learning_needs", "students with disabilities or special needs", disabilityWords)},

	// SIP: advisory.
	{ID: "sip.school_council_described", PlanKind: PlanSIP, Title: "School council membership described",
		Citation: citationC71, SourceURL: urlC71, Basis: BasisStatute,
		check: sectionWritten("school_council")},
	{ID: "sip.dip_adopted", PlanKind: PlanSIP, Title: "The District Improvement Plan it aligns with is adopted",
		Citation: "603 CMR 2.03(5)(b)", SourceURL: url603, Basis: BasisRegulation,
		check: checkDIPAdopted},
	{ID: "sip.owners_timelines", PlanKind: PlanSIP, Title: "Every action names an owner and a timeline",
		Citation: citationPfS + " (action plan)", SourceURL: urlPfS, Basis: BasisGuidance,
		check: checkActionOwners},

	// DIP.
	{ID: "dip.three_years", PlanKind: PlanDIP, Title: "Written plan covering three school years",
		Citation: "603 CMR 2.03(5)(a)", SourceURL: url603, Basis: BasisRegulation, Required: true,
		check: func(p *Plan, _ ComplianceContext) (string, string) {
			if n := p.LastYear - p.FirstYear + 1; n != DIPYears {
				return RuleFail, fmt.Sprintf("the plan covers %d school years (%s), not three", n, p.PeriodLabel())
			}
			return RulePass, p.PeriodLabel()
		}},
	{ID: "dip.data_analysis", PlanKind: PlanDIP, Title: "Analysis of data on student performance, including gaps between groups",
		Citation: "603 CMR 2.03(5)(c)", SourceURL: url603, Basis: BasisRegulation, Required: true,
		check: sectionWritten("data_analysis")},
	{ID: "dip.objectives", PlanKind: PlanDIP, Title: "Strategic improvement objectives",
		Citation: citationPfS + " (III)", SourceURL: urlPfS, Basis: BasisGuidance, Required: true, Unverified: unverifiedC69,
		check: func(p *Plan, _ ComplianceContext) (string, string) {
			if len(p.Objectives) == 0 {
				return RuleFail, "the plan has no objectives; add them with POST /v1/plans/" + p.ID + "/objectives"
			}
			return RulePass, fmt.Sprintf("%d objectives", len(p.Objectives))
		}},
	{ID: "dip.initiatives", PlanKind: PlanDIP, Title: "Strategic initiatives for every objective",
		Citation: citationPfS + " (III)", SourceURL: urlPfS, Basis: BasisGuidance, Required: true, Unverified: unverifiedC69,
		check: checkInitiatives},
	{ID: "dip.benchmarks", PlanKind: PlanDIP, Title: "Performance benchmarks: every objective has an outcome with a target",
		Citation: citationPfS + " (IV)", SourceURL: urlPfS, Basis: BasisGuidance, Required: true, Unverified: unverifiedC69,
		check: checkObjectiveOutcomes},
	{ID: "dip.evaluation_process", PlanKind: PlanDIP, Title: "Process for evaluating the effect of initiatives",
		Citation: citationPfS + " (IV)", SourceURL: urlPfS, Basis: BasisGuidance, Required: true, Unverified: unverifiedC69,
		check: sectionWritten("evaluation_process")},
	{ID: "dip.professional_development", PlanKind: PlanDIP, Title: "Professional development supporting the initiatives",
		Citation: citationPfS + " (III)", SourceURL: urlPfS, Basis: BasisGuidance, Required: true, Unverified: unverifiedC69,
		check: sectionWritten("professional_development")},
	{ID: "dip.district_standards", PlanKind: PlanDIP, Title: "Objectives based on the district standards",
		Citation: "603 CMR 2.03(4)(a)", SourceURL: url603, Basis: BasisRegulation, Required: true,
		check: checkStandards},
	{ID: "dip.objective_count", PlanKind: PlanDIP, Title: "Three to five strategic objectives",
		Citation: citationPfS + " (III)", SourceURL: urlPfS, Basis: BasisGuidance,
		check: func(p *Plan, _ ComplianceContext) (string, string) {
			if n := len(p.Objectives); n < 3 || n > 5 {
				return RuleFail, fmt.Sprintf("%d objectives; DESE recommends three to five", n)
			}
			return RulePass, fmt.Sprintf("%d objectives", len(p.Objectives))
		}},
	{ID: "dip.induction_mentoring", PlanKind: PlanDIP, Title: "Teacher induction and mentoring",
		Citation: citationPfS + " (III)", SourceURL: urlPfS, Basis: BasisGuidance, Unverified: unverifiedC69,
		Reading: "The professional development section must mention induction or mentoring.",
		check:   sectionMentions("professional_development", "teacher induction or mentoring", inductionWords)},
	{ID: "dip.mission_vision_values", PlanKind: PlanDIP, Title: "Mission, vision and core values",
		Citation: citationPfS + " (I)", SourceURL: urlPfS, Basis: BasisGuidance,
		check: sectionsWritten("mission", "vision", "core_values")},
	{ID: "dip.theory_of_action", PlanKind: PlanDIP, Title: "Theory of action",
		Citation: citationPfS + " (II)", SourceURL: urlPfS, Basis: BasisGuidance,
		check: sectionWritten("theory_of_action")},
}

// ComplianceRules returns the rules of a plan kind in checklist order.
func ComplianceRules(kind PlanKind) []Rule {
	var out []Rule
	for _, r := range rules {
		if r.PlanKind == kind {
			out = append(out, r)
		}
	}
	return out
}

// CheckCompliance checks a plan against every rule of its kind, in
// checklist order. The result depends only on its arguments.
func CheckCompliance(p *Plan, ctx ComplianceContext) []RuleResult {
	var out []RuleResult
	for _, r := range ComplianceRules(p.Kind) {
		status, detail := r.check(p, ctx)
		out = append(out, RuleResult{Rule: r, Status: status, Detail: detail})
	}
	return out
}

// FailingRules returns the ids of the failing rules that are required, or
// those that are advisory.
func FailingRules(results []RuleResult, required bool) []string {
	var out []string
	for _, r := range results {
		if r.Status == RuleFail && r.Required == required {
			out = append(out, r.ID)
		}
	}
	return out
}

// ComplianceSummary counts a checklist's results.
type ComplianceSummary struct {
	Rules           int      `json:"rules"`
	Passed          int      `json:"passed"`
	RequiredFailing []string `json:"required_failing"`
	AdvisoryFailing []string `json:"advisory_failing"`
	Unknown         []string `json:"unknown"`
	// Approvable is true when no required rule fails, so approval or
	// adoption is not blocked by the checklist.
	Approvable bool `json:"approvable"`
}

// Summarize counts results.
func Summarize(results []RuleResult) ComplianceSummary {
	s := ComplianceSummary{Rules: len(results), RequiredFailing: []string{}, AdvisoryFailing: []string{}, Unknown: []string{}}
	for _, r := range results {
		switch {
		case r.Status == RulePass:
			s.Passed++
		case r.Status == RuleUnknown:
			s.Unknown = append(s.Unknown, r.ID)
		case r.Status == RuleFail && r.Required:
			s.RequiredFailing = append(s.RequiredFailing, r.ID)
		case r.Status == RuleFail:
			s.AdvisoryFailing = append(s.AdvisoryFailing, r.ID)
		}
	}
	s.Approvable = len(s.RequiredFailing) == 0
	return s
}

func (p *Plan) section(key string) (Section, bool) {
	i := p.sectionIndex(key)
	if i < 0 {
		return Section{Key: key}, false
	}
	return p.Sections[i], true
}

func sectionLabel(s Section) string {
	if s.Heading == "" {
		return s.Key
	}
	return fmt.Sprintf("%q (%s)", s.Heading, s.Key)
}

func sectionWritten(key string) func(*Plan, ComplianceContext) (string, string) {
	return sectionsWritten(key)
}

func sectionsWritten(keys ...string) func(*Plan, ComplianceContext) (string, string) {
	return func(p *Plan, _ ComplianceContext) (string, string) {
		var blank []string
		for _, key := range keys {
			s, _ := p.section(key)
			if strings.TrimSpace(s.Text) == "" {
				blank = append(blank, sectionLabel(s))
			}
		}
		if len(blank) > 0 {
			return RuleFail, "section " + strings.Join(blank, ", ") + " is not written"
		}
		return RulePass, "written"
	}
}

// sectionMentions passes when a section is written and matches words.
func sectionMentions(key, subject string, words *regexp.Regexp) func(*Plan, ComplianceContext) (string, string) {
	return func(p *Plan, _ ComplianceContext) (string, string) {
		s, _ := p.section(key)
		if strings.TrimSpace(s.Text) == "" {
			return RuleFail, "section " + sectionLabel(s) + " is not written"
		}
		if m := words.FindString(s.Text); m != "" {
			return RulePass, fmt.Sprintf("section %s mentions %q", s.Key, m)
		}
		return RuleFail, fmt.Sprintf("section %s does not address %s", sectionLabel(s), subject)
	}
}

func checkGoalMeasures(p *Plan, _ ComplianceContext) (string, string) {
	if len(p.Goals) == 0 {
		return RuleFail, "the plan has no goals"
	}
	var missing []string
	for _, g := range p.Goals {
		if !hasTarget(g.Measures) {
			missing = append(missing, fmt.Sprintf("%q", g.Title))
		}
	}
	if len(missing) > 0 {
		return RuleFail, "goals without a measure with a target: " + strings.Join(missing, ", ")
	}
	return RulePass, fmt.Sprintf("all %d goals have targets", len(p.Goals))
}

func hasTarget(ms []Measure) bool {
	for _, m := range ms {
		if strings.TrimSpace(m.Description) != "" && strings.TrimSpace(m.Target) != "" {
			return true
		}
	}
	return false
}

func checkAlignment(p *Plan, ctx ComplianceContext) (string, string) {
	dip := ctx.DistrictPlan
	if dip == nil {
		return RuleFail, fmt.Sprintf("the district plan %s was not found", p.DistrictPlanID)
	}
	if len(p.Goals) == 0 {
		return RuleFail, "the plan has no goals to align"
	}
	var problems []string
	for _, g := range p.Goals {
		if len(g.Objectives) == 0 {
			problems = append(problems, fmt.Sprintf("goal %q cites no DIP objective", g.Title))
			continue
		}
		for _, id := range g.Objectives {
			if dip.ObjectiveIndex(id) < 0 {
				problems = append(problems, fmt.Sprintf("goal %q cites objective %s, which DIP %s does not have", g.Title, id, dip.ID))
			}
		}
	}
	if len(problems) > 0 {
		return RuleFail, strings.Join(problems, "; ")
	}
	return RulePass, fmt.Sprintf("all %d goals cite objectives of DIP %s", len(p.Goals), dip.ID)
}

func checkCouncil(p *Plan, _ ComplianceContext) (string, string) {
	step, ok := p.lastStep(TypePlanCouncilConsulted)
	if !ok {
		return RuleFail, fmt.Sprintf("no school council consultation is recorded for revision %d; a council member records one with POST /v1/plans/%s/council-consultations",
			p.CurrentRevision(), p.ID)
	}
	return RulePass, fmt.Sprintf("council met %s (recorded by %s)", step.Date, step.Actor)
}

func checkLearnerPD(p *Plan, ctx ComplianceContext) (string, string) {
	lm := ctx.LanguageMinority
	if lm == nil {
		return RuleUnknown, "no count of the district's students whose first language is not English is on record, so planledger cannot tell whether the rule applies"
	}
	population := fmt.Sprintf("district %s had %d students whose first language is not English in %s (%s)",
		lm.OrgCode, lm.Students, SchoolYearLabel(lm.SchoolYear), lm.Source)
	if lm.Students == 0 {
		return RuleNotApplicable, population
	}
	s, _ := p.section("professional_development")
	if strings.TrimSpace(s.Text) == "" {
		return RuleFail, population + "; section " + sectionLabel(s) + " is not written"
	}
	if m := learnerWords.FindString(s.Text); m != "" {
		return RulePass, fmt.Sprintf("%s; section %s mentions %q", population, s.Key, m)
	}
	if m := learnerAcronyms.FindString(s.Text); m != "" {
		return RulePass, fmt.Sprintf("%s; section %s mentions %q", population, s.Key, m)
	}
	return RuleFail, population + "; section " + sectionLabel(s) +
		" does not mention English learners, second-language acquisition or sheltered English instruction"
}

func checkDIPAdopted(p *Plan, ctx ComplianceContext) (string, string) {
	dip := ctx.DistrictPlan
	if dip == nil {
		return RuleFail, fmt.Sprintf("the district plan %s was not found", p.DistrictPlanID)
	}
	if _, ok := dip.FirstApproval(); !ok {
		return RuleFail, fmt.Sprintf("DIP %s is %s and has never been adopted", dip.ID, dip.CurrentStatus())
	}
	return RulePass, fmt.Sprintf("DIP %s is %s", dip.ID, dip.CurrentStatus())
}

func checkActionOwners(p *Plan, _ ComplianceContext) (string, string) {
	var missing []string
	for _, g := range p.Goals {
		if len(g.Actions) == 0 {
			missing = append(missing, fmt.Sprintf("goal %q has no actions", g.Title))
			continue
		}
		for i, a := range g.Actions {
			if strings.TrimSpace(a.Owner) == "" || strings.TrimSpace(a.Timeline) == "" {
				missing = append(missing, fmt.Sprintf("action %d of goal %q lacks an owner or timeline", i+1, g.Title))
			}
		}
	}
	if len(missing) > 0 {
		return RuleFail, strings.Join(missing, "; ")
	}
	return RulePass, "every action has an owner and a timeline"
}

func checkInitiatives(p *Plan, _ ComplianceContext) (string, string) {
	if len(p.Objectives) == 0 {
		return RuleFail, "the plan has no objectives"
	}
	var missing []string
	for _, o := range p.Objectives {
		if len(o.Initiatives) == 0 {
			missing = append(missing, fmt.Sprintf("%q", o.Title))
		}
	}
	if len(missing) > 0 {
		return RuleFail, "objectives without initiatives: " + strings.Join(missing, ", ")
	}
	return RulePass, fmt.Sprintf("all %d objectives have initiatives", len(p.Objectives))
}

func checkObjectiveOutcomes(p *Plan, _ ComplianceContext) (string, string) {
	if len(p.Objectives) == 0 {
		return RuleFail, "the plan has no objectives"
	}
	var missing []string
	for _, o := range p.Objectives {
		if !hasTarget(o.Outcomes) {
			missing = append(missing, fmt.Sprintf("%q", o.Title))
		}
	}
	if len(missing) > 0 {
		return RuleFail, "objectives without an outcome with a target: " + strings.Join(missing, ", ")
	}
	return RulePass, fmt.Sprintf("all %d objectives have targets", len(p.Objectives))
}

func checkStandards(p *Plan, _ ComplianceContext) (string, string) {
	if len(p.Objectives) == 0 {
		return RuleFail, "the plan has no objectives"
	}
	var missing []string
	for _, o := range p.Objectives {
		known := 0
		for _, s := range o.Standards {
			if StandardName(s) != "" {
				known++
			}
		}
		if known == 0 {
			missing = append(missing, fmt.Sprintf("%q", o.Title))
		}
	}
	if len(missing) > 0 {
		return RuleFail, "objectives naming no district standard: " + strings.Join(missing, ", ")
	}
	return RulePass, fmt.Sprintf("all %d objectives name a district standard", len(p.Objectives))
}
