package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
	"github.com/planledger/planledger/importer"
	"github.com/planledger/planledger/projections"
)

// The benchmarks in this file compare planledger's event store with raw
// JetStream on the same embedded server in the same process. Each one runs
// a raw baseline first and then planledger's operation as sub-benchmarks.
// The sub-benchmarks that do the baseline's work report x_of_raw: the
// baseline's median time per operation divided by their own, so 0.5 means
// half the raw throughput. The metric is missing when a -bench pattern
// skips the baseline.
// docs/benchmarks.md records the command and the figures.

// The raw baseline stream takes the subjects raw.>, because JetStream
// rejects a second stream whose subjects overlap planledger.>. It has file
// storage and one replica like the planledger stream, and the server's
// defaults otherwise: no republish, no deny flags and no atomic batches.
const (
	rawStreamName    = "RAW"
	rawSubjectPrefix = "raw"
)

// benchTimeout bounds each wait inside a benchmark operation.
const benchTimeout = time.Minute

// benchEnv is one embedded server with the planledger store and the raw
// baseline stream.
type benchEnv struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	store  *eventstore.Store
	stream jetstream.Stream // the planledger stream
	raw    jetstream.Stream
}

var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// startBenchEnv starts an embedded server in a temporary folder, opens the
// planledger store on it and creates the raw stream.
func startBenchEnv(b *testing.B, syncAlways bool) *benchEnv {
	b.Helper()
	server, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{
		Port:       -1,
		StoreDir:   b.TempDir(),
		SyncAlways: syncAlways,
		Logger:     discardLogger,
	})
	if err != nil {
		b.Fatalf("StartEmbedded: %v", err)
	}
	b.Cleanup(server.Shutdown)
	nc, err := nats.Connect(server.ClientURL(), server.Credentials().AdminOption())
	if err != nil {
		b.Fatalf("connect to %s: %v", server.ClientURL(), err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatalf("jetstream.New: %v", err)
	}
	env := &benchEnv{nc: nc, js: js}
	env.resetStore(b)
	env.resetRaw(b)
	return env
}

// resetStore deletes the planledger stream and opens the store again, so
// the next operation starts from an empty log.
func (env *benchEnv) resetStore(b *testing.B) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	if err := env.js.DeleteStream(ctx, eventstore.DefaultStreamName); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		b.Fatalf("delete stream %s: %v", eventstore.DefaultStreamName, err)
	}
	store, err := eventstore.Open(ctx, env.nc, eventstore.StoreConfig{Logger: discardLogger})
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	stream, err := env.js.Stream(ctx, eventstore.DefaultStreamName)
	if err != nil {
		b.Fatalf("look up stream %s: %v", eventstore.DefaultStreamName, err)
	}
	env.store, env.stream = store, stream
}

// resetRaw deletes and creates the raw stream.
func (env *benchEnv) resetRaw(b *testing.B) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	if err := env.js.DeleteStream(ctx, rawStreamName); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		b.Fatalf("delete stream %s: %v", rawStreamName, err)
	}
	raw, err := env.js.CreateStream(ctx, jetstream.StreamConfig{
		Name:     rawStreamName,
		Subjects: []string{rawSubjectPrefix + ".>"},
		Storage:  jetstream.FileStorage,
		Replicas: 1,
	})
	if err != nil {
		b.Fatalf("create stream %s: %v", rawStreamName, err)
	}
	env.raw = raw
}

// rawSubject moves a planledger subject onto the raw stream's subjects.
func rawSubject(subject string) string {
	return rawSubjectPrefix + strings.TrimPrefix(subject, eventstore.SubjectPrefix)
}

// rawBaseline keeps the times per operation of a baseline sub-benchmark
// for the sub-benchmarks that run after it. With -count N the testing
// package runs each sub-benchmark N times in a row, so every run of a later
// sub-benchmark is compared with the median of all N baseline runs rather
// than with the last one alone.
type rawBaseline struct {
	runs []float64
}

