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
	LastHash           string    `json:"last_hash,omitempty"` // chain hash of the event at LastSequence, "" if unchained
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
// The view's plan may share nested slices, such as an objective's
// standards, with other views and with Plan's result, so callers must not
// modify them in place.
func (p *Projector) PlanAtVersion(id string, at AsOf, version uint64) (PlanView, error) {
	return p.planAtVersion(id, at, version, true)
}

// planAtVersion implements PlanAtVersion. With useSnapshots it starts from
// the latest plan snapshot that the read includes in full, which gives the
// same view as folding every event from the first.
func (p *Projector) planAtVersion(id string, at AsOf, version uint64, useSnapshots bool) (PlanView, error) {
	events, snapshots, ok := p.planHistory(id)
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
	start := 0
	var s *planSnapshot
	if useSnapshots {
		s = usablePlanSnapshot(snapshots, at, int(version))
	}
	if s != nil {
		// The snapshot's events start with the plan's creation and the read
		// includes all of them, so a full fold would end in this state.
		last := events[s.count-1]
		view.Plan = *clonePlan(s.plan)
		view.LastSequence = last.Sequence
		view.LastStreamSequence = last.StreamSequence
		view.LastRecordedAt = last.RecordedAt
		view.LastHash = last.Hash
		created = true
		start = s.count
	}
	for _, e := range events[start:version] {
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
		view.LastHash = e.Hash
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
