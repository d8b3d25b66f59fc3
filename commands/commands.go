// Package commands runs planledger's write side. Each command loads the
// current state from the read model and lets the domain decide on an event.
// It appends the event with the aggregate's expected sequence and waits
// until the read model shows it, so the caller can read its own write.
package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/planledger/planledger/domain"
)

// ReadModel is the part of the projections that commands read.
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

	eventID string // fixes the event id; see CreatePlan
}

// checkActor runs before any other check, so the first error a request
// without an actor gets is about the missing actor.
func checkActor(meta Meta) error {
	if strings.TrimSpace(meta.Actor) == "" {
		return domain.Errorf(domain.EInvalid, "X-Actor", "every change needs an actor; send the X-Actor header naming who makes it")
	}
	return nil
}

func (s *Service) append(ctx context.Context, kind, id string, expected uint64, meta Meta, d domain.Draft) (domain.Event, error) {
	if d.EffectiveAt.IsZero() {
		d.EffectiveAt = meta.EffectiveAt
	}
	ev, err := s.store.Append(ctx, domain.AppendRequest{
		AggregateKind: kind, AggregateID: id, ExpectedSequence: expected, Draft: d,
		Metadata: domain.Metadata{Actor: meta.Actor, CorrelationID: meta.CorrelationID, CausationID: meta.CausationID,
			EventID: meta.eventID},
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
	if err := checkActor(meta); err != nil {
		return domain.Event{}, err
	}
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
	if err := checkActor(meta); err != nil {
		return domain.Event{}, err
	}
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

// slotNamespace derives the event id of a plan's creation from the plan's
// slot. Changing it would let a slot be taken twice.
var slotNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("github.com/planledger/planledger/plan-slot"))

// CreatePlan starts a DIP or SIP. The returned event's AggregateID is the
// plan id.
//
// Two plans for the same slot (a school and year, or a district and first
// year) created at the same moment would both pass the read-model check,
// because each is a new aggregate. So the creation event's id is derived
// from the slot: JetStream's message deduplication then stores only the
// first, and the second gets a conflict.
// NOTE: deduplication holds for the stream's duplicate window (two minutes
// by default); after that the read model, which applies events within
// milliseconds, is what rejects the second plan.
func (s *Service) CreatePlan(ctx context.Context, meta Meta, c domain.CreatePlan) (domain.Event, error) {
	if err := checkActor(meta); err != nil {
		return domain.Event{}, err
	}
	d, err := domain.DecideCreatePlan(c, s.read)
	if err != nil {
		return domain.Event{}, err
	}
	created := d.Payload.(domain.PlanCreated)
	slot := fmt.Sprintf("%s/%s/%s/%d", domain.TypePlanCreated, created.Kind, created.OrgCode, created.FirstYear)
	meta.eventID = uuid.NewSHA1(slotNamespace, []byte(slot)).String()

	ev, err := s.append(ctx, domain.KindPlan, created.ID, 0, meta, d)
	var de *domain.Error
	if errors.As(err, &de) && de.Code == domain.EConflict && de.Field == "event_id" {
		return domain.Event{}, domain.Errorf(domain.EConflict, "first_year",
			"%s %s already has a %s for %s, created at the same moment; list its plans at GET /v1/orgs/%s/plans",
			created.Kind, created.OrgCode, created.Kind, domain.SchoolYearLabel(created.FirstYear), created.OrgCode)
	}
	return ev, err
}

// PlanChange is a decision on an existing plan.
type PlanChange func(p *domain.Plan) (domain.Draft, error)

// ChangePlan loads a plan, checks the caller's expected sequence, lets
// decide produce the event, and appends it.
func (s *Service) ChangePlan(ctx context.Context, meta Meta, planID string, decide PlanChange) (domain.Event, error) {
	if err := checkActor(meta); err != nil {
		return domain.Event{}, err
	}
	plan, ok := s.read.Plan(planID)
	if !ok {
		return domain.Event{}, domain.Errorf(domain.ENotFound, "id", "plan %s not found", planID)
	}
	expected, err := s.expect(domain.KindPlan, planID, meta, true)
	if err != nil {
		return domain.Event{}, err
	}
	if created, ok := s.read.CreatedAt(planID); ok {
		switch {
		case meta.EffectiveAt.IsZero() && created.After(s.now()):
			// An undated edit to a plan that takes effect later holds from
			// the plan's start, not from today when the plan does not exist.
			meta.EffectiveAt = created
		case !meta.EffectiveAt.IsZero() && meta.EffectiveAt.Before(created):
			return domain.Event{}, domain.Errorf(domain.EInvalid, "effective_date",
				"the change cannot take effect before the plan does (%s)", created.Format(time.RFC3339))
		}
	}
	d, err := decide(plan)
	if err != nil {
		return domain.Event{}, err
	}
	return s.append(ctx, domain.KindPlan, planID, expected, meta, d)
}

// Lookup exposes the read model to decisions that check other aggregates.
func (s *Service) Lookup() domain.Lookup { return s.read }
