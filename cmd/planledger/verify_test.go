package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
	plhttp "github.com/planledger/planledger/http"
	"github.com/planledger/planledger/pdf"
	"github.com/planledger/planledger/projections"
)

// verifyOutput runs "planledger verify" with args and returns what it wrote
// to standard output. Its logs, which report the tampered events the read
// model skips, are discarded.
func verifyOutput(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	var err error
	captureStderr(t, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		err = runVerify(ctx, append([]string{"-log-level", "error", "-log-format", "text"}, args...), &out)
	})
	return out.String(), err
}

// problemLines returns the output lines that report a problem, all but the
// summary.
func problemLines(out string) []string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[:len(lines)-1]
}

func TestVerifyBundledImportClean(t *testing.T) {
	dir := t.TempDir()
	captureStderr(t, func() {
		err := run(context.Background(), []string{"import", "-data", dir, "-bundled", "-nats-listen", "127.0.0.1:-1",
			"-sync-always=false", "-log-level", "error"})
		if err != nil {
			t.Fatalf("import -bundled: %v", err)
		}
	})

	out, err := verifyOutput(t, "-data", dir)
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`^log verified: (\d+) events in (\d+) aggregates, no problems\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("verify output is not one clean summary line:\n%s", out)
	}
	if events, _ := strconv.Atoi(m[1]); events < 4000 {
		t.Errorf("verify checked %d events, want the whole bundled import of over 4,000", events)
	}
}

func TestVerifyHelp(t *testing.T) {
	output := captureStderr(t, func() {
		if err := run(context.Background(), []string{"verify", "-h"}); err != nil {
			t.Errorf("verify -h: %v, want nil", err)
		}
	})
	for _, flag := range []string{"-pdf", "-data", "-nats"} {
		if !strings.Contains(output, flag) {
			t.Errorf("verify -h lacks %s:\n%s", flag, output)
		}
	}
	if os.Getenv("PLANLEDGER_NATS_LISTEN") == "" && !strings.Contains(output, `(default "127.0.0.1:-1")`) {
		t.Errorf("verify -h does not give the free-port default of -nats-listen:\n%s", output)
	}
}

func TestVerifyMissingStoreFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	_, err := verifyOutput(t, "-data", dir)
	if err == nil || !strings.Contains(err.Error(), "no store folder at "+dir) {
		t.Errorf("verify on a missing folder: error = %v, want it to name the folder", err)
	}
	if _, statErr := os.Stat(dir); statErr == nil {
		t.Errorf("verify created the missing folder %s", dir)
	}
}

// tamperLog writes to a store through a raw JetStream connection, as
// someone bypassing planledger could: publishes carry no expected sequence
// and no message id, so the server stores whatever they send.
type tamperLog struct {
	t  *testing.T
	js jetstream.JetStream
}

func newTamperLog(t *testing.T, embedded *eventstore.Embedded) *tamperLog {
	t.Helper()
	url := embedded.ClientURL()
	nc, err := nats.Connect(url, embedded.Credentials().AdminOption())
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return &tamperLog{t: t, js: js}
}

// publish stores body on subject and returns its stream sequence.
func (l *tamperLog) publish(subject string, body []byte) uint64 {
	l.t.Helper()
	ack, err := l.js.Publish(context.Background(), subject, body)
	if err != nil {
		l.t.Fatalf("publish on %s: %v", subject, err)
	}
	return ack.Sequence
}

// publishEvent stores e as JSON on subject and returns its stream sequence.
func (l *tamperLog) publishEvent(subject string, e domain.Event) uint64 {
	l.t.Helper()
	e.StreamSequence = 0
	body, err := json.Marshal(e)
	if err != nil {
		l.t.Fatal(err)
	}
	return l.publish(subject, body)
}

// forge returns a new event after e at aggregate sequence seq, linked to
// prevHash and hashed correctly, as a forger with the documented encoding
// could.
func forge(t *testing.T, e domain.Event, seq uint64, prevHash, reason string) domain.Event {
	t.Helper()
	f := e
	f.ID = fmt.Sprintf("%s-forged-%d", e.AggregateID, seq)
	f.Sequence = seq
	f.PrevHash = prevHash
	f.Payload = levelPayload(e.AggregateID, 5, reason)
	hash, err := domain.ChainHash(f)
	if err != nil {
		t.Fatal(err)
	}
	f.Hash = hash
	return f
}

func levelPayload(code string, level int, reason string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"org_code":%q,"level":%d,"reason":%q,"source":"verify test","date_precision":"day"}`,
		code, level, reason))
}

