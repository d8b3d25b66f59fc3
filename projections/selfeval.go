package projections

import (
	"slices"
	"strings"
	"time"

	"github.com/planledger/planledger/domain"
)

// SelfEvaluation returns the current state of a self-evaluation, for the
// plan decisions that check an objective's self_evaluations.
func (p *Projector) SelfEvaluation(id string) (*domain.SelfEvaluation, bool) {
	state, _, ok, err := p.Aggregate(domain.KindSelfEvaluation, id, nil)
	if err != nil || !ok {
		return nil, false
	}
	return state.(*domain.SelfEvaluation), true
}

// SelfEvaluationView is a self-evaluation as of an instant.
type SelfEvaluationView struct {
	SelfEvaluation *domain.SelfEvaluation `json:"self_evaluation"`
	AsOf           AsOf                   `json:"as_of"`
	// LastSequence is the last aggregate sequence folded in; Version is the
	// aggregate's latest sequence, the one a writer must state.
	LastSequence   uint64    `json:"last_sequence"`
	LastRecordedAt time.Time `json:"last_recorded_at"`
	Version        uint64    `json:"version"`
}

// SelfEvaluationAt folds a self-evaluation as of an instant. It returns
// ENotFound when the self-evaluation did not exist by then.
func (p *Projector) SelfEvaluationAt(id string, at AsOf) (SelfEvaluationView, error) {
	state, seq, ok, err := p.Aggregate(domain.KindSelfEvaluation, id, &at)
	if err != nil {
		return SelfEvaluationView{}, err
	}
	if !ok {
		return SelfEvaluationView{}, domain.Errorf(domain.ENotFound, "id", "self-evaluation %s not found as of %s", id, at.Describe())
	}
	last, _ := p.recordEvent(domain.KindSelfEvaluation, id, seq)
	return SelfEvaluationView{SelfEvaluation: state.(*domain.SelfEvaluation), AsOf: at, LastSequence: seq,
		LastRecordedAt: last.RecordedAt, Version: p.Sequence(domain.KindSelfEvaluation, id)}, nil
}

// SelfEvaluationsOf returns a district's self-evaluations as of an instant,
// ordered by school year.
func (p *Projector) SelfEvaluationsOf(districtCode string, at AsOf) []*domain.SelfEvaluation {
	var out []*domain.SelfEvaluation
	for _, id := range p.AggregateIDs(domain.KindSelfEvaluation) {
		if !strings.HasPrefix(id, districtCode+"-") {
			continue
		}
		if view, err := p.SelfEvaluationAt(id, at); err == nil {
			out = append(out, view.SelfEvaluation)
		}
	}
	slices.SortFunc(out, func(a, b *domain.SelfEvaluation) int { return a.Year - b.Year })
	return out
}

// FollowUp relates the standards a self-evaluation rated below
// domain.LowRating to the objectives of the district's later DIPs.
type FollowUp struct {
	// LaterPlans lists the DIPs considered: those that run past the
	// self-evaluation's school year, so have a year left to act on it.
	LaterPlans []PlanRef         `json:"later_plans"`
	LowRatings []LowRatingAnswer `json:"low_ratings"`
	// Unaddressed lists the keys of low-rated standards that no objective
	// of those DIPs cites.
	Unaddressed []string `json:"unaddressed_standards"`
}

// PlanRef names a plan.
type PlanRef struct {
	ID     string          `json:"id"`
	Kind   domain.PlanKind `json:"kind"`
	Title  string          `json:"title"`
	Period string          `json:"period"`
}

// LowRatingAnswer is one low-rated standard and the objectives that
// address it.
type LowRatingAnswer struct {
	Standard    string            `json:"standard"`
	Name        string            `json:"name"`
	Rating      int               `json:"rating"`
	Label       string            `json:"label"`
	AddressedBy []ObjectiveAnswer `json:"addressed_by"`
}

// ObjectiveAnswer is a DIP objective that cites a low-rated standard.
// AnswersRating is true when it also names this self-evaluation's rating
// in its self_evaluations.
type ObjectiveAnswer struct {
	PlanID        string `json:"plan_id"`
	Period        string `json:"period"`
	ObjectiveID   string `json:"objective_id"`
	Title         string `json:"title"`
	AnswersRating bool   `json:"answers_rating"`
}

// FollowUpOf builds the follow-up of a self-evaluation from the district's
// DIPs as of the instant.
func (p *Projector) FollowUpOf(s *domain.SelfEvaluation, at AsOf) FollowUp {
	out := FollowUp{LaterPlans: []PlanRef{}, LowRatings: []LowRatingAnswer{}, Unaddressed: []string{}}
	var dips []domain.Plan
	for _, plan := range p.plansOfDistrict(s.DistrictCode, at) {
		if plan.Kind == domain.PlanDIP && plan.LastYear > s.Year {
			dips = append(dips, plan)
			out.LaterPlans = append(out.LaterPlans, PlanRef{ID: plan.ID, Kind: plan.Kind, Title: plan.Title, Period: plan.PeriodLabel()})
		}
	}
	framework, _ := domain.FrameworkVersion(s.FrameworkVersion)
	for _, r := range s.Ratings {
		if r.Rating >= domain.LowRating {
			continue
		}
		low := LowRatingAnswer{Standard: r.Standard, Name: standardName(framework, r.Standard), Rating: r.Rating,
			Label: r.Label, AddressedBy: []ObjectiveAnswer{}}
		for _, dip := range dips {
			for _, o := range dip.Objectives {
				if !slices.Contains(o.Standards, r.Standard) {
					continue
				}
				answers := slices.Contains(o.SelfEvaluations, domain.SelfEvaluationRef{ID: s.ID, Standard: r.Standard})
				low.AddressedBy = append(low.AddressedBy, ObjectiveAnswer{PlanID: dip.ID, Period: dip.PeriodLabel(),
					ObjectiveID: o.ID, Title: o.Title, AnswersRating: answers})
			}
		}
		if len(low.AddressedBy) == 0 {
			out.Unaddressed = append(out.Unaddressed, r.Standard)
		}
		out.LowRatings = append(out.LowRatings, low)
	}
	return out
}

// standardName returns a standard's name in a framework version, falling
// back to the regulation's name when the version is unknown.
func standardName(f *domain.Framework, key string) string {
	if f != nil {
		if s, ok := f.Standard(key); ok {
			return s.Name
		}
	}
	return domain.StandardName(key)
}

// plansOfDistrict returns, as of the instant, the plans of a district and
// of its schools, ordered by org code, then first year.
func (p *Projector) plansOfDistrict(districtCode string, at AsOf) []domain.Plan {
	p.mu.RLock()
	var ids []string
	for code, planIDs := range p.orgPlans {
		if domain.DistrictCodeOf(code) == districtCode {
			ids = append(ids, planIDs...)
		}
	}
	p.mu.RUnlock()

	var out []domain.Plan
	for _, id := range ids {
		if v, err := p.PlanAt(id, at); err == nil {
			out = append(out, v.Plan)
		}
	}
	slices.SortFunc(out, func(a, b domain.Plan) int {
		if c := strings.Compare(a.OrgCode, b.OrgCode); c != 0 {
			return c
		}
		if a.FirstYear != b.FirstYear {
			return a.FirstYear - b.FirstYear
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}
