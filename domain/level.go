package domain

import (
	"strings"
	"time"
)

// LevelChanged records an org's classification under one scheme (see
// Schemes): a level of the five-level framework of 603 CMR 2.03 (2017 text)
// or a designation of the 2018 and later system. The event's EffectiveAt
// is when the classification took hold.
type LevelChanged struct {
	OrgCode string `json:"org_code"`
	// Scheme names the classification system: SchemeLevels or
	// SchemeAccountability.
	Scheme string `json:"scheme"`
	Level  int    `json:"level,omitempty"` // 1 to 5 under SchemeLevels, absent otherwise
	// Designation, Percentile, TargetProgress and TargetPercent belong to
	// SchemeAccountability. Percentile is 1 to 99, absent when none was
	// published (districts have none).
	Designation    string `json:"designation,omitempty"`
	Percentile     int    `json:"percentile,omitempty"`
	TargetProgress string `json:"target_progress,omitempty"`
	TargetPercent  *int   `json:"target_percent,omitempty"` // 0 to 100, the cumulative criterion-referenced target percentage
	Reason         string `json:"reason"`                   // the published reason, e.g. "Among lowest performing 20% of subgroups"
	Source         string `json:"source"`                   // the public page or file the level comes from
	// DatePrecision is "day" when the source gives the date, "year" when it
	// gives only the reporting year and the date is a convention.
	DatePrecision string `json:"date_precision"`
}

// LevelEntry is one row of an org's level history.
type LevelEntry struct {
	LevelChanged
	EffectiveAt time.Time `json:"effective_at"`
	RecordedAt  time.Time `json:"recorded_at"`
	Actor       string    `json:"actor"`
	Sequence    uint64    `json:"sequence"`
}

// ChangeLevel is the command that sets an org's level or designation.
type ChangeLevel struct {
	OrgCode string
	// Scheme is SchemeLevels (the default when empty) or
	// SchemeAccountability.
	Scheme         string
	Level          int
	Designation    string
	Percentile     *int
	TargetProgress string
	TargetPercent  *int
	Reason         string
	Source         string
	EffectiveAt    time.Time
	// DatePrecision is PrecisionDay (the default) or PrecisionYear.
	DatePrecision string
}

// SchemeLevels is the five-level framework of 603 CMR 2.03 (Levels 1 to 5),
// in use from 2012 to 2017.
const SchemeLevels = "levels"

// Date precisions of a level change.
const (
	PrecisionDay  = "day"
	PrecisionYear = "year"
)

// DecideLevelChange validates a level or designation change against the
// known orgs and the scheme's values.
// NOTE: the effective date is not checked against the scheme's years,
// because a level recorded today may be dated in any year by its caller.
func DecideLevelChange(c ChangeLevel, orgKnown bool) (Draft, error) {
	if err := ValidateOrgCode("org_code", c.OrgCode); err != nil {
		return Draft{}, err
	}
	if !orgKnown {
		return Draft{}, Errorf(ENotFound, "org_code", "no district or school has org code %s; list them at GET /v1/orgs", c.OrgCode)
	}
	scheme, err := checkScheme(c)
	if err != nil {
		return Draft{}, err
	}
	if strings.TrimSpace(c.Reason) == "" {
		return Draft{}, Errorf(EInvalid, "reason", "a level change needs a reason, such as the published classification text")
	}
	precision := c.DatePrecision
	switch precision {
	case "":
		precision = PrecisionDay
	case PrecisionDay, PrecisionYear:
	default:
		return Draft{}, Errorf(EInvalid, "date_precision", "date precision %q is not %q or %q", precision, PrecisionDay, PrecisionYear)
	}
	return Draft{
		Type: TypeLevelChanged,
		Payload: LevelChanged{
			OrgCode: c.OrgCode, Scheme: scheme, Level: c.Level, Designation: c.Designation,
			Percentile: deref(c.Percentile), TargetProgress: c.TargetProgress, TargetPercent: c.TargetPercent,
			Reason: strings.TrimSpace(c.Reason), Source: strings.TrimSpace(c.Source), DatePrecision: precision,
		},
		EffectiveAt: c.EffectiveAt,
	}, nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
