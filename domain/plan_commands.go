package domain

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// DIPYears is the length of a District Improvement Plan, because 603 CMR
// 2.03(5)(a) requires a written three-year plan.
const DIPYears = 3

// Lookup gives commands the state they check against. Implementations
// return the current state, never an as-of view.
type Lookup interface {
	Org(code string) (Org, bool)
	Plan(id string) (*Plan, bool)
	// SIPFor returns the id of the school's plan for a school year, if any.
	SIPFor(orgCode string, year int) (string, bool)
	// PlansFor returns the current state of an org's plans.
	PlansFor(orgCode string) []*Plan
}

// canonicalID parses a UUID in any form uuid.Parse accepts (upper case,
// braces, urn:uuid:) and returns its canonical lower-case text, so the same
// id written two ways is one id.
func canonicalID(field, id string) (string, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return "", Errorf(EInvalid, field, "%q is not a UUID such as 1496d2f4-3f89-4c37-8c47-d3358c42ebf0", id)
	}
	return u.String(), nil
}

// CreatePlan starts a DIP or an SIP. ID may be empty to get a new UUID.
type CreatePlan struct {
	ID             string            `json:"id"`
	Kind           PlanKind          `json:"kind"`
	OrgCode        string            `json:"org_code"`
	DistrictPlanID string            `json:"district_plan_id"`
	FirstYear      int               `json:"first_year"`
	LastYear       int               `json:"last_year"`
	Title          string            `json:"title"`
	Note           string            `json:"note"`
	Sections       map[string]string `json:"sections"`
	// Template and Prompts are set by ApplyTemplate, never decoded from a
	// request, so only a template the server resolved is recorded.
	Template *TemplateRef `json:"-"`
	// Prompts holds the template's guidance for each section the request
	// left unwritten. It is kept apart from the text, so a plan whose
	// sections still show only guidance fails the compliance checks that
	// need those sections written.
	Prompts map[string]string `json:"-"`
}

// DecideCreatePlan validates a new plan against the org and, for an SIP, the
// district plan it aligns with.
func DecideCreatePlan(c CreatePlan, look Lookup) (Draft, error) {
	if c.ID == "" {
		c.ID = uuid.NewString()
	} else {
		id, err := canonicalID("id", c.ID)
		if err != nil {
			return Draft{}, err
		}
		c.ID = id
	}
	if _, exists := look.Plan(c.ID); exists {
		return Draft{}, Errorf(EConflict, "id", "plan %s already exists", c.ID)
	}
	if err := ValidateOrgCode("org_code", c.OrgCode); err != nil {
		return Draft{}, err
	}
	org, ok := look.Org(c.OrgCode)
	if !ok {
		return Draft{}, Errorf(ENotFound, "org_code", "no district or school has org code %s; list them at GET /v1/orgs", c.OrgCode)
	}
	if strings.TrimSpace(c.Title) == "" {
		return Draft{}, Errorf(EInvalid, "title", "a plan needs a title")
	}
	if err := validateSections(c.Kind, c.Sections); err != nil {
		return Draft{}, err
	}

	switch c.Kind {
	case PlanDIP:
		if err := checkDIP(c, org, look); err != nil {
			return Draft{}, err
		}
	case PlanSIP:
		if err := checkSIP(&c, org, look); err != nil {
			return Draft{}, err
		}
	default:
		return Draft{}, Errorf(EInvalid, "kind", "plan kind %q is not dip or sip", c.Kind)
	}
	return Draft{Type: TypePlanCreated, Payload: PlanCreated{
		ID: c.ID, Kind: c.Kind, OrgCode: c.OrgCode, DistrictPlanID: c.DistrictPlanID,
		FirstYear: c.FirstYear, LastYear: c.LastYear, Title: strings.TrimSpace(c.Title),
		Note: c.Note, Sections: c.Sections, Template: c.Template, Prompts: c.Prompts,
	}}, nil
}

