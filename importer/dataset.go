package importer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/planledger/planledger/comparisons"
	"github.com/planledger/planledger/data"
)

// Paths of the comparison data inside the file system data.Bundled returns.
// data/ma/SOURCES.md gives each file's origin, columns and caveats.
const (
	classSizePath  = "ma/dese/3A_1_average_class_size.csv"
	attendancePath = "ma/dese/2C_1_attendance.csv"
	graduationPath = "ma/dese/4B_2_four_year_grad.csv"
	disciplinePath = "ma/dese/2A_1_students_suspended.csv"
	mcas38Glob     = "ma/mcas/mcas_public_schools_grades_3-8_all_students_*.csv"
	mcas10Glob     = "ma/mcas/mcas_public_schools_grade_10_all_students_*.csv"
)

// districtPopulationFiles are DESE's district selected-populations reports,
// by the school year each describes.
var districtPopulationFiles = []struct {
	path   string
	year   int
	source string
}{
	{"ma/district/selectedpopulations_2022.csv", 2022,
		"DESE Enrollment by Selected Population, district, 2021-22 (year inferred; data/ma/district/selectedpopulations_2022.csv)"},
	{"ma/district/selectedpopulations_2025.csv", 2025,
		"DESE Enrollment by Selected Population, district, 2024-25 (data/ma/district/selectedpopulations_2025.csv)"},
}

// BundledDataset returns the comparison dataset built from the bundled
// files. It is loaded once per process and shared, which is safe because a
// Dataset is immutable.
var BundledDataset = sync.OnceValues(func() (*comparisons.Dataset, error) {
	return LoadDataset(data.Bundled())
})

// LoadDataset reads the comparison data from fsys, laid out as data.Bundled
// lays it out: enrollment by grade first, because every other value needs
// its school's enrollment row for the year, then the other DESE reports.
// A value for a school and year without an enrollment row is left out.
func LoadDataset(fsys fs.FS) (*comparisons.Dataset, error) {
	b := comparisons.NewBuilder()
	steps := []struct {
		path string
		read func(*comparisons.Builder, io.Reader) error
	}{
		{data.EnrollmentsPath, loadEnrollments},
		{classSizePath, loadClassSize},
		{attendancePath, loadAttendance},
		{graduationPath, loadGraduation},
		{disciplinePath, loadDiscipline},
	}
	for _, s := range steps {
		if err := readFile(fsys, s.path, func(r io.Reader) error { return s.read(b, r) }); err != nil {
			return nil, err
		}
	}
	for _, band := range []struct {
		glob  string
		grade string
	}{{mcas38Glob, "3-8"}, {mcas10Glob, "10"}} {
		paths, err := fs.Glob(fsys, band.glob)
		if err != nil || len(paths) == 0 {
			return nil, fmt.Errorf("load comparison data: no MCAS files match %s: %v", band.glob, err)
		}
		sort.Strings(paths)
		for _, p := range paths {
			if err := readFile(fsys, p, func(r io.Reader) error { return loadMCAS(b, r, band.grade) }); err != nil {
				return nil, err
			}
		}
	}
	for _, f := range districtPopulationFiles {
		if err := readFile(fsys, f.path, func(r io.Reader) error { return loadDistrictPopulations(b, r, f.year, f.source) }); err != nil {
			return nil, err
		}
	}
	return b.Build(), nil
}

func readFile(fsys fs.FS, name string, read func(io.Reader) error) error {
	f, err := fsys.Open(name)
	if err != nil {
		return fmt.Errorf("load comparison data: %w", err)
	}
	defer f.Close()
	return read(f)
}

// openReport opens a report for LoadDataset. Rows are read once and not
// kept, so the CSV reader may reuse each row's storage, which cut about a
// third of the bytes a bundled load allocates when it was measured.
func openReport(r io.Reader, file, key string) (*table, error) {
	t, err := openTable(r, file, key)
	if err != nil {
		return nil, err
	}
	t.csv.ReuseRecord = true
	return t, nil
}

