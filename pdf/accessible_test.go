package pdf_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"

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

// bodyText returns a PDF's text with the running head and footer lines of
// every page removed, and runs of whitespace as one space.
func bodyText(t *testing.T, path, runningHead string) string {
	t.Helper()
	footer := regexp.MustCompile(`^(Page \d+ of \d+|As of \S+ \((effective|recorded) time\) · last event sequence \d+)`)
	var bodyLines []string
	for _, line := range strings.Split(text(t, path), "\n") {
		line = strings.TrimSpace(line)
		if line == runningHead || footer.MatchString(line) {
			continue
		}
		bodyLines = append(bodyLines, line)
	}
	return flat(strings.Join(bodyLines, "\n"))
}

// partStart is the text a part starts with in the PDF: its heading and
// what follows it, so that a heading word found earlier in the text cannot
// match.
func partStart(p pdf.Part) string {
	h := flat(p.Heading)
	switch {
	case len(p.Text) > 0:
		return h + " " + flat(p.Text[0].Text)
	case p.Table != nil:
		return h + " " + p.Table.Columns[0]
	}
	return h
}

// checkParts checks that the PDF text got has content's parts in order,
// each paragraph whole within its part, and each word of each table cell
// within its part. pdftotext reads a table's cells in an order of its own,
// so cells are checked word by word, not for their order.
func checkParts(t *testing.T, got string, content pdf.Content) {
	t.Helper()
	starts := make([]int, len(content.Parts))
	pos := 0
	for i, p := range content.Parts {
		at := strings.Index(got[pos:], partStart(p))
		if at < 0 {
			t.Fatalf("the PDF lacks part %q after position %d", partStart(p), pos)
		}
		starts[i] = pos + at
		pos += at + len(p.Heading)
	}
	for i, p := range content.Parts {
		end := len(got)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		segment := got[starts[i]:end]
		for _, text := range p.Text {
			if !strings.Contains(segment, flat(text.Text)) {
				t.Errorf("part %q lacks the paragraph %q", p.Heading, text.Text)
			}
		}
		if p.Table == nil {
			continue
		}
		// A word wider than its column is cut across lines, so words are
		// looked up in the part's text without its whitespace.
		packed := strings.Join(strings.Fields(segment), "")
		var want []string
		want = append(want, p.Table.Columns...)
		for _, row := range p.Table.Rows {
			for _, cell := range row {
				for _, text := range cell {
					want = append(want, text.Text)
				}
			}
		}
		for _, text := range want {
			for _, w := range strings.Fields(text) {
				if !strings.Contains(packed, w) {
					t.Errorf("part %q lacks the table word %q of %q", p.Heading, w, text)
				}
			}
		}
		if p.Table.Note != "" && !strings.Contains(segment, flat(p.Table.Note)) {
			t.Errorf("part %q lacks the table note %q", p.Heading, p.Table.Note)
		}
	}
}

// TestContentOfFollowsPrintOrder checks that ContentOf gives a DIP with
// citations and an SIP with a workflow trail in the order the PDF prints
// them.
func TestContentOfFollowsPrintOrder(t *testing.T) {
	plans := bundledPlans(t)
	dip := dipDocument()
	dip.Plan = *plans[bundledDIPID]
	sip := sipPlan()
	sip.Status, sip.Revision = domain.StatusSubmitted, 1
	sip.Workflow = []domain.WorkflowStep{
		{Type: domain.TypePlanCouncilConsulted, From: domain.StatusDraft, To: domain.StatusCouncilConsulted, Revision: 1, Sequence: 5,
			Actor: "council@example.org", EffectiveAt: time.Date(2017, 5, 1, 4, 0, 0, 0, time.UTC), Date: "2017-05-01"},
		{Type: domain.TypePlanSubmitted, From: domain.StatusCouncilConsulted, To: domain.StatusSubmitted, Revision: 1, Sequence: 6,
			Actor: "principal@example.org", EffectiveAt: time.Date(2017, 5, 2, 4, 0, 0, 0, time.UTC)},
	}
	for _, c := range []struct {
		name, runningHead string
		doc               pdf.Document
		levels            map[int]bool
	}{
		{"dip", "Newburyport Public Schools · District Improvement Plan · 2015-16 to 2017-18", dip, map[int]bool{1: true, 2: true, 3: true}},
		{"sip", sipRunningHead, sipDocument(sip), map[int]bool{1: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			content := pdf.ContentOf(c.doc)
			path, _ := renderFile(t, c.name+"-content", c.doc)
			got := bodyText(t, path, c.runningHead)
			if !strings.HasPrefix(got, flat(content.KindName+" "+c.doc.Plan.Title)) {
				t.Errorf("the PDF does not start with the kind and title: %.100s", got)
			}
			checkParts(t, got, content)

			// The other way round: every word the PDF prints is in the
			// content, so no printed part is missing from it.
			all := []string{content.KindName, content.Title.Text, pdf.AccessibleLabel, content.AccessiblePath}
			for _, f := range content.Facts {
				all = append(all, f.Label)
				for _, v := range f.Value {
					all = append(all, v.Text)
				}
			}
			for _, p := range content.Parts {
				all = append(all, p.Heading)
				for _, text := range p.Text {
					all = append(all, text.Text)
				}
				if p.Table != nil {
					all = append(all, p.Table.Note)
					all = append(all, p.Table.Columns...)
					for _, row := range p.Table.Rows {
						for _, cell := range row {
							for _, text := range cell {
								all = append(all, text.Text)
							}
						}
					}
				}
			}
			packed := strings.Join(strings.Fields(strings.Join(all, " ")), "")
			for _, w := range strings.Fields(got) {
				if w != "cont." && !strings.Contains(packed, w) {
					t.Errorf("the PDF prints %q, which the content lacks", w)
				}
			}
			levels := map[int]bool{}
			tables := 0
			for _, p := range content.Parts {
				levels[p.Level] = true
				if p.Table != nil {
					tables++
				}
			}
			for level := range c.levels {
				if !levels[level] {
					t.Errorf("no part has heading level %d", level)
				}
			}
			if tables < 2 {
				t.Errorf("content has %d tables, want the status page's and the plan's", tables)
			}
		})
	}
}
