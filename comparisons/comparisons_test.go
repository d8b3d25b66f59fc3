package comparisons_test

import (
	"encoding/csv"
	"errors"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/planledger/planledger/comparisons"
	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/importer"
)

const (
	newburyportHigh     = "02040505"
	newburyportDistrict = "02040000"
)

func bundled(t *testing.T) *comparisons.Dataset {
	t.Helper()
	ds, err := importer.BundledDataset()
	if err != nil {
		t.Fatalf("load bundled comparison data: %v", err)
	}
	return ds
}

// gradeRange returns the GradeLabels indexes a span such as "09-12" or
// "PK" covers.
func gradeRange(t *testing.T, span string) (lo, hi int) {
	t.Helper()
	first, last, found := strings.Cut(span, "-")
	if !found {
		last = first
	}
	lo, hi = slices.Index(comparisons.GradeLabels, first), slices.Index(comparisons.GradeLabels, last)
	if lo < 0 || hi < lo {
		t.Fatalf("grade span %q is not a span of GradeLabels", span)
	}
	return lo, hi
}

func TestSimilarNewburyportHigh2017(t *testing.T) {
	ds := bundled(t)
	res, err := ds.Similar(newburyportHigh, 2017, 10)
	if err != nil {
		t.Fatalf("Similar: %v", err)
	}
	if len(res.Peers) != 10 {
		t.Fatalf("got %d peers, want 10", len(res.Peers))
	}
	if len(res.FeaturesMissing) != 0 {
		t.Errorf("features missing for Newburyport High in 2016-17: %v", res.FeaturesMissing)
	}
	lo9, hi12 := gradeRange(t, "09-12")
	self := *res.Features.Enrollment
	seen := map[string]bool{}
	for i, p := range res.Peers {
		if p.Code == newburyportHigh {
			t.Errorf("peer %d is Newburyport High itself", i)
		}
		if seen[p.Code] {
			t.Errorf("peer %s listed twice", p.Code)
		}
		seen[p.Code] = true
		if p.Type != domain.OrgSchool {
			t.Errorf("peer %s is a %s, want a school", p.Code, p.Type)
		}
		lo, hi := gradeRange(t, p.Features.GradeSpan)
		if hi < lo9 || lo > hi12 {
			t.Errorf("peer %s spans %s, which does not overlap 09-12", p.Code, p.Features.GradeSpan)
		}
		if i > 0 && p.Distance < res.Peers[i-1].Distance {
			t.Errorf("peer %d distance %v is below peer %d's %v", i, p.Distance, i-1, res.Peers[i-1].Distance)
		}
		if ratio := *p.Features.Enrollment / self; ratio < 0.5 || ratio > 2 {
			t.Errorf("peer %s enrolls %v, not within a factor of 2 of %v", p.Code, *p.Features.Enrollment, self)
		}
		if gap := math.Abs(*p.Features.IncomePct - *res.Features.IncomePct); gap > 10 {
			t.Errorf("peer %s income share %v is %v points from %v", p.Code, *p.Features.IncomePct, gap, *res.Features.IncomePct)
		}
	}
}

