package projections_test

import (
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

// receive returns the next event on live, failing the test if none arrives
// within a second or the channel is closed.
func receive(t *testing.T, live <-chan domain.Event) domain.Event {
	t.Helper()
	select {
	case e, ok := <-live:
		if !ok {
			t.Fatalf("got a closed channel, want an event")
		}
		return e
	case <-time.After(time.Second):
		t.Fatalf("got no event within a second, want one")
	}
	return domain.Event{}
}

func TestFollowLevelsBacklogThenLive(t *testing.T) {
	l := newEventLog(t)
	at := day(2023, time.September, 15)
	l.org(schoolCode, domain.OrgSchool, "Example School")
	first := l.level(schoolCode, 4, at, at)
	l.plan(dipID, domain.TypePlanCreated, createDIP(dipID, districtCode, "Title"), at)
	second := l.level(secondSchoolCode, 3, at, at)
	third := l.level(schoolCode, 2, at, at)

	backlog, live, cancel := l.p.FollowLevels(first.StreamSequence)
	defer cancel()

	want := []uint64{second.StreamSequence, third.StreamSequence}
	if len(backlog) != len(want) {
		t.Fatalf("got %d backlog events, want %d", len(backlog), len(want))
	}
	for i, seq := range want {
		if backlog[i].StreamSequence != seq {
			t.Errorf("backlog %d: got stream sequence %d, want %d", i, backlog[i].StreamSequence, seq)
		}
	}

	fourth := l.level(schoolCode, 1, at, at)
	l.plan(dipID, domain.TypePlanRetitled, domain.PlanRetitled{Title: "New title"}, at)
	fifth := l.level(secondSchoolCode, 2, at, at)
	for _, w := range []domain.Event{fourth, fifth} {
		if got := receive(t, live); got.StreamSequence != w.StreamSequence {
			t.Errorf("got live stream sequence %d, want %d", got.StreamSequence, w.StreamSequence)
		}
	}
}

func TestFollowLevelsFromZero(t *testing.T) {
	l := newEventLog(t)
	at := day(2023, time.September, 15)
	l.level(schoolCode, 4, at, at)
	l.level(schoolCode, 3, at, at)

	backlog, _, cancel := l.p.FollowLevels(0)
	defer cancel()
	if len(backlog) != 2 {
		t.Errorf("got %d backlog events, want 2", len(backlog))
	}
}

func TestFollowLevelsCancelClosesChannel(t *testing.T) {
	l := newEventLog(t)
	_, live, cancel := l.p.FollowLevels(0)
	cancel()
	select {
	case _, ok := <-live:
		if ok {
			t.Errorf("got an event after cancel, want a closed channel")
		}
	case <-time.After(time.Second):
		t.Fatalf("got an open channel a second after cancel, want it closed")
	}
	cancel() // a second cancel must not panic on the closed channel

	at := day(2023, time.September, 15)
	l.level(schoolCode, 4, at, at) // publishing must skip the cancelled follower
}

func TestFollowLevelsClosesLaggingFollower(t *testing.T) {
	l := newEventLog(t)
	_, live, cancel := l.p.FollowLevels(0)
	defer cancel()

	// The channel's capacity is the projector's feed buffer, so one event
	// more than it holds cuts the follower off.
	buffer := cap(live)
	if buffer == 0 {
		t.Fatalf("got an unbuffered channel, want a buffered one")
	}
	at := day(2023, time.September, 15)
	for range buffer + 1 {
		l.level(schoolCode, 3, at, at)
	}

	received := 0
	timeout := time.After(5 * time.Second)
	for closed := false; !closed; {
		select {
		case _, ok := <-live:
			if ok {
				received++
			} else {
				closed = true
			}
		case <-timeout:
			t.Fatalf("got %d events and an open channel after 5 seconds, want %d events and a closed channel", received, buffer)
		}
	}
	if received != buffer {
		t.Errorf("got %d events before the channel closed, want %d", received, buffer)
	}
}

func TestFollowLevelsKeepsOtherFollowers(t *testing.T) {
	l := newEventLog(t)
	_, lagging, cancelLagging := l.p.FollowLevels(0)
	defer cancelLagging()
	_, live, cancelLive := l.p.FollowLevels(0)
	defer cancelLive()

	at := day(2023, time.September, 15)
	buffer := cap(lagging)
	for i := range buffer + 1 {
		e := l.level(schoolCode, 3, at, at)
		if got := receive(t, live); got.StreamSequence != e.StreamSequence {
			t.Fatalf("event %d: got stream sequence %d, want %d", i, got.StreamSequence, e.StreamSequence)
		}
	}
	next := l.level(schoolCode, 2, at, at)
	if got := receive(t, live); got.StreamSequence != next.StreamSequence {
		t.Errorf("after the other follower was cut off: got stream sequence %d, want %d", got.StreamSequence, next.StreamSequence)
	}
}