func nsPerOp(b *testing.B) float64 {
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}

func (r *rawBaseline) record(b *testing.B) {
	r.runs = append(r.runs, nsPerOp(b))
}

// median returns the median of the baseline's runs, or 0 before the first.
func (r *rawBaseline) median() float64 {
	if len(r.runs) == 0 {
		return 0
	}
	sorted := slices.Sorted(slices.Values(r.runs))
	mid := len(sorted) / 2
	if len(sorted)%2 == 0 {
		return (sorted[mid-1] + sorted[mid]) / 2
	}
	return sorted[mid]
}

// report adds metric to b: the baseline's median time per operation divided
// by b's.
func (r *rawBaseline) report(b *testing.B, metric string) {
	if base := r.median(); base > 0 {
		b.ReportMetric(base/nsPerOp(b), metric)
	}
}

// reportSlowdown adds metric to b: b's time per operation divided by the
// baseline's median, for a baseline so fast that report's quotient would
// print as 0.
func (r *rawBaseline) reportSlowdown(b *testing.B, metric string) {
	if base := r.median(); base > 0 {
		b.ReportMetric(nsPerOp(b)/base, metric)
	}
}

func reportMillisPerOp(b *testing.B) {
	b.ReportMetric(nsPerOp(b)/1e6, "ms/op")
}

func reportEventsPerSecond(b *testing.B, eventsPerOp int) {
	b.ReportMetric(float64(eventsPerOp), "events/op")
	b.ReportMetric(float64(eventsPerOp)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// syncModes are the two settings of the embedded server's sync_always, for
// the benchmarks that write.
var syncModes = []bool{false, true}

// sectionText is 513 bytes of plan text. The bundled plans' sections are
// shorter (median 150 bytes, longest 1,154), so no benchmark understates
// the payload.
var sectionText = strings.Repeat("Chronic absence in grade 9 is the first need this year. ", 9)

// sectionRevision returns a request that revises a section of plan id
// after expected.
func sectionRevision(id string, expected uint64) domain.AppendRequest {
	return domain.AppendRequest{
		AggregateKind:    domain.KindPlan,
		AggregateID:      id,
		ExpectedSequence: expected,
		Draft: domain.Draft{
			Type:    domain.TypeSectionRevised,
			Payload: domain.SectionRevised{Key: "needs_assessment", Text: sectionText},
		},
		Metadata: domain.Metadata{Actor: "principal@newburyport"},
	}
}

// storedEnvelope appends one section revision to a plan of its own and
// returns the bytes stored for it, so the raw baseline publishes a message
// of the same size, and the plan's subject.
func storedEnvelope(b *testing.B, env *benchEnv) (envelope []byte, subject string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	event, err := env.store.Append(ctx, sectionRevision(uuid.NewString(), 0))
	if err != nil {
		b.Fatalf("Append sample event: %v", err)
	}
	msg, err := env.stream.GetMsg(ctx, event.StreamSequence)
	if err != nil {
		b.Fatalf("read sample event: %v", err)
	}
	return msg.Data, msg.Subject
}

// BenchmarkAppend compares one Append with its expected-sequence check
// against one synchronous publish of the same bytes. Two more
// sub-benchmarks split Append's cost. raw_expected_seq is the raw publish
// with the server-side checks that Append relies on: expected last subject
// sequence and message id. get_last_msg is the read of the aggregate's last
// event that Append makes before it publishes.
func BenchmarkAppend(b *testing.B) {
	for _, syncAlways := range syncModes {
		b.Run(fmt.Sprintf("sync_always=%t", syncAlways), func(b *testing.B) {
			env := startBenchEnv(b, syncAlways)
			envelope, sampleSubject := storedEnvelope(b, env)
			ctx := context.Background()
			var baseline rawBaseline

			b.Run("raw", func(b *testing.B) {
				subject := rawSubject(eventstore.Subject(domain.KindPlan, uuid.NewString()))
				for i := 0; i < b.N; i++ {
					if _, err := env.js.Publish(ctx, subject, envelope); err != nil {
						b.Fatalf("publish %d: %v", i, err)
					}
				}
				baseline.record(b)
			})
			b.Run("raw_expected_seq", func(b *testing.B) {
				subject := rawSubject(eventstore.Subject(domain.KindPlan, uuid.NewString()))
				var last uint64
				for i := 0; i < b.N; i++ {
					ack, err := env.js.Publish(ctx, subject, envelope,
						jetstream.WithExpectLastSequencePerSubject(last),
						jetstream.WithMsgID(uuid.NewString()))
					if err != nil {
						b.Fatalf("publish %d: %v", i, err)
					}
					last = ack.Sequence
				}
				baseline.report(b, "x_of_raw")
			})
			b.Run("get_last_msg", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := env.stream.GetLastMsgForSubject(ctx, sampleSubject); err != nil {
						b.Fatalf("GetLastMsgForSubject %d: %v", i, err)
					}
				}
			})
			b.Run("planledger", func(b *testing.B) {
				id := uuid.NewString()
				for i := 0; i < b.N; i++ {
					if _, err := env.store.Append(ctx, sectionRevision(id, uint64(i))); err != nil {
						b.Fatalf("Append %d: %v", i, err)
					}
				}
				baseline.report(b, "x_of_raw")
			})
		})
	}
}

