package domain_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

const (
	reviewID     = "0190e0c0-0000-7000-8000-0000000000c1"
	otherReview  = "0190e0c0-0000-7000-8000-0000000000c2"
	findingAID   = "0190e0c0-0000-7000-8000-0000000000d1"
	findingBID   = "0190e0c0-0000-7000-8000-0000000000d2"
	recommendAID = "0190e0c0-0000-7000-8000-0000000000e1"
)

// reviewLookup is a fakeLookup that also serves reviews.
type reviewLookup struct {
	*fakeLookup
	reviews []*domain.Review
}

func (l *reviewLookup) Review(id string) (*domain.Review, bool) {
	for _, r := range l.reviews {
		if r.ID == id {
			return r, true
		}
	}
	return nil, false
}

func (l *reviewLookup) ReviewsFor(code string) []*domain.Review {
	var out []*domain.Review
	for _, r := range l.reviews {
		if r.DistrictCode == code {
			out = append(out, r)
		}
	}
	return out
}

// fold applies drafts to a review the way their stored events will be.
func fold(t *testing.T, r *domain.Review, drafts ...domain.Draft) *domain.Review {
	t.Helper()
	for _, d := range drafts {
		payload, err := json.Marshal(d.Payload)
		if err != nil {
			t.Fatalf("encode %s: %v", d.Type, err)
		}
		e := domain.Event{ID: "e", Type: d.Type, SchemaVersion: domain.SchemaVersionOf(d.Type), AggregateID: r.ID,
			RecordedAt: time.Date(2016, 11, 1, 0, 0, 0, 0, time.UTC), Payload: payload}
		if err := r.Apply(e); err != nil {
			t.Fatalf("apply %s: %v", d.Type, err)
		}
	}
	return r
}

// must returns a function that fails the test on a decision's error and
// otherwise returns its draft, so must(t)(domain.DecideX(...)) reads as one
// call.
func must(t *testing.T) func(domain.Draft, error) domain.Draft {
	return func(d domain.Draft, err error) domain.Draft {
		t.Helper()
		if err != nil {
			t.Fatalf("decide: %v", err)
		}
		return d
	}
}

func standardReview(id string, onSite domain.DateRange) domain.ScheduleReview {
	return domain.ScheduleReview{ID: id, DistrictCode: districtCode, Type: domain.ReviewStandard,
		DocumentReview: domain.DateRange{Start: onSite.Start, End: onSite.Start}, OnSite: onSite}
}

// scheduled returns a standard review of districtCode scheduled for
// October 2016.
func scheduled(t *testing.T, look *reviewLookup) *domain.Review {
	t.Helper()
	c := standardReview(reviewID, domain.DateRange{Start: "2016-10-17", End: "2016-10-20"})
	c.DocumentReview = domain.DateRange{Start: "2016-10-03", End: "2016-10-04"}
	return fold(t, &domain.Review{}, must(t)(domain.DecideScheduleReview(c, look, look, nil)))
}

// conducted returns the scheduled review after its visit, with one strength
// and one challenge finding and a recommendation on the challenge.
func conducted(t *testing.T, look *reviewLookup) *domain.Review {
	t.Helper()
	r := scheduled(t, look)
	fold(t, r, must(t)(domain.DecideConductReview(r, domain.ConductReview{
		OnSite:   domain.DateRange{Start: "2016-10-17", End: "2016-10-20"},
		Evidence: domain.EvidenceSources{DocumentsReviewed: 40, ClassroomObservations: 52},
	}, "2016-10-21")))
	fold(t, r, must(t)(domain.DecideAddFinding(r, domain.Finding{ID: findingAID, Standard: "leadership_governance",
		Polarity: domain.PolarityStrength, Summary: "Leaders share a plan", Evidence: "Interviews"})))
	fold(t, r, must(t)(domain.DecideAddFinding(r, domain.Finding{ID: findingBID, Standard: "assessment",
		Polarity: domain.PolarityChallenge, Summary: "Data use varies", Evidence: "Focus groups"})))
	fold(t, r, must(t)(domain.DecideAddRecommendation(r, domain.Recommendation{ID: recommendAID, Standard: "assessment",
		FindingIDs: []string{findingBID}, Statement: "Set common data cycles"})))
	return r
}

