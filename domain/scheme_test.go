package domain_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

func intPtr(n int) *int { return &n }

func validDesignation() domain.ChangeLevel {
	return domain.ChangeLevel{
		OrgCode: schoolCode, Scheme: domain.SchemeAccountability, Designation: domain.DesignationBroad,
		Percentile: intPtr(32), Reason: "Requiring assistance or intervention; broad/comprehensive support",
		Source: "https://profiles.doe.mass.edu/", EffectiveAt: time.Date(2018, 9, 30, 4, 0, 0, 0, time.UTC),
	}
}

func TestSchemeRegistry(t *testing.T) {
	levels, ok := domain.SchemeByID(domain.SchemeLevels)
	if !ok || len(levels.Levels) != 5 || levels.LastYear != 2017 || len(levels.Designations) != 0 {
		t.Errorf("levels scheme = %+v, want five levels ending 2017 and no designations", levels)
	}
	acc, ok := domain.SchemeByID(domain.SchemeAccountability)
	if !ok || acc.FirstYear != 2018 || acc.LastYear != 0 || acc.PercentileMin != 1 || acc.PercentileMax != 99 {
		t.Errorf("accountability scheme = %+v, want in force from 2018 with percentiles 1 to 99", acc)
	}
	for _, id := range []string{domain.DesignationNotRequiring, domain.DesignationFocused, domain.DesignationBroad, domain.DesignationStatusRemoved} {
		if acc.Label(acc.Designations, id) == "" {
			t.Errorf("designation %s has no label", id)
		}
	}
	for _, s := range domain.Schemes {
		if s.Source == "" || s.Name == "" {
			t.Errorf("scheme %s lacks a name or source", s.ID)
		}
	}
	if _, ok := domain.SchemeByID("recognition"); ok {
		t.Error("an unknown scheme id was found")
	}
}

func TestSchemeInForce(t *testing.T) {
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2005, 1, 1, 0, 0, 0, 0, time.UTC), domain.SchemeLevels},
		{time.Date(2013, 10, 30, 4, 0, 0, 0, time.UTC), domain.SchemeLevels},
		{time.Date(2018, 9, 30, 3, 59, 59, 0, time.UTC), domain.SchemeLevels},
		{time.Date(2018, 9, 30, 4, 0, 0, 0, time.UTC), domain.SchemeAccountability},
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), domain.SchemeAccountability},
	}
	for _, tt := range tests {
		if got := domain.SchemeInForce(tt.at).ID; got != tt.want {
			t.Errorf("scheme in force at %s = %s, want %s", tt.at, got, tt.want)
		}
	}
}

func TestDecideDesignationBuildsDraft(t *testing.T) {
	c := validDesignation()
	c.TargetProgress, c.TargetPercent = "partially_meeting_targets", intPtr(58)
	d, err := domain.DecideLevelChange(c, true)
	if err != nil {
		t.Fatal(err)
	}
	got := d.Payload.(domain.LevelChanged)
	if got.Scheme != domain.SchemeAccountability || got.Designation != domain.DesignationBroad || got.Percentile != 32 ||
		got.Level != 0 || got.TargetPercent == nil || *got.TargetPercent != 58 {
		t.Errorf("payload = %+v", got)
	}
	raw, _ := json.Marshal(got)
	if strings.Contains(string(raw), `"level"`) {
		t.Errorf("designation payload %s carries a level", raw)
	}
	want := "Requiring assistance or intervention: in need of broad/comprehensive support; " +
		"accountability percentile 32; partially meeting targets (58%)"
	if got.Label() != want {
		t.Errorf("label %q, want %q", got.Label(), want)
	}
}

func TestDecideLevelChangeDefaultsToLevels(t *testing.T) {
	d, err := domain.DecideLevelChange(validLevelChange(), true)
	if err != nil {
		t.Fatal(err)
	}
	got := d.Payload.(domain.LevelChanged)
	if got.Scheme != domain.SchemeLevels || got.Label() != "Level 3" {
		t.Errorf("payload %+v label %q, want scheme levels, Level 3", got, got.Label())
	}
	// A levels payload keeps the version 2 shape byte for byte.
	raw, _ := json.Marshal(got)
	want := `{"org_code":"02040505","scheme":"levels","level":3,"reason":"Among lowest performing 20% of subgroups",` +
		`"source":"https://profiles.doe.mass.edu/","date_precision":"day"}`
	if string(raw) != want {
		t.Errorf("levels payload\n got %s\nwant %s", raw, want)
	}
}

func TestDecideDesignationRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*domain.ChangeLevel)
		field string
	}{
		{"unknown scheme", func(c *domain.ChangeLevel) { c.Scheme = "recognition" }, "scheme"},
		{"level in accountability", func(c *domain.ChangeLevel) { c.Level = 5 }, "level"},
		{"missing designation", func(c *domain.ChangeLevel) { c.Designation = "" }, "designation"},
		{"unknown designation", func(c *domain.ChangeLevel) { c.Designation = "schools_of_recognition" }, "designation"},
		{"percentile 0", func(c *domain.ChangeLevel) { c.Percentile = intPtr(0) }, "percentile"},
		{"percentile 100", func(c *domain.ChangeLevel) { c.Percentile = intPtr(100) }, "percentile"},
		{"unknown target label", func(c *domain.ChangeLevel) { c.TargetProgress = "great" }, "target_progress"},
		{"target percent over 100", func(c *domain.ChangeLevel) {
			c.TargetProgress, c.TargetPercent = "moderate_progress", intPtr(101)
		}, "target_percent"},
		{"target percent without label", func(c *domain.ChangeLevel) { c.TargetPercent = intPtr(41) }, "target_percent"},
		{"designation under levels", func(c *domain.ChangeLevel) { c.Scheme, c.Level = domain.SchemeLevels, 4 }, "designation"},
		{"percentile under levels", func(c *domain.ChangeLevel) {
			c.Scheme, c.Level, c.Designation = "", 4, ""
		}, "percentile"},
		{"no level under levels", func(c *domain.ChangeLevel) {
			c.Scheme, c.Designation, c.Percentile = domain.SchemeLevels, "", nil
		}, "level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validDesignation()
			tt.edit(&c)
			_, err := domain.DecideLevelChange(c, true)
			checkError(t, err, domain.EInvalid, tt.field)
		})
	}
}

// morganHistory is the published history of Morgan Full Service Community
// School (01370025): Level 4 in 2010, Level 5 from 2013-10-30, status
// removed 2022-09-26.
func morganHistory() []domain.LevelEntry {
	entry := func(c domain.LevelChanged, at time.Time) domain.LevelEntry {
		c.OrgCode = "01370025"
		return domain.LevelEntry{LevelChanged: c, EffectiveAt: at}
	}
	return []domain.LevelEntry{
		entry(domain.LevelChanged{Scheme: domain.SchemeLevels, Level: 4}, time.Date(2010, 9, 30, 4, 0, 0, 0, time.UTC)),
		entry(domain.LevelChanged{Scheme: domain.SchemeLevels, Level: 5}, time.Date(2013, 10, 30, 4, 0, 0, 0, time.UTC)),
		entry(domain.LevelChanged{Scheme: domain.SchemeAccountability, Designation: domain.DesignationStatusRemoved},
			time.Date(2022, 9, 26, 4, 0, 0, 0, time.UTC)),
	}
}

func TestStandingAtAcrossSchemes(t *testing.T) {
	history := morganHistory()
	tests := []struct {
		name            string
		at              time.Time
		scheme          string
		current, before string // labels; "" means none
	}{
		{"before any", time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC), domain.SchemeLevels, "", ""},
		{"level 4", time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC), domain.SchemeLevels, "Level 4", ""},
		{"level 5", time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC), domain.SchemeLevels, "Level 5", ""},
		{"new system, no designation", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), domain.SchemeAccountability, "", "Level 5"},
		{"status removed", time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), domain.SchemeAccountability,
			"Underperforming or chronically underperforming status removed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := domain.StandingAt(history, tt.at)
			if s.Scheme.ID != tt.scheme {
				t.Errorf("scheme %s, want %s", s.Scheme.ID, tt.scheme)
			}
			if got := labelOf(s.Current); got != tt.current {
				t.Errorf("current %q, want %q", got, tt.current)
			}
			if got := labelOf(s.Earlier); got != tt.before {
				t.Errorf("earlier %q, want %q", got, tt.before)
			}
		})
	}
}

func labelOf(e *domain.LevelEntry) string {
	if e == nil {
		return ""
	}
	return e.Label()
}
