package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// collector records the events a subscription delivers.
type collector struct {
	mu     sync.Mutex
	events []domain.Event
	fail   func(domain.Event) error // optional handler result
}

func (c *collector) handle(event domain.Event) error {
	c.mu.Lock()
	c.events = append(c.events, event)
	c.mu.Unlock()
	if c.fail != nil {
		return c.fail(event)
	}
	return nil
}

func (c *collector) snapshot() []domain.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]domain.Event(nil), c.events...)
}

func (c *collector) waitForCount(t *testing.T, n int) []domain.Event {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d delivered events", n), func() bool { return len(c.snapshot()) >= n })
	return c.snapshot()
}

// mustSubscribe subscribes c and stops the subscription in t.Cleanup.
func mustSubscribe(t *testing.T, env *testEnv, from uint64, filter string, c *collector) (stop func()) {
	t.Helper()
	stop, err := env.store.Subscribe(testContext(t), from, filter, c.handle)
	if err != nil {
		t.Fatalf("Subscribe from %d on %q: %v", from, filter, err)
	}
	t.Cleanup(stop)
	return stop
}

// appendMixed appends six events spread over three aggregates, so the
// stream order interleaves them, and returns them in stream order.
func appendMixed(t *testing.T, env *testEnv) []domain.Event {
	t.Helper()
	var stored []domain.Event
	for seq := range uint64(2) {
		stored = append(stored,
			mustAppend(t, env.store, appendRequest(domain.KindOrg, "11111111", seq, "org")),
			mustAppend(t, env.store, appendRequest(domain.KindLevel, "11111111", seq, "level")),
			mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", seq, "plan")),
		)
	}
	return stored
}

func assertStreamOrder(t *testing.T, got []domain.Event, want []domain.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("delivered %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Errorf("event %d: ID = %s, want %s", i, got[i].ID, want[i].ID)
		}
		if got[i].StreamSequence != want[i].StreamSequence {
			t.Errorf("event %d: StreamSequence = %d, want %d", i, got[i].StreamSequence, want[i].StreamSequence)
		}
	}
}

func TestSubscribeFromStart(t *testing.T) {
	for _, from := range []uint64{0, 1} {
		t.Run(fmt.Sprintf("from %d", from), func(t *testing.T) {
			env := mustStartStore(t)
			stored := appendMixed(t, env)
			c := &collector{}
			mustSubscribe(t, env, from, "", c)

			assertStreamOrder(t, c.waitForCount(t, len(stored)), stored)

			// The subscription keeps following events appended later.
			live := mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 2, "live"))
			assertStreamOrder(t, c.waitForCount(t, len(stored)+1), append(stored, live))
		})
	}
}

func TestSubscribeFromMiddle(t *testing.T) {
	env := mustStartStore(t)
	stored := appendMixed(t, env)
	c := &collector{}
	mustSubscribe(t, env, 4, "", c)

	// A later sentinel proves that nothing before sequence 4 arrives first.
	sentinel := mustAppend(t, env.store, appendRequest(domain.KindOrg, "22222222", 0, "sentinel"))
	want := append(stored[3:], sentinel)
	assertStreamOrder(t, c.waitForCount(t, len(want)), want)
}

func TestSubscribeFilter(t *testing.T) {
	env := mustStartStore(t)
	stored := appendMixed(t, env)
	c := &collector{}
	mustSubscribe(t, env, 1, "planledger.level.>", c)

	want := []domain.Event{stored[1], stored[4]}
	sentinel := mustAppend(t, env.store, appendRequest(domain.KindLevel, "22222222", 0, "sentinel"))
	want = append(want, sentinel)
	assertStreamOrder(t, c.waitForCount(t, len(want)), want)
}

