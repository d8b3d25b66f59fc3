package projections_test

import (
	"slices"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

// removalDay is when objective D of the DIP is removed.
var removalDay = day(2017, time.January, 3)

// alignmentLog records a district with a 2016 to 2018 DIP of objectives A to
// D, where D is removed on removalDay, and two 2017 SIPs:
//
//	sipID:       goal A cites A, goal B cites A and B
//	secondSIPID: goal C cites none, goal D cites D
//
// Another district's DIP and SIP, whose goal E cites none, must not show.
func alignmentLog(t *testing.T) *eventLog {
	l := newEventLog(t)
	l.org(districtCode, domain.OrgDistrict, "Example District")
	l.org(schoolCode, domain.OrgSchool, "Example School")
	l.org(secondSchoolCode, domain.OrgSchool, "Second School")
	l.org(otherDistrictCode, domain.OrgDistrict, "Other District")
	l.org(otherSchoolCode, domain.OrgSchool, "Other School")

	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "District plan"), day(2016, time.July, 1))
	for i, o := range []domain.Objective{
		objective(objectiveAID, "Objective A"),
		objective(objectiveBID, "Objective B"),
		objective(objectiveCID, "Objective C"),
		objective(objectiveDID, "Objective D"),
	} {
		l.plan(dipID, domain.TypeObjectiveAdded, domain.ObjectiveAdded{Objective: o}, day(2016, time.July, 2+i))
	}
	l.plan(otherDIPID, domain.TypePlanCreated, createDIP(otherDIPID, otherDistrictCode, "Other plan"), day(2016, time.July, 1))

	l.plan(sipID, domain.TypePlanCreated, createSIP(sipID, schoolCode, dipID), day(2016, time.August, 1))
	l.plan(sipID, domain.TypeGoalAdopted, domain.GoalAdopted{Goal: goal(goalAID, "Goal A", objectiveAID)}, day(2016, time.August, 2))
	l.plan(sipID, domain.TypeGoalAdopted, domain.GoalAdopted{Goal: goal(goalBID, "Goal B", objectiveAID, objectiveBID)}, day(2016, time.August, 3))

	l.plan(secondSIPID, domain.TypePlanCreated, createSIP(secondSIPID, secondSchoolCode, dipID), day(2016, time.August, 1))
	l.plan(secondSIPID, domain.TypeGoalAdopted, domain.GoalAdopted{Goal: goal(goalCID, "Goal C")}, day(2016, time.August, 2))
	l.plan(secondSIPID, domain.TypeGoalAdopted, domain.GoalAdopted{Goal: goal(goalDID, "Goal D", objectiveDID)}, day(2016, time.August, 3))

	l.plan(otherSIPID, domain.TypePlanCreated, createSIP(otherSIPID, otherSchoolCode, otherDIPID), day(2016, time.August, 1))
	l.plan(otherSIPID, domain.TypeGoalAdopted, domain.GoalAdopted{Goal: goal(goalEID, "Goal E")}, day(2016, time.August, 2))

	l.plan(dipID, domain.TypeObjectiveRemoved, domain.ObjectiveRemoved{ObjectiveID: objectiveDID}, removalDay)
	return l
}

func goalIDs(refs []projections.GoalRef) []string {
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.GoalID
	}
	return ids
}

func alignmentAt(t *testing.T, l *eventLog, planID, asOf string) projections.Alignment {
	t.Helper()
	a, err := l.p.AlignmentFor(planID, mustAsOf(t, asOf, ""))
	if err != nil {
		t.Fatalf("AlignmentFor(%s, %s): got error %v, want nil", planID, asOf, err)
	}
	return a
}

func TestAlignmentForListsServedBy(t *testing.T) {
	a := alignmentAt(t, alignmentLog(t), dipID, "2017-06-30")

	if a.DistrictPlanID != dipID {
		t.Errorf("got district plan id %q, want %q", a.DistrictPlanID, dipID)
	}
	if a.DistrictCode != districtCode {
		t.Errorf("got district code %q, want %q", a.DistrictCode, districtCode)
	}
	want := []struct {
		id       string
		servedBy []string
	}{
		{objectiveAID, []string{goalAID, goalBID}},
		{objectiveBID, []string{goalBID}},
		{objectiveCID, []string{}},
	}
	if len(a.Objectives) != len(want) {
		t.Fatalf("got %d objectives, want %d", len(a.Objectives), len(want))
	}
	for i, w := range want {
		o := a.Objectives[i]
		if o.ID != w.id {
			t.Errorf("objective %d: got id %q, want %q", i, o.ID, w.id)
		}
		if got := goalIDs(o.ServedBy); !slices.Equal(got, w.servedBy) {
			t.Errorf("objective %d: got served by %v, want %v", i, got, w.servedBy)
		}
	}
}