// bundledOrgsAndLevels returns the bundled enrollment, profile and
// observation files as import sources, without the plans, whose import
// waits for the read model after every event.
func bundledOrgsAndLevels(b *testing.B) (importer.Sources, func() error) {
	b.Helper()
	src, closeAll, err := importer.BundledSources(data.Bundled())
	if err != nil {
		b.Fatalf("BundledSources: %v", err)
	}
	src.Plans = nil
	return src, closeAll
}

// importOrgsAndLevels imports the bundled orgs and levels into an empty
// store and returns how many events the import appended.
func importOrgsAndLevels(b *testing.B, store domain.EventStore) int {
	b.Helper()
	src, closeAll := bundledOrgsAndLevels(b)
	defer closeAll()
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	sum, err := importer.Run(ctx, store, projections.New(discardLogger), src, nil)
	if err != nil {
		b.Fatalf("import: %v", err)
	}
	return sum.Events
}

// storedMessage is the subject, headers and body of one stored event.
type storedMessage struct {
	subject string
	header  nats.Header
	data    []byte
}

// readStream returns every message of the planledger stream in order.
func readStream(b *testing.B, env *benchEnv) []storedMessage {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	last, err := env.store.LastSequence(ctx)
	if err != nil {
		b.Fatalf("LastSequence: %v", err)
	}
	messages := make([]storedMessage, 0, last)
	for seq := uint64(1); seq <= last; seq++ {
		msg, err := env.stream.GetMsg(ctx, seq)
		if err != nil {
			b.Fatalf("read stream sequence %d: %v", seq, err)
		}
		messages = append(messages, storedMessage{subject: msg.Subject, header: msg.Header, data: msg.Data})
	}
	return messages
}

// publishAllAsync publishes messages to the raw stream without waiting
// between them, then waits for every acknowledgement. nats.go v1.56.0 lets
// 4,000 publishes wait for their acknowledgement and by default fails a
// publish that waits more than 200 ms for room, which the import's 4,372
// messages exceed with sync_always on. The stall wait is raised so that
// such a publish waits instead.
func publishAllAsync(b *testing.B, env *benchEnv, messages []storedMessage) {
	b.Helper()
	futures := make([]jetstream.PubAckFuture, 0, len(messages))
	for i, m := range messages {
		future, err := env.js.PublishAsync(rawSubject(m.subject), m.data, jetstream.WithStallWait(benchTimeout))
		if err != nil {
			b.Fatalf("publish %d of %d: %v", i+1, len(messages), err)
		}
		futures = append(futures, future)
	}
	awaitAcks(b, env, futures)
}

