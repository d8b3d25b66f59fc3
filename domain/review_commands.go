package domain

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ReviewLookup gives review decisions, and plan decisions that cite
// recommendations, the current state of reviews.
type ReviewLookup interface {
	Review(id string) (*Review, bool)
	// ReviewsFor returns a district's reviews in the order they were scheduled.
	ReviewsFor(districtCode string) []*Review
}

// NewReviewID returns the canonical form of a caller's review id, or a new
// UUID when id is empty.
func NewReviewID(id string) (string, error) {
	if strings.TrimSpace(id) == "" {
		return uuid.NewString(), nil
	}
	return canonicalID("id", id)
}

// ScheduleReview is the command that plans a district review.
type ScheduleReview struct {
	ID                 string              `json:"id"`
	DistrictCode       string              `json:"district_code"`
	Type               ReviewType          `json:"type"`
	DocumentReview     DateRange           `json:"document_review"`
	OnSite             DateRange           `json:"on_site"`
	EmergencyException *EmergencyException `json:"emergency_exception,omitempty"`
	// ScheduledAt is when the review is scheduled, the command's effective
	// instant; zero skips the checks against it.
	ScheduledAt time.Time `json:"-"`
}

// maxOnSiteDays bounds an on-site visit. DESE district review visits last
// about a week, so a longer range is taken as a typing mistake.
const maxOnSiteDays = 14

// DecideScheduleReview validates a new review of a district. level is the
// district's accountability level in force when the review is scheduled,
// nil when none is on record. The id must already be canonical (see
// NewReviewID).
func DecideScheduleReview(c ScheduleReview, look Lookup, reviews ReviewLookup, level *DistrictLevel) (Draft, error) {
	if _, exists := reviews.Review(c.ID); exists {
		return Draft{}, Errorf(EConflict, "id", "review %s already exists", c.ID)
	}
	if err := ValidateOrgCode("district_code", c.DistrictCode); err != nil {
		return Draft{}, err
	}
	org, ok := look.Org(c.DistrictCode)
	if !ok {
		return Draft{}, Errorf(ENotFound, "district_code", "no district has org code %s; list them at GET /v1/orgs?type=district", c.DistrictCode)
	}
	if org.Type != OrgDistrict {
		return Draft{}, Errorf(EInvalid, "district_code", "%s is a school; the Department reviews its district %s", c.DistrictCode, org.DistrictCode)
	}
	if !slices.Contains(ReviewTypes, c.Type) {
		return Draft{}, Errorf(EInvalid, "type", "review type %q is not one of %s", c.Type, joinReviewTypes())
	}
	if err := checkLevelMatchesType(c.Type, level); err != nil {
		return Draft{}, err
	}
	docReview, err := parseDateRange("document_review", c.DocumentReview)
	if err != nil {
		return Draft{}, err
	}
	onSite, err := parseDateRange("on_site", c.OnSite)
	if err != nil {
		return Draft{}, err
	}
	if docReview.start.After(onSite.start) {
		return Draft{}, Errorf(EInvalid, "document_review/start",
			"the document review (from %s) must start no later than the on-site visit (%s), because the team reads the documents first",
			c.DocumentReview.Start, c.OnSite.Start)
	}
	if days := int(onSite.end.Sub(onSite.start).Hours()/24) + 1; days > maxOnSiteDays {
		return Draft{}, Errorf(EInvalid, "on_site/end", "the on-site visit lasts %d days; a visit lasts at most %d", days, maxOnSiteDays)
	}
	// Days in YYYY-MM-DD form compare as strings.
	scheduledOn := c.ScheduledAt.In(massachusetts).Format(time.DateOnly)
	if !c.ScheduledAt.IsZero() && scheduledOn > onSite.start.Format(time.DateOnly) {
		return Draft{}, Errorf(EInvalid, "effective_date",
			"the review is scheduled on %s, after its on-site visit starts (%s); schedule it on or before %s",
			scheduledOn, c.OnSite.Start, c.OnSite.Start)
	}
	if err := checkTestingWindows(onSite); err != nil {
		return Draft{}, err
	}
	if c.EmergencyException != nil {
		if err := validateEmergencyException(*c.EmergencyException); err != nil {
			return Draft{}, err
		}
		if vote := c.EmergencyException.BoardVoteDate; !c.ScheduledAt.IsZero() && vote > scheduledOn {
			return Draft{}, Errorf(EInvalid, "emergency_exception/board_vote_date",
				"the Board's vote (%s) must come no later than the day the review is scheduled (%s)", vote, scheduledOn)
		}
	}
	if err := checkNineMonthRule(c, onSite, reviews); err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeReviewScheduled, Payload: ReviewScheduled{
		ID: c.ID, DistrictCode: c.DistrictCode, Type: c.Type, DocumentReview: c.DocumentReview,
		OnSite: c.OnSite, DistrictLevel: level, EmergencyException: c.EmergencyException,
	}}, nil
}

