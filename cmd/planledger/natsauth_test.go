package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/eventstore"
)

// TestStartRejectsDeletedStream deletes the event stream of a used store
// and expects the next start to fail rather than begin an empty log, until
// -allow-new-stream is given.
func TestStartRejectsDeletedStream(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, NATSListen: "127.0.0.1:-1"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	app, err := OpenApp(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatalf("first OpenApp: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, streamMarkerFileName)); err != nil {
		t.Errorf("first start wrote no marker file: %v", err)
	}
	js, err := jetstream.New(app.nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(ctx, eventstore.DefaultStreamName); err != nil {
		t.Fatalf("delete stream: %v", err)
	}
	app.Close()

	app, err = OpenApp(ctx, cfg, discardLogger())
	if err == nil {
		app.Close()
		t.Fatal("OpenApp on a store whose stream was deleted succeeded, want an error")
	}
	if !errors.Is(err, errStreamDeleted) {
		t.Errorf("error = %v, want errStreamDeleted", err)
	}
	for _, want := range []string{streamMarkerFileName, "-allow-new-stream"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to mention %s", err, want)
		}
	}

	cfg.AllowNewStream = true
	app = openTestApp(t, cfg, discardLogger())
	last, err := app.Store.LastSequence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last != 0 {
		t.Errorf("new stream has last sequence %d, want 0", last)
	}
}

// TestExternalNATSCredentials signs in to a server that requires them
// through -nats-nkey, and is rejected without them.
func TestExternalNATSCredentials(t *testing.T) {
	ext, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Port: -1, StoreDir: t.TempDir(), Logger: discardLogger()})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(ext.Shutdown)

	app, err := OpenApp(context.Background(), Config{NATSURL: ext.ClientURL(), Replicas: 1}, discardLogger())
	if err == nil {
		app.Close()
		t.Fatal("OpenApp without credentials succeeded, want an authorization error")
	}
	if !strings.Contains(err.Error(), "Authorization Violation") {
		t.Errorf("error = %q, want an authorization violation", err)
	}

	app = openTestApp(t, Config{NATSURL: ext.ClientURL(), NATSNkey: ext.Credentials().AdminSeedFile, Replicas: 1},
		discardLogger())
	if app.Store == nil {
		t.Fatal("OpenApp with -nats-nkey opened no store")
	}
}
