package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
	"github.com/planledger/planledger/observe"
	"github.com/planledger/planledger/projections"
)

// App is the running core shared by serve and import: the NATS connection,
// the event store and the read model following it. Close tears it down in
// reverse order of Open.
type App struct {
	cfg      Config
	log      *slog.Logger
	embedded *eventstore.Embedded
	nc       *nats.Conn
	Store    *eventstore.Store
	Read     *projections.Projector
	stopSub  func()
	closed   chan struct{} // closed when the NATS connection has closed
	snap     *snapshotter  // nil when read-model snapshots are off
	// onApplied, when set before the replay, sees every event the read
	// model applies and Apply's error for it.
	onApplied func(domain.Event, error)
	replayTo  atomic.Uint64 // the stream's last sequence when the replay began
}

// OpenApp connects to the store (starting the embedded server unless an
// external URL is set) and replays the log into the read model.
func OpenApp(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	return openAppServing(ctx, cfg, log, nil)
}

// openAppServing is OpenApp with a hook that runs once the store is open and
// before the replay, so serve can answer probes during a long replay.
func openAppServing(ctx context.Context, cfg Config, log *slog.Logger, beforeReplay func(*App) error) (*App, error) {
	a := &App{cfg: cfg, log: log}
	err := a.open(ctx)
	if err == nil && beforeReplay != nil {
		err = beforeReplay(a)
	}
	if err == nil {
		err = a.catchUp(ctx)
	}
	if err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) open(ctx context.Context) error {
	url := a.cfg.NATSURL
	if url == "" {
		host, port, err := splitHostPort(a.cfg.NATSListen)
		if err != nil {
			return err
		}
		a.embedded, err = eventstore.StartEmbedded(eventstore.EmbeddedConfig{
			Host: host, Port: port, StoreDir: a.cfg.DataDir, SyncAlways: a.cfg.SyncAlways, Logger: a.log,
		})
		if err != nil {
			return fmt.Errorf("start embedded NATS in %s: %w", a.cfg.DataDir, err)
		}
		url = a.embedded.ClientURL()
		a.log.Info("embedded nats started", "url", url, "store_dir", a.cfg.DataDir, "sync_always", a.cfg.SyncAlways,
			"reader_nkey_file", a.embedded.Credentials().ReaderSeedFile)
	}

	a.closed = make(chan struct{})
	options := []nats.Option{nats.Name("planledger"), nats.MaxReconnects(-1),
		nats.ClosedHandler(func(*nats.Conn) { close(a.closed) }),
		nats.DisconnectErrHandler(a.logDisconnect),
		nats.ReconnectHandler(func(c *nats.Conn) { a.log.Info("nats reconnected", "url", c.ConnectedUrl()) })}
	var nc *nats.Conn
	var err error
	if a.embedded != nil {
		nc, err = a.embedded.Connect(options...)
	} else {
		var credentials []nats.Option
		credentials, err = a.cfg.natsCredentials()
		if err != nil {
			return err
		}
		nc, err = nats.Connect(url, append(options, credentials...)...)
	}
	if err != nil {
		return fmt.Errorf("connect to NATS at %s: %w", redactURL(url), err)
	}
	a.nc = nc

	if err := a.checkStreamNotDeleted(ctx); err != nil {
		return err
	}
	a.Store, err = eventstore.Open(ctx, nc, eventstore.StoreConfig{
		Replicas:        a.cfg.Replicas,
		DefaultReplicas: a.cfg.defaultReplicas(),
		DuplicateWindow: a.cfg.duplicateWindow,
		Logger:          a.log,
	})
	if err != nil {
		if isReplicasNotSupported(err) {
			return fmt.Errorf("open event stream: the NATS server at %s is not clustered, so pass -replicas 1: %w", redactURL(url), err)
		}
		return fmt.Errorf("open event stream: %w", err)
	}
	if err := a.markStreamCreated(); err != nil {
		return err
	}
	a.Read = projections.New(a.log)
	return nil
}

// logDisconnect logs a lost connection. nats.go also calls it with a nil
// error when Close or Drain ends the connection, which needs no warning.
func (a *App) logDisconnect(_ *nats.Conn, err error) {
	if err != nil {
		a.log.Warn("nats disconnected", "err", err)
	}
}

