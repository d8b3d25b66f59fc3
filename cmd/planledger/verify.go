package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// errVerifyFailed is returned when verify finds a problem. The problems and
// a summary are already written to standard output.
var errVerifyFailed = errors.New("verification failed")

// verifyProgressInterval is how often verify logs its position in a long log.
const verifyProgressInterval = 2 * time.Second

// runVerify checks the whole log, or with -pdf one printed plan against the
// log, and writes one line per problem and a summary to out. Like import,
// it opens the store itself: point -data at a stopped server's folder, or
// -nats at a running server. It adds no messages and does not create the
// stream or change its configuration.
func runVerify(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	var cfg Config
	cfg.bindFlags(fs, false)
	// verify serves no subscribers, so its embedded server takes a free
	// port unless one is requested, and can run beside a server on 4222.
	if f := fs.Lookup("nats-listen"); f != nil && os.Getenv("PLANLEDGER_NATS_LISTEN") == "" {
		f.DefValue = "127.0.0.1:-1"
		f.Usage = "host:port the embedded NATS server listens on; the default port -1 picks a free one (PLANLEDGER_NATS_LISTEN)"
	}
	pdfPath := fs.String("pdf", "", "printed plan PDF to check against the log; without it, verify checks the whole log")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: pass the PDF as -pdf FILE", fs.Arg(0))
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	if !flagSet(fs, "nats-listen") && os.Getenv("PLANLEDGER_NATS_LISTEN") == "" {
		cfg.NATSListen = "127.0.0.1:-1"
	}
	// StartEmbedded would create a mistyped folder and report an empty store.
	if cfg.NATSURL == "" {
		if info, err := os.Stat(cfg.DataDir); err != nil || !info.IsDir() {
			return fmt.Errorf("no store folder at %s: pass -data with the folder of a stopped planledger, "+
				"or -nats with the NATS URL of a running one", cfg.DataDir)
		}
	}
	log := cfg.logger()
	slog.SetDefault(log)

	nc, closeStore, err := connectStore(cfg, log)
	if err != nil {
		return err
	}
	defer closeStore()
	if *pdfPath != "" {
		return verifyPDF(ctx, nc, *pdfPath, out, log)
	}
	return verifyLog(ctx, nc, out, log)
}

