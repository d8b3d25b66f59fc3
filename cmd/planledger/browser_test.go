package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/planledger/planledger/domain"
)

// axeSHA256 pins the vendored axe-core build. testdata/axe-core/README.md
// gives its source.
const axeSHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

// browserPath returns a Chromium binary, or skips the test when there is
// none and PLANLEDGER_REQUIRE_BROWSER is unset. CI sets it, so there a
// missing browser fails instead.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("PLANLEDGER_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium binary on PATH and PLANLEDGER_REQUIRE_BROWSER is set: apt-get install chromium")
	}
	t.Skip("browser tests skipped: no Chromium binary on PATH (apt-get install chromium); set PLANLEDGER_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// readAxe returns the vendored axe-core script after checking its hash.
func readAxe(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(src)
	if got := hex.EncodeToString(sum[:]); got != axeSHA256 {
		t.Fatalf("testdata/axe-core/axe.min.js has SHA-256 %s, want %s; see its README.md", got, axeSHA256)
	}
	return string(src)
}

// axeResult is the part of an axe-core result the test reads: the
// violations, and how many rules passed, to show that axe ran at all.
type axeResult struct {
	Violations []struct {
		ID     string   `json:"id"`
		Impact string   `json:"impact"`
		Help   string   `json:"help"`
		Nodes  []string `json:"nodes"`
	} `json:"violations"`
	Passes int `json:"passes"`
}

// axeRun runs axe on the loaded page with the WCAG 2.0 and 2.1 level A and
// AA rules only.
const axeRun = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
  .then(r => ({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, impact: v.impact || "",
    help: v.help, nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))}))`

// runAxe loads page, injects axe-core and runs it. prepare, when not
// empty, is a script run first.
func runAxe(browser context.Context, axe, page, prepare string) (axeResult, error) {
	steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(page), chromedp.Evaluate[chromedp.Void](axe)}
	if prepare != "" {
		steps = append(steps, chromedp.Evaluate[chromedp.Void](prepare))
	}
	if err := chromedp.Do(browser, steps...); err != nil {
		return axeResult{}, err
	}
	return chromedp.Run(browser, chromedp.Evaluate[axeResult](axeRun, chromedp.EvalAwaitPromise))
}

// TestBrowser drives the auditor's pages and the accessible plan document
// in headless Chromium against the real server with the bundled data. One
// browser serves every subtest.
func TestBrowser(t *testing.T) {
	chromium := browserPath(t)
	axe := readAxe(t)

	dir := t.TempDir()
	srv, base := testServer(t, dir)
	defer srv.Close(context.Background())

	// Newburyport High's plan, and an edit to its school council section
	// that takes effect now.
	r := call(t, "GET", base+"/v1/orgs/"+newburyportHigh, nil, "")
	wantStatus(t, r, http.StatusOK)
	planID := r.json(t)["plans"].([]any)[0].(map[string]any)["id"].(string)
	r = call(t, "GET", base+"/v1/plans/"+planID, nil, "")
	wantStatus(t, r, http.StatusOK)
	var oldText string
	for _, s := range r.json(t)["plan"].(map[string]any)["sections"].([]any) {
		if s := s.(map[string]any); s["key"] == "school_council" {
			oldText = s["text"].(string)
		}
	}
	const newText = "The school council met every two weeks during the audit and revised this section."
	principal := signIn(t, dir, domain.RoleSchoolEditor, newburyportHigh, "principal@newburyport.example")
	edit, _ := json.Marshal(map[string]string{"text": newText})
	r = call(t, "PUT", base+"/v1/plans/"+planID+"/sections/school_council",
		withHeader(principal, "If-Match", r.header.Get("ETag")), string(edit))
	wantStatus(t, r, http.StatusOK)
	latest := strings.Trim(r.header.Get("ETag"), `"`)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 1024))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}

	planPage := base + "/ui/plans/" + planID
	yesterday := time.Now().In(mustZone(t)).AddDate(0, 0, -1).Format(time.DateOnly)

	t.Run("earlier date shows older text", func(t *testing.T) {
		if err := chromedp.Do(browser, chromedp.Navigate(planPage)); err != nil {
			t.Fatal(err)
		}
		now, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(now, newText) {
			t.Fatalf("the plan page now lacks the edited text %q", newText)
		}

		err = chromedp.Do(browser,
			chromedp.SetValue(chromedp.ID("date"), yesterday),
			chromedp.Click(chromedp.CSS("form.asof button[type=submit]")),
			chromedp.WaitVisible(chromedp.Search(`//dt[.="Resolved instant"]/following-sibling::dd/time[contains(., "11:59:59.999999999 PM")]`)),
		)
		if err != nil {
			t.Fatalf("submit the form with date %s: %v", yesterday, err)
		}
		location, err := chromedp.Run(browser, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		earlier, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		pdfLink, err := chromedp.Run(browser, chromedp.AttributeValue(chromedp.Search(`//a[.="PDF of this view"]`), "href"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(location, "date="+yesterday) {
			t.Errorf("the form went to %s, want a query with date=%s", location, yesterday)
		}
		if !strings.Contains(earlier, flatSpace(oldText)) || strings.Contains(earlier, newText) {
			t.Errorf("the plan as of %s does not show only the older school council text", yesterday)
		}
		if !strings.Contains(pdfLink.Value, "/v1/plans/"+planID+"/pdf?as_of=") || !strings.Contains(pdfLink.Value, "&version=") {
			t.Errorf("PDF link %q is not pinned to an instant and version", pdfLink.Value)
		}
	})

	t.Run("diff highlights the change", func(t *testing.T) {
		err := chromedp.Do(browser,
			chromedp.Navigate(planPage+"/history"),
			chromedp.Click(chromedp.Search(`//article[1]//a[starts-with(., "Compare version")]`)),
			chromedp.WaitVisible(chromedp.CSS("table.diff")),
		)
		if err != nil {
			t.Fatal(err)
		}
		deleted, err := chromedp.Run(browser, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.diff del")].map(e => e.textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		inserted, err := chromedp.Run(browser, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.diff ins")].map(e => e.textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		background, err := chromedp.Run(browser, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("table.diff ins")).backgroundColor`))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(inserted, " "), "every two weeks") {
			t.Errorf("inserted words %q lack the new text", inserted)
		}
		if len(deleted) == 0 {
			t.Errorf("the diff marks no deleted words")
		}
		// The stylesheet applies only when the policy's hash matches it.
		if background != "rgb(211, 240, 211)" {
			t.Errorf("inserted words have background %q, want the stylesheet's rgb(211, 240, 211)", background)
		}
	})

	t.Run("axe finds no WCAG 2.1 AA violation", func(t *testing.T) {
		if err := chromedp.Do(browser, chromedp.Navigate(planPage)); err != nil {
			t.Fatal(err)
		}
		docLink, err := chromedp.Run(browser, chromedp.AttributeValue(chromedp.Search(`//a[.="Accessible document of this view"]`), "href"))
		if err != nil {
			t.Fatal(err)
		}
		// axe must see a page that breaks a rule, or a clean result below
		// would prove nothing.
		broken, err := runAxe(browser, axe, base+"/ui/", `document.documentElement.removeAttribute("lang")`)
		if err != nil {
			t.Fatalf("run axe on a page without lang: %v", err)
		}
		if len(broken.Violations) == 0 || broken.Violations[0].ID != "html-has-lang" {
			t.Fatalf("axe reports %+v for a page without lang, want html-has-lang", broken.Violations)
		}

		for _, page := range []string{
			docLink.Value,
			"/ui/",
			"/ui/?q=newburyport",
			"/ui/orgs/" + newburyportDistrict,
			"/ui/orgs/" + newburyportHigh,
			"/ui/plans/" + planID + "?date=" + yesterday,
			"/ui/plans/" + planID + "/history",
			"/ui/plans/" + planID + "/diff?from_version=1&to_version=" + latest,
			"/ui/plans/" + planID + "?date=2001-01-01",
		} {
			result, err := runAxe(browser, axe, base+page, "")
			if err != nil {
				t.Errorf("run axe on %s: %v", page, err)
				continue
			}
			if result.Passes == 0 {
				t.Errorf("axe passed no rule on %s, so it did not check the page", page)
			}
			for _, v := range result.Violations {
				t.Errorf("%s: %s (%s): %s\n  %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
			}
		}
	})
}

// flatSpace joins the words of s with single spaces, as a browser's text
// of a paragraph does.
func flatSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
