package pdf_test

import (
	"strings"
	"testing"

	"github.com/planledger/planledger/pdf"
)

// longestPath is as long as an accessible path gets: a UUID, an instant
// to the nanosecond, basis=recorded and a four-digit version.
const longestPath = "/v1/plans/0191a2b3-c4d5-7e6f-8a9b-0c1d2e3f4a5b/html?as_of=2018-07-01T03:59:59.999999999Z&basis=recorded&version=1234"

func TestRenderAccessiblePath(t *testing.T) {
	doc := sipDocument(sipPlan())
	doc.AccessiblePath = longestPath
	path, _ := renderFile(t, "sip-accessible", doc)
	cover := pageText(t, path, 1)
	if !strings.Contains(cover, pdf.AccessibleLabel+"\n"+longestPath+"\n") {
		t.Errorf("the cover does not print %q whole on the line under its label:\n%s", longestPath, cover)
	}
}

func TestRenderAccessiblePathOmitted(t *testing.T) {
	path, _ := renderFile(t, "sip-no-accessible", sipDocument(sipPlan()))
	if got := text(t, path); strings.Contains(got, pdf.AccessibleLabel) {
		t.Errorf("a document without AccessiblePath prints %q", pdf.AccessibleLabel)
	}
}

func TestContentOfFollowsPrintOrder(t *testing.T) {
	doc := dipDocument()
	c := pdf.ContentOf(doc)
	if c.KindName != "District Improvement Plan" || c.Title.Text != doc.Plan.Title {
		t.Errorf("content starts %q %q, want the kind and the plan title", c.KindName, c.Title.Text)
	}
	if len(c.Sections) != len(doc.Plan.Sections) {
		t.Fatalf("content has %d sections, want %d", len(c.Sections), len(doc.Plan.Sections))
	}
	for i, s := range doc.Plan.Sections {
		if c.Sections[i].Heading != s.Heading {
			t.Errorf("section %d heading %q, want %q", i, c.Sections[i].Heading, s.Heading)
		}
		if s.Text == "" && (c.Sections[i].Text.Text != "Not yet written." || !c.Sections[i].Text.Muted) {
			t.Errorf("blank section %s reads %+v, want the grey placeholder", s.Key, c.Sections[i].Text)
		}
	}
	if c.Table.Heading != "Strategic objectives" || len(c.Table.Rows) != len(doc.Plan.Objectives) {
		t.Errorf("table %q has %d rows, want Strategic objectives with %d", c.Table.Heading, len(c.Table.Rows), len(doc.Plan.Objectives))
	}
	if len(c.Objectives) != len(doc.Plan.Objectives) {
		t.Fatalf("content details %d objectives, want %d", len(c.Objectives), len(doc.Plan.Objectives))
	}
	first := c.Objectives[0]
	if first.Heading != "Objective 1: "+literacyTitle || first.Outcomes.Note == "" {
		t.Errorf("first objective %q has outcomes note %q, want its heading and the illustrative note", first.Heading, first.Outcomes.Note)
	}
	if !strings.HasPrefix(c.AsOfLine, "As of 2018-03-01T00:00:00Z (recorded time)") {
		t.Errorf("as-of line %q does not match the footer's", c.AsOfLine)
	}
}
