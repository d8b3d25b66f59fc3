// Package projections folds the event log into read models: orgs with
// their level histories, current and past DIP and SIP states, the alignment
// between SIP goals and DIP objectives, and plan change histories.
//
// A Projector is fed by one goroutine in stream order (Apply) and read by
// many (every other method). It keeps each aggregate's events in memory, so
// an as-of read folds the same events with the same code as a current read.
package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/planledger/planledger/domain"
)

// Projector holds every read model. The zero value is not usable; call New.
type Projector struct {
	log *slog.Logger

	mu        sync.RWMutex
	applied   uint64        // stream sequence of the last applied event
	changed   chan struct{} // closed and replaced after an Apply while watched, to wake waiters
	orgs      map[string]domain.Org
	levels    map[string][]domain.Event // level events per org, in stream order
	levelLog  []domain.Event            // every level event, in stream order
	plans     map[string]*planRecord
	orgPlans  map[string][]string // plan ids per org code, in creation order
	sips      map[sipKey]string
	sequences map[string]uint64 // kind/id -> last aggregate sequence
	eventIDs  map[string]EventRef
	records   map[aggregateKey][]domain.Event // events of registered kinds; see records.go
	kindIDs   map[string][]string             // aggregate ids per registered kind, in creation order
	pending   []domain.Event                  // the part of an atomic batch received so far
	feeds     map[*levelFeed]struct{}

	// watched is set by a WaitFor call that waits on changed, so an Apply
	// without a waiter need not replace the channel.
	watched atomic.Bool
}

// EventRef locates an applied event by its id.
type EventRef struct {
	Kind        string
	AggregateID string
	Sequence    uint64
}

// planRecord is one plan's events and folded state. Its events and
// snapshots slices only ever grow, so a reader may keep a copy of either
// slice header after releasing the lock.
type planRecord struct {
	events  []domain.Event
	current *domain.Plan

	snapshots    []planSnapshot // every planSnapshotEvery events; see add
	maxEffective time.Time      // latest EffectiveAt among events
	maxRecorded  time.Time      // latest RecordedAt among events
	foldFailed   bool           // an event failed to fold, so no later snapshot is taken
}

type sipKey struct {
	org  string
	year int
}

// New returns an empty projector.
func New(log *slog.Logger) *Projector {
	if log == nil {
		log = slog.Default()
	}
	return &Projector{
		log:       log.With("component", "projections"),
		changed:   make(chan struct{}),
		orgs:      map[string]domain.Org{},
		levels:    map[string][]domain.Event{},
		plans:     map[string]*planRecord{},
		orgPlans:  map[string][]string{},
		sips:      map[sipKey]string{},
		sequences: map[string]uint64{},
		eventIDs:  map[string]EventRef{},
		records:   map[aggregateKey][]domain.Event{},
		kindIDs:   map[string][]string{},
		feeds:     map[*levelFeed]struct{}{},
	}
}

// Apply folds one event. Events must arrive in stream order; one already
// applied (a redelivery) is ignored. An event that cannot be folded is
// returned as an error after the position advances, so one bad event cannot
// stall every later read.
//
// The events of an atomic batch (BatchSize > 1) are held until the batch's
// last one arrives and then applied together under one lock, so no reader
// sees part of a batch and Applied never points into one.
func (p *Projector) Apply(e domain.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.StreamSequence != 0 && e.StreamSequence <= p.applied {
		return nil
	}
	if e.BatchSize > 1 {
		if e.BatchIndex == 0 {
			p.pending = p.pending[:0]
		}
		p.pending = append(p.pending, e)
		if e.BatchIndex < e.BatchSize-1 {
			return nil
		}
		batch := p.pending
		p.pending = nil
		if len(batch) != e.BatchSize {
			p.advance(e.StreamSequence)
			return fmt.Errorf("apply batch ending at stream sequence %d: got %d of its %d events",
				e.StreamSequence, len(batch), e.BatchSize)
		}
		var errs []error
		for _, b := range batch {
			if err := p.apply(b); err != nil {
				errs = append(errs, err)
			}
		}
		p.advance(e.StreamSequence)
		return errors.Join(errs...)
	}
	var err error
	if e.ID == "" {
		// The store could not decode this message; only its position counts.
		err = fmt.Errorf("skip undecodable message at stream sequence %d", e.StreamSequence)
	} else {
		err = p.apply(e)
	}
	p.advance(e.StreamSequence)
	return err
}