// springYear turns "2016-17" or "2017" into the spring year 2017. The
// common "2016-17" form is parsed by hand, because the reports repeat it on
// every one of about 86,000 rows.
func springYear(s string) (int, error) {
	if len(s) == 7 && s[4] == '-' {
		first, err1 := strconv.Atoi(s[:4])
		second, err2 := strconv.Atoi(s[5:])
		if err1 == nil && err2 == nil && (first+1)%100 == second {
			return first + 1, nil
		}
	}
	label, err := normalizeSchoolYear(s)
	if err != nil {
		return 0, err
	}
	first, _ := strconv.Atoi(label[:4])
	return first + 1, nil
}

// number parses a decimal such as "  96.0" or "\"   1,437\"". ok is false
// for a blank field, which DESE uses for suppressed or missing values.
func (t *table) number(i int) (v float64, ok bool, err error) {
	raw := t.value(i)
	s := strings.ReplaceAll(raw, ",", "")
	if s == "" {
		return 0, false, nil
	}
	v, err = strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false, t.fieldError(i, "invalid number %q: want a decimal such as 96.0", raw)
	}
	return v, true, nil
}

// lastColumn returns the field index of the last header named name, or -1.
// DESE's 2024-25 district report names one column pair twice, and only the
// second holds data.
func (t *table) lastColumn(name string) int {
	for i := len(t.header) - 1; i >= 0; i-- {
		if normalizeHeader(t.header[i]) == normalizeHeader(name) {
			return i
		}
	}
	return -1
}

