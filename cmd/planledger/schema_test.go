package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
	"github.com/planledger/planledger/projections"
)

// A log written by an older build holds level events of schema version 1.
// Replaying a stream with every version gives readers one current shape.
func TestReplayEveryLevelSchemaVersion(t *testing.T) {
	ctx := context.Background()
	cfg := Config{DataDir: t.TempDir(), NATSListen: "127.0.0.1:-1", Replicas: 1, LogLevel: "warn", LogFormat: "text"}
	app, err := OpenApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()

	const code = "01370025"
	svc := commands.New(app.Store, app.Read)
	if _, err := svc.RegisterOrg(ctx, commands.Meta{Actor: "test"}, domain.Org{Code: code, Type: domain.OrgSchool,
		Name: "Morgan Full Service Community School", DistrictCode: "01370000"}); err != nil {
		t.Fatal(err)
	}

	// Version 1, as an older build stored it: no scheme in the payload.
	v1 := domain.Event{ID: "0b8c2b0e-1d6a-4c8e-9f3a-5a1f7e2d9c01", Type: domain.TypeLevelChanged, SchemaVersion: 1,
		AggregateKind: domain.KindLevel, AggregateID: code, Sequence: 1,
		RecordedAt: time.Date(2014, 1, 2, 15, 0, 0, 0, time.UTC), EffectiveAt: time.Date(2013, 10, 30, 4, 0, 0, 0, time.UTC),
		Actor:   "older-build",
		Payload: json.RawMessage(`{"org_code":"01370025","level":5,"reason":"Chronically underperforming","source":"2013 designation","date_precision":"day"}`)}
	data, _ := json.Marshal(v1)
	nc, err := nats.Connect(app.embedded.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ack, err := js.Publish(ctx, eventstore.Subject(domain.KindLevel, code), data,
		jetstream.WithExpectLastSequencePerSubject(0), jetstream.WithMsgID(v1.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Read.WaitFor(ctx, ack.Sequence); err != nil {
		t.Fatal(err)
	}

	// Version 2, written by this build after it.
	res, err := svc.ChangeLevel(ctx, commands.Meta{Actor: "dese-staff"}, domain.ChangeLevel{OrgCode: code, Level: 3,
		Reason: "Status removed", Source: "2022 notice", EffectiveAt: time.Date(2022, 9, 26, 4, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Event.SchemaVersion != 2 {
		t.Errorf("new level event has schema version %d, want 2", res.Event.SchemaVersion)
	}

	// Both the live projector and a clean rebuild read one shape.
	rebuilt := projections.New(nil)
	stop, err := app.Store.Subscribe(ctx, 0, "", rebuilt.Apply)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := rebuilt.WaitFor(ctx, res.Event.StreamSequence); err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]*projections.Projector{"live": app.Read, "rebuilt": rebuilt} {
		history := read.Levels(code)
		if len(history) != 2 {
			t.Fatalf("%s: %d level entries, want 2", name, len(history))
		}
		for i, entry := range history {
			if entry.Scheme != domain.SchemeLevels {
				t.Errorf("%s entry %d: scheme %q, want %q", name, i, entry.Scheme, domain.SchemeLevels)
			}
		}
		if history[0].Level != 5 || history[1].Level != 3 {
			t.Errorf("%s: levels %d then %d, want 5 then 3", name, history[0].Level, history[1].Level)
		}
	}
}

// A log whose last message cannot be decoded must not keep the server from
// starting: the read model still reaches the stream's last sequence.
func TestStartPastUndecodableMessage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg := Config{DataDir: t.TempDir(), NATSListen: "127.0.0.1:-1", Replicas: 1, LogLevel: "warn", LogFormat: "text"}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := OpenApp(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(app.embedded.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	if _, err := js.Publish(ctx, eventstore.Subject(domain.KindPlan, "garbage"), []byte("not an event")); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	app.Close()

	app, err = OpenApp(ctx, cfg, quiet)
	if err != nil {
		t.Fatalf("restart over an undecodable last message: %v", err)
	}
	defer app.Close()
	if err := app.Ready(ctx); err != nil {
		t.Errorf("not ready after restart: %v", err)
	}
}
