package projections_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

// longPlanStart is when the generated long plan is created and takes effect.
var longPlanStart = time.Date(2016, time.July, 1, 12, 0, 0, 0, time.UTC)

// longPlanStep is the time between two recorded events of the long plan.
const longPlanStep = time.Hour

// longPlanEvents generates a DIP with n events, recorded one longPlanStep
// apart. Most events take effect when recorded. About one in six is
// backdated by up to 90 days, some to before the plan was created. One in
// thirty takes effect up to 30 days after it is recorded, which makes the
// plan snapshots after it unusable for earlier instants.
func longPlanEvents(tb testing.TB, n int, seed uint64) []domain.Event {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	sections := domain.SectionsFor(domain.PlanDIP)
	var objectives []string
	nextObjective := 0
	events := make([]domain.Event, 0, n)
	for i := 1; i <= n; i++ {
		recorded := longPlanStart.Add(time.Duration(i-1) * longPlanStep)
		effective := recorded
		var typ string
		var payload any
		switch r := rng.IntN(100); {
		case i == 1:
			typ = domain.TypePlanCreated
			payload = createDIP(dipID, districtCode, "Long plan")
		case r < 40:
			typ = domain.TypeSectionRevised
			payload = domain.SectionRevised{Key: sections[rng.IntN(len(sections))].Key, Text: fmt.Sprintf("Revision %d of this section.", i)}
		case r < 50:
			typ = domain.TypePlanRetitled
			payload = domain.PlanRetitled{Title: fmt.Sprintf("Long plan, title %d", i)}
		case r < 70 && len(objectives) < 12 || len(objectives) == 0:
			nextObjective++
			id := fmt.Sprintf("0190e0c0-0000-7000-8000-%012d", nextObjective)
			objectives = append(objectives, id)
			typ = domain.TypeObjectiveAdded
			payload = domain.ObjectiveAdded{Objective: objective(id, fmt.Sprintf("Objective added by event %d", i))}
		case r < 90 || len(objectives) <= 2:
			typ = domain.TypeObjectiveRevised
			payload = domain.ObjectiveRevised{Objective: objective(objectives[rng.IntN(len(objectives))],
				fmt.Sprintf("Objective revised by event %d", i))}
		default:
			k := rng.IntN(len(objectives))
			typ = domain.TypeObjectiveRemoved
			payload = domain.ObjectiveRemoved{ObjectiveID: objectives[k]}
			objectives = append(objectives[:k], objectives[k+1:]...)
		}
		if i > 1 {
			switch r := rng.IntN(30); {
			case r < 5:
				effective = recorded.Add(-time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))
			case r == 5:
				effective = recorded.Add(time.Duration(rng.Int64N(int64(30 * 24 * time.Hour))))
			}
		}
		raw, err := json.Marshal(payload)
		if err != nil {
			tb.Fatalf("marshal %s payload: %v", typ, err)
		}
		events = append(events, domain.Event{
			ID: fmt.Sprintf("long-event-%d", i), Type: typ, SchemaVersion: domain.CurrentSchemaVersion,
			AggregateKind: domain.KindPlan, AggregateID: dipID, Sequence: uint64(i),
			RecordedAt: recorded, EffectiveAt: effective, Actor: "editor@example.org",
			Payload: raw, StreamSequence: uint64(i),
		})
	}
	return events
}

// applyAll applies events to a new projector and fails on the first error.
func applyAll(tb testing.TB, events []domain.Event) *projections.Projector {
	tb.Helper()
	p := projections.New(slog.New(slog.DiscardHandler))
	for _, e := range events {
		if err := p.Apply(e); err != nil {
			tb.Fatalf("apply event %d (%s): %v", e.StreamSequence, e.Type, err)
		}
	}
	return p
}