func newReviewLookup() *reviewLookup { return &reviewLookup{fakeLookup: newLookup()} }

func TestScheduleReviewNineMonthRule(t *testing.T) {
	look := newReviewLookup()
	look.reviews = append(look.reviews, scheduled(t, look))

	soon := standardReview(otherReview, domain.DateRange{Start: "2017-07-10", End: "2017-07-13"})
	_, err := domain.DecideScheduleReview(soon, look, look, nil)
	checkError(t, err, domain.EConflict, "on_site")

	before := standardReview(otherReview, domain.DateRange{Start: "2016-01-25", End: "2016-01-28"})
	_, err = domain.DecideScheduleReview(before, look, look, nil)
	checkError(t, err, domain.EConflict, "on_site")

	later := standardReview(otherReview, domain.DateRange{Start: "2017-07-21", End: "2017-07-24"})
	if _, err := domain.DecideScheduleReview(later, look, look, nil); err != nil {
		t.Errorf("visit 9 months and a day after the last one: %v", err)
	}

	soon.EmergencyException = &domain.EmergencyException{BoardVoteDate: "2017-06-27", Reason: "Fiscal emergency"}
	if _, err := domain.DecideScheduleReview(soon, look, look, nil); err != nil {
		t.Errorf("with the Board's emergency exception: %v", err)
	}
	soon.EmergencyException.Reason = " "
	_, err = domain.DecideScheduleReview(soon, look, look, nil)
	checkError(t, err, domain.EInvalid, "emergency_exception/reason")

	targeted := standardReview(otherReview, domain.DateRange{Start: "2017-01-09", End: "2017-01-11"})
	targeted.Type = domain.ReviewTargetedGovernance
	if _, err := domain.DecideScheduleReview(targeted, look, look, nil); err != nil {
		t.Errorf("targeted review is not comprehensive, so the rule does not apply: %v", err)
	}

	fold(t, look.reviews[0], must(t)(domain.DecideCancelReview(look.reviews[0], "District asked to postpone")))
	soon.EmergencyException = nil
	if _, err := domain.DecideScheduleReview(soon, look, look, nil); err != nil {
		t.Errorf("a cancelled review does not count: %v", err)
	}
}

func TestScheduleReviewRejectsBadInput(t *testing.T) {
	look := newReviewLookup()
	look.reviews = append(look.reviews, scheduled(t, look))
	level3 := &domain.DistrictLevel{Level: 3, EffectiveAt: time.Date(2016, 9, 30, 4, 0, 0, 0, time.UTC)}
	cases := []struct {
		name  string
		edit  func(c *domain.ScheduleReview)
		level *domain.DistrictLevel
		code  string
		field string
	}{
		{"existing id", func(c *domain.ScheduleReview) { c.ID = reviewID }, nil, domain.EConflict, "id"},
		{"school", func(c *domain.ScheduleReview) { c.DistrictCode = schoolCode }, nil, domain.EInvalid, "district_code"},
		{"unknown district", func(c *domain.ScheduleReview) { c.DistrictCode = "09990000" }, nil, domain.ENotFound, "district_code"},
		{"bad type", func(c *domain.ScheduleReview) { c.Type = "audit" }, nil, domain.EInvalid, "type"},
		{"level mismatch", func(c *domain.ScheduleReview) { c.Type = domain.ReviewLevel4 }, level3, domain.EInvalid, "type"},
		{"end before start", func(c *domain.ScheduleReview) { c.OnSite.End = "2018-01-01" }, nil, domain.EInvalid, "on_site/end"},
		{"bad date", func(c *domain.ScheduleReview) { c.OnSite.Start = "2018-13-01" }, nil, domain.EInvalid, "on_site/start"},
		{"documents after visit", func(c *domain.ScheduleReview) {
			c.DocumentReview = domain.DateRange{Start: "2018-02-01", End: "2018-02-02"}
		}, nil, domain.EInvalid, "document_review/start"},
		{"testing window", func(c *domain.ScheduleReview) {
			c.DistrictCode = otherDistrictCode
			c.DocumentReview = domain.DateRange{Start: "2017-04-03", End: "2017-04-04"}
			c.OnSite = domain.DateRange{Start: "2017-05-22", End: "2017-05-25"}
		}, nil, domain.EInvalid, "on_site"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := standardReview(otherReview, domain.DateRange{Start: "2018-01-08", End: "2018-01-11"})
			tc.edit(&c)
			_, err := domain.DecideScheduleReview(c, look, look, tc.level)
			checkError(t, err, tc.code, tc.field)
		})
	}
	c := standardReview(otherReview, domain.DateRange{Start: "2018-01-08", End: "2018-01-11"})
	c.Type = domain.ReviewLevel3
	if _, err := domain.DecideScheduleReview(c, look, look, level3); err != nil {
		t.Errorf("level 3 review of a level 3 district: %v", err)
	}
}

