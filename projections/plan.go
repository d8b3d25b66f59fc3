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
	// ThroughVersion is the last version the read considered: Version unless
	// the caller pinned an earlier one.
	ThroughVersion uint64 `json:"through_version"`
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
	return p.PlanAtVersion(id, at, 0)
}

// PlanAtVersion is PlanAt limited to the plan's first version events, so a
// change recorded later, even one that takes effect earlier, cannot alter
// a read made before it. Version 0 means every event recorded so far.
// A printed plan states its version, which makes any print reproducible.
func (p *Projector) PlanAtVersion(id string, at AsOf, version uint64) (PlanView, error) {
	events, ok := p.planEvents(id)
	if !ok {
		return PlanView{}, domain.Errorf(domain.ENotFound, "id", "plan %s not found", id)
	}
	latest := events[len(events)-1].Sequence
	if version == 0 || version > latest {
		if version > latest {
			return PlanView{}, domain.Errorf(domain.ENotFound, "version",
				"plan %s has %d versions, so version %d does not exist yet", id, latest, version)
		}
		version = latest
	}
	view := PlanView{AsOf: at, Version: latest, ThroughVersion: version}
	created := false
	for _, e := range events[:version] {
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
		first := events[0]
		return PlanView{}, domain.Errorf(domain.ENotFound, "as_of",
			"plan %s did not exist as of %s (%s time): it takes effect %s and was recorded %s",
			id, at.Describe(), at.Basis, first.EffectiveAt.In(Massachusetts).Format(time.RFC3339),
			first.RecordedAt.In(Massachusetts).Format(time.RFC3339))
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
