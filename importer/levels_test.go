package importer_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/importer"
)

var massachusetts = mustZone("America/New_York")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func massDate(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, massachusetts)
}

func TestReadProfile2017Levels(t *testing.T) {
	records, err := importer.ReadProfile2017(openBundled(t, data.Profile2017Path))
	if err != nil {
		t.Fatalf("ReadProfile2017: %v", err)
	}
	// Counts from the "Accountability and Assistance Level" column and the
	// district level column (one per District Code) of the bundled file.
	wantSchools := map[int]int{1: 521, 2: 787, 3: 261, 4: 31, 5: 4}
	wantDistricts := map[int]int{1: 78, 2: 232, 3: 62, 4: 7, 5: 3}
	schools, districts := map[int]int{}, map[int]int{}
	seen := map[string]bool{}
	for _, r := range records {
		if seen[r.OrgCode] {
			t.Errorf("org %s has two records", r.OrgCode)
		}
		seen[r.OrgCode] = true
		if strings.HasSuffix(r.OrgCode, "0000") {
			districts[r.Level]++
		} else {
			schools[r.Level]++
		}
		if !r.EffectiveAt.Equal(massDate(2017, time.September, 30)) || r.DatePrecision != importer.PrecisionYear {
			t.Errorf("org %s: effective %v precision %s, want 2017-09-30 year", r.OrgCode, r.EffectiveAt, r.DatePrecision)
		}
		if r.Reason == "" || !strings.Contains(r.Source, "github.com/maggiexwang/sds236-mass-edu") {
			t.Errorf("org %s: reason %q source %q", r.OrgCode, r.Reason, r.Source)
		}
	}
	for level := 1; level <= 5; level++ {
		if schools[level] != wantSchools[level] {
			t.Errorf("schools at Level %d = %d, want %d", level, schools[level], wantSchools[level])
		}
		if districts[level] != wantDistricts[level] {
			t.Errorf("districts at Level %d = %d, want %d", level, districts[level], wantDistricts[level])
		}
	}
	if schools[4] < 31 {
		t.Errorf("only %d Level 4 schools, want at least 31", schools[4])
	}

	parker := find(records, "02010115")
	if len(parker) != 1 || parker[0].Level != 5 || parker[0].Reason != "Chronically underperforming school" {
		t.Errorf("John Avery Parker 02010115 = %+v, want Level 5, chronically underperforming", parker)
	}
	newburyport := find(records, "02040000")
	if len(newburyport) != 1 || newburyport[0].Level != 2 ||
		newburyport[0].Reason != "One or more schools in the district classified into Level 2" {
		t.Errorf("Newburyport 02040000 = %+v, want one Level 2 record with the published reason", newburyport)
	}
}

func TestReadProfile2017InvalidLevel(t *testing.T) {
	csv := "School Code,District Code,Accountability and Assistance Level,Accountability and Assistance Description," +
		"District_Accountability and Assistance Level,District_Accountability and Assistance Description\n" +
		"02040505,02040000,Level 1,Meeting gap narrowing goals,Level 2,One or more schools\n" +
		"02040305,02040000,Level 7,Made up,Level 2,One or more schools\n"
	_, err := importer.ReadProfile2017(strings.NewReader(csv))
	var de *importer.DataError
	if !errors.As(err, &de) {
		t.Fatalf("error = %v, want a *DataError", err)
	}
	if de.Line != 3 || de.Column != 3 {
		t.Errorf("error at line %d column %d, want line 3 column 3: %v", de.Line, de.Column, err)
	}
}

func TestReadProfile2017ConflictingDistrict(t *testing.T) {
	csv := "School Code,District Code,Accountability and Assistance Level,Accountability and Assistance Description," +
		"District_Accountability and Assistance Level,District_Accountability and Assistance Description\n" +
		"02040505,02040000,Level 1,Meeting gap narrowing goals,Level 2,One or more schools\n" +
		"02040305,02040000,Level 1,Meeting gap narrowing goals,Level 3,One or more schools\n"
	_, err := importer.ReadProfile2017(strings.NewReader(csv))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("error = %v, want one naming line 3", err)
	}
}

