package projections_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

const (
	reviewID         = "0190e0c0-0000-7000-8000-0000000000c1"
	otherReviewID    = "0190e0c0-0000-7000-8000-0000000000c2"
	findingStrength  = "0190e0c0-0000-7000-8000-0000000000d1"
	findingChallenge = "0190e0c0-0000-7000-8000-0000000000d2"
	recommendA       = "0190e0c0-0000-7000-8000-0000000000e1"
	recommendB       = "0190e0c0-0000-7000-8000-0000000000e2"
)

// reviewEvents builds a log with a district, its DIP, a standard review of
// the district taken to an issued report (its findings added as one atomic
// batch), a DIP objective answering one recommendation, and a cancelled
// review of another district. Events are built, not applied.
func reviewEvents(t *testing.T) []domain.Event {
	l := newEventLog(t)
	var events []domain.Event
	add := func(kind, id, typ string, payload any, at time.Time) domain.Event {
		e := l.build(kind, id, typ, payload, at, at)
		events = append(events, e)
		return e
	}
	review := func(typ string, payload any, at time.Time) {
		add(domain.KindReview, reviewID, typ, payload, at)
	}
	jul := day(2016, time.July, 1)
	for _, o := range []domain.Org{
		{Code: districtCode, Type: domain.OrgDistrict, Name: "Example District", DistrictCode: districtCode},
		{Code: otherDistrictCode, Type: domain.OrgDistrict, Name: "Other District", DistrictCode: otherDistrictCode},
	} {
		add(domain.KindOrg, o.Code, domain.TypeOrgRegistered, domain.OrgRegistered{Org: o}, jul)
	}
	add(domain.KindPlan, dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "District plan"), jul)

	review(domain.TypeReviewScheduled, domain.ReviewScheduled{ID: reviewID, DistrictCode: districtCode, Type: domain.ReviewStandard,
		DocumentReview: domain.DateRange{Start: "2016-10-03", End: "2016-10-04"},
		OnSite:         domain.DateRange{Start: "2016-10-17", End: "2016-10-20"}}, day(2016, time.September, 1))
	add(domain.KindReview, otherReviewID, domain.TypeReviewScheduled, domain.ReviewScheduled{ID: otherReviewID,
		DistrictCode: otherDistrictCode, Type: domain.ReviewTargetedGovernance,
		DocumentReview: domain.DateRange{Start: "2016-11-01", End: "2016-11-02"},
		OnSite:         domain.DateRange{Start: "2016-11-14", End: "2016-11-16"}}, day(2016, time.September, 2))
	review(domain.TypeReviewConducted, domain.ReviewConducted{OnSite: domain.DateRange{Start: "2016-10-17", End: "2016-10-20"},
		Evidence: domain.EvidenceSources{DocumentsReviewed: 40, DARTData: true, ClassroomObservations: 52,
			Interviews: []domain.GroupCount{{Group: "school_committee", Count: 2}}}}, day(2016, time.October, 21))

	batchStart := len(events)
	findings := []domain.Finding{
		{ID: findingStrength, Standard: "leadership_governance", Polarity: domain.PolarityStrength, Summary: "Leaders share one plan",
			Evidence: "Interviews", Citations: domain.Citations{Standards: []string{"leadership_governance"}}},
		{ID: findingChallenge, Standard: "assessment", Polarity: domain.PolarityChallenge, Summary: "Data use varies",
			Evidence: "Focus groups", Citations: domain.Citations{Standards: []string{"assessment"}}},
	}
	for _, f := range findings {
		review(domain.TypeFindingAdded, domain.FindingAdded{Finding: f}, day(2016, time.November, 1))
	}
	for i := batchStart; i < len(events); i++ {
		events[i].BatchIndex, events[i].BatchSize = i-batchStart, len(events)-batchStart
	}
	for _, id := range []string{recommendA, recommendB} {
		review(domain.TypeRecommendationAdded, domain.RecommendationAdded{Recommendation: domain.Recommendation{ID: id,
			Standard: "assessment", FindingIDs: []string{findingChallenge}, Statement: "Recommendation " + id[len(id)-2:],
			Citations: domain.Citations{Standards: []string{"assessment"}}}}, day(2016, time.November, 2))
	}

	answering := objective(objectiveAID, "Common data cycles")
	answering.Answers = []domain.RecommendationRef{{ReviewID: reviewID, RecommendationID: recommendA}}
	add(domain.KindPlan, dipID, domain.TypeObjectiveAdded, domain.ObjectiveAdded{Objective: answering}, day(2016, time.November, 15))

	review(domain.TypeFactualAccuracyCommented, domain.FactualAccuracyCommented{Comments: []domain.DistrictComment{}},
		day(2016, time.December, 1))
	review(domain.TypeReviewReportIssued, domain.ReviewReportIssued{ReviewReport: domain.ReviewReport{PublishedOn: "2017-01-15"}},
		day(2017, time.January, 15))
	add(domain.KindReview, otherReviewID, domain.TypeReviewCancelled, domain.ReviewCancelled{Reason: "Postponed"},
		day(2017, time.January, 20))
	return events
}

