package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
	"github.com/planledger/planledger/projections"
)

// snapshotTestPlanID is a bundled SIP that the tests below edit.
const snapshotTestPlanID = "ccd8efb0-355b-4a03-b9c1-f61e175e6d81"

// Messages the App logs about its read-model snapshot.
const (
	msgRestored  = "read model restored from snapshot"
	msgNoneFound = "no read-model snapshot; rebuilding from the start of the log"
	msgIgnored   = "ignoring the read-model snapshot; rebuilding from the start of the log"
)

func snapshotTestConfig(dir string) Config {
	return Config{DataDir: dir, NATSListen: "127.0.0.1:-1", Replicas: 1}
}

// openApp opens the App on dir with its logs recorded.
func openApp(t *testing.T, dir string) (*App, *recordingHandler) {
	t.Helper()
	logs := &recordingHandler{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	app, err := OpenApp(ctx, snapshotTestConfig(dir), slog.New(logs))
	if err != nil {
		t.Fatalf("OpenApp: %v", err)
	}
	return app, logs
}

// openAppWithBundled opens the App on a new folder, imports the bundled
// data and closes the App, which saves a snapshot.
func openAppWithBundled(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	app, _ := openApp(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := importBundled(ctx, app, discardLogger()); err != nil {
		t.Fatalf("import bundled data: %v", err)
	}
	app.Close()
	return dir
}

// checkLogged fails the test unless logs hold a record with message at
// level.
func checkLogged(t *testing.T, logs *recordingHandler, level slog.Level, message string) record {
	t.Helper()
	for _, rec := range logs.snapshot() {
		if rec.message == message && rec.level == level {
			return rec
		}
	}
	var got []string
	for _, rec := range logs.snapshot() {
		got = append(got, rec.level.String()+" "+rec.message)
	}
	t.Fatalf("no %s record %q; got:\n%s", level, message, strings.Join(got, "\n"))
	return record{}
}

// checkMatchesRebuild fails the test unless the App's read model dumps to
// the same bytes as a new projector that followed the log from the start.
func checkMatchesRebuild(t *testing.T, app *App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	last, err := app.Store.LastSequence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Read.WaitFor(ctx, last); err != nil {
		t.Fatalf("App read model: %v", err)
	}

	fresh := projections.New(discardLogger())
	stop, err := app.Store.Subscribe(ctx, 0, "", fresh.Apply)
	if err != nil {
		t.Fatalf("subscribe from the start: %v", err)
	}
	defer stop()
	if err := fresh.WaitFor(ctx, last); err != nil {
		t.Fatalf("fresh projector: %v", err)
	}

	got, err := app.Read.Dump()
	if err != nil {
		t.Fatal(err)
	}
	want, err := fresh.Dump()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(gotLines), len(wantLines)) {
		if gotLines[i] != wantLines[i] {
			t.Fatalf("App read model differs from a rebuild at dump line %d:\ngot  %s\nwant %s", i+1, gotLines[i], wantLines[i])
		}
	}
	t.Fatalf("App read model dump has %d lines, a rebuild's has %d", len(gotLines), len(wantLines))
}

// retitle appends n retitles of the test plan through store.
func retitle(t *testing.T, store *eventstore.Store, version uint64, n int, label string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range n {
		e, err := store.Append(ctx, domain.AppendRequest{
			AggregateKind: domain.KindPlan, AggregateID: snapshotTestPlanID, ExpectedSequence: version,
			Draft:    domain.Draft{Type: domain.TypePlanRetitled, Payload: domain.PlanRetitled{Title: fmt.Sprintf("%s %d", label, i)}},
			Metadata: domain.Metadata{Actor: "snapshot-test"},
		})
		if err != nil {
			t.Fatalf("append retitle %d: %v", i, err)
		}
		version = e.Sequence
	}
	return version
}

// withBareStore starts the embedded server on dir without an App and
// passes fn a store and a JetStream client on it.
func withBareStore(t *testing.T, dir string, fn func(ctx context.Context, store *eventstore.Store, js jetstream.JetStream)) {
	t.Helper()
	server, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Port: -1, StoreDir: dir, Logger: discardLogger()})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	defer server.Shutdown()
	nc, err := nats.Connect(server.ClientURL(), server.Credentials().AdminOption())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := eventstore.Open(ctx, nc, eventstore.StoreConfig{Logger: discardLogger()})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	fn(ctx, store, js)
}