// The distance must be the documented formula over the reported
// differences, so the weights in the response are the ones used.
func TestSimilarDistanceFormula(t *testing.T) {
	ds := bundled(t)
	res, err := ds.Similar(newburyportHigh, 2017, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Peers {
		sum, weights := 0.0, 0.0
		for _, f := range res.Weights {
			d, ok := p.Differences[f.Key]
			if !ok {
				t.Errorf("peer %s has no difference for %s", p.Code, f.Key)
				continue
			}
			sum += f.Weight * d * d
			weights += f.Weight
		}
		if want := math.Sqrt(sum / weights); math.Abs(want-p.Distance) > 1e-3 {
			t.Errorf("peer %s distance %v, formula gives %v", p.Code, p.Distance, want)
		}
	}
}

// The enrollment file runs to 2025-26 but the population shares stop at
// 2024-25, so similarity in 2026 uses grade span and size only.
func TestSimilarMissingFeatures(t *testing.T) {
	ds := bundled(t)
	res, err := ds.Similar(newburyportHigh, 2026, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"grade_span", "enrollment"}; !slices.Equal(res.FeaturesUsed, want) {
		t.Errorf("features used = %v, want %v", res.FeaturesUsed, want)
	}
	if want := []string{"income_pct", "el_pct", "swd_pct"}; !slices.Equal(res.FeaturesMissing, want) {
		t.Errorf("features missing = %v, want %v", res.FeaturesMissing, want)
	}
	for _, p := range res.Peers {
		if _, ok := p.Differences["el_pct"]; ok {
			t.Errorf("peer %s has an el_pct difference though the org has no value", p.Code)
		}
	}
	if len(res.Peers) != 10 {
		t.Errorf("got %d peers, want 10", len(res.Peers))
	}
}

func TestSimilarDistrictSpanGroup(t *testing.T) {
	ds := bundled(t)
	res, err := ds.Similar(newburyportDistrict, 2017, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Peers {
		if p.Type != domain.OrgDistrict {
			t.Errorf("peer %s is a %s, want a district", p.Code, p.Type)
		}
		lo, hi := gradeRange(t, p.Features.GradeSpan)
		if lo > slices.Index(comparisons.GradeLabels, "05") || hi < slices.Index(comparisons.GradeLabels, "09") {
			t.Errorf("peer %s spans %s, not elementary through high school like Newburyport (%s)",
				p.Code, p.Features.GradeSpan, res.Features.GradeSpan)
		}
	}
}

func TestSimilarErrors(t *testing.T) {
	ds := bundled(t)
	cases := []struct {
		code        string
		year, n     int
		wantCode    string
		wantField   string
		messagePart string
	}{
		{"02049999", 2017, 10, domain.ENotFound, "code", "02049999"},
		{newburyportHigh, 2010, 10, domain.EInvalid, "year", "2016-17 to 2025-26"},
		{newburyportHigh, 2017, 0, domain.EInvalid, "n", "from 1 to 50"},
		{newburyportHigh, 2017, 51, domain.EInvalid, "n", "from 1 to 50"},
	}
	for _, c := range cases {
		_, err := ds.Similar(c.code, c.year, c.n)
		var de *domain.Error
		if !errors.As(err, &de) {
			t.Errorf("Similar(%s, %d, %d) error = %v, want a domain error", c.code, c.year, c.n, err)
			continue
		}
		if de.Code != c.wantCode || de.Field != c.wantField || !strings.Contains(de.Message, c.messagePart) {
			t.Errorf("Similar(%s, %d, %d) = %s %s %q, want %s %s containing %q",
				c.code, c.year, c.n, de.Code, de.Field, de.Message, c.wantCode, c.wantField, c.messagePart)
		}
	}
}

// csvEnrollments reads Newburyport High's Total per school year straight
// from the bundled file, independently of the importer.
func csvEnrollments(t *testing.T, code string) map[int]float64 {
	t.Helper()
	f, err := data.Bundled().Open(data.EnrollmentsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	yearCol, codeCol, totalCol := slices.Index(header, "Academic Year"), slices.Index(header, "School Code"), slices.Index(header, "Total")
	out := map[int]float64{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec[codeCol] != code {
			continue
		}
		first, _ := strconv.Atoi(rec[yearCol][:4])
		total, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(rec[totalCol]), ",", ""))
		if err != nil {
			t.Fatalf("Total %q: %v", rec[totalCol], err)
		}
		out[first+1] = float64(total)
	}
}

func TestCompareEnrollmentFromCSV(t *testing.T) {
	ds := bundled(t)
	want := csvEnrollments(t, newburyportHigh)
	if len(want) != 10 || want[2017] != 779 {
		t.Fatalf("the CSV gives %v for Newburyport High, want ten years with 779 in 2016-17", want)
	}
	g, err := ds.SimilarGroup(newburyportHigh, 2017, 10)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ds.Compare(newburyportHigh, []string{comparisons.KeyEnrollment}, nil, g)
	if err != nil {
		t.Fatal(err)
	}
	rows := c.Elements[0].Rows
	if len(rows) != len(want) {
		t.Fatalf("got %d enrollment rows, want %d", len(rows), len(want))
	}
	for _, row := range rows {
		if row.Org == nil || row.Org.Value == nil {
			t.Errorf("%s: no enrollment", row.YearLabel)
			continue
		}
		if *row.Org.Value != want[row.Year] {
			t.Errorf("%s: enrollment %v, CSV has %v", row.YearLabel, *row.Org.Value, want[row.Year])
		}
		if row.Org.Aggregated {
			t.Errorf("%s: a school's enrollment is marked aggregated", row.YearLabel)
		}
	}
}

func TestCompareMedianOfPeers(t *testing.T) {
	ds := bundled(t)
	g, err := ds.ChosenGroup(newburyportHigh, []string{"01100505", "07400505", "04890505", "00010505"}, "peers")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ds.Compare(newburyportHigh, []string{comparisons.KeyAttendanceRate, comparisons.KeyGradeSpan}, []int{2019}, g)
	if err != nil {
		t.Fatal(err)
	}
	row := c.Elements[0].Rows[0]
	var values []float64
	for _, p := range g.Peers {
		f, ok := ds.Figure(p.Code, comparisons.KeyAttendanceRate, 2019)
		if ok {
			values = append(values, *f.Value)
		}
	}
	sort.Float64s(values)
	if len(values) != 4 || row.PeersWithData != 4 {
		t.Fatalf("%d peer values, row says %d; want 4", len(values), row.PeersWithData)
	}
	want := (values[1] + values[2]) / 2
	if row.Median == nil || math.Abs(*row.Median-want) > 0.01 {
		t.Errorf("median = %v, want %v from %v", row.Median, want, values)
	}
	span := c.Elements[1].Rows[0]
	if span.Median != nil || span.Org == nil || span.Org.Text != "09-12" {
		t.Errorf("grade span row = %+v, want text 09-12 and no median", span)
	}
}

func TestCompareErrors(t *testing.T) {
	ds := bundled(t)
	g := comparisons.Group{Method: comparisons.MethodChosen}
	cases := []struct {
		keys  []string
		years []int
		field string
	}{
		{nil, nil, "elements"},
		{[]string{"enrollment", "enrolment"}, nil, "elements/1"},
		{[]string{"enrollment", "enrollment"}, nil, "elements/1"},
		{[]string{"attendance_rate"}, []int{2018, 2017}, "years/1"},
	}
	for _, c := range cases {
		_, err := ds.Compare(newburyportHigh, c.keys, c.years, g)
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.EInvalid || de.Field != c.field {
			t.Errorf("Compare(%v, %v) error = %v, want invalid %s", c.keys, c.years, err, c.field)
		}
	}
	for i, peers := range [][]string{{"0204"}, {"02049999"}, {newburyportHigh}, {"01100505", "01100505"}, {"01100000"}} {
		_, err := ds.ChosenGroup(newburyportHigh, peers, "peers")
		var de *domain.Error
		want := "peers/" + strconv.Itoa(len(peers)-1)
		if !errors.As(err, &de) || de.Field != want {
			t.Errorf("case %d: ChosenGroup(%v) error = %v, want one naming %s", i, peers, err, want)
		}
	}
}

func TestDistrictAggregation(t *testing.T) {
	ds := bundled(t)
	schools := []string{"02040005", "02040030", "02040305", "02040505"}
	sum := 0.0
	for _, s := range schools {
		f, ok := ds.Figure(s, comparisons.KeyEnrollment, 2017)
		if !ok {
			t.Fatalf("no 2016-17 enrollment for %s", s)
		}
		sum += *f.Value
	}
	f, ok := ds.Figure(newburyportDistrict, comparisons.KeyEnrollment, 2017)
	if !ok || *f.Value != sum || !f.Aggregated || f.AggregatedFrom != "4 of 4 schools" {
		t.Errorf("district enrollment = %+v, want %v aggregated from 4 of 4 schools", f, sum)
	}
	// Only Newburyport High has a graduation rate, so the district's is its.
	grad, ok := ds.Figure(newburyportDistrict, comparisons.KeyGradRate4Year, 2017)
	high, _ := ds.Figure(newburyportHigh, comparisons.KeyGradRate4Year, 2017)
	if !ok || *grad.Value != *high.Value || grad.AggregatedFrom != "1 of 4 schools" {
		t.Errorf("district graduation rate = %+v, want the high school's %v from 1 of 4 schools", grad, *high.Value)
	}
	// DESE's district report gives 2024-25 selected populations directly.
	el, ok := ds.Figure(newburyportDistrict, comparisons.KeyELPct, 2025)
	if !ok || el.Aggregated || !strings.Contains(el.Source, "selectedpopulations_2025.csv") {
		t.Errorf("district EL share 2024-25 = %+v, want the district report's value, not aggregated", el)
	}
	if *el.Value != 2.9 {
		t.Errorf("district EL share 2024-25 = %v, want 2.9 as the district report gives", *el.Value)
	}
}

// The 2019-20 rows of the class size file carry the three population
// shares in rotated columns. Read as labelled, the statewide median EL
// share would jump to about 30%; corrected, it lies between its neighbours.
func TestClassSizeRotationCorrected(t *testing.T) {
	ds := bundled(t)
	medians := map[int]float64{}
	for _, y := range []int{2019, 2020, 2021} {
		var values []float64
		for _, code := range ds.Codes(domain.OrgSchool, y) {
			if f, ok := ds.Figure(code, comparisons.KeyELPct, y); ok {
				values = append(values, *f.Value)
			}
		}
		sort.Float64s(values)
		medians[y] = values[len(values)/2]
	}
	if medians[2020] < medians[2019]-1 || medians[2020] > medians[2021]+1 {
		t.Errorf("median school EL share: 2018-19 %v, 2019-20 %v, 2020-21 %v; want 2019-20 between its neighbours",
			medians[2019], medians[2020], medians[2021])
	}
}

func TestElementsCatalog(t *testing.T) {
	ds := bundled(t)
	elements := ds.Elements()
	keys := map[string]bool{}
	for _, e := range elements {
		if keys[e.Key] {
			t.Errorf("element %s listed twice", e.Key)
		}
		keys[e.Key] = true
		if e.Label == "" || e.Unit == "" || e.Source == "" || e.DistrictRule == "" {
			t.Errorf("element %s lacks a label, unit, source or district rule: %+v", e.Key, e)
		}
		if len(e.Years) == 0 {
			t.Errorf("element %s has no year with data", e.Key)
		}
	}
	// The income measure changed in 2021-22, so the two series never share
	// a year.
	econ, _ := ds.ElementYears(comparisons.KeyEconDisadvantagedPct)
	low, _ := ds.ElementYears(comparisons.KeyLowIncomePct)
	if econ[len(econ)-1] != 2021 || low[0] != 2022 {
		t.Errorf("economically disadvantaged covers %v and low income %v; want a break between 2020-21 and 2021-22", econ, low)
	}
	if mcas, _ := ds.ElementYears(comparisons.KeyMCAS38MathMEPct); slices.Contains(mcas, 2020) {
		t.Errorf("MCAS covers %v, but no MCAS was given in spring 2020", mcas)
	}
}

func TestElementFormat(t *testing.T) {
	ds := bundled(t)
	enrollment, _ := ds.Element(comparisons.KeyEnrollment)
	attendance, _ := ds.Element(comparisons.KeyAttendanceRate)
	cases := []struct {
		got, want string
	}{
		{enrollment.Format(2295), "2,295"},
		{enrollment.FormatMedian(2460.5), "2,460.5"},
		{enrollment.FormatMedian(2460), "2,460"},
		{attendance.Format(95.2), "95.2%"},
		{attendance.FormatMedian(95.25), "95.25%"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("formatted %q, want %q", c.got, c.want)
		}
	}
}
