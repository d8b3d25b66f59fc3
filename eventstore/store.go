// Package eventstore keeps planledger's event log in a NATS JetStream
// stream. Each aggregate's events live on the subject
// planledger.<kind>.<id>, so the nats CLI and JetStream consumers can follow
// one kind or one aggregate. Appends use the server's per-subject
// expected-last-sequence check for optimistic concurrency and the message
// id for deduplication.
//
// Plain NATS subscribers should use the live subjects
// live.planledger.<kind>.<id>. The server republishes each event there
// after storing it, with the original headers plus Nats-Stream,
// Nats-Subject, Nats-Sequence (the stream sequence), Nats-Time-Stamp and
// Nats-Last-Sequence (the previous stream sequence on the same subject, 0
// for the first). A core subscription on planledger.> also receives every
// publish attempt, including those the server rejects for a stale expected
// sequence.
package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
)

// Stream and subject defaults.
const (
	// SubjectPrefix is the first token of every event subject.
	SubjectPrefix = "planledger"
	// AllSubjects matches every event subject.
	AllSubjects = SubjectPrefix + ".>"
	// LiveSubjectPrefix is the first two tokens of the subjects that the
	// server republishes stored events to.
	LiveSubjectPrefix = "live." + SubjectPrefix
	// AllLiveSubjects matches every live subject.
	AllLiveSubjects = LiveSubjectPrefix + ".>"
	// DefaultStreamName is the JetStream stream that stores the log.
	DefaultStreamName = "PLANLEDGER"
	// DefaultDuplicateWindow is how long the server remembers message ids
	// for deduplication. It matches the nats-server v2.15.3 default.
	DefaultDuplicateWindow = 2 * time.Minute
)

// Message headers set on every event, so subscribers can filter without
// decoding the JSON envelope.
const (
	HeaderType          = "Planledger-Type"
	HeaderAggregateKind = "Planledger-Aggregate-Kind"
	HeaderAggregateID   = "Planledger-Aggregate-Id"
	HeaderSequence      = "Planledger-Sequence"
)

// consumerDeleteTimeout bounds the clean-up of the ephemeral consumer that
// Load creates, so a slow server does not hold up the caller for long.
const consumerDeleteTimeout = 2 * time.Second

// StoreConfig configures Open.
type StoreConfig struct {
	// StreamName is the JetStream stream name. Empty means DefaultStreamName.
	StreamName string
	// Replicas is the stream's replica count, 1 for the embedded server and
	// 3 or 5 for an external cluster. Zero keeps the count of an existing
	// stream and creates a new one with DefaultReplicas.
	Replicas int
	// DefaultReplicas is the replica count of a stream that Open creates
	// while Replicas is zero. Zero means 1.
	DefaultReplicas int
	// DuplicateWindow is how long the server rejects a repeated event id.
	// Zero means DefaultDuplicateWindow.
	DuplicateWindow time.Duration
	// Logger receives subscription errors. Nil means slog.Default().
	Logger *slog.Logger
}

// Store is the JetStream-backed event log. It implements domain.EventStore
// and is safe for concurrent use.
type Store struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	name   string
	log    *slog.Logger

	// beforePublish, when set by a test, runs between Append's sequence
	// check and its publish, where a concurrent writer can interleave.
	beforePublish func()

	// lastMu guards lastKnown, the last event this Store stored or read per
	// subject. Append states it to the server instead of reading it first.
	// The server's expected-sequence check stays authoritative, so a stale
	// entry only causes a rejection, after which Append reads afresh.
	lastMu    sync.Mutex
	lastKnown map[string]domain.Event
}

var _ domain.EventStore = (*Store)(nil)

// cachedLast returns the last event this Store has recorded for subject.
func (s *Store) cachedLast(subject string) (domain.Event, bool) {
	s.lastMu.Lock()
	defer s.lastMu.Unlock()
	e, ok := s.lastKnown[subject]
	return e, ok
}

// rememberLast records e as subject's last event, unless a later one is
// already known.
func (s *Store) rememberLast(subject string, e domain.Event) {
	s.lastMu.Lock()
	defer s.lastMu.Unlock()
	if known, ok := s.lastKnown[subject]; ok && known.Sequence >= e.Sequence {
		return
	}
	s.lastKnown[subject] = e
}

// forgetLast drops subject's entry after a rejection or failure.
func (s *Store) forgetLast(subject string) {
	s.lastMu.Lock()
	defer s.lastMu.Unlock()
	delete(s.lastKnown, subject)
}

