package web

import (
	"context"
	"testing"

	"github.com/planledger/planledger/domain"
)

func samplePlan() domain.Plan {
	return domain.Plan{
		ID: "sip-1", Kind: domain.PlanSIP, Title: "Newburyport High School Improvement Plan",
		Sections: []domain.Section{
			{Key: "school_council", Heading: "School council", Text: "The council meets monthly."},
			{Key: "other", Heading: "Other subjects", Text: ""},
		},
		Goals: []domain.Goal{
			{ID: "g1", Title: "Student wellness", Owner: "Principal",
				Measures:   []domain.Measure{{Description: "Crisis responses", Baseline: "40", Target: "20% fewer", Illustrative: true}},
				Objectives: []string{"obj-1"}},
			{ID: "g2", Title: "Every student on track", Owner: "Principal"},
		},
	}
}

func names(id string) string { return "Objective " + id }

func TestDiffPlansSame(t *testing.T) {
	p := samplePlan()
	d := diffPlans(context.Background(), &p, &p, names)
	if d.Changed() {
		t.Errorf("a plan compared with itself has %d changed items", len(d.Items))
	}
	if d.UnchangedSections != 2 || d.UnchangedGoals != 2 {
		t.Errorf("unchanged = %d sections and %d goals, want 2 and 2", d.UnchangedSections, d.UnchangedGoals)
	}
}

func TestDiffPlansItems(t *testing.T) {
	before := samplePlan()
	after := samplePlan()
	after.Title = "Newburyport High School Improvement Plan, 2016-17"
	after.Status, after.Revision = domain.StatusSubmitted, 1
	after.Sections = []domain.Section{
		{Key: "school_council", Heading: "School council", Text: "The council meets twice monthly."},
		{Key: "other", Heading: "Other subjects", Text: ""},
	}
	after.Goals = []domain.Goal{
		{ID: "g3", Title: "Attendance", Owner: "Assistant principal"},
		{ID: "g1", Title: "Student wellness", Owner: "Guidance director",
			Measures:   []domain.Measure{{Description: "Crisis responses", Baseline: "40", Target: "25% fewer", Illustrative: true}},
			Objectives: []string{"obj-1"}},
	}
	d := diffPlans(context.Background(), &before, &after, names)

	want := []struct{ kind, name, status string }{
		{"Plan", "Title", statusChanged},
		{"Plan", "Status", statusChanged},
		{"Section", "School council", statusChanged},
		{"Goal", "Attendance", statusAdded},
		{"Goal", "Student wellness", statusChanged},
		{"Goal", "Every student on track", statusRemoved},
	}
	if len(d.Items) != len(want) {
		t.Fatalf("diff has %d items, want %d: %+v", len(d.Items), len(want), d.Items)
	}
	for i, w := range want {
		got := d.Items[i]
		if got.Kind != w.kind || got.Name != w.name || got.Status != w.status {
			t.Errorf("item %d = %s %q %s, want %s %q %s", i, got.Kind, got.Name, got.Status, w.kind, w.name, w.status)
		}
	}
	if d.UnchangedSections != 1 || d.UnchangedGoals != 0 {
		t.Errorf("unchanged = %d sections and %d goals, want 1 and 0", d.UnchangedSections, d.UnchangedGoals)
	}

	wellness := d.Items[4]
	changed := map[string]bool{}
	for _, f := range wellness.Fields {
		changed[f.Label] = f.Changed
	}
	for label, want := range map[string]bool{"Title": false, "Owner": true, "Measures": true, "DIP objectives advanced": false} {
		if changed[label] != want {
			t.Errorf("goal field %s changed = %v, want %v", label, changed[label], want)
		}
	}
	for _, f := range wellness.Fields {
		if f.Label != "Measures" {
			continue
		}
		var deleted, inserted string
		for _, s := range f.Before {
			if s.Op == opDelete {
				deleted += s.Text
			}
		}
		for _, s := range f.After {
			if s.Op == opInsert {
				inserted += s.Text
			}
		}
		if deleted != "20%" || inserted != "25%" {
			t.Errorf("measures diff deletes %q and inserts %q, want 20%% and 25%%", deleted, inserted)
		}
	}
}

func TestDiffPlansFromNothing(t *testing.T) {
	after := samplePlan()
	d := diffPlans(context.Background(), nil, &after, names)
	added := 0
	for _, it := range d.Items {
		if it.Status == statusAdded {
			added++
		}
	}
	// The title and status change from empty, and both sections and both
	// goals are added.
	if added != 4 || len(d.Items) != 6 {
		t.Errorf("diff from nothing has %d items, %d added, want 6 items with 4 added and the title and status changed", len(d.Items), added)
	}
}