// checkLevelMatchesType rejects a Level 3 or Level 4 review of a district
// whose level on record is another one, because those protocols were
// written for districts at that level.
func checkLevelMatchesType(t ReviewType, level *DistrictLevel) error {
	want := map[ReviewType]int{ReviewLevel3: 3, ReviewLevel4: 4}[t]
	if want == 0 || level == nil || level.Level == want {
		return nil
	}
	return Errorf(EInvalid, "type", "a %s review is for a Level %d district, but the district is at Level %d since %s; choose the standard review or a targeted one",
		t, want, level.Level, level.EffectiveAt.Format(time.DateOnly))
}

func validateEmergencyException(x EmergencyException) error {
	if _, err := parseDay("emergency_exception/board_vote_date", x.BoardVoteDate); err != nil {
		return err
	}
	if strings.TrimSpace(x.Reason) == "" {
		return Errorf(EInvalid, "emergency_exception/reason", "state the emergency the Board's vote addresses")
	}
	return nil
}

// ConductReview records the on-site visit as held and the evidence the
// team gathered.
type ConductReview struct {
	OnSite   DateRange       `json:"on_site"`
	Evidence EvidenceSources `json:"evidence"`
}

// DecideConductReview validates the record of a held visit. today is the
// calendar day, in Massachusetts, on which the record takes effect; a visit
// cannot end after it.
func DecideConductReview(r *Review, c ConductReview, today string) (Draft, error) {
	if err := requireStatus(r, "record the on-site visit", ReviewStatusScheduled); err != nil {
		return Draft{}, err
	}
	onSite, err := parseDateRange("on_site", c.OnSite)
	if err != nil {
		return Draft{}, err
	}
	if c.OnSite.End > today {
		return Draft{}, Errorf(EInvalid, "on_site/end", "the visit cannot end (%s) after the day it is recorded as held (%s)", c.OnSite.End, today)
	}
	if plannedDocs, err := parseDay("document_review/start", r.PlannedDocReview.Start); err == nil && onSite.start.Before(plannedDocs) {
		return Draft{}, Errorf(EInvalid, "on_site/start", "the visit cannot start (%s) before the document review began (%s)",
			c.OnSite.Start, r.PlannedDocReview.Start)
	}
	if err := validateEvidence(c.Evidence); err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeReviewConducted, Payload: ReviewConducted(c)}, nil
}

func validateEvidence(ev EvidenceSources) error {
	if ev.DocumentsReviewed < 0 {
		return Errorf(EInvalid, "evidence/documents_reviewed", "a count cannot be negative (%d)", ev.DocumentsReviewed)
	}
	if ev.ClassroomObservations < 0 {
		return Errorf(EInvalid, "evidence/classroom_observations", "a count cannot be negative (%d)", ev.ClassroomObservations)
	}
	for _, list := range []struct {
		field  string
		counts []GroupCount
	}{{"evidence/interviews", ev.Interviews}, {"evidence/focus_groups", ev.FocusGroups}} {
		seen := map[string]bool{}
		for i, gc := range list.counts {
			field := fmt.Sprintf("%s/%d", list.field, i)
			if !slices.Contains(InterviewGroups, gc.Group) {
				return Errorf(EInvalid, field+"/group", "group %q is not one of %s", gc.Group, strings.Join(InterviewGroups, ", "))
			}
			if seen[gc.Group] {
				return Errorf(EInvalid, field+"/group", "group %s is listed twice; give one total count", gc.Group)
			}
			seen[gc.Group] = true
			if gc.Count < 1 {
				return Errorf(EInvalid, field+"/count", "count %d must be at least 1; leave out groups not met", gc.Count)
			}
		}
	}
	return nil
}

