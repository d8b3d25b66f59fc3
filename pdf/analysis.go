package pdf

import (
	"fmt"
	"strings"

	"github.com/planledger/planledger/domain"
)

// AnalysisFigures is the part of a printed analysis that comes from the
// comparison data: element labels, peer names and the cited figures. The
// caller computes them, so the same data gives the same bytes.
type AnalysisFigures struct {
	ElementLabels []string // one per cited element, in the analysis's order
	PeerNames     []string // one per peer, e.g. "Grafton High School (01100505)"
	Rows          []FigureRow
	// Unavailable, when set, replaces the figures table with this note.
	Unavailable string
}

// FigureRow is one element in one year: the org's value and the median of
// its comparison group, formatted with units.
type FigureRow struct {
	Element       string
	Year          string
	Org           string
	Median        string
	PeersWithData string // e.g. "9 of 10"
}

// aggregatedMark follows a value the data builds from a district's schools.
const aggregatedMark = "*"

// aggregatedNote explains aggregatedMark under a figures table.
const aggregatedNote = "* a district value aggregated from its schools' values, where the data has no district figure."

// analysisIllustrativeNote explains illustrativeMark after findings.
const analysisIllustrativeNote = "† marks findings and actions written for the bundled sample data as interpretation of the figures, " +
	"not taken from the district's plan. The figures themselves come from the bundled DESE data."

// Texts of the data analysis part, shared by the PDF and Content.
const (
	analysesTitle      = "Data analysis"
	figuresTitle       = "Cited figures"
	figuresEmpty       = "No figures: the data has none of the cited elements."
	figuresMissingText = "Figures not available: the comparison data was not given to the printer."
)

// analyses prints the plan's data analyses: for each, the elements, years
// and comparison group it cites, its findings and actions, and the cited
// figures for the org against the group median. A plan without analyses
// prints nothing here.
func (r *renderer) analyses() {
	for i, a := range r.doc.Plan.Analyses {
		figures := r.figuresOf(a)
		if i == 0 {
			r.heading(analysesTitle, 0, 2*lineHeight(sizeHeading)+lineHeight(sizeBody))
		}
		r.heading(analysisTitle(i, a), 1, 3*lineHeight(sizeBody))
		w := r.contentWidth()
		for _, d := range analysisDetails(a, figures) {
			label := r.wrap(para{text: d.label, style: styleBold}, sizeBody, w)
			body := r.wrap(para{text: d.text}, sizeBody, w)
			r.flowLines(append(label, body...), sizeBody)
		}
		r.figuresBlock(figures).draw()
		if a.Illustrative {
			r.note(analysisIllustrativeNote)
		}
	}
}

// analysesContent mirrors analyses for Content.
func (r *renderer) analysesContent() []Part {
	var parts []Part
	for i, a := range r.doc.Plan.Analyses {
		figures := r.figuresOf(a)
		if i == 0 {
			parts = append(parts, Part{Heading: analysesTitle, Level: 1})
		}
		part := Part{Heading: analysisTitle(i, a), Level: 2}
		for _, d := range analysisDetails(a, figures) {
			part.Text = append(part.Text, Text{Text: d.label, Bold: true}, Text{Text: d.text})
		}
		parts = append(parts, part)

		note := ""
		if a.Illustrative {
			note = analysisIllustrativeNote
		}
		if figures.Unavailable != "" {
			missing := Part{Heading: figuresTitle, Level: 3, Text: []Text{{Text: figures.Unavailable, Muted: true}}}
			if note != "" {
				missing.Text = append(missing.Text, Text{Text: note, Muted: true})
			}
			parts = append(parts, missing)
			continue
		}
		cols, cells, footnote := r.figuresTable(letterContentWidth, figures)
		parts = append(parts, tablePart(figuresTitle, figuresEmpty,
			tableOf(fmt.Sprintf("Figures cited by analysis %d", i+1), cols, cells, 0, joinNonEmpty(" ", footnote, note))))
	}
	return parts
}

