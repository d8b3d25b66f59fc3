package domain

import (
	"fmt"
	"slices"
	"time"
)

// KindReview is a Department district review under 603 CMR 2.03(2) and
// M.G.L. c.15 s.55A; id = UUID.
const KindReview = "review"

// Event types of the review aggregate, each with the payload struct named
// after it.
const (
	TypeReviewScheduled          = "review.scheduled"
	TypeReviewConducted          = "review.conducted"
	TypeFindingAdded             = "review.finding_added"
	TypeFindingRevised           = "review.finding_revised"
	TypeFindingWithdrawn         = "review.finding_withdrawn"
	TypeRecommendationAdded      = "review.recommendation_added"
	TypeRecommendationRevised    = "review.recommendation_revised"
	TypeRecommendationWithdrawn  = "review.recommendation_withdrawn"
	TypeFactualAccuracyCommented = "review.factual_accuracy_commented"
	TypeReviewReportIssued       = "review.report_issued"
	TypeReviewReportCorrected    = "review.report_corrected"
	TypeReviewCancelled          = "review.cancelled"
)

func init() { RegisterKind(KindReview, func() State { return &Review{} }) }

// ReviewType is the protocol a review follows. DESE's protocols of 2010 to
// 2018 are a Level 3 review, a Level 4 review, the standard review of all
// six standards, and from 2017-18 a targeted review of either the
// governance and administrative standards or the student-centered ones.
type ReviewType string

const (
	ReviewLevel3                  ReviewType = "level_3"
	ReviewLevel4                  ReviewType = "level_4"
	ReviewStandard                ReviewType = "standard"
	ReviewTargetedGovernance      ReviewType = "targeted_governance"
	ReviewTargetedStudentCentered ReviewType = "targeted_student_centered"
)

// ReviewTypes lists every review type, for validation and documentation.
var ReviewTypes = []ReviewType{ReviewLevel3, ReviewLevel4, ReviewStandard, ReviewTargetedGovernance, ReviewTargetedStudentCentered}

// Comprehensive reports whether a review of this type examines all six
// standards, which makes it a comprehensive review for the 9-month rule.
// NOTE: DESE's description of the rule does not state whether a targeted
// review counts. A targeted review covers three standards, so it is
// treated as not comprehensive.
func (t ReviewType) Comprehensive() bool {
	return t == ReviewLevel3 || t == ReviewLevel4 || t == ReviewStandard
}

// ReviewedStandards returns the standard keys a review of this type
// examines: three for a targeted review, all six otherwise.
func (t ReviewType) ReviewedStandards() []string {
	switch t {
	case ReviewTargetedGovernance:
		return []string{"leadership_governance", "human_resources_pd", "financial_asset_management"}
	case ReviewTargetedStudentCentered:
		return []string{"curriculum_instruction", "assessment", "student_support"}
	}
	keys := make([]string, len(DistrictStandards))
	for i, s := range DistrictStandards {
		keys[i] = s.Key
	}
	return keys
}

// ReviewStatus is a review's step in its lifecycle.
type ReviewStatus string

const (
	ReviewStatusScheduled ReviewStatus = "scheduled" // planned, with nothing found yet
	ReviewStatusConducted ReviewStatus = "conducted" // on-site visit held, findings in draft
	ReviewStatusIssued    ReviewStatus = "issued"    // final report published, changed only by corrections
	ReviewStatusCancelled ReviewStatus = "cancelled" // called off before the report, with no later step
)

// DateRange is an inclusive span of calendar days written as YYYY-MM-DD.
type DateRange struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Polarity marks a finding as a strength or a challenge.
type Polarity string

const (
	PolarityStrength  Polarity = "strength"
	PolarityChallenge Polarity = "challenge"
)

// Finding is one conclusion of the review team about one standard.
type Finding struct {
	ID       string   `json:"id"`
	Standard string   `json:"standard"` // the standard the report prints it under
	Polarity Polarity `json:"polarity"`
	Summary  string   `json:"summary"`
	Evidence string   `json:"evidence"` // the interviews, documents or observations that support it
	// Citations always include Standard; the decision adds it when missing.
	Citations Citations `json:"citations"`
}

