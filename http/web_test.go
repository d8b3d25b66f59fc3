package http_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/planledger/planledger/auth"
	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	plhttp "github.com/planledger/planledger/http"
	"github.com/planledger/planledger/importer"
	"github.com/planledger/planledger/projections"
)

// The document describes HTML responses as strings, and kin-openapi needs
// a decoder for each media type it validates.
func init() {
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
}

// bundledServer serves the bundled data, imported into an in-memory store
// as the server's first start imports it.
func bundledServer(t *testing.T) (http.Handler, *projections.Projector) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	read := projections.New(logger)
	store := newMemoryStore(read)
	src, closeAll, err := importer.BundledSources(data.Bundled())
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	if _, err := importer.Run(context.Background(), store, read, src, nil); err != nil {
		t.Fatalf("import the bundled data: %v", err)
	}
	verifier, err := auth.NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return plhttp.NewServer(plhttp.Config{Commands: commands.New(store, read), Read: read, Version: "test",
		Auth: verifier, Logger: logger}).Handler(), read
}

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

// pdftotext extracts a PDF's text in reading order, one page after another.
func pdftotext(t *testing.T, body []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.pdf")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (install poppler-utils): %v", err)
	}
	return string(out)
}

var (
	headElement = regexp.MustCompile(`(?s)<head>.*</head>`)
	markupTag   = regexp.MustCompile(`<[^>]*>`)
)

// htmlText returns the text of an HTML document's body in document order,
// with runs of whitespace as one space.
func htmlText(doc string) string {
	body := markupTag.ReplaceAllString(headElement.ReplaceAllString(doc, ""), " ")
	return strings.Join(strings.Fields(html.UnescapeString(body)), " ")
}

// inOrder checks that text holds every probe, each after the one before,
// and reports the first probe that is missing or out of order.
func inOrder(t *testing.T, name, text string, probes []string) {
	t.Helper()
	pos := 0
	for i, p := range probes {
		at := strings.Index(text[pos:], p)
		if at < 0 {
			before := "the start"
			if i > 0 {
				before = probes[i-1]
			}
			t.Errorf("%s lacks %q after %q", name, p, before)
			return
		}
		pos += at + len(p)
	}
}

