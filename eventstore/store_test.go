package eventstore_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
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
	if cfg.RePublish == nil {
		t.Fatal("RePublish = nil, want planledger.> to live.planledger.>")
	}
	if cfg.RePublish.Source != "planledger.>" {
		t.Errorf("RePublish.Source = %q, want planledger.>", cfg.RePublish.Source)
	}
	if cfg.RePublish.Destination != "live.planledger.>" {
		t.Errorf("RePublish.Destination = %q, want live.planledger.>", cfg.RePublish.Destination)
	}
	if cfg.RePublish.HeadersOnly {
		t.Error("RePublish.HeadersOnly = true, want the event body republished")
	}
}

func TestLiveSubjectFormat(t *testing.T) {
	got := eventstore.LiveSubject(domain.KindLevel, "12345678")
	if want := "live.planledger.level.12345678"; got != want {
		t.Errorf("LiveSubject = %q, want %q", got, want)
	}
}

// TestOpenAddsRePublishToExistingStream opens a stream created with the
// configuration of earlier planledger versions, which had no RePublish.
func TestOpenAddsRePublishToExistingStream(t *testing.T) {
	_, nc := mustStartServerIn(t, t.TempDir())
	ctx := testContext(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{
		Name:        eventstore.DefaultStreamName,
		Description: "planledger event log",
		Subjects:    []string{eventstore.AllSubjects},
		Storage:     jetstream.FileStorage,
		Replicas:    1,
		Duplicates:  eventstore.DefaultDuplicateWindow,
		Retention:   jetstream.LimitsPolicy,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		Discard:     jetstream.DiscardOld,
		DenyDelete:  true,
		DenyPurge:   true,
	})
	if err != nil {
		t.Fatalf("create stream without RePublish: %v", err)
	}
	before, err := js.Publish(ctx, eventstore.Subject(domain.KindPlan, "old"), []byte(`{}`))
	if err != nil {
		t.Fatalf("publish before the upgrade: %v", err)
	}

	store, err := eventstore.Open(ctx, nc, eventstore.StoreConfig{})
	if err != nil {
		t.Fatalf("Open on a stream without RePublish: %v", err)
	}
	stream, err := js.Stream(ctx, eventstore.DefaultStreamName)
	if err != nil {
		t.Fatalf("look up stream: %v", err)
	}
	cfg := stream.CachedInfo().Config
	if cfg.RePublish == nil || cfg.RePublish.Destination != "live.planledger.>" {
		t.Fatalf("RePublish after Open = %+v, want destination live.planledger.>", cfg.RePublish)
	}
	if got := stream.CachedInfo().State.Msgs; got != 1 {
		t.Errorf("stream contains %d messages after Open, want the 1 from before", got)
	}

	live, err := nc.SubscribeSync(eventstore.AllLiveSubjects)
	if err != nil {
		t.Fatalf("SubscribeSync: %v", err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	event := mustAppend(t, store, appendRequest(domain.KindPlan, "new", 0, "after upgrade"))
	msg, err := live.NextMsg(testTimeout)
	if err != nil {
		t.Fatalf("no live message after the upgrade: %v", err)
	}
	if msg.Subject != eventstore.LiveSubject(domain.KindPlan, "new") {
		t.Errorf("Subject = %q, want %q", msg.Subject, eventstore.LiveSubject(domain.KindPlan, "new"))
	}
	if got, want := msg.Header.Get(jetstream.SequenceHeader), strconv.FormatUint(event.StreamSequence, 10); got != want {
		t.Errorf("%s = %q, want %q", jetstream.SequenceHeader, got, want)
	}
	if event.StreamSequence != before.Sequence+1 {
		t.Errorf("StreamSequence = %d, want %d", event.StreamSequence, before.Sequence+1)
	}
}

func TestOpenZeroReplicasKeepsExisting(t *testing.T) {
	_, nc := mustStartServerIn(t, t.TempDir())
	ctx := testContext(t)
	if _, err := eventstore.Open(ctx, nc, eventstore.StoreConfig{Replicas: 1}); err != nil {
		t.Fatalf("Open with Replicas 1: %v", err)
	}

	// DefaultReplicas 3 would fail on this single server, so success shows
	// that the existing count was kept.
	store, err := eventstore.Open(ctx, nc, eventstore.StoreConfig{Replicas: 0, DefaultReplicas: 3})
	if err != nil {
		t.Fatalf("Open with Replicas 0 and DefaultReplicas 3: %v", err)
	}
	if got := replicasOf(t, nc); got != 1 {
		t.Errorf("Replicas = %d, want 1 kept", got)
	}
	mustAppend(t, store, appendRequest(domain.KindPlan, "p1", 0, "after reopen"))
}

func TestOpenZeroReplicasUsesDefaultOnCreate(t *testing.T) {
	t.Run("default 3 on a single server", func(t *testing.T) {
		_, nc := mustStartServerIn(t, t.TempDir())
		_, err := eventstore.Open(testContext(t), nc, eventstore.StoreConfig{DefaultReplicas: 3})
		if err == nil {
			t.Fatal("Open creating a stream with 3 replicas on a single server succeeded, want an error")
		}
		if !strings.Contains(err.Error(), "replicas > 1 not supported") {
			t.Errorf("error = %q, want the server's replicas error", err)
		}
	})

	t.Run("default 0 means 1", func(t *testing.T) {
		_, nc := mustStartServerIn(t, t.TempDir())
		if _, err := eventstore.Open(testContext(t), nc, eventstore.StoreConfig{}); err != nil {
			t.Fatalf("Open: %v", err)
		}
		if got := replicasOf(t, nc); got != 1 {
			t.Errorf("Replicas = %d, want 1", got)
		}
	})
}

func TestOpenRejectsNegativeReplicas(t *testing.T) {
	_, nc := mustStartServerIn(t, t.TempDir())
	for _, cfg := range []eventstore.StoreConfig{{Replicas: -1}, {DefaultReplicas: -1}} {
		if _, err := eventstore.Open(testContext(t), nc, cfg); err == nil {
			t.Errorf("Open with %+v succeeded, want an error", cfg)
		}
	}
}

func replicasOf(tb testing.TB, nc *nats.Conn) int {
	tb.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("jetstream.New: %v", err)
	}
	stream, err := js.Stream(testContext(tb), eventstore.DefaultStreamName)
	if err != nil {
		tb.Fatalf("look up stream: %v", err)
	}
	return stream.CachedInfo().Config.Replicas
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
