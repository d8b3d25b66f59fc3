package eventstore_test

import (
	"errors"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

func TestStartEmbeddedRequiresStoreDir(t *testing.T) {
	server, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Port: -1})
	if err == nil {
		server.Shutdown()
		t.Fatal("StartEmbedded without a store directory succeeded, want an error")
	}
}

func TestEmbeddedClientURLLoopback(t *testing.T) {
	env := mustStartStore(t)
	u, err := url.Parse(env.server.ClientURL())
	if err != nil {
		t.Fatalf("parse ClientURL %q: %v", env.server.ClientURL(), err)
	}
	if u.Scheme != "nats" {
		t.Errorf("scheme = %q, want nats", u.Scheme)
	}
	if u.Hostname() != eventstore.DefaultHost {
		t.Errorf("host = %q, want %q", u.Hostname(), eventstore.DefaultHost)
	}
	if port := u.Port(); port == "" || port == "0" || port == "-1" {
		t.Errorf("port = %q, want the port picked for -1", port)
	}
}

func TestEmbeddedLogsThroughSlog(t *testing.T) {
	logs := newCaptureHandler()
	server, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{
		Port:     -1,
		StoreDir: t.TempDir(),
		Logger:   slog.New(logs),
	})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	server.Shutdown()

	var serverLines, startedLines int
	for _, rec := range logs.snapshot() {
		if rec.attrs["component"] != "nats-server" {
			t.Errorf("record %q has component %v, want nats-server", rec.message, rec.attrs["component"])
		}
		if strings.Contains(rec.message, "Server is ready") {
			serverLines++
		}
		if rec.message == "embedded nats-server started" {
			startedLines++
		}
	}
	if serverLines != 1 {
		t.Errorf("got %d \"Server is ready\" records from nats-server, want 1", serverLines)
	}
	if startedLines != 1 {
		t.Errorf("got %d start records, want 1", startedLines)
	}
}

func TestEmbeddedPortInUse(t *testing.T) {
	env := mustStartStore(t)
	u, err := url.Parse(env.server.ClientURL())
	if err != nil {
		t.Fatalf("parse ClientURL: %v", err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatalf("parse port %q: %v", u.Port(), err)
	}

	logs := newCaptureHandler()
	server, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{
		Port:         port,
		StoreDir:     t.TempDir(),
		ReadyTimeout: time.Second,
		Logger:       slog.New(logs),
	})
	if err == nil {
		server.Shutdown()
		t.Fatalf("second server on port %d started, want an error", port)
	}
	if !strings.Contains(err.Error(), "not ready for connections") {
		t.Errorf("error = %q, want it to say the server was not ready", err)
	}
	if !strings.Contains(err.Error(), "listening") {
		t.Errorf("error = %q, want it to include the listen failure", err)
	}
	var sawFatal bool
	for _, rec := range logs.snapshot() {
		if rec.level == slog.LevelError && rec.attrs["fatal"] == true {
			sawFatal = true
		}
	}
	if !sawFatal {
		t.Error("no error record with fatal=true for the listen failure")
	}
}

func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	env := mustStartStoreIn(t, dir)
	var stored []domain.Event
	for seq := range uint64(3) {
		stored = append(stored, mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", seq, "before restart")))
	}
	env.shutdown()

	env = mustStartStoreIn(t, dir)
	ctx := testContext(t)
	loaded, err := env.store.Load(ctx, domain.KindPlan, "p1")
	if err != nil {
		t.Fatalf("Load after restart: %v", err)
	}
	if len(loaded) != len(stored) {
		t.Fatalf("Load after restart returned %d events, want %d", len(loaded), len(stored))
	}
	for i := range stored {
		assertSameEvent(t, loaded[i], stored[i])
	}

	last, err := env.store.LastSequence(ctx)
	if err != nil {
		t.Fatalf("LastSequence: %v", err)
	}
	if last != 3 {
		t.Errorf("LastSequence after restart = %d, want 3", last)
	}
	next := mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 3, "after restart"))
	if next.Sequence != 4 {
		t.Errorf("Sequence after restart = %d, want 4", next.Sequence)
	}
	if next.StreamSequence != 4 {
		t.Errorf("StreamSequence after restart = %d, want 4", next.StreamSequence)
	}
}

func TestEmbeddedStoreDirLocked(t *testing.T) {
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Port: -1, StoreDir: dir, Logger: logger})
	if err != nil {
		t.Fatalf("first StartEmbedded: %v", err)
	}
	t.Cleanup(first.Shutdown)

	start := time.Now()
	second, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Port: -1, StoreDir: dir, Logger: logger})
	if err == nil {
		second.Shutdown()
		t.Fatalf("second StartEmbedded on %s succeeded, want an error", dir)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("second StartEmbedded took %s to fail, want it to fail at once", elapsed)
	}
	var inUse *eventstore.StoreDirInUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("error = %v, want *eventstore.StoreDirInUseError", err)
	}
	if inUse.Dir != dir {
		t.Errorf("Dir = %q, want %q", inUse.Dir, dir)
	}
	if inUse.PID != os.Getpid() {
		t.Errorf("PID = %d, want this process's pid %d", inUse.PID, os.Getpid())
	}
	for _, want := range []string{
		dir,
		"process " + strconv.Itoa(os.Getpid()),
		"stop the other planledger process",
		"-nats nats://HOST:PORT",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to contain %q", err, want)
		}
	}

	first.Shutdown()
	third, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Port: -1, StoreDir: dir, Logger: logger})
	if err != nil {
		t.Fatalf("StartEmbedded after the first server stopped: %v", err)
	}
	third.Shutdown()
}

func TestEmbeddedLockFileNamesPID(t *testing.T) {
	dir := t.TempDir()
	server, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{
		Port:     -1,
		StoreDir: dir,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(server.Shutdown)

	data, err := os.ReadFile(filepath.Join(dir, eventstore.LockFileName))
	if err != nil {
		t.Fatalf("read lock file: %v", err)
	}
	if got, want := strings.TrimSpace(string(data)), strconv.Itoa(os.Getpid()); got != want {
		t.Errorf("lock file contains %q, want the pid %s", got, want)
	}
}

func TestEmbeddedCreatesMissingStoreDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "store")
	server, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{
		Port:     -1,
		StoreDir: dir,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("StartEmbedded in a missing folder: %v", err)
	}
	server.Shutdown()
	if _, err := os.Stat(filepath.Join(dir, eventstore.LockFileName)); err != nil {
		t.Errorf("lock file: %v", err)
	}
}
