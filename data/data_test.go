package data_test

import (
	"bufio"
	"io/fs"
	"strings"
	"testing"

	"github.com/planledger/planledger/data"
)

func TestBundledFilesOpen(t *testing.T) {
	// The first line of each CSV is its header. A wrong or truncated copy
	// fails here before any importer test runs.
	headers := map[string]string{
		data.EnrollmentsPath:  "Raw likert calculation,Likert Score,Admin Data Item,Academic Year,School Name,School Code,",
		data.Profile2017Path:  "School Code,School Name,School Type,",
		data.ObservationsPath: "district_code,district_name,school_code,school_name,grade_span,level_or_status,",
	}
	for path, prefix := range headers {
		f, err := data.Bundled().Open(path)
		if err != nil {
			t.Errorf("open %s: %v", path, err)
			continue
		}
		line, err := bufio.NewReader(f).ReadString('\n')
		f.Close()
		if err != nil {
			t.Errorf("read the header of %s: %v", path, err)
		}
		if !strings.HasPrefix(line, prefix) {
			t.Errorf("%s starts with %q, want %q", path, line, prefix)
		}
	}
}

func TestBundledLineCounts(t *testing.T) {
	// Newline counts as wc -l gives them. Each file has a header line and
	// one line per row, but the profile's last row has no trailing newline.
	want := map[string]int{
		data.EnrollmentsPath:  18345,
		data.Profile2017Path:  1861,
		data.ObservationsPath: 115,
	}
	for path, lines := range want {
		raw, err := fs.ReadFile(data.Bundled(), path)
		if err != nil {
			t.Errorf("read %s: %v", path, err)
			continue
		}
		if got := strings.Count(string(raw), "\n"); got != lines {
			t.Errorf("%s has %d lines, want %d", path, got, lines)
		}
	}
}

func TestBundledPlansAndSources(t *testing.T) {
	plans, err := fs.Glob(data.Bundled(), data.PlansGlob)
	if err != nil {
		t.Fatalf("glob %s: %v", data.PlansGlob, err)
	}
	if len(plans) != 1 || plans[0] != "ma/plans/newburyport.json" {
		t.Errorf("bundled plans = %v, want ma/plans/newburyport.json", plans)
	}
	if _, err := fs.Stat(data.Bundled(), "ma/SOURCES.md"); err != nil {
		t.Errorf("SOURCES.md is not bundled: %v", err)
	}
}
