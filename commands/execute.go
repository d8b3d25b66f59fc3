package commands

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/planledger/planledger/domain"
)

// Decide turns an aggregate's current state into the events of one
// command. state is nil and version 0 when the aggregate has no events yet.
type Decide func(state domain.State, version uint64) ([]domain.Draft, error)

// maxCommutativeAttempts bounds how often a commutative command decides
// again after losing an append race. Each round stores at least one
// competing change, so n writers racing on one aggregate all succeed when n
// is at most this bound.
const maxCommutativeAttempts = 64

// commutativeWait bounds how long a commutative command waits for the read
// model to show the change that beat it, which normally takes milliseconds.
const commutativeWait = 10 * time.Second

// Execute runs a command on an aggregate of a registered kind: it checks
// the actor, replays a keyed retry, folds the current state, checks the
// caller's expected sequence (required once the aggregate exists, unless
// meta.Creates or meta.Commutative says otherwise), lets decide produce the
// events and appends them, several as one atomic batch. It returns the last
// event stored.
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
	// Stores record instants to the microsecond, so a new event is never
	// recorded before this truncated start.
	started := s.now().UTC().Truncate(time.Microsecond)
	retry := meta.Commutative && meta.Expected == nil
	if retry {
		// Commutative commands on one aggregate run one at a time in this
		// process, so they do not race each other and lose. Writers in
		// other processes still rely on the retries below.
		// NOTE: without this lock, 30 concurrent survey responses sometimes
		// left the read model behind the store for that survey. The cause
		// is not known.
		lock, _ := s.commutative.LoadOrStore(kind+"/"+id, &sync.Mutex{})
		lock.(*sync.Mutex).Lock()
		defer lock.(*sync.Mutex).Unlock()
	}
	for attempt := 1; ; attempt++ {
		res, err := s.executeOnce(ctx, meta, kind, id, decide)
		var conflict *domain.ConflictError
		if !retry || !errors.As(err, &conflict) {
			return s.settle(meta, kind, id, started, res, err)
		}
		if attempt == maxCommutativeAttempts {
			return Result{}, domain.Errorf(domain.EConflict, "",
				"other changes to %s %s kept arriving while this one was tried %d times; send it again",
				kindName(kind), id, attempt)
		}
		// The winner's event must be folded before deciding again, or the
		// next attempt would state the same stale sequence. The wait is
		// bounded so a read model that never shows it cannot hold the
		// request forever.
		waitCtx, cancel := context.WithTimeout(ctx, commutativeWait)
		err = s.read.WaitForSequence(waitCtx, kind, id, conflict.Current)
		cancel()
		if err != nil {
			return Result{}, err
		}
	}
}

// executeOnce folds, decides and appends once.
func (s *Service) executeOnce(ctx context.Context, meta Meta, kind, id string, decide Decide) (Result, error) {
	state, version, err := s.read.CurrentAggregate(kind, id)
	if err != nil {
		return Result{}, err
	}
	required := version > 0 && !meta.Creates && !meta.Commutative
	expected, err := s.expect(kind, id, meta, required)
	if err != nil {
		return Result{}, err
	}
	// The read model may apply another event between the fold above and
	// the sequence check. The append therefore states the version the
	// decision was made on, so a decision on a stale state is rejected
	// instead of stored after the change it did not see.
	if expected != version {
		if meta.Expected != nil {
			return Result{}, &domain.ConflictError{AggregateID: kind + "/" + id, Expected: expected, Current: version}
		}
		expected = version
	}
	if meta, err = s.effectiveInOrder(meta, kind, id); err != nil {
		return Result{}, err
	}
	drafts, err := decide(state, version)
	if err != nil {
		return Result{}, err
	}
	if meta.Creates && version > 0 {
		// The decisions of creating commands report an existing aggregate
		// themselves; this catches one that does not.
		return Result{}, domain.Errorf(domain.EConflict, "id", "%s %s already exists", kindName(kind), id)
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

// settle rewrites the outcomes of a race the read-model checks could not
// see. A keyed retry that ran alongside its first attempt gets the event the
// store kept, flagged as replayed. A creation that lost to another request
// creating the same id gets a conflict on the id, not on If-Match.
func (s *Service) settle(meta Meta, kind, id string, started time.Time, res Result, err error) (Result, error) {
	var de *domain.Error
	if meta.eventID != "" && errors.As(err, &de) && de.Code == domain.EConflict && de.Field == "event_id" {
		// The store keeps event ids across aggregates, so the key was used
		// for a change to another aggregate.
		return Result{}, domain.Errorf(domain.EInvalid, "Idempotency-Key",
			"this Idempotency-Key was already used for a change to another %s; use a new key for a different change", kindName(kind))
	}
	var conflict *domain.ConflictError
	if meta.Creates && meta.Expected == nil && errors.As(err, &conflict) && conflict.Expected == 0 {
		return Result{}, domain.Errorf(domain.EConflict, "id",
			"%s %s was created by another request at the same moment", kindName(kind), id)
	}
	if err != nil {
		return Result{}, err
	}
	// The store returns an event already stored under the keyed id instead
	// of a new one. An event from another request, or recorded before this
	// call began, is the first attempt's.
	// NOTE: a retry that reuses the first attempt's X-Request-Id and starts
	// before the first attempt is recorded is not flagged as replayed, but
	// still stores nothing new.
	if meta.eventID != "" && (res.Event.CorrelationID != meta.CorrelationID || res.Event.RecordedAt.Before(started)) {
		res.Replayed = true
	}
	return res, nil
}

// kindName returns an aggregate kind as messages name it.
func kindName(kind string) string {
	return strings.ReplaceAll(kind, "_", "-")
}

// clockSkew is how far past the server's clock an effective date may be,
// so a client whose clock runs a little ahead can still send "now".
const clockSkew = 5 * time.Minute

// effectiveInOrder keeps the events of one aggregate in order on the
// effective time line, as plan workflow steps are. A change records
// something that has happened, so it may not take effect later than now
// (plus clockSkew). Nor may it take effect before the aggregate's latest
// event, unless the kind allows backdated changes. Without this an as-of read could show a
// later step without an earlier one, such as an issued report without the
// findings dated after it. An undated change to an aggregate whose latest
// event lies ahead of the clock holds from that event, as ChangePlan does
// for plans.
func (s *Service) effectiveInOrder(meta Meta, kind, id string) (Meta, error) {
	now := s.now()
	if !meta.EffectiveAt.IsZero() && meta.EffectiveAt.After(now.Add(clockSkew)) {
		return meta, domain.Errorf(domain.EInvalid, "effective_date",
			"a %s change records something that has happened; effective_date %s is later than now (%s)",
			kindName(kind), meta.EffectiveAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	events := s.read.AggregateEvents(kind, id)
	if len(events) == 0 {
		return meta, nil
	}
	bound, what := events[0].EffectiveAt, "starts"
	if !domain.BackdatedChangesAllowed(kind) {
		for _, e := range events[1:] {
			if e.EffectiveAt.After(bound) {
				bound = e.EffectiveAt
			}
		}
		what = "latest change took effect"
	}
	switch {
	case meta.EffectiveAt.IsZero() && bound.After(now):
		meta.EffectiveAt = bound
	case !meta.EffectiveAt.IsZero() && meta.EffectiveAt.Before(bound):
		return meta, domain.Errorf(domain.EInvalid, "effective_date",
			"the %s's %s %s; effective_date %s cannot be earlier",
			kindName(kind), what, bound.UTC().Format(time.RFC3339), meta.EffectiveAt.UTC().Format(time.RFC3339))
	}
	return meta, nil
}
