package importer

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/planledger/planledger/domain"
)

// Profile2017Source names the 2017 school profile compilation and the public
// repository it was taken from.
const Profile2017Source = "MA_Public_Schools_2017.csv, github.com/maggiexwang/sds236-mass-edu at commit 35a06cdf4296e3b7086e56f8614f57ffc0a0c4e6"

// levelDay is the day a level takes effect when a source gives only its
// year. September 30 is a convention: DESE published the 2012-2017 levels in
// the fall, and no source at hand gives the exact day.
const (
	levelMonth = time.September
	levelDay   = 30
)

// levelPattern matches a published level such as "Level 3".
var levelPattern = regexp.MustCompile(`^Level ([1-5])$`)

// parseLevel returns the level of "Level 1" to "Level 5". ok is false for
// "Insufficient data" and blanks, which DESE publishes for schools without a
// level. Any other text is an error.
func parseLevel(s string) (level int, ok bool, err error) {
	switch s {
	case "", "Insufficient data":
		return 0, false, nil
	}
	m := levelPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, false, fmt.Errorf("invalid accountability level %q: want \"Level 1\" to \"Level 5\" or \"Insufficient data\"", s)
	}
	level, _ = strconv.Atoi(m[1])
	return level, true, nil
}

// ReadProfile2017 parses the accountability levels of MA_Public_Schools_2017.csv:
// each school's "Accountability and Assistance Level" and each district's
// level (one record per district), with the published description as the
// reason. The file states only the reporting year 2017, so every record
// takes effect on 2017-09-30 with DatePrecision "year". Schools and
// districts without a level are skipped.
func ReadProfile2017(r io.Reader) ([]LevelRecord, error) {
	file := sourceName(r, Profile2017File)
	t, err := openTable(r, file, "School Code")
	if err != nil {
		return nil, err
	}
	cols := map[string]int{}
	for _, name := range []string{
		"School Code", "District Code",
		"Accountability and Assistance Level", "Accountability and Assistance Description",
		"District_Accountability and Assistance Level", "District_Accountability and Assistance Description",
	} {
		if cols[name], err = t.requireColumn(name); err != nil {
			return nil, err
		}
	}
	needed := 0
	for _, c := range cols {
		needed = max(needed, c+1)
	}

	effective := dateIn(2017, levelMonth, levelDay)
	record := func(code string, level int, reason string) LevelRecord {
		if reason == "" {
			reason = fmt.Sprintf("Level %d; the file gives no description", level)
		}
		return LevelRecord{OrgCode: code, Level: level, Reason: reason, Source: Profile2017Source,
			DatePrecision: PrecisionYear, EffectiveAt: effective}
	}

	var schools, districts []LevelRecord
	districtSeen := map[string]LevelRecord{}
	districtLine := map[string]int{}
	for {
		ok, err := t.next(needed)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		code := padCode(t.value(cols["School Code"]))
		if err := domain.ValidateOrgCode("school_code", code); err != nil {
			return nil, t.fieldError(cols["School Code"], "%w", err)
		}
		levelCol := cols["Accountability and Assistance Level"]
		level, ok, err := parseLevel(t.value(levelCol))
		if err != nil {
			return nil, t.fieldError(levelCol, "%w", err)
		}
		if ok {
			reason := t.value(cols["Accountability and Assistance Description"])
			schools = append(schools, record(code, level, reason))
		}

		district := padCode(t.value(cols["District Code"]))
		if err := domain.ValidateOrgCode("district_code", district); err != nil {
			return nil, t.fieldError(cols["District Code"], "%w", err)
		}
		levelCol = cols["District_Accountability and Assistance Level"]
		level, ok, err = parseLevel(t.value(levelCol))
		if err != nil {
			return nil, t.fieldError(levelCol, "%w", err)
		}
		if !ok {
			continue
		}
		rec := record(district, level, t.value(cols["District_Accountability and Assistance Description"]))
		if prev, seen := districtSeen[district]; seen {
			if prev.Level != rec.Level || prev.Reason != rec.Reason {
				return nil, t.fieldError(levelCol, "district %s has %s (%s) here but Level %d (%s) on line %d",
					district, t.value(levelCol), rec.Reason, prev.Level, prev.Reason, districtLine[district])
			}
			continue
		}
		districtSeen[district] = rec
		districtLine[district] = t.line()
		districts = append(districts, rec)
	}
	return append(districts, schools...), nil
}

var (
	// observedStep is one level in a status such as "Level 4 (2010) then
	// Level 5 (designated 2013-10-30)". The bracket is optional.
	observedStep = regexp.MustCompile(`^Level ([1-5])(?: \((.+)\))?$`)
	exactDay     = regexp.MustCompile(`\b(\d{4}-\d{2}-\d{2})\b`)
	bareYear     = regexp.MustCompile(`^\d{4}$`)
)

