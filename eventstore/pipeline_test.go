package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// pipelineResults collects what done reports for each request, keyed by
// the request's text.
type pipelineResults struct {
	mu     sync.Mutex
	events map[string]domain.Event
	errs   map[string]error
	calls  map[string]int
}

func newPipelineResults() *pipelineResults {
	return &pipelineResults{events: map[string]domain.Event{}, errs: map[string]error{}, calls: map[string]int{}}
}

// done returns the done function of the request named text.
func (r *pipelineResults) done(text string) func(domain.Event, error) {
	return func(event domain.Event, err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls[text]++
		r.events[text], r.errs[text] = event, err
	}
}

// mustQueue queues req on p and fails the test when p does not accept it.
func mustQueue(t *testing.T, p domain.AppendPipeline, req domain.AppendRequest, done func(domain.Event, error)) {
	t.Helper()
	if err := p.Append(req, done); err != nil {
		t.Fatalf("Pipeline.Append %s/%s after %d: %v", req.AggregateKind, req.AggregateID, req.ExpectedSequence, err)
	}
}

func TestPipelineAppendsInOrderPerAggregate(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	const aggregates, perAggregate = 20, 5
	id := func(a int) string { return fmt.Sprintf("0190a5f2-7777-7000-8000-%012d", a) }
	text := func(a, n int) string { return fmt.Sprintf("aggregate %d event %d", a, n) }

	results := newPipelineResults()
	p := env.store.Pipeline(ctx)
	// The first half of the aggregates get their events back to back, the
	// rest interleaved, so some appends wait behind their predecessor.
	for a := 0; a < aggregates/2; a++ {
		for n := 0; n < perAggregate; n++ {
			mustQueue(t, p, appendRequest(domain.KindPlan, id(a), uint64(n), text(a, n)), results.done(text(a, n)))
		}
	}
	for n := 0; n < perAggregate; n++ {
		for a := aggregates / 2; a < aggregates; a++ {
			mustQueue(t, p, appendRequest(domain.KindPlan, id(a), uint64(n), text(a, n)), results.done(text(a, n)))
		}
	}
	p.Wait()

	for a := 0; a < aggregates; a++ {
		stored, err := env.store.Load(ctx, domain.KindPlan, id(a))
		if err != nil {
			t.Fatalf("Load %s: %v", id(a), err)
		}
		if len(stored) != perAggregate {
			t.Errorf("aggregate %d has %d events, want %d", a, len(stored), perAggregate)
			continue
		}
		prevHash := ""
		for n, event := range stored {
			name := text(a, n)
			if calls := results.calls[name]; calls != 1 {
				t.Errorf("%s: done ran %d times, want once", name, calls)
			}
			if err := results.errs[name]; err != nil {
				t.Errorf("%s: done reported %v", name, err)
			}
			if got := results.events[name]; got.ID != event.ID || got.StreamSequence != event.StreamSequence {
				t.Errorf("%s: done reported event %s at stream sequence %d, the store has %s at %d",
					name, got.ID, got.StreamSequence, event.ID, event.StreamSequence)
			}
			var payload notePayload
			if err := event.Decode(&payload); err != nil {
				t.Fatalf("%s: decode: %v", name, err)
			}
			if payload.Text != name {
				t.Errorf("aggregate %d sequence %d holds %q, want %q", a, event.Sequence, payload.Text, name)
			}
			assertChained(t, event, prevHash)
			prevHash = event.Hash
		}
	}
	if got := streamMessages(t, env); got != aggregates*perAggregate {
		t.Errorf("stream holds %d messages, want %d", got, aggregates*perAggregate)
	}
}

