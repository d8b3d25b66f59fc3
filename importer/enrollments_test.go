package importer_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/importer"
)

// Counts of distinct codes in the bundled enrollments.csv, computed outside
// Go with:
//
//	tail -n +2 enrollments.csv | grep -oE ',[0-9]{8},' | sort -u | wc -l              # 1962
//	tail -n +2 enrollments.csv | grep -oE ',[0-9]{8},' | cut -c2-5 | sort -u | wc -l  # 411
//
// Every row has exactly one 8-digit field, the School Code.
const (
	bundledSchools   = 1962
	bundledDistricts = 411
)

func openBundled(t *testing.T, name string) fs.File {
	t.Helper()
	f, err := data.Bundled().Open(name)
	if err != nil {
		t.Fatalf("open bundled %s: %v", name, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func bundledOrgs(t *testing.T) map[string]domain.Org {
	t.Helper()
	orgs, err := importer.ReadEnrollments(openBundled(t, data.EnrollmentsPath))
	if err != nil {
		t.Fatalf("ReadEnrollments: %v", err)
	}
	byCode := map[string]domain.Org{}
	for _, o := range orgs {
		if _, dup := byCode[o.Code]; dup {
			t.Errorf("org %s returned twice", o.Code)
		}
		byCode[o.Code] = o
	}
	return byCode
}

func TestReadEnrollmentsNewburyport(t *testing.T) {
	orgs := bundledOrgs(t)
	source := "DESE enrollment by grade (enrollments.csv)"
	want := []domain.Org{
		{Code: "02040000", Type: domain.OrgDistrict, Name: "Newburyport", DistrictCode: "02040000",
			GradeSpan: "PK-12", Enrollment: 567 + 294 + 498 + 745, SchoolYear: "2025-26", Source: source},
		{Code: "02040005", Type: domain.OrgSchool, Name: "Francis T Bresnahan Elementary", DistrictCode: "02040000",
			GradeSpan: "PK-03", Enrollment: 567, SchoolYear: "2025-26", Source: source},
		{Code: "02040030", Type: domain.OrgSchool, Name: "Edward G. Molin Elementary School", DistrictCode: "02040000",
			GradeSpan: "04-05", Enrollment: 294, SchoolYear: "2025-26", Source: source},
		{Code: "02040305", Type: domain.OrgSchool, Name: "Rupert A Nock Middle", DistrictCode: "02040000",
			GradeSpan: "06-08", Enrollment: 498, SchoolYear: "2025-26", Source: source},
		{Code: "02040505", Type: domain.OrgSchool, Name: "Newburyport High", DistrictCode: "02040000",
			GradeSpan: "09-12", Enrollment: 745, SchoolYear: "2025-26", Source: source},
	}
	for _, w := range want {
		got, ok := orgs[w.Code]
		if !ok {
			t.Errorf("org %s (%s) missing", w.Code, w.Name)
			continue
		}
		if got != w {
			t.Errorf("org %s:\n got %+v\nwant %+v", w.Code, got, w)
		}
	}
	var newburyport []string
	for code := range orgs {
		if strings.HasPrefix(code, "0204") && code != "02040000" {
			newburyport = append(newburyport, code)
		}
	}
	if len(newburyport) != 4 {
		t.Errorf("Newburyport has %d schools %v, want 4", len(newburyport), newburyport)
	}
}

func TestReadEnrollmentsCounts(t *testing.T) {
	orgs := bundledOrgs(t)
	schools, districts := 0, 0
	for _, o := range orgs {
		if err := domain.ValidateOrg(o); err != nil {
			t.Errorf("org %s fails validation: %v", o.Code, err)
		}
		switch o.Type {
		case domain.OrgSchool:
			schools++
			if _, ok := orgs[o.DistrictCode]; !ok {
				t.Errorf("school %s has no district org %s", o.Code, o.DistrictCode)
			}
		case domain.OrgDistrict:
			districts++
		}
	}
	if schools != bundledSchools {
		t.Errorf("schools = %d, want %d", schools, bundledSchools)
	}
	if districts != bundledDistricts {
		t.Errorf("districts = %d, want %d", districts, bundledDistricts)
	}
}

func TestReadEnrollmentsSpecialRows(t *testing.T) {
	orgs := bundledOrgs(t)
	cases := []struct {
		why  string
		code string
		name string
		span string
		enr  int
		year string
	}{
		{"quoted thousands separator", "04450105", "Abby Kelley Foster Charter Public School", "K-12", 1426, "2025-26"},
		{"charter district keeps its suffix", "04450000", "Abby Kelley Foster Charter Public (District)", "K-12", 1426, "2025-26"},
		{"school part contains \" - \"", "04260205", "Community Day Charter Public School - Gateway", "PK-08", 401, "2021-22"},
		{"district of a closed charter", "04260000", "Community Day Charter Public School - Gateway (District)", "PK-08", 401, "2021-22"},
		{"absent from 2025-26, renamed since 2020-21", "00350006", "West Zone Early Learning Center", "PK-01", 76, "2024-25"},
		{"only SP students", "02810675", "Springfield Transition Academy", "SP", 119, "2025-26"},
		{"blank 2024-25 row, 2025-26 filled", "03250045", "Westfield River Elementary School", "PK-04", 410, "2025-26"},
	}
	for _, c := range cases {
		o, ok := orgs[c.code]
		if !ok {
			t.Errorf("%s: org %s missing", c.why, c.code)
			continue
		}
		if o.Name != c.name || o.GradeSpan != c.span || o.Enrollment != c.enr || o.SchoolYear != c.year {
			t.Errorf("%s: org %s = %q %s %d %s, want %q %s %d %s", c.why, c.code,
				o.Name, o.GradeSpan, o.Enrollment, o.SchoolYear, c.name, c.span, c.enr, c.year)
		}
	}
}

const enrollmentHeader = "Academic Year,School Name,School Code,PK,K,1,2,3,4,5,6,7,8,9,10,11,12,SP,Total\n"

func TestReadEnrollmentsMalformedCount(t *testing.T) {
	csv := enrollmentHeader +
		"2025-26,Newburyport - Newburyport High,02040505,0,0,0,0,0,0,0,0,0,0,187,179,189,190,0,745\n" +
		"2025-26,Newburyport - Rupert A Nock Middle,02040305,0,0,0,0,0,0,0,179,163,156,0,0,0,0,0,many\n"
	_, err := importer.ReadEnrollments(strings.NewReader(csv))
	if err == nil {
		t.Fatal("ReadEnrollments accepted a non-numeric Total")
	}
	var de *importer.DataError
	if !errors.As(err, &de) {
		t.Fatalf("error %v is not a *DataError", err)
	}
	if de.Line != 3 {
		t.Errorf("error line = %d, want 3", de.Line)
	}
	if de.Column != 19 || de.Header != "Total" {
		t.Errorf("error column = %d (%s), want 19 (Total)", de.Column, de.Header)
	}
	for _, part := range []string{"enrollments.csv", "line 3", "Total", `"many"`} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not mention %s", err, part)
		}
	}
}

func TestReadEnrollmentsRowErrors(t *testing.T) {
	const high = "Newburyport - Newburyport High,02040505,0,0,0,0,0,0,0,0,0,0,1,1,1,1,0,4\n"
	cases := map[string]struct {
		rows string
		want string
	}{
		"bad code":           {"2025-26,Newburyport - Newburyport High,0204050X,0,0,0,0,0,0,0,0,0,0,1,1,1,1,0,4\n", "line 2, column 3 (School Code)"},
		"bad year":           {"2025-27," + high, "line 2, column 1 (Academic Year)"},
		"year with a letter": {"2025-2x," + high, "line 2, column 1 (Academic Year)"},
		"five-digit year":    {"20252," + high, "line 2, column 1 (Academic Year)"},
		"no district part":   {"2025-26,Newburyport High,02040505,0,0,0,0,0,0,0,0,0,0,1,1,1,1,0,4\n", "line 2, column 2 (School Name)"},
		"short row":          {"2025-26,Newburyport - Newburyport High,02040505,0,0\n", "line 2: the row has 5 fields"},
		"negative count":     {"2025-26,Newburyport - Newburyport High,02040505,0,0,0,0,0,0,0,0,0,0,1,1,1,-1,0,4\n", "line 2, column 17 (12)"},
		"count over int range": {"2025-26,Newburyport - Newburyport High,02040505,0,0,0,0,0,0,0,0,0,0,1,1,1,\"99,999,999,999,999,999,999\",0,4\n",
			"line 2, column 17 (12)"},
		"duplicate year": {"2025-26," + high + "2025-26," + high, "line 3, column 3 (School Code)"},
	}
	for name, c := range cases {
		_, err := importer.ReadEnrollments(strings.NewReader(enrollmentHeader + c.rows))
		if err == nil {
			t.Errorf("%s: ReadEnrollments accepted %q", name, c.rows)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not name %q", name, err, c.want)
		}
	}
}

func TestReadEnrollmentsDESEDownloadLayout(t *testing.T) {
	// A title line above the header, reordered columns, no year column and a
	// code that lost its leading zero, as a spreadsheet export may leave it.
	csv := "Enrollment by Grade (School) 2026\n" +
		"School Code,School Name,Total,PK,K,1,2,3,4,5,6,7,8,9,10,11,12\n" +
		"2040505,Newburyport - Newburyport High,745,0,0,0,0,0,0,0,0,0,0,187,179,189,190\n" +
		"02040000,Newburyport - District total,745,0,0,0,0,0,0,0,0,0,0,187,179,189,190\n"
	orgs, err := importer.ReadEnrollments(strings.NewReader(csv))
	if err != nil {
		t.Fatalf("ReadEnrollments: %v", err)
	}
	if len(orgs) != 2 {
		t.Fatalf("got %d orgs %+v, want the school and its district", len(orgs), orgs)
	}
	school := orgs[1]
	if school.Code != "02040505" || school.GradeSpan != "09-12" || school.Enrollment != 745 || school.SchoolYear != "" {
		t.Errorf("school = %+v", school)
	}
	if orgs[0].Code != "02040000" || orgs[0].Name != "Newburyport" || orgs[0].Enrollment != 745 {
		t.Errorf("district = %+v; the district total row must not count twice", orgs[0])
	}
}

func TestReadEnrollmentsMissingColumn(t *testing.T) {
	csv := "School Code,School Name,PK,K\n02040505,Newburyport - Newburyport High,0,0\n"
	_, err := importer.ReadEnrollments(strings.NewReader(csv))
	if err == nil || !strings.Contains(err.Error(), `"Total"`) {
		t.Errorf("error = %v, want one naming the missing Total column", err)
	}
}

func TestReadEnrollmentsDistrictColumn(t *testing.T) {
	const header = "School Year,District Name,School Name,School Code,PK,K,1,2,3,4,5,6,7,8,9,10,11,12,Total\n"
	const high = "2026,Newburyport,Newburyport High,02040505,0,0,0,0,0,0,0,0,0,0,187,179,189,190,745\n"
	const noDistrict = "2026,,Rupert A Nock Middle,02040305,0,0,0,0,0,0,0,179,163,156,0,0,0,0,498\n"

	orgs, err := importer.ReadEnrollments(strings.NewReader(header + high))
	if err != nil {
		t.Fatalf("ReadEnrollments: %v", err)
	}
	if len(orgs) != 2 || orgs[0].Name != "Newburyport" || orgs[1].Name != "Newburyport High" || orgs[1].SchoolYear != "2025-26" {
		t.Errorf("orgs = %+v, want Newburyport and Newburyport High for 2025-26", orgs)
	}

	_, err = importer.ReadEnrollments(strings.NewReader(header + high + noDistrict))
	if err == nil || !strings.Contains(err.Error(), "line 3, column 2 (District Name): missing district name") {
		t.Errorf("error = %v, want a missing district name on line 3, column 2", err)
	}
}
