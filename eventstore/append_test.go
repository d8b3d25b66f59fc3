package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

func TestAppendLoadRoundTrip(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)

	effective := time.Date(2025, 7, 1, 8, 30, 0, 123456789, time.FixedZone("EDT", -4*3600))
	first := domain.AppendRequest{
		AggregateKind:    domain.KindPlan,
		AggregateID:      "0190a5f2-1111-7000-8000-000000000001",
		ExpectedSequence: 0,
		Draft: domain.Draft{
			Type:        domain.TypePlanCreated,
			Payload:     notePayload{Text: "Reading plan", Count: 3},
			EffectiveAt: effective,
		},
		Metadata: domain.Metadata{
			Actor:         "user:ada",
			CorrelationID: "corr-1",
			CausationID:   "cause-1",
			EventID:       "0190a5f2-2222-7000-8000-000000000001",
		},
	}
	before := time.Now().UTC()
	created := mustAppend(t, env.store, first)

	if created.ID != first.Metadata.EventID {
		t.Errorf("ID = %q, want the fixed event id %q", created.ID, first.Metadata.EventID)
	}
	if created.Type != domain.TypePlanCreated {
		t.Errorf("Type = %q, want %q", created.Type, domain.TypePlanCreated)
	}
	if created.SchemaVersion != domain.CurrentSchemaVersion {
		t.Errorf("SchemaVersion = %d, want %d", created.SchemaVersion, domain.CurrentSchemaVersion)
	}
	if created.AggregateKind != domain.KindPlan {
		t.Errorf("AggregateKind = %q, want %q", created.AggregateKind, domain.KindPlan)
	}
	if created.AggregateID != first.AggregateID {
		t.Errorf("AggregateID = %q, want %q", created.AggregateID, first.AggregateID)
	}
	if created.Sequence != 1 {
		t.Errorf("Sequence = %d, want 1", created.Sequence)
	}
	if created.StreamSequence != 1 {
		t.Errorf("StreamSequence = %d, want 1", created.StreamSequence)
	}
	if created.RecordedAt.Location() != time.UTC {
		t.Errorf("RecordedAt location = %s, want UTC", created.RecordedAt.Location())
	}
	if created.RecordedAt.Nanosecond()%1000 != 0 {
		t.Errorf("RecordedAt = %s has sub-microsecond digits", created.RecordedAt.Format(time.RFC3339Nano))
	}
	if created.RecordedAt.Before(before.Truncate(time.Microsecond)) || created.RecordedAt.After(time.Now()) {
		t.Errorf("RecordedAt = %s, want a time during the append", created.RecordedAt)
	}
	if !created.EffectiveAt.Equal(effective) {
		t.Errorf("EffectiveAt = %s, want %s", created.EffectiveAt, effective)
	}
	if created.EffectiveAt.Location() != time.UTC {
		t.Errorf("EffectiveAt location = %s, want UTC", created.EffectiveAt.Location())
	}
	if created.Actor != "user:ada" {
		t.Errorf("Actor = %q, want user:ada", created.Actor)
	}
	if created.CorrelationID != "corr-1" {
		t.Errorf("CorrelationID = %q, want corr-1", created.CorrelationID)
	}
	if created.CausationID != "cause-1" {
		t.Errorf("CausationID = %q, want cause-1", created.CausationID)
	}
	var payload notePayload
	if err := created.Decode(&payload); err != nil {
		t.Fatalf("Decode payload: %v", err)
	}
	if payload != (notePayload{Text: "Reading plan", Count: 3}) {
		t.Errorf("payload = %+v, want Reading plan/3", payload)
	}

	// The second event has no effective time, no fixed id and a raw payload.
	second := appendRequest(domain.KindPlan, first.AggregateID, 1, "")
	second.Draft.Payload = json.RawMessage(`{"text":"Reading and writing plan","count":4}`)
	retitled := mustAppend(t, env.store, second)

	if !retitled.EffectiveAt.Equal(retitled.RecordedAt) {
		t.Errorf("EffectiveAt = %s, want RecordedAt %s when the draft has none", retitled.EffectiveAt, retitled.RecordedAt)
	}
	generated, err := uuid.Parse(retitled.ID)
	if err != nil {
		t.Fatalf("generated ID %q is not a UUID: %v", retitled.ID, err)
	}
	if generated.Version() != 7 {
		t.Errorf("generated ID version = %d, want 7", generated.Version())
	}
	if string(retitled.Payload) != `{"text":"Reading and writing plan","count":4}` {
		t.Errorf("raw payload = %s, want it unchanged", retitled.Payload)
	}
	if retitled.Sequence != 2 {
		t.Errorf("second Sequence = %d, want 2", retitled.Sequence)
	}
	if retitled.StreamSequence != 2 {
		t.Errorf("second StreamSequence = %d, want 2", retitled.StreamSequence)
	}

	loaded, err := env.store.Load(ctx, domain.KindPlan, first.AggregateID)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(loaded) != 2 {
		t.Fatalf("Load returned %d events, want 2", len(loaded))
	}
	assertSameEvent(t, loaded[0], created)
	assertSameEvent(t, loaded[1], retitled)
}

