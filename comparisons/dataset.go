// Package comparisons holds DESE data elements for every Massachusetts
// school and district by school year and compares an org with similar orgs
// or orgs a user picks, as DESE's District Analysis and Review Tool does.
//
// A Dataset is immutable once built and safe for concurrent use. Years are
// school years named by their spring, as DESE names them: 2017 is 2016-17.
package comparisons

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/planledger/planledger/domain"
)

// Org is a district or school as the dataset names it: by its latest year
// in the enrollment data.
type Org struct {
	Code         string         `json:"code"`
	Name         string         `json:"name"`
	Type         domain.OrgType `json:"type"`
	DistrictCode string         `json:"district_code"`
}

// Figure is one value of one element for one org and year.
type Figure struct {
	// Value is the number, absent for a text element.
	Value *float64 `json:"value,omitempty"`
	Text  string   `json:"text,omitempty"`
	// Aggregated marks a district value built from its schools' values
	// because the data has no district figure; AggregatedFrom says how many
	// schools had a value, e.g. "3 of 4 schools".
	Aggregated     bool   `json:"aggregated,omitempty"`
	AggregatedFrom string `json:"aggregated_from,omitempty"`
	Source         string `json:"source"`
}

// cell is a stored value. from and of count the schools behind an
// aggregated value; source indexes Dataset.sources.
type cell struct {
	value      float64
	set        bool
	aggregated bool
	from, of   uint16
	source     uint16
}

type yearRecord struct {
	grades Grades
	cells  []cell // indexed like Dataset.elements
}

type orgRecord struct {
	org   Org
	years map[int]*yearRecord
}

// Dataset is the in-memory table of element values by org and year.
type Dataset struct {
	elements []Element
	index    map[string]int
	orgs     map[string]*orgRecord
	codes    []string // sorted
	sources  []string
}

// Elements returns every element with the years it has data for, in
// catalog order. The slice is a copy.
func (d *Dataset) Elements() []Element {
	out := make([]Element, len(d.elements))
	for i, e := range d.elements {
		e.Years = slices.Clone(e.Years)
		out[i] = e
	}
	return out
}

// Element returns one element by key.
func (d *Dataset) Element(key string) (Element, bool) {
	i, ok := d.index[key]
	if !ok {
		return Element{}, false
	}
	e := d.elements[i]
	e.Years = slices.Clone(e.Years)
	return e, true
}

// Org returns a district or school by code.
func (d *Dataset) Org(code string) (Org, bool) {
	rec, ok := d.orgs[code]
	if !ok {
		return Org{}, false
	}
	return rec.org, true
}

// OrgCount returns the number of districts and schools.
func (d *Dataset) OrgCount() int { return len(d.codes) }

// Codes returns the codes of the orgs of a type with data in a year,
// sorted.
func (d *Dataset) Codes(t domain.OrgType, year int) []string {
	var out []string
	for _, code := range d.codes {
		rec := d.orgs[code]
		if _, ok := rec.years[year]; ok && rec.org.Type == t {
			out = append(out, code)
		}
	}
	return out
}

// Years returns the years an org has data for, ascending.
func (d *Dataset) Years(code string) []int {
	rec, ok := d.orgs[code]
	if !ok {
		return nil
	}
	years := make([]int, 0, len(rec.years))
	for y := range rec.years {
		years = append(years, y)
	}
	sort.Ints(years)
	return years
}

// Figure returns the value of an element for an org and year, false when
// there is none.
func (d *Dataset) Figure(code, key string, year int) (Figure, bool) {
	i, ok := d.index[key]
	if !ok {
		return Figure{}, false
	}
	rec, ok := d.orgs[code]
	if !ok {
		return Figure{}, false
	}
	yr, ok := rec.years[year]
	if !ok {
		return Figure{}, false
	}
	if d.elements[i].Text {
		// The grade span is the only text element.
		if yr.grades == 0 {
			return Figure{}, false
		}
		c := yr.cells[d.index[KeyEnrollment]]
		return Figure{Text: yr.grades.Span(), Aggregated: c.aggregated, AggregatedFrom: c.fromText(rec.org.Type),
			Source: d.sources[c.source]}, true
	}
	c := yr.cells[i]
	if !c.set {
		return Figure{}, false
	}
	v := c.value
	return Figure{Value: &v, Aggregated: c.aggregated, AggregatedFrom: c.fromText(rec.org.Type),
		Source: d.sources[c.source]}, true
}

// number returns an element's value as a plain number.
func (d *Dataset) number(code string, i, year int) (float64, bool) {
	rec, ok := d.orgs[code]
	if !ok {
		return 0, false
	}
	yr, ok := rec.years[year]
	if !ok || !yr.cells[i].set {
		return 0, false
	}
	return yr.cells[i].value, true
}

func (c cell) fromText(t domain.OrgType) string {
	if !c.aggregated || t != domain.OrgDistrict {
		return ""
	}
	noun := "schools"
	if c.of == 1 {
		noun = "school"
	}
	return fmt.Sprintf("%d of %d %s", c.from, c.of, noun)
}

// round rounds to the given number of decimals, halves away from zero.
func round(v float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(v*p) / p
}
