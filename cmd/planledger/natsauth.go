package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/cloudevents"
	"github.com/planledger/planledger/eventstore"
)

// streamMarkerFileName is the file in the data folder that records that the
// embedded store has held the event stream.
const streamMarkerFileName = "event-stream-created"

// natsCredentials returns the sign-in options for -nats: a credentials file
// (JWT and seed) or an nkey seed file. A user and password can also be put
// in the URL. The cluster's own authorization decides what the user may do.
func (c *Config) natsCredentials() ([]nats.Option, error) {
	var options []nats.Option
	if c.NATSCreds != "" {
		if _, err := os.Stat(c.NATSCreds); err != nil {
			return nil, fmt.Errorf("invalid -nats-creds: %w", err)
		}
		options = append(options, nats.UserCredentials(c.NATSCreds))
	}
	if c.NATSNkey != "" {
		option, err := nats.NkeyOptionFromSeed(c.NATSNkey)
		if err != nil {
			return nil, fmt.Errorf("invalid -nats-nkey: %w", err)
		}
		options = append(options, option)
	}
	return options, nil
}

// redactURL replaces the password in each URL of a comma-separated list,
// so errors and logs never show it.
func redactURL(urls string) string {
	parts := strings.Split(urls, ",")
	for i, part := range parts {
		u, err := url.Parse(strings.TrimSpace(part))
		if err != nil || u.User == nil {
			continue
		}
		parts[i] = u.Redacted()
	}
	return strings.Join(parts, ",")
}

// errStreamDeleted is wrapped by the error that stops a start on a store
// whose event stream has gone.
var errStreamDeleted = errors.New("the event stream is missing from a store that has held it")

// checkStreamNotDeleted stops a start that would create an empty event
// stream where one existed before: the bundled import would then fill it,
// and the server would come up looking healthy with all history gone. Signs
// of earlier use are the marker file in the embedded store's data folder,
// the read-model snapshot bucket and the CloudEvents stream.
func (a *App) checkStreamNotDeleted(ctx context.Context) error {
	if a.cfg.AllowNewStream {
		return nil
	}
	js, err := jetstream.New(a.nc)
	if err != nil {
		return fmt.Errorf("check event stream: %w", err)
	}
	_, err = js.Stream(ctx, eventstore.DefaultStreamName)
	if err == nil {
		return nil
	}
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("check event stream %s: %w", eventstore.DefaultStreamName, err)
	}

	var signs []string
	if a.embedded != nil {
		marker := filepath.Join(a.cfg.DataDir, streamMarkerFileName)
		if _, err := os.Stat(marker); err == nil {
			signs = append(signs, "file "+marker)
		}
	}
	if _, err := js.KeyValue(ctx, eventstore.DefaultSnapshotBucket); err == nil {
		signs = append(signs, "key-value bucket "+eventstore.DefaultSnapshotBucket)
	}
	if _, err := js.Stream(ctx, cloudevents.DefaultStreamName); err == nil {
		signs = append(signs, "stream "+cloudevents.DefaultStreamName)
	}
	if len(signs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: stream %s does not exist, but %s show this store was used before, so its events "+
		"were deleted. Restore the data folder or the stream from a backup, or start once with -allow-new-stream "+
		"(PLANLEDGER_ALLOW_NEW_STREAM) to begin a new, empty log", errStreamDeleted,
		eventstore.DefaultStreamName, strings.Join(signs, " and "))
}

// markStreamCreated writes the marker file in the embedded store's data
// folder once the event stream exists.
func (a *App) markStreamCreated() error {
	if a.embedded == nil {
		return nil
	}
	marker := filepath.Join(a.cfg.DataDir, streamMarkerFileName)
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	text := "The JetStream store in this folder holds planledger's event stream " + eventstore.DefaultStreamName + ".\n" +
		"planledger does not start while this file exists and the stream does not, see -allow-new-stream.\n"
	if err := os.WriteFile(marker, []byte(text), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", marker, err)
	}
	return nil
}
