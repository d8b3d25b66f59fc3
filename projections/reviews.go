package projections

import (
	"slices"
	"time"

	"github.com/planledger/planledger/domain"
)

// ReviewView is a district review as of an instant, with what the read
// included. The fields mean what they mean in PlanView.
type ReviewView struct {
	Review             domain.Review `json:"review"`
	AsOf               AsOf          `json:"as_of"`
	LastSequence       uint64        `json:"last_sequence"`
	LastStreamSequence uint64        `json:"last_stream_sequence"`
	LastRecordedAt     time.Time     `json:"last_recorded_at"`
	LastHash           string        `json:"last_hash,omitempty"`
	Version            uint64        `json:"version"`
	ThroughVersion     uint64        `json:"through_version"`
}

// ReviewAt folds a review's first version events (0 for all) that the
// instant includes. It returns ENotFound when the review is unknown or was
// not yet scheduled at that instant.
func (p *Projector) ReviewAt(id string, at AsOf, version uint64) (ReviewView, error) {
	events := p.AggregateEvents(domain.KindReview, id)
	if len(events) == 0 {
		return ReviewView{}, domain.Errorf(domain.ENotFound, "id", "review %s not found", id)
	}
	latest := events[len(events)-1].Sequence
	switch {
	case version > latest:
		return ReviewView{}, domain.Errorf(domain.ENotFound, "version",
			"review %s has %d versions, so version %d does not exist yet", id, latest, version)
	case version == 0:
		version = latest
	}
	view := ReviewView{AsOf: at, Version: latest, ThroughVersion: version}
	for _, e := range events[:version] {
		if !at.Includes(e) {
			continue
		}
		if err := view.Review.Apply(e); err != nil {
			return ReviewView{}, err
		}
		view.LastSequence, view.LastStreamSequence = e.Sequence, e.StreamSequence
		view.LastRecordedAt, view.LastHash = e.RecordedAt, e.Hash
	}
	if view.LastSequence == 0 {
		first := events[0]
		return ReviewView{}, domain.Errorf(domain.ENotFound, "as_of",
			"review %s was not yet scheduled as of %s (%s time): that takes effect %s and was recorded %s",
			id, at.Describe(), at.Basis, first.EffectiveAt.In(Massachusetts).Format(time.RFC3339),
			first.RecordedAt.In(Massachusetts).Format(time.RFC3339))
	}
	return view, nil
}

// Review returns the current state of a review, for decisions.
func (p *Projector) Review(id string) (*domain.Review, bool) {
	state, _, ok, err := p.Aggregate(domain.KindReview, id, nil)
	if err != nil || !ok {
		return nil, false
	}
	return state.(*domain.Review), true
}

// ReviewsFor returns the current state of a district's reviews in the order
// they were scheduled. Each read folds every review, which is cheap at the
// tens of reviews a district has.
func (p *Projector) ReviewsFor(districtCode string) []*domain.Review {
	var out []*domain.Review
	for _, id := range p.AggregateIDs(domain.KindReview) {
		if r, ok := p.Review(id); ok && r.DistrictCode == districtCode {
			out = append(out, r)
		}
	}
	return out
}

// ReviewsAt lists the reviews of a district, or of every district when
// districtCode is empty, as of an instant, in the order they were
// scheduled.
func (p *Projector) ReviewsAt(districtCode string, at AsOf) ([]ReviewView, error) {
	out := []ReviewView{}
	for _, id := range p.AggregateIDs(domain.KindReview) {
		view, err := p.ReviewAt(id, at, 0)
		if domain.ErrorCode(err) == domain.ENotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		if districtCode == "" || view.Review.DistrictCode == districtCode {
			out = append(out, view)
		}
	}
	return out, nil
}

// ReviewResponses relates a review's recommendations to the DIP objectives
// and SIP goals that answer them, as of one instant.
type ReviewResponses struct {
	ReviewID     string                   `json:"review_id"`
	DistrictCode string                   `json:"district_code"`
	Status       domain.ReviewStatus      `json:"status"`
	AsOf         AsOf                     `json:"as_of"`
	Answered     []RecommendationResponse `json:"answered"`
	Unanswered   []RecommendationResponse `json:"unanswered"`
	// AnsweringUnknown lists plan items that answer a recommendation the
	// review does not have at this instant, such as a withdrawn one.
	AnsweringUnknown []AnswerRef `json:"answering_unknown"`
}

