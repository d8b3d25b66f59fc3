package projections

import (
	"slices"

	"github.com/planledger/planledger/domain"
)

// Coverage shows which district standards, indicators and conditions for
// school effectiveness a district's DIP objectives and its schools' SIP
// goals cite, and which none cites. A goal counts where it cites an item
// itself. The standards it reaches through the DIP objectives it advances
// show under those objectives.
type Coverage struct {
	DistrictCode string `json:"district_code"`
	DistrictName string `json:"district_name"`
	AsOf         AsOf   `json:"as_of"`
	// Year, when set, limits the plans to those covering that school year.
	Year int `json:"year,omitempty"`
	// FrameworkVersion names the version whose names and indicators are
	// shown: the one in force for Year, or at the as-of instant.
	FrameworkVersion string              `json:"framework_version"`
	Plans            []CoveragePlan      `json:"plans"`
	Standards        []StandardCoverage  `json:"standards"`
	Conditions       []ConditionCoverage `json:"conditions"`
	// UnservedStandards and UnservedConditions list the keys that no
	// objective or goal cites.
	UnservedStandards  []string `json:"unserved_standards"`
	UnservedConditions []string `json:"unserved_conditions"`
}

// CoveragePlan is one plan the coverage counts, with the framework version
// its citations were checked against.
type CoveragePlan struct {
	PlanRef
	OrgCode          string `json:"org_code"`
	FrameworkVersion string `json:"framework_version,omitempty"`
}

// Citers are the objectives and goals that cite one item.
type Citers struct {
	Objectives []ObjectiveCite `json:"objectives"`
	Goals      []GoalCite      `json:"goals"`
}

func newCiters() Citers {
	return Citers{Objectives: []ObjectiveCite{}, Goals: []GoalCite{}}
}

func (c Citers) empty() bool {
	return len(c.Objectives) == 0 && len(c.Goals) == 0
}

// ObjectiveCite names a DIP objective.
type ObjectiveCite struct {
	PlanID      string `json:"plan_id"`
	ObjectiveID string `json:"objective_id"`
	Title       string `json:"title"`
}

// GoalCite names an SIP goal and its school.
type GoalCite struct {
	PlanID     string `json:"plan_id"`
	OrgCode    string `json:"org_code"`
	SchoolName string `json:"school_name"`
	Year       int    `json:"school_year"`
	GoalID     string `json:"goal_id"`
	Title      string `json:"title"`
}

// StandardCoverage is one standard, its citers and the coverage of the
// indicators the framework version lists under it.
type StandardCoverage struct {
	Key        string              `json:"key"`
	Name       string              `json:"name"`
	Indicators []IndicatorCoverage `json:"indicators"`
	Citers
}

// IndicatorCoverage is one indicator and its citers.
type IndicatorCoverage struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	Citers
}

// ConditionCoverage is one condition and its citers.
type ConditionCoverage struct {
	Key    string `json:"key"`
	Number int    `json:"number"`
	Title  string `json:"title"`
	Citers
}

