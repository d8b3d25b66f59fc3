package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/planledger/planledger/domain"
)

// This file tests the CloudEvents relay as a program outside planledger
// would see it: a plain nats.go client reads the streams, sdk-go decodes
// the CloudEvents, and the AsyncAPI document comes from GET /asyncapi.json.
// planledger's own packages serve only to start the server and to write.

// Names a consumer takes from the AsyncAPI document and docs/cloudevents.md.
const (
	logStream        = "PLANLEDGER"
	cloudEventStream = "PLANLEDGER_CLOUDEVENTS"
	cloudEventPrefix = "us.ma.planledger."
)

// ceTestTimeout bounds each wait of the CloudEvents test.
const ceTestTimeout = 3 * time.Minute

// startCloudEventsServer starts planledger on dir without the bundled
// data, with or without the relay.
func startCloudEventsServer(t *testing.T, dir string, relay bool) (*server, string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	cfg := Config{DataDir: dir, Listen: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", Replicas: 1,
		SyncAlways: false, CloudEvents: relay, LogLevel: "warn", LogFormat: "text"}
	ctx, cancel := context.WithTimeout(context.Background(), ceTestTimeout)
	defer cancel()
	srv, err := startServer(ctx, cfg, log)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	return srv, srv.http.URL()
}

// streamMsg is one stored message as a consumer reads it.
type streamMsg struct {
	seq     uint64
	subject string
	header  nats.Header
	data    []byte
	stored  time.Time
}

// consumeStream reads stream with an ordered consumer configured by cfg until
// done returns true for a message, and returns the messages read.
func consumeStream(t *testing.T, nc *nats.Conn, stream string, cfg jetstream.OrderedConsumerConfig, done func(streamMsg) bool) []streamMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ceTestTimeout)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("open stream %s: %v", stream, err)
	}
	consumer, err := s.OrderedConsumer(ctx, cfg)
	if err != nil {
		t.Fatalf("create an ordered consumer on %s: %v", stream, err)
	}
	iter, err := consumer.Messages()
	if err != nil {
		t.Fatal(err)
	}
	defer iter.Stop()
	var out []streamMsg
	for {
		msg, err := iter.Next(jetstream.NextContext(ctx))
		if err != nil {
			t.Fatalf("read %s after %d messages: %v", stream, len(out), err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			t.Fatal(err)
		}
		m := streamMsg{seq: meta.Sequence.Stream, subject: msg.Subject(), header: msg.Headers(), data: msg.Data(), stored: meta.Timestamp}
		out = append(out, m)
		if done(m) {
			return out
		}
	}
}

// lastSequence returns the last sequence of stream.
func lastSequence(t *testing.T, nc *nats.Conn, stream string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ceTestTimeout)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("open stream %s: %v", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}

// readCloudEventsUpTo reads the CloudEvents stream from the start until the
// CloudEvent of log event logSeq.
func readCloudEventsUpTo(t *testing.T, nc *nats.Conn, cfg jetstream.OrderedConsumerConfig, logSeq uint64) []streamMsg {
	t.Helper()
	want := strconv.FormatUint(logSeq, 10)
	return consumeStream(t, nc, cloudEventStream, cfg, func(m streamMsg) bool {
		return m.header.Get("Planledger-Stream-Sequence") == want
	})
}

