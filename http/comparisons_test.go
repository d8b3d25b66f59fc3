package http_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/auth"
	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/comparisons"
	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	plhttp "github.com/planledger/planledger/http"
	"github.com/planledger/planledger/importer"
	"github.com/planledger/planledger/projections"
)

// dataFixture is the OpenAPI fixture with the bundled comparison data and
// sign-in, plus what its tests need to reach.
type dataFixture struct {
	*fixture
	data    *comparisons.Dataset
	store   *memoryStore
	read    *projections.Projector
	service *commands.Service
}

func newDataFixture(t *testing.T) *dataFixture {
	t.Helper()
	ds, err := importer.BundledDataset()
	if err != nil {
		t.Fatalf("load bundled comparison data: %v", err)
	}
	return newSignInFixture(t, ds)
}

// newSignInFixture builds the server with sign-in and the given comparison
// data, which may be nil.
func newSignInFixture(t *testing.T, ds *comparisons.Dataset) *dataFixture {
	t.Helper()
	doc, raw := loadOpenAPI(t)
	verifier, err := auth.NewHMACVerifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	read := projections.New(logger)
	store := newMemoryStore(read)
	service := commands.New(store, read)
	handler := plhttp.NewServer(plhttp.Config{Commands: service, Read: read, OpenAPI: raw, Version: "test",
		Logger: logger, Auth: verifier, Data: ds}).Handler()
	return &dataFixture{fixture: &fixture{doc: doc, handler: handler, router: handler.(*mux.Router), secret: testSecret},
		data: ds, store: store, read: read, service: service}
}

// editor returns headers signed in as a district editor of Newburyport,
// with extra header names and values added.
func editor(t *testing.T, extra ...string) map[string]string {
	t.Helper()
	return bearer(t, domain.RoleDistrictEditor, "02040000", extra...)
}

func TestComparisonReadRoutes(t *testing.T) {
	f := newDataFixture(t)

	elements := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/data-elements", wantStatus: 200}))
	if items := elements["items"].([]any); len(items) != len(f.data.Elements()) {
		t.Errorf("data-elements lists %d items, want %d", len(items), len(f.data.Elements()))
	}

	similar := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040505/similar?year=2016-17&n=5", wantStatus: 200}))
	if peers := similar["peers"].([]any); len(peers) != 5 || similar["year"] != float64(2017) {
		t.Errorf("similar?year=2016-17&n=5 gave year %v and %d peers, want 2017 and 5", similar["year"], len(peers))
	}
	latest := decodeBody(t, f.do(t, apiCall{method: "GET", target: "/v1/orgs/02040505/similar", wantStatus: 200}))
	if want, _ := f.data.DefaultYear("02040505"); latest["year"] != float64(want) {
		t.Errorf("similar without year used %v, want the latest year with every feature, %d", latest["year"], want)
	}

	bad := []struct {
		target  string
		status  int
		field   string
		invalid bool
	}{
		{"/v1/orgs/02040505/similar?year=1999", 400, "year", false},
		{"/v1/orgs/02040505/similar?year=spring", 400, "year", true},
		{"/v1/orgs/02040505/similar?n=0", 400, "n", true},
		{"/v1/orgs/0204/similar", 400, "code", true},
		{"/v1/orgs/02049999/similar", 404, "code", false},
		{"/v1/orgs/02040505/compare", 400, "elements", true},
		{"/v1/orgs/02040505/compare?elements=enrolment", 400, "elements/0", false},
		{"/v1/orgs/02040505/compare?elements=enrollment,grad_rate", 400, "elements/1", false},
		{"/v1/orgs/02040505/compare?elements=enrollment&years=2017,nineteen", 400, "years/1", false},
		{"/v1/orgs/02040505/compare?elements=enrollment&years=1999", 400, "years/0", false},
		{"/v1/orgs/02040505/compare?elements=enrollment&peers=02049999", 400, "peers/0", false},
		{"/v1/orgs/02040505/compare?elements=enrollment&peers=02040000", 400, "peers/0", false},
		{"/v1/orgs/02040505/compare?elements=enrollment&peers=01100505&n=3", 400, "n", false},
		{"/v1/orgs/02040505/compare?elements=enrollment&peer_year=2010", 400, "peer_year", false},
		{"/v1/orgs/02049999/compare?elements=enrollment", 404, "code", false},
	}
	for _, b := range bad {
		rec := f.do(t, apiCall{method: "GET", target: b.target, wantStatus: b.status, invalidRequest: b.invalid})
		problemField(t, decodeBody(t, rec), b.field)
	}
}

