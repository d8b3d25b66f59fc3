package pdf_test

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/pdf"
)

const chainHash = "0123456789abcdef1123456789abcdef2123456789abcdef3123456789abcdef"

// chainedDocument is the SIP fixture with a chain hash and the longest
// footer lines it has to fit: a nanosecond instant, the recorded basis and
// four-digit sequences and versions.
func chainedDocument() pdf.Document {
	doc := sipDocument(sipPlan())
	doc.ChainHash = chainHash
	doc.AsOf = time.Date(2026, 12, 4, 15, 4, 5, 123456789, time.UTC)
	doc.AsOfBasis = "recorded"
	doc.LastSequence = 1234
	doc.PlanVersion = 1234
	doc.DistrictPlanVersion = 1234
	return doc
}

// wordBox matches a word that pdftotext -bbox found and captures its top
// and right edges in points and its text.
var wordBox = regexp.MustCompile(`<word xMin="[0-9.]+" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="[0-9.]+">([^<]*)</word>`)

func TestRenderPrintsChainHash(t *testing.T) {
	doc := chainedDocument()
	path, _ := renderFile(t, "sip-chained", doc)
	pages := pageCount(t, path)
	for n := 1; n <= pages; n++ {
		want := fmt.Sprintf("Page %d of %d · chain 0123456789abcdef · DIP version 1234 As of 2026-12-04T15:04:05.123456789Z "+
			"(recorded time) · last event sequence 1234 · plan version 1234", n, pages)
		if page := flat(pageText(t, path, n)); !strings.HasSuffix(page, want) {
			t.Errorf("page %d does not end with the footer %q:\n%s", n, want, page)
		}
	}
	cover := flat(pageText(t, path, 1))
	if want := "Plan ID " + doc.DistrictPlan.ID + " · version 1234"; !strings.Contains(cover, want) {
		t.Errorf("cover lacks the DIP's %q:\n%s", want, cover)
	}
	if want := "Chain hash 0123456789abcdef 1123456789abcdef 2123456789abcdef 3123456789abcdef"; !strings.Contains(cover, want) {
		t.Errorf("cover lacks %q:\n%s", want, cover)
	}

	// Footer lines are unwrapped cells, so each word must end inside the
	// 18 mm right margin of the 612 pt page.
	rightEdge := 612 - 18*72/25.4
	bbox := run(t, "pdftotext", "-enc", "UTF-8", "-bbox", "-f", "1", "-l", "1", path, "-")
	footerWords := 0
	for _, m := range wordBox.FindAllStringSubmatch(bbox, -1) {
		if yMin, _ := strconv.ParseFloat(m[1], 64); yMin < bodyLimitPt {
			continue
		}
		footerWords++
		if xMax, _ := strconv.ParseFloat(m[2], 64); xMax > rightEdge {
			t.Errorf("footer word %q ends at %.1f pt, past the right margin at %.1f pt", m[3], xMax, rightEdge)
		}
	}
	if footerWords == 0 {
		t.Error("found no footer words on page 1")
	}
}

func TestRenderWithoutChainHashOmitsIt(t *testing.T) {
	path, _ := renderFile(t, "sip-unchained", sipDocument(sipPlan()))
	if got := flat(text(t, path)); strings.Contains(got, "chain") || strings.Contains(got, "Chain hash") {
		t.Errorf("a document without a chain hash prints one:\n%s", got)
	}
}

func TestRenderChainedDeterministic(t *testing.T) {
	first, err := pdf.Render(chainedDocument())
	if err != nil {
		t.Fatal(err)
	}
	second, err := pdf.Render(chainedDocument())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("two renders of the same chained document differ (%d and %d bytes)", len(first), len(second))
	}
}

func TestRenderRejectsInvalidChainHash(t *testing.T) {
	for _, hash := range []string{"0123", strings.ToUpper(chainHash), chainHash[:63] + "g"} {
		doc := chainedDocument()
		doc.ChainHash = hash
		if b, err := pdf.Render(doc); err == nil {
			t.Errorf("chain hash %q: Render returned %d bytes and no error", hash, len(b))
		}
	}
}

