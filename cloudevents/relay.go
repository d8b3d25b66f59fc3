package cloudevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// Defaults for Config and the bounds of the wait between restarts.
const (
	// DefaultLagLogInterval is how often a relay that is behind logs its lag.
	DefaultLagLogInterval = 10 * time.Second
	restartMinDelay       = 200 * time.Millisecond
	restartMaxDelay       = 30 * time.Second
)

// Config configures Start.
type Config struct {
	// SourceStream is the event log stream. Empty means
	// eventstore.DefaultStreamName.
	SourceStream string
	// StreamName is the CloudEvents stream. Empty means DefaultStreamName.
	StreamName string
	// Replicas is the CloudEvents stream's replica count. Zero means the
	// count of the source stream.
	Replicas int
	// LagLogInterval is how often the relay compares its position with the
	// end of the log and logs the lag when it is behind. Zero means
	// DefaultLagLogInterval.
	LagLogInterval time.Duration
	// Logger receives the relay's log lines. Nil means slog.Default().
	Logger *slog.Logger
}

// Stats are the relay's counters since Start.
type Stats struct {
	// Position is the PLANLEDGER stream sequence of the last message the
	// relay has handled, published or skipped. Zero means none yet.
	Position uint64
	// Pending is how many messages the log stored after Position when the
	// relay read it, so 0 means it had caught up.
	Pending uint64
	// Published counts the CloudEvents this relay published.
	Published uint64
	// Skipped counts log messages that are not valid events and so have
	// no CloudEvent.
	Skipped uint64
	// Restarts counts the times the relay re-read its position from the
	// CloudEvents stream after an error or a concurrent publisher.
	Restarts uint64
}

// Relay publishes every event of the log as a CloudEvent, in log order,
// once. It is safe for concurrent use.
//
// The relay keeps no state of its own. It resumes after the source
// sequence in the CloudEvents stream's last message. Each publish states
// that stream's last sequence in Nats-Expected-Last-Sequence. After a crash
// between publish and acknowledgement, or beside a second relay on the
// same streams, the publish therefore fails and the relay re-reads its
// position instead of storing an event twice. Nats-Msg-Id is the event id,
// so the server's duplicate window catches a retried publish as well.
type Relay struct {
	js       jetstream.JetStream
	source   jetstream.Stream
	name     string // of the CloudEvents stream
	replicas int    // Config.Replicas
	log      *slog.Logger
	interval time.Duration

	// stream is the CloudEvents stream. Only the run goroutine replaces it,
	// after the stream was deleted.
	stream jetstream.Stream

	cancel context.CancelFunc
	done   chan struct{}

	iterMu sync.Mutex
	iter   jetstream.MessagesContext // the current iterator, stopped by Stop

	mu       sync.Mutex
	stats    Stats
	advanced chan struct{} // closed and replaced whenever Position moves
}

// Start creates or updates the CloudEvents stream and starts relaying in
// the background until Stop. The source stream must exist, so call it
// after eventstore.Open.
func Start(ctx context.Context, nc *nats.Conn, cfg Config) (*Relay, error) {
	if nc == nil {
		return nil, errors.New("start cloudevents relay: nats connection is nil")
	}
	sourceName := cfg.SourceStream
	if sourceName == "" {
		sourceName = eventstore.DefaultStreamName
	}
	name := cfg.StreamName
	if name == "" {
		name = DefaultStreamName
	}
	if cfg.Replicas < 0 {
		return nil, fmt.Errorf("start cloudevents relay: invalid replicas %d: use 0, 1, 3 or 5", cfg.Replicas)
	}
	interval := cfg.LagLogInterval
	if interval <= 0 {
		interval = DefaultLagLogInterval
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}

	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("start cloudevents relay: %w", err)
	}
	source, err := js.Stream(ctx, sourceName)
	if err != nil {
		return nil, fmt.Errorf("start cloudevents relay: open source stream %s: %w", sourceName, err)
	}
	stream, err := ensureStream(ctx, js, name, source, cfg.Replicas)
	if err != nil {
		return nil, fmt.Errorf("start cloudevents relay: %w", err)
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &Relay{js: js, source: source, name: name, replicas: cfg.Replicas, stream: stream, interval: interval, cancel: cancel,
		done: make(chan struct{}), advanced: make(chan struct{}),
		log: logger.With("component", "cloudevents-relay", "stream", name, "source_stream", sourceName)}
	go func() {
		defer close(r.done)
		r.run(runCtx)
	}()
	return r, nil
}

