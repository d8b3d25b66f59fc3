package projections_test

import (
	"testing"
	"time"

	"github.com/planledger/planledger/projections"
)

func TestPlanCurrentStateServesLatestRead(t *testing.T) {
	const n = 40 // fewer than a plan snapshot's worth of events
	events := longPlanEvents(t, n, 7)
	p := applyAll(t, events)
	last := events[n-1]
	later := last.RecordedAt.Add(365 * 24 * time.Hour)

	for _, basis := range []string{projections.BasisEffective, projections.BasisRecorded} {
		at := projections.AsOf{Instant: later, Basis: basis}
		if got := projections.PlanSnapshotStart(p, dipID, at, 0); got != n {
			t.Errorf("%s basis, a year after the last event: read starts from %d events, want the current state's %d", basis, got, n)
		}
		checkSameView(t, p, at, 0)
		checkSameView(t, p, at, n-1)
	}

	// Just before the last event the current state includes too much, so
	// the read folds the events again.
	before := projections.AsOf{Instant: last.RecordedAt.Add(-time.Nanosecond), Basis: projections.BasisRecorded}
	if got := projections.PlanSnapshotStart(p, dipID, before, 0); got != 0 {
		t.Errorf("read before the last event starts from %d events, want 0", got)
	}
	checkSameView(t, p, before, 0)
}
