package projections_test

import (
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

func TestPlanAtFutureEffectiveEdit(t *testing.T) {
	l := newEventLog(t)
	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "Old title"), now.AddDate(0, -1, 0))
	nextMonth := now.AddDate(0, 1, 0)
	l.add(domain.KindPlan, dipID, domain.TypePlanRetitled, domain.PlanRetitled{Title: "New title"}, now.Add(-time.Hour), nextMonth)

	tests := []struct {
		basis string
		want  string
	}{
		{projections.BasisEffective, "Old title"},
		{projections.BasisRecorded, "New title"},
	}
	for _, tt := range tests {
		t.Run(tt.basis, func(t *testing.T) {
			view, err := l.p.PlanAt(dipID, mustAsOf(t, "", tt.basis))
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if view.Plan.Title != tt.want {
				t.Errorf("got title %q, want %q", view.Plan.Title, tt.want)
			}
		})
	}

	t.Run("effective next month", func(t *testing.T) {
		at := projections.AsOf{Instant: nextMonth, Basis: projections.BasisEffective}
		view, err := l.p.PlanAt(dipID, at)
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if view.Plan.Title != "New title" {
			t.Errorf("got title %q, want %q", view.Plan.Title, "New title")
		}
	})
}

func TestPlanAtBackdatedEdit(t *testing.T) {
	l := newEventLog(t)
	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "Old title"), day(2024, time.April, 1))
	yesterday := now.AddDate(0, 0, -1)
	l.add(domain.KindPlan, dipID, domain.TypePlanRetitled, domain.PlanRetitled{Title: "New title"}, now, yesterday)

	tests := []struct {
		basis string
		want  string
	}{
		{projections.BasisEffective, "New title"},
		{projections.BasisRecorded, "Old title"},
	}
	for _, tt := range tests {
		t.Run(tt.basis, func(t *testing.T) {
			view, err := l.p.PlanAt(dipID, mustAsOf(t, "2024-05-14", tt.basis))
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if view.Plan.Title != tt.want {
				t.Errorf("got title %q, want %q", view.Plan.Title, tt.want)
			}
		})
	}
}

func TestPlanAtBeforePlanExisted(t *testing.T) {
	l := newEventLog(t)
	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "Title"), day(2024, time.April, 1))

	for _, basis := range []string{projections.BasisEffective, projections.BasisRecorded} {
		t.Run(basis, func(t *testing.T) {
			_, err := l.p.PlanAt(dipID, mustAsOf(t, "2024-03-31", basis))
			checkError(t, err, domain.ENotFound, "as_of")
		})
	}
}

func TestPlanAtUnknownPlan(t *testing.T) {
	l := newEventLog(t)
	_, err := l.p.PlanAt(dipID, mustAsOf(t, "", ""))
	checkError(t, err, domain.ENotFound, "id")
}

func TestPlanAtReportsSequences(t *testing.T) {
	l := newEventLog(t)
	l.org(districtCode, domain.OrgDistrict, "Example District")
	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "Title"), now.AddDate(0, -1, 0))
	l.level(districtCode, 2, now.AddDate(0, 0, -20), now.AddDate(0, 0, -20))
	revised := l.plan(dipID, domain.TypeSectionRevised, domain.SectionRevised{Key: "vision", Text: "Vision"}, now.AddDate(0, 0, -10))
	retitled := l.add(domain.KindPlan, dipID, domain.TypePlanRetitled, domain.PlanRetitled{Title: "Later title"},
		now.AddDate(0, 0, -5), now.AddDate(0, 1, 0))

	tests := []struct {
		basis string
		last  domain.Event // the last event the read folds in
	}{
		{projections.BasisEffective, revised},
		{projections.BasisRecorded, retitled},
	}
	for _, tt := range tests {
		t.Run(tt.basis, func(t *testing.T) {
			view, err := l.p.PlanAt(dipID, mustAsOf(t, "", tt.basis))
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if view.LastSequence != tt.last.Sequence {
				t.Errorf("got last sequence %d, want %d", view.LastSequence, tt.last.Sequence)
			}
			if view.LastStreamSequence != tt.last.StreamSequence {
				t.Errorf("got last stream sequence %d, want %d", view.LastStreamSequence, tt.last.StreamSequence)
			}
			if !view.LastRecordedAt.Equal(tt.last.RecordedAt) {
				t.Errorf("got last recorded at %s, want %s", view.LastRecordedAt, tt.last.RecordedAt)
			}
			if view.Version != retitled.Sequence {
				t.Errorf("got version %d, want %d (the latest sequence)", view.Version, retitled.Sequence)
			}
			if view.AsOf.Basis != tt.basis {
				t.Errorf("got as-of basis %q, want %q", view.AsOf.Basis, tt.basis)
			}
		})
	}
}

func TestPlanAtDoesNotShareState(t *testing.T) {
	l := newEventLog(t)
	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "Title"), day(2024, time.April, 1))
	l.plan(dipID, domain.TypeObjectiveAdded, domain.ObjectiveAdded{Objective: objective(objectiveAID, "A")}, day(2024, time.April, 2))

	first, err := l.p.PlanAt(dipID, mustAsOf(t, "", ""))
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	first.Plan.Sections[0].Text = "changed by a reader"
	first.Plan.Objectives[0].Title = "changed by a reader"

	second, err := l.p.PlanAt(dipID, mustAsOf(t, "", ""))
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if got := second.Plan.Sections[0].Text; got != "Every student ready" {
		t.Errorf("got mission %q, want %q", got, "Every student ready")
	}
	if got := second.Plan.Objectives[0].Title; got != "A" {
		t.Errorf("got objective title %q, want %q", got, "A")
	}
	current, _ := l.p.Plan(dipID)
	if got := current.Sections[0].Text; got != "Every student ready" {
		t.Errorf("current plan: got mission %q, want %q", got, "Every student ready")
	}
}
