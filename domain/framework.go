package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/planledger/planledger/data"
)

// Framework is one version of the district standards of 603 CMR 2.03(4)(a),
// their indicators and the conditions for school effectiveness of
// 2.03(4)(b). Versions are reference data loaded from the embedded
// data/framework files, so a newly verified title needs no code change.
// The keys of standards, indicators and conditions stay the same across
// versions, while names may differ.
type Framework struct {
	Version string `json:"version"` // e.g. "dsi-2017"
	Title   string `json:"title"`
	// EffectiveFrom is the first day the version is in force (YYYY-MM-DD,
	// Massachusetts dates), and EffectiveUntil the first day it no longer
	// is, empty while no later version replaces it.
	EffectiveFrom  string `json:"effective_from"`
	EffectiveUntil string `json:"effective_until,omitempty"`
	EffectiveNote  string `json:"effective_note"` // the basis of the dates
	SourceURL      string `json:"source_url"`
	// IndicatorCount is the Department's count of indicators in this
	// version, including those whose titles are not listed here.
	IndicatorCount          int                 `json:"indicator_count"`
	IndicatorCountSourceURL string              `json:"indicator_count_source_url"`
	Standards               []FrameworkStandard `json:"standards"`
	Conditions              []Condition         `json:"conditions"`
}

// FrameworkStandard is a district standard as one framework version names
// it. Verified is false when a source at hand confirms the standard but not
// this version's wording of its name, and Note then names whose wording is shown.
type FrameworkStandard struct {
	Key       string `json:"key"` // one of DistrictStandards' keys
	Number    int    `json:"number"`
	Name      string `json:"name"`
	SourceURL string `json:"source_url"`
	Verified  bool   `json:"verified"`
	Note      string `json:"note,omitempty"`
	// IndicatorsAvailable is false when this version's indicator titles for
	// the standard were not at hand. Indicators is then empty, because
	// titles are never made up.
	IndicatorsAvailable bool        `json:"indicators_available"`
	IndicatorsNote      string      `json:"indicators_note"`
	Indicators          []Indicator `json:"indicators"`
}

// Indicator is one indicator of a district standard. Its key is the
// standard's key, a dot and a name, e.g.
// "leadership_governance.improvement_planning".
type Indicator struct {
	Key       string `json:"key"`
	Number    int    `json:"number"`
	Title     string `json:"title"`
	SourceURL string `json:"source_url"`
	Verified  bool   `json:"verified"`
	Note      string `json:"note,omitempty"`
}

// Condition is one of the eleven conditions for school effectiveness.
// Descriptor quotes 603 CMR 2.03(4)(b) as last updated October 13, 2017.
// Verified has the meaning it has on FrameworkStandard, for the title.
type Condition struct {
	Key        string `json:"key"`
	Number     int    `json:"number"`
	Title      string `json:"title"`
	Descriptor string `json:"descriptor"`
	SourceURL  string `json:"source_url"`
	Verified   bool   `json:"verified"`
	Note       string `json:"note,omitempty"`
}

// frameworks holds every version ordered by EffectiveFrom. It is built
// once at start-up and never changed, so readers need no lock.
var frameworks = mustLoadFrameworks(data.FrameworkVersions(), data.FrameworkVersionsGlob)

func mustLoadFrameworks(fsys fs.FS, glob string) []*Framework {
	out, err := LoadFrameworks(fsys, glob)
	if err != nil {
		panic(err)
	}
	return out
}

// LoadFrameworks reads every framework version file matching glob and
// checks each one: the six standards in DistrictStandards' order, indicator
// keys under their standard, eleven conditions numbered 1 to 11, and
// effective dates that follow one another without gap or overlap.
func LoadFrameworks(fsys fs.FS, glob string) ([]*Framework, error) {
	names, err := fs.Glob(fsys, glob)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("load framework versions: no file matches %s", glob)
	}
	var out []*Framework
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var f Framework
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("decode %s: %w", name, err)
		}
		if err := checkFramework(&f); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, &f)
	}
	slices.SortFunc(out, func(a, b *Framework) int { return strings.Compare(a.EffectiveFrom, b.EffectiveFrom) })
	for i := 1; i < len(out); i++ {
		if out[i-1].EffectiveUntil != out[i].EffectiveFrom {
			return nil, fmt.Errorf("framework %s ends on %q but the next version, %s, starts on %s; versions must follow one another",
				out[i-1].Version, out[i-1].EffectiveUntil, out[i].Version, out[i].EffectiveFrom)
		}
	}
	if last := out[len(out)-1]; last.EffectiveUntil != "" {
		return nil, fmt.Errorf("framework %s, the latest version, ends on %s; leave effective_until empty", last.Version, last.EffectiveUntil)
	}
	return out, nil
}

