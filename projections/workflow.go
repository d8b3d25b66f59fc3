package projections

import (
	"errors"
	"fmt"
	"time"

	"github.com/planledger/planledger/domain"
)

// WorkflowView is a plan's approval workflow as of an instant: its status,
// the steps taken, what may come next and its deadlines.
type WorkflowView struct {
	PlanID   string                `json:"plan_id"`
	Kind     domain.PlanKind       `json:"kind"`
	OrgCode  string                `json:"org_code"`
	Title    string                `json:"title"`
	Period   string                `json:"period"`
	AsOf     AsOf                  `json:"as_of"`
	Status   domain.PlanStatus     `json:"status"`
	Revision int                   `json:"revision"`
	Editable bool                  `json:"editable"`
	Next     []domain.ActionInfo   `json:"allowed_next_steps"`
	Steps    []domain.WorkflowStep `json:"workflow"`
	Due      []domain.DueItem      `json:"due"`
	// LastSequence is the last plan event the view folded; Version is the
	// plan's latest, the one a workflow step must state.
	LastSequence uint64 `json:"last_sequence"`
	Version      uint64 `json:"version"`
}

// Workflow returns a plan's workflow as of the instant.
func (p *Projector) Workflow(id string, at AsOf) (WorkflowView, error) {
	view, err := p.PlanAt(id, at)
	if err != nil {
		return WorkflowView{}, err
	}
	plan := view.Plan
	ctx := domain.DueContext{}
	if plan.Kind == domain.PlanDIP {
		if next, ok := p.successorDIP(plan, at); ok {
			ctx.SuccessorAt = next
		}
		ctx.SelfEvaluations = map[int]*domain.SelfEvaluation{}
		for year := plan.FirstYear; year <= plan.LastYear; year++ {
			state, _, ok, err := p.Aggregate(domain.KindSelfEvaluation, domain.SelfEvaluationID(plan.OrgCode, year), &at)
			if err != nil {
				return WorkflowView{}, err
			}
			if eval, isEval := state.(*domain.SelfEvaluation); ok && isEval {
				ctx.SelfEvaluations[year] = eval
			}
		}
	}
	out := WorkflowView{
		PlanID: plan.ID, Kind: plan.Kind, OrgCode: plan.OrgCode, Title: plan.Title, Period: plan.PeriodLabel(),
		AsOf: at, Status: plan.CurrentStatus(), Revision: plan.CurrentRevision(), Editable: domain.Editable(&plan),
		Next: domain.NextActionInfo(&plan), Steps: plan.Workflow, Due: domain.DueDates(&plan, at.Instant, ctx),
		LastSequence: view.LastSequence, Version: view.Version,
	}
	if out.Next == nil {
		out.Next = []domain.ActionInfo{}
	}
	if out.Steps == nil {
		out.Steps = []domain.WorkflowStep{}
	}
	return out, nil
}

// successorDIP returns when the district's DIP for the years after dip's
// took effect, if it existed at the instant.
func (p *Projector) successorDIP(dip domain.Plan, at AsOf) (time.Time, bool) {
	for _, other := range p.dipsAt(dip.OrgCode, at) {
		if other.plan.FirstYear == dip.LastYear+1 {
			return other.effective, true
		}
	}
	return time.Time{}, false
}

// dipAt is a district plan as of an instant with the time it took effect.
type dipAt struct {
	plan      domain.Plan
	effective time.Time
}

// dipsAt folds the district's DIPs that existed at the instant, in
// creation order.
func (p *Projector) dipsAt(districtCode string, at AsOf) []dipAt {
	var out []dipAt
	for _, cur := range p.PlansFor(districtCode) {
		if cur.Kind != domain.PlanDIP {
			continue
		}
		view, err := p.PlanAt(cur.ID, at)
		if err != nil {
			continue // not yet created at the instant
		}
		created, _ := p.CreatedAt(cur.ID)
		out = append(out, dipAt{plan: view.Plan, effective: created})
	}
	return out
}

