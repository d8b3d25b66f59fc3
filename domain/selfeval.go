package domain

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// KindSelfEvaluation is a district's annual self-evaluation against the
// district standards, which 603 CMR 2.03(5) requires every district to run
// and which feeds its improvement planning. Its id is the district code and
// the school year, e.g. "02040000-2017" for 2016-17.
const KindSelfEvaluation = "self_evaluation"

// Event types of the self-evaluation aggregate.
const (
	TypeSelfEvaluationStarted   = "self_evaluation.started"
	TypeStandardRated           = "self_evaluation.standard_rated"
	TypeEvidenceAdded           = "self_evaluation.evidence_added"
	TypeSelfEvaluationCompleted = "self_evaluation.completed"
)

func init() {
	RegisterKind(KindSelfEvaluation, func() State { return &SelfEvaluation{} })
}

// RatingLevel is one step of the self-evaluation rating continuum.
type RatingLevel struct {
	Value       int    `json:"value"`
	Label       string `json:"label"`
	Description string `json:"description"`
}

// SelfEvaluationScale is the continuum of DESE's Conditions for School
// Effectiveness Self-Assessment (2010), reused for district standards
// because DESE published no rating scale for them. It is a district's own
// judgment, not a DESE review rating. The tool's descriptor of level 4 was
// not at hand, so none is given.
var SelfEvaluationScale = []RatingLevel{
	{1, "Little Evidence", "Little or no progress, or practice too infrequent to make a difference."},
	{2, "Developing", "Some policies and practices are emerging but are not fully developed or not implemented with fidelity."},
	{3, "Providing", "Policies and practices are implemented consistently."},
	{4, "Sustaining", ""},
}

// SelfEvaluationScaleNote states where the continuum comes from, for
// responses and documents that show ratings.
const SelfEvaluationScaleNote = "Continuum of DESE's Conditions for School Effectiveness Self-Assessment (2010), " +
	"reused for district standards: DESE published no rating scale for district standards, so this is the " +
	"district's own judgment, not a DESE review rating."

// LowRating is the rating below which a standard needs a later DIP
// objective: 1 Little Evidence and 2 Developing.
const LowRating = 3

// RatingLabel returns the label of a rating value, or "" when it is off
// the scale.
func RatingLabel(value int) string {
	for _, l := range SelfEvaluationScale {
		if l.Value == value {
			return l.Label
		}
	}
	return ""
}

// SelfEvaluation is the state of one self-evaluation, folded from its
// events.
type SelfEvaluation struct {
	ID               string           `json:"id"`
	DistrictCode     string           `json:"district_code"`
	Year             int              `json:"year"` // school year named by its spring
	FrameworkVersion string           `json:"framework_version"`
	Note             string           `json:"note,omitempty"`
	StartedAt        time.Time        `json:"started_at"`
	Ratings          []StandardRating `json:"ratings"` // in the standards' order
	Evidence         []Evidence       `json:"evidence"`
	Completed        bool             `json:"completed"`
	CompletedAt      *time.Time       `json:"completed_at,omitempty"`
	Summary          string           `json:"summary,omitempty"`
}

// StandardRating is a district's rating of one standard.
type StandardRating struct {
	Standard   string    `json:"standard"`
	Rating     int       `json:"rating"`
	Label      string    `json:"label"`
	Indicators []string  `json:"indicators,omitempty"` // indicators of the standard the rating rests on
	Rationale  string    `json:"rationale,omitempty"`
	RatedAt    time.Time `json:"rated_at"`
}

// Evidence is a piece of evidence behind a self-evaluation, optionally
// about one standard. DataRefs name data it rests on, such as a DART
// report or a file in the district's records.
type Evidence struct {
	ID       string    `json:"id"`
	Standard string    `json:"standard,omitempty"`
	Text     string    `json:"text"`
	DataRefs []string  `json:"data_refs,omitempty"`
	AddedAt  time.Time `json:"added_at"`
}

