package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// chainEncodingVersion is the first line of every chain hash input, so a
// later change of the encoding cannot be mistaken for this one.
const chainEncodingVersion = "planledger-chain-v1"

// ChainHash returns the lowercase hex SHA-256 of the event's canonical
// encoding. Each aggregate's events form a hash chain: an event's PrevHash
// is the Hash of the aggregate's previous event ("" for the first), and its
// Hash is ChainHash of the event with PrevHash set.
//
// The canonical encoding is the line "planledger-chain-v1\n" followed by
// one line per field, in this order:
//
//	id, type, schema_version, aggregate_kind, aggregate_id, sequence,
//	recorded_at, effective_at, actor, correlation_id, causation_id,
//	prev_hash, payload
//
// Each field's line is "<name>:<length>:<value>\n", where <length> is the
// value's length in bytes, written in decimal. The length makes the
// encoding unambiguous even when a value contains a colon or a newline.
// The values are:
//   - integers (schema_version, sequence) in decimal without sign or
//     leading zeros;
//   - recorded_at and effective_at converted to UTC and written as RFC 3339
//     with the fraction of a second and no trailing zeros in it (Go's
//     time.RFC3339Nano), as in "2024-05-01T14:30:00.1234Z" or
//     "2017-09-30T04:00:00Z";
//   - strings as their UTF-8 bytes, with empty optional ones as length 0;
//   - payload as its JSON text with the whitespace between tokens removed
//     (Go's json.Compact). Keys keep their order and string escapes are not
//     changed, so it is the payload text as stored. An absent payload is
//     "null".
//
// Hash and StreamSequence are not part of the encoding. ChainHash returns
// an error only when the payload is not valid JSON.
func ChainHash(e Event) (string, error) {
	raw := []byte(e.Payload)
	if len(raw) == 0 {
		raw = []byte("null")
	}
	payload := bytes.NewBuffer(make([]byte, 0, len(raw)))
	if err := json.Compact(payload, raw); err != nil {
		return "", Errorf(EInternal, "payload", "hash %s event %s: payload is not valid JSON: %v", e.Type, e.ID, err)
	}
	return chainHash(e, payload.Bytes()), nil
}

// ChainHashCompact is ChainHash for an event whose payload is valid JSON
// without whitespace between tokens, as json.Marshal writes it. It returns
// the same hash as ChainHash for such an event but skips the json.Compact
// pass, and it does not check the payload.
func ChainHashCompact(e Event) string {
	payload := []byte(e.Payload)
	if len(payload) == 0 {
		payload = []byte("null")
	}
	return chainHash(e, payload)
}

// chainHash hashes the canonical encoding of e with the compact payload.
func chainHash(e Event, payload []byte) string {
	// The fields other than the payload take about 470 bytes with UUID ids
	// and a correlation id.
	b := make([]byte, 0, 512+len(payload))
	b = append(b, chainEncodingVersion+"\n"...)
	field := func(name string, value []byte) {
		b = append(b, name...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(len(value)), 10)
		b = append(b, ':')
		b = append(b, value...)
		b = append(b, '\n')
	}
	text := func(name, value string) {
		b = append(b, name...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(len(value)), 10)
		b = append(b, ':')
		b = append(b, value...)
		b = append(b, '\n')
	}
	var scratch [64]byte
	instant := func(name string, t time.Time) { field(name, t.UTC().AppendFormat(scratch[:0], time.RFC3339Nano)) }

	text("id", e.ID)
	text("type", e.Type)
	field("schema_version", strconv.AppendInt(scratch[:0], int64(e.SchemaVersion), 10))
	text("aggregate_kind", e.AggregateKind)
	text("aggregate_id", e.AggregateID)
	field("sequence", strconv.AppendUint(scratch[:0], e.Sequence, 10))
	instant("recorded_at", e.RecordedAt)
	instant("effective_at", e.EffectiveAt)
	text("actor", e.Actor)
	text("correlation_id", e.CorrelationID)
	text("causation_id", e.CausationID)
	text("prev_hash", e.PrevHash)
	field("payload", payload)

	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
