package projections

import "github.com/planledger/planledger/domain"

// feedBuffer is how many level events a slow follower may lag before it is
// cut off; it then reconnects from the last event it saw.
const feedBuffer = 1024

type levelFeed struct {
	ch     chan domain.Event
	closed bool
}

// FollowLevels returns the level events after stream sequence from (0 for
// all of them) and a channel of those applied later, in stream order. The
// channel closes when cancel is called or when the follower falls more than
// feedBuffer events behind; a follower then resumes from its last sequence.
func (p *Projector) FollowLevels(from uint64) (backlog []domain.Event, live <-chan domain.Event, cancel func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.levelLog {
		if e.StreamSequence > from {
			backlog = append(backlog, e)
		}
	}
	f := &levelFeed{ch: make(chan domain.Event, feedBuffer)}
	p.feeds[f] = struct{}{}
	cancel = func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.closeFeed(f)
	}
	return backlog, f.ch, cancel
}

// publishLevel runs under p.mu.
func (p *Projector) publishLevel(e domain.Event) {
	for f := range p.feeds {
		select {
		case f.ch <- e:
		default:
			p.log.Warn("level follower fell behind; closing its feed", "stream_seq", e.StreamSequence)
			p.closeFeed(f)
		}
	}
}

func (p *Projector) closeFeed(f *levelFeed) {
	if f.closed {
		return
	}
	f.closed = true
	close(f.ch)
	delete(p.feeds, f)
}
