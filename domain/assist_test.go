package domain_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
)

func bundledLibrary(t *testing.T) *domain.Library {
	t.Helper()
	lib, err := domain.ParseLibrary(data.AssistanceLibrary())
	if err != nil {
		t.Fatalf("parse bundled library: %v", err)
	}
	return lib
}

func TestLibraryBundledCatalog(t *testing.T) {
	lib := bundledLibrary(t)
	for _, id := range []string{"learning-walkthrough-guide", "district-data-team-toolkit", "cse-self-assessment",
		"district-self-assessment", "planning-for-success", "pfs-plan-template", "tell-mass", "vocal"} {
		item, ok := lib.Item(id)
		if !ok {
			t.Errorf("catalog has no item %s", id)
			continue
		}
		if !item.Verified || len(item.SourceURLs) == 0 {
			t.Errorf("item %s: verified %v with %d sources, want verified with sources", id, item.Verified, len(item.SourceURLs))
		}
	}
	for level := 1; level <= 5; level++ {
		if _, ok := lib.InterventionFor(level); !ok {
			t.Errorf("no intervention for level %d", level)
		}
	}
	templates := 0
	for _, item := range lib.Items {
		if item.PlanTemplate != nil {
			templates++
		}
		if strings.Contains(strings.ToUpper(item.Description), "UNVERIFIED") {
			t.Errorf("item %s ships an unverified statement in its description", item.ID)
		}
	}
	if templates < 2 {
		t.Errorf("catalog has %d plan templates, want a DIP and an SIP template at least", templates)
	}
}

func TestLibraryRejectsUnverifiedItem(t *testing.T) {
	var raw map[string]any
	if err := json.Unmarshal(data.AssistanceLibrary(), &raw); err != nil {
		t.Fatal(err)
	}
	raw["items"].([]any)[0].(map[string]any)["verified"] = false
	edited, _ := json.Marshal(raw)
	if _, err := domain.ParseLibrary(edited); err == nil || !strings.Contains(err.Error(), "only verified items") {
		t.Errorf("ParseLibrary accepted an unverified catalog item: %v", err)
	}
}

func TestLibraryRejectsUnknownField(t *testing.T) {
	raw := strings.Replace(string(data.AssistanceLibrary()), `"caveat"`, `"caveats"`, 1)
	if _, err := domain.ParseLibrary([]byte(raw)); err == nil {
		t.Error("ParseLibrary accepted a misspelt field")
	}
}

func TestLibraryItemBadQuestion(t *testing.T) {
	item := domain.LibraryItem{ID: "local-check", Version: 1, Kind: domain.LibrarySurvey, Title: "Check",
		Description: "A check", Audience: []string{domain.AudienceSchool},
		Instrument: &domain.Instrument{Adaptation: "Written locally", Questions: []domain.Question{
			{ID: "q1", Kind: domain.QuestionChoice, Prompt: "Pick", Options: []string{"Only one"}},
		}}}
	checkError(t, domain.ValidateLibraryItem(item), domain.EInvalid, "instrument/questions/0/options")
}

func pfsTemplate(t *testing.T) domain.LibraryItem {
	t.Helper()
	item, ok := bundledLibrary(t).Item("pfs-plan-template")
	if !ok {
		t.Fatal("catalog has no pfs-plan-template")
	}
	return item
}

