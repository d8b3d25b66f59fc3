package pdf

// sizePath is the type size of the accessible version's path. The path has
// no spaces to wrap at, and at this size the longest one planledger builds
// (a UUID, a nanosecond instant, basis=recorded and a four-digit version,
// about 116 characters) fits the content width. A longer one is cut
// between characters.
const sizePath = 7.5

// accessibleLine prints the accessible version's path under the cover's
// facts, with its label on the line above.
func (r *renderer) accessibleLine() {
	if r.doc.AccessiblePath == "" {
		return
	}
	r.pdf.SetY(r.pdf.GetY() + 4)
	r.paragraph(AccessibleLabel+"\n"+r.doc.AccessiblePath, styleRegular, sizePath)
}
