package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	eh "github.com/looplab/eventhorizon"
	ehstore "github.com/looplab/eventhorizon/eventstore"
	ehmemory "github.com/looplab/eventhorizon/eventstore/memory"
	"github.com/looplab/eventhorizon/mocks"
	"github.com/looplab/eventhorizon/uuid"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// The tests in this file run the event store acceptance suite of Event
// Horizon v0.16.0 (github.com/looplab/eventhorizon/eventstore.AcceptanceTest)
// against Event Horizon's own in-memory store and against *eventstore.Store
// through ehAdapter. The suite checks input validation of Save, appends of
// one and of several events, metadata, events without data, loads of
// unknown and known aggregates and the version of each loaded event.

// ehEventTypePrefix starts the planledger event type of every adapted
// event, so these events never share a type with planledger's own events.
const ehEventTypePrefix = "eventhorizon."

// ehActor is the actor stored with adapted events. Event Horizon events
// carry no actor, but Append requires one.
const ehActor = "eventhorizon-adapter"

// ehPositionKey is the metadata key under which Event Horizon stores report
// an event's position in the whole log (see eh.WithGlobalPosition).
const ehPositionKey = "position"

// ehAdapter implements eh.EventStore on top of *eventstore.Store. It maps
// Event Horizon's model onto planledger's as follows, and each mapping is a
// deliberate difference from Event Horizon's own stores:
//
//   - Aggregates: every Event Horizon aggregate is stored as a planledger
//     plan aggregate (domain.KindPlan) whose id is the UUID in its canonical
//     36-character form, so its events live on planledger.plan.<uuid>. The
//     store accepts only the kinds org, level and plan, and a UUID is a valid
//     subject token. The Event Horizon aggregate type travels in the payload.
//     A planledger projector reading the same stream would try to fold these
//     events as plans and log an error for each one, so the adapter needs a
//     server of its own.
//
//   - Event types: the planledger type is "eventhorizon." plus the Event
//     Horizon type, and the payload repeats the Event Horizon type verbatim.
//
//   - Timestamps: the Event Horizon timestamp becomes EffectiveAt, which the
//     store keeps to the nanosecond, in UTC. RecordedAt is the store's own
//     clock, truncated to the microsecond. A zero timestamp is stored as the
//     recorded time, as for every planledger event without an effective time.
//
//   - Ids: Event Horizon events have no id, so the store gives each one a
//     fresh UUID v7. A Save retried after a timeout therefore cannot be
//     recognised as a retry and returns a conflict if the first try was
//     stored.
//
//   - Versions: the Event Horizon version is the aggregate sequence, and
//     Save passes originalVersion as ExpectedSequence. A stale version,
//     including originalVersion 0 on an aggregate that has events, returns
//     eh.ErrEventConflictFromOtherSave. Event Horizon's memory store instead
//     replaces the whole aggregate when originalVersion is 0.
//
//   - Metadata: the map goes through JSON, so numbers load as float64 and
//     only JSON-encodable values survive. Loaded events carry the stream
//     sequence under "position", and a "position" key given to Save is
//     dropped.
//
//   - Event data: Save encodes the data as JSON and Load decodes it into the
//     value that the factory registered with eh.RegisterEventData returns.
//     Data of a type without a factory cannot be loaded.
//
//   - Batches: Save stores all its events with one AppendBatch, so they are
//     stored all or none, as in Event Horizon's stores. AppendBatch takes at
//     most 1,000 events, the default limit of one atomic batch in nats-server
//     v2.15.3, and a longer Save fails before it stores anything. Event
//     Horizon's memory store has no such limit.
type ehAdapter struct {
	store *eventstore.Store
}

var _ eh.EventStore = (*ehAdapter)(nil)

// ehPayload is the planledger payload of one adapted event.
type ehPayload struct {
	AggregateType eh.AggregateType `json:"aggregate_type"`
	EventType     eh.EventType     `json:"event_type"`
	// Data is the JSON of the event data, null for an event without data.
	Data     json.RawMessage `json:"data"`
	Metadata map[string]any  `json:"metadata,omitempty"`
}