// writeReview schedules a review of Holyoke and records its visit, a
// finding and a recommendation over HTTP, from the document's examples.
func writeReview(t *testing.T, base string, department map[string]string) {
	t.Helper()
	reviewID := "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	steps := []struct {
		path, body string
		status     int
	}{
		{"/v1/reviews", `{"id":"` + reviewID + `","district_code":"01370000","type":"level_4",
			"document_review":{"start":"2014-01-06","end":"2014-01-07"},"on_site":{"start":"2014-01-27","end":"2014-01-30"},
			"effective_date":"2013-12-02"}`, http.StatusCreated},
		{"/v1/reviews/" + reviewID + "/conducted", `{"on_site":{"start":"2014-01-27","end":"2014-01-30"},
			"evidence":{"documents_reviewed":64,"dart_data":true,"classroom_observations":71,
			"interviews":[{"group":"district_leaders","count":9}],"focus_groups":[{"group":"teachers","count":6}]},
			"expected_sequence":1,"effective_date":"2014-01-31"}`, http.StatusOK},
		{"/v1/reviews/" + reviewID + "/findings", `{"id":"6f1c2b7e-1d2a-4e8b-9c3d-2a1b0c9d8e72","standard":"assessment",
			"polarity":"challenge","summary":"Schools use assessment data unevenly to adjust instruction.",
			"evidence":"Teacher focus groups and classroom observations (illustrative).","expected_sequence":2}`, http.StatusCreated},
		{"/v1/reviews/" + reviewID + "/recommendations", `{"id":"8a2d3c4e-5f6a-4b7c-8d9e-0f1a2b3c4d51","standard":"assessment",
			"finding_ids":["6f1c2b7e-1d2a-4e8b-9c3d-2a1b0c9d8e72"],
			"statement":"Establish a common cycle of data meetings in every school.","expected_sequence":3}`, http.StatusCreated},
	}
	for _, step := range steps {
		wantStatus(t, call(t, "POST", base+step.path, department, step.body), step.status)
	}
}

// writeOtherKinds writes one event or more of each remaining aggregate
// kind over HTTP, from the document's examples: a library item, a survey
// and its answer, and a self-evaluation with a rating.
func writeOtherKinds(t *testing.T, base, dir string, department map[string]string) {
	t.Helper()
	district := signIn(t, dir, domain.RoleDistrictEditor, newburyportDistrict, "superintendent@newburyport")
	surveyID := "0b9f7c1e-8d2a-4c53-9a6e-5f4e3d2c1b0a"
	steps := []struct {
		path   string
		header map[string]string
		body   string
		status int
	}{
		{"/v1/assistance/library", department, `{"id":"pioneer-valley-network-calendar","kind":"example",
			"title":"Pioneer Valley DSAC network calendar","description":"Dates of the regional network meetings for the school year.",
			"audience":["district","school"],"levels":[1,2,3],"publisher":"Pioneer Valley DSAC","source_urls":[]}`, http.StatusCreated},
		{"/v1/surveys", department, `{"id":"` + surveyID + `","instrument_id":"tell-mass","org_codes":["02040000"],
			"opens_at":"2017-10-01","closes_at":"2099-10-31"}`, http.StatusCreated},
		{"/v1/surveys/" + surveyID + "/responses", district, `{"answers":{"school_leadership":4,"focus_area":"Use of time",
			"comment":"More common planning time."}}`, http.StatusCreated},
		{"/v1/self-evaluations", district, `{"district_code":"02040000","year":2016,
			"note":"Leadership team and school committee representatives.","effective_date":"2016-03-01"}`, http.StatusCreated},
	}
	for _, step := range steps {
		wantStatus(t, call(t, "POST", base+step.path, step.header, step.body), step.status)
	}
	wantStatus(t, call(t, "PUT", base+"/v1/self-evaluations/02040000-2016/ratings/student_support", district,
		`{"rating":2,"rationale":"Counselors respond to crises but no tiered social-emotional system exists yet.","expected_sequence":1}`),
		http.StatusOK)
}

