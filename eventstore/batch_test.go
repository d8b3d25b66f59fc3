package eventstore_test

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

func batchDrafts(n int) []domain.Draft {
	drafts := make([]domain.Draft, n)
	for i := range drafts {
		drafts[i] = domain.Draft{Type: domain.TypePlanRetitled, Payload: map[string]string{"title": fmt.Sprintf("title %d", i)}}
	}
	return drafts
}

func TestAppendBatchStoresConsecutiveEvents(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	req := domain.AppendRequest{AggregateKind: domain.KindPlan, AggregateID: "b1",
		Metadata: domain.Metadata{Actor: "tester"}}
	events, err := env.store.AppendBatch(ctx, req, batchDrafts(3))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 {
		t.Fatalf("got %d events, want 3", len(events))
	}
	for i, e := range events {
		if e.Sequence != uint64(i+1) {
			t.Errorf("event %d: sequence %d, want %d", i, e.Sequence, i+1)
		}
		if i > 0 && e.StreamSequence != events[i-1].StreamSequence+1 {
			t.Errorf("event %d: stream sequence %d does not follow %d", i, e.StreamSequence, events[i-1].StreamSequence)
		}
		if i > 0 && e.PrevHash != events[i-1].Hash {
			t.Errorf("event %d: prev_hash does not link to event %d", i, i-1)
		}
	}
	loaded, err := env.store.Load(ctx, domain.KindPlan, "b1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if loaded[i].ID != events[i].ID || loaded[i].StreamSequence != events[i].StreamSequence {
			t.Errorf("loaded event %d is %s at %d, want %s at %d", i, loaded[i].ID, loaded[i].StreamSequence,
				events[i].ID, events[i].StreamSequence)
		}
	}
}

func TestAppendBatchStaleStoresNothing(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	mustAppend(t, env.store, appendRequest(domain.KindPlan, "b2", 0, "first"))
	before, _ := env.store.LastSequence(ctx)

	req := domain.AppendRequest{AggregateKind: domain.KindPlan, AggregateID: "b2", ExpectedSequence: 0,
		Metadata: domain.Metadata{Actor: "late"}}
	_, err := env.store.AppendBatch(ctx, req, batchDrafts(4))
	var conflict *domain.ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("error %v, want *domain.ConflictError", err)
	}
	if conflict.Current != 1 {
		t.Errorf("conflict current %d, want 1", conflict.Current)
	}
	if after, _ := env.store.LastSequence(ctx); after != before {
		t.Errorf("stream moved from %d to %d after a rejected batch", before, after)
	}
}

func TestAppendBatchRetryReturnsStored(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	req := domain.AppendRequest{AggregateKind: domain.KindPlan, AggregateID: "b3",
		Metadata: domain.Metadata{Actor: "tester", EventID: "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b"}}
	first, err := env.store.AppendBatch(ctx, req, batchDrafts(3))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := env.store.LastSequence(ctx)
	again, err := env.store.AppendBatch(ctx, req, batchDrafts(3))
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	for i := range first {
		if again[i].ID != first[i].ID {
			t.Errorf("retry event %d is %s, want the stored %s", i, again[i].ID, first[i].ID)
		}
	}
	if after, _ := env.store.LastSequence(ctx); after != before {
		t.Errorf("retry moved the stream from %d to %d", before, after)
	}
}

// A batch whose commit never arrives is never stored, which is what makes
// a command's events all or none.
func TestUncommittedBatchIsNotStored(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	before, _ := env.store.LastSequence(ctx)
	for i := 1; i <= 3; i++ {
		msg := nats.NewMsg(eventstore.Subject(domain.KindPlan, "b4"))
		msg.Data = []byte(`{}`)
		msg.Header.Set("Nats-Batch-Id", "abandoned")
		msg.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i))
		if err := env.nc.PublishMsg(msg); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // give the server time to store anything it would store
	if after, _ := env.store.LastSequence(ctx); after != before {
		t.Errorf("an uncommitted batch moved the stream from %d to %d", before, after)
	}
}

func TestSubscribeMarksBatchPositions(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	req := domain.AppendRequest{AggregateKind: domain.KindPlan, AggregateID: "b5", Metadata: domain.Metadata{Actor: "t"}}
	if _, err := env.store.AppendBatch(ctx, req, batchDrafts(3)); err != nil {
		t.Fatal(err)
	}
	single := mustAppend(t, env.store, appendRequest(domain.KindPlan, "b6", 0, "alone"))
	c := &collector{}
	mustSubscribe(t, env, 1, "", c)
	got := c.waitForCount(t, 4)
	for i := 0; i < 3; i++ {
		if got[i].BatchIndex != i || got[i].BatchSize != 3 {
			t.Errorf("batch event %d: position %d of %d, want %d of 3", i, got[i].BatchIndex, got[i].BatchSize, i)
		}
	}
	if got[3].ID != single.ID || got[3].BatchSize != 1 {
		t.Errorf("single event: position %d of %d, want 0 of 1", got[3].BatchIndex, got[3].BatchSize)
	}
}
