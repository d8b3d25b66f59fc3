package projections_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
	"github.com/planledger/planledger/importer"
	"github.com/planledger/planledger/projections"
)

// testOrigin is the event log name the tests snapshot and restore with.
const testOrigin = "PLANLEDGER@test"

// bundledStore is an embedded JetStream server holding the bundled
// Massachusetts data, shared by the tests in this file.
type bundledStore struct {
	store  *eventstore.Store
	events []domain.Event // every stored event in stream order
}

var (
	bundledOnce sync.Once
	bundled     *bundledStore
	bundledErr  error
	bundledStop func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bundledStop != nil {
		bundledStop()
	}
	os.Exit(code)
}

// sharedBundledStore starts the embedded server and imports the bundled
// data on first use. TestMain stops the server after the last test.
func sharedBundledStore(t *testing.T) *bundledStore {
	t.Helper()
	bundledOnce.Do(func() {
		bundled, bundledStop, bundledErr = startBundledStore()
	})
	if bundledErr != nil {
		t.Fatalf("start store with bundled data: %v", bundledErr)
	}
	return bundled
}

func startBundledStore() (*bundledStore, func(), error) {
	dir, err := os.MkdirTemp("", "planledger-projections-")
	if err != nil {
		return nil, nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	server, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Port: -1, StoreDir: dir, Logger: quiet})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	stop := func() { server.Shutdown(); os.RemoveAll(dir) }
	nc, err := nats.Connect(server.ClientURL(), server.Credentials().AdminOption())
	if err != nil {
		stop()
		return nil, nil, err
	}
	stop = func() { nc.Close(); server.Shutdown(); os.RemoveAll(dir) }

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	store, err := eventstore.Open(ctx, nc, eventstore.StoreConfig{Logger: quiet})
	if err != nil {
		stop()
		return nil, nil, err
	}
	src, closeAll, err := importer.BundledSources(data.Bundled())
	if err != nil {
		stop()
		return nil, nil, err
	}
	defer closeAll()
	p := projections.New(quiet)
	stopSub, err := store.Subscribe(ctx, 0, "", p.Apply)
	if err != nil {
		stop()
		return nil, nil, err
	}
	_, err = importer.Run(ctx, store, p, src, nil)
	stopSub()
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("import bundled data: %w", err)
	}

	var events []domain.Event
	last, err := store.LastSequence(ctx)
	if err != nil {
		stop()
		return nil, nil, err
	}
	var mu sync.Mutex
	done := make(chan struct{})
	stopSub, err = store.Subscribe(ctx, 0, "", func(e domain.Event) error {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
		if e.StreamSequence == last {
			close(done)
		}
		return nil
	})
	if err != nil {
		stop()
		return nil, nil, err
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
	stopSub()
	if uint64(len(events)) != last {
		stop()
		return nil, nil, fmt.Errorf("read %d events back, want %d", len(events), last)
	}
	return &bundledStore{store: store, events: events}, stop, nil
}

// follow subscribes p to the store from stream sequence from and waits
// until it has applied the last stored event.
func (b *bundledStore) follow(t *testing.T, p *projections.Projector, from uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stop, err := b.store.Subscribe(ctx, from, "", p.Apply)
	if err != nil {
		t.Fatalf("subscribe from stream sequence %d: %v", from, err)
	}
	defer stop()
	if err := p.WaitFor(ctx, uint64(len(b.events))); err != nil {
		t.Fatalf("wait for stream sequence %d: %v", len(b.events), err)
	}
}

// rebuild returns a projector that followed the whole stored log.
func (b *bundledStore) rebuild(t *testing.T) *projections.Projector {
	t.Helper()
	p := projections.New(slog.New(slog.DiscardHandler))
	b.follow(t, p, 0)
	return p
}

func dump(t *testing.T, p *projections.Projector) []byte {
	t.Helper()
	out, err := p.Dump()
	if err != nil {
		t.Fatalf("Dump: %v", err)
	}
	return out
}