// requireStatus rejects a step the review's status does not allow, and
// names the step that would be allowed.
func requireStatus(r *Review, action string, allowed ...ReviewStatus) error {
	if slices.Contains(allowed, r.Status) {
		return nil
	}
	var hint string
	switch r.Status {
	case ReviewStatusScheduled:
		hint = "record the on-site visit first with POST /v1/reviews/" + r.ID + "/conducted"
	case ReviewStatusConducted:
		hint = "the visit is already recorded"
	case ReviewStatusIssued:
		hint = "the report is issued; change a finding or recommendation with POST /v1/reviews/" + r.ID + "/corrections"
	case ReviewStatusCancelled:
		hint = "a cancelled review takes no further steps"
	}
	return Errorf(EInvalid, "status", "cannot %s while review %s is %s: %s", action, r.ID, r.Status, hint)
}

// DecideAddFinding adds a finding to a conducted review.
func DecideAddFinding(r *Review, f Finding) (Draft, error) {
	if err := requireStatus(r, "add a finding", ReviewStatusConducted); err != nil {
		return Draft{}, err
	}
	id, err := NewReviewID(f.ID)
	if err != nil {
		return Draft{}, err
	}
	f.ID = id
	if r.FindingIndex(f.ID) >= 0 {
		return Draft{}, Errorf(EConflict, "id", "finding %s already exists; revise it instead", f.ID)
	}
	if f, err = validateFinding(r, f); err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeFindingAdded, Payload: FindingAdded{Finding: f}}, nil
}

// DecideReviseFinding replaces a finding of a review not yet issued.
func DecideReviseFinding(r *Review, f Finding) (Draft, error) {
	if err := requireStatus(r, "revise a finding", ReviewStatusConducted); err != nil {
		return Draft{}, err
	}
	f, err := existingFinding(r, f)
	if err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeFindingRevised, Payload: FindingRevised{Finding: f}}, nil
}

// existingFinding canonicalizes and validates a replacement for a finding
// the review has.
func existingFinding(r *Review, f Finding) (Finding, error) {
	if id, err := canonicalID("id", f.ID); err == nil {
		f.ID = id
	}
	if r.FindingIndex(f.ID) < 0 {
		return Finding{}, Errorf(ENotFound, "id", "review %s has no finding %s", r.ID, f.ID)
	}
	return validateFinding(r, f)
}

// DecideWithdrawFinding drops a finding no recommendation rests on.
func DecideWithdrawFinding(r *Review, id, reason string) (Draft, error) {
	if err := requireStatus(r, "withdraw a finding", ReviewStatusConducted); err != nil {
		return Draft{}, err
	}
	if canonical, err := canonicalID("id", id); err == nil {
		id = canonical
	}
	if r.FindingIndex(id) < 0 {
		return Draft{}, Errorf(ENotFound, "id", "review %s has no finding %s", r.ID, id)
	}
	for _, rec := range r.Recommendations {
		if slices.Contains(rec.FindingIDs, id) {
			return Draft{}, Errorf(EInvalid, "id", "recommendation %s rests on finding %s; revise or withdraw the recommendation first", rec.ID, id)
		}
	}
	return Draft{Type: TypeFindingWithdrawn, Payload: FindingWithdrawn{FindingID: id, Reason: strings.TrimSpace(reason)}}, nil
}

