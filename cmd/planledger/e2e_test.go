package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
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
)

const (
	newburyportDistrict = "02040000"
	newburyportHigh     = "02040505"
)

// testServer starts the real binary's core on a temp folder: embedded
// JetStream on a free port, HTTP on loopback, the bundled data loaded.
func testServer(tb testing.TB, dir string) (*server, string) {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return testServerWithLog(tb, dir, log)
}

// testServerWithLog is testServer logging to log. Sign-in uses the
// development key the server creates in dir.
func testServerWithLog(tb testing.TB, dir string, log *slog.Logger) (*server, string) {
	tb.Helper()
	cfg := Config{DataDir: dir, Listen: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", Replicas: 1,
		SyncAlways: true, Bundled: true, LogLevel: "warn", LogFormat: "text"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv, err := startServer(ctx, cfg, log)
	if err != nil {
		tb.Fatalf("start server: %v", err)
	}
	return srv, srv.http.URL()
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		tb.Fatalf("decode response %d %q: %v", r.status, r.body, err)
	}
	return m
}

func call(tb testing.TB, method, url string, header map[string]string, body string) response {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	checkContract(tb, req, []byte(body), resp, b)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func wantStatus(tb testing.TB, r response, want int) {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("status %d, want %d; body %s", r.status, want, r.body)
	}
}

func appliedSeq(tb testing.TB, base string) float64 {
	tb.Helper()
	r := call(tb, "GET", base+"/readyz", nil, "")
	wantStatus(tb, r, http.StatusOK)
	return r.json(tb)["applied_stream_sequence"].(float64)
}

