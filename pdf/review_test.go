package pdf_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/pdf"
)

// holyokeReview is a Level 4 review of Holyoke with illustrative findings:
// the district and its level are real, the findings are written for the
// test.
func holyokeReview() pdf.ReviewDocument {
	onSite := domain.DateRange{Start: "2014-01-27", End: "2014-01-30"}
	return pdf.ReviewDocument{
		Review: domain.Review{
			ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7", DistrictCode: "01370000", Type: domain.ReviewLevel4,
			Status:           domain.ReviewStatusIssued,
			DistrictLevel:    &domain.DistrictLevel{Level: 4, EffectiveAt: time.Date(2013, 9, 30, 4, 0, 0, 0, time.UTC)},
			PlannedDocReview: domain.DateRange{Start: "2014-01-06", End: "2014-01-07"},
			PlannedOnSite:    onSite, OnSite: &onSite,
			Evidence: &domain.EvidenceSources{DocumentsReviewed: 64, DARTData: true, ClassroomObservations: 71,
				Interviews: []domain.GroupCount{{Group: "school_committee", Count: 1}}},
			Findings: []domain.Finding{
				{ID: "f-challenge", Standard: "assessment", Polarity: domain.PolarityChallenge, Summary: "Data use varies among schools",
					Evidence: "Teacher focus groups", Citations: domain.Citations{Standards: []string{"assessment", "curriculum_instruction"}}},
				{ID: "f-strength", Standard: "leadership_governance", Polarity: domain.PolarityStrength, Summary: "Leaders share one plan",
					Evidence: "Interviews with district leaders", Citations: domain.Citations{Standards: []string{"leadership_governance"}}},
			},
			Recommendations: []domain.Recommendation{{ID: "r-1", Standard: "assessment", FindingIDs: []string{"f-challenge"},
				Statement: "Hold common data meetings in every school", Citations: domain.Citations{Standards: []string{"assessment"}}}},
			FactualAccuracy: []domain.FactualAccuracyRound{{Sequence: 6, Comments: []domain.DistrictComment{
				{FindingID: "f-challenge", Text: "Two schools already meet monthly"}}, SubmittedOn: "2014-03-10"}},
			Report:      &domain.ReviewReport{PublishedOn: "2014-04-01"},
			Corrections: []domain.ReportCorrection{{Sequence: 9, RecordedAt: time.Date(2014, 4, 10, 15, 0, 0, 0, time.UTC), Reason: "Wording", FindingID: "f-challenge"}},
		},
		DistrictName: "Holyoke", AsOf: time.Date(2014, 5, 1, 3, 59, 59, 999999999, time.UTC), AsOfBasis: "effective",
		LastSequence: 9, Version: 9, LastRecordedAt: time.Date(2014, 4, 10, 15, 0, 0, 0, time.UTC), Producer: "planledger test",
	}
}

func renderReviewFile(t *testing.T, name string, doc pdf.ReviewDocument) (string, []byte) {
	t.Helper()
	b, err := pdf.RenderReview(doc)
	if err != nil {
		t.Fatalf("RenderReview(%s): %v", name, err)
	}
	path := filepath.Join(t.TempDir(), name+".pdf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if *outDir != "" {
		if err := os.WriteFile(filepath.Join(*outDir, name+".pdf"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path, b
}

// inOrder fails unless each string appears in text after the previous one.
func inOrder(t *testing.T, text string, want ...string) {
	t.Helper()
	pos := 0
	for _, w := range want {
		i := strings.Index(text[pos:], w)
		if i < 0 {
			t.Fatalf("%q not found after position %d of the text:\n%s", w, pos, text)
		}
		pos += i + len(w)
	}
}

func TestRenderReviewSections(t *testing.T) {
	path, first := renderReviewFile(t, "holyoke-review", holyokeReview())
	_, second := renderReviewFile(t, "holyoke-review-again", holyokeReview())
	if !bytes.Equal(first, second) {
		t.Errorf("two renders of the same review differ")
	}

	txt := text(t, path)
	inOrder(t, txt, "District Review Report", "Holyoke: Level 4 district review",
		"Status", "Issued report", "District level when", "Level 4, effective 2013-09-30",
		"On-site visit", "2014-01-27 to 2014-01-30 (held)", "Evidence", "64 documents reviewed", "school committee 1",
		"Published 2014-04-01", "603 CMR 2.03(2)")
	inOrder(t, txt,
		"Leadership and governance", "Strengths", "Finding 1. Leaders share one plan", "Challenges", "None recorded.",
		"Curriculum and instruction",
		"Assessment", "Strengths", "None recorded.", "Challenges", "Finding 2. Data use varies among schools",
		"Citations: also cites Curriculum and instruction", "Recommendations", "Recommendation 1",
		"Hold common data meetings in every school", "Rests on: Finding 2",
		"Human resources and professional development", "Student support", "Financial and asset management",
		"District factual-accuracy review", "submitted 2014-03-10", "On finding 2: Two schools already meet monthly",
		"Corrections after issue", "2014-04-10: corrected finding 2. Wording")
	if regexp.MustCompile(`(?i)\brating\b|\bscore\b`).MatchString(txt) {
		t.Errorf("the report prints a rating or score; reviews rate no standard")
	}
	if got := info(t, path)["Title"]; got != "Holyoke: Level 4 district review" {
		t.Errorf("title = %q", got)
	}
	if !strings.Contains(pageText(t, path, pageCount(t, path)), "review version 9") {
		t.Errorf("last page footer does not state the review version")
	}
}

func TestRenderReviewDraftAndTargeted(t *testing.T) {
	doc := holyokeReview()
	doc.Review.Type = domain.ReviewTargetedStudentCentered
	doc.Review.Status = domain.ReviewStatusConducted
	doc.Review.Report, doc.Review.Corrections = nil, nil
	path, _ := renderReviewFile(t, "targeted-draft", doc)
	txt := text(t, path)
	inOrder(t, txt, "Draft: the report has not been issued", "Curriculum and instruction", "Assessment", "Student support")
	for _, absent := range []string{"Leadership and governance", "Financial and asset management", "Published"} {
		if strings.Contains(txt, absent) {
			t.Errorf("targeted student-centered draft prints %q", absent)
		}
	}
}

func TestRenderReviewRejectsBadDocument(t *testing.T) {
	doc := holyokeReview()
	doc.LastRecordedAt = time.Time{}
	if _, err := pdf.RenderReview(doc); err == nil || !strings.Contains(err.Error(), "LastRecordedAt") {
		t.Errorf("zero LastRecordedAt: got %v, want an error naming it", err)
	}
	doc = holyokeReview()
	doc.AsOfBasis = "later"
	if _, err := pdf.RenderReview(doc); err == nil || !strings.Contains(err.Error(), "basis") {
		t.Errorf("bad basis: got %v, want an error naming it", err)
	}
}
