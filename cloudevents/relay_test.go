package cloudevents_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/cloudevents"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 20 * time.Second

// env is an embedded server with the event store opened on it.
type env struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	store *eventstore.Store
}

func startEnv(t *testing.T) *env {
	t.Helper()
	server, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{
		Port: -1, StoreDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(server.Shutdown)
	nc, err := nats.Connect(server.ClientURL(), server.Credentials().AdminOption())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	store, err := eventstore.Open(ctx, nc, eventstore.StoreConfig{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return &env{nc: nc, js: js, store: store}
}

// startRelay starts a relay that Cleanup stops.
func (e *env) startRelay(t *testing.T) *cloudevents.Relay {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	relay, err := cloudevents.Start(ctx, e.nc, cloudevents.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(relay.Stop)
	return relay
}

// appendLevels stores one level change for each org code and returns the
// events.
func (e *env) appendLevels(t *testing.T, codes ...string) []domain.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var out []domain.Event
	for _, code := range codes {
		last, err := e.store.Load(ctx, domain.KindLevel, code)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := e.store.Append(ctx, domain.AppendRequest{
			AggregateKind: domain.KindLevel, AggregateID: code, ExpectedSequence: uint64(len(last)),
			Draft: domain.Draft{Type: domain.TypeLevelChanged, Payload: domain.LevelChanged{
				OrgCode: code, Scheme: domain.SchemeLevels, Level: 2, Reason: "relay test", Source: "test", DatePrecision: "day"}},
			Metadata: domain.Metadata{Actor: "relay-test"},
		})
		if err != nil {
			t.Fatalf("append level of %s: %v", code, err)
		}
		out = append(out, stored)
	}
	return out
}

// waitRelayed waits until relay has handled the log up to its end.
func (e *env) waitRelayed(t *testing.T, relay *cloudevents.Relay) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	last, err := e.store.LastSequence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := relay.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
}

// relayed is one message of the CloudEvents stream.
type relayed struct {
	seq       uint64 // in the CloudEvents stream
	subject   string
	header    nats.Header
	fields    map[string]any
	streamSeq uint64 // of the source event, from the header
}

// readCloudEvents returns every message of the CloudEvents stream.
func (e *env) readCloudEvents(t *testing.T) []relayed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	stream, err := e.js.Stream(ctx, cloudevents.DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []relayed
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		raw, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get CloudEvent %d: %v", seq, err)
		}
		var fields map[string]any
		if err := json.Unmarshal(raw.Data, &fields); err != nil {
			t.Fatalf("CloudEvent %d is not JSON: %v", seq, err)
		}
		source, _ := strconv.ParseUint(raw.Header.Get(cloudevents.HeaderStreamSequence), 10, 64)
		out = append(out, relayed{seq: seq, subject: raw.Subject, header: raw.Header, fields: fields, streamSeq: source})
	}
	return out
}

// checkOnceInOrder checks that the CloudEvents are the events, in order,
// each once.
func checkOnceInOrder(t *testing.T, got []relayed, events []domain.Event) {
	t.Helper()
	if len(got) != len(events) {
		t.Errorf("the CloudEvents stream has %d messages, want %d", len(got), len(events))
	}
	for i := range min(len(got), len(events)) {
		want := events[i]
		if id := got[i].fields["id"]; id != want.ID {
			t.Errorf("CloudEvent %d has id %v, want %s", i+1, id, want.ID)
		}
		if got[i].streamSeq != want.StreamSequence {
			t.Errorf("CloudEvent %d has source stream sequence %d, want %d", i+1, got[i].streamSeq, want.StreamSequence)
		}
		if subject := cloudevents.Subject(want.AggregateKind, want.AggregateID); got[i].subject != subject {
			t.Errorf("CloudEvent %d is on %s, want %s", i+1, got[i].subject, subject)
		}
		if msgID := got[i].header.Get(jetstream.MsgIDHeader); msgID != want.ID {
			t.Errorf("CloudEvent %d has Nats-Msg-Id %q, want %s", i+1, msgID, want.ID)
		}
	}
}

