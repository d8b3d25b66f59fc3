package observe

import (
	"context"
	"time"

	"github.com/planledger/planledger/domain"
)

// Store wraps next so every append records its latency, outcome and
// conflicts, and reports the stored events to the listener in the context
// (see WithAppendListener). It changes nothing about the append itself.
func (m *Metrics) Store(next domain.EventStore) domain.EventStore {
	return &instrumentedStore{next: next, m: m}
}

type instrumentedStore struct {
	next domain.EventStore
	m    *Metrics
}

func (s *instrumentedStore) Append(ctx context.Context, req domain.AppendRequest) (domain.Event, error) {
	start := time.Now()
	ev, err := s.next.Append(ctx, req)
	s.m.observeAppend(req.AggregateKind, 1, time.Since(start), err)
	if err == nil {
		notifyAppended(ctx, []domain.Event{ev})
	}
	return ev, err
}

func (s *instrumentedStore) AppendBatch(ctx context.Context, req domain.AppendRequest, drafts []domain.Draft) ([]domain.Event, error) {
	start := time.Now()
	events, err := s.next.AppendBatch(ctx, req, drafts)
	s.m.observeAppend(req.AggregateKind, len(drafts), time.Since(start), err)
	if err == nil {
		notifyAppended(ctx, events)
	}
	return events, err
}

type appendListenerKey struct{}

// WithAppendListener returns a context whose appends through a Store call
// listen with the events stored. The HTTP server uses it to put the
// aggregate ids of a write on the request's log line. listen runs on the
// goroutine that appended.
func WithAppendListener(ctx context.Context, listen func(events []domain.Event)) context.Context {
	return context.WithValue(ctx, appendListenerKey{}, listen)
}

func notifyAppended(ctx context.Context, events []domain.Event) {
	if listen, ok := ctx.Value(appendListenerKey{}).(func([]domain.Event)); ok && len(events) > 0 {
		listen(events)
	}
}
