package domain_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
)

var massachusetts = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return loc
}()

// massDay returns noon of a Massachusetts day.
func massDay(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 12, 0, 0, 0, massachusetts)
}

// completeSections writes every SIP section so that each text-reading rule
// finds what it looks for.
func completeSections() []domain.Section {
	texts := map[string]string{
		"school_council":           "The principal, four elected parents, three teachers and a student.",
		"needs_assessment":         "Grade 9 course failures rose in 2016.",
		"class_size":               "Average class size is 16.3; the student-to-teacher ratio is 12 to 1.",
		"support_staff_ratio":      "One counselor for every 250 students.",
		"class_size_reduction":     "No reduction is needed.",
		"professional_development": "Teachers of English learners train in sheltered English instruction, paid from the PD budget.",
		"parental_involvement":     "Family forums each term.",
		"safety_discipline":        "Restorative conversations after conflicts.",
		"tolerance_respect":        "Advisory lessons on respect.",
		"extracurricular":          "Clubs and sports.",
		"diverse_learning_needs":   "Co-taught classes keep students with disabilities in general education.",
		"other":                    "",
	}
	out := make([]domain.Section, len(domain.SIPSections))
	for i, s := range domain.SIPSections {
		out[i] = domain.Section{Key: s.Key, Heading: s.Heading, Text: texts[s.Key]}
	}
	return out
}

func completeSIP() *domain.Plan {
	p := newSIP()
	p.Sections = completeSections()
	return p
}

// context is what the SIP rules need: its DIP and a district with
// language-minority students.
func context() domain.ComplianceContext {
	return domain.ComplianceContext{
		DistrictPlan:     newDIP(dipID, districtCode),
		LanguageMinority: &domain.PopulationCount{OrgCode: districtCode, Students: 78, SchoolYear: 2017, Source: "test"},
	}
}

// stepper decides workflow steps on one plan and folds each event, as the
// command service and projector do.
type stepper struct {
	t    *testing.T
	plan *domain.Plan
	seq  uint64
	now  time.Time
}

func newStepper(t *testing.T, p *domain.Plan) *stepper {
	return &stepper{t: t, plan: p, seq: 1, now: massDay(2017, time.May, 1)}
}

// try decides an action one day after the previous one and, when it is
// accepted, folds its event.
func (s *stepper) try(action domain.WorkflowAction, date, notes string, reasons ...string) error {
	s.t.Helper()
	s.now = s.now.AddDate(0, 0, 1)
	cmd := domain.WorkflowCommand{Action: action, Date: date, Notes: notes, Reasons: reasons,
		Now: s.now, PlanCreatedAt: massDay(2016, time.July, 1)}
	d, err := domain.DecideWorkflow(s.plan, cmd, context())
	if err != nil {
		return err
	}
	s.apply(d)
	return nil
}

func (s *stepper) apply(d domain.Draft) {
	s.t.Helper()
	payload, err := json.Marshal(d.Payload)
	if err != nil {
		s.t.Fatal(err)
	}
	s.seq++
	e := domain.Event{ID: "e", Type: d.Type, SchemaVersion: domain.SchemaVersionOf(d.Type), Sequence: s.seq,
		Actor: "tester", EffectiveAt: d.EffectiveAt, RecordedAt: s.now, Payload: payload}
	if err := s.plan.Apply(e); err != nil {
		s.t.Fatalf("apply %s: %v", d.Type, err)
	}
}

func (s *stepper) must(action domain.WorkflowAction, date, notes string, reasons ...string) {
	s.t.Helper()
	if err := s.try(action, date, notes, reasons...); err != nil {
		s.t.Fatalf("%s from %s: %v", action, s.plan.CurrentStatus(), err)
	}
}

func (s *stepper) today() string {
	return s.now.AddDate(0, 0, 1).Format(time.DateOnly)
}

