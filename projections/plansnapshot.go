package projections

import (
	"sort"
	"time"

	"github.com/planledger/planledger/domain"
)

// planSnapshotEvery is the number of events between two in-memory plan
// snapshots. An as-of read then folds at most this many events before the
// first one its instant excludes. Each snapshot costs one shallow plan copy.
const planSnapshotEvery = 256

// planSnapshot is a plan folded through its first count events, with the
// latest EffectiveAt and RecordedAt among those events. A read whose
// instant is at or after the latest time of its basis includes every one of
// them, so it can start from plan instead of folding them again.
type planSnapshot struct {
	count        int
	plan         *domain.Plan // never mutated: clone it before folding more events in
	maxEffective time.Time
	maxRecorded  time.Time
}

// latest returns the latest time of the basis among the snapshot's events,
// using the same basis rule as AsOf.Includes.
func (s *planSnapshot) latest(basis string) time.Time {
	if basis == BasisRecorded {
		return s.maxRecorded
	}
	return s.maxEffective
}

// add appends e to the plan's events and folds it into a copy of current,
// so readers holding the previous pointer never see a half-applied plan.
// It keeps a plan snapshot every planSnapshotEvery events until an event
// fails to fold. After such a failure current is no longer the fold of
// every event, and a full fold that includes the failed event returns an
// error, so no later snapshot may stand in for it.
func (rec *planRecord) add(e domain.Event) error {
	rec.events = append(rec.events, e)
	if e.EffectiveAt.After(rec.maxEffective) {
		rec.maxEffective = e.EffectiveAt
	}
	if e.RecordedAt.After(rec.maxRecorded) {
		rec.maxRecorded = e.RecordedAt
	}

	next := clonePlan(rec.current)
	if err := next.Apply(e); err != nil {
		rec.foldFailed = true
		return err
	}
	rec.current = next
	if !rec.foldFailed && len(rec.events)%planSnapshotEvery == 0 {
		rec.snapshots = append(rec.snapshots, planSnapshot{
			count: len(rec.events), plan: next, maxEffective: rec.maxEffective, maxRecorded: rec.maxRecorded,
		})
	}
	return nil
}

// usablePlanSnapshot returns the latest snapshot of at most limit events
// that the instant includes in full, or nil when there is none.
func usablePlanSnapshot(snapshots []planSnapshot, at AsOf, limit int) *planSnapshot {
	// Counts grow and prefix maxima never decrease along the slice, so the
	// usable snapshots are a prefix of it.
	n := sort.Search(len(snapshots), func(i int) bool {
		s := &snapshots[i]
		return s.count > limit || s.latest(at.Basis).After(at.Instant)
	})
	if n == 0 {
		return nil
	}
	return &snapshots[n-1]
}