func TestCompareNewburyportHighEnrollment(t *testing.T) {
	f := newDataFixture(t)
	body := decodeBody(t, f.do(t, apiCall{method: "GET",
		target:     "/v1/orgs/02040505/compare?elements=enrollment,mcas_g10_ela_me_pct&years=2017,2018,2019&peers=similar&n=4&peer_year=2017",
		wantStatus: 200}))
	group := body["group"].(map[string]any)
	if group["method"] != "similar" || group["year"] != float64(2017) || len(group["peers"].([]any)) != 4 {
		t.Errorf("group = %v, want 4 similar peers from 2017", group)
	}
	elements := body["elements"].([]any)
	enrollment := elements[0].(map[string]any)["rows"].([]any)
	if len(enrollment) != 3 {
		t.Fatalf("enrollment has %d rows, want 3", len(enrollment))
	}
	for _, r := range enrollment {
		row := r.(map[string]any)
		year := int(row["year"].(float64))
		want, _ := f.data.Figure("02040505", comparisons.KeyEnrollment, year)
		got := row["org"].(map[string]any)["value"]
		if got != *want.Value {
			t.Errorf("%d enrollment %v, want %v", year, got, *want.Value)
		}
		if year == 2017 && got != float64(779) {
			t.Errorf("2016-17 enrollment %v, want 779 as enrollments.csv gives", got)
		}
	}
	// Grade 10 MCAS starts in 2019, so 2017 and 2018 have no row.
	mcas := elements[1].(map[string]any)["rows"].([]any)
	if len(mcas) != 1 || mcas[0].(map[string]any)["year"] != float64(2019) {
		t.Errorf("grade 10 MCAS rows = %v, want 2019 only", mcas)
	}
}

// newburyportDIP registers the Newburyport district and creates a DIP for
// 2016-17 to 2018-19 through the API, and returns the plan's path.
func (f *dataFixture) newburyportDIP(t *testing.T) string {
	t.Helper()
	district := domain.Org{Code: "02040000", Type: domain.OrgDistrict, Name: "Newburyport", DistrictCode: "02040000"}
	if _, err := f.service.RegisterOrg(context.Background(), commands.Meta{Actor: "test"}, district); err != nil {
		t.Fatal(err)
	}
	created := decodeBody(t, f.do(t, apiCall{method: "POST", target: "/v1/plans", header: editor(t), wantStatus: 201,
		body: map[string]any{"kind": "dip", "org_code": "02040000", "first_year": 2017, "last_year": 2019, "title": "Newburyport DIP"}}))
	return "/v1/plans/" + created["plan"].(map[string]any)["id"].(string)
}