// appendLevels appends n level changes for an org through the store, so
// they are chained as planledger chains them.
func appendLevels(t *testing.T, store *eventstore.Store, code string, n int) []domain.Event {
	t.Helper()
	var events []domain.Event
	for i := range n {
		e, err := store.Append(context.Background(), domain.AppendRequest{
			AggregateKind: domain.KindLevel, AggregateID: code, ExpectedSequence: uint64(i),
			Draft:    domain.Draft{Type: domain.TypeLevelChanged, Payload: levelPayload(code, i%4+1, "appended")},
			Metadata: domain.Metadata{Actor: "verify-test"},
		})
		if err != nil {
			t.Fatalf("append level %d for %s: %v", i+1, code, err)
		}
		events = append(events, e)
	}
	return events
}

func TestVerifyReportsTampering(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	app, err := OpenApp(ctx, Config{DataDir: dir, NATSListen: "127.0.0.1:-1"}, discardLogger())
	if err != nil {
		t.Fatalf("OpenApp: %v", err)
	}
	raw := newTamperLog(t, app.embedded)
	subject := func(code string) string { return eventstore.Subject(domain.KindLevel, code) }
	const (
		edited, removed, reordered, duplicate = "00010001", "00010002", "00010003", "00010004"
		relinked, misplaced, target, hashless = "00010005", "00010006", "00010007", "00010008"
		legacy, garbage                       = "00010009", "00010010"
	)
	events := map[string][]domain.Event{}
	for _, code := range []string{edited, removed, reordered, duplicate, relinked, misplaced, target, hashless} {
		events[code] = appendLevels(t, app.Store, code, 3)
	}

	// A copy of sequence 2 with another payload and the old hash.
	copied := events[edited][1]
	copied.Payload = levelPayload(edited, 5, "edited after the fact")
	editedAt := raw.publishEvent(subject(edited), copied)

	// Sequence 5 follows 3, so 4 is missing.
	removedAt := raw.publishEvent(subject(removed), forge(t, events[removed][2], 5, events[removed][2].Hash, "skips 4"))

	// 4 and 5 are chained correctly but stored 5 first.
	four := forge(t, events[reordered][2], 4, events[reordered][2].Hash, "fourth")
	five := forge(t, four, 5, four.Hash, "fifth")
	fiveAt := raw.publishEvent(subject(reordered), five)
	fourAt := raw.publishEvent(subject(reordered), four)

	// A second, correctly chained sequence 2.
	duplicateAt := raw.publishEvent(subject(duplicate), forge(t, events[duplicate][0], 2, events[duplicate][0].Hash, "second 2"))

	// Sequence 4 chained to sequence 2 instead of 3.
	relinkedAt := raw.publishEvent(subject(relinked), forge(t, events[relinked][2], 4, events[relinked][1].Hash, "relinked"))

	// A valid next event of one org stored on another org's subject.
	misplacedAt := raw.publishEvent(subject(target), forge(t, events[misplaced][2], 4, events[misplaced][2].Hash, "misplaced"))

	// Sequence 4 without hashes after chained events.
	bare := events[hashless][2]
	bare.Sequence, bare.ID, bare.PrevHash, bare.Hash = 4, "hashless-4", "", ""
	hashlessAt := raw.publishEvent(subject(hashless), bare)

	// Two events stored before chaining, then one through the store.
	for seq := uint64(1); seq <= 2; seq++ {
		old := forge(t, events[edited][0], seq, "", "before chaining")
		old.AggregateID, old.ID, old.Hash = legacy, fmt.Sprintf("legacy-%d", seq), ""
		raw.publishEvent(subject(legacy), old)
	}
	after, err := app.Store.Append(ctx, domain.AppendRequest{
		AggregateKind: domain.KindLevel, AggregateID: legacy, ExpectedSequence: 2,
		Draft:    domain.Draft{Type: domain.TypeLevelChanged, Payload: levelPayload(legacy, 2, "after chaining")},
		Metadata: domain.Metadata{Actor: "verify-test"},
	})
	if err != nil {
		t.Fatalf("append after unchained events: %v", err)
	}
	if after.PrevHash != "" || after.Hash == "" {
		t.Errorf("first chained event after unchained ones has hashes %q/%q, want an empty PrevHash and a Hash",
			after.PrevHash, after.Hash)
	}

	garbageAt := raw.publish(subject(garbage), []byte("not an event"))
	app.Close()

	// The store is stopped, so verify opens it itself.
	out, err := verifyOutput(t, "-data", dir)
	if !errors.Is(err, errVerifyFailed) {
		t.Fatalf("verify error = %v, want errVerifyFailed; output:\n%s", err, out)
	}
	t.Logf("verify output:\n%s", out)
	want := []string{
		fmt.Sprintf("edited: planledger.level.%s aggregate sequence 2, stream sequence %d: the stored hash", edited, editedAt),
		fmt.Sprintf("inserted: planledger.level.%s aggregate sequence 2, stream sequence %d: repeats aggregate sequence 2, "+
			"first stored at stream sequence %d", edited, editedAt, events[edited][1].StreamSequence),
		fmt.Sprintf("removed: planledger.level.%s aggregate sequence 4, before stream sequence %d: aggregate sequence 4 is missing",
			removed, removedAt),
		fmt.Sprintf("reordered: planledger.level.%s aggregate sequence 4, stream sequence %d: stored after aggregate sequence 5 "+
			"at stream sequence %d", reordered, fourAt, fiveAt),
		fmt.Sprintf("inserted: planledger.level.%s aggregate sequence 2, stream sequence %d: repeats aggregate sequence 2, "+
			"first stored at stream sequence %d", duplicate, duplicateAt, events[duplicate][1].StreamSequence),
		fmt.Sprintf("inserted: planledger.level.%s aggregate sequence 4, stream sequence %d: prev_hash %s does not match "+
			"the hash %s of aggregate sequence 3 at stream sequence %d", relinked, relinkedAt,
			events[relinked][1].Hash[:16], events[relinked][2].Hash[:16], events[relinked][2].StreamSequence),
		fmt.Sprintf("wrong-subject: planledger.level.%s aggregate sequence 4, stream sequence %d: the envelope names level %s",
			target, misplacedAt, misplaced),
		fmt.Sprintf("inserted: planledger.level.%s aggregate sequence 4, stream sequence %d: the event has no hash",
			hashless, hashlessAt),
		fmt.Sprintf("malformed: planledger.level.%s stream sequence %d: the body is not an event envelope", garbage, garbageAt),
	}
	lines := problemLines(out)
	for _, w := range want {
		found := false
		for _, line := range lines {
			if strings.HasPrefix(line, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("verify output lacks a line starting %q", w)
		}
	}
	if len(lines) != len(want) {
		t.Errorf("verify reported %d problems, want %d:\n%s", len(lines), len(want), out)
	}
	for _, line := range lines {
		if strings.Contains(line, legacy) {
			t.Errorf("verify reports the unchained events stored before chaining: %s", line)
		}
	}
	summary := "log verification failed: 9 problems (edited 1, inserted 4, malformed 1, removed 1, reordered 1, " +
		"wrong-subject 1) in 8 of 10 aggregates; 36 events checked"
	if !strings.HasSuffix(strings.TrimSpace(out), summary) {
		t.Errorf("verify summary is not %q:\n%s", summary, out)
	}
}

func TestVerifyUnchainedEventsPass(t *testing.T) {
	dir := t.TempDir()
	app := openTestApp(t, Config{DataDir: dir, NATSListen: "127.0.0.1:-1"}, discardLogger())
	raw := newTamperLog(t, app.embedded)
	chained := appendLevels(t, app.Store, "00020001", 1)[0]
	for seq := uint64(1); seq <= 2; seq++ {
		old := chained
		old.AggregateID, old.ID, old.Sequence, old.Hash = "00020002", fmt.Sprintf("legacy-%d", seq), seq, ""
		raw.publishEvent(eventstore.Subject(domain.KindLevel, "00020002"), old)
	}

	// The App is running, so verify reaches its store through -nats.
	out, err := verifyOutput(t, "-nats", app.embedded.ClientURL(), "-nats-nkey", app.embedded.Credentials().AdminSeedFile)
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	want := "log verified: 3 events in 2 aggregates, no problems; 2 events were stored before hash chaining, " +
		"so only their sequence and subject were checked\n"
	if out != want {
		t.Errorf("verify output = %q, want %q", out, want)
	}
}

// xmpProperty returns the text of one planledger XMP property in a PDF.
func xmpProperty(t *testing.T, body []byte, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<planledger:` + name + `>([^<]*)</planledger:` + name + `>`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("PDF has no planledger:%s property", name)
	}
	return string(m[1])
}

// withXMPProperty returns a copy of body with one XMP property's text
// replaced.
func withXMPProperty(t *testing.T, body []byte, name, value string) []byte {
	t.Helper()
	old := "<planledger:" + name + ">" + xmpProperty(t, body, name) + "<"
	changed := bytes.Replace(body, []byte(old), []byte("<planledger:"+name+">"+value+"<"), 1)
	if bytes.Equal(changed, body) {
		t.Fatalf("replacing planledger:%s changed nothing", name)
	}
	return changed
}

func writePDF(t *testing.T, name string, body []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVerifyPDF(t *testing.T) {
	dir := t.TempDir()
	srv, base := testServer(t, dir)
	org := call(t, "GET", base+"/v1/orgs/"+newburyportHigh, nil, "")
	wantStatus(t, org, http.StatusOK)
	sipID := org.json(t)["plans"].([]any)[0].(map[string]any)["id"].(string)

	printed := call(t, "GET", base+"/v1/plans/"+sipID+"/pdf", nil, "")
	wantStatus(t, printed, http.StatusOK)
	meta, err := pdf.ReadMetadata(printed.body)
	if err != nil {
		t.Fatalf("ReadMetadata of the served PDF: %v", err)
	}
	if meta.PlanID != sipID || meta.ChainHash == "" || meta.PlanVersion == 0 {
		t.Fatalf("served PDF metadata %+v lacks the plan id, chain hash or version", meta)
	}
	text, _ := pdfText(t, printed.body)
	if want := "· chain " + meta.ChainHash[:16]; !strings.Contains(text, want) {
		t.Errorf("served PDF text lacks the footer's %q", want)
	}
	original := writePDF(t, "sip.pdf", printed.body)
	if meta.DIPVersion == 0 {
		t.Fatalf("served SIP metadata %+v lacks the DIP version", meta)
	}
	matches := fmt.Sprintf("matches the log: plan %s version %d with DIP version %d as of %s (effective time), "+
		"last event sequence %d, chain %s\n",
		sipID, meta.PlanVersion, meta.DIPVersion, meta.AsOf.Format(time.RFC3339Nano), meta.LastSequence, meta.ChainHash)

	// A stopped store: verify opens the folder itself.
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, err := verifyOutput(t, "-data", dir, "-pdf", original)
	if err != nil || out != matches {
		t.Fatalf("verify -pdf on the stopped store: error %v, output %q, want %q", err, out, matches)
	}

	// A running server: verify reaches it through -nats.
	srv, _ = testServer(t, dir)
	running := true
	defer func() {
		if running {
			srv.Close(context.Background())
		}
	}()
	url := srv.app.embedded.ClientURL()
	nkey := srv.app.embedded.Credentials().AdminSeedFile
	out, err = verifyOutput(t, "-nats", url, "-nats-nkey", nkey, "--pdf", original)
	if err != nil || out != matches {
		t.Fatalf("verify --pdf on the running server: error %v, output %q, want %q", err, out, matches)
	}

	t.Run("one changed hex digit in the XMP chain hash", func(t *testing.T) {
		hash := []byte(meta.ChainHash)
		if hash[0] == '0' {
			hash[0] = '1'
		} else {
			hash[0] = '0'
		}
		forged := writePDF(t, "forged.pdf", withXMPProperty(t, printed.body, "chain_hash", string(hash)))
		out, err := verifyOutput(t, "-nats", url, "-nats-nkey", nkey, "-pdf", forged)
		if !errors.Is(err, errVerifyFailed) {
			t.Fatalf("error = %v, want errVerifyFailed; output:\n%s", err, out)
		}
		want := fmt.Sprintf("chain hash differs: the PDF states chain hash %s for aggregate sequence %d, but the log holds %s",
			hash, meta.LastSequence, meta.ChainHash)
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
		if !strings.Contains(out, "bytes differ: ") {
			t.Errorf("output does not report that the bytes differ:\n%s", out)
		}
	})

	t.Run("version not in log", func(t *testing.T) {
		forged := writePDF(t, "later.pdf", withXMPProperty(t, printed.body, "plan_version", "999"))
		out, err := verifyOutput(t, "-nats", url, "-nats-nkey", nkey, "-pdf", forged)
		if !errors.Is(err, errVerifyFailed) {
			t.Fatalf("error = %v, want errVerifyFailed; output:\n%s", err, out)
		}
		if want := "version not in log: the PDF states plan version 999"; !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	})

	t.Run("an SIP printed before prints stated the DIP version", func(t *testing.T) {
		at := projections.AsOf{Instant: meta.AsOf, Basis: meta.AsOfBasis}
		view, err := srv.app.Read.PlanAtVersion(sipID, at, meta.PlanVersion)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := plhttp.PlanDocument(srv.app.Read, nil, view, meta.Producer, plhttp.PrintPins{})
		if err != nil {
			t.Fatal(err)
		}
		doc.DistrictPlanVersion, doc.LevelVersion = 0, 0
		body, err := pdf.Render(doc)
		if err != nil {
			t.Fatal(err)
		}
		out, err := verifyOutput(t, "-nats", url, "-nats-nkey", nkey, "-pdf", writePDF(t, "older.pdf", body))
		want := strings.Replace(matches, fmt.Sprintf(" with DIP version %d", meta.DIPVersion), "", 1)
		if err != nil || out != want {
			t.Errorf("verify -pdf on an SIP without a DIP version: error %v, output %q, want %q", err, out, want)
		}
	})

	t.Run("unknown plan", func(t *testing.T) {
		const unknown = "00000000-0000-4000-8000-000000000000"
		forged := writePDF(t, "unknown.pdf", withXMPProperty(t, printed.body, "plan_id", unknown))
		out, err := verifyOutput(t, "-nats", url, "-nats-nkey", nkey, "-pdf", forged)
		if !errors.Is(err, errVerifyFailed) {
			t.Fatalf("error = %v, want errVerifyFailed; output:\n%s", err, out)
		}
		if want := "unknown plan: the log has no events for plan " + unknown; !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	})

	t.Run("bytes added after the end", func(t *testing.T) {
		forged := writePDF(t, "longer.pdf", append(bytes.Clone(printed.body), '\n'))
		out, err := verifyOutput(t, "-nats", url, "-nats-nkey", nkey, "-pdf", forged)
		if !errors.Is(err, errVerifyFailed) {
			t.Fatalf("error = %v, want errVerifyFailed; output:\n%s", err, out)
		}
		want := fmt.Sprintf("the first difference is at byte offset %d", len(printed.body))
		if !strings.Contains(out, "bytes differ: ") || !strings.Contains(out, want) {
			t.Errorf("output lacks a bytes differ line with %q:\n%s", want, out)
		}
		if strings.Contains(out, "chain hash differs") {
			t.Errorf("output reports a chain hash difference, but only the bytes changed:\n%s", out)
		}
	})

	t.Run("a PDF from elsewhere", func(t *testing.T) {
		plain := writePDF(t, "plain.pdf", []byte("%PDF-1.3\n%%EOF\n"))
		_, err := verifyOutput(t, "-nats", url, "-nats-nkey", nkey, "-pdf", plain)
		if !errors.Is(err, pdf.ErrNoMetadata) {
			t.Errorf("error = %v, want pdf.ErrNoMetadata", err)
		}
	})

	// Tamper with the log: a copy of the plan's second event with another
	// title, stored with a raw publish.
	raw := newTamperLog(t, srv.app.embedded)
	planSubject := eventstore.Subject(domain.KindPlan, sipID)
	second, err := srv.app.Store.Load(context.Background(), domain.KindPlan, sipID)
	if err != nil {
		t.Fatalf("load plan events: %v", err)
	}
	copied := second[1]
	copied.Payload = json.RawMessage(strings.Replace(string(copied.Payload), `"owner":"Principal"`, `"owner":"Superintendent"`, 1))
	if bytes.Equal(copied.Payload, second[1].Payload) {
		t.Fatalf("plan event 2 payload has no principal owner to change: %s", copied.Payload)
	}
	tamperedAt := raw.publishEvent(planSubject, copied)

	out, err = verifyOutput(t, "-nats", url, "-nats-nkey", nkey, "-pdf", original)
	if !errors.Is(err, errVerifyFailed) {
		t.Fatalf("verify -pdf after tampering: error = %v, want errVerifyFailed; output:\n%s", err, out)
	}
	t.Logf("verify -pdf output after tampering:\n%s", out)
	for _, want := range []string{
		fmt.Sprintf("edited: %s aggregate sequence 2, stream sequence %d:", planSubject, tamperedAt),
		fmt.Sprintf("inserted: %s aggregate sequence 2, stream sequence %d:", planSubject, tamperedAt),
		"does not match the log: 2 problems",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verify -pdf after tampering lacks %q:\n%s", want, out)
		}
	}

	// The whole-log check finds the same two problems.
	running = false
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, err = verifyOutput(t, "-data", dir)
	if !errors.Is(err, errVerifyFailed) {
		t.Fatalf("verify after tampering: error = %v, want errVerifyFailed; output:\n%s", err, out)
	}
	if lines := problemLines(out); len(lines) != 2 {
		t.Errorf("verify after tampering reported %d problems, want 2 (edited and inserted):\n%s", len(lines), out)
	}
}

// TestVerifySIPAfterBackdatedDIPEdit prints an SIP, then retitles its DIP
// with an effective date before the print's instant. A reprint at the
// printed as-of instant, version and DIP version leaves the edit out and
// gives the same bytes, so verify -pdf passes.
func TestVerifySIPAfterBackdatedDIPEdit(t *testing.T) {
	dir := t.TempDir()
	srv, base := testServer(t, dir)
	defer srv.Close(context.Background())
	nkey := srv.app.embedded.Credentials().AdminSeedFile
	org := call(t, "GET", base+"/v1/orgs/"+newburyportHigh, nil, "")
	wantStatus(t, org, http.StatusOK)
	sipID := org.json(t)["plans"].([]any)[0].(map[string]any)["id"].(string)
	sip := call(t, "GET", base+"/v1/plans/"+sipID, nil, "")
	wantStatus(t, sip, http.StatusOK)
	dipID := sip.json(t)["plan"].(map[string]any)["district_plan_id"].(string)

	printed := call(t, "GET", base+"/v1/plans/"+sipID+"/pdf", nil, "")
	wantStatus(t, printed, http.StatusOK)
	meta, err := pdf.ReadMetadata(printed.body)
	if err != nil {
		t.Fatalf("ReadMetadata of the printed SIP: %v", err)
	}
	dipBefore := call(t, "GET", base+"/v1/plans/"+dipID, nil, "")
	wantStatus(t, dipBefore, http.StatusOK)
	if want := strings.Trim(dipBefore.header.Get("ETag"), `"`); strconv.FormatUint(meta.DIPVersion, 10) != want {
		t.Fatalf("printed DIP version %d, want the DIP's version %s at print time", meta.DIPVersion, want)
	}
	if got := printed.header.Get("X-DIP-Version"); got != strconv.FormatUint(meta.DIPVersion, 10) {
		t.Errorf("X-DIP-Version = %q, want %d", got, meta.DIPVersion)
	}
	text, _ := pdfText(t, printed.body)
	if want := fmt.Sprintf("· DIP version %d", meta.DIPVersion); !strings.Contains(text, want) {
		t.Errorf("printed SIP footer lacks %q", want)
	}
	original := writePDF(t, "sip.pdf", printed.body)

	const newTitle = "Newburyport DIP, corrected title"
	editor := signIn(t, dir, domain.RoleDistrictEditor, "02040000", "correction@newburyport")
	editor["If-Match"] = dipBefore.header.Get("ETag")
	retitled := call(t, "PUT", base+"/v1/plans/"+dipID+"/title", editor,
		`{"title": "`+newTitle+`", "effective_date": "`+time.Now().AddDate(0, -1, 0).Format(time.DateOnly)+`"}`)
	wantStatus(t, retitled, http.StatusOK)
	// The edit reaches the read model before the reprints below.
	if err := srv.app.Read.WaitFor(context.Background(), uint64(retitled.json(t)["last_stream_sequence"].(float64))); err != nil {
		t.Fatal(err)
	}

	query := fmt.Sprintf("?as_of=%s&version=%d", url.QueryEscape(meta.AsOf.Format(time.RFC3339Nano)), meta.PlanVersion)
	unpinned := call(t, "GET", base+"/v1/plans/"+sipID+"/pdf"+query, nil, "")
	wantStatus(t, unpinned, http.StatusOK)
	if unpinnedText, _ := pdfText(t, unpinned.body); !strings.Contains(unpinnedText, newTitle) {
		t.Errorf("a reprint without dip_version lacks the backdated DIP title %q", newTitle)
	}
	// A backdated level change for the school must stay out of the pinned
	// reprint too.
	dept := signIn(t, dir, domain.RoleDepartment, "", "dese-staff")
	leveled := call(t, "POST", base+"/v1/orgs/"+newburyportHigh+"/levels", dept,
		`{"level": 3, "reason": "Backdated correction", "source": "test", "effective_date": "`+
			time.Now().AddDate(0, -2, 0).Format(time.DateOnly)+`"}`)
	wantStatus(t, leveled, http.StatusCreated)
	if err := srv.app.Read.WaitFor(context.Background(), uint64(leveled.json(t)["event"].(map[string]any)["stream_sequence"].(float64))); err != nil {
		t.Fatal(err)
	}
	if got := printed.header.Get("X-Level-Version"); got != strconv.FormatUint(meta.LevelVersion, 10) || meta.LevelVersion == 0 {
		t.Errorf("X-Level-Version = %q and the XMP states %d; want the same version, above 0", got, meta.LevelVersion)
	}
	pinned := call(t, "GET", fmt.Sprintf("%s/v1/plans/%s/pdf%s&dip_version=%d&level_version=%d",
		base, sipID, query, meta.DIPVersion, meta.LevelVersion), nil, "")
	wantStatus(t, pinned, http.StatusOK)
	if !bytes.Equal(pinned.body, printed.body) {
		t.Errorf("reprint at the printed as_of, version and dip_version differs from the print (%d and %d bytes)",
			len(pinned.body), len(printed.body))
	}

	matches := fmt.Sprintf("matches the log: plan %s version %d with DIP version %d as of %s (effective time), "+
		"last event sequence %d, chain %s\n",
		sipID, meta.PlanVersion, meta.DIPVersion, meta.AsOf.Format(time.RFC3339Nano), meta.LastSequence, meta.ChainHash)
	out, err := verifyOutput(t, "-nats", srv.app.embedded.ClientURL(), "-nats-nkey", nkey, "-pdf", original)
	if err != nil || out != matches {
		t.Errorf("verify -pdf after the backdated DIP and level edits: error %v, output %q, want %q", err, out, matches)
	}

	t.Run("DIP version not in log", func(t *testing.T) {
		later := call(t, "GET", fmt.Sprintf("%s/v1/plans/%s/pdf%s&dip_version=999", base, sipID, query), nil, "")
		wantStatus(t, later, http.StatusNotFound)
		forged := writePDF(t, "later.pdf", withXMPProperty(t, printed.body, "dip_version", "999"))
		out, err := verifyOutput(t, "-nats", srv.app.embedded.ClientURL(), "-nats-nkey", nkey, "-pdf", forged)
		if !errors.Is(err, errVerifyFailed) {
			t.Fatalf("error = %v, want errVerifyFailed; output:\n%s", err, out)
		}
		if want := "version not in log: the PDF states DIP version 999"; !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	})

	t.Run("dip_version on a DIP", func(t *testing.T) {
		r := call(t, "GET", fmt.Sprintf("%s/v1/plans/%s/pdf?dip_version=1", base, dipID), nil, "")
		wantStatus(t, r, http.StatusBadRequest)
	})
}
