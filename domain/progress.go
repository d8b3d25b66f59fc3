package domain

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TypeMeasureActualRecorded is a measured value recorded against one
// measure of a plan's goal or objective.
const TypeMeasureActualRecorded = "plan.measure_actual_recorded"

// Directions of a measure: which way is better.
const (
	DirectionHigher = "higher"
	DirectionLower  = "lower"
)

// Progress statuses of a measure; ProgressOf documents how each is chosen.
const (
	StatusNoData   = "no_data"
	StatusOnTrack  = "on_track"
	StatusOffTrack = "off_track"
	StatusMet      = "met"
	StatusNotMet   = "not_met"
)

// Item kinds a measure belongs to.
const (
	ItemGoal      = "goal"
	ItemObjective = "objective"
)

// MeasureActualRecorded is the payload of plan.measure_actual_recorded.
type MeasureActualRecorded struct {
	ItemID string `json:"item_id"` // the goal (SIP) or objective (DIP) id
	// MeasureID is the measure's id when it has one. MeasureIndex is its
	// 0-based position in the item's measures when recorded, and Measure
	// its description then, so a reader can tell if the item changed since.
	MeasureID    string  `json:"measure_id,omitempty"`
	MeasureIndex int     `json:"measure_index"`
	Measure      string  `json:"measure"`
	Year         int     `json:"year"`           // the school year measured, by its spring: 2017 is 2016-17
	Date         string  `json:"date,omitempty"` // YYYY-MM-DD when the value was measured, if known
	Value        float64 `json:"value"`
	Note         string  `json:"note,omitempty"`
	Source       string  `json:"source"` // the report or file the value comes from
}

// MeasureActual is a recorded value as the plan holds it.
type MeasureActual struct {
	MeasureActualRecorded
	Sequence    uint64    `json:"sequence"` // the plan version that recorded it
	EffectiveAt time.Time `json:"effective_at"`
	RecordedAt  time.Time `json:"recorded_at"`
	Actor       string    `json:"actor"`
}

// measureKey names the measure an actual belongs to within its item: its id,
// or else its description when recorded.
func (a MeasureActualRecorded) measureKey() string {
	if a.MeasureID != "" {
		return "id:" + a.MeasureID
	}
	return "description:" + a.Measure
}

func init() {
	registerPlanEvent(TypeMeasureActualRecorded, decodeInto(func(p *Plan, c MeasureActualRecorded, e Event) error {
		actual := MeasureActual{MeasureActualRecorded: c, Sequence: e.Sequence, EffectiveAt: e.EffectiveAt,
			RecordedAt: e.RecordedAt, Actor: e.Actor}
		// A second value for the same measure and year is a correction and
		// replaces the first; the first stays in the plan's history.
		i := slices.IndexFunc(p.Actuals, func(a MeasureActual) bool {
			return a.ItemID == c.ItemID && a.measureKey() == c.measureKey() && a.Year == c.Year
		})
		if i >= 0 {
			p.Actuals = slices.Delete(slices.Clone(p.Actuals), i, i+1)
		}
		// A fresh slice, so a plan state shared with earlier readers is
		// never written through.
		p.Actuals = append(slices.Clip(p.Actuals), actual)
		return nil
	}))
}

// RecordActual is the command that records a measured value. The measure is
// named by MeasureID or by MeasureIndex, not both.
type RecordActual struct {
	ItemID       string   `json:"item_id"`
	MeasureID    string   `json:"measure_id"`
	MeasureIndex *int     `json:"measure_index"`
	Year         int      `json:"year"`
	Date         string   `json:"date"`
	Value        *float64 `json:"value"`
	Note         string   `json:"note"`
	Source       string   `json:"source"`
}

