package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
)

// errCodeDuplicateInProcess is the JetStream API error a replicated stream
// returns while another publish with the same message id is still being
// stored. nats.go v1.56.0 has no constant for it.
const errCodeDuplicateInProcess jetstream.ErrorCode = 10158

// Append stores one event after req.ExpectedSequence and returns it with
// StreamSequence set.
//
// A stale ExpectedSequence returns *domain.ConflictError and stores nothing.
// When req.Metadata.EventID names an event this aggregate already stores,
// Append returns that event instead of storing a second one, so a retried
// command is idempotent. After a timeout the event may or may not be
// stored, and a retry with the same EventID settles which.
func (s *Store) Append(ctx context.Context, req domain.AppendRequest) (domain.Event, error) {
	prepared, stored, err := s.prepareAppend(ctx, req)
	if prepared == nil {
		return stored, err
	}
	ack, err := s.js.PublishMsg(ctx, prepared.msg)
	return s.finishAppend(ctx, req, prepared, ack, err)
}

// preparedAppend is an event ready to publish and the message that
// stores it.
type preparedAppend struct {
	subject string
	event   domain.Event
	msg     *nats.Msg
}

// prepareAppend builds the message that appends req. It returns a nil
// *preparedAppend when nothing needs publishing: either the error gives the
// reason the append cannot go ahead, or the event is the one a retry
// already stored.
func (s *Store) prepareAppend(ctx context.Context, req domain.AppendRequest) (*preparedAppend, domain.Event, error) {
	kind, id := req.AggregateKind, req.AggregateID
	if err := validateAggregate(kind, id); err != nil {
		return nil, domain.Event{}, err
	}
	event, err := newEvent(req, time.Now())
	if err != nil {
		return nil, domain.Event{}, err
	}

	subject := Subject(kind, id)
	last, found := s.cachedLast(subject)
	// A writer creating an aggregate states 0, and the server rejects the
	// publish if the subject has any message, so nothing needs reading.
	newAggregate := !found && req.ExpectedSequence == 0
	if !newAggregate && (!found || last.Sequence != req.ExpectedSequence) {
		// Without a matching entry, read the truth: the request may be a
		// retry, or another writer may have moved the aggregate on.
		last, found, err = s.lastEvent(ctx, subject)
		if err != nil {
			return nil, domain.Event{}, fmt.Errorf("append %s event: %w", kind, err)
		}
		if found {
			s.rememberLast(subject, last)
		}
	}
	// A retry whose event is already the aggregate's last one returns it,
	// even after the server's duplicate window has passed.
	if found && req.Metadata.EventID != "" && last.ID == req.Metadata.EventID {
		return nil, last, nil
	}
	if last.Sequence != req.ExpectedSequence {
		stored, err := s.conflictOrStored(ctx, req, last.Sequence)
		return nil, stored, err
	}

	// With expected last subject sequence 0, nats-server v2.15.3 accepts the
	// publish only onto a subject without messages and otherwise rejects it
	// with error code 10071, as TestServerRejectsExpectedZeroOnUsedSubject checks.
	var lastStreamSeq uint64
	if found {
		lastStreamSeq = last.StreamSequence
	}
	// The publish stores the event only while last is still the
	// aggregate's last event, so PrevHash names its real predecessor. A last
	// event stored before chaining has no Hash, and the chain starts here.
	data, err := chainEvent(&event, last.Hash)
	if err != nil {
		return nil, domain.Event{}, err
	}
	msg := newEventMsg(subject, event, data, lastStreamSeq)
	if err := s.checkPayloadSize(msg); err != nil {
		return nil, domain.Event{}, err
	}
	if s.beforePublish != nil {
		s.beforePublish()
	}
	return &preparedAppend{subject: subject, event: event, msg: msg}, domain.Event{}, nil
}

