// Package cloudevents republishes planledger's event log as CloudEvents 1.0
// for other systems. A relay inside the server reads the PLANLEDGER stream
// in order and publishes every stored event, in the JSON event format
// (structured content mode), to cloudevents.planledger.<kind>.<id> in a
// JetStream stream of its own, PLANLEDGER_CLOUDEVENTS. A consumer of that
// stream can start from its beginning, a stream sequence or a time.
//
// The attributes of each CloudEvent are:
//
//	specversion      "1.0"
//	id               the event id
//	source           /planledger/<kind>/<id>, the aggregate
//	type             us.ma.planledger.<event type>.v<schema version>
//	subject          the aggregate id
//	time             recorded_at
//	datacontenttype  application/json
//	data             the payload exactly as stored
//
// plus the extension attributes named by the Extension constants.
package cloudevents

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// Names of subjects, the stream and the attribute prefixes.
const (
	// SubjectPrefix is the first two tokens of every CloudEvents subject.
	SubjectPrefix = "cloudevents." + eventstore.SubjectPrefix
	// AllSubjects matches every CloudEvents subject.
	AllSubjects = SubjectPrefix + ".>"
	// DefaultStreamName is the JetStream stream that keeps the CloudEvents.
	DefaultStreamName = eventstore.DefaultStreamName + "_CLOUDEVENTS"
	// TypePrefix starts every CloudEvents type. It is a fixed namespace in
	// reverse-DNS form, as the CloudEvents spec recommends for type.
	TypePrefix = "us.ma.planledger."
	// SourcePrefix starts every source, a URI reference naming the aggregate.
	SourcePrefix = "/planledger/"
	// ContentType is the media type of the JSON event format, which every
	// message body has.
	ContentType = "application/cloudevents+json"
)

// Headers set on every CloudEvents message besides Nats-Msg-Id.
const (
	// HeaderStreamSequence is the stream sequence of the event in the
	// PLANLEDGER stream. The relay resumes after the last one it published.
	HeaderStreamSequence = "Planledger-Stream-Sequence"
	// HeaderContentType is ContentType, so a reader can tell the format
	// without decoding the body.
	HeaderContentType = "Content-Type"
)

// Extension attributes. CloudEvents 1.0 restricts attribute names to lower
// case ASCII letters and digits and recommends at most 20 characters.
// Sequences are decimal strings because a CloudEvents Integer has 32 bits
// and JetStream sequences have 64.
const (
	// ExtensionEffectiveAt is effective_at, a Timestamp.
	ExtensionEffectiveAt = "effectiveat"
	// ExtensionSchemaVersion is schema_version, an Integer, also the
	// version suffix of type.
	ExtensionSchemaVersion = "schemaversion"
	// ExtensionAggregateSequence is the 1-based position of the event
	// within its aggregate (sequence), a String of decimal digits.
	ExtensionAggregateSequence = "aggregatesequence"
	// ExtensionStreamSequence is the position of the event in the
	// PLANLEDGER stream, a String of decimal digits.
	ExtensionStreamSequence = "streamsequence"
	// ExtensionActor is who made the change, a String.
	ExtensionActor = "actor"
	// ExtensionCorrelationID is correlation_id, a String, absent when empty.
	ExtensionCorrelationID = "correlationid"
	// ExtensionCausationID is causation_id, a String, absent when empty.
	ExtensionCausationID = "causationid"
	// ExtensionChainHash is the event's chain hash (hash), a String,
	// absent on events stored before hash chaining.
	ExtensionChainHash = "chainhash"
	// ExtensionChainPrevHash is prev_hash, the chain hash of the previous
	// event of the aggregate, a String, absent when empty.
	ExtensionChainPrevHash = "chainprevhash"
	// ExtensionBatchIndex is the 0-based position of the event within the
	// atomic batch it was stored in, an Integer. It and ExtensionBatchSize
	// are present only on events of a batch of two or more.
	ExtensionBatchIndex = "batchindex"
	// ExtensionBatchSize is the number of events in that batch, an Integer.
	ExtensionBatchSize = "batchsize"
)

