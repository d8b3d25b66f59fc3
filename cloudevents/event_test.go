package cloudevents_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/planledger/planledger/cloudevents"
	"github.com/planledger/planledger/domain"
)

// storedLevelChange is a level change as the store returns it, taken from
// the example in docs/events.md.
func storedLevelChange() domain.Event {
	return domain.Event{
		ID:             "0191a2b3-c4d5-7e6f-8a9b-2c3d4e5f6a7b",
		Type:           domain.TypeLevelChanged,
		SchemaVersion:  2,
		AggregateKind:  domain.KindLevel,
		AggregateID:    "02040505",
		Sequence:       2,
		RecordedAt:     time.Date(2024, 5, 1, 14, 30, 0, 123456000, time.UTC),
		EffectiveAt:    time.Date(2017, 9, 30, 4, 0, 0, 0, time.UTC),
		Actor:          "nps-planning-office",
		CorrelationID:  "3f0c8b9e-2d41-4b7a-9c55-0e6f1a2b3c4d",
		PrevHash:       "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Hash:           "770966fa3d5a49ce47284d9a2a13acc382ef2188c353d24ac9ff6cb87bdda86f",
		Payload:        json.RawMessage(`{"org_code":"02040505","scheme":"levels","level":1,"reason":"Meeting gap narrowing goals","source":"DESE school profile, 2017 accountability data","date_precision":"day"}`),
		StreamSequence: 4391,
	}
}

func encode(t *testing.T, e domain.Event) map[string]json.RawMessage {
	t.Helper()
	ce, err := cloudevents.FromEvent(e)
	if err != nil {
		t.Fatalf("FromEvent: %v", err)
	}
	body, err := json.Marshal(ce)
	if err != nil {
		t.Fatalf("encode CloudEvent: %v", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return fields
}

func TestFromEventAttributes(t *testing.T) {
	e := storedLevelChange()
	fields := encode(t, e)

	want := map[string]string{
		"specversion":       `"1.0"`,
		"id":                `"0191a2b3-c4d5-7e6f-8a9b-2c3d4e5f6a7b"`,
		"source":            `"/planledger/level/02040505"`,
		"type":              `"us.ma.planledger.level.changed.v2"`,
		"subject":           `"02040505"`,
		"time":              `"2024-05-01T14:30:00.123456Z"`,
		"datacontenttype":   `"application/json"`,
		"effectiveat":       `"2017-09-30T04:00:00Z"`,
		"schemaversion":     `2`,
		"aggregatesequence": `"2"`,
		"streamsequence":    `"4391"`,
		"actor":             `"nps-planning-office"`,
		"correlationid":     `"3f0c8b9e-2d41-4b7a-9c55-0e6f1a2b3c4d"`,
		"chainhash":         `"770966fa3d5a49ce47284d9a2a13acc382ef2188c353d24ac9ff6cb87bdda86f"`,
		"chainprevhash":     `"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`,
		"data":              string(e.Payload),
	}
	for name, value := range want {
		if got := string(fields[name]); got != value {
			t.Errorf("attribute %s = %s, want %s", name, got, value)
		}
	}
	for name := range fields {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected attribute %s = %s", name, fields[name])
		}
	}
}

func TestFromEventExtensionNames(t *testing.T) {
	e := storedLevelChange()
	e.CausationID = "0191a2b3-0000-7000-8000-000000000001"
	e.BatchIndex, e.BatchSize = 1, 3
	fields := encode(t, e)

	// CloudEvents 1.0 allows lower-case ASCII letters and digits and
	// recommends at most 20 characters.
	valid := regexp.MustCompile(`^[a-z0-9]{1,20}$`)
	for name := range fields {
		if !valid.MatchString(name) {
			t.Errorf("attribute name %q is not 1 to 20 lower-case letters and digits", name)
		}
	}
	for name, value := range map[string]string{"causationid": `"0191a2b3-0000-7000-8000-000000000001"`,
		"batchindex": "1", "batchsize": "3"} {
		if got := string(fields[name]); got != value {
			t.Errorf("attribute %s = %s, want %s", name, got, value)
		}
	}
}

func TestFromEventOmitsEmptyOptional(t *testing.T) {
	e := storedLevelChange()
	e.CorrelationID, e.PrevHash, e.Hash = "", "", ""
	e.BatchIndex, e.BatchSize = 0, 1
	fields := encode(t, e)
	for _, name := range []string{"correlationid", "causationid", "chainhash", "chainprevhash", "batchindex", "batchsize"} {
		if value, ok := fields[name]; ok {
			t.Errorf("attribute %s = %s, want it absent", name, value)
		}
	}
}

func TestFromEventRoundTripsSDK(t *testing.T) {
	e := storedLevelChange()
	ce, err := cloudevents.FromEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(ce)
	if err != nil {
		t.Fatal(err)
	}
	var decoded event.Event
	if err := json.Unmarshal(body, &decoded); err != nil {
		t.Fatalf("sdk-go cannot decode %s: %v", body, err)
	}
	if err := decoded.Validate(); err != nil {
		t.Errorf("decoded event is invalid: %v", err)
	}
	if got := string(decoded.Data()); got != string(e.Payload) {
		t.Errorf("data = %s, want the stored payload %s", got, e.Payload)
	}
	if !decoded.Time().Equal(e.RecordedAt) {
		t.Errorf("time = %s, want %s", decoded.Time(), e.RecordedAt)
	}
}

func TestFromEventRejectsIncomplete(t *testing.T) {
	cases := []struct {
		name   string
		change func(*domain.Event)
		want   string
	}{
		{"no id", func(e *domain.Event) { e.ID = "" }, "id"},
		{"no type", func(e *domain.Event) { e.Type = "" }, "type"},
		{"no kind", func(e *domain.Event) { e.AggregateKind = "" }, "aggregate kind"},
		{"no aggregate id", func(e *domain.Event) { e.AggregateID = "" }, "aggregate id"},
		{"schema version 0", func(e *domain.Event) { e.SchemaVersion = 0 }, "schema version"},
		{"sequence 0", func(e *domain.Event) { e.Sequence = 0 }, "sequence"},
		{"no stream sequence", func(e *domain.Event) { e.StreamSequence = 0 }, "stream sequence"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := storedLevelChange()
			c.change(&e)
			_, err := cloudevents.FromEvent(e)
			if err == nil {
				t.Fatal("FromEvent returned no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not name %s", err, c.want)
			}
		})
	}
}