// publishStoredAsync publishes messages as publishAllAsync does, but to the
// planledger stream and with the headers each was stored with, except the
// expected last subject sequence, which would make every publish to an
// aggregate wait for the one before it.
func publishStoredAsync(b *testing.B, env *benchEnv, messages []storedMessage) {
	b.Helper()
	futures := make([]jetstream.PubAckFuture, 0, len(messages))
	for i, m := range messages {
		msg := nats.NewMsg(m.subject)
		msg.Data = m.data
		for key, values := range m.header {
			if key != jetstream.ExpectedLastSubjSeqHeader {
				msg.Header[key] = values
			}
		}
		future, err := env.js.PublishMsgAsync(msg, jetstream.WithStallWait(benchTimeout))
		if err != nil {
			b.Fatalf("publish %d of %d: %v", i+1, len(messages), err)
		}
		futures = append(futures, future)
	}
	awaitAcks(b, env, futures)
}

// awaitAcks waits for every acknowledgement of futures.
func awaitAcks(b *testing.B, env *benchEnv, futures []jetstream.PubAckFuture) {
	b.Helper()
	select {
	case <-env.js.PublishAsyncComplete():
	case <-time.After(benchTimeout):
		b.Fatalf("%d of %d publishes unacknowledged after %s", env.js.PublishAsyncPending(), len(futures), benchTimeout)
	}
	for i, future := range futures {
		select {
		case <-future.Ok():
		case err := <-future.Err():
			b.Fatalf("publish %d of %d: %v", i+1, len(futures), err)
		}
	}
}

// discardStore accepts every append without storing it, so a benchmark can
// measure the importer's own work: parsing, decisions and read-model lookups.
type discardStore struct {
	last uint64
}

func (s *discardStore) Append(_ context.Context, req domain.AppendRequest) (domain.Event, error) {
	s.last++
	return domain.Event{Sequence: req.ExpectedSequence + 1, StreamSequence: s.last}, nil
}

func (s *discardStore) AppendBatch(_ context.Context, req domain.AppendRequest, drafts []domain.Draft) ([]domain.Event, error) {
	events := make([]domain.Event, len(drafts))
	for i := range drafts {
		s.last++
		events[i] = domain.Event{Sequence: req.ExpectedSequence + uint64(i) + 1, StreamSequence: s.last,
			BatchIndex: i, BatchSize: len(drafts)}
	}
	return events, nil
}

// BenchmarkBulkImport compares importer.Run of the bundled orgs and levels
// into an empty store against publishing the same messages asynchronously
// to an empty raw stream. stored_async publishes them as raw_async does,
// but to the planledger stream with the headers they were stored with, so
// it measures what the stream's configuration and the headers cost the
// server. importer_only runs the same import into a store that discards
// every event.
func BenchmarkBulkImport(b *testing.B) {
	for _, syncAlways := range syncModes {
		b.Run(fmt.Sprintf("sync_always=%t", syncAlways), func(b *testing.B) {
			env := startBenchEnv(b, syncAlways)
			importOrgsAndLevels(b, env.store)
			messages := readStream(b, env)
			var baseline rawBaseline

			b.Run("raw_async", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					env.resetRaw(b)
					b.StartTimer()
					publishAllAsync(b, env, messages)
				}
				baseline.record(b)
				reportMillisPerOp(b)
				reportEventsPerSecond(b, len(messages))
			})
			b.Run("stored_async", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					env.resetStore(b)
					b.StartTimer()
					publishStoredAsync(b, env, messages)
				}
				baseline.report(b, "x_of_raw")
				reportMillisPerOp(b)
				reportEventsPerSecond(b, len(messages))
			})
			b.Run("importer_only", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if got := importOrgsAndLevels(b, &discardStore{}); got != len(messages) {
						b.Fatalf("import appended %d events, want %d", got, len(messages))
					}
				}
				reportMillisPerOp(b)
				reportEventsPerSecond(b, len(messages))
			})
			b.Run("planledger", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					env.resetStore(b)
					b.StartTimer()
					if got := importOrgsAndLevels(b, env.store); got != len(messages) {
						b.Fatalf("import appended %d events, want %d", got, len(messages))
					}
				}
				baseline.report(b, "x_of_raw")
				reportMillisPerOp(b)
				reportEventsPerSecond(b, len(messages))
			})
		})
	}
}