// TestPipelineConflictFailsQueuedAppends makes the server reject a
// pipelined append for a stale expected sequence while the next append of
// the same aggregate waits behind it.
func TestPipelineConflictFailsQueuedAppends(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	const stale, other = "0190a5f2-8888-7000-8000-000000000001", "0190a5f2-8888-7000-8000-000000000002"
	mustAppend(t, env.store, appendRequest(domain.KindPlan, stale, 0, "first"))
	// A second store moves the aggregate on, so the first store's
	// remembered last event is stale and its publish states the wrong
	// expected sequence.
	writer, err := eventstore.Open(ctx, env.nc, eventstore.StoreConfig{})
	if err != nil {
		t.Fatalf("Open a second store: %v", err)
	}
	mustAppend(t, writer, appendRequest(domain.KindPlan, stale, 1, "by another writer"))

	entered, release := make(chan struct{}), make(chan struct{})
	// Only the first publish is held, and later ones pass straight through.
	var held atomic.Bool
	eventstore.SetBeforePublish(env.store, func() {
		if held.CompareAndSwap(false, true) {
			close(entered)
			<-release
		}
	})
	results := newPipelineResults()
	p := env.store.Pipeline(ctx)
	queued := make(chan error, 1)
	go func() { queued <- p.Append(appendRequest(domain.KindPlan, stale, 1, "stale"), results.done("stale")) }()
	<-entered
	// The stale append is held before its publish, so this one waits behind it.
	mustQueue(t, p, appendRequest(domain.KindPlan, stale, 2, "behind"), results.done("behind"))
	mustQueue(t, p, appendRequest(domain.KindPlan, other, 0, "other"), results.done("other"))
	close(release)
	if err := <-queued; err != nil {
		t.Fatalf("Pipeline.Append of the stale request: %v", err)
	}
	p.Wait()

	var conflict *domain.ConflictError
	if err := results.errs["stale"]; !errors.As(err, &conflict) || conflict.Current != 2 {
		t.Errorf("stale append reported %v, want a conflict at current sequence 2", err)
	}
	if err := results.errs["behind"]; err == nil {
		t.Errorf("append queued behind the conflict reported no error")
	}
	if err := results.errs["other"]; err != nil {
		t.Errorf("append to another aggregate reported %v", err)
	}
	for _, name := range []string{"stale", "behind", "other"} {
		if calls := results.calls[name]; calls != 1 {
			t.Errorf("%s: done ran %d times, want once", name, calls)
		}
	}
	stored, err := env.store.Load(ctx, domain.KindPlan, stale)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(stored) != 2 {
		t.Errorf("stale aggregate has %d events, want the 2 stored before the pipeline", len(stored))
	}
}

// TestPipelineRetryReturnsStoredEvent queues an append whose event id is
// already stored, once on the store that stored it and once on a new store
// that has to learn it from the server's rejection.
func TestPipelineRetryReturnsStoredEvent(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	req := appendRequest(domain.KindPlan, "0190a5f2-9999-7000-8000-000000000001", 0, "once")
	req.Metadata.EventID = "0190a5f2-9999-7000-8000-0000000000e1"
	stored := mustAppend(t, env.store, req)

	fresh, err := eventstore.Open(ctx, env.nc, eventstore.StoreConfig{})
	if err != nil {
		t.Fatalf("Open a second store: %v", err)
	}
	for name, store := range map[string]*eventstore.Store{"same store": env.store, "new store": fresh} {
		results := newPipelineResults()
		p := store.Pipeline(ctx)
		mustQueue(t, p, req, results.done(name))
		p.Wait()
		if err := results.errs[name]; err != nil {
			t.Errorf("%s: retry reported %v", name, err)
		}
		if got := results.events[name]; got.ID != stored.ID || got.StreamSequence != stored.StreamSequence {
			t.Errorf("%s: retry returned %s at stream sequence %d, want %s at %d",
				name, got.ID, got.StreamSequence, stored.ID, stored.StreamSequence)
		}
	}
	if got := streamMessages(t, env); got != 1 {
		t.Errorf("stream holds %d messages, want 1", got)
	}
}

func TestPipelineRejectsAfterEnd(t *testing.T) {
	env := mustStartStore(t)
	results := newPipelineResults()

	p := env.store.Pipeline(testContext(t))
	p.Wait()
	if err := p.Append(appendRequest(domain.KindPlan, "0190a5f2-aaaa-7000-8000-000000000001", 0, "late"), results.done("late")); err == nil {
		t.Errorf("Append after Wait succeeded, want an error")
	}

	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	p = env.store.Pipeline(ctx)
	err := p.Append(appendRequest(domain.KindPlan, "0190a5f2-aaaa-7000-8000-000000000002", 0, "cancelled"), results.done("cancelled"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Append with a cancelled context = %v, want context.Canceled", err)
	}
	p.Wait()

	if len(results.calls) != 0 {
		t.Errorf("done ran for rejected appends: %v", results.calls)
	}
	if got := streamMessages(t, env); got != 0 {
		t.Errorf("stream holds %d messages, want 0", got)
	}
}
