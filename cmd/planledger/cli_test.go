package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/eventstore"
)

func TestRunHelpSucceeds(t *testing.T) {
	cases := []struct {
		args     []string
		wantText string
	}{
		{[]string{"serve", "-h"}, "PLANLEDGER_SHUTDOWN_TIMEOUT"},
		{[]string{"serve", "--help"}, "-listen"},
		{[]string{"import", "-h"}, "-enrollments"},
		{[]string{"import", "-help"}, "-plans"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			output := captureStderr(t, func() {
				if err := run(context.Background(), tc.args); err != nil {
					t.Errorf("run(%q) = %v, want nil", tc.args, err)
				}
			})
			if !strings.Contains(output, tc.wantText) {
				t.Errorf("help output lacks %s:\n%s", tc.wantText, output)
			}
		})
	}
}

func TestRunUnknownFlagFails(t *testing.T) {
	captureStderr(t, func() {
		if err := run(context.Background(), []string{"serve", "-no-such-flag"}); err == nil {
			t.Error("run with an unknown flag succeeded, want an error")
		}
	})
}

func TestShutdownTimeoutFromEnv(t *testing.T) {
	t.Setenv("PLANLEDGER_SHUTDOWN_TIMEOUT", "3s")

	cfg := parseServeFlags(t)
	if cfg.Shutdown != 3*time.Second {
		t.Errorf("Shutdown = %s, want 3s from the environment", cfg.Shutdown)
	}
	if err := cfg.validate(); err != nil {
		t.Errorf("validate: %v", err)
	}

	cfg = parseServeFlags(t, "-shutdown-timeout", "5s")
	if cfg.Shutdown != 5*time.Second {
		t.Errorf("Shutdown = %s, want 5s from the flag over the environment", cfg.Shutdown)
	}
}

func TestShutdownTimeoutEnvInvalid(t *testing.T) {
	t.Setenv("PLANLEDGER_SHUTDOWN_TIMEOUT", "soon")

	cfg := parseServeFlags(t)
	err := cfg.validate()
	if err == nil {
		t.Fatal("validate succeeded with PLANLEDGER_SHUTDOWN_TIMEOUT=soon, want an error")
	}
	if want := `invalid PLANLEDGER_SHUTDOWN_TIMEOUT="soon"`; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
}

func TestValidateReplicas(t *testing.T) {
	cases := []struct {
		natsURL  string
		replicas int
		valid    bool
	}{
		{"", 0, true},
		{"", 1, true},
		{"", 3, false},
		{"", 5, false},
		{"", 2, false},
		{"", -1, false},
		{"nats://127.0.0.1:4222", 0, true},
		{"nats://127.0.0.1:4222", 1, true},
		{"nats://127.0.0.1:4222", 3, true},
		{"nats://127.0.0.1:4222", 5, true},
		{"nats://127.0.0.1:4222", 2, false},
		{"nats://127.0.0.1:4222", 4, false},
		{"nats://127.0.0.1:4222", 7, false},
		{"nats://127.0.0.1:4222", -1, false},
	}
	for _, tc := range cases {
		cfg := Config{NATSURL: tc.natsURL, DataDir: "data", Replicas: tc.replicas, LogLevel: "info", LogFormat: "json"}
		err := cfg.validate()
		if tc.valid && err != nil {
			t.Errorf("-nats %q -replicas %d: validate = %v, want nil", tc.natsURL, tc.replicas, err)
		}
		if !tc.valid && err == nil {
			t.Errorf("-nats %q -replicas %d: validate succeeded, want an error", tc.natsURL, tc.replicas)
		}
		if !tc.valid && err != nil && !strings.Contains(err.Error(), "invalid -replicas") {
			t.Errorf("-nats %q -replicas %d: error = %q, want it to name -replicas", tc.natsURL, tc.replicas, err)
		}
		if tc.valid && cfg.Replicas != tc.replicas {
			t.Errorf("-nats %q -replicas %d: validate changed Replicas to %d", tc.natsURL, tc.replicas, cfg.Replicas)
		}
	}
}

func TestDefaultReplicas(t *testing.T) {
	embedded := Config{}
	if got := embedded.defaultReplicas(); got != 1 {
		t.Errorf("embedded defaultReplicas = %d, want 1", got)
	}
	external := Config{NATSURL: "nats://127.0.0.1:4222"}
	if got := external.defaultReplicas(); got != 3 {
		t.Errorf("external defaultReplicas = %d, want 3", got)
	}
}

// TestImportAgainstRunningEmbedded opens a second App through -nats on the
// NATS server of a running embedded App, as "planledger import -nats" does,
// with -replicas left at 0.
func TestImportAgainstRunningEmbedded(t *testing.T) {
	first := openTestApp(t, Config{DataDir: t.TempDir(), NATSListen: "127.0.0.1:-1"}, discardLogger())
	url := first.embedded.ClientURL()

	second := openTestApp(t, Config{NATSURL: url, NATSNkey: first.embedded.Credentials().AdminSeedFile}, discardLogger())
	if second.embedded != nil {
		t.Error("second App started an embedded server although -nats was set")
	}

	nc, err := nats.Connect(url, first.embedded.Credentials().AdminOption())
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	stream, err := js.Stream(context.Background(), eventstore.DefaultStreamName)
	if err != nil {
		t.Fatalf("look up stream: %v", err)
	}
	if got := stream.CachedInfo().Config.Replicas; got != 1 {
		t.Errorf("Replicas = %d, want 1 kept", got)
	}
}

