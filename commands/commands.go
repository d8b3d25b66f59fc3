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
	"sync"
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
	// WaitForSequence blocks until an aggregate's event at seq is applied.
	WaitForSequence(ctx context.Context, kind, id string, seq uint64) error
	// StoredEvent returns an applied plan or level event by its id.
	StoredEvent(id string) (domain.Event, bool)
	// PlanEvent returns a plan's event by its aggregate sequence.
	PlanEvent(planID string, seq uint64) (domain.Event, bool)
	// CurrentAggregate folds an aggregate of a kind registered with
	// domain.RegisterKind; state is nil and version 0 when it has no events.
	CurrentAggregate(kind, id string) (state domain.State, version uint64, err error)
	// AggregateEvents returns the events of an aggregate of a registered
	// kind in order.
	AggregateEvents(kind, id string) []domain.Event
}

// Service executes commands. It is safe for concurrent use: two writers
// that state the same expected sequence race in the store, and one gets a
// *domain.ConflictError.
type Service struct {
	store domain.EventStore
	read  ReadModel
	now   func() time.Time
	// commutative holds a *sync.Mutex per aggregate for commutative
	// commands; see Execute.
	commutative sync.Map
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
	// IdempotencyKey, when set, makes a retry of the same command by the
	// same actor return the event the first attempt stored instead of
	// storing another, however much later it comes and across restarts.
	IdempotencyKey string
	// Creates marks a command that starts a new aggregate. It states no
	// expected sequence: decide reports an aggregate that already exists,
	// and one created by another request at the same moment gets a
	// conflict on the id.
	Creates bool
	// Commutative marks a command whose decision stays valid whatever other
	// writers append meanwhile, such as one respondent's survey response.
	// When Expected is nil, Execute folds the newer state and decides again
	// after losing an append race, up to maxCommutativeAttempts times.
	Commutative bool

	eventID string // fixes the event id; see CreatePlan and replayed
}

// Result is a command's outcome. Replayed is true when the command was a
// retry and Event is what its first attempt stored.
type Result struct {
	Event    domain.Event
	Replayed bool
}

// idempotencyNamespace derives event ids from idempotency keys. Changing it
// would make retries sent before the change store a second event.
var idempotencyNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("github.com/planledger/planledger/idempotency-key"))

// keyedID derives a stable id from the actor, the idempotency key and a
// purpose, so two actors using the same key never collide.
func keyedID(meta Meta, purpose string) string {
	return uuid.NewSHA1(idempotencyNamespace, []byte(purpose+"\x00"+meta.Actor+"\x00"+meta.IdempotencyKey)).String()
}

// replayed returns the event a keyed command already stored. A key reused
// for a different aggregate or kind of change is rejected, since returning
// the old event would tell the caller a different change succeeded.
// NOTE: a reused key with a different body for the same aggregate and event
// type is not detected; the first attempt's event is returned.
func (s *Service) replayed(eventID, kind, id, eventType string) (domain.Event, bool, error) {
	ev, ok := s.read.StoredEvent(eventID)
	if !ok {
		return domain.Event{}, false, nil
	}
	if ev.AggregateKind != kind || ev.AggregateID != id || (eventType != "" && ev.Type != eventType) {
		return domain.Event{}, false, domain.Errorf(domain.EInvalid, "Idempotency-Key",
			"this Idempotency-Key was already used for %s on %s %s; use a new key for a different change",
			ev.Type, ev.AggregateKind, ev.AggregateID)
	}
	return ev, true, nil
}