func flatten(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestPlanHTMLMatchesPDF prints the bundled Newburyport High SIP, follows
// the accessible version's path printed on its cover, and checks that both
// documents give the cover facts, headings, section texts and goals in the
// same order.
func TestPlanHTMLMatchesPDF(t *testing.T) {
	h, read := bundledServer(t)
	plans := read.PlansFor(newburyportHigh)
	if len(plans) == 0 {
		t.Fatal("the bundle has no plan for Newburyport High")
	}
	plan := *plans[0]
	dip, ok := read.Plan(plan.DistrictPlanID)
	if !ok {
		t.Fatalf("the bundle lacks the district plan %s of Newburyport High's plan", plan.DistrictPlanID)
	}
	if plan.Kind != domain.PlanSIP || len(plan.Goals) == 0 {
		t.Fatalf("Newburyport High's plan is a %s with %d goals, want an SIP with goals", plan.Kind, len(plan.Goals))
	}

	printed := get(t, h, "/v1/plans/"+plan.ID+"/pdf")
	if printed.Code != http.StatusOK {
		t.Fatalf("GET pdf: %d %s", printed.Code, printed.Body)
	}
	raw := pdftotext(t, printed.Body.Bytes())
	m := regexp.MustCompile(`Accessible version:\s+(/v1/plans/\S+)`).FindStringSubmatch(raw)
	if m == nil {
		t.Fatalf("the PDF prints no accessible version path:\n%s", raw)
	}
	link := regexp.MustCompile(`<(/v1/plans/[^>]+/html[^>]*)>`).FindStringSubmatch(printed.Header().Get("Link"))
	if link == nil || link[1] != m[1] {
		t.Errorf("PDF Link header %q does not name the printed path %s", printed.Header().Get("Link"), m[1])
	}

	served := get(t, h, m[1])
	if served.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", m[1], served.Code, served.Body)
	}
	if ct := served.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q, want text/html; charset=utf-8", ct)
	}
	doc := served.Body.String()

	// The page furniture, the running head and the footer, repeats on
	// every page and may fall inside a section's text, so it is removed.
	asOf := regexp.MustCompile(`(?m)^As of \S+ \((?:effective|recorded) time\) · last event sequence \d+ · plan version \d+$`).FindString(raw)
	if asOf == "" {
		t.Fatalf("the PDF footer states no as-of line")
	}
	var bodyLines []string
	for _, line := range strings.Split(raw, "\n") {
		line = strings.TrimSpace(line)
		if line == asOf || strings.HasPrefix(line, "Page ") && strings.Contains(line, " of ") ||
			line == "Newburyport High · School Improvement Plan · "+plan.PeriodLabel() {
			continue
		}
		bodyLines = append(bodyLines, line)
	}
	pdfText := flatten(strings.Join(bodyLines, "\n"))
	docText := htmlText(doc)

	// The footer pins both documents to the same view.
	if !strings.Contains(docText, asOf) {
		t.Errorf("the HTML lacks the PDF's footer line %q", asOf)
	}

	probes := []string{"School Improvement Plan", plan.Title}
	// "Accountability level" or "Accountability status", by the scheme in
	// force at the print's instant.
	for _, label := range []string{"School", "DESE org code", "District", "District org code", "Period",
		"Accountability", "Aligned district plan", "Statutory basis", "Plan ID", plan.ID, "As of", "Note"} {
		probes = append(probes, label)
	}
	probes = append(probes, "Accessible version: "+m[1])
	probes = append(probes, "Status and approval",
		fmt.Sprintf("Status: %s · revision %d", strings.ReplaceAll(string(plan.CurrentStatus()), "_", " "), plan.CurrentRevision()),
		"Compliance checklist")
	results := domain.CheckCompliance(&plan, domain.ComplianceContext{DistrictPlan: dip})
	// Rule ids, not titles: pdftotext reads a title that wraps in its cell
	// after text of the next column.
	for _, res := range results {
		probes = append(probes, res.ID)
	}
	for _, s := range plan.Sections {
		probes = append(probes, s.Heading)
		if strings.TrimSpace(s.Text) != "" {
			probes = append(probes, flatten(s.Text))
		}
	}
	probes = append(probes, "Goals")
	for _, g := range plan.Goals {
		probes = append(probes, flatten(g.Title), flatten(g.Statement))
		for _, ms := range g.Measures {
			probes = append(probes, flatten(ms.Description))
		}
		for _, a := range g.Actions {
			probes = append(probes, flatten(a.Text))
		}
	}
	probes = append(probes, "† marks a target written for the bundled sample data")
	inOrder(t, "the PDF", pdfText, probes)
	inOrder(t, "the HTML", docText, probes)

	t.Run("structure", func(t *testing.T) {
		for _, want := range []string{`<html lang="en">`, `<a class="skip" href="#main">`, `<main id="main"`,
			`<caption>`, `<th scope="col">Goal</th>`, `<th scope="row">`, "@media print"} {
			if !strings.Contains(doc, want) {
				t.Errorf("the HTML lacks %s", want)
			}
		}
		if n := strings.Count(doc, "<h1"); n != 1 {
			t.Errorf("the HTML has %d h1 elements, want 1", n)
		}
		if n, want := strings.Count(doc, "<h2>"), len(plan.Sections)+3; n != want {
			t.Errorf("the HTML has %d h2 headings, want %d: the status, the checklist, each section and the goals", n, want)
		}
	})
}

