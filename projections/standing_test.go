package projections_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

const morganCode = "01370025"

// morganLog holds Morgan Full Service Community School's published history
// as three schema versions would store it: Level 4 (2010) as version 1,
// Level 5 from 2013-10-30 as version 2, and the status removed on
// 2022-09-26 as a version 3 designation.
func morganLog(t *testing.T) *eventLog {
	l := newEventLog(t)
	l.org(morganCode, domain.OrgSchool, "Morgan Full Service Community School")
	raw := func(version int, payload string, effective time.Time) {
		e := l.build(domain.KindLevel, morganCode, domain.TypeLevelChanged, json.RawMessage(payload), day(2024, time.January, 2), effective)
		e.SchemaVersion = version
		l.apply(e)
	}
	raw(1, `{"org_code":"01370025","level":4,"reason":"Level 4","source":"observations","date_precision":"year"}`,
		day(2010, time.September, 30))
	raw(2, `{"org_code":"01370025","scheme":"levels","level":5,"reason":"Level 5","source":"observations","date_precision":"day"}`,
		day(2013, time.October, 30))
	raw(3, `{"org_code":"01370025","scheme":"accountability","designation":"status_removed","reason":"status removed","source":"news","date_precision":"day"}`,
		day(2022, time.September, 26))
	return l
}

func TestLevelsSpanBothSchemes(t *testing.T) {
	l := morganLog(t)
	history := l.p.Levels(morganCode)
	want := []struct {
		scheme, label string
	}{
		{domain.SchemeLevels, "Level 4"},
		{domain.SchemeLevels, "Level 5"},
		{domain.SchemeAccountability, "Underperforming or chronically underperforming status removed"},
	}
	if len(history) != len(want) {
		t.Fatalf("got %d entries, want %d", len(history), len(want))
	}
	for i, w := range want {
		if history[i].Scheme != w.scheme {
			t.Errorf("entry %d: scheme %q, want %q", i, history[i].Scheme, w.scheme)
		}
		if got := history[i].Label(); got != w.label {
			t.Errorf("entry %d: label %q, want %q", i, got, w.label)
		}
	}
	backlog, _, cancel := l.p.FollowLevels(0)
	cancel()
	if len(backlog) != 3 {
		t.Errorf("feed backlog has %d events, want all 3 versions", len(backlog))
	}
}

func TestStandingAtByInstant(t *testing.T) {
	l := morganLog(t)
	tests := []struct {
		asOf, basis     string
		scheme          string
		current, before string
	}{
		{"2012-01-01", "", domain.SchemeLevels, "Level 4", ""},
		{"2017-06-30", "", domain.SchemeLevels, "Level 5", ""},
		{"2020-01-01", "", domain.SchemeAccountability, "", "Level 5"},
		{"2023-01-01", "", domain.SchemeAccountability, "Underperforming or chronically underperforming status removed", ""},
		// Nothing was recorded before 2024, so the recorded basis shows none.
		{"2023-01-01", projections.BasisRecorded, domain.SchemeAccountability, "", ""},
	}
	for _, tt := range tests {
		at := mustAsOf(t, tt.asOf, tt.basis)
		s := l.p.StandingAt(morganCode, at)
		if s.Scheme.ID != tt.scheme {
			t.Errorf("%s %s: scheme %s, want %s", tt.asOf, tt.basis, s.Scheme.ID, tt.scheme)
		}
		if got := entryLabel(s.Current); got != tt.current {
			t.Errorf("%s %s: current %q, want %q", tt.asOf, tt.basis, got, tt.current)
		}
		if got := entryLabel(s.Earlier); got != tt.before {
			t.Errorf("%s %s: earlier %q, want %q", tt.asOf, tt.basis, got, tt.before)
		}
	}
	if n := len(l.p.LevelsAt(morganCode, mustAsOf(t, "2015-01-01", ""))); n != 2 {
		t.Errorf("history as of 2015 has %d entries, want 2", n)
	}
	if lv := l.p.LevelAt(morganCode, mustAsOf(t, "2023-01-01", "")); lv == nil || lv.Designation != domain.DesignationStatusRemoved {
		t.Errorf("LevelAt 2023 = %+v, want the status removal", lv)
	}
}

func entryLabel(e *domain.LevelEntry) string {
	if e == nil {
		return ""
	}
	return e.Label()
}

func TestPlanActualsAsOf(t *testing.T) {
	l := newEventLog(t)
	l.org(districtCode, domain.OrgDistrict, "Example District")
	created := day(2015, time.July, 1)
	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "District plan"), created)
	o := objective(objectiveAID, "Literacy")
	target, baseline := 55.0, 41.0
	o.Outcomes[0].TargetValue, o.Outcomes[0].BaselineValue, o.Outcomes[0].Direction, o.Outcomes[0].Unit = &target, &baseline, domain.DirectionHigher, "%"
	l.plan(dipID, domain.TypeObjectiveAdded, domain.ObjectiveAdded{Objective: o}, created)
	actual := func(year int, value float64, at time.Time) {
		l.plan(dipID, domain.TypeMeasureActualRecorded, domain.MeasureActualRecorded{ItemID: objectiveAID, MeasureIndex: 0,
			Measure: o.Outcomes[0].Description, Year: year, Value: value, Source: "test"}, at)
	}
	actual(2016, 38, day(2016, time.October, 1))
	actual(2017, 47, day(2017, time.October, 1))
	actual(2018, 56, day(2018, time.October, 1))

	for _, tt := range []struct {
		asOf    string
		actuals int
		status  string
	}{
		{"2016-06-30", 0, domain.StatusNoData},
		{"2016-12-31", 1, domain.StatusOffTrack},
		{"2017-12-31", 2, domain.StatusOnTrack},
		{"2018-12-31", 3, domain.StatusMet},
	} {
		view, err := l.p.PlanAt(dipID, mustAsOf(t, tt.asOf, ""))
		if err != nil {
			t.Fatal(err)
		}
		if len(view.Plan.Actuals) != tt.actuals {
			t.Errorf("%s: %d actuals, want %d", tt.asOf, len(view.Plan.Actuals), tt.actuals)
		}
		if got := domain.ProgressOf(&view.Plan)[0]; got.Status != tt.status {
			t.Errorf("%s: status %s (%s), want %s", tt.asOf, got.Status, got.Reason, tt.status)
		}
	}
	current, _ := l.p.Plan(dipID)
	if len(current.Actuals) != 3 {
		t.Errorf("current plan has %d actuals, want 3", len(current.Actuals))
	}
}