// Each step outside its place in the lifecycle fails on the status field.
func TestReviewStateMachine(t *testing.T) {
	look := newReviewLookup()
	finding := domain.Finding{Standard: "assessment", Polarity: domain.PolarityChallenge, Summary: "s", Evidence: "e"}
	report := domain.ReviewReport{PublishedOn: "2017-02-01"}

	r := scheduled(t, look)
	_, err := domain.DecideAddFinding(r, finding)
	checkError(t, err, domain.EInvalid, "status")
	_, err = domain.DecideIssueReport(r, report, "2017-03-01")
	checkError(t, err, domain.EInvalid, "status")

	r = conducted(t, look)
	_, err = domain.DecideConductReview(r, domain.ConductReview{OnSite: *r.OnSite}, "2016-11-01")
	checkError(t, err, domain.EInvalid, "status")
	_, err = domain.DecideCorrectReport(r, domain.ReviewReportCorrected{Reason: "typo", Finding: &r.Findings[0]})
	checkError(t, err, domain.EInvalid, "status")
	_, err = domain.DecideIssueReport(r, report, "2017-03-01")
	checkError(t, err, domain.EInvalid, "factual_accuracy_note")

	fold(t, r, must(t)(domain.DecideFactualAccuracy(r, domain.FactualAccuracyCommented{
		Comments: []domain.DistrictComment{{FindingID: findingBID, Text: "Two schools hold monthly data meetings"}}})))
	_, err = domain.DecideIssueReport(r, domain.ReviewReport{PublishedOn: "2016-10-19"}, "2017-03-01")
	checkError(t, err, domain.EInvalid, "published_on")
	_, err = domain.DecideIssueReport(r, domain.ReviewReport{PublishedOn: "2017-02-01", SourceURL: "ftp://x"}, "2017-03-01")
	checkError(t, err, domain.EInvalid, "source_url")
	fold(t, r, must(t)(domain.DecideIssueReport(r, report, "2017-03-01")))
	if r.Status != domain.ReviewStatusIssued {
		t.Fatalf("status after issue = %s, want issued", r.Status)
	}

	_, err = domain.DecideAddFinding(r, finding)
	checkError(t, err, domain.EInvalid, "status")
	_, err = domain.DecideReviseFinding(r, r.Findings[0])
	checkError(t, err, domain.EInvalid, "status")
	_, err = domain.DecideWithdrawRecommendation(r, recommendAID, "")
	checkError(t, err, domain.EInvalid, "status")
	_, err = domain.DecideFactualAccuracy(r, domain.FactualAccuracyCommented{})
	checkError(t, err, domain.EInvalid, "status")
	_, err = domain.DecideCancelReview(r, "late")
	checkError(t, err, domain.EInvalid, "status")

	// After issue, a documented correction is the only change.
	_, err = domain.DecideCorrectReport(r, domain.ReviewReportCorrected{Finding: &r.Findings[1]})
	checkError(t, err, domain.EInvalid, "reason")
	_, err = domain.DecideCorrectReport(r, domain.ReviewReportCorrected{Reason: "both", Finding: &r.Findings[1], Recommendation: &r.Recommendations[0]})
	checkError(t, err, domain.EInvalid, "finding")
	corrected := r.Findings[1]
	corrected.Polarity = "weakness"
	_, err = domain.DecideCorrectReport(r, domain.ReviewReportCorrected{Reason: "wording", Finding: &corrected})
	checkError(t, err, domain.EInvalid, "finding/polarity")
	corrected.Polarity, corrected.Summary = domain.PolarityChallenge, "Data use varies among schools"
	fold(t, r, must(t)(domain.DecideCorrectReport(r, domain.ReviewReportCorrected{Reason: "wording", Finding: &corrected})))
	if got := r.Findings[1].Summary; got != corrected.Summary {
		t.Errorf("corrected summary = %q, want %q", got, corrected.Summary)
	}
	if len(r.Corrections) != 1 || r.Corrections[0].FindingID != findingBID {
		t.Errorf("corrections = %+v, want one on finding %s", r.Corrections, findingBID)
	}

	c := scheduled(t, look)
	fold(t, c, must(t)(domain.DecideCancelReview(c, "District in receivership")))
	_, err = domain.DecideConductReview(c, domain.ConductReview{OnSite: c.PlannedOnSite}, "2016-11-01")
	checkError(t, err, domain.EInvalid, "status")
}