// RecommendationResponse is one recommendation and the plan items that
// answer it.
type RecommendationResponse struct {
	RecommendationID string      `json:"recommendation_id"`
	Standard         string      `json:"standard"`
	Statement        string      `json:"statement"`
	AnsweredBy       []AnswerRef `json:"answered_by"`
}

// AnswerRef names a DIP objective or SIP goal that answers a recommendation.
type AnswerRef struct {
	PlanID           string          `json:"plan_id"`
	PlanKind         domain.PlanKind `json:"plan_kind"`
	OrgCode          string          `json:"org_code"`
	OrgName          string          `json:"org_name"`
	Period           string          `json:"period"`
	Item             string          `json:"item"` // "objective" or "goal"
	ItemID           string          `json:"item_id"`
	Title            string          `json:"title"`
	RecommendationID string          `json:"recommendation_id"`
}

// ReviewResponsesAt builds the responses to a review from the plans of its
// district and the district's schools, all as of the same instant.
func (p *Projector) ReviewResponsesAt(id string, at AsOf) (ReviewResponses, error) {
	view, err := p.ReviewAt(id, at, 0)
	if err != nil {
		return ReviewResponses{}, err
	}
	review := view.Review
	out := ReviewResponses{ReviewID: review.ID, DistrictCode: review.DistrictCode, Status: review.Status, AsOf: at,
		Answered: []RecommendationResponse{}, Unanswered: []RecommendationResponse{}, AnsweringUnknown: []AnswerRef{}}

	answers := map[string][]AnswerRef{}
	for _, planID := range p.districtPlanIDs(review.DistrictCode) {
		pv, err := p.PlanAt(planID, at)
		if domain.ErrorCode(err) == domain.ENotFound {
			continue // not yet created at this instant
		}
		if err != nil {
			return ReviewResponses{}, err
		}
		for _, ref := range p.answerRefs(pv.Plan, review.ID) {
			if review.RecommendationIndex(ref.RecommendationID) < 0 {
				out.AnsweringUnknown = append(out.AnsweringUnknown, ref)
				continue
			}
			answers[ref.RecommendationID] = append(answers[ref.RecommendationID], ref)
		}
	}
	for _, rec := range review.Recommendations {
		resp := RecommendationResponse{RecommendationID: rec.ID, Standard: rec.Standard, Statement: rec.Statement,
			AnsweredBy: answers[rec.ID]}
		if len(resp.AnsweredBy) == 0 {
			resp.AnsweredBy = []AnswerRef{}
			out.Unanswered = append(out.Unanswered, resp)
			continue
		}
		out.Answered = append(out.Answered, resp)
	}
	return out, nil
}

// districtPlanIDs lists the plans of a district and of its schools, sorted
// by org code and then in creation order.
func (p *Projector) districtPlanIDs(districtCode string) []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var codes []string
	for code := range p.orgPlans {
		if domain.DistrictCodeOf(code) == districtCode {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	var ids []string
	for _, code := range codes {
		ids = append(ids, p.orgPlans[code]...)
	}
	return ids
}

// answerRefs lists a plan's objectives or goals that answer a
// recommendation of the review, one entry per recommendation answered.
func (p *Projector) answerRefs(plan domain.Plan, reviewID string) []AnswerRef {
	org, _ := p.Org(plan.OrgCode)
	base := AnswerRef{PlanID: plan.ID, PlanKind: plan.Kind, OrgCode: plan.OrgCode, OrgName: org.Name, Period: plan.PeriodLabel()}
	var out []AnswerRef
	add := func(item, itemID, title string, refs []domain.RecommendationRef) {
		for _, ref := range refs {
			if ref.ReviewID != reviewID {
				continue
			}
			a := base
			a.Item, a.ItemID, a.Title, a.RecommendationID = item, itemID, title, ref.RecommendationID
			out = append(out, a)
		}
	}
	for _, o := range plan.Objectives {
		add("objective", o.ID, o.Title, o.Answers)
	}
	for _, g := range plan.Goals {
		add("goal", g.ID, g.Title, g.Answers)
	}
	return out
}

var _ domain.ReviewLookup = (*Projector)(nil)