func TestAnalysisRoutes(t *testing.T) {
	f := newDataFixture(t)
	plan := f.newburyportDIP(t)

	example := f.example(t, "POST", "/v1/plans/{id}/analyses", "similar")
	example["expected_sequence"] = 1
	f.do(t, apiCall{method: "POST", target: plan + "/analyses", body: example, invalidRequest: true, wantStatus: 401})
	recorded := decodeBody(t, f.do(t, apiCall{method: "POST", target: plan + "/analyses", header: editor(t), body: example, wantStatus: 201}))
	analyses := recorded["plan"].(map[string]any)["analyses"].([]any)
	comparison := analyses[0].(map[string]any)["comparison"].(map[string]any)
	wantPeers, _, err := f.data.SimilarPeers("02040000", 2017, domain.DefaultAnalysisPeers)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(comparison["peers"]); got != fmt.Sprint(wantPeers) || comparison["weights_version"] != comparisons.WeightsVersion {
		t.Errorf("stored comparison = %v, want peers %v with weights %s", comparison, wantPeers, comparisons.WeightsVersion)
	}

	badElement := f.example(t, "POST", "/v1/plans/{id}/analyses", "chosen")
	badElement["elements"] = []string{"mcas_g38_ela_me_pct", "mcas_algebra"}
	delete(badElement, "expected_sequence")
	rec := f.do(t, apiCall{method: "POST", target: plan + "/analyses", header: editor(t, "If-Match", `"2"`), body: badElement, wantStatus: 400})
	problemField(t, decodeBody(t, rec), "elements/1")
	badYear := f.example(t, "POST", "/v1/plans/{id}/analyses", "chosen")
	badYear["years"] = []int{2017, 2020}
	delete(badYear, "expected_sequence")
	rec = f.do(t, apiCall{method: "POST", target: plan + "/analyses", header: editor(t, "If-Match", `"2"`), body: badYear, wantStatus: 400})
	problemField(t, decodeBody(t, rec), "years/1")
	badPeer := f.example(t, "POST", "/v1/plans/{id}/analyses", "chosen")
	badPeer["comparison"] = map[string]any{"method": "chosen", "peers": []string{"01440000", "02040505"}}
	delete(badPeer, "expected_sequence")
	rec = f.do(t, apiCall{method: "POST", target: plan + "/analyses", header: editor(t, "If-Match", `"2"`), body: badPeer, wantStatus: 400})
	problemField(t, decodeBody(t, rec), "comparison/peers/1")

	chosen := f.example(t, "POST", "/v1/plans/{id}/analyses", "chosen")
	chosen["expected_sequence"] = 2
	f.do(t, apiCall{method: "POST", target: plan + "/analyses", header: editor(t), body: chosen, wantStatus: 201})
	revision := f.example(t, "PUT", "/v1/plans/{id}/analyses/{item}", "similar")
	revised := decodeBody(t, f.do(t, apiCall{method: "PUT", target: plan + "/analyses/" + example["id"].(string),
		header: editor(t), body: revision, wantStatus: 200}))
	stored := revised["plan"].(map[string]any)["analyses"].([]any)[0].(map[string]any)
	if years := stored["years"]; fmt.Sprint(years) != "[2017 2018]" {
		t.Errorf("revised years = %v, want [2017 2018]", years)
	}
	if year := stored["comparison"].(map[string]any)["year"]; year != float64(2018) {
		t.Errorf("revised similarity year = %v, want 2018, the last cited year", year)
	}

	pdfText := pdfToText(t, f.do(t, apiCall{method: "GET", target: plan + "/pdf", wantStatus: 200}).Body.Bytes())
	checkAnalysisPrinted(t, f.data, pdfText, "02040000", stored)

	f.do(t, apiCall{method: "DELETE", target: plan + "/analyses/" + example["id"].(string),
		header: editor(t, "If-Match", `"4"`), wantStatus: 200})
	f.do(t, apiCall{method: "DELETE", target: plan + "/analyses/" + example["id"].(string),
		header: editor(t, "If-Match", `"5"`), wantStatus: 404})
}

// pdfToText extracts a PDF's text with poppler's pdftotext in layout mode.
func pdfToText(t *testing.T, body []byte) string {
	t.Helper()
	path, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext not found on PATH: install poppler-utils to run the PDF checks")
	}
	file := filepath.Join(t.TempDir(), "plan.pdf")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// checkAnalysisPrinted checks that the PDF text shows a stored analysis: its