func validateFinding(r *Review, f Finding) (Finding, error) {
	if err := checkReviewedStandard(r, "standard", f.Standard); err != nil {
		return Finding{}, err
	}
	if f.Polarity != PolarityStrength && f.Polarity != PolarityChallenge {
		return Finding{}, Errorf(EInvalid, "polarity", "polarity %q is not %q or %q", f.Polarity, PolarityStrength, PolarityChallenge)
	}
	f.Summary, f.Evidence = strings.TrimSpace(f.Summary), strings.TrimSpace(f.Evidence)
	if f.Summary == "" {
		return Finding{}, Errorf(EInvalid, "summary", "a finding needs a one-sentence summary")
	}
	if f.Evidence == "" {
		return Finding{}, Errorf(EInvalid, "evidence", "a finding needs the evidence it rests on, such as interviews, documents or observations")
	}
	citations, err := validateReviewCitations(r, "citations", f.Standard, f.Citations)
	if err != nil {
		return Finding{}, err
	}
	f.Citations = citations
	return f, nil
}

// checkReviewedStandard checks a standard key and that the review's type
// examines it.
func checkReviewedStandard(r *Review, field, key string) error {
	if StandardName(key) == "" {
		return Errorf(EInvalid, field, "%q is not a district standard key; use one of %s", key, reviewStandardKeys())
	}
	if reviewed := r.Type.ReviewedStandards(); !slices.Contains(reviewed, key) {
		return Errorf(EInvalid, field, "a %s review examines only %s, not %s", r.Type, strings.Join(reviewed, ", "), key)
	}
	return nil
}

// DecideAddRecommendation adds a recommendation resting on findings of the
// review.
func DecideAddRecommendation(r *Review, rec Recommendation) (Draft, error) {
	if err := requireStatus(r, "add a recommendation", ReviewStatusConducted); err != nil {
		return Draft{}, err
	}
	id, err := NewReviewID(rec.ID)
	if err != nil {
		return Draft{}, err
	}
	rec.ID = id
	if r.RecommendationIndex(rec.ID) >= 0 {
		return Draft{}, Errorf(EConflict, "id", "recommendation %s already exists; revise it instead", rec.ID)
	}
	if rec, err = validateRecommendation(r, rec); err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeRecommendationAdded, Payload: RecommendationAdded{Recommendation: rec}}, nil
}

// DecideReviseRecommendation replaces a recommendation of a review not yet
// issued.
func DecideReviseRecommendation(r *Review, rec Recommendation) (Draft, error) {
	if err := requireStatus(r, "revise a recommendation", ReviewStatusConducted); err != nil {
		return Draft{}, err
	}
	rec, err := existingRecommendation(r, rec)
	if err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeRecommendationRevised, Payload: RecommendationRevised{Recommendation: rec}}, nil
}

func existingRecommendation(r *Review, rec Recommendation) (Recommendation, error) {
	if id, err := canonicalID("id", rec.ID); err == nil {
		rec.ID = id
	}
	if r.RecommendationIndex(rec.ID) < 0 {
		return Recommendation{}, Errorf(ENotFound, "id", "review %s has no recommendation %s", r.ID, rec.ID)
	}
	return validateRecommendation(r, rec)
}

// DecideWithdrawRecommendation drops a recommendation before the report is
// issued. Plan items that answer it then show up as answering a
// recommendation the review no longer has.
func DecideWithdrawRecommendation(r *Review, id, reason string) (Draft, error) {
	if err := requireStatus(r, "withdraw a recommendation", ReviewStatusConducted); err != nil {
		return Draft{}, err
	}
	if canonical, err := canonicalID("id", id); err == nil {
		id = canonical
	}
	if r.RecommendationIndex(id) < 0 {
		return Draft{}, Errorf(ENotFound, "id", "review %s has no recommendation %s", r.ID, id)
	}
	return Draft{Type: TypeRecommendationWithdrawn, Payload: RecommendationWithdrawn{RecommendationID: id, Reason: strings.TrimSpace(reason)}}, nil
}

