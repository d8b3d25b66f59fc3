package web

import (
	"net/url"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

func TestAsOfFormResolve(t *testing.T) {
	now := time.Date(2024, 3, 5, 12, 0, 0, 123456789, time.UTC)
	for _, c := range []struct {
		query, want, basis string
	}{
		{"", "2024-03-05T12:00:00.123456Z", "effective"},
		{"basis=recorded", "2024-03-05T12:00:00.123456Z", "recorded"},
		{"date=2018-06-30", "2018-07-01T03:59:59.999999999Z", "effective"},
		{"date=2018-12-31&time=23:59", "2019-01-01T04:59:00Z", "effective"},
		{"date=2018-03-11&time=03:30:15&basis=recorded", "2018-03-11T07:30:15Z", "recorded"},
		{"as_of=2018-06-30T16:00:00Z&date=2001-01-01&time=10:00", "2018-06-30T16:00:00Z", "effective"},
		{"as_of=2018-06-30", "2018-07-01T03:59:59.999999999Z", "effective"},
	} {
		q, _ := url.ParseQuery(c.query)
		basis, err := readBasis(q)
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		at, err := readAsOfForm(q, "").resolve(basis, now)
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		if got := at.Instant.Format(time.RFC3339Nano); got != c.want {
			t.Errorf("%s resolved to %s, want %s", c.query, got, c.want)
		}
		if at.Basis != c.basis {
			t.Errorf("%s basis = %s, want %s", c.query, at.Basis, c.basis)
		}
	}
}

func TestAsOfFormErrors(t *testing.T) {
	now := time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		query, prefix, field string
	}{
		{"time=10:00", "", "date"},
		{"date=30/06/2018", "", "date"},
		{"date=2018-02-30", "", "date"},
		{"date=2018-06-30&time=25:00", "", "time"},
		{"date=2018-06-30&time=noon", "", "time"},
		{"as_of=June", "", "as_of"},
		{"to_date=1850-01-01", "to_", "as_of"},
		{"from_time=10:00", "from_", "from_date"},
	} {
		q, _ := url.ParseQuery(c.query)
		_, err := readAsOfForm(q, c.prefix).resolve(projections.BasisEffective, now)
		if domain.ErrorCode(err) != domain.EInvalid {
			t.Errorf("%s: error %v, want an invalid-input error", c.query, err)
			continue
		}
		if got := errorField(err); got != c.field {
			t.Errorf("%s: error names field %q, want %q", c.query, got, c.field)
		}
	}
	q, _ := url.ParseQuery("basis=later")
	if _, err := readBasis(q); errorField(err) != "basis" {
		t.Errorf("basis=later: error %v, want one naming basis", err)
	}
	q, _ = url.ParseQuery("version=0")
	if _, err := readVersion(q, "version"); errorField(err) != "version" {
		t.Errorf("version=0: error %v, want one naming version", err)
	}
}

func TestAsOfFieldsetFromExactInstant(t *testing.T) {
	at := projections.AsOf{Instant: time.Date(2018, 6, 30, 18, 30, 5, 0, time.UTC), Basis: "effective"}
	f := asOfForm{Prefix: "to_", AsOf: "2018-06-30T18:30:05Z"}.fieldset("Later", "3", "to_as_of", &at)
	if f.Date != "2018-06-30" || f.Time != "14:30:05" {
		t.Errorf("fieldset date and time = %s %s, want 2018-06-30 14:30:05 in Massachusetts", f.Date, f.Time)
	}
	if f.ErrorField != "to_date" {
		t.Errorf("an as_of error marks field %q, want to_date", f.ErrorField)
	}
}