// Overdue reasons.
const (
	OverdueMissing      = "missing"       // no SIP for the year, or no DIP at all
	OverdueNotSubmitted = "not_submitted" // the SIP is a draft, or the council was consulted but it was not submitted
	OverdueNotApproved  = "not_approved"  // submitted, resubmitted or returned, and not approved
	OverdueApprovedLate = "approved_late" // approved, but after the deadline
	OverdueExpired      = "expired"       // the district's latest DIP ended before the year
)

// OverdueItem is one plan, or missing plan, that is late.
type OverdueItem struct {
	Kind       domain.PlanKind   `json:"kind"`
	OrgCode    string            `json:"org_code"`
	OrgName    string            `json:"org_name"`
	SchoolYear int               `json:"school_year"`
	PlanID     string            `json:"plan_id,omitempty"`
	Status     domain.PlanStatus `json:"status,omitempty"`
	Reason     string            `json:"reason"`
	Due        string            `json:"due"`
	Detail     string            `json:"detail"`
	Citation   string            `json:"citation"`
	SourceURL  string            `json:"source_url"`
	Convention string            `json:"convention,omitempty"`
}

// DIPStanding is the district plan that covers the year checked; the
// report omits it when none does.
type DIPStanding struct {
	PlanID string            `json:"plan_id"`
	Title  string            `json:"title"`
	Period string            `json:"period"`
	Status domain.PlanStatus `json:"status"`
}

// OverdueReport lists a district's late plans for one school year as of
// an instant.
type OverdueReport struct {
	DistrictCode    string        `json:"district_code"`
	DistrictName    string        `json:"district_name"`
	AsOf            AsOf          `json:"as_of"`
	SchoolYear      int           `json:"school_year"`
	SchoolYearLabel string        `json:"school_year_label"`
	SIPDeadline     string        `json:"sip_deadline"`
	DeadlinePassed  bool          `json:"deadline_passed"`
	SchoolsChecked  int           `json:"schools_checked"`
	DistrictPlan    *DIPStanding  `json:"district_plan,omitempty"`
	Items           []OverdueItem `json:"items"`
}

// Overdue checks a district's schools and DIP for one school year as of
// the instant: each school's SIP must have been approved by the July 1
// deadline, and a DIP must cover the year. Year 0 means the school year
// whose SIP deadline passed most recently at the instant.
func (p *Projector) Overdue(districtCode string, at AsOf, year int) (OverdueReport, error) {
	district, ok := p.Org(districtCode)
	if !ok {
		return OverdueReport{}, domain.Errorf(domain.ENotFound, "code", "no district has org code %s; list them at GET /v1/orgs?type=district", districtCode)
	}
	if district.Type != domain.OrgDistrict {
		return OverdueReport{}, domain.Errorf(domain.EInvalid, "code",
			"%s is a school; ask for its district %s", districtCode, district.DistrictCode)
	}
	if year == 0 {
		year = domain.SchoolYearDue(at.Instant)
	}
	deadline := domain.SIPApprovalDeadline(year)
	report := OverdueReport{
		DistrictCode: districtCode, DistrictName: district.Name, AsOf: at,
		SchoolYear: year, SchoolYearLabel: domain.SchoolYearLabel(year),
		SIPDeadline: deadline.Format(time.DateOnly), DeadlinePassed: !at.Instant.Before(domain.SIPDeadlinePassed(year)),
		Items: []OverdueItem{},
	}
	label := domain.SchoolYearLabel(year)
	for _, school := range p.Orgs(domain.OrgSchool) {
		// A school whose latest enrollment year is before the year had
		// closed by then. One that opened later cannot be told apart,
		// because a registration keeps only the latest year.
		if school.DistrictCode != districtCode || (school.SchoolYear != "" && school.SchoolYear < label) {
			continue
		}
		report.SchoolsChecked++
		item, late, err := p.sipOverdue(school, year, at, report.DeadlinePassed)
		if err != nil {
			return OverdueReport{}, err
		}
		if late {
			report.Items = append(report.Items, item)
		}
	}
	dip, item, late := p.dipOverdue(district, year, at)
	report.DistrictPlan = dip
	if late {
		report.Items = append(report.Items, item)
	}
	return report, nil
}

