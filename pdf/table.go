package pdf

import "errors"

// Tables are laid out by hand because the library has no table API. Every
// cell is wrapped before drawing, the row height is that of the tallest
// cell, and the page break is decided before any part of the row is drawn.

// Cell padding in millimetres. cellPadX is also the library's cell margin,
// the inset CellFormat gives left-aligned text, and splitText subtracts it
// on both sides of the width it wraps to.
const (
	cellPadX = 1.5
	cellPadY = 1.2
	// minSplitLines is the fewest lines of a split row worth leaving at the
	// bottom of a page. It must exceed 1 so that splitting always advances
	// past the continuation label it adds.
	minSplitLines = 3
	// continuedLabel starts the first cell of a row that continues from the
	// previous page.
	continuedLabel = "cont."
	// fitSlack absorbs floating-point rounding when a height is compared
	// with the room left, so that a row as tall as a fresh page's room
	// always fits there.
	fitSlack = 1e-6
)

// errPageTooSmall reports a page with no room for a split table row.
var errPageTooSmall = errors.New("page body too short to hold a split table row")

// column is one table column.
type column struct {
	title string
	width float64 // millimetres
}

// cell is the content of one table cell, as paragraphs.
type cell []para

// row is a table row wrapped to its column widths.
type row [][]line

// table is a table's columns and its wrapped header row.
type table struct {
	cols   []column
	header row
	// after is the height of what should share a page with the last row,
	// such as a footnote, in millimetres.
	after float64
}

// newTable wraps the header titles of cols.
func (r *renderer) newTable(cols []column) *table {
	t := &table{cols: cols}
	t.header = make(row, len(cols))
	for i, c := range cols {
		t.header[i] = r.wrap(para{text: c.title, style: styleBold}, sizeTable, c.width)
	}
	return t
}

// layout wraps each cell of a row to its column's width.
func (r *renderer) layout(t *table, cells []cell) row {
	out := make(row, len(t.cols))
	for i := range t.cols {
		var paras []para
		if i < len(cells) {
			paras = cells[i]
		}
		out[i] = r.wrapAll(paras, sizeTable, t.cols[i].width)
	}
	return out
}

// lineCount returns the number of lines in the row's tallest cell.
func (rw row) lineCount() int {
	n := 0
	for _, c := range rw {
		n = max(n, len(c))
	}
	return n
}

// rowHeight returns the height of a row with n lines.
func rowHeight(n int) float64 {
	return float64(max(n, 1))*lineHeight(sizeTable) + 2*cellPadY
}

// layoutRows wraps every row of a table.
func (r *renderer) layoutRows(t *table, rows [][]cell) []row {
	laid := make([]row, len(rows))
	for i, cells := range rows {
		laid[i] = r.layout(t, cells)
	}
	return laid
}

// tableLead returns the height that must stay together at the start of a
// table: the header row and the first row, or only the first few lines of
// that row when flowRow will split it anyway. A table of one row also keeps
// what follows it.
func (r *renderer) tableLead(t *table, rows []row) float64 {
	h := rowHeight(t.header.lineCount())
	if len(rows) == 0 {
		return h
	}
	first := rowHeight(rows[0].lineCount())
	if len(rows) == 1 && first+t.after <= r.pageCapacity(t) {
		first += t.after
	}
	if first > r.pageCapacity(t) {
		first = rowHeight(minSplitLines)
	}
	return h + first
}

// drawTable prints a table with its header row and rows, breaking pages
// between rows and repeating the header row on each new page.
func (r *renderer) drawTable(t *table, rows []row) {
	if len(rows) == 0 {
		return
	}
	r.ensureSpace(r.tableLead(t, rows))
	r.drawRow(t, t.header, true)
	r.activeTable = t
	for i, rw := range rows {
		after := 0.0
		if i == len(rows)-1 {
			after = t.after
		}
		r.flowRow(t, rw, after)
	}
	r.activeTable = nil
}

// flowRow prints one row. A row that does not fit below the current
// position moves to the next page. A row taller than a whole page is split
// into continuation rows, each starting on a new page under a repeated
// header row. The row also moves when the after millimetres that should
// follow it do not fit, unless they would not fit on a fresh page either.
func (r *renderer) flowRow(t *table, rw row, after float64) {
	capacity := r.pageCapacity(t)
	for {
		h := rowHeight(rw.lineCount())
		room := r.bodyLimit() - r.pdf.GetY() + fitSlack
		switch {
		case h+after <= room:
			r.drawRow(t, rw, false)
			return
		case h+after <= capacity:
			r.pdf.AddPage()
			continue
		case h <= room:
			r.drawRow(t, rw, false)
			return
		case h <= capacity:
			r.pdf.AddPage()
			continue
		}
		fit := r.linesThatFit()
		if fit < minSplitLines {
			r.pdf.AddPage()
			fit = r.linesThatFit()
		}
		if fit < minSplitLines {
			// Only a page too small for a few lines gets here, and splitting
			// would then never finish.
			r.pdf.SetError(errPageTooSmall)
			return
		}
		head, tail := rw.split(fit)
		r.drawRow(t, head, false)
		r.pdf.AddPage()
		rw = tail
	}
}

// pageCapacity is the height a row may have on a fresh page, under the
// repeated header row.
func (r *renderer) pageCapacity(t *table) float64 {
	return r.bodyLimit() - marginTop - rowHeight(t.header.lineCount())
}

// linesThatFit returns how many table lines fit in one row between the
// current position and the bottom margin.
func (r *renderer) linesThatFit() int {
	room := r.bodyLimit() - r.pdf.GetY() - 2*cellPadY
	if room <= 0 {
		return 0
	}
	return int(room/lineHeight(sizeTable) + fitSlack)
}

// split cuts a row after n lines. The remainder's first cell starts with
// the continuation label so a reader can tell it carries on a row.
func (rw row) split(n int) (head, tail row) {
	head = make(row, len(rw))
	tail = make(row, len(rw))
	for i, c := range rw {
		k := min(n, len(c))
		head[i] = c[:k]
		tail[i] = c[k:]
	}
	label := line{text: continuedLabel, style: styleMuted}
	tail[0] = append([]line{label}, tail[0]...)
	return head, tail
}

// drawRow draws a row at the current y and moves below it. Header rows are
// shaded.
func (r *renderer) drawRow(t *table, rw row, header bool) {
	h := rowHeight(rw.lineCount())
	x, y := marginLeft, r.pdf.GetY()
	lh := lineHeight(sizeTable)
	if header {
		r.pdf.SetFillColor(225, 229, 235)
	}
	for i, lines := range rw {
		style := "D"
		if header {
			style = "FD"
		}
		r.pdf.Rect(x, y, t.cols[i].width, h, style)
		for j, l := range lines {
			r.drawLine(l, sizeTable, x, y+cellPadY+float64(j)*lh, t.cols[i].width)
		}
		x += t.cols[i].width
	}
	r.pdf.SetXY(marginLeft, y+h)
}
