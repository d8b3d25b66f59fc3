package pdf_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/importer"
)

const (
	bundledDIPID = "1496d2f4-3f89-4c37-8c47-d3358c42ebf0"
	bundledSIPID = "00e49c23-e3ca-4123-8c9e-023274d897ab" // Edward G. Molin Elementary School, 2016-17
	selfEvalID   = "02040000-2016"
)

// bundledPlans returns the bundled Newburyport plans by id, built from the
// plans file as the importer's events fold them.
func bundledPlans(t *testing.T) map[string]*domain.Plan {
	t.Helper()
	f, err := data.Bundled().Open("ma/plans/newburyport.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bundles, err := importer.ReadPlans(f)
	if err != nil {
		t.Fatalf("read bundled plans: %v", err)
	}
	out := map[string]*domain.Plan{}
	for _, b := range bundles {
		p := &domain.Plan{ID: b.ID, Kind: b.Kind, OrgCode: b.OrgCode, DistrictPlanID: b.DistrictPlanID,
			FirstYear: b.FirstYear, LastYear: b.LastYear, Title: b.Title, Note: b.Note,
			Objectives: b.Objectives, Goals: b.Goals}
		if p.LastYear == 0 {
			p.LastYear = p.FirstYear
		}
		p.Sections = sections(domain.SectionsFor(p.Kind), b.Sections)
		out[p.ID] = p
	}
	return out
}

// columnText extracts the text of every page between two distances from
// the page's left edge, in millimetres, so that cells wrapped side by side
// in other columns do not interleave with it.
func columnText(t *testing.T, path string, fromMM, toMM float64) string {
	t.Helper()
	pt := func(mm float64) string { return fmt.Sprintf("%d", int(mm*72/25.4)) }
	return run(t, "pdftotext", "-enc", "UTF-8", "-x", pt(fromMM), "-y", "0",
		"-W", pt(toMM-fromMM), "-H", "800", path, "-")
}

func TestRenderDIPCitations(t *testing.T) {
	dip := *bundledPlans(t)[bundledDIPID]
	dip.Objectives[1].SelfEvaluations = []domain.SelfEvaluationRef{{ID: selfEvalID, Standard: "student_support"}}
	doc := dipDocument()
	doc.Plan = dip
	path, first := renderFile(t, "dip-citations", doc)

	// The citations column lies between 90 and 128 mm: the left margin of
	// 18 mm, then the 10 mm number and 62 mm objective columns.
	got := flat(columnText(t, path, 90.5, 127.5))
	for _, want := range []string{
		"Standards and conditions (dsi-2013)",
		// The 2013 protocol's name, not the regulation's.
		"Leadership, Governance and Communication Curriculum and instruction Assessment Human resources and professional development",
		"Condition 7. Professional development and structures for collaboration",
		"Student support Human resources and professional development Condition 9. Students' social, emotional, and health needs",
		"Answers self-evaluation " + selfEvalID + ": Student support",
		"Condition 8. Tiered instruction and adequate learning time",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("DIP citations column lacks %q; column text: %s", want, got)
		}
	}
	if strings.Contains(got, "Leadership and governance") {
		t.Error("DIP prints the regulation's name of standard I, not the dsi-2013 name")
	}
	_, second := renderFile(t, "dip-citations-again", doc)
	if string(first) != string(second) {
		t.Error("two renders of the same DIP differ")
	}
}

func TestRenderDIPCitationsLaterVersion(t *testing.T) {
	dip := *bundledPlans(t)[bundledDIPID]
	dip.FirstYear, dip.LastYear = 2019, 2021
	doc := dipDocument()
	doc.Plan = dip
	path, _ := renderFile(t, "dip-citations-2019", doc)
	got := flat(columnText(t, path, 90.5, 127.5))
	if !strings.Contains(got, "Standards and conditions (dsi-2017) ") {
		t.Errorf("2019 DIP column header does not name dsi-2017; column text: %s", got)
	}
	if !strings.Contains(got, "Leadership and governance") {
		t.Errorf("2019 DIP does not print the regulation's name of standard I; column text: %s", got)
	}
}

func TestRenderSIPCitations(t *testing.T) {
	plans := bundledPlans(t)
	doc := sipDocument(*plans[bundledSIPID])
	doc.DistrictPlan = plans[bundledDIPID]
	path, _ := renderFile(t, "sip-citations", doc)
	got := flat(text(t, path))
	for _, want := range []string{
		"Standards: Assessment Conditions: 5. Student assessment",
		"Standards: Student support Conditions: 9. Students' social, emotional, and health needs",
		"Conditions: 10. Family-school engagement",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("SIP text lacks %q", want)
		}
	}
	if n := strings.Count(got, "Standards: "); n != 2 {
		t.Errorf("SIP text has %d \"Standards:\" lines, want 2: the families goal cites conditions only", n)
	}
}
