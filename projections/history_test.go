package projections_test

import (
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

// historyLog records an SIP, one goal, a goal retitle and a section
// revision, and returns the log with the four events.
func historyLog(t *testing.T) (*eventLog, []domain.Event) {
	l := newEventLog(t)
	created := l.plan(sipID, domain.TypePlanCreated, domain.PlanCreated{
		ID: sipID, Kind: domain.PlanSIP, OrgCode: schoolCode, DistrictPlanID: dipID, FirstYear: 2017, LastYear: 2017,
		Title: "School plan", Sections: map[string]string{"needs_assessment": "Old needs"},
	}, day(2016, time.August, 1))
	adopted := l.plan(sipID, domain.TypeGoalAdopted, domain.GoalAdopted{Goal: goal(goalAID, "Old title")}, day(2016, time.August, 2))

	retitle := l.build(domain.KindPlan, sipID, domain.TypeGoalRevised, domain.GoalRevised{Goal: goal(goalAID, "New title")},
		day(2016, time.September, 10), day(2016, time.September, 1))
	retitle.Actor = "principal@example.org"
	retitle.CorrelationID = "request-7"
	l.apply(retitle)

	section := l.plan(sipID, domain.TypeSectionRevised, domain.SectionRevised{Key: "needs_assessment", Text: "New needs"},
		day(2016, time.October, 1))
	return l, []domain.Event{created, adopted, retitle, section}
}

func TestHistoryCarriesEventFields(t *testing.T) {
	l, events := historyLog(t)
	history, err := l.p.History(sipID)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if len(history) != len(events) {
		t.Fatalf("got %d entries, want %d", len(history), len(events))
	}
	for i, e := range events {
		h := history[i]
		if h.Sequence != e.Sequence {
			t.Errorf("entry %d: got sequence %d, want %d", i, h.Sequence, e.Sequence)
		}
		if h.EventID != e.ID {
			t.Errorf("entry %d: got event id %q, want %q", i, h.EventID, e.ID)
		}
		if h.Type != e.Type {
			t.Errorf("entry %d: got type %q, want %q", i, h.Type, e.Type)
		}
		if h.Actor != e.Actor {
			t.Errorf("entry %d: got actor %q, want %q", i, h.Actor, e.Actor)
		}
		if !h.RecordedAt.Equal(e.RecordedAt) {
			t.Errorf("entry %d: got recorded at %s, want %s", i, h.RecordedAt, e.RecordedAt)
		}
		if !h.EffectiveAt.Equal(e.EffectiveAt) {
			t.Errorf("entry %d: got effective at %s, want %s", i, h.EffectiveAt, e.EffectiveAt)
		}
		if h.CorrelationID != e.CorrelationID {
			t.Errorf("entry %d: got correlation id %q, want %q", i, h.CorrelationID, e.CorrelationID)
		}
	}
}

func TestHistoryGoalTitleChange(t *testing.T) {
	l, _ := historyLog(t)
	history, err := l.p.History(sipID)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	changes := history[2].Changes
	if len(changes) != 1 {
		t.Fatalf("got changes %+v, want one", changes)
	}
	want := projections.FieldChange{Path: "goals/" + goalAID + "/title", Old: "Old title", New: "New title"}
	if changes[0] != want {
		t.Errorf("got change %+v, want %+v", changes[0], want)
	}
}

func TestHistorySectionTextChange(t *testing.T) {
	l, _ := historyLog(t)
	history, err := l.p.History(sipID)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	changes := history[3].Changes
	if len(changes) != 1 {
		t.Fatalf("got changes %+v, want one", changes)
	}
	want := projections.FieldChange{Path: "sections/needs_assessment/text", Old: "Old needs", New: "New needs"}
	if changes[0] != want {
		t.Errorf("got change %+v, want %+v", changes[0], want)
	}
}

func TestHistoryAddedGoalHasNoOld(t *testing.T) {
	l, _ := historyLog(t)
	history, err := l.p.History(sipID)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	found := false
	for _, c := range history[1].Changes {
		if c.Path == "goals/"+goalAID+"/title" {
			found = true
			if c.Old != nil {
				t.Errorf("got old %v, want none for an added goal", c.Old)
			}
			if c.New != "Old title" {
				t.Errorf("got new %v, want %q", c.New, "Old title")
			}
		}
	}
	if !found {
		t.Errorf("got changes %+v, want one at goals/%s/title", history[1].Changes, goalAID)
	}
}

func TestHistoryWithdrawnGoalHasNoNew(t *testing.T) {
	l, _ := historyLog(t)
	l.plan(sipID, domain.TypeGoalWithdrawn, domain.GoalWithdrawn{GoalID: goalAID}, day(2016, time.November, 1))
	history, err := l.p.History(sipID)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	last := history[len(history)-1]
	found := false
	for _, c := range last.Changes {
		if c.Path == "goals/"+goalAID+"/title" {
			found = true
			if c.Old != "New title" {
				t.Errorf("got old %v, want %q", c.Old, "New title")
			}
			if c.New != nil {
				t.Errorf("got new %v, want none for a withdrawn goal", c.New)
			}
		}
	}
	if !found {
		t.Errorf("got changes %+v, want one at goals/%s/title", last.Changes, goalAID)
	}
}

func TestHistoryUnknownPlan(t *testing.T) {
	l := newEventLog(t)
	_, err := l.p.History(sipID)
	checkError(t, err, domain.ENotFound, "id")
}
