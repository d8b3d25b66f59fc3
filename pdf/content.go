package pdf

import (
	"fmt"
	"strings"

	"github.com/planledger/planledger/domain"
)

// Content is a plan document's printed text in print order, without
// layout. The accessible HTML version is rendered from it, so both
// renderings state the same facts, headings and table cells. The text is
// not passed through clean, because HTML can show every rune.
//
// NOTE: the column titles and empty messages below repeat those of
// sip.go and dip.go. The HTML comparison test in the http package reads
// both renderings back and fails when they drift apart.
type Content struct {
	KindName string // "School Improvement Plan" or "District Improvement Plan"
	Title    Text   // the plan title, or "Untitled plan" in grey
	Facts    []Fact // the cover's facts
	// AccessiblePath is the path of the accessible HTML version, printed
	// under the facts after AccessibleLabel, or "" when none is printed.
	AccessiblePath string
	Sections       []Section
	// Table is an SIP's goals table or a DIP's strategic objectives table.
	Table Table
	// Objectives are a DIP's per-objective initiatives and outcomes, which
	// print after its objectives table. An SIP has none.
	Objectives []ObjectiveDetail
	// AsOfLine is the footer's as-of line. ChainHash is the full chain hash
	// of the last event included, or "" when it is unchained.
	AsOfLine  string
	ChainHash string
}

// Text is one paragraph with its print style.
type Text struct {
	Text  string
	Bold  bool
	Muted bool // grey in the PDF: placeholders and secondary details
}

// Fact is one labelled fact of the cover.
type Fact struct {
	Label string
	Value []Text
}

// Section is a narrative section. Text is Text{notWritten, Muted} when the
// section is blank.
type Section struct {
	Heading string
	Text    Text
}

// Table is a printed table under its heading.
type Table struct {
	Heading string
	Columns []string
	// RowHeader is the index of the column whose cells name their row, such
	// as a goal's title, for renderings that mark row headers.
	RowHeader int
	Rows      [][]Cell
	Empty     string // printed in grey in place of the table when Rows is empty
	Note      string // a footnote printed under the table, or ""
}

// Cell is the paragraphs of one table cell.
type Cell []Text

// ObjectiveDetail is a DIP objective's heading and its two tables.
type ObjectiveDetail struct {
	Heading     string
	Initiatives Table
	Outcomes    Table
}

// AccessibleLabel starts the line that gives the accessible version's path.
const AccessibleLabel = "Accessible version:"

// ContentOf returns doc's printed text in print order.
func ContentOf(doc Document) Content {
	r := &renderer{doc: doc}
	c := Content{
		KindName:       r.kindName(),
		Title:          Text{Text: doc.Plan.Title, Bold: true},
		AccessiblePath: doc.AccessiblePath,
		AsOfLine:       r.asOfLine(),
		ChainHash:      doc.ChainHash,
	}
	if doc.Plan.Title == "" {
		c.Title = Text{Text: "Untitled plan", Muted: true}
	}
	for _, f := range r.coverFacts() {
		c.Facts = append(c.Facts, Fact{Label: f.label, Value: texts(f.value)})
	}
	for _, s := range doc.Plan.Sections {
		heading := s.Heading
		if heading == "" {
			heading = s.Key
		}
		text := Text{Text: s.Text}
		if strings.TrimSpace(s.Text) == "" {
			text = Text{Text: notWritten, Muted: true}
		}
		c.Sections = append(c.Sections, Section{Heading: heading, Text: text})
	}
	if doc.Plan.Kind == domain.PlanDIP {
		c.Table, c.Objectives = r.objectivesContent(doc.Plan.Objectives)
	} else {
		c.Table = r.goalsContent()
	}
	return c
}

// goalsContent mirrors goals in sip.go.
func (r *renderer) goalsContent() Table {
	t := Table{
		Heading: "Goals",
		Columns: []string{"#", "Goal", "Measures: baseline → target", "Actions: owner, timeline", "DIP objectives advanced"},
		Empty:   "No goals adopted.", RowHeader: 1,
	}
	illustrative := false
	for i, g := range r.doc.Plan.Goals {
		t.Rows = append(t.Rows, cells(
			cell{{text: fmt.Sprint(i + 1)}},
			append(goalCell(g), r.citationParas(g.Citations(), true)...),
			measuresCell(g.Measures),
			actionsCell(g.Actions),
			r.advancedCell(g.Objectives),
		))
		illustrative = illustrative || anyIllustrative(g.Measures)
	}
	if illustrative {
		t.Note = illustrativeNote
	}
	return t
}

// objectivesContent mirrors objectives, initiatives and outcomes in dip.go.
func (r *renderer) objectivesContent(objs []domain.Objective) (Table, []ObjectiveDetail) {
	t := Table{
		Heading:   "Strategic objectives",
		Columns:   []string{"#", "Objective and statement", "District standards", "Owner", "Timeline"},
		Empty:     "No strategic objectives recorded.",
		RowHeader: 1,
	}
	var details []ObjectiveDetail
	for i, o := range objs {
		t.Rows = append(t.Rows, cells(
			cell{{text: fmt.Sprint(i + 1)}},
			cell{{text: o.Title, style: styleBold}, {text: o.Statement}},
			r.objectiveCitationsCell(o),
			orMuted(o.Owner, "Not assigned"),
			orMuted(o.Timeline, "Not set"),
		))
		initiatives := Table{Heading: "Initiatives", Columns: []string{"Initiative", "Owner", "Timeline"},
			Empty: "No initiatives recorded."}
		for _, in := range o.Initiatives {
			initiatives.Rows = append(initiatives.Rows, cells(
				orMuted(in.Text, "No text"),
				orMuted(in.Owner, "Not assigned"),
				orMuted(in.Timeline, "Not set"),
			))
		}
		outcomes := Table{Heading: "Outcomes", Columns: []string{"Measure", "Baseline", "Target"},
			Empty: "No outcomes recorded."}
		for _, m := range o.Outcomes {
			outcomes.Rows = append(outcomes.Rows, cells(
				orMuted(m.Description, "No description"),
				orMuted(m.Baseline, "Not stated"),
				cell{{text: target(m)}},
			))
		}
		if anyIllustrative(o.Outcomes) {
			outcomes.Note = illustrativeNote
		}
		details = append(details, ObjectiveDetail{
			Heading:     fmt.Sprintf("Objective %d: %s", i+1, o.Title),
			Initiatives: initiatives,
			Outcomes:    outcomes,
		})
	}
	return t, details
}

func texts(paras []para) []Text {
	out := make([]Text, len(paras))
	for i, p := range paras {
		out[i] = Text{Text: p.text, Bold: p.style == styleBold, Muted: p.style == styleMuted}
	}
	return out
}

func cells(in ...cell) []Cell {
	out := make([]Cell, len(in))
	for i, c := range in {
		out[i] = texts(c)
	}
	return out
}
