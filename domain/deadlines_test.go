package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

func TestSIPApprovalDeadline(t *testing.T) {
	if got := domain.SIPApprovalDeadline(2018).Format(time.DateOnly); got != "2017-07-01" {
		t.Errorf("deadline of the 2017-18 SIP = %s, want 2017-07-01", got)
	}
	lastInstant := time.Date(2017, time.July, 1, 23, 59, 59, 999999999, massachusetts)
	if got := domain.SchoolYearDue(lastInstant); got != 2017 {
		t.Errorf("school year due at the end of 2017-07-01 = %d, want 2017", got)
	}
	if got := domain.SchoolYearDue(lastInstant.Add(time.Nanosecond)); got != 2018 {
		t.Errorf("school year due at the start of 2017-07-02 = %d, want 2018", got)
	}
	if got := domain.SchoolYearDue(massDay(2017, time.January, 15)); got != 2017 {
		t.Errorf("school year due in January 2017 = %d, want 2017", got)
	}
}

func dueItem(t *testing.T, items []domain.DueItem, key string) domain.DueItem {
	t.Helper()
	for _, it := range items {
		if it.Key == key {
			return it
		}
	}
	t.Fatalf("no due item %s in %+v", key, items)
	return domain.DueItem{}
}

func TestSIPDueStates(t *testing.T) {
	p := completeSIP()
	p.FirstYear, p.LastYear = 2018, 2018
	if got := dueItem(t, domain.DueDates(p, massDay(2017, time.June, 30), domain.DueContext{}), "sip_approval").State; got != domain.DuePending {
		t.Errorf("unapproved before the deadline: %s, want pending", got)
	}
	if got := dueItem(t, domain.DueDates(p, massDay(2017, time.July, 2), domain.DueContext{}), "sip_approval").State; got != domain.DueOverdue {
		t.Errorf("unapproved after the deadline: %s, want overdue", got)
	}

	s := newStepper(t, p)
	s.now = massDay(2017, time.June, 1)
	s.must(domain.ActionConsultCouncil, s.today(), "")
	s.must(domain.ActionSubmit, "", "")
	s.must(domain.ActionApprove, s.today(), "")
	item := dueItem(t, domain.DueDates(p, massDay(2017, time.August, 1), domain.DueContext{}), "sip_approval")
	if item.State != domain.DueMet || item.Detail != "approved 2017-06-04" {
		t.Errorf("approved in June: %s (%s), want met on 2017-06-04", item.State, item.Detail)
	}
	if item.Unverified != "" {
		t.Errorf("a 2017 deadline is flagged as falling under the earlier law: %s", item.Unverified)
	}
	if council := dueItem(t, domain.DueDates(p, massDay(2017, time.August, 1), domain.DueContext{}), "council_first_meeting"); council.State != domain.DueNoDate || council.Due != "" {
		t.Errorf("council meeting item = %+v, want no date", council)
	}
}

func TestSIPDueLateAndBefore2016(t *testing.T) {
	p := completeSIP() // 2016-17, due 2016-07-01, before St. 2016 c.255
	s := newStepper(t, p)
	s.must(domain.ActionConsultCouncil, s.today(), "")
	s.must(domain.ActionSubmit, "", "")
	s.must(domain.ActionApprove, s.today(), "")
	item := dueItem(t, domain.DueDates(p, massDay(2017, time.June, 30), domain.DueContext{}), "sip_approval")
	if item.State != domain.DueMetLate {
		t.Errorf("approved in May 2017 for a 2016-07-01 deadline: %s, want met_late", item.State)
	}
	if item.Unverified == "" {
		t.Error("a deadline before St. 2016 c.255 is not flagged")
	}
}

func TestDIPDueStates(t *testing.T) {
	p := newDIP(dipID, districtCode) // 2016 to 2018
	items := domain.DueDates(p, massDay(2018, time.June, 1), domain.DueContext{})
	renewal := dueItem(t, items, "dip_renewal")
	if renewal.Due != "2018-07-01" || renewal.State != domain.DuePending || renewal.Convention == "" {
		t.Errorf("renewal in June 2018 = %+v, want pending on 2018-07-01, marked a convention", renewal)
	}
	if got := dueItem(t, domain.DueDates(p, massDay(2018, time.July, 2), domain.DueContext{}), "dip_renewal").State; got != domain.DueOverdue {
		t.Errorf("renewal after the plan ended without a successor: %s, want overdue", got)
	}
	ctx := domain.DueContext{SuccessorAt: massDay(2018, time.July, 1)}
	if got := dueItem(t, domain.DueDates(p, massDay(2018, time.July, 2), ctx), "dip_renewal").State; got != domain.DueSuperseded {
		t.Errorf("renewal with a successor: %s, want superseded", got)
	}
	for _, key := range []string{"self_evaluation_2016", "self_evaluation_2017", "self_evaluation_2018"} {
		if it := dueItem(t, items, key); it.Citation != "603 CMR 2.03(5)" {
			t.Errorf("%s cites %q, want 603 CMR 2.03(5)", key, it.Citation)
		}
	}
}

// Each year's self-evaluation item reads the district's self-evaluation:
// completed, started or missing, with its days.
func TestDIPDueSelfEvaluations(t *testing.T) {
	p := newDIP(dipID, districtCode) // 2016 to 2018
	completedAt := massDay(2016, time.May, 20)
	ctx := domain.DueContext{SelfEvaluations: map[int]*domain.SelfEvaluation{
		2016: {StartedAt: massDay(2016, time.March, 1), Completed: true, CompletedAt: &completedAt},
		2017: {StartedAt: massDay(2017, time.March, 1)},
	}}
	items := domain.DueDates(p, massDay(2017, time.July, 5), ctx)
	cases := []struct {
		key, state, detail string
	}{
		{"self_evaluation_2016", domain.DueMet, "completed 2016-05-20 (started 2016-03-01)"},
		{"self_evaluation_2017", domain.DueOverdue, "started 2017-03-01, not completed; 0 of 6 standards rated"},
		{"self_evaluation_2018", domain.DuePending, "missing: no self-evaluation " + districtCode + "-2018"},
	}
	for _, c := range cases {
		it := dueItem(t, items, c.key)
		if it.State != c.state {
			t.Errorf("%s state = %s, want %s", c.key, it.State, c.state)
		}
		if !strings.Contains(it.Detail, c.detail) {
			t.Errorf("%s detail = %q, want it to contain %q", c.key, it.Detail, c.detail)
		}
	}
}
