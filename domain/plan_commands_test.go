package domain_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/planledger/planledger/domain"
)

func validCreateDIP() domain.CreatePlan {
	return domain.CreatePlan{
		ID: newPlanID, Kind: domain.PlanDIP, OrgCode: districtCode,
		FirstYear: 2019, LastYear: 2021, Title: "  District plan 2019-2021  ",
		Note:     "Illustrative text",
		Sections: map[string]string{"mission": "Every student ready", "theory_of_action": "If we ..."},
	}
}

// validCreateSIP returns a 2018 SIP for the school's other year, so that it
// does not collide with the lookup's existing 2017 SIP.
func validCreateSIP() domain.CreatePlan {
	return domain.CreatePlan{
		ID: newPlanID, Kind: domain.PlanSIP, OrgCode: schoolCode, DistrictPlanID: dipID,
		FirstYear: 2018, Title: "School plan 2017-18",
		Sections: map[string]string{"needs_assessment": "Reading scores fell."},
	}
}

func TestDecideCreatePlanRejectsBadPlans(t *testing.T) {
	tests := []struct {
		name  string
		base  func() domain.CreatePlan
		edit  func(*domain.CreatePlan)
		code  string
		field string
	}{
		{"malformed id", validCreateDIP, func(c *domain.CreatePlan) { c.ID = "plan-1" }, domain.EInvalid, "id"},
		{"existing id", validCreateDIP, func(c *domain.CreatePlan) { c.ID = dipID }, domain.EConflict, "id"},
		{"malformed org code", validCreateDIP, func(c *domain.CreatePlan) { c.OrgCode = "0204" }, domain.EInvalid, "org_code"},
		{"unknown org", validCreateDIP, func(c *domain.CreatePlan) { c.OrgCode = "09990000" }, domain.ENotFound, "org_code"},
		{"blank title", validCreateDIP, func(c *domain.CreatePlan) { c.Title = "  " }, domain.EInvalid, "title"},
		{"unknown kind", validCreateDIP, func(c *domain.CreatePlan) { c.Kind = "annual"; c.Sections = nil }, domain.EInvalid, "kind"},
		{"unknown section key", validCreateDIP, func(c *domain.CreatePlan) { c.Sections = map[string]string{"budget": "x"} }, domain.EInvalid, "sections/budget"},
		{"SIP section on DIP", validCreateDIP, func(c *domain.CreatePlan) { c.Sections = map[string]string{"school_council": "x"} }, domain.EInvalid, "sections/school_council"},
		{"DIP section on SIP", validCreateSIP, func(c *domain.CreatePlan) { c.Sections = map[string]string{"mission": "x"} }, domain.EInvalid, "sections/mission"},
		{"DIP on school", validCreateDIP, func(c *domain.CreatePlan) { c.OrgCode = schoolCode }, domain.EInvalid, "org_code"},
		{"DIP of two years", validCreateDIP, func(c *domain.CreatePlan) { c.LastYear = 2020 }, domain.EInvalid, "last_year"},
		{"DIP of four years", validCreateDIP, func(c *domain.CreatePlan) { c.LastYear = 2022 }, domain.EInvalid, "last_year"},
		{"DIP of one year", validCreateDIP, func(c *domain.CreatePlan) { c.LastYear = 0 }, domain.EInvalid, "last_year"},
		{"DIP year before 2000", validCreateDIP, func(c *domain.CreatePlan) { c.FirstYear, c.LastYear = 1999, 2001 }, domain.EInvalid, "first_year"},
		{"DIP overlapping another DIP", validCreateDIP, func(c *domain.CreatePlan) { c.FirstYear, c.LastYear = 2018, 2020 }, domain.EConflict, "first_year"},
		{"DIP naming district plan", validCreateDIP, func(c *domain.CreatePlan) { c.DistrictPlanID = otherDIPID }, domain.EInvalid, "district_plan_id"},
		{"SIP on district", validCreateSIP, func(c *domain.CreatePlan) { c.OrgCode = districtCode }, domain.EInvalid, "org_code"},
		{"SIP of two years", validCreateSIP, func(c *domain.CreatePlan) { c.LastYear = 2019 }, domain.EInvalid, "last_year"},
		{"SIP after DIP period", validCreateSIP, func(c *domain.CreatePlan) { c.FirstYear = 2019 }, domain.EInvalid, "first_year"},
		{"SIP before DIP period", validCreateSIP, func(c *domain.CreatePlan) { c.FirstYear = 2015 }, domain.EInvalid, "first_year"},
		{"SIP without DIP", validCreateSIP, func(c *domain.CreatePlan) { c.DistrictPlanID = "" }, domain.ENotFound, "district_plan_id"},
		{"SIP naming unknown DIP", validCreateSIP, func(c *domain.CreatePlan) { c.DistrictPlanID = missingID }, domain.ENotFound, "district_plan_id"},
		{"SIP naming an SIP", validCreateSIP, func(c *domain.CreatePlan) { c.DistrictPlanID = sipID }, domain.ENotFound, "district_plan_id"},
		{"SIP naming other district's DIP", validCreateSIP, func(c *domain.CreatePlan) { c.DistrictPlanID = otherDIPID }, domain.EInvalid, "district_plan_id"},
		{"second SIP for year", validCreateSIP, func(c *domain.CreatePlan) { c.FirstYear = 2017 }, domain.EConflict, "first_year"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.base()
			tt.edit(&c)
			_, err := domain.DecideCreatePlan(c, newLookup())
			checkError(t, err, tt.code, tt.field)
		})
	}
}