// TestCloudEventsOutsideConsumer stores the bundled data and a few writes
// without the relay, starts the relay, stops it halfway, restarts it, and
// then reads everything as an outside consumer.
func TestCloudEventsOutsideConsumer(t *testing.T) {
	dir := t.TempDir()

	// Phase 1: the log, written while a core NATS subscriber follows the
	// live subjects.
	srv, base := startCloudEventsServer(t, dir, false)
	nc, err := nats.Connect(srv.app.embedded.ClientURL(), srv.app.embedded.Credentials().ReaderOption())
	if err != nil {
		t.Fatal(err)
	}
	var liveMu sync.Mutex
	var live []*nats.Msg
	sub, err := nc.Subscribe("live.planledger.>", func(m *nats.Msg) {
		liveMu.Lock()
		defer liveMu.Unlock()
		live = append(live, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ceTestTimeout)
	defer cancel()
	if err := importBundled(ctx, srv.app, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("import the bundled data: %v", err)
	}
	department := signIn(t, dir, domain.RoleDepartment, "", "dese-staff@doe.mass.edu")
	writeReview(t, base, department)
	writeOtherKinds(t, base, dir, department)
	wantStatus(t, call(t, "POST", base+"/v1/orgs/"+newburyportHigh+"/levels", department,
		`{"level":1,"reason":"Meeting gap narrowing goals","source":"DESE school profile, 2017 accountability data","effective_date":"2017-09-30"}`),
		http.StatusCreated)
	total := lastSequence(t, nc, logStream)
	waitUntil(t, "the live subscriber receives every event", func() bool {
		liveMu.Lock()
		defer liveMu.Unlock()
		return uint64(len(live)) >= total
	})
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("stored %d events", total)

	// Phase 2: the relay starts on the whole log and is stopped halfway.
	srv, _ = startCloudEventsServer(t, dir, true)
	if err := srv.relay.WaitFor(ctx, total/2); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	firstRun := srv.relay.Stats().Published
	if firstRun == 0 || firstRun >= total {
		t.Fatalf("the first relay run published %d of %d events, want it stopped partway", firstRun, total)
	}
	t.Logf("the first relay run published %d of %d events", firstRun, total)

	// Phase 3: the relay resumes, and an outside consumer reads.
	restarted := time.Now()
	srv, base = startCloudEventsServer(t, dir, true)
	defer srv.Close(context.Background())
	nc, err = nats.Connect(srv.app.embedded.ClientURL(), srv.app.embedded.Credentials().ReaderOption())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if got := lastSequence(t, nc, logStream); got != total {
		t.Fatalf("the log has %d events after the restarts, want %d", got, total)
	}

	logMsgs := consumeStream(t, nc, logStream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy},
		func(m streamMsg) bool { return m.seq == total })
	all := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	ces := readCloudEventsUpTo(t, nc, all, total)
	checkCloudEventsMatchLog(t, ces, logMsgs)
	// A publish in flight when the first run stopped can be stored without
	// being counted, so the stream, not the counter, shows where it ended.
	storedBefore := uint64(0)
	for _, m := range ces {
		if m.stored.Before(restarted) {
			storedBefore++
		}
	}
	if storedBefore < firstRun || storedBefore > firstRun+1 {
		t.Errorf("the first run stored %d CloudEvents and counted %d, want at most one uncounted", storedBefore, firstRun)
	}
	if secondRun := srv.relay.Stats().Published; storedBefore+secondRun != total {
		t.Errorf("the second run published %d CloudEvents after the %d of the first, want the other %d",
			secondRun, storedBefore, total-storedBefore)
	}

	doc := fetchAsyncAPI(t, base)
	liveMsgs := make([]streamMsg, len(live))
	for i, m := range live {
		seq, _ := strconv.ParseUint(m.Header.Get("Nats-Sequence"), 10, 64)
		liveMsgs[i] = streamMsg{seq: seq, subject: m.Subject, header: m.Header, data: m.Data}
	}
	checkLiveMatchesLog(t, liveMsgs, logMsgs)
	doc.checkMessages(t, "stored events", logMsgs, storedMessageName)
	doc.checkMessages(t, "live events", liveMsgs, storedMessageName)
	doc.checkMessages(t, "CloudEvents", ces, cloudEventMessageName)
	doc.checkEveryChannelUsed(t, logMsgs, liveMsgs, ces)

	// Replays from a stream sequence and from a time return the tail.
	middle := len(ces) / 2
	fromSeq := readCloudEventsUpTo(t, nc, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: ces[middle].seq}, total)
	checkSameMessages(t, "replay from sequence", fromSeq, ces[middle:])

	later := middle + len(ces)/4
	for later < len(ces)-1 && !ces[later-1].stored.Before(ces[later].stored) {
		later++
	}
	start := ces[later].stored
	fromTime := readCloudEventsUpTo(t, nc, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &start}, total)
	checkSameMessages(t, "replay from time", fromTime, ces[later:])
}