// Stop ends relaying and returns once the relay has stopped. An event
// whose publish was in flight is either stored, and skipped on the next
// start, or not, and published then. Calling Stop again does nothing.
func (r *Relay) Stop() {
	r.cancel()
	r.stopIterator()
	<-r.done
}

// Stats returns the counters.
func (r *Relay) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// WaitFor blocks until the relay has handled the event at PLANLEDGER
// stream sequence streamSeq, or ctx ends.
func (r *Relay) WaitFor(ctx context.Context, streamSeq uint64) error {
	for {
		r.mu.Lock()
		position, advanced := r.stats.Position, r.advanced
		r.mu.Unlock()
		if position >= streamSeq {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for cloudevents relay to reach stream sequence %d (at %d): %w", streamSeq, position, ctx.Err())
		case <-advanced:
		case <-r.done:
			return fmt.Errorf("wait for cloudevents relay to reach stream sequence %d: the relay stopped at %d", streamSeq, position)
		}
	}
}

// Lag returns how many events the log stores after the relay's position.
func (r *Relay) Lag(ctx context.Context) (uint64, error) {
	info, err := r.source.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("read state of stream %s: %w", r.source.CachedInfo().Config.Name, err)
	}
	position := r.Stats().Position
	if info.State.LastSeq <= position {
		return 0, nil
	}
	return info.State.LastSeq - position, nil
}

// run follows the log until ctx ends, restarting from the CloudEvents
// stream's position after every error with a growing delay.
func (r *Relay) run(ctx context.Context) {
	var lagLogger sync.WaitGroup
	lagLogger.Go(func() { r.logLag(ctx) })
	defer lagLogger.Wait()
	delay := restartMinDelay
	for {
		progressed, err := r.follow(ctx)
		if ctx.Err() != nil {
			r.log.Info("cloudevents relay stopped", "position", r.Stats().Position)
			return
		}
		if progressed {
			delay = restartMinDelay
		}
		r.mu.Lock()
		r.stats.Restarts++
		r.mu.Unlock()
		level := slog.LevelWarn
		if errors.Is(err, errConcurrentPublish) {
			level = slog.LevelInfo
		}
		r.log.Log(ctx, level, "cloudevents relay restarting from the stream's last message",
			"position", r.Stats().Position, "retry_in", delay.String(), "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, restartMaxDelay)
	}
}

// errConcurrentPublish reports that the CloudEvents stream moved on without
// this relay: another relay published, or an earlier publish of this one
// was stored although its acknowledgement was lost.
var errConcurrentPublish = errors.New("the CloudEvents stream has messages this relay did not expect")

// follow reads the resume position, then relays the log from there until
// an error or ctx ends. progressed reports whether it published or skipped
// at least one message.
func (r *Relay) follow(ctx context.Context) (progressed bool, err error) {
	pos, err := readPosition(ctx, r.stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		r.log.Warn("cloudevents stream not found; creating it and publishing the log from the start")
		stream, err := ensureStream(ctx, r.js, r.name, r.source, r.replicas)
		if err != nil {
			return false, err
		}
		r.stream = stream
		pos, err = readPosition(ctx, r.stream)
	}
	if err != nil {
		return false, err
	}
	// The events before pos.next already have CloudEvents, published by
	// this or another relay.
	r.resumeAt(pos.next - 1)
	if pos.foreign > 0 {
		r.log.Warn("cloudevents relay passed over messages without a source sequence; another program published them",
			"count", pos.foreign, "header", HeaderStreamSequence)
	}
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{eventstore.AllSubjects},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	}
	if pos.next > 1 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = pos.next
	}
	consumer, err := r.source.OrderedConsumer(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("create ordered consumer from stream sequence %d: %w", pos.next, err)
	}
	iter, err := consumer.Messages()
	if err != nil {
		return false, fmt.Errorf("read ordered consumer: %w", err)
	}
	r.iterMu.Lock()
	r.iter = iter
	r.iterMu.Unlock()
	defer r.stopIterator()
	// Stop may have run before the iterator was set, and then only ctx
	// shows that the relay is stopping.
	if ctx.Err() != nil {
		return false, ctx.Err()
	}

	r.log.Info("cloudevents relay following the log", "from_stream_seq", pos.next, "expected_last_seq", pos.ceLast)
	started, caughtUp := time.Now(), false
	published := uint64(0)
	for {
		msg, err := iter.Next(jetstream.NextContext(ctx))
		if err != nil {
			return progressed, fmt.Errorf("read the log after stream sequence %d: %w", r.Stats().Position, err)
		}
		ceSeq, err := r.relay(ctx, msg, pos.ceLast)
		if err != nil {
			return progressed, err
		}
		progressed = true
		if ceSeq > pos.ceLast {
			pos.ceLast = ceSeq
			published++
		}
		stats := r.Stats()
		if stats.Pending == 0 && !caughtUp {
			caughtUp = true
			r.log.Info("cloudevents relay caught up", "position", stats.Position, "published", published,
				"duration_ms", time.Since(started).Milliseconds())
		}
	}
}