// connectStore connects to the store without opening the App, whose
// start-up waits for the read model to apply the last stored message. A
// tampered log can end with a message that does not decode, which the
// read model never applies. On a stopped store it starts the embedded
// server, and closeStore stops it again.
func connectStore(cfg Config, log *slog.Logger) (nc *nats.Conn, closeStore func(), err error) {
	url := cfg.NATSURL
	var embedded *eventstore.Embedded
	if url == "" {
		host, port, err := splitHostPort(cfg.NATSListen)
		if err != nil {
			return nil, nil, err
		}
		embedded, err = eventstore.StartEmbedded(eventstore.EmbeddedConfig{
			Host: host, Port: port, StoreDir: cfg.DataDir, SyncAlways: cfg.SyncAlways, Logger: log,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("start embedded NATS in %s: %w", cfg.DataDir, err)
		}
		url = embedded.ClientURL()
	}
	if embedded != nil {
		nc, err = embedded.Connect(nats.Name("planledger verify"))
	} else {
		var credentials []nats.Option
		credentials, err = cfg.natsCredentials()
		if err != nil {
			return nil, nil, err
		}
		nc, err = nats.Connect(url, append(credentials, nats.Name("planledger verify"))...)
	}
	if err != nil {
		if embedded != nil {
			embedded.Shutdown()
		}
		return nil, nil, fmt.Errorf("connect to NATS at %s: %w", redactURL(url), err)
	}
	return nc, func() {
		nc.Close()
		if embedded != nil {
			embedded.Shutdown()
		}
	}, nil
}

// flagSet reports whether the command line set the named flag.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// verifyLog reads every stored message and checks each aggregate's chain.
func verifyLog(ctx context.Context, nc *nats.Conn, out io.Writer, log *slog.Logger) error {
	start := time.Now()
	check := newLogCheck()
	err := readStream(ctx, nc, eventstore.AllSubjects, log, func(subject string, data []byte, streamSeq uint64) {
		check.add(subject, data, streamSeq)
	})
	if err != nil {
		return err
	}
	check.finish()
	for _, p := range check.problems {
		fmt.Fprintln(out, p)
	}
	log.Info("log verified", "events", check.events, "aggregates", len(check.aggregates),
		"problems", len(check.problems), "unchained", check.unchained, "duration_ms", time.Since(start).Milliseconds())

	if len(check.problems) == 0 {
		fmt.Fprintf(out, "log verified: %d events in %d aggregates, no problems", check.events, len(check.aggregates))
		if check.unchained > 0 {
			fmt.Fprintf(out, "; %d events were stored before hash chaining, so only their sequence and subject were checked",
				check.unchained)
		}
		fmt.Fprintln(out)
		return nil
	}
	fmt.Fprintf(out, "log verification failed: %d problems (%s) in %d of %d aggregates; %d events checked\n",
		len(check.problems), check.kindCounts(), check.failedAggregates(), len(check.aggregates), check.events)
	return errVerifyFailed
}

// readStream calls visit with every message stored on filter, in stream
// order, up to the last one stored when it starts. It reads the raw
// messages with an ordered consumer, not through the read model, so it
// gets the bytes as stored.
func readStream(ctx context.Context, nc *nats.Conn, filter string, log *slog.Logger,
	visit func(subject string, data []byte, streamSeq uint64)) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("read %s: %w", filter, err)
	}
	stream, err := js.Stream(ctx, eventstore.DefaultStreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("read %s: the store has no stream %s, so nothing was ever stored in it", filter, eventstore.DefaultStreamName)
	}
	if err != nil {
		return fmt.Errorf("read %s: look up stream %s: %w", filter, eventstore.DefaultStreamName, err)
	}
	last, err := lastStreamSequence(ctx, stream, filter)
	if err != nil || last == 0 {
		return err
	}

	consumer, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("read %s: create ordered consumer: %w", filter, err)
	}
	defer deleteConsumer(ctx, js, consumer, log)
	iter, err := consumer.Messages()
	if err != nil {
		return fmt.Errorf("read %s: %w", filter, err)
	}
	defer iter.Stop()

	nextLog := time.Now().Add(verifyProgressInterval)
	for {
		msg, err := iter.Next(jetstream.NextContext(ctx))
		if err != nil {
			return fmt.Errorf("read %s: %w", filter, err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("read %s: metadata of message on %s: %w", filter, msg.Subject(), err)
		}
		seq := meta.Sequence.Stream
		visit(msg.Subject(), msg.Data(), seq)
		if seq >= last {
			return nil
		}
		if time.Now().After(nextLog) {
			log.Info("verifying log", "stream_seq", seq, "last_stream_seq", last)
			nextLog = time.Now().Add(verifyProgressInterval)
		}
	}
}

// lastStreamSequence returns the stream sequence of the last message on
// filter, 0 when there is none.
func lastStreamSequence(ctx context.Context, stream jetstream.Stream, filter string) (uint64, error) {
	if filter == eventstore.AllSubjects {
		info, err := stream.Info(ctx)
		if err != nil {
			return 0, fmt.Errorf("read %s: stream info: %w", filter, err)
		}
		return info.State.LastSeq, nil
	}
	msg, err := stream.GetLastMsgForSubject(ctx, filter)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: last message: %w", filter, err)
	}
	return msg.Sequence, nil
}

// deleteConsumer removes the ordered consumer at once rather than leaving
// it to the server's inactivity timeout, and logs a failure.
func deleteConsumer(ctx context.Context, js jetstream.JetStream, consumer jetstream.Consumer, log *slog.Logger) {
	info := consumer.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := js.DeleteConsumer(ctx, eventstore.DefaultStreamName, info.Name); err != nil &&
		!errors.Is(err, jetstream.ErrConsumerNotFound) {
		log.Warn("delete verify consumer failed", "consumer", info.Name, "error", err)
	}
}

// Problem kinds that verify reports.
const (
	problemEdited       = "edited"        // the stored hash does not match the event's contents
	problemRemoved      = "removed"       // aggregate sequences are missing
	problemReordered    = "reordered"     // an event is stored after one with a higher aggregate sequence
	problemInserted     = "inserted"      // a repeated sequence, a prev_hash naming another event, or a hashless event after chained ones
	problemWrongSubject = "wrong-subject" // the envelope names another aggregate than the subject it is stored on
	problemMalformed    = "malformed"     // the message body is not an event envelope
)

