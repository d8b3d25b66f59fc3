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

// Headers of JetStream's atomic batch publish, and ours that tell a reader
// where an event sits in its batch.
const (
	headerBatchID       = "Nats-Batch-Id"
	headerBatchSequence = "Nats-Batch-Sequence"
	headerBatchCommit   = "Nats-Batch-Commit"
	// HeaderBatchIndex and HeaderBatchSize are set on every event stored by
	// AppendBatch: its 0-based position and the number of events.
	HeaderBatchIndex = "Planledger-Batch-Index"
	HeaderBatchSize  = "Planledger-Batch-Size"
)

// maxBatch stays under nats-server's default limit of 1,000 messages in one
// atomic batch.
const maxBatch = 1000

// AppendBatch stores drafts as consecutive events of one aggregate after
// req.ExpectedSequence, all or none, with JetStream's atomic batch publish:
// the server stores nothing until the last message commits the batch, and
// then stores every message or none. The expected-sequence check and message
// ids work as in Append, so a stale writer gets *domain.ConflictError and a
// retry with the same Metadata.EventID returns the batch it stored.
func (s *Store) AppendBatch(ctx context.Context, req domain.AppendRequest, drafts []domain.Draft) ([]domain.Event, error) {
	switch {
	case len(drafts) == 0:
		return nil, domain.Errorf(domain.EInvalid, "events", "a batch needs at least one event")
	case len(drafts) > maxBatch:
		return nil, domain.Errorf(domain.ETooLarge, "events", "a batch is limited to %d events; this one has %d", maxBatch, len(drafts))
	case len(drafts) == 1:
		req.Draft = drafts[0]
		ev, err := s.Append(ctx, req)
		if err != nil {
			return nil, err
		}
		return []domain.Event{ev}, nil
	}
	kind, id := req.AggregateKind, req.AggregateID
	if err := validateAggregate(kind, id); err != nil {
		return nil, err
	}
	subject := Subject(kind, id)

	last, found, err := s.lastEvent(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("append %s batch: %w", kind, err)
	}
	if last.Sequence != req.ExpectedSequence {
		return s.batchConflictOrStored(ctx, req, len(drafts), last.Sequence)
	}

	events, msgs, err := s.batchMessages(req, drafts, last, found)
	if err != nil {
		return nil, err
	}
	first, err := s.publishBatch(ctx, msgs)
	if err != nil {
		s.forgetLast(subject)
		if isDuplicateInBatch(err) {
			// A message id of the batch is already stored: either this is a
			// retry of a batch that went through, or the first event's id,
			// fixed by the caller, names another aggregate's event.
			current, _, readErr := s.lastEvent(ctx, subject)
			if readErr == nil && current.Sequence >= req.ExpectedSequence+uint64(len(drafts)) {
				if stored, err := s.batchConflictOrStored(ctx, req, len(drafts), current.Sequence); err == nil {
					return stored, nil
				}
			}
			return nil, domain.Errorf(domain.EConflict, "event_id",
				"event id %s of this batch is already stored for another change", req.Metadata.EventID)
		}
		if isConcurrentWrite(err) {
			current, _, readErr := s.lastEvent(ctx, subject)
			if readErr != nil {
				return nil, fmt.Errorf("append %s batch: read sequence after conflict: %w", kind, readErr)
			}
			return s.batchConflictOrStored(ctx, req, len(drafts), current.Sequence)
		}
		return nil, fmt.Errorf("append %s batch: %w", kind, err)
	}
	for i := range events {
		events[i].StreamSequence = first + uint64(i)
	}
	s.rememberLast(subject, events[len(events)-1])
	return events, nil
}