func TestReadObservations(t *testing.T) {
	records, err := importer.ReadObservations(openBundled(t, data.ObservationsPath))
	if err != nil {
		t.Fatalf("ReadObservations: %v", err)
	}
	// Rows with an explicit "Level N" status and no UNVERIFIED mark: Lawrence
	// 2013, 2014, 2017; Holyoke 2013, 2015; Boston 2012; Orchard Gardens 2014;
	// Morgan (two steps); John Avery Parker 2013, 2017; Springfield 2013;
	// Elias Brookings 2013, 2014; Brightwood 2013; Henry Lord 2013.
	byLevel := map[int]int{}
	levels := 0
	for _, r := range records {
		if !strings.HasPrefix(r.Source, "http") {
			t.Errorf("org %s: source %q is not the row's source_url", r.OrgCode, r.Source)
		}
		if r.Scheme == domain.SchemeAccountability {
			continue
		}
		byLevel[r.Level]++
		levels++
	}
	if levels != 16 {
		t.Errorf("got %d level records, want 16", levels)
	}
	want := map[int]int{2: 1, 3: 1, 4: 7, 5: 7}
	for level := 1; level <= 5; level++ {
		if byLevel[level] != want[level] {
			t.Errorf("records at Level %d = %d, want %d", level, byLevel[level], want[level])
		}
	}

	morgan := find(records, "01370025")
	if len(morgan) != 3 {
		t.Fatalf("Morgan 01370025 has %d records %+v, want 2 levels and the status removal", len(morgan), morgan)
	}
	if morgan[0].Level != 4 || !morgan[0].EffectiveAt.Equal(massDate(2010, time.September, 30)) ||
		morgan[0].DatePrecision != importer.PrecisionYear {
		t.Errorf("Morgan first record = %+v, want Level 4 from 2010-09-30 (year)", morgan[0])
	}
	if morgan[1].Level != 5 || !morgan[1].EffectiveAt.Equal(massDate(2013, time.October, 30)) ||
		morgan[1].DatePrecision != importer.PrecisionDay {
		t.Errorf("Morgan second record = %+v, want Level 5 from 2013-10-30 (day)", morgan[1])
	}

	skipped := map[string]string{
		"02810085": "Benjamin Swan: UNVERIFIED status",
		"00950320": "Kuss Middle: a 2025 designation in a row that mentions UNVERIFIED",
	}
	for code, why := range skipped {
		if got := find(records, code); len(got) != 0 {
			t.Errorf("%s: got %+v, want no records", why, got)
		}
	}
	if holland := find(records, "00350167"); len(holland) != 1 || holland[0].Scheme != domain.SchemeAccountability {
		t.Errorf("UP Academy Holland = %+v, want only the 2018 designation (its Level 5 row is UNVERIFIED)", holland)
	}
	orchard := find(records, "00350257")
	if len(orchard) != 2 || orchard[0].Level != 2 || orchard[1].Designation != domain.DesignationFocused {
		t.Errorf("Orchard Gardens = %+v, want the 2014 Level 2 (the 2013 row mentions UNVERIFIED) and the 2025 designation", orchard)
	}
	for _, r := range find(records, "00350000") {
		if r.EffectiveAt.Year() == 2017 {
			t.Errorf("Boston district record %+v; the 2017 \"No level\" row must be skipped", r)
		}
	}
}