// Recommendation is the review team's advice to the district on one or
// more findings.
type Recommendation struct {
	ID         string    `json:"id"`
	Standard   string    `json:"standard"` // the standard the report prints it under
	FindingIDs []string  `json:"finding_ids"`
	Statement  string    `json:"statement"`
	Citations  Citations `json:"citations"`
}

// InterviewGroups are the groups review teams interview or meet in focus
// groups, as DESE's review process describes them.
var InterviewGroups = []string{
	"district_leaders", "school_leaders", "school_committee", "teachers_union", "teachers",
	"parents", "students", "municipal_officials", "other",
}

// GroupCount is how many interviews or focus groups were held with a group.
type GroupCount struct {
	Group string `json:"group"` // one of InterviewGroups
	Count int    `json:"count"`
}

// EvidenceSources counts the sources the team drew on during the review.
type EvidenceSources struct {
	DocumentsReviewed     int          `json:"documents_reviewed"`
	DARTData              bool         `json:"dart_data"` // DESE's District Analysis and Review Tools
	Interviews            []GroupCount `json:"interviews,omitempty"`
	FocusGroups           []GroupCount `json:"focus_groups,omitempty"`
	ClassroomObservations int          `json:"classroom_observations"`
}

// EmergencyException records the Board's vote that lets a comprehensive
// review take place within 9 months of another one.
type EmergencyException struct {
	BoardVoteDate string `json:"board_vote_date"` // YYYY-MM-DD
	Reason        string `json:"reason"`
	Source        string `json:"source,omitempty"` // minutes or vote record
}

// DistrictLevel is the district's accountability level on record when the
// review was scheduled.
type DistrictLevel struct {
	Level       int       `json:"level"`
	EffectiveAt time.Time `json:"effective_at"`
	Source      string    `json:"source,omitempty"`
}

// DistrictComment is one remark of the district's factual-accuracy check
// of the draft report, optionally about one finding.
type DistrictComment struct {
	FindingID string `json:"finding_id,omitempty"`
	Text      string `json:"text"`
}

// FactualAccuracyRound is one set of district comments on the draft.
type FactualAccuracyRound struct {
	Sequence    uint64            `json:"sequence"` // the event that recorded it
	RecordedAt  time.Time         `json:"recorded_at"`
	Actor       string            `json:"actor"`
	Comments    []DistrictComment `json:"comments"` // empty: the district found no factual errors
	SubmittedOn string            `json:"submitted_on,omitempty"`
}

// ReviewReport is the published final report.
type ReviewReport struct {
	PublishedOn string `json:"published_on"`
	SourceURL   string `json:"source_url,omitempty"`
	// FactualAccuracyNote explains a report issued without district
	// comments on record, such as a district that did not reply in time.
	FactualAccuracyNote string `json:"factual_accuracy_note,omitempty"`
}

// ReportCorrection is an erratum to an issued report: one finding or
// recommendation replaced, with the reason.
type ReportCorrection struct {
	Sequence         uint64    `json:"sequence"`
	RecordedAt       time.Time `json:"recorded_at"`
	Reason           string    `json:"reason"`
	FindingID        string    `json:"finding_id,omitempty"`
	RecommendationID string    `json:"recommendation_id,omitempty"`
}

// Review is the state of one district review, folded from its events.
type Review struct {
	ID                 string                 `json:"id"`
	DistrictCode       string                 `json:"district_code"`
	Type               ReviewType             `json:"type"`
	Status             ReviewStatus           `json:"status"`
	DistrictLevel      *DistrictLevel         `json:"district_level,omitempty"` // nil: no level on record
	PlannedDocReview   DateRange              `json:"planned_document_review"`
	PlannedOnSite      DateRange              `json:"planned_on_site"`
	EmergencyException *EmergencyException    `json:"emergency_exception,omitempty"`
	OnSite             *DateRange             `json:"on_site,omitempty"` // as held
	Evidence           *EvidenceSources       `json:"evidence,omitempty"`
	Findings           []Finding              `json:"findings"`
	Recommendations    []Recommendation       `json:"recommendations"`
	FactualAccuracy    []FactualAccuracyRound `json:"factual_accuracy,omitempty"`
	Report             *ReviewReport          `json:"report,omitempty"`
	Corrections        []ReportCorrection     `json:"corrections,omitempty"`
	CancelReason       string                 `json:"cancel_reason,omitempty"`
}

