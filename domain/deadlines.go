package domain

import (
	"fmt"
	"time"
	_ "time/tzdata" // deadlines are Massachusetts days even on hosts without zoneinfo
)

// massachusetts is the zone of every statutory day: a deadline "not later
// than July 1" ends at midnight after July 1 in Massachusetts.
var massachusetts = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(fmt.Sprintf("load time zone America/New_York: %v", err))
	}
	return loc
}()

// dayOf returns the Massachusetts day that contains t, at midnight.
func dayOf(t time.Time) time.Time {
	y, m, d := t.In(massachusetts).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, massachusetts)
}

// endOfDay returns the first instant after a Massachusetts day.
func endOfDay(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day+1, 0, 0, 0, 0, massachusetts)
}

// Sources of the deadlines.
const (
	citationSIPApproval = "M.G.L. c.71 s.59C and c.69 s.1I, as amended by St. 2016, c.255"
	urlAct2016          = "https://malegislature.gov/Laws/SessionLaws/Acts/2016/Chapter255"
	citationC71         = "M.G.L. c.71 s.59C"
	urlC71              = "https://malegislature.gov/Laws/GeneralLaws/PartI/TitleXII/Chapter71/Section59C"
	citation603_5       = "603 CMR 2.03(5)"
	url603              = "http://www.doe.mass.edu/lawsregs/603cmr2.html?section=03"
)

// act2016Approved is the day St. 2016, c.255 was approved. Before it, the
// school committee also approved SIPs.
var act2016Approved = time.Date(2016, time.September, 1, 0, 0, 0, 0, massachusetts)

// SIPApprovalDeadline returns the last day on which the superintendent may
// approve the SIP for a school year (named by its spring): July 1 of the
// year in which the plan is to be implemented, which for the 2017-18 plan
// is July 1, 2017, before the school year opens.
func SIPApprovalDeadline(schoolYear int) time.Time {
	return time.Date(schoolYear-1, time.July, 1, 0, 0, 0, 0, massachusetts)
}

// SIPDeadlinePassed returns the instant after which an unapproved SIP for
// the school year is late.
func SIPDeadlinePassed(schoolYear int) time.Time {
	return endOfDay(schoolYear-1, time.July, 1)
}

// SchoolYearDue returns the school year whose SIP approval deadline passed
// most recently at the instant: 2017 (2016-17) on June 30, 2017, and 2018
// from July 2, 2017.
func SchoolYearDue(at time.Time) int {
	y := at.In(massachusetts).Year()
	if !at.Before(SIPDeadlinePassed(y + 1)) {
		return y + 1
	}
	return y
}

// SchoolYearStart returns July 1 before a school year, the day a DIP
// covering it should be in force. It is a convention: no source at hand
// sets a day by which a DIP must be adopted.
func SchoolYearStart(schoolYear int) time.Time {
	return time.Date(schoolYear-1, time.July, 1, 0, 0, 0, 0, massachusetts)
}

// Due item states.
const (
	DueMet        = "met"        // done by the due day
	DueMetLate    = "met_late"   // done after the due day
	DuePending    = "pending"    // not done, the due day is still ahead
	DueOverdue    = "overdue"    // not done, the due day has passed
	DueNoDate     = "no_date"    // the rule sets a period from a day planledger does not hold
	DueUntracked  = "untracked"  // planledger records no event that would meet it
	DueSuperseded = "superseded" // a DIP's successor is in place
)

// DueItem is one deadline or recurring duty of a plan.
type DueItem struct {
	Key       string `json:"key"`
	Title     string `json:"title"`
	Due       string `json:"due,omitempty"` // YYYY-MM-DD, absent when no day can be computed
	State     string `json:"state"`
	Detail    string `json:"detail"`
	Citation  string `json:"citation"`
	SourceURL string `json:"source_url"`
	// Convention says why the day is planledger's choice rather than the
	// law's, when it is.
	Convention string `json:"convention,omitempty"`
	// Unverified names the part of the rule no source at hand confirmed.
	Unverified string `json:"unverified,omitempty"`
}

// DueContext is what due dates need besides the plan.
type DueContext struct {
	// SuccessorAt is when the district's next DIP took effect; zero when
	// it has none as of the instant. Only a DIP uses it.
	SuccessorAt time.Time
	// SelfEvaluations holds the district's self-evaluations as of the
	// instant, by school year; a year without one is missing. Only a DIP
	// uses it.
	SelfEvaluations map[int]*SelfEvaluation
}

// DueDates lists a plan's deadlines and their state at the instant. The
// plan must be folded as of the same instant.
func DueDates(p *Plan, at time.Time, ctx DueContext) []DueItem {
	if p.Kind == PlanDIP {
		return dipDueDates(p, at, ctx)
	}
	return sipDueDates(p, at)
}