// Save stores events as one atomic batch after originalVersion. Before it
// stores anything, it rejects an empty batch, a batch that mixes aggregates
// and versions that do not count up from originalVersion+1. The version
// check is the adapter's own, because the store numbers events from
// ExpectedSequence and ignores the versions that Event Horizon sets.
func (a *ehAdapter) Save(ctx context.Context, events []eh.Event, originalVersion int) error {
	if len(events) == 0 {
		return &eh.EventStoreError{Err: eh.ErrMissingEvents, Op: eh.EventStoreOpSave}
	}
	first := events[0]
	saveError := func(err error) *eh.EventStoreError {
		return &eh.EventStoreError{
			Err:              err,
			Op:               eh.EventStoreOpSave,
			AggregateType:    first.AggregateType(),
			AggregateID:      first.AggregateID(),
			AggregateVersion: originalVersion,
			Events:           events,
		}
	}
	if originalVersion < 0 {
		return saveError(eh.ErrIncorrectEventVersion)
	}
	for i, event := range events {
		switch {
		case event.AggregateID() != first.AggregateID():
			return saveError(eh.ErrMismatchedEventAggregateIDs)
		case event.AggregateType() != first.AggregateType():
			return saveError(eh.ErrMismatchedEventAggregateTypes)
		case event.Version() != originalVersion+i+1:
			return saveError(eh.ErrIncorrectEventVersion)
		}
	}

	drafts := make([]domain.Draft, len(events))
	for i, event := range events {
		draft, err := ehDraft(event)
		if err != nil {
			return saveError(err)
		}
		drafts[i] = draft
	}
	req := domain.AppendRequest{
		AggregateKind:    domain.KindPlan,
		AggregateID:      first.AggregateID().String(),
		ExpectedSequence: uint64(originalVersion),
		Metadata:         domain.Metadata{Actor: ehActor},
	}
	if _, err := a.store.AppendBatch(ctx, req, drafts); err != nil {
		var conflict *domain.ConflictError
		if errors.As(err, &conflict) {
			err = fmt.Errorf("%w: %w", eh.ErrEventConflictFromOtherSave, err)
		}
		return saveError(err)
	}
	return nil
}

// ehDraft builds the planledger draft of one Event Horizon event.
func ehDraft(event eh.Event) (domain.Draft, error) {
	data, err := json.Marshal(event.Data())
	if err != nil {
		return domain.Draft{}, fmt.Errorf("encode data of %s event: %w", event.EventType(), err)
	}
	var metadata map[string]any
	for key, value := range event.Metadata() {
		if key == ehPositionKey {
			continue
		}
		if metadata == nil {
			metadata = map[string]any{}
		}
		metadata[key] = value
	}
	return domain.Draft{
		Type: ehEventTypePrefix + string(event.EventType()),
		Payload: ehPayload{
			AggregateType: event.AggregateType(),
			EventType:     event.EventType(),
			Data:          data,
			Metadata:      metadata,
		},
		EffectiveAt: event.Timestamp(),
	}, nil
}

// Load returns every event of the aggregate. An aggregate without events
// returns eh.ErrAggregateNotFound, as Event Horizon's stores do.
func (a *ehAdapter) Load(ctx context.Context, id uuid.UUID) ([]eh.Event, error) {
	return a.LoadFrom(ctx, id, 1)
}

// LoadFrom returns the aggregate's events from version on. The store has no
// read that starts inside an aggregate, so LoadFrom reads every event and
// drops the earlier ones.
func (a *ehAdapter) LoadFrom(ctx context.Context, id uuid.UUID, version int) ([]eh.Event, error) {
	stored, err := a.store.Load(ctx, domain.KindPlan, id.String())
	if err != nil {
		return nil, &eh.EventStoreError{Err: err, Op: eh.EventStoreOpLoad, AggregateID: id}
	}
	if len(stored) == 0 {
		return nil, &eh.EventStoreError{Err: eh.ErrAggregateNotFound, Op: eh.EventStoreOpLoad, AggregateID: id}
	}
	events := make([]eh.Event, 0, len(stored))
	for _, e := range stored {
		if int(e.Sequence) < version {
			continue
		}
		event, err := ehEventFrom(e, id)
		if err != nil {
			return nil, &eh.EventStoreError{Err: err, Op: eh.EventStoreOpLoad, AggregateID: id,
				AggregateVersion: int(e.Sequence)}
		}
		events = append(events, event)
	}
	return events, nil
}

