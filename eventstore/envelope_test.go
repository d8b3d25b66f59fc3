package eventstore

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

// TestEncodeEnvelopeMatchesMarshal checks encodeEnvelope against
// json.Marshal on events it writes itself and on events it hands over.
func TestEncodeEnvelopeMatchesMarshal(t *testing.T) {
	recorded := time.Date(2026, 3, 1, 14, 30, 5, 123456000, time.UTC)
	payload, err := encodePayload(domain.SectionRevised{Key: "needs_assessment", Text: "Grades <9> & \"10\"\n\u2028é"})
	if err != nil {
		t.Fatalf("encodePayload: %v", err)
	}
	plain := domain.Event{
		ID: "0190e0c0-0000-7000-8000-000000000001", Type: domain.TypeSectionRevised, SchemaVersion: 1,
		AggregateKind: domain.KindPlan, AggregateID: "0190e0c0-0000-7000-8000-00000000a50f", Sequence: 12,
		RecordedAt: recorded, EffectiveAt: recorded.Add(-time.Hour), Actor: "principal@newburyport",
		Payload: payload,
	}
	cases := map[string]func(e *domain.Event){
		"required fields only": func(*domain.Event) {},
		"every field": func(e *domain.Event) {
			e.CorrelationID, e.CausationID = "corr-1", "cause-1"
			e.PrevHash, e.Hash, e.StreamSequence = "ab12", "cd34", 99
		},
		"whole second":                  func(e *domain.Event) { e.RecordedAt = recorded.Truncate(time.Second) },
		"zero effective time":           func(e *domain.Event) { e.EffectiveAt = time.Time{} },
		"actor with html":               func(e *domain.Event) { e.Actor = "a<b>&c" },
		"actor with quote":              func(e *domain.Event) { e.Actor = `say "hi"` },
		"actor with backslash":          func(e *domain.Event) { e.Actor = `dom\user` },
		"actor with newline":            func(e *domain.Event) { e.Actor = "two\nlines" },
		"actor with non-ASCII":          func(e *domain.Event) { e.Actor = "José" },
		"actor with invalid UTF-8":      func(e *domain.Event) { e.Actor = "bad\xffbyte" },
		"actor with U+2028":             func(e *domain.Event) { e.Actor = "line\u2028sep" },
		"id with DEL":                   func(e *domain.Event) { e.ID = "id\x7f" },
		"time in another zone":          func(e *domain.Event) { e.EffectiveAt = recorded.In(time.FixedZone("EST", -5*3600)) },
		"negative schema version":       func(e *domain.Event) { e.SchemaVersion = -1 },
		"payload null":                  func(e *domain.Event) { e.Payload = json.RawMessage("null") },
		"payload nil":                   func(e *domain.Event) { e.Payload = nil },
		"causation without correlation": func(e *domain.Event) { e.CausationID = "cause-only" },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			event := plain
			change(&event)
			want, err := json.Marshal(event)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			got, err := encodeEnvelope(event)
			if err != nil {
				t.Fatalf("encodeEnvelope: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encodeEnvelope differs from json.Marshal:\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestEncodeEnvelopeYearOutOfRange checks that a time json.Marshal rejects
// is rejected here too rather than written.
func TestEncodeEnvelopeYearOutOfRange(t *testing.T) {
	event := domain.Event{ID: "x", Type: domain.TypeSectionRevised, AggregateKind: domain.KindPlan, AggregateID: "p",
		Sequence: 1, RecordedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Payload: json.RawMessage("{}")}
	if _, err := encodeEnvelope(event); err == nil {
		t.Errorf("encodeEnvelope of year 10000 succeeded, want json.Marshal's error")
	}
}
