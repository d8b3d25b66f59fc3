package pdf

import (
	"fmt"

	"github.com/planledger/planledger/domain"
)

// objectives prints a DIP's strategic objectives table, then each
// objective's initiatives and outcomes.
func (r *renderer) objectives() {
	objs := r.doc.Plan.Objectives
	if len(objs) == 0 {
		r.heading("Strategic objectives", 0, lineHeight(sizeBody))
		r.paragraph("No strategic objectives recorded.", styleMuted, sizeBody)
		return
	}
	cols, cells := r.objectivesTable(r.contentWidth())
	t := r.newTable(cols)
	rows := r.layoutRows(t, cells)
	r.heading("Strategic objectives", 0, r.tableLead(t, rows))
	r.drawTable(t, rows)

	for i, o := range objs {
		initiatives := r.initiatives(o.Initiatives)
		r.heading(fmt.Sprintf("Objective %d: %s", i+1, o.Title), 1, initiatives.lead)
		initiatives.draw()
		r.outcomes(o.Outcomes).draw()
	}
}

// objectivesTable returns the strategic objectives table's columns for a
// content width w and its rows. ContentOf shares it with objectives.
func (r *renderer) objectivesTable(w float64) ([]column, [][]cell) {
	cols := []column{
		{"#", 10},
		{"Objective and statement", 62},
		{r.citationsHeader(), 38},
		{"Owner", 34},
		{"Timeline", w - 144},
	}
	objs := r.doc.Plan.Objectives
	cells := make([][]cell, len(objs))
	for i, o := range objs {
		cells[i] = []cell{
			{{text: fmt.Sprint(i + 1)}},
			{{text: o.Title, style: styleBold}, {text: o.Statement}},
			r.objectiveCitationsCell(o),
			orMuted(o.Owner, "Not assigned"),
			orMuted(o.Timeline, "Not set"),
		}
	}
	return cols, cells
}

// Headings and empty messages of an objective's two tables.
const (
	initiativesTitle = "Initiatives"
	initiativesEmpty = "No initiatives recorded."
	outcomesTitle    = "Outcomes"
	outcomesEmpty    = "No outcomes recorded."
)

// initiatives lays out an objective's initiatives table.
func (r *renderer) initiatives(items []domain.Initiative) block {
	t := r.newTable(initiativesColumns(r.contentWidth()))
	return r.tableBlock(initiativesTitle, t, r.layoutRows(t, initiativesCells(items)), initiativesEmpty, "")
}

func initiativesColumns(w float64) []column {
	return []column{
		{"Initiative", 105},
		{"Owner", 40},
		{"Timeline", w - 145},
	}
}

func initiativesCells(items []domain.Initiative) [][]cell {
	cells := make([][]cell, len(items))
	for i, in := range items {
		cells[i] = []cell{
			orMuted(in.Text, "No text"),
			orMuted(in.Owner, "Not assigned"),
			orMuted(in.Timeline, "Not set"),
		}
	}
	return cells
}

// outcomes lays out an objective's measurable outcomes table, with the
// footnote for illustrative targets when any appear.
func (r *renderer) outcomes(ms []domain.Measure) block {
	t := r.newTable(outcomesColumns(r.contentWidth()))
	return r.tableBlock(outcomesTitle, t, r.layoutRows(t, outcomesCells(ms)), outcomesEmpty, outcomesNote(ms))
}

func outcomesColumns(w float64) []column {
	return []column{
		{"Measure", 95},
		{"Baseline", 42},
		{"Target", w - 137},
	}
}

func outcomesCells(ms []domain.Measure) [][]cell {
	cells := make([][]cell, len(ms))
	for i, m := range ms {
		cells[i] = []cell{
			orMuted(m.Description, "No description"),
			orMuted(m.Baseline, "Not stated"),
			{{text: target(m)}},
		}
	}
	return cells
}

// outcomesNote returns the footnote for illustrative targets, or "".
func outcomesNote(ms []domain.Measure) string {
	if anyIllustrative(ms) {
		return illustrativeNote
	}
	return ""
}

// illustrativeMark follows a target written for the bundled sample data.
const illustrativeMark = "†"

// illustrativeNote explains illustrativeMark under any table that uses it.
const illustrativeNote = "† marks a target written for the bundled sample data, not taken from the source plan."

// target returns a measure's target, marked when it is illustrative.
func target(m domain.Measure) string {
	t := m.Target
	if t == "" {
		t = "no target set"
	}
	if m.Illustrative {
		t += " " + illustrativeMark
	}
	return t
}

// anyIllustrative reports whether a measure in ms has an illustrative
// target.
func anyIllustrative(ms []domain.Measure) bool {
	for _, m := range ms {
		if m.Illustrative {
			return true
		}
	}
	return false
}
