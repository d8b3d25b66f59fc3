package pdf_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/pdf"
)

// progressSIP is sipPlan with numeric values on its attendance measure and
// two actuals against it.
func progressSIP() domain.Plan {
	p := sipPlan()
	baseline, target := 11.0, 8.0
	m := &p.Goals[1].Measures[0]
	m.ID, m.BaselineValue, m.TargetValue, m.Unit, m.Direction = "chronic", &baseline, &target, "%", domain.DirectionLower
	at := time.Date(2018, 2, 1, 0, 0, 0, 0, time.UTC)
	for i, v := range []float64{10.2, 9.1} {
		p.Actuals = append(p.Actuals, domain.MeasureActual{
			MeasureActualRecorded: domain.MeasureActualRecorded{ItemID: "goal-climate", MeasureID: "chronic",
				Measure: m.Description, Year: 2017 + i, Value: v, Note: "mid-year", Source: "attendance system"},
			Sequence: uint64(10 + i), EffectiveAt: at, RecordedAt: at, Actor: "school_editor@example.org"})
	}
	return p
}

func TestRenderProgressSection(t *testing.T) {
	doc := sipDocument(progressSIP())
	path, first := renderFile(t, "progress", doc)
	got := flat(text(t, path))
	for _, want := range []string{
		"Progress",
		"Ninth graders chronically absent",
		"Goal: Improve attendance and connection in ninth grade",
		"11% → 8%",
		"lower is better",
		"2016-17: 10.2%",
		"2017-18: 9.1%",
		"mid-year · attendance system",
		"Not met",
		"58% † by 2017-18",
		"None recorded",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("progress PDF lacks %q", want)
		}
	}
	again, err := pdf.Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again) {
		t.Error("two renders of the same document differ")
	}
}

func TestRenderWithoutProgressOmitsSection(t *testing.T) {
	path, _ := renderFile(t, "no-progress", sipDocument(sipPlan()))
	if got := flat(text(t, path)); strings.Contains(got, "Baseline → target") {
		t.Error("a plan without actuals or numeric targets prints a Progress table")
	}
}

func TestRenderCoverStanding(t *testing.T) {
	levels, _ := domain.SchemeByID(domain.SchemeLevels)
	accountability, _ := domain.SchemeByID(domain.SchemeAccountability)
	levelFive := &domain.LevelEntry{
		LevelChanged: domain.LevelChanged{OrgCode: schoolCode, Scheme: domain.SchemeLevels, Level: 5,
			Reason: "Chronically underperforming school", DatePrecision: "day"},
		EffectiveAt: time.Date(2013, 10, 30, 4, 0, 0, 0, time.UTC),
	}
	designation := &domain.LevelEntry{
		LevelChanged: domain.LevelChanged{OrgCode: schoolCode, Scheme: domain.SchemeAccountability,
			Designation: domain.DesignationFocused, Percentile: 3, Reason: "lowest performing 10%",
			Source: "DESE 2025 accountability report", DatePrecision: "year"},
		EffectiveAt: time.Date(2025, 9, 30, 4, 0, 0, 0, time.UTC),
	}
	tests := []struct {
		name     string
		standing domain.Standing
		want     []string
	}{
		{"level in force", domain.Standing{Scheme: levels, Current: levelFive},
			[]string{"Accountability level", "Level 5 — Chronically underperforming school, effective 2013-10-30",
				"Scheme: Accountability and assistance levels 1 to 5"}},
		{"designation in force", domain.Standing{Scheme: accountability, Current: designation},
			[]string{"Accountability status",
				"Requiring assistance or intervention: in need of focused/targeted support; accountability percentile 3",
				"effective 2025 (the source gives only the year)", "Source: DESE 2025 accountability report"}},
		{"only an earlier level", domain.Standing{Scheme: accountability, Earlier: levelFive},
			[]string{"None on record under Accountability percentiles and designations (2018 and later)",
				"Last under Accountability and assistance levels 1 to 5:", "Level 5 — Chronically underperforming school"}},
		{"nothing", domain.Standing{Scheme: accountability},
			[]string{"Accountability status", "None on record under Accountability percentiles"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := sipDocument(sipPlan())
			doc.Standing = &tt.standing
			path, _ := renderFile(t, "standing", doc)
			got := flat(text(t, path))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("cover lacks %q", w)
				}
			}
		})
	}
}