// pdfText extracts a PDF's text with poppler's pdftotext and its page count
// with pdfinfo.
func pdfText(tb testing.TB, body []byte) (string, int) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "plan.pdf")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		tb.Fatal(err)
	}
	text, err := exec.Command("pdftotext", path, "-").Output()
	if err != nil {
		tb.Fatalf("pdftotext (install poppler-utils): %v", err)
	}
	info, err := exec.Command("pdfinfo", path).Output()
	if err != nil {
		tb.Fatalf("pdfinfo (install poppler-utils): %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	if m == nil {
		tb.Fatalf("pdfinfo printed no page count: %s", info)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	// Table cells wrap, so compare text with runs of whitespace as one space.
	return strings.Join(strings.Fields(string(text)), " "), pages
}

func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	srv, base := testServer(t, dir)
	defer srv.Close(context.Background())
	const principal = "principal@newburyport.example"
	actor := signIn(t, dir, domain.RoleSchoolEditor, newburyportHigh, principal)
	department := signIn(t, dir, domain.RoleDepartment, "", "dese-staff@doe.mass.edu")

	// The bundled data holds the real district and its high school.
	r := call(t, "GET", base+"/v1/orgs?type=district&q=newburyport", nil, "")
	wantStatus(t, r, http.StatusOK)
	if !bytes.Contains(r.body, []byte(`"code":"`+newburyportDistrict+`"`)) {
		t.Fatalf("district list lacks Newburyport %s: %s", newburyportDistrict, r.body)
	}
	r = call(t, "GET", base+"/v1/orgs/"+newburyportHigh, nil, "")
	wantStatus(t, r, http.StatusOK)
	org := r.json(t)
	schoolName := org["org"].(map[string]any)["name"].(string)
	if schoolName != "Newburyport High" {
		t.Fatalf("school name %q, want Newburyport High", schoolName)
	}
	plans := org["plans"].([]any)
	if len(plans) == 0 {
		t.Fatalf("Newburyport High has no plan")
	}
	sipID := plans[0].(map[string]any)["id"].(string)
	dipID := plans[0].(map[string]any)["district_plan_id"].(string)

	// Read the plan and pick its first goal.
	r = call(t, "GET", base+"/v1/plans/"+sipID, nil, "")
	wantStatus(t, r, http.StatusOK)
	etag := r.header.Get("ETag")
	plan := r.json(t)["plan"].(map[string]any)
	goal := plan["goals"].([]any)[0].(map[string]any)
	goalID, oldTitle := goal["id"].(string), goal["title"].(string)

	// Follow level changes as a plain NATS subscriber would, on the live
	// subjects, which carry only events the stream stored.
	nc, err := nats.Connect(srv.app.embedded.ClientURL(), srv.app.embedded.Credentials().ReaderOption())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	levelMsgs := make(chan *nats.Msg, 16)
	sub, err := nc.ChanSubscribe("live.planledger.level.>", levelMsgs)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	// Edit the goal's title with the version we read.
	newTitle := "Raise grade 10 ELA achievement – edited in the end-to-end test"
	goal["title"] = newTitle
	delete(goal, "id")
	edit, _ := json.Marshal(goal)
	r = call(t, "PUT", base+"/v1/plans/"+sipID+"/goals/"+goalID,
		withHeader(actor, "If-Match", etag), string(edit))
	wantStatus(t, r, http.StatusOK)
	if got := r.header.Get("ETag"); got == etag || got == "" {
		t.Fatalf("ETag after edit %q, want a new one (was %s)", got, etag)
	}

	t.Run("current plan shows the edit", func(t *testing.T) {
		r := call(t, "GET", base+"/v1/plans/"+sipID, nil, "")
		wantStatus(t, r, http.StatusOK)
		if !bytes.Contains(r.body, []byte(newTitle)) {
			t.Errorf("current plan lacks the new title")
		}
	})

	yesterday := time.Now().In(mustZone(t)).AddDate(0, 0, -1).Format(time.DateOnly)
	t.Run("as of yesterday shows the old text", func(t *testing.T) {
		r := call(t, "GET", base+"/v1/plans/"+sipID+"?as_of="+yesterday, nil, "")
		wantStatus(t, r, http.StatusOK)
		body := r.json(t)
		if !bytes.Contains(r.body, []byte(oldTitle)) || bytes.Contains(r.body, []byte(newTitle)) {
			t.Errorf("plan as of %s does not show the old title %q only", yesterday, oldTitle)
		}
		asOf := body["as_of"].(map[string]any)
		if asOf["requested"] != yesterday || asOf["instant"] == "" {
			t.Errorf("as_of %v does not state the resolved instant of %s", asOf, yesterday)
		}
		if body["last_sequence"].(float64) >= body["version"].(float64) {
			t.Errorf("last_sequence %v should be below version %v as of yesterday", body["last_sequence"], body["version"])
		}
	})

	t.Run("alignment lists an objective no SIP serves", func(t *testing.T) {
		r := call(t, "GET", base+"/v1/plans/"+dipID+"/alignment", nil, "")
		wantStatus(t, r, http.StatusOK)
		a := r.json(t)
		if n := len(a["unserved_objectives"].([]any)); n == 0 {
			t.Errorf("no unserved DIP objective; the bundle leaves one uncited")
		}
		if n := len(a["goals_citing_none"].([]any)); n != 1 {
			t.Errorf("%d goals cite no objective, want 1", n)
		}
	})

	t.Run("history names the actor and old and new values", func(t *testing.T) {
		r := call(t, "GET", base+"/v1/plans/"+sipID+"/history", nil, "")
		wantStatus(t, r, http.StatusOK)
		items := r.json(t)["items"].([]any)
		last := items[len(items)-1].(map[string]any)
		if last["actor"] != principal {
			t.Errorf("last change by %v, want %s", last["actor"], principal)
		}
		found := false
		for _, c := range last["changes"].([]any) {
			c := c.(map[string]any)
			if c["path"] == "goals/"+goalID+"/title" && c["old"] == oldTitle && c["new"] == newTitle {
				found = true
			}
		}
		if !found {
			t.Errorf("history lacks the title change %q -> %q: %v", oldTitle, newTitle, last["changes"])
		}
	})

	t.Run("pdf holds the school and the edit, and reprints the same", func(t *testing.T) {
		r := call(t, "GET", base+"/v1/plans/"+sipID+"/pdf", nil, "")
		wantStatus(t, r, http.StatusOK)
		text, pages := pdfText(t, r.body)
		if pages < 1 || !strings.Contains(text, fmt.Sprintf("Page %d of %d", pages, pages)) {
			t.Errorf("pdf has %d pages but its last footer does not read Page %d of %d", pages, pages, pages)
		}
		for _, want := range []string{schoolName, newburyportHigh, newTitle} {
			if !strings.Contains(text, want) {
				t.Errorf("pdf text lacks %q", want)
			}
		}

		old := call(t, "GET", base+"/v1/plans/"+sipID+"/pdf?as_of="+yesterday, nil, "")
		wantStatus(t, old, http.StatusOK)
		oldText, _ := pdfText(t, old.body)
		if !strings.Contains(oldText, oldTitle) || strings.Contains(oldText, newTitle) {
			t.Errorf("pdf as of %s does not show only the old title", yesterday)
		}
		again := call(t, "GET", base+"/v1/plans/"+sipID+"/pdf?as_of="+yesterday, nil, "")
		if !bytes.Equal(old.body, again.body) {
			t.Errorf("two prints as of %s differ", yesterday)
		}

		// A plan printed now and rebuilt as of the instant and version in
		// its footer are the same document, even after a later change that
		// takes effect in the past.
		m := regexp.MustCompile(`As of (\S+) \(effective time\) · last event sequence \d+ · plan version (\d+)`).
			FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("pdf footer states no as-of instant and plan version")
		}
		current := call(t, "GET", base+"/v1/plans/"+sipID, nil, "").header.Get("ETag")
		backdated := call(t, "PUT", base+"/v1/plans/"+sipID+"/sections/other",
			withHeader(signIn(t, dir, domain.RoleSchoolEditor, newburyportHigh, "corrections@newburyport.example"),
				"If-Match", current),
			`{"text": "Correction recorded later, effective last month", "effective_date": "`+
				time.Now().AddDate(0, -1, 0).Format(time.DateOnly)+`"}`)
		wantStatus(t, backdated, http.StatusOK)
		rebuilt := call(t, "GET", base+"/v1/plans/"+sipID+"/pdf?as_of="+m[1]+"&version="+m[2], nil, "")
		wantStatus(t, rebuilt, http.StatusOK)
		if !bytes.Equal(r.body, rebuilt.body) {
			t.Errorf("plan rebuilt as of %s at version %s differs from the one printed then", m[1], m[2])
		}
		unpinned := call(t, "GET", base+"/v1/plans/"+sipID+"/pdf?as_of="+m[1], nil, "")
		if bytes.Equal(r.body, unpinned.body) {
			t.Errorf("the backdated correction is missing from a print as of %s without a version", m[1])
		}
	})

	t.Run("stale version gets 412 or 409 and writes nothing", func(t *testing.T) {
		before := appliedSeq(t, base)
		path := base + "/v1/plans/" + sipID + "/sections/needs_assessment"
		stale := strings.Trim(etag, `"`)
		lateWriter := signIn(t, dir, domain.RoleSchoolEditor, newburyportHigh, "late-writer@newburyport.example")
		for _, c := range []struct {
			name   string
			header map[string]string
			body   string
			status int
		}{
			{"stale If-Match", withHeader(lateWriter, "If-Match", etag), `{"text":"stale text"}`,
				http.StatusPreconditionFailed},
			{"stale expected_sequence", lateWriter,
				`{"text":"stale text", "expected_sequence": ` + stale + `}`, http.StatusConflict},
		} {
			r := call(t, "PUT", path, c.header, c.body)
			if r.status != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.name, r.status, c.status, r.body)
				continue
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: content type %q, want application/problem+json", c.name, ct)
			}
			if _, ok := r.json(t)["current_sequence"]; !ok {
				t.Errorf("%s: problem lacks current_sequence: %s", c.name, r.body)
			}
		}
		if after := appliedSeq(t, base); after != before {
			t.Errorf("stream moved from %v to %v after a rejected write", before, after)
		}
	})

	t.Run("bad input gets problem json and writes nothing", func(t *testing.T) {
		before := appliedSeq(t, base)
		type badInput struct {
			name, method, path, body string
			header                   map[string]string
			status                   int
			field                    string
		}
		current := call(t, "GET", base+"/v1/plans/"+sipID, nil, "").header.Get("ETag")
		version := strings.Trim(current, `"`)
		levels := "/v1/orgs/" + newburyportHigh + "/levels"
		cases := []badInput{
			{"malformed json", "POST", levels, `{"level": 3,`, department, 400, "body"},
			{"unknown org", "POST", "/v1/orgs/99999999/levels", `{"level": 3, "reason": "test"}`, department, 404, "org_code"},
			{"level out of range", "POST", levels, `{"level": 7, "reason": "x"}`, department, 400, "level"},
			{"unknown field", "POST", levels, `{"level": 3, "reasn": "x"}`, department, 400, "reasn"},
			{"goal without measure", "POST", "/v1/plans/" + sipID + "/goals",
				`{"title": "No measure", "expected_sequence": ` + version + `}`, actor, 400, "measures"},
			{"text over the length limit", "PUT", "/v1/plans/" + sipID + "/sections/other",
				`{"expected_sequence": ` + version + `, "text": "` + strings.Repeat("<", 200*1024) + `"}`, actor, 400, "text"},
			{"body over the size limit", "PUT", "/v1/plans/" + sipID + "/sections/other",
				`{"expected_sequence": ` + version + `, "text": "` + strings.Repeat("a", 1100*1024) + `"}`, actor, 413, "body"},
		}
		for _, c := range cases {
			r := call(t, c.method, base+c.path, c.header, c.body)
			if r.status != c.status {
				t.Errorf("%s: status %d, want %d (%s)", c.name, r.status, c.status, r.body)
				continue
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: content type %q", c.name, ct)
			}
			if f := r.json(t)["field"]; f != c.field {
				t.Errorf("%s: field %v, want %s", c.name, f, c.field)
			}
		}
		if after := appliedSeq(t, base); after != before {
			t.Errorf("stream moved from %v to %v after rejected writes", before, after)
		}
	})

	t.Run("level change reaches NATS and SSE subscribers", func(t *testing.T) {
		from := appliedSeq(t, base)
		r := call(t, "POST", base+"/v1/orgs/"+newburyportHigh+"/levels", department,
			`{"level": 2, "reason": "Not meeting gap narrowing goals", "source": "end-to-end test", "effective_date": "2026-09-30"}`)
		wantStatus(t, r, http.StatusCreated)

		select {
		case msg := <-levelMsgs:
			var e domain.Event
			if err := json.Unmarshal(msg.Data, &e); err != nil {
				t.Fatalf("decode level event: %v", err)
			}
			if e.Type != domain.TypeLevelChanged || e.AggregateID != newburyportHigh {
				t.Errorf("got %s for %s, want level.changed for %s", e.Type, e.AggregateID, newburyportHigh)
			}
			stored := strconv.FormatFloat(appliedSeq(t, base), 'f', 0, 64)
			if got := msg.Header.Get("Nats-Sequence"); got != stored {
				t.Errorf("live message has Nats-Sequence %q, want the stored event's %s", got, stored)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no level event on live.planledger.level.> within 5s")
		}

		events := readSSE(t, base+"/v1/level-changes/stream?after="+strconv.FormatFloat(from, 'f', 0, 64), 1)
		if !strings.Contains(events[0], newburyportHigh) {
			t.Errorf("SSE event lacks the school code: %s", events[0])
		}

		all := call(t, "GET", base+"/v1/level-changes?limit=1000", nil, "")
		wantStatus(t, all, http.StatusOK)
		if n := len(all.json(t)["items"].([]any)); n < 100 {
			t.Errorf("replay from the start returned %d level changes, want the bundled history", n)
		}
	})
}

