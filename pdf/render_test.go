package pdf_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/pdf"
)

const (
	illustrativeNote = "† marks a target written for the bundled sample data, not taken from the source plan."
	goalsHeader      = "Actions: owner, timeline"
	// Page geometry in points, as pdftotext -bbox reports it: the top
	// margin is 18 mm and the bottom margin 20 mm of a 279.4 mm page.
	topMarginPt    = 18 * 72 / 25.4
	bodyLimitPt    = (279.4 - 20) * 72 / 25.4
	sipRunningHead = "Newburyport High · School Improvement Plan · 2017-18"
	dipRunningHead = "Newburyport Public Schools · District Improvement Plan · 2015-16 to 2017-18"
)

// flat joins the words of extracted text with single spaces, so that text
// wrapped inside a table cell can be matched as one phrase.
func flat(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// footer returns the footer text of page n of total for a document.
func footer(n, total int, basis string, seq uint64) string {
	return fmt.Sprintf("Page %d of %d As of 2018-03-01T00:00:00Z (%s time) · last event sequence %d", n, total, basis, seq)
}

func TestRenderSIPContent(t *testing.T) {
	path, _ := renderFile(t, "sip", sipDocument(sipPlan()))
	got := flat(text(t, path))
	for _, want := range []string{
		"School Improvement Plan",
		"Newburyport High School Improvement Plan 2017–18",
		schoolName,
		schoolCode,
		districtName,
		districtCode,
		"2017-18",
		"Level 2 — Not meeting gap narrowing goals, effective 2017-09-29",
		"603 CMR 2.03(5)(b); M.G.L. c.69 s.1I and c.71 s.59C",
		"Goals follow the school council's published plan",
		"Raise ELA achievement for students with disabilities",
		accentedName,
		enDashText,
		"Not yet written.",
		"48% → 58% †",
		"no baseline → 100%",
		"1. " + literacyTitle,
		"2. Strengthen social-emotional learning and school climate",
		illustrativeNote,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("SIP text lacks %q", want)
		}
	}
	if n := strings.Count(got, "cites none"); n != 1 {
		t.Errorf("SIP text has %d \"cites none\", want 1 for the goal %q", n, uncitedGoal)
	}
	if i, j := strings.Index(got, uncitedGoal), strings.Index(got, "cites none"); i < 0 || j < i {
		t.Errorf("\"cites none\" (at %d) does not follow the uncited goal (at %d)", j, i)
	}
}

func TestRenderDIPContent(t *testing.T) {
	path, _ := renderFile(t, "dip", dipDocument())
	got := flat(text(t, path))
	for _, want := range []string{
		"District Improvement Plan",
		"Newburyport Public Schools District Improvement Plan, 2015–2018",
		districtCode,
		"2015-16 to 2017-18",
		"No level on record",
		"603 CMR 2.03(5); M.G.L. c.69 s.1I",
		"Strategic objectives",
		// Standard names as domain.StandardName gives them. pdftotext can
		// interleave the lines of cells that wrap side by side, so these
		// are names, or first lines of names, that fit on one line.
		"Student support",
		"Financial and asset",
		"Objective 1: " + literacyTitle,
		enDashText,
		"70% by 2018 †",
		illustrativeNote,
		"No initiatives recorded.",
		"As of 2018-03-01T00:00:00Z (recorded time) · last event sequence 19",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("DIP text lacks %q", want)
		}
	}
	if strings.Contains(got, "c.71 s.59C") {
		t.Error("DIP text carries the SIP statutory basis")
	}
	if strings.Contains(got, "Aligned district plan") {
		t.Error("DIP cover names an aligned district plan")
	}
}