// finishAppend turns the server's reply to a prepared append into its
// result: the stored event, the event an earlier try stored, a
// *domain.ConflictError or the publish error.
func (s *Store) finishAppend(ctx context.Context, req domain.AppendRequest, prepared *preparedAppend,
	ack *jetstream.PubAck, err error) (domain.Event, error) {
	subject := prepared.subject
	if err != nil {
		s.forgetLast(subject)
		if !isConcurrentWrite(err) {
			return domain.Event{}, fmt.Errorf("append %s event: %w", req.AggregateKind, err)
		}
		current, _, readErr := s.lastEvent(ctx, subject)
		if readErr != nil {
			return domain.Event{}, fmt.Errorf("append %s event: read sequence after conflict: %w", req.AggregateKind, readErr)
		}
		return s.conflictOrStored(ctx, req, current.Sequence)
	}
	if ack.Duplicate {
		s.forgetLast(subject)
		return s.storedDuplicate(ctx, req, prepared.event.ID, ack.Sequence)
	}

	event := prepared.event
	event.StreamSequence = ack.Sequence
	s.rememberLast(subject, event)
	return event, nil
}

// newEventMsg builds the message that stores event. The JetStream headers
// are set here rather than through publish options, so checkPayloadSize
// measures every header that goes on the wire.
func newEventMsg(subject string, event domain.Event, data []byte, lastStreamSeq uint64) *nats.Msg {
	msg := nats.NewMsg(subject)
	msg.Data = data
	msg.Header.Set(HeaderType, event.Type)
	msg.Header.Set(HeaderAggregateKind, event.AggregateKind)
	msg.Header.Set(HeaderAggregateID, event.AggregateID)
	msg.Header.Set(HeaderSequence, strconv.FormatUint(event.Sequence, 10))
	msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(lastStreamSeq, 10))
	msg.Header.Set(jetstream.MsgIDHeader, event.ID)
	return msg
}

// checkPayloadSize returns an EInvalid *domain.Error when msg is larger
// than the connected server's max_payload. nats.go would reject the publish
// anyway, but with an error that does not name the request field at fault.
func (s *Store) checkPayloadSize(msg *nats.Msg) error {
	limit := s.nc.MaxPayload()
	// nats.go counts headers and data against the limit, and Size also
	// counts the subject.
	size := int64(msg.Size() - len(msg.Subject))
	if limit <= 0 || size <= limit {
		return nil
	}
	return &domain.Error{
		Code:  domain.ETooLarge,
		Field: "body",
		Message: fmt.Sprintf("the event is %d bytes after encoding, over the server's limit of %d bytes; "+
			"shorten the longest text", size, limit),
	}
}

// newEvent builds the envelope for req at time now, without the chain
// hashes that chainEvent adds.
func newEvent(req domain.AppendRequest, now time.Time) (domain.Event, error) {
	if req.Metadata.Actor == "" {
		return domain.Event{}, domain.Errorf(domain.EInvalid, "actor", "actor is required")
	}
	if req.Draft.Type == "" {
		return domain.Event{}, domain.Errorf(domain.EInvalid, "type", "event type is required")
	}

	payload, err := encodePayload(req.Draft.Payload)
	if err != nil {
		return domain.Event{}, err
	}

	eventID := req.Metadata.EventID
	if eventID == "" {
		generated, err := uuid.NewV7()
		if err != nil {
			return domain.Event{}, fmt.Errorf("append %s event: generate event id: %w", req.AggregateKind, err)
		}
		eventID = generated.String()
	}

	// Microsecond precision keeps RecordedAt unchanged when a reader stores
	// it in a microsecond column, such as a PostgreSQL timestamp.
	recordedAt := now.UTC().Truncate(time.Microsecond)
	effectiveAt := req.Draft.EffectiveAt.UTC()
	if req.Draft.EffectiveAt.IsZero() {
		effectiveAt = recordedAt
	}

	event := domain.Event{
		ID:            eventID,
		Type:          req.Draft.Type,
		SchemaVersion: domain.SchemaVersionOf(req.Draft.Type),
		AggregateKind: req.AggregateKind,
		AggregateID:   req.AggregateID,
		Sequence:      req.ExpectedSequence + 1,
		RecordedAt:    recordedAt,
		EffectiveAt:   effectiveAt,
		Actor:         req.Metadata.Actor,
		CorrelationID: req.Metadata.CorrelationID,
		CausationID:   req.Metadata.CausationID,
		Payload:       payload,
	}
	return event, nil
}