func checkDIP(c CreatePlan, org Org, look Lookup) error {
	if org.Type != OrgDistrict {
		return Errorf(EInvalid, "org_code", "%s is a school; a DIP belongs to a district such as %s", c.OrgCode, org.DistrictCode)
	}
	if c.DistrictPlanID != "" {
		return Errorf(EInvalid, "district_plan_id", "a DIP does not align with another plan; leave district_plan_id out")
	}
	if err := checkYear("first_year", c.FirstYear); err != nil {
		return err
	}
	if c.LastYear-c.FirstYear+1 != DIPYears {
		return Errorf(EInvalid, "last_year",
			"a DIP covers three school years, so last_year must be %d for first_year %d", c.FirstYear+DIPYears-1, c.FirstYear)
	}
	for _, other := range look.PlansFor(c.OrgCode) {
		if other.Kind == PlanDIP && other.FirstYear <= c.LastYear && c.FirstYear <= other.LastYear {
			return Errorf(EConflict, "first_year", "district %s already has DIP %s for %s, which overlaps %s to %s",
				c.OrgCode, other.ID, other.PeriodLabel(), SchoolYearLabel(c.FirstYear), SchoolYearLabel(c.LastYear))
		}
	}
	return nil
}

func checkSIP(c *CreatePlan, org Org, look Lookup) error {
	if org.Type != OrgSchool {
		return Errorf(EInvalid, "org_code", "%s is a district; an SIP belongs to one of its schools", c.OrgCode)
	}
	if err := checkYear("first_year", c.FirstYear); err != nil {
		return err
	}
	if c.LastYear == 0 {
		c.LastYear = c.FirstYear
	}
	if c.LastYear != c.FirstYear {
		return Errorf(EInvalid, "last_year", "an SIP covers one school year; set last_year to %d or leave it out", c.FirstYear)
	}
	if id, err := canonicalID("district_plan_id", c.DistrictPlanID); err == nil {
		c.DistrictPlanID = id
	}
	dip, ok := look.Plan(c.DistrictPlanID)
	if !ok || dip.Kind != PlanDIP {
		return Errorf(ENotFound, "district_plan_id", "district plan %q not found; an SIP must name its district's DIP", c.DistrictPlanID)
	}
	if dip.OrgCode != org.DistrictCode {
		return Errorf(EInvalid, "district_plan_id", "plan %s belongs to district %s, not to this school's district %s",
			dip.ID, dip.OrgCode, org.DistrictCode)
	}
	if c.FirstYear < dip.FirstYear || c.FirstYear > dip.LastYear {
		return Errorf(EInvalid, "first_year", "school year %s is outside the DIP's period %s",
			SchoolYearLabel(c.FirstYear), dip.PeriodLabel())
	}
	if other, exists := look.SIPFor(c.OrgCode, c.FirstYear); exists {
		return Errorf(EConflict, "first_year", "school %s already has plan %s for %s",
			c.OrgCode, other, SchoolYearLabel(c.FirstYear))
	}
	return nil
}

func checkYear(field string, year int) error {
	if year < 2000 || year > 2100 {
		return Errorf(EInvalid, field, "school year %d is not a spring year such as 2017 (for 2016-17)", year)
	}
	return nil
}

func validateSections(kind PlanKind, sections map[string]string) error {
	for key := range sections {
		if !hasSection(kind, key) {
			return Errorf(EInvalid, "sections/"+key, "%s is not a section of a %s; see the section list at GET /v1/reference", key, kind)
		}
	}
	return nil
}

func hasSection(kind PlanKind, key string) bool {
	for _, s := range SectionsFor(kind) {
		if s.Key == key {
			return true
		}
	}
	return false
}

// DecideReviseSection replaces the text of one section.
func DecideReviseSection(p *Plan, key, text string) (Draft, error) {
	if !hasSection(p.Kind, key) {
		return Draft{}, Errorf(ENotFound, "section", "%s is not a section of a %s", key, p.Kind)
	}
	if p.Sections[p.sectionIndex(key)].Text == text {
		return Draft{}, Errorf(EInvalid, "text", "section %s already has this text; nothing to change", key)
	}
	return Draft{Type: TypeSectionRevised, Payload: SectionRevised{Key: key, Text: text}}, nil
}

