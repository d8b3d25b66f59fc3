package http_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/klauspost/compress/zstd"
	dto "github.com/prometheus/client_model/go"

	"github.com/planledger/planledger/auth"
	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	plhttp "github.com/planledger/planledger/http"
	"github.com/planledger/planledger/importer"
	"github.com/planledger/planledger/observe"
	"github.com/planledger/planledger/projections"
)

// decodeContent undoes a response's Content-Encoding.
func decodeContent(t *testing.T, encoding string, body []byte) []byte {
	t.Helper()
	var r io.Reader
	switch encoding {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("open gzip body: %v", err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("open zstd body: %v", err)
		}
		defer zr.Close()
		r = zr
	default:
		t.Fatalf("unexpected Content-Encoding %q", encoding)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s body: %v", encoding, err)
	}
	return out
}

// syncBuffer is a log sink the server writes from its request goroutines
// while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// observedFixture is the server on an in-memory store holding the bundled
// data, with its appends instrumented, its metrics kept and its log
// captured as JSON lines.
type observedFixture struct {
	*fixture
	metrics *observe.Metrics
	store   *memoryStore
	logs    *syncBuffer
}

func newObservedFixture(t *testing.T, starting func() string) *observedFixture {
	t.Helper()
	doc, raw := loadOpenAPI(t)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	read := projections.New(logger)
	store := newMemoryStore(read)
	src, closeAll, err := importer.BundledSources(data.Bundled())
	if err != nil {
		t.Fatalf("open bundled data: %v", err)
	}
	defer closeAll()
	if _, err := importer.Run(context.Background(), store, read, src, nil); err != nil {
		t.Fatalf("import bundled data: %v", err)
	}
	verifier, err := auth.NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	metrics := observe.New()
	handler := plhttp.NewServer(plhttp.Config{Commands: commands.New(metrics.Store(store), read), Read: read, OpenAPI: raw,
		Version: "test", Auth: verifier, Logger: logger, Metrics: metrics, Starting: starting}).Handler()
	f := &fixture{doc: doc, handler: handler, router: handler.(*mux.Router), secret: testSecret}
	return &observedFixture{fixture: f, metrics: metrics, store: store, logs: logs}
}

var (
	sharedOnce    sync.Once
	sharedFixture *observedFixture
)

// sharedObserved returns one observed fixture for the tests below, because
// importing the bundled data takes seconds under the race detector. Tests
// that write read the current version first, so their order does not
// matter.
func sharedObserved(t *testing.T) *observedFixture {
	t.Helper()
	sharedOnce.Do(func() { sharedFixture = newObservedFixture(t, nil) })
	if sharedFixture == nil {
		t.Fatal("building the shared fixture failed in an earlier test")
	}
	return sharedFixture
}

// pageWalk follows next_cursor from target until the last page and returns
// every item, checking each response against the document.
func pageWalk(t *testing.T, f *fixture, target string) ([]map[string]any, int) {
	t.Helper()
	var items []map[string]any
	pages := 0
	for target != "" {
		rec := f.do(t, apiCall{method: "GET", target: target, wantStatus: 200})
		body := decodeBody(t, rec)
		pages++
		for _, it := range body["items"].([]any) {
			items = append(items, it.(map[string]any))
		}
		cursor, _ := body["next_cursor"].(string)
		link := rec.Header().Get("Link")
		if cursor == "" {
			if link != "" {
				t.Errorf("GET %s: last page has Link %q", target, link)
			}
			break
		}
		next := nextLink(t, link)
		if got := mustQuery(t, next).Get("cursor"); got != cursor {
			t.Errorf("GET %s: Link cursor %q, body next_cursor %q", target, got, cursor)
		}
		target = next
	}
	return items, pages
}

// nextLink returns the target of a Link header with rel="next".
func nextLink(t *testing.T, header string) string {
	t.Helper()
	target, rel, ok := strings.Cut(header, ">; ")
	if !ok || !strings.HasPrefix(target, "<") || rel != `rel="next"` {
		t.Fatalf("Link %q is not <uri>; rel=\"next\"", header)
	}
	return strings.TrimPrefix(target, "<")
}