func TestDecideCreatePlanBuildsDIPDraft(t *testing.T) {
	d, err := domain.DecideCreatePlan(validCreateDIP(), newLookup())
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if d.Type != domain.TypePlanCreated {
		t.Errorf("got type %q, want %q", d.Type, domain.TypePlanCreated)
	}

	p, ok := d.Payload.(domain.PlanCreated)
	if !ok {
		t.Fatalf("got payload %T, want domain.PlanCreated", d.Payload)
	}

	if p.ID != newPlanID {
		t.Errorf("got id %q, want %q", p.ID, newPlanID)
	}
	if p.Kind != domain.PlanDIP {
		t.Errorf("got kind %q, want %q", p.Kind, domain.PlanDIP)
	}
	if p.OrgCode != districtCode {
		t.Errorf("got org code %q, want %q", p.OrgCode, districtCode)
	}
	if p.FirstYear != 2019 || p.LastYear != 2021 {
		t.Errorf("got years %d to %d, want 2019 to 2021", p.FirstYear, p.LastYear)
	}
	if want := "District plan 2019-2021"; p.Title != want {
		t.Errorf("got title %q, want %q", p.Title, want)
	}
	if p.Note != "Illustrative text" {
		t.Errorf("got note %q, want %q", p.Note, "Illustrative text")
	}
	if got := p.Sections["mission"]; got != "Every student ready" {
		t.Errorf("got mission %q, want %q", got, "Every student ready")
	}
}

func TestDecideCreatePlanBuildsSIPDraft(t *testing.T) {
	d, err := domain.DecideCreatePlan(validCreateSIP(), newLookup())
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if d.Type != domain.TypePlanCreated {
		t.Errorf("got type %q, want %q", d.Type, domain.TypePlanCreated)
	}
	p, ok := d.Payload.(domain.PlanCreated)
	if !ok {
		t.Fatalf("got payload %T, want domain.PlanCreated", d.Payload)
	}
	if p.Kind != domain.PlanSIP {
		t.Errorf("got kind %q, want %q", p.Kind, domain.PlanSIP)
	}
	if p.DistrictPlanID != dipID {
		t.Errorf("got district plan id %q, want %q", p.DistrictPlanID, dipID)
	}
	if p.FirstYear != 2018 {
		t.Errorf("got first year %d, want 2018", p.FirstYear)
	}
	if p.LastYear != 2018 {
		t.Errorf("got last year %d, want 2018 (defaulted to first year)", p.LastYear)
	}
}