// Event payloads of the review aggregate.
type (
	ReviewScheduled struct {
		ID                 string              `json:"id"`
		DistrictCode       string              `json:"district_code"`
		Type               ReviewType          `json:"type"`
		DocumentReview     DateRange           `json:"document_review"`
		OnSite             DateRange           `json:"on_site"`
		DistrictLevel      *DistrictLevel      `json:"district_level,omitempty"`
		EmergencyException *EmergencyException `json:"emergency_exception,omitempty"`
	}
	ReviewConducted struct {
		OnSite   DateRange       `json:"on_site"`
		Evidence EvidenceSources `json:"evidence"`
	}
	FindingAdded struct {
		Finding Finding `json:"finding"`
	}
	FindingRevised struct {
		Finding Finding `json:"finding"`
	}
	FindingWithdrawn struct {
		FindingID string `json:"finding_id"`
		Reason    string `json:"reason,omitempty"`
	}
	RecommendationAdded struct {
		Recommendation Recommendation `json:"recommendation"`
	}
	RecommendationRevised struct {
		Recommendation Recommendation `json:"recommendation"`
	}
	RecommendationWithdrawn struct {
		RecommendationID string `json:"recommendation_id"`
		Reason           string `json:"reason,omitempty"`
	}
	FactualAccuracyCommented struct {
		Comments    []DistrictComment `json:"comments"`
		SubmittedOn string            `json:"submitted_on,omitempty"`
	}
	ReviewReportIssued struct {
		ReviewReport
	}
	ReviewReportCorrected struct {
		Reason         string          `json:"reason"`
		Finding        *Finding        `json:"finding,omitempty"`
		Recommendation *Recommendation `json:"recommendation,omitempty"`
	}
	ReviewCancelled struct {
		Reason string `json:"reason"`
	}
)

// Apply folds one event into the review. Like Plan.Apply it is
// deterministic. It trusts the decisions that produced the events and
// checks only what would otherwise corrupt the state.
func (r *Review) Apply(e Event) error {
	apply, ok := reviewEvents[e.Type]
	if !ok {
		return fmt.Errorf("apply review event %s: unknown type %q", e.ID, e.Type)
	}
	if e.Type != TypeReviewScheduled && r.ID == "" {
		return fmt.Errorf("apply %s event %s: review %s was never scheduled", e.Type, e.ID, e.AggregateID)
	}
	return apply(r, e)
}

// reviewApplier folds one event type into a review.
type reviewApplier func(r *Review, e Event) error