func TestTypeParseRoundTrip(t *testing.T) {
	for _, c := range []struct {
		eventType string
		version   int
		want      string
	}{
		{domain.TypeLevelChanged, 1, "us.ma.planledger.level.changed.v1"},
		{domain.TypeLevelChanged, 2, "us.ma.planledger.level.changed.v2"},
		{domain.TypeGoalAdopted, 1, "us.ma.planledger.plan.goal_adopted.v1"},
		{domain.TypeReviewReportIssued, 12, "us.ma.planledger.review.report_issued.v12"},
	} {
		got := cloudevents.Type(c.eventType, c.version)
		if got != c.want {
			t.Errorf("Type(%s, %d) = %s, want %s", c.eventType, c.version, got, c.want)
		}
		eventType, version, ok := cloudevents.ParseType(got)
		if !ok || eventType != c.eventType || version != c.version {
			t.Errorf("ParseType(%s) = %s, %d, %t, want %s, %d, true", got, eventType, version, ok, c.eventType, c.version)
		}
	}
}

func TestParseTypeRejectsOthers(t *testing.T) {
	for _, ceType := range []string{
		"", "level.changed.v2", "com.example.level.changed.v2", "us.ma.planledger.level.changed",
		"us.ma.planledger.level.changed.v0", "us.ma.planledger.level.changed.v02", "us.ma.planledger.v2",
		"us.ma.planledger.level.changed.vx",
	} {
		if eventType, version, ok := cloudevents.ParseType(ceType); ok {
			t.Errorf("ParseType(%q) = %s, %d, true, want false", ceType, eventType, version)
		}
	}
}

func TestSourceEscapesID(t *testing.T) {
	if got := cloudevents.Source("plan", "7c0e1f6e-3a44-4c1b-9a51-3f0b7f5d2c10"); got != "/planledger/plan/7c0e1f6e-3a44-4c1b-9a51-3f0b7f5d2c10" {
		t.Errorf("Source of a UUID = %s", got)
	}
	if got := cloudevents.Source("org", "a/b?c#d"); got != "/planledger/org/a%2Fb%3Fc%23d" {
		t.Errorf("Source of an id with URI delimiters = %s, want each percent-encoded", got)
	}
}