// DecideRecordActual validates a measured value against the plan's goal or
// objective and returns the event that records it.
func DecideRecordActual(p *Plan, c RecordActual) (Draft, error) {
	itemID, measures, err := p.itemMeasures(c.ItemID)
	if err != nil {
		return Draft{}, err
	}
	index, err := measureIndex(measures, c, itemID)
	if err != nil {
		return Draft{}, err
	}
	year, err := actualYear(c.Year, c.Date)
	if err != nil {
		return Draft{}, err
	}
	if c.Value == nil {
		return Draft{}, Errorf(EInvalid, "value", "send the measured value as a number in value")
	}
	if math.IsNaN(*c.Value) || math.IsInf(*c.Value, 0) {
		return Draft{}, Errorf(EInvalid, "value", "value must be a finite number")
	}
	if strings.TrimSpace(c.Source) == "" {
		return Draft{}, Errorf(EInvalid, "source", "name the report or file the value comes from, such as a DESE profile page")
	}
	m := measures[index]
	return Draft{Type: TypeMeasureActualRecorded, Payload: MeasureActualRecorded{
		ItemID: itemID, MeasureID: m.ID, MeasureIndex: index, Measure: m.Description,
		Year: year, Date: c.Date, Value: *c.Value, Note: strings.TrimSpace(c.Note), Source: strings.TrimSpace(c.Source),
	}}, nil
}

// itemMeasures finds the goal of an SIP or the objective of a DIP with the
// id and returns its canonical id and measures.
func (p *Plan) itemMeasures(id string) (string, []Measure, error) {
	if strings.TrimSpace(id) == "" {
		return "", nil, Errorf(EInvalid, "item_id", "name the goal (SIP) or objective (DIP) whose measure this is in item_id")
	}
	if canonical, err := canonicalID("item_id", id); err == nil {
		id = canonical
	}
	if i := p.GoalIndex(id); i >= 0 {
		return id, p.Goals[i].Measures, nil
	}
	if i := p.ObjectiveIndex(id); i >= 0 {
		return id, p.Objectives[i].Outcomes, nil
	}
	return "", nil, Errorf(ENotFound, "item_id", "plan %s has no goal or objective %s", p.ID, id)
}

func measureIndex(measures []Measure, c RecordActual, itemID string) (int, error) {
	switch {
	case c.MeasureID != "" && c.MeasureIndex != nil:
		return 0, Errorf(EInvalid, "measure_id", "name the measure by measure_id or by measure_index, not both")
	case c.MeasureID != "":
		i := slices.IndexFunc(measures, func(m Measure) bool { return m.ID == c.MeasureID })
		if i < 0 {
			return 0, Errorf(ENotFound, "measure_id", "item %s has no measure with id %q", itemID, c.MeasureID)
		}
		return i, nil
	case c.MeasureIndex != nil:
		if *c.MeasureIndex < 0 || *c.MeasureIndex >= len(measures) {
			return 0, Errorf(EInvalid, "measure_index", "measure_index %d is outside 0 to %d, the measures of item %s",
				*c.MeasureIndex, len(measures)-1, itemID)
		}
		return *c.MeasureIndex, nil
	default:
		return 0, Errorf(EInvalid, "measure_index", "name the measure by measure_index (0 for the first) or measure_id")
	}
}

// actualYear returns the school year of a value: year when given, else the
// school year containing date. A school year runs from July 1 to June 30.
func actualYear(year int, date string) (int, error) {
	if date != "" {
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return 0, Errorf(EInvalid, "date", "date %q is not a date like 2017-06-30", date)
		}
		fromDate := d.Year()
		if d.Month() >= time.July {
			fromDate++
		}
		if year != 0 && year != fromDate {
			return 0, Errorf(EInvalid, "date", "date %s falls in school year %s, not in year %d (%s)",
				date, SchoolYearLabel(fromDate), year, SchoolYearLabel(year))
		}
		year = fromDate
	}
	if year == 0 {
		return 0, Errorf(EInvalid, "year", "send the school year measured, by its spring (2017 for 2016-17), or the date")
	}
	return year, checkYear("year", year)
}

// measureIDPattern keeps measure ids short tokens that read well in URLs.
var measureIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// maxUnitLength bounds a measure's unit, which is a symbol or a short noun.
const maxUnitLength = 32

