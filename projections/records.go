package projections

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/planledger/planledger/domain"
)

// The projector keeps the events of every kind registered with
// domain.RegisterKind (self-evaluations, reviews, surveys and the like) per
// aggregate and folds them on read. Those aggregates hold tens of events,
// so folding on every read costs less than keeping copies of their state,
// and current and as-of reads share one path.

// aggregateKey names one aggregate of a registered kind.
type aggregateKey struct {
	kind string
	id   string
}

// applyRecord stores an event of a registered kind; p.mu is held.
func (p *Projector) applyRecord(e domain.Event) error {
	state, ok := domain.NewState(e.AggregateKind)
	if !ok {
		return fmt.Errorf("apply event %s: unknown aggregate kind %q", e.ID, e.AggregateKind)
	}
	key := aggregateKey{e.AggregateKind, e.AggregateID}
	events := append(p.records[key], e)
	// Fold now so a bad event is reported when it arrives, as plan events are;
	// it is stored either way, because the log holds it.
	var err error
	for _, ev := range events {
		if err = state.Apply(ev); err != nil {
			break
		}
	}
	if len(p.records[key]) == 0 {
		p.kindIDs[e.AggregateKind] = append(p.kindIDs[e.AggregateKind], e.AggregateID)
	}
	p.records[key] = events
	return err
}

// Aggregate folds one aggregate of a registered kind as of an instant (nil
// for now) and returns its state and the aggregate sequence of the last
// event folded. It returns false when the aggregate has no event by then.
func (p *Projector) Aggregate(kind, id string, at *AsOf) (domain.State, uint64, bool, error) {
	p.mu.RLock()
	events := p.records[aggregateKey{kind, id}]
	p.mu.RUnlock()
	state, ok := domain.NewState(kind)
	if !ok {
		return nil, 0, false, fmt.Errorf("fold %s %s: kind %q is not registered", kind, id, kind)
	}
	var version uint64
	for _, e := range events {
		if at != nil && !at.Includes(e) {
			continue
		}
		if err := state.Apply(e); err != nil {
			return nil, 0, false, err
		}
		version = e.Sequence
	}
	if version == 0 {
		return nil, 0, false, nil
	}
	return state, version, true, nil
}

// CurrentAggregate folds an aggregate's current state, nil with version 0
// when it has no events, for the command service.
func (p *Projector) CurrentAggregate(kind, id string) (domain.State, uint64, error) {
	state, version, ok, err := p.Aggregate(kind, id, nil)
	if err != nil || !ok {
		return nil, 0, err
	}
	return state, version, nil
}

// AggregateEvents returns a copy of one aggregate's events in order.
func (p *Projector) AggregateEvents(kind, id string) []domain.Event {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return slices.Clone(p.records[aggregateKey{kind, id}])
}

// AggregateIDs lists the ids of a registered kind's aggregates in the
// order they were created.
func (p *Projector) AggregateIDs(kind string) []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return slices.Clone(p.kindIDs[kind])
}

// recordEvent returns one event of a registered kind by aggregate sequence.
func (p *Projector) recordEvent(kind, id string, seq uint64) (domain.Event, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	events := p.records[aggregateKey{kind, id}]
	if seq == 0 || seq > uint64(len(events)) {
		return domain.Event{}, false
	}
	return events[seq-1], true
}

// recordEntry is one aggregate of a registered kind in snapshots and dumps.
type recordEntry struct {
	Kind   string        `json:"kind"`
	ID     string        `json:"id"`
	Events []eventRecord `json:"events"`
}

// kindIDsEntry keeps creation order, which the events alone do not give
// across aggregates.
type kindIDsEntry struct {
	Kind string   `json:"kind"`
	IDs  []string `json:"ids"`
}

// copyRecords copies the records under the lock held by the caller and
// returns them sorted by kind and id.
func (p *Projector) copyRecords() ([]recordEntry, []kindIDsEntry) {
	records := make([]recordEntry, 0, len(p.records))
	for key, events := range p.records {
		records = append(records, recordEntry{Kind: key.kind, ID: key.id, Events: newEventRecords(events)})
	}
	slices.SortFunc(records, func(a, b recordEntry) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	ids := make([]kindIDsEntry, 0, len(p.kindIDs))
	for kind, list := range p.kindIDs {
		ids = append(ids, kindIDsEntry{Kind: kind, IDs: slices.Clone(list)})
	}
	slices.SortFunc(ids, func(a, b kindIDsEntry) int { return cmp.Compare(a.Kind, b.Kind) })
	return records, ids
}

// restoreRecords rebuilds the record maps from a snapshot.
func restoreRecords(records []recordEntry, ids []kindIDsEntry) (map[aggregateKey][]domain.Event, map[string][]string, error) {
	out := make(map[aggregateKey][]domain.Event, len(records))
	for _, r := range records {
		if _, ok := domain.NewState(r.Kind); !ok {
			return nil, nil, fmt.Errorf("read-model snapshot has aggregates of kind %q, which this build does not know", r.Kind)
		}
		events := make([]domain.Event, len(r.Events))
		for i, rec := range r.Events {
			events[i] = rec.event()
			if events[i].AggregateKind != r.Kind || events[i].AggregateID != r.ID {
				return nil, nil, fmt.Errorf("read-model snapshot lists %s %s event %s under %s %s",
					events[i].AggregateKind, events[i].AggregateID, events[i].ID, r.Kind, r.ID)
			}
		}
		out[aggregateKey{r.Kind, r.ID}] = events
	}
	kindIDs := make(map[string][]string, len(ids))
	for _, entry := range ids {
		kindIDs[entry.Kind] = entry.IDs
	}
	return out, kindIDs, nil
}
