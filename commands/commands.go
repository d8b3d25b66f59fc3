// Package commands runs planledger's write side: each command loads the
// current state from the read model, lets the domain decide on an event,
// appends it with the aggregate's expected sequence, and waits until the
// read model shows it, so the caller can read its own write.
package commands

import (
	"context"
	"strings"
	"time"

	"github.com/planledger/planledger/domain"
)

// ReadModel is what commands need from the projections.
type ReadModel interface {
	domain.Lookup
	Sequence(kind, id string) uint64
	CreatedAt(planID string) (time.Time, bool)
	WaitFor(ctx context.Context, streamSeq uint64) error
}

// Service executes commands. It is safe for concurrent use: two writers
// that state the same expected sequence race in the store, and one gets a
// *domain.ConflictError.
type Service struct {
	store domain.EventStore
	read  ReadModel
	now   func() time.Time
}

// New returns a Service; it panics on nil dependencies, a wiring mistake.
func New(store domain.EventStore, read ReadModel) *Service {
	if store == nil || read == nil {
		panic("commands.New: store and read model are required")
	}
	return &Service{store: store, read: read, now: time.Now}
}

// Meta is the caller's side of every command.
type Meta struct {
	Actor         string
	CorrelationID string
	CausationID   string
	// Expected is the aggregate sequence the caller last saw; nil means the
	// caller did not state one, which only level changes allow.
	Expected *uint64
	// EffectiveAt is when the change holds; zero means when recorded.
	EffectiveAt time.Time
}

func (s *Service) append(ctx context.Context, kind, id string, expected uint64, meta Meta, d domain.Draft) (domain.Event, error) {
	if strings.TrimSpace(meta.Actor) == "" {
		return domain.Event{}, domain.Errorf(domain.EInvalid, "actor", "every change needs an actor; send the X-Actor header")
	}
	if d.EffectiveAt.IsZero() {
		d.EffectiveAt = meta.EffectiveAt
	}
	ev, err := s.store.Append(ctx, domain.AppendRequest{
		AggregateKind: kind, AggregateID: id, ExpectedSequence: expected, Draft: d,
		Metadata: domain.Metadata{Actor: meta.Actor, CorrelationID: meta.CorrelationID, CausationID: meta.CausationID},
	})
	if err != nil {
		return domain.Event{}, err
	}
	if err := s.read.WaitFor(ctx, ev.StreamSequence); err != nil {
		return ev, err
	}
	return ev, nil
}

// expect checks the caller's expected sequence against the read model
// before deciding, so a decision is made on the state the caller saw. The
// store repeats the check atomically at append time.
func (s *Service) expect(kind, id string, meta Meta, required bool) (uint64, error) {
	current := s.read.Sequence(kind, id)
	if meta.Expected == nil {
		if required {
			return 0, domain.Errorf(domain.EPrecondition, "If-Match",
				"state the version you are changing: send If-Match with the plan's ETag or expected_sequence %d", current)
		}
		return current, nil
	}
	if *meta.Expected != current {
		return 0, &domain.ConflictError{AggregateID: kind + "/" + id, Expected: *meta.Expected, Current: current}
	}
	return current, nil
}

// RegisterOrg records a district or school.
func (s *Service) RegisterOrg(ctx context.Context, meta Meta, o domain.Org) (domain.Event, error) {
	if err := domain.ValidateOrg(o); err != nil {
		return domain.Event{}, err
	}
	expected, err := s.expect(domain.KindOrg, o.Code, meta, false)
	if err != nil {
		return domain.Event{}, err
	}
	return s.append(ctx, domain.KindOrg, o.Code, expected, meta,
		domain.Draft{Type: domain.TypeOrgRegistered, Payload: domain.OrgRegistered{Org: o}})
}

// ChangeLevel records an org's new accountability level.
func (s *Service) ChangeLevel(ctx context.Context, meta Meta, c domain.ChangeLevel) (domain.Event, error) {
	_, known := s.read.Org(c.OrgCode)
	d, err := domain.DecideLevelChange(c, known)
	if err != nil {
		return domain.Event{}, err
	}
	expected, err := s.expect(domain.KindLevel, c.OrgCode, meta, false)
	if err != nil {
		return domain.Event{}, err
	}
	return s.append(ctx, domain.KindLevel, c.OrgCode, expected, meta, d)
}

// CreatePlan starts a DIP or SIP. The returned event's AggregateID is the
// plan id.
func (s *Service) CreatePlan(ctx context.Context, meta Meta, c domain.CreatePlan) (domain.Event, error) {
	d, err := domain.DecideCreatePlan(c, s.read)
	if err != nil {
		return domain.Event{}, err
	}
	id := d.Payload.(domain.PlanCreated).ID
	return s.append(ctx, domain.KindPlan, id, 0, meta, d)
}

// PlanChange is a decision on an existing plan.
type PlanChange func(p *domain.Plan) (domain.Draft, error)

// ChangePlan loads a plan, checks the caller's expected sequence, lets
// decide produce the event, and appends it.
func (s *Service) ChangePlan(ctx context.Context, meta Meta, planID string, decide PlanChange) (domain.Event, error) {
	plan, ok := s.read.Plan(planID)
	if !ok {
		return domain.Event{}, domain.Errorf(domain.ENotFound, "id", "plan %s not found", planID)
	}
	expected, err := s.expect(domain.KindPlan, planID, meta, true)
	if err != nil {
		return domain.Event{}, err
	}
	if created, ok := s.read.CreatedAt(planID); ok && !meta.EffectiveAt.IsZero() && meta.EffectiveAt.Before(created) {
		return domain.Event{}, domain.Errorf(domain.EInvalid, "effective_date",
			"the change cannot take effect before the plan did (%s)", created.Format(time.RFC3339))
	}
	d, err := decide(plan)
	if err != nil {
		return domain.Event{}, err
	}
	return s.append(ctx, domain.KindPlan, planID, expected, meta, d)
}

// Lookup exposes the read model to decisions that check other aggregates.
func (s *Service) Lookup() domain.Lookup { return s.read }