func TestApplyTemplatePrefillsAndOverrides(t *testing.T) {
	item := pfsTemplate(t)
	n := domain.NewPlan{CreatePlan: domain.CreatePlan{ID: newPlanID, OrgCode: districtCode, FirstYear: 2019, LastYear: 2021,
		Sections: map[string]string{"mission": "Every student ready for college, career and citizenship."}}}
	got, err := domain.ApplyTemplate(n, item)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != domain.PlanDIP {
		t.Errorf("kind = %q, want dip from the template", got.Kind)
	}
	if got.Title != item.PlanTemplate.Title {
		t.Errorf("title = %q, want the template's %q", got.Title, item.PlanTemplate.Title)
	}
	if got.Sections["mission"] != n.Sections["mission"] {
		t.Errorf("mission = %q, want the request's text", got.Sections["mission"])
	}
	if got.Sections["vision"] != "" {
		t.Errorf("vision text = %q, want it unwritten: a template prompt is guidance, not content", got.Sections["vision"])
	}
	if got.Prompts["vision"] != item.PlanTemplate.Sections["vision"] || got.Prompts["vision"] == "" {
		t.Errorf("vision prompt = %q, want the template's prompt", got.Prompts["vision"])
	}
	if _, ok := got.Prompts["mission"]; ok {
		t.Errorf("mission has a prompt, but the request wrote the section")
	}
	if got.Template == nil || got.Template.ID != item.ID || got.Template.Version != item.Version {
		t.Errorf("template ref = %+v, want %s version %d", got.Template, item.ID, item.Version)
	}

	drafts, err := domain.DecideNewPlan(got, newLookup())
	if err != nil {
		t.Fatal(err)
	}
	var plan domain.Plan
	for i, d := range drafts {
		raw, _ := json.Marshal(d.Payload)
		if err := plan.Apply(domain.Event{ID: fmt.Sprint(i), Type: d.Type, SchemaVersion: domain.SchemaVersionOf(d.Type), Payload: raw}); err != nil {
			t.Fatal(err)
		}
	}
	if plan.Template == nil || plan.Template.ID != "pfs-plan-template" {
		t.Errorf("folded plan template = %+v, want pfs-plan-template", plan.Template)
	}
	for _, s := range plan.Sections {
		if s.Key != "mission" && (s.Text != "" || s.Prompt == "") {
			t.Errorf("section %s has text %q and prompt %q, want only the template's prompt", s.Key, s.Text, s.Prompt)
		}
	}
	results := domain.CheckCompliance(&plan, domain.ComplianceContext{})
	for _, r := range results {
		if r.ID == "dip.data_analysis" && r.Status != domain.RuleFail {
			t.Errorf("rule dip.data_analysis = %s, want fail while the section shows only the template's prompt", r.Status)
		}
	}
}

func TestApplyTemplateKindMismatch(t *testing.T) {
	n := domain.NewPlan{CreatePlan: domain.CreatePlan{Kind: domain.PlanSIP, OrgCode: schoolCode, FirstYear: 2017}}
	_, err := domain.ApplyTemplate(n, pfsTemplate(t))
	checkError(t, err, domain.EInvalid, "kind")
}

func TestApplyTemplateSkeletonGoals(t *testing.T) {
	item, _ := bundledLibrary(t).Item("turnaround-practices-sip")
	n := domain.NewPlan{CreatePlan: domain.CreatePlan{ID: newPlanID, OrgCode: otherSchoolCode, DistrictPlanID: otherDIPID, FirstYear: 2017}}
	got, err := domain.ApplyTemplate(n, item)
	if err != nil {
		t.Fatal(err)
	}
	drafts, err := domain.DecideNewPlan(got, newLookup())
	if err != nil {
		t.Fatal(err)
	}
	if len(drafts) != 5 {
		t.Fatalf("got %d drafts, want plan.created and 4 skeleton goals", len(drafts))
	}
	if item.PlanTemplate.Goals[0].ID != "" {
		t.Errorf("creating a plan wrote id %s into the catalog's skeleton", item.PlanTemplate.Goals[0].ID)
	}

	withGoal := n
	withGoal.Goals = []domain.Goal{validGoal(goalBID)}
	withGoal.Goals[0].Objectives = nil
	got, err = domain.ApplyTemplate(withGoal, item)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Goals) != 1 || got.Goals[0].ID != goalBID {
		t.Errorf("goals = %+v, want only the request's goal", got.Goals)
	}
}

// surveyLog folds drafts into a survey the way the projector does,
// with each event recorded at the given instant and actor.
type surveyLog struct {
	t      *testing.T
	survey *domain.Survey
	seq    uint64
}

func (l *surveyLog) apply(d domain.Draft, actor string, at time.Time) {
	l.t.Helper()
	raw, err := json.Marshal(d.Payload)
	if err != nil {
		l.t.Fatal(err)
	}
	l.seq++
	e := domain.Event{ID: fmt.Sprint(l.seq), Type: d.Type, SchemaVersion: domain.SchemaVersionOf(d.Type),
		AggregateKind: domain.KindSurvey, Sequence: l.seq, Actor: actor, RecordedAt: at, EffectiveAt: at, Payload: raw}
	if err := l.survey.Apply(e); err != nil {
		l.t.Fatal(err)
	}
}

var (
	surveyOpens  = time.Date(2017, 10, 1, 4, 0, 0, 0, time.UTC)
	surveyCloses = time.Date(2017, 11, 1, 4, 0, 0, 0, time.UTC)
	duringSurvey = time.Date(2017, 10, 15, 16, 0, 0, 0, time.UTC)
)

