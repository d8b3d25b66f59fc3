package domain_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

// evalLookup adds self-evaluations to the fake lookup, as the projector
// does.
type evalLookup struct {
	*fakeLookup
	evals map[string]*domain.SelfEvaluation
}

func (l *evalLookup) SelfEvaluation(id string) (*domain.SelfEvaluation, bool) {
	e, ok := l.evals[id]
	return e, ok
}

// foldSelfEvaluation applies drafts the way the store and projector would.
func foldSelfEvaluation(t *testing.T, drafts ...domain.Draft) *domain.SelfEvaluation {
	t.Helper()
	s := &domain.SelfEvaluation{}
	at := time.Date(2016, 3, 1, 5, 0, 0, 0, time.UTC)
	for i, d := range drafts {
		raw, err := json.Marshal(d.Payload)
		if err != nil {
			t.Fatal(err)
		}
		e := domain.Event{ID: "event", Type: d.Type, SchemaVersion: 1, Sequence: uint64(i + 1),
			EffectiveAt: at.Add(time.Duration(i) * time.Hour), Payload: raw}
		if err := s.Apply(e); err != nil {
			t.Fatalf("apply %s: %v", d.Type, err)
		}
	}
	return s
}

// mustDraft returns a function that fails the test on a decision's error
// and returns its draft otherwise.
func mustDraft(t *testing.T) func(domain.Draft, error) domain.Draft {
	return func(d domain.Draft, err error) domain.Draft {
		t.Helper()
		if err != nil {
			t.Fatalf("decide: %v", err)
		}
		return d
	}
}

// startedEvaluation is the district's 2015-16 self-evaluation with
// student_support rated 2.
func startedEvaluation(t *testing.T) *domain.SelfEvaluation {
	t.Helper()
	start := mustDraft(t)(domain.DecideStartSelfEvaluation(domain.StartSelfEvaluation{DistrictCode: districtCode, Year: 2016}, nil, newLookup()))
	s := foldSelfEvaluation(t, start)
	rate := mustDraft(t)(domain.DecideRateStandard(s, domain.RateStandard{Standard: "student_support", Rating: 2, Rationale: "Crisis response only"}))
	return foldSelfEvaluation(t, start, rate)
}

func TestSelfEvaluationStart(t *testing.T) {
	d, err := domain.DecideStartSelfEvaluation(domain.StartSelfEvaluation{DistrictCode: districtCode, Year: 2016, Note: " team "}, nil, newLookup())
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	p := d.Payload.(domain.SelfEvaluationStarted)
	if p.ID != "02040000-2016" {
		t.Errorf("id = %q, want 02040000-2016", p.ID)
	}
	if p.FrameworkVersion != "dsi-2013" {
		t.Errorf("framework version = %q, want dsi-2013, in force on 2015-07-01", p.FrameworkVersion)
	}
	if p.Note != "team" {
		t.Errorf("note = %q, want it trimmed to team", p.Note)
	}
}

func TestSelfEvaluationStartRejects(t *testing.T) {
	existing := startedEvaluation(t)
	for _, tc := range []struct {
		name     string
		c        domain.StartSelfEvaluation
		existing *domain.SelfEvaluation
		code     string
		field    string
	}{
		{"malformed code", domain.StartSelfEvaluation{DistrictCode: "0204", Year: 2016}, nil, domain.EInvalid, "district_code"},
		{"school", domain.StartSelfEvaluation{DistrictCode: schoolCode, Year: 2016}, nil, domain.EInvalid, "district_code"},
		{"unknown district", domain.StartSelfEvaluation{DistrictCode: "09990000", Year: 2016}, nil, domain.ENotFound, "district_code"},
		{"year out of range", domain.StartSelfEvaluation{DistrictCode: districtCode, Year: 16}, nil, domain.EInvalid, "year"},
		{"year before any framework", domain.StartSelfEvaluation{DistrictCode: districtCode, Year: 2009}, nil, domain.EInvalid, "year"},
		{"already started", domain.StartSelfEvaluation{DistrictCode: districtCode, Year: 2016}, existing, domain.EConflict, "year"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := domain.DecideStartSelfEvaluation(tc.c, tc.existing, newLookup())
			checkError(t, err, tc.code, tc.field)
		})
	}
}