// readSSE reads n events' data lines from a server-sent events stream.
func readSSE(tb testing.TB, url string, n int) []string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("open SSE stream: %v", err)
	}
	defer resp.Body.Close()
	var out []string
	scan := bufio.NewScanner(resp.Body)
	scan.Buffer(make([]byte, 1<<20), 1<<20)
	for scan.Scan() && len(out) < n {
		if line := scan.Text(); strings.HasPrefix(line, "data: ") {
			out = append(out, strings.TrimPrefix(line, "data: "))
		}
	}
	if len(out) < n {
		tb.Fatalf("SSE stream gave %d events, want %d (%v)", len(out), n, scan.Err())
	}
	return out
}

func mustZone(tb testing.TB) *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func TestRestartKeepsEventsOnce(t *testing.T) {
	dir := t.TempDir()
	srv, base := testServer(t, dir)
	first := appliedSeq(t, base)
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	srv, base = testServer(t, dir)
	defer srv.Close(context.Background())

	// A second process on the same folder is rejected, so it cannot write
	// events the first process never applies.
	cfg := Config{DataDir: dir, Listen: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", LogLevel: "warn", LogFormat: "text"}
	if _, err := startServer(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil ||
		!strings.Contains(err.Error(), "is in use by") {
		t.Errorf("second server on %s: got %v, want an error saying the folder is in use", dir, err)
	}
	if again := appliedSeq(t, base); again != first {
		t.Errorf("after restart the log has %v events, want %v (the bundled import must not repeat)", again, first)
	}
}

func TestExternalNATSServer(t *testing.T) {
	ext, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Host: "127.0.0.1", Port: -1,
		StoreDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Shutdown()

	cfg := Config{NATSURL: ext.ClientURL(), NATSNkey: ext.Credentials().AdminSeedFile, Listen: "127.0.0.1:0", Replicas: 1, Bundled: true,
		LogLevel: "warn", LogFormat: "text", AuthSecretFile: writeSecretFile(t)}
	srv, err := startServer(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("start against external NATS: %v", err)
	}
	defer srv.Close(context.Background())
	if srv.app.embedded != nil {
		t.Errorf("started an embedded server although -nats was set")
	}
	base := srv.http.URL()

	// A separate program replays every level change from the start with an
	// ordered consumer, as the README shows, and gets what the API lists.
	nc, err := nats.Connect(ext.ClientURL(), ext.Credentials().ReaderOption())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	consumer, err := js.OrderedConsumer(ctx, "PLANLEDGER", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"planledger.level.>"},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for after := "0"; ; {
		page := call(t, "GET", base+"/v1/level-changes?limit=1000&after="+after, nil, "").json(t)
		n := len(page["items"].([]any))
		if n == 0 {
			break
		}
		want += n
		after = strconv.FormatFloat(page["next_after"].(float64), 'f', 0, 64)
	}
	var last uint64
	for got := 0; got < want; got++ {
		msg, err := consumer.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatalf("replay stopped after %d of %d level changes: %v", got, want, err)
		}
		meta, _ := msg.Metadata()
		if meta.Sequence.Stream <= last {
			t.Fatalf("replay out of order: stream sequence %d after %d", meta.Sequence.Stream, last)
		}
		last = meta.Sequence.Stream
		if typ := msg.Headers().Get("Planledger-Type"); typ != domain.TypeLevelChanged {
			t.Fatalf("replayed a %q event on a level subject", typ)
		}
	}
	if want < 1000 {
		t.Errorf("API lists %d level changes, want the bundled history of about 2,000", want)
	}
}

func TestPlanCreationOneWinner(t *testing.T) {
	dir := t.TempDir()
	srv, base := testServer(t, dir)
	defer srv.Close(context.Background())
	actor := signIn(t, dir, domain.RoleDistrictEditor, "00010000", "superintendent@abington")

	dipID := "0b5e9d52-6a4c-4d47-9a5e-3c1f2a9b7e10"
	r := call(t, "POST", base+"/v1/plans", actor, `{"id": "`+dipID+`", "kind": "dip", "org_code": "00010000",
		"first_year": 2020, "last_year": 2022, "title": "Abington District Improvement Plan"}`)
	wantStatus(t, r, http.StatusCreated)

	t.Run("same id in another spelling is the same plan", func(t *testing.T) {
		upper := strings.ToUpper(dipID)
		r := call(t, "POST", base+"/v1/plans", actor, `{"id": "{`+upper+`}", "kind": "dip", "org_code": "00010000",
			"first_year": 2023, "last_year": 2025, "title": "Again"}`)
		wantStatus(t, r, http.StatusConflict)
	})

	t.Run("overlapping DIP is rejected", func(t *testing.T) {
		r := call(t, "POST", base+"/v1/plans", actor, `{"kind": "dip", "org_code": "00010000",
			"first_year": 2021, "last_year": 2023, "title": "Overlapping plan"}`)
		wantStatus(t, r, http.StatusConflict)
		if f := r.json(t)["field"]; f != "first_year" {
			t.Errorf("field %v, want first_year", f)
		}
	})

	t.Run("racing SIP creations leave one plan", func(t *testing.T) {
		const writers = 8
		statuses := make(chan int, writers)
		start := make(chan struct{})
		for i := 0; i < writers; i++ {
			go func(i int) {
				<-start
				r := call(t, "POST", base+"/v1/plans", signIn(t, dir, domain.RoleSchoolEditor, "00010505", fmt.Sprintf("writer-%d", i)),
					`{"kind": "sip", "org_code": "00010505", "district_plan_id": "`+dipID+`",
					  "first_year": 2021, "title": "Abington High School Improvement Plan"}`)
				statuses <- r.status
			}(i)
		}
		close(start)
		created := 0
		for i := 0; i < writers; i++ {
			switch s := <-statuses; s {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
			default:
				t.Errorf("racing creation got status %d, want 201 or 409", s)
			}
		}
		if created != 1 {
			t.Errorf("%d creations succeeded, want exactly 1", created)
		}
		plans := call(t, "GET", base+"/v1/orgs/00010505/plans", nil, "").json(t)["items"].([]any)
		if len(plans) != 1 {
			t.Errorf("Abington High has %d plans for 2020-21, want 1", len(plans))
		}
	})
}

func TestIdempotencyKeyStoresOnce(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Listen: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", Replicas: 1,
		Bundled: true, LogLevel: "warn", LogFormat: "text", duplicateWindow: time.Second}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := startServer(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	base := srv.http.URL()
	sipID := "ccd8efb0-355b-4a03-b9c1-f61e175e6d81"
	etag := call(t, "GET", base+"/v1/plans/"+sipID, nil, "").header.Get("ETag")
	keyed := withHeader(signIn(t, dir, domain.RoleSchoolEditor, newburyportHigh, "principal@newburyport"),
		"If-Match", etag)
	keyed["Idempotency-Key"] = "goal-7f3a"
	goal := `{"title": "Attendance for every ninth grader", "statement": "Cut chronic absence.",
		"measures": [{"description": "Grade 9 chronic absence", "baseline": "16%", "target": "12%"}]}`

	first := call(t, "POST", base+"/v1/plans/"+sipID+"/goals", keyed, goal)
	wantStatus(t, first, http.StatusCreated)
	stored := appliedSeq(t, base)

	// The retry comes after the stream's one-second duplicate window.
	time.Sleep(1500 * time.Millisecond)
	retry := call(t, "POST", base+"/v1/plans/"+sipID+"/goals", keyed, goal)
	wantStatus(t, retry, http.StatusCreated)
	if !bytes.Equal(first.body, retry.body) {
		t.Errorf("retry body differs from the first response:\n%s\n%s", first.body, retry.body)
	}
	if retry.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry lacks Idempotent-Replayed: true")
	}
	if got := appliedSeq(t, base); got != stored {
		t.Errorf("retry moved the stream from %v to %v", stored, got)
	}

	t.Run("key reused for another plan is rejected", func(t *testing.T) {
		// Bresnahan Elementary's SIP, written by the same user (sub) with a
		// token for that school: keys are scoped to the user, not the token.
		other := "616b54eb-2a0e-43f3-81a1-f83db33df9fa"
		otherTag := call(t, "GET", base+"/v1/plans/"+other, nil, "").header.Get("ETag")
		otherSchool := signIn(t, dir, domain.RoleSchoolEditor, "02040005", "principal@newburyport")
		otherSchool["If-Match"], otherSchool["Idempotency-Key"] = otherTag, "goal-7f3a"
		r := call(t, "POST", base+"/v1/plans/"+other+"/goals", otherSchool, goal)
		wantStatus(t, r, http.StatusBadRequest)
		if f := r.json(t)["field"]; f != "Idempotency-Key" {
			t.Errorf("field %v, want Idempotency-Key", f)
		}
	})

	t.Run("keyed create without id names one plan", func(t *testing.T) {
		create := withHeader(signIn(t, dir, domain.RoleDistrictEditor, "00010000", "superintendent@abington"),
			"Idempotency-Key", "dip-2030")
		body := `{"kind": "dip", "org_code": "00010000", "first_year": 2030, "last_year": 2032, "title": "Abington DIP"}`
		a := call(t, "POST", base+"/v1/plans", create, body)
		wantStatus(t, a, http.StatusCreated)
		b := call(t, "POST", base+"/v1/plans", create, body)
		wantStatus(t, b, http.StatusCreated)
		if !bytes.Equal(a.body, b.body) {
			t.Errorf("second keyed create returned a different body")
		}
		plans := call(t, "GET", base+"/v1/orgs/00010000/plans", nil, "").json(t)["items"].([]any)
		if len(plans) != 1 {
			t.Errorf("Abington has %d plans after a retried create, want 1", len(plans))
		}
	})

	// After a restart the retry still finds the first attempt's event.
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv, err = startServer(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	base = srv.http.URL()
	before := appliedSeq(t, base)
	again := call(t, "POST", base+"/v1/plans/"+sipID+"/goals", keyed, goal)
	wantStatus(t, again, http.StatusCreated)
	if !bytes.Equal(first.body, again.body) {
		t.Errorf("retry after restart returned a different body")
	}
	if got := appliedSeq(t, base); got != before {
		t.Errorf("retry after restart moved the stream from %v to %v", before, got)
	}
}

func TestCreatePlanWithGoalsIsAtomic(t *testing.T) {
	dir := t.TempDir()
	srv, base := testServer(t, dir)
	defer srv.Close(context.Background())
	actor := signIn(t, dir, domain.RoleSchoolEditor, "00010505", "principal@abington")
	districtEditor := signIn(t, dir, domain.RoleDistrictEditor, "00010000", "curriculum@abington")
	dip := call(t, "POST", base+"/v1/plans", districtEditor, `{"kind": "dip", "org_code": "00010000", "first_year": 2021,
		"last_year": 2023, "title": "Abington DIP", "objectives": [{"title": "Literacy", "standards": ["curriculum_instruction"],
		"outcomes": [{"description": "Grade 3 ELA meeting expectations", "target": "60%"}]}]}`)
	wantStatus(t, dip, http.StatusCreated)
	dipPlan := dip.json(t)["plan"].(map[string]any)
	objectiveID := dipPlan["objectives"].([]any)[0].(map[string]any)["id"].(string)

	goal := func(title, measures string) string {
		return `{"title": "` + title + `", "objectives": ["` + objectiveID + `"], "measures": ` + measures + `}`
	}
	good := `[{"description": "Chronic absence", "target": "10%"}]`

	t.Run("a bad goal rejects the whole plan", func(t *testing.T) {
		before := appliedSeq(t, base)
		r := call(t, "POST", base+"/v1/plans", actor, `{"kind": "sip", "org_code": "00010505", "district_plan_id": "`+
			dipPlan["id"].(string)+`", "first_year": 2022, "title": "Abington High SIP", "goals": [`+
			goal("One", good)+`, `+goal("Two", good)+`, `+goal("Three", `[]`)+`]}`)
		wantStatus(t, r, http.StatusBadRequest)
		if f := r.json(t)["field"]; f != "goals/2/measures" {
			t.Errorf("field %v, want goals/2/measures", f)
		}
		if after := appliedSeq(t, base); after != before {
			t.Errorf("stream moved from %v to %v", before, after)
		}
	})

	t.Run("plan and goals are stored together", func(t *testing.T) {
		r := call(t, "POST", base+"/v1/plans", actor, `{"kind": "sip", "org_code": "00010505", "district_plan_id": "`+
			dipPlan["id"].(string)+`", "first_year": 2022, "title": "Abington High SIP", "goals": [`+
			goal("One", good)+`, `+goal("Two", good)+`, `+goal("Three", good)+`]}`)
		wantStatus(t, r, http.StatusCreated)
		body := r.json(t)
		if n := len(body["plan"].(map[string]any)["goals"].([]any)); n != 3 {
			t.Errorf("created plan has %d goals, want 3", n)
		}
		if v := body["version"].(float64); v != 4 {
			t.Errorf("version %v, want 4 (the plan and three goals)", v)
		}
		id := body["plan"].(map[string]any)["id"].(string)
		history := call(t, "GET", base+"/v1/plans/"+id+"/history", nil, "").json(t)["items"].([]any)
		if len(history) != 4 {
			t.Errorf("history has %d events, want 4", len(history))
		}
	})
}