// ehEventFrom converts a stored event back into an Event Horizon event.
func ehEventFrom(e domain.Event, id uuid.UUID) (eh.Event, error) {
	var payload ehPayload
	if err := e.Decode(&payload); err != nil {
		return nil, err
	}
	if payload.EventType == "" {
		return nil, fmt.Errorf("event %s of type %s at sequence %d is not an Event Horizon event", e.ID, e.Type, e.Sequence)
	}

	var data eh.EventData
	if len(payload.Data) > 0 && string(payload.Data) != "null" {
		target, err := eh.CreateEventData(payload.EventType)
		if err != nil {
			return nil, fmt.Errorf("decode data of %s event %s: %w", payload.EventType, e.ID, err)
		}
		if err := json.Unmarshal(payload.Data, target); err != nil {
			return nil, fmt.Errorf("decode data of %s event %s: %w", payload.EventType, e.ID, err)
		}
		data = target
	}

	metadata := map[string]any{}
	for key, value := range payload.Metadata {
		metadata[key] = value
	}
	metadata[ehPositionKey] = int(e.StreamSequence)

	return eh.NewEvent(payload.EventType, data, e.EffectiveAt,
		eh.ForAggregate(payload.AggregateType, id, int(e.Sequence)),
		eh.WithMetadata(metadata),
	), nil
}

// Close does nothing, because the adapter does not own the store or its
// connection.
func (a *ehAdapter) Close() error {
	return nil
}

func TestEventHorizonAcceptanceMemoryStore(t *testing.T) {
	store, err := ehmemory.NewEventStore()
	if err != nil {
		t.Fatalf("memory.NewEventStore: %v", err)
	}
	ehstore.AcceptanceTest(t, store, testContext(t))
}

func TestEventHorizonAcceptanceJetStream(t *testing.T) {
	env := mustStartStore(t)
	saved := ehstore.AcceptanceTest(t, &ehAdapter{store: env.store}, testContext(t))

	// Beyond the suite: every saved event is one stream message, and the
	// versions of one aggregate are its planledger sequences.
	if got := streamMessages(t, env); got != uint64(len(saved)) {
		t.Errorf("stream contains %d messages, want the %d events the suite saved", got, len(saved))
	}
	for _, event := range saved {
		stored, err := env.store.Load(testContext(t), domain.KindPlan, event.AggregateID().String())
		if err != nil {
			t.Fatalf("Load %s: %v", event.AggregateID(), err)
		}
		if len(stored) < event.Version() {
			t.Fatalf("aggregate %s has %d events, want at least %d", event.AggregateID(), len(stored), event.Version())
		}
		if got, want := stored[event.Version()-1].Type, ehEventTypePrefix+string(event.EventType()); got != want {
			t.Errorf("event %s: Type = %q, want %q", event, got, want)
		}
	}
}

// ehTestEvent returns a mocks.EventType event of mocks.AggregateType.
func ehTestEvent(id uuid.UUID, version int, content string, at time.Time, options ...eh.EventOption) eh.Event {
	options = append(options, eh.ForAggregate(mocks.AggregateType, id, version))
	return eh.NewEvent(mocks.EventType, &mocks.EventData{Content: content}, at, options...)
}

func TestEventHorizonStoredEnvelope(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	adapter := &ehAdapter{store: env.store}

	id := uuid.New()
	at := time.Date(2024, 5, 15, 12, 30, 0, 123456789, time.FixedZone("EDT", -4*3600))
	event := ehTestEvent(id, 1, "first", at,
		eh.WithMetadata(map[string]any{"count": 42, ehPositionKey: 99, "user": "ada"}))
	before := time.Now().UTC().Truncate(time.Microsecond)
	if err := adapter.Save(ctx, []eh.Event{event}, 0); err != nil {
		t.Fatalf("Save: %v", err)
	}

	stored, err := env.store.Load(ctx, domain.KindPlan, id.String())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(stored) != 1 {
		t.Fatalf("Load returned %d events, want 1", len(stored))
	}
	got := stored[0]
	if got.AggregateID != id.String() {
		t.Errorf("AggregateID = %q, want %q", got.AggregateID, id.String())
	}
	if got.Type != "eventhorizon.Event" {
		t.Errorf("Type = %q, want eventhorizon.Event", got.Type)
	}
	if got.Actor != ehActor {
		t.Errorf("Actor = %q, want %q", got.Actor, ehActor)
	}
	if !got.EffectiveAt.Equal(at) {
		t.Errorf("EffectiveAt = %s, want the Event Horizon timestamp %s to the nanosecond",
			got.EffectiveAt.Format(time.RFC3339Nano), at.Format(time.RFC3339Nano))
	}
	if got.RecordedAt.Before(before) || got.RecordedAt.Nanosecond()%1000 != 0 {
		t.Errorf("RecordedAt = %s, want the store's clock at the save, in whole microseconds",
			got.RecordedAt.Format(time.RFC3339Nano))
	}
	var payload ehPayload
	if err := got.Decode(&payload); err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	if payload.AggregateType != mocks.AggregateType {
		t.Errorf("payload aggregate_type = %q, want %q", payload.AggregateType, mocks.AggregateType)
	}
	if payload.EventType != mocks.EventType {
		t.Errorf("payload event_type = %q, want %q", payload.EventType, mocks.EventType)
	}
	if string(payload.Data) != `{"Content":"first"}` {
		t.Errorf("payload data = %s, want {\"Content\":\"first\"}", payload.Data)
	}
	if _, ok := payload.Metadata[ehPositionKey]; ok {
		t.Errorf("payload metadata = %v, want no %q key", payload.Metadata, ehPositionKey)
	}

	loaded, err := adapter.Load(ctx, id)
	if err != nil {
		t.Fatalf("adapter Load: %v", err)
	}
	if len(loaded) != 1 {
		t.Fatalf("adapter Load returned %d events, want 1", len(loaded))
	}
	metadata := loaded[0].Metadata()
	if got, ok := metadata["count"].(float64); !ok || got != 42 {
		t.Errorf("metadata count = %#v, want float64 42 after the JSON round trip", metadata["count"])
	}
	if got, want := metadata[ehPositionKey], int(stored[0].StreamSequence); got != want {
		t.Errorf("metadata position = %#v, want the stream sequence %d", got, want)
	}
	if got := metadata["user"]; got != "ada" {
		t.Errorf("metadata user = %#v, want ada", got)
	}
}