func TestSelfEvaluationRatingFold(t *testing.T) {
	start := mustDraft(t)(domain.DecideStartSelfEvaluation(domain.StartSelfEvaluation{DistrictCode: districtCode, Year: 2016}, nil, newLookup()))
	s := foldSelfEvaluation(t, start)
	support := mustDraft(t)(domain.DecideRateStandard(s, domain.RateStandard{Standard: "student_support", Rating: 2}))
	leadership := mustDraft(t)(domain.DecideRateStandard(s, domain.RateStandard{Standard: "leadership_governance", Rating: 3,
		Indicators: []string{"leadership_governance.improvement_planning"}}))
	again := mustDraft(t)(domain.DecideRateStandard(s, domain.RateStandard{Standard: "student_support", Rating: 1}))
	s = foldSelfEvaluation(t, start, support, leadership, again)

	if len(s.Ratings) != 2 {
		t.Fatalf("got %d ratings, want 2: a second rating replaces the first", len(s.Ratings))
	}
	if s.Ratings[0].Standard != "leadership_governance" {
		t.Errorf("first rating is %s, want leadership_governance, first in the standards' order", s.Ratings[0].Standard)
	}
	r, _ := s.Rating("student_support")
	if r.Rating != 1 || r.Label != "Little Evidence" {
		t.Errorf("student_support = %d %q, want 1 Little Evidence", r.Rating, r.Label)
	}
}

func TestSelfEvaluationRateRejects(t *testing.T) {
	s := startedEvaluation(t)
	for _, tc := range []struct {
		name  string
		r     domain.RateStandard
		code  string
		field string
	}{
		{"unknown standard", domain.RateStandard{Standard: "athletics", Rating: 2}, domain.ENotFound, "standard"},
		{"rating 0", domain.RateStandard{Standard: "assessment", Rating: 0}, domain.EInvalid, "rating"},
		{"rating 5", domain.RateStandard{Standard: "assessment", Rating: 5}, domain.EInvalid, "rating"},
		{"indicator of other standard", domain.RateStandard{Standard: "assessment", Rating: 2,
			Indicators: []string{"leadership_governance.budget_development"}}, domain.EInvalid, "indicators/0"},
		{"indicator not available", domain.RateStandard{Standard: "assessment", Rating: 2,
			Indicators: []string{"assessment.data_use"}}, domain.EInvalid, "indicators/0"},
		{"same rating again", domain.RateStandard{Standard: "student_support", Rating: 2, Rationale: "Crisis response only"}, domain.EInvalid, "rating"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := domain.DecideRateStandard(s, tc.r)
			checkError(t, err, tc.code, tc.field)
		})
	}
}

func TestSelfEvaluationEvidence(t *testing.T) {
	s := startedEvaluation(t)
	if _, err := domain.DecideAddEvidence(s, domain.AddEvidence{Text: " "}); err == nil {
		t.Error("blank evidence text: got no error")
	}
	_, err := domain.DecideAddEvidence(s, domain.AddEvidence{Text: "Log", Standard: "athletics"})
	checkError(t, err, domain.EInvalid, "standard")
	_, err = domain.DecideAddEvidence(s, domain.AddEvidence{Text: "Log", DataRefs: []string{"DART 2016", ""}})
	checkError(t, err, domain.EInvalid, "data_refs/1")

	d, err := domain.DecideAddEvidence(s, domain.AddEvidence{Text: "Crisis log", Standard: "student_support", DataRefs: []string{"Counseling log"}})
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	p := d.Payload.(domain.EvidenceAdded)
	if p.EvidenceID == "" {
		t.Error("evidence got no id")
	}
	if p.Standard != "student_support" || len(p.DataRefs) != 1 {
		t.Errorf("payload = %+v, want student_support with one data reference", p)
	}
}