// assertSameEvent compares every envelope field, times by instant and
// location, and the payload byte for byte.
func assertSameEvent(t *testing.T, got, want domain.Event) {
	t.Helper()
	if got.ID != want.ID {
		t.Errorf("ID = %q, want %q", got.ID, want.ID)
	}
	if got.Type != want.Type {
		t.Errorf("event %s: Type = %q, want %q", want.ID, got.Type, want.Type)
	}
	if got.SchemaVersion != want.SchemaVersion {
		t.Errorf("event %s: SchemaVersion = %d, want %d", want.ID, got.SchemaVersion, want.SchemaVersion)
	}
	if got.AggregateKind != want.AggregateKind {
		t.Errorf("event %s: AggregateKind = %q, want %q", want.ID, got.AggregateKind, want.AggregateKind)
	}
	if got.AggregateID != want.AggregateID {
		t.Errorf("event %s: AggregateID = %q, want %q", want.ID, got.AggregateID, want.AggregateID)
	}
	if got.Sequence != want.Sequence {
		t.Errorf("event %s: Sequence = %d, want %d", want.ID, got.Sequence, want.Sequence)
	}
	if got.StreamSequence != want.StreamSequence {
		t.Errorf("event %s: StreamSequence = %d, want %d", want.ID, got.StreamSequence, want.StreamSequence)
	}
	if !got.RecordedAt.Equal(want.RecordedAt) {
		t.Errorf("event %s: RecordedAt = %s, want %s", want.ID, got.RecordedAt, want.RecordedAt)
	}
	if got.RecordedAt.Location() != want.RecordedAt.Location() {
		t.Errorf("event %s: RecordedAt location = %s, want %s", want.ID, got.RecordedAt.Location(), want.RecordedAt.Location())
	}
	if !got.EffectiveAt.Equal(want.EffectiveAt) {
		t.Errorf("event %s: EffectiveAt = %s, want %s", want.ID, got.EffectiveAt, want.EffectiveAt)
	}
	if got.EffectiveAt.Location() != want.EffectiveAt.Location() {
		t.Errorf("event %s: EffectiveAt location = %s, want %s", want.ID, got.EffectiveAt.Location(), want.EffectiveAt.Location())
	}
	if got.Actor != want.Actor {
		t.Errorf("event %s: Actor = %q, want %q", want.ID, got.Actor, want.Actor)
	}
	if got.CorrelationID != want.CorrelationID {
		t.Errorf("event %s: CorrelationID = %q, want %q", want.ID, got.CorrelationID, want.CorrelationID)
	}
	if got.CausationID != want.CausationID {
		t.Errorf("event %s: CausationID = %q, want %q", want.ID, got.CausationID, want.CausationID)
	}
	if string(got.Payload) != string(want.Payload) {
		t.Errorf("event %s: Payload = %s, want %s", want.ID, got.Payload, want.Payload)
	}
}

// assertConflict fails unless err is a *domain.ConflictError with the
// given expected and current sequences.
func assertConflict(t *testing.T, err error, aggregateID string, expected, current uint64) {
	t.Helper()
	var conflict *domain.ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("error = %v, want *domain.ConflictError", err)
	}
	if conflict.AggregateID != aggregateID {
		t.Errorf("conflict AggregateID = %q, want %q", conflict.AggregateID, aggregateID)
	}
	if conflict.Expected != expected {
		t.Errorf("conflict Expected = %d, want %d", conflict.Expected, expected)
	}
	if conflict.Current != current {
		t.Errorf("conflict Current = %d, want %d", conflict.Current, current)
	}
}

func TestAppendStaleSequenceConflict(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 0, "one"))
	mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 1, "two"))
	lastBefore, err := env.store.LastSequence(ctx)
	if err != nil {
		t.Fatalf("LastSequence: %v", err)
	}

	_, err = env.store.Append(ctx, appendRequest(domain.KindPlan, "p1", 1, "stale"))
	assertConflict(t, err, "p1", 1, 2)

	lastAfter, err := env.store.LastSequence(ctx)
	if err != nil {
		t.Fatalf("LastSequence: %v", err)
	}
	if lastAfter != lastBefore {
		t.Errorf("LastSequence = %d after a conflict, want %d", lastAfter, lastBefore)
	}
	events, err := env.store.Load(ctx, domain.KindPlan, "p1")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(events) != 2 {
		t.Errorf("Load returned %d events, want 2", len(events))
	}
}