// importBundled imports every bundled file, plans included, with a
// projector following the log as the importer's read model, and returns
// the stream's last sequence.
func importBundled(b *testing.B, env *benchEnv) uint64 {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	read := projections.New(discardLogger)
	stop, err := env.store.Subscribe(ctx, 0, "", read.Apply)
	if err != nil {
		b.Fatalf("Subscribe: %v", err)
	}
	defer stop()
	src, closeAll, err := importer.BundledSources(data.Bundled())
	if err != nil {
		b.Fatalf("BundledSources: %v", err)
	}
	defer closeAll()
	if _, err := importer.Run(ctx, env.store, read, src, nil); err != nil {
		b.Fatalf("import: %v", err)
	}
	last, err := env.store.LastSequence(ctx)
	if err != nil {
		b.Fatalf("LastSequence: %v", err)
	}
	return last
}

// replayRaw reads the planledger stream from the start with an ordered
// consumer until it has received stream sequence last. With decode set it
// also unmarshals each envelope.
func replayRaw(b *testing.B, env *benchEnv, last uint64, decode bool) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	consumer, err := env.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{eventstore.AllSubjects},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		b.Fatalf("create ordered consumer: %v", err)
	}
	iter, err := consumer.Messages()
	if err != nil {
		b.Fatalf("read ordered consumer: %v", err)
	}
	for {
		msg, err := iter.Next(jetstream.NextContext(ctx))
		if err != nil {
			b.Fatalf("next message: %v", err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			b.Fatalf("message metadata: %v", err)
		}
		if decode {
			var event domain.Event
			if err := json.Unmarshal(msg.Data(), &event); err != nil {
				b.Fatalf("decode stream sequence %d: %v", meta.Sequence.Stream, err)
			}
		}
		if meta.Sequence.Stream >= last {
			break
		}
	}
	iter.Stop()
	// Subscribe's stop deletes its consumer too, so both sides pay for it.
	if err := env.js.DeleteConsumer(ctx, eventstore.DefaultStreamName, consumer.CachedInfo().Name); err != nil {
		b.Fatalf("delete consumer: %v", err)
	}
}

// rebuildProjection folds the whole log into a new projector through
// Subscribe and returns the projector once it has applied stream sequence
// last.
func rebuildProjection(b *testing.B, env *benchEnv, last uint64) *projections.Projector {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	read := projections.New(discardLogger)
	stop, err := env.store.Subscribe(ctx, 0, "", read.Apply)
	if err != nil {
		b.Fatalf("Subscribe: %v", err)
	}
	if err := read.WaitFor(ctx, last); err != nil {
		b.Fatalf("WaitFor %d: %v", last, err)
	}
	stop()
	return read
}

// BenchmarkProjectionRebuild compares rebuilding the read model from the
// bundled log against replaying the same stream with a raw ordered
// consumer. raw_decode also unmarshals each envelope, which the rebuild
// does before folding it. Reads do not depend on sync_always, so the server
// runs with it off.
func BenchmarkProjectionRebuild(b *testing.B) {
	env := startBenchEnv(b, false)
	last := importBundled(b, env)
	read := rebuildProjection(b, env, last)
	if got := read.Stats()["plans"]; got != 5 {
		b.Fatalf("rebuilt projection holds %d plans, want the 5 bundled plans", got)
	}
	var baseline rawBaseline

	b.Run("raw", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			replayRaw(b, env, last, false)
		}
		baseline.record(b)
		reportMillisPerOp(b)
		reportEventsPerSecond(b, int(last))
	})
	b.Run("raw_decode", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			replayRaw(b, env, last, true)
		}
		baseline.report(b, "x_of_raw")
		reportMillisPerOp(b)
		reportEventsPerSecond(b, int(last))
	})
	b.Run("planledger", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rebuildProjection(b, env, last)
		}
		baseline.report(b, "x_of_raw")
		reportMillisPerOp(b)
		reportEventsPerSecond(b, int(last))
	})
}

