package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
)

// Bounds of the wait between attempts to reopen a failed subscription.
const (
	resubscribeMinDelay = 500 * time.Millisecond
	resubscribeMaxDelay = 30 * time.Second
)

// Subscribe calls handle for every event at or after stream sequence
// fromStreamSeq whose subject matches filter, in stream order and on one
// goroutine, and keeps following new events until stop is called or ctx
// ends. An empty filter means AllSubjects and fromStreamSeq 0 or 1 means
// the start of the log.
//
// A handle error or an undecodable message is logged with its stream
// sequence and subject, and delivery continues with the next event. One bad
// event must not wedge a projection. The projection then lacks that event,
// so the error log line needs an operator's attention. An undecodable
// message, or one whose envelope names another aggregate than its subject,
// reaches handle as an event with only StreamSequence set, so a reader that
// waits for a stream position still gets past it.
//
// stop ends delivery and returns after the last handle call has returned.
// It must not be called from inside handle, which would deadlock.
func (s *Store) Subscribe(ctx context.Context, fromStreamSeq uint64, filter string, handle func(domain.Event) error) (stop func(), err error) {
	if handle == nil {
		return nil, errors.New("subscribe: handle function is nil")
	}
	if filter == "" {
		filter = AllSubjects
	}
	sub := &subscription{
		store:  s,
		filter: filter,
		handle: handle,
		next:   fromStreamSeq,
	}
	if err := sub.open(ctx); err != nil {
		return nil, fmt.Errorf("subscribe to %s from stream sequence %d: %w", filter, fromStreamSeq, err)
	}

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sub.run(runCtx)
	}()

	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			// Next returns on cancel, but not while the ordered consumer is
			// recreating itself. Stopping the iterator ends that wait too.
			sub.stopIterator()
			<-done
		})
	}
	return stop, nil
}

// subscription is the state of one Subscribe call. Only the run goroutine
// changes next, consumer and iter after open, and mu guards iter against
// the concurrent stopIterator call.
type subscription struct {
	store  *Store
	filter string
	handle func(domain.Event) error
	next   uint64 // stream sequence of the next event to deliver

	consumer jetstream.Consumer
	mu       sync.Mutex
	iter     jetstream.MessagesContext
}

// open creates an ordered consumer that starts at sub.next.
func (sub *subscription) open(ctx context.Context) error {
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{sub.filter},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	}
	if sub.next > 1 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = sub.next
	}
	consumer, err := sub.store.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("create ordered consumer: %w", err)
	}
	iter, err := consumer.Messages()
	if err != nil {
		sub.store.deleteConsumer(ctx, consumer)
		return fmt.Errorf("read ordered consumer: %w", err)
	}
	sub.consumer = consumer
	sub.mu.Lock()
	sub.iter = iter
	sub.mu.Unlock()
	return nil
}

// close stops the iterator and deletes the consumer behind it.
func (sub *subscription) close(ctx context.Context) {
	sub.stopIterator()
	if sub.consumer != nil {
		sub.store.deleteConsumer(ctx, sub.consumer)
		sub.consumer = nil
	}
}

func (sub *subscription) stopIterator() {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.iter != nil {
		sub.iter.Stop()
	}
}

func (sub *subscription) run(ctx context.Context) {
	log := sub.store.log
	defer sub.close(ctx)

	for {
		sub.mu.Lock()
		iter := sub.iter
		sub.mu.Unlock()

		msg, err := iter.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, jetstream.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionClosed) {
				log.Error("subscription ended because the nats connection is closed",
					"filter", sub.filter, "next_stream_seq", sub.next)
				return
			}
			log.Warn("subscription read failed, reopening",
				"filter", sub.filter, "next_stream_seq", sub.next, "error", err)
			if !sub.reopen(ctx) {
				return
			}
			continue
		}
		sub.deliver(msg)
	}
}

// deliver decodes msg and passes it to handle, logging either failure.
func (sub *subscription) deliver(msg jetstream.Msg) {
	log := sub.store.log
	meta, err := msg.Metadata()
	if err != nil {
		log.Error("subscription skipped message without metadata",
			"subject", msg.Subject(), "next_stream_seq", sub.next, "error", err)
		return
	}
	streamSeq := meta.Sequence.Stream
	sub.next = streamSeq + 1

	event, err := decodeEnvelope(msg.Data(), streamSeq, msg.Subject())
	if err == nil && !isSubjectOf(msg.Subject(), event.AggregateKind, event.AggregateID) {
		err = fmt.Errorf("event %s names %s %s, which does not live on subject %s",
			event.ID, event.AggregateKind, event.AggregateID, msg.Subject())
	}
	if err != nil {
		log.Error("subscription skipped undecodable event",
			"stream_seq", streamSeq, "subject", msg.Subject(), "error", err)
		event = domain.Event{StreamSequence: streamSeq}
	}
	event.BatchIndex, event.BatchSize = batchPosition(msg.Headers())
	if err := sub.handle(event); err != nil {
		log.Error("subscription handler failed, continuing with the next event",
			"stream_seq", streamSeq, "subject", msg.Subject(),
			"event_id", event.ID, "event_type", event.Type, "error", err)
	}
}

// isSubjectOf reports whether subject equals Subject(kind, id), without
// building that string for every delivered event.
func isSubjectOf(subject, kind, id string) bool {
	rest, ok := strings.CutPrefix(subject, SubjectPrefix+".")
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, kind)
	return ok && len(rest) > 0 && rest[0] == '.' && rest[1:] == id
}

// reopen replaces the consumer with a new one that starts at sub.next,
// retrying with growing delays. It returns false when ctx ends first.
//
// NOTE: no test reaches this path, because the ordered consumer recreates
// itself after a server restart (TestSubscribeSurvivesServerRestart). It is
// the fallback for errors that Next returns instead of recovering.
func (sub *subscription) reopen(ctx context.Context) bool {
	sub.close(ctx)
	delay := resubscribeMinDelay
	for {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(delay):
		}
		err := sub.open(ctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		delay = min(2*delay, resubscribeMaxDelay)
		sub.store.log.Warn("subscription reopen failed, retrying",
			"filter", sub.filter, "next_stream_seq", sub.next, "retry_in", delay.String(), "error", err)
	}
}

// batchPosition reads an event's place in its atomic batch from the headers
// AppendBatch sets; an event stored alone is 0 of 1.
func batchPosition(h nats.Header) (index, size int) {
	size, err := strconv.Atoi(h.Get(HeaderBatchSize))
	if err != nil || size < 1 {
		return 0, 1
	}
	index, err = strconv.Atoi(h.Get(HeaderBatchIndex))
	if err != nil || index < 0 || index >= size {
		return 0, 1
	}
	return index, size
}