func TestAppendExpectedZeroOnExistingConflict(t *testing.T) {
	env := mustStartStore(t)
	mustAppend(t, env.store, appendRequest(domain.KindOrg, "12345678", 0, "registered"))

	_, err := env.store.Append(testContext(t), appendRequest(domain.KindOrg, "12345678", 0, "again"))
	assertConflict(t, err, "12345678", 0, 1)
	if got := streamMessages(t, env); got != 1 {
		t.Errorf("stream contains %d messages, want 1", got)
	}
}

// TestServerRejectsExpectedZeroOnUsedSubject checks the nats-server
// behaviour Append relies on: expected last subject sequence 0 rejects a
// publish onto a subject that has messages, with error code 10071.
func TestServerRejectsExpectedZeroOnUsedSubject(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	js, err := jetstream.New(env.nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	subject := eventstore.Subject(domain.KindPlan, "raw")

	if _, err := js.Publish(ctx, subject, []byte(`{}`), jetstream.WithExpectLastSequencePerSubject(0)); err != nil {
		t.Fatalf("first publish with expected 0 on an empty subject: %v", err)
	}
	_, err = js.Publish(ctx, subject, []byte(`{}`), jetstream.WithExpectLastSequencePerSubject(0))
	if err == nil {
		t.Fatal("second publish with expected 0 succeeded, want wrong last sequence")
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want *jetstream.APIError", err)
	}
	if apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequence {
		t.Errorf("ErrorCode = %d, want %d", apiErr.ErrorCode, jetstream.JSErrCodeStreamWrongLastSequence)
	}
	if got := streamMessages(t, env); got != 1 {
		t.Errorf("stream contains %d messages, want 1", got)
	}
}

// TestAppendServerConflict lets another writer append between Append's
// own sequence check and its publish, so the server rejects the publish
// with 10071 and Append must turn that into a ConflictError.
func TestAppendServerConflict(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	mustAppend(t, env.store, appendRequest(domain.KindLevel, "12345678", 0, "first"))

	var once sync.Once
	eventstore.SetBeforePublish(env.store, func() {
		once.Do(func() {
			// A second store on the same stream is the concurrent writer.
			other, err := eventstore.Open(ctx, env.nc, eventstore.StoreConfig{})
			if err != nil {
				t.Errorf("open second store: %v", err)
				return
			}
			if _, err := other.Append(ctx, appendRequest(domain.KindLevel, "12345678", 1, "interleaved")); err != nil {
				t.Errorf("interleaved Append: %v", err)
			}
		})
	})

	_, err := env.store.Append(ctx, appendRequest(domain.KindLevel, "12345678", 1, "loser"))
	assertConflict(t, err, "12345678", 1, 2)
	if got := streamMessages(t, env); got != 2 {
		t.Errorf("stream contains %d messages, want 2", got)
	}
}

func TestAppendSameEventIDStoresOnce(t *testing.T) {
	t.Run("verbatim retry", func(t *testing.T) {
		env := mustStartStore(t)
		req := appendRequest(domain.KindPlan, "p1", 0, "created")
		req.Metadata.EventID = "0190a5f2-3333-7000-8000-000000000001"
		first := mustAppend(t, env.store, req)
		again := mustAppend(t, env.store, req)

		assertSameEvent(t, again, first)
		if got := streamMessages(t, env); got != 1 {
			t.Errorf("stream contains %d messages, want 1", got)
		}
	})

	t.Run("verbatim retry after a later event", func(t *testing.T) {
		env := mustStartStore(t)
		req := appendRequest(domain.KindPlan, "p1", 0, "created")
		req.Metadata.EventID = "0190a5f2-3333-7000-8000-000000000002"
		first := mustAppend(t, env.store, req)
		mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 1, "later"))
		again := mustAppend(t, env.store, req)

		assertSameEvent(t, again, first)
		if got := streamMessages(t, env); got != 2 {
			t.Errorf("stream contains %d messages, want 2", got)
		}
	})

	// A retry that reloaded the aggregate states the new sequence, passes
	// the sequence check and is caught by the server's duplicate window.
	t.Run("retry after reload", func(t *testing.T) {
		env := mustStartStore(t)
		req := appendRequest(domain.KindPlan, "p1", 0, "created")
		req.Metadata.EventID = "0190a5f2-3333-7000-8000-000000000003"
		first := mustAppend(t, env.store, req)
		mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 1, "later"))
		req.ExpectedSequence = 2
		again := mustAppend(t, env.store, req)

		assertSameEvent(t, again, first)
		if got := streamMessages(t, env); got != 2 {
			t.Errorf("stream contains %d messages, want 2", got)
		}
	})

	t.Run("id used by another aggregate", func(t *testing.T) {
		env := mustStartStore(t)
		req := appendRequest(domain.KindPlan, "p1", 0, "created")
		req.Metadata.EventID = "0190a5f2-3333-7000-8000-000000000004"
		mustAppend(t, env.store, req)
		req.AggregateID = "p2"
		_, err := env.store.Append(testContext(t), req)

		if code := domain.ErrorCode(err); code != domain.EConflict {
			t.Errorf("error = %v with code %q, want code %q", err, code, domain.EConflict)
		}
		if got := streamMessages(t, env); got != 1 {
			t.Errorf("stream contains %d messages, want 1", got)
		}
	})
}