// ReadObservations parses accountability_observations.csv, keeping rows
// whose level_or_status states a level under the 2012-2017 system ("Level
// N", optionally with a bracketed note) or a designation under the 2018 and
// later system ("Requiring assistance or intervention; ..." or "Not
// requiring ..."; see parseDesignation). It skips every row that contains
// UNVERIFIED anywhere, "No level" rows, recommendations and rows without a
// status. A status such as "Level 4 (2010) then Level 5 (designated
// 2013-10-30)" yields one record per step. A step dated to the day takes
// effect that day with DatePrecision "day". Any other step takes effect on
// September 30 of its bracketed year, or of level_year, with precision
// "year". A later clause "status removed YYYY-MM-DD" yields a
// status_removed designation of that day. The source is the row's
// source_url.
func ReadObservations(r io.Reader) ([]LevelRecord, error) {
	file := sourceName(r, ObservationsFile)
	t, err := openTable(r, file, "level_or_status")
	if err != nil {
		return nil, err
	}
	cols := map[string]int{}
	for _, name := range []string{"district_code", "school_code", "level_or_status", "level_year", "source_url"} {
		if cols[name], err = t.requireColumn(name); err != nil {
			return nil, err
		}
	}
	needed := 0
	for _, c := range cols {
		needed = max(needed, c+1)
	}

	var out []LevelRecord
	for {
		ok, err := t.next(needed)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if strings.Contains(strings.Join(t.row, ","), "UNVERIFIED") {
			continue
		}
		statusCol := cols["level_or_status"]
		// The first clause carries the level or the designation. Later
		// clauses after ";" qualify it or, after a level, tell of events
		// under the later system, such as a status removed in 2022.
		status, rest, _ := strings.Cut(t.value(statusCol), ";")
		status = strings.TrimSpace(status)
		isLevel := strings.HasPrefix(status, "Level ")
		if !isLevel && !isDesignation(status) {
			continue
		}

		codeCol := cols["school_code"]
		if t.value(codeCol) == "" {
			codeCol = cols["district_code"]
		}
		code := t.value(codeCol)
		if err := domain.ValidateOrgCode("code", code); err != nil {
			return nil, t.fieldError(codeCol, "%w", err)
		}

		if !isLevel {
			rec, err := parseDesignation(t, cols, code)
			if err != nil {
				return nil, err
			}
			out = append(out, rec)
			continue
		}
		for _, step := range strings.Split(status, " then ") {
			rec, err := parseObservedStep(t, cols, code, step)
			if err != nil {
				return nil, err
			}
			out = append(out, rec)
		}
		removal, ok, err := parseStatusRemoved(t, cols, code, rest)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, removal)
		}
	}
	return out, nil
}

// parseObservedStep reads one "Level N (note)" step of the current row.
func parseObservedStep(t *table, cols map[string]int, code, step string) (LevelRecord, error) {
	statusCol := cols["level_or_status"]
	m := observedStep.FindStringSubmatch(strings.TrimSpace(step))
	if m == nil {
		return LevelRecord{}, t.fieldError(statusCol,
			"cannot read level step %q: want \"Level N\" with an optional bracketed note", step)
	}
	level, _ := strconv.Atoi(m[1])
	note := m[2]
	rec := LevelRecord{OrgCode: code, Level: level, Reason: strings.TrimSpace(step),
		Source: t.value(cols["source_url"]), DatePrecision: PrecisionYear}

	switch {
	case exactDay.MatchString(note):
		day, err := parseDate(exactDay.FindString(note))
		if err != nil {
			return LevelRecord{}, t.fieldError(statusCol, "invalid date in %q: %w", step, err)
		}
		rec.EffectiveAt, rec.DatePrecision = day, PrecisionDay
	case bareYear.MatchString(note):
		year, _ := strconv.Atoi(note)
		rec.EffectiveAt = dateIn(year, levelMonth, levelDay)
	default:
		yearCol := cols["level_year"]
		year, err := strconv.Atoi(t.value(yearCol))
		if err != nil || year < 2000 || year > 2100 {
			return LevelRecord{}, t.fieldError(yearCol, "invalid level_year %q: want a year such as 2013", t.value(yearCol))
		}
		rec.EffectiveAt = dateIn(year, levelMonth, levelDay)
	}
	if rec.Source == "" {
		return LevelRecord{}, t.fieldError(cols["source_url"], "missing source_url: a level needs the page it was published on")
	}
	return rec, nil
}
