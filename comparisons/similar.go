package comparisons

import (
	"fmt"
	"math"
	"sort"

	"github.com/planledger/planledger/domain"
)

// WeightsVersion names the feature weights and scales in SimilarityFeatures.
// A plan's analysis records it with the peers similarity chose, so change it
// whenever a weight, a scale or the candidate rules change.
const WeightsVersion = "v1"

// DefaultPeerCount is the size of a similar-org group when the caller does
// not choose one. DESE's District Analysis and Review Tool lists ten
// comparable districts.
const DefaultPeerCount = 10

// MaxPeerCount bounds a similar-org group.
const MaxPeerCount = 50

// Feature keys of similarity.
const (
	FeatureGradeSpan  = "grade_span"
	FeatureEnrollment = "enrollment"
	FeatureIncome     = "income_pct"
	FeatureEL         = "el_pct"
	FeatureSWD        = "swd_pct"
)

// SimilarityFeature is one term of the similarity distance: how a
// difference between two orgs is scaled to a unitless number, and its
// weight.
type SimilarityFeature struct {
	Key         string  `json:"key"`
	Weight      float64 `json:"weight"`
	Description string  `json:"description"`
}

// SimilarityFeatures are the weights of WeightsVersion, the one place they
// are set. The distance between two orgs is
//
//	sqrt( Σ weight × difference² / Σ weight )
//
// over the features the org being compared has. Each difference is scaled
// so that 1 is a large gap: a grade span sharing no grade, an enrollment
// twice as large, or 10 percentage points.
// NOTE: these are planledger's choices, an approximation of DESE's tool,
// whose exact variables and weights were not available.
var SimilarityFeatures = []SimilarityFeature{
	{Key: FeatureGradeSpan, Weight: 2,
		Description: "1 minus the grades both serve over the grades either serves; weighted double because DESE " +
			"compares orgs within the same grade-span group first"},
	{Key: FeatureEnrollment, Weight: 1,
		Description: "absolute natural log of the enrollment ratio over ln 2, so twice the size is 1"},
	{Key: FeatureIncome, Weight: 1,
		Description: "difference in percentage points over 10; the year's income measure (economically " +
			"disadvantaged through 2020-21, low income from 2021-22)"},
	{Key: FeatureEL, Weight: 1, Description: "difference in percentage points of English learners over 10"},
	{Key: FeatureSWD, Weight: 1, Description: "difference in percentage points of students with disabilities over 10"},
}

// Features are the values similarity compares, for one org and year.
// Absent numbers are missing from the data.
type Features struct {
	GradeSpan     string   `json:"grade_span"`
	Enrollment    *float64 `json:"enrollment,omitempty"`
	IncomeMeasure string   `json:"income_measure"` // the element key of the year's income measure
	IncomePct     *float64 `json:"income_pct,omitempty"`
	ELPct         *float64 `json:"el_pct,omitempty"`
	SWDPct        *float64 `json:"swd_pct,omitempty"`
}

// Peer is one similar org with its distance and the scaled difference per
// feature that the distance combines.
type Peer struct {
	Org
	Distance    float64            `json:"distance"`
	Features    Features           `json:"features"`
	Differences map[string]float64 `json:"differences"`
}

// SimilarResult is the group of orgs most similar to one org in one year.
type SimilarResult struct {
	Org             Org                 `json:"org"`
	Year            int                 `json:"year"`
	YearLabel       string              `json:"year_label"`
	WeightsVersion  string              `json:"weights_version"`
	Weights         []SimilarityFeature `json:"weights"`
	Features        Features            `json:"features"`
	FeaturesUsed    []string            `json:"features_used"`
	FeaturesMissing []string            `json:"features_missing"`
	// Candidates counts the orgs of the same type with compatible grades in
	// the year; SkippedMissing those of them left out because they lack a
	// feature the org has, and SkippedByFeature which feature each lacked.
	Candidates       int            `json:"candidates"`
	SkippedMissing   int            `json:"skipped_missing"`
	SkippedByFeature map[string]int `json:"skipped_by_feature"`
	Peers            []Peer         `json:"peers"`
}

// vector is an org's features as numbers; has marks those present.
type vector struct {
	grades Grades
	values [5]float64 // indexed like SimilarityFeatures; grade span unused
	has    [5]bool
}

// vectorOf returns an org's features in a year, false when the org has no
// students or no grades that year.
func (d *Dataset) vectorOf(code string, year int) (vector, Features, bool) {
	rec, ok := d.orgs[code]
	if !ok {
		return vector{}, Features{}, false
	}
	yr, ok := rec.years[year]
	if !ok || yr.grades == 0 {
		return vector{}, Features{}, false
	}
	v := vector{grades: yr.grades}
	f := Features{GradeSpan: yr.grades.Span(), IncomeMeasure: incomeKey(year)}
	v.has[0] = true
	keys := []string{"", KeyEnrollment, incomeKey(year), KeyELPct, KeySWDPct}
	targets := []**float64{nil, &f.Enrollment, &f.IncomePct, &f.ELPct, &f.SWDPct}
	for i := 1; i < len(keys); i++ {
		x, ok := d.number(code, d.index[keys[i]], year)
		if !ok || (i == 1 && x <= 0) {
			continue
		}
		v.values[i], v.has[i] = x, true
		value := x
		*targets[i] = &value
	}
	if !v.has[1] {
		return vector{}, Features{}, false
	}
	return v, f, true
}