// DecideRetitle changes a plan's title.
func DecideRetitle(p *Plan, title string) (Draft, error) {
	title = strings.TrimSpace(title)
	if title == "" {
		return Draft{}, Errorf(EInvalid, "title", "a plan needs a title")
	}
	if title == p.Title {
		return Draft{}, Errorf(EInvalid, "title", "the plan already has this title; nothing to change")
	}
	return Draft{Type: TypePlanRetitled, Payload: PlanRetitled{Title: title}}, nil
}

// DecideAddObjective adds a strategic objective to a DIP. look finds the
// review recommendations and self-evaluations the objective answers, which
// must belong to the plan's district.
func DecideAddObjective(p *Plan, o Objective, look Lookup) (Draft, error) {
	if p.Kind != PlanDIP {
		return Draft{}, Errorf(EInvalid, "kind", "objectives belong to DIPs; an SIP adopts goals instead")
	}
	if o.ID == "" {
		o.ID = uuid.NewString()
	}
	id, err := canonicalID("id", o.ID)
	if err != nil {
		return Draft{}, err
	}
	o.ID = id
	if p.ObjectiveIndex(o.ID) >= 0 {
		return Draft{}, Errorf(EConflict, "id", "objective %s already exists; revise it instead", o.ID)
	}
	if err := validateObjective(p, o, look); err != nil {
		return Draft{}, err
	}
	if o.Answers, err = checkAnswers("answers", o.Answers, p.OrgCode, look); err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeObjectiveAdded, Payload: ObjectiveAdded{Objective: o}}, nil
}

// DecideReviseObjective replaces an existing objective as a whole.
func DecideReviseObjective(p *Plan, o Objective, look Lookup) (Draft, error) {
	if id, err := canonicalID("id", o.ID); err == nil {
		o.ID = id
	}
	if p.ObjectiveIndex(o.ID) < 0 {
		return Draft{}, Errorf(ENotFound, "id", "plan %s has no objective %s", p.ID, o.ID)
	}
	if err := validateObjective(p, o, look); err != nil {
		return Draft{}, err
	}
	answers, err := checkAnswers("answers", o.Answers, p.OrgCode, look)
	if err != nil {
		return Draft{}, err
	}
	o.Answers = answers
	return Draft{Type: TypeObjectiveRevised, Payload: ObjectiveRevised{Objective: o}}, nil
}

// DecideRemoveObjective drops an objective. SIP goals that cite it show up
// as citing an unknown objective in the alignment view.
func DecideRemoveObjective(p *Plan, id string) (Draft, error) {
	if canonical, err := canonicalID("id", id); err == nil {
		id = canonical
	}
	if p.ObjectiveIndex(id) < 0 {
		return Draft{}, Errorf(ENotFound, "id", "plan %s has no objective %s", p.ID, id)
	}
	return Draft{Type: TypeObjectiveRemoved, Payload: ObjectiveRemoved{ObjectiveID: id}}, nil
}

// validateObjective checks an objective of plan p. A nil p stands for a
// plan template, whose citations are checked against the latest framework
// version.
func validateObjective(p *Plan, o Objective, look Lookup) error {
	if strings.TrimSpace(o.Title) == "" {
		return Errorf(EInvalid, "title", "an objective needs a title")
	}
	if len(o.Standards) == 0 {
		return Errorf(EInvalid, "standards", "name at least one district standard the objective serves, e.g. %q", DistrictStandards[0].Key)
	}
	if err := validatePlanCitations(p, o.Citations()); err != nil {
		return err
	}
	if err := validateSelfEvaluationRefs(p, o, look); err != nil {
		return err
	}
	if len(o.Outcomes) == 0 {
		return Errorf(EInvalid, "outcomes", "an objective needs at least one measurable outcome with a target")
	}
	return validateMeasures("outcomes", o.Outcomes)
}