// TestWebPagesEscapeAndPolicy gives a plan a title with markup and checks
// that every page shows it as text, carries no script or event handler,
// and sends a policy that allows exactly its stylesheet.
func TestWebPagesEscapeAndPolicy(t *testing.T) {
	f := newFixture(t)
	district := f.signIn(t, domain.RoleDistrictEditor, "02040000", "curriculum@newburyport")
	dip := f.example(t, "POST", "/v1/plans", "newburyportDIP")
	id := dip["id"].(string)
	f.do(t, apiCall{method: "POST", target: "/v1/plans", header: district, body: dip, wantStatus: 201})
	const title = `Plan <script>alert("x")</script> & <img src=x onerror=alert(1)>`
	f.do(t, apiCall{method: "PUT", target: "/v1/plans/" + id + "/title", header: district,
		body: map[string]any{"title": title, "expected_sequence": 1}, wantStatus: 200})

	styleElement := regexp.MustCompile(`(?s)<style>(.*?)</style>`)
	handler := regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=[^>]*>`)
	for _, target := range []string{
		"/ui/", "/ui/orgs/02040000", "/ui/plans/" + id, "/ui/plans/" + id + "/history",
		"/ui/plans/" + id + "/diff?from_version=1&to_version=2", "/v1/plans/" + id + "/html",
		"/ui/plans/" + id + "?date=2001-01-01",
	} {
		rec := get(t, f.handler, target)
		body := rec.Body.String()
		if rec.Code != http.StatusOK && rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d", target, rec.Code)
			continue
		}
		if strings.Contains(strings.ToLower(body), "<script") || strings.Contains(body, "<img") {
			t.Errorf("GET %s: the page contains unescaped markup", target)
		}
		if handler.MatchString(body) {
			t.Errorf("GET %s: the page has an inline event handler: %s", target, handler.FindString(body))
		}
		if !strings.Contains(target, "2001") && !strings.Contains(target, "/ui/orgs/") && target != "/ui/" &&
			!strings.Contains(body, "Plan &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img") {
			t.Errorf("GET %s: the escaped title is missing", target)
		}
		styles := styleElement.FindAllStringSubmatch(body, -1)
		if len(styles) != 1 {
			t.Errorf("GET %s: %d style elements, want 1", target, len(styles))
			continue
		}
		sum := sha256.Sum256([]byte(styles[0][1]))
		policy := rec.Header().Get("Content-Security-Policy")
		want := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';"
		if !strings.HasPrefix(policy, want) {
			t.Errorf("GET %s: Content-Security-Policy %q does not start with %q", target, policy, want)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no X-Content-Type-Options: nosniff", target)
		}
	}
}

// TestPlanPageResolvesInstant checks that the plan page reads a date and a
// time in Massachusetts, states the instant it resolved to, and links the
// PDF and accessible document pinned to it.
func TestPlanPageResolvesInstant(t *testing.T) {
	f := newFixture(t)
	district := f.signIn(t, domain.RoleDistrictEditor, "02040000", "curriculum@newburyport")
	dip := f.example(t, "POST", "/v1/plans", "newburyportDIP")
	id := dip["id"].(string)
	f.do(t, apiCall{method: "POST", target: "/v1/plans", header: district, body: dip, wantStatus: 201})

	for _, c := range []struct {
		query, exact, basis string
	}{
		// 30 June 2018 is in daylight saving time, UTC-4.
		{"date=2018-06-30", "2018-07-01T03:59:59.999999999Z", "effective"},
		{"date=2018-06-30&time=14:30", "2018-06-30T18:30:00Z", "effective"},
		{"date=2018-01-15&time=09:05:07", "2018-01-15T14:05:07Z", "effective"},
		{"as_of=2018-06-30T16:00:00Z&date=2017-01-01", "2018-06-30T16:00:00Z", "effective"},
	} {
		rec := get(t, f.handler, "/ui/plans/"+id+"?"+c.query)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status %d", c.query, rec.Code)
			continue
		}
		body := rec.Body.String()
		if !strings.Contains(body, "<code>"+c.exact+"</code>") {
			t.Errorf("%s: the page does not state the resolved instant %s", c.query, c.exact)
		}
		pdfLink := "/v1/plans/" + id + "/pdf?as_of=" + c.exact + "&amp;basis=" + c.basis + "&amp;version=1"
		if !strings.Contains(body, `href="`+pdfLink+`"`) {
			t.Errorf("%s: the page does not link %s", c.query, pdfLink)
		}
		if !strings.Contains(body, `href="/v1/plans/`+id+`/html?as_of=`+c.exact) {
			t.Errorf("%s: the page does not link the accessible document at %s", c.query, c.exact)
		}
	}

	rec := get(t, f.handler, "/ui/plans/"+id+"?date=2018-06-31")
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `aria-invalid="true"`) {
		t.Errorf("an impossible date gives status %d without marking the field invalid", rec.Code)
	}
	when := time.Now().In(projections.Massachusetts).Format(time.DateOnly)
	rec = get(t, f.handler, "/ui/plans/"+id+"?basis=recorded&date="+when)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "recorded time (when planledger stored each change)") {
		t.Errorf("a recorded read of today gives status %d or does not name its basis", rec.Code)
	}
}