func TestDecideCreatePlanGeneratesID(t *testing.T) {
	c := validCreateSIP()
	c.ID = ""
	d, err := domain.DecideCreatePlan(c, newLookup())
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	id := d.Payload.(domain.PlanCreated).ID
	if _, err := uuid.Parse(id); err != nil {
		t.Errorf("got id %q, want a UUID: %v", id, err)
	}
}

func TestDecideCreatePlanSIPInOtherDistrict(t *testing.T) {
	c := validCreateSIP()
	c.OrgCode = otherSchoolCode
	c.DistrictPlanID = otherDIPID
	c.FirstYear = 2017
	if _, err := domain.DecideCreatePlan(c, newLookup()); err != nil {
		t.Errorf("got error %v, want nil: the 2017 SIP on file belongs to another school", err)
	}
}

func TestDecideAddObjectiveRejectsBadObjectives(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*domain.Objective)
		code  string
		field string
	}{
		{"duplicate id", func(o *domain.Objective) { o.ID = objectiveAID }, domain.EConflict, "id"},
		{"malformed id", func(o *domain.Objective) { o.ID = "objective-1" }, domain.EInvalid, "id"},
		{"blank title", func(o *domain.Objective) { o.Title = " " }, domain.EInvalid, "title"},
		{"no standards", func(o *domain.Objective) { o.Standards = nil }, domain.EInvalid, "standards"},
		{"unknown standard", func(o *domain.Objective) { o.Standards = []string{"athletics"} }, domain.EInvalid, "standards/0"},
		{"second standard unknown", func(o *domain.Objective) { o.Standards = []string{"assessment", "Assessment"} }, domain.EInvalid, "standards/1"},
		{"no outcomes", func(o *domain.Objective) { o.Outcomes = nil }, domain.EInvalid, "outcomes"},
		{"outcome without target", func(o *domain.Objective) { o.Outcomes[0].Target = " " }, domain.EInvalid, "outcomes/0/target"},
		{"outcome without description", func(o *domain.Objective) { o.Outcomes[0].Description = "" }, domain.EInvalid, "outcomes/0/description"},
		{
			name: "second outcome without target",
			edit: func(o *domain.Objective) {
				o.Outcomes = append(o.Outcomes, domain.Measure{Description: "Attendance"})
			},
			code:  domain.EInvalid,
			field: "outcomes/1/target",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validObjective(objectiveBID)
			tt.edit(&o)
			_, err := domain.DecideAddObjective(newDIP(dipID, districtCode), o, newLookup())
			checkError(t, err, tt.code, tt.field)
		})
	}
}

func TestDecideAddObjectiveRejectsSIP(t *testing.T) {
	_, err := domain.DecideAddObjective(newSIP(), validObjective(objectiveBID), newLookup())
	checkError(t, err, domain.EInvalid, "kind")
}

func TestDecideAddObjectiveBuildsDraft(t *testing.T) {
	o := validObjective(objectiveBID)
	d, err := domain.DecideAddObjective(newDIP(dipID, districtCode), o, newLookup())
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if d.Type != domain.TypeObjectiveAdded {
		t.Errorf("got type %q, want %q", d.Type, domain.TypeObjectiveAdded)
	}
	p, ok := d.Payload.(domain.ObjectiveAdded)
	if !ok {
		t.Fatalf("got payload %T, want domain.ObjectiveAdded", d.Payload)
	}
	if p.Objective.ID != objectiveBID {
		t.Errorf("got objective id %q, want %q", p.Objective.ID, objectiveBID)
	}
	if p.Objective.Title != o.Title {
		t.Errorf("got title %q, want %q", p.Objective.Title, o.Title)
	}
}

func TestDecideAddObjectiveGeneratesID(t *testing.T) {
	o := validObjective("")
	d, err := domain.DecideAddObjective(newDIP(dipID, districtCode), o, newLookup())
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	id := d.Payload.(domain.ObjectiveAdded).Objective.ID
	if _, err := uuid.Parse(id); err != nil {
		t.Errorf("got id %q, want a UUID: %v", id, err)
	}
}

