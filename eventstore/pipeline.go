package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
)

// maxPipelined bounds the appends a Pipeline has accepted and not yet
// finished. It stays under nats.go v1.56.0's default limit of 4,000
// unacknowledged async publishes per JetStream context, past which a
// publish waits for room and fails after 200 ms.
//
// NOTE: four or more Pipelines on one Store at once can reach that limit,
// and their appends then fail with nats.go's ErrTooManyStalledMsgs.
const maxPipelined = 1024

// pipelineAckTimeout bounds the wait for the acknowledgement of a pipelined
// publish. nats.go v1.56.0 sets no such limit by default, so an
// acknowledgement that never arrives would hold the pipeline until its
// context ends. A synchronous publish there waits 5 s by default, and a
// pipelined one gets longer because it can wait behind up to maxPipelined
// others, each with its own fsync.
const pipelineAckTimeout = 30 * time.Second

// errPipelineEnded is returned by Append after Wait.
var errPipelineEnded = errors.New("append pipeline has ended")

// Pipeline appends events to many aggregates with their publishes in flight
// at once. Each append is the same as Store.Append's: the message states
// the aggregate's expected last subject sequence and carries the event id
// as its message id, and the event's PrevHash is its predecessor's Hash.
// An append to an aggregate that already has one in flight waits behind it
// and is published once the server has acknowledged its predecessor, so
// the one expected-sequence check and chain per aggregate stay exact.
type Pipeline struct {
	store *Store
	ctx   context.Context

	// slots holds a token per accepted append that has not finished, and
	// its capacity is maxPipelined.
	slots chan struct{}
	// published carries the published appends to the collector in publish
	// order. Each one holds a slot, so sending never blocks.
	published chan *pipelinedAppend
	collected chan struct{} // closed when the collector returns
	active    sync.WaitGroup

	mu     sync.Mutex
	ended  bool
	queued map[string][]*pipelinedAppend // subject with an append in flight -> the appends waiting behind it
}

var _ domain.PipelinedStore = (*Store)(nil)

// pipelinedAppend is one accepted append.
type pipelinedAppend struct {
	req      domain.AppendRequest
	done     func(domain.Event, error)
	subject  string
	prepared *preparedAppend
	future   jetstream.PubAckFuture
}

// Pipeline starts a pipeline whose appends and their reads use ctx. Call
// Wait when done with it.
func (s *Store) Pipeline(ctx context.Context) domain.AppendPipeline {
	p := &Pipeline{
		store:     s,
		ctx:       ctx,
		slots:     make(chan struct{}, maxPipelined),
		published: make(chan *pipelinedAppend, maxPipelined),
		collected: make(chan struct{}),
		queued:    map[string][]*pipelinedAppend{},
	}
	go p.collect()
	return p
}

// Append queues req as domain.AppendPipeline describes. It blocks while
// maxPipelined appends are unfinished. An invalid request is accepted and
// reaches done with its error, like every other failure.
func (p *Pipeline) Append(req domain.AppendRequest, done func(domain.Event, error)) error {
	if err := p.ctx.Err(); err != nil {
		return fmt.Errorf("append %s event: %w", req.AggregateKind, err)
	}
	select {
	case p.slots <- struct{}{}:
	case <-p.ctx.Done():
		return fmt.Errorf("append %s event: %w", req.AggregateKind, p.ctx.Err())
	}
	a := &pipelinedAppend{req: req, done: done, subject: Subject(req.AggregateKind, req.AggregateID)}

	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		<-p.slots
		return errPipelineEnded
	}
	p.active.Add(1)
	if waiting, busy := p.queued[a.subject]; busy {
		p.queued[a.subject] = append(waiting, a)
		p.mu.Unlock()
		return nil
	}
	p.queued[a.subject] = nil
	p.mu.Unlock()

	p.run(a)
	return nil
}

// Wait blocks until every accepted append has finished, then ends the
// pipeline.
func (p *Pipeline) Wait() {
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		<-p.collected
		return
	}
	p.ended = true
	p.mu.Unlock()
	p.active.Wait()
	close(p.published)
	<-p.collected
}

// run publishes a. When a finishes without a publish, such as a retry
// whose event is stored already, it goes on with the append queued behind
// a on the same subject.
func (p *Pipeline) run(a *pipelinedAppend) {
	for a != nil {
		// PublishMsgAsync takes no context, so an ended one is checked here.
		if err := p.ctx.Err(); err != nil {
			a = p.finish(a, domain.Event{}, fmt.Errorf("append %s event: %w", a.req.AggregateKind, err))
			continue
		}
		prepared, stored, err := p.store.prepareAppend(p.ctx, a.req)
		if prepared != nil {
			a.prepared = prepared
			a.future, err = p.store.js.PublishMsgAsync(prepared.msg)
			if err == nil {
				p.published <- a
				return
			}
			stored, err = p.store.finishAppend(p.ctx, a.req, prepared, nil, err)
		}
		a = p.finish(a, stored, err)
	}
}

// collect waits for the acknowledgements in publish order and finishes
// each append.
func (p *Pipeline) collect() {
	defer close(p.collected)
	for a := range p.published {
		var ack *jetstream.PubAck
		var err error
		select {
		case ack = <-a.future.Ok():
		case err = <-a.future.Err():
		case <-p.ctx.Done():
			// The event may or may not be stored. A retry with the same
			// event id settles which, as after Append's timeout.
			err = p.ctx.Err()
		}
		event, err := p.store.finishAppend(p.ctx, a.req, a.prepared, ack, err)
		p.run(p.finish(a, event, err))
	}
}

// finish reports a's result and returns the next append waiting on its
// subject, or nil. After a failure the appends waiting behind a fail too,
// because their expected sequences assume a was stored.
func (p *Pipeline) finish(a *pipelinedAppend, event domain.Event, err error) *pipelinedAppend {
	a.done(event, err)
	p.release()
	for {
		p.mu.Lock()
		waiting := p.queued[a.subject]
		if len(waiting) == 0 {
			delete(p.queued, a.subject)
			p.mu.Unlock()
			return nil
		}
		next := waiting[0]
		p.queued[a.subject] = waiting[1:]
		p.mu.Unlock()
		if err == nil {
			return next
		}
		next.done(domain.Event{}, fmt.Errorf("append %s event after sequence %d: the append before it on %s failed: %w",
			next.req.AggregateKind, next.req.ExpectedSequence, a.subject, err))
		p.release()
	}
}

// release frees the slot of a finished append.
func (p *Pipeline) release() {
	<-p.slots
	p.active.Done()
}