// Open creates the event stream, or updates its configuration when it
// exists, and returns a Store that appends to it through nc.
func Open(ctx context.Context, nc *nats.Conn, cfg StoreConfig) (*Store, error) {
	if nc == nil {
		return nil, errors.New("open event store: nats connection is nil")
	}
	name := cfg.StreamName
	if name == "" {
		name = DefaultStreamName
	}
	if cfg.Replicas < 0 {
		return nil, fmt.Errorf("open event store: invalid replicas %d: use 0, 1, 3 or 5", cfg.Replicas)
	}
	if cfg.DefaultReplicas < 0 {
		return nil, fmt.Errorf("open event store: invalid default replicas %d: use 0, 1, 3 or 5", cfg.DefaultReplicas)
	}
	window := cfg.DuplicateWindow
	if window == 0 {
		window = DefaultDuplicateWindow
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}

	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(pipelineAckTimeout))
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	replicas := cfg.Replicas
	if replicas == 0 {
		replicas, err = existingReplicas(ctx, js, name, cfg.DefaultReplicas)
		if err != nil {
			return nil, fmt.Errorf("open event store: %w", err)
		}
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        name,
		Description: "planledger event log",
		Subjects:    []string{AllSubjects},
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Duplicates:  window,
		// No age, count or size limit applies, so the log is kept forever
		// and the discard policy never takes effect.
		Retention: jetstream.LimitsPolicy,
		MaxAge:    0,
		MaxMsgs:   -1,
		MaxBytes:  -1,
		Discard:   jetstream.DiscardOld,
		// Events are never removed one by one or purged. nats-server does
		// not allow turning these two flags off again on an existing stream.
		DenyDelete: true,
		DenyPurge:  true,
		// Direct get stays off, so Append reads the last event from the
		// stream leader rather than from a replica that may lag behind.
		AllowDirect: false,
		// The server publishes each event to its live subject only once it
		// is stored, so live subscribers never receive a rejected append.
		RePublish: &jetstream.RePublish{
			Source:      AllSubjects,
			Destination: AllLiveSubjects,
		},
		// AppendBatch commits several events of one command all or none.
		AllowAtomicPublish: true,
	})
	if err != nil {
		return nil, fmt.Errorf("open event store: create or update stream %s: %w", name, err)
	}
	return &Store{nc: nc, js: js, stream: stream, name: name, log: logger,
		lastKnown: map[string]domain.Event{}}, nil
}

// existingReplicas returns the replica count of stream name, or
// defaultReplicas (1 when zero) when the stream does not exist yet.
func existingReplicas(ctx context.Context, js jetstream.JetStream, name string, defaultReplicas int) (int, error) {
	stream, err := js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return max(defaultReplicas, 1), nil
	}
	if err != nil {
		return 0, fmt.Errorf("look up stream %s: %w", name, err)
	}
	return stream.CachedInfo().Config.Replicas, nil
}

// Subject returns the NATS subject of one aggregate's events. It does not
// validate kind or id, but Append and Load do.
func Subject(kind, id string) string {
	return SubjectPrefix + "." + kind + "." + id
}

// LiveSubject returns the subject that the server republishes one
// aggregate's stored events to. Like Subject, it does not validate kind or id.
func LiveSubject(kind, id string) string {
	return LiveSubjectPrefix + "." + kind + "." + id
}

// validateAggregate returns an EInvalid *domain.Error unless kind is a known
// aggregate kind and id is a single, literal subject token.
func validateAggregate(kind, id string) error {
	switch kind {
	case domain.KindOrg, domain.KindLevel, domain.KindPlan:
	case "":
		return domain.Errorf(domain.EInvalid, "aggregate_kind", "aggregate kind is required")
	default:
		// Kinds registered with domain.RegisterKind, such as surveys.
		if _, registered := domain.NewState(kind); !registered {
			return domain.Errorf(domain.EInvalid, "aggregate_kind", "unknown aggregate kind %q", kind)
		}
	}
	if id == "" {
		return domain.Errorf(domain.EInvalid, "aggregate_id", "aggregate id is required")
	}
	// A dot would split the id into two subject tokens and a wildcard would
	// make the subject match other aggregates.
	if i := strings.IndexFunc(id, invalidTokenRune); i >= 0 {
		return domain.Errorf(domain.EInvalid, "aggregate_id",
			"aggregate id %q contains %q; '.', '*', '>', whitespace and control characters are not allowed", id, id[i:i+1])
	}
	return nil
}

