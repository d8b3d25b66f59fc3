package domain_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/planledger/planledger/domain"
)

// planEvent builds a plan event with a JSON payload, as the store returns it.
func planEvent(t *testing.T, seq uint64, typ string, payload any) domain.Event {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatalf("marshal %s payload: %v", typ, err)
	}
	return domain.Event{
		ID: typ, Type: typ, SchemaVersion: domain.CurrentSchemaVersion,
		AggregateKind: domain.KindPlan, AggregateID: dipID, Sequence: seq, Payload: raw,
	}
}

func foldPlan(t *testing.T, events []domain.Event) domain.Plan {
	t.Helper()
	var p domain.Plan
	for _, e := range events {
		if err := p.Apply(e); err != nil {
			t.Fatalf("apply event %d (%s): %v", e.Sequence, e.Type, err)
		}
	}
	return p
}

func dipEvents(t *testing.T) []domain.Event {
	revisedA := validObjective(objectiveAID)
	revisedA.Title = "Revised objective A"
	return []domain.Event{
		planEvent(t, 1, domain.TypePlanCreated, domain.PlanCreated{
			ID: dipID, Kind: domain.PlanDIP, OrgCode: districtCode, FirstYear: 2016, LastYear: 2018,
			Title: "Draft title", Note: "Illustrative", Sections: map[string]string{"mission": "First mission"},
		}),
		planEvent(t, 2, domain.TypeObjectiveAdded, domain.ObjectiveAdded{Objective: validObjective(objectiveAID)}),
		planEvent(t, 3, domain.TypeObjectiveAdded, domain.ObjectiveAdded{Objective: validObjective(objectiveBID)}),
		planEvent(t, 4, domain.TypeObjectiveRevised, domain.ObjectiveRevised{Objective: revisedA}),
		planEvent(t, 5, domain.TypeObjectiveRemoved, domain.ObjectiveRemoved{ObjectiveID: objectiveBID}),
		planEvent(t, 6, domain.TypePlanRetitled, domain.PlanRetitled{Title: "Final title"}),
		planEvent(t, 7, domain.TypeSectionRevised, domain.SectionRevised{Key: "vision", Text: "New vision"}),
	}
}

func TestPlanApplyFoldsObjectiveEvents(t *testing.T) {
	p := foldPlan(t, dipEvents(t))

	if p.ID != dipID {
		t.Errorf("got id %q, want %q", p.ID, dipID)
	}
	if p.Kind != domain.PlanDIP {
		t.Errorf("got kind %q, want %q", p.Kind, domain.PlanDIP)
	}
	if p.FirstYear != 2016 || p.LastYear != 2018 {
		t.Errorf("got years %d to %d, want 2016 to 2018", p.FirstYear, p.LastYear)
	}
	if p.Title != "Final title" {
		t.Errorf("got title %q, want %q", p.Title, "Final title")
	}
	if p.Note != "Illustrative" {
		t.Errorf("got note %q, want %q", p.Note, "Illustrative")
	}
	if len(p.Sections) != len(domain.DIPSections) {
		t.Fatalf("got %d sections, want %d", len(p.Sections), len(domain.DIPSections))
	}
	for i, spec := range domain.DIPSections {
		if p.Sections[i].Key != spec.Key {
			t.Errorf("section %d: got key %q, want %q", i, p.Sections[i].Key, spec.Key)
		}
		if p.Sections[i].Heading != spec.Heading {
			t.Errorf("section %d: got heading %q, want %q", i, p.Sections[i].Heading, spec.Heading)
		}
	}
	if got := p.Sections[0].Text; got != "First mission" {
		t.Errorf("got mission %q, want %q", got, "First mission")
	}
	if got := p.Sections[1].Text; got != "New vision" {
		t.Errorf("got vision %q, want %q", got, "New vision")
	}
	if got := p.Sections[2].Text; got != "" {
		t.Errorf("got core values %q, want empty", got)
	}
	if len(p.Objectives) != 1 {
		t.Fatalf("got %d objectives, want 1", len(p.Objectives))
	}
	if p.Objectives[0].ID != objectiveAID {
		t.Errorf("got objective id %q, want %q", p.Objectives[0].ID, objectiveAID)
	}
	if p.Objectives[0].Title != "Revised objective A" {
		t.Errorf("got objective title %q, want %q", p.Objectives[0].Title, "Revised objective A")
	}
}