func TestWorkflowSIPWalk(t *testing.T) {
	s := newStepper(t, completeSIP())

	err := s.try(domain.ActionSubmit, "", "")
	checkError(t, err, domain.EConflict, "status")
	if !strings.Contains(err.Error(), "is draft") || !strings.Contains(err.Error(), "consult_council (POST /v1/plans/"+sipID+"/council-consultations, role council_member)") {
		t.Errorf("error %q does not name the status and the allowed step", err)
	}

	s.must(domain.ActionConsultCouncil, s.today(), "Reviewed the goals")
	s.must(domain.ActionSubmit, "", "")
	checkError(t, s.try(domain.ActionConsultCouncil, s.today(), ""), domain.EConflict, "status")
	checkError(t, s.try(domain.ActionReturn, "", ""), domain.EInvalid, "reasons")
	checkError(t, s.try(domain.ActionReturn, "", "", "Add a ratio", " "), domain.EInvalid, "reasons/1")
	s.must(domain.ActionReturn, "", "", "Cite the district objective for goal 2")

	checkError(t, s.try(domain.ActionSubmit, "", ""), domain.EConflict, "status")
	checkError(t, s.try(domain.ActionConsultCouncil, "2017-05-01", ""), domain.EInvalid, "meeting_date")
	s.must(domain.ActionConsultCouncil, s.today(), "")
	s.must(domain.ActionSubmit, "", "")
	if got := s.plan.CurrentStatus(); got != domain.StatusResubmitted {
		t.Fatalf("status after submitting a returned plan = %s, want resubmitted", got)
	}

	checkError(t, s.try(domain.ActionApprove, "", ""), domain.EInvalid, "school_committee_consulted_on")
	checkError(t, s.try(domain.ActionApprove, "2030-01-01", ""), domain.EInvalid, "school_committee_consulted_on")
	checkError(t, s.try(domain.ActionAdopt, s.today(), ""), domain.EConflict, "status")
	s.must(domain.ActionApprove, s.today(), "")

	want := []domain.PlanStatus{domain.StatusCouncilConsulted, domain.StatusSubmitted, domain.StatusReturned,
		domain.StatusCouncilConsulted, domain.StatusResubmitted, domain.StatusApproved}
	if len(s.plan.Workflow) != len(want) {
		t.Fatalf("workflow has %d steps, want %d", len(s.plan.Workflow), len(want))
	}
	for i, step := range s.plan.Workflow {
		if step.To != want[i] {
			t.Errorf("step %d went to %s, want %s", i, step.To, want[i])
		}
		if i > 0 && step.From != want[i-1] {
			t.Errorf("step %d came from %s, want %s", i, step.From, want[i-1])
		}
	}
	approval := s.plan.Workflow[5]
	if approval.Date == "" || approval.Sequence != 7 || approval.Revision != 1 {
		t.Errorf("approval step = %+v, want a committee date, sequence 7, revision 1", approval)
	}
	if len(approval.AdvisoryFailing) != 1 || approval.AdvisoryFailing[0] != "sip.dip_adopted" {
		t.Errorf("approval recorded advisory failures %v, want [sip.dip_adopted]", approval.AdvisoryFailing)
	}

	checkError(t, domain.CheckEditable(s.plan), domain.EConflict, "status")
	checkError(t, s.try(domain.ActionReopen, "", " "), domain.EInvalid, "reason")
	s.must(domain.ActionReopen, "", "Class sizes changed in August")
	if s.plan.CurrentStatus() != domain.StatusDraft || s.plan.CurrentRevision() != 2 {
		t.Errorf("after reopening: %s revision %d, want draft revision 2", s.plan.CurrentStatus(), s.plan.CurrentRevision())
	}
	if err := domain.CheckEditable(s.plan); err != nil {
		t.Errorf("a reopened plan is not editable: %v", err)
	}
	if first, ok := s.plan.FirstApproval(); !ok || first.Sequence != 7 {
		t.Errorf("FirstApproval = %+v, %v; want the step at sequence 7", first, ok)
	}
	// The council of revision 1 does not count for revision 2.
	results := domain.CheckCompliance(s.plan, context())
	if got := domain.FailingRules(results, true); len(got) != 1 || got[0] != "sip.council_consulted" {
		t.Errorf("required failures after reopening = %v, want [sip.council_consulted]", got)
	}
	s.must(domain.ActionConsultCouncil, s.today(), "")
	s.must(domain.ActionSubmit, "", "")
	if got := s.plan.CurrentStatus(); got != domain.StatusSubmitted {
		t.Errorf("first submission of revision 2 gave %s, want submitted", got)
	}
}

func TestWorkflowApprovalBlockedByCompliance(t *testing.T) {
	p := completeSIP()
	p.Sections[2].Text = "" // class_size
	s := newStepper(t, p)
	s.must(domain.ActionConsultCouncil, s.today(), "")
	s.must(domain.ActionSubmit, "", "")
	err := s.try(domain.ActionApprove, s.today(), "")
	checkError(t, err, domain.EInvalid, "compliance")
	for _, id := range []string{"sip.class_size_impact", "sip.student_teacher_ratio"} {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("error %q does not name %s", err, id)
		}
	}
	if s.plan.CurrentStatus() != domain.StatusSubmitted {
		t.Errorf("a rejected approval changed the status to %s", s.plan.CurrentStatus())
	}
}

