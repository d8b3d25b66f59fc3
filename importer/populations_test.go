package importer_test

import (
	"strings"
	"testing"

	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/importer"
)

// Figures summed outside Go from the bundled MA_Public_Schools_2017.csv:
// 404 of its 410 district codes have at least one count, Newburyport's four
// schools have 30, 12, 13 and 23 students whose first language is not
// English, and 23 districts sum to zero.
func TestReadLanguageMinorityBundled(t *testing.T) {
	counts, err := importer.ReadLanguageMinority2017(openBundled(t, data.Profile2017Path))
	if err != nil {
		t.Fatalf("ReadLanguageMinority2017: %v", err)
	}
	if len(counts) != 404 {
		t.Errorf("got %d districts, want 404", len(counts))
	}
	nbpt := counts["02040000"]
	if nbpt.Students != 78 || nbpt.SchoolYear != 2017 || nbpt.OrgCode != "02040000" {
		t.Errorf("Newburyport = %+v, want 78 students in 2017", nbpt)
	}
	if counts["00350000"].Students != 25699 {
		t.Errorf("Boston = %d students, want 25699", counts["00350000"].Students)
	}
	if _, ok := counts["03700000"]; ok {
		t.Error("district 03700000, whose every count is blank, has a figure; want it left out")
	}
	zero := 0
	for _, c := range counts {
		if c.Students == 0 {
			zero++
		}
	}
	if zero != 23 {
		t.Errorf("%d districts sum to zero, want 23", zero)
	}
}

func TestReadLanguageMinorityBadCount(t *testing.T) {
	csv := "School Code,District Code,First Language Not English\n02040505,02040000,2.5\n"
	_, err := importer.ReadLanguageMinority2017(strings.NewReader(csv))
	if err == nil || !strings.Contains(err.Error(), "line 2, column 3 (First Language Not English)") {
		t.Errorf("error = %v, want one naming line 2, column 3", err)
	}
}