func issuedSurvey(t *testing.T) *surveyLog {
	t.Helper()
	item, _ := bundledLibrary(t).Item("tell-mass")
	c := domain.IssueSurvey{ID: newPlanID, InstrumentID: item.ID, OrgCodes: []string{districtCode}, OpensAt: surveyOpens, ClosesAt: surveyCloses}
	d, err := domain.DecideIssueSurvey(nil, c, item, newLookup(), surveyOpens.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	l := &surveyLog{t: t, survey: &domain.Survey{}}
	l.apply(d, "dese-staff", surveyOpens.Add(-time.Hour))
	return l
}

func answers(t *testing.T, v map[string]any) map[string]json.RawMessage {
	t.Helper()
	out := map[string]json.RawMessage{}
	for k, x := range v {
		raw, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = raw
	}
	return out
}

func schoolEditor(sub string) domain.Principal {
	return domain.Principal{Subject: sub, Role: domain.RoleSchoolEditor, OrgCode: schoolCode}
}

func TestSurveyIssueChecks(t *testing.T) {
	item, _ := bundledLibrary(t).Item("tell-mass")
	noInstrument, _ := bundledLibrary(t).Item("vocal")
	look := newLookup()
	base := domain.IssueSurvey{ID: newPlanID, OrgCodes: []string{districtCode}, OpensAt: surveyOpens, ClosesAt: surveyCloses}
	cases := []struct {
		name  string
		edit  func(c *domain.IssueSurvey)
		item  domain.LibraryItem
		code  string
		field string
	}{
		{"no instrument", func(c *domain.IssueSurvey) {}, noInstrument, domain.EInvalid, "instrument_id"},
		{"no orgs", func(c *domain.IssueSurvey) { c.OrgCodes = nil }, item, domain.EInvalid, "org_codes"},
		{"unknown org", func(c *domain.IssueSurvey) { c.OrgCodes = []string{districtCode, "09990000"} }, item, domain.ENotFound, "org_codes/1"},
		{"repeated org", func(c *domain.IssueSurvey) { c.OrgCodes = []string{districtCode, districtCode} }, item, domain.EInvalid, "org_codes/1"},
		{"window reversed", func(c *domain.IssueSurvey) { c.ClosesAt = surveyOpens }, item, domain.EInvalid, "closes_at"},
		{"window past", func(c *domain.IssueSurvey) {
			c.OpensAt, c.ClosesAt = surveyOpens.AddDate(-1, 0, 0), surveyCloses.AddDate(-1, 0, 0)
		}, item, domain.EInvalid, "closes_at"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.edit(&c)
			_, err := domain.DecideIssueSurvey(nil, c, tc.item, look, surveyOpens)
			checkError(t, err, tc.code, tc.field)
		})
	}
}

func TestSurveyAnswerWindow(t *testing.T) {
	l := issuedSurvey(t)
	a := answers(t, map[string]any{"use_of_time": 3})
	school, _ := newLookup().Org(schoolCode)
	_, err := domain.DecideAnswerSurvey(l.survey, schoolEditor("t1"), school, a, surveyOpens.Add(-time.Minute))
	checkError(t, err, domain.EConflict, "opens_at")
	_, err = domain.DecideAnswerSurvey(l.survey, schoolEditor("t1"), school, a, surveyCloses)
	checkError(t, err, domain.EConflict, "closes_at")

	closed, err := domain.DecideCloseSurvey(l.survey, "enough responses")
	if err != nil {
		t.Fatal(err)
	}
	l.apply(closed, "dese-staff", duringSurvey)
	_, err = domain.DecideAnswerSurvey(l.survey, schoolEditor("t1"), school, a, duringSurvey.Add(time.Hour))
	checkError(t, err, domain.EConflict, "closed_at")
	_, err = domain.DecideCloseSurvey(l.survey, "")
	checkError(t, err, domain.EConflict, "closed_at")
}

func TestSurveyAnswerTargets(t *testing.T) {
	l := issuedSurvey(t)
	look := newLookup()
	a := answers(t, map[string]any{"use_of_time": 3})

	school, _ := look.Org(schoolCode)
	d, err := domain.DecideAnswerSurvey(l.survey, schoolEditor("t1"), school, a, duringSurvey)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Payload.(domain.SurveyAnswered).CountsFor; got != districtCode {
		t.Errorf("a school of the targeted district counts for %s, want %s", got, districtCode)
	}

	other, _ := look.Org(otherSchoolCode)
	_, err = domain.DecideAnswerSurvey(l.survey, domain.Principal{Subject: "t9", Role: domain.RoleSchoolEditor, OrgCode: otherSchoolCode},
		other, a, duringSurvey)
	checkError(t, err, domain.EForbidden, "Authorization")
}

