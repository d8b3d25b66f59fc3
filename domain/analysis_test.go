package domain_test

import (
	"slices"
	"testing"

	"github.com/planledger/planledger/comparisons"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/importer"
)

const analysisID = "0190e0c0-0000-7000-8000-0000000000c1"

// bundledData is the real comparison data the server checks analyses
// against.
func bundledData(t *testing.T) *comparisons.Dataset {
	t.Helper()
	ds, err := importer.BundledDataset()
	if err != nil {
		t.Fatalf("load bundled comparison data: %v", err)
	}
	return ds
}

// validAnalysis cites grades 3-8 MCAS for Newburyport (districtCode) in
// 2016-17 and 2017-18 against two real districts.
func validAnalysis() domain.Analysis {
	return domain.Analysis{
		ID: analysisID, Title: "  Grades 3-8 mathematics  ",
		Elements:   []string{"mcas_g38_math_me_pct", "econ_disadvantaged_pct"},
		Years:      []int{2018, 2017},
		Comparison: domain.AnalysisComparison{Method: domain.ComparisonChosen, Peers: []string{"01440000", "07450000"}},
		Findings:   "Mathematics trails both neighbours.", ActionsNeeded: "Tiered supports in grades 4 to 8.",
	}
}

func recordedAnalysis(t *testing.T, d domain.Draft) domain.Analysis {
	t.Helper()
	if d.Type != domain.TypeAnalysisRecorded && d.Type != domain.TypeAnalysisRevised {
		t.Fatalf("draft type %s, want an analysis recorded or revised", d.Type)
	}
	switch p := d.Payload.(type) {
	case domain.AnalysisRecorded:
		return p.Analysis
	case domain.AnalysisRevised:
		return p.Analysis
	}
	t.Fatalf("payload %T is not an analysis payload", d.Payload)
	return domain.Analysis{}
}

func TestRecordAnalysisNormalizes(t *testing.T) {
	data := bundledData(t)
	in := validAnalysis()
	d, err := domain.DecideRecordAnalysis(newDIP(dipID, districtCode), in, data)
	if err != nil {
		t.Fatalf("DecideRecordAnalysis: %v", err)
	}
	a := recordedAnalysis(t, d)
	if a.Title != "Grades 3-8 mathematics" {
		t.Errorf("title %q, want it trimmed", a.Title)
	}
	if !slices.Equal(a.Years, []int{2017, 2018}) {
		t.Errorf("years %v, want them sorted", a.Years)
	}
	if !slices.Equal(in.Years, []int{2018, 2017}) {
		t.Errorf("the caller's years became %v; the decision must not write them", in.Years)
	}
}

func TestRecordAnalysisFillsSimilarPeers(t *testing.T) {
	data := bundledData(t)
	a := validAnalysis()
	a.Comparison = domain.AnalysisComparison{Method: domain.ComparisonSimilar}
	d, err := domain.DecideRecordAnalysis(newDIP(dipID, districtCode), a, data)
	if err != nil {
		t.Fatalf("DecideRecordAnalysis: %v", err)
	}
	got := recordedAnalysis(t, d).Comparison
	want, _, err := data.SimilarPeers(districtCode, 2018, domain.DefaultAnalysisPeers)
	if err != nil {
		t.Fatal(err)
	}
	if got.Year != 2018 || got.WeightsVersion != comparisons.WeightsVersion || !slices.Equal(got.Peers, want) {
		t.Errorf("comparison = %+v, want the %d most similar districts in 2018 with weights %s: %v",
			got, domain.DefaultAnalysisPeers, comparisons.WeightsVersion, want)
	}
}

