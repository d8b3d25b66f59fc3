package projections_test

import (
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

// The events of an atomic batch are applied together, so a read between
// two of them returns neither.
func TestBatchAppliesWhole(t *testing.T) {
	l := newEventLog(t)
	l.org(districtCode, domain.OrgDistrict, "Example District")
	at := day(2016, time.July, 1)
	batch := []domain.Event{
		l.build(domain.KindPlan, dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "District plan"), at, at),
		l.build(domain.KindPlan, dipID, domain.TypeObjectiveAdded, domain.ObjectiveAdded{Objective: objective(objectiveAID, "A")}, at, at),
		l.build(domain.KindPlan, dipID, domain.TypeObjectiveAdded, domain.ObjectiveAdded{Objective: objective(objectiveBID, "B")}, at, at),
	}
	before := l.p.Applied()
	for i := range batch {
		batch[i].BatchIndex, batch[i].BatchSize = i, len(batch)
	}

	for i, e := range batch[:len(batch)-1] {
		l.apply(e)
		if _, ok := l.p.Plan(dipID); ok {
			t.Errorf("after batch event %d the plan is visible; want nothing until the batch is whole", i)
		}
		if got := l.p.Applied(); got != before {
			t.Errorf("after batch event %d Applied is %d, want %d", i, got, before)
		}
	}
	l.apply(batch[len(batch)-1])
	plan, ok := l.p.Plan(dipID)
	if !ok {
		t.Fatalf("plan missing after the whole batch")
	}
	if len(plan.Objectives) != 2 {
		t.Errorf("plan has %d objectives, want 2", len(plan.Objectives))
	}
	if got, want := l.p.Applied(), batch[len(batch)-1].StreamSequence; got != want {
		t.Errorf("Applied %d, want %d", got, want)
	}
}