func applyEvents(t *testing.T, events []domain.Event) *projections.Projector {
	t.Helper()
	p := projections.New(slog.New(slog.DiscardHandler))
	for _, e := range events {
		if err := p.Apply(e); err != nil {
			t.Fatalf("apply %s event %d: %v", e.Type, e.StreamSequence, err)
		}
	}
	return p
}

// A projector holding reviews, snapshotted at any point (inside the batch
// too), restored and fed the rest, ends byte for byte where a projector
// that applied the whole log does, and reads the same reviews.
func TestReviewSnapshotMatchesRebuild(t *testing.T) {
	events := reviewEvents(t)
	full := applyEvents(t, events)
	want := dump(t, full)
	now := projections.AsOf{Instant: day(2024, time.May, 1), Basis: projections.BasisEffective}
	wantView, err := full.ReviewAt(reviewID, now, 0)
	if err != nil {
		t.Fatalf("ReviewAt: %v", err)
	}
	if wantView.Review.Status != domain.ReviewStatusIssued || len(wantView.Review.Findings) != 2 {
		t.Fatalf("review = %s with %d findings, want issued with 2", wantView.Review.Status, len(wantView.Review.Findings))
	}

	for cut := range len(events) + 1 {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			crashed := projections.New(slog.New(slog.DiscardHandler))
			for _, e := range events[:cut] {
				_ = crashed.Apply(e)
			}
			cp, data := snapshot(t, crashed)
			checkSameDump(t, dump(t, restore(t, data, uint64(len(events)))), dump(t, crashed))

			resumed := restore(t, data, uint64(len(events)))
			for _, e := range events[cp.Applied:] {
				if err := resumed.Apply(e); err != nil {
					t.Fatalf("apply event %d after restore: %v", e.StreamSequence, err)
				}
			}
			checkSameDump(t, dump(t, resumed), want)
			got, err := resumed.ReviewAt(reviewID, now, 0)
			if err != nil {
				t.Fatalf("ReviewAt after restore: %v", err)
			}
			if !reflect.DeepEqual(got, wantView) {
				t.Errorf("restored review view differs:\ngot  %+v\nwant %+v", got, wantView)
			}
			if ids := resumed.AggregateIDs(domain.KindReview); !reflect.DeepEqual(ids, []string{reviewID, otherReviewID}) {
				t.Errorf("review ids = %v, want creation order %s, %s", ids, reviewID, otherReviewID)
			}
		})
	}
}

func TestReviewAtInstantAndVersion(t *testing.T) {
	p := applyEvents(t, reviewEvents(t))
	effective := func(y int, m time.Month, d int) projections.AsOf {
		return projections.AsOf{Instant: day(y, m, d), Basis: projections.BasisEffective}
	}

	_, err := p.ReviewAt(reviewID, effective(2016, time.August, 1), 0)
	checkError(t, err, domain.ENotFound, "as_of")
	_, err = p.ReviewAt(reviewID, effective(2017, time.June, 1), 99)
	checkError(t, err, domain.ENotFound, "version")
	_, err = p.ReviewAt("0190e0c0-0000-7000-8000-0000000000ff", effective(2017, time.June, 1), 0)
	checkError(t, err, domain.ENotFound, "id")

	before, err := p.ReviewAt(reviewID, effective(2016, time.October, 1), 0)
	if err != nil {
		t.Fatalf("as of 2016-10-01: %v", err)
	}
	if before.Review.Status != domain.ReviewStatusScheduled || before.LastSequence != 1 {
		t.Errorf("as of 2016-10-01: status %s at sequence %d, want scheduled at 1", before.Review.Status, before.LastSequence)
	}
	pinned, err := p.ReviewAt(reviewID, effective(2017, time.June, 1), 3)
	if err != nil {
		t.Fatalf("version 3: %v", err)
	}
	if len(pinned.Review.Findings) != 1 || pinned.ThroughVersion != 3 || pinned.Version != 8 {
		t.Errorf("version 3: %d findings, through %d of %d; want 1 finding, through 3 of 8",
			len(pinned.Review.Findings), pinned.ThroughVersion, pinned.Version)
	}

	list, err := p.ReviewsAt(districtCode, effective(2017, time.June, 1))
	if err != nil || len(list) != 1 || list[0].Review.ID != reviewID {
		t.Errorf("ReviewsAt(%s) = %d views, %v; want the one review", districtCode, len(list), err)
	}
	if all, _ := p.ReviewsAt("", effective(2016, time.September, 1)); len(all) != 1 {
		t.Errorf("reviews of every district as of 2016-09-01 = %d, want 1 (the other was scheduled a day later)", len(all))
	}
	if got := p.ReviewsFor(otherDistrictCode); len(got) != 1 || got[0].Status != domain.ReviewStatusCancelled {
		t.Errorf("ReviewsFor(%s) = %+v, want one cancelled review", otherDistrictCode, got)
	}
}