// Event payloads of the self-evaluation aggregate.
type (
	SelfEvaluationStarted struct {
		ID               string `json:"id"`
		DistrictCode     string `json:"district_code"`
		Year             int    `json:"year"`
		FrameworkVersion string `json:"framework_version"`
		Note             string `json:"note,omitempty"`
	}
	StandardRated struct {
		Standard   string   `json:"standard"`
		Rating     int      `json:"rating"`
		Indicators []string `json:"indicators,omitempty"`
		Rationale  string   `json:"rationale,omitempty"`
	}
	EvidenceAdded struct {
		EvidenceID string   `json:"evidence_id"`
		Standard   string   `json:"standard,omitempty"`
		Text       string   `json:"text"`
		DataRefs   []string `json:"data_refs,omitempty"`
	}
	SelfEvaluationCompleted struct {
		Summary string `json:"summary,omitempty"`
	}
)

// Apply folds one event into the self-evaluation. Times come from the
// event, so the fold is deterministic.
func (s *SelfEvaluation) Apply(e Event) error {
	switch e.Type {
	case TypeSelfEvaluationStarted:
		var c SelfEvaluationStarted
		if err := e.Decode(&c); err != nil {
			return err
		}
		*s = SelfEvaluation{ID: c.ID, DistrictCode: c.DistrictCode, Year: c.Year, FrameworkVersion: c.FrameworkVersion,
			Note: c.Note, StartedAt: e.EffectiveAt, Ratings: []StandardRating{}, Evidence: []Evidence{}}
	case TypeStandardRated:
		var c StandardRated
		if err := e.Decode(&c); err != nil {
			return err
		}
		s.setRating(StandardRating{Standard: c.Standard, Rating: c.Rating, Label: RatingLabel(c.Rating),
			Indicators: c.Indicators, Rationale: c.Rationale, RatedAt: e.EffectiveAt})
	case TypeEvidenceAdded:
		var c EvidenceAdded
		if err := e.Decode(&c); err != nil {
			return err
		}
		s.Evidence = append(s.Evidence, Evidence{ID: c.EvidenceID, Standard: c.Standard, Text: c.Text,
			DataRefs: c.DataRefs, AddedAt: e.EffectiveAt})
	case TypeSelfEvaluationCompleted:
		var c SelfEvaluationCompleted
		if err := e.Decode(&c); err != nil {
			return err
		}
		at := e.EffectiveAt
		s.Completed, s.CompletedAt, s.Summary = true, &at, c.Summary
	default:
		return fmt.Errorf("apply self-evaluation event %s: unknown type %q", e.ID, e.Type)
	}
	return nil
}

// setRating replaces the standard's rating or adds it, keeping ratings in
// the order of DistrictStandards.
func (s *SelfEvaluation) setRating(r StandardRating) {
	if i := slices.IndexFunc(s.Ratings, func(x StandardRating) bool { return x.Standard == r.Standard }); i >= 0 {
		s.Ratings[i] = r
		return
	}
	s.Ratings = append(s.Ratings, r)
	slices.SortStableFunc(s.Ratings, func(a, b StandardRating) int {
		return standardIndex(a.Standard) - standardIndex(b.Standard)
	})
}

// Rating returns the rating of a standard, if it has one.
func (s *SelfEvaluation) Rating(standard string) (StandardRating, bool) {
	for _, r := range s.Ratings {
		if r.Standard == standard {
			return r, true
		}
	}
	return StandardRating{}, false
}

func standardIndex(key string) int {
	return slices.IndexFunc(DistrictStandards, func(s Standard) bool { return s.Key == key })
}

// SelfEvaluationID returns the id of a district's self-evaluation for a
// school year, e.g. "02040000-2017".
func SelfEvaluationID(districtCode string, year int) string {
	return fmt.Sprintf("%s-%d", districtCode, year)
}