func TestSubscribeSkipsBadEvents(t *testing.T) {
	env := mustStartStore(t)
	first := mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 0, "one"))

	// A message that is not an envelope, published around the store.
	js, err := jetstream.New(env.nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	ack, err := js.Publish(testContext(t), eventstore.Subject(domain.KindPlan, "garbage"), []byte("not json"))
	if err != nil {
		t.Fatalf("publish garbage: %v", err)
	}
	second := mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 1, "two"))
	third := mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 2, "three"))

	handlerErr := errors.New("projection rejected event")
	c := &collector{fail: func(e domain.Event) error {
		if e.ID == second.ID {
			return handlerErr
		}
		return nil
	}}
	mustSubscribe(t, env, 1, "", c)

	// The undecodable message arrives as a position only, so a reader
	// waiting for a stream sequence gets past it.
	placeholder := domain.Event{StreamSequence: ack.Sequence}
	assertStreamOrder(t, c.waitForCount(t, 4), []domain.Event{first, placeholder, second, third})

	var sawGarbage, sawHandlerErr bool
	for _, rec := range env.logs.snapshot() {
		if rec.attrs["stream_seq"] == ack.Sequence && rec.attrs["subject"] == "planledger.plan.garbage" {
			sawGarbage = true
		}
		if rec.attrs["stream_seq"] == second.StreamSequence && rec.attrs["event_id"] == second.ID {
			sawHandlerErr = true
			if err, _ := rec.attrs["error"].(error); !errors.Is(err, handlerErr) {
				t.Errorf("handler failure log error = %v, want %v", rec.attrs["error"], handlerErr)
			}
		}
	}
	if !sawGarbage {
		t.Errorf("no log record for the undecodable message at stream sequence %d", ack.Sequence)
	}
	if !sawHandlerErr {
		t.Errorf("no log record for the handler error at stream sequence %d", second.StreamSequence)
	}
}

func TestSubscribeStopEndsDelivery(t *testing.T) {
	env := mustStartStore(t)
	mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 0, "one"))
	stopped, running := &collector{}, &collector{}
	stop := mustSubscribe(t, env, 1, "", stopped)
	mustSubscribe(t, env, 1, "", running)
	stopped.waitForCount(t, 1)

	stop()
	stop() // a second call must not block or panic

	// Once the running subscriber has the new event, the stopped one would
	// have had it too if it were still delivering.
	mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 1, "two"))
	running.waitForCount(t, 2)
	if got := len(stopped.snapshot()); got != 1 {
		t.Errorf("stopped subscription delivered %d events, want 1", got)
	}
}

func TestSubscribeRejectsNilHandler(t *testing.T) {
	env := mustStartStore(t)
	if _, err := env.store.Subscribe(testContext(t), 1, "", nil); err == nil {
		t.Error("Subscribe with a nil handler succeeded, want an error")
	}
}

// TestCoreSubscriptionReceivesLevelEvent checks that programs without
// JetStream see appended events on the live subject.
func TestCoreSubscriptionReceivesLevelEvent(t *testing.T) {
	env := mustStartStore(t)
	sub, err := env.nc.SubscribeSync("live.planledger.level.>")
	if err != nil {
		t.Fatalf("SubscribeSync: %v", err)
	}
	defer sub.Unsubscribe()
	if err := env.nc.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}

	req := appendRequest(domain.KindLevel, "12345678", 0, "")
	req.Draft.Type = domain.TypeLevelChanged
	stored := mustAppend(t, env.store, req)

	msg, err := sub.NextMsg(testTimeout)
	if err != nil {
		t.Fatalf("NextMsg: %v", err)
	}
	if msg.Subject != "live.planledger.level.12345678" {
		t.Errorf("Subject = %q, want live.planledger.level.12345678", msg.Subject)
	}
	headers := map[string]string{
		eventstore.HeaderType:          domain.TypeLevelChanged,
		eventstore.HeaderAggregateKind: domain.KindLevel,
		eventstore.HeaderAggregateID:   "12345678",
		eventstore.HeaderSequence:      "1",
		jetstream.MsgIDHeader:          stored.ID,
		jetstream.StreamHeader:         eventstore.DefaultStreamName,
		jetstream.SubjectHeader:        "planledger.level.12345678",
		jetstream.SequenceHeader:       strconv.FormatUint(stored.StreamSequence, 10),
		jetstream.LastSequenceHeader:   "0",
	}
	for name, want := range headers {
		if got := msg.Header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	var got domain.Event
	if err := json.Unmarshal(msg.Data, &got); err != nil {
		t.Fatalf("decode message body: %v", err)
	}
	// The envelope on the wire carries no stream sequence.
	stored.StreamSequence = 0
	assertSameEvent(t, got, stored)
}