// title, findings, and a figures row per element and year with the org's
// value and the group median that the data gives for its stored peers.
func checkAnalysisPrinted(t *testing.T, ds *comparisons.Dataset, text, orgCode string, analysis map[string]any) {
	t.Helper()
	if !strings.Contains(text, "Data analysis") {
		t.Error("the PDF has no Data analysis part")
	}

	for _, want := range []string{analysis["title"].(string), "Findings", "Actions needed", "Cited figures"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	var keys []string
	for _, k := range analysis["elements"].([]any) {
		keys = append(keys, k.(string))
	}
	var years []int
	for _, y := range analysis["years"].([]any) {
		years = append(years, int(y.(float64)))
	}

	var peers []string
	for _, p := range analysis["comparison"].(map[string]any)["peers"].([]any) {
		peers = append(peers, p.(string))
	}
	cited := ds.Cited(orgCode, keys, years, peers)

	rows := 0
	for _, e := range cited.Elements {
		for _, row := range e.Rows {
			rows++
			org := e.Format(*row.Org.Value)
			median := e.FormatMedian(*row.Median)
			if !lineWith(text, labelStart(e.Label), row.YearLabel, org, median) {
				t.Errorf("no PDF line shows %s %s with %s and median %s", e.Label, row.YearLabel, org, median)
			}
		}
	}
	if rows != len(keys)*len(years) {
		t.Errorf("the data gives %d figure rows, want %d", rows, len(keys)*len(years))
	}
	for _, p := range cited.Group.Peers[:3] {
		if !strings.Contains(text, p.Code) {
			t.Errorf("the PDF does not name peer %s %s", p.Name, p.Code)
		}
	}
}

// labelStart returns the part of an element label that fits the first line
// of the figures table's first column.
func labelStart(label string) string {
	const firstLine = 20
	if len(label) <= firstLine {
		return label
	}
	return label[:firstLine]
}

// lineWith reports whether one line of text contains every part in order.
func lineWith(text string, parts ...string) bool {
	for _, line := range strings.Split(text, "\n") {
		rest, ok := line, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}

// The bundled Newburyport DIP cites its analysis in the printed plan with
// figures from the bundled data.
func TestBundledDIPPrintsAnalysis(t *testing.T) {
	f := newDataFixture(t)
	src, closeAll, err := importer.BundledSources(data.Bundled())
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	sum, err := importer.Run(context.Background(), f.store, f.read, src, nil)
	if err != nil {
		t.Fatalf("import bundled data: %v", err)
	}
	if sum.AnalysesRecorded != 1 {
		t.Fatalf("import recorded %d analyses, want 1", sum.AnalysesRecorded)
	}
	const dip = "/v1/plans/1496d2f4-3f89-4c37-8c47-d3358c42ebf0"
	asOf := "/pdf?basis=recorded&as_of=" + time.Now().UTC().Format(time.RFC3339Nano)
	first := f.do(t, apiCall{method: "GET", target: dip + asOf, wantStatus: 200})
	text := pdfToText(t, first.Body.Bytes())

	plan, _ := f.read.Plan("1496d2f4-3f89-4c37-8c47-d3358c42ebf0")
	a := plan.Analyses[0]
	for _, want := range []string{"Data analysis", "Analysis 1: " + a.Title, "Medway (01770000)", "†"} {
		if !strings.Contains(text, want) {
			t.Errorf("the bundled DIP's PDF lacks %q", want)
		}
	}
	cited := f.data.Cited(plan.OrgCode, a.Elements, a.Years, a.Comparison.Peers)
	for _, e := range cited.Elements {
		for _, row := range e.Rows {
			org := e.Format(*row.Org.Value) + " *"
			if !lineWith(text, labelStart(e.Label), row.YearLabel, org, e.FormatMedian(*row.Median)) {
				t.Errorf("no PDF line shows %s %s with %s and median %s", e.Label, row.YearLabel, org, e.FormatMedian(*row.Median))
			}
		}
	}

	// The same events and instant print the same bytes.
	again := f.do(t, apiCall{method: "GET", target: dip + asOf, wantStatus: 200})
	if first.Header().Get("X-Content-SHA256") != again.Header().Get("X-Content-SHA256") {
		t.Error("two prints of the same plan version differ")
	}
}

// A server started without comparison data returns 503 on its routes, and
// rejects an analysis write the same way.
func TestComparisonRoutesWithoutData(t *testing.T) {
	f := newSignInFixture(t, nil)
	for _, target := range []string{"/v1/data-elements", "/v1/orgs/02040505/similar", "/v1/orgs/02040505/compare?elements=enrollment"} {
		f.do(t, apiCall{method: "GET", target: target, wantStatus: 503})
	}
	plan := f.newburyportDIP(t)
	example := f.example(t, "POST", "/v1/plans/{id}/analyses", "similar")
	example["expected_sequence"] = 1
	f.do(t, apiCall{method: "POST", target: plan + "/analyses", header: editor(t), body: example, wantStatus: 503})
	// The plan PDF still prints, without analyses to show.
	f.do(t, apiCall{method: "GET", target: plan + "/pdf", wantStatus: 200})
}