func sipDueDates(p *Plan, at time.Time) []DueItem {
	deadline := SIPApprovalDeadline(p.FirstYear)
	approval := DueItem{
		Key:       "sip_approval",
		Title:     "Superintendent approves the SIP after consulting the school committee",
		Due:       deadline.Format(time.DateOnly),
		Citation:  citationSIPApproval,
		SourceURL: urlAct2016,
	}
	passed := SIPDeadlinePassed(p.FirstYear)
	first, approved := p.FirstApproval()
	switch {
	case approved && first.EffectiveAt.Before(passed):
		approval.State = DueMet
		approval.Detail = "approved " + dayOf(first.EffectiveAt).Format(time.DateOnly)
	case approved:
		approval.State = DueMetLate
		approval.Detail = fmt.Sprintf("approved %s, after the deadline", dayOf(first.EffectiveAt).Format(time.DateOnly))
	case at.Before(passed):
		approval.State = DuePending
		approval.Detail = fmt.Sprintf("%s, not yet approved", p.CurrentStatus())
	default:
		approval.State = DueOverdue
		approval.Detail = fmt.Sprintf("%s, not approved by the deadline", p.CurrentStatus())
	}
	if deadline.Before(act2016Approved) {
		approval.Unverified = "This deadline falls before St. 2016, c.255 was approved on 2016-09-01. The earlier text also had " +
			"the school committee approve the plan and, as bills amending it quote, deemed a plan approved when no action " +
			"was taken by July 1; its exact wording was not at hand, so planledger applies the 2016 rule."
	}

	council := DueItem{
		Key:   "council_first_meeting",
		Title: "Principal convenes the school council's first meeting of the year",
		State: DueNoDate,
		Detail: fmt.Sprintf("no later than 40 days after the first day of school in %s; planledger holds no first-day dates, so it computes no day",
			SchoolYearLabel(p.FirstYear)),
		Citation:  citationC71,
		SourceURL: urlC71,
	}
	return []DueItem{approval, council}
}

func dipDueDates(p *Plan, at time.Time, ctx DueContext) []DueItem {
	renewalDay := SchoolYearStart(p.LastYear + 1)
	renewal := DueItem{
		Key:       "dip_renewal",
		Title:     "Next three-year District Improvement Plan in force",
		Due:       renewalDay.Format(time.DateOnly),
		Citation:  citation603_5 + "(a)",
		SourceURL: url603,
		Convention: "The regulation requires a written three-year plan every three years but sets no day; planledger " +
			"expects the next plan to take effect by July 1 before the first school year this one does not cover.",
	}
	switch {
	case !ctx.SuccessorAt.IsZero():
		renewal.State = DueSuperseded
		renewal.Detail = "the next DIP took effect " + dayOf(ctx.SuccessorAt).Format(time.DateOnly)
	case at.Before(endOfDay(p.LastYear, time.June, 30)):
		renewal.State = DuePending
		renewal.Detail = fmt.Sprintf("this plan covers %s", p.PeriodLabel())
	default:
		renewal.State = DueOverdue
		renewal.Detail = fmt.Sprintf("this plan ended with %s and no next DIP is on record", SchoolYearLabel(p.LastYear))
	}
	items := []DueItem{renewal}
	for year := p.FirstYear; year <= p.LastYear; year++ {
		items = append(items, selfEvaluationDue(p.OrgCode, year, at, ctx.SelfEvaluations[year]))
	}
	return items
}

// selfEvaluationDue reports the district's self-evaluation for one school
// year: missing, started or completed, with its days. eval is nil when the
// district has none as of at.
func selfEvaluationDue(districtCode string, year int, at time.Time, eval *SelfEvaluation) DueItem {
	due := time.Date(year, time.June, 30, 0, 0, 0, 0, massachusetts)
	item := DueItem{
		Key:       fmt.Sprintf("self_evaluation_%d", year),
		Title:     "Annual district self-evaluation for " + SchoolYearLabel(year),
		Due:       due.Format(time.DateOnly),
		Citation:  citation603_5,
		SourceURL: url603,
		Convention: "The regulation requires an annual self-evaluation but sets no day; planledger shows the last day " +
			"of each school year.",
	}
	passed := endOfDay(year, time.June, 30)
	id := SelfEvaluationID(districtCode, year)
	switch {
	case eval != nil && eval.Completed && eval.CompletedAt != nil:
		item.State = DueMet
		if !eval.CompletedAt.Before(passed) {
			item.State = DueMetLate
		}
		item.Detail = fmt.Sprintf("self-evaluation %s completed %s (started %s)", id,
			dayOf(*eval.CompletedAt).Format(time.DateOnly), dayOf(eval.StartedAt).Format(time.DateOnly))
	case eval != nil:
		item.State = DuePending
		if !at.Before(passed) {
			item.State = DueOverdue
		}
		item.Detail = fmt.Sprintf("self-evaluation %s started %s, not completed; %d of %d standards rated", id,
			dayOf(eval.StartedAt).Format(time.DateOnly), len(eval.Ratings), len(DistrictStandards))
	default:
		item.State = DuePending
		if !at.Before(passed) {
			item.State = DueOverdue
		}
		item.Detail = fmt.Sprintf("missing: no self-evaluation %s on record; start one with POST /v1/self-evaluations", id)
	}
	return item
}
