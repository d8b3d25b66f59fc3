package projections

import (
	"slices"
	"time"

	"github.com/planledger/planledger/domain"
)

// PlanView is a plan as of an instant, with what the read included.
type PlanView struct {
	Plan domain.Plan `json:"plan"`
	AsOf AsOf        `json:"as_of"`
	// LastSequence is the last aggregate sequence folded in; Version is the
	// aggregate's latest sequence, the one a writer must state.
	LastSequence       uint64    `json:"last_sequence"`
	LastStreamSequence uint64    `json:"last_stream_sequence"`
	LastRecordedAt     time.Time `json:"last_recorded_at"`
	Version            uint64    `json:"version"`
}

// clonePlan copies the slices Apply mutates in place; nested slices are only
// ever replaced whole, so sharing them is safe.
func clonePlan(p *domain.Plan) *domain.Plan {
	c := *p
	c.Sections = slices.Clone(p.Sections)
	c.Objectives = slices.Clone(p.Objectives)
	c.Goals = slices.Clone(p.Goals)
	return &c
}

// PlanAt folds a plan's events up to the instant. It returns ENotFound when
// the plan is unknown or did not yet exist at that instant.
func (p *Projector) PlanAt(id string, at AsOf) (PlanView, error) {
	events, ok := p.planEvents(id)
	if !ok {
		return PlanView{}, domain.Errorf(domain.ENotFound, "id", "plan %s not found", id)
	}
	view := PlanView{AsOf: at, Version: events[len(events)-1].Sequence}
	created := false
	for _, e := range events {
		if !at.Includes(e) {
			continue
		}
		if e.Type == domain.TypePlanCreated {
			created = true
		}
		if !created {
			continue
		}
		if err := view.Plan.Apply(e); err != nil {
			return PlanView{}, err
		}
		view.LastSequence = e.Sequence
		view.LastStreamSequence = e.StreamSequence
		view.LastRecordedAt = e.RecordedAt
	}
	if !created {
		return PlanView{}, domain.Errorf(domain.ENotFound, "as_of",
			"plan %s did not exist as of %s (%s time); it took effect %s",
			id, at.Instant.Format(time.RFC3339), at.Basis, events[0].EffectiveAt.Format(time.RFC3339))
	}
	return view, nil
}

// CreatedAt returns when a plan took effect, the earliest instant any of its
// later changes may take effect.
func (p *Projector) CreatedAt(id string) (time.Time, bool) {
	events, ok := p.planEvents(id)
	if !ok {
		return time.Time{}, false
	}
	return events[0].EffectiveAt, true
}
