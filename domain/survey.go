package domain

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// KindSurvey is a survey the Department issues to a set of districts and
// schools from a library instrument; id = UUID.
const KindSurvey = "survey"

// Event types of the survey aggregate.
const (
	TypeSurveyIssued   = "survey.issued"
	TypeSurveyAnswered = "survey.answered"
	TypeSurveyClosed   = "survey.closed"
)

func init() { RegisterKind(KindSurvey, func() State { return &Survey{} }) }

// Survey statuses, which depend on the instant a survey is read at.
const (
	SurveyScheduled = "scheduled" // before opens_at
	SurveyOpen      = "open"
	SurveyEnded     = "ended" // closes_at has passed but nobody closed it
	SurveyClosed    = "closed"
)

// Event payloads of the survey aggregate.
type (
	// SurveyIssued copies the instrument's questions, so the survey keeps
	// the questions it was answered with after the library changes.
	SurveyIssued struct {
		ID                string     `json:"id"`
		Title             string     `json:"title"`
		InstrumentID      string     `json:"instrument_id"`
		InstrumentVersion int        `json:"instrument_version"`
		Questions         []Question `json:"questions"`
		OrgCodes          []string   `json:"org_codes"`
		OpensAt           time.Time  `json:"opens_at"`
		ClosesAt          time.Time  `json:"closes_at"`
	}
	// SurveyAnswered is one respondent's response. A later response by the
	// same respondent replaces the earlier one in the results.
	SurveyAnswered struct {
		Respondent string            `json:"respondent"`
		Role       Role              `json:"role"`
		OrgCode    string            `json:"org_code"`   // the respondent's own org
		CountsFor  string            `json:"counts_for"` // the targeted org the response is reported under
		Answers    map[string]Answer `json:"answers"`
		Replaces   bool              `json:"replaces,omitempty"`
	}
	SurveyClosedPayload struct {
		Reason string `json:"reason,omitempty"`
	}
)

// Answer is the answer to one question; exactly the field of the
// question's kind is set.
type Answer struct {
	Likert int    `json:"likert,omitempty"`
	Choice string `json:"choice,omitempty"`
	Text   string `json:"text,omitempty"`
}

// SurveyResponse is a respondent's latest response.
type SurveyResponse struct {
	SurveyAnswered
	AnsweredAt time.Time `json:"answered_at"`
	Revisions  int       `json:"revisions"` // 1 for a first answer, more for replacements
}

// Survey is the folded state of one survey. Responses are kept for the
// results and never listed whole by the API, because they name respondents.
type Survey struct {
	ID                string     `json:"id"`
	Title             string     `json:"title"`
	InstrumentID      string     `json:"instrument_id"`
	InstrumentVersion int        `json:"instrument_version"`
	Questions         []Question `json:"questions"`
	OrgCodes          []string   `json:"org_codes"`
	OpensAt           time.Time  `json:"opens_at"`
	ClosesAt          time.Time  `json:"closes_at"`
	IssuedAt          time.Time  `json:"issued_at"`
	IssuedBy          string     `json:"issued_by"`
	ClosedAt          *time.Time `json:"closed_at,omitempty"`
	ClosedBy          string     `json:"closed_by,omitempty"`
	CloseReason       string     `json:"close_reason,omitempty"`

	Responses map[string]SurveyResponse `json:"-"` // by respondent
}

// Apply folds one survey event.
func (s *Survey) Apply(e Event) error {
	switch e.Type {
	case TypeSurveyIssued:
		var c SurveyIssued
		if err := e.Decode(&c); err != nil {
			return err
		}
		*s = Survey{ID: c.ID, Title: c.Title, InstrumentID: c.InstrumentID, InstrumentVersion: c.InstrumentVersion,
			Questions: c.Questions, OrgCodes: c.OrgCodes, OpensAt: c.OpensAt, ClosesAt: c.ClosesAt,
			IssuedAt: e.EffectiveAt, IssuedBy: e.Actor, Responses: map[string]SurveyResponse{}}
	case TypeSurveyAnswered:
		var c SurveyAnswered
		if err := e.Decode(&c); err != nil {
			return err
		}
		if s.Responses == nil {
			s.Responses = map[string]SurveyResponse{}
		}
		revisions := s.Responses[c.Respondent].Revisions + 1
		s.Responses[c.Respondent] = SurveyResponse{SurveyAnswered: c, AnsweredAt: e.EffectiveAt, Revisions: revisions}
	case TypeSurveyClosed:
		var c SurveyClosedPayload
		if err := e.Decode(&c); err != nil {
			return err
		}
		at := e.EffectiveAt
		s.ClosedAt, s.ClosedBy, s.CloseReason = &at, e.Actor, c.Reason
	default:
		return fmt.Errorf("apply survey event %s: unknown type %q", e.ID, e.Type)
	}
	return nil
}

// StatusAt returns the survey's status at an instant. The survey must be
// folded as of that instant, so a later close is not yet seen.
func (s *Survey) StatusAt(t time.Time) string {
	switch {
	case s.ClosedAt != nil:
		return SurveyClosed
	case t.Before(s.OpensAt):
		return SurveyScheduled
	case !t.Before(s.ClosesAt):
		return SurveyEnded
	default:
		return SurveyOpen
	}
}

