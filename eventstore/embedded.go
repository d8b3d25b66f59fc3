package eventstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Defaults for EmbeddedConfig.
const (
	// DefaultHost keeps the embedded server on loopback. nats-server itself
	// would listen on every interface when the host is empty.
	DefaultHost = "127.0.0.1"
	// DefaultPort is the standard NATS client port, so the nats CLI and other
	// local programs find the server without configuration.
	DefaultPort = 4222
	// DefaultReadyTimeout bounds how long StartEmbedded waits for the server
	// to accept client connections.
	DefaultReadyTimeout = 10 * time.Second
	// LockFileName is the file in the store folder that a running embedded
	// server locks and writes its pid into.
	LockFileName = "planledger.lock"
)

// StoreDirInUseError is returned by StartEmbedded when another process
// holds the lock on the store folder. Two servers writing one JetStream
// folder would lose the events of one of them.
type StoreDirInUseError struct {
	Dir string
	// PID is the process holding the lock, 0 when unknown.
	PID int
}

func (e *StoreDirInUseError) Error() string {
	holder := "another process"
	if e.PID > 0 {
		holder = fmt.Sprintf("process %d", e.PID)
	}
	return fmt.Sprintf("store folder %s is in use by %s: stop the other planledger process, "+
		"or pass -nats nats://HOST:PORT to use its NATS server", e.Dir, holder)
}

// storeLock is the exclusive lock on a store folder, held from before the
// server starts until after it has stopped.
type storeLock struct {
	file *os.File
}

// EmbeddedConfig configures an in-process nats-server with JetStream.
type EmbeddedConfig struct {
	// Host is the client listen address. Empty means DefaultHost.
	Host string
	// Port is the client port. Zero means DefaultPort and -1 picks a free
	// port, which ClientURL then reports.
	Port int
	// StoreDir is the JetStream file storage directory. It is required
	// because the event log must survive a restart.
	StoreDir string
	// ServerName names the server in logs and in the nats CLI. Empty lets
	// nats-server generate one.
	ServerName string
	// SyncAlways makes JetStream fsync after every write (sync_always), which
	// protects acknowledged events against power loss and slows every append.
	SyncAlways bool
	// ReadyTimeout bounds the wait for client connections. Zero means
	// DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// Logger receives the server's log lines. Nil means slog.Default().
	Logger *slog.Logger
}

// Embedded is a running in-process nats-server.
type Embedded struct {
	server   *server.Server
	storeDir string
	creds    Credentials
	lock     *storeLock
	log      *slog.Logger
	once     sync.Once
}

// StartEmbedded locks the store folder, starts a nats-server with JetStream
// in this process and waits until it accepts client connections. When the
// folder is already locked it returns a *StoreDirInUseError at once. Only
// unix systems take the lock.
//
// Every client must sign in with one of two nkeys whose seeds StartEmbedded
// creates in the store folder on first start: the admin user, which may do
// anything, and the read-only user of ReaderPermissions. Without them any
// local process could append events or delete the stream through the JetStream
// API.
func StartEmbedded(cfg EmbeddedConfig) (embedded *Embedded, err error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("start embedded nats-server: store directory is required")
	}
	host := cfg.Host
	if host == "" {
		host = DefaultHost
	}
	port := cfg.Port
	if port == 0 {
		port = DefaultPort
	}
	readyTimeout := cfg.ReadyTimeout
	if readyTimeout <= 0 {
		readyTimeout = DefaultReadyTimeout
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("component", "nats-server")

	lock, err := lockStoreDir(cfg.StoreDir)
	if err != nil {
		return nil, fmt.Errorf("start embedded nats-server: %w", err)
	}
	defer func() {
		if err != nil {
			releaseLock(lock, cfg.StoreDir, logger)
		}
	}()

	creds, err := loadOrCreateCredentials(cfg.StoreDir, logger)
	if err != nil {
		return nil, fmt.Errorf("start embedded nats-server: %w", err)
	}

	opts := &server.Options{
		// NoAuthUser stays empty, so a connection without a key is rejected
		// rather than signed in as some default user.
		Nkeys: []*server.NkeyUser{
			{Nkey: creds.admin},
			{Nkey: creds.reader, Permissions: ReaderPermissions()},
		},
		ServerName: cfg.ServerName,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		SyncAlways: cfg.SyncAlways,
		// The host program owns signal handling and shutdown.
		NoSigs: true,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("start embedded nats-server on %s:%d: %w", host, port, err)
	}

	adapter := &serverLogger{log: logger}
	debug := logger.Enabled(context.Background(), slog.LevelDebug)
	// Protocol tracing logs every message, so it stays off even at debug level.
	ns.SetLoggerV2(adapter, debug, false, false)

	ns.Start()
	if !ns.ReadyForConnections(readyTimeout) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("start embedded nats-server: not ready for connections on %s:%d after %s%s",
			host, port, readyTimeout, adapter.fatalSuffix())
	}
	// nats-server logs a failed JetStream start and keeps serving core NATS,
	// which would leave the event store without storage.
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("start embedded nats-server: JetStream is not enabled with store directory %s%s",
			cfg.StoreDir, adapter.fatalSuffix())
	}

	logger.Info("embedded nats-server started",
		"client_url", ns.ClientURL(), "store_dir", cfg.StoreDir, "sync_always", cfg.SyncAlways,
		"reader_nkey_file", creds.files.ReaderSeedFile)
	return &Embedded{server: ns, storeDir: cfg.StoreDir, creds: creds.files, lock: lock, log: logger}, nil
}