// TestSubscribeSurvivesServerRestart restarts the server on the same port
// and store directory under a live subscription, which loses its
// in-memory consumer, and expects delivery to resume after the last event.
func TestSubscribeSurvivesServerRestart(t *testing.T) {
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Port: -1, StoreDir: dir, Logger: logger})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(first.Shutdown)
	u, err := url.Parse(first.ClientURL())
	if err != nil {
		t.Fatalf("parse ClientURL: %v", err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatalf("parse port %q: %v", u.Port(), err)
	}

	nc, err := nats.Connect(first.ClientURL(), first.Credentials().AdminOption(), nats.ReconnectWait(50*time.Millisecond), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	store, err := eventstore.Open(testContext(t), nc, eventstore.StoreConfig{Logger: logger})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	c := &collector{}
	stop, err := store.Subscribe(testContext(t), 1, "", c.handle)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	t.Cleanup(stop)

	before := mustAppend(t, store, appendRequest(domain.KindPlan, "p1", 0, "before"))
	c.waitForCount(t, 1)
	first.Shutdown()

	second, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Port: port, StoreDir: dir, Logger: logger})
	if err != nil {
		t.Fatalf("restart on port %d: %v", port, err)
	}
	t.Cleanup(second.Shutdown)
	waitFor(t, "reconnect", nc.IsConnected)

	// JetStream may not respond for a moment after the client reconnects.
	// A publish the server stored but whose acknowledgement was lost in the
	// restart is recognised on the retry by its fixed event id.
	var after domain.Event
	retried := appendRequest(domain.KindPlan, "p1", 1, "after")
	retried.Metadata.EventID = "0b8c2b0e-1d6a-4c8e-9f3a-5a1f7e2d9c02"
	waitFor(t, "append after restart", func() bool {
		// A publish sent while the server restores its streams can wait for
		// an acknowledgement that never comes, so each try gets two seconds.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		after, err = store.Append(ctx, retried)
		if err != nil {
			t.Logf("append after restart: %v", err)
		}
		return err == nil
	})
	assertStreamOrder(t, c.waitForCount(t, 2), []domain.Event{before, after})
}

func TestSubscribeEndsWhenConnectionCloses(t *testing.T) {
	env := mustStartStore(t)
	c := &collector{}
	stop := mustSubscribe(t, env, 1, "", c)
	env.nc.Close()

	waitFor(t, "log record for the closed connection", func() bool {
		for _, rec := range env.logs.snapshot() {
			if rec.level == slog.LevelError && strings.Contains(rec.message, "connection is closed") {
				return true
			}
		}
		return false
	})
	stopped := make(chan struct{})
	go func() {
		stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(testTimeout):
		t.Fatal("stop did not return after the connection closed")
	}
}