func TestReviewFindingRules(t *testing.T) {
	look := newReviewLookup()
	r := conducted(t, look)

	_, err := domain.DecideWithdrawFinding(r, findingBID, "")
	checkError(t, err, domain.EInvalid, "id")
	_, err = domain.DecideAddRecommendation(r, domain.Recommendation{Standard: "assessment", Statement: "x", FindingIDs: []string{missingID}})
	checkError(t, err, domain.EInvalid, "finding_ids/0")
	_, err = domain.DecideAddRecommendation(r, domain.Recommendation{Standard: "assessment", Statement: "x", FindingIDs: []string{findingBID, findingBID}})
	checkError(t, err, domain.EInvalid, "finding_ids/1")
	_, err = domain.DecideAddFinding(r, domain.Finding{Standard: "assessment", Polarity: domain.PolarityStrength, Summary: "s", Evidence: "e",
		Citations: domain.Citations{Standards: []string{"budget"}}})
	checkError(t, err, domain.EInvalid, "citations/standards/0")
	_, err = domain.DecideAddFinding(r, domain.Finding{Standard: "assessment", Polarity: domain.PolarityStrength, Summary: "s", Evidence: "e",
		Citations: domain.Citations{Conditions: []string{"CSE 8"}}})
	checkError(t, err, domain.EInvalid, "citations/conditions/0")
	_, err = domain.DecideAddFinding(r, domain.Finding{Standard: "assessment", Polarity: domain.PolarityStrength, Summary: "s"})
	checkError(t, err, domain.EInvalid, "evidence")
	_, err = domain.DecideAddFinding(r, domain.Finding{ID: findingAID, Standard: "assessment", Polarity: domain.PolarityStrength, Summary: "s", Evidence: "e"})
	checkError(t, err, domain.EConflict, "id")

	d := must(t)(domain.DecideAddFinding(r, domain.Finding{Standard: "student_support", Polarity: domain.PolarityStrength,
		Summary: " Tiered supports ", Evidence: "Observations", Citations: domain.Citations{
			Standards: []string{"curriculum_instruction", "student_support"}, Conditions: []string{"tiered_instruction_learning_time"}}}))
	f := d.Payload.(domain.FindingAdded).Finding
	if want := []string{"student_support", "curriculum_instruction"}; !equalStrings(f.Citations.Standards, want) {
		t.Errorf("citations = %v, want the finding's standard first: %v", f.Citations.Standards, want)
	}
	if f.Summary != "Tiered supports" {
		t.Errorf("summary = %q, want it trimmed", f.Summary)
	}

	targeted := &domain.Review{ID: otherReview, Type: domain.ReviewTargetedStudentCentered, Status: domain.ReviewStatusConducted}
	_, err = domain.DecideAddFinding(targeted, domain.Finding{Standard: "financial_asset_management", Polarity: domain.PolarityChallenge, Summary: "s", Evidence: "e"})
	checkError(t, err, domain.EInvalid, "standard")

	fold(t, r, must(t)(domain.DecideWithdrawRecommendation(r, recommendAID, "merged")))
	fold(t, r, must(t)(domain.DecideWithdrawFinding(r, findingBID, "not supported")))
	if len(r.Findings) != 1 || len(r.Recommendations) != 0 {
		t.Errorf("after withdrawals: %d findings, %d recommendations; want 1 and 0", len(r.Findings), len(r.Recommendations))
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestObjectiveAnswersRecommendation(t *testing.T) {
	look := newReviewLookup()
	look.reviews = append(look.reviews, conducted(t, look))
	dip := look.plans[dipID]

	o := validObjective(objectiveBID)
	o.Answers = []domain.RecommendationRef{{ReviewID: "{" + reviewID + "}", RecommendationID: recommendAID}}
	d := must(t)(domain.DecideAddObjective(dip, o, look))
	got := d.Payload.(domain.ObjectiveAdded).Objective.Answers
	if len(got) != 1 || got[0].ReviewID != reviewID {
		t.Errorf("answers = %+v, want the review id in canonical form", got)
	}
	if o.Answers[0].ReviewID != "{"+reviewID+"}" {
		t.Errorf("decision rewrote the caller's answers: %+v", o.Answers)
	}

	cases := []struct {
		name  string
		ref   domain.RecommendationRef
		code  string
		field string
	}{
		{"unknown review", domain.RecommendationRef{ReviewID: missingID, RecommendationID: recommendAID}, domain.ENotFound, "answers/0/review_id"},
		{"unknown recommendation", domain.RecommendationRef{ReviewID: reviewID, RecommendationID: missingID}, domain.ENotFound, "answers/0/recommendation_id"},
		{"not a UUID", domain.RecommendationRef{ReviewID: reviewID, RecommendationID: "rec-1"}, domain.EInvalid, "answers/0/recommendation_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := validObjective(objectiveBID)
			o.Answers = []domain.RecommendationRef{tc.ref}
			_, err := domain.DecideAddObjective(dip, o, look)
			checkError(t, err, tc.code, tc.field)
		})
	}

	// The other district's DIP cannot answer this district's review.
	o = validObjective(objectiveBID)
	o.Answers = []domain.RecommendationRef{{ReviewID: reviewID, RecommendationID: recommendAID}}
	_, err := domain.DecideAddObjective(look.plans[otherDIPID], o, look)
	checkError(t, err, domain.EInvalid, "answers/0/review_id")

	// A lookup that cannot read reviews cannot check answers.
	_, err = domain.DecideAddObjective(dip, o, look.fakeLookup)
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.EInternal {
		t.Errorf("lookup without reviews: got %v, want an internal error", err)
	}
}

func TestGoalAnswersDistrictReview(t *testing.T) {
	look := newReviewLookup()
	look.reviews = append(look.reviews, conducted(t, look))
	g := validGoal(goalBID)
	g.Answers = []domain.RecommendationRef{{ReviewID: reviewID, RecommendationID: recommendAID}}
	if _, err := domain.DecideAdoptGoal(look.plans[sipID], g, look); err != nil {
		t.Fatalf("a school's goal answering its district's review: %v", err)
	}
	g.Answers = append(g.Answers, g.Answers[0])
	_, err := domain.DecideAdoptGoal(look.plans[sipID], g, look)
	checkError(t, err, domain.EInvalid, "answers/1")
}

func TestScheduleReviewDates(t *testing.T) {
	look := newReviewLookup()
	base := standardReview(reviewID, domain.DateRange{Start: "2016-10-17", End: "2016-10-20"})
	base.ScheduledAt = time.Date(2016, time.September, 1, 12, 0, 0, 0, time.UTC)
	if _, err := domain.DecideScheduleReview(base, look, look, nil); err != nil {
		t.Fatalf("a review scheduled before its visit: %v", err)
	}

	long := base
	long.OnSite = domain.DateRange{Start: "2016-10-17", End: "2026-10-17"}
	_, err := domain.DecideScheduleReview(long, look, look, nil)
	checkError(t, err, domain.EInvalid, "on_site/end")

	late := base
	late.ScheduledAt = time.Date(2016, time.October, 18, 12, 0, 0, 0, time.UTC)
	_, err = domain.DecideScheduleReview(late, look, look, nil)
	checkError(t, err, domain.EInvalid, "effective_date")

	vote := base
	vote.EmergencyException = &domain.EmergencyException{BoardVoteDate: "2016-09-02", Reason: "Illustrative emergency"}
	_, err = domain.DecideScheduleReview(vote, look, look, nil)
	checkError(t, err, domain.EInvalid, "emergency_exception/board_vote_date")
}