// requireColumns finds every named column or returns the first missing.
func (t *table) requireColumns(names ...[]string) ([]int, error) {
	cols := make([]int, len(names))
	for i, alternatives := range names {
		c, err := t.requireColumn(alternatives...)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return cols, nil
}

// schoolRow is the code and spring year of a school report's current row;
// skip is true for district and state rows.
func (t *table) schoolRow(codeCol, yearCol int) (code string, year int, skip bool, err error) {
	code = padCode(t.value(codeCol))
	if len(code) != 8 || strings.Trim(code, "0123456789") != "" {
		return "", 0, false, t.fieldError(codeCol, "invalid org code %q: want 8 digits such as 02040505", t.value(codeCol))
	}
	if strings.HasSuffix(code, "0000") {
		return code, 0, true, nil
	}
	year, err = springYear(t.value(yearCol))
	if err != nil {
		return "", 0, false, t.fieldError(yearCol, "%w", err)
	}
	return code, year, false, nil
}

// set stores one value, leaving out a school year without an enrollment
// row. Any other error names the row.
func (t *table) set(b *comparisons.Builder, o comparisons.Observation) error {
	err := b.Set(o)
	if errors.Is(err, comparisons.ErrUnknownOrgYear) {
		return nil
	}
	if err != nil {
		return t.rowError("%w", err)
	}
	return nil
}

func loadEnrollments(b *comparisons.Builder, r io.Reader) error {
	file := sourceName(r, EnrollmentsFile)
	t, err := openReport(r, file, "School Code")
	if err != nil {
		return err
	}
	cols, err := t.requireColumns([]string{"School Code", "Org Code", "DESE ID"}, []string{"School Name", "School"},
		[]string{"Academic Year", "School Year", "Year"}, []string{"Total"})
	if err != nil {
		return err
	}
	codeCol, nameCol, yearCol, totalCol := cols[0], cols[1], cols[2], cols[3]

	spCol := t.column("SP")
	gradeCols := make([]int, len(gradeLabels))
	for i, label := range gradeLabels {
		names := []string{label}
		if n, err := strconv.Atoi(label); err == nil {
			names = append(names, strconv.Itoa(n), "Grade "+strconv.Itoa(n))
		}
		if gradeCols[i], err = t.requireColumn(names...); err != nil {
			return err
		}
	}
	needed := 1 + max(codeCol, nameCol, totalCol, yearCol, spCol, maxOf(gradeCols))
	source := "DESE Enrollment by Grade (data/ma/" + file + ")"

	for {
		ok, err := t.next(needed)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		row, skip, err := parseEnrollmentRow(t, codeCol, nameCol, yearCol, -1, totalCol, spCol, gradeCols)
		if err != nil {
			return err
		}
		if skip {
			continue
		}

		year, err := springYear(row.org.SchoolYear)
		if err != nil {
			return t.fieldError(yearCol, "%w", err)
		}
		grades := comparisons.Grades(row.grades &^ spBit)
		if err := b.AddSchool(row.org.Code, row.org.Name, row.districtName, year, grades, row.org.Enrollment, source); err != nil {
			return t.rowError("%w", err)
		}
	}
}

// rotatedClassSizeYear is the school year whose selected-population columns
// are rotated in the class size file: its "English Language Learner %"
// column holds economically disadvantaged shares, "Students with
// Disabilities %" English learner shares, and "Economically Disadvantaged
// %" shares of students with disabilities. Each column correlates at 0.97
// or more with the matching column of the years before and after, and at
// 0.65 or less with the column of its own name.
const rotatedClassSizeYear = 2020

func loadClassSize(b *comparisons.Builder, r io.Reader) error {
	file := path.Base(classSizePath)
	t, err := openReport(r, file, "Average Class Size")
	if err != nil {
		return err
	}
	cols, err := t.requireColumns([]string{"DESE ID", "School Code"}, []string{"Academic Year"},
		[]string{"Total # of Classes"}, []string{"Average Class Size"}, []string{"Number of Students"},
		[]string{"English Language Learner %"}, []string{"Students with Disabilities %"}, []string{"Economically Disadvantaged %"})
	if err != nil {
		return err
	}
	needed := 1 + slices.Max(cols[:5]) // DESE leaves the trailing population columns out when blank
	source := "DESE Class Size by Gender and Selected Populations (data/ma/dese/" + file + ")"
	for {
		ok, err := t.next(needed)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		code, year, skip, err := t.schoolRow(cols[0], cols[1])
		if err != nil {
			return err
		}
		if skip {
			continue
		}
		values := make([]float64, 6)
		present := make([]bool, 6)
		for i, c := range cols[2:] {
			if values[i], present[i], err = t.number(c); err != nil {
				return err
			}
		}
		classes, size, students := values[0], values[1], values[2]
		el, swd, income := 3, 4, 5
		if year == rotatedClassSizeYear {
			income, el, swd = 3, 4, 5
		}
		if present[1] {
			if err := t.set(b, comparisons.Observation{Code: code, Year: year, Key: comparisons.KeyAverageClassSize,
				Value: size, Weight: classes, Source: source}); err != nil {
				return err
			}
		}
		for _, p := range []struct {
			key string
			at  int
		}{{comparisons.KeyELPct, el}, {comparisons.KeySWDPct, swd}, {incomeElement(year), income}} {
			if !present[p.at] {
				continue
			}
			if err := t.set(b, comparisons.Observation{Code: code, Year: year, Key: p.key, Value: values[p.at],
				Weight: students, Source: source}); err != nil {
				return err
			}
		}
	}
}

// incomeElement returns the element of a year's income measure: DESE
// replaced economically disadvantaged with low income in 2021-22.
func incomeElement(year int) string {
	if year >= 2022 {
		return comparisons.KeyLowIncomePct
	}
	return comparisons.KeyEconDisadvantagedPct
}

func loadAttendance(b *comparisons.Builder, r io.Reader) error {
	file := path.Base(attendancePath)
	t, err := openReport(r, file, "Attendance Rate")
	if err != nil {
		return err
	}
	cols, err := t.requireColumns([]string{"DESE ID", "School Code"}, []string{"Academic Year"},
		[]string{"Attendance Rate"}, []string{"Average # of Absences"}, []string{"Chronically Absent (10% or more)"})
	if err != nil {
		return err
	}
	keys := []string{comparisons.KeyAttendanceRate, comparisons.KeyAverageAbsences, comparisons.KeyChronicAbsencePct}
	source := "DESE Student Attendance (data/ma/dese/" + file + ")"
	// The file repeats every row under two survey items with the same
	// figures; a repeat is skipped, and a repeat that differs is an error.
	seen := map[string][]string{}
	for {
		ok, err := t.next(1 + slices.Max(cols))
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		code, year, skip, err := t.schoolRow(cols[0], cols[1])
		if err != nil {
			return err
		}
		if skip {
			continue
		}
		key := code + "/" + strconv.Itoa(year)
		fields := []string{t.value(cols[2]), t.value(cols[3]), t.value(cols[4])}
		if prev, dup := seen[key]; dup {
			if !slices.Equal(prev, fields) {
				return t.rowError("school %s has two rows for %d with different figures; keep the right one", code, year)
			}
			continue
		}
		seen[key] = fields
		enrollment, known := b.Enrollment(code, year)
		if !known {
			continue
		}
		for i, k := range keys {
			v, present, err := t.number(cols[2+i])
			if err != nil {
				return err
			}
			if !present {
				continue
			}
			if err := t.set(b, comparisons.Observation{Code: code, Year: year, Key: k, Value: v,
				Weight: float64(enrollment), Source: source}); err != nil {
				return err
			}
		}
	}
}

func loadGraduation(b *comparisons.Builder, r io.Reader) error {
	file := path.Base(graduationPath)
	t, err := openReport(r, file, "% Graduated")
	if err != nil {
		return err
	}
	cols, err := t.requireColumns([]string{"DESE ID", "School Code"}, []string{"Academic Year"},
		[]string{"# in Cohort"}, []string{"% Graduated"})
	if err != nil {
		return err
	}
	source := "DESE Four-Year Graduation Rates (data/ma/dese/" + file + ")"
	for {
		ok, err := t.next(1 + slices.Max(cols))
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		code, year, skip, err := t.schoolRow(cols[0], cols[1])
		if err != nil {
			return err
		}
		if skip {
			continue
		}
		cohort, _, err := t.number(cols[2])
		if err != nil {
			return err
		}
		rate, present, err := t.number(cols[3])
		if err != nil || !present {
			if err != nil {
				return err
			}
			continue
		}
		if err := t.set(b, comparisons.Observation{Code: code, Year: year, Key: comparisons.KeyGradRate4Year,
			Value: rate, Weight: cohort, Source: source}); err != nil {
			return err
		}
	}
}

func loadDiscipline(b *comparisons.Builder, r io.Reader) error {
	file := path.Base(disciplinePath)
	t, err := openReport(r, file, "% Out-of-School Suspension")
	if err != nil {
		return err
	}
	cols, err := t.requireColumns([]string{"DESE ID", "School Code"}, []string{"Academic Year"},
		[]string{"Students"}, []string{"% In-School Suspension"}, []string{"% Out-of-School Suspension"})
	if err != nil {
		return err
	}
	source := "DESE Student Discipline (data/ma/dese/" + file + ")"
	for {
		// Rows with blank rates may end before the rate columns.
		ok, err := t.next(1 + max(cols[0], cols[1], cols[2]))
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		code, year, skip, err := t.schoolRow(cols[0], cols[1])
		if err != nil {
			return err
		}
		if skip {
			continue
		}
		students, _, err := t.number(cols[2])
		if err != nil {
			return err
		}
		for _, p := range []struct {
			key string
			col int
		}{{comparisons.KeyInSchoolSuspPct, cols[3]}, {comparisons.KeyOutOfSchoolSuspPct, cols[4]}} {
			v, present, err := t.number(p.col)
			if err != nil {
				return err
			}
			if !present {
				continue
			}
			if err := t.set(b, comparisons.Observation{Code: code, Year: year, Key: p.key, Value: v,
				Weight: students, Source: source}); err != nil {
				return err
			}
		}
	}
}

// mcasKeys maps a grade band and subject to its two elements: the share
// meeting or exceeding expectations and the mean growth percentile.
var mcasKeys = map[string][2]string{
	"3-8/ELA":  {comparisons.KeyMCAS38ELAMEPct, comparisons.KeyMCAS38ELASGP},
	"3-8/MATH": {comparisons.KeyMCAS38MathMEPct, comparisons.KeyMCAS38MathSGP},
	"10/ELA":   {comparisons.KeyMCAS10ELAMEPct, comparisons.KeyMCAS10ELASGP},
	"10/MATH":  {comparisons.KeyMCAS10MathMEPct, comparisons.KeyMCAS10MathSGP},
}

var mcasFileYear = regexp.MustCompile(`_(\d{4})\.csv$`)

// loadMCAS reads one year of school MCAS results for all students in a
// grade band ("3-8" or "10"). Science rows are not read.
func loadMCAS(b *comparisons.Builder, r io.Reader, band string) error {
	file := sourceName(r, "mcas.csv")
	t, err := openReport(r, file, "school_code")
	if err != nil {
		return err
	}
	cols, err := t.requireColumns([]string{"school_code"}, []string{"year"}, []string{"subject"}, []string{"me_num"},
		[]string{"me_percent"}, []string{"num_of_students_included"}, []string{"sgp"}, []string{"included_in_sgp"})
	if err != nil {
		return err
	}
	gradeCol, groupCol := t.column("grade"), t.column("student_group")

	var fileYear int
	if m := mcasFileYear.FindStringSubmatch(file); m != nil {
		fileYear, _ = strconv.Atoi(m[1])
	}
	label := "grades 3-8"
	if band == "10" {
		label = "grade 10"
	}
	source := fmt.Sprintf("DESE Next-Generation MCAS Achievement Results, %s, all students (data/ma/mcas/%s)", label, file)

	for {
		ok, err := t.next(1 + slices.Max(cols))
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		code, year, skip, err := t.schoolRow(cols[0], cols[1])
		if err != nil {
			return err
		}
		if skip {
			continue
		}

		if fileYear != 0 && year != fileYear {
			return t.fieldError(cols[1], "year %d differs from the file name's %d; fix the year or rename the file", year, fileYear)
		}
		if gradeCol >= 0 && t.value(gradeCol) != band {
			return t.fieldError(gradeCol, "grade %q in a grade %s file", t.value(gradeCol), band)
		}
		if groupCol >= 0 && t.value(groupCol) != "ALL" {
			return t.fieldError(groupCol, "student group %q in an all-students file", t.value(groupCol))
		}
		keys, ok := mcasKeys[band+"/"+t.value(cols[2])]
		if !ok {
			continue
		}
		if err := setMCAS(t, b, code, year, keys, cols, source); err != nil {
			return err
		}
	}
}

func setMCAS(t *table, b *comparisons.Builder, code string, year int, keys [2]string, cols []int, source string) error {
	nums := make([]float64, 5)
	present := make([]bool, 5)
	for i, c := range cols[3:] {
		var err error
		if nums[i], present[i], err = t.number(c); err != nil {
			return err
		}
	}
	meNum, mePct, included, sgp, inSGP := nums[0], nums[1], nums[2], nums[3], nums[4]
	if present[1] {
		// DESE rounds the percentage, so the district aggregate sums counts.
		numerator := meNum * 100
		if err := t.set(b, comparisons.Observation{Code: code, Year: year, Key: keys[0], Value: mePct,
			Weight: included, Numerator: &numerator, Source: source}); err != nil {
			return err
		}
	}
	if present[3] {
		if err := t.set(b, comparisons.Observation{Code: code, Year: year, Key: keys[1], Value: sgp,
			Weight: inSGP, Source: source}); err != nil {
			return err
		}
	}
	return nil
}

// loadDistrictPopulations reads DESE's district selected-populations report
// in either of its layouts. Its English learner, low income and
// disabilities shares are the district's own figures for the year.
func loadDistrictPopulations(b *comparisons.Builder, r io.Reader, year int, source string) error {
	file := sourceName(r, "selectedpopulations.csv")
	t, err := openReport(r, file, "District Code")
	if err != nil {
		return err
	}
	codeCol, err := t.requireColumn("District Code")
	if err != nil {
		return err
	}
	columns := []struct {
		key   string
		names []string
	}{
		{comparisons.KeyELPct, []string{"English Learners%", "English Language Learner %"}},
		{comparisons.KeyLowIncomePct, []string{"Low Income%", "Low Income %"}},
		{comparisons.KeySWDPct, []string{"Students with Disabilities%", "Students With Disabilities %"}},
	}
	cols := make([]int, len(columns))
	for i, c := range columns {
		cols[i] = -1
		for _, name := range c.names {
			if col := t.lastColumn(name); col >= 0 {
				cols[i] = col
				break
			}
		}
		if cols[i] < 0 {
			return fmt.Errorf("read %s: the header has no %q column; found %s", file, c.names[0], strings.Join(t.header, ", "))
		}
	}
	for {
		ok, err := t.next(1 + max(codeCol, slices.Max(cols)))
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		code := padCode(t.value(codeCol))
		if code == "00000000" || !strings.HasSuffix(code, "0000") {
			continue
		}
		for i, c := range columns {
			v, present, err := t.number(cols[i])
			if err != nil {
				return err
			}
			if !present {
				continue
			}
			if err := t.set(b, comparisons.Observation{Code: code, Year: year, Key: c.key, Value: v, Source: source}); err != nil {
				return err
			}
		}
	}
}