// Plans that BenchmarkPlanAsOf reads, each with asOfPlanEvents events.
// Both have the same events, but in the scheduled plan the second event
// takes effect after all the others, like a change recorded early to hold
// from a later date.
const (
	asOfPlanEvents      = 10_000
	asOfPlanID          = "0190e0c0-0000-7000-8000-00000000a50f"
	asOfScheduledPlanID = "0190e0c0-0000-7000-8000-00000000a510"
)

// asOfStart is the effective time of a plan's first event. Event i takes
// effect i hours later, except the scheduled plan's event 1.
var asOfStart = time.Date(2016, 9, 1, 12, 0, 0, 0, time.UTC)

// asOfEnd is the effective time of the scheduled plan's event 1, after
// every other event of either plan.
var asOfEnd = asOfStart.Add(asOfPlanEvents * time.Hour)

// asOfPlanDraft returns the draft of event i of a benchmark plan, a SIP.
// Event 0 creates it. In every later run of ten events, six revise a
// section, one adopts a goal, two revise that goal and the last withdraws
// the goal adopted five runs earlier, so about five goals are active.
func asOfPlanDraft(planID string, i int) domain.Draft {
	effective := asOfStart.Add(time.Duration(i) * time.Hour)
	if planID == asOfScheduledPlanID && i == 1 {
		effective = asOfEnd
	}
	if i == 0 {
		return domain.Draft{Type: domain.TypePlanCreated, EffectiveAt: effective, Payload: domain.PlanCreated{
			ID: planID, Kind: domain.PlanSIP, OrgCode: "02040505", FirstYear: 2017, LastYear: 2017,
			Title: "Newburyport High School improvement plan 2016-17",
		}}
	}
	run := i / 10
	switch step := i % 10; {
	case step == 6:
		return domain.Draft{Type: domain.TypeGoalAdopted, EffectiveAt: effective,
			Payload: domain.GoalAdopted{Goal: asOfGoal(run, 0)}}
	case step == 7 || step == 8:
		return domain.Draft{Type: domain.TypeGoalRevised, EffectiveAt: effective,
			Payload: domain.GoalRevised{Goal: asOfGoal(run, step-6)}}
	case step == 9 && run >= 5:
		return domain.Draft{Type: domain.TypeGoalWithdrawn, EffectiveAt: effective,
			Payload: domain.GoalWithdrawn{GoalID: asOfGoal(run-5, 0).ID}}
	default:
		section := domain.SIPSections[i%len(domain.SIPSections)]
		return domain.Draft{Type: domain.TypeSectionRevised, EffectiveAt: effective,
			Payload: domain.SectionRevised{Key: section.Key, Text: fmt.Sprintf("Revision %d. %s", i, sectionText)}}
	}
}

// asOfGoal returns goal number n of a benchmark plan in its revision-th
// wording.
func asOfGoal(n, revision int) domain.Goal {
	return domain.Goal{
		ID:        uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "benchmark-goal-%d", n)).String(),
		Title:     fmt.Sprintf("Fewer chronically absent ninth graders, goal %d", n),
		Statement: fmt.Sprintf("By June 2017, cut chronic absence in grade 9 by a quarter (wording %d).", revision),
		Owner:     "Assistant Principal",
		Timeline:  "September 2016 to June 2017",
		Actions: []domain.Action{
			{Text: "Weekly attendance team review", Owner: "Attendance team", Timeline: "Weekly"},
			{Text: "Call home after the second absence", Owner: "Guidance", Timeline: "Ongoing"},
		},
		Measures: []domain.Measure{
			{Description: "Grade 9 students chronically absent", Baseline: "16%", Target: "12%"},
		},
	}
}

