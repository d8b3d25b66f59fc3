package domain_test

import (
	"errors"
	"testing"

	"github.com/planledger/planledger/domain"
)

// Org codes in the DESE shape: the school's first four digits name its
// district.
const (
	districtCode      = "02040000"
	schoolCode        = "02040505"
	otherDistrictCode = "00350000"
	otherSchoolCode   = "00350012"
)

// Fixed UUIDs, so failure messages name the same ids on every run.
const (
	dipID        = "0190e0c0-0000-7000-8000-000000000001"
	otherDIPID   = "0190e0c0-0000-7000-8000-000000000002"
	sipID        = "0190e0c0-0000-7000-8000-000000000003"
	newPlanID    = "0190e0c0-0000-7000-8000-000000000004"
	objectiveAID = "0190e0c0-0000-7000-8000-0000000000a1"
	objectiveBID = "0190e0c0-0000-7000-8000-0000000000a2"
	goalAID      = "0190e0c0-0000-7000-8000-0000000000b1"
	goalBID      = "0190e0c0-0000-7000-8000-0000000000b2"
	missingID    = "0190e0c0-0000-7000-8000-0000000000ff"
)

type sipKey struct {
	org  string
	year int
}

// fakeLookup is an in-memory domain.Lookup.
type fakeLookup struct {
	orgs  map[string]domain.Org
	plans map[string]*domain.Plan
	sips  map[sipKey]string
}

func (l *fakeLookup) Org(code string) (domain.Org, bool) {
	o, ok := l.orgs[code]
	return o, ok
}

func (l *fakeLookup) Plan(id string) (*domain.Plan, bool) {
	p, ok := l.plans[id]
	return p, ok
}

func (l *fakeLookup) SIPFor(orgCode string, year int) (string, bool) {
	id, ok := l.sips[sipKey{orgCode, year}]
	return id, ok
}

func (l *fakeLookup) PlansFor(orgCode string) []*domain.Plan {
	var out []*domain.Plan
	for _, p := range l.plans {
		if p.OrgCode == orgCode {
			out = append(out, p)
		}
	}
	return out
}

// newLookup returns two districts with one school each, a 2016 to 2018 DIP
// for each district with one objective, and an existing 2017 SIP for
// schoolCode.
func newLookup() *fakeLookup {
	return &fakeLookup{
		orgs: map[string]domain.Org{
			districtCode:      {Code: districtCode, Type: domain.OrgDistrict, Name: "Example District", DistrictCode: districtCode},
			schoolCode:        {Code: schoolCode, Type: domain.OrgSchool, Name: "Example School", DistrictCode: districtCode},
			otherDistrictCode: {Code: otherDistrictCode, Type: domain.OrgDistrict, Name: "Other District", DistrictCode: otherDistrictCode},
			otherSchoolCode:   {Code: otherSchoolCode, Type: domain.OrgSchool, Name: "Other School", DistrictCode: otherDistrictCode},
		},
		plans: map[string]*domain.Plan{
			dipID:      newDIP(dipID, districtCode),
			otherDIPID: newDIP(otherDIPID, otherDistrictCode),
			sipID:      newSIP(),
		},
		sips: map[sipKey]string{{schoolCode, 2017}: sipID},
	}
}

func newDIP(id, orgCode string) *domain.Plan {
	return &domain.Plan{
		ID: id, Kind: domain.PlanDIP, OrgCode: orgCode, FirstYear: 2016, LastYear: 2018, Title: "District plan",
		Objectives: []domain.Objective{validObjective(objectiveAID)},
	}
}

func newSIP() *domain.Plan {
	return &domain.Plan{
		ID: sipID, Kind: domain.PlanSIP, OrgCode: schoolCode, DistrictPlanID: dipID,
		FirstYear: 2017, LastYear: 2017, Title: "School plan",
		Goals: []domain.Goal{validGoal(goalAID)},
	}
}

func validObjective(id string) domain.Objective {
	return domain.Objective{
		ID: id, Title: "Strengthen core instruction", Statement: "Every classroom uses the adopted curriculum.",
		Standards: []string{"curriculum_instruction"}, Owner: "Assistant superintendent", Timeline: "2016-2018",
		Initiatives: []domain.Initiative{{Text: "Adopt a literacy curriculum", Owner: "Literacy director", Timeline: "2016-17"}},
		Outcomes:    []domain.Measure{{Description: "Grade 3 ELA meeting expectations", Baseline: "41%", Target: "55%"}},
	}
}

func validGoal(id string) domain.Goal {
	return domain.Goal{
		ID: id, Title: "Raise grade 3 reading", Statement: "More grade 3 students read at grade level.",
		Owner: "Principal", Timeline: "2016-17",
		Actions:    []domain.Action{{Text: "Weekly reading groups", Owner: "Reading specialist", Timeline: "2016-17"}},
		Measures:   []domain.Measure{{Description: "Grade 3 ELA meeting expectations", Target: "50%"}},
		Objectives: []string{objectiveAID},
	}
}

// checkError fails the test unless err is a *domain.Error with the code
// and field given.
func checkError(t *testing.T, err error, code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s on field %q", code, field)
	}
	var e *domain.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %T (%v), want *domain.Error", err, err)
	}
	if e.Code != code {
		t.Errorf("got code %q, want %q (error: %v)", e.Code, code, err)
	}
	if e.Field != field {
		t.Errorf("got field %q, want %q (error: %v)", e.Field, field, err)
	}
}