func TestRelayPublishesLogInOrder(t *testing.T) {
	e := startEnv(t)
	events := e.appendLevels(t, "02040505", "02040000", "02040505")

	// A batch of two review events, which must carry their batch position.
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	reviewID := uuid.NewString()
	batch, err := e.store.AppendBatch(ctx, domain.AppendRequest{AggregateKind: domain.KindReview, AggregateID: reviewID,
		Metadata: domain.Metadata{Actor: "relay-test"}}, []domain.Draft{
		{Type: domain.TypeReviewScheduled, Payload: domain.ReviewScheduled{ID: reviewID, DistrictCode: "02040000",
			Type: domain.ReviewStandard}},
		{Type: domain.TypeReviewCancelled, Payload: domain.ReviewCancelled{Reason: "Postponed"}},
	})
	if err != nil {
		t.Fatalf("append review batch: %v", err)
	}
	events = append(events, batch...)

	relay := e.startRelay(t)
	e.waitRelayed(t, relay)
	got := e.readCloudEvents(t)
	checkOnceInOrder(t, got, events)

	stats := relay.Stats()
	if stats.Published != uint64(len(events)) {
		t.Errorf("published = %d, want %d", stats.Published, len(events))
	}
	if stats.Skipped != 0 {
		t.Errorf("skipped = %d, want 0", stats.Skipped)
	}
	if stats.Pending != 0 {
		t.Errorf("pending = %d after catching up, want 0", stats.Pending)
	}
	for i, want := range []string{"0", "1"} {
		ce := got[len(got)-2+i]
		if index := fmt.Sprint(ce.fields["batchindex"]); index != want {
			t.Errorf("review CloudEvent %d has batchindex %s, want %s", i, index, want)
		}
		if size := fmt.Sprint(ce.fields["batchsize"]); size != "2" {
			t.Errorf("review CloudEvent %d has batchsize %s, want 2", i, size)
		}
		if ct := ce.header.Get("Content-Type"); ct != cloudevents.ContentType {
			t.Errorf("review CloudEvent %d has Content-Type %q, want %s", i, ct, cloudevents.ContentType)
		}
	}
	if _, ok := got[0].fields["batchindex"]; ok {
		t.Errorf("a single event has batchindex %v, want none", got[0].fields["batchindex"])
	}
}

func TestRelayResumesAfterStop(t *testing.T) {
	e := startEnv(t)
	events := e.appendLevels(t, "02040505", "02040000")
	first := e.startRelay(t)
	e.waitRelayed(t, first)
	first.Stop()

	events = append(events, e.appendLevels(t, "02040505", "00010000")...)
	second := e.startRelay(t)
	e.waitRelayed(t, second)
	checkOnceInOrder(t, e.readCloudEvents(t), events)
	if published := second.Stats().Published; published != 2 {
		t.Errorf("the restarted relay published %d CloudEvents, want the 2 new ones", published)
	}
}

func TestRelayLagCountsUnrelayed(t *testing.T) {
	e := startEnv(t)
	e.appendLevels(t, "02040505")
	relay := e.startRelay(t)
	e.waitRelayed(t, relay)
	relay.Stop()
	e.appendLevels(t, "02040505", "02040000", "00010000")

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	lag, err := relay.Lag(ctx)
	if err != nil {
		t.Fatalf("Lag: %v", err)
	}
	if lag != 3 {
		t.Errorf("lag of a stopped relay = %d, want the 3 events stored since", lag)
	}
}

func TestRelayFollowsNewEvents(t *testing.T) {
	e := startEnv(t)
	relay := e.startRelay(t)
	var events []domain.Event
	for range 3 {
		events = append(events, e.appendLevels(t, "02040505")...)
		e.waitRelayed(t, relay)
	}
	checkOnceInOrder(t, e.readCloudEvents(t), events)
}

func TestRelayConcurrentRelaysPublishOnce(t *testing.T) {
	e := startEnv(t)
	codes := make([]string, 40)
	for i := range codes {
		codes[i] = fmt.Sprintf("0204%04d", i)
	}
	events := e.appendLevels(t, codes[:20]...)
	first, second := e.startRelay(t), e.startRelay(t)
	events = append(events, e.appendLevels(t, codes[20:]...)...)
	e.waitRelayed(t, first)
	e.waitRelayed(t, second)

	checkOnceInOrder(t, e.readCloudEvents(t), events)
	published := first.Stats().Published + second.Stats().Published
	if published != uint64(len(events)) {
		t.Errorf("the relays published %d CloudEvents together, want %d", published, len(events))
	}
}

