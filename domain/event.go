package domain

import (
	"context"
	"encoding/json"
	"time"
)

// Aggregate kinds. Each aggregate's events live on their own NATS subject,
// planledger.<kind>.<id>, so a subscriber can pick one kind or one aggregate.
const (
	KindOrg   = "org"   // registration of a district or school, id = 8-digit org code
	KindLevel = "level" // accountability level history of one org, id = org code
	KindPlan  = "plan"  // one DIP or SIP, id = UUID
)

// Event types, each with the payload struct named after it.
const (
	TypeOrgRegistered    = "org.registered"
	TypeLevelChanged     = "level.changed"
	TypePlanCreated      = "plan.created"
	TypePlanRetitled     = "plan.retitled"
	TypeSectionRevised   = "plan.section_revised"
	TypeObjectiveAdded   = "plan.objective_added"
	TypeObjectiveRevised = "plan.objective_revised"
	TypeObjectiveRemoved = "plan.objective_removed"
	TypeGoalAdopted      = "plan.goal_adopted"
	TypeGoalRevised      = "plan.goal_revised"
	TypeGoalWithdrawn    = "plan.goal_withdrawn"
	CurrentSchemaVersion = 1
)

// Event is the envelope every stored event shares, whatever its type.
type Event struct {
	ID            string          `json:"id"` // also the NATS message id; see Metadata.EventID
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	AggregateKind string          `json:"aggregate_kind"`
	AggregateID   string          `json:"aggregate_id"`
	Sequence      uint64          `json:"sequence"` // 1-based position within the aggregate
	RecordedAt    time.Time       `json:"recorded_at"`
	EffectiveAt   time.Time       `json:"effective_at"` // when the change holds in the world
	Actor         string          `json:"actor"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	CausationID   string          `json:"causation_id,omitempty"`
	PrevHash      string          `json:"prev_hash,omitempty"` // previous event's Hash, "" for the first; see ChainHash
	Hash          string          `json:"hash,omitempty"`      // ChainHash of this event; both empty on pre-chain events
	Payload       json.RawMessage `json:"payload"`

	// StreamSequence is the event's position in the whole log. The store sets
	// it on read; it is not part of the stored envelope.
	StreamSequence uint64 `json:"stream_sequence,omitempty"`

	// BatchIndex and BatchSize place an event within the atomic batch it
	// was stored in (0 of 1 for a single event). The store sets them on
	// read from message headers; readers apply a batch whole.
	BatchIndex int `json:"-"`
	BatchSize  int `json:"-"`
}

// Draft is an event a command decided on but the store has not yet accepted.
type Draft struct {
	Type        string
	Payload     any
	EffectiveAt time.Time // zero means "when recorded"
}

// Metadata travels with every append: who acted and why.
type Metadata struct {
	Actor         string
	CorrelationID string
	CausationID   string
	// EventID, when set, fixes the new event's id so that a retried command
	// is stored once; the importer derives name-based UUIDs (v5) this way.
	// Empty means a fresh time-ordered UUID v7.
	EventID string
}

// AppendRequest requests that the store add one event after ExpectedSequence, the
// aggregate's last sequence as the writer saw it (0 for a new aggregate).
type AppendRequest struct {
	AggregateKind    string
	AggregateID      string
	ExpectedSequence uint64
	Draft            Draft
	Metadata         Metadata
}

// EventStore is the append-only log. Append returns *ConflictError when
// ExpectedSequence is stale, and stores nothing in that case.
type EventStore interface {
	Append(ctx context.Context, req AppendRequest) (Event, error)
	// AppendBatch stores several events of one aggregate, consecutive and
	// all or none, after req.ExpectedSequence; req.Draft is ignored. A
	// Metadata.EventID names the first event, and the rest derive from it.
	AppendBatch(ctx context.Context, req AppendRequest, drafts []Draft) ([]Event, error)
}

// AppendPipeline keeps appends to many aggregates in flight at once.
type AppendPipeline interface {
	// Append queues req and may return before it is stored. done runs once
	// for every accepted append, on any goroutine, with the stored event or
	// the error, and must not call Append or Wait. Appends to one aggregate
	// are stored in the order queued, each only after the one before it
	// succeeded, so their ExpectedSequences must follow one another. Append
	// returns an error, and done never runs, when req was not accepted
	// because the pipeline's context ended or Wait was called.
	Append(req AppendRequest, done func(Event, error)) error
	// Wait blocks until every accepted append has finished, and ends the
	// pipeline.
	Wait()
}

// PipelinedStore is an EventStore that can open an AppendPipeline, which
// appends faster than one Append call after another.
type PipelinedStore interface {
	EventStore
	Pipeline(ctx context.Context) AppendPipeline
}

// Decode unmarshals an event's payload into v, first upcasting a payload
// stored under an older schema version to the current shape, so every
// reader sees one shape whatever version the log holds.
func (e Event) Decode(v any) error {
	// A current payload needs no upcast, and an org registration in
	// json.Marshal's layout has a faster decoder with the same result.
	if r, ok := v.(*OrgRegistered); ok && e.SchemaVersion == SchemaVersionOf(e.Type) && decodePlainOrgRegistered(e.Payload, r) {
		return nil
	}
	payload, err := Upcast(e.Type, e.SchemaVersion, e.Payload)
	if err != nil {
		return Errorf(EInternal, "payload", "upcast %s event %s: %v", e.Type, e.ID, err)
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return Errorf(EInternal, "payload", "decode %s event %s: %v", e.Type, e.ID, err)
	}
	return nil
}