func TestAppendRejectsInvalidRequest(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	valid := appendRequest(domain.KindPlan, "p1", 0, "x")

	cases := []struct {
		name  string
		edit  func(*domain.AppendRequest)
		field string
	}{
		{"empty kind", func(r *domain.AppendRequest) { r.AggregateKind = "" }, "aggregate_kind"},
		{"unknown kind", func(r *domain.AppendRequest) { r.AggregateKind = "school" }, "aggregate_kind"},
		{"wildcard kind", func(r *domain.AppendRequest) { r.AggregateKind = "*" }, "aggregate_kind"},
		{"empty id", func(r *domain.AppendRequest) { r.AggregateID = "" }, "aggregate_id"},
		{"dot in id", func(r *domain.AppendRequest) { r.AggregateID = "a.b" }, "aggregate_id"},
		{"star in id", func(r *domain.AppendRequest) { r.AggregateID = "a*" }, "aggregate_id"},
		{"gt in id", func(r *domain.AppendRequest) { r.AggregateID = ">" }, "aggregate_id"},
		{"space in id", func(r *domain.AppendRequest) { r.AggregateID = "a b" }, "aggregate_id"},
		{"tab in id", func(r *domain.AppendRequest) { r.AggregateID = "a\tb" }, "aggregate_id"},
		{"newline in id", func(r *domain.AppendRequest) { r.AggregateID = "a\r\nb" }, "aggregate_id"},
		{"empty actor", func(r *domain.AppendRequest) { r.Metadata.Actor = "" }, "actor"},
		{"empty type", func(r *domain.AppendRequest) { r.Draft.Type = "" }, "type"},
		{"invalid raw payload", func(r *domain.AppendRequest) { r.Draft.Payload = json.RawMessage(`{"a":`) }, "payload"},
		{"unencodable payload", func(r *domain.AppendRequest) { r.Draft.Payload = make(chan int) }, "payload"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := valid
			tc.edit(&req)
			_, err := env.store.Append(ctx, req)
			var domainErr *domain.Error
			if !errors.As(err, &domainErr) {
				t.Fatalf("error = %v, want *domain.Error", err)
			}
			if domainErr.Code != domain.EInvalid {
				t.Errorf("Code = %q, want %q", domainErr.Code, domain.EInvalid)
			}
			if domainErr.Field != tc.field {
				t.Errorf("Field = %q, want %q", domainErr.Field, tc.field)
			}
		})
	}
	if got := streamMessages(t, env); got != 0 {
		t.Errorf("stream contains %d messages after invalid appends, want 0", got)
	}

	_, err := env.store.Load(ctx, domain.KindPlan, "a.b")
	if code := domain.ErrorCode(err); code != domain.EInvalid {
		t.Errorf("Load with a dotted id: error = %v, want code %q", err, domain.EInvalid)
	}
}

func TestAppendConcurrentWritersOneWins(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	const writers, rounds = 8, 20

	for round := range uint64(rounds) {
		start := make(chan struct{})
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				<-start
				_, errs[w] = env.store.Append(ctx, appendRequest(domain.KindPlan, "contended", round, "writer"))
			})
		}
		close(start)
		wg.Wait()

		wins := 0
		for w, err := range errs {
			if err == nil {
				wins++
				continue
			}
			var conflict *domain.ConflictError
			if !errors.As(err, &conflict) {
				t.Fatalf("round %d writer %d: error = %v, want *domain.ConflictError", round, w, err)
			}
			if conflict.Current != round+1 {
				t.Errorf("round %d writer %d: conflict Current = %d, want %d", round, w, conflict.Current, round+1)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d writers succeeded, want exactly 1", round, wins)
		}
	}

	events, err := env.store.Load(ctx, domain.KindPlan, "contended")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(events) != rounds {
		t.Errorf("Load returned %d events, want %d", len(events), rounds)
	}
	if got := streamMessages(t, env); got != rounds {
		t.Errorf("stream contains %d messages, want %d", got, rounds)
	}
}

