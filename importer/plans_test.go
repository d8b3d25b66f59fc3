package importer_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/importer"
)

const bundledPlansPath = "ma/plans/newburyport.json"

func bundledPlans(t *testing.T) []importer.PlanBundle {
	t.Helper()
	plans, err := importer.ReadPlans(openBundled(t, bundledPlansPath))
	if err != nil {
		t.Fatalf("ReadPlans: %v", err)
	}
	return plans
}

func TestReadPlansBundledShape(t *testing.T) {
	plans := bundledPlans(t)
	if len(plans) != 5 {
		t.Fatalf("got %d plans, want the DIP and four SIPs", len(plans))
	}
	dip := plans[0]
	if dip.Kind != domain.PlanDIP || dip.OrgCode != "02040000" || dip.FirstYear != 2016 || dip.LastYear != 2018 {
		t.Errorf("first plan = %s %s %d-%d, want the Newburyport DIP for 2016-2018",
			dip.Kind, dip.OrgCode, dip.FirstYear, dip.LastYear)
	}
	if !dip.EffectiveAt.Equal(massDate(2015, time.July, 1)) {
		t.Errorf("DIP takes effect %v, want 2015-07-01", dip.EffectiveAt)
	}
	if len(dip.Objectives) != 3 {
		t.Errorf("DIP has %d objectives, want 3", len(dip.Objectives))
	}
	for _, spec := range domain.DIPSections {
		if strings.TrimSpace(dip.Sections[spec.Key]) == "" {
			t.Errorf("DIP section %s is empty", spec.Key)
		}
	}
	for _, o := range dip.Objectives {
		if len(o.Standards) == 0 || len(o.Outcomes) == 0 || len(o.Initiatives) == 0 {
			t.Errorf("objective %q lacks standards, outcomes or initiatives", o.Title)
		}
		for _, s := range o.Standards {
			if domain.StandardName(s) == "" {
				t.Errorf("objective %q names unknown standard %q", o.Title, s)
			}
		}
	}

	wantSchools := []string{"02040005", "02040030", "02040305", "02040505"}
	var gotSchools []string
	for _, p := range plans[1:] {
		gotSchools = append(gotSchools, p.OrgCode)
		if p.Kind != domain.PlanSIP || p.FirstYear != 2017 || p.LastYear != 2017 || p.DistrictPlanID != dip.ID {
			t.Errorf("plan %s = %s %d-%d aligned with %q, want an SIP for 2017 aligned with the DIP",
				p.ID, p.Kind, p.FirstYear, p.LastYear, p.DistrictPlanID)
		}
		if !p.EffectiveAt.Equal(massDate(2016, time.July, 1)) {
			t.Errorf("SIP %s takes effect %v, want 2016-07-01", p.OrgCode, p.EffectiveAt)
		}
		if len(p.Goals) < 2 || len(p.Goals) > 3 {
			t.Errorf("SIP %s has %d goals, want 2 or 3", p.OrgCode, len(p.Goals))
		}
		for _, spec := range domain.SIPSections {
			if strings.TrimSpace(p.Sections[spec.Key]) == "" {
				t.Errorf("SIP %s section %s is empty", p.OrgCode, spec.Key)
			}
		}
	}
	if !slices.Equal(gotSchools, wantSchools) {
		t.Errorf("SIP schools = %v, want %v", gotSchools, wantSchools)
	}
	for _, p := range plans {
		if !strings.Contains(p.Note, "illustrative") || !strings.Contains(p.Note, "Newburyport source") {
			t.Errorf("plan %s note does not say what is illustrative and what comes from the Newburyport source", p.ID)
		}
		for key := range p.Sections {
			if !slices.ContainsFunc(domain.SectionsFor(p.Kind), func(s domain.SectionSpec) bool { return s.Key == key }) {
				t.Errorf("plan %s has unknown section %q", p.ID, key)
			}
		}
	}
}