func TestSurveyAnswerValidation(t *testing.T) {
	l := issuedSurvey(t)
	school, _ := newLookup().Org(schoolCode)
	cases := []struct {
		name    string
		answers map[string]any
		field   string
	}{
		{"empty", map[string]any{}, "answers"},
		{"unknown question", map[string]any{"salary": 5}, "answers/salary"},
		{"likert too high", map[string]any{"use_of_time": 6}, "answers/use_of_time"},
		{"likert fraction", map[string]any{"use_of_time": 2.5}, "answers/use_of_time"},
		{"likert as text", map[string]any{"use_of_time": "3"}, "answers/use_of_time"},
		{"choice not offered", map[string]any{"focus_area": "Salaries"}, "answers/focus_area"},
		{"text too long", map[string]any{"comment": strings.Repeat("x", domain.MaxAnswerText+1)}, "answers/comment"},
		{"null only", map[string]any{"use_of_time": nil}, "answers/use_of_time"},
		{"null beside an answer", map[string]any{"focus_area": "Use of time", "comment": nil}, "answers/comment"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := domain.DecideAnswerSurvey(l.survey, schoolEditor("t1"), school, answers(t, tc.answers), duringSurvey)
			checkError(t, err, domain.EInvalid, tc.field)
		})
	}
}

func TestSurveyResultsReplaceAndSuppress(t *testing.T) {
	l := issuedSurvey(t)
	school, _ := newLookup().Org(schoolCode)
	answer := func(who string, likert int, choice string) {
		t.Helper()
		d, err := domain.DecideAnswerSurvey(l.survey, schoolEditor(who), school,
			answers(t, map[string]any{"use_of_time": likert, "focus_area": choice, "comment": "private words"}), duringSurvey)
		if err != nil {
			t.Fatal(err)
		}
		l.apply(d, who, duringSurvey)
	}
	for i := 1; i <= 4; i++ {
		answer(fmt.Sprintf("teacher-%d", i), i, "Use of time")
	}
	if r := l.survey.Results(); !r.Overall.Suppressed || r.Overall.Respondents != 4 || len(r.Overall.Questions) != 0 {
		t.Errorf("4 respondents: overall = %+v, want suppressed with count 4 and no questions", r.Overall)
	}

	answer("teacher-5", 5, "Teacher leadership")
	answer("teacher-1", 5, "Teacher leadership") // replaces teacher-1's answer of 1
	r := l.survey.Results()
	if r.Overall.Suppressed || r.Overall.Respondents != 5 {
		t.Fatalf("overall = %+v, want 5 respondents reported", r.Overall)
	}
	byID := map[string]domain.QuestionResult{}
	for _, q := range r.Overall.Questions {
		byID[q.QuestionID] = q
	}
	useOfTime := byID["use_of_time"]
	if useOfTime.Answered != 5 || useOfTime.Mean == nil || *useOfTime.Mean != 3.8 {
		t.Errorf("use_of_time = %+v (mean %v), want 5 answers with mean 3.8 ((5+2+3+4+5)/5)", useOfTime, useOfTime.Mean)
	}
	wantCounts := []int{0, 1, 1, 1, 2}
	for i, c := range useOfTime.Counts {
		if c.Value != fmt.Sprint(i+1) || c.Count != wantCounts[i] {
			t.Errorf("use_of_time count %d = %+v, want %d", i+1, c, wantCounts[i])
		}
	}
	focus := byID["focus_area"]
	for _, c := range focus.Counts {
		want := map[string]int{"Use of time": 3, "Teacher leadership": 2}[c.Value]
		if c.Count != want {
			t.Errorf("focus_area %q = %d, want %d", c.Value, c.Count, want)
		}
	}
	comment := byID["comment"]
	if comment.Answered != 5 || len(comment.Counts) != 0 {
		t.Errorf("comment = %+v, want 5 answers counted and no text shown", comment)
	}
	if len(r.Orgs) != 1 || r.Orgs[0].OrgCode != districtCode || r.Orgs[0].Respondents != 5 {
		t.Errorf("orgs = %+v, want the district with 5 respondents", r.Orgs)
	}
	if resp := l.survey.Responses["teacher-1"]; resp.Revisions != 2 || !resp.Replaces {
		t.Errorf("teacher-1 response = %+v, want the second revision marked as replacing", resp)
	}
}