// batchMessages builds the chained events and their messages. Only the first
// message carries the expected-sequence check: the server refuses it on
// later ones, since they follow messages of the same batch.
func (s *Store) batchMessages(req domain.AppendRequest, drafts []domain.Draft, last domain.Event, found bool) (
	[]domain.Event, []*nats.Msg, error) {
	var lastStreamSeq uint64
	if found {
		lastStreamSeq = last.StreamSequence
	}
	now := time.Now()
	batchID := uuid.NewString()
	prevHash := last.Hash
	events := make([]domain.Event, len(drafts))
	msgs := make([]*nats.Msg, len(drafts))
	for i, d := range drafts {
		one := req
		one.Draft = d
		one.ExpectedSequence = req.ExpectedSequence + uint64(i)
		one.Metadata.EventID = batchEventID(req.Metadata.EventID, i)
		event, err := newEvent(one, now)
		if err != nil {
			return nil, nil, err
		}
		data, err := chainEvent(&event, prevHash)
		if err != nil {
			return nil, nil, err
		}
		prevHash = event.Hash

		msg := newEventMsg(Subject(req.AggregateKind, req.AggregateID), event, data, lastStreamSeq)
		if i > 0 {
			msg.Header.Del(jetstream.ExpectedLastSubjSeqHeader)
		}
		msg.Header.Set(headerBatchID, batchID)
		msg.Header.Set(headerBatchSequence, strconv.Itoa(i+1))
		msg.Header.Set(HeaderBatchIndex, strconv.Itoa(i))
		msg.Header.Set(HeaderBatchSize, strconv.Itoa(len(drafts)))
		if i == len(drafts)-1 {
			msg.Header.Set(headerBatchCommit, "1")
		}
		if err := s.checkPayloadSize(msg); err != nil {
			return nil, nil, err
		}
		event.BatchIndex, event.BatchSize = i, len(drafts)
		events[i], msgs[i] = event, msg
	}
	return events, msgs, nil
}

// errCodeBatchDuplicate is the JetStream API error for an atomic batch that
// holds a message id the stream already stores. nats.go v1.56.0 has no
// constant for it.
const errCodeBatchDuplicate jetstream.ErrorCode = 10201

func isDuplicateInBatch(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeBatchDuplicate
}

// batchEventID derives the id of a batch's i-th event from the first one's,
// so a retried batch carries the same ids. Empty means fresh UUID v7s.
func batchEventID(first string, i int) string {
	if first == "" || i == 0 {
		return first
	}
	return uuid.NewSHA1(uuid.MustParse(first), []byte(strconv.Itoa(i))).String()
}

// batchAck is the server's reply to the committing message.
type batchAck struct {
	Stream    string              `json:"stream"`
	Sequence  uint64              `json:"seq"`
	BatchSize int                 `json:"count"`
	Error     *jetstream.APIError `json:"error"`
}

// publishBatch sends the messages and returns the stream sequence of the
// first. Messages before the last are published without a reply, because
// the server acknowledges the whole batch in its reply to the last one.
func (s *Store) publishBatch(ctx context.Context, msgs []*nats.Msg) (uint64, error) {
	for _, msg := range msgs[:len(msgs)-1] {
		if err := s.nc.PublishMsg(msg); err != nil {
			return 0, fmt.Errorf("publish batch message: %w", err)
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	reply, err := s.nc.RequestMsgWithContext(ctx, msgs[len(msgs)-1])
	if err != nil {
		return 0, fmt.Errorf("commit batch: %w", err)
	}
	var ack batchAck
	if err := json.Unmarshal(reply.Data, &ack); err != nil {
		return 0, fmt.Errorf("decode batch acknowledgement %q: %w", reply.Data, err)
	}
	if ack.Error != nil {
		return 0, ack.Error
	}
	if ack.BatchSize != len(msgs) {
		return 0, fmt.Errorf("the server stored a batch of %d events, not %d", ack.BatchSize, len(msgs))
	}
	return ack.Sequence - uint64(len(msgs)) + 1, nil
}

// batchConflictOrStored returns the batch a retry already stored, found by
// its first event's id right after ExpectedSequence, or a conflict.
func (s *Store) batchConflictOrStored(ctx context.Context, req domain.AppendRequest, n int, current uint64) ([]domain.Event, error) {
	conflict := &domain.ConflictError{AggregateID: req.AggregateID, Expected: req.ExpectedSequence, Current: current}
	if req.Metadata.EventID == "" || current < req.ExpectedSequence+uint64(n) {
		return nil, conflict
	}
	events, err := s.Load(ctx, req.AggregateKind, req.AggregateID)
	if err != nil {
		return nil, fmt.Errorf("append %s batch: look up event %s: %w", req.AggregateKind, req.Metadata.EventID, err)
	}
	start := int(req.ExpectedSequence)
	if events[start].ID != req.Metadata.EventID {
		return nil, conflict
	}
	return events[start : start+n], nil
}