func invalidTokenRune(r rune) bool {
	return r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r)
}

// LastSequence returns the stream's last sequence, 0 for an empty stream.
// A reader that has applied this sequence has seen every event stored so far.
func (s *Store) LastSequence(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("read last sequence of stream %s: %w", s.name, err)
	}
	return info.State.LastSeq, nil
}

// Load returns every event of one aggregate in order, with StreamSequence
// set. An aggregate without events returns an empty slice and no error.
func (s *Store) Load(ctx context.Context, kind, id string) ([]domain.Event, error) {
	if err := validateAggregate(kind, id); err != nil {
		return nil, err
	}
	events, err := s.loadSubject(ctx, Subject(kind, id))
	if err != nil {
		return nil, fmt.Errorf("load %s %s: %w", kind, id, err)
	}
	return events, nil
}

// loadSubject reads the events on subject up to the last one stored when
// the call began, checking that aggregate sequences run 1, 2, 3 without gaps.
func (s *Store) loadSubject(ctx context.Context, subject string) ([]domain.Event, error) {
	last, found, err := s.lastEvent(ctx, subject)
	if err != nil {
		return nil, err
	}
	if !found {
		return []domain.Event{}, nil
	}

	consumer, err := s.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("create ordered consumer on %s: %w", subject, err)
	}
	defer s.deleteConsumer(ctx, consumer)
	iter, err := consumer.Messages()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", subject, err)
	}
	defer iter.Stop()

	// The capacity is capped because last.Sequence comes from stored data.
	events := make([]domain.Event, 0, min(last.Sequence, 1024))
	for {
		msg, err := iter.Next(jetstream.NextContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", subject, err)
		}
		event, err := decodeMsg(msg)
		if err != nil {
			return nil, err
		}
		if want := uint64(len(events)) + 1; event.Sequence != want {
			return nil, fmt.Errorf("event %s at stream sequence %d has aggregate sequence %d, expected %d",
				event.ID, event.StreamSequence, event.Sequence, want)
		}
		events = append(events, event)
		if event.StreamSequence >= last.StreamSequence {
			return events, nil
		}
	}
}

// deleteConsumer removes the ordered consumer that loadSubject used. The
// server would drop it after its inactive threshold anyway, but frequent
// loads would otherwise leave many consumers filtering every new message.
func (s *Store) deleteConsumer(ctx context.Context, consumer jetstream.Consumer) {
	info := consumer.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), consumerDeleteTimeout)
	defer cancel()
	if err := s.js.DeleteConsumer(ctx, s.name, info.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		s.log.Warn("delete load consumer failed", "stream", s.name, "consumer", info.Name, "error", err)
	}
}

// lastEvent returns the last event stored on subject, with StreamSequence
// set. found is false when the subject has no messages.
func (s *Store) lastEvent(ctx context.Context, subject string) (event domain.Event, found bool, err error) {
	raw, err := s.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return domain.Event{}, false, nil
	}
	if err != nil {
		return domain.Event{}, false, fmt.Errorf("read last message on %s: %w", subject, err)
	}
	event, err = decodeEnvelope(raw.Data, raw.Sequence, raw.Subject)
	if err != nil {
		return domain.Event{}, false, err
	}
	return event, true, nil
}

// decodeMsg decodes a consumer message into an event with StreamSequence
// taken from the message metadata.
func decodeMsg(msg jetstream.Msg) (domain.Event, error) {
	meta, err := msg.Metadata()
	if err != nil {
		return domain.Event{}, fmt.Errorf("read metadata of message on %s: %w", msg.Subject(), err)
	}
	return decodeEnvelope(msg.Data(), meta.Sequence.Stream, msg.Subject())
}

func decodeEnvelope(data []byte, streamSeq uint64, subject string) (domain.Event, error) {
	event, ok := decodePlainEnvelope(data)
	if !ok {
		if err := json.Unmarshal(data, &event); err != nil {
			return domain.Event{}, fmt.Errorf("decode event at stream sequence %d on %s: %w", streamSeq, subject, err)
		}
	}
	if event.ID == "" || event.Sequence == 0 {
		return domain.Event{}, fmt.Errorf("decode event at stream sequence %d on %s: envelope has no id or sequence",
			streamSeq, subject)
	}
	event.StreamSequence = streamSeq
	return event, nil
}
