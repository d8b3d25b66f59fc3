package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/planledger/planledger/domain"
)

func TestUpcastLevelV1AddsScheme(t *testing.T) {
	v1 := json.RawMessage(`{"org_code":"01370025","level":5,"reason":"Chronically underperforming","source":"x","date_precision":"day"}`)
	e := domain.Event{ID: "e1", Type: domain.TypeLevelChanged, SchemaVersion: 1, Payload: v1}
	var got domain.LevelChanged
	if err := e.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Scheme != domain.SchemeLevels {
		t.Errorf("scheme %q, want %q", got.Scheme, domain.SchemeLevels)
	}
	if got.Level != 5 || got.OrgCode != "01370025" {
		t.Errorf("upcast lost fields: %+v", got)
	}
}

func TestUpcastLevelV2ReadsAsV3(t *testing.T) {
	v2 := json.RawMessage(`{"org_code":"01370025","scheme":"levels","level":4,"reason":"Underperforming"}`)
	e := domain.Event{ID: "e2", Type: domain.TypeLevelChanged, SchemaVersion: 2, Payload: v2}
	var got domain.LevelChanged
	if err := e.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Scheme != domain.SchemeLevels || got.Level != 4 || got.Designation != "" || got.Percentile != 0 {
		t.Errorf("v2 payload read as %+v, want scheme levels, level 4 and no designation", got)
	}
}

func TestUpcastCurrentVersionUnchanged(t *testing.T) {
	v3 := json.RawMessage(`{"org_code":"01370025","scheme":"accountability","designation":"status_removed","reason":"x"}`)
	out, err := domain.Upcast(domain.TypeLevelChanged, 3, v3)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(v3) {
		t.Errorf("current payload changed: got %s, want %s", out, v3)
	}
	plan := json.RawMessage(`{"title":"x"}`)
	if out, err := domain.Upcast(domain.TypePlanRetitled, 1, plan); err != nil || string(out) != string(plan) {
		t.Errorf("plan.retitled v1: got %s, %v; want it unchanged", out, err)
	}
}

func TestUpcastRejectsUnknownVersions(t *testing.T) {
	for _, version := range []int{0, -1, 4} {
		_, err := domain.Upcast(domain.TypeLevelChanged, version, json.RawMessage(`{}`))
		if err == nil {
			t.Errorf("version %d: no error, want one", version)
		}
	}
	_, err := domain.Upcast(domain.TypeLevelChanged, 4, json.RawMessage(`{}`))
	if err == nil || !strings.Contains(err.Error(), "upgrade planledger") {
		t.Errorf("newer version error %v, want advice to upgrade", err)
	}
}

func TestSchemaVersionOf(t *testing.T) {
	if v := domain.SchemaVersionOf(domain.TypeLevelChanged); v != 3 {
		t.Errorf("level.changed version %d, want 3", v)
	}
	if v := domain.SchemaVersionOf(domain.TypeGoalAdopted); v != domain.CurrentSchemaVersion {
		t.Errorf("plan.goal_adopted version %d, want %d", v, domain.CurrentSchemaVersion)
	}
}