// checkSameDump fails the test unless both dumps are the same bytes, and
// reports the first line that differs.
func checkSameDump(t *testing.T, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(gotLines), len(wantLines)) {
		if gotLines[i] != wantLines[i] {
			t.Fatalf("dumps differ at line %d:\ngot  %s\nwant %s", i+1, gotLines[i], wantLines[i])
		}
	}
	t.Fatalf("dumps differ in length: got %d lines, want %d", len(gotLines), len(wantLines))
}

func snapshot(t *testing.T, p *projections.Projector) (projections.Checkpoint, []byte) {
	t.Helper()
	cp, data, err := p.Snapshot(testOrigin)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return cp, data
}

func restore(t *testing.T, data []byte, last uint64) *projections.Projector {
	t.Helper()
	p := projections.New(slog.New(slog.DiscardHandler))
	if _, err := p.Restore(data, projections.SnapshotCheck{Origin: testOrigin, LastSequence: last}); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	return p
}

func TestDumpIsDeterministic(t *testing.T) {
	b := sharedBundledStore(t)
	first := dump(t, applyAll(t, b.events))
	second := applyAll(t, b.events)
	checkSameDump(t, dump(t, second), first)
	checkSameDump(t, dump(t, second), first)
	if !bytes.Contains(first, []byte(`"current"`)) {
		t.Errorf("dump has no plan state")
	}
}

// A projector that applies part of the log, is snapshotted, dropped and
// restored, and then follows the rest from the store ends byte for byte
// where a projector that followed the whole log does.
func TestSnapshotRestoreAfterCrash(t *testing.T) {
	b := sharedBundledStore(t)
	n := len(b.events)
	want := dump(t, b.rebuild(t))
	for _, cut := range []int{0, 137, n/2 + 7, n - 1, n} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			crashed := projections.New(slog.New(slog.DiscardHandler))
			for _, e := range b.events[:cut] {
				_ = crashed.Apply(e) // the rebuild logs the same errors
			}
			cp, data := snapshot(t, crashed)
			if cp.Applied != uint64(cut) {
				t.Fatalf("checkpoint at stream sequence %d, want %d", cp.Applied, cut)
			}
			checkSameDump(t, dump(t, restore(t, data, uint64(n))), dump(t, crashed))
			crashed = nil

			resumed := restore(t, data, uint64(n))
			b.follow(t, resumed, cp.Applied+1)
			checkSameDump(t, dump(t, resumed), want)
		})
	}
}

// Redelivered events, whether repeated at once or delivered again long
// after, and a resubscription that starts before the checkpoint change
// nothing.
func TestRedeliveryMatchesRebuild(t *testing.T) {
	b := sharedBundledStore(t)
	want := dump(t, b.rebuild(t))
	rng := rand.New(rand.NewPCG(9, 10))

	p := projections.New(slog.New(slog.DiscardHandler))
	for i, e := range b.events {
		_ = p.Apply(e)
		if err := p.Apply(e); err != nil {
			t.Fatalf("second delivery of stream sequence %d: got error %v, want nil", e.StreamSequence, err)
		}
		old := b.events[rng.IntN(i+1)]
		if err := p.Apply(old); err != nil {
			t.Fatalf("late delivery of stream sequence %d: got error %v, want nil", old.StreamSequence, err)
		}
	}
	checkSameDump(t, dump(t, p), want)

	half := uint64(len(b.events) / 2)
	cut := applyAll(t, nil)
	for _, e := range b.events[:half] {
		_ = cut.Apply(e)
	}
	_, data := snapshot(t, cut)
	resumed := restore(t, data, uint64(len(b.events)))
	b.follow(t, resumed, half-100)
	checkSameDump(t, dump(t, resumed), want)
}