// checkActor runs before any other check, so the first error a request
// without an actor gets is about the missing actor.
func checkActor(meta Meta) error {
	if strings.TrimSpace(meta.Actor) == "" {
		return domain.Errorf(domain.EInvalid, "actor", "every change needs an actor: the signed-in user's sub or the importer's name")
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
				"state the version you are changing: send If-Match with the %s's ETag or expected_sequence %d", kindName(kind), current)
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
func (s *Service) ChangeLevel(ctx context.Context, meta Meta, c domain.ChangeLevel) (Result, error) {
	if err := checkActor(meta); err != nil {
		return Result{}, err
	}
	if meta.IdempotencyKey != "" {
		meta.eventID = keyedID(meta, "event")
		if ev, ok, err := s.replayed(meta.eventID, domain.KindLevel, c.OrgCode, domain.TypeLevelChanged); ok || err != nil {
			return Result{Event: ev, Replayed: ok}, err
		}
	}
	_, known := s.read.Org(c.OrgCode)
	d, err := domain.DecideLevelChange(c, known)
	if err != nil {
		return Result{}, err
	}
	expected, err := s.expect(domain.KindLevel, c.OrgCode, meta, false)
	if err != nil {
		return Result{}, err
	}
	return s.appendResult(ctx, domain.KindLevel, c.OrgCode, expected, meta, d)
}

// appendResult appends and wraps the event. A keyed retry can race its first
// attempt past the read-model check. The store then matches the event id
// and returns the first attempt's event, which is not flagged as replayed.
func (s *Service) appendResult(ctx context.Context, kind, id string, expected uint64, meta Meta, d domain.Draft) (Result, error) {
	ev, err := s.append(ctx, kind, id, expected, meta, d)
	if err != nil {
		return Result{}, err
	}
	return Result{Event: ev}, nil
}

// slotNamespace derives the event id of a plan's creation from the plan's
// slot. Changing it would let a slot be taken twice.
var slotNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("github.com/planledger/planledger/plan-slot"))

// CreatePlan starts a DIP or SIP, with any objectives or goals it is
// created with. The returned event, the batch's last, has the plan id as its
// AggregateID. With an idempotency key and no id, the plan id is derived
// from the key, so a retry names the same plan.
//
// Two plans for the same slot (a school and year, or a district and first
// year) created at the same moment would both pass the read-model check,
// because each is a new aggregate. So the creation event's id is derived
// from the slot: JetStream's message deduplication then stores only the
// first, and the second gets a conflict.
// NOTE: deduplication holds only for the stream's duplicate window (two
// minutes by default). After that the read model, which applies events
// within milliseconds, is what rejects the second plan.
func (s *Service) CreatePlan(ctx context.Context, meta Meta, n domain.NewPlan) (Result, error) {
	if err := checkActor(meta); err != nil {
		return Result{}, err
	}
	if meta.IdempotencyKey != "" {
		if n.ID == "" {
			n.ID = keyedID(meta, "plan")
		}
		if ev, ok := s.replayedCreate(n.CreatePlan); ok {
			return Result{Event: ev, Replayed: true}, nil
		}
	}
	drafts, err := domain.DecideNewPlan(n, s.read)
	if err != nil {
		return Result{}, err
	}
	created := drafts[0].Payload.(domain.PlanCreated)
	meta.eventID = slotEventID(created.Kind, created.OrgCode, created.FirstYear)
	for i := range drafts {
		if drafts[i].EffectiveAt.IsZero() {
			drafts[i].EffectiveAt = meta.EffectiveAt
		}
	}

	// The plan and its first items are one atomic batch: no reader sees the
	// plan without them.
	events, err := s.store.AppendBatch(ctx, domain.AppendRequest{
		AggregateKind: domain.KindPlan, AggregateID: created.ID,
		Metadata: domain.Metadata{Actor: meta.Actor, CorrelationID: meta.CorrelationID,
			CausationID: meta.CausationID, EventID: meta.eventID},
	}, drafts)
	var de *domain.Error
	if errors.As(err, &de) && de.Code == domain.EConflict && de.Field == "event_id" {
		return Result{}, domain.Errorf(domain.EConflict, "first_year",
			"%s %s already has a %s for %s, created at the same moment; list its plans at GET /v1/orgs/%s/plans",
			created.Kind, created.OrgCode, created.Kind, domain.SchoolYearLabel(created.FirstYear), created.OrgCode)
	}
	if err != nil {
		return Result{}, err
	}
	last := events[len(events)-1]
	if err := s.read.WaitFor(ctx, last.StreamSequence); err != nil {
		return Result{}, err
	}
	return Result{Event: last}, nil
}

