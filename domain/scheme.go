package domain

import (
	"fmt"
	"strings"
	"time"
)

// SchemeAccountability is the system of 603 CMR 2.02 and 2.03 as amended
// for 2018 and later: an accountability percentile, progress toward targets
// and a designation of whether a school or district requires assistance or
// intervention.
const SchemeAccountability = "accountability"

// Designations of the accountability scheme.
const (
	DesignationNotRequiring  = "not_requiring_assistance"
	DesignationFocused       = "focused_targeted_support"
	DesignationBroad         = "broad_comprehensive_support"
	DesignationStatusRemoved = "status_removed"
)

// Percentile bounds of the accountability scheme.
const (
	PercentileMin = 1
	PercentileMax = 99
)

// SchemeValue is one value a scheme can assign, with its published wording.
type SchemeValue struct {
	ID      string `json:"id"`
	Label   string `json:"label"`
	Meaning string `json:"meaning"`
}

// Scheme is a versioned classification system for districts and schools.
// Years are reporting years, the year DESE publishes determinations in.
type Scheme struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	FirstYear int    `json:"first_year"`
	LastYear  int    `json:"last_year,omitempty"` // absent while the scheme is in force
	// InForceFrom is when the scheme's first determinations take effect:
	// September 30 of FirstYear, midnight in Massachusetts. The day is the
	// importer's convention for dates the sources give only as a year.
	InForceFrom time.Time `json:"in_force_from"`
	Source      string    `json:"source"`
	// Levels are the values of the levels scheme, "1" to "5".
	Levels []SchemeValue `json:"levels,omitempty"`
	// Designations, PercentileMin/Max and TargetProgress describe the
	// accountability scheme.
	Designations   []SchemeValue `json:"designations,omitempty"`
	PercentileMin  int           `json:"percentile_min,omitempty"`
	PercentileMax  int           `json:"percentile_max,omitempty"`
	TargetProgress []SchemeValue `json:"target_progress,omitempty"`
}

// Schemes lists the classification schemes oldest first. Only what the
// cited sources state is listed: the 2018 and later system's "schools of
// recognition", for one, is not, because no source at hand describes it.
var Schemes = []Scheme{
	{
		ID:          SchemeLevels,
		Name:        "Accountability and assistance levels 1 to 5",
		FirstYear:   2010,
		LastYear:    2017,
		InForceFrom: time.Date(2010, time.September, 30, 4, 0, 0, 0, time.UTC),
		Source: "603 CMR 2.03 (2017 text), http://www.doe.mass.edu/lawsregs/603cmr2.html?section=03; " +
			"DESE Profiles help, http://profiles.doe.mass.edu/help/data.aspx?section=acct",
		Levels: []SchemeValue{
			{"1", "Level 1", "Meeting gap-narrowing goals for all students and for high-needs students"},
			{"2", "Level 2", "Not meeting gap-narrowing goals, or low assessment participation (90-94%)"},
			{"3", "Level 3", "Among the lowest-performing 20% of schools or subgroups statewide, persistently low graduation rates, or very low assessment participation (under 90%)"},
			{"4", "Level 4", "Underperforming (M.G.L. c.69 s.1J), chosen from the lowest-achieving, least-improving Level 3 schools"},
			{"5", "Level 5", "Chronically underperforming (M.G.L. c.69 ss.1J and 1K): state control or receivership"},
		},
	},
	{
		ID:          SchemeAccountability,
		Name:        "Accountability percentiles and designations (2018 and later)",
		FirstYear:   2018,
		InForceFrom: time.Date(2018, time.September, 30, 4, 0, 0, 0, time.UTC),
		Source: "603 CMR 2.02 and 2.03 as amended, https://doe.mass.edu/lawsregs/603cmr2.html?section=02; " +
			"DESE Profiles accountability reports 2018 to 2025",
		Designations: []SchemeValue{
			{DesignationNotRequiring, "Not requiring assistance or intervention", "The school or district needs no assistance or intervention"},
			{DesignationFocused, "Requiring assistance or intervention: in need of focused/targeted support",
				"For example among the lowest-performing 10% of schools, low subgroup performance, low participation or a low graduation rate"},
			{DesignationBroad, "Requiring assistance or intervention: in need of broad/comprehensive support",
				"Includes underperforming and chronically underperforming schools and districts"},
			{DesignationStatusRemoved, "Underperforming or chronically underperforming status removed",
				"The commissioner ended the status (603 CMR 2.06(10)(d)); the source gives no other classification"},
		},
		PercentileMin: PercentileMin,
		PercentileMax: PercentileMax,
		TargetProgress: []SchemeValue{
			{"meeting_targets", "Meeting targets", "2018 label"},
			{"partially_meeting_targets", "Partially meeting targets", "2018 label"},
			{"meeting_or_exceeding_targets", "Meeting or exceeding targets", "Label from 2019"},
			{"substantial_progress", "Substantial progress toward targets", "Label from 2019"},
			{"moderate_progress", "Moderate progress toward targets", "Label from 2019"},
			{"limited_or_no_progress", "Limited or no progress toward targets", "Label from 2019"},
		},
	},
}

// SchemeByID returns a registered scheme.
func SchemeByID(id string) (Scheme, bool) {
	for _, s := range Schemes {
		if s.ID == id {
			return s, true
		}
	}
	return Scheme{}, false
}

// SchemeInForce returns the scheme whose determinations hold at the
// instant: the latest scheme in force from then or earlier, or the first
// scheme for an instant before any.
func SchemeInForce(at time.Time) Scheme {
	current := Schemes[0]
	for _, s := range Schemes {
		if !s.InForceFrom.After(at) {
			current = s
		}
	}
	return current
}

