package importer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/planledger/planledger/domain"
)

// memStore is an in-memory domain.EventStore that enforces expected
// sequences and rejects a repeated event id, so a test fails if the
// importer appends the same event twice. Its read model (memState) applies
// events only when WaitFor is called, like an asynchronous projection.
type memStore struct {
	mu        sync.Mutex
	events    []domain.Event
	sequences map[string]uint64
	ids       map[string]bool
	failAfter int // when > 0, the append after this many fails
	state     *memState
}

func newMemStore() *memStore {
	s := &memStore{sequences: map[string]uint64{}, ids: map[string]bool{}}
	s.state = &memState{store: s, orgs: map[string]domain.Org{}, plans: map[string]*domain.Plan{},
		sips: map[string]string{}, sequences: map[string]uint64{}, levels: map[string][]domain.LevelEntry{}}
	return s
}

var errInjected = errors.New("injected store failure")

func (s *memStore) Append(ctx context.Context, req domain.AppendRequest) (domain.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAfter > 0 && len(s.events) >= s.failAfter {
		return domain.Event{}, errInjected
	}

	key := req.AggregateKind + "/" + req.AggregateID
	if current := s.sequences[key]; req.ExpectedSequence != current {
		return domain.Event{}, &domain.ConflictError{AggregateID: key, Expected: req.ExpectedSequence, Current: current}
	}
	if req.Metadata.EventID == "" {
		return domain.Event{}, errors.New("append without a fixed event id")
	}
	if s.ids[req.Metadata.EventID] {
		return domain.Event{}, fmt.Errorf("event id %s stored twice (%s %s)", req.Metadata.EventID, req.Draft.Type, key)
	}

	payload, err := json.Marshal(req.Draft.Payload)
	if err != nil {
		return domain.Event{}, err
	}
	now := time.Now().UTC()
	effective := req.Draft.EffectiveAt
	if effective.IsZero() {
		effective = now
	}
	ev := domain.Event{
		ID: req.Metadata.EventID, Type: req.Draft.Type, SchemaVersion: domain.CurrentSchemaVersion,
		AggregateKind: req.AggregateKind, AggregateID: req.AggregateID, Sequence: s.sequences[key] + 1,
		RecordedAt: now, EffectiveAt: effective, Actor: req.Metadata.Actor,
		CorrelationID: req.Metadata.CorrelationID, Payload: payload, StreamSequence: uint64(len(s.events) + 1),
	}
	s.sequences[key] = ev.Sequence
	s.ids[ev.ID] = true
	s.events = append(s.events, ev)
	return ev, nil
}

func (s *memStore) eventsOf(typ string) []domain.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Event
	for _, e := range s.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func (s *memStore) last() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(len(s.events))
}

// memState is the read model of a memStore. It implements importer.State.
type memState struct {
	store     *memStore
	applied   uint64
	orgs      map[string]domain.Org
	plans     map[string]*domain.Plan
	sips      map[string]string // org code/year -> plan id
	sequences map[string]uint64
	levels    map[string][]domain.LevelEntry
	waits     int
}

func (m *memState) Org(code string) (domain.Org, bool) {
	o, ok := m.orgs[code]
	return o, ok
}

func (m *memState) Plan(id string) (*domain.Plan, bool) {
	p, ok := m.plans[id]
	return p, ok
}

func (m *memState) SIPFor(orgCode string, year int) (string, bool) {
	id, ok := m.sips[fmt.Sprintf("%s/%d", orgCode, year)]
	return id, ok
}

func (m *memState) PlansFor(orgCode string) []*domain.Plan {
	var out []*domain.Plan
	for _, p := range m.plans {
		if p.OrgCode == orgCode {
			out = append(out, p)
		}
	}
	return out
}

func (m *memState) Sequence(kind, id string) uint64 { return m.sequences[kind+"/"+id] }

func (m *memState) Levels(orgCode string) []domain.LevelEntry { return m.levels[orgCode] }

