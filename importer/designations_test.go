package importer_test

import (
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

// Holyoke's district history runs from Level 4 (2013) through Level 5 and
// receivership (2015) into the 2018 system's broad/comprehensive support.
func TestRunBundledHolyokeSpansSchemes(t *testing.T) {
	store := newMemStore()
	runBundled(t, store)

	history := store.state.Levels("01370000")
	want := []struct {
		scheme      string
		level       int
		designation string
		year        int
	}{
		{domain.SchemeLevels, 4, "", 2013},
		{domain.SchemeLevels, 5, "", 2015},
		{domain.SchemeLevels, 5, "", 2017},
		{domain.SchemeAccountability, 0, domain.DesignationBroad, 2018},
	}
	if len(history) != len(want) {
		t.Fatalf("Holyoke history has %d entries %+v, want %d", len(history), history, len(want))
	}
	for i, w := range want {
		got := history[i]
		if got.Scheme != w.scheme || got.Level != w.level || got.Designation != w.designation ||
			!got.EffectiveAt.Equal(massDate(w.year, time.September, 30)) {
			t.Errorf("entry %d = %+v, want %s %d %s from %d-09-30", i, got.LevelChanged, w.scheme, w.level, w.designation, w.year)
		}
	}
	last := history[len(history)-1]
	if last.TargetProgress != "partially_meeting_targets" || last.TargetPercent == nil || *last.TargetPercent != 58 || last.Percentile != 0 {
		t.Errorf("Holyoke 2018 = %+v, want partially meeting targets (58%%) and no percentile", last.LevelChanged)
	}

	high := store.state.Levels("01370505")
	if n := len(high); n == 0 || high[n-1].Designation != domain.DesignationFocused || high[n-1].Percentile != 3 {
		t.Errorf("Holyoke High history = %+v, want a 2025 focused/targeted designation at percentile 3 last", high)
	}
}
