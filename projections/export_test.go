package projections

// FullFoldPlanAt is PlanAtVersion without plan snapshots: it folds every
// event from the plan's first, so tests can compare the two.
func FullFoldPlanAt(p *Projector, id string, at AsOf, version uint64) (PlanView, error) {
	return p.planAtVersion(id, at, version, false)
}

// PlanSnapshotEvery is the number of events between two plan snapshots.
const PlanSnapshotEvery = planSnapshotEvery

// PlanSnapshotStart returns how many events of the plan a read as of at,
// limited to version events, takes from a plan snapshot instead of folding
// them: 0 when it folds every event.
func PlanSnapshotStart(p *Projector, id string, at AsOf, version uint64) int {
	events, snapshots, _ := p.planHistory(id)
	if version == 0 {
		version = uint64(len(events))
	}
	if s := usablePlanSnapshot(snapshots, at, int(version)); s != nil {
		return s.count
	}
	return 0
}
