package comparisons

import (
	"errors"
	"fmt"
	"sort"

	"github.com/planledger/planledger/domain"
)

// ErrUnknownOrgYear is returned by Builder.Set for a school or district
// with no enrollment row in that year, whose value has no org to belong to.
var ErrUnknownOrgYear = errors.New("no enrollment row for this org and year")

// Observation is one value a source file gives for a school or district.
type Observation struct {
	Code   string
	Year   int
	Key    string
	Value  float64
	Source string
	// Weight is the school value's weight in its district's aggregate; 0
	// leaves the value out of aggregates. A district value is never
	// aggregated, so its Weight is ignored.
	Weight float64
	// Numerator is the school's part of the aggregate's numerator, when it
	// is not Value × Weight, e.g. the students meeting or exceeding
	// expectations times 100 where Value is DESE's rounded percentage.
	Numerator *float64
}

// part is a school value's share of its district aggregate.
type part struct {
	numerator, weight float64
}

// Builder collects schools and values and builds a Dataset. It is not safe
// for concurrent use.
type Builder struct {
	ds      *Dataset
	sources map[string]uint16
	parts   map[*yearRecord][]part
	// schoolsOf lists, per district and year, the schools that enroll
	// students, which an aggregated value's coverage counts.
	schoolsOf map[string]map[int][]string
	latest    map[string]int // org code -> latest year its name was taken from
	built     bool
}

// NewBuilder returns a Builder for the element catalog.
func NewBuilder() *Builder {
	ds := &Dataset{elements: make([]Element, len(catalog)), index: map[string]int{}, orgs: map[string]*orgRecord{}}
	copy(ds.elements, catalog)
	for i, e := range ds.elements {
		ds.index[e.Key] = i
	}
	return &Builder{ds: ds, sources: map[string]uint16{}, parts: map[*yearRecord][]part{},
		schoolsOf: map[string]map[int][]string{}, latest: map[string]int{}}
}

func (b *Builder) sourceID(s string) uint16 {
	if id, ok := b.sources[s]; ok {
		return id
	}
	id := uint16(len(b.ds.sources))
	b.ds.sources = append(b.ds.sources, s)
	b.sources[s] = id
	return id
}

// record returns the org's year, creating both when create is true.
func (b *Builder) record(org Org, year int, create bool) *yearRecord {
	rec := b.ds.orgs[org.Code]
	if rec == nil {
		if !create {
			return nil
		}
		rec = &orgRecord{org: org, years: map[int]*yearRecord{}}
		b.ds.orgs[org.Code] = rec
	}
	if create && year >= b.latest[org.Code] {
		// An org is named by its latest year, so a renamed school shows its
		// current name.
		rec.org = org
		b.latest[org.Code] = year
	}
	yr := rec.years[year]
	if yr == nil && create {
		yr = &yearRecord{cells: make([]cell, len(b.ds.elements))}
		rec.years[year] = yr
		b.parts[yr] = make([]part, len(b.ds.elements))
	}
	return yr
}

// AddSchool registers a school's enrollment row for a year, and with it the
// school's district for that year. A repeated school and year is an error.
func (b *Builder) AddSchool(code, name, districtName string, year int, grades Grades, enrollment int, source string) error {
	if b.built {
		return errors.New("add school: the dataset is already built")
	}
	if err := domain.ValidateOrgCode("code", code); err != nil {
		return err
	}
	district := domain.DistrictCodeOf(code)
	if code == district {
		return fmt.Errorf("add school %s: the code is a district code; district values come from their schools", code)
	}
	if rec := b.ds.orgs[code]; rec != nil && rec.years[year] != nil {
		return fmt.Errorf("add school %s: school year %s is already loaded", code, domain.SchoolYearLabel(year))
	}
	yr := b.record(Org{Code: code, Name: name, Type: domain.OrgSchool, DistrictCode: district}, year, true)
	yr.grades = grades
	i := b.ds.index[KeyEnrollment]
	yr.cells[i] = cell{value: float64(enrollment), set: true, source: b.sourceID(source)}
	b.parts[yr][i] = part{numerator: float64(enrollment), weight: 1}

	dyr := b.record(Org{Code: district, Name: districtName, Type: domain.OrgDistrict, DistrictCode: district}, year, true)
	dyr.grades |= grades
	if enrollment > 0 {
		if b.schoolsOf[district] == nil {
			b.schoolsOf[district] = map[int][]string{}
		}
		b.schoolsOf[district][year] = append(b.schoolsOf[district][year], code)
	}
	return nil
}

