package pdf_test

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/planledger/planledger/pdf"
)

// outDir keeps the rendered PDFs for inspection, e.g.
// go test ./pdf/ -args -out=/tmp/plans
var outDir = flag.String("out", "", "directory to copy the rendered test PDFs into")

// tool returns the path of a poppler-utils command. A missing tool fails
// the test: these checks are the only ones that read the PDF back, so they
// must not be skipped.
func tool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: install poppler-utils (apt-get install poppler-utils) to run the PDF tests", name)
	}
	return path
}

// run executes a poppler-utils command with TZ=UTC and returns its stdout.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(tool(t, name), args...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %s failed: %v\n%s", name, strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// renderFile renders doc, writes it to a temporary file and returns the
// path and bytes.
func renderFile(t testing.TB, name string, doc pdf.Document) (string, []byte) {
	t.Helper()
	b, err := pdf.Render(doc)
	if err != nil {
		t.Fatalf("Render(%s): %v", name, err)
	}
	path := filepath.Join(t.TempDir(), name+".pdf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if *outDir != "" {
		if err := os.WriteFile(filepath.Join(*outDir, name+".pdf"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path, b
}

// info returns the fields pdfinfo prints, keyed by name.
func info(t testing.TB, path string) map[string]string {
	t.Helper()
	fields := map[string]string{}
	for _, l := range strings.Split(run(t, "pdfinfo", "-isodates", path), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	return fields
}

// pageCount returns the page count pdfinfo reports.
func pageCount(t testing.TB, path string) int {
	t.Helper()
	n, err := strconv.Atoi(info(t, path)["Pages"])
	if err != nil {
		t.Fatalf("pdfinfo Pages of %s: %v", path, err)
	}
	return n
}

// text returns the text of the whole document.
func text(t testing.TB, path string) string {
	t.Helper()
	return run(t, "pdftotext", "-enc", "UTF-8", path, "-")
}

// pageText returns the text of page n.
func pageText(t testing.TB, path string, n int) string {
	t.Helper()
	p := strconv.Itoa(n)
	return run(t, "pdftotext", "-enc", "UTF-8", "-f", p, "-l", p, path, "-")
}

// word is one word pdftotext -bbox found, with its box in points from the
// top of the page.
type word struct {
	text       string
	yMin, yMax float64
}

var (
	pageTag = regexp.MustCompile(`<page width="([0-9.]+)" height="([0-9.]+)">`)
	wordTag = regexp.MustCompile(`<word xMin="[0-9.]+" yMin="([0-9.]+)" xMax="[0-9.]+" yMax="([0-9.]+)">([^<]*)</word>`)
)

// pageWords returns the words of every page and the page height in points.
func pageWords(t testing.TB, path string) (pages [][]word, height float64) {
	t.Helper()
	out := run(t, "pdftotext", "-enc", "UTF-8", "-bbox", path, "-")
	for _, chunk := range strings.Split(out, "</page>") {
		m := pageTag.FindStringSubmatch(chunk)
		if m == nil {
			continue
		}
		height, _ = strconv.ParseFloat(m[2], 64)
		var words []word
		for _, w := range wordTag.FindAllStringSubmatch(chunk, -1) {
			yMin, _ := strconv.ParseFloat(w[1], 64)
			yMax, _ := strconv.ParseFloat(w[2], 64)
			words = append(words, word{text: unescapeHTML(w[3]), yMin: yMin, yMax: yMax})
		}
		pages = append(pages, words)
	}
	return pages, height
}

func unescapeHTML(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'").Replace(s)
}
