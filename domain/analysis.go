package domain

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// Event types of the data analyses a plan rests on.
const (
	TypeAnalysisRecorded = "plan.analysis_recorded"
	TypeAnalysisRevised  = "plan.analysis_revised"
	TypeAnalysisRemoved  = "plan.analysis_removed"
)

// Comparison methods of an analysis.
const (
	ComparisonSimilar = "similar" // the orgs most similar to the plan's org
	ComparisonChosen  = "chosen"  // orgs the planners picked
)

// Limits of an analysis, so one fits a printed page and an event.
const (
	MaxAnalysisElements = 12
	MaxAnalysisYears    = 10
	MaxAnalysisPeers    = 30
	// DefaultAnalysisPeers is the size of a similar group chosen for an
	// analysis that names no peers, the size of DESE's comparison lists.
	DefaultAnalysisPeers = 10
)

// Analysis is a data analysis a plan rests on: DESE data elements over
// school years for the plan's org and a comparison group, what they show,
// and what they call for. 603 CMR 2.03(3) gives districts DESE's tool for
// such comparisons with similar schools and districts or ones they choose.
type Analysis struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Elements are data element keys, as GET /v1/data-elements lists them.
	Elements   []string           `json:"elements"`
	Years      []int              `json:"years"` // school years by spring, ascending
	Comparison AnalysisComparison `json:"comparison"`
	Findings   string             `json:"findings"`
	// ActionsNeeded is what the findings call for in the plan.
	ActionsNeeded string `json:"actions_needed,omitempty"`
	// Illustrative marks findings and actions written for the bundled
	// sample data as interpretation, not taken from the district's plan.
	Illustrative bool `json:"illustrative,omitempty"`
}

// AnalysisComparison is the group an analysis compares the plan's org with.
// Peers are stored, so the printed figures do not change when similarity's
// weights do.
type AnalysisComparison struct {
	Method string   `json:"method"`
	Peers  []string `json:"peers"`
	// Year is the school year similarity was computed in, and
	// WeightsVersion the weights it used; both are empty for chosen peers.
	Year           int    `json:"year,omitempty"`
	WeightsVersion string `json:"weights_version,omitempty"`
}

// DataCatalog is the comparison data that analyses are checked against;
// comparisons.Dataset implements it.
type DataCatalog interface {
	// ElementYears returns the years an element has data for, ascending,
	// and false for an unknown key.
	ElementYears(key string) ([]int, bool)
	// OrgType returns an org's type, false when the data has no such org.
	OrgType(code string) (OrgType, bool)
	// HasFigure reports whether an org has a value of an element in a year.
	HasFigure(code, key string, year int) bool
	// SimilarPeers returns the codes of the n orgs most similar to code in
	// year and the weights version that chose them.
	SimilarPeers(code string, year, n int) (peers []string, weightsVersion string, err error)
	// KnownWeightsVersion reports whether similarity ever used a weights
	// version, so stored peers can name it.
	KnownWeightsVersion(version string) bool
}

// Event payloads of analyses.
type (
	AnalysisRecorded struct {
		Analysis Analysis `json:"analysis"`
	}
	AnalysisRevised struct {
		Analysis Analysis `json:"analysis"`
	}
	AnalysisRemoved struct {
		AnalysisID string `json:"analysis_id"`
	}
)

func init() {
	registerPlanEvent(TypeAnalysisRecorded, decodeInto(func(p *Plan, c AnalysisRecorded, _ Event) error {
		p.Analyses = append(p.Analyses, c.Analysis)
		return nil
	}))
	registerPlanEvent(TypeAnalysisRevised, decodeInto(func(p *Plan, c AnalysisRevised, _ Event) error {
		if i := p.AnalysisIndex(c.Analysis.ID); i >= 0 {
			p.Analyses[i] = c.Analysis
		}
		return nil
	}))
	registerPlanEvent(TypeAnalysisRemoved, decodeInto(func(p *Plan, c AnalysisRemoved, _ Event) error {
		if i := p.AnalysisIndex(c.AnalysisID); i >= 0 {
			p.Analyses = slices.Delete(p.Analyses, i, i+1)
		}
		return nil
	}))
}

// AnalysisIndex returns the position of an analysis, or -1.
func (p *Plan) AnalysisIndex(id string) int {
	return slices.IndexFunc(p.Analyses, func(a Analysis) bool { return a.ID == id })
}