// Enrollment returns a school's or district's enrollment in a year as added
// so far; a district's is the sum of the schools added.
func (b *Builder) Enrollment(code string, year int) (int, bool) {
	yr := b.record(Org{Code: code}, year, false)
	if yr == nil {
		return 0, false
	}
	if domain.DistrictCodeOf(code) == code {
		sum := 0
		for _, s := range b.schoolsOf[code][year] {
			sum += int(b.ds.orgs[s].years[year].cells[b.ds.index[KeyEnrollment]].value)
		}
		return sum, true
	}
	return int(yr.cells[b.ds.index[KeyEnrollment]].value), true
}

// Set stores a value. The org must have an enrollment row for the year
// (ErrUnknownOrgYear otherwise). Setting a value twice is an error, because
// two rows for one org, year and element mean a damaged file.
func (b *Builder) Set(o Observation) error {
	if b.built {
		return errors.New("set value: the dataset is already built")
	}
	i, ok := b.ds.index[o.Key]
	if !ok || b.ds.elements[i].Text || o.Key == KeyEnrollment {
		return fmt.Errorf("set value: %q is not a numeric element that a source file sets", o.Key)
	}
	yr := b.record(Org{Code: o.Code}, o.Year, false)
	if yr == nil {
		return fmt.Errorf("set %s for %s in %s: %w", o.Key, o.Code, domain.SchoolYearLabel(o.Year), ErrUnknownOrgYear)
	}
	if yr.cells[i].set {
		return fmt.Errorf("set %s for %s in %s: the value is already set", o.Key, o.Code, domain.SchoolYearLabel(o.Year))
	}
	yr.cells[i] = cell{value: o.Value, set: true, source: b.sourceID(o.Source)}
	if o.Weight > 0 && domain.DistrictCodeOf(o.Code) != o.Code {
		num := o.Value * o.Weight
		if o.Numerator != nil {
			num = *o.Numerator
		}
		b.parts[yr][i] = part{numerator: num, weight: o.Weight}
	}
	return nil
}

// Build aggregates district values where no district value was set, works
// out each element's years, and returns the dataset. The builder cannot be
// used afterwards.
func (b *Builder) Build() *Dataset {
	b.built = true
	ds := b.ds
	for code, rec := range ds.orgs {
		ds.codes = append(ds.codes, code)
		if rec.org.Type != domain.OrgDistrict {
			continue
		}
		for year, yr := range rec.years {
			b.aggregate(rec, year, yr)
		}
	}
	sort.Strings(ds.codes)

	years := make([]map[int]bool, len(ds.elements))
	for i := range years {
		years[i] = map[int]bool{}
	}
	for _, rec := range ds.orgs {
		for year, yr := range rec.years {
			for i, c := range yr.cells {
				if c.set || (ds.elements[i].Text && yr.grades != 0) {
					years[i][year] = true
				}
			}
		}
	}
	for i := range ds.elements {
		ds.elements[i].Years = sortedYears(years[i])
	}
	b.parts = nil
	return ds
}

// aggregate fills a district year's unset cells from its schools.
func (b *Builder) aggregate(rec *orgRecord, year int, yr *yearRecord) {
	schools := b.schoolsOf[rec.org.Code][year]
	for i, e := range b.ds.elements {
		if e.Text || yr.cells[i].set {
			continue
		}
		var num, weight float64
		from := 0
		var src uint16
		for _, code := range schools {
			syr := b.ds.orgs[code].years[year]
			p := b.parts[syr][i]
			if p.weight <= 0 {
				continue
			}
			num += p.numerator
			weight += p.weight
			src = syr.cells[i].source
			from++
		}
		if from == 0 {
			continue
		}
		value := num
		if e.Key != KeyEnrollment {
			value = round(num/weight, e.Decimals)
		}
		yr.cells[i] = cell{value: value, set: true, aggregated: true, from: uint16(from), of: uint16(len(schools)), source: src}
	}
}

func sortedYears(set map[int]bool) []int {
	out := make([]int, 0, len(set))
	for y := range set {
		out = append(out, y)
	}
	sort.Ints(out)
	return out
}