func validateRecommendation(r *Review, rec Recommendation) (Recommendation, error) {
	if err := checkReviewedStandard(r, "standard", rec.Standard); err != nil {
		return Recommendation{}, err
	}
	rec.Statement = strings.TrimSpace(rec.Statement)
	if rec.Statement == "" {
		return Recommendation{}, Errorf(EInvalid, "statement", "a recommendation needs a statement of what the district should do")
	}
	if len(rec.FindingIDs) == 0 {
		return Recommendation{}, Errorf(EInvalid, "finding_ids", "a recommendation rests on at least one finding; list its id")
	}
	// Copy before canonicalizing: the caller's slice may be shared with a
	// read model.
	rec.FindingIDs = slices.Clone(rec.FindingIDs)
	seen := map[string]bool{}
	for i, cited := range rec.FindingIDs {
		field := fmt.Sprintf("finding_ids/%d", i)
		id, err := canonicalID(field, cited)
		if err != nil {
			return Recommendation{}, err
		}
		if seen[id] {
			return Recommendation{}, Errorf(EInvalid, field, "finding %s is listed twice", id)
		}
		seen[id] = true
		if r.FindingIndex(id) < 0 {
			return Recommendation{}, Errorf(EInvalid, field, "review %s has no finding %s; list them at GET /v1/reviews/%s", r.ID, id, r.ID)
		}
		rec.FindingIDs[i] = id
	}
	citations, err := validateReviewCitations(r, "citations", rec.Standard, rec.Citations)
	if err != nil {
		return Recommendation{}, err
	}
	rec.Citations = citations
	return rec, nil
}

// DecideFactualAccuracy records the district's comments on the draft
// report's factual accuracy. An empty list records that the district found
// no errors.
func DecideFactualAccuracy(r *Review, c FactualAccuracyCommented) (Draft, error) {
	if err := requireStatus(r, "record the district's factual-accuracy comments", ReviewStatusConducted); err != nil {
		return Draft{}, err
	}
	if len(r.Findings) == 0 {
		return Draft{}, Errorf(EInvalid, "status", "review %s has no findings yet, so there is no draft for the district to check", r.ID)
	}
	if c.SubmittedOn != "" {
		if _, err := parseDay("submitted_on", c.SubmittedOn); err != nil {
			return Draft{}, err
		}
	}
	c.Comments = slices.Clone(c.Comments)
	for i, comment := range c.Comments {
		field := fmt.Sprintf("comments/%d", i)
		comment.Text = strings.TrimSpace(comment.Text)
		if comment.Text == "" {
			return Draft{}, Errorf(EInvalid, field+"/text", "a comment needs text; send an empty comments list when the district found no errors")
		}
		if comment.FindingID != "" {
			if id, err := canonicalID(field+"/finding_id", comment.FindingID); err == nil {
				comment.FindingID = id
			}
			if r.FindingIndex(comment.FindingID) < 0 {
				return Draft{}, Errorf(EInvalid, field+"/finding_id", "review %s has no finding %s", r.ID, comment.FindingID)
			}
		}
		c.Comments[i] = comment
	}
	if c.Comments == nil {
		c.Comments = []DistrictComment{}
	}
	return Draft{Type: TypeFactualAccuracyCommented, Payload: c}, nil
}

// DecideIssueReport publishes the final report. It requires at least one
// finding and the district's factual-accuracy comments, or a note saying
// why the report goes out without them.
func DecideIssueReport(r *Review, c ReviewReport, today string) (Draft, error) {
	if err := requireStatus(r, "issue the report", ReviewStatusConducted); err != nil {
		return Draft{}, err
	}
	if len(r.Findings) == 0 {
		return Draft{}, Errorf(EInvalid, "status", "review %s has no findings; add them before issuing the report", r.ID)
	}
	c.FactualAccuracyNote = strings.TrimSpace(c.FactualAccuracyNote)
	if len(r.FactualAccuracy) == 0 && c.FactualAccuracyNote == "" {
		return Draft{}, Errorf(EInvalid, "factual_accuracy_note",
			"the district has not checked the draft for factual accuracy; record its comments first, or say in factual_accuracy_note why the report goes out without them")
	}
	if _, err := parseDay("published_on", c.PublishedOn); err != nil {
		return Draft{}, err
	}
	if r.OnSite != nil && c.PublishedOn < r.OnSite.End {
		return Draft{}, Errorf(EInvalid, "published_on", "the report cannot be published (%s) before the visit ended (%s)", c.PublishedOn, r.OnSite.End)
	}
	if c.PublishedOn > today {
		return Draft{}, Errorf(EInvalid, "published_on", "the report cannot be published (%s) after the day this is recorded (%s)", c.PublishedOn, today)
	}
	c.SourceURL = strings.TrimSpace(c.SourceURL)
	if c.SourceURL != "" {
		u, err := url.Parse(c.SourceURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Draft{}, Errorf(EInvalid, "source_url", "%q is not an http or https address of the published report", c.SourceURL)
		}
	}
	return Draft{Type: TypeReviewReportIssued, Payload: ReviewReportIssued{ReviewReport: c}}, nil
}