// DecideRecordAnalysis adds a data analysis to a DIP or SIP. A similar
// comparison without peers gets the DefaultAnalysisPeers orgs most similar
// to the plan's org in Comparison.Year, by default the last cited year.
func DecideRecordAnalysis(p *Plan, a Analysis, data DataCatalog) (Draft, error) {
	if a.ID == "" {
		a.ID = uuid.NewString()
	}
	id, err := canonicalID("id", a.ID)
	if err != nil {
		return Draft{}, err
	}
	a.ID = id
	if p.AnalysisIndex(a.ID) >= 0 {
		return Draft{}, Errorf(EConflict, "id", "analysis %s already exists; revise it instead", a.ID)
	}
	if err := validateAnalysis(p, &a, data); err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeAnalysisRecorded, Payload: AnalysisRecorded{Analysis: a}}, nil
}

// DecideReviseAnalysis replaces an existing analysis as a whole.
func DecideReviseAnalysis(p *Plan, a Analysis, data DataCatalog) (Draft, error) {
	if id, err := canonicalID("id", a.ID); err == nil {
		a.ID = id
	}
	if p.AnalysisIndex(a.ID) < 0 {
		return Draft{}, Errorf(ENotFound, "id", "plan %s has no analysis %s", p.ID, a.ID)
	}
	if err := validateAnalysis(p, &a, data); err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeAnalysisRevised, Payload: AnalysisRevised{Analysis: a}}, nil
}

// DecideRemoveAnalysis drops an analysis from a plan.
func DecideRemoveAnalysis(p *Plan, id string) (Draft, error) {
	if canonical, err := canonicalID("id", id); err == nil {
		id = canonical
	}
	if p.AnalysisIndex(id) < 0 {
		return Draft{}, Errorf(ENotFound, "id", "plan %s has no analysis %s", p.ID, id)
	}
	return Draft{Type: TypeAnalysisRemoved, Payload: AnalysisRemoved{AnalysisID: id}}, nil
}

// validateAnalysis checks an analysis against the data and normalizes it:
// years sorted, text trimmed, a similar group filled in. It copies the
// slices it changes, because the caller's may be shared with a read model.
func validateAnalysis(p *Plan, a *Analysis, data DataCatalog) error {
	if data == nil {
		return Errorf(EUnavailable, "", "the comparison data is not loaded on this server, so analyses cannot be checked; report this to its operator")
	}
	a.Title = strings.TrimSpace(a.Title)
	a.Findings = strings.TrimSpace(a.Findings)
	a.ActionsNeeded = strings.TrimSpace(a.ActionsNeeded)
	if a.Title == "" {
		return Errorf(EInvalid, "title", "an analysis needs a title")
	}
	orgType, ok := data.OrgType(p.OrgCode)
	if !ok {
		return Errorf(EInvalid, "org_code", "the comparison data has no figures for the plan's org %s", p.OrgCode)
	}
	if err := checkAnalysisElements(a.Elements, data); err != nil {
		return err
	}
	years, err := checkAnalysisYears(p.OrgCode, a.Elements, a.Years, data)
	if err != nil {
		return err
	}
	a.Years = years
	if err := checkComparison(p.OrgCode, orgType, a, data); err != nil {
		return err
	}
	if a.Findings == "" {
		return Errorf(EInvalid, "findings", "an analysis needs findings: what the figures show")
	}
	return nil
}

func checkAnalysisElements(keys []string, data DataCatalog) error {
	if len(keys) == 0 {
		return Errorf(EInvalid, "elements", "cite at least one data element; list them at GET /v1/data-elements")
	}
	if len(keys) > MaxAnalysisElements {
		return Errorf(EInvalid, "elements", "%d elements cited; cite at most %d", len(keys), MaxAnalysisElements)
	}
	for i, k := range keys {
		field := fmt.Sprintf("elements/%d", i)
		if _, ok := data.ElementYears(k); !ok {
			return Errorf(EInvalid, field, "%q is not a data element; list them at GET /v1/data-elements", k)
		}
		if slices.Index(keys, k) != i {
			return Errorf(EInvalid, field, "element %s is cited twice", k)
		}
	}
	return nil
}