// The App restored from its snapshot and resumed from the stream equals a
// rebuild, across restarts with writes between them and while it runs.
func TestAppRestartRestoresSnapshot(t *testing.T) {
	dir := openAppWithBundled(t)

	// Events written while no App runs come after the saved snapshot.
	var version uint64
	withBareStore(t, dir, func(ctx context.Context, store *eventstore.Store, _ jetstream.JetStream) {
		events, err := store.Load(ctx, domain.KindPlan, snapshotTestPlanID)
		if err != nil || len(events) == 0 {
			t.Fatalf("load plan %s: %d events, error %v", snapshotTestPlanID, len(events), err)
		}
		version = retitle(t, store, events[len(events)-1].Sequence, 5, "Offline title")
	})

	app, logs := openApp(t, dir)
	rec := checkLogged(t, logs, slog.LevelInfo, msgRestored)
	last, _ := app.Store.LastSequence(context.Background())
	if got := rec.attrs["applied_stream_seq"]; got != last-5 {
		t.Errorf("restored at stream sequence %v, want %d", got, last-5)
	}
	checkMatchesRebuild(t, app)
	retitle(t, app.Store, version, 3, "Online title")
	checkMatchesRebuild(t, app)
	app.Close()

	app, logs = openApp(t, dir)
	defer app.Close()
	rec = checkLogged(t, logs, slog.LevelInfo, msgRestored)
	last, _ = app.Store.LastSequence(context.Background())
	if got := rec.attrs["applied_stream_seq"]; got != last {
		t.Errorf("restored at stream sequence %v, want %d", got, last)
	}
	checkMatchesRebuild(t, app)
	if plan, _ := app.Read.Plan(snapshotTestPlanID); plan.Title != "Online title 2" {
		t.Errorf("got title %q, want %q", plan.Title, "Online title 2")
	}
}