// Label returns the published wording of one of the scheme's values, or ""
// when the scheme has no such value.
func (s Scheme) Label(values []SchemeValue, id string) string {
	for _, v := range values {
		if v.ID == id {
			return v.Label
		}
	}
	return ""
}

func (s Scheme) ids(values []SchemeValue) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = v.ID
	}
	return strings.Join(out, ", ")
}

func schemeIDs() string {
	out := make([]string, len(Schemes))
	for i, s := range Schemes {
		out[i] = s.ID
	}
	return strings.Join(out, ", ")
}

// Label describes the classification in words, such as "Level 5" or
// "Requiring assistance or intervention: in need of broad/comprehensive
// support; accountability percentile 32".
func (c LevelChanged) Label() string {
	scheme, ok := SchemeByID(c.Scheme)
	if !ok || c.Scheme == SchemeLevels {
		return fmt.Sprintf("Level %d", c.Level)
	}
	parts := []string{scheme.Label(scheme.Designations, c.Designation)}
	if c.Percentile > 0 {
		parts = append(parts, fmt.Sprintf("accountability percentile %d", c.Percentile))
	}
	if c.TargetProgress != "" {
		progress := strings.ToLower(scheme.Label(scheme.TargetProgress, c.TargetProgress))
		if c.TargetPercent != nil {
			progress += fmt.Sprintf(" (%d%%)", *c.TargetPercent)
		}
		parts = append(parts, progress)
	}
	return strings.Join(parts, "; ")
}

// checkScheme validates the scheme-specific fields of a classification
// change and returns the scheme id, defaulting to levels.
func checkScheme(c ChangeLevel) (string, error) {
	switch c.Scheme {
	case "", SchemeLevels:
		return SchemeLevels, checkLevelsFields(c)
	case SchemeAccountability:
		return SchemeAccountability, checkAccountabilityFields(c)
	default:
		return "", Errorf(EInvalid, "scheme", "scheme %q is unknown; use one of %s (see GET /v1/schemes)", c.Scheme, schemeIDs())
	}
}

func checkLevelsFields(c ChangeLevel) error {
	if c.Level < 1 || c.Level > 5 {
		return Errorf(EInvalid, "level", "level %d is outside 1 to 5", c.Level)
	}
	others := []struct {
		field string
		set   bool
	}{
		{"designation", c.Designation != ""},
		{"percentile", c.Percentile != nil},
		{"target_progress", c.TargetProgress != ""},
		{"target_percent", c.TargetPercent != nil},
	}
	for _, o := range others {
		if o.set {
			return Errorf(EInvalid, o.field, "%s belongs to the %s scheme; a Level 1-5 change sends level only, or set scheme to %q",
				o.field, SchemeAccountability, SchemeAccountability)
		}
	}
	return nil
}

func checkAccountabilityFields(c ChangeLevel) error {
	scheme, _ := SchemeByID(SchemeAccountability)
	if c.Level != 0 {
		return Errorf(EInvalid, "level", "the %s scheme has no levels; send designation instead of level %d", SchemeAccountability, c.Level)
	}
	if c.Designation == "" {
		return Errorf(EInvalid, "designation", "a %s change needs a designation: one of %s", SchemeAccountability, scheme.ids(scheme.Designations))
	}
	if scheme.Label(scheme.Designations, c.Designation) == "" {
		return Errorf(EInvalid, "designation", "designation %q is unknown; use one of %s", c.Designation, scheme.ids(scheme.Designations))
	}
	if p := c.Percentile; p != nil && (*p < PercentileMin || *p > PercentileMax) {
		return Errorf(EInvalid, "percentile", "percentile %d is outside %d to %d; leave it out when none was published",
			*p, PercentileMin, PercentileMax)
	}
	if c.TargetProgress != "" && scheme.Label(scheme.TargetProgress, c.TargetProgress) == "" {
		return Errorf(EInvalid, "target_progress", "target_progress %q is unknown; use one of %s",
			c.TargetProgress, scheme.ids(scheme.TargetProgress))
	}
	if p := c.TargetPercent; p != nil {
		if *p < 0 || *p > 100 {
			return Errorf(EInvalid, "target_percent", "target_percent %d is outside 0 to 100", *p)
		}
		if c.TargetProgress == "" {
			return Errorf(EInvalid, "target_percent", "target_percent needs the target_progress label it was published with")
		}
	}
	return nil
}

// Standing is an org's classification at an instant under the scheme in
// force then.
type Standing struct {
	Scheme Scheme `json:"scheme"`
	// Current is the org's latest entry under Scheme at the instant, or nil.
	Current *LevelEntry `json:"current"`
	// Earlier is, when Current is nil, the org's latest entry under an
	// earlier scheme, such as a Level 5 that no 2018 designation followed.
	Earlier *LevelEntry `json:"earlier"`
}

// StandingAt finds the org's standing at the instant in a history ordered
// by effective date (as projections return it); entries effective after
// the instant are ignored.
func StandingAt(history []LevelEntry, at time.Time) Standing {
	s := Standing{Scheme: SchemeInForce(at)}
	for i := range history {
		e := history[i]
		if e.EffectiveAt.After(at) {
			continue
		}
		switch scheme, _ := SchemeByID(e.Scheme); {
		case e.Scheme == s.Scheme.ID:
			s.Current = &e
		case scheme.InForceFrom.Before(s.Scheme.InForceFrom):
			s.Earlier = &e
		}
	}
	if s.Current != nil {
		s.Earlier = nil
	}
	return s
}
