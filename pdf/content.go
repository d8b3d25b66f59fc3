package pdf

import (
	"fmt"
	"strings"

	"github.com/planledger/planledger/domain"
)

// Content is a plan document's printed text in print order, without
// layout. The accessible HTML version is rendered from it. Its tables come
// from the same functions as the PDF's, so both renderings state the same
// facts, headings and cells. The text is not passed through clean, because
// HTML can show every rune.
type Content struct {
	KindName string // "School Improvement Plan" or "District Improvement Plan"
	Title    Text   // the plan title, or "Untitled plan" in grey
	Facts    []Fact // the cover's facts
	// AccessiblePath is the path of the accessible HTML version, printed
	// under the facts after AccessibleLabel, or "" when none is printed.
	AccessiblePath string
	// Parts are everything after the cover: the status page, the sections
	// and the goals or objectives tables.
	Parts []Part
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

// Part is a heading and what the PDF prints under it before the next
// heading: paragraphs, then a table.
type Part struct {
	Heading string
	// Level is 1 for a main heading, 2 for a heading under the level-1
	// heading before it, and 3 for a table's label under a level-2 heading.
	Level int
	Text  []Text
	Table *Table // nil when the part has no table
}

// Table is a printed table.
type Table struct {
	// Caption describes the table for renderings that caption tables. The
	// PDF does not print it.
	Caption string
	Columns []string
	// RowHeader is the index of the column whose cells name their row, such
	// as a goal's title, for renderings that mark row headers.
	RowHeader int
	Rows      [][]Cell
	Note      string // a footnote printed under the table, or ""
}

// Cell is the paragraphs of one table cell.
type Cell []Text

// AccessibleLabel starts the line that gives the accessible version's path.
const AccessibleLabel = "Accessible version:"

// letterContentWidth is the width between the side margins of a US Letter page,
// for the table builders' last column. The text does not depend on it.
const letterContentWidth = 215.9 - marginLeft - marginRight

// ContentOf returns doc's printed text in print order, following Render.
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
	c.Parts = append(c.Parts, r.statusContent()...)
	c.Parts = append(c.Parts, r.sectionsContent()...)
	c.Parts = append(c.Parts, r.analysesContent()...)
	if doc.Plan.Kind == domain.PlanDIP {
		c.Parts = append(c.Parts, r.objectivesContent()...)
	} else {
		c.Parts = append(c.Parts, r.goalsContent())
	}
	return c
}

// statusContent mirrors statusAndCompliance.
func (r *renderer) statusContent() []Part {
	status := Part{Heading: statusTitle, Level: 1, Text: []Text{{Text: r.statusLine(), Bold: true}}}
	if steps := r.doc.Plan.Workflow; len(steps) == 0 {
		status.Text = append(status.Text, Text{Text: r.noStepText(), Muted: true})
	} else {
		cols, cells := trailTable(letterContentWidth, steps)
		status.Table = tableOf("Workflow steps, oldest first", cols, cells, 1, "")
	}
	results := r.compliance()
	cols, cells, footnote := checklistTable(letterContentWidth, results)
	checklist := Part{
		Heading: checklistTitle, Level: 1,
		Text:  []Text{{Text: summaryLine(domain.Summarize(results))}},
		Table: tableOf("Compliance checklist: each rule, its citation and the result", cols, cells, 0, footnote),
	}
	return []Part{status, checklist}
}

// sectionsContent mirrors sections in narrative.go.
func (r *renderer) sectionsContent() []Part {
	var parts []Part
	for _, s := range r.doc.Plan.Sections {
		heading := s.Heading
		if heading == "" {
			heading = s.Key
		}
		text := Text{Text: s.Text}
		if strings.TrimSpace(s.Text) == "" {
			text = Text{Text: notWritten, Muted: true}
		}
		parts = append(parts, Part{Heading: heading, Level: 1, Text: []Text{text}})
	}
	return parts
}

// goalsContent mirrors goals in sip.go.
func (r *renderer) goalsContent() Part {
	part := Part{Heading: "Goals", Level: 1}
	if len(r.doc.Plan.Goals) == 0 {
		part.Text = []Text{{Text: "No goals adopted.", Muted: true}}
		return part
	}
	cols, cells, footnote := r.goalsTable(letterContentWidth)
	part.Table = tableOf("Goals, with their measures, actions and the district objectives they advance", cols, cells, 1, footnote)
	return part
}

// objectivesContent mirrors objectives in dip.go.
func (r *renderer) objectivesContent() []Part {
	objs := r.doc.Plan.Objectives
	main := Part{Heading: "Strategic objectives", Level: 1}
	if len(objs) == 0 {
		main.Text = []Text{{Text: "No strategic objectives recorded.", Muted: true}}
		return []Part{main}
	}
	cols, cells := r.objectivesTable(letterContentWidth)
	main.Table = tableOf("Strategic objectives, with the standards and conditions they cite", cols, cells, 1, "")
	parts := []Part{main}
	for i, o := range objs {
		parts = append(parts, Part{Heading: fmt.Sprintf("Objective %d: %s", i+1, o.Title), Level: 2})
		parts = append(parts, tablePart(initiativesTitle, initiativesEmpty,
			tableOf(fmt.Sprintf("Initiatives of objective %d", i+1),
				initiativesColumns(letterContentWidth), initiativesCells(o.Initiatives), 0, "")))
		parts = append(parts, tablePart(outcomesTitle, outcomesEmpty,
			tableOf(fmt.Sprintf("Outcomes of objective %d", i+1),
				outcomesColumns(letterContentWidth), outcomesCells(o.Outcomes), 0, outcomesNote(o.Outcomes))))
	}
	return parts
}

// tablePart is a level-3 part holding t, or the empty message in grey when
// t has no rows, as tableBlock prints them.
func tablePart(heading, empty string, t *Table) Part {
	if len(t.Rows) == 0 {
		return Part{Heading: heading, Level: 3, Text: []Text{{Text: empty, Muted: true}}}
	}
	return Part{Heading: heading, Level: 3, Table: t}
}

func tableOf(caption string, cols []column, rows [][]cell, rowHeader int, note string) *Table {
	t := &Table{Caption: caption, RowHeader: rowHeader, Note: note}
	for _, c := range cols {
		t.Columns = append(t.Columns, c.title)
	}
	for _, row := range rows {
		cells := make([]Cell, len(row))
		for i, c := range row {
			cells[i] = texts(c)
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}

func texts(paras []para) []Text {
	out := make([]Text, len(paras))
	for i, p := range paras {
		out[i] = Text{Text: p.text, Bold: p.style == styleBold, Muted: p.style == styleMuted}
	}
	return out
}