// WaitFor applies stored events up to streamSeq.
func (m *memState) WaitFor(ctx context.Context, streamSeq uint64) error {
	m.waits++
	m.store.mu.Lock()
	pending := slices.Clone(m.store.events[m.applied:min(streamSeq, uint64(len(m.store.events)))])
	m.store.mu.Unlock()
	for _, e := range pending {
		if err := m.apply(e); err != nil {
			return err
		}
		m.applied = e.StreamSequence
	}
	if m.applied < streamSeq {
		return fmt.Errorf("stream sequence %d was never stored", streamSeq)
	}
	return nil
}

func (m *memState) apply(e domain.Event) error {
	m.sequences[e.AggregateKind+"/"+e.AggregateID] = e.Sequence
	switch e.AggregateKind {
	case domain.KindOrg:
		var r domain.OrgRegistered
		if err := e.Decode(&r); err != nil {
			return err
		}
		m.orgs[r.Code] = r.Org
	case domain.KindLevel:
		var c domain.LevelChanged
		if err := e.Decode(&c); err != nil {
			return err
		}
		m.levels[c.OrgCode] = append(m.levels[c.OrgCode], domain.LevelEntry{LevelChanged: c,
			EffectiveAt: e.EffectiveAt, RecordedAt: e.RecordedAt, Actor: e.Actor, Sequence: e.Sequence})
	case domain.KindPlan:
		next := &domain.Plan{}
		if p, ok := m.plans[e.AggregateID]; ok {
			copied := *p
			copied.Sections = slices.Clone(p.Sections)
			copied.Objectives = slices.Clone(p.Objectives)
			copied.Goals = slices.Clone(p.Goals)
			next = &copied
		}
		if err := next.Apply(e); err != nil {
			return err
		}
		m.plans[e.AggregateID] = next
		if e.Type == domain.TypePlanCreated && next.Kind == domain.PlanSIP {
			m.sips[fmt.Sprintf("%s/%d", next.OrgCode, next.FirstYear)] = next.ID
		}
	}
	return nil
}

// AppendBatch appends the drafts one by one; this test store needs no
// atomicity, since nothing reads it concurrently.
func (s *memStore) AppendBatch(ctx context.Context, req domain.AppendRequest, drafts []domain.Draft) ([]domain.Event, error) {
	var out []domain.Event
	for i, d := range drafts {
		one := req
		one.Draft = d
		one.ExpectedSequence = req.ExpectedSequence + uint64(i)
		ev, err := s.Append(ctx, one)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// reorderingStore is a memStore whose AppendPipeline holds appends and
// stores each group of them out of queue order, though still in queue order
// within each aggregate, as a store with many appends in flight may finish
// them.
type reorderingStore struct {
	*memStore
}

// reorderGroup is how many appends reorderingPipeline holds before it
// stores them.
const reorderGroup = 97

func (s reorderingStore) Pipeline(ctx context.Context) domain.AppendPipeline {
	return &reorderingPipeline{ctx: ctx, store: s.memStore}
}

type heldAppend struct {
	req  domain.AppendRequest
	done func(domain.Event, error)
}

type reorderingPipeline struct {
	ctx   context.Context
	store *memStore
	held  []heldAppend
}

func (p *reorderingPipeline) Append(req domain.AppendRequest, done func(domain.Event, error)) error {
	if err := p.ctx.Err(); err != nil {
		return err
	}
	p.held = append(p.held, heldAppend{req, done})
	if len(p.held) == reorderGroup {
		p.flush()
	}
	return nil
}

func (p *reorderingPipeline) Wait() { p.flush() }

// flush stores the held appends, the aggregate queued last first. After a
// failure the rest of that aggregate's appends fail too.
func (p *reorderingPipeline) flush() {
	var order []string
	byAggregate := map[string][]heldAppend{}
	for _, h := range p.held {
		key := h.req.AggregateKind + "/" + h.req.AggregateID
		if _, seen := byAggregate[key]; !seen {
			order = append(order, key)
		}
		byAggregate[key] = append(byAggregate[key], h)
	}
	p.held = nil
	for i := len(order) - 1; i >= 0; i-- {
		var failed error
		for _, h := range byAggregate[order[i]] {
			if failed != nil {
				h.done(domain.Event{}, failed)
				continue
			}
			event, err := p.store.Append(p.ctx, h.req)
			failed = err
			h.done(event, err)
		}
	}
}
