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
	Replicas   int
	SyncAlways bool
	Bundled    bool
	LogLevel   string
	LogFormat  string
	Shutdown   time.Duration

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
	fs.IntVar(&c.Replicas, "replicas", c.envInt("PLANLEDGER_REPLICAS", 0),
		"stream replicas; 0 means 1 on the embedded server and 3 on an external cluster (PLANLEDGER_REPLICAS)")
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
		fs.DurationVar(&c.Shutdown, "shutdown-timeout", 15*time.Second,
			"how long shutdown waits for requests in flight")
	}
}

func (c *Config) validate() error {
	if len(c.envErrs) > 0 {
		return errors.Join(c.envErrs...)
	}
	if c.NATSURL == "" && strings.TrimSpace(c.DataDir) == "" {
		return fmt.Errorf("invalid -data: the embedded store needs a folder; set -data or PLANLEDGER_DATA")
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		return fmt.Errorf("invalid -replicas %d: use 1, 3 or 5", c.Replicas)
	}
	if c.Replicas == 0 {
		c.Replicas = 1
		if c.NATSURL != "" {
			c.Replicas = 3
		}
	}
	if _, err := c.level(); err != nil {
		return err
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return fmt.Errorf("invalid -log-format %q: use json or text", c.LogFormat)
	}
	return nil
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