func TestReadObservationsDesignations(t *testing.T) {
	records, err := importer.ReadObservations(openBundled(t, data.ObservationsPath))
	if err != nil {
		t.Fatalf("ReadObservations: %v", err)
	}
	byDesignation := map[string]int{}
	for _, r := range records {
		if r.Scheme == domain.SchemeAccountability {
			byDesignation[r.Designation]++
		}
	}
	// Counted from the rows of the 2018 and later system without UNVERIFIED,
	// plus Morgan's status removal.
	want := map[string]int{
		domain.DesignationBroad: 6, domain.DesignationFocused: 4,
		domain.DesignationNotRequiring: 6, domain.DesignationStatusRemoved: 1,
	}
	for d, n := range want {
		if byDesignation[d] != n {
			t.Errorf("%s: %d records, want %d", d, byDesignation[d], n)
		}
	}

	percentile := func(r importer.LevelRecord) int {
		if r.Percentile == nil {
			return 0
		}
		return *r.Percentile
	}
	targetPercent := func(r importer.LevelRecord) int {
		if r.TargetPercent == nil {
			return -1
		}
		return *r.TargetPercent
	}
	tests := []struct {
		code, designation string
		year, percentile  int
		target            string
		targetPercent     int
	}{
		{"01370000", domain.DesignationBroad, 2018, 0, "partially_meeting_targets", 58}, // Holyoke: "58% partially meeting targets"
		{"01370505", domain.DesignationFocused, 2025, 3, "", -1},                        // Holyoke High
		{"00350000", domain.DesignationNotRequiring, 2018, 0, "partially_meeting_targets", 58},
		{"00350167", domain.DesignationBroad, 2018, 32, "", -1},
		{"07750000", domain.DesignationNotRequiring, 2025, 0, "moderate_progress", 41},
		{"02850000", domain.DesignationNotRequiring, 2019, 0, "substantial_progress", 55},
		{"00460030", domain.DesignationNotRequiring, 2025, 98, "", -1},
	}
	for _, tt := range tests {
		got := find(records, tt.code)
		last := got[len(got)-1]
		if last.Designation != tt.designation || percentile(last) != tt.percentile || last.TargetProgress != tt.target ||
			targetPercent(last) != tt.targetPercent {
			t.Errorf("%s = %+v, want %s, percentile %d, %s %d", tt.code, last, tt.designation, tt.percentile, tt.target, tt.targetPercent)
		}
		if !last.EffectiveAt.Equal(massDate(tt.year, time.September, 30)) || last.DatePrecision != importer.PrecisionYear {
			t.Errorf("%s takes effect %v (%s), want %d-09-30 (year)", tt.code, last.EffectiveAt, last.DatePrecision, tt.year)
		}
		if !strings.HasPrefix(last.Reason, "Requiring") && !strings.HasPrefix(last.Reason, "Not requiring") {
			t.Errorf("%s reason %q is not the published status", tt.code, last.Reason)
		}
	}
}

func TestReadObservationsBadDesignation(t *testing.T) {
	tests := []struct {
		name, status, want string
	}{
		{"no support category", "Requiring assistance or intervention; percentile 3", "support clause"},
		{"support when not requiring", "Not requiring assistance or intervention; focused/targeted support", "one support category"},
		{"percentile out of range", "Requiring assistance or intervention; focused/targeted support; percentile 100", "percentile 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csv := "district_code,district_name,school_code,school_name,grade_span,level_or_status,level_year,notes,source_url\n" +
				"01370000,Holyoke,01370505,Holyoke High,09-12,\"" + tt.status + "\",2025,,https://example.org/x\n"
			_, err := importer.ReadObservations(strings.NewReader(csv))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "line 2, column 6") {
				t.Errorf("error = %v, want one at line 2, column 6 naming %q", err, tt.want)
			}
		})
	}
}

func TestReadObservationsBadYear(t *testing.T) {
	csv := "district_code,district_name,school_code,school_name,grade_span,level_or_status,level_year,notes,source_url\n" +
		"01490000,Lawrence,,,PK-12,Level 5,20x3,,https://example.org/x\n"
	_, err := importer.ReadObservations(strings.NewReader(csv))
	if err == nil || !strings.Contains(err.Error(), "line 2, column 7 (level_year)") {
		t.Errorf("error = %v, want one naming line 2, column 7 (level_year)", err)
	}
}

func find(records []importer.LevelRecord, code string) []importer.LevelRecord {
	var out []importer.LevelRecord
	for _, r := range records {
		if r.OrgCode == code {
			out = append(out, r)
		}
	}
	return out
}
