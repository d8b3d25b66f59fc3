package eventstore

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/internal/plainjson"
)

// encodeEnvelope returns json.Marshal(event) byte for byte, for an event
// whose payload came from encodePayload. json.Marshal would compact the
// json.RawMessage payload again, a second pass over the largest field, so
// the common case is written here: every string plain printable ASCII and
// both times UTC in years 0 to 9999. Any other event goes to json.Marshal.
func encodeEnvelope(event domain.Event) ([]byte, error) {
	if !envelopeIsPlain(event) {
		return json.Marshal(event)
	}
	// The fields other than the payload take about 550 bytes when both
	// hashes and a correlation id are set.
	b := make([]byte, 0, 576+len(event.Payload))
	b = append(b, `{"id":"`...)
	b = append(b, event.ID...)
	b = append(b, `","type":"`...)
	b = append(b, event.Type...)
	b = append(b, `","schema_version":`...)
	b = strconv.AppendInt(b, int64(event.SchemaVersion), 10)
	b = append(b, `,"aggregate_kind":"`...)
	b = append(b, event.AggregateKind...)
	b = append(b, `","aggregate_id":"`...)
	b = append(b, event.AggregateID...)
	b = append(b, `","sequence":`...)
	b = strconv.AppendUint(b, event.Sequence, 10)

	b = append(b, `,"recorded_at":"`...)
	b = event.RecordedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","effective_at":"`...)
	b = event.EffectiveAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","actor":"`...)
	b = append(b, event.Actor...)
	b = append(b, '"')

	b = appendOptional(b, "correlation_id", event.CorrelationID)
	b = appendOptional(b, "causation_id", event.CausationID)
	b = appendOptional(b, "prev_hash", event.PrevHash)
	b = appendOptional(b, "hash", event.Hash)

	b = append(b, `,"payload":`...)
	b = append(b, event.Payload...)
	if event.StreamSequence != 0 {
		b = append(b, `,"stream_sequence":`...)
		b = strconv.AppendUint(b, event.StreamSequence, 10)
	}
	return append(b, '}'), nil
}

// appendOptional appends a string field tagged omitempty.
func appendOptional(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, name...)
	b = append(b, `":"`...)
	b = append(b, value...)
	return append(b, '"')
}

// envelopeIsPlain reports whether encodeEnvelope can write event itself:
// json.Marshal would write each string as it is, each time as
// time.RFC3339Nano, and the payload unchanged.
func envelopeIsPlain(event domain.Event) bool {
	for _, s := range []string{event.ID, event.Type, event.AggregateKind, event.AggregateID, event.Actor,
		event.CorrelationID, event.CausationID, event.PrevHash, event.Hash} {
		if !isPlainJSONString(s) {
			return false
		}
	}
	return len(event.Payload) > 0 && isPlainTime(event.RecordedAt) && isPlainTime(event.EffectiveAt)
}

// isPlainJSONString reports whether json.Marshal writes s between quotes
// without escaping anything: printable ASCII other than ", \ and the <, >
// and & that it escapes for HTML.
func isPlainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e:
			return false
		case c == '"' || c == '\\' || c == '<' || c == '>' || c == '&':
			return false
		}
	}
	return true
}

// isPlainTime reports whether time.Time's MarshalJSON writes t as
// time.RFC3339Nano with a Z: a UTC time in a year it accepts.
func isPlainTime(t time.Time) bool {
	return t.Location() == time.UTC && t.Year() >= 0 && t.Year() <= 9999
}

// decodePlainEnvelope decodes the layout that encodeEnvelope writes, with
// every string plain printable ASCII and no whitespace around the payload,
// without json.Unmarshal's reflection and its validation pass over the
// whole envelope. Only the payload is validated. ok is false for any other
// input, and decodeEnvelope then uses json.Unmarshal, so the result equals
// json.Unmarshal's either way.
func decodePlainEnvelope(data []byte) (event domain.Event, ok bool) {
	r := plainjson.NewReader(data)
	r.Expect(`{"id":`)
	event.ID = r.Text()
	r.Expect(`,"type":`)
	event.Type = knownName(r.Quoted())
	r.Expect(`,"schema_version":`)
	event.SchemaVersion = r.Int()
	r.Expect(`,"aggregate_kind":`)
	event.AggregateKind = knownName(r.Quoted())
	r.Expect(`,"aggregate_id":`)
	event.AggregateID = r.Text()
	r.Expect(`,"sequence":`)
	event.Sequence = r.Uint()
	r.Expect(`,"recorded_at":`)
	event.RecordedAt = r.Time()
	r.Expect(`,"effective_at":`)
	event.EffectiveAt = r.Time()
	r.Expect(`,"actor":`)
	event.Actor = r.Text()

	if r.Skip(`,"correlation_id":`) {
		event.CorrelationID = r.Text()
	}
	if r.Skip(`,"causation_id":`) {
		event.CausationID = r.Text()
	}
	if r.Skip(`,"prev_hash":`) {
		event.PrevHash = r.Text()
	}
	if r.Skip(`,"hash":`) {
		event.Hash = r.Text()
	}

	r.Expect(`,"payload":`)
	rest := r.Rest()
	if !r.OK() || len(rest) < 2 || rest[len(rest)-1] != '}' {
		return domain.Event{}, false
	}
	payload := rest[:len(rest)-1]
	// json.Unmarshal would drop whitespace around the payload and reject
	// an invalid one, so both go to it.
	if isJSONSpace(payload[0]) || isJSONSpace(payload[len(payload)-1]) || !json.Valid(payload) {
		return domain.Event{}, false
	}
	// A copy keeps the message buffer, with its headers and envelope, from
	// staying in memory as long as the event does.
	event.Payload = append(json.RawMessage(nil), payload...)
	return event, true
}

// knownName returns an event type or aggregate kind as a string. These
// repeat on every event, so the known ones share one string instead of
// allocating their own.
func knownName(b []byte) string {
	if known, ok := knownNames[string(b)]; ok {
		return known
	}
	return string(b)
}

func isJSONSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// knownNames maps each event type and aggregate kind to itself.
var knownNames = func() map[string]string {
	names := map[string]string{}
	for _, name := range []string{
		domain.KindOrg, domain.KindLevel, domain.KindPlan,
		domain.TypeOrgRegistered, domain.TypeLevelChanged, domain.TypePlanCreated, domain.TypePlanRetitled,
		domain.TypeSectionRevised, domain.TypeObjectiveAdded, domain.TypeObjectiveRevised,
		domain.TypeObjectiveRemoved, domain.TypeGoalAdopted, domain.TypeGoalRevised, domain.TypeGoalWithdrawn,
	} {
		names[name] = name
	}
	return names
}()
