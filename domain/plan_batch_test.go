package domain_test

import (
	"testing"

	"github.com/planledger/planledger/domain"
)

func TestDecideNewPlanDraftsInOrder(t *testing.T) {
	look := newLookup()
	n := domain.NewPlan{
		CreatePlan: domain.CreatePlan{ID: newPlanID, Kind: domain.PlanSIP, OrgCode: otherSchoolCode,
			DistrictPlanID: otherDIPID, FirstYear: 2017, Title: "Other School plan"},
		Goals: []domain.Goal{validGoal(goalAID), validGoal(goalBID)},
	}
	drafts, err := domain.DecideNewPlan(n, look)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{domain.TypePlanCreated, domain.TypeGoalAdopted, domain.TypeGoalAdopted}
	if len(drafts) != len(want) {
		t.Fatalf("got %d drafts, want %d", len(drafts), len(want))
	}
	for i, d := range drafts {
		if d.Type != want[i] {
			t.Errorf("draft %d: type %s, want %s", i, d.Type, want[i])
		}
	}
}

func TestDecideNewPlanNamesBadItem(t *testing.T) {
	look := newLookup()
	bad := validGoal(goalBID)
	bad.Measures = nil
	n := domain.NewPlan{
		CreatePlan: domain.CreatePlan{ID: newPlanID, Kind: domain.PlanSIP, OrgCode: otherSchoolCode,
			DistrictPlanID: otherDIPID, FirstYear: 2017, Title: "Other School plan"},
		Goals: []domain.Goal{validGoal(goalAID), bad},
	}
	_, err := domain.DecideNewPlan(n, look)
	checkError(t, err, domain.EInvalid, "goals/1/measures")
}

func TestDecideNewPlanRejectsRepeatedItem(t *testing.T) {
	look := newLookup()
	n := domain.NewPlan{
		CreatePlan: domain.CreatePlan{ID: newPlanID, Kind: domain.PlanDIP, OrgCode: districtCode,
			FirstYear: 2019, LastYear: 2021, Title: "Next district plan"},
		Objectives: []domain.Objective{validObjective(objectiveBID), validObjective(objectiveBID)},
	}
	_, err := domain.DecideNewPlan(n, look)
	checkError(t, err, domain.EConflict, "objectives/1/id")
}
