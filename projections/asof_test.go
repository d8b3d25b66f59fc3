package projections_test

import (
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

func TestParseAsOfResolvesValues(t *testing.T) {
	tests := []struct {
		name  string
		value string
		basis string
		want  string // the instant in RFC 3339 with nanoseconds, UTC
		label string // the expected Basis
	}{
		{"date in EDT", "2024-05-01", "", "2024-05-02T03:59:59.999999999Z", projections.BasisEffective},
		{"date in EST", "2024-01-15", "", "2024-01-16T04:59:59.999999999Z", projections.BasisEffective},
		{"spring forward day", "2024-03-10", "", "2024-03-11T03:59:59.999999999Z", projections.BasisEffective},
		{"fall back day", "2024-11-03", "", "2024-11-04T04:59:59.999999999Z", projections.BasisEffective},
		{"leap day", "2024-02-29", "", "2024-03-01T04:59:59.999999999Z", projections.BasisEffective},
		{"date on recorded basis", "2024-05-01", projections.BasisRecorded, "2024-05-02T03:59:59.999999999Z", projections.BasisRecorded},
		{"RFC 3339 in UTC", "2024-05-01T14:30:00Z", "", "2024-05-01T14:30:00Z", projections.BasisEffective},
		{"RFC 3339 with offset", "2024-05-01T10:30:00-04:00", projections.BasisEffective, "2024-05-01T14:30:00Z", projections.BasisEffective},
		{"RFC 3339 nanoseconds", "2024-05-01T14:30:00.123456789Z", "", "2024-05-01T14:30:00.123456789Z", projections.BasisEffective},
		{"surrounding spaces", " 2024-05-01 ", "", "2024-05-02T03:59:59.999999999Z", projections.BasisEffective},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := projections.ParseAsOf(tt.value, tt.basis, now)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			want, err := time.Parse(time.RFC3339Nano, tt.want)
			if err != nil {
				t.Fatalf("bad want %q: %v", tt.want, err)
			}
			if !got.Instant.Equal(want) {
				t.Errorf("got instant %s, want %s", got.Instant.Format(time.RFC3339Nano), tt.want)
			}
			if got.Instant.Location() != time.UTC {
				t.Errorf("got location %s, want UTC", got.Instant.Location())
			}
			if got.Basis != tt.label {
				t.Errorf("got basis %q, want %q", got.Basis, tt.label)
			}
		})
	}
}

func TestParseAsOfKeepsRequestedText(t *testing.T) {
	for _, value := range []string{"2024-05-01", "2024-05-01T14:30:00Z"} {
		got, err := projections.ParseAsOf(value, "", now)
		if err != nil {
			t.Fatalf("ParseAsOf(%q): got error %v, want nil", value, err)
		}
		if got.Requested != value {
			t.Errorf("got requested %q, want %q", got.Requested, value)
		}
	}
}

func TestParseAsOfEmptyMeansNow(t *testing.T) {
	zone := time.FixedZone("EDT", -4*60*60)
	clock := time.Date(2024, 5, 15, 12, 0, 0, 123456789, zone)

	for _, value := range []string{"", "  "} {
		got, err := projections.ParseAsOf(value, "", clock)
		if err != nil {
			t.Fatalf("ParseAsOf(%q): got error %v, want nil", value, err)
		}
		want := time.Date(2024, 5, 15, 16, 0, 0, 123456000, time.UTC)
		if got.Instant != want {
			t.Errorf("ParseAsOf(%q): got instant %s, want %s", value, got.Instant.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
		}
		if got.Requested != "" {
			t.Errorf("ParseAsOf(%q): got requested %q, want empty", value, got.Requested)
		}
		if got.Basis != projections.BasisEffective {
			t.Errorf("ParseAsOf(%q): got basis %q, want %q", value, got.Basis, projections.BasisEffective)
		}
	}
}

func TestParseAsOfRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		value string
		basis string
		field string
	}{
		{"unknown basis", "2024-05-01", "valid", "basis"},
		{"capitalized basis", "", "Recorded", "basis"},
		{"month name", "May 1 2024", "", "as_of"},
		{"impossible date", "2024-02-30", "", "as_of"},
		{"US date order", "05/01/2024", "", "as_of"},
		{"timestamp without zone", "2024-05-01T14:30:00", "", "as_of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := projections.ParseAsOf(tt.value, tt.basis, now)
			checkError(t, err, domain.EInvalid, tt.field)
		})
	}
}

func TestAsOfIncludesByBasis(t *testing.T) {
	instant := day(2024, time.May, 1)
	e := domain.Event{RecordedAt: instant.Add(time.Hour), EffectiveAt: instant}

	effective := projections.AsOf{Instant: instant, Basis: projections.BasisEffective}
	if !effective.Includes(e) {
		t.Errorf("effective basis: got excluded, want included (effective at the instant)")
	}
	recorded := projections.AsOf{Instant: instant, Basis: projections.BasisRecorded}
	if recorded.Includes(e) {
		t.Errorf("recorded basis: got included, want excluded (recorded an hour later)")
	}
}

// The bounds are on the year the caller wrote: a date's end of day in
// Massachusetts falls in the next UTC year on December 31.
func TestParseAsOfYearBounds(t *testing.T) {
	tests := []struct {
		value string
		ok    bool
	}{
		{"1900-01-01", true},
		{"2199-12-31", true},
		{"2199-12-31T12:00:00Z", true},
		{"1899-12-31", false},
		{"2200-01-01", false},
		{"1899-12-31T12:00:00Z", false},
		{"2200-01-01T00:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			_, err := projections.ParseAsOf(tt.value, "", now)
			if tt.ok {
				if err != nil {
					t.Errorf("got error %v, want nil", err)
				}
				return
			}
			checkError(t, err, domain.EInvalid, "as_of")
		})
	}
}