// TestExternalSingleServerSuggestsReplicas opens a new stream through -nats
// on a server without clustering, where the default of 3 replicas fails.
func TestExternalSingleServerSuggestsReplicas(t *testing.T) {
	ext, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{
		Port: -1, StoreDir: t.TempDir(), Logger: discardLogger(),
	})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(ext.Shutdown)

	app, err := OpenApp(context.Background(), Config{NATSURL: ext.ClientURL(), NATSNkey: ext.Credentials().AdminSeedFile}, discardLogger())
	if err == nil {
		app.Close()
		t.Fatal("OpenApp created a 3-replica stream on a single server, want an error")
	}
	if !strings.Contains(err.Error(), "pass -replicas 1") {
		t.Errorf("error = %q, want it to suggest -replicas 1", err)
	}
}

func TestSecondEmbeddedAppRejected(t *testing.T) {
	dir := t.TempDir()
	openTestApp(t, Config{DataDir: dir, NATSListen: "127.0.0.1:-1"}, discardLogger())

	app, err := OpenApp(context.Background(), Config{DataDir: dir, NATSListen: "127.0.0.1:-1"}, discardLogger())
	if err == nil {
		app.Close()
		t.Fatalf("second App on store folder %s opened, want an error", dir)
	}
	var inUse *eventstore.StoreDirInUseError
	if !errors.As(err, &inUse) {
		t.Errorf("error = %v, want *eventstore.StoreDirInUseError", err)
	}
	if !strings.Contains(err.Error(), "-nats nats://HOST:PORT") {
		t.Errorf("error = %q, want it to suggest -nats", err)
	}
}

func TestCloseLogsNoDisconnectWarning(t *testing.T) {
	logs := &recordingHandler{}
	app, err := OpenApp(context.Background(), Config{DataDir: t.TempDir(), NATSListen: "127.0.0.1:-1"}, slog.New(logs))
	if err != nil {
		t.Fatalf("OpenApp: %v", err)
	}
	app.Close()

	for _, rec := range logs.snapshot() {
		if rec.message == "nats disconnected" {
			t.Errorf("clean Close logged %q at %s with %v", rec.message, rec.level, rec.attrs)
		}
	}
}

func TestServerLossLogsDisconnectWarning(t *testing.T) {
	ext, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{
		Port: -1, StoreDir: t.TempDir(), Logger: discardLogger(),
	})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(ext.Shutdown)
	logs := &recordingHandler{}
	openTestApp(t, Config{NATSURL: ext.ClientURL(), NATSNkey: ext.Credentials().AdminSeedFile, Replicas: 1}, slog.New(logs))

	ext.Shutdown()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, rec := range logs.snapshot() {
			if rec.message == "nats disconnected" && rec.level == slog.LevelWarn && rec.attrs["err"] != nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no \"nats disconnected\" warning with an error within 10s of the server stopping")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openTestApp opens an App with -replicas 0 and closes it in t.Cleanup.
func openTestApp(t *testing.T, cfg Config, log *slog.Logger) *App {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	app, err := OpenApp(ctx, cfg, log)
	if err != nil {
		t.Fatalf("OpenApp: %v", err)
	}
	t.Cleanup(app.Close)
	return app
}

// parseServeFlags binds serve's flags and parses args.
func parseServeFlags(t *testing.T, args ...string) *Config {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var cfg Config
	cfg.bindFlags(fs, true)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return &cfg
}

// captureStderr runs fn with os.Stderr sent to a temporary file and returns
// what fn wrote. The flag package prints help and errors there.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	file, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatalf("create stderr file: %v", err)
	}
	defer file.Close()
	saved := os.Stderr
	os.Stderr = file
	defer func() { os.Stderr = saved }()
	fn()
	data, err := os.ReadFile(file.Name())
	if err != nil {
		t.Fatalf("read stderr file: %v", err)
	}
	return string(data)
}

func discardLogger() *slog.Logger {
	return slog.New(slog.DiscardHandler)
}

// recordingHandler is a slog.Handler that keeps every record. Handlers
// derived with WithAttrs or WithGroup record into a fresh handler, which
// is enough for the App's own top-level records.
type recordingHandler struct {
	mu      sync.Mutex
	records []record
}

type record struct {
	level   slog.Level
	message string
	attrs   map[string]any
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	rec := record{level: r.Level, message: r.Message, attrs: map[string]any{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.Any()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, rec)
	return nil
}

func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return &recordingHandler{} }

func (h *recordingHandler) WithGroup(string) slog.Handler { return &recordingHandler{} }

func (h *recordingHandler) snapshot() []record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]record(nil), h.records...)
}
