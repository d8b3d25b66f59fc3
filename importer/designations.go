package importer

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/planledger/planledger/domain"
)

// Published wording of the 2018 and later overall classification.
const (
	requiringText    = "Requiring assistance or intervention"
	notRequiringText = "Not requiring assistance or intervention"
)

// supportClauses maps the published support category to its designation.
var supportClauses = map[string]string{
	"broad/comprehensive support": domain.DesignationBroad,
	"focused/targeted support":    domain.DesignationFocused,
}

// targetLabels maps the published progress-toward-targets wording, in
// lower case, to the scheme's value ids.
var targetLabels = map[string]string{
	"meeting targets":              "meeting_targets",
	"partially meeting targets":    "partially_meeting_targets",
	"meeting or exceeding targets": "meeting_or_exceeding_targets",
	"substantial progress":         "substantial_progress",
	"moderate progress":            "moderate_progress",
	"limited or no progress":       "limited_or_no_progress",
}

var (
	percentileClause = regexp.MustCompile(`^(?:accountability )?percentile (\d+)$`)
	noPercentile     = regexp.MustCompile(`^(?:accountability )?percentile n/a\b`)
	// "58% partially meeting targets" or "partially meeting targets (58%)".
	percentFirst  = regexp.MustCompile(`^(\d+)% (.+)$`)
	percentLast   = regexp.MustCompile(`^(.+) \((\d+)%\)$`)
	statusRemoved = regexp.MustCompile(`^status removed (\d{4}-\d{2}-\d{2})$`)
)

// isDesignation reports whether a status's first clause is the overall
// classification of the 2018 and later system.
func isDesignation(first string) bool {
	return first == requiringText || first == notRequiringText
}

// parseDesignation reads a status of the 2018 and later system, such as
// "Requiring assistance or intervention; broad/comprehensive support;
// chronically underperforming school; percentile 32". The support clause
// gives the designation, which a "Requiring" status must have and a "Not
// requiring" status must not. "percentile N" and a progress-toward-targets
// label with its percentage fill those fields, and every other clause
// (such as "lowest performing 10%") stays in the reason, the whole status.
// The record takes effect on September 30 of level_year with precision
// "year", the same convention as levels.
func parseDesignation(t *table, cols map[string]int, code string) (LevelRecord, error) {
	statusCol := cols["level_or_status"]
	text := t.value(statusCol)
	clauses := strings.Split(text, ";")
	first := strings.TrimSpace(clauses[0])
	rec := LevelRecord{OrgCode: code, Scheme: domain.SchemeAccountability, Reason: text,
		Source: t.value(cols["source_url"]), DatePrecision: PrecisionYear}
	if first == notRequiringText {
		rec.Designation = domain.DesignationNotRequiring
	}

	for _, clause := range clauses[1:] {
		clause = strings.TrimSpace(clause)
		lower := strings.ToLower(clause)
		if designation, ok := supportClauses[lower]; ok {
			if rec.Designation != "" {
				return LevelRecord{}, t.fieldError(statusCol, "%q cannot go with %q: a status has one support category", clause, first)
			}
			rec.Designation = designation
			continue
		}
		if m := percentileClause.FindStringSubmatch(lower); m != nil {
			n, _ := strconv.Atoi(m[1])
			if n < domain.PercentileMin || n > domain.PercentileMax {
				return LevelRecord{}, t.fieldError(statusCol, "percentile %d is outside %d to %d", n, domain.PercentileMin, domain.PercentileMax)
			}
			rec.Percentile = &n
			continue
		}
		if noPercentile.MatchString(lower) {
			continue
		}
		if label, percent, ok := targetClause(lower); ok {
			rec.TargetProgress, rec.TargetPercent = label, percent
		}
	}

	if first == requiringText && rec.Designation == "" {
		return LevelRecord{}, t.fieldError(statusCol,
			"%q needs a support clause, \"broad/comprehensive support\" or \"focused/targeted support\"", first)
	}
	year, err := strconv.Atoi(t.value(cols["level_year"]))
	if err != nil || year < 2000 || year > 2100 {
		return LevelRecord{}, t.fieldError(cols["level_year"], "invalid level_year %q: want a year such as 2018", t.value(cols["level_year"]))
	}
	rec.EffectiveAt = dateIn(year, levelMonth, levelDay)
	if rec.Source == "" {
		return LevelRecord{}, t.fieldError(cols["source_url"], "missing source_url: a designation needs the page it was published on")
	}
	return rec, nil
}

// targetClause reads a progress-toward-targets label with its percentage.
func targetClause(lower string) (label string, percent *int, ok bool) {
	var text, digits string
	if m := percentFirst.FindStringSubmatch(lower); m != nil {
		digits, text = m[1], m[2]
	} else if m := percentLast.FindStringSubmatch(lower); m != nil {
		text, digits = m[1], m[2]
	} else {
		text = lower
	}
	label, ok = targetLabels[text]
	if !ok {
		return "", nil, false
	}
	if digits != "" {
		n, _ := strconv.Atoi(digits)
		percent = &n
	}
	return label, percent, true
}

// parseStatusRemoved finds a "status removed YYYY-MM-DD" clause among the
// clauses after a level status and returns the status_removed designation it
// records, effective that day.
func parseStatusRemoved(t *table, cols map[string]int, code, rest string) (LevelRecord, bool, error) {
	for _, clause := range strings.Split(rest, ";") {
		m := statusRemoved.FindStringSubmatch(strings.TrimSpace(clause))
		if m == nil {
			continue
		}
		day, err := parseDate(m[1])
		if err != nil {
			return LevelRecord{}, false, t.fieldError(cols["level_or_status"], "invalid date in %q: %w", clause, err)
		}
		return LevelRecord{OrgCode: code, Scheme: domain.SchemeAccountability, Designation: domain.DesignationStatusRemoved,
			Reason: strings.TrimSpace(clause), Source: t.value(cols["source_url"]), DatePrecision: PrecisionDay,
			EffectiveAt: day}, true, nil
	}
	return LevelRecord{}, false, nil
}