func TestSelfEvaluationComplete(t *testing.T) {
	start := mustDraft(t)(domain.DecideStartSelfEvaluation(domain.StartSelfEvaluation{DistrictCode: districtCode, Year: 2016}, nil, newLookup()))
	drafts := []domain.Draft{start}
	s := foldSelfEvaluation(t, drafts...)
	for i, std := range domain.DistrictStandards[:5] {
		drafts = append(drafts, mustDraft(t)(domain.DecideRateStandard(s, domain.RateStandard{Standard: std.Key, Rating: 1 + i%4})))
	}
	s = foldSelfEvaluation(t, drafts...)
	_, err := domain.DecideCompleteSelfEvaluation(s, "")
	checkError(t, err, domain.EInvalid, "ratings")
	if err == nil || !strings.Contains(err.Error(), "financial_asset_management") {
		t.Errorf("error %v does not name the unrated financial_asset_management", err)
	}

	drafts = append(drafts, mustDraft(t)(domain.DecideRateStandard(s, domain.RateStandard{Standard: "financial_asset_management", Rating: 3})))
	s = foldSelfEvaluation(t, drafts...)
	drafts = append(drafts, mustDraft(t)(domain.DecideCompleteSelfEvaluation(s, " Done ")))
	s = foldSelfEvaluation(t, drafts...)
	if !s.Completed || s.Summary != "Done" || s.CompletedAt == nil {
		t.Fatalf("completed %v, summary %q, completed_at %v; want true, Done and a time", s.Completed, s.Summary, s.CompletedAt)
	}
	_, err = domain.DecideRateStandard(s, domain.RateStandard{Standard: "assessment", Rating: 4})
	checkError(t, err, domain.EConflict, "")
	_, err = domain.DecideAddEvidence(s, domain.AddEvidence{Text: "Late"})
	checkError(t, err, domain.EConflict, "")
}

func TestParseSelfEvaluationID(t *testing.T) {
	code, year, err := domain.ParseSelfEvaluationID("02040000-2017")
	if err != nil || code != "02040000" || year != 2017 {
		t.Errorf("ParseSelfEvaluationID(02040000-2017) = %q, %d, %v", code, year, err)
	}
	for _, bad := range []string{"02040000", "0204-2017", "02040000-17", "02040000-2017-1", "02040000.2017"} {
		if _, _, err := domain.ParseSelfEvaluationID(bad); err == nil {
			t.Errorf("ParseSelfEvaluationID(%q): got no error", bad)
		}
	}
}

func TestObjectiveCitesConditions(t *testing.T) {
	o := validObjective(objectiveBID)
	o.Standards = []string{"leadership_governance", "curriculum_instruction"}
	o.Indicators = []string{"leadership_governance.improvement_planning"}
	o.Conditions = []string{"aligned_curriculum"}
	d, err := domain.DecideAddObjective(newDIP(dipID, districtCode), o, nil)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	got := d.Payload.(domain.ObjectiveAdded).Objective
	if len(got.Conditions) != 1 || len(got.Indicators) != 1 {
		t.Errorf("objective keeps conditions %v and indicators %v, want one each", got.Conditions, got.Indicators)
	}
}

func TestObjectiveCitationErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*domain.Objective)
		field string
	}{
		{"unknown condition", func(o *domain.Objective) { o.Conditions = []string{"aligned_curriculum", "cse_3"} }, "conditions/1"},
		{"indicator without standard", func(o *domain.Objective) {
			o.Indicators = []string{"leadership_governance.improvement_planning"}
		}, "indicators/0"},
		{"repeated standard", func(o *domain.Objective) {
			o.Standards = []string{"curriculum_instruction", "curriculum_instruction"}
		}, "standards/1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := validObjective(objectiveBID)
			tc.edit(&o)
			_, err := domain.DecideAddObjective(newDIP(dipID, districtCode), o, nil)
			checkError(t, err, domain.EInvalid, tc.field)
		})
	}
}