func TestDecideReviseObjective(t *testing.T) {
	dip := newDIP(dipID, districtCode)

	_, err := domain.DecideReviseObjective(dip, validObjective(missingID), newLookup())
	t.Run("unknown id", func(t *testing.T) {
		checkError(t, err, domain.ENotFound, "id")
	})

	invalid := validObjective(objectiveAID)
	invalid.Standards = []string{"athletics"}
	_, err = domain.DecideReviseObjective(dip, invalid, newLookup())
	t.Run("unknown standard", func(t *testing.T) {
		checkError(t, err, domain.EInvalid, "standards/0")
	})

	revised := validObjective(objectiveAID)
	revised.Title = "Strengthen core instruction in every grade"
	d, err := domain.DecideReviseObjective(dip, revised, newLookup())
	t.Run("valid revision", func(t *testing.T) {
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if d.Type != domain.TypeObjectiveRevised {
			t.Errorf("got type %q, want %q", d.Type, domain.TypeObjectiveRevised)
		}
		p, ok := d.Payload.(domain.ObjectiveRevised)
		if !ok {
			t.Fatalf("got payload %T, want domain.ObjectiveRevised", d.Payload)
		}
		if p.Objective.Title != revised.Title {
			t.Errorf("got title %q, want %q", p.Objective.Title, revised.Title)
		}
	})
}

func TestDecideRemoveObjective(t *testing.T) {
	dip := newDIP(dipID, districtCode)

	_, err := domain.DecideRemoveObjective(dip, missingID)
	t.Run("unknown id", func(t *testing.T) {
		checkError(t, err, domain.ENotFound, "id")
	})

	d, err := domain.DecideRemoveObjective(dip, objectiveAID)
	t.Run("known id", func(t *testing.T) {
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if d.Type != domain.TypeObjectiveRemoved {
			t.Errorf("got type %q, want %q", d.Type, domain.TypeObjectiveRemoved)
		}
		if got := d.Payload.(domain.ObjectiveRemoved).ObjectiveID; got != objectiveAID {
			t.Errorf("got objective id %q, want %q", got, objectiveAID)
		}
	})
}

func TestDecideAdoptGoalRejectsBadGoals(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*domain.Goal)
		code  string
		field string
	}{
		{"duplicate id", func(g *domain.Goal) { g.ID = goalAID }, domain.EConflict, "id"},
		{"malformed id", func(g *domain.Goal) { g.ID = "goal-1" }, domain.EInvalid, "id"},
		{"blank title", func(g *domain.Goal) { g.Title = "" }, domain.EInvalid, "title"},
		{"no measures", func(g *domain.Goal) { g.Measures = nil }, domain.EInvalid, "measures"},
		{"measure without target", func(g *domain.Goal) { g.Measures[0].Target = "" }, domain.EInvalid, "measures/0/target"},
		{"measure without description", func(g *domain.Goal) { g.Measures[0].Description = " " }, domain.EInvalid, "measures/0/description"},
		{"objective DIP lacks", func(g *domain.Goal) { g.Objectives = []string{missingID} }, domain.EInvalid, "objectives/0"},
		{"second objective DIP lacks", func(g *domain.Goal) { g.Objectives = []string{objectiveAID, missingID} }, domain.EInvalid, "objectives/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := validGoal(goalBID)
			tt.edit(&g)
			look := newLookup()
			_, err := domain.DecideAdoptGoal(look.plans[sipID], g, look)
			checkError(t, err, tt.code, tt.field)
		})
	}
}

func TestDecideAdoptGoalRejectsDIP(t *testing.T) {
	look := newLookup()
	_, err := domain.DecideAdoptGoal(look.plans[dipID], validGoal(goalBID), look)
	checkError(t, err, domain.EInvalid, "kind")
}

func TestDecideAdoptGoalWithoutDIP(t *testing.T) {
	look := newLookup()
	sip := look.plans[sipID]
	delete(look.plans, dipID)
	_, err := domain.DecideAdoptGoal(sip, validGoal(goalBID), look)
	checkError(t, err, domain.ENotFound, "district_plan_id")
}

