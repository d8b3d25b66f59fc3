package pdf_test

import (
	"strings"
	"testing"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/pdf"
)

// withAnalyses adds a chosen-peer analysis and a similar-peer analysis to
// the DIP fixture; figures are given for the first only.
func withAnalyses() pdf.Document {
	doc := dipDocument()
	doc.Plan.Analyses = []domain.Analysis{
		{ID: "a1", Title: "Attendance against two neighbours", Elements: []string{"attendance_rate"}, Years: []int{2018},
			Comparison: domain.AnalysisComparison{Method: domain.ComparisonChosen, Peers: []string{"01440000", "07450000"}},
			Findings:   "Attendance is level with the neighbours."},
		{ID: "a2", Title: "Class size against similar districts", Elements: []string{"average_class_size"}, Years: []int{2017},
			Comparison: domain.AnalysisComparison{Method: domain.ComparisonSimilar, Peers: []string{"01770000"}, Year: 2017,
				WeightsVersion: "v1"},
			Findings: "Classes are a little larger.", ActionsNeeded: "Review class sizes in grade 4.", Illustrative: true},
	}
	doc.AnalysisFigures = map[string]pdf.AnalysisFigures{"a1": {
		ElementLabels: []string{"Attendance rate"},
		PeerNames:     []string{"Ipswich (01440000)", "Pentucket (07450000)"},
		Rows: []pdf.FigureRow{{Element: "Attendance rate", Year: "2017-18", Org: "95.1% *", Median: "94.85% *",
			PeersWithData: "2 of 2"}},
	}}
	return doc
}

func TestRenderAnalyses(t *testing.T) {
	path, _ := renderFile(t, "dip-analyses", withAnalyses())
	got := flat(text(t, path))
	for _, want := range []string{
		"Data analysis",
		"Analysis 1: Attendance against two neighbours",
		"2 orgs chosen by the planners: Ipswich (01440000); Pentucket (07450000).",
		"95.1% *",
		"94.85% *",
		"2 of 2",
		"* a district value aggregated",
		"None stated.",
		"Analysis 2: Class size against similar districts",
		// Without figures the analysis prints its keys and codes.
		"average_class_size",
		"the 1 most similar orgs in 2016-17",
		"01770000",
		"Figures not available",
		"Review class sizes in grade 4. †",
		"† marks findings and actions written for the bundled sample data",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("DIP text lacks %q", want)
		}
	}
	if i, j := strings.Index(got, "Analysis 1:"), strings.Index(got, "Strategic objectives"); i < 0 || j < i {
		t.Errorf("the data analysis (at %d) does not come before the objectives (at %d)", i, j)
	}
}

func TestRenderWithoutAnalyses(t *testing.T) {
	path, _ := renderFile(t, "dip-plain", dipDocument())
	got := flat(text(t, path))
	for _, unwanted := range []string{"Analysis 1:", "Cited figures"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("a plan without analyses prints %q", unwanted)
		}
	}
}

// The accessible version's content has the analyses in the PDF's order,
// with the same paragraphs, table cells and notes.
func TestContentOfAnalyses(t *testing.T) {
	doc := withAnalyses()
	doc.Plan.Analyses[0].Illustrative = true
	content := pdf.ContentOf(doc)
	path, _ := renderFile(t, "dip-analyses-content", doc)
	checkParts(t, bodyText(t, path, "Newburyport Public Schools · District Improvement Plan · 2015-16 to 2017-18"), content)

	var headings []string
	var figures *pdf.Table
	for _, p := range content.Parts {
		if strings.HasPrefix(p.Heading, "Analysis ") || p.Heading == "Data analysis" || p.Heading == "Cited figures" {
			headings = append(headings, p.Heading)
		}
		if p.Heading == "Cited figures" && p.Table != nil && figures == nil {
			figures = p.Table
		}
	}
	want := []string{"Data analysis", "Analysis 1: Attendance against two neighbours", "Cited figures",
		"Analysis 2: Class size against similar districts", "Cited figures"}
	if strings.Join(headings, " | ") != strings.Join(want, " | ") {
		t.Errorf("analysis headings = %q, want %q", headings, want)
	}
	if figures == nil || len(figures.Rows) != 1 || figures.Rows[0][2][0].Text != "95.1% *" {
		t.Fatalf("figures table = %+v, want one row with 95.1%% *", figures)
	}
	if !strings.Contains(figures.Note, "aggregated") || !strings.Contains(figures.Note, "bundled sample data") {
		t.Errorf("figures note = %q, want the aggregated and the illustrative notes", figures.Note)
	}
}
