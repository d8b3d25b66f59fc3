package projections_test

import (
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

// levelLog records a school's levels out of effective order: level 4 from
// 2023-09-15, then a backfilled level 2 from 2018-09-01 recorded in 2024,
// then level 1 from 2024-09-15.
func levelLog(t *testing.T) (*eventLog, []domain.Event) {
	l := newEventLog(t)
	l.org(schoolCode, domain.OrgSchool, "Example School")
	levelFour := l.level(schoolCode, 4, day(2023, time.September, 20), day(2023, time.September, 15))
	levelTwo := l.level(schoolCode, 2, day(2024, time.January, 10), day(2018, time.September, 1))
	levelOne := l.level(schoolCode, 1, day(2024, time.September, 16), day(2024, time.September, 15))
	return l, []domain.Event{levelFour, levelTwo, levelOne}
}

func TestLevelsOrderedByEffectiveDate(t *testing.T) {
	l, events := levelLog(t)
	levelFour, levelTwo, levelOne := events[0], events[1], events[2]

	entries := l.p.Levels(schoolCode)
	want := []struct {
		level int
		event domain.Event
	}{
		{2, levelTwo},
		{4, levelFour},
		{1, levelOne},
	}
	if len(entries) != len(want) {
		t.Fatalf("got %d entries, want %d", len(entries), len(want))
	}
	for i, w := range want {
		got := entries[i]
		if got.Level != w.level {
			t.Errorf("entry %d: got level %d, want %d", i, got.Level, w.level)
		}
		if got.Sequence != w.event.Sequence {
			t.Errorf("entry %d: got sequence %d, want %d", i, got.Sequence, w.event.Sequence)
		}
		if !got.EffectiveAt.Equal(w.event.EffectiveAt) {
			t.Errorf("entry %d: got effective at %s, want %s", i, got.EffectiveAt, w.event.EffectiveAt)
		}
		if !got.RecordedAt.Equal(w.event.RecordedAt) {
			t.Errorf("entry %d: got recorded at %s, want %s", i, got.RecordedAt, w.event.RecordedAt)
		}
		if got.Actor != w.event.Actor {
			t.Errorf("entry %d: got actor %q, want %q", i, got.Actor, w.event.Actor)
		}
		if got.OrgCode != schoolCode {
			t.Errorf("entry %d: got org code %q, want %q", i, got.OrgCode, schoolCode)
		}
	}
}

func TestLevelAtByInstantAndBasis(t *testing.T) {
	l, _ := levelLog(t)

	tests := []struct {
		name  string
		asOf  string
		basis string
		want  int // 0 means no level in force
	}{
		{"before any level", "2018-08-31", projections.BasisEffective, 0},
		{"backfilled level", "2020-01-01", projections.BasisEffective, 2},
		{"day before change", "2023-09-14", projections.BasisEffective, 2},
		{"day of change", "2023-09-15", projections.BasisEffective, 4},
		{"latest level", "2025-01-01", projections.BasisEffective, 1},
		{"backfill not yet recorded", "2020-01-01", projections.BasisRecorded, 0},
		{"first level recorded", "2023-12-31", projections.BasisRecorded, 4},
		{"after backfill recorded", "2024-02-01", projections.BasisRecorded, 4},
		{"effective but unrecorded", "2024-09-15", projections.BasisRecorded, 4},
		{"effective and recorded", "2024-09-16", projections.BasisRecorded, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := l.p.LevelAt(schoolCode, mustAsOf(t, tt.asOf, tt.basis))
			switch {
			case tt.want == 0 && got != nil:
				t.Errorf("got level %d, want none", got.Level)
			case tt.want != 0 && got == nil:
				t.Errorf("got no level, want %d", tt.want)
			case got != nil && got.Level != tt.want:
				t.Errorf("got level %d, want %d", got.Level, tt.want)
			}
		})
	}
}

func TestLevelAtExactEffectiveInstant(t *testing.T) {
	l, events := levelLog(t)
	levelFour := events[0]

	at := projections.AsOf{Instant: levelFour.EffectiveAt, Basis: projections.BasisEffective}
	got := l.p.LevelAt(schoolCode, at)
	if got == nil {
		t.Fatalf("got no level, want 4")
	}
	if got.Level != 4 {
		t.Errorf("got level %d, want 4", got.Level)
	}

	at.Instant = levelFour.EffectiveAt.Add(-time.Nanosecond)
	got = l.p.LevelAt(schoolCode, at)
	if got == nil {
		t.Fatalf("one nanosecond earlier: got no level, want 2")
	}
	if got.Level != 2 {
		t.Errorf("one nanosecond earlier: got level %d, want 2", got.Level)
	}
}

func TestLevelAtSameDateLaterRecordWins(t *testing.T) {
	l := newEventLog(t)
	effective := day(2023, time.September, 15)
	l.level(schoolCode, 4, day(2023, time.September, 20), effective)
	l.level(schoolCode, 3, day(2023, time.October, 1), effective)

	got := l.p.LevelAt(schoolCode, mustAsOf(t, "", ""))
	if got == nil {
		t.Fatalf("got no level, want 3")
	}
	if got.Level != 3 {
		t.Errorf("got level %d, want 3 (the correction recorded later)", got.Level)
	}

	got = l.p.LevelAt(schoolCode, mustAsOf(t, "2023-09-25", projections.BasisRecorded))
	if got == nil {
		t.Fatalf("recorded basis before the correction: got no level, want 4")
	}
	if got.Level != 4 {
		t.Errorf("recorded basis before the correction: got level %d, want 4", got.Level)
	}
}

func TestLevelsUnknownOrg(t *testing.T) {
	l, _ := levelLog(t)
	if got := l.p.Levels(districtCode); len(got) != 0 {
		t.Errorf("got %d entries, want none", len(got))
	}
	if got := l.p.LevelAt(districtCode, mustAsOf(t, "", "")); got != nil {
		t.Errorf("got level %d, want none", got.Level)
	}
}
