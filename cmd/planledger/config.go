package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config holds what serve and import share.
type Config struct {
	DataDir    string
	Listen     string
	NATSURL    string
	NATSListen string
	// NATSCreds and NATSNkey sign in to the -nats cluster.
	NATSCreds string
	NATSNkey  string
	// AllowNewStream lets the store start with a new, empty event stream
	// where signs show the old one was deleted.
	AllowNewStream bool
	Replicas       int
	SyncAlways     bool
	Bundled        bool
	LogLevel       string
	LogFormat      string
	Shutdown       time.Duration
	// ReadyMaxLag is how many events the read model may trail the stream
	// while /readyz still reports ready.
	ReadyMaxLag int

	// Sign-in keys of serve; see signin.go.
	AuthSecretFile    string
	AuthPublicKeyFile string
	AuthIssuer        string
	AuthAudience      string

	// CloudEvents runs the relay that publishes every event as a
	// CloudEvent; see docs/cloudevents.md.
	CloudEvents bool

	// duplicateWindow overrides the stream's deduplication window; tests
	// shorten it to show that retries do not depend on it.
	duplicateWindow time.Duration

	envErrs []error // environment values that did not parse
}

// bindFlags registers the flags, each defaulting to its environment
// variable when set, so containers and laptops configure it the same way.
func (c *Config) bindFlags(fs *flag.FlagSet, withHTTP bool) {
	fs.StringVar(&c.DataDir, "data", env("PLANLEDGER_DATA", "./planledger-data"),
		"folder for the embedded JetStream file store (PLANLEDGER_DATA)")
	fs.StringVar(&c.NATSURL, "nats", env("PLANLEDGER_NATS", ""),
		"URL of an external NATS cluster, e.g. nats://n1:4222,nats://n2:4222; empty starts the embedded server (PLANLEDGER_NATS)")
	fs.StringVar(&c.NATSListen, "nats-listen", env("PLANLEDGER_NATS_LISTEN", "127.0.0.1:4222"),
		"host:port the embedded NATS server listens on for subscribers; port -1 picks a free one (PLANLEDGER_NATS_LISTEN)")
	fs.StringVar(&c.NATSCreds, "nats-creds", env("PLANLEDGER_NATS_CREDS", ""),
		"credentials file (user JWT and nkey seed) that signs in to the -nats server (PLANLEDGER_NATS_CREDS)")
	fs.StringVar(&c.NATSNkey, "nats-nkey", env("PLANLEDGER_NATS_NKEY", ""),
		"nkey seed file that signs in to the -nats server, such as nats-admin.nk in a running embedded server's "+
			"data folder (PLANLEDGER_NATS_NKEY)")
	fs.BoolVar(&c.AllowNewStream, "allow-new-stream", c.envBool("PLANLEDGER_ALLOW_NEW_STREAM", false),
		"start with a new, empty event stream even though the store shows the old one was deleted (PLANLEDGER_ALLOW_NEW_STREAM)")
	fs.IntVar(&c.Replicas, "replicas", c.envInt("PLANLEDGER_REPLICAS", 0),
		"stream replicas: 0, 1, 3 or 5. 0 keeps an existing stream's count and creates a new stream with 1 on the embedded server or 3 with -nats (PLANLEDGER_REPLICAS)")
	fs.BoolVar(&c.SyncAlways, "sync-always", c.envBool("PLANLEDGER_SYNC_ALWAYS", true),
		"fsync every event before acknowledging it on the embedded server, so a power loss loses no acknowledged event (PLANLEDGER_SYNC_ALWAYS)")
	fs.StringVar(&c.LogLevel, "log-level", env("PLANLEDGER_LOG_LEVEL", "info"),
		"debug, info, warn or error (PLANLEDGER_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("PLANLEDGER_LOG_FORMAT", "json"),
		"json or text (PLANLEDGER_LOG_FORMAT)")
	if withHTTP {
		fs.StringVar(&c.Listen, "listen", env("PLANLEDGER_LISTEN", "127.0.0.1:8080"),
			"host:port of the HTTP API (PLANLEDGER_LISTEN)")
		fs.BoolVar(&c.Bundled, "load-bundled", c.envBool("PLANLEDGER_LOAD_BUNDLED", true),
			"load the bundled Massachusetts data at start, adding only what the store lacks (PLANLEDGER_LOAD_BUNDLED)")
		fs.BoolVar(&c.CloudEvents, "cloudevents", c.envBool("PLANLEDGER_CLOUDEVENTS", true),
			"publish every event as a CloudEvent on cloudevents.planledger.<kind>.<id> in the stream "+
				"PLANLEDGER_CLOUDEVENTS (PLANLEDGER_CLOUDEVENTS)")
		fs.IntVar(&c.ReadyMaxLag, "ready-max-lag", c.envInt("PLANLEDGER_READY_MAX_LAG", 1000),
			"events the read model may trail the stream while /readyz reports ready (PLANLEDGER_READY_MAX_LAG)")
		fs.DurationVar(&c.Shutdown, "shutdown-timeout", c.envDuration("PLANLEDGER_SHUTDOWN_TIMEOUT", 15*time.Second),
			"maximum time shutdown waits for requests in flight, such as 15s or 1m (PLANLEDGER_SHUTDOWN_TIMEOUT)")
		fs.StringVar(&c.AuthSecretFile, "auth-secret-file", env("PLANLEDGER_AUTH_SECRET_FILE", ""),
			"file with the HS256 secret (at least 32 bytes) that signs tokens; without it and without -auth-public-key, "+
				"the embedded store uses a development key in its data folder (PLANLEDGER_AUTH_SECRET_FILE)")
		fs.StringVar(&c.AuthPublicKeyFile, "auth-public-key", env("PLANLEDGER_AUTH_PUBLIC_KEY", ""),
			"PEM public key of an identity provider whose RS256, ES256 or EdDSA tokens sign in (PLANLEDGER_AUTH_PUBLIC_KEY)")
		fs.StringVar(&c.AuthIssuer, "auth-issuer", env("PLANLEDGER_AUTH_ISSUER", ""),
			"when set, the iss claim every token must carry (PLANLEDGER_AUTH_ISSUER)")
		fs.StringVar(&c.AuthAudience, "auth-audience", env("PLANLEDGER_AUTH_AUDIENCE", ""),
			"when set, a value the aud claim of every token must include (PLANLEDGER_AUTH_AUDIENCE)")
	}
}

