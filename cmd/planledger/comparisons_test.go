package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/planledger/planledger/pdf"
)

// The served DIP prints its data analysis with figures from the bundled
// comparison data, and verify -pdf reprints it to the same bytes.
func TestVerifyPDFWithAnalysis(t *testing.T) {
	dir := t.TempDir()
	srv, base := testServer(t, dir)
	const dipID = "1496d2f4-3f89-4c37-8c47-d3358c42ebf0"

	similar := call(t, "GET", base+"/v1/orgs/"+newburyportDistrict+"/similar?year=2017&n=3", nil, "")
	wantStatus(t, similar, http.StatusOK)
	if peers := similar.json(t)["peers"].([]any); len(peers) != 3 {
		t.Errorf("similar districts: %d peers, want 3", len(peers))
	}

	printed := call(t, "GET", base+"/v1/plans/"+dipID+"/pdf", nil, "")
	wantStatus(t, printed, http.StatusOK)
	text, _ := pdfText(t, printed.body)
	for _, want := range []string{"Data analysis", "Cited figures", "Medway (01770000)"} {
		if !strings.Contains(text, want) {
			t.Errorf("served DIP PDF lacks %q", want)
		}
	}
	meta, err := pdf.ReadMetadata(printed.body)
	if err != nil {
		t.Fatalf("ReadMetadata: %v", err)
	}
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	out, err := verifyOutput(t, "-data", dir, "-pdf", writePDF(t, "dip.pdf", printed.body))
	want := fmt.Sprintf("matches the log: plan %s version %d", dipID, meta.PlanVersion)
	if err != nil || !strings.HasPrefix(out, want) {
		t.Errorf("verify -pdf of the DIP: error %v, output %q, want it to start %q", err, out, want)
	}
}