func TestReadPlansBundledAlignment(t *testing.T) {
	plans := bundledPlans(t)
	dip := plans[0]
	cited := map[string]int{}
	uncitedGoals := 0
	for _, p := range plans[1:] {
		for _, g := range p.Goals {
			if len(g.Objectives) == 0 {
				uncitedGoals++
			}
			for _, id := range g.Objectives {
				if !slices.ContainsFunc(dip.Objectives, func(o domain.Objective) bool { return o.ID == id }) {
					t.Errorf("goal %q cites objective %s, which the DIP does not have", g.Title, id)
				}
				cited[id]++
			}
			if len(g.Measures) == 0 {
				t.Errorf("goal %q has no measure", g.Title)
			}
			if !slices.ContainsFunc(g.Measures, func(m domain.Measure) bool { return m.Baseline != "" && m.Target != "" }) {
				t.Errorf("goal %q has no measure with both a baseline and a target", g.Title)
			}
			for _, a := range g.Actions {
				if a.Owner == "" || a.Timeline == "" {
					t.Errorf("goal %q has an action without owner or timeline: %+v", g.Title, a)
				}
			}
			if len(g.Actions) == 0 {
				t.Errorf("goal %q has no actions", g.Title)
			}
		}
	}
	uncitedObjectives := 0
	for _, o := range dip.Objectives {
		if cited[o.ID] == 0 {
			uncitedObjectives++
		}
	}
	if uncitedObjectives < 1 {
		t.Error("every DIP objective is cited; the alignment view needs at least one gap to show")
	}
	if uncitedGoals != 1 {
		t.Errorf("%d SIP goals cite no objective, want exactly 1", uncitedGoals)
	}
}

func TestReadPlansErrors(t *testing.T) {
	valid := `{"id":"1496d2f4-3f89-4c37-8c47-d3358c42ebf0","kind":"dip","org_code":"02040000",` +
		`"first_year":2016,"last_year":2018,"title":"T","effective_date":"2015-07-01"}`
	cases := map[string]struct {
		doc  string
		want string
	}{
		"syntax":          {"{\"plans\": [\n" + valid + ",\n  oops]}", "line 3"},
		"unknown field":   {`{"plans":[` + strings.Replace(valid, `"title"`, `"titel"`, 1) + `]}`, "titel"},
		"duplicate id":    {`{"plans":[` + valid + `,` + valid + `]}`, "already used"},
		"bad date":        {`{"plans":[` + strings.Replace(valid, "2015-07-01", "July 2015", 1) + `]}`, "effective_date"},
		"bad kind":        {`{"plans":[` + strings.Replace(valid, `"dip"`, `"sap"`, 1) + `]}`, "kind"},
		"id not uuid":     {`{"plans":[` + strings.Replace(valid, "1496d2f4-3f89-4c37-8c47-d3358c42ebf0", "dip-1", 1) + `]}`, "not a UUID"},
		"empty document":  {`{"plans":[]}`, "no plans"},
		"goals in a DIP":  {`{"plans":[` + strings.Replace(valid, `"title"`, `"goals":[{"id":"x"}],"title"`, 1) + `]}`, "goals"},
		"wrong JSON type": {`{"plans":[` + strings.Replace(valid, `2016`, `"2016"`, 1) + `]}`, "line 1"},
	}
	for name, c := range cases {
		_, err := importer.ReadPlans(strings.NewReader(c.doc))
		if err == nil {
			t.Errorf("%s: ReadPlans accepted %s", name, c.doc)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not mention %q", name, err, c.want)
		}
	}
}

func TestReadPlansSyntaxErrorLocation(t *testing.T) {
	doc := "{\"plans\": [\n  {\"id\": \"x\",\n   \"kind\": dip}\n]}"
	_, err := importer.ReadPlans(strings.NewReader(doc))
	var de *importer.DataError
	if !errors.As(err, &de) {
		t.Fatalf("error = %v, want a *DataError", err)
	}
	if de.Line != 3 {
		t.Errorf("error on line %d, want 3: %v", de.Line, err)
	}
}

func TestReadPlansSeveralDocuments(t *testing.T) {
	one := `{"plans":[{"id":"1496d2f4-3f89-4c37-8c47-d3358c42ebf0","kind":"dip","org_code":"02040000",` +
		`"first_year":2016,"last_year":2018,"title":"T","effective_date":"2015-07-01"}]}`
	two := strings.Replace(one, "1496d2f4", "2496d2f4", 1)
	plans, err := importer.ReadPlans(strings.NewReader(one + "\n" + two))
	if err != nil {
		t.Fatalf("ReadPlans: %v", err)
	}
	if len(plans) != 2 {
		t.Errorf("got %d plans from two documents, want 2", len(plans))
	}
}

func TestBundledSourcesOpensEveryFile(t *testing.T) {
	src, closeAll, err := importer.BundledSources(data.Bundled())
	if err != nil {
		t.Fatalf("BundledSources: %v", err)
	}
	if src.Enrollments == nil || src.Profile2017 == nil || src.Observations == nil || src.Plans == nil {
		t.Errorf("sources = %+v, want all four", src)
	}
	if err := closeAll(); err != nil {
		t.Errorf("close: %v", err)
	}
}
