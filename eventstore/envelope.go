package eventstore

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/planledger/planledger/domain"
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
	r := envelopeReader{data: data, ok: true}
	r.expect(`{"id":`)
	event.ID = r.text()
	r.expect(`,"type":`)
	event.Type = r.name()
	r.expect(`,"schema_version":`)
	event.SchemaVersion = r.integer()
	r.expect(`,"aggregate_kind":`)
	event.AggregateKind = r.name()
	r.expect(`,"aggregate_id":`)
	event.AggregateID = r.text()
	r.expect(`,"sequence":`)
	event.Sequence = r.unsigned()
	r.expect(`,"recorded_at":`)
	event.RecordedAt = r.instant()
	r.expect(`,"effective_at":`)
	event.EffectiveAt = r.instant()
	r.expect(`,"actor":`)
	event.Actor = r.text()

	if r.skip(`,"correlation_id":`) {
		event.CorrelationID = r.text()
	}
	if r.skip(`,"causation_id":`) {
		event.CausationID = r.text()
	}
	if r.skip(`,"prev_hash":`) {
		event.PrevHash = r.text()
	}
	if r.skip(`,"hash":`) {
		event.Hash = r.text()
	}

	r.expect(`,"payload":`)
	if !r.ok || len(data) < r.pos+2 || data[len(data)-1] != '}' {
		return domain.Event{}, false
	}
	payload := data[r.pos : len(data)-1]
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

// envelopeReader reads the fields of an envelope in order. After the first
// mismatch ok is false and every later read returns a zero value.
type envelopeReader struct {
	data []byte
	pos  int
	ok   bool
}

// expect consumes literal, or clears ok.
func (r *envelopeReader) expect(literal string) {
	if !r.skip(literal) {
		r.ok = false
	}
}

// skip consumes literal and reports whether it was there.
func (r *envelopeReader) skip(literal string) bool {
	if !r.ok || len(r.data)-r.pos < len(literal) || string(r.data[r.pos:r.pos+len(literal)]) != literal {
		return false
	}
	r.pos += len(literal)
	return true
}

// quoted returns the bytes of a string of printable ASCII without
// backslashes, which json.Unmarshal keeps as they are. Any other string
// clears ok.
func (r *envelopeReader) quoted() []byte {
	if !r.ok || r.pos >= len(r.data) || r.data[r.pos] != '"' {
		r.ok = false
		return nil
	}
	start := r.pos + 1
	for i := start; i < len(r.data); i++ {
		switch c := r.data[i]; {
		case c == '"':
			r.pos = i + 1
			return r.data[start:i]
		case c < 0x20 || c > 0x7e || c == '\\':
			r.ok = false
			return nil
		}
	}
	r.ok = false
	return nil
}

func (r *envelopeReader) text() string {
	return string(r.quoted())
}

// name reads an event type or aggregate kind, which repeat on every event,
// so the known ones share one string instead of allocating their own.
func (r *envelopeReader) name() string {
	b := r.quoted()
	if known, ok := knownNames[string(b)]; ok {
		return known
	}
	return string(b)
}

// digits returns the digits of a JSON number without sign, fraction or
// exponent, rejecting leading zeros as JSON does.
func (r *envelopeReader) digits() []byte {
	if !r.ok {
		return nil
	}
	start := r.pos
	for r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
		r.pos++
	}
	b := r.data[start:r.pos]
	// More than 18 digits could overflow, so json.Unmarshal decides those.
	if len(b) == 0 || len(b) > 18 || (len(b) > 1 && b[0] == '0') {
		r.ok = false
		return nil
	}
	return b
}

func (r *envelopeReader) unsigned() uint64 {
	var n uint64
	for _, c := range r.digits() {
		n = n*10 + uint64(c-'0')
	}
	return n
}

func (r *envelopeReader) integer() int {
	negative := r.ok && r.pos < len(r.data) && r.data[r.pos] == '-'
	if negative {
		r.pos++
	}
	n := int(r.unsigned())
	if negative {
		return -n
	}
	return n
}

// instant reads a time through time.Time's UnmarshalJSON, as json.Unmarshal
// does.
func (r *envelopeReader) instant() time.Time {
	start := r.pos
	if r.quoted(); !r.ok {
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalJSON(r.data[start:r.pos]); err != nil {
		r.ok = false
		return time.Time{}
	}
	return t
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