// CoverageOf builds a district's coverage as of an instant. year 0 counts
// every plan that exists then.
func (p *Projector) CoverageOf(districtCode string, at AsOf, year int) (Coverage, error) {
	org, ok := p.Org(districtCode)
	if !ok {
		return Coverage{}, domain.Errorf(domain.ENotFound, "code", "no district has org code %s", districtCode)
	}
	if org.Type != domain.OrgDistrict {
		return Coverage{}, domain.Errorf(domain.EInvalid, "code", "%s is a school; coverage is per district, such as %s", districtCode, org.DistrictCode)
	}
	framework, err := coverageFramework(at, year)
	if err != nil {
		return Coverage{}, err
	}

	out := Coverage{DistrictCode: districtCode, DistrictName: org.Name, AsOf: at, Year: year,
		FrameworkVersion: framework.Version, Plans: []CoveragePlan{}, UnservedStandards: []string{}, UnservedConditions: []string{}}
	standards := map[string]*Citers{}
	conditions := map[string]*Citers{}
	for _, s := range framework.Standards {
		sc := StandardCoverage{Key: s.Key, Name: s.Name, Indicators: []IndicatorCoverage{}, Citers: newCiters()}
		for _, ind := range s.Indicators {
			sc.Indicators = append(sc.Indicators, IndicatorCoverage{Key: ind.Key, Title: ind.Title, Citers: newCiters()})
		}
		out.Standards = append(out.Standards, sc)
	}
	for _, c := range framework.Conditions {
		out.Conditions = append(out.Conditions, ConditionCoverage{Key: c.Key, Number: c.Number, Title: c.Title, Citers: newCiters()})
	}
	// Index after the slices stop growing, so the pointers stay valid.
	for i := range out.Standards {
		standards[out.Standards[i].Key] = &out.Standards[i].Citers
		for j := range out.Standards[i].Indicators {
			standards[out.Standards[i].Indicators[j].Key] = &out.Standards[i].Indicators[j].Citers
		}
	}
	for i := range out.Conditions {
		conditions[out.Conditions[i].Key] = &out.Conditions[i].Citers
	}

	for _, plan := range p.plansOfDistrict(districtCode, at) {
		if year != 0 && (year < plan.FirstYear || year > plan.LastYear) {
			continue
		}
		cp := CoveragePlan{PlanRef: PlanRef{ID: plan.ID, Kind: plan.Kind, Title: plan.Title, Period: plan.PeriodLabel()}, OrgCode: plan.OrgCode}
		if f, err := domain.FrameworkForPlan(&plan); err == nil {
			cp.FrameworkVersion = f.Version
		}
		out.Plans = append(out.Plans, cp)
		for _, o := range plan.Objectives {
			cite := ObjectiveCite{PlanID: plan.ID, ObjectiveID: o.ID, Title: o.Title}
			forEachCited(o.Citations(), standards, conditions, func(c *Citers) { c.Objectives = append(c.Objectives, cite) })
		}
		school, _ := p.Org(plan.OrgCode)
		for _, g := range plan.Goals {
			cite := GoalCite{PlanID: plan.ID, OrgCode: plan.OrgCode, SchoolName: school.Name, Year: plan.FirstYear, GoalID: g.ID, Title: g.Title}
			forEachCited(g.Citations(), standards, conditions, func(c *Citers) { c.Goals = append(c.Goals, cite) })
		}
	}

	for _, s := range out.Standards {
		if s.empty() {
			out.UnservedStandards = append(out.UnservedStandards, s.Key)
		}
	}
	for _, c := range out.Conditions {
		if c.empty() {
			out.UnservedConditions = append(out.UnservedConditions, c.Key)
		}
	}
	return out, nil
}

// forEachCited calls add for the citers of each cited key the shown version
// lists. An indicator of another version counts only for its standard.
func forEachCited(c domain.Citations, standards, conditions map[string]*Citers, add func(*Citers)) {
	for _, key := range slices.Concat(c.Standards, c.Indicators) {
		if citers, ok := standards[key]; ok {
			add(citers)
		}
	}
	for _, key := range c.Conditions {
		if citers, ok := conditions[key]; ok {
			add(citers)
		}
	}
}

func coverageFramework(at AsOf, year int) (*domain.Framework, error) {
	if year != 0 {
		f, err := domain.FrameworkForYear(year)
		if err != nil {
			return nil, prefixError(err, "year")
		}
		return f, nil
	}
	f, err := domain.FrameworkAt(at.Instant)
	if err != nil {
		return nil, prefixError(err, "as_of")
	}
	return f, nil
}

// prefixError sets the field of a *domain.Error that names none.
func prefixError(err error, field string) error {
	if e, ok := err.(*domain.Error); ok && e.Field == "" {
		return &domain.Error{Code: e.Code, Field: field, Message: e.Message}
	}
	return err
}