// checkAnalysisYears checks that every cited element has data in every
// cited year and that the plan's org has a value in each year, and returns
// the years sorted.
func checkAnalysisYears(orgCode string, keys []string, years []int, data DataCatalog) ([]int, error) {
	if len(years) == 0 {
		return nil, Errorf(EInvalid, "years", "cite at least one school year, by its spring: 2017 for 2016-17")
	}
	if len(years) > MaxAnalysisYears {
		return nil, Errorf(EInvalid, "years", "%d years cited; cite at most %d", len(years), MaxAnalysisYears)
	}
	for i, y := range years {
		field := fmt.Sprintf("years/%d", i)
		if slices.Index(years, y) != i {
			return nil, Errorf(EInvalid, field, "year %d is cited twice", y)
		}
		for _, k := range keys {
			covered, _ := data.ElementYears(k)
			if !slices.Contains(covered, y) {
				return nil, Errorf(EInvalid, field, "element %s has no data for %s; it covers %s",
					k, SchoolYearLabel(y), yearsLabel(covered))
			}
		}
		if !slices.ContainsFunc(keys, func(k string) bool { return data.HasFigure(orgCode, k, y) }) {
			return nil, Errorf(EInvalid, field, "%s has no value of any cited element in %s", orgCode, SchoolYearLabel(y))
		}
	}
	sorted := slices.Clone(years)
	sort.Ints(sorted)
	return sorted, nil
}

func checkComparison(orgCode string, orgType OrgType, a *Analysis, data DataCatalog) error {
	c := &a.Comparison
	c.Peers = slices.Clone(c.Peers)
	switch c.Method {
	case ComparisonChosen:
		if c.Year != 0 || c.WeightsVersion != "" {
			return Errorf(EInvalid, "comparison/method", "chosen peers have no similarity year or weights version; leave year and weights_version out")
		}
		if len(c.Peers) == 0 {
			return Errorf(EInvalid, "comparison/peers", "name at least one org to compare %s with", orgCode)
		}
	case ComparisonSimilar:
		if c.Year == 0 {
			c.Year = a.Years[len(a.Years)-1]
		}
		if len(c.Peers) == 0 {
			if c.WeightsVersion != "" {
				return Errorf(EInvalid, "comparison/weights_version", "weights_version names the weights that chose the peers; "+
					"leave it out when the peers are left to planledger")
			}
			peers, version, err := data.SimilarPeers(orgCode, c.Year, DefaultAnalysisPeers)
			if err != nil {
				return Errorf(EInvalid, "comparison/year", "%s", errorMessage(err))
			}
			c.Peers, c.WeightsVersion = peers, version
		} else if !data.KnownWeightsVersion(c.WeightsVersion) {
			return Errorf(EInvalid, "comparison/weights_version",
				"similar peers must name the weights version that chose them, as GET /v1/orgs/%s/similar returns it; %q is not one",
				orgCode, c.WeightsVersion)
		}
	default:
		return Errorf(EInvalid, "comparison/method", "comparison method %q is not %s or %s",
			c.Method, ComparisonSimilar, ComparisonChosen)
	}
	return checkPeers(orgCode, orgType, c.Peers, data)
}

func checkPeers(orgCode string, orgType OrgType, peers []string, data DataCatalog) error {
	if len(peers) > MaxAnalysisPeers {
		return Errorf(EInvalid, "comparison/peers", "%d peers named; name at most %d", len(peers), MaxAnalysisPeers)
	}
	for i, code := range peers {
		field := fmt.Sprintf("comparison/peers/%d", i)
		if err := ValidateOrgCode(field, code); err != nil {
			return err
		}
		t, ok := data.OrgType(code)
		switch {
		case !ok:
			return Errorf(EInvalid, field, "no district or school with org code %s is in the comparison data", code)
		case code == orgCode:
			return Errorf(EInvalid, field, "%s is the plan's own org; name other orgs", code)
		case slices.Index(peers, code) != i:
			return Errorf(EInvalid, field, "%s is named twice", code)
		case t != orgType:
			return Errorf(EInvalid, field, "%s is a %s but the plan's org %s is a %s; compare orgs of one type", code, t, orgCode, orgType)
		}
	}
	return nil
}

// yearsLabel names the span of a list of years: "2017-18 to 2024-25".
func yearsLabel(years []int) string {
	switch len(years) {
	case 0:
		return "no year"
	case 1:
		return SchoolYearLabel(years[0])
	}
	return SchoolYearLabel(years[0]) + " to " + SchoolYearLabel(years[len(years)-1])
}