// problem is one finding, at an aggregate sequence (0 when the message has
// none) and a stream sequence.
type problem struct {
	Kind      string
	Subject   string
	Sequence  uint64
	StreamSeq uint64
	// Before marks a removed sequence: StreamSeq is then the position of
	// the next event that is present.
	Before bool
	Detail string
}

func (p problem) String() string {
	position := fmt.Sprintf("stream sequence %d", p.StreamSeq)
	if p.Before {
		position = "before " + position
	}
	if p.Sequence > 0 {
		position = fmt.Sprintf("aggregate sequence %d, %s", p.Sequence, position)
	}
	return fmt.Sprintf("%s: %s %s: %s", p.Kind, p.Subject, position, p.Detail)
}

// chainEntry is the part of one stored event that the chain check keeps.
type chainEntry struct {
	streamSeq uint64
	sequence  uint64
	hash      string
	prevHash  string
}

func (e chainEntry) chained() bool {
	return e.hash != "" || e.prevHash != ""
}

// logCheck collects stored messages by aggregate subject and the problems
// found in them. Call add for each message in stream order, then finish.
type logCheck struct {
	aggregates map[string][]chainEntry // by subject, in stream order
	events     int                     // messages read
	unchained  int                     // events stored before chaining, which pass
	problems   []problem
}

func newLogCheck() *logCheck {
	return &logCheck{aggregates: map[string][]chainEntry{}}
}

// add checks one message on its own (envelope, hash and subject) and keeps
// it for the chain checks in finish. It returns the decoded event, with
// StreamSequence set, and false when the message is not an envelope.
//
// NOTE: the decoding repeats eventstore's unexported decodeEnvelope (JSON
// with an id and a sequence). If the two drift apart, verify -pdf folds a
// read model that differs from the server's.
func (c *logCheck) add(subject string, data []byte, streamSeq uint64) (domain.Event, bool) {
	c.events++
	if _, seen := c.aggregates[subject]; !seen {
		c.aggregates[subject] = nil
	}
	report := func(kind string, seq uint64, format string, args ...any) {
		c.problems = append(c.problems, problem{Kind: kind, Subject: subject, Sequence: seq, StreamSeq: streamSeq,
			Detail: fmt.Sprintf(format, args...)})
	}

	var e domain.Event
	if err := json.Unmarshal(data, &e); err != nil {
		report(problemMalformed, 0, "the body is not an event envelope: %v", err)
		return domain.Event{}, false
	}
	if e.ID == "" || e.Sequence == 0 {
		report(problemMalformed, e.Sequence, "the envelope has no id or no sequence")
		return domain.Event{}, false
	}
	e.StreamSequence = streamSeq
	entry := chainEntry{streamSeq: streamSeq, sequence: e.Sequence, hash: e.Hash, prevHash: e.PrevHash}
	if entry.chained() {
		recomputed, err := domain.ChainHash(e)
		switch {
		case err != nil:
			report(problemMalformed, e.Sequence, "the hash cannot be recomputed: %v", err)
		case recomputed != e.Hash:
			report(problemEdited, e.Sequence, "the stored hash %s does not match the hash of its contents, %s",
				shortHash(e.Hash), shortHash(recomputed))
		}
	}
	_, registered := domain.NewState(e.AggregateKind)
	switch {
	case e.AggregateKind == domain.KindOrg, e.AggregateKind == domain.KindLevel, e.AggregateKind == domain.KindPlan, registered:
	default:
		report(problemWrongSubject, e.Sequence, "the envelope names the unknown aggregate kind %q", e.AggregateKind)
		return e, true
	}
	if want := eventstore.Subject(e.AggregateKind, e.AggregateID); want != subject {
		report(problemWrongSubject, e.Sequence, "the envelope names %s %s, whose subject is %s",
			e.AggregateKind, e.AggregateID, want)
		return e, true
	}
	c.aggregates[subject] = append(c.aggregates[subject], entry)
	return e, true
}