// errCodeReplicasNotSupported is the JetStream API error for a stream with
// more than one replica on a server without clustering. nats.go v1.56.0 has
// no constant for it.
const errCodeReplicasNotSupported jetstream.ErrorCode = 10074

func isReplicasNotSupported(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeReplicasNotSupported
}

// catchUp restores the read model from its snapshot, when there is a
// usable one, follows the log from there and waits until it has applied
// everything stored before start, logging progress on long replays.
func (a *App) catchUp(ctx context.Context) error {
	last, err := a.Store.LastSequence(ctx)
	if err != nil {
		return err
	}
	a.replayTo.Store(last)
	start := time.Now()
	a.snap = openSnapshotter(ctx, a.Store, a.Read, a.log)
	restored := a.snap.restore(ctx, last)
	// The subscription lives until Close, not until the start-up context ends.
	a.stopSub, err = a.Store.Subscribe(context.WithoutCancel(ctx), restored+1, "", func(e domain.Event) error {
		err := a.Read.Apply(e)
		if err != nil {
			a.log.Error("projection skipped an event", "stream_seq", e.StreamSequence, "type", e.Type, "err", err)
		}
		if a.onApplied != nil {
			a.onApplied(e, err)
		}
		a.snap.noteApplied(e.StreamSequence)
		return nil
	})
	if err != nil {
		return fmt.Errorf("follow event stream: %w", err)
	}

	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	done := make(chan error, 1)
	go func() { done <- a.Read.WaitFor(ctx, last) }()
	for {
		select {
		case err := <-done:
			if err != nil {
				return err
			}
			a.log.Info("read model caught up", "events", last, "restored_stream_seq", restored,
				"duration_ms", time.Since(start).Milliseconds(), "counts", a.Read.Stats())
			a.snap.save(context.WithoutCancel(ctx), slog.LevelInfo)
			a.snap.startLoop()
			return nil
		case <-tick.C:
			a.log.Info("replaying events", "applied", a.Read.Applied(), "total", last)
		}
	}
}

// Ready reports whether the store responds and the read model is at most
// Config.ReadyMaxLag events behind it. A small lag is normal while writes
// are being applied, and failing readiness on it would take a busy server
// out of a load balancer.
func (a *App) Ready(ctx context.Context) error {
	if a.nc == nil || !a.nc.IsConnected() {
		return fmt.Errorf("not connected to NATS")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	last, err := a.Store.LastSequence(ctx)
	if err != nil {
		return err
	}
	applied := a.Read.Applied()
	if lag := observe.Lag(last, applied); lag > uint64(a.cfg.ReadyMaxLag) {
		return fmt.Errorf("read model at event %d of %d, %d behind; the limit is %d (-ready-max-lag)",
			applied, last, lag, a.cfg.ReadyMaxLag)
	}
	return nil
}

// replayProgress describes the start-up replay for the readiness probe.
func (a *App) replayProgress() string {
	return fmt.Sprintf("replaying the event log, %d of %d events applied", a.Read.Applied(), a.replayTo.Load())
}

// Close stops following the log, saves a read-model snapshot, drains the
// connection so acknowledged publishes are flushed, and stops the embedded
// server.
func (a *App) Close() {
	a.snap.stopLoop()
	if a.stopSub != nil {
		a.stopSub()
	}
	a.snap.save(context.Background(), slog.LevelInfo)
	if a.nc != nil {
		if err := a.nc.Drain(); err != nil {
			a.log.Warn("drain nats connection", "err", err)
			a.nc.Close()
		}
		select {
		case <-a.closed:
		case <-time.After(10 * time.Second):
			a.log.Warn("nats connection did not finish draining in 10s; closing it")
			a.nc.Close()
		}
	}
	if a.embedded != nil {
		a.embedded.Shutdown()
		a.log.Info("embedded nats stopped")
	}
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("invalid -nats-listen %q: want host:port such as 127.0.0.1:4222: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < -1 || port > 65535 {
		return "", 0, fmt.Errorf("invalid -nats-listen port %q: want 0-65535, or -1 for any free port", p)
	}
	return host, port, nil
}