func slotEventID(kind domain.PlanKind, orgCode string, firstYear int) string {
	slot := fmt.Sprintf("%s/%s/%s/%d", domain.TypePlanCreated, kind, orgCode, firstYear)
	return uuid.NewSHA1(slotNamespace, []byte(slot)).String()
}

// replayedCreate returns the creation event of plan c.ID when that plan
// already holds the slot c requests, as it does for a retried create.
func (s *Service) replayedCreate(c domain.CreatePlan) (domain.Event, bool) {
	plan, ok := s.read.Plan(c.ID)
	if !ok {
		return domain.Event{}, false
	}
	ev, ok := s.read.StoredEvent(slotEventID(plan.Kind, plan.OrgCode, plan.FirstYear))
	if !ok || ev.AggregateID != plan.ID || plan.Kind != c.Kind || plan.OrgCode != c.OrgCode || plan.FirstYear != c.FirstYear {
		return domain.Event{}, false
	}
	// The first attempt's response named its batch's last event.
	if ev.BatchSize > 1 {
		if last, ok := s.read.PlanEvent(plan.ID, uint64(ev.BatchSize)); ok {
			return last, true
		}
	}
	return ev, true
}

// PlanChange is a decision on an existing plan.
type PlanChange func(p *domain.Plan) (domain.Draft, error)

// ChangePlan loads a plan, checks the caller's expected sequence, lets
// decide produce the event, and appends it. A keyed retry returns the event
// its first attempt stored before any of those checks.
func (s *Service) ChangePlan(ctx context.Context, meta Meta, planID string, decide PlanChange) (Result, error) {
	if err := checkActor(meta); err != nil {
		return Result{}, err
	}
	if meta.IdempotencyKey != "" {
		meta.eventID = keyedID(meta, "event")
		if ev, ok, err := s.replayed(meta.eventID, domain.KindPlan, planID, ""); ok || err != nil {
			return Result{Event: ev, Replayed: ok}, err
		}
	}
	plan, ok := s.read.Plan(planID)
	if !ok {
		return Result{}, domain.Errorf(domain.ENotFound, "id", "plan %s not found", planID)
	}
	expected, err := s.expect(domain.KindPlan, planID, meta, true)
	if err != nil {
		return Result{}, err
	}
	if created, ok := s.read.CreatedAt(planID); ok {
		switch {
		case meta.EffectiveAt.IsZero() && created.After(s.now()):
			// An undated edit to a plan that takes effect later holds from
			// the plan's start, not from today when the plan does not exist.
			meta.EffectiveAt = created
		case !meta.EffectiveAt.IsZero() && meta.EffectiveAt.Before(created):
			return Result{}, domain.Errorf(domain.EInvalid, "effective_date",
				"the change cannot take effect before the plan does (%s)", created.Format(time.RFC3339))
		}
	}
	d, err := decide(plan)
	if err != nil {
		return Result{}, err
	}
	return s.appendResult(ctx, domain.KindPlan, planID, expected, meta, d)
}

// Lookup exposes the read model to decisions that check other aggregates.
func (s *Service) Lookup() domain.Lookup { return s.read }

// KeyedAggregateID returns the id a keyed creation that names no id gives
// its new aggregate of kind, so a retry with the same key names the same
// aggregate. It is empty without an idempotency key.
func KeyedAggregateID(meta Meta, kind string) string {
	if meta.IdempotencyKey == "" {
		return ""
	}
	return keyedID(meta, kind)
}