// advance moves the applied position and wakes waiters; p.mu is held.
func (p *Projector) advance(streamSeq uint64) {
	if streamSeq > p.applied {
		p.applied = streamSeq
	}
	// WaitFor sets watched while it holds the read lock, and this runs
	// under the write lock, so a waiter either reads the new position or
	// is woken here.
	if p.watched.Swap(false) {
		close(p.changed)
		p.changed = make(chan struct{})
	}
}

func (p *Projector) apply(e domain.Event) error {
	key := e.AggregateKind + "/" + e.AggregateID
	if e.Sequence != p.sequences[key]+1 {
		return fmt.Errorf("apply %s event %s: aggregate %s at sequence %d, event has %d",
			e.Type, e.ID, key, p.sequences[key], e.Sequence)
	}
	p.sequences[key] = e.Sequence
	p.eventIDs[e.ID] = EventRef{Kind: e.AggregateKind, AggregateID: e.AggregateID, Sequence: e.Sequence}

	switch e.AggregateKind {
	case domain.KindOrg:
		var r domain.OrgRegistered
		if err := e.Decode(&r); err != nil {
			return err
		}
		p.orgs[r.Code] = r.Org
	case domain.KindLevel:
		p.levels[e.AggregateID] = append(p.levels[e.AggregateID], e)
		p.levelLog = append(p.levelLog, e)
		p.publishLevel(e)
	case domain.KindPlan:
		return p.applyPlan(e)
	default:
		return p.applyRecord(e)
	}
	return nil
}

func (p *Projector) applyPlan(e domain.Event) error {
	rec := p.plans[e.AggregateID]
	if rec == nil {
		if e.Type != domain.TypePlanCreated {
			return fmt.Errorf("apply %s event %s: plan %s was never created", e.Type, e.ID, e.AggregateID)
		}
		rec = &planRecord{current: &domain.Plan{}}
		p.plans[e.AggregateID] = rec
	}
	if err := rec.add(e); err != nil {
		return err
	}
	next := rec.current
	if e.Type == domain.TypePlanCreated {
		p.orgPlans[next.OrgCode] = append(p.orgPlans[next.OrgCode], next.ID)
		if next.Kind == domain.PlanSIP {
			p.sips[sipKey{next.OrgCode, next.FirstYear}] = next.ID
		}
	}
	return nil
}

// EventByID finds an applied event by its id, so a retried command can
// return the event its first attempt stored.
func (p *Projector) EventByID(id string) (EventRef, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	ref, ok := p.eventIDs[id]
	return ref, ok
}

// StoredEvent returns an applied event by its id. Org registrations are
// not kept whole, so they are not returned.
func (p *Projector) StoredEvent(id string) (domain.Event, bool) {
	ref, ok := p.EventByID(id)
	if !ok {
		return domain.Event{}, false
	}
	switch ref.Kind {
	case domain.KindPlan:
		return p.PlanEvent(ref.AggregateID, ref.Sequence)
	case domain.KindLevel:
		return p.LevelEvent(ref.AggregateID, ref.Sequence)
	case domain.KindOrg:
		return domain.Event{}, false
	}
	return p.recordEvent(ref.Kind, ref.AggregateID, ref.Sequence)
}

// PlanEvent returns one event of a plan by its aggregate sequence.
func (p *Projector) PlanEvent(planID string, seq uint64) (domain.Event, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	rec, ok := p.plans[planID]
	if !ok || seq == 0 || seq > uint64(len(rec.events)) {
		return domain.Event{}, false
	}
	return rec.events[seq-1], true
}

// LevelEvent returns one event of an org's level history by its aggregate
// sequence.
func (p *Projector) LevelEvent(orgCode string, seq uint64) (domain.Event, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	events := p.levels[orgCode]
	if seq == 0 || seq > uint64(len(events)) {
		return domain.Event{}, false
	}
	return events[seq-1], true
}

// Applied returns the stream sequence of the last applied event.
func (p *Projector) Applied() uint64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.applied
}

// WaitFor blocks until the event at streamSeq has been applied, so a writer
// can read its own write, or until ctx ends.
func (p *Projector) WaitFor(ctx context.Context, streamSeq uint64) error {
	for {
		p.mu.RLock()
		done, changed := p.applied >= streamSeq, p.changed
		if !done {
			p.watched.Store(true)
		}
		p.mu.RUnlock()
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return domain.Errorf(domain.EUnavailable, "",
				"read model has not caught up to event %d yet: %v", streamSeq, ctx.Err())
		}
	}
}

