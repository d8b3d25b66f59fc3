package eventstore_test

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

func TestSubjectFormat(t *testing.T) {
	got := eventstore.Subject(domain.KindLevel, "12345678")
	if want := "planledger.level.12345678"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
}

func TestLoadUnknownAggregateEmpty(t *testing.T) {
	env := mustStartStore(t)
	events, err := env.store.Load(testContext(t), domain.KindPlan, "missing")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if events == nil || len(events) != 0 {
		t.Errorf("Load = %#v, want an empty, non-nil slice", events)
	}
}

func TestLoadLeavesNoConsumer(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 0, "one"))
	mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 1, "two"))
	for range 5 {
		if _, err := env.store.Load(ctx, domain.KindPlan, "p1"); err != nil {
			t.Fatalf("Load: %v", err)
		}
	}
	if got := streamInfo(t, env).State.Consumers; got != 0 {
		t.Errorf("stream has %d consumers after Load, want 0", got)
	}
}

func TestLastSequence(t *testing.T) {
	env := mustStartStore(t)
	ctx := testContext(t)
	last, err := env.store.LastSequence(ctx)
	if err != nil {
		t.Fatalf("LastSequence: %v", err)
	}
	if last != 0 {
		t.Errorf("LastSequence of an empty stream = %d, want 0", last)
	}
	mustAppend(t, env.store, appendRequest(domain.KindOrg, "11111111", 0, "org"))
	event := mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 0, "plan"))
	last, err = env.store.LastSequence(ctx)
	if err != nil {
		t.Fatalf("LastSequence: %v", err)
	}
	if last != event.StreamSequence {
		t.Errorf("LastSequence = %d, want %d", last, event.StreamSequence)
	}
}

func TestOpenStreamConfig(t *testing.T) {
	env := mustStartStore(t)
	// A second Open on the existing stream updates it in place.
	if _, err := eventstore.Open(testContext(t), env.nc, eventstore.StoreConfig{}); err != nil {
		t.Fatalf("second Open: %v", err)
	}

	cfg := streamInfo(t, env).Config
	if len(cfg.Subjects) != 1 || cfg.Subjects[0] != "planledger.>" {
		t.Errorf("Subjects = %v, want [planledger.>]", cfg.Subjects)
	}
	if cfg.Storage != jetstream.FileStorage {
		t.Errorf("Storage = %v, want file", cfg.Storage)
	}
	if cfg.Replicas != 1 {
		t.Errorf("Replicas = %d, want 1", cfg.Replicas)
	}
	if cfg.Duplicates != eventstore.DefaultDuplicateWindow {
		t.Errorf("Duplicates = %s, want %s", cfg.Duplicates, eventstore.DefaultDuplicateWindow)
	}
	if cfg.MaxAge != 0 {
		t.Errorf("MaxAge = %s, want 0 (no limit)", cfg.MaxAge)
	}
	if cfg.MaxMsgs != -1 {
		t.Errorf("MaxMsgs = %d, want -1 (no limit)", cfg.MaxMsgs)
	}
	if cfg.MaxBytes != -1 {
		t.Errorf("MaxBytes = %d, want -1 (no limit)", cfg.MaxBytes)
	}
	if !cfg.DenyDelete {
		t.Error("DenyDelete = false, want true")
	}
	if !cfg.DenyPurge {
		t.Error("DenyPurge = false, want true")
	}
}

func streamInfo(tb testing.TB, env *testEnv) *jetstream.StreamInfo {
	tb.Helper()
	js, err := jetstream.New(env.nc)
	if err != nil {
		tb.Fatalf("jetstream.New: %v", err)
	}
	stream, err := js.Stream(testContext(tb), eventstore.DefaultStreamName)
	if err != nil {
		tb.Fatalf("look up stream: %v", err)
	}
	info, err := stream.Info(testContext(tb))
	if err != nil {
		tb.Fatalf("stream info: %v", err)
	}
	return info
}