// waitUntil polls done until it returns true, failing the test after
// ceTestTimeout.
func waitUntil(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(ceTestTimeout)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", ceTestTimeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkSameMessages checks that got holds the messages of want, in order.
func checkSameMessages(t *testing.T, what string, got, want []streamMsg) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s returned %d messages, want %d", what, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i].seq != want[i].seq || !bytes.Equal(got[i].data, want[i].data) {
			t.Errorf("%s message %d is sequence %d, want %d with the same body", what, i, got[i].seq, want[i].seq)
			return
		}
	}
}

// storedEnvelope is the stored event as docs/events.md describes it.
type storedEnvelope struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	AggregateKind string          `json:"aggregate_kind"`
	AggregateID   string          `json:"aggregate_id"`
	Sequence      uint64          `json:"sequence"`
	RecordedAt    string          `json:"recorded_at"`
	EffectiveAt   string          `json:"effective_at"`
	Actor         string          `json:"actor"`
	Hash          string          `json:"hash"`
	Payload       json.RawMessage `json:"payload"`
}

func decodeStored(t *testing.T, m streamMsg) storedEnvelope {
	t.Helper()
	var e storedEnvelope
	if err := json.Unmarshal(m.data, &e); err != nil {
		t.Fatalf("stored message %d is not an event: %v", m.seq, err)
	}
	return e
}

// checkCloudEventsMatchLog checks that the CloudEvents are the log's
// events in log order, each once, with valid attributes that carry the
// whole envelope.
func checkCloudEventsMatchLog(t *testing.T, ces, logMsgs []streamMsg) {
	t.Helper()
	if len(ces) != len(logMsgs) {
		t.Fatalf("read %d CloudEvents for %d stored events", len(ces), len(logMsgs))
	}
	attributeName := regexp.MustCompile(`^[a-z0-9]{1,20}$`)
	seen := map[string]bool{}
	for i, m := range ces {
		stored := decodeStored(t, logMsgs[i])
		var ce event.Event
		if err := json.Unmarshal(m.data, &ce); err != nil {
			t.Fatalf("CloudEvent %d is not a CloudEvent: %v", m.seq, err)
		}
		if err := ce.Validate(); err != nil {
			t.Errorf("CloudEvent %d is invalid: %v", m.seq, err)
		}
		var attributes map[string]json.RawMessage
		if err := json.Unmarshal(m.data, &attributes); err != nil {
			t.Fatal(err)
		}
		for name := range attributes {
			if name != "data" && !attributeName.MatchString(name) {
				t.Errorf("CloudEvent %d has attribute %q, not 1 to 20 lower-case letters and digits", m.seq, name)
			}
		}

		if seen[ce.ID()] {
			t.Errorf("CloudEvent %d repeats id %s", m.seq, ce.ID())
		}
		seen[ce.ID()] = true
		if i > 0 && m.seq <= ces[i-1].seq {
			t.Errorf("CloudEvent %d follows %d", m.seq, ces[i-1].seq)
		}
		checks := []struct{ attribute, got, want string }{
			{"id", ce.ID(), stored.ID},
			{"specversion", ce.SpecVersion(), "1.0"},
			{"type", ce.Type(), cloudEventPrefix + stored.Type + ".v" + strconv.Itoa(stored.SchemaVersion)},
			{"source", ce.Source(), "/planledger/" + stored.AggregateKind + "/" + url.PathEscape(stored.AggregateID)},
			{"subject", ce.Subject(), stored.AggregateID},
			{"datacontenttype", ce.DataContentType(), "application/json"},
			{"time", string(attributes["time"]), `"` + stored.RecordedAt + `"`},
			{"effectiveat", string(attributes["effectiveat"]), `"` + stored.EffectiveAt + `"`},
			{"aggregatesequence", string(attributes["aggregatesequence"]), `"` + strconv.FormatUint(stored.Sequence, 10) + `"`},
			{"streamsequence", string(attributes["streamsequence"]), `"` + strconv.FormatUint(logMsgs[i].seq, 10) + `"`},
			{"actor", string(attributes["actor"]), strconv.Quote(stored.Actor)},
			{"data", string(ce.Data()), string(stored.Payload)},
			{"NATS subject", m.subject, "cloudevents.planledger." + stored.AggregateKind + "." + stored.AggregateID},
			{"Nats-Msg-Id", m.header.Get("Nats-Msg-Id"), stored.ID},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("CloudEvent %d for stored event %d has %s %s, want %s", m.seq, logMsgs[i].seq, c.attribute, c.got, c.want)
			}
		}
		if hash := chainHashOf(t, attributes); hash != stored.Hash || hash == "" {
			t.Errorf("CloudEvent %d encodes to chain hash %s, want the stored %s", m.seq, hash, stored.Hash)
		}
		if t.Failed() {
			return
		}
	}
}

