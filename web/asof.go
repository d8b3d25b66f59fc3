package web

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

// asOfForm is one instant picked in a form: a date and an optional time in
// Massachusetts, or an exact as_of value from a link. prefix is "" on the
// plan page and "from_" or "to_" on the diff page.
type asOfForm struct {
	Prefix string
	AsOf   string // an exact date or RFC 3339 instant; it wins over Date and Time
	Date   string // 2006-01-02
	Time   string // 15:04 or 15:04:05
}

func readAsOfForm(q url.Values, prefix string) asOfForm {
	return asOfForm{
		Prefix: prefix,
		AsOf:   strings.TrimSpace(q.Get(prefix + "as_of")),
		Date:   strings.TrimSpace(q.Get(prefix + "date")),
		Time:   strings.TrimSpace(q.Get(prefix + "time")),
	}
}

// empty reports whether no instant was picked.
func (f asOfForm) empty() bool {
	return f.AsOf == "" && f.Date == "" && f.Time == ""
}

// resolve turns the form into an instant with projections.ParseAsOf, so the
// pages read dates exactly as the API does. A date alone is the end of that
// day in America/New_York, a date and time is that instant in
// America/New_York, and nothing at all is now.
func (f asOfForm) resolve(basis string, now time.Time) (projections.AsOf, error) {
	if f.AsOf != "" {
		return projections.ParseAsOf(f.AsOf, basis, now)
	}
	if f.Date == "" {
		if f.Time != "" {
			return projections.AsOf{}, domain.Errorf(domain.EInvalid, f.Prefix+"date",
				"a time was given without a date; pick the date too")
		}
		return projections.ParseAsOf("", basis, now)
	}
	day, err := time.ParseInLocation(time.DateOnly, f.Date, projections.Massachusetts)
	if err != nil {
		return projections.AsOf{}, domain.Errorf(domain.EInvalid, f.Prefix+"date",
			"date %q is not a date like 2018-06-30", f.Date)
	}
	if f.Time == "" {
		return projections.ParseAsOf(f.Date, basis, now)
	}
	clock, err := parseClock(f.Time)
	if err != nil {
		return projections.AsOf{}, domain.Errorf(domain.EInvalid, f.Prefix+"time",
			"time %q is not a time of day like 14:30 or 14:30:15", f.Time)
	}
	at := time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), clock.Second(), 0, projections.Massachusetts)
	return projections.ParseAsOf(at.Format(time.RFC3339), basis, now)
}

func parseClock(s string) (time.Time, error) {
	if t, err := time.Parse("15:04", s); err == nil {
		return t, nil
	}
	return time.Parse("15:04:05", s)
}

// readBasis returns the basis parameter, effective when it is empty.
func readBasis(q url.Values) (string, error) {
	switch b := q.Get("basis"); b {
	case "", projections.BasisEffective:
		return projections.BasisEffective, nil
	case projections.BasisRecorded:
		return b, nil
	default:
		return "", domain.Errorf(domain.EInvalid, "basis", "basis %q is not effective or recorded", b)
	}
}

// readVersion returns the optional version a page is pinned to, 0 for the
// latest.
func readVersion(q url.Values, field string) (uint64, error) {
	v := strings.TrimSpace(q.Get(field))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, domain.Errorf(domain.EInvalid, field, "version %q is not a plan version such as 3", v)
	}
	return n, nil
}

// instantView describes a resolved instant for people: the exact value to
// pass back, the same instant in Massachusetts time and the basis.
type instantView struct {
	Exact string // RFC 3339 in UTC, to the nanosecond
	Local string // e.g. "Saturday, June 30, 2018 at 11:59:59.999999999 PM EDT"
	Basis string
}

func describeInstant(at projections.AsOf) instantView {
	local := at.Instant.In(projections.Massachusetts)
	layout := "Monday, January 2, 2006 at 3:04:05 PM MST"
	if local.Nanosecond() != 0 {
		layout = "Monday, January 2, 2006 at 3:04:05.999999999 PM MST"
	}
	return instantView{Exact: at.Instant.UTC().Format(time.RFC3339Nano), Local: local.Format(layout), Basis: at.Basis}
}

// formatTime shows a stored time in Massachusetts time, to the second.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(projections.Massachusetts).Format("2006-01-02 15:04:05 MST")
}

// asOfFieldset is the form fields of one instant, filled with what the
// reader picked last.
type asOfFieldset struct {
	Legend     string
	Prefix     string
	Date       string
	Time       string
	Version    string
	ErrorField string
}

// fieldset fills the fields from the form. An instant that came as an
// exact as_of value fills them with that instant in Massachusetts time, to
// the second, so that changing the date submits a new instant.
func (f asOfForm) fieldset(legend, version, errorField string, at *projections.AsOf) asOfFieldset {
	if errorField == f.Prefix+"as_of" {
		errorField = f.Prefix + "date"
	}
	fs := asOfFieldset{Legend: legend, Prefix: f.Prefix, Date: f.Date, Time: f.Time, Version: version, ErrorField: errorField}
	if f.AsOf != "" && at != nil {
		local := at.Instant.In(projections.Massachusetts)
		fs.Date, fs.Time = local.Format(time.DateOnly), local.Format("15:04:05")
	}
	return fs
}

// prefixed returns err with its field prefixed when it names the as_of or
// version of a read, so the diff page can tell which instant it is about.
func prefixed(err error, prefix string) error {
	var de *domain.Error
	if errors.As(err, &de) && (de.Field == "as_of" || de.Field == "version") {
		return &domain.Error{Code: de.Code, Field: prefix + de.Field, Message: de.Message}
	}
	return err
}