func mustQuery(t *testing.T, target string) url.Values {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("parse %q: %v", target, err)
	}
	return u.Query()
}

func field(items []map[string]any, name string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = jsonNumberOrString(it[name])
	}
	return out
}

func jsonNumberOrString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return jsonNumber(v)
}

func TestPagesOrgsByCursorAndAfter(t *testing.T) {
	f := sharedObserved(t)
	byCursor, pages := pageWalk(t, f.fixture, "/v1/orgs?limit=700")
	if pages < 2 {
		t.Fatalf("walk took %d page, want several; the bundled data has %d orgs", pages, len(byCursor))
	}
	codes := field(byCursor, "code")
	if !slices.IsSorted(codes) || len(slices.Compact(slices.Clone(codes))) != len(codes) {
		t.Errorf("cursor walk is not strictly ascending by code")
	}

	var byAfter []string
	after := ""
	for {
		body := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs?limit=700&after=" + after, wantStatus: 200}))
		for _, it := range body["items"].([]any) {
			byAfter = append(byAfter, it.(map[string]any)["code"].(string))
		}
		if after = body["next_after"].(string); after == "" {
			break
		}
	}
	if !slices.Equal(codes, byAfter) {
		t.Errorf("cursor walk has %d orgs, after walk %d, or they differ", len(codes), len(byAfter))
	}
}

func TestPagesHistoryStableUnderAppends(t *testing.T) {
	f := sharedObserved(t)
	school := bearer(t, domain.RoleSchoolEditor, newburyportHigh)
	plan := "/v1/plans/" + newburyportHighSIP

	first := f.do(t, apiCall{method: "GET", target: plan + "/history?limit=2", wantStatus: 200})
	cursor := decodeBody(t, first)["next_cursor"].(string)
	etag := f.do(t, apiCall{method: "GET", target: plan, wantStatus: 200}).Header().Get("ETag")
	f.do(t, apiCall{method: "PUT", target: plan + "/title", header: withHeader(school, "If-Match", etag),
		body: map[string]any{"title": "Newburyport High School Improvement Plan (paged)"}, wantStatus: 200})

	rest, _ := pageWalk(t, f.fixture, plan+"/history?limit=2&cursor="+cursor)
	items := append(decodeItems(t, first), rest...)
	for i, seq := range field(items, "sequence") {
		if want := jsonNumber(i + 1); seq != want {
			t.Fatalf("history item %d has sequence %s, want %s: a page skipped or repeated an event", i, seq, want)
		}
	}
	version, err := strconv.Atoi(strings.Trim(etag, `"`))
	if err != nil {
		t.Fatalf("plan ETag %s is not a version", etag)
	}
	last := items[len(items)-1]
	if last["type"] != domain.TypePlanRetitled || jsonNumber(last["sequence"]) != jsonNumber(version+1) {
		t.Errorf("last history item is %v at %v, want the retitle appended between pages at %d",
			last["type"], last["sequence"], version+1)
	}
}

func decodeItems(t *testing.T, rec *httptest.ResponseRecorder) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, it := range decodeBody(t, rec)["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func TestPagesLibraryGainsItemAtEnd(t *testing.T) {
	f := sharedObserved(t)
	first := f.do(t, apiCall{method: "GET", target: "/v1/assistance/library?limit=10", wantStatus: 200})
	cursor := decodeBody(t, first)["next_cursor"].(string)
	local := f.example(t, "POST", "/v1/assistance/library", "network")
	local["id"] = "paging-network-calendar"
	f.do(t, apiCall{method: "POST", target: "/v1/assistance/library", body: local,
		header: bearer(t, domain.RoleDepartment, ""), wantStatus: 201})

	rest, pages := pageWalk(t, f.fixture, "/v1/assistance/library?limit=10&cursor="+cursor)
	ids := field(append(decodeItems(t, first), rest...), "id")
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("library walk returns %s twice", id)
		}
		seen[id] = true
	}
	if ids[len(ids)-1] != local["id"] {
		t.Errorf("library walk ends with %s, want the item added between pages", ids[len(ids)-1])
	}
	all := decodeItems(t, f.do(t, apiCall{method: "GET", target: "/v1/assistance/library", wantStatus: 200}))
	if !slices.Equal(field(all, "id"), ids) {
		t.Errorf("the walk over %d pages has %d items, one unpaged request %d", pages+1, len(ids), len(all))
	}
}

