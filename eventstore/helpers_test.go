package eventstore_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 10 * time.Second

// testEnv is one embedded server with a store opened on it.
type testEnv struct {
	server   *eventstore.Embedded
	nc       *nats.Conn
	store    *eventstore.Store
	storeDir string
	logs     *captureHandler
}

// mustStartStore starts an embedded server on a random port with its own
// temporary store directory and opens a store on it.
func mustStartStore(tb testing.TB) *testEnv {
	tb.Helper()
	return mustStartStoreIn(tb, tb.TempDir())
}

// mustStartStoreIn starts an embedded server that stores JetStream data in
// dir. The server, connection and store are closed in tb.Cleanup.
func mustStartStoreIn(tb testing.TB, dir string) *testEnv {
	tb.Helper()
	server, nc := mustStartServerIn(tb, dir)
	logs := newCaptureHandler()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	store, err := eventstore.Open(ctx, nc, eventstore.StoreConfig{Logger: slog.New(logs)})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return &testEnv{server: server, nc: nc, store: store, storeDir: dir, logs: logs}
}

// mustStartServerIn starts an embedded server on a random port that stores
// JetStream data in dir and connects to it, without opening a store. The
// server and connection are closed in tb.Cleanup.
func mustStartServerIn(tb testing.TB, dir string) (*eventstore.Embedded, *nats.Conn) {
	tb.Helper()
	server, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{
		Port:       -1,
		StoreDir:   dir,
		SyncAlways: true,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		tb.Fatalf("StartEmbedded: %v", err)
	}
	tb.Cleanup(server.Shutdown)

	nc, err := nats.Connect(server.ClientURL(), server.Credentials().AdminOption())
	if err != nil {
		tb.Fatalf("connect to %s: %v", server.ClientURL(), err)
	}
	tb.Cleanup(nc.Close)
	return server, nc
}

// shutdown closes the connection and stops the server before the test ends.
func (env *testEnv) shutdown() {
	env.nc.Close()
	env.server.Shutdown()
}

func testContext(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	tb.Cleanup(cancel)
	return ctx
}

// streamMessages returns the number of messages in the event stream.
func streamMessages(tb testing.TB, env *testEnv) uint64 {
	tb.Helper()
	return streamInfo(tb, env).State.Msgs
}

type notePayload struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

// appendRequest returns a request for a plan.retitled-style event with a
// small payload, actor "tester" and no fixed event id.
func appendRequest(kind, id string, expected uint64, text string) domain.AppendRequest {
	return domain.AppendRequest{
		AggregateKind:    kind,
		AggregateID:      id,
		ExpectedSequence: expected,
		Draft: domain.Draft{
			Type:    domain.TypePlanRetitled,
			Payload: notePayload{Text: text, Count: int(expected)},
		},
		Metadata: domain.Metadata{Actor: "tester"},
	}
}

// mustAppend appends req and fails the test on error.
func mustAppend(tb testing.TB, store *eventstore.Store, req domain.AppendRequest) domain.Event {
	tb.Helper()
	event, err := store.Append(testContext(tb), req)
	if err != nil {
		tb.Fatalf("Append %s/%s after %d: %v", req.AggregateKind, req.AggregateID, req.ExpectedSequence, err)
	}
	return event
}

// waitFor polls cond until it returns true or testTimeout passes.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", testTimeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// captureHandler is a slog.Handler that keeps every record for inspection.
// Handlers derived with WithAttrs share the parent's records.
type captureHandler struct {
	shared *capturedLog
	attrs  []slog.Attr
}

type capturedLog struct {
	mu      sync.Mutex
	records []capturedRecord
}

type capturedRecord struct {
	level   slog.Level
	message string
	attrs   map[string]any
}

func newCaptureHandler() *captureHandler {
	return &captureHandler{shared: &capturedLog{}}
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	rec := capturedRecord{level: r.Level, message: r.Message, attrs: map[string]any{}}
	for _, a := range h.attrs {
		rec.attrs[a.Key] = a.Value.Any()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.Any()
		return true
	})
	h.shared.mu.Lock()
	defer h.shared.mu.Unlock()
	h.shared.records = append(h.shared.records, rec)
	return nil
}

func (h *captureHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &captureHandler{shared: h.shared, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

// WithGroup ignores the group, which this package does not use.
func (h *captureHandler) WithGroup(string) slog.Handler { return h }

func (h *captureHandler) snapshot() []capturedRecord {
	h.shared.mu.Lock()
	defer h.shared.mu.Unlock()
	return append([]capturedRecord(nil), h.shared.records...)
}
