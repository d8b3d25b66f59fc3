package eventstore_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// deniedTimeout bounds a JetStream request whose publish the server
// rejects. nats.go reports the rejection to the error handler, and the
// request itself waits for a reply that never comes, so it ends with a
// timeout error. The tests assert the rejection, not the time.
const deniedTimeout = 250 * time.Millisecond

func TestEmbeddedRejectsNoCredentials(t *testing.T) {
	env := mustStartStore(t)
	nc, err := nats.Connect(env.server.ClientURL())
	if err == nil {
		nc.Close()
		t.Fatal("connect without credentials succeeded, want an authorization error")
	}
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("error = %v, want nats.ErrAuthorization", err)
	}
}

func TestEmbeddedRejectsUnknownNkey(t *testing.T) {
	env := mustStartStore(t)
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "stranger.nk")
	if err := os.WriteFile(path, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	option, err := nats.NkeyOptionFromSeed(path)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(env.server.ClientURL(), option)
	if err == nil {
		nc.Close()
		t.Fatal("connect with an unknown nkey succeeded, want an authorization error")
	}
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("error = %v, want nats.ErrAuthorization", err)
	}
}

func TestEmbeddedSeedFiles(t *testing.T) {
	dir := t.TempDir()
	env := mustStartStoreIn(t, dir)
	creds := env.server.Credentials()
	for _, path := range []string{creds.AdminSeedFile, creds.ReaderSeedFile} {
		if filepath.Dir(path) != dir {
			t.Errorf("seed file %s is not in the store folder %s", path, dir)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatalf("stat seed file: %v", err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 600", path, perm)
		}
	}
	reader, err := os.ReadFile(creds.ReaderSeedFile)
	if err != nil {
		t.Fatal(err)
	}

	// A restart keeps the keys, so a reader's configuration stays valid.
	env.shutdown()
	restarted, _ := mustStartServerIn(t, dir)
	again, err := os.ReadFile(restarted.Credentials().ReaderSeedFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(reader) {
		t.Error("the reader seed changed across a restart")
	}
	nc, err := nats.Connect(restarted.ClientURL(), restarted.Credentials().ReaderOption())
	if err != nil {
		t.Fatalf("reader connect after restart: %v", err)
	}
	nc.Close()
}

func TestEmbeddedRejectsExposedSeed(t *testing.T) {
	dir := t.TempDir()
	env := mustStartStoreIn(t, dir)
	env.shutdown()
	if err := os.Chmod(env.server.Credentials().ReaderSeedFile, 0o644); err != nil {
		t.Fatal(err)
	}
	server, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Port: -1, StoreDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		server.Shutdown()
		t.Fatal("StartEmbedded with a world-readable seed succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("error = %q, want it to say chmod 600", err)
	}
}

func TestEmbeddedConnectInProcess(t *testing.T) {
	env := mustStartStore(t)
	nc, err := env.server.Connect()
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(nc.Close)
	store, err := eventstore.Open(testContext(t), nc, eventstore.StoreConfig{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	event := mustAppend(t, store, appendRequest(domain.KindPlan, "p1", 0, "in process"))
	if event.Sequence != 1 {
		t.Errorf("sequence = %d, want 1", event.Sequence)
	}
}

// readerEnv is a store with events written by the admin user and a
// connection signed in as the read-only user.
type readerEnv struct {
	*testEnv
	reader *nats.Conn
	js     jetstream.JetStream

	mu         sync.Mutex
	violations []string
}

func startReaderEnv(t *testing.T) *readerEnv {
	t.Helper()
	env := &readerEnv{testEnv: mustStartStore(t)}
	for seq := range uint64(3) {
		mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", seq, "by admin"))
	}
	reader, err := nats.Connect(env.server.ClientURL(), env.server.Credentials().ReaderOption(),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrPermissionViolation) {
				env.mu.Lock()
				env.violations = append(env.violations, err.Error())
				env.mu.Unlock()
			}
		}))
	if err != nil {
		t.Fatalf("reader connect: %v", err)
	}
	t.Cleanup(reader.Close)
	env.reader = reader
	env.js, err = jetstream.New(reader)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// sawViolation reports whether the server has rejected a publish to subject.
// The server sends the rejection before the reply to a later ping, so it
// has arrived once Flush returns.
func (env *readerEnv) sawViolation(t *testing.T, subject string) bool {
	t.Helper()
	if err := env.reader.Flush(); err != nil {
		t.Fatalf("flush reader connection: %v", err)
	}
	env.mu.Lock()
	defer env.mu.Unlock()
	for _, v := range env.violations {
		if strings.Contains(v, `"`+subject+`"`) {
			return true
		}
	}
	return false
}

func TestReaderReplaysStream(t *testing.T) {
	env := startReaderEnv(t)
	ctx := testContext(t)
	consumer, err := env.js.OrderedConsumer(ctx, eventstore.DefaultStreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{eventstore.AllSubjects},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		t.Fatalf("reader ordered consumer: %v", err)
	}
	iter, err := consumer.Messages()
	if err != nil {
		t.Fatalf("reader messages: %v", err)
	}
	defer iter.Stop()
	for want := uint64(1); want <= 3; want++ {
		msg, err := iter.Next(jetstream.NextContext(ctx))
		if err != nil {
			t.Fatalf("reader next after %d messages: %v", want-1, err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			t.Fatal(err)
		}
		if meta.Sequence.Stream != want {
			t.Errorf("stream sequence = %d, want %d", meta.Sequence.Stream, want)
		}
	}

	// Stream info and a fetch through a pull consumer with acknowledgements.
	stream, err := env.js.Stream(ctx, eventstore.DefaultStreamName)
	if err != nil {
		t.Fatalf("reader stream info: %v", err)
	}
	if msgs := stream.CachedInfo().State.Msgs; msgs != 3 {
		t.Errorf("stream info reports %d messages, want 3", msgs)
	}
	pull, err := stream.CreateConsumer(ctx, jetstream.ConsumerConfig{AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("reader create consumer: %v", err)
	}
	batch, err := pull.Fetch(3, jetstream.FetchMaxWait(testTimeout))
	if err != nil {
		t.Fatalf("reader fetch: %v", err)
	}
	var fetched int
	for msg := range batch.Messages() {
		if err := msg.DoubleAck(ctx); err != nil {
			t.Errorf("reader ack: %v", err)
		}
		fetched++
	}
	if fetched != 3 {
		t.Errorf("fetched %d messages, want 3", fetched)
	}
	info, err := pull.Info(ctx)
	if err != nil {
		t.Fatalf("reader consumer info: %v", err)
	}
	if info.AckFloor.Stream != 3 {
		t.Errorf("consumer ack floor = %d, want 3", info.AckFloor.Stream)
	}
}

func TestReaderFollowsLiveSubjects(t *testing.T) {
	env := startReaderEnv(t)
	live := make(chan *nats.Msg, 1)
	sub, err := env.reader.ChanSubscribe(eventstore.AllLiveSubjects, live)
	if err != nil {
		t.Fatalf("reader subscribe: %v", err)
	}
	defer sub.Unsubscribe()
	if err := env.reader.Flush(); err != nil {
		t.Fatal(err)
	}
	if env.sawViolation(t, eventstore.AllLiveSubjects) {
		t.Fatalf("subscription to %s was rejected", eventstore.AllLiveSubjects)
	}

	event := mustAppend(t, env.store, appendRequest(domain.KindPlan, "p1", 3, "live"))
	select {
	case msg := <-live:
		if got := msg.Header.Get(eventstore.HeaderSequence); got != "4" {
			t.Errorf("live message sequence header = %q, want 4 for event %s", got, event.ID)
		}
	case <-testContext(t).Done():
		t.Fatal("no live message within the test timeout")
	}
}

func TestReaderCannotWrite(t *testing.T) {
	env := startReaderEnv(t)
	ctx := testContext(t)
	snapshots, err := env.store.OpenSnapshots(ctx, eventstore.DefaultSnapshotBucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := snapshots.Put(ctx, "read-model", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	stream, err := env.js.Stream(ctx, eventstore.DefaultStreamName)
	if err != nil {
		t.Fatalf("reader stream info: %v", err)
	}
	changed := stream.CachedInfo().Config
	changed.Description = "changed by the reader"
	changed.DenyDelete = false

	cases := []struct {
		name    string
		subject string
		do      func(ctx context.Context) error
	}{
		{"publish event", "planledger.plan.p1", func(ctx context.Context) error {
			_, err := env.js.Publish(ctx, "planledger.plan.p1", []byte(`{}`))
			return err
		}},
		{"publish cloudevent", "cloudevents.planledger.plan.p1", func(ctx context.Context) error {
			_, err := env.js.Publish(ctx, "cloudevents.planledger.plan.p1", []byte(`{}`))
			return err
		}},
		{"delete stream", "$JS.API.STREAM.DELETE.PLANLEDGER", func(ctx context.Context) error {
			return env.js.DeleteStream(ctx, eventstore.DefaultStreamName)
		}},
		{"purge stream", "$JS.API.STREAM.PURGE.PLANLEDGER", func(ctx context.Context) error {
			return stream.Purge(ctx)
		}},
		{"update stream", "$JS.API.STREAM.UPDATE.PLANLEDGER", func(ctx context.Context) error {
			_, err := env.js.UpdateStream(ctx, changed)
			return err
		}},
		{"create stream", "$JS.API.STREAM.CREATE.COPY", func(ctx context.Context) error {
			_, err := env.js.CreateStream(ctx, jetstream.StreamConfig{Name: "COPY", Subjects: []string{"copy.>"}})
			return err
		}},
		{"delete message", "$JS.API.STREAM.MSG.DELETE.PLANLEDGER", func(ctx context.Context) error {
			return stream.DeleteMsg(ctx, 1)
		}},
		{"put snapshot", "$KV.PLANLEDGER_SNAPSHOTS.read-model", func(ctx context.Context) error {
			_, err := env.js.Publish(ctx, "$KV.PLANLEDGER_SNAPSHOTS.read-model", []byte("replaced"))
			return err
		}},
		{"delete snapshot bucket", "$JS.API.STREAM.DELETE.KV_PLANLEDGER_SNAPSHOTS", func(ctx context.Context) error {
			return env.js.DeleteKeyValue(ctx, eventstore.DefaultSnapshotBucket)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), deniedTimeout)
			defer cancel()
			if err := tc.do(ctx); err == nil {
				t.Errorf("%s as the reader succeeded, want an error", tc.name)
			}
			if !env.sawViolation(t, tc.subject) {
				t.Errorf("server reported no permissions violation for %s", tc.subject)
			}
		})
	}

	// Nothing changed, as the admin connection sees it.
	ctx = testContext(t)
	info := streamInfo(t, env.testEnv)
	if info.State.Msgs != 3 {
		t.Errorf("stream has %d messages, want 3", info.State.Msgs)
	}
	if info.Config.Description != "planledger event log" {
		t.Errorf("stream description = %q, want it unchanged", info.Config.Description)
	}
	if !info.Config.DenyDelete {
		t.Error("stream lost deny_delete")
	}
	value, found, err := snapshots.Get(ctx, "read-model")
	if err != nil || !found || string(value) != "kept" {
		t.Errorf("snapshot = %q, found %v, error %v; want \"kept\"", value, found, err)
	}
	admin, err := jetstream.New(env.nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Stream(ctx, "COPY"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("look up stream COPY: %v, want ErrStreamNotFound", err)
	}
}