func TestDecideAdoptGoalAcceptsValidGoals(t *testing.T) {
	tests := []struct {
		name       string
		objectives []string
	}{
		{"citing an objective", []string{objectiveAID}},
		{"citing none", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := validGoal(goalBID)
			g.Objectives = tt.objectives
			look := newLookup()
			d, err := domain.DecideAdoptGoal(look.plans[sipID], g, look)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if d.Type != domain.TypeGoalAdopted {
				t.Errorf("got type %q, want %q", d.Type, domain.TypeGoalAdopted)
			}
			p, ok := d.Payload.(domain.GoalAdopted)
			if !ok {
				t.Fatalf("got payload %T, want domain.GoalAdopted", d.Payload)
			}
			if p.Goal.ID != goalBID {
				t.Errorf("got goal id %q, want %q", p.Goal.ID, goalBID)
			}
			if len(p.Goal.Objectives) != len(tt.objectives) {
				t.Errorf("got %d objectives, want %d", len(p.Goal.Objectives), len(tt.objectives))
			}
		})
	}
}

func TestDecideReviseGoal(t *testing.T) {
	look := newLookup()
	sip := look.plans[sipID]

	_, err := domain.DecideReviseGoal(sip, validGoal(missingID), look)
	t.Run("unknown id", func(t *testing.T) {
		checkError(t, err, domain.ENotFound, "id")
	})

	invalid := validGoal(goalAID)
	invalid.Objectives = []string{missingID}
	_, err = domain.DecideReviseGoal(sip, invalid, look)
	t.Run("objective DIP lacks", func(t *testing.T) {
		checkError(t, err, domain.EInvalid, "objectives/0")
	})

	revised := validGoal(goalAID)
	revised.Title = "Raise grade 3 and 4 reading"
	d, err := domain.DecideReviseGoal(sip, revised, look)
	t.Run("valid revision", func(t *testing.T) {
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if d.Type != domain.TypeGoalRevised {
			t.Errorf("got type %q, want %q", d.Type, domain.TypeGoalRevised)
		}
		p, ok := d.Payload.(domain.GoalRevised)
		if !ok {
			t.Fatalf("got payload %T, want domain.GoalRevised", d.Payload)
		}
		if p.Goal.Title != revised.Title {
			t.Errorf("got title %q, want %q", p.Goal.Title, revised.Title)
		}
	})
}

func TestDecideWithdrawGoal(t *testing.T) {
	sip := newSIP()

	_, err := domain.DecideWithdrawGoal(sip, missingID)
	t.Run("unknown id", func(t *testing.T) {
		checkError(t, err, domain.ENotFound, "id")
	})

	d, err := domain.DecideWithdrawGoal(sip, goalAID)
	t.Run("known id", func(t *testing.T) {
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if d.Type != domain.TypeGoalWithdrawn {
			t.Errorf("got type %q, want %q", d.Type, domain.TypeGoalWithdrawn)
		}
		if got := d.Payload.(domain.GoalWithdrawn).GoalID; got != goalAID {
			t.Errorf("got goal id %q, want %q", got, goalAID)
		}
	})
}

func TestDecideAdoptGoalCanonicalizesObjectiveIDs(t *testing.T) {
	look := newLookup()
	g := validGoal(goalBID)
	g.Objectives = []string{strings.ToUpper(objectiveAID)}

	d, err := domain.DecideAdoptGoal(look.plans[sipID], g, look)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if got := d.Payload.(domain.GoalAdopted).Goal.Objectives[0]; got != objectiveAID {
		t.Errorf("got objective id %q, want canonical %q", got, objectiveAID)
	}
}

// A caller may revise a goal it copied from the read model's plan, whose
// slices other readers share, so the decision must not write into them.
func TestDecideReviseGoalLeavesInputUnchanged(t *testing.T) {
	look := newLookup()
	sip := look.plans[sipID]
	sip.Goals[0].Objectives = []string{strings.ToUpper(objectiveAID)}
	revised := sip.Goals[0]
	revised.Title = "Raise grade 3 and 4 reading"

	if _, err := domain.DecideReviseGoal(sip, revised, look); err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if got, want := sip.Goals[0].Objectives[0], strings.ToUpper(objectiveAID); got != want {
		t.Errorf("plan's goal: got objective id %q, want %q unchanged", got, want)
	}
}