func TestEventHorizonZeroTimestamp(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	adapter := &ehAdapter{store: env.store}

	id := uuid.New()
	if err := adapter.Save(ctx, []eh.Event{ehTestEvent(id, 1, "untimed", time.Time{})}, 0); err != nil {
		t.Fatalf("Save: %v", err)
	}
	stored, err := env.store.Load(ctx, domain.KindPlan, id.String())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	loaded, err := adapter.Load(ctx, id)
	if err != nil {
		t.Fatalf("adapter Load: %v", err)
	}
	if !loaded[0].Timestamp().Equal(stored[0].RecordedAt) {
		t.Errorf("Timestamp = %s, want the recorded time %s", loaded[0].Timestamp(), stored[0].RecordedAt)
	}
}

func TestEventHorizonLoadFrom(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	adapter := &ehAdapter{store: env.store}

	id := uuid.New()
	at := time.Date(2024, 5, 15, 12, 0, 0, 0, time.UTC)
	batch := []eh.Event{ehTestEvent(id, 1, "one", at), ehTestEvent(id, 2, "two", at), ehTestEvent(id, 3, "three", at)}
	if err := adapter.Save(ctx, batch, 0); err != nil {
		t.Fatalf("Save: %v", err)
	}

	for _, tc := range []struct {
		from     int
		versions []int
	}{
		{from: 0, versions: []int{1, 2, 3}},
		{from: 2, versions: []int{2, 3}},
		{from: 3, versions: []int{3}},
		{from: 4, versions: nil},
	} {
		events, err := adapter.LoadFrom(ctx, id, tc.from)
		if err != nil {
			t.Fatalf("LoadFrom version %d: %v", tc.from, err)
		}
		var versions []int
		for _, e := range events {
			versions = append(versions, e.Version())
		}
		if fmt.Sprint(versions) != fmt.Sprint(tc.versions) {
			t.Errorf("LoadFrom version %d returned versions %v, want %v", tc.from, versions, tc.versions)
		}
	}

	_, err := adapter.LoadFrom(ctx, uuid.New(), 1)
	if !errors.Is(err, eh.ErrAggregateNotFound) {
		t.Errorf("LoadFrom of an unknown aggregate: error = %v, want eh.ErrAggregateNotFound", err)
	}
}