func TestRestoreRejectsBadSnapshot(t *testing.T) {
	events := longPlanEvents(t, 50, 11)
	_, good := snapshot(t, applyAll(t, events))
	empty := dump(t, applyAll(t, nil))

	gzipped := func(text string) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(text))
		zw.Close()
		return buf.Bytes()
	}
	tests := []struct {
		name  string
		data  []byte
		check projections.SnapshotCheck
		want  string // part of the error
	}{
		{"not gzip", []byte("not a snapshot"), projections.SnapshotCheck{Origin: testOrigin, LastSequence: 50}, "not gzip"},
		{"truncated", good[:len(good)/2], projections.SnapshotCheck{Origin: testOrigin, LastSequence: 50}, "decompress"},
		{"not JSON", gzipped("{"), projections.SnapshotCheck{Origin: testOrigin, LastSequence: 50}, "decode"},
		{"newer format", gzipped(fmt.Sprintf(`{"format": %d, "origin": "PLANLEDGER@test", "applied": 1, "plans": "changed shape"}`,
			projections.SnapshotFormat+1)), projections.SnapshotCheck{Origin: testOrigin, LastSequence: 50},
			fmt.Sprintf("format %d", projections.SnapshotFormat+1)},
		{"older format", gzipped(fmt.Sprintf(`{"format": %d, "origin": "PLANLEDGER@test", "applied": 1}`, projections.SnapshotFormat-1)),
			projections.SnapshotCheck{Origin: testOrigin, LastSequence: 50}, fmt.Sprintf("format %d", projections.SnapshotFormat-1)},
		{"no format", gzipped(`{"origin": "PLANLEDGER@test", "applied": 1}`),
			projections.SnapshotCheck{Origin: testOrigin, LastSequence: 50}, "format 0"},
		{"other origin", good, projections.SnapshotCheck{Origin: "PLANLEDGER@other", LastSequence: 50}, "event log"},
		{"past the stream", good, projections.SnapshotCheck{Origin: testOrigin, LastSequence: 49}, "past the stream's last sequence 49"},
		{"plan without events", gzipped(fmt.Sprintf(`{"format": %d, "origin": "PLANLEDGER@test", "applied": 1, "plans": [{"id": "x", "events": []}]}`,
			projections.SnapshotFormat)),
			projections.SnapshotCheck{Origin: testOrigin, LastSequence: 50}, "without events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := applyAll(t, nil)
			_, err := p.Restore(tt.data, tt.check)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
			checkSameDump(t, dump(t, p), empty)
		})
	}

	t.Run("projector not empty", func(t *testing.T) {
		p := applyAll(t, events[:1])
		before := dump(t, p)
		if _, err := p.Restore(good, projections.SnapshotCheck{Origin: testOrigin, LastSequence: 50}); err == nil {
			t.Fatalf("got no error restoring into a projector at stream sequence 1, want one")
		}
		checkSameDump(t, dump(t, p), before)
	})
}

func TestSnapshotKeepsPayloadBytes(t *testing.T) {
	l := newEventLog(t)
	l.org(districtCode, domain.OrgDistrict, "Example District")
	created := l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "Title"), day(2024, time.April, 1))
	spaced := l.build(domain.KindPlan, dipID, domain.TypePlanRetitled, nil, day(2024, time.April, 2), day(2024, time.April, 2))
	spaced.Payload = json.RawMessage("{ \"title\" :\n \"Grades <3> & \\u00e9l\u00e8ves \\ud83d\\ude00\" }")
	l.apply(spaced)
	level := l.build(domain.KindLevel, districtCode, domain.TypeLevelChanged, nil, day(2024, time.April, 3), day(2024, time.April, 3))
	level.Payload = json.RawMessage("{\"org_code\": \"02040000\", \"level\": 3, \"reason\": \"\xff\"}")
	l.apply(level)

	_, data := snapshot(t, l.p)
	restored := restore(t, data, level.StreamSequence)
	checkSameDump(t, dump(t, restored), dump(t, l.p))
	for _, want := range []domain.Event{created, spaced, level} {
		got, ok := restored.StoredEvent(want.ID)
		if !ok {
			t.Fatalf("restored projector lacks event %s", want.ID)
		}
		if !bytes.Equal(got.Payload, want.Payload) {
			t.Errorf("event %s: got payload %q, want %q", want.ID, got.Payload, want.Payload)
		}
		if !got.RecordedAt.Equal(want.RecordedAt) || !got.EffectiveAt.Equal(want.EffectiveAt) {
			t.Errorf("event %s: got times %s and %s, want %s and %s", want.ID,
				got.RecordedAt, got.EffectiveAt, want.RecordedAt, want.EffectiveAt)
		}
	}
	plan, _ := restored.Plan(dipID)
	if want := "Grades <3> & élèves 😀"; plan.Title != want {
		t.Errorf("got title %q, want %q", plan.Title, want)
	}
}