// DecideAdoptGoal adds a performance goal to an SIP. Cited objectives must
// exist in the DIP the SIP aligns with.
func DecideAdoptGoal(p *Plan, g Goal, look Lookup) (Draft, error) {
	if p.Kind != PlanSIP {
		return Draft{}, Errorf(EInvalid, "kind", "goals belong to SIPs; a DIP has objectives instead")
	}
	if g.ID == "" {
		g.ID = uuid.NewString()
	}
	id, err := canonicalID("id", g.ID)
	if err != nil {
		return Draft{}, err
	}
	g.ID = id
	if p.GoalIndex(g.ID) >= 0 {
		return Draft{}, Errorf(EConflict, "id", "goal %s already exists; revise it instead", g.ID)
	}
	if err := validateGoal(p, &g, look); err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeGoalAdopted, Payload: GoalAdopted{Goal: g}}, nil
}

// DecideReviseGoal replaces an existing goal as a whole.
func DecideReviseGoal(p *Plan, g Goal, look Lookup) (Draft, error) {
	if id, err := canonicalID("id", g.ID); err == nil {
		g.ID = id
	}
	if p.GoalIndex(g.ID) < 0 {
		return Draft{}, Errorf(ENotFound, "id", "plan %s has no goal %s", p.ID, g.ID)
	}
	if err := validateGoal(p, &g, look); err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeGoalRevised, Payload: GoalRevised{Goal: g}}, nil
}

// DecideWithdrawGoal drops a goal from the plan.
func DecideWithdrawGoal(p *Plan, id string) (Draft, error) {
	if canonical, err := canonicalID("id", id); err == nil {
		id = canonical
	}
	if p.GoalIndex(id) < 0 {
		return Draft{}, Errorf(ENotFound, "id", "plan %s has no goal %s", p.ID, id)
	}
	return Draft{Type: TypeGoalWithdrawn, Payload: GoalWithdrawn{GoalID: id}}, nil
}

// validateGoal checks a goal and rewrites its cited objective ids in
// canonical form.
func validateGoal(p *Plan, g *Goal, look Lookup) error {
	if strings.TrimSpace(g.Title) == "" {
		return Errorf(EInvalid, "title", "a goal needs a title")
	}
	if len(g.Measures) == 0 {
		return Errorf(EInvalid, "measures", "a goal needs at least one measure with a target, so progress can be checked")
	}
	if err := validateMeasures("measures", g.Measures); err != nil {
		return err
	}
	if err := validatePlanCitations(p, g.Citations()); err != nil {
		return err
	}
	dip, ok := look.Plan(p.DistrictPlanID)
	if !ok {
		return Errorf(ENotFound, "district_plan_id", "district plan %s of this SIP was not found", p.DistrictPlanID)
	}
	// Copy before canonicalizing, so the caller's goal, which may share its
	// slice with a read model, is never written.
	g.Objectives = slices.Clone(g.Objectives)
	seen := map[string]bool{}
	for i, cited := range g.Objectives {
		field := fmt.Sprintf("objectives/%d", i)
		id, err := canonicalID(field, cited)
		if err != nil {
			return err
		}
		if seen[id] {
			return Errorf(EInvalid, field, "the goal cites objective %s twice", id)
		}
		seen[id] = true
		g.Objectives[i] = id
		if dip.ObjectiveIndex(id) < 0 {
			return Errorf(EInvalid, fmt.Sprintf("objectives/%d", i),
				"DIP %s has no objective %s; list its objectives at GET /v1/plans/%s", dip.ID, id, dip.ID)
		}
	}
	answers, err := checkAnswers("answers", g.Answers, DistrictCodeOf(p.OrgCode), look)
	if err != nil {
		return err
	}
	g.Answers = answers
	return nil
}

func validateMeasures(field string, ms []Measure) error {
	for i, m := range ms {
		if strings.TrimSpace(m.Description) == "" {
			return Errorf(EInvalid, fmt.Sprintf("%s/%d/description", field, i), "a measure needs a description of what is measured")
		}
		if strings.TrimSpace(m.Target) == "" {
			return Errorf(EInvalid, fmt.Sprintf("%s/%d/target", field, i), "a measure needs a target")
		}
	}
	return validateMeasureNumbers(field, ms)
}