func checkFramework(f *Framework) error {
	if f.Version == "" || strings.ContainsAny(f.Version, "./ *>") {
		return fmt.Errorf("version %q must be a token such as dsi-2017", f.Version)
	}
	if _, err := time.Parse(time.DateOnly, f.EffectiveFrom); err != nil {
		return fmt.Errorf("effective_from %q is not a date YYYY-MM-DD", f.EffectiveFrom)
	}
	if f.EffectiveUntil != "" {
		if _, err := time.Parse(time.DateOnly, f.EffectiveUntil); err != nil || f.EffectiveUntil <= f.EffectiveFrom {
			return fmt.Errorf("effective_until %q is not a date YYYY-MM-DD after effective_from", f.EffectiveUntil)
		}
	}
	if len(f.Standards) != len(DistrictStandards) {
		return fmt.Errorf("lists %d standards, want the %d of 603 CMR 2.03(4)(a)", len(f.Standards), len(DistrictStandards))
	}
	indicators := 0
	for i, s := range f.Standards {
		if s.Key != DistrictStandards[i].Key || s.Number != i+1 || s.Name == "" {
			return fmt.Errorf("standard %d is %q number %d, want %q number %d with a name", i, s.Key, s.Number, DistrictStandards[i].Key, i+1)
		}
		if !s.IndicatorsAvailable && len(s.Indicators) > 0 {
			return fmt.Errorf("standard %s lists indicators but has indicators_available false", s.Key)
		}
		for j, ind := range s.Indicators {
			if !strings.HasPrefix(ind.Key, s.Key+".") || ind.Number != j+1 || ind.Title == "" {
				return fmt.Errorf("indicator %d of %s is %q number %d; want a key starting %q, number %d and a title",
					j, s.Key, ind.Key, ind.Number, s.Key+".", j+1)
			}
			if !ind.Verified {
				return fmt.Errorf("indicator %s is not verified; leave unverified indicator titles out", ind.Key)
			}
		}
		indicators += len(s.Indicators)
	}
	if indicators > f.IndicatorCount {
		return fmt.Errorf("lists %d indicators, more than its indicator_count %d", indicators, f.IndicatorCount)
	}
	if len(f.Conditions) != 11 {
		return fmt.Errorf("lists %d conditions, want the 11 of 603 CMR 2.03(4)(b)", len(f.Conditions))
	}
	seen := map[string]bool{}
	for i, c := range f.Conditions {
		if c.Key == "" || seen[c.Key] || c.Number != i+1 || c.Title == "" {
			return fmt.Errorf("condition %d is %q number %d; want a unique key, number %d and a title", i, c.Key, c.Number, i+1)
		}
		seen[c.Key] = true
	}
	return nil
}

// Frameworks returns every framework version, oldest first. Callers must
// not modify them.
func Frameworks() []*Framework {
	return slices.Clone(frameworks)
}

// FrameworkVersion returns the framework version with the given id.
func FrameworkVersion(version string) (*Framework, bool) {
	for _, f := range frameworks {
		if f.Version == version {
			return f, true
		}
	}
	return nil, false
}

// FrameworkOn returns the version in force on a Massachusetts date
// (YYYY-MM-DD).
func FrameworkOn(date string) (*Framework, error) {
	for _, f := range frameworks {
		if date >= f.EffectiveFrom && (f.EffectiveUntil == "" || date < f.EffectiveUntil) {
			return f, nil
		}
	}
	return nil, Errorf(EInvalid, "", "no framework version is in force on %s: the first, %s, starts on %s; list them at GET /v1/framework",
		date, frameworks[0].Version, frameworks[0].EffectiveFrom)
}

// FrameworkAt returns the version in force at an instant, judged by its
// date in Massachusetts.
func FrameworkAt(t time.Time) (*Framework, error) {
	return FrameworkOn(t.In(massachusetts).Format(time.DateOnly))
}

// FrameworkForYear returns the version in force on July 1 before a school
// year (named by its spring, 2017 for 2016-17), the day a plan for that
// year conventionally takes effect.
func FrameworkForYear(year int) (*Framework, error) {
	return FrameworkOn(fmt.Sprintf("%04d-07-01", year-1))
}

// FrameworkForPlan returns the version a plan's citations are checked
// against: the one in force when its first school year starts. A version
// that starts during a DIP's later years does not apply to it.
func FrameworkForPlan(p *Plan) (*Framework, error) {
	return FrameworkForYear(p.FirstYear)
}

// Standard returns a standard of this version by key.
func (f *Framework) Standard(key string) (*FrameworkStandard, bool) {
	for i := range f.Standards {
		if f.Standards[i].Key == key {
			return &f.Standards[i], true
		}
	}
	return nil, false
}

// Indicator returns an indicator of this version by key.
func (f *Framework) Indicator(key string) (*Indicator, bool) {
	for i := range f.Standards {
		for j := range f.Standards[i].Indicators {
			if f.Standards[i].Indicators[j].Key == key {
				return &f.Standards[i].Indicators[j], true
			}
		}
	}
	return nil, false
}

// Condition returns a condition of this version by key.
func (f *Framework) Condition(key string) (*Condition, bool) {
	for i := range f.Conditions {
		if f.Conditions[i].Key == key {
			return &f.Conditions[i], true
		}
	}
	return nil, false
}

// IndicatorStandard returns the standard key an indicator key belongs to:
// the part before the first dot.
func IndicatorStandard(key string) string {
	standard, _, _ := strings.Cut(key, ".")
	return standard
}
