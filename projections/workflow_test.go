package projections_test

import (
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

// massNoon returns noon of a Massachusetts day.
func massNoon(year int, month time.Month, d int) time.Time {
	return time.Date(year, month, d, 12, 0, 0, 0, projections.Massachusetts)
}

// overdueLog has a district with three schools, a 2016 to 2018 DIP and
// 2017-18 SIPs for two of the schools: one approved on time after its
// council and submission steps, one only submitted.
func overdueLog(t *testing.T) *eventLog {
	l := newEventLog(t)
	l.org(districtCode, domain.OrgDistrict, "Newburyport")
	l.org(schoolCode, domain.OrgSchool, "Newburyport High")
	l.org(secondSchoolCode, domain.OrgSchool, "Second School")
	l.org("02040520", domain.OrgSchool, "Third School")

	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "District plan"), massNoon(2015, time.July, 1))
	approved := createSIP(sipID, schoolCode, dipID)
	approved.FirstYear, approved.LastYear = 2018, 2018
	l.plan(sipID, domain.TypePlanCreated, approved, massNoon(2017, time.March, 1))
	l.plan(sipID, domain.TypePlanCouncilConsulted, domain.PlanCouncilConsulted{MeetingDate: "2017-05-01"}, massNoon(2017, time.May, 1))
	l.plan(sipID, domain.TypePlanSubmitted, domain.PlanSubmitted{}, massNoon(2017, time.May, 2))
	l.plan(sipID, domain.TypePlanApproved, domain.PlanApproved{SchoolCommitteeConsultedOn: "2017-06-20"}, massNoon(2017, time.June, 20))

	submitted := createSIP(secondSIPID, secondSchoolCode, dipID)
	submitted.FirstYear, submitted.LastYear = 2018, 2018
	l.plan(secondSIPID, domain.TypePlanCreated, submitted, massNoon(2017, time.March, 1))
	l.plan(secondSIPID, domain.TypePlanCouncilConsulted, domain.PlanCouncilConsulted{MeetingDate: "2017-05-01"}, massNoon(2017, time.May, 1))
	l.plan(secondSIPID, domain.TypePlanSubmitted, domain.PlanSubmitted{}, massNoon(2017, time.May, 2))
	return l
}

func reasons(report projections.OverdueReport) map[string]string {
	out := map[string]string{}
	for _, it := range report.Items {
		out[string(it.Kind)+" "+it.OrgCode] = it.Reason
	}
	return out
}

func TestOverdueReasons(t *testing.T) {
	l := overdueLog(t)
	before, err := l.p.Overdue(districtCode, mustAsOf(t, "2017-07-01", ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	// As of July 1 the 2017-18 deadline has not passed, so the year checked
	// is 2016-17, for which no school has a plan.
	if before.SchoolYear != 2017 || len(before.Items) != 3 {
		t.Errorf("as of 2017-07-01: year %d, items %v; want 2017 with 3 missing SIPs", before.SchoolYear, reasons(before))
	}

	after, err := l.p.Overdue(districtCode, mustAsOf(t, "2017-07-02", ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"sip " + secondSchoolCode: projections.OverdueNotApproved,
		"sip 02040520":            projections.OverdueMissing,
	}
	got := reasons(after)
	if after.SchoolYear != 2018 || after.SIPDeadline != "2017-07-01" || !after.DeadlinePassed {
		t.Errorf("as of 2017-07-02: year %d, deadline %s passed %v; want 2018, 2017-07-01, true",
			after.SchoolYear, after.SIPDeadline, after.DeadlinePassed)
	}
	if len(got) != len(want) {
		t.Errorf("items = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: reason %q, want %q", k, got[k], v)
		}
	}
	if after.DistrictPlan == nil || after.DistrictPlan.PlanID != dipID || after.SchoolsChecked != 3 {
		t.Errorf("district plan %+v, schools %d; want DIP %s and 3 schools", after.DistrictPlan, after.SchoolsChecked, dipID)
	}
}

func TestOverdueApprovedLate(t *testing.T) {
	l := overdueLog(t)
	l.plan(secondSIPID, domain.TypePlanApproved, domain.PlanApproved{SchoolCommitteeConsultedOn: "2017-07-10"}, massNoon(2017, time.July, 10))
	report, err := l.p.Overdue(districtCode, mustAsOf(t, "2017-08-01", ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := reasons(report)["sip "+secondSchoolCode]; got != projections.OverdueApprovedLate {
		t.Errorf("approved on 2017-07-10: reason %q, want approved_late", got)
	}
	// As of July 5 the same plan was still only submitted.
	report, err = l.p.Overdue(districtCode, mustAsOf(t, "2017-07-05", ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := reasons(report)["sip "+secondSchoolCode]; got != projections.OverdueNotApproved {
		t.Errorf("as of 2017-07-05: reason %q, want not_approved", got)
	}
}

func TestOverdueDIPExpiredOrMissing(t *testing.T) {
	l := overdueLog(t)
	report, err := l.p.Overdue(districtCode, mustAsOf(t, "2018-07-02", ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := reasons(report)["dip "+districtCode]; got != projections.OverdueExpired || report.DistrictPlan != nil {
		t.Errorf("as of 2018-07-02: DIP reason %q, want expired", got)
	}
	report, err = l.p.Overdue(districtCode, mustAsOf(t, "2015-06-30", ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := reasons(report)["dip "+districtCode]; got != projections.OverdueMissing {
		t.Errorf("as of 2015-06-30, before the DIP: reason %q, want missing", got)
	}
}

func TestOverdueRejectsSchool(t *testing.T) {
	l := overdueLog(t)
	_, err := l.p.Overdue(schoolCode, mustAsOf(t, "2017-07-02", ""), 0)
	checkError(t, err, domain.EInvalid, "code")
	_, err = l.p.Overdue("09990000", mustAsOf(t, "2017-07-02", ""), 0)
	checkError(t, err, domain.ENotFound, "code")
}

func TestWorkflowViewAsOf(t *testing.T) {
	l := overdueLog(t)
	view, err := l.p.Workflow(sipID, mustAsOf(t, "2017-05-01", ""))
	if err != nil {
		t.Fatal(err)
	}
	if view.Status != domain.StatusCouncilConsulted || len(view.Steps) != 1 || !view.Editable {
		t.Errorf("as of 2017-05-01: %s with %d steps, editable %v; want council_consulted, 1, true", view.Status, len(view.Steps), view.Editable)
	}
	if len(view.Next) != 2 || view.Next[1].Action != domain.ActionSubmit || view.Next[1].Path != "/v1/plans/"+sipID+"/submissions" {
		t.Errorf("next steps = %+v, want consult_council and submit", view.Next)
	}
	view, err = l.p.Workflow(sipID, mustAsOf(t, "2017-07-02", ""))
	if err != nil {
		t.Fatal(err)
	}
	if view.Status != domain.StatusApproved || view.Editable || view.Due[0].State != domain.DueMet {
		t.Errorf("as of 2017-07-02: %s, editable %v, approval %s; want approved, fixed, met", view.Status, view.Editable, view.Due[0].State)
	}
}
