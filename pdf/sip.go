package pdf

import (
	"fmt"
	"strings"

	"github.com/planledger/planledger/domain"
)

// citesNone fills the objectives cell of a goal that names no DIP
// objective, so the missing alignment is visible.
const citesNone = "cites none"

// goals prints an SIP's goals table.
func (r *renderer) goals() {
	goals := r.doc.Plan.Goals
	if len(goals) == 0 {
		r.heading("Goals", 0, lineHeight(sizeBody))
		r.paragraph("No goals adopted.", styleMuted, sizeBody)
		return
	}
	cols, cells, footnote := r.goalsTable(r.contentWidth())
	t := r.newTable(cols)
	rows := r.layoutRows(t, cells)
	if footnote != "" {
		t.after = r.noteHeight(footnote)
	}
	r.heading("Goals", 0, r.tableLead(t, rows))
	r.drawTable(t, rows)
	if footnote != "" {
		r.note(footnote)
	}
}

// goalsTable returns the goals table's columns for a content width w, its
// rows and its footnote, "" when none. ContentOf shares it with goals.
func (r *renderer) goalsTable(w float64) ([]column, [][]cell, string) {
	cols := []column{
		{"#", 10},
		{"Goal", 44},
		{"Measures: baseline → target", 44},
		{"Actions: owner, timeline", 48},
		{"DIP objectives advanced", w - 146},
	}
	goals := r.doc.Plan.Goals
	cells := make([][]cell, len(goals))
	illustrative := false
	for i, g := range goals {
		cells[i] = []cell{
			{{text: fmt.Sprint(i + 1)}},
			append(goalCell(g), r.citationParas(g.Citations(), true)...),
			measuresCell(g.Measures),
			actionsCell(g.Actions),
			r.advancedCell(g.Objectives),
		}
		illustrative = illustrative || anyIllustrative(g.Measures)
	}
	footnote := ""
	if illustrative {
		footnote = illustrativeNote
	}
	return cols, cells, footnote
}

// goalCell holds a goal's title, statement, owner and timeline.
func goalCell(g domain.Goal) cell {
	c := cell{{text: g.Title, style: styleBold}}
	if strings.TrimSpace(g.Statement) != "" {
		c = append(c, para{text: g.Statement})
	}
	if ownerTimeline := joinNonEmpty(" · ", g.Owner, g.Timeline); ownerTimeline != "" {
		c = append(c, para{text: ownerTimeline, style: styleMuted})
	}
	return c
}

// measuresCell lists measures as "description" then "baseline → target".
func measuresCell(ms []domain.Measure) cell {
	if len(ms) == 0 {
		return muted("No measures")
	}
	var c cell
	for _, m := range ms {
		baseline := m.Baseline
		if baseline == "" {
			baseline = "no baseline"
		}
		c = append(c,
			para{text: "• " + m.Description},
			para{text: baseline + " → " + target(m), style: styleBold})
	}
	return c
}

// actionsCell lists actions, each followed by its owner and timeline.
func actionsCell(as []domain.Action) cell {
	if len(as) == 0 {
		return muted("No actions")
	}
	var c cell
	for _, a := range as {
		c = append(c, para{text: "• " + a.Text})
		if ownerTimeline := joinNonEmpty(" · ", a.Owner, a.Timeline); ownerTimeline != "" {
			c = append(c, para{text: ownerTimeline, style: styleMuted})
		}
	}
	return c
}

// advancedCell names the DIP objectives a goal advances by their number
// and title in the district plan.
func (r *renderer) advancedCell(ids []string) cell {
	if len(ids) == 0 {
		return muted(citesNone)
	}
	dip := r.doc.DistrictPlan
	c := make(cell, len(ids))
	for i, id := range ids {
		switch {
		case dip == nil:
			c[i] = para{text: id + " (district plan not loaded)", style: styleMuted}
		case dip.ObjectiveIndex(id) < 0:
			c[i] = para{text: id + " (not in the district plan)", style: styleMuted}
		default:
			n := dip.ObjectiveIndex(id)
			c[i] = para{text: fmt.Sprintf("%d. %s", n+1, dip.Objectives[n].Title)}
		}
	}
	return c
}

// joinNonEmpty joins the non-blank parts with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var nonBlank []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			nonBlank = append(nonBlank, p)
		}
	}
	return strings.Join(nonBlank, sep)
}