// relay publishes the CloudEvent of one log message with ceLast as the
// expected last sequence and returns the sequence the CloudEvents stream
// stored it at. A message that is not a valid event is logged, counted and
// passed over, returning ceLast.
func (r *Relay) relay(ctx context.Context, msg jetstream.Msg, ceLast uint64) (uint64, error) {
	meta, err := msg.Metadata()
	if err != nil {
		return 0, fmt.Errorf("read metadata of message on %s: %w", msg.Subject(), err)
	}
	streamSeq := meta.Sequence.Stream

	out, eventID, err := newMessage(msg, streamSeq)
	if err != nil {
		r.log.Error("cloudevents relay skipped a message that is not a valid planledger event",
			"stream_seq", streamSeq, "subject", msg.Subject(), "error", err)
		r.advance(streamSeq, meta.NumPending, false, true)
		return ceLast, nil
	}
	out.Header.Set(jetstream.ExpectedLastSeqHeader, strconv.FormatUint(ceLast, 10))

	ack, err := r.js.PublishMsg(ctx, out)
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			return 0, fmt.Errorf("publish event %s at stream sequence %d: %w", eventID, streamSeq, errConcurrentPublish)
		}
		return 0, fmt.Errorf("publish event %s at stream sequence %d: %w", eventID, streamSeq, err)
	}
	if ack.Duplicate {
		return r.duplicate(ctx, ack.Sequence, eventID, streamSeq, meta.NumPending, ceLast)
	}
	r.advance(streamSeq, meta.NumPending, true, false)
	return ack.Sequence, nil
}

// duplicate handles a publish the server dropped because a message with
// the same id is stored at ceSeq. When that message is this event, an
// earlier publish went through and the position is re-read. Otherwise two
// log messages share an event id, which only a writer that bypasses
// planledger can cause, and the second one is passed over.
func (r *Relay) duplicate(ctx context.Context, ceSeq uint64, eventID string, streamSeq, pending, ceLast uint64) (uint64, error) {
	stored, err := r.stream.GetMsg(ctx, ceSeq)
	if err != nil {
		return 0, fmt.Errorf("read CloudEvent %d, which event %s duplicates: %w", ceSeq, eventID, err)
	}
	if stored.Header.Get(HeaderStreamSequence) == strconv.FormatUint(streamSeq, 10) {
		return 0, fmt.Errorf("publish event %s at stream sequence %d: already stored at %d: %w",
			eventID, streamSeq, ceSeq, errConcurrentPublish)
	}
	r.log.Error("cloudevents relay skipped an event whose id another event already has",
		"event_id", eventID, "stream_seq", streamSeq, "cloudevent_seq", ceSeq,
		"other_stream_seq", stored.Header.Get(HeaderStreamSequence))
	r.advance(streamSeq, pending, false, true)
	return ceLast, nil
}