// figuresOf returns the figures the caller computed for an analysis, or
// the unavailable note when it computed none.
func (r *renderer) figuresOf(a domain.Analysis) AnalysisFigures {
	if f, ok := r.doc.AnalysisFigures[a.ID]; ok {
		return f
	}
	return AnalysisFigures{Unavailable: figuresMissingText}
}

func analysisTitle(i int, a domain.Analysis) string {
	return fmt.Sprintf("Analysis %d: %s", i+1, a.Title)
}

// detail is one labelled paragraph of an analysis.
type detail struct{ label, text string }

// analysisDetails returns the labelled paragraphs of an analysis: elements,
// years, comparison group, findings and actions needed.
func analysisDetails(a domain.Analysis, f AnalysisFigures) []detail {
	mark := ""
	if a.Illustrative {
		mark = " " + illustrativeMark
	}
	years := make([]string, len(a.Years))
	for i, y := range a.Years {
		years[i] = domain.SchoolYearLabel(y)
	}
	actions := a.ActionsNeeded
	if strings.TrimSpace(actions) == "" {
		actions = "None stated."
	}
	return []detail{
		{"Data elements", strings.Join(orKeys(f.ElementLabels, a.Elements), "; ")},
		{"School years", strings.Join(years, ", ")},
		{"Comparison group", groupText(a.Comparison, orKeys(f.PeerNames, a.Comparison.Peers))},
		{"Findings", a.Findings + mark},
		{"Actions needed", actions + mark},
	}
}

// orKeys returns names when there is one per key, else the keys.
func orKeys(names, keys []string) []string {
	if len(names) == len(keys) {
		return names
	}
	return keys
}

// groupText describes a comparison group and lists its members.
func groupText(c domain.AnalysisComparison, members []string) string {
	var description string
	switch c.Method {
	case domain.ComparisonSimilar:
		description = fmt.Sprintf("the %d most similar orgs in %s by grade span, enrollment and selected populations (weights %s)",
			len(members), domain.SchoolYearLabel(c.Year), c.WeightsVersion)
	case domain.ComparisonChosen:
		description = fmt.Sprintf("%d orgs chosen by the planners", len(members))
	default:
		description = fmt.Sprintf("%d orgs (method %q)", len(members), c.Method)
	}
	return description + ": " + strings.Join(members, "; ") + "."
}

// figuresTable returns the columns, cells and footnote of the cited
// figures table, w millimetres wide.
func (r *renderer) figuresTable(w float64, f AnalysisFigures) ([]column, [][]cell, string) {
	cols := []column{
		{"Data element", 70},
		{"School year", 22},
		{r.orgName(), 28},
		{"Group median", 28},
		{"Peers with data", w - 148},
	}
	cells := make([][]cell, len(f.Rows))
	aggregated := false
	for i, row := range f.Rows {
		cells[i] = []cell{
			{{text: row.Element}},
			{{text: row.Year}},
			orMuted(row.Org, "no data"),
			orMuted(row.Median, "no data"),
			{{text: row.PeersWithData}},
		}
		aggregated = aggregated || strings.HasSuffix(row.Org, aggregatedMark) || strings.HasSuffix(row.Median, aggregatedMark)
	}
	footnote := ""
	if aggregated {
		footnote = aggregatedNote
	}
	return cols, cells, footnote
}

// figuresBlock lays out the cited figures table with its footnote.
func (r *renderer) figuresBlock(f AnalysisFigures) block {
	if f.Unavailable != "" {
		return block{draw: func() {
			r.subheading(figuresTitle, lineHeight(sizeBody))
			r.paragraph(f.Unavailable, styleMuted, sizeBody)
		}}
	}
	cols, cells, footnote := r.figuresTable(r.contentWidth(), f)
	t := r.newTable(cols)
	return r.tableBlock(figuresTitle, t, r.layoutRows(t, cells), figuresEmpty, footnote)
}
