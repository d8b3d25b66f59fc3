package domain

import (
	"time"
)

// dayRange is a parsed DateRange; both ends are midnight UTC of the day.
type dayRange struct {
	start, end time.Time
}

// overlaps reports whether two inclusive day ranges share a day.
func (a dayRange) overlaps(b dayRange) bool {
	return !a.start.After(b.end) && !b.start.After(a.end)
}

// parseDay reads a calendar day written YYYY-MM-DD in a year from 2000 to
// 2100.
func parseDay(field, value string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, value)
	if err != nil {
		return time.Time{}, Errorf(EInvalid, field, "%q is not a date such as 2017-03-13", value)
	}
	if d.Year() < 2000 || d.Year() > 2100 {
		return time.Time{}, Errorf(EInvalid, field, "%s is in year %d; use a date between 2000 and 2100", value, d.Year())
	}
	return d, nil
}

func parseDateRange(field string, r DateRange) (dayRange, error) {
	start, err := parseDay(field+"/start", r.Start)
	if err != nil {
		return dayRange{}, err
	}
	end, err := parseDay(field+"/end", r.End)
	if err != nil {
		return dayRange{}, err
	}
	if end.Before(start) {
		return dayRange{}, Errorf(EInvalid, field+"/end", "the end (%s) is before the start (%s)", r.End, r.Start)
	}
	return dayRange{start, end}, nil
}

// ReviewGapMonths is the shortest time between two comprehensive reviews
// of a district unless the Board votes an emergency exception, from
// M.G.L. c.15 s.55A as DESE describes it to the Board
// (https://www.doe.mass.edu/bese/docs/fy2014/2013-10/item9.html).
const ReviewGapMonths = 9

// checkNineMonthRule rejects a comprehensive review whose on-site visit
// falls within 9 months of another comprehensive review's visit in the
// same district, unless the command records the Board's emergency
// exception. Cancelled reviews do not count; a review already conducted
// counts by the dates it was held.
// NOTE: the rule also counts reviews by other bodies, such as accreditors
// and charter renewals, which planledger does not record. Two reviews
// scheduled at the same moment can both pass, because each is a new
// aggregate checked against the read model.
func checkNineMonthRule(c ScheduleReview, onSite dayRange, reviews ReviewLookup) error {
	if !c.Type.Comprehensive() || c.EmergencyException != nil {
		return nil
	}
	for _, other := range reviews.ReviewsFor(c.DistrictCode) {
		if other.ID == c.ID || other.Status == ReviewStatusCancelled || !other.Type.Comprehensive() {
			continue
		}
		dates := other.OnSiteDates()
		held, err := parseDateRange("on_site", dates)
		if err != nil {
			continue // stored by an earlier decision, so it parsed then
		}
		if onSite.start.Before(held.end.AddDate(0, ReviewGapMonths, 0)) && held.start.Before(onSite.end.AddDate(0, ReviewGapMonths, 0)) {
			return Errorf(EConflict, "on_site",
				"district %s has %s review %s on site %s to %s, within %d months of %s to %s; M.G.L. c.15 s.55A allows this only with the Board's emergency exception, recorded in emergency_exception",
				c.DistrictCode, other.Type, other.ID, dates.Start, dates.End, ReviewGapMonths, c.OnSite.Start, c.OnSite.End)
		}
	}
	return nil
}

// TestingWindow is a statewide testing window in which no review visit
// may take place.
type TestingWindow struct {
	Name   string
	Dates  DateRange
	Source string
}

// TestingWindows lists the statewide MCAS testing windows planledger can
// source. M.G.L. c.15 s.55A, as DESE describes it, bars audits during
// statewide testing.
// NOTE: only these windows are known, so visits in other years are not
// checked. Other statewide tests, such as ACCESS for ELLs and high school
// retests, are not listed because the rule's description does not say
// whether they count.
var TestingWindows = []TestingWindow{
	{
		Name:  "Spring 2015 MCAS and PARCC, grades 3-8 ELA reading comprehension (extended window)",
		Dates: DateRange{"2015-03-23", "2015-04-13"},
		// DESE, "Update on Extensions and Alternate Schedules for Spring 2015 Testing", 2015-02-19.
		Source: "http://www.doe.mass.edu/news/news.aspx?id=16776",
	},
	{
		// The same notice extends this window too, but the
		// extended end date was not retrieved; the regular window is listed.
		Name:   "Spring 2015 MCAS and PARCC, grades 3-8 mathematics and STE (regular window)",
		Dates:  DateRange{"2015-05-04", "2015-05-19"},
		Source: "http://www.doe.mass.edu/news/news.aspx?id=16776",
	},
	{
		Name:  "Spring 2017 MCAS, grades 3-8 ELA and mathematics and grades 5 and 8 STE",
		Dates: DateRange{"2017-04-03", "2017-05-26"},
		// A copy of DESE's "2016-2017 Statewide Testing Schedule".
		Source: "https://studylib.net/doc/15148558/1617schedule",
	},
}

func checkTestingWindows(onSite dayRange) error {
	for _, w := range TestingWindows {
		window, err := parseDateRange("window", w.Dates)
		if err != nil {
			return Errorf(EInternal, "", "testing window %q: %v", w.Name, err)
		}
		if onSite.overlaps(window) {
			return Errorf(EInvalid, "on_site",
				"the visit overlaps the statewide testing window %s to %s (%s; %s), and M.G.L. c.15 s.55A bars reviews during statewide testing; move the visit",
				w.Dates.Start, w.Dates.End, w.Name, w.Source)
		}
	}
	return nil
}
