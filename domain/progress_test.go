package domain_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

func floatPtr(v float64) *float64 { return &v }

// progressPlan is an SIP for 2017 whose goal has a numeric measure, 80%
// rising to 90% by 2019, and a text-only one.
func progressPlan() *domain.Plan {
	p := newSIP()
	p.LastYear = 2017
	p.Goals[0].Measures = []domain.Measure{
		{ID: "attendance", Description: "Attendance rate", Baseline: "80%", Target: "90%",
			BaselineValue: floatPtr(80), TargetValue: floatPtr(90), Unit: "%", Direction: domain.DirectionHigher, TargetYear: 2019},
		{Description: "Family survey", Target: "More families answer"},
	}
	return p
}

// record decides and folds one actual into the plan.
func record(t *testing.T, p *domain.Plan, c domain.RecordActual) {
	t.Helper()
	d, err := domain.DecideRecordActual(p, c)
	if err != nil {
		t.Fatalf("DecideRecordActual(%+v): %v", c, err)
	}
	raw, err := json.Marshal(d.Payload)
	if err != nil {
		t.Fatal(err)
	}
	seq := uint64(len(p.Actuals) + 2)
	e := domain.Event{ID: "e", Type: d.Type, SchemaVersion: domain.SchemaVersionOf(d.Type), Sequence: seq, Payload: raw,
		RecordedAt: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := p.Apply(e); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

func actual(year int, value float64) domain.RecordActual {
	return domain.RecordActual{ItemID: goalAID, MeasureID: "attendance", Year: year, Value: &value, Source: "test"}
}

func TestProgressStatuses(t *testing.T) {
	tests := []struct {
		name    string
		actuals []domain.RecordActual
		status  string
	}{
		{"no actuals", nil, domain.StatusNoData},
		{"better than baseline", []domain.RecordActual{actual(2017, 84)}, domain.StatusOnTrack},
		{"no better than baseline", []domain.RecordActual{actual(2017, 80)}, domain.StatusOffTrack},
		{"worse than baseline", []domain.RecordActual{actual(2017, 84), actual(2018, 79)}, domain.StatusOffTrack},
		{"target reached early", []domain.RecordActual{actual(2018, 90)}, domain.StatusMet},
		{"target missed in target year", []domain.RecordActual{actual(2017, 85), actual(2019, 89.9)}, domain.StatusNotMet},
		{"target missed after target year", []domain.RecordActual{actual(2020, 88)}, domain.StatusNotMet},
		{"latest year decides", []domain.RecordActual{actual(2019, 91), actual(2018, 70)}, domain.StatusMet},
		{"correction replaces value", []domain.RecordActual{actual(2019, 85), actual(2019, 92)}, domain.StatusMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := progressPlan()
			for _, a := range tt.actuals {
				record(t, p, a)
			}
			progress := domain.ProgressOf(p)
			if len(progress) != 2 {
				t.Fatalf("got %d measures, want 2", len(progress))
			}
			got := progress[0]
			if got.Status != tt.status {
				t.Errorf("status %s (%s), want %s", got.Status, got.Reason, tt.status)
			}
			if got.Reason == "" {
				t.Error("status has no reason")
			}
			if got.TargetYear != 2019 || got.MeasureID != "attendance" || got.ItemKind != domain.ItemGoal {
				t.Errorf("measure fields = %+v", got)
			}
		})
	}
}

func TestProgressLowerIsBetter(t *testing.T) {
	p := progressPlan()
	m := &p.Goals[0].Measures[0]
	m.Description, m.BaselineValue, m.TargetValue, m.Direction, m.Unit = "Chronic absence", floatPtr(25), floatPtr(15), domain.DirectionLower, "%"
	record(t, p, actual(2017, 20))
	if got := domain.ProgressOf(p)[0]; got.Status != domain.StatusOnTrack {
		t.Errorf("20%% against baseline 25%%, target 15%%: %s (%s), want on_track", got.Status, got.Reason)
	}
	record(t, p, actual(2018, 14.5))
	if got := domain.ProgressOf(p)[0]; got.Status != domain.StatusMet {
		t.Errorf("14.5%% against target 15%%: %s (%s), want met", got.Status, got.Reason)
	}
}

func TestProgressWithoutBaseline(t *testing.T) {
	p := progressPlan()
	p.Goals[0].Measures[0].BaselineValue = nil
	record(t, p, actual(2017, 82))
	if got := domain.ProgressOf(p)[0]; got.Status != domain.StatusNoData || !strings.Contains(got.Reason, "only actual") {
		t.Errorf("one actual, no baseline: %s (%s), want no_data", got.Status, got.Reason)
	}
	record(t, p, actual(2018, 85))
	if got := domain.ProgressOf(p)[0]; got.Status != domain.StatusOnTrack || !strings.Contains(got.Reason, "first actual") {
		t.Errorf("82 then 85: %s (%s), want on_track against the first actual", got.Status, got.Reason)
	}
}

func TestProgressTextMeasureHasNoStatus(t *testing.T) {
	p := progressPlan()
	v := 12.0
	record(t, p, domain.RecordActual{ItemID: goalAID, MeasureIndex: intPtr(1), Year: 2017, Value: &v, Source: "survey"})
	got := domain.ProgressOf(p)[1]
	if got.Status != domain.StatusNoData || len(got.Actuals) != 1 || got.Actuals[0].Value != 12 {
		t.Errorf("text measure = %+v, want one actual and no_data", got)
	}
	if got.TargetYear != 2017 {
		t.Errorf("default target year %d, want the plan's last year 2017", got.TargetYear)
	}
}

func TestProgressFollowsMeasures(t *testing.T) {
	p := progressPlan()
	p.Goals[0].Measures = append(p.Goals[0].Measures, domain.Measure{Description: "Volunteer hours", Target: "500"})
	record(t, p, actual(2017, 84))
	record(t, p, domain.RecordActual{ItemID: goalAID, MeasureIndex: intPtr(1), Year: 2017, Value: floatPtr(3), Source: "survey"})
	record(t, p, domain.RecordActual{ItemID: goalAID, MeasureIndex: intPtr(2), Year: 2017, Value: floatPtr(450), Source: "log"})
	// Reorder the measures and reword the last, as a goal revision may.
	ms := p.Goals[0].Measures
	reworded := ms[2]
	reworded.Description = "Volunteer hours logged"
	p.Goals[0].Measures = []domain.Measure{ms[1], ms[0], reworded}
	progress := domain.ProgressOf(p)
	want := []struct {
		description string
		value       float64
	}{
		{"Family survey", 3},            // by its recorded description
		{"Attendance rate", 84},         // by its id
		{"Volunteer hours logged", 450}, // by its index, as no measure has the old description
	}
	for i, w := range want {
		got := progress[i]
		if got.Description != w.description || len(got.Actuals) != 1 || got.Actuals[0].Value != w.value {
			t.Errorf("measure %d = %q with actuals %+v, want %q with %g", i, got.Description, got.Actuals, w.description, w.value)
		}
	}
}

func TestDecideRecordActualRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*domain.RecordActual)
		code  string
		field string
	}{
		{"missing item", func(c *domain.RecordActual) { c.ItemID = "" }, domain.EInvalid, "item_id"},
		{"unknown item", func(c *domain.RecordActual) { c.ItemID = missingID }, domain.ENotFound, "item_id"},
		{"no measure named", func(c *domain.RecordActual) { c.MeasureID = "" }, domain.EInvalid, "measure_index"},
		{"both measure names", func(c *domain.RecordActual) { c.MeasureIndex = intPtr(0) }, domain.EInvalid, "measure_id"},
		{"unknown measure id", func(c *domain.RecordActual) { c.MeasureID = "nope" }, domain.ENotFound, "measure_id"},
		{"index out of range", func(c *domain.RecordActual) { c.MeasureID, c.MeasureIndex = "", intPtr(2) }, domain.EInvalid, "measure_index"},
		{"missing year", func(c *domain.RecordActual) { c.Year = 0 }, domain.EInvalid, "year"},
		{"year out of range", func(c *domain.RecordActual) { c.Year = 17 }, domain.EInvalid, "year"},
		{"bad date", func(c *domain.RecordActual) { c.Date = "June 2017" }, domain.EInvalid, "date"},
		{"date outside year", func(c *domain.RecordActual) { c.Date = "2017-09-01" }, domain.EInvalid, "date"},
		{"missing value", func(c *domain.RecordActual) { c.Value = nil }, domain.EInvalid, "value"},
		{"missing source", func(c *domain.RecordActual) { c.Source = " " }, domain.EInvalid, "source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := actual(2017, 84)
			tt.edit(&c)
			_, err := domain.DecideRecordActual(progressPlan(), c)
			checkError(t, err, tt.code, tt.field)
		})
	}
}

