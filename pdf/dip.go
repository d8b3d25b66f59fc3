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
	w := r.contentWidth()
	t := r.newTable([]column{
		{"#", 10},
		{"Objective and statement", 62},
		{r.citationsHeader(), 38},
		{"Owner", 34},
		{"Timeline", w - 144},
	})
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

// initiatives lays out an objective's initiatives table.
func (r *renderer) initiatives(items []domain.Initiative) block {
	w := r.contentWidth()
	t := r.newTable([]column{
		{"Initiative", 105},
		{"Owner", 40},
		{"Timeline", w - 145},
	})
	cells := make([][]cell, len(items))
	for i, in := range items {
		cells[i] = []cell{
			orMuted(in.Text, "No text"),
			orMuted(in.Owner, "Not assigned"),
			orMuted(in.Timeline, "Not set"),
		}
	}
	return r.tableBlock("Initiatives", t, r.layoutRows(t, cells), "No initiatives recorded.", "")
}

// outcomes lays out an objective's measurable outcomes table, with the
// footnote for illustrative targets when any appear.
func (r *renderer) outcomes(ms []domain.Measure) block {
	w := r.contentWidth()
	t := r.newTable([]column{
		{"Measure", 95},
		{"Baseline", 42},
		{"Target", w - 137},
	})
	cells := make([][]cell, len(ms))
	for i, m := range ms {
		cells[i] = []cell{
			orMuted(m.Description, "No description"),
			orMuted(m.Baseline, "Not stated"),
			{{text: target(m)}},
		}
	}
	footnote := ""
	if anyIllustrative(ms) {
		footnote = illustrativeNote
	}
	return r.tableBlock("Outcomes", t, r.layoutRows(t, cells), "No outcomes recorded.", footnote)
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
