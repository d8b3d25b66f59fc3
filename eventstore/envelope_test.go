package eventstore

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
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

// envelopeSamples returns stored envelopes of several layouts, with a name
// for each and whether decodePlainEnvelope should decode it itself.
func envelopeSamples(t testing.TB) []envelopeSample {
	recorded := time.Date(2026, 3, 1, 14, 30, 5, 123456000, time.UTC)
	event := domain.Event{
		ID: "0190e0c0-0000-7000-8000-000000000001", Type: domain.TypeLevelChanged, SchemaVersion: 1,
		AggregateKind: domain.KindLevel, AggregateID: "02040505", Sequence: 3,
		RecordedAt: recorded, EffectiveAt: recorded.Add(-48 * time.Hour), Actor: "importer:levels.csv",
		CorrelationID: "corr-1", PrevHash: "ab12", Hash: "cd34",
		Payload: json.RawMessage(`{"org_code":"02040505","level":3,"reason":"a \u003c b","nested":[1,{"x":null}]}`),
	}
	plain, err := encodeEnvelope(event)
	if err != nil {
		t.Fatalf("encodeEnvelope: %v", err)
	}
	minimal := event
	minimal.CorrelationID, minimal.PrevHash, minimal.Hash = "", "", ""
	minimalData, err := encodeEnvelope(minimal)
	if err != nil {
		t.Fatalf("encodeEnvelope: %v", err)
	}
	replace := func(old, new string) []byte {
		if !bytes.Contains(plain, []byte(old)) {
			t.Fatalf("the plain envelope has no %s to replace: %s", old, plain)
		}
		return []byte(strings.Replace(string(plain), old, new, 1))
	}
	return []envelopeSample{
		{"plain", plain, true},
		{"without optional fields", minimalData, true},
		{"causation id", replace(`"prev_hash"`, `"causation_id":"cause-1","prev_hash"`), true},
		{"payload null", replace(string(event.Payload), "null"), true},
		{"payload string", replace(string(event.Payload), `"text"`), true},
		{"negative schema version", replace(`"schema_version":1`, `"schema_version":-2`), true},
		{"unknown type", replace(`"level.changed"`, `"level.retracted"`), true},
		{"time with offset", replace(`"effective_at":"2026-02-27T14:30:05.123456Z"`, `"effective_at":"2026-02-27T09:30:05-05:00"`), true},
		{"whitespace after colon", replace(`"actor":"`, `"actor": "`), false},
		{"space before payload", replace(`"payload":{`, `"payload": {`), false},
		{"space after payload", replace(`]}}`, `]} }`), false},
		{"escaped actor", replace(`"importer:levels.csv"`, `"importer:levels\u002ecsv"`), false},
		{"non-ASCII actor", replace(`"importer:levels.csv"`, `"José"`), false},
		{"fields reordered", replace(`{"id":"0190e0c0-0000-7000-8000-000000000001","type":"level.changed"`,
			`{"type":"level.changed","id":"0190e0c0-0000-7000-8000-000000000001"`), false},
		{"unknown field", replace(`"payload":`, `"extra":1,"payload":`), false},
		{"stream sequence", replace(`]}}`, `]}},"stream_sequence":9}`), false},
		{"leading zero", replace(`"sequence":3`, `"sequence":03`), false},
		{"fractional sequence", replace(`"sequence":3`, `"sequence":3.0`), false},
		{"huge sequence", replace(`"sequence":3`, `"sequence":123456789012345678901`), false},
		{"sequence of 19 digits", replace(`"sequence":3`, `"sequence":1234567890123456789`), false},
		{"invalid payload", replace(`[1,{"x":null}]`, `[1,{"x":nul}]`), false},
		{"truncated", plain[:len(plain)-1], false},
		{"trailing brace", append(append([]byte(nil), plain...), '}'), false},
		{"null id", replace(`"id":"0190e0c0-0000-7000-8000-000000000001"`, `"id":null`), false},
		{"invalid time", replace(`"2026-03-01T14:30:05.123456Z"`, `"2026-03-01 14:30"`), false},
		{"not an object", []byte(`[1,2]`), false},
		{"empty", nil, false},
	}
}

type envelopeSample struct {
	name  string
	data  []byte
	plain bool
}

// TestDecodeEnvelopeMatchesUnmarshal checks decodeEnvelope against
// json.Unmarshal, and that the plain layouts take the fast path.
func TestDecodeEnvelopeMatchesUnmarshal(t *testing.T) {
	for _, sample := range envelopeSamples(t) {
		t.Run(sample.name, func(t *testing.T) {
			_, fast := decodePlainEnvelope(sample.data)
			if fast != sample.plain {
				t.Errorf("decodePlainEnvelope ok = %t, want %t", fast, sample.plain)
			}
			assertDecodesAsUnmarshal(t, sample.data)
		})
	}
}

// FuzzDecodeEnvelope checks decodeEnvelope against json.Unmarshal on
// changed envelopes.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, sample := range envelopeSamples(f) {
		f.Add(sample.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		assertDecodesAsUnmarshal(t, data)
	})
}

// assertDecodesAsUnmarshal checks that decodeEnvelope returns the event
// json.Unmarshal returns, or an error when json.Unmarshal fails.
func assertDecodesAsUnmarshal(t *testing.T, data []byte) {
	t.Helper()
	var want domain.Event
	wantErr := json.Unmarshal(data, &want)
	got, fast := decodePlainEnvelope(data)
	if fast && wantErr != nil {
		t.Fatalf("decodePlainEnvelope accepted %q, which json.Unmarshal rejects: %v", data, wantErr)
	}
	if fast && !reflect.DeepEqual(got, want) {
		t.Fatalf("decodePlainEnvelope(%q):\n got %+v\nwant %+v", data, got, want)
	}
	if wantErr != nil || want.ID == "" || want.Sequence == 0 {
		return
	}
	decoded, err := decodeEnvelope(data, 7, "planledger.level.02040505")
	if err != nil {
		t.Fatalf("decodeEnvelope(%q): %v", data, err)
	}
	want.StreamSequence = 7
	if !reflect.DeepEqual(decoded, want) {
		t.Fatalf("decodeEnvelope(%q):\n got %+v\nwant %+v", data, decoded, want)
	}
}

func TestIsSubjectOf(t *testing.T) {
	for _, c := range []struct{ subject, kind, id string }{
		{"planledger.plan.p1", "plan", "p1"},
		{"planledger.plan.p1", "plan", "p2"},
		{"planledger.plan.p1", "org", "p1"},
		{"planledger.plan.p1", "pla", "n.p1"},
		{"planledger.plan.p1.x", "plan", "p1"},
		{"planledger.planp1", "plan", "p1"},
		{"live.planledger.plan.p1", "plan", "p1"},
		{"planledger..p1", "", "p1"},
		{"planledger.plan.", "plan", ""},
		{"planledger.plan", "plan", ""},
	} {
		want := c.subject == Subject(c.kind, c.id)
		if got := isSubjectOf(c.subject, c.kind, c.id); got != want {
			t.Errorf("isSubjectOf(%q, %q, %q) = %t, want %t", c.subject, c.kind, c.id, got, want)
		}
	}
}