func TestRenderManyGoalsPaginates(t *testing.T) {
	doc := sipDocument(manyGoals(sipPlan(), 57))
	if n := len(doc.Plan.Goals); n != 60 {
		t.Fatalf("fixture has %d goals, want 60", n)
	}
	path, _ := renderFile(t, "sip-60-goals", doc)
	pages := pageCount(t, path)
	if pages <= 1 {
		t.Fatalf("pdfinfo reports %d pages for 60 goals, want more than 1", pages)
	}
	if n := strings.Count(text(t, path), "\f"); n != pages {
		t.Errorf("pdftotext finds %d pages, pdfinfo %d", n, pages)
	}

	firstGoalPage := 0
	for n := 1; n <= pages; n++ {
		page := pageText(t, path, n)
		if want := fmt.Sprintf("Page %d of %d", n, pages); !strings.Contains(page, want) {
			t.Errorf("page %d lacks %q", n, want)
		}
		if firstGoalPage == 0 && strings.Contains(flat(page), "Raise ELA achievement for students with disabilities") {
			firstGoalPage = n
		}
		if firstGoalPage == 0 {
			continue
		}
		// Every page from the first goal on is inside the goals table.
		if c := strings.Count(page, goalsHeader); c != 1 {
			t.Errorf("page %d has the goals header row %d times, want 1", n, c)
		}
	}
	if firstGoalPage == 0 {
		t.Fatal("no page holds the first goal")
	}
	if firstGoalPage == pages {
		t.Errorf("the goals table starts on the last page %d; 60 goals should span pages", pages)
	}
	last := flat(pageText(t, path, pages))
	for _, want := range []string{"Generated goal 57 for grades 9–12", illustrativeNote} {
		if !strings.Contains(last, want) {
			t.Errorf("last page lacks %q", want)
		}
	}
	checkMargins(t, path, sipRunningHead, "effective", 42)
}

func TestRenderSplitsTallRow(t *testing.T) {
	p := sipPlan()
	for i := range 120 {
		p.Goals[1].Actions = append(p.Goals[1].Actions, domain.Action{
			Text:  fmt.Sprintf("Extra action %03d: meet with each ninth grader's family", i+1),
			Owner: "Grade 9 Counselor", Timeline: "2017-18",
		})
	}

	path, _ := renderFile(t, "sip-tall-row", sipDocument(p))
	pages := pageCount(t, path)
	got := flat(text(t, path))
	for _, want := range []string{"Extra action 001", "Extra action 060", "Extra action 120", uncitedGoal} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q", want)
		}
	}

	// The goal's actions fill more than two pages, so at least two
	// continuation rows start a page under the repeated header.
	continued := 0
	for n := 1; n <= pages; n++ {
		page := pageText(t, path, n)
		if strings.Contains(page, "cont.") {
			continued++
			if !strings.Contains(page, goalsHeader) {
				t.Errorf("page %d continues a row without the header row", n)
			}
		}
	}
	if continued < 2 {
		t.Errorf("%d pages carry a continuation row, want at least 2", continued)
	}
	checkMargins(t, path, sipRunningHead, "effective", 42)
}

// checkMargins asserts that on every page the body stays between the top
// and bottom margins, the footer is exactly "Page N of M" and the as-of
// line, and pages after the cover carry only the running head above the
// top margin.
func checkMargins(t *testing.T, path, runningHead, basis string, seq uint64) {
	t.Helper()
	pages, _ := pageWords(t, path)
	for i, words := range pages {
		n := i + 1
		var head, foot []string
		for _, w := range words {
			switch {
			case w.yMin >= bodyLimitPt:
				foot = append(foot, w.text)
			case w.yMax <= topMarginPt:
				head = append(head, w.text)
			case w.yMin < topMarginPt || w.yMax > bodyLimitPt:
				t.Errorf("page %d: word %q spans %.1f–%.1f pt, outside the body %.1f–%.1f pt",
					n, w.text, w.yMin, w.yMax, topMarginPt, bodyLimitPt)
			}
		}
		if got, want := strings.Join(foot, " "), footer(n, len(pages), basis, seq); got != want {
			t.Errorf("page %d footer = %q, want %q", n, got, want)
		}
		wantHead := runningHead
		if n == 1 {
			wantHead = ""
		}
		if got := strings.Join(head, " "); got != wantHead {
			t.Errorf("page %d running head = %q, want %q", n, got, wantHead)
		}
	}
}