// ResponseCounts returns the number of respondents per targeted org, in
// the order the survey lists the orgs.
func (s *Survey) ResponseCounts() []OrgCount {
	counts := map[string]int{}
	for _, r := range s.Responses {
		counts[r.CountsFor]++
	}
	out := make([]OrgCount, len(s.OrgCodes))
	for i, code := range s.OrgCodes {
		out[i] = OrgCount{OrgCode: code, Respondents: counts[code]}
	}
	return out
}

// OrgCount is the number of respondents reported under one targeted org.
type OrgCount struct {
	OrgCode     string `json:"org_code"`
	Respondents int    `json:"respondents"`
}

// IssueSurvey is the command that issues a survey. ID may be empty to get
// a new UUID; Title empty takes the instrument's title.
type IssueSurvey struct {
	ID           string    `json:"id"`
	InstrumentID string    `json:"instrument_id"`
	Title        string    `json:"title"`
	OrgCodes     []string  `json:"org_codes"`
	OpensAt      time.Time `json:"-"`
	ClosesAt     time.Time `json:"-"`
}

// OrgLookup finds registered districts and schools.
type OrgLookup interface {
	Org(code string) (Org, bool)
}

// maxSurveyOrgs caps the orgs one survey targets; the bundled data has
// about 2,400 districts and schools, so this admits a statewide survey.
const maxSurveyOrgs = 5000

// NormalizeSurveyID returns the canonical form of a survey id, or a new
// UUID for an empty one.
func NormalizeSurveyID(id string) (string, error) {
	if id == "" {
		return uuid.NewString(), nil
	}
	return canonicalID("id", id)
}

// DecideIssueSurvey validates a survey against its instrument, the orgs
// and the clock. existing is the aggregate's state, nil for a new id.
func DecideIssueSurvey(existing State, c IssueSurvey, item LibraryItem, orgs OrgLookup, now time.Time) (Draft, error) {
	if existing != nil {
		return Draft{}, Errorf(EConflict, "id", "survey %s already exists", c.ID)
	}
	if item.Instrument == nil {
		return Draft{}, Errorf(EInvalid, "instrument_id",
			"library item %s has no questionnaire; list instruments at GET /v1/assistance/library?kind=survey", item.ID)
	}
	title := strings.TrimSpace(c.Title)
	if title == "" {
		title = item.Title
	}

	if len(c.OrgCodes) == 0 {
		return Draft{}, Errorf(EInvalid, "org_codes", "name at least one district or school the survey is for")
	}
	if len(c.OrgCodes) > maxSurveyOrgs {
		return Draft{}, Errorf(EInvalid, "org_codes", "a survey targets at most %d orgs; this one names %d", maxSurveyOrgs, len(c.OrgCodes))
	}
	seen := map[string]bool{}
	for i, code := range c.OrgCodes {
		field := fmt.Sprintf("org_codes/%d", i)
		if err := ValidateOrgCode(field, code); err != nil {
			return Draft{}, err
		}
		if seen[code] {
			return Draft{}, Errorf(EInvalid, field, "org %s is named twice", code)
		}
		seen[code] = true
		if _, ok := orgs.Org(code); !ok {
			return Draft{}, Errorf(ENotFound, field, "no district or school has org code %s; list them at GET /v1/orgs", code)
		}
	}

	if c.OpensAt.IsZero() {
		return Draft{}, Errorf(EInvalid, "opens_at", "state when the survey opens, as a date like 2017-10-01 or an RFC 3339 instant")
	}
	if c.ClosesAt.IsZero() {
		return Draft{}, Errorf(EInvalid, "closes_at", "state when the survey closes, as a date like 2017-10-31 or an RFC 3339 instant")
	}
	if !c.ClosesAt.After(c.OpensAt) {
		return Draft{}, Errorf(EInvalid, "closes_at", "closes_at %s must be after opens_at %s",
			c.ClosesAt.Format(time.RFC3339), c.OpensAt.Format(time.RFC3339))
	}
	if !c.ClosesAt.After(now) {
		return Draft{}, Errorf(EInvalid, "closes_at", "closes_at %s is in the past; set a future closes_at", c.ClosesAt.Format(time.RFC3339))
	}

	return Draft{Type: TypeSurveyIssued, Payload: SurveyIssued{
		ID: c.ID, Title: title, InstrumentID: item.ID, InstrumentVersion: item.Version,
		Questions: slices.Clone(item.Instrument.Questions), OrgCodes: slices.Clone(c.OrgCodes),
		OpensAt: c.OpensAt.UTC(), ClosesAt: c.ClosesAt.UTC(),
	}}, nil
}

// TargetFor returns the targeted org a respondent's answers count for: the
// respondent's own org when the survey names it, otherwise its district
// when the survey names that. It returns false when neither is named.
func (s *Survey) TargetFor(org Org) (string, bool) {
	if slices.Contains(s.OrgCodes, org.Code) {
		return org.Code, true
	}
	if org.Type == OrgSchool && slices.Contains(s.OrgCodes, org.DistrictCode) {
		return org.DistrictCode, true
	}
	return "", false
}