// credentials are the public keys of the embedded server's users and the
// seed files they come from.
type credentials struct {
	admin, reader string
	files         Credentials
}

func loadOrCreateCredentials(dir string, logger *slog.Logger) (credentials, error) {
	c := credentials{files: Credentials{
		AdminSeedFile:  filepath.Join(dir, AdminSeedFileName),
		ReaderSeedFile: filepath.Join(dir, ReaderSeedFileName),
	}}
	for _, user := range []struct {
		path   string
		public *string
	}{{c.files.AdminSeedFile, &c.admin}, {c.files.ReaderSeedFile, &c.reader}} {
		public, created, err := loadOrCreateSeed(user.path)
		if err != nil {
			return credentials{}, err
		}
		if created {
			logger.Info("created nats user key", "path", user.path, "public_key", public)
		}
		*user.public = public
	}
	return c, nil
}

// Credentials returns the paths of the seed files of the admin and the
// read-only user.
func (e *Embedded) Credentials() Credentials {
	return e.creds
}

// Connect opens an in-process connection signed in as the admin user. It
// does not go through the client port, so it works whatever the listen
// address, and the admin seed is read from the store folder, never sent.
func (e *Embedded) Connect(options ...nats.Option) (*nats.Conn, error) {
	options = append([]nats.Option{nats.InProcessServer(e.server), e.creds.AdminOption()}, options...)
	nc, err := nats.Connect("", options...)
	if err != nil {
		return nil, fmt.Errorf("connect in process to the embedded nats-server: %w", err)
	}
	return nc, nil
}

// ClientURL returns the URL clients connect to, with the actual port when
// the configured port was -1.
func (e *Embedded) ClientURL() string {
	return e.server.ClientURL()
}

// Shutdown stops the server, waits until it has closed its listeners and
// flushed JetStream storage, and then releases the store folder lock.
// Calling it again does nothing.
func (e *Embedded) Shutdown() {
	e.once.Do(func() {
		e.server.Shutdown()
		e.server.WaitForShutdown()
		releaseLock(e.lock, e.storeDir, e.log)
		e.log.Info("embedded nats-server stopped")
	})
}

// releaseLock releases lock and logs a failure, which leaves the folder
// locked until this process exits.
func releaseLock(lock *storeLock, dir string, log *slog.Logger) {
	if err := lock.release(); err != nil {
		log.Error("release store folder lock failed", "store_dir", dir, "error", err)
	}
}

// serverLogger implements the nats-server Logger interface on top of slog,
// so server lines land in the product's one structured log.
type serverLogger struct {
	log *slog.Logger

	mu        sync.Mutex
	lastFatal string
}

func (l *serverLogger) Noticef(format string, v ...any) {
	l.emit(slog.LevelInfo, format, v)
}

func (l *serverLogger) Warnf(format string, v ...any) {
	l.emit(slog.LevelWarn, format, v)
}

// Fatalf logs at error level and does not exit. nats-server returns after
// each Fatalf call, and StartEmbedded reports the message in its error.
func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.mu.Lock()
	l.lastFatal = msg
	l.mu.Unlock()
	l.log.Error(msg, "fatal", true)
}

func (l *serverLogger) Errorf(format string, v ...any) {
	l.emit(slog.LevelError, format, v)
}

func (l *serverLogger) Debugf(format string, v ...any) {
	l.emit(slog.LevelDebug, format, v)
}

func (l *serverLogger) Tracef(format string, v ...any) {
	l.emit(slog.LevelDebug, format, v)
}

func (l *serverLogger) emit(level slog.Level, format string, v []any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, fmt.Sprintf(format, v...))
}

// fatalSuffix returns the last fatal server message formatted for an error,
// or an empty string when there was none.
func (l *serverLogger) fatalSuffix() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lastFatal == "" {
		return ""
	}
	return ": " + l.lastFatal
}