func TestRenderDeterministic(t *testing.T) {
	for name, doc := range map[string]pdf.Document{
		"sip": sipDocument(manyGoals(sipPlan(), 20)),
		"dip": dipDocument(),
	} {
		first, err := pdf.Render(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		second, err := pdf.Render(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(first, second) {
			t.Errorf("%s: two renders of the same document differ (%d and %d bytes)", name, len(first), len(second))
		}
	}
}

func TestRenderMetadata(t *testing.T) {
	path, _ := renderFile(t, "sip-metadata", sipDocument(sipPlan()))
	fields := info(t, path)
	for key, want := range map[string]string{
		"Title":        "Newburyport High School Improvement Plan 2017–18",
		"Author":       schoolName,
		"Subject":      "School Improvement Plan 2017-18 for Newburyport High (02040505)",
		"Producer":     producer,
		"CreationDate": "2018-02-27T15:04:05Z",
		"ModDate":      "2018-02-27T15:04:05Z",
		"Page size":    "612 x 792 pts (letter)",
	} {
		if got := fields[key]; got != want {
			t.Errorf("pdfinfo %s = %q, want %q", key, got, want)
		}
	}

	// Both DejaVu faces must be embedded with a Unicode map, or accented
	// names would depend on the reader's fonts or extract wrongly.
	rows := strings.Split(strings.TrimSpace(run(t, "pdffonts", path)), "\n")
	if len(rows) != 4 {
		t.Fatalf("pdffonts lists %d fonts, want 2:\n%s", len(rows)-2, strings.Join(rows, "\n"))
	}
	for _, row := range rows[2:] {
		f := strings.Fields(row)
		if len(f) < 7 || f[len(f)-5] != "yes" || f[len(f)-3] != "yes" {
			t.Errorf("font not embedded with a Unicode map: %s", row)
		}
	}
}

func TestRenderTextEdgeCases(t *testing.T) {
	p := sipPlan()
	p.Sections[1].Text = "Seats: {nb} reserved.\tTabbed. Decomposed: Jose\u0301 Nu\u0301n\u0303ez. Emoji: 😀."
	path, _ := renderFile(t, "sip-edge-text", sipDocument(p))
	got := text(t, path)
	if !strings.Contains(got, "Seats: {nb} reserved.") {
		t.Errorf("literal {nb} in plan text was not printed as written:\n%s", got)
	}
	if !strings.Contains(flat(got), "Jose\u0301 Nu\u0301n\u0303ez") {
		t.Error("decomposed accented name was broken apart or lost")
	}
	if !strings.Contains(got, "Emoji: \uFFFD.") {
		t.Error("a rune beyond U+FFFF was not replaced by U+FFFD")
	}
	if !strings.Contains(got, "reserved. Tabbed.") {
		t.Error("tab was not printed as a space")
	}
}

func TestRenderRejectsInvalidDocument(t *testing.T) {
	for name, mutate := range map[string]func(*pdf.Document){
		"unknown kind":  func(d *pdf.Document) { d.Plan.Kind = "plan" },
		"unknown basis": func(d *pdf.Document) { d.AsOfBasis = "now" },
		"zero recorded": func(d *pdf.Document) { d.LastRecordedAt = time.Time{} },
	} {
		doc := sipDocument(sipPlan())
		mutate(&doc)
		if b, err := pdf.Render(doc); err == nil {
			t.Errorf("%s: Render returned %d bytes and no error", name, len(b))
		}
	}
}

func BenchmarkRenderSIP(b *testing.B) {
	doc := sipDocument(manyGoals(sipPlan(), 57))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pdf.Render(doc); err != nil {
			b.Fatal(err)
		}
	}
}
