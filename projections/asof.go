package projections

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // as-of dates resolve in America/New_York even on hosts without zoneinfo

	"github.com/planledger/planledger/domain"
)

// Time bases of an as-of read.
const (
	BasisEffective = "effective" // when changes hold in the world (the default)
	BasisRecorded  = "recorded"  // when planledger stored them
)

// Massachusetts is the zone a bare as-of date is read in.
var Massachusetts = mustLoadZone("America/New_York")

func mustLoadZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("load time zone %s: %v", name, err))
	}
	return loc
}

// AsOf is the instant a read resolved to and the time basis it used.
type AsOf struct {
	Requested string    `json:"requested,omitempty"` // the caller's text, empty for "now"
	Instant   time.Time `json:"instant"`
	Basis     string    `json:"basis"`
}

// ParseAsOf resolves a caller's as_of value. A date (2024-05-01) means the
// end of that day in America/New_York; an RFC 3339 timestamp is taken as is;
// empty means now. basis is "effective" (default) or "recorded".
func ParseAsOf(value, basis string, now time.Time) (AsOf, error) {
	switch basis {
	case "":
		basis = BasisEffective
	case BasisEffective, BasisRecorded:
	default:
		return AsOf{}, domain.Errorf(domain.EInvalid, "basis",
			"basis %q is not %q or %q", basis, BasisEffective, BasisRecorded)
	}
	value = strings.TrimSpace(value)
	if value == "" {
		// Event times are stored to the microsecond, so "now" is too: the
		// instant printed on a document then reproduces it exactly.
		return AsOf{Instant: now.UTC().Truncate(time.Microsecond), Basis: basis}, nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, value, Massachusetts); err == nil {
		end := d.AddDate(0, 0, 1).Add(-time.Nanosecond)
		return AsOf{Requested: value, Instant: end.UTC(), Basis: basis}, CheckYear("as_of", d)
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		return AsOf{}, domain.Errorf(domain.EInvalid, "as_of",
			"as_of %q is neither a date like 2024-05-01 nor an RFC 3339 instant like 2024-05-01T14:30:00Z", value)
	}
	return AsOf{Requested: value, Instant: t.UTC(), Basis: basis}, CheckYear("as_of", t)
}

// Describe names the instant as the caller gave it: the requested date or
// timestamp, or the resolved instant to the nanosecond.
func (a AsOf) Describe() string {
	if a.Requested != "" {
		return a.Requested
	}
	return a.Instant.Format(time.RFC3339Nano)
}

// Includes reports whether an event belongs to the state as of the instant.
func (a AsOf) Includes(e domain.Event) bool {
	if a.Basis == BasisRecorded {
		return !e.RecordedAt.After(a.Instant)
	}
	return !e.EffectiveAt.After(a.Instant)
}

// Years outside this range are almost certainly typing mistakes, and years
// past 9999 cannot be written as RFC 3339 in JSON responses.
const (
	minYear = 1900
	maxYear = 2199
)

// CheckYear rejects a time whose year, in its own zone, is outside 1900 to
// 2199.
func CheckYear(field string, t time.Time) error {
	if y := t.Year(); y < minYear || y > maxYear {
		return domain.Errorf(domain.EInvalid, field, "%s is in year %d; use a date between %d and %d", field, y, minYear, maxYear)
	}
	return nil
}
