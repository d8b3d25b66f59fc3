// Package importer turns DESE data files and bundled plan files into
// planledger events. The readers parse files a user downloads from DESE:
// enrollment by grade, the 2017 school profile compilation and published
// accountability observations. ReadPlans parses the plans JSON format. Run
// validates every item through the same domain decisions as an HTTP command
// and appends the resulting events, skipping what the store already holds.
package importer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // dates resolve in America/New_York even on hosts without zoneinfo

	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
)

// Default file names, used in errors, sources and actors when a reader does
// not carry its own name.
const (
	EnrollmentsFile  = "enrollments.csv"
	Profile2017File  = "MA_Public_Schools_2017.csv"
	ObservationsFile = "accountability_observations.csv"
	PlansFile        = "plans.json"
)

// Precisions of a level's effective date, kept here for the readers.
const (
	PrecisionDay  = domain.PrecisionDay
	PrecisionYear = domain.PrecisionYear
)

// massachusetts is the zone of every date in the input files. A date means
// midnight there, so an as-of read of the day before does not include it.
var massachusetts = loadZone("America/New_York")

func loadZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("load time zone %s: %v", name, err))
	}
	return loc
}

// dateIn returns midnight of a calendar day in Massachusetts.
func dateIn(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, massachusetts)
}

// parseDate reads a YYYY-MM-DD date as midnight in Massachusetts.
func parseDate(s string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, s, massachusetts)
}

// LevelRecord is one classification of a district or school as a data file
// states it: a level of the five-level system (Scheme empty or
// domain.SchemeLevels) or a designation of the 2018 and later system
// (domain.SchemeAccountability).
type LevelRecord struct {
	OrgCode string
	Scheme  string
	Level   int
	// Designation, Percentile, TargetProgress and TargetPercent are set
	// for the accountability scheme only; nil means not published.
	Designation    string
	Percentile     *int
	TargetProgress string
	TargetPercent  *int
	Reason         string
	Source         string
	// DatePrecision is PrecisionDay when the file gives the exact day and
	// PrecisionYear when it gives only the year and EffectiveAt is September
	// 30 of that year by convention.
	DatePrecision string
	EffectiveAt   time.Time
}

// Sources are the inputs of one Run. A nil reader skips that part. A reader
// with a Name method (such as *os.File) or a Stat method (such as an fs.File)
// names the file in errors and in the events' actor.
type Sources struct {
	Enrollments, Profile2017, Observations, Plans io.Reader
	// OnlyNewOrgs registers only orgs the store lacks and leaves existing
	// registrations alone. The server's start-up load of the bundled data
	// sets it, so a newer file a user imported is not reverted at restart.
	OnlyNewOrgs bool
}

// namedReader gives a combined reader the name that errors and actors show.
type namedReader struct {
	io.Reader
	name string
}

func (r namedReader) Name() string { return r.name }

// BundledSources opens the bundled data files in fsys, laid out as
// data.Bundled lays them out, and returns them with a function that closes
// them all. Every plans file matching data.PlansGlob is read, in name order.
func BundledSources(fsys fs.FS) (Sources, func() error, error) {
	var opened []io.Closer
	closeAll := func() error {
		var errs []error
		for _, c := range opened {
			errs = append(errs, c.Close())
		}
		opened = nil
		return errors.Join(errs...)
	}
	open := func(name string) (fs.File, error) {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("open bundled file %s: %w", name, err)
		}
		opened = append(opened, f)
		return f, nil
	}
	fail := func(err error) (Sources, func() error, error) {
		return Sources{}, nil, errors.Join(err, closeAll())
	}

	var src Sources
	var err error
	if src.Enrollments, err = open(data.EnrollmentsPath); err != nil {
		return fail(err)
	}
	if src.Profile2017, err = open(data.Profile2017Path); err != nil {
		return fail(err)
	}
	if src.Observations, err = open(data.ObservationsPath); err != nil {
		return fail(err)
	}

	planPaths, err := fs.Glob(fsys, data.PlansGlob)
	if err != nil {
		return fail(fmt.Errorf("list bundled plans %s: %w", data.PlansGlob, err))
	}
	sort.Strings(planPaths)
	var planReaders []io.Reader
	for _, p := range planPaths {
		f, err := open(p)
		if err != nil {
			return fail(err)
		}
		planReaders = append(planReaders, f)
	}
	switch len(planReaders) {
	case 0:
	case 1:
		src.Plans = planReaders[0]
	default:
		// ReadPlans accepts a sequence of JSON documents, so the files can
		// be read back to back as one stream.
		src.Plans = namedReader{io.MultiReader(planReaders...), PlansFile}
	}
	return src, closeAll, nil
}

// sourceName returns the base name of the file behind r, or fallback when
// r has no name.
func sourceName(r io.Reader, fallback string) string {
	switch f := r.(type) {
	case interface{ Name() string }:
		if name := f.Name(); name != "" {
			return path.Base(filepath.ToSlash(name))
		}
	case interface{ Stat() (fs.FileInfo, error) }:
		if info, err := f.Stat(); err == nil && info.Name() != "" {
			return info.Name()
		}
	}
	return fallback
}

// padCode left-pads an all-digit org code to eight digits, because
// spreadsheet tools drop the leading zeros of codes such as 02040000.
// Anything that is not all digits is returned trimmed and unchanged.
func padCode(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) >= 8 || strings.Trim(s, "0123456789") != "" {
		return s
	}
	return strings.Repeat("0", 8-len(s)) + s
}