func TestDecideRecordActualYearFromDate(t *testing.T) {
	c := actual(0, 84)
	c.Date = "2017-05-31"
	d, err := domain.DecideRecordActual(progressPlan(), c)
	if err != nil {
		t.Fatal(err)
	}
	got := d.Payload.(domain.MeasureActualRecorded)
	if got.Year != 2017 || got.MeasureIndex != 0 || got.Measure != "Attendance rate" {
		t.Errorf("payload = %+v, want year 2017 for measure 0", got)
	}
	c.Date = "2017-07-01"
	if d, err = domain.DecideRecordActual(progressPlan(), c); err != nil || d.Payload.(domain.MeasureActualRecorded).Year != 2018 {
		t.Errorf("2017-07-01 gives %+v, %v; want school year 2018", d.Payload, err)
	}
}

func TestValidateMeasureNumbers(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*domain.Measure)
		field string
	}{
		{"bad direction", func(m *domain.Measure) { m.Direction = "up" }, "measures/0/direction"},
		{"target without direction", func(m *domain.Measure) { m.Direction = "" }, "measures/0/direction"},
		{"baseline without target", func(m *domain.Measure) { m.TargetValue = nil; m.Direction = "" }, "measures/0/target_value"},
		{"bad id", func(m *domain.Measure) { m.ID = "has space" }, "measures/0/id"},
		{"long unit", func(m *domain.Measure) { m.Unit = strings.Repeat("u", 33) }, "measures/0/unit"},
		{"bad target year", func(m *domain.Measure) { m.TargetYear = 19 }, "measures/0/target_year"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newSIP()
			g := progressPlan().Goals[0]
			tt.edit(&g.Measures[0])
			_, err := domain.DecideReviseGoal(p, g, newLookup())
			checkError(t, err, domain.EInvalid, tt.field)
		})
	}
	p := newSIP()
	g := progressPlan().Goals[0]
	g.Measures[1].ID = "attendance"
	_, err := domain.DecideReviseGoal(p, g, newLookup())
	checkError(t, err, domain.EInvalid, "measures/1/id")
	if _, err := domain.DecideReviseGoal(p, progressPlan().Goals[0], newLookup()); err != nil {
		t.Errorf("valid numeric measures rejected: %v", err)
	}
}