// The App saves a snapshot on its own while events arrive, every
// snapshotEveryEvents events, without waiting for Close.
func TestAppSavesSnapshotWhileRunning(t *testing.T) {
	dir := t.TempDir()
	app, _ := openApp(t, dir)
	defer app.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := importBundled(ctx, app, discardLogger()); err != nil {
		t.Fatalf("import bundled data: %v", err)
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		data, found, err := app.snap.bucket.Get(ctx, snapshotKey)
		if err != nil {
			t.Fatalf("read snapshot: %v", err)
		}
		if found {
			cp, err := projections.New(discardLogger()).Restore(data,
				projections.SnapshotCheck{Origin: app.snap.origin, LastSequence: app.Read.Applied()})
			if err != nil {
				t.Fatalf("restore the saved snapshot: %v", err)
			}
			if cp.Applied >= snapshotEveryEvents {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot of %d or more events within 30s of the import", snapshotEveryEvents)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A snapshot that is corrupt, of another format, of another event log or
// past the end of the stream is ignored: the App rebuilds, logs a warning
// and saves a good snapshot at Close.
func TestAppIgnoresBadSnapshot(t *testing.T) {
	dir := openAppWithBundled(t)
	var good []byte
	var origin string
	var last uint64
	withBareStore(t, dir, func(ctx context.Context, store *eventstore.Store, js jetstream.JetStream) {
		kv, err := js.KeyValue(ctx, eventstore.DefaultSnapshotBucket)
		if err != nil {
			t.Fatal(err)
		}
		entry, err := kv.Get(ctx, snapshotKey)
		if err != nil {
			t.Fatalf("read saved snapshot: %v", err)
		}
		good = entry.Value()
		if origin, err = store.Origin(ctx); err != nil {
			t.Fatal(err)
		}
		if last, err = store.LastSequence(ctx); err != nil {
			t.Fatal(err)
		}
	})

	// snapshotOf restores the good snapshot, applies extra and snapshots
	// the result as being of the event log named logOrigin.
	snapshotOf := func(logOrigin string, extra ...domain.Event) []byte {
		p := projections.New(discardLogger())
		if _, err := p.Restore(good, projections.SnapshotCheck{Origin: origin, LastSequence: last}); err != nil {
			t.Fatal(err)
		}
		for _, e := range extra {
			p.Apply(e)
		}
		_, data, err := p.Snapshot(logOrigin)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	gzipped := func(text string) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(text))
		zw.Close()
		return buf.Bytes()
	}
	future := domain.Event{ID: "future-org", Type: domain.TypeOrgRegistered, SchemaVersion: 1, AggregateKind: domain.KindOrg,
		AggregateID: "09990000", Sequence: 1, Payload: []byte(`{"code": "09990000", "type": "district", "name": "Future"}`),
		StreamSequence: last + 5}

	tests := []struct {
		name string
		data []byte
	}{
		{"garbage", []byte("this is not a snapshot")},
		{"truncated", good[:len(good)/3]},
		{"stale format", gzipped(fmt.Sprintf(`{"format": %d, "origin": %q, "applied": 3}`, projections.SnapshotFormat+1, origin))},
		{"other event log", snapshotOf("PLANLEDGER@2001-01-01T00:00:00Z")},
		{"past the stream", snapshotOf(origin, future)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withBareStore(t, dir, func(ctx context.Context, _ *eventstore.Store, js jetstream.JetStream) {
				kv, err := js.KeyValue(ctx, eventstore.DefaultSnapshotBucket)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := kv.Put(ctx, snapshotKey, tt.data); err != nil {
					t.Fatal(err)
				}
			})

			app, logs := openApp(t, dir)
			checkLogged(t, logs, slog.LevelWarn, msgIgnored)
			checkMatchesRebuild(t, app)
			if _, ok := app.Read.Org("09990000"); ok {
				t.Errorf("read model holds org 09990000, which only the rejected snapshot has")
			}
			app.Close()

			app, logs = openApp(t, dir)
			defer app.Close()
			checkLogged(t, logs, slog.LevelInfo, msgRestored)
		})
	}
}

// Deleting the snapshot bucket, while the App is stopped or while it runs,
// costs a replay at the next start and nothing else.
func TestAppSnapshotBucketDeleted(t *testing.T) {
	dir := openAppWithBundled(t)

	t.Run("while stopped", func(t *testing.T) {
		withBareStore(t, dir, func(ctx context.Context, _ *eventstore.Store, js jetstream.JetStream) {
			if err := js.DeleteKeyValue(ctx, eventstore.DefaultSnapshotBucket); err != nil {
				t.Fatalf("delete bucket: %v", err)
			}
		})
		app, logs := openApp(t, dir)
		checkLogged(t, logs, slog.LevelInfo, msgNoneFound)
		checkMatchesRebuild(t, app)
		app.Close()

		app, logs = openApp(t, dir)
		defer app.Close()
		checkLogged(t, logs, slog.LevelInfo, msgRestored)
		checkMatchesRebuild(t, app)
	})

	t.Run("while running", func(t *testing.T) {
		app, _ := openApp(t, dir)
		js, err := jetstream.New(app.nc)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := js.DeleteKeyValue(ctx, eventstore.DefaultSnapshotBucket); err != nil {
			t.Fatalf("delete bucket: %v", err)
		}
		events, err := app.Store.Load(ctx, domain.KindPlan, snapshotTestPlanID)
		if err != nil {
			t.Fatal(err)
		}
		retitle(t, app.Store, events[len(events)-1].Sequence, 2, "Title after delete")
		checkMatchesRebuild(t, app)
		app.Close()

		app, logs := openApp(t, dir)
		defer app.Close()
		rec := checkLogged(t, logs, slog.LevelInfo, msgRestored)
		last, _ := app.Store.LastSequence(ctx)
		if got := rec.attrs["applied_stream_seq"]; got != last {
			t.Errorf("restored at stream sequence %v, want %d", got, last)
		}
		checkMatchesRebuild(t, app)
	})
}