// ParseSelfEvaluationID splits an id made by SelfEvaluationID.
func ParseSelfEvaluationID(id string) (districtCode string, year int, err error) {
	code, y, ok := strings.Cut(id, "-")
	year, convErr := strconv.Atoi(y)
	if !ok || convErr != nil || ValidateOrgCode("id", code) != nil || checkYear("id", year) != nil {
		return "", 0, Errorf(EInvalid, "id", "self-evaluation id %q is not a district code and a school year such as 02040000-2017", id)
	}
	return code, year, nil
}

// SelfEvaluationLookup finds self-evaluations for the objectives that
// answer their ratings. projections.Projector implements it. It is apart
// from Lookup so that Lookup's other implementations need not change.
type SelfEvaluationLookup interface {
	SelfEvaluation(id string) (*SelfEvaluation, bool)
}

// StartSelfEvaluation opens a district's self-evaluation for a school year.
type StartSelfEvaluation struct {
	DistrictCode string `json:"district_code"`
	Year         int    `json:"year"`
	Note         string `json:"note"`
}

// DecideStartSelfEvaluation checks that the org is a district and that a
// framework version is in force for the year, which the evaluation then
// keeps. existing is the current state under the new id, nil when none.
func DecideStartSelfEvaluation(c StartSelfEvaluation, existing *SelfEvaluation, look Lookup) (Draft, error) {
	if err := ValidateOrgCode("district_code", c.DistrictCode); err != nil {
		return Draft{}, err
	}
	if err := checkYear("year", c.Year); err != nil {
		return Draft{}, err
	}
	id := SelfEvaluationID(c.DistrictCode, c.Year)
	if existing != nil {
		return Draft{}, Errorf(EConflict, "year", "district %s already has self-evaluation %s for %s; rate its standards at /v1/self-evaluations/%s",
			c.DistrictCode, id, SchoolYearLabel(c.Year), id)
	}
	org, ok := look.Org(c.DistrictCode)
	if !ok {
		return Draft{}, Errorf(ENotFound, "district_code", "no district has org code %s; list them at GET /v1/orgs?type=district", c.DistrictCode)
	}
	if org.Type != OrgDistrict {
		return Draft{}, Errorf(EInvalid, "district_code", "%s is a school; a self-evaluation belongs to a district such as %s", c.DistrictCode, org.DistrictCode)
	}
	f, err := FrameworkForYear(c.Year)
	if err != nil {
		return Draft{}, prefixField(err, "year")
	}
	return Draft{Type: TypeSelfEvaluationStarted, Payload: SelfEvaluationStarted{ID: id, DistrictCode: c.DistrictCode,
		Year: c.Year, FrameworkVersion: f.Version, Note: strings.TrimSpace(c.Note)}}, nil
}

// RateStandard rates one standard, replacing any earlier rating of it.
type RateStandard struct {
	Standard   string   `json:"standard"`
	Rating     int      `json:"rating"`
	Indicators []string `json:"indicators"`
	Rationale  string   `json:"rationale"`
}

// DecideRateStandard checks a rating against the scale and the
// evaluation's framework version.
func DecideRateStandard(s *SelfEvaluation, r RateStandard) (Draft, error) {
	if err := checkOpen(s); err != nil {
		return Draft{}, err
	}
	f, err := s.framework()
	if err != nil {
		return Draft{}, err
	}
	if _, ok := f.Standard(r.Standard); !ok {
		return Draft{}, Errorf(ENotFound, "standard", "%q is not a district standard; use one of %s", r.Standard, f.standardKeys())
	}
	if RatingLabel(r.Rating) == "" {
		return Draft{}, Errorf(EInvalid, "rating", "rating %d is off the scale; use 1 Little Evidence, 2 Developing, 3 Providing or 4 Sustaining", r.Rating)
	}
	c := Citations{Standards: []string{r.Standard}, Indicators: r.Indicators}
	if err := ValidateCitations("", c, f.Version); err != nil {
		return Draft{}, err
	}
	r.Rationale = strings.TrimSpace(r.Rationale)
	if old, ok := s.Rating(r.Standard); ok && old.Rating == r.Rating && old.Rationale == r.Rationale && slices.Equal(old.Indicators, r.Indicators) {
		return Draft{}, Errorf(EInvalid, "rating", "%s is already rated %d with this rationale; nothing to change", r.Standard, r.Rating)
	}
	return Draft{Type: TypeStandardRated, Payload: StandardRated(r)}, nil
}

