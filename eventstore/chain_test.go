package eventstore_test

import (
	"encoding/json"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// assertChained checks that e's Hash recomputes and that it links to prev.
func assertChained(t *testing.T, e domain.Event, prevHash string) {
	t.Helper()
	if e.PrevHash != prevHash {
		t.Errorf("sequence %d: PrevHash = %q, want %q", e.Sequence, e.PrevHash, prevHash)
	}
	want, err := domain.ChainHash(e)
	if err != nil {
		t.Fatalf("sequence %d: ChainHash: %v", e.Sequence, err)
	}
	if e.Hash != want {
		t.Errorf("sequence %d: Hash = %q, want the recomputed %q", e.Sequence, e.Hash, want)
	}
}

func TestAppendChainsEvents(t *testing.T) {
	env := mustStartStore(t)
	const plan, other = "0190a5f2-3333-7000-8000-000000000001", "0190a5f2-3333-7000-8000-000000000002"
	var appended []domain.Event
	for seq := range uint64(3) {
		appended = append(appended, mustAppend(t, env.store, appendRequest(domain.KindPlan, plan, seq, "title")))
		// An event of another aggregate in between must not join this chain.
		if seq == 0 {
			mustAppend(t, env.store, appendRequest(domain.KindPlan, other, 0, "other"))
		}
	}

	prev := ""
	for _, e := range appended {
		assertChained(t, e, prev)
		prev = e.Hash
	}
	loaded, err := env.store.Load(testContext(t), domain.KindPlan, plan)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(loaded) != len(appended) {
		t.Fatalf("Load returned %d events, want %d", len(loaded), len(appended))
	}
	for i, e := range loaded {
		if e.Hash != appended[i].Hash || e.PrevHash != appended[i].PrevHash {
			t.Errorf("sequence %d loads with hashes %q/%q, appended with %q/%q",
				e.Sequence, e.PrevHash, e.Hash, appended[i].PrevHash, appended[i].Hash)
		}
		assertChained(t, e, appended[i].PrevHash)
	}
	first, err := env.store.Load(testContext(t), domain.KindPlan, other)
	if err != nil {
		t.Fatalf("Load other: %v", err)
	}
	assertChained(t, first[0], "")
}

// A raw payload is stored compact with <, > and & escaped, and the hash
// must cover those stored bytes, or it would not recompute after a load.
func TestAppendChainHashCoversStoredPayload(t *testing.T) {
	env := mustStartStore(t)
	const plan = "0190a5f2-4444-7000-8000-000000000001"
	req := appendRequest(domain.KindPlan, plan, 0, "")
	req.Draft.Payload = json.RawMessage("{ \"text\": \"grades <9> & 10\",\n  \"count\": 1 }")
	appended := mustAppend(t, env.store, req)

	loaded, err := env.store.Load(testContext(t), domain.KindPlan, plan)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := string(loaded[0].Payload), `{"text":"grades \u003c9\u003e \u0026 10","count":1}`; got != want {
		t.Errorf("stored payload = %s, want %s", got, want)
	}
	if string(appended.Payload) != string(loaded[0].Payload) {
		t.Errorf("Append returned payload %s, but the store holds %s", appended.Payload, loaded[0].Payload)
	}
	assertChained(t, loaded[0], "")
}

// Events stored before chaining have no hashes. They still load, and the
// next append starts the chain with an empty PrevHash.
func TestAppendAfterUnchainedEvent(t *testing.T) {
	env := mustStartStore(t)
	const plan = "0190a5f2-5555-7000-8000-000000000001"
	legacy := `{"id":"0190a5f2-6666-7000-8000-000000000001","type":"plan.retitled","schema_version":1,` +
		`"aggregate_kind":"plan","aggregate_id":"` + plan + `","sequence":1,` +
		`"recorded_at":"2024-05-01T14:30:00.123456Z","effective_at":"2024-05-01T14:30:00.123456Z",` +
		`"actor":"tester","payload":{"text":"before chaining","count":0}}`
	js, err := jetstream.New(env.nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(testContext(t), eventstore.Subject(domain.KindPlan, plan), []byte(legacy)); err != nil {
		t.Fatalf("publish unchained event: %v", err)
	}

	appended := mustAppend(t, env.store, appendRequest(domain.KindPlan, plan, 1, "after chaining"))
	if appended.Sequence != 2 {
		t.Fatalf("Sequence = %d, want 2", appended.Sequence)
	}
	assertChained(t, appended, "")

	loaded, err := env.store.Load(testContext(t), domain.KindPlan, plan)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(loaded) != 2 {
		t.Fatalf("Load returned %d events, want 2", len(loaded))
	}
	if loaded[0].Hash != "" || loaded[0].PrevHash != "" {
		t.Errorf("unchained event loads with hashes %q/%q, want none", loaded[0].PrevHash, loaded[0].Hash)
	}
	assertChained(t, loaded[1], "")
}