// appendAsOfPlans appends both benchmark plans' events and returns a
// projector that has applied them all.
func appendAsOfPlans(b *testing.B, env *benchEnv) *projections.Projector {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	read := projections.New(discardLogger)
	stop, err := env.store.Subscribe(ctx, 0, "", read.Apply)
	if err != nil {
		b.Fatalf("Subscribe: %v", err)
	}
	defer stop()
	var last domain.Event
	for _, planID := range []string{asOfPlanID, asOfScheduledPlanID} {
		for i := range asOfPlanEvents {
			req := domain.AppendRequest{
				AggregateKind: domain.KindPlan, AggregateID: planID, ExpectedSequence: uint64(i),
				Draft: asOfPlanDraft(planID, i), Metadata: domain.Metadata{Actor: "principal@newburyport"},
			}
			if last, err = env.store.Append(ctx, req); err != nil {
				b.Fatalf("Append event %d of plan %s: %v", i, planID, err)
			}
		}
	}
	if err := read.WaitFor(ctx, last.StreamSequence); err != nil {
		b.Fatalf("WaitFor %d: %v", last.StreamSequence, err)
	}
	return read
}

// BenchmarkPlanAsOf compares as-of reads of a plan with 10,000 events
// against a read of its current state. It reports times_current, the as-of
// read's time divided by the current read's.
//
//   - as_of_middle reads at an instant halfway through the plan's history,
//     which includes 5,000 events. The projector starts from its latest
//     snapshot whose events all take effect by then.
//   - as_of_latest reads at an instant that includes all 10,000 events.
//   - as_of_middle_full_fold reads the scheduled plan at the same instant.
//     Its event 1 takes effect later, so every snapshot holds an event that
//     the read excludes, and the read folds all 4,999 included events.
//
// The server runs with sync_always off because only the set-up writes.
func BenchmarkPlanAsOf(b *testing.B) {
	env := startBenchEnv(b, false)
	read := appendAsOfPlans(b, env)
	middle := projections.AsOf{
		Instant: asOfStart.Add(asOfPlanEvents / 2 * time.Hour).Add(-time.Minute),
		Basis:   projections.BasisEffective,
	}
	latest := projections.AsOf{Instant: asOfEnd, Basis: projections.BasisEffective}
	cases := []struct {
		name   string
		planID string
		at     projections.AsOf
		// lastSequence is the last aggregate sequence the read folds in.
		lastSequence uint64
	}{
		{"as_of_middle", asOfPlanID, middle, asOfPlanEvents / 2},
		{"as_of_latest", asOfPlanID, latest, asOfPlanEvents},
		{"as_of_middle_full_fold", asOfScheduledPlanID, middle, asOfPlanEvents / 2},
	}
	for _, tc := range cases {
		view, err := read.PlanAt(tc.planID, tc.at)
		if err != nil {
			b.Fatalf("%s: PlanAt: %v", tc.name, err)
		}
		if view.LastSequence != tc.lastSequence {
			b.Fatalf("%s: PlanAt folded through sequence %d, want %d", tc.name, view.LastSequence, tc.lastSequence)
		}
	}
	var current rawBaseline

	b.Run("current", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, ok := read.Plan(asOfPlanID); !ok {
				b.Fatalf("plan %s not found", asOfPlanID)
			}
		}
		current.record(b)
	})
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := read.PlanAt(tc.planID, tc.at); err != nil {
					b.Fatalf("PlanAt: %v", err)
				}
			}
			current.reportSlowdown(b, "times_current")
			reportMillisPerOp(b)
		})
	}
}