// DecideCorrectReport records an erratum to an issued report: it replaces
// exactly one finding or recommendation and states why.
func DecideCorrectReport(r *Review, c ReviewReportCorrected) (Draft, error) {
	if err := requireStatus(r, "correct the report", ReviewStatusIssued); err != nil {
		if r.Status == ReviewStatusConducted {
			return Draft{}, Errorf(EInvalid, "status", "review %s has no issued report to correct; revise its findings and recommendations directly", r.ID)
		}
		return Draft{}, err
	}
	c.Reason = strings.TrimSpace(c.Reason)
	if c.Reason == "" {
		return Draft{}, Errorf(EInvalid, "reason", "a correction to an issued report needs the reason, which the report prints")
	}
	switch {
	case (c.Finding == nil) == (c.Recommendation == nil):
		return Draft{}, Errorf(EInvalid, "finding", "send exactly one of finding or recommendation, the corrected item whole")
	case c.Finding != nil:
		f, err := existingFinding(r, *c.Finding)
		if err != nil {
			return Draft{}, prefixField(err, "finding")
		}
		c.Finding = &f
	default:
		rec, err := existingRecommendation(r, *c.Recommendation)
		if err != nil {
			return Draft{}, prefixField(err, "recommendation")
		}
		c.Recommendation = &rec
	}
	return Draft{Type: TypeReviewReportCorrected, Payload: c}, nil
}

// DecideCancelReview calls off a review before its report is issued.
func DecideCancelReview(r *Review, reason string) (Draft, error) {
	if err := requireStatus(r, "cancel the review", ReviewStatusScheduled, ReviewStatusConducted); err != nil {
		return Draft{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Draft{}, Errorf(EInvalid, "reason", "state why the review is cancelled")
	}
	return Draft{Type: TypeReviewCancelled, Payload: ReviewCancelled{Reason: reason}}, nil
}

// validateReviewCitations checks a finding's or recommendation's citations
// against the framework version in force on the first day of the visit and
// returns them with the item's own standard first.
func validateReviewCitations(r *Review, field, standard string, c Citations) (Citations, error) {
	visit := r.OnSiteDates().Start
	f, err := FrameworkOn(visit)
	if err != nil {
		return Citations{}, Errorf(EInvalid, field, "no framework version is in force on %s, the first day of the visit, to check citations against; list them at GET /v1/framework", visit)
	}
	if err := ValidateCitations(field, c, f.Version); err != nil {
		return Citations{}, err
	}
	out := Citations{Standards: []string{standard}, Indicators: c.Indicators, Conditions: c.Conditions}
	for _, key := range c.Standards {
		if !slices.Contains(out.Standards, key) {
			out.Standards = append(out.Standards, key)
		}
	}
	return out, nil
}

func joinReviewTypes() string {
	names := make([]string, len(ReviewTypes))
	for i, t := range ReviewTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// reviewStandardKeys lists the standard keys for error messages.
func reviewStandardKeys() string {
	keys := make([]string, len(DistrictStandards))
	for i, s := range DistrictStandards {
		keys[i] = s.Key
	}
	return strings.Join(keys, ", ")
}