// WaitForSequence blocks until the aggregate kind/id has applied its event
// at sequence seq, or until ctx ends. A writer that lost an append race
// waits here for the winner's event before it decides again.
func (p *Projector) WaitForSequence(ctx context.Context, kind, id string, seq uint64) error {
	key := kind + "/" + id
	for {
		p.mu.RLock()
		done, changed := p.sequences[key] >= seq, p.changed
		p.mu.RUnlock()
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return domain.Errorf(domain.EUnavailable, "",
				"read model has not caught up to %s %s sequence %d yet: %v", kind, id, seq, ctx.Err())
		}
	}
}

// Org returns a registered org.
func (p *Projector) Org(code string) (domain.Org, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	o, ok := p.orgs[code]
	return o, ok
}

// Plan returns the current state of a plan. The pointer is never mutated
// after it is returned.
func (p *Projector) Plan(id string) (*domain.Plan, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	rec, ok := p.plans[id]
	if !ok {
		return nil, false
	}
	return rec.current, true
}

// SIPFor returns the id of a school's plan for a school year.
func (p *Projector) SIPFor(orgCode string, year int) (string, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	id, ok := p.sips[sipKey{orgCode, year}]
	return id, ok
}

// Sequence returns an aggregate's last sequence, 0 when it has no events.
func (p *Projector) Sequence(kind, id string) uint64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.sequences[kind+"/"+id]
}

// Orgs lists registered orgs by code, optionally of one type.
func (p *Projector) Orgs(typ domain.OrgType) []domain.Org {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]domain.Org, 0, len(p.orgs))
	for _, o := range p.orgs {
		if typ == "" || o.Type == typ {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Levels returns an org's level history ordered by effective date, then by
// the order it was recorded.
func (p *Projector) Levels(orgCode string) []domain.LevelEntry {
	p.mu.RLock()
	events := slices.Clone(p.levels[orgCode])
	p.mu.RUnlock()
	return levelEntries(events, nil)
}

// LevelAt returns the org's level in force at the instant, or nil.
func (p *Projector) LevelAt(orgCode string, at AsOf) *domain.LevelEntry {
	p.mu.RLock()
	events := slices.Clone(p.levels[orgCode])
	p.mu.RUnlock()
	entries := levelEntries(events, &at)
	var current *domain.LevelEntry
	for i := range entries {
		if !entries[i].EffectiveAt.After(at.Instant) {
			current = &entries[i]
		}
	}
	return current
}

func levelEntries(events []domain.Event, at *AsOf) []domain.LevelEntry {
	out := make([]domain.LevelEntry, 0, len(events))
	for _, e := range events {
		if at != nil && at.Basis == BasisRecorded && e.RecordedAt.After(at.Instant) {
			continue
		}
		var c domain.LevelChanged
		if e.Decode(&c) != nil {
			continue
		}
		out = append(out, domain.LevelEntry{LevelChanged: c, EffectiveAt: e.EffectiveAt,
			RecordedAt: e.RecordedAt, Actor: e.Actor, Sequence: e.Sequence})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].EffectiveAt.Before(out[j].EffectiveAt) })
	return out
}

// PlansFor lists the current state of an org's plans in creation order.
func (p *Projector) PlansFor(orgCode string) []*domain.Plan {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []*domain.Plan
	for _, id := range p.orgPlans[orgCode] {
		out = append(out, p.plans[id].current)
	}
	return out
}

// Stats counts what the projector holds, for logs and readiness.
func (p *Projector) Stats() map[string]int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return map[string]int{"orgs": len(p.orgs), "plans": len(p.plans), "level_events": len(p.levelLog)}
}

// planHistory returns a plan's events and snapshots without copying them,
// which is safe because both slices only grow. Callers must not modify them.
func (p *Projector) planHistory(id string) ([]domain.Event, []planSnapshot, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	rec, ok := p.plans[id]
	if !ok {
		return nil, nil, false
	}
	snapshots := rec.snapshots
	// The current state is the fold of every event, so it serves as one
	// more snapshot, and a read of the latest version folds nothing again.
	// The three-index slice makes append copy, leaving rec.snapshots as is.
	if !rec.foldFailed && len(rec.events)%planSnapshotEvery != 0 {
		snapshots = append(snapshots[:len(snapshots):len(snapshots)], planSnapshot{count: len(rec.events),
			plan: rec.current, maxEffective: rec.maxEffective, maxRecorded: rec.maxRecorded})
	}
	return rec.events, snapshots, true
}

func (p *Projector) planEvents(id string) ([]domain.Event, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	rec, ok := p.plans[id]
	if !ok {
		return nil, false
	}
	return slices.Clone(rec.events), true
}

var _ domain.Lookup = (*Projector)(nil)