// chainHashOf recomputes the chain hash from a CloudEvent's attributes
// alone, with the canonical encoding docs/events.md describes.
func chainHashOf(t *testing.T, attributes map[string]json.RawMessage) string {
	t.Helper()
	text := func(name string) string {
		var s string
		if raw, ok := attributes[name]; ok {
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatalf("attribute %s = %s is not a string", name, raw)
			}
		}
		return s
	}
	ceType := text("type")
	i := strings.LastIndex(ceType, ".v")
	eventType := strings.TrimPrefix(ceType[:i], cloudEventPrefix)
	kind := strings.Split(text("source"), "/")[2]
	var payload bytes.Buffer
	if err := json.Compact(&payload, attributes["data"]); err != nil {
		t.Fatal(err)
	}

	var b strings.Builder
	b.WriteString("planledger-chain-v1\n")
	for _, field := range [][2]string{
		{"id", text("id")},
		{"type", eventType},
		{"schema_version", string(attributes["schemaversion"])},
		{"aggregate_kind", kind},
		{"aggregate_id", text("subject")},
		{"sequence", text("aggregatesequence")},
		{"recorded_at", text("time")},
		{"effective_at", text("effectiveat")},
		{"actor", text("actor")},
		{"correlation_id", text("correlationid")},
		{"causation_id", text("causationid")},
		{"prev_hash", text("chainprevhash")},
		{"payload", payload.String()},
	} {
		fmt.Fprintf(&b, "%s:%d:%s\n", field[0], len(field[1]), field[1])
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// checkLiveMatchesLog checks that the live subjects carried every stored
// event once, in stream order.
func checkLiveMatchesLog(t *testing.T, liveMsgs, logMsgs []streamMsg) {
	t.Helper()
	if len(liveMsgs) != len(logMsgs) {
		t.Fatalf("received %d live messages for %d stored events", len(liveMsgs), len(logMsgs))
	}
	for i, m := range liveMsgs {
		if m.seq != logMsgs[i].seq || m.subject != "live."+logMsgs[i].subject || !bytes.Equal(m.data, logMsgs[i].data) {
			t.Fatalf("live message %d is sequence %d on %s, want %d on live.%s with the same body",
				i, m.seq, m.subject, logMsgs[i].seq, logMsgs[i].subject)
		}
	}
}

// asyncAPIDoc is the served AsyncAPI document with its channels and the
// compiled payload and header schemas of its messages.
type asyncAPIDoc struct {
	channels map[string]asyncAPIChannel
	payloads map[string]*jsonschema.Schema
	headers  map[string]*jsonschema.Schema
}

type asyncAPIChannel struct {
	address  *regexp.Regexp
	messages map[string]bool
}

// fetchAsyncAPI reads GET /asyncapi.json and compiles the schemas of every
// message as JSON Schema draft 07.
func fetchAsyncAPI(t *testing.T, base string) *asyncAPIDoc {
	t.Helper()
	r := call(t, "GET", base+"/asyncapi.json", nil, "")
	wantStatus(t, r, http.StatusOK)
	var raw struct {
		Channels map[string]struct {
			Address  string                     `json:"address"`
			Messages map[string]json.RawMessage `json:"messages"`
		} `json:"channels"`
		Components struct {
			Messages map[string]json.RawMessage `json:"messages"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatalf("decode the AsyncAPI document: %v", err)
	}
	instance, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft7)
	if err := compiler.AddResource("asyncapi.json", instance); err != nil {
		t.Fatal(err)
	}

	doc := &asyncAPIDoc{channels: map[string]asyncAPIChannel{}, payloads: map[string]*jsonschema.Schema{},
		headers: map[string]*jsonschema.Schema{}}
	parameter := regexp.MustCompile(`\\\{[A-Za-z]+\\\}`)
	for name, channel := range raw.Channels {
		pattern := parameter.ReplaceAllString(regexp.QuoteMeta(channel.Address), `[^.]+`)
		messages := map[string]bool{}
		for message := range channel.Messages {
			messages[message] = true
		}
		doc.channels[name] = asyncAPIChannel{address: regexp.MustCompile("^" + pattern + "$"), messages: messages}
	}
	for name := range raw.Components.Messages {
		for part, into := range map[string]map[string]*jsonschema.Schema{"payload": doc.payloads, "headers": doc.headers} {
			schema, err := compiler.Compile("asyncapi.json#/components/messages/" + name + "/" + part)
			if err != nil {
				t.Fatalf("compile the %s schema of message %s: %v", part, name, err)
			}
			into[name] = schema
		}
	}
	return doc
}

// storedMessageName returns the AsyncAPI message of a stored or live event.
func storedMessageName(t *testing.T, m streamMsg) string {
	stored := decodeStored(t, m)
	return stored.Type + ".v" + strconv.Itoa(stored.SchemaVersion)
}

// cloudEventMessageName returns the AsyncAPI message of a CloudEvent.
func cloudEventMessageName(t *testing.T, m streamMsg) string {
	var attributes struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(m.data, &attributes); err != nil {
		t.Fatal(err)
	}
	return "cloudevent." + strings.TrimPrefix(attributes.Type, cloudEventPrefix)
}

// schemaChecksPerMessage caps the schema validations per AsyncAPI message,
// which are slow under the race detector. Org registrations and level
// changes make up all but a few dozen events of the bundled data, so the
// cap leaves every event of the other types checked.
const schemaChecksPerMessage = 40

// checkMessages checks that each message's subject matches exactly one
// channel that lists its message, and that its body and headers match the
// message's schemas, for up to schemaChecksPerMessage messages of each.
func (doc *asyncAPIDoc) checkMessages(t *testing.T, what string, msgs []streamMsg, messageName func(*testing.T, streamMsg) string) {
	t.Helper()
	validated := map[string]int{}
	failures := 0
	fail := func(format string, args ...any) {
		failures++
		if failures <= 5 {
			t.Errorf(what+": "+format, args...)
		}
	}
	for _, m := range msgs {
		name := messageName(t, m)
		var matched []string
		for channelName, channel := range doc.channels {
			if channel.address.MatchString(m.subject) {
				matched = append(matched, channelName)
			}
		}
		if len(matched) != 1 {
			fail("subject %s matches channels %v, want exactly one", m.subject, matched)
			continue
		}
		if !doc.channels[matched[0]].messages[name] {
			fail("channel %s does not list message %s of %s", matched[0], name, m.subject)
		}
		payload, headers := doc.payloads[name], doc.headers[name]
		if payload == nil || headers == nil {
			fail("the document has no message %s", name)
			continue
		}
		if validated[name] == schemaChecksPerMessage {
			continue
		}
		validated[name]++
		body, err := jsonschema.UnmarshalJSON(bytes.NewReader(m.data))
		if err != nil {
			t.Fatal(err)
		}
		if err := payload.Validate(body); err != nil {
			fail("message %d does not match the payload of %s: %v", m.seq, name, err)
		}
		header := map[string]any{}
		for key, values := range m.header {
			header[key] = values[0]
		}
		if err := headers.Validate(header); err != nil {
			fail("message %d does not match the headers of %s: %v", m.seq, name, err)
		}
	}
	if failures > 5 {
		t.Errorf("%s: %d failures in all", what, failures)
	}
}

// checkEveryChannelUsed checks that every channel of the document received
// at least one of the messages read.
func (doc *asyncAPIDoc) checkEveryChannelUsed(t *testing.T, groups ...[]streamMsg) {
	t.Helper()
	for name, channel := range doc.channels {
		used := false
		for _, msgs := range groups {
			for _, m := range msgs {
				if channel.address.MatchString(m.subject) {
					used = true
					break
				}
			}
		}
		if !used {
			t.Errorf("channel %s (%s) received no message", name, channel.address)
		}
	}
}