func TestReadMetadataRoundTrip(t *testing.T) {
	doc := chainedDocument()
	b, err := pdf.Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pdf.ReadMetadata(b)
	if err != nil {
		t.Fatalf("ReadMetadata: %v", err)
	}
	want := pdf.Metadata{
		PlanID: doc.Plan.ID, PlanVersion: 1234, DIPVersion: 1234, LastSequence: 1234, AsOf: doc.AsOf,
		AsOfBasis: "recorded", ChainHash: chainHash, Producer: producer,
	}
	if got != want {
		t.Errorf("ReadMetadata = %+v, want %+v", got, want)
	}
	// pdfinfo finds the packet as the document's metadata stream.
	path, _ := renderFile(t, "sip-xmp", doc)
	if meta := run(t, "pdfinfo", "-meta", path); !strings.Contains(meta, "<planledger:chain_hash>"+chainHash+"</planledger:chain_hash>") {
		t.Errorf("pdfinfo -meta lacks the chain hash:\n%s", meta)
	}
}

func TestReadMetadataWithoutChainHash(t *testing.T) {
	doc := sipDocument(sipPlan())
	b, err := pdf.Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pdf.ReadMetadata(b)
	if err != nil {
		t.Fatalf("ReadMetadata: %v", err)
	}
	if got.ChainHash != "" {
		t.Errorf("ChainHash = %q, want empty", got.ChainHash)
	}
	if got.LastSequence != doc.LastSequence {
		t.Errorf("LastSequence = %d, want %d", got.LastSequence, doc.LastSequence)
	}
}

func TestReadMetadataMissing(t *testing.T) {
	if _, err := pdf.ReadMetadata([]byte("%PDF-1.3\n%%EOF\n")); !errors.Is(err, pdf.ErrNoMetadata) {
		t.Errorf("PDF without a packet: error = %v, want ErrNoMetadata", err)
	}

	b, err := pdf.Render(chainedDocument())
	if err != nil {
		t.Fatal(err)
	}
	noBasis := regexp.MustCompile(`<planledger:basis>[^<]*</planledger:basis>`).ReplaceAll(b, nil)
	if _, err := pdf.ReadMetadata(noBasis); err == nil || !strings.Contains(err.Error(), "missing planledger:basis") {
		t.Errorf("packet without basis: error = %v, want it to name planledger:basis", err)
	}
	badHash := bytes.Replace(b, []byte(chainHash), []byte(strings.ToUpper(chainHash)), 1)
	if _, err := pdf.ReadMetadata(badHash); err == nil || !strings.Contains(err.Error(), "chain_hash") {
		t.Errorf("packet with an upper-case hash: error = %v, want it to name chain_hash", err)
	}
}

// A DIP has no DIP version to print, and an SIP printed before prints
// recorded one reads back as version 0.
func TestDIPVersionOnlyOnSIP(t *testing.T) {
	dip := dipDocument()
	dip.DistrictPlanVersion = 7
	withVersion, err := pdf.Render(dip)
	if err != nil {
		t.Fatal(err)
	}
	without := dipDocument()
	plain, err := pdf.Render(without)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(withVersion, plain) {
		t.Errorf("a DIP version on a DIP document changed its bytes")
	}

	sip := chainedDocument()
	sip.DistrictPlanVersion = 0
	b, err := pdf.Render(sip)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("dip_version")) {
		t.Errorf("an SIP without a DIP version has a dip_version property")
	}
	meta, err := pdf.ReadMetadata(b)
	if err != nil {
		t.Fatalf("ReadMetadata: %v", err)
	}
	if meta.DIPVersion != 0 {
		t.Errorf("DIPVersion = %d, want 0", meta.DIPVersion)
	}
	path, _ := renderFile(t, "sip-no-dip-version", sip)
	if got := flat(text(t, path)); strings.Contains(got, "DIP version") || strings.Contains(got, "· version") {
		t.Errorf("an SIP without a DIP version prints one:\n%s", got)
	}
}

func TestReadMetadataInvalidDIPVersion(t *testing.T) {
	b, err := pdf.Render(chainedDocument())
	if err != nil {
		t.Fatal(err)
	}
	for _, value := range []string{"0", "x", "-1"} {
		changed := bytes.Replace(b, []byte("<planledger:dip_version>1234<"), []byte("<planledger:dip_version>"+value+"<"), 1)
		if bytes.Equal(changed, b) {
			t.Fatalf("the packet has no dip_version 1234 to replace")
		}
		if _, err := pdf.ReadMetadata(changed); err == nil || !strings.Contains(err.Error(), "dip_version") {
			t.Errorf("dip_version %q: error = %v, want it to name dip_version", value, err)
		}
	}
}