func TestWorkflowDIPAdoption(t *testing.T) {
	p := newDIP(dipID, districtCode)
	p.Sections = nil
	for _, spec := range domain.DIPSections {
		p.Sections = append(p.Sections, domain.Section{Key: spec.Key, Heading: spec.Heading, Text: "Written."})
	}
	s := newStepper(t, p)
	checkError(t, s.try(domain.ActionConsultCouncil, s.today(), ""), domain.EConflict, "status")
	checkError(t, s.try(domain.ActionApprove, s.today(), ""), domain.EConflict, "status")
	s.must(domain.ActionAdopt, s.today(), "")
	if p.CurrentStatus() != domain.StatusAdopted {
		t.Fatalf("status = %s, want adopted", p.CurrentStatus())
	}
	// One objective, no induction text: both advisory.
	if got := p.Workflow[0].AdvisoryFailing; strings.Join(got, ",") != "dip.objective_count,dip.induction_mentoring" {
		t.Errorf("advisory failures = %v", got)
	}
	s.must(domain.ActionReopen, "", "New objective")
	if p.CurrentStatus() != domain.StatusDraft || p.CurrentRevision() != 2 {
		t.Errorf("after reopening: %s revision %d", p.CurrentStatus(), p.CurrentRevision())
	}
}

func TestWorkflowStepTimes(t *testing.T) {
	now := massDay(2017, time.May, 10)
	created := massDay(2016, time.July, 1)
	p := completeSIP()
	consult := func(at time.Time, date string) error {
		_, err := domain.DecideWorkflow(p, domain.WorkflowCommand{Action: domain.ActionConsultCouncil, Date: date,
			EffectiveAt: at, Now: now, PlanCreatedAt: created}, context())
		return err
	}
	checkError(t, consult(now.Add(time.Hour), "2017-05-10"), domain.EInvalid, "effective_date")
	checkError(t, consult(created.Add(-time.Hour), "2016-06-30"), domain.EInvalid, "effective_date")
	checkError(t, consult(time.Time{}, "2017-05-11"), domain.EInvalid, "meeting_date")
	checkError(t, consult(time.Time{}, "May 2017"), domain.EInvalid, "meeting_date")

	d, err := domain.DecideWorkflow(p, domain.WorkflowCommand{Action: domain.ActionConsultCouncil, Date: "2017-04-03",
		EffectiveAt: massDay(2017, time.April, 3), Now: now, PlanCreatedAt: created}, context())
	if err != nil {
		t.Fatal(err)
	}
	s := newStepper(t, p)
	s.apply(d)
	// A later step cannot take effect before this one.
	checkError(t, consult(massDay(2017, time.April, 2), "2017-04-02"), domain.EInvalid, "effective_date")
	if d, err := domain.DecideWorkflow(p, domain.WorkflowCommand{Action: domain.ActionSubmit, Now: now, PlanCreatedAt: created}, context()); err != nil || !d.EffectiveAt.Equal(now) {
		t.Errorf("undated submission: %v at %v, want it at now", err, d.EffectiveAt)
	}
}

func TestPlanJSONStatus(t *testing.T) {
	raw, err := json.Marshal(newSIP())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Status   string `json:"status"`
		Revision int    `json:"revision"`
		Title    string `json:"title"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != "draft" || got.Revision != 1 || got.Title != "School plan" {
		t.Errorf("plan JSON = %s, want status draft, revision 1 and the title", raw)
	}
}

func TestEditableStatuses(t *testing.T) {
	for status, editable := range map[domain.PlanStatus]bool{
		"": true, domain.StatusDraft: true, domain.StatusCouncilConsulted: true, domain.StatusReturned: true,
		domain.StatusSubmitted: false, domain.StatusResubmitted: false, domain.StatusApproved: false, domain.StatusAdopted: false,
	} {
		p := newSIP()
		p.Status = status
		err := domain.CheckEditable(p)
		if editable && err != nil {
			t.Errorf("%q: %v, want editable", status, err)
		}
		if !editable {
			checkError(t, err, domain.EConflict, "status")
		}
	}
}