func TestPagesPriorityPinsInstant(t *testing.T) {
	f := sharedObserved(t)
	target := "/v1/assistance/priority?type=school&min_level=3&limit=5"
	first := f.do(t, apiCall{method: "GET", target: target, wantStatus: 200})
	body := decodeBody(t, first)
	next := nextLink(t, first.Header().Get("Link"))
	second := decodeBody(t, f.do(t, apiCall{method: "GET", target: next, wantStatus: 200}))
	instant := func(b map[string]any) any { return b["as_of"].(map[string]any)["instant"] }
	if instant(second) != instant(body) {
		t.Errorf("second page as_of %v, want the first page's %v", instant(second), instant(body))
	}
	if second["total"] != body["total"] {
		t.Errorf("second page total %v, first %v", second["total"], body["total"])
	}
	firstCodes := field(decodeItems(t, first), "org_code")
	for _, code := range field(asMaps(second["items"]), "org_code") {
		if slices.Contains(firstCodes, code) {
			t.Errorf("org %s is on both pages", code)
		}
	}
	moved := decodeBody(t, f.do(t, apiCall{method: "GET", target: next + "&as_of=2015-06-30", wantStatus: 400}))
	problemField(t, moved, "as_of")
}

func asMaps(v any) []map[string]any {
	var out []map[string]any
	for _, it := range v.([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func TestPagesRejectBadCursor(t *testing.T) {
	f := newFixture(t)
	orgs := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs?limit=1", wantStatus: 200}))
	cursor := orgs["next_cursor"].(string)

	problemField(t, decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/assistance/library?cursor=" + cursor, wantStatus: 400})), "cursor")
	problemField(t, decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs?cursor=bm90LWpzb24", wantStatus: 400})), "cursor")
	problemField(t, decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs?cursor=%21%21", invalidRequest: true, wantStatus: 400})), "cursor")
	problemField(t, decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs?after=02040000&cursor=" + cursor, wantStatus: 400})), "after")
	problemField(t, decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/level-changes?after=1&cursor=" + cursor, wantStatus: 400})), "cursor")
	problemField(t, decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs?limit=1001", invalidRequest: true, wantStatus: 400})), "limit")

	next := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs?limit=1&cursor=" + cursor, wantStatus: 200}))
	if items := next["items"].([]any); len(items) != 1 || items[0].(map[string]any)["code"] != newburyportHigh {
		t.Errorf("second page = %v, want Newburyport High", items)
	}
	if _, more := next["next_cursor"]; more {
		t.Errorf("last page has next_cursor %v", next["next_cursor"])
	}
}

func TestConditionalPlanAndList(t *testing.T) {
	f := sharedObserved(t)
	plan := "/v1/plans/" + newburyportHighSIP
	read := f.do(t, apiCall{method: "GET", target: plan, wantStatus: 200})
	etag := read.Header().Get("ETag")
	for _, sent := range []string{etag, "W/" + etag, `"0", ` + etag, "*"} {
		rec := f.do(t, apiCall{method: "GET", target: plan, header: map[string]string{"If-None-Match": sent}, wantStatus: 304})
		if rec.Body.Len() != 0 {
			t.Errorf("If-None-Match %s: 304 has a %d-byte body", sent, rec.Body.Len())
		}
		if got := rec.Header().Get("ETag"); strings.TrimPrefix(got, "W/") != etag {
			t.Errorf("If-None-Match %s: 304 ETag %s, want %s", sent, got, etag)
		}
	}
	f.do(t, apiCall{method: "GET", target: plan, header: map[string]string{"If-None-Match": `"0"`}, wantStatus: 200})

	list := "/v1/orgs?district=02040000"
	first := f.do(t, apiCall{method: "GET", target: list, wantStatus: 200})
	hashed := first.Header().Get("ETag")
	if hashed == "" || hashed == etag {
		t.Fatalf("org list ETag = %q, want a hash of the body", hashed)
	}
	again := f.do(t, apiCall{method: "GET", target: list, wantStatus: 200})
	if got := again.Header().Get("ETag"); got != hashed {
		t.Errorf("the same list read twice has ETags %s and %s", hashed, got)
	}
	f.do(t, apiCall{method: "GET", target: list, header: map[string]string{"If-None-Match": hashed}, wantStatus: 304})
	other := f.do(t, apiCall{method: "GET", target: list + "&limit=1", wantStatus: 200})
	if other.Header().Get("ETag") == hashed {
		t.Errorf("a different page has the same ETag %s", hashed)
	}

	// An edit changes the plan's ETag, so the old one no longer matches.
	school := bearer(t, domain.RoleSchoolEditor, newburyportHigh)
	edited := f.do(t, apiCall{method: "PUT", target: plan + "/title", header: withHeader(school, "If-Match", etag),
		body: map[string]any{"title": "Newburyport High School Improvement Plan (conditional)"}, wantStatus: 200})
	if edited.Header().Get("ETag") == etag {
		t.Errorf("the edit kept ETag %s", etag)
	}
	f.do(t, apiCall{method: "GET", target: plan, header: map[string]string{"If-None-Match": etag}, wantStatus: 200})
}

func TestCompressionNegotiated(t *testing.T) {
	f := sharedObserved(t)
	plan := "/v1/plans/" + newburyportHighSIP
	plain := f.do(t, apiCall{method: "GET", target: plan, wantStatus: 200})
	if got := plain.Header().Get("Content-Encoding"); got != "" {
		t.Errorf("a request without Accept-Encoding got Content-Encoding %s", got)
	}
	for _, encoding := range []string{"gzip", "zstd"} {
		rec := f.do(t, apiCall{method: "GET", target: plan, header: map[string]string{"Accept-Encoding": encoding}, wantStatus: 200})
		if got := rec.Header().Get("Content-Encoding"); got != encoding {
			t.Errorf("Accept-Encoding %s: Content-Encoding %q", encoding, got)
		}
		if got := rec.Header().Values("Vary"); !slices.Contains(got, "Accept-Encoding") {
			t.Errorf("Accept-Encoding %s: Vary %v lacks Accept-Encoding", encoding, got)
		}
		if got, want := rec.Header().Get("ETag"), plain.Header().Get("ETag"); got != want {
			t.Errorf("Accept-Encoding %s: ETag %s, want the plan version %s", encoding, got, want)
		}
		if got := decodeBody(t, rec)["version"]; got != decodeBody(t, plain)["version"] {
			t.Errorf("Accept-Encoding %s: decoded version %v", encoding, got)
		}
	}
	list := "/v1/orgs?limit=50"
	plainList := f.do(t, apiCall{method: "GET", target: list, wantStatus: 200})
	gzList := f.do(t, apiCall{method: "GET", target: list, header: map[string]string{"Accept-Encoding": "gzip"}, wantStatus: 200})
	if gzList.Header().Get("ETag") != plainList.Header().Get("ETag") {
		t.Errorf("gzip list ETag %s, identity %s: the hash must be of the uncompressed body",
			gzList.Header().Get("ETag"), plainList.Header().Get("ETag"))
	}
	f.do(t, apiCall{method: "GET", target: list, header: map[string]string{"Accept-Encoding": "gzip",
		"If-None-Match": plainList.Header().Get("ETag")}, wantStatus: 304})

	small := f.do(t, apiCall{method: "GET", target: "/livez", header: map[string]string{"Accept-Encoding": "gzip"}, wantStatus: 200})
	if got := small.Header().Get("Content-Encoding"); got != "" {
		t.Errorf("a body under 1 KiB got Content-Encoding %s", got)
	}
	pdf := f.do(t, apiCall{method: "GET", target: plan + "/pdf", header: map[string]string{"Accept-Encoding": "gzip"}, wantStatus: 200})
	if got := pdf.Header().Get("Content-Encoding"); got != "" {
		t.Errorf("a PDF got Content-Encoding %s", got)
	}
	if !bytes.HasPrefix(pdf.Body.Bytes(), []byte("%PDF-")) || pdf.Header().Get("Content-Length") != strconv.Itoa(pdf.Body.Len()) {
		t.Errorf("the PDF lost its bytes or Content-Length (%s for %d bytes)", pdf.Header().Get("Content-Length"), pdf.Body.Len())
	}
}

// TestCompressionSkipsEventStream checks that an event stream with nothing
// to send yet still delivers its headers, uncompressed, at once. The
// deadline only bounds a hang: a held response would wait for the first
// heartbeat, 20 s later.
func TestCompressionSkipsEventStream(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.handler)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/level-changes/stream?after=999999", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip, zstd")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET stream with Accept-Encoding: %v (headers held back?)", err)
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("Content-Encoding"); got != "" {
		t.Errorf("event stream Content-Encoding %q, want none", got)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/event-stream" {
		t.Errorf("event stream Content-Type %q", got)
	}
	if _, ok := resp.Header["No-Gzip-Compression"]; ok {
		t.Errorf("the internal No-Gzip-Compression header reached the client")
	}
	if got := resp.Header.Get("ETag"); got != "" {
		t.Errorf("event stream has ETag %s", got)
	}
}

// metricValue returns the value of the series of name whose labels include
// want, or -1 when there is none.
func metricValue(t *testing.T, m *observe.Metrics, name string, want map[string]string) float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, family := range families {
		if family.GetName() != name {
			continue
		}
		for _, metric := range family.GetMetric() {
			if !hasLabels(metric, want) {
				continue
			}
			switch {
			case metric.Counter != nil:
				return metric.Counter.GetValue()
			case metric.Gauge != nil:
				return metric.Gauge.GetValue()
			case metric.Histogram != nil:
				return float64(metric.Histogram.GetSampleCount())
			}
		}
	}
	return -1
}

func hasLabels(metric *dto.Metric, want map[string]string) bool {
	for name, value := range want {
		found := false
		for _, label := range metric.GetLabel() {
			if label.GetName() == name && label.GetValue() == value {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func TestMetricsCountRequestsAndAppends(t *testing.T) {
	f := newObservedFixture(t, nil)
	plan := "/v1/plans/" + newburyportHighSIP
	f.do(t, apiCall{method: "GET", target: plan, wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: plan, wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/v1/plans/" + uuidLike, wantStatus: 404})
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/no/such/route/42", nil))
	f.do(t, apiCall{method: "GET", target: plan + "/pdf", wantStatus: 200})
	dept := bearer(t, domain.RoleDepartment, "")
	f.do(t, apiCall{method: "POST", target: "/v1/orgs/02040505/levels", header: dept,
		body: f.example(t, "POST", "/v1/orgs/{code}/levels", "newburyportHigh2017"), wantStatus: 201})

	// A lost race reaches the store with a stale sequence; the commands'
	// own check cannot stop it, so append it directly.
	stale := domain.AppendRequest{AggregateKind: domain.KindLevel, AggregateID: "02040505", ExpectedSequence: 0,
		Draft: domain.Draft{Type: domain.TypeLevelChanged, Payload: map[string]any{"level": 2}}}
	if _, err := f.metrics.Store(f.store).Append(context.Background(), stale); err == nil {
		t.Fatal("append at a stale sequence succeeded")
	}

	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"planledger_http_requests_total", map[string]string{"route": "/v1/plans/{id}", "method": "GET", "status": "200"}, 2},
		{"planledger_http_requests_total", map[string]string{"route": "/v1/plans/{id}", "method": "GET", "status": "404"}, 1},
		{"planledger_http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "status": "404"}, 1},
		{"planledger_http_requests_total", map[string]string{"route": "/v1/orgs/{code}/levels", "method": "POST", "status": "201"}, 1},
		{"planledger_http_request_duration_seconds", map[string]string{"route": "/v1/plans/{id}", "method": "GET"}, 3},
		{"planledger_pdf_render_duration_seconds", map[string]string{"document": "plan"}, 1},
		{"planledger_events_appended_total", map[string]string{"kind": domain.KindLevel}, 1},
		{"planledger_event_append_duration_seconds", map[string]string{"kind": domain.KindLevel, "outcome": "ok"}, 1},
		{"planledger_event_append_duration_seconds", map[string]string{"kind": domain.KindLevel, "outcome": "conflict"}, 1},
		{"planledger_event_append_conflicts_total", map[string]string{"kind": domain.KindLevel}, 1},
		{"planledger_http_requests_in_flight", nil, 0},
	}
	for _, c := range checks {
		if got := metricValue(t, f.metrics, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	exposed := f.do(t, apiCall{method: "GET", target: "/metrics", wantStatus: 200})
	if !strings.HasPrefix(exposed.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("/metrics Content-Type %q", exposed.Header().Get("Content-Type"))
	}
	for _, line := range []string{
		`planledger_events_appended_total{kind="level"} 1`,
		`planledger_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		"# TYPE go_goroutines gauge",
	} {
		if !strings.Contains(exposed.Body.String(), line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

const uuidLike = "00000000-0000-4000-8000-000000000000"

func TestRequestLogNamesActorAndAggregate(t *testing.T) {
	f := sharedObserved(t)
	rec := f.do(t, apiCall{method: "POST", target: "/v1/orgs/02040000/levels",
		header: f.signIn(t, domain.RoleDepartment, "", "dese-logging@doe.mass.edu"),
		body:   f.example(t, "POST", "/v1/orgs/{code}/levels", "newburyportHigh2017"), wantStatus: 201})
	id := rec.Header().Get("X-Request-Id")
	event := decodeBody(t, rec)["event"].(map[string]any)

	var line map[string]any
	lines := bufio.NewScanner(strings.NewReader(f.logs.String()))
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	for lines.Scan() {
		var entry map[string]any
		if err := json.Unmarshal(lines.Bytes(), &entry); err != nil {
			t.Fatalf("log line %q is not JSON: %v", lines.Text(), err)
		}
		if entry["msg"] == "request" && entry["request_id"] == id {
			line = entry
		}
	}
	if line == nil {
		t.Fatalf("no request log line with request_id %s", id)
	}
	want := map[string]any{
		"method": "POST", "path": "/v1/orgs/02040000/levels", "status": float64(201),
		"subject": "dese-logging@doe.mass.edu", "role": string(domain.RoleDepartment),
		"aggregate_kind": domain.KindLevel, "aggregate_id": "02040000", "aggregate_sequence": event["sequence"],
		"event_type": domain.TypeLevelChanged, "event_id": event["id"], "stream_sequence": event["stream_sequence"],
	}
	for key, value := range want {
		if line[key] != value {
			t.Errorf("log %s = %v, want %v", key, line[key], value)
		}
	}
	if strings.Contains(f.logs.String(), "Bearer ") {
		t.Error("the log contains a bearer token")
	}
}

func TestProblemTypesDescribed(t *testing.T) {
	f := newFixture(t)
	doc, err := os.ReadFile("../docs/problems.md")
	if err != nil {
		t.Fatalf("read docs/problems.md: %v", err)
	}
	list := decodeItems(t, f.do(t, apiCall{method: "GET", target: "/problems", wantStatus: 200}))
	codes := field(list, "code")
	for _, code := range []string{domain.EInvalid, domain.EUnauthenticated, domain.EForbidden, domain.ENotFound,
		"method_not_allowed", domain.EConflict, "precondition_failed", domain.ETooLarge, domain.EPrecondition,
		domain.EInternal, domain.EUnavailable} {
		if !slices.Contains(codes, code) {
			t.Errorf("GET /problems lacks %s", code)
			continue
		}
		one := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/problems/" + code, wantStatus: 200}))
		if one["type"] != "/problems/"+code {
			t.Errorf("problem type %s has type %v", code, one["type"])
		}
		if !bytes.Contains(doc, []byte("## "+code+"\n")) {
			t.Errorf("docs/problems.md has no \"## %s\" section", code)
		}
	}
	f.do(t, apiCall{method: "GET", target: "/problems/teapot", wantStatus: 404})

	// A problem's type dereferences to its description.
	missing := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs/02049999", wantStatus: 404}))
	described := decodeBody(t, f.do(t, apiCall{method: "GET", target: missing["type"].(string), wantStatus: 200}))
	if described["status"] != float64(404) || described["action"] == "" {
		t.Errorf("the description of %v is %v", missing["type"], described)
	}
}

func TestStartupGateAnswersProbes(t *testing.T) {
	var reason struct {
		sync.Mutex
		text string
	}
	reason.text = "replaying the event log, 10 of 99 events applied"
	f := newObservedFixture(t, func() string {
		reason.Lock()
		defer reason.Unlock()
		return reason.text
	})
	busy := f.do(t, apiCall{method: "GET", target: "/v1/orgs", wantStatus: 503})
	if got := busy.Header().Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After = %q, want 5", got)
	}
	if detail := decodeBody(t, busy)["detail"].(string); !strings.Contains(detail, "10 of 99") {
		t.Errorf("503 detail %q does not say what the server is doing", detail)
	}
	f.do(t, apiCall{method: "POST", target: "/v1/orgs/02040505/levels", header: bearer(t, domain.RoleDepartment, ""),
		body: f.example(t, "POST", "/v1/orgs/{code}/levels", "newburyportHigh2017"), wantStatus: 503})
	f.do(t, apiCall{method: "GET", target: "/livez", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/metrics", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/openapi.json", wantStatus: 200})
	ready := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/readyz", wantStatus: 503}))
	if detail := ready["detail"].(string); !strings.Contains(detail, "starting") {
		t.Errorf("/readyz detail %q does not say the server is starting", detail)
	}

	reason.Lock()
	reason.text = ""
	reason.Unlock()
	f.do(t, apiCall{method: "GET", target: "/v1/orgs?limit=1", wantStatus: 200})
	f.do(t, apiCall{method: "GET", target: "/readyz", wantStatus: 200})
}

// TestOpenAPIListsMiddlewareResponses checks that the merged document
// lists the responses the middleware can send on any route: 304 on every
// GET with a body except event streams, and 503 while starting on every
// operation not marked x-available-while-starting.
func TestOpenAPIListsMiddlewareResponses(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	operations := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			operations++
			if op.Extensions["x-available-while-starting"] != true && op.Responses.Status(503) == nil {
				t.Errorf("%s %s does not list 503", method, path)
			}
			if method != http.MethodGet {
				continue
			}
			ok := op.Responses.Status(200)
			stream := ok != nil && ok.Value != nil && ok.Value.Content.Get("text/event-stream") != nil
			got := op.Responses.Status(304)
			switch {
			case stream && got != nil:
				t.Errorf("GET %s is an event stream but lists 304", path)
			case !stream && (got == nil || got.Ref != "#/components/responses/NotModified"):
				t.Errorf("GET %s does not list the 304 NotModified response", path)
			}
		}
	}
	for _, path := range []string{"/livez", "/metrics", "/openapi.json"} {
		if op := doc.Paths.Find(path).Get; op.Extensions["x-available-while-starting"] != true {
			t.Errorf("GET %s answers while starting but is not marked x-available-while-starting", path)
		}
	}
	if operations == 0 {
		t.Fatal("the document has no operations")
	}
}
