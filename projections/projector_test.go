package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

func TestApplyIgnoresRedeliveredEvent(t *testing.T) {
	l := newEventLog(t)
	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "Title"), day(2024, time.April, 1))
	retitled := l.plan(dipID, domain.TypePlanRetitled, domain.PlanRetitled{Title: "New title"}, day(2024, time.April, 2))

	if err := l.p.Apply(retitled); err != nil {
		t.Errorf("redelivery: got error %v, want nil", err)
	}
	if got := l.p.Applied(); got != retitled.StreamSequence {
		t.Errorf("got applied %d, want %d", got, retitled.StreamSequence)
	}
	if got := l.p.Sequence(domain.KindPlan, dipID); got != 2 {
		t.Errorf("got aggregate sequence %d, want 2", got)
	}
	history, err := l.p.History(dipID)
	if err != nil {
		t.Fatalf("History: got error %v, want nil", err)
	}
	if len(history) != 2 {
		t.Errorf("got %d history entries, want 2", len(history))
	}
}

func TestApplyRejectsSequenceGap(t *testing.T) {
	l := newEventLog(t)
	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "Title"), day(2024, time.April, 1))
	gap := l.build(domain.KindPlan, dipID, domain.TypePlanRetitled, domain.PlanRetitled{Title: "New title"},
		day(2024, time.April, 2), day(2024, time.April, 2))
	gap.Sequence = 3

	if err := l.p.Apply(gap); err == nil {
		t.Errorf("got no error for sequence 3 after 1, want one")
	}
	if got := l.p.Applied(); got != gap.StreamSequence {
		t.Errorf("got applied %d, want %d", got, gap.StreamSequence)
	}
	if got := l.p.Sequence(domain.KindPlan, dipID); got != 1 {
		t.Errorf("got aggregate sequence %d, want 1", got)
	}
	plan, _ := l.p.Plan(dipID)
	if plan.Title != "Title" {
		t.Errorf("got title %q, want %q", plan.Title, "Title")
	}
}

func TestApplyRejectsEditBeforeCreate(t *testing.T) {
	l := newEventLog(t)
	e := l.build(domain.KindPlan, dipID, domain.TypePlanRetitled, domain.PlanRetitled{Title: "Title"},
		day(2024, time.April, 1), day(2024, time.April, 1))
	if err := l.p.Apply(e); err == nil {
		t.Errorf("got no error for a retitle of a plan never created, want one")
	}
	if _, ok := l.p.Plan(dipID); ok {
		t.Errorf("got plan %s, want none", dipID)
	}
}

func TestApplyIndexesOrgsAndPlans(t *testing.T) {
	l := newEventLog(t)
	l.org(districtCode, domain.OrgDistrict, "Example District")
	l.org(schoolCode, domain.OrgSchool, "Example School")
	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "Title"), day(2016, time.July, 1))
	l.plan(sipID, domain.TypePlanCreated, createSIP(sipID, schoolCode, dipID), day(2016, time.August, 1))

	if o, ok := l.p.Org(schoolCode); !ok || o.Name != "Example School" {
		t.Errorf("Org(%s): got %+v, %v, want Example School", schoolCode, o, ok)
	}
	if id, ok := l.p.SIPFor(schoolCode, 2017); !ok || id != sipID {
		t.Errorf("SIPFor(%s, 2017): got %q, %v, want %q", schoolCode, id, ok, sipID)
	}
	if _, ok := l.p.SIPFor(schoolCode, 2018); ok {
		t.Errorf("SIPFor(%s, 2018): got a plan, want none", schoolCode)
	}
	if got := len(l.p.PlansFor(districtCode)); got != 1 {
		t.Errorf("PlansFor(%s): got %d plans, want 1", districtCode, got)
	}
	if got := len(l.p.Orgs(domain.OrgSchool)); got != 1 {
		t.Errorf("Orgs(school): got %d, want 1", got)
	}
	if got := len(l.p.Orgs("")); got != 2 {
		t.Errorf("Orgs(all): got %d, want 2", got)
	}
}

// stillBlocked fails the test if done delivers within 50 milliseconds.
func stillBlocked(t *testing.T, done <-chan error, after string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("WaitFor returned %v %s, want it to block", err, after)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestWaitForReturnsAfterApply(t *testing.T) {
	l := newEventLog(t)
	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "Title"), day(2024, time.April, 1))
	earlier := l.build(domain.KindOrg, districtCode, domain.TypeOrgRegistered,
		domain.OrgRegistered{Org: domain.Org{Code: districtCode, Type: domain.OrgDistrict, Name: "District", DistrictCode: districtCode}},
		day(2024, time.April, 2), day(2024, time.April, 2))
	awaited := l.build(domain.KindPlan, dipID, domain.TypePlanRetitled, domain.PlanRetitled{Title: "New title"},
		day(2024, time.April, 3), day(2024, time.April, 3))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- l.p.WaitFor(ctx, awaited.StreamSequence) }()

	stillBlocked(t, done, "before any apply")
	l.apply(earlier)
	stillBlocked(t, done, "after an earlier event")
	l.apply(awaited)
	if err := <-done; err != nil {
		t.Errorf("got error %v, want nil", err)
	}
}

func TestWaitForAppliedEventReturnsAtOnce(t *testing.T) {
	l := newEventLog(t)
	created := l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "Title"), day(2024, time.April, 1))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.p.WaitFor(ctx, created.StreamSequence); err != nil {
		t.Errorf("got error %v, want nil for an event already applied", err)
	}
}

func TestWaitForContextEndsFirst(t *testing.T) {
	l := newEventLog(t)
	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "Title"), day(2024, time.April, 1))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := l.p.WaitFor(ctx, 5)
	if got := domain.ErrorCode(err); got != domain.EUnavailable {
		t.Errorf("got code %q (error: %v), want %q", got, err, domain.EUnavailable)
	}
}