func TestRecordAnalysisRejectsBadInput(t *testing.T) {
	data := bundledData(t)
	cases := map[string]struct {
		change func(a *domain.Analysis)
		code   string
		field  string
	}{
		"no title":          {func(a *domain.Analysis) { a.Title = " " }, domain.EInvalid, "title"},
		"no elements":       {func(a *domain.Analysis) { a.Elements = nil }, domain.EInvalid, "elements"},
		"unknown element":   {func(a *domain.Analysis) { a.Elements[1] = "mcas_math" }, domain.EInvalid, "elements/1"},
		"repeated element":  {func(a *domain.Analysis) { a.Elements[1] = a.Elements[0] }, domain.EInvalid, "elements/1"},
		"no years":          {func(a *domain.Analysis) { a.Years = nil }, domain.EInvalid, "years"},
		"year without data": {func(a *domain.Analysis) { a.Years = []int{2017, 2020} }, domain.EInvalid, "years/1"},
		"repeated year":     {func(a *domain.Analysis) { a.Years = []int{2017, 2017} }, domain.EInvalid, "years/1"},
		"unknown method":    {func(a *domain.Analysis) { a.Comparison.Method = "nearest" }, domain.EInvalid, "comparison/method"},
		"chosen no peers":   {func(a *domain.Analysis) { a.Comparison.Peers = nil }, domain.EInvalid, "comparison/peers"},
		"malformed peer":    {func(a *domain.Analysis) { a.Comparison.Peers[1] = "0745" }, domain.EInvalid, "comparison/peers/1"},
		"unknown peer":      {func(a *domain.Analysis) { a.Comparison.Peers[0] = "09990000" }, domain.EInvalid, "comparison/peers/0"},
		"self as peer":      {func(a *domain.Analysis) { a.Comparison.Peers[1] = districtCode }, domain.EInvalid, "comparison/peers/1"},
		"school as peer":    {func(a *domain.Analysis) { a.Comparison.Peers[1] = "02040505" }, domain.EInvalid, "comparison/peers/1"},
		"repeated peer":     {func(a *domain.Analysis) { a.Comparison.Peers[1] = a.Comparison.Peers[0] }, domain.EInvalid, "comparison/peers/1"},
		"chosen with weights": {func(a *domain.Analysis) { a.Comparison.WeightsVersion = "v1" }, domain.EInvalid,
			"comparison/method"},
		"similar unknown weights": {func(a *domain.Analysis) {
			a.Comparison.Method, a.Comparison.WeightsVersion = domain.ComparisonSimilar, "v0"
		}, domain.EInvalid, "comparison/weights_version"},
		"similar year without data": {func(a *domain.Analysis) {
			a.Comparison = domain.AnalysisComparison{Method: domain.ComparisonSimilar, Year: 2005}
		}, domain.EInvalid, "comparison/year"},
		"no findings": {func(a *domain.Analysis) { a.Findings = "" }, domain.EInvalid, "findings"},
		"bad id":      {func(a *domain.Analysis) { a.ID = "analysis-1" }, domain.EInvalid, "id"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			a := validAnalysis()
			a.Elements = slices.Clone(a.Elements)
			a.Comparison.Peers = slices.Clone(a.Comparison.Peers)
			c.change(&a)
			_, err := domain.DecideRecordAnalysis(newDIP(dipID, districtCode), a, data)
			checkError(t, err, c.code, c.field)
		})
	}
}

// Grade 10 MCAS has no 2016-17 results, and the plan's own district must
// have a value in each cited year.
func TestRecordAnalysisChecksOrgHasData(t *testing.T) {
	data := bundledData(t)
	a := validAnalysis()
	a.Elements = []string{"mcas_g10_math_me_pct"}
	a.Years = []int{2019}
	sip := &domain.Plan{ID: sipID, Kind: domain.PlanSIP, OrgCode: "02040030", FirstYear: 2019, LastYear: 2019}
	a.Comparison.Peers = []string{"02040005"}
	_, err := domain.DecideRecordAnalysis(sip, a, data)
	checkError(t, err, domain.EInvalid, "years/0")

	unknown := newDIP(dipID, "09990000")
	_, err = domain.DecideRecordAnalysis(unknown, validAnalysis(), data)
	checkError(t, err, domain.EInvalid, "org_code")
}

func TestRecordAnalysisWithoutData(t *testing.T) {
	_, err := domain.DecideRecordAnalysis(newDIP(dipID, districtCode), validAnalysis(), nil)
	checkError(t, err, domain.EUnavailable, "")
}

func TestAnalysisEventsFold(t *testing.T) {
	data := bundledData(t)
	plan := newDIP(dipID, districtCode)
	recorded, err := domain.DecideRecordAnalysis(plan, validAnalysis(), data)
	if err != nil {
		t.Fatal(err)
	}
	events := []domain.Event{
		planEvent(t, 1, domain.TypePlanCreated, domain.PlanCreated{ID: dipID, Kind: domain.PlanDIP, OrgCode: districtCode,
			FirstYear: 2016, LastYear: 2018, Title: "District plan"}),
		planEvent(t, 2, recorded.Type, recorded.Payload),
	}
	folded := foldPlan(t, events)
	if len(folded.Analyses) != 1 || folded.Analyses[0].Title != "Grades 3-8 mathematics" {
		t.Fatalf("folded analyses = %+v, want the recorded one", folded.Analyses)
	}

	_, err = domain.DecideRecordAnalysis(&folded, validAnalysis(), data)
	checkError(t, err, domain.EConflict, "id")

	revision := validAnalysis()
	revision.Findings = "Revised findings."
	revised, err := domain.DecideReviseAnalysis(&folded, revision, data)
	if err != nil {
		t.Fatal(err)
	}
	events = append(events, planEvent(t, 3, revised.Type, revised.Payload))
	folded = foldPlan(t, events)
	if folded.Analyses[0].Findings != "Revised findings." {
		t.Errorf("findings after revision = %q", folded.Analyses[0].Findings)
	}

	removed, err := domain.DecideRemoveAnalysis(&folded, analysisID)
	if err != nil {
		t.Fatal(err)
	}
	events = append(events, planEvent(t, 4, removed.Type, removed.Payload))
	folded = foldPlan(t, events)
	if len(folded.Analyses) != 0 {
		t.Errorf("analyses after removal = %+v, want none", folded.Analyses)
	}

	_, err = domain.DecideRemoveAnalysis(&folded, analysisID)
	checkError(t, err, domain.ENotFound, "id")
	_, err = domain.DecideReviseAnalysis(&folded, validAnalysis(), data)
	checkError(t, err, domain.ENotFound, "id")
}