// differences returns the scaled difference per feature the target has.
func (a vector) differences(b vector) [5]float64 {
	var d [5]float64
	d[0] = 1 - a.grades.jaccard(b.grades)
	d[1] = math.Abs(math.Log(a.values[1]/b.values[1])) / math.Ln2
	for i := 2; i < 5; i++ {
		d[i] = math.Abs(a.values[i]-b.values[i]) / 10
	}
	return d
}

// spanGroup puts a district in DESE's broad grade-span groups: districts
// serving elementary and high school grades, elementary-only districts, and
// secondary districts such as regional high schools.
// NOTE: DESE also groups vocational-technical and agricultural districts
// apart; the data here has no flag for them, so they fall in "secondary".
func spanGroup(g Grades) string {
	lowest := -1
	highest := -1
	for i := range GradeLabels {
		if g&GradeBit(i) != 0 {
			if lowest < 0 {
				lowest = i
			}
			highest = i
		}
	}
	const grade5, grade9 = 6, 10 // indexes in GradeLabels
	switch {
	case highest < grade9:
		return "elementary"
	case lowest <= grade5:
		return "pk-12"
	default:
		return "secondary"
	}
}

// compatible reports whether a candidate may be compared with the org:
// schools must share a grade, districts must be in the same span group.
func compatible(t domain.OrgType, a, b Grades) bool {
	if t == domain.OrgDistrict {
		return spanGroup(a) == spanGroup(b)
	}
	return a.Overlaps(b)
}

// Similar returns the n orgs most similar to code in year, nearest first,
// with ties broken by code. Candidates are orgs of the same type with
// compatible grades, other than the org itself. A feature the org lacks is
// left out of every distance. A candidate that lacks a feature the org has
// is skipped and counted.
func (d *Dataset) Similar(code string, year, n int) (SimilarResult, error) {
	rec, ok := d.orgs[code]
	if !ok {
		return SimilarResult{}, domain.Errorf(domain.ENotFound, "code",
			"no district or school with org code %s is in the comparison data", code)
	}
	if n < 1 || n > MaxPeerCount {
		return SimilarResult{}, domain.Errorf(domain.EInvalid, "n", "n must be from 1 to %d, not %d", MaxPeerCount, n)
	}
	target, features, ok := d.vectorOf(code, year)
	if !ok {
		return SimilarResult{}, domain.Errorf(domain.EInvalid, "year",
			"%s has no enrollment in %s; it has data for %s", rec.org.Name, domain.SchoolYearLabel(year), yearRange(d.Years(code)))
	}

	res := SimilarResult{Org: rec.org, Year: year, YearLabel: domain.SchoolYearLabel(year), WeightsVersion: WeightsVersion,
		Weights: SimilarityFeatures, Features: features, FeaturesUsed: []string{}, FeaturesMissing: []string{},
		SkippedByFeature: map[string]int{}, Peers: []Peer{}}
	weightSum := 0.0
	for i, f := range SimilarityFeatures {
		if target.has[i] {
			res.FeaturesUsed = append(res.FeaturesUsed, f.Key)
			weightSum += f.Weight
		} else {
			res.FeaturesMissing = append(res.FeaturesMissing, f.Key)
		}
	}

	var peers []Peer
	for _, other := range d.codes {
		orec := d.orgs[other]
		if other == code || orec.org.Type != rec.org.Type {
			continue
		}
		cand, cf, ok := d.vectorOf(other, year)
		if !ok || !compatible(rec.org.Type, target.grades, cand.grades) {
			continue
		}
		res.Candidates++
		missing := false
		for i, f := range SimilarityFeatures {
			if target.has[i] && !cand.has[i] {
				res.SkippedByFeature[f.Key]++
				missing = true
			}
		}
		if missing {
			res.SkippedMissing++
			continue
		}
		diff := target.differences(cand)
		sum := 0.0
		parts := map[string]float64{}
		for i, f := range SimilarityFeatures {
			if !target.has[i] {
				continue
			}
			sum += f.Weight * diff[i] * diff[i]
			parts[f.Key] = round(diff[i], 4)
		}
		peers = append(peers, Peer{Org: orec.org, Distance: math.Sqrt(sum / weightSum), Features: cf, Differences: parts})
	}
	sort.Slice(peers, func(i, j int) bool {
		if peers[i].Distance != peers[j].Distance {
			return peers[i].Distance < peers[j].Distance
		}
		return peers[i].Code < peers[j].Code
	})
	if len(peers) > n {
		peers = peers[:n]
	}
	for i := range peers {
		peers[i].Distance = round(peers[i].Distance, 4)
	}
	res.Peers = append(res.Peers, peers...)
	return res, nil
}

// yearRange names a list of years for a message: "2016-17 to 2025-26".
func yearRange(years []int) string {
	switch len(years) {
	case 0:
		return "no year"
	case 1:
		return domain.SchoolYearLabel(years[0])
	}
	return fmt.Sprintf("%s to %s", domain.SchoolYearLabel(years[0]), domain.SchoolYearLabel(years[len(years)-1]))
}