// DecideAnswerSurvey checks a response against the survey's window, its
// targets and its questions. respondentOrg is the org the respondent's
// token acts for. A respondent who already answered replaces the earlier
// response, as long as the survey is open.
func DecideAnswerSurvey(s *Survey, p Principal, respondentOrg Org, answers map[string]json.RawMessage, now time.Time) (Draft, error) {
	if s == nil {
		return Draft{}, Errorf(ENotFound, "id", "survey not found")
	}
	switch s.StatusAt(now) {
	case SurveyClosed:
		return Draft{}, Errorf(EConflict, "closed_at", "survey %s was closed at %s and takes no more responses",
			s.ID, s.ClosedAt.Format(time.RFC3339))
	case SurveyScheduled:
		return Draft{}, Errorf(EConflict, "opens_at", "survey %s opens at %s; answer after that", s.ID, s.OpensAt.Format(time.RFC3339))
	case SurveyEnded:
		return Draft{}, Errorf(EConflict, "closes_at", "survey %s closed for responses at %s", s.ID, s.ClosesAt.Format(time.RFC3339))
	}
	target, ok := s.TargetFor(respondentOrg)
	if !ok {
		return Draft{}, Errorf(EForbidden, "Authorization", "survey %s is for %s; %s %s is not one of them or a school of one",
			s.ID, strings.Join(s.OrgCodes, ", "), respondentOrg.Type, respondentOrg.Code)
	}
	parsed, err := parseAnswers(s.Questions, answers)
	if err != nil {
		return Draft{}, err
	}
	_, replaces := s.Responses[p.Subject]
	return Draft{Type: TypeSurveyAnswered, Payload: SurveyAnswered{
		Respondent: p.Subject, Role: p.Role, OrgCode: respondentOrg.Code, CountsFor: target,
		Answers: parsed, Replaces: replaces,
	}}, nil
}

func parseAnswers(questions []Question, raw map[string]json.RawMessage) (map[string]Answer, error) {
	if len(raw) == 0 {
		return nil, Errorf(EInvalid, "answers", "send at least one answer, keyed by question id")
	}
	for _, id := range slices.Sorted(maps.Keys(raw)) {
		if !slices.ContainsFunc(questions, func(q Question) bool { return q.ID == id }) {
			return nil, Errorf(EInvalid, "answers/"+id, "the survey has no question %q", id)
		}
	}
	out := map[string]Answer{}
	for _, q := range questions {
		field := "answers/" + q.ID
		value, given := raw[q.ID]
		if given && strings.TrimSpace(string(value)) == "null" {
			// A null would store a response without this answer, replacing
			// an earlier answer with nothing.
			return nil, Errorf(EInvalid, field, "the answer to %s is null; answer it, or leave the question out", q.ID)
		}
		if !given {
			if q.Required {
				return nil, Errorf(EInvalid, field, "question %s is required", q.ID)
			}
			continue
		}
		a, err := parseAnswer(q, value)
		if err != nil {
			return nil, Errorf(EInvalid, field, "%s", err.Error())
		}
		out[q.ID] = a
	}
	return out, nil
}

func parseAnswer(q Question, value json.RawMessage) (Answer, error) {
	switch q.Kind {
	case QuestionLikert:
		var n float64
		if err := json.Unmarshal(value, &n); err != nil || n != math.Trunc(n) || n < 1 || n > 5 {
			return Answer{}, fmt.Errorf("question %s takes a whole number from 1 to 5, not %s", q.ID, value)
		}
		return Answer{Likert: int(n)}, nil
	case QuestionChoice:
		var choice string
		if err := json.Unmarshal(value, &choice); err != nil || !slices.Contains(q.Options, choice) {
			return Answer{}, fmt.Errorf("question %s takes one of %q, not %s", q.ID, q.Options, value)
		}
		return Answer{Choice: choice}, nil
	default:
		var text string
		if err := json.Unmarshal(value, &text); err != nil {
			return Answer{}, fmt.Errorf("question %s takes text, not %s", q.ID, value)
		}
		text = strings.TrimSpace(text)
		if len([]rune(text)) > MaxAnswerText {
			return Answer{}, fmt.Errorf("the answer to %s is over %d characters; shorten it", q.ID, MaxAnswerText)
		}
		if text == "" {
			return Answer{}, fmt.Errorf("the answer to %s is empty; leave the question out instead", q.ID)
		}
		return Answer{Text: text}, nil
	}
}

// DecideCloseSurvey closes a survey to further responses. A survey may be
// closed before it opens, which withdraws it.
func DecideCloseSurvey(s *Survey, reason string) (Draft, error) {
	if s == nil {
		return Draft{}, Errorf(ENotFound, "id", "survey not found")
	}
	if s.ClosedAt != nil {
		return Draft{}, Errorf(EConflict, "closed_at", "survey %s was already closed at %s", s.ID, s.ClosedAt.Format(time.RFC3339))
	}
	return Draft{Type: TypeSurveyClosed, Payload: SurveyClosedPayload{Reason: strings.TrimSpace(reason)}}, nil
}