// chainEvent sets the event's PrevHash and Hash and returns its JSON
// encoding. The event's payload must come from encodePayload, which
// returns compact JSON, so the hash can skip compacting it again.
func chainEvent(event *domain.Event, prevHash string) ([]byte, error) {
	event.PrevHash = prevHash
	event.Hash = domain.ChainHashCompact(*event)
	data, err := encodeEnvelope(*event)
	if err != nil {
		return nil, fmt.Errorf("append %s event: encode envelope: %w", event.AggregateKind, err)
	}
	return data, nil
}

// encodePayload returns the payload as JSON. A json.RawMessage is brought
// into the form json.Marshal stores it in, compact with <, > and & escaped,
// because the chain hash covers the payload text as stored.
func encodePayload(payload any) (json.RawMessage, error) {
	if raw, ok := payload.(json.RawMessage); ok {
		if !json.Valid(raw) {
			return nil, domain.Errorf(domain.EInvalid, "payload", "payload is not valid JSON")
		}
		stored, err := json.Marshal(raw)
		if err != nil {
			return nil, domain.Errorf(domain.EInvalid, "payload", "encode payload: %v", err)
		}
		return stored, nil
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return nil, domain.Errorf(domain.EInvalid, "payload", "encode payload: %v", err)
	}
	return data, nil
}

// isConcurrentWrite reports whether a publish failed because another
// append reached the subject first.
func isConcurrentWrite(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode {
	case jetstream.JSErrCodeStreamWrongLastSequence, // 10071
		jetstream.JSErrCodeStreamWrongLastSequenceConstant, // 10164, replicated streams
		errCodeDuplicateInProcess:
		return true
	}
	return false
}

// conflictOrStored handles an append whose expected sequence differs from
// current. If the request fixed an event id that the aggregate already
// stores after the expected sequence, the earlier try succeeded and that
// event is returned. Otherwise the result is a *domain.ConflictError.
//
// The check is needed because nats-server v2.15.3 on a single server tests
// the expected subject sequence before the message id, so a verbatim retry
// is rejected as a conflict rather than acknowledged as a duplicate.
func (s *Store) conflictOrStored(ctx context.Context, req domain.AppendRequest, current uint64) (domain.Event, error) {
	conflict := &domain.ConflictError{
		AggregateID: req.AggregateID,
		Expected:    req.ExpectedSequence,
		Current:     current,
	}
	eventID := req.Metadata.EventID
	if eventID == "" || current <= req.ExpectedSequence {
		return domain.Event{}, conflict
	}

	events, err := s.loadSubject(ctx, Subject(req.AggregateKind, req.AggregateID))
	if err != nil {
		return domain.Event{}, fmt.Errorf("append %s event: look up event %s: %w", req.AggregateKind, eventID, err)
	}
	for _, event := range events {
		if event.Sequence > req.ExpectedSequence && event.ID == eventID {
			return event, nil
		}
	}
	return domain.Event{}, conflict
}

// storedDuplicate loads the event that the server reported as a duplicate
// of eventID at streamSeq. The server deduplicates by message id across the
// whole stream, so an id already used by another aggregate is an error.
func (s *Store) storedDuplicate(ctx context.Context, req domain.AppendRequest, eventID string, streamSeq uint64) (domain.Event, error) {
	raw, err := s.stream.GetMsg(ctx, streamSeq)
	if err != nil {
		return domain.Event{}, fmt.Errorf("append %s event: load duplicate %s at stream sequence %d: %w",
			req.AggregateKind, eventID, streamSeq, err)
	}
	stored, err := decodeEnvelope(raw.Data, raw.Sequence, raw.Subject)
	if err != nil {
		return domain.Event{}, fmt.Errorf("append %s event: %w", req.AggregateKind, err)
	}
	if stored.ID != eventID || stored.AggregateKind != req.AggregateKind || stored.AggregateID != req.AggregateID {
		return domain.Event{}, domain.Errorf(domain.EConflict, "event_id",
			"event id %s is already stored as %s %s sequence %d", eventID, stored.AggregateKind, stored.AggregateID, stored.Sequence)
	}
	return stored, nil
}