// validateMeasureNumbers checks the optional id and numeric fields of a
// list of measures.
func validateMeasureNumbers(field string, ms []Measure) error {
	seen := map[string]bool{}
	for i, m := range ms {
		at := func(name string) string { return fmt.Sprintf("%s/%d/%s", field, i, name) }
		if m.ID != "" {
			if !measureIDPattern.MatchString(m.ID) {
				return Errorf(EInvalid, at("id"), "measure id %q must be 1 to 64 letters, digits, - or _, starting with a letter or digit", m.ID)
			}
			if seen[m.ID] {
				return Errorf(EInvalid, at("id"), "two measures have id %q; ids must be unique within the item", m.ID)
			}
			seen[m.ID] = true
		}
		switch m.Direction {
		case "", DirectionHigher, DirectionLower:
		default:
			return Errorf(EInvalid, at("direction"), "direction %q is not %q or %q", m.Direction, DirectionHigher, DirectionLower)
		}
		if m.TargetValue != nil && m.Direction == "" {
			return Errorf(EInvalid, at("direction"), "a numeric target needs a direction: %q if a higher value is better, %q if lower",
				DirectionHigher, DirectionLower)
		}
		if m.BaselineValue != nil && m.TargetValue == nil {
			return Errorf(EInvalid, at("target_value"), "a numeric baseline needs a numeric target_value to measure progress against")
		}
		if len(m.Unit) > maxUnitLength {
			return Errorf(EInvalid, at("unit"), "unit is %d bytes; use at most %d, such as %q", len(m.Unit), maxUnitLength, "%")
		}
		if m.TargetYear != 0 {
			if err := checkYear(at("target_year"), m.TargetYear); err != nil {
				return err
			}
		}
	}
	return nil
}

// MeasureProgress is one measure with its actuals and status.
type MeasureProgress struct {
	ItemKind      string          `json:"item_kind"` // ItemGoal or ItemObjective
	ItemID        string          `json:"item_id"`
	ItemTitle     string          `json:"item_title"`
	MeasureIndex  int             `json:"measure_index"`
	MeasureID     string          `json:"measure_id,omitempty"`
	Description   string          `json:"description"`
	Baseline      string          `json:"baseline,omitempty"`
	Target        string          `json:"target"`
	BaselineValue *float64        `json:"baseline_value,omitempty"`
	TargetValue   *float64        `json:"target_value,omitempty"`
	Unit          string          `json:"unit,omitempty"`
	Direction     string          `json:"direction,omitempty"`
	TargetYear    int             `json:"target_year"`
	Illustrative  bool            `json:"illustrative,omitempty"` // the target was written for the bundled data
	Actuals       []MeasureActual `json:"actuals"`                // oldest school year first
	Status        string          `json:"status"`
	Reason        string          `json:"reason"` // the grounds of the status, in a sentence
}

// ProgressOf lists every measure of the plan's goals or objectives, in plan
// order, with its actuals and a status chosen from the latest actual (the
// one for the latest school year):
//   - no_data: no actual is recorded, the measure has no numeric target and
//     direction, or there is one actual, no baseline value and the target
//     is not reached, so no trend can be shown yet;
//   - met: the latest actual reaches the target (at or above it when higher
//     is better, at or below when lower is);
//   - not_met: the latest actual is for the target year or later and does
//     not reach the target;
//   - on_track: the target year is still ahead and the latest actual is
//     better than the baseline value, or than the first actual when the
//     measure has no baseline value;
//   - off_track: the target year is still ahead and the latest actual is no
//     better than that reference.
//
// The status depends only on the plan's events, never on the clock, so an
// as-of read and a reprint give the same answer.
func ProgressOf(p *Plan) []MeasureProgress {
	out := []MeasureProgress{}
	add := func(kind, id, title string, measures []Measure) {
		for i, m := range measures {
			mp := MeasureProgress{ItemKind: kind, ItemID: id, ItemTitle: title, MeasureIndex: i, MeasureID: m.ID,
				Description: m.Description, Baseline: m.Baseline, Target: m.Target, BaselineValue: m.BaselineValue,
				TargetValue: m.TargetValue, Unit: m.Unit, Direction: m.Direction, TargetYear: m.TargetYear,
				Illustrative: m.Illustrative}
			if mp.TargetYear == 0 {
				mp.TargetYear = p.LastYear
			}
			mp.Actuals = actualsOf(p.Actuals, id, i, measures)
			mp.Status, mp.Reason = progressStatus(mp)
			out = append(out, mp)
		}
	}
	for _, o := range p.Objectives {
		add(ItemObjective, o.ID, o.Title, o.Outcomes)
	}
	for _, g := range p.Goals {
		add(ItemGoal, g.ID, g.Title, g.Measures)
	}
	return out
}

