package pdf

import (
	_ "embed"
	"fmt"
	"strings"

	"codeberg.org/go-pdf/fpdf"
)

// The fonts are DejaVu Sans 2.37 (Debian package fonts-dejavu-core), licensed
// under the Bitstream Vera licence in fonts/LICENSE-DejaVu.txt. They ship in
// the binary so output never depends on the fonts installed on a host.
var (
	//go:embed fonts/DejaVuSans.ttf
	dejaVuSans []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	dejaVuSansBold []byte
)

// fontFamily is the name the embedded fonts are registered under.
const fontFamily = "dejavu"

// textStyle selects the font face and colour of a run of text.
type textStyle int

const (
	styleRegular textStyle = iota
	styleBold
	// styleMuted is regular text in grey, for placeholders and secondary
	// details such as an action's owner.
	styleMuted
)

// Font sizes in points.
const (
	sizeBody    = 10.0
	sizeTable   = 9.0
	sizeSmall   = 8.0
	sizeHeading = 13.0
)

// registerFonts adds the regular and bold faces. It must run after
// AliasNbPages because the library seeds a UTF-8 font's subset from
// whether a page-count alias is set, and a fixed order keeps output stable.
func registerFonts(pdf *fpdf.Fpdf) error {
	pdf.AddUTF8FontFromBytes(fontFamily, "", dejaVuSans)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", dejaVuSansBold)
	// A TTF that fails to parse is only printed by the library, not recorded
	// as an error, so check that both faces were registered.
	for _, style := range []string{"", "B"} {
		if desc := pdf.GetFontDesc(fontFamily, style); desc.Ascent == 0 {
			return fmt.Errorf("register embedded font %s %q: the TTF did not parse", fontFamily, style)
		}
	}
	return pdf.Error()
}

// setStyle selects the font and text colour of a style at a size in points.
func (r *renderer) setStyle(style textStyle, size float64) {
	switch style {
	case styleBold:
		r.pdf.SetFont(fontFamily, "B", size)
		r.pdf.SetTextColor(0, 0, 0)
	case styleMuted:
		r.pdf.SetFont(fontFamily, "", size)
		r.pdf.SetTextColor(110, 110, 110)
	default:
		r.pdf.SetFont(fontFamily, "", size)
		r.pdf.SetTextColor(0, 0, 0)
	}
}

// pageCountAlias is the token the library replaces with the page total in
// every page's content when the PDF is written.
const pageCountAlias = "{nb}"

// lineHeight returns the distance between baselines for a font size in
// points, in millimetres.
func lineHeight(size float64) float64 {
	const ptToMM = 25.4 / 72
	return size * ptToMM * 1.35
}

// drawLine prints one line at (x, y) in a box w wide.
func (r *renderer) drawLine(l line, size, x, y, w float64) {
	r.setStyle(l.style, size)
	r.drawText(l.text, x, y, w, lineHeight(size))
}

// drawText prints plan text left-aligned in a box at (x, y), in the
// current font. The library replaces the page-count alias anywhere in a
// page's content, so text that contains it is drawn as separate pieces
// split inside the alias, and the alias never appears whole.
func (r *renderer) drawText(text string, x, y, w, h float64) {
	for {
		i := strings.Index(text, pageCountAlias)
		if i < 0 {
			break
		}
		head := text[:i+2]
		r.pdf.SetXY(x, y)
		r.pdf.CellFormat(w, h, head, "", 0, "L", false, 0, "")
		advance := r.pdf.GetStringWidth(head)
		x += advance
		w -= advance
		text = text[i+2:]
	}
	r.pdf.SetXY(x, y)
	r.pdf.CellFormat(w, h, text, "", 0, "L", false, 0, "")
}
