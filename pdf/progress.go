package pdf

import (
	"fmt"
	"strings"

	"github.com/planledger/planledger/domain"
)

// statusLabels name the progress statuses as the Progress table prints them.
var statusLabels = map[string]string{
	domain.StatusNoData:   "No data",
	domain.StatusOnTrack:  "On track",
	domain.StatusOffTrack: "Off track",
	domain.StatusMet:      "Met",
	domain.StatusNotMet:   "Not met",
}

// progress prints the Progress section: one row per measure with its
// baseline, target, actuals and status. A plan without actuals or numeric
// targets gets no section, so plans that do not monitor progress print as
// before.
func (r *renderer) progress() {
	measures := domain.ProgressOf(&r.doc.Plan)
	if !monitorsProgress(measures) {
		return
	}

	w := r.contentWidth()
	t := r.newTable([]column{
		{"Measure", 56},
		{"Baseline → target", 36},
		{"Actuals", 40},
		{"Status", w - 132},
	})
	cells := make([][]cell, len(measures))
	illustrative := false
	for i, m := range measures {
		illustrative = illustrative || m.Illustrative
		cells[i] = []cell{
			measureCell(m),
			baselineTargetCell(m),
			actualsCell(m),
			{{text: statusLabels[m.Status], style: styleBold}, {text: m.Reason, style: styleMuted}},
		}
	}

	rows := r.layoutRows(t, cells)
	if illustrative {
		t.after = r.noteHeight(illustrativeNote)
	}
	r.heading("Progress", 0, r.tableLead(t, rows))
	r.drawTable(t, rows)
	if illustrative {
		r.note(illustrativeNote)
	}
}

// monitorsProgress reports whether any measure has an actual or a numeric
// target.
func monitorsProgress(measures []domain.MeasureProgress) bool {
	for _, m := range measures {
		if len(m.Actuals) > 0 || m.TargetValue != nil {
			return true
		}
	}
	return false
}

// measureCell names the measure and the goal or objective it belongs to.
func measureCell(m domain.MeasureProgress) cell {
	return cell{
		{text: m.Description},
		{text: fmt.Sprintf("%s: %s", titleCase(m.ItemKind), m.ItemTitle), style: styleMuted},
	}
}

// baselineTargetCell prints the numeric baseline and target when set, the
// plan's wording otherwise, and the target year.
func baselineTargetCell(m domain.MeasureProgress) cell {
	baseline := m.Baseline
	if m.BaselineValue != nil {
		baseline = domain.FormatValue(*m.BaselineValue, m.Unit)
	}
	if baseline == "" {
		baseline = "no baseline"
	}
	target := m.Target
	if m.TargetValue != nil {
		target = domain.FormatValue(*m.TargetValue, m.Unit)
	}
	if m.Illustrative {
		target += " " + illustrativeMark
	}
	c := cell{{text: baseline + " → " + target}}
	detail := "by " + domain.SchoolYearLabel(m.TargetYear)
	switch m.Direction {
	case domain.DirectionHigher:
		detail += ", higher is better"
	case domain.DirectionLower:
		detail += ", lower is better"
	}
	return append(c, para{text: detail, style: styleMuted})
}

// actualsCell lists the actuals oldest first with their sources.
func actualsCell(m domain.MeasureProgress) cell {
	if len(m.Actuals) == 0 {
		return muted("None recorded")
	}
	var c cell
	for _, a := range m.Actuals {
		c = append(c, para{text: fmt.Sprintf("%s: %s", domain.SchoolYearLabel(a.Year), domain.FormatValue(a.Value, m.Unit))})
		if detail := joinNonEmpty(" · ", a.Note, a.Source); detail != "" {
			c = append(c, para{text: detail, style: styleMuted})
		}
	}
	return c
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
