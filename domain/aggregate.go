package domain

import (
	"fmt"
	"sort"
	"sync"
)

// State is the folded state of an aggregate kind other than orgs, levels
// and plans, which the projections keep in their own shapes. Apply must be
// deterministic, like Plan.Apply, because current and as-of reads fold the
// same events with it.
type State interface {
	Apply(e Event) error
}

var (
	kindsMu sync.RWMutex
	kinds   = map[string]func() State{}
)

// RegisterKind makes an aggregate kind known to the projections and the
// command service. Each kind's file registers itself from init, so adding a
// kind touches no shared switch. Registering a kind twice panics, because
// two folds for one kind would be a wiring mistake.
func RegisterKind(kind string, newState func() State) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if _, dup := kinds[kind]; dup {
		panic(fmt.Sprintf("domain.RegisterKind: kind %q registered twice", kind))
	}
	kinds[kind] = newState
}

// NewState returns an empty state of a registered kind.
func NewState(kind string) (State, bool) {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	newState, ok := kinds[kind]
	if !ok {
		return nil, false
	}
	return newState(), true
}

// RegisteredKinds lists the registered kinds in name order.
func RegisteredKinds() []string {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// planApplier folds one event type into a plan.
type planApplier func(p *Plan, e Event) error

var planEvents = map[string]planApplier{}

// registerPlanEvent adds a plan event type whose fold lives outside
// plan.go, such as the workflow and progress events. It is called from init
// only, so the map needs no lock.
func registerPlanEvent(eventType string, apply planApplier) {
	if _, dup := planEvents[eventType]; dup {
		panic(fmt.Sprintf("domain: plan event %q registered twice", eventType))
	}
	planEvents[eventType] = apply
}

// decodeInto returns a planApplier that decodes the payload into a fresh T
// and hands it to apply, which most plan events need.
func decodeInto[T any](apply func(p *Plan, payload T, e Event) error) planApplier {
	return func(p *Plan, e Event) error {
		var payload T
		if err := e.Decode(&payload); err != nil {
			return err
		}
		return apply(p, payload, e)
	}
}

var backdatedKinds = map[string]bool{}

// AllowBackdatedChanges lets a kind's changes take effect before its latest
// event, though never before its first. commands.Execute otherwise keeps the
// events of an aggregate non-decreasing in effective time. Call it from init.
func AllowBackdatedChanges(kind string) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	backdatedKinds[kind] = true
}

// BackdatedChangesAllowed reports whether AllowBackdatedChanges was called
// for kind.
func BackdatedChangesAllowed(kind string) bool {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	return backdatedKinds[kind]
}