// finish checks every aggregate's chain and sorts the problems by stream
// sequence.
func (c *logCheck) finish() {
	for subject, entries := range c.aggregates {
		problems, unchained := checkChain(subject, entries)
		c.problems = append(c.problems, problems...)
		c.unchained += unchained
	}
	slices.SortStableFunc(c.problems, func(a, b problem) int {
		return cmp.Or(cmp.Compare(a.StreamSeq, b.StreamSeq), cmp.Compare(a.Subject, b.Subject),
			cmp.Compare(a.Sequence, b.Sequence), cmp.Compare(a.Kind, b.Kind))
	})
}

// checkChain checks one aggregate's events, given in stream order: the
// sequences run 1, 2, 3 without repeats or gaps in stream order, and each
// chained event's prev_hash is the hash of the event before it. Events
// stored before chaining have no hashes; they pass, and are counted, as
// long as no chained event comes before them.
func checkChain(subject string, entries []chainEntry) (problems []problem, unchained int) {
	report := func(kind string, at chainEntry, format string, args ...any) {
		problems = append(problems, problem{Kind: kind, Subject: subject, Sequence: at.sequence,
			StreamSeq: at.streamSeq, Detail: fmt.Sprintf(format, args...)})
	}

	// The first event stored with each sequence is the one a reader
	// folds, so later ones with the same sequence are the inserted ones.
	first := map[uint64]chainEntry{}
	var kept []chainEntry
	var highest chainEntry
	for _, e := range entries {
		if original, repeated := first[e.sequence]; repeated {
			report(problemInserted, e, "repeats aggregate sequence %d, first stored at stream sequence %d",
				e.sequence, original.streamSeq)
			continue
		}
		first[e.sequence] = e
		if e.sequence < highest.sequence {
			report(problemReordered, e, "stored after aggregate sequence %d at stream sequence %d",
				highest.sequence, highest.streamSeq)
		} else {
			highest = e
		}
		kept = append(kept, e)
	}

	slices.SortFunc(kept, func(a, b chainEntry) int { return cmp.Compare(a.sequence, b.sequence) })
	var prev *chainEntry
	chainStarted := false
	next := uint64(1)
	for i, e := range kept {
		if e.sequence > next {
			missing := fmt.Sprintf("aggregate sequence %d is missing", next)
			if e.sequence-next > 1 {
				missing = fmt.Sprintf("aggregate sequences %d to %d are missing", next, e.sequence-1)
			}
			problems = append(problems, problem{Kind: problemRemoved, Subject: subject, Sequence: next,
				StreamSeq: e.streamSeq, Before: true, Detail: missing})
			prev = nil // the link across a gap cannot be checked
		}
		next = e.sequence + 1

		switch {
		case !e.chained() && chainStarted:
			report(problemInserted, e, "the event has no hash, but an earlier event of this aggregate is chained")
		case !e.chained():
			unchained++
		case e.sequence == 1 && e.prevHash != "":
			report(problemInserted, e, "prev_hash is %s, but the first event of an aggregate has none", shortHash(e.prevHash))
		case prev != nil && e.prevHash != prev.hash:
			report(problemInserted, e, "prev_hash %s does not match the hash %s of aggregate sequence %d at stream sequence %d",
				shortHash(e.prevHash), shortHash(prev.hash), prev.sequence, prev.streamSeq)
		}
		if e.chained() {
			chainStarted = true
		}
		prev = &kept[i]
	}
	return problems, unchained
}

// shortHash shortens a hash to the 16 hex digits a PDF footer prints.
func shortHash(h string) string {
	switch {
	case h == "":
		return "(none)"
	case len(h) > 16:
		return h[:16]
	}
	return h
}

// kindCounts lists the number of problems of each kind, such as
// "edited 1, removed 2".
func (c *logCheck) kindCounts() string {
	counts := map[string]int{}
	for _, p := range c.problems {
		counts[p.Kind]++
	}
	kinds := make([]string, 0, len(counts))
	for kind, n := range counts {
		kinds = append(kinds, fmt.Sprintf("%s %d", kind, n))
	}
	slices.Sort(kinds)
	return strings.Join(kinds, ", ")
}

// failedAggregates counts the subjects with at least one problem.
func (c *logCheck) failedAggregates() int {
	subjects := map[string]bool{}
	for _, p := range c.problems {
		subjects[p.Subject] = true
	}
	return len(subjects)
}