func (c *Config) validate() error {
	if len(c.envErrs) > 0 {
		return errors.Join(c.envErrs...)
	}
	if c.NATSURL == "" && strings.TrimSpace(c.DataDir) == "" {
		return fmt.Errorf("invalid -data: the embedded store needs a folder; set -data or PLANLEDGER_DATA")
	}
	if c.NATSURL == "" && (c.NATSCreds != "" || c.NATSNkey != "") {
		return fmt.Errorf("invalid -nats-creds or -nats-nkey: they sign in to the server named by -nats, " +
			"and the embedded server signs planledger in itself")
	}
	switch c.Replicas {
	case 0, 1, 3, 5:
	default:
		return fmt.Errorf("invalid -replicas %d: use 0 (keep the stream's count), 1, 3 or 5", c.Replicas)
	}
	if c.NATSURL == "" && c.Replicas > 1 {
		return fmt.Errorf("invalid -replicas %d: the embedded NATS server is a single node, so use 0 or 1, "+
			"or pass -nats with the URL of a cluster", c.Replicas)
	}
	if _, err := c.level(); err != nil {
		return err
	}
	if c.ReadyMaxLag < 0 {
		return fmt.Errorf("invalid -ready-max-lag %d: use 0 or more events", c.ReadyMaxLag)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return fmt.Errorf("invalid -log-format %q: use json or text", c.LogFormat)
	}
	return nil
}

// defaultReplicas returns the replica count of a new stream when -replicas
// is 0: 1 on the embedded server, 3 on an external server, which is
// usually a cluster.
func (c *Config) defaultReplicas() int {
	if c.NATSURL != "" {
		return 3
	}
	return 1
}

func (c *Config) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("invalid -log-level %q: use debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

func (c *Config) logger() *slog.Logger {
	level, _ := c.level()
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

func env(key, fallback string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return fallback
}

func (c *Config) envInt(key string, fallback int) int {
	v, ok := os.LookupEnv(key)
	if !ok {
		return fallback
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		c.envErrs = append(c.envErrs, fmt.Errorf("invalid %s=%q: want a whole number", key, v))
		return fallback
	}
	return n
}

func (c *Config) envBool(key string, fallback bool) bool {
	v, ok := os.LookupEnv(key)
	if !ok {
		return fallback
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		c.envErrs = append(c.envErrs, fmt.Errorf("invalid %s=%q: want true or false", key, v))
		return fallback
	}
	return b
}

func (c *Config) envDuration(key string, fallback time.Duration) time.Duration {
	v, ok := os.LookupEnv(key)
	if !ok {
		return fallback
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		c.envErrs = append(c.envErrs, fmt.Errorf("invalid %s=%q: want a duration such as 15s or 1m", key, v))
		return fallback
	}
	return d
}