// BenchmarkPlanAsOf10k reads a 10,000-event plan as of the instant its
// 5,000th event was recorded, on both time bases, and as of a year after
// its last event.
func BenchmarkPlanAsOf10k(b *testing.B) {
	const n = 10_000
	p := applyAll(b, longPlanEvents(b, n, 1))
	mid := longPlanStart.Add((n/2 - 1) * longPlanStep)
	end := longPlanStart.Add(n*longPlanStep + 365*24*time.Hour)
	cases := []struct {
		name string
		at   projections.AsOf
	}{
		{"mid/effective", projections.AsOf{Instant: mid, Basis: projections.BasisEffective}},
		{"mid/recorded", projections.AsOf{Instant: mid, Basis: projections.BasisRecorded}},
		{"end/effective", projections.AsOf{Instant: end, Basis: projections.BasisEffective}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			at := c.at
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.PlanAt(dipID, at); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// checkSameView fails the test unless the snapshot-assisted read and the
// full fold return the same view or the same error.
func checkSameView(t *testing.T, p *projections.Projector, at projections.AsOf, version uint64) {
	t.Helper()
	got, gotErr := p.PlanAtVersion(dipID, at, version)
	want, wantErr := projections.FullFoldPlanAt(p, dipID, at, version)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("as of %s (%s), version %d: got error %v, full fold got %v",
			at.Instant.Format(time.RFC3339Nano), at.Basis, version, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want)
		t.Fatalf("as of %s (%s), version %d: views differ\ngot  %s\nwant %s",
			at.Instant.Format(time.RFC3339Nano), at.Basis, version, gotJSON, wantJSON)
	}
}

// readInstants returns random instants from well before the plan's creation
// to after its last event, plus each event time next to a snapshot
// boundary and one nanosecond either side of it.
func readInstants(events []domain.Event, rng *rand.Rand, random int) []time.Time {
	from := longPlanStart.Add(-120 * 24 * time.Hour)
	span := events[len(events)-1].RecordedAt.Add(60 * 24 * time.Hour).Sub(from)
	var out []time.Time
	for range random {
		out = append(out, from.Add(time.Duration(rng.Int64N(int64(span)))))
	}
	for i := projections.PlanSnapshotEvery; i <= len(events); i += projections.PlanSnapshotEvery {
		for _, e := range events[i-2 : min(i+1, len(events))] {
			for _, t := range []time.Time{e.EffectiveAt, e.RecordedAt} {
				out = append(out, t.Add(-time.Nanosecond), t, t.Add(time.Nanosecond))
			}
		}
	}
	return out
}

func TestPlanSnapshotReadsMatchFullFold(t *testing.T) {
	const n = 5*projections.PlanSnapshotEvery + 100
	events := longPlanEvents(t, n, 2)
	p := applyAll(t, events)
	rng := rand.New(rand.NewPCG(3, 4))

	versions := []uint64{0, n}
	for i := projections.PlanSnapshotEvery; i <= n; i += projections.PlanSnapshotEvery {
		versions = append(versions, uint64(i-1), uint64(i), uint64(i+1))
	}
	used := 0
	for _, instant := range readInstants(events, rng, 150) {
		for _, basis := range []string{projections.BasisEffective, projections.BasisRecorded} {
			at := projections.AsOf{Instant: instant, Basis: basis}
			version := versions[rng.IntN(len(versions))]
			if rng.IntN(4) == 0 {
				version = uint64(1 + rng.IntN(n))
			}
			if projections.PlanSnapshotStart(p, dipID, at, version) > 0 {
				used++
			}
			checkSameView(t, p, at, version)
		}
	}
	if used < 100 {
		t.Errorf("%d reads started from a plan snapshot, want at least 100 so the comparison covers them", used)
	}
}

func TestPlanSnapshotAfterFailedEvent(t *testing.T) {
	const n, bad = 3 * projections.PlanSnapshotEvery, projections.PlanSnapshotEvery + 10
	events := longPlanEvents(t, n, 5)
	events[bad-1].Type = "plan.unknown_change"
	p := projections.New(slog.New(slog.DiscardHandler))
	for _, e := range events {
		err := p.Apply(e)
		if (err != nil) != (e.Sequence == bad) {
			t.Fatalf("apply event %d: got error %v, want one only for event %d", e.Sequence, err, bad)
		}
	}

	before := projections.AsOf{Instant: events[bad-2].RecordedAt, Basis: projections.BasisRecorded}
	if got := projections.PlanSnapshotStart(p, dipID, before, 0); got != projections.PlanSnapshotEvery {
		t.Errorf("read before the failed event starts from %d events, want %d", got, projections.PlanSnapshotEvery)
	}
	checkSameView(t, p, before, 0)
	after := projections.AsOf{Instant: events[n-1].RecordedAt, Basis: projections.BasisRecorded}
	if got := projections.PlanSnapshotStart(p, dipID, after, 0); got != projections.PlanSnapshotEvery {
		t.Errorf("read after the failed event starts from %d events, want %d", got, projections.PlanSnapshotEvery)
	}
	if _, err := p.PlanAt(dipID, after); err == nil {
		t.Errorf("read including the failed event: got no error, want one")
	}
	checkSameView(t, p, after, 0)
}

func TestPlanSnapshotUsedMidHistory(t *testing.T) {
	const n = 10_000
	p := applyAll(t, longPlanEvents(t, n, 1))
	mid := longPlanStart.Add((n/2 - 1) * longPlanStep)
	// Forward-dated events take effect up to 30 days (720 events) after they
	// are recorded, which can rule out the snapshots just before the instant.
	for _, basis := range []string{projections.BasisEffective, projections.BasisRecorded} {
		at := projections.AsOf{Instant: mid, Basis: basis}
		if got := projections.PlanSnapshotStart(p, dipID, at, 0); got < n/2-4*projections.PlanSnapshotEvery {
			t.Errorf("%s basis: read starts from %d events, want at least %d", basis, got, n/2-4*projections.PlanSnapshotEvery)
		}
		checkSameView(t, p, at, 0)
	}
}
