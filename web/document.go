package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"

	"github.com/planledger/planledger/pdf"
)

// documentPage is the accessible HTML version of a printed plan.
type documentPage struct {
	Content pdf.Content
	PDFHref string
}

// CSS returns the embedded stylesheet for the style element.
func (documentPage) CSS() template.CSS { return template.CSS(styleSheet) }

// RenderDocument renders doc as a standalone accessible HTML document with
// the PDF's content in the PDF's order. pdfHref links the PDF of the same
// view. Serve it with the headers SetHeaders sets, whose policy allows its
// stylesheet.
func RenderDocument(doc pdf.Document, pdfHref string) ([]byte, error) {
	var buf bytes.Buffer
	page := documentPage{Content: pdf.ContentOf(doc), PDFHref: pdfHref}
	if err := pages["document"].ExecuteTemplate(&buf, "document", page); err != nil {
		return nil, fmt.Errorf("render accessible document of plan %s: %w", doc.Plan.ID, err)
	}
	return buf.Bytes(), nil
}

// SetHeaders sets the content type and security headers of an HTML
// response from this package.
func SetHeaders(w http.ResponseWriter) { setSecurityHeaders(w) }