// TestLiveSubjectsOnlyStoredEvents lets 8 writers pass Append's own
// sequence check before any of them publishes, so the server rejects all
// but one publish per round. A plain subscriber on the stream subjects
// receives every attempt, and one on the live subjects must receive only the
// stored events.
func TestLiveSubjectsOnlyStoredEvents(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	const writers, rounds = 8, 5
	const id = "12345678"

	live, err := env.nc.SubscribeSync(eventstore.LiveSubjectPrefix + ".level.>")
	if err != nil {
		t.Fatalf("subscribe to live subjects: %v", err)
	}
	attempts, err := env.nc.SubscribeSync("planledger.level.>")
	if err != nil {
		t.Fatalf("subscribe to stream subjects: %v", err)
	}
	if err := env.nc.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}

	var stored []domain.Event
	for round := range uint64(rounds) {
		eventstore.SetBeforePublish(env.store, newBarrier(t, writers))
		results := make([]domain.Event, writers)
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				results[w], errs[w] = env.store.Append(ctx, appendRequest(domain.KindLevel, id, round, "writer"))
			})
		}
		wg.Wait()

		var winners []domain.Event
		for w, err := range errs {
			if err == nil {
				winners = append(winners, results[w])
				continue
			}
			var conflict *domain.ConflictError
			if !errors.As(err, &conflict) {
				t.Fatalf("round %d writer %d: error = %v, want *domain.ConflictError", round, w, err)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: %d writers succeeded, want exactly 1", round, len(winners))
		}
		stored = append(stored, winners[0])
	}
	eventstore.SetBeforePublish(env.store, nil)
	// Live messages arrive in stream order, so once the marker arrives any
	// rejected publish would already have shown up before it.
	marker := mustAppend(t, env.store, appendRequest(domain.KindLevel, id, rounds, "marker"))
	stored = append(stored, marker)

	for i := 0; i < writers*rounds+1; i++ {
		if _, err := attempts.NextMsg(testTimeout); err != nil {
			t.Fatalf("stream subject subscriber got %d of %d publish attempts: %v", i, writers*rounds+1, err)
		}
	}

	var previous uint64
	for i, want := range stored {
		msg, err := live.NextMsg(testTimeout)
		if err != nil {
			t.Fatalf("live message %d of %d: %v", i+1, len(stored), err)
		}
		var got domain.Event
		if err := json.Unmarshal(msg.Data, &got); err != nil {
			t.Fatalf("decode live message %d: %v", i+1, err)
		}
		if got.ID != want.ID {
			t.Errorf("live message %d is event %s (sequence %d), want stored event %s",
				i+1, got.ID, got.Sequence, want.ID)
		}
		if msg.Subject != eventstore.LiveSubject(domain.KindLevel, id) {
			t.Errorf("live message %d: Subject = %q, want %q", i+1, msg.Subject, eventstore.LiveSubject(domain.KindLevel, id))
		}
		if got, want := msg.Header.Get(jetstream.SequenceHeader), strconv.FormatUint(want.StreamSequence, 10); got != want {
			t.Errorf("live message %d: %s = %q, want stream sequence %s", i+1, jetstream.SequenceHeader, got, want)
		}
		if got, want := msg.Header.Get(jetstream.LastSequenceHeader), strconv.FormatUint(previous, 10); got != want {
			t.Errorf("live message %d: %s = %q, want %s", i+1, jetstream.LastSequenceHeader, got, want)
		}
		if got := msg.Header.Get(jetstream.StreamHeader); got != eventstore.DefaultStreamName {
			t.Errorf("live message %d: %s = %q, want %s", i+1, jetstream.StreamHeader, got, eventstore.DefaultStreamName)
		}
		if got, want := msg.Header.Get(eventstore.HeaderSequence), strconv.FormatUint(want.Sequence, 10); got != want {
			t.Errorf("live message %d: %s = %q, want %s", i+1, eventstore.HeaderSequence, got, want)
		}
		previous = want.StreamSequence
	}
	if extra, err := live.NextMsg(100 * time.Millisecond); err == nil {
		t.Errorf("live subscriber got an extra message on %s after the marker", extra.Subject)
	}
	if got := streamMessages(t, env); got != rounds+1 {
		t.Errorf("stream contains %d messages, want %d", got, rounds+1)
	}
}

// newBarrier returns a hook that blocks each caller until n callers have
// arrived, or fails the test after testTimeout.
func newBarrier(tb testing.TB, n int) func() {
	var mu sync.Mutex
	arrived := 0
	release := make(chan struct{})
	return func() {
		mu.Lock()
		arrived++
		if arrived == n {
			close(release)
		}
		mu.Unlock()
		select {
		case <-release:
		case <-time.After(testTimeout):
			mu.Lock()
			defer mu.Unlock()
			tb.Errorf("only %d of %d writers reached the publish", arrived, n)
		}
	}
}
