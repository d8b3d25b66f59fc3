package eventstore_test

import (
	"testing"

	"github.com/planledger/planledger/domain"
)

// A kind registered with domain.RegisterKind is stored on its own subject
// like the built-in kinds.
func TestAppendAcceptsRegisteredKind(t *testing.T) {
	env := mustStartStore(t)
	ev, err := env.store.Append(testContext(t), appendRequest(domain.KindSurvey, "0190e0c0-0000-7000-8000-000000000001", 0, "x"))
	if err != nil {
		t.Fatalf("append a survey event: %v", err)
	}
	if ev.AggregateKind != domain.KindSurvey || ev.Sequence != 1 {
		t.Errorf("stored %s event at sequence %d, want a survey event at 1", ev.AggregateKind, ev.Sequence)
	}
}
