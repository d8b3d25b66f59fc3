package commands

import (
	"context"
	"time"

	"github.com/planledger/planledger/domain"
)

// Decide turns an aggregate's current state into the events of one
// command. state is nil and version 0 when the aggregate has no events yet.
type Decide func(state domain.State, version uint64) ([]domain.Draft, error)

// Execute runs a command on an aggregate of a registered kind: it checks
// the actor, replays a keyed retry, folds the current state, checks the
// caller's expected sequence (required once the aggregate exists), lets
// decide produce the events and appends them, several as one atomic batch.
// It returns the last event stored.
func (s *Service) Execute(ctx context.Context, meta Meta, kind, id string, decide Decide) (Result, error) {
	if err := checkActor(meta); err != nil {
		return Result{}, err
	}
	if meta.IdempotencyKey != "" {
		meta.eventID = keyedID(meta, "event")
		if ev, ok, err := s.replayed(meta.eventID, kind, id, ""); ok || err != nil {
			return Result{Event: ev, Replayed: ok}, err
		}
	}
	state, version, err := s.read.CurrentAggregate(kind, id)
	if err != nil {
		return Result{}, err
	}
	expected, err := s.expect(kind, id, meta, version > 0)
	if err != nil {
		return Result{}, err
	}
	if meta, err = s.effectiveFromStart(meta, kind, id); err != nil {
		return Result{}, err
	}
	drafts, err := decide(state, version)
	if err != nil {
		return Result{}, err
	}
	switch len(drafts) {
	case 0:
		return Result{}, domain.Errorf(domain.EInvalid, "", "the command changes nothing")
	case 1:
		return s.appendResult(ctx, kind, id, expected, meta, drafts[0])
	}
	for i := range drafts {
		if drafts[i].EffectiveAt.IsZero() {
			drafts[i].EffectiveAt = meta.EffectiveAt
		}
	}
	events, err := s.store.AppendBatch(ctx, domain.AppendRequest{
		AggregateKind: kind, AggregateID: id, ExpectedSequence: expected,
		Metadata: domain.Metadata{Actor: meta.Actor, CorrelationID: meta.CorrelationID,
			CausationID: meta.CausationID, EventID: meta.eventID},
	}, drafts)
	if err != nil {
		return Result{}, err
	}
	last := events[len(events)-1]
	if err := s.read.WaitFor(ctx, last.StreamSequence); err != nil {
		return Result{}, err
	}
	return Result{Event: last}, nil
}

// effectiveFromStart keeps a change from taking effect before its
// aggregate's first event does. An as-of read between the two would fold
// the change without the event that starts the aggregate, and fail. An
// undated change to an aggregate that starts later holds from its start,
// as ChangePlan does for plans.
func (s *Service) effectiveFromStart(meta Meta, kind, id string) (Meta, error) {
	events := s.read.AggregateEvents(kind, id)
	if len(events) == 0 {
		return meta, nil
	}
	start := events[0].EffectiveAt
	switch {
	case meta.EffectiveAt.IsZero() && start.After(s.now()):
		meta.EffectiveAt = start
	case !meta.EffectiveAt.IsZero() && meta.EffectiveAt.Before(start):
		return meta, domain.Errorf(domain.EInvalid, "effective_date",
			"the change cannot take effect before the %s does (%s)", kind, start.Format(time.RFC3339))
	}
	return meta, nil
}