// AddEvidence records evidence behind the self-evaluation.
type AddEvidence struct {
	ID       string   `json:"id"`
	Standard string   `json:"standard"`
	Text     string   `json:"text"`
	DataRefs []string `json:"data_refs"`
}

// DecideAddEvidence checks evidence text, its standard when named, and its
// data references. An empty ID gets a new UUID.
func DecideAddEvidence(s *SelfEvaluation, a AddEvidence) (Draft, error) {
	if err := checkOpen(s); err != nil {
		return Draft{}, err
	}
	if strings.TrimSpace(a.Text) == "" {
		return Draft{}, Errorf(EInvalid, "text", "evidence needs a text saying what was observed or found")
	}
	if a.Standard != "" {
		f, err := s.framework()
		if err != nil {
			return Draft{}, err
		}
		if _, ok := f.Standard(a.Standard); !ok {
			return Draft{}, Errorf(EInvalid, "standard", "%q is not a district standard; use one of %s, or leave standard out", a.Standard, f.standardKeys())
		}
	}
	for i, ref := range a.DataRefs {
		if strings.TrimSpace(ref) == "" {
			return Draft{}, Errorf(EInvalid, fmt.Sprintf("data_refs/%d", i), "a data reference is blank; name the report or file, or leave it out")
		}
	}
	if a.ID == "" {
		a.ID = uuid.NewString()
	}
	id, err := canonicalID("id", a.ID)
	if err != nil {
		return Draft{}, err
	}
	if slices.ContainsFunc(s.Evidence, func(e Evidence) bool { return e.ID == id }) {
		return Draft{}, Errorf(EConflict, "id", "evidence %s is already recorded", id)
	}
	return Draft{Type: TypeEvidenceAdded, Payload: EvidenceAdded{EvidenceID: id, Standard: a.Standard,
		Text: strings.TrimSpace(a.Text), DataRefs: a.DataRefs}}, nil
}

// DecideCompleteSelfEvaluation closes the self-evaluation once every
// standard is rated, because the regulation has the district evaluate
// itself against all of them.
func DecideCompleteSelfEvaluation(s *SelfEvaluation, summary string) (Draft, error) {
	if err := checkOpen(s); err != nil {
		return Draft{}, err
	}
	var missing []string
	for _, std := range DistrictStandards {
		if _, ok := s.Rating(std.Key); !ok {
			missing = append(missing, std.Key)
		}
	}
	if len(missing) > 0 {
		return Draft{}, Errorf(EInvalid, "ratings", "rate every standard before completing; not yet rated: %s", strings.Join(missing, ", "))
	}
	return Draft{Type: TypeSelfEvaluationCompleted, Payload: SelfEvaluationCompleted{Summary: strings.TrimSpace(summary)}}, nil
}

func checkOpen(s *SelfEvaluation) error {
	if s.Completed {
		return Errorf(EConflict, "", "self-evaluation %s was completed on %s and can no longer change", s.ID, s.CompletedAt.Format(time.DateOnly))
	}
	return nil
}

func (s *SelfEvaluation) framework() (*Framework, error) {
	f, ok := FrameworkVersion(s.FrameworkVersion)
	if !ok {
		return nil, Errorf(EInternal, "", "self-evaluation %s names framework version %q, which this build does not have", s.ID, s.FrameworkVersion)
	}
	return f, nil
}
