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

// A log written by older builds holds level events of schema versions 1
// and 2. Replaying a stream with every version gives readers one current
// shape, and a version 3 designation reaches live subscribers with its
// scheme.
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

	nc, err := nats.Connect(app.embedded.ClientURL(), app.embedded.Credentials().AdminOption())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	// Versions 1 and 2, as older builds stored them: version 1 has no
	// scheme in the payload, version 2 has scheme levels.
	older := []domain.Event{
		{ID: "0b8c2b0e-1d6a-4c8e-9f3a-5a1f7e2d9c01", Type: domain.TypeLevelChanged, SchemaVersion: 1,
			AggregateKind: domain.KindLevel, AggregateID: code, Sequence: 1,
			RecordedAt: time.Date(2011, 1, 2, 15, 0, 0, 0, time.UTC), EffectiveAt: time.Date(2010, 9, 30, 4, 0, 0, 0, time.UTC),
			Actor:   "older-build",
			Payload: json.RawMessage(`{"org_code":"01370025","level":4,"reason":"Underperforming","source":"2010 designation","date_precision":"year"}`)},
		{ID: "0b8c2b0e-1d6a-4c8e-9f3a-5a1f7e2d9c02", Type: domain.TypeLevelChanged, SchemaVersion: 2,
			AggregateKind: domain.KindLevel, AggregateID: code, Sequence: 2,
			RecordedAt: time.Date(2014, 1, 2, 15, 0, 0, 0, time.UTC), EffectiveAt: time.Date(2013, 10, 30, 4, 0, 0, 0, time.UTC),
			Actor:   "older-build",
			Payload: json.RawMessage(`{"org_code":"01370025","scheme":"levels","level":5,"reason":"Chronically underperforming","source":"2013 designation","date_precision":"day"}`)},
	}
	var last uint64
	for i, e := range older {
		data, _ := json.Marshal(e)
		ack, err := js.Publish(ctx, eventstore.Subject(domain.KindLevel, code), data,
			jetstream.WithExpectLastSequencePerSubject(last), jetstream.WithMsgID(e.ID))
		if err != nil {
			t.Fatalf("publish version %d: %v", i+1, err)
		}
		last = ack.Sequence
	}
	if err := app.Read.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}

	live, err := nc.SubscribeSync(eventstore.LiveSubject(domain.KindLevel, code))
	if err != nil {
		t.Fatal(err)
	}
	// The subscription must reach the server before the write, which goes
	// through planledger's own connection.
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// Version 3, written by this build: the 2022 removal of Morgan's status.
	res, err := svc.ChangeLevel(ctx, commands.Meta{Actor: "dese-staff"}, domain.ChangeLevel{OrgCode: code,
		Scheme: domain.SchemeAccountability, Designation: domain.DesignationStatusRemoved,
		Reason: "status removed 2022-09-26", Source: "2022 notice", EffectiveAt: time.Date(2022, 9, 26, 4, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Event.SchemaVersion != 3 {
		t.Errorf("new level event has schema version %d, want 3", res.Event.SchemaVersion)
	}
	msg, err := live.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("no message on the live level subject: %v", err)
	}
	var published domain.Event
	if err := json.Unmarshal(msg.Data, &published); err != nil {
		t.Fatal(err)
	}
	var payload map[string]any
	if err := json.Unmarshal(published.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	if payload["scheme"] != domain.SchemeAccountability || payload["designation"] != domain.DesignationStatusRemoved {
		t.Errorf("live payload = %v, want the accountability scheme and the status removal", payload)
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
	want := []struct {
		scheme string
		level  int
	}{{domain.SchemeLevels, 4}, {domain.SchemeLevels, 5}, {domain.SchemeAccountability, 0}}
	for name, read := range map[string]*projections.Projector{"live": app.Read, "rebuilt": rebuilt} {
		history := read.Levels(code)
		if len(history) != len(want) {
			t.Fatalf("%s: %d level entries, want %d", name, len(history), len(want))
		}
		for i, w := range want {
			if history[i].Scheme != w.scheme || history[i].Level != w.level {
				t.Errorf("%s entry %d: %s level %d, want %s level %d", name, i, history[i].Scheme, history[i].Level, w.scheme, w.level)
			}
		}
		at := projections.AsOf{Instant: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Basis: projections.BasisEffective}
		if s := read.StandingAt(code, at); s.Current != nil || s.Earlier == nil || s.Earlier.Level != 5 {
			t.Errorf("%s: standing in 2020 = %+v, want none under the 2018 system and Level 5 before it", name, s)
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
	nc, err := nats.Connect(app.embedded.ClientURL(), app.embedded.Credentials().AdminOption())
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
