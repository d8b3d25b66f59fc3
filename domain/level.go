package domain

import (
	"strings"
	"time"
)

// LevelChanged records an org's accountability and assistance level under
// the five-level framework of 603 CMR 2.03 (2017 text). The event's
// EffectiveAt is when the level took hold.
type LevelChanged struct {
	OrgCode string `json:"org_code"`
	// Scheme names the classification system the level belongs to.
	Scheme string `json:"scheme"`
	Level  int    `json:"level"`  // 1 to 5
	Reason string `json:"reason"` // the published reason, e.g. "Among lowest performing 20% of subgroups"
	Source string `json:"source"` // the public page or file the level comes from
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

// ChangeLevel is the command that sets an org's level.
type ChangeLevel struct {
	OrgCode     string
	Level       int
	Reason      string
	Source      string
	EffectiveAt time.Time
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

// DecideLevelChange validates a level change against the known orgs.
func DecideLevelChange(c ChangeLevel, orgKnown bool) (Draft, error) {
	if err := ValidateOrgCode("org_code", c.OrgCode); err != nil {
		return Draft{}, err
	}
	if !orgKnown {
		return Draft{}, Errorf(ENotFound, "org_code", "no district or school has org code %s; list them at GET /v1/orgs", c.OrgCode)
	}
	if c.Level < 1 || c.Level > 5 {
		return Draft{}, Errorf(EInvalid, "level", "level %d is outside 1 to 5", c.Level)
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
			OrgCode: c.OrgCode, Scheme: SchemeLevels, Level: c.Level, Reason: strings.TrimSpace(c.Reason),
			Source: strings.TrimSpace(c.Source), DatePrecision: precision,
		},
		EffectiveAt: c.EffectiveAt,
	}, nil
}