// Subject returns the NATS subject of one aggregate's CloudEvents. Like
// eventstore.Subject, it does not validate kind or id.
func Subject(kind, id string) string {
	return SubjectPrefix + "." + kind + "." + id
}

// Type returns the CloudEvents type of a planledger event type stored with
// a schema version, such as us.ma.planledger.level.changed.v2. A payload
// changes shape only with a new schema version, so a consumer can pick the
// decoder by type alone.
func Type(eventType string, schemaVersion int) string {
	return TypePrefix + eventType + ".v" + strconv.Itoa(schemaVersion)
}

// ParseType splits a CloudEvents type made by Type into the planledger
// event type and schema version. ok is false for any other string.
func ParseType(ceType string) (eventType string, schemaVersion int, ok bool) {
	rest, found := strings.CutPrefix(ceType, TypePrefix)
	if !found {
		return "", 0, false
	}
	i := strings.LastIndex(rest, ".v")
	if i <= 0 {
		return "", 0, false
	}
	version, err := strconv.Atoi(rest[i+2:])
	if err != nil || version < 1 || strconv.Itoa(version) != rest[i+2:] {
		return "", 0, false
	}
	return rest[:i], version, true
}

// Source returns the source of an aggregate's CloudEvents, with the id
// percent-encoded as a path segment. Org codes and UUIDs need no encoding.
func Source(kind, id string) string {
	return SourcePrefix + kind + "/" + url.PathEscape(id)
}

// FromEvent converts a stored event into a CloudEvent and validates it.
// e must carry StreamSequence, as events read from the store do. The data
// is e.Payload byte for byte, so a consumer can recompute the chain hash.
func FromEvent(e domain.Event) (event.Event, error) {
	if e.ID == "" || e.Type == "" || e.AggregateKind == "" || e.AggregateID == "" {
		return event.Event{}, fmt.Errorf("convert event at stream sequence %d: id, type, aggregate kind and aggregate id are required",
			e.StreamSequence)
	}
	if e.SchemaVersion < 1 || e.Sequence < 1 || e.StreamSequence < 1 {
		return event.Event{}, fmt.Errorf("convert event %s: schema version %d, sequence %d and stream sequence %d must be at least 1",
			e.ID, e.SchemaVersion, e.Sequence, e.StreamSequence)
	}

	ce := event.New(event.CloudEventsVersionV1)
	ce.SetID(e.ID)
	ce.SetSource(Source(e.AggregateKind, e.AggregateID))
	ce.SetType(Type(e.Type, e.SchemaVersion))
	ce.SetSubject(e.AggregateID)
	ce.SetTime(e.RecordedAt.UTC())
	// SetData would re-encode the payload or, for a byte slice, write it
	// as base64, so the stored JSON is set as the encoded data directly.
	ce.SetDataContentType(event.ApplicationJSON)
	ce.DataEncoded = []byte(e.Payload)
	if len(ce.DataEncoded) == 0 {
		ce.DataEncoded = []byte("null")
	}

	extensions := map[string]any{
		ExtensionEffectiveAt:       e.EffectiveAt.UTC(),
		ExtensionSchemaVersion:     e.SchemaVersion,
		ExtensionAggregateSequence: strconv.FormatUint(e.Sequence, 10),
		ExtensionStreamSequence:    strconv.FormatUint(e.StreamSequence, 10),
		ExtensionActor:             e.Actor,
	}
	optional := map[string]string{
		ExtensionCorrelationID: e.CorrelationID,
		ExtensionCausationID:   e.CausationID,
		ExtensionChainHash:     e.Hash,
		ExtensionChainPrevHash: e.PrevHash,
	}
	for name, value := range optional {
		if value != "" {
			extensions[name] = value
		}
	}
	if e.BatchSize > 1 {
		extensions[ExtensionBatchIndex] = e.BatchIndex
		extensions[ExtensionBatchSize] = e.BatchSize
	}
	// SetExtension records an invalid name or value as a field error,
	// which Validate then returns.
	for name, value := range extensions {
		ce.SetExtension(name, value)
	}

	if err := ce.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("convert event %s: invalid CloudEvent: %w", e.ID, err)
	}
	return ce, nil
}