// A restored projector rebuilds its plan snapshots, so long plans read as
// fast and as exactly as before the restart.
func TestRestoreRebuildsPlanSnapshots(t *testing.T) {
	const n = 3*projections.PlanSnapshotEvery + 40
	events := longPlanEvents(t, n, 12)
	original := applyAll(t, events)
	_, data := snapshot(t, original)
	restored := restore(t, data, n)
	checkSameDump(t, dump(t, restored), dump(t, original))

	rng := rand.New(rand.NewPCG(13, 14))
	for _, instant := range readInstants(events, rng, 40) {
		for _, basis := range []string{projections.BasisEffective, projections.BasisRecorded} {
			at := projections.AsOf{Instant: instant, Basis: basis}
			got := projections.PlanSnapshotStart(restored, dipID, at, 0)
			if want := projections.PlanSnapshotStart(original, dipID, at, 0); got != want {
				t.Fatalf("as of %s (%s): restored read starts from %d events, original from %d", instant, basis, got, want)
			}
			checkSameView(t, restored, at, 0)
		}
	}
}

// A snapshot taken at any point of a log with an atomic batch, including
// while part of the batch has arrived, resumes to the same state, and the
// restored events keep their batch positions.
func TestSnapshotAroundBatch(t *testing.T) {
	l := newEventLog(t)
	at := day(2016, time.July, 1)
	events := []domain.Event{
		l.build(domain.KindOrg, districtCode, domain.TypeOrgRegistered, domain.OrgRegistered{Org: domain.Org{
			Code: districtCode, Type: domain.OrgDistrict, Name: "Example District", DistrictCode: districtCode}}, at, at),
		l.build(domain.KindPlan, dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "District plan"), at, at),
		l.build(domain.KindPlan, dipID, domain.TypeObjectiveAdded, domain.ObjectiveAdded{Objective: objective(objectiveAID, "A")}, at, at),
		l.build(domain.KindPlan, dipID, domain.TypeObjectiveAdded, domain.ObjectiveAdded{Objective: objective(objectiveBID, "B")}, at, at),
		l.build(domain.KindPlan, dipID, domain.TypePlanRetitled, domain.PlanRetitled{Title: "Retitled"}, at, at),
	}
	for i := range events {
		events[i].BatchSize = 1
	}
	for i := 1; i <= 3; i++ {
		events[i].BatchIndex, events[i].BatchSize = i-1, 3
	}
	full := projections.New(slog.New(slog.DiscardHandler))
	for _, e := range events {
		if err := full.Apply(e); err != nil {
			t.Fatalf("apply event %d: %v", e.StreamSequence, err)
		}
	}
	want := dump(t, full)

	for cut := range len(events) + 1 {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			crashed := projections.New(slog.New(slog.DiscardHandler))
			for _, e := range events[:cut] {
				crashed.Apply(e)
			}
			cp, data := snapshot(t, crashed)
			resumed := restore(t, data, uint64(len(events)))
			// A subscription resumes at the stream sequence after the
			// checkpoint, which is the batch's first event when the cut
			// fell inside it.
			for _, e := range events[cp.Applied:] {
				if err := resumed.Apply(e); err != nil {
					t.Fatalf("apply event %d after restore: %v", e.StreamSequence, err)
				}
			}
			checkSameDump(t, dump(t, resumed), want)
			for _, e := range events[1:4] {
				got, ok := resumed.StoredEvent(e.ID)
				if !ok {
					t.Fatalf("restored projector lacks event %s", e.ID)
				}
				if got.BatchIndex != e.BatchIndex || got.BatchSize != e.BatchSize {
					t.Errorf("event %s: got batch position %d of %d, want %d of %d",
						e.ID, got.BatchIndex, got.BatchSize, e.BatchIndex, e.BatchSize)
				}
			}
		})
	}
}