// A 2019 DIP falls under dsi-2017, which lists no indicator titles, so an
// indicator a 2016 DIP may cite is rejected there.
func TestObjectiveCitationVersionByYear(t *testing.T) {
	o := validObjective(objectiveBID)
	o.Standards = []string{"leadership_governance"}
	o.Indicators = []string{"leadership_governance.improvement_planning"}
	later := newDIP(dipID, districtCode)
	later.FirstYear, later.LastYear = 2019, 2021
	_, err := domain.DecideAddObjective(later, o, nil)
	checkError(t, err, domain.EInvalid, "indicators/0")
	if _, err := domain.DecideAddObjective(newDIP(dipID, districtCode), o, nil); err != nil {
		t.Errorf("2016 DIP: got error %v, want nil", err)
	}
}

func TestNewPlanGoalCitationField(t *testing.T) {
	n := domain.NewPlan{CreatePlan: validCreateSIP()}
	good := validGoal(goalAID)
	good.Conditions = []string{"family_school_engagement"}
	bad := validGoal(goalBID)
	bad.Standards = []string{"student_support"}
	bad.Conditions = []string{"social_emotional_health", "family_engagement"}
	n.Goals = []domain.Goal{good, bad}
	_, err := domain.DecideNewPlan(n, newLookup())
	checkError(t, err, domain.EInvalid, "goals/1/conditions/1")
	if err == nil || !strings.Contains(err.Error(), "family_school_engagement") {
		t.Errorf("error %v does not list the valid condition keys", err)
	}
}

func TestObjectiveAnswersSelfEvaluation(t *testing.T) {
	look := &evalLookup{fakeLookup: newLookup(), evals: map[string]*domain.SelfEvaluation{"02040000-2016": startedEvaluation(t)}}
	ref := domain.SelfEvaluationRef{ID: "02040000-2016", Standard: "student_support"}
	o := validObjective(objectiveBID)
	o.Standards = []string{"student_support"}
	o.SelfEvaluations = []domain.SelfEvaluationRef{ref}
	if _, err := domain.DecideAddObjective(newDIP(dipID, districtCode), o, look); err != nil {
		t.Fatalf("got error %v, want nil", err)
	}

	other := &evalLookup{fakeLookup: newLookup(), evals: map[string]*domain.SelfEvaluation{}}
	late := startedEvaluation(t)
	late.ID, late.Year = "02040000-2018", 2018
	foreign := startedEvaluation(t)
	foreign.ID, foreign.DistrictCode = "00350000-2016", otherDistrictCode
	other.evals[late.ID], other.evals[foreign.ID] = late, foreign

	for _, tc := range []struct {
		name  string
		look  domain.Lookup
		refs  []domain.SelfEvaluationRef
		stds  []string
		field string
	}{
		{"unknown evaluation", look, []domain.SelfEvaluationRef{{ID: "02040000-2015", Standard: "student_support"}}, []string{"student_support"}, "self_evaluations/0/id"},
		{"other district", other, []domain.SelfEvaluationRef{{ID: foreign.ID, Standard: "student_support"}}, []string{"student_support"}, "self_evaluations/0/id"},
		{"not before plan's last year", other, []domain.SelfEvaluationRef{{ID: late.ID, Standard: "student_support"}}, []string{"student_support"}, "self_evaluations/0/id"},
		{"standard not rated", look, []domain.SelfEvaluationRef{{ID: ref.ID, Standard: "assessment"}}, []string{"assessment"}, "self_evaluations/0/standard"},
		{"standard not cited", look, []domain.SelfEvaluationRef{ref}, []string{"assessment"}, "self_evaluations/0/standard"},
		{"cited twice", look, []domain.SelfEvaluationRef{ref, ref}, []string{"student_support"}, "self_evaluations/1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := validObjective(objectiveBID)
			o.Standards = tc.stds
			o.SelfEvaluations = tc.refs
			_, err := domain.DecideAddObjective(newDIP(dipID, districtCode), o, tc.look)
			checkError(t, err, domain.EInvalid, tc.field)
		})
	}
}