// newMessage decodes a log message and builds its CloudEvents message.
func newMessage(msg jetstream.Msg, streamSeq uint64) (*nats.Msg, string, error) {
	var e domain.Event
	if err := json.Unmarshal(msg.Data(), &e); err != nil {
		return nil, "", fmt.Errorf("decode envelope: %w", err)
	}
	if want := eventstore.Subject(e.AggregateKind, e.AggregateID); msg.Subject() != want {
		return nil, e.ID, fmt.Errorf("event %s names %s %s, whose subject is %s", e.ID, e.AggregateKind, e.AggregateID, want)
	}
	e.StreamSequence = streamSeq
	e.BatchIndex, e.BatchSize = batchPosition(msg.Headers())
	ce, err := FromEvent(e)
	if err != nil {
		return nil, e.ID, err
	}
	body, err := json.Marshal(ce)
	if err != nil {
		return nil, e.ID, fmt.Errorf("encode CloudEvent %s: %w", e.ID, err)
	}

	out := nats.NewMsg(Subject(e.AggregateKind, e.AggregateID))
	out.Data = body
	out.Header.Set(jetstream.MsgIDHeader, e.ID)
	out.Header.Set(HeaderStreamSequence, strconv.FormatUint(streamSeq, 10))
	out.Header.Set(HeaderContentType, ContentType)
	return out, e.ID, nil
}

// batchPosition reads an event's place in its atomic batch from the headers
// eventstore.AppendBatch sets. An event stored alone is 0 of 1.
func batchPosition(h nats.Header) (index, size int) {
	size, err := strconv.Atoi(h.Get(eventstore.HeaderBatchSize))
	if err != nil || size < 1 {
		return 0, 1
	}
	index, err = strconv.Atoi(h.Get(eventstore.HeaderBatchIndex))
	if err != nil || index < 0 || index >= size {
		return 0, 1
	}
	return index, size
}

// advance records that the relay handled the message at streamSeq.
func (r *Relay) advance(streamSeq, pending uint64, published, skipped bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Position = streamSeq
	r.stats.Pending = pending
	if published {
		r.stats.Published++
	}
	if skipped {
		r.stats.Skipped++
	}
	close(r.advanced)
	r.advanced = make(chan struct{})
}

// resumeAt sets the position read from the CloudEvents stream. It can be
// lower than before, after the stream was deleted.
func (r *Relay) resumeAt(streamSeq uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Position = streamSeq
	close(r.advanced)
	r.advanced = make(chan struct{})
}

func (r *Relay) stopIterator() {
	r.iterMu.Lock()
	defer r.iterMu.Unlock()
	if r.iter != nil {
		r.iter.Stop()
	}
}

// logLag compares the relay's position with the end of the log every
// interval and logs the lag while the relay is behind, as a warning when it
// has not moved since the previous check.
func (r *Relay) logLag(ctx context.Context) {
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	var previous uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		lag, err := r.Lag(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("cloudevents relay could not read the end of the log", "error", err)
			}
			continue
		}
		stats := r.Stats()
		switch {
		case lag == 0:
		case stats.Position == previous:
			r.log.Warn("cloudevents relay is behind and not advancing", "lag", lag, "position", stats.Position,
				"restarts", stats.Restarts)
		default:
			r.log.Info("cloudevents relay is behind", "lag", lag, "position", stats.Position, "published", stats.Published)
		}
		previous = stats.Position
	}
}
