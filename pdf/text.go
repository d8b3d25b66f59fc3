package pdf

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// clean prepares plan text for the PDF library. Line breaks become "\n",
// tabs become spaces and other control characters are dropped. Invalid
// UTF-8 and runes beyond U+FFFF become U+FFFD, because the library's width
// tables stop at U+FFFF and it panics on runes past them.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		switch {
		case c == '\r' || c == '\n':
			b.WriteByte('\n')
		case c == '\t':
			b.WriteByte(' ')
		case c > 0xFFFF:
			b.WriteRune('\uFFFD')
		case unicode.IsControl(c):
			// dropped
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// line is one wrapped line of text with its style.
type line struct {
	text  string
	style textStyle
}

// para is a run of text that starts on a new line and wraps to a width.
type para struct {
	text  string
	style textStyle
}

// wrap splits p into lines that fit a box w millimetres wide at size
// points, less the cell padding on each side. Each "\n" starts a new line,
// and empty text gives one empty line so that it still takes up space.
func (r *renderer) wrap(p para, size, w float64) []line {
	r.setStyle(p.style, size)
	texts := r.splitText(clean(p.text), w)
	lines := make([]line, len(texts))
	for i, t := range texts {
		lines[i] = line{text: t, style: p.style}
	}
	return lines
}

// wrapAll wraps several paragraphs into one column of lines.
func (r *renderer) wrapAll(paras []para, size, w float64) []line {
	var lines []line
	for _, p := range paras {
		lines = append(lines, r.wrap(p, size, w)...)
	}
	return lines
}

// splitText breaks text into lines no wider than w less the cell padding,
// in the current font, breaking at spaces and inside words only when a
// word is wider than a line. It returns at least one line.
//
// It replaces the library's SplitText, which adds the width table's 65535
// marker for a zero-width glyph (a combining accent, as in a decomposed
// "José") as if it were a real width, and so breaks lines inside names.
func (r *renderer) splitText(text string, w float64) []string {
	_, size := r.pdf.GetFontSize()
	maxWidth := (w - 2*cellPadX) * 1000 / size
	var lines []string
	for _, p := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		lines = append(lines, r.splitParagraph(p, maxWidth)...)
	}
	return lines
}

// splitParagraph breaks one paragraph greedily. maxWidth is in thousandths
// of the font size, as textWidth measures.
func (r *renderer) splitParagraph(p string, maxWidth float64) []string {
	words := strings.Fields(p)
	if len(words) == 0 {
		return []string{""}
	}
	space := r.textWidth(" ")
	var lines []string
	var cur strings.Builder
	curWidth := 0.0
	for _, word := range words {
		ww := r.textWidth(word)
		if cur.Len() > 0 && curWidth+space+ww <= maxWidth {
			cur.WriteByte(' ')
			cur.WriteString(word)
			curWidth += space + ww
			continue
		}
		if cur.Len() > 0 {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		// A word wider than a line is cut between runes.
		for ww > maxWidth {
			head := r.fitPrefix(word, maxWidth)
			lines = append(lines, head)
			word = word[len(head):]
			ww = r.textWidth(word)
		}
		cur.WriteString(word)
		curWidth = ww
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// fitPrefix returns the longest prefix of word no wider than maxWidth,
// and at least its first rune so that cutting always advances.
func (r *renderer) fitPrefix(word string, maxWidth float64) string {
	end := 0
	width := 0.0
	for i, c := range word {
		width += r.textWidth(string(c))
		if width > maxWidth && end > 0 {
			break
		}
		end = i + utf8.RuneLen(c)
	}
	return word[:end]
}

// textWidth returns the width of s in the current font, in thousandths of
// the font size, counting zero-width glyphs as zero.
func (r *renderer) textWidth(s string) float64 {
	return float64(r.pdf.GetStringSymbolWidth(s))
}