var reviewEvents = map[string]reviewApplier{
	TypeReviewScheduled: decodeReview(func(r *Review, c ReviewScheduled, _ Event) {
		*r = Review{ID: c.ID, DistrictCode: c.DistrictCode, Type: c.Type, Status: ReviewStatusScheduled,
			DistrictLevel: c.DistrictLevel, PlannedDocReview: c.DocumentReview, PlannedOnSite: c.OnSite,
			EmergencyException: c.EmergencyException, Findings: []Finding{}, Recommendations: []Recommendation{}}
	}),
	TypeReviewConducted: decodeReview(func(r *Review, c ReviewConducted, _ Event) {
		onSite, evidence := c.OnSite, c.Evidence
		r.OnSite, r.Evidence, r.Status = &onSite, &evidence, ReviewStatusConducted
	}),
	TypeFindingAdded: decodeReview(func(r *Review, c FindingAdded, _ Event) {
		r.Findings = append(r.Findings, c.Finding)
	}),
	TypeFindingRevised: decodeReview(func(r *Review, c FindingRevised, _ Event) {
		r.replaceFinding(c.Finding)
	}),
	TypeFindingWithdrawn: decodeReview(func(r *Review, c FindingWithdrawn, _ Event) {
		if i := r.FindingIndex(c.FindingID); i >= 0 {
			r.Findings = slices.Delete(r.Findings, i, i+1)
		}
	}),
	TypeRecommendationAdded: decodeReview(func(r *Review, c RecommendationAdded, _ Event) {
		r.Recommendations = append(r.Recommendations, c.Recommendation)
	}),
	TypeRecommendationRevised: decodeReview(func(r *Review, c RecommendationRevised, _ Event) {
		r.replaceRecommendation(c.Recommendation)
	}),
	TypeRecommendationWithdrawn: decodeReview(func(r *Review, c RecommendationWithdrawn, _ Event) {
		if i := r.RecommendationIndex(c.RecommendationID); i >= 0 {
			r.Recommendations = slices.Delete(r.Recommendations, i, i+1)
		}
	}),
	TypeFactualAccuracyCommented: decodeReview(func(r *Review, c FactualAccuracyCommented, e Event) {
		r.FactualAccuracy = append(r.FactualAccuracy, FactualAccuracyRound{Sequence: e.Sequence, RecordedAt: e.RecordedAt,
			Actor: e.Actor, Comments: c.Comments, SubmittedOn: c.SubmittedOn})
	}),
	TypeReviewReportIssued: decodeReview(func(r *Review, c ReviewReportIssued, _ Event) {
		report := c.ReviewReport
		r.Report, r.Status = &report, ReviewStatusIssued
	}),
	TypeReviewReportCorrected: decodeReview(func(r *Review, c ReviewReportCorrected, e Event) {
		correction := ReportCorrection{Sequence: e.Sequence, RecordedAt: e.RecordedAt, Reason: c.Reason}
		if c.Finding != nil {
			r.replaceFinding(*c.Finding)
			correction.FindingID = c.Finding.ID
		}
		if c.Recommendation != nil {
			r.replaceRecommendation(*c.Recommendation)
			correction.RecommendationID = c.Recommendation.ID
		}
		r.Corrections = append(r.Corrections, correction)
	}),
	TypeReviewCancelled: decodeReview(func(r *Review, c ReviewCancelled, _ Event) {
		r.Status, r.CancelReason = ReviewStatusCancelled, c.Reason
	}),
}

// decodeReview returns a reviewApplier that decodes the payload into a
// fresh T first.
func decodeReview[T any](apply func(r *Review, payload T, e Event)) reviewApplier {
	return func(r *Review, e Event) error {
		var payload T
		if err := e.Decode(&payload); err != nil {
			return err
		}
		apply(r, payload, e)
		return nil
	}
}

// The projections fold a fresh Review for every read, so Apply may change
// its slices in place.
func (r *Review) replaceFinding(f Finding) {
	if i := r.FindingIndex(f.ID); i >= 0 {
		r.Findings[i] = f
	}
}

func (r *Review) replaceRecommendation(rec Recommendation) {
	if i := r.RecommendationIndex(rec.ID); i >= 0 {
		r.Recommendations[i] = rec
	}
}

// FindingIndex returns the position of a finding, or -1.
func (r *Review) FindingIndex(id string) int {
	return slices.IndexFunc(r.Findings, func(f Finding) bool { return f.ID == id })
}

// RecommendationIndex returns the position of a recommendation, or -1.
func (r *Review) RecommendationIndex(id string) int {
	return slices.IndexFunc(r.Recommendations, func(rec Recommendation) bool { return rec.ID == id })
}

// OnSiteDates returns the on-site visit as held, or as planned when the
// review has not been conducted yet.
func (r *Review) OnSiteDates() DateRange {
	if r.OnSite != nil {
		return *r.OnSite
	}
	return r.PlannedOnSite
}