// actualsOf returns the actuals of measure m at index i of item id, oldest
// year first. An actual recorded with a measure id belongs to the measure
// with that id. One recorded without belongs to the measure without an id
// that has the description it was recorded with, or else to the measure
// without an id at its recorded index, so reordering or rewording measures
// keeps their actuals.
func actualsOf(all []MeasureActual, id string, i int, measures []Measure) []MeasureActual {
	m := measures[i]
	out := []MeasureActual{}
	for _, a := range all {
		if a.ItemID != id {
			continue
		}
		switch {
		case a.MeasureID != "":
			if a.MeasureID == m.ID {
				out = append(out, a)
			}
		case m.ID != "":
		case a.Measure == m.Description:
			out = append(out, a)
		case a.MeasureIndex == i && !slices.ContainsFunc(measures, func(other Measure) bool {
			return other.ID == "" && other.Description == a.Measure
		}):
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b MeasureActual) int { return a.Year - b.Year })
	return out
}

func progressStatus(mp MeasureProgress) (status, reason string) {
	if len(mp.Actuals) == 0 {
		return StatusNoData, "No actual is recorded."
	}
	latest := mp.Actuals[len(mp.Actuals)-1]
	if mp.TargetValue == nil || mp.Direction == "" {
		return StatusNoData, "The measure has no numeric target and direction to compare the actuals with."
	}
	target := *mp.TargetValue
	better := func(a, b float64) bool { // a is better than b
		if mp.Direction == DirectionLower {
			return a < b
		}
		return a > b
	}
	value := fmt.Sprintf("%s in %s", FormatValue(latest.Value, mp.Unit), SchoolYearLabel(latest.Year))
	if latest.Value == target || better(latest.Value, target) {
		return StatusMet, fmt.Sprintf("%s reaches the target of %s.", value, FormatValue(target, mp.Unit))
	}
	if latest.Year >= mp.TargetYear {
		return StatusNotMet, fmt.Sprintf("%s, in or after the target year %s, falls short of the target of %s.",
			value, SchoolYearLabel(mp.TargetYear), FormatValue(target, mp.Unit))
	}
	var reference float64
	var against string
	switch {
	case mp.BaselineValue != nil:
		reference, against = *mp.BaselineValue, "the baseline of "+FormatValue(*mp.BaselineValue, mp.Unit)
	case len(mp.Actuals) > 1:
		first := mp.Actuals[0]
		reference = first.Value
		against = fmt.Sprintf("the first actual, %s in %s", FormatValue(first.Value, mp.Unit), SchoolYearLabel(first.Year))
	default:
		return StatusNoData, fmt.Sprintf("%s is the only actual and the measure has no baseline value, so no trend shows yet.", value)
	}
	if better(latest.Value, reference) {
		return StatusOnTrack, fmt.Sprintf("%s is better than %s, with the target year %s ahead.",
			value, against, SchoolYearLabel(mp.TargetYear))
	}
	return StatusOffTrack, fmt.Sprintf("%s is no better than %s, with the target year %s ahead.",
		value, against, SchoolYearLabel(mp.TargetYear))
}

// FormatValue prints a value with its unit: "94.4%", "12 students".
func FormatValue(v float64, unit string) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	switch {
	case unit == "":
		return s
	case unit == "%":
		return s + "%"
	default:
		return s + " " + unit
	}
}