func (p *Projector) sipOverdue(school domain.Org, year int, at AsOf, passed bool) (OverdueItem, bool, error) {
	item := OverdueItem{Kind: domain.PlanSIP, OrgCode: school.Code, OrgName: school.Name, SchoolYear: year,
		Due: domain.SIPApprovalDeadline(year).Format(time.DateOnly), Citation: "M.G.L. c.71 s.59C, as amended by St. 2016, c.255",
		SourceURL: "https://malegislature.gov/Laws/SessionLaws/Acts/2016/Chapter255"}
	id, ok := p.SIPFor(school.Code, year)
	if !ok {
		if !passed {
			return item, false, nil
		}
		item.Reason, item.Detail = OverdueMissing, fmt.Sprintf("no SIP for %s is on record", domain.SchoolYearLabel(year))
		return item, true, nil
	}
	view, err := p.PlanAt(id, at)
	var notFound *domain.Error
	if errors.As(err, &notFound) && notFound.Code == domain.ENotFound {
		if !passed {
			return item, false, nil
		}
		item.Reason, item.Detail = OverdueMissing, fmt.Sprintf("SIP %s did not exist yet at the instant", id)
		return item, true, nil
	}
	if err != nil {
		return item, false, err
	}
	plan := view.Plan
	item.PlanID, item.Status = plan.ID, plan.CurrentStatus()
	first, approved := plan.FirstApproval()
	switch {
	case approved && first.EffectiveAt.Before(domain.SIPDeadlinePassed(year)):
		return item, false, nil
	case approved:
		item.Reason = OverdueApprovedLate
		item.Detail = fmt.Sprintf("approved %s, after the deadline", first.EffectiveAt.In(Massachusetts).Format(time.DateOnly))
		return item, true, nil
	case !passed:
		return item, false, nil
	}
	switch plan.CurrentStatus() {
	case domain.StatusDraft, domain.StatusCouncilConsulted:
		item.Reason = OverdueNotSubmitted
		item.Detail = fmt.Sprintf("the SIP is %s and was not submitted to the superintendent", plan.CurrentStatus())
	default:
		item.Reason = OverdueNotApproved
		item.Detail = fmt.Sprintf("the SIP is %s and was not approved by the deadline", plan.CurrentStatus())
	}
	return item, true, nil
}

func (p *Projector) dipOverdue(district domain.Org, year int, at AsOf) (*DIPStanding, OverdueItem, bool) {
	item := OverdueItem{Kind: domain.PlanDIP, OrgCode: district.Code, OrgName: district.Name, SchoolYear: year,
		Due: domain.SchoolYearStart(year).Format(time.DateOnly), Citation: "603 CMR 2.03(5)(a)",
		SourceURL: "http://www.doe.mass.edu/lawsregs/603cmr2.html?section=03",
		Convention: "The regulation requires a three-year plan every three years but sets no day; planledger expects " +
			"a DIP covering a school year to be in force by July 1 before it."}
	var latest *domain.Plan
	for _, d := range p.dipsAt(district.Code, at) {
		plan := d.plan
		if plan.FirstYear <= year && year <= plan.LastYear {
			return &DIPStanding{PlanID: plan.ID, Title: plan.Title, Period: plan.PeriodLabel(), Status: plan.CurrentStatus()}, item, false
		}
		if plan.LastYear < year && (latest == nil || plan.LastYear > latest.LastYear) {
			latest = &plan
		}
	}
	if latest != nil {
		item.PlanID, item.Status, item.Reason = latest.ID, latest.CurrentStatus(), OverdueExpired
		item.Detail = fmt.Sprintf("the latest DIP covered %s; none covers %s", latest.PeriodLabel(), domain.SchoolYearLabel(year))
		return nil, item, true
	}
	item.Reason = OverdueMissing
	item.Detail = fmt.Sprintf("no DIP covering %s is on record", domain.SchoolYearLabel(year))
	return nil, item, true
}