func TestReviewResponses(t *testing.T) {
	events := reviewEvents(t)
	p := applyEvents(t, events)
	at := projections.AsOf{Instant: day(2017, time.June, 1), Basis: projections.BasisEffective}
	resp, err := p.ReviewResponsesAt(reviewID, at)
	if err != nil {
		t.Fatalf("ReviewResponsesAt: %v", err)
	}
	if len(resp.Answered) != 1 || resp.Answered[0].RecommendationID != recommendA {
		t.Fatalf("answered = %+v, want recommendation %s", resp.Answered, recommendA)
	}
	by := resp.Answered[0].AnsweredBy
	if len(by) != 1 || by[0].PlanID != dipID || by[0].ItemID != objectiveAID || by[0].Item != "objective" || by[0].OrgName != "Example District" {
		t.Errorf("answered by = %+v, want objective %s of DIP %s", by, objectiveAID, dipID)
	}
	if len(resp.Unanswered) != 1 || resp.Unanswered[0].RecommendationID != recommendB {
		t.Errorf("unanswered = %+v, want recommendation %s", resp.Unanswered, recommendB)
	}

	// Before the objective existed, both recommendations were unanswered.
	early, err := p.ReviewResponsesAt(reviewID, projections.AsOf{Instant: day(2016, time.November, 10), Basis: projections.BasisEffective})
	if err != nil {
		t.Fatalf("ReviewResponsesAt 2016-11-10: %v", err)
	}
	if len(early.Answered) != 0 || len(early.Unanswered) != 2 {
		t.Errorf("as of 2016-11-10: %d answered, %d unanswered; want 0 and 2", len(early.Answered), len(early.Unanswered))
	}

	// A withdrawn recommendation leaves its answer pointing at nothing.
	l := newEventLog(t)
	for _, e := range events {
		l.stream = e.StreamSequence
		l.sequences[e.AggregateKind+"/"+e.AggregateID] = e.Sequence
	}
	withdraw := l.build(domain.KindReview, reviewID, domain.TypeRecommendationWithdrawn,
		domain.RecommendationWithdrawn{RecommendationID: recommendA}, day(2017, time.February, 1), day(2017, time.February, 1))
	if err := p.Apply(withdraw); err != nil {
		t.Fatalf("apply withdrawal: %v", err)
	}
	after, err := p.ReviewResponsesAt(reviewID, at)
	if err != nil {
		t.Fatalf("ReviewResponsesAt after withdrawal: %v", err)
	}
	if len(after.AnsweringUnknown) != 1 || after.AnsweringUnknown[0].RecommendationID != recommendA || len(after.Answered) != 0 {
		t.Errorf("after withdrawal: answering unknown %+v, answered %d; want the objective's answer to %s and none answered",
			after.AnsweringUnknown, len(after.Answered), recommendA)
	}
}

// An event that does not fold is stored and reported; reads that include
// it fail, while reads before it still work.
func TestReviewBadEventReported(t *testing.T) {
	events := reviewEvents(t)
	p := applyEvents(t, events[:5])
	l := newEventLog(t)
	l.stream = events[4].StreamSequence
	l.sequences[domain.KindReview+"/"+reviewID] = 1
	bad := l.build(domain.KindReview, reviewID, domain.TypeFindingAdded, nil, day(2016, time.November, 1), day(2016, time.November, 1))
	bad.Payload = json.RawMessage(`{"finding": "not an object"}`)
	if err := p.Apply(bad); err == nil {
		t.Fatalf("apply of an undecodable finding returned no error")
	}
	if _, err := p.ReviewAt(reviewID, projections.AsOf{Instant: day(2017, time.June, 1), Basis: projections.BasisEffective}, 0); err == nil {
		t.Errorf("read including the bad event returned no error")
	}
	if _, err := p.ReviewAt(reviewID, projections.AsOf{Instant: day(2016, time.October, 1), Basis: projections.BasisEffective}, 0); err != nil {
		t.Errorf("read before the bad event: %v", err)
	}
}