func TestRelaySkipsInvalidMessage(t *testing.T) {
	e := startEnv(t)
	events := e.appendLevels(t, "02040505")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	// Anyone allowed to publish on planledger.> can add such messages.
	if _, err := e.js.Publish(ctx, "planledger.level.09990000", []byte(`{"not":"an event"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.js.Publish(ctx, "planledger.org.09990000", []byte(`not json`)); err != nil {
		t.Fatal(err)
	}
	events = append(events, e.appendLevels(t, "02040000")...)

	relay := e.startRelay(t)
	e.waitRelayed(t, relay)
	checkOnceInOrder(t, e.readCloudEvents(t), events)
	stats := relay.Stats()
	if stats.Skipped != 2 {
		t.Errorf("skipped = %d, want the 2 invalid messages", stats.Skipped)
	}
	if stats.Published != 2 {
		t.Errorf("published = %d, want 2", stats.Published)
	}
}

func TestRelayRestartsAfterForeignPublish(t *testing.T) {
	e := startEnv(t)
	events := e.appendLevels(t, "02040505")
	relay := e.startRelay(t)
	e.waitRelayed(t, relay)

	// A message the relay did not publish moves the stream's last
	// sequence, so the relay's next publish fails its expected-sequence
	// check and the relay re-reads its position.
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	foreign, err := e.js.Publish(ctx, cloudevents.Subject(domain.KindLevel, "02040505"), []byte(`{"specversion":"1.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	events = append(events, e.appendLevels(t, "02040505")...)
	e.waitRelayed(t, relay)

	got := e.readCloudEvents(t)
	if len(got) != 3 {
		t.Fatalf("the CloudEvents stream has %d messages, want 3", len(got))
	}
	if got[1].seq != foreign.Sequence {
		t.Errorf("the foreign message is at %d, want %d", got[1].seq, foreign.Sequence)
	}
	checkOnceInOrder(t, []relayed{got[0], got[2]}, events)
	if restarts := relay.Stats().Restarts; restarts < 1 {
		t.Errorf("restarts = %d, want at least 1", restarts)
	}
}

func TestRelayRecreatesDeletedStream(t *testing.T) {
	e := startEnv(t)
	events := e.appendLevels(t, "02040505", "02040000")
	relay := e.startRelay(t)
	e.waitRelayed(t, relay)

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := e.js.DeleteStream(ctx, cloudevents.DefaultStreamName); err != nil {
		t.Fatal(err)
	}
	// The next publish fails on the missing stream, and the relay creates
	// it again and publishes the whole log.
	events = append(events, e.appendLevels(t, "00010000")...)
	waitUntil(t, "the relay republishes the log", func() bool { return relay.Stats().Published == 2+3 })
	checkOnceInOrder(t, e.readCloudEvents(t), events)
}

// waitUntil polls done until it returns true, failing the test after
// testTimeout.
func waitUntil(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", testTimeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recordingHandler keeps the records logged through it.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// find returns the attributes of the last record with message msg.
func (h *recordingHandler) find(msg string) (map[string]string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.records) - 1; i >= 0; i-- {
		if h.records[i].Message != msg {
			continue
		}
		attrs := map[string]string{}
		h.records[i].Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.String()
			return true
		})
		return attrs, true
	}
	return nil, false
}

func TestRelayLogsLagWhileBlocked(t *testing.T) {
	e := startEnv(t)
	e.appendLevels(t, "02040505")
	logs := &recordingHandler{}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	relay, err := cloudevents.Start(ctx, e.nc, cloudevents.Config{LagLogInterval: 20 * time.Millisecond, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relay.Stop)
	e.waitRelayed(t, relay)

	// Another stream on the CloudEvents subjects keeps the relay from
	// creating its own again, so it falls behind.
	if err := e.js.DeleteStream(ctx, cloudevents.DefaultStreamName); err != nil {
		t.Fatal(err)
	}
	if _, err := e.js.CreateStream(ctx, jetstream.StreamConfig{Name: "BLOCKER", Subjects: []string{cloudevents.AllSubjects}}); err != nil {
		t.Fatal(err)
	}
	e.appendLevels(t, "02040000", "00010000")
	waitUntil(t, "the relay logs its lag", func() bool {
		attrs, ok := logs.find("cloudevents relay is behind and not advancing")
		return ok && attrs["lag"] == "2"
	})
	// The second restart finds the stream missing and fails to create it.
	waitUntil(t, "the relay restarts twice", func() bool { return relay.Stats().Restarts >= 2 })
	if _, ok := logs.find("cloudevents stream not found; creating it and publishing the log from the start"); !ok {
		t.Error("the relay did not log the missing stream")
	}

	// Once the other stream is gone, the relay recreates its stream and
	// publishes the whole log.
	if err := e.js.DeleteStream(ctx, "BLOCKER"); err != nil {
		t.Fatal(err)
	}
	e.waitRelayed(t, relay)
	waitUntil(t, "the relay republishes the log", func() bool { return relay.Stats().Published == 1+3 })
	if got := len(e.readCloudEvents(t)); got != 3 {
		t.Errorf("the recreated stream has %d CloudEvents, want 3", got)
	}
}