func TestAlignmentForGoalRefFields(t *testing.T) {
	a := alignmentAt(t, alignmentLog(t), dipID, "2017-06-30")
	if len(a.Objectives) == 0 || len(a.Objectives[0].ServedBy) == 0 {
		t.Fatalf("got objectives %+v, want objective A served", a.Objectives)
	}
	ref := a.Objectives[0].ServedBy[0]
	if ref.PlanID != sipID {
		t.Errorf("got plan id %q, want %q", ref.PlanID, sipID)
	}
	if ref.OrgCode != schoolCode {
		t.Errorf("got org code %q, want %q", ref.OrgCode, schoolCode)
	}
	if ref.SchoolName != "Example School" {
		t.Errorf("got school name %q, want %q", ref.SchoolName, "Example School")
	}
	if ref.Year != 2017 {
		t.Errorf("got year %d, want 2017", ref.Year)
	}
	if ref.Title != "Goal A" {
		t.Errorf("got title %q, want %q", ref.Title, "Goal A")
	}
}

func TestAlignmentForListsGaps(t *testing.T) {
	a := alignmentAt(t, alignmentLog(t), dipID, "2017-06-30")

	var unserved []string
	for _, o := range a.Unserved {
		unserved = append(unserved, o.ID)
	}
	if want := []string{objectiveCID}; !slices.Equal(unserved, want) {
		t.Errorf("got unserved %v, want %v", unserved, want)
	}
	if got, want := goalIDs(a.CitingNone), []string{goalCID}; !slices.Equal(got, want) {
		t.Errorf("got goals citing none %v, want %v", got, want)
	}
	if got, want := goalIDs(a.CitingUnknown), []string{goalDID}; !slices.Equal(got, want) {
		t.Fatalf("got goals citing unknown %v, want %v", got, want)
	}
	if got, want := a.CitingUnknown[0].Unknown, []string{objectiveDID}; !slices.Equal(got, want) {
		t.Errorf("got unknown objectives %v, want %v", got, want)
	}
}

func TestAlignmentForBeforeObjectiveRemoval(t *testing.T) {
	a := alignmentAt(t, alignmentLog(t), dipID, "2016-12-31")

	if len(a.Objectives) != 4 {
		t.Fatalf("got %d objectives, want 4", len(a.Objectives))
	}
	if got, want := goalIDs(a.Objectives[3].ServedBy), []string{goalDID}; !slices.Equal(got, want) {
		t.Errorf("objective D: got served by %v, want %v", got, want)
	}
	if len(a.CitingUnknown) != 0 {
		t.Errorf("got goals citing unknown %v, want none", goalIDs(a.CitingUnknown))
	}
}

func TestAlignmentForSIPReturnsDIP(t *testing.T) {
	l := alignmentLog(t)
	fromDIP := alignmentAt(t, l, dipID, "2017-06-30")
	fromSIP := alignmentAt(t, l, secondSIPID, "2017-06-30")

	if fromSIP.DistrictPlanID != dipID {
		t.Errorf("got district plan id %q, want %q", fromSIP.DistrictPlanID, dipID)
	}
	if len(fromSIP.Objectives) != len(fromDIP.Objectives) {
		t.Errorf("got %d objectives, want %d", len(fromSIP.Objectives), len(fromDIP.Objectives))
	}
	if got, want := goalIDs(fromSIP.CitingNone), goalIDs(fromDIP.CitingNone); !slices.Equal(got, want) {
		t.Errorf("got goals citing none %v, want %v", got, want)
	}
}

func TestAlignmentForOtherDistrict(t *testing.T) {
	a := alignmentAt(t, alignmentLog(t), otherSIPID, "2017-06-30")

	if a.DistrictPlanID != otherDIPID {
		t.Errorf("got district plan id %q, want %q", a.DistrictPlanID, otherDIPID)
	}
	if got, want := goalIDs(a.CitingNone), []string{goalEID}; !slices.Equal(got, want) {
		t.Errorf("got goals citing none %v, want %v", got, want)
	}
}

func TestAlignmentForUnknownPlan(t *testing.T) {
	l := newEventLog(t)
	_, err := l.p.AlignmentFor(dipID, mustAsOf(t, "", ""))
	checkError(t, err, domain.ENotFound, "id")
}

// A served_by entry should not depend on where in the goal's list an
// unknown objective appears.
func TestAlignmentServedByIgnoresCitationOrder(t *testing.T) {
	const (
		unknownFirstID = "0190e0c0-0000-7000-8000-0000000000c1"
		unknownLastID  = "0190e0c0-0000-7000-8000-0000000000c2"
	)
	l := alignmentLog(t)
	after := removalDay.Add(24 * time.Hour)
	l.plan(sipID, domain.TypeGoalAdopted, domain.GoalAdopted{Goal: goal(unknownFirstID, "Unknown first", objectiveDID, objectiveCID)}, after)
	l.plan(sipID, domain.TypeGoalAdopted, domain.GoalAdopted{Goal: goal(unknownLastID, "Unknown last", objectiveCID, objectiveDID)}, after)

	a := alignmentAt(t, l, dipID, "2017-06-30")
	servedBy := a.Objectives[2].ServedBy
	if got, want := goalIDs(servedBy), []string{unknownFirstID, unknownLastID}; !slices.Equal(got, want) {
		t.Fatalf("objective C: got served by %v, want %v", got, want)
	}
	if !slices.Equal(servedBy[0].Unknown, servedBy[1].Unknown) {
		t.Errorf("got unknown objectives %v for the goal citing D first, want %v as for the goal citing D last",
			servedBy[0].Unknown, servedBy[1].Unknown)
	}
}
