package domain_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

// chainEvent is a level change with every envelope field set.
func chainEvent() domain.Event {
	return domain.Event{
		ID:             "0191a2b3-c4d5-7e6f-8a9b-2c3d4e5f6a7b",
		Type:           domain.TypeLevelChanged,
		SchemaVersion:  1,
		AggregateKind:  domain.KindLevel,
		AggregateID:    "02040505",
		Sequence:       2,
		RecordedAt:     time.Date(2024, 5, 1, 14, 30, 0, 123456000, time.UTC),
		EffectiveAt:    time.Date(2017, 9, 30, 4, 0, 0, 0, time.UTC),
		Actor:          "nps-planning-office",
		CorrelationID:  "3f0c8b9e-2d41-4b7a-9c55-0e6f1a2b3c4d",
		PrevHash:       "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Hash:           "ignored",
		StreamSequence: 77,
		Payload:        json.RawMessage(`{ "org_code": "02040505", "level": 1, "reason": "a<b" }`),
	}
}

// The encoding is written out byte for byte, as an outside auditor would
// rebuild it, so any change to ChainHash's encoding fails here.
func TestChainHashEncoding(t *testing.T) {
	canonical := "planledger-chain-v1\n" +
		"id:36:0191a2b3-c4d5-7e6f-8a9b-2c3d4e5f6a7b\n" +
		"type:13:level.changed\n" +
		"schema_version:1:1\n" +
		"aggregate_kind:5:level\n" +
		"aggregate_id:8:02040505\n" +
		"sequence:1:2\n" +
		"recorded_at:27:2024-05-01T14:30:00.123456Z\n" +
		"effective_at:20:2017-09-30T04:00:00Z\n" +
		"actor:19:nps-planning-office\n" +
		"correlation_id:36:3f0c8b9e-2d41-4b7a-9c55-0e6f1a2b3c4d\n" +
		"causation_id:0:\n" +
		"prev_hash:64:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n" +
		`payload:48:{"org_code":"02040505","level":1,"reason":"a<b"}` + "\n"
	sum := sha256.Sum256([]byte(canonical))
	want := hex.EncodeToString(sum[:])

	got, err := domain.ChainHash(chainEvent())
	if err != nil {
		t.Fatalf("ChainHash: %v", err)
	}
	if got != want {
		t.Errorf("ChainHash = %s, want %s, the SHA-256 of the documented encoding", got, want)
	}
}

func TestChainHashCoversEveryField(t *testing.T) {
	base, err := domain.ChainHash(chainEvent())
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*domain.Event){
		"id":             func(e *domain.Event) { e.ID += "0" },
		"type":           func(e *domain.Event) { e.Type = domain.TypeOrgRegistered },
		"schema_version": func(e *domain.Event) { e.SchemaVersion = 2 },
		"aggregate_kind": func(e *domain.Event) { e.AggregateKind = domain.KindOrg },
		"aggregate_id":   func(e *domain.Event) { e.AggregateID = "02040506" },
		"sequence":       func(e *domain.Event) { e.Sequence = 3 },
		"recorded_at":    func(e *domain.Event) { e.RecordedAt = e.RecordedAt.Add(time.Microsecond) },
		"effective_at":   func(e *domain.Event) { e.EffectiveAt = e.EffectiveAt.Add(time.Nanosecond) },
		"actor":          func(e *domain.Event) { e.Actor = "someone-else" },
		"correlation_id": func(e *domain.Event) { e.CorrelationID = "" },
		"causation_id":   func(e *domain.Event) { e.CausationID = "cause" },
		"prev_hash":      func(e *domain.Event) { e.PrevHash = "" },
		"payload":        func(e *domain.Event) { e.Payload = json.RawMessage(`{"level":2}`) },
		// Without the lengths, moving a colon between two fields would
		// give the same bytes.
		"field boundary": func(e *domain.Event) { e.Actor, e.CorrelationID = e.Actor+"\ncorrelation_id:0:", "" },
	} {
		e := chainEvent()
		change(&e)
		got, err := domain.ChainHash(e)
		if err != nil {
			t.Errorf("%s: ChainHash: %v", name, err)
			continue
		}
		if got == base {
			t.Errorf("changing %s leaves the hash unchanged", name)
		}
	}
}

func TestChainHashIgnoresHashStreamSequenceAndZone(t *testing.T) {
	base, err := domain.ChainHash(chainEvent())
	if err != nil {
		t.Fatal(err)
	}
	e := chainEvent()
	e.Hash = base
	e.StreamSequence = 1
	eastern := time.FixedZone("EDT", -4*3600)
	e.RecordedAt = e.RecordedAt.In(eastern)
	e.EffectiveAt = e.EffectiveAt.In(eastern)
	e.Payload = json.RawMessage("{\"org_code\":\"02040505\",\n  \"level\":1,\"reason\":\"a<b\"}")
	got, err := domain.ChainHash(e)
	if err != nil {
		t.Fatal(err)
	}
	if got != base {
		t.Errorf("hash changed with Hash, StreamSequence, time zone or payload whitespace: %s, want %s", got, base)
	}
}

func TestChainHashAbsentPayloadIsNull(t *testing.T) {
	absent := chainEvent()
	absent.Payload = nil
	null := chainEvent()
	null.Payload = json.RawMessage("null")
	a, err := domain.ChainHash(absent)
	if err != nil {
		t.Fatal(err)
	}
	n, err := domain.ChainHash(null)
	if err != nil {
		t.Fatal(err)
	}
	if a != n {
		t.Errorf("absent payload hashes to %s, null payload to %s; want them equal", a, n)
	}
}

func TestChainHashInvalidPayload(t *testing.T) {
	e := chainEvent()
	e.Payload = json.RawMessage(`{"level":`)
	if h, err := domain.ChainHash(e); err == nil {
		t.Errorf("ChainHash of an invalid payload = %s, want an error", h)
	}
}

func TestChainHashCompactMatchesChainHash(t *testing.T) {
	for name, payload := range map[string]json.RawMessage{
		"object":             json.RawMessage(`{"org_code":"02040505","level":1,"reason":"a\u003cb"}`),
		"nested":             json.RawMessage(`{"goal":{"actions":[{"text":"call home"}],"measures":[]}}`),
		"null":               json.RawMessage("null"),
		"absent":             nil,
		"unicode":            json.RawMessage(`{"text":"José\n\u2028"}`),
		"spaces in a string": json.RawMessage(`{"text":"  two  spaces  "}`),
	} {
		e := chainEvent()
		e.Payload = payload
		want, err := domain.ChainHash(e)
		if err != nil {
			t.Fatalf("%s: ChainHash: %v", name, err)
		}
		if got := domain.ChainHashCompact(e); got != want {
			t.Errorf("%s: ChainHashCompact = %s, want ChainHash's %s", name, got, want)
		}
	}
}
