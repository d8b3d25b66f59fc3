package importer

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/planledger/planledger/domain"
)

// gradeLabels name the grade columns of DESE enrollment by grade, lowest
// first, as a grade span prints them ("PK-05", "09-12").
var gradeLabels = []string{"PK", "K", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"}

// gradeSet marks grades with enrolled students. Bit i is gradeLabels[i],
// and spBit marks the SP column (special education beyond grade 12), which
// is not a grade.
type gradeSet uint16

const spBit gradeSet = 1 << 14

// span returns the grade span from the lowest to the highest marked grade,
// "SP" for a program with only SP students, or "" when nothing is marked.
// Gaps are not shown, so a school with PK and 09-12 prints as "PK-12".
func (g gradeSet) span() string {
	lo, hi := -1, -1
	for i := range gradeLabels {
		if g&(1<<i) != 0 {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	switch {
	case lo < 0 && g&spBit != 0:
		return "SP"
	case lo < 0:
		return ""
	case lo == hi:
		return gradeLabels[lo]
	default:
		return gradeLabels[lo] + "-" + gradeLabels[hi]
	}
}

// enrollmentRow is one school's row for one school year.
type enrollmentRow struct {
	line         int
	org          domain.Org
	districtName string
	grades       gradeSet
}

// districtYear sums one district's schools in one school year.
type districtYear struct {
	name       string
	line       int // row that supplied the name
	enrollment int
	grades     gradeSet
}

// ReadEnrollments parses DESE enrollment by grade (enrollments.csv) into
// one school Org per school code and one district Org per district code.
// A school is described by its latest school year in the file, so a school
// that closed is still registered from its last year. A district is
// described by the latest year it appears, with its schools' summed
// enrollment and the span of their grades. Rows whose code is a district or
// state code (ending in 0000) are totals and are skipped. Orgs are sorted by
// code.
func ReadEnrollments(r io.Reader) ([]domain.Org, error) {
	file := sourceName(r, EnrollmentsFile)
	t, err := openTable(r, file, "School Code")
	if err != nil {
		return nil, err
	}
	codeCol, err := t.requireColumn("School Code", "Org Code", "DESE ID")
	if err != nil {
		return nil, err
	}
	nameCol, err := t.requireColumn("School Name", "School")
	if err != nil {
		return nil, err
	}
	totalCol, err := t.requireColumn("Total")
	if err != nil {
		return nil, err
	}
	yearCol := t.column("Academic Year", "School Year", "Year")
	districtCol := t.column("District Name", "District")
	spCol := t.column("SP")
	gradeCols := make([]int, len(gradeLabels))
	for i, label := range gradeLabels {
		names := []string{label}
		if n, err := strconv.Atoi(label); err == nil {
			names = append(names, strconv.Itoa(n), "Grade "+strconv.Itoa(n))
		}
		if gradeCols[i], err = t.requireColumn(names...); err != nil {
			return nil, err
		}
	}
	needed := 1 + max(codeCol, nameCol, totalCol, yearCol, districtCol, spCol, maxOf(gradeCols))

	source := fmt.Sprintf("DESE enrollment by grade (%s)", file)
	schools := map[string]enrollmentRow{}
	districts := map[string]map[string]*districtYear{}
	for {
		ok, err := t.next(needed)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		row, skip, err := parseEnrollmentRow(t, codeCol, nameCol, yearCol, districtCol, totalCol, spCol, gradeCols)
		if err != nil {
			return nil, err
		}
		if skip {
			continue
		}
		row.org.Source = source

		code, year := row.org.Code, row.org.SchoolYear
		if prev, seen := schools[code]; !seen || year > prev.org.SchoolYear {
			schools[code] = row
		} else if year == prev.org.SchoolYear {
			return nil, t.fieldError(codeCol, "duplicate row for school %s in school year %q (also on line %d): keep one row",
				code, year, prev.line)
		}

		years := districts[row.org.DistrictCode]
		if years == nil {
			years = map[string]*districtYear{}
			districts[row.org.DistrictCode] = years
		}
		d := years[year]
		if d == nil {
			d = &districtYear{name: row.districtName, line: row.line}
			years[year] = d
		}
		d.enrollment += row.org.Enrollment
		d.grades |= row.grades
	}

	orgs := make([]domain.Org, 0, len(schools)+len(districts))
	for code, years := range districts {
		latest := ""
		for y := range years {
			if latest == "" || y > latest {
				latest = y
			}
		}
		d := years[latest]
		o := domain.Org{Code: code, Type: domain.OrgDistrict, Name: d.name, DistrictCode: code,
			GradeSpan: d.grades.span(), Enrollment: d.enrollment, SchoolYear: latest, Source: source}
		if err := domain.ValidateOrg(o); err != nil {
			return nil, &DataError{File: file, Line: d.line, Column: nameCol + 1, Header: t.header[nameCol],
				Err: fmt.Errorf("district %s: %w", code, err)}
		}
		orgs = append(orgs, o)
	}
	for _, row := range schools {
		if err := domain.ValidateOrg(row.org); err != nil {
			return nil, &DataError{File: file, Line: row.line, Err: fmt.Errorf("school %s: %w", row.org.Code, err)}
		}
		orgs = append(orgs, row.org)
	}
	sort.Slice(orgs, func(i, j int) bool { return orgs[i].Code < orgs[j].Code })
	return orgs, nil
}

// parseEnrollmentRow reads the current row. skip is true for district and
// state total rows.
func parseEnrollmentRow(t *table, codeCol, nameCol, yearCol, districtCol, totalCol, spCol int,
	gradeCols []int) (row enrollmentRow, skip bool, err error) {
	code := padCode(t.value(codeCol))
	if err := domain.ValidateOrgCode("code", code); err != nil {
		return row, false, t.fieldError(codeCol, "%w", err)
	}
	if strings.HasSuffix(code, "0000") {
		return row, true, nil
	}
	year := ""
	if yearCol >= 0 {
		if year, err = normalizeSchoolYear(t.value(yearCol)); err != nil {
			return row, false, t.fieldError(yearCol, "%w", err)
		}
	}
	if districtCol >= 0 && t.value(districtCol) == "" {
		return row, false, t.fieldError(districtCol, "missing district name")
	}
	districtName, schoolName, err := splitSchoolName(t.value(nameCol), t.value(districtCol))
	if err != nil {
		return row, false, t.fieldError(nameCol, "%w", err)
	}

	var grades gradeSet
	for i, col := range gradeCols {
		n, err := t.count(col)
		if err != nil {
			return row, false, err
		}
		if n > 0 {
			grades |= 1 << i
		}
	}
	if spCol >= 0 {
		n, err := t.count(spCol)
		if err != nil {
			return row, false, err
		}
		if n > 0 {
			grades |= spBit
		}
	}
	total, err := t.count(totalCol)
	if err != nil {
		return row, false, err
	}

	row = enrollmentRow{line: t.line(), districtName: districtName, grades: grades, org: domain.Org{
		Code: code, Type: domain.OrgSchool, Name: schoolName, DistrictCode: domain.DistrictCodeOf(code),
		GradeSpan: grades.span(), Enrollment: total, SchoolYear: year,
	}}
	return row, false, nil
}

// normalizeSchoolYear accepts "2025-26" or the spring year "2026" and
// returns the "2025-26" form. It checks the bytes itself instead of with a
// regular expression, because it runs on every row of a large file.
func normalizeSchoolYear(s string) (string, error) {
	if len(s) == 7 && allDigits(s[:4]) && s[4] == '-' && allDigits(s[5:]) {
		first, _ := strconv.Atoi(s[:4])
		second, _ := strconv.Atoi(s[5:])
		if (first+1)%100 != second {
			return "", fmt.Errorf("invalid school year %q: the two years must be consecutive, as in 2025-26", s)
		}
		return s, nil
	}
	if len(s) == 4 && allDigits(s) {
		spring, _ := strconv.Atoi(s)
		return domain.SchoolYearLabel(spring), nil
	}
	return "", fmt.Errorf("invalid school year %q: want a year such as 2025-26", s)
}

// allDigits reports whether s consists of ASCII digits only.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// splitSchoolName splits DESE's "District - School" name. Charter
// districts end in " (District)" and their school part may itself contain
// " - ", so the split happens after that suffix when there is one. When the
// file has a district name column, it is used and the school name is kept
// whole unless it starts with that district name.
func splitSchoolName(full, districtColumn string) (district, school string, err error) {
	const charterSep = " (District) - "
	if districtColumn != "" {
		district, school = districtColumn, strings.TrimPrefix(full, districtColumn+" - ")
	} else if i := strings.Index(full, charterSep); i >= 0 {
		district, school = full[:i+len(" (District)")], full[i+len(charterSep):]
	} else if i := strings.Index(full, " - "); i >= 0 {
		district, school = full[:i], full[i+len(" - "):]
	}
	district, school = strings.TrimSpace(district), strings.TrimSpace(school)
	if districtColumn != "" && school == "" {
		return "", "", fmt.Errorf("missing school name")
	}
	if district == "" || school == "" {
		return "", "", fmt.Errorf("school name %q is not in the form \"District - School\" and the file has no District Name column", full)
	}
	return district, school, nil
}

func maxOf(xs []int) int {
	m := -1
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