func TestEventHorizonConflictFromOtherSave(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	adapter := &ehAdapter{store: env.store}
	id := uuid.New()
	at := time.Date(2024, 5, 15, 12, 0, 0, 0, time.UTC)

	if err := adapter.Save(ctx, []eh.Event{ehTestEvent(id, 1, "first", at)}, 0); err != nil {
		t.Fatalf("Save version 1: %v", err)
	}
	if err := adapter.Save(ctx, []eh.Event{ehTestEvent(id, 2, "second", at)}, 1); err != nil {
		t.Fatalf("Save version 2: %v", err)
	}

	for _, tc := range []struct {
		name            string
		originalVersion int
	}{
		{name: "stale version", originalVersion: 1},
		{name: "new aggregate that exists", originalVersion: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			event := ehTestEvent(id, tc.originalVersion+1, "stale", at)
			err := adapter.Save(ctx, []eh.Event{event}, tc.originalVersion)

			var storeErr *eh.EventStoreError
			if !errors.As(err, &storeErr) {
				t.Fatalf("Save error = %v, want an *eh.EventStoreError", err)
			}
			if !errors.Is(err, eh.ErrEventConflictFromOtherSave) {
				t.Errorf("Save error = %v, want eh.ErrEventConflictFromOtherSave", err)
			}
			var conflict *domain.ConflictError
			if !errors.As(err, &conflict) {
				t.Fatalf("Save error = %v, want it to wrap *domain.ConflictError", err)
			}
			if conflict.Current != 2 {
				t.Errorf("ConflictError.Current = %d, want 2", conflict.Current)
			}
		})
	}
	if got := streamMessages(t, env); got != 2 {
		t.Errorf("stream contains %d messages, want 2", got)
	}
}

func TestEventHorizonBatchOneAtomicPublish(t *testing.T) {
	env := mustStartStore(t)
	adapter := &ehAdapter{store: env.store}
	id := uuid.New()
	at := time.Date(2024, 5, 15, 12, 0, 0, 0, time.UTC)

	batch := []eh.Event{ehTestEvent(id, 1, "one", at), ehTestEvent(id, 2, "two", at), ehTestEvent(id, 3, "three", at)}
	if err := adapter.Save(testContext(t), batch, 0); err != nil {
		t.Fatalf("Save: %v", err)
	}

	// Subscribe reads each event's place in its atomic batch from the
	// headers that AppendBatch sets.
	c := &collector{}
	mustSubscribe(t, env, 1, "", c)
	for i, event := range c.waitForCount(t, len(batch)) {
		if event.BatchIndex != i || event.BatchSize != len(batch) {
			t.Errorf("event %d is %d of a batch of %d, want %d of %d", i+1, event.BatchIndex, event.BatchSize, i, len(batch))
		}
	}
}

func TestEventHorizonStaleBatchStoresNothing(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	adapter := &ehAdapter{store: env.store}
	id := uuid.New()
	at := time.Date(2024, 5, 15, 12, 0, 0, 0, time.UTC)

	if err := adapter.Save(ctx, []eh.Event{ehTestEvent(id, 1, "first", at)}, 0); err != nil {
		t.Fatalf("Save version 1: %v", err)
	}
	stale := []eh.Event{ehTestEvent(id, 1, "stale one", at), ehTestEvent(id, 2, "stale two", at)}
	err := adapter.Save(ctx, stale, 0)
	if !errors.Is(err, eh.ErrEventConflictFromOtherSave) {
		t.Errorf("Save error = %v, want eh.ErrEventConflictFromOtherSave", err)
	}
	if got := streamMessages(t, env); got != 1 {
		t.Errorf("stream contains %d messages, want 1", got)
	}
}

func TestEventHorizonOversizedBatchRejected(t *testing.T) {
	env := mustStartStore(t)
	adapter := &ehAdapter{store: env.store}
	id := uuid.New()
	at := time.Date(2024, 5, 15, 12, 0, 0, 0, time.UTC)

	const size = 1001
	batch := make([]eh.Event, size)
	for i := range batch {
		batch[i] = ehTestEvent(id, i+1, "bulk", at)
	}
	err := adapter.Save(testContext(t), batch, 0)
	var storeErr *eh.EventStoreError
	if !errors.As(err, &storeErr) {
		t.Fatalf("Save of %d events: error = %v, want an *eh.EventStoreError", size, err)
	}
	if code := domain.ErrorCode(err); code != domain.ETooLarge {
		t.Errorf("Save of %d events: error code = %q, want %q", size, code, domain.ETooLarge)
	}
	if got := streamMessages(t, env); got != 0 {
		t.Errorf("stream contains %d messages, want 0", got)
	}
}

func TestEventHorizonLoadRejectsPlanEvents(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	id := uuid.New()
	mustAppend(t, env.store, appendRequest(domain.KindPlan, id.String(), 0, "a planledger event"))

	_, err := (&ehAdapter{store: env.store}).Load(ctx, id)
	var storeErr *eh.EventStoreError
	if !errors.As(err, &storeErr) {
		t.Fatalf("Load error = %v, want an *eh.EventStoreError", err)
	}
	if storeErr.Op != eh.EventStoreOpLoad {
		t.Errorf("EventStoreError.Op = %q, want %q", storeErr.Op, eh.EventStoreOpLoad)
	}
}
