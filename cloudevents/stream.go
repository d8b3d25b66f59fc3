package cloudevents

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/eventstore"
)

// ensureStream creates the CloudEvents stream, or updates its
// configuration when it exists, with the replica count of source unless
// replicas is set.
func ensureStream(ctx context.Context, js jetstream.JetStream, name string, source jetstream.Stream, replicas int) (jetstream.Stream, error) {
	if replicas == 0 {
		replicas = source.CachedInfo().Config.Replicas
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        name,
		Description: "planledger events as CloudEvents 1.0 (JSON event format)",
		Subjects:    []string{AllSubjects},
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Duplicates:  eventstore.DefaultDuplicateWindow,
		// Like the event log, the stream has no age, count or size limit.
		Retention: jetstream.LimitsPolicy,
		MaxAge:    0,
		MaxMsgs:   -1,
		MaxBytes:  -1,
		Discard:   jetstream.DiscardOld,
		// Consumers rely on every event being in the stream. To rebuild it,
		// delete the whole stream: the relay creates it again and publishes
		// the log from the start. A purge would keep the server's
		// duplicate window, which would drop part of that republication.
		DenyDelete: true,
		DenyPurge:  true,
		// Direct get stays off, so the relay reads its resume position from
		// the stream leader rather than from a replica that may lag behind.
		AllowDirect: false,
	})
	if err != nil {
		return nil, fmt.Errorf("create or update stream %s: %w", name, err)
	}
	return stream, nil
}

// position is the relay's resume point: the next PLANLEDGER stream
// sequence to publish and the CloudEvents stream's last sequence, which the
// next publish states as expected.
type position struct {
	next   uint64
	ceLast uint64
	// foreign counts the messages without HeaderStreamSequence that
	// readPosition passed over.
	foreign uint64
}

// readPosition finds the resume position from the CloudEvents stream
// itself: its last message carries the source stream sequence in
// HeaderStreamSequence. Messages without that header, which only another
// publisher can have added, are passed over backwards. An empty stream
// resumes at the start of the log.
func readPosition(ctx context.Context, stream jetstream.Stream) (position, error) {
	info, err := stream.Info(ctx)
	if err != nil {
		return position{}, fmt.Errorf("read state of stream %s: %w", stream.CachedInfo().Config.Name, err)
	}
	state := info.State
	pos := position{next: 1, ceLast: state.LastSeq}
	if state.Msgs == 0 {
		return pos, nil
	}
	for seq := state.LastSeq; seq >= state.FirstSeq && seq > 0; seq-- {
		raw, err := stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return position{}, fmt.Errorf("read message %d of stream %s: %w", seq, info.Config.Name, err)
		}
		source, err := strconv.ParseUint(raw.Header.Get(HeaderStreamSequence), 10, 64)
		if err != nil || source == 0 {
			pos.foreign++
			continue
		}
		pos.next = source + 1
		return pos, nil
	}
	return pos, nil
}
