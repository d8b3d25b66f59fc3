package projections_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

const (
	districtCode      = "02040000"
	schoolCode        = "02040505"
	secondSchoolCode  = "02040510"
	otherDistrictCode = "00350000"
	otherSchoolCode   = "00350012"
)

// Fixed UUIDs, so failure messages name the same ids on every run.
const (
	dipID        = "0190e0c0-0000-7000-8000-000000000001"
	sipID        = "0190e0c0-0000-7000-8000-000000000002"
	secondSIPID  = "0190e0c0-0000-7000-8000-000000000003"
	otherDIPID   = "0190e0c0-0000-7000-8000-000000000004"
	otherSIPID   = "0190e0c0-0000-7000-8000-000000000005"
	objectiveAID = "0190e0c0-0000-7000-8000-0000000000a1"
	objectiveBID = "0190e0c0-0000-7000-8000-0000000000a2"
	objectiveCID = "0190e0c0-0000-7000-8000-0000000000a3"
	objectiveDID = "0190e0c0-0000-7000-8000-0000000000a4"
	goalAID      = "0190e0c0-0000-7000-8000-0000000000b1"
	goalBID      = "0190e0c0-0000-7000-8000-0000000000b2"
	goalCID      = "0190e0c0-0000-7000-8000-0000000000b3"
	goalDID      = "0190e0c0-0000-7000-8000-0000000000b4"
	goalEID      = "0190e0c0-0000-7000-8000-0000000000b5"
)

// now is the clock of every test that reads "now": 2024-05-15 at noon in
// Massachusetts (EDT).
var now = time.Date(2024, 5, 15, 16, 0, 0, 0, time.UTC)

func day(year int, month time.Month, d int) time.Time {
	return time.Date(year, month, d, 12, 0, 0, 0, time.UTC)
}

// eventLog numbers events as the store does: StreamSequence across the whole
// log, Sequence per aggregate, both from 1.
type eventLog struct {
	t         *testing.T
	p         *projections.Projector
	stream    uint64
	sequences map[string]uint64
}

func newEventLog(t *testing.T) *eventLog {
	return &eventLog{
		t:         t,
		p:         projections.New(slog.New(slog.DiscardHandler)),
		sequences: map[string]uint64{},
	}
}

// build returns the next event of an aggregate without applying it.
func (l *eventLog) build(kind, id, typ string, payload any, recorded, effective time.Time) domain.Event {
	l.t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		l.t.Fatalf("marshal %s payload: %v", typ, err)
	}
	key := kind + "/" + id
	l.stream++
	l.sequences[key]++
	return domain.Event{
		ID:             fmt.Sprintf("event-%d", l.stream),
		Type:           typ,
		SchemaVersion:  domain.CurrentSchemaVersion,
		AggregateKind:  kind,
		AggregateID:    id,
		Sequence:       l.sequences[key],
		RecordedAt:     recorded,
		EffectiveAt:    effective,
		Actor:          "editor@example.org",
		Payload:        raw,
		StreamSequence: l.stream,
	}
}

func (l *eventLog) apply(e domain.Event) domain.Event {
	l.t.Helper()
	if err := l.p.Apply(e); err != nil {
		l.t.Fatalf("apply event %d (%s): %v", e.StreamSequence, e.Type, err)
	}
	return e
}

func (l *eventLog) add(kind, id, typ string, payload any, recorded, effective time.Time) domain.Event {
	l.t.Helper()
	return l.apply(l.build(kind, id, typ, payload, recorded, effective))
}

// plan appends a plan event recorded and effective at the same instant.
func (l *eventLog) plan(id, typ string, payload any, at time.Time) domain.Event {
	l.t.Helper()
	return l.add(domain.KindPlan, id, typ, payload, at, at)
}

func (l *eventLog) org(code string, typ domain.OrgType, name string) {
	l.t.Helper()
	o := domain.Org{Code: code, Type: typ, Name: name, DistrictCode: domain.DistrictCodeOf(code)}
	at := day(2015, time.July, 1)
	l.add(domain.KindOrg, code, domain.TypeOrgRegistered, domain.OrgRegistered{Org: o}, at, at)
}

func (l *eventLog) level(code string, level int, recorded, effective time.Time) domain.Event {
	l.t.Helper()
	payload := domain.LevelChanged{OrgCode: code, Level: level, Reason: fmt.Sprintf("Level %d reason", level), DatePrecision: "day"}
	return l.add(domain.KindLevel, code, domain.TypeLevelChanged, payload, recorded, effective)
}

func createDIP(id, orgCode, title string) domain.PlanCreated {
	return domain.PlanCreated{
		ID: id, Kind: domain.PlanDIP, OrgCode: orgCode, FirstYear: 2016, LastYear: 2018, Title: title,
		Sections: map[string]string{"mission": "Every student ready"},
	}
}

func createSIP(id, orgCode, dip string) domain.PlanCreated {
	return domain.PlanCreated{
		ID: id, Kind: domain.PlanSIP, OrgCode: orgCode, DistrictPlanID: dip, FirstYear: 2017, LastYear: 2017,
		Title: "School plan " + orgCode,
	}
}

func objective(id, title string) domain.Objective {
	return domain.Objective{
		ID: id, Title: title, Standards: []string{"curriculum_instruction"},
		Outcomes: []domain.Measure{{Description: "Grade 3 ELA meeting expectations", Target: "55%"}},
	}
}

func goal(id, title string, objectives ...string) domain.Goal {
	return domain.Goal{
		ID: id, Title: title,
		Measures:   []domain.Measure{{Description: "Grade 3 ELA meeting expectations", Target: "50%"}},
		Objectives: objectives,
	}
}

func mustAsOf(t *testing.T, value, basis string) projections.AsOf {
	t.Helper()
	at, err := projections.ParseAsOf(value, basis, now)
	if err != nil {
		t.Fatalf("ParseAsOf(%q, %q): %v", value, basis, err)
	}
	return at
}

// checkError fails the test unless err is a *domain.Error with the code
// and field given.
func checkError(t *testing.T, err error, code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s on field %q", code, field)
	}
	var e *domain.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %T (%v), want *domain.Error", err, err)
	}
	if e.Code != code {
		t.Errorf("got code %q, want %q (error: %v)", e.Code, code, err)
	}
	if e.Field != field {
		t.Errorf("got field %q, want %q (error: %v)", e.Field, field, err)
	}
}