func TestPlanApplyFoldsGoalEvents(t *testing.T) {
	revisedA := validGoal(goalAID)
	revisedA.Title = "Revised goal A"
	revisedA.Objectives = nil
	events := []domain.Event{
		planEvent(t, 1, domain.TypePlanCreated, domain.PlanCreated{
			ID: sipID, Kind: domain.PlanSIP, OrgCode: schoolCode, DistrictPlanID: dipID,
			FirstYear: 2017, LastYear: 2017, Title: "School plan",
		}),
		planEvent(t, 2, domain.TypeGoalAdopted, domain.GoalAdopted{Goal: validGoal(goalAID)}),
		planEvent(t, 3, domain.TypeGoalAdopted, domain.GoalAdopted{Goal: validGoal(goalBID)}),
		planEvent(t, 4, domain.TypeGoalRevised, domain.GoalRevised{Goal: revisedA}),
		planEvent(t, 5, domain.TypeGoalWithdrawn, domain.GoalWithdrawn{GoalID: goalBID}),
	}
	p := foldPlan(t, events)

	if p.DistrictPlanID != dipID {
		t.Errorf("got district plan id %q, want %q", p.DistrictPlanID, dipID)
	}
	if len(p.Sections) != len(domain.SIPSections) {
		t.Errorf("got %d sections, want %d", len(p.Sections), len(domain.SIPSections))
	}
	if len(p.Goals) != 1 {
		t.Fatalf("got %d goals, want 1", len(p.Goals))
	}
	if p.Goals[0].ID != goalAID {
		t.Errorf("got goal id %q, want %q", p.Goals[0].ID, goalAID)
	}
	if p.Goals[0].Title != "Revised goal A" {
		t.Errorf("got goal title %q, want %q", p.Goals[0].Title, "Revised goal A")
	}
	if len(p.Goals[0].Objectives) != 0 {
		t.Errorf("got objectives %v, want none", p.Goals[0].Objectives)
	}
}

func TestPlanApplyIgnoresUnknownTargets(t *testing.T) {
	events := dipEvents(t)[:2]
	before := foldPlan(t, events)

	after := foldPlan(t, slices.Concat(events, []domain.Event{
		planEvent(t, 3, domain.TypeObjectiveRevised, domain.ObjectiveRevised{Objective: validObjective(missingID)}),
		planEvent(t, 4, domain.TypeObjectiveRemoved, domain.ObjectiveRemoved{ObjectiveID: missingID}),
		planEvent(t, 5, domain.TypeGoalRevised, domain.GoalRevised{Goal: validGoal(missingID)}),
		planEvent(t, 6, domain.TypeGoalWithdrawn, domain.GoalWithdrawn{GoalID: missingID}),
		planEvent(t, 7, domain.TypeSectionRevised, domain.SectionRevised{Key: "budget", Text: "x"}),
	}))
	if !reflect.DeepEqual(after, before) {
		t.Errorf("got plan %+v, want it unchanged: %+v", after, before)
	}
}

func TestPlanApplyIsDeterministic(t *testing.T) {
	first := foldPlan(t, dipEvents(t))
	second := foldPlan(t, dipEvents(t))
	if !reflect.DeepEqual(first, second) {
		t.Errorf("got %+v on the second fold, want %+v", second, first)
	}
}

func TestPlanApplyRejectsUnknownType(t *testing.T) {
	var p domain.Plan
	e := planEvent(t, 1, "plan.archived", struct{}{})
	if err := p.Apply(e); err == nil {
		t.Errorf("got no error for event type %q, want one", e.Type)
	}
}

func TestPlanApplyRejectsMalformedPayload(t *testing.T) {
	var p domain.Plan
	e := planEvent(t, 1, domain.TypePlanRetitled, nil)
	e.Payload = json.RawMessage(`{"title": 7}`)
	checkError(t, p.Apply(e), domain.EInternal, "payload")
}

func TestSchoolYearLabel(t *testing.T) {
	tests := []struct {
		year int
		want string
	}{
		{2017, "2016-17"},
		{2010, "2009-10"},
		{2000, "1999-00"},
		{2001, "2000-01"},
		{2100, "2099-00"},
	}
	for _, tt := range tests {
		if got := domain.SchoolYearLabel(tt.year); got != tt.want {
			t.Errorf("SchoolYearLabel(%d): got %q, want %q", tt.year, got, tt.want)
		}
	}
}

func TestPlanPeriodLabel(t *testing.T) {
	tests := []struct {
		name  string
		first int
		last  int
		want  string
	}{
		{"three year DIP", 2016, 2018, "2015-16 to 2017-18"},
		{"one year SIP", 2017, 2017, "2016-17"},
	}
	for _, tt := range tests {
		p := domain.Plan{FirstYear: tt.first, LastYear: tt.last}
		if got := p.PeriodLabel(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
