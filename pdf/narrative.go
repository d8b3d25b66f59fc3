package pdf

import "strings"

// notWritten is printed in grey under the heading of an empty section, so
// a reviewer notices the gap.
const notWritten = "Not yet written."

// sections prints the plan's narrative sections in plan order, starting on
// the page after the cover.
func (r *renderer) sections() {
	r.pdf.AddPage()
	for _, s := range r.doc.Plan.Sections {
		heading := s.Heading
		if heading == "" {
			heading = s.Key
		}
		r.heading(heading, 0, 2*lineHeight(sizeBody))
		if strings.TrimSpace(s.Text) == "" {
			r.paragraph(notWritten, styleMuted, sizeBody)
			continue
		}
		r.paragraph(s.Text, styleRegular, sizeBody)
	}
}

// flowLines prints lines down the page at the left margin, breaking pages
// between lines as needed.
func (r *renderer) flowLines(lines []line, size float64) {
	lh := lineHeight(size)
	w := r.contentWidth()
	for _, l := range lines {
		r.ensureSpace(lh)
		y := r.pdf.GetY()
		r.drawLine(l, size, marginLeft, y, w)
		r.pdf.SetXY(marginLeft, y+lh)
	}
}

// paragraph wraps and prints text across the content width.
func (r *renderer) paragraph(text string, style textStyle, size float64) {
	r.flowLines(r.wrap(para{text: text, style: style}, size, r.contentWidth()), size)
}

// heading prints a bold heading, kept on a page with at least the next
// minFollow millimetres of content, and adds a bookmark at its level.
func (r *renderer) heading(text string, level int, minFollow float64) {
	size := sizeHeading
	spaceBefore := 5.0
	if level > 0 {
		size = 11
		spaceBefore = 3.5
	}
	const spaceAfter = 1.0
	lines := r.wrap(para{text: text, style: styleBold}, size, r.contentWidth())
	h := float64(len(lines))*lineHeight(size) + spaceAfter
	if r.pdf.GetY() > marginTop+1 {
		r.pdf.SetY(r.pdf.GetY() + spaceBefore)
	}
	r.ensureSpace(h + minFollow)
	r.pdf.Bookmark(clean(text), level, -1)
	r.flowLines(lines, size)
	r.pdf.SetY(r.pdf.GetY() + spaceAfter)
}

// subheadingHeight is the height subheading takes, spacing included.
func subheadingHeight() float64 {
	return 2 + lineHeight(sizeBody) + 0.5
}

// subheading prints a bold label on the same page as the first follow
// millimetres of what comes after it.
func (r *renderer) subheading(text string, follow float64) {
	r.ensureSpace(subheadingHeight() + follow)
	r.pdf.SetY(r.pdf.GetY() + 2)
	r.paragraph(text, styleBold, sizeBody)
	r.pdf.SetY(r.pdf.GetY() + 0.5)
}

// noteSpace is the gap between a table and its note.
const noteSpace = 1.0

// note prints a grey line of small text under a table.
func (r *renderer) note(text string) {
	r.pdf.SetY(r.pdf.GetY() + noteSpace)
	r.paragraph(text, styleMuted, sizeSmall)
}

// noteHeight returns the height note takes to print text.
func (r *renderer) noteHeight(text string) float64 {
	lines := r.wrap(para{text: text, style: styleMuted}, sizeSmall, r.contentWidth())
	return noteSpace + float64(len(lines))*lineHeight(sizeSmall)
}

// muted returns text as a one-paragraph grey cell.
func muted(text string) cell {
	return cell{{text: text, style: styleMuted}}
}

// orMuted returns text as a cell, or the placeholder in grey when text is
// blank.
func orMuted(text, placeholder string) cell {
	if strings.TrimSpace(text) == "" {
		return muted(placeholder)
	}
	return cell{{text: text}}
}

// block is content laid out before it is drawn, so that a heading above it
// can ask for the room the block's first lines need.
type block struct {
	lead float64 // the height that must share a page with the heading
	draw func()
}

// tableBlock is a subheading followed by a table, or by the empty message
// in grey when the table has no rows, and then by an optional footnote.
func (r *renderer) tableBlock(title string, t *table, rows []row, empty, footnote string) block {
	if footnote != "" {
		t.after = r.noteHeight(footnote)
	}
	follow := lineHeight(sizeBody)
	if len(rows) > 0 {
		follow = r.tableLead(t, rows)
	}
	return block{
		lead: subheadingHeight() + follow,
		draw: func() {
			r.subheading(title, follow)
			if len(rows) == 0 {
				r.paragraph(empty, styleMuted, sizeBody)
				return
			}
			r.drawTable(t, rows)
			if footnote != "" {
				r.note(footnote)
			}
		},
	}
}