// TestAppendOversizedEventInvalid appends 200 KB of '<', which JSON encodes
// as \u003c, six bytes each, so the envelope exceeds the 1 MiB default
// max_payload of nats-server v2.15.3.
func TestAppendOversizedEventInvalid(t *testing.T) {
	env := mustStartStore(t)
	req := appendRequest(domain.KindPlan, "p1", 0, strings.Repeat("<", 200*1024))

	_, err := env.store.Append(testContext(t), req)
	var domainErr *domain.Error
	if !errors.As(err, &domainErr) {
		t.Fatalf("error = %v, want *domain.Error", err)
	}
	if domainErr.Code != domain.ETooLarge {
		t.Errorf("Code = %q, want %q", domainErr.Code, domain.ETooLarge)
	}
	if domainErr.Field != "body" {
		t.Errorf("Field = %q, want body", domainErr.Field)
	}
	limit := env.nc.MaxPayload()
	if want := fmt.Sprintf("over the server's limit of %d bytes", limit); !strings.Contains(domainErr.Message, want) {
		t.Errorf("Message = %q, want it to contain %q", domainErr.Message, want)
	}
	if !strings.Contains(domainErr.Message, "shorten the longest text") {
		t.Errorf("Message = %q, want it to say what to do", domainErr.Message)
	}
	var size int64
	if _, err := fmt.Sscanf(domainErr.Message, "the event is %d bytes", &size); err != nil {
		t.Fatalf("Message = %q, want it to start with the event size: %v", domainErr.Message, err)
	}
	if size <= limit || size < 6*200*1024 {
		t.Errorf("reported size %d, want over %d and at least the escaped text's %d bytes", size, limit, 6*200*1024)
	}
	if got := streamMessages(t, env); got != 0 {
		t.Errorf("stream contains %d messages, want 0", got)
	}
}

func TestAppendLargeEventUnderLimit(t *testing.T) {
	env := mustStartStore(t)
	// 100 KB of '<' is about 600 KB after escaping, under the 1 MiB limit.
	text := strings.Repeat("<", 100*1024)
	event := mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 0, text))

	loaded, err := env.store.Load(testContext(t), domain.KindPlan, "p1")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(loaded) != 1 {
		t.Fatalf("Load returned %d events, want 1", len(loaded))
	}
	assertSameEvent(t, loaded[0], event)
}

// TestAppendSizeCheckMatchesClient appends texts around the size limit. If
// Append measured fewer bytes than nats.go does, some appends would fail with
// nats.ErrMaxPayload instead of the too-large error.
func TestAppendSizeCheckMatchesClient(t *testing.T) {
	env := mustStartStore(t)
	// Forty appends of about 1 MiB each can outlast testTimeout on a busy
	// machine, so this test has a longer deadline of its own.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	limit := env.nc.MaxPayload()

	// A text as long as the limit is over it by the envelope and headers.
	_, err := env.store.Append(ctx, appendRequest(domain.KindPlan, "p000", 0, strings.Repeat("a", int(limit))))
	var domainErr *domain.Error
	if !errors.As(err, &domainErr) {
		t.Fatalf("error = %v, want *domain.Error", err)
	}
	var size int64
	if _, err := fmt.Sscanf(domainErr.Message, "the event is %d bytes", &size); err != nil {
		t.Fatalf("Message = %q, want it to start with the event size: %v", domainErr.Message, err)
	}
	fitting := int(limit - (size - limit))

	var stored, rejected int
	for i := range 80 {
		id := fmt.Sprintf("p%03d", i+1)
		_, err := env.store.Append(ctx, appendRequest(domain.KindPlan, id, 0, strings.Repeat("a", fitting-40+i)))
		if err == nil {
			stored++
			continue
		}
		if code := domain.ErrorCode(err); code != domain.ETooLarge {
			t.Fatalf("text of %d bytes: error = %v, want code %q", fitting-40+i, err, domain.ETooLarge)
		}
		rejected++
	}
	if stored == 0 {
		t.Error("no append near the limit was stored")
	}
	if rejected == 0 {
		t.Error("no append near the limit was rejected")
	}
}
