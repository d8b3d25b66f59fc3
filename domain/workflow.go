package domain

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// PlanStatus is where a plan stands in its approval workflow.
//
// An SIP follows M.G.L. c.71 s.59C as amended by St. 2016, c.255: the
// principal develops it in consultation with the school council and
// submits it to the superintendent, who approves it after consulting the
// school committee, or returns it. A returned plan goes back to the council
// before the principal resubmits it. A DIP is adopted by the
// superintendent after consulting the school committee.
type PlanStatus string

// Plan statuses.
const (
	StatusDraft            PlanStatus = "draft"
	StatusCouncilConsulted PlanStatus = "council_consulted"
	StatusSubmitted        PlanStatus = "submitted"
	StatusReturned         PlanStatus = "returned"
	StatusResubmitted      PlanStatus = "resubmitted"
	StatusApproved         PlanStatus = "approved"
	StatusAdopted          PlanStatus = "adopted"
)

// Workflow event types, one per step.
const (
	TypePlanCouncilConsulted = "plan.council_consulted"
	TypePlanSubmitted        = "plan.submitted"
	TypePlanReturned         = "plan.returned"
	TypePlanResubmitted      = "plan.resubmitted"
	TypePlanApproved         = "plan.approved"
	TypePlanAdopted          = "plan.adopted"
	TypePlanReopened         = "plan.reopened"
)

// Workflow event payloads. Dates are YYYY-MM-DD days in Massachusetts.
type (
	// PlanCouncilConsulted records a school council meeting on the SIP.
	PlanCouncilConsulted struct {
		MeetingDate string `json:"meeting_date"`
		Notes       string `json:"notes,omitempty"`
	}
	// PlanSubmitted records the principal submitting the SIP to the
	// superintendent; PlanResubmitted has the same shape.
	PlanSubmitted struct {
		Note string `json:"note,omitempty"`
	}
	// PlanReturned records the superintendent returning the SIP.
	PlanReturned struct {
		Reasons []string `json:"reasons"`
	}
	// PlanApproved records the superintendent approving an SIP, or, as
	// plan.adopted, adopting a DIP. AdvisoryFailing lists the advisory
	// compliance rules that failed when the approver acted.
	PlanApproved struct {
		SchoolCommitteeConsultedOn string   `json:"school_committee_consulted_on"`
		Note                       string   `json:"note,omitempty"`
		AdvisoryFailing            []string `json:"advisory_failing,omitempty"`
	}
	// PlanReopened records an approved or adopted plan reopened for
	// revision.
	PlanReopened struct {
		Reason string `json:"reason"`
	}
)

// WorkflowStep is one workflow event as the plan keeps it.
type WorkflowStep struct {
	Type        string     `json:"type"`
	From        PlanStatus `json:"from"`
	To          PlanStatus `json:"to"`
	Revision    int        `json:"revision"` // the revision the step acted on
	Sequence    uint64     `json:"sequence"` // the event's aggregate sequence; the plan version it acted on is one less
	Actor       string     `json:"actor"`
	EffectiveAt time.Time  `json:"effective_at"`
	RecordedAt  time.Time  `json:"recorded_at"`
	// Date is the council meeting day or the day the school committee was
	// consulted, for the steps that record one.
	Date            string   `json:"date,omitempty"`
	Notes           string   `json:"notes,omitempty"`
	Reasons         []string `json:"reasons,omitempty"`
	AdvisoryFailing []string `json:"advisory_failing,omitempty"`
}

func init() {
	registerPlanEvent(TypePlanCouncilConsulted, decodeInto(func(p *Plan, c PlanCouncilConsulted, e Event) error {
		p.addStep(e, StatusCouncilConsulted, WorkflowStep{Date: c.MeetingDate, Notes: c.Notes})
		return nil
	}))
	registerPlanEvent(TypePlanSubmitted, decodeInto(func(p *Plan, c PlanSubmitted, e Event) error {
		p.addStep(e, StatusSubmitted, WorkflowStep{Notes: c.Note})
		return nil
	}))
	registerPlanEvent(TypePlanResubmitted, decodeInto(func(p *Plan, c PlanSubmitted, e Event) error {
		p.addStep(e, StatusResubmitted, WorkflowStep{Notes: c.Note})
		return nil
	}))
	registerPlanEvent(TypePlanReturned, decodeInto(func(p *Plan, c PlanReturned, e Event) error {
		p.addStep(e, StatusReturned, WorkflowStep{Reasons: c.Reasons})
		return nil
	}))
	registerPlanEvent(TypePlanApproved, decodeInto(func(p *Plan, c PlanApproved, e Event) error {
		p.addStep(e, StatusApproved, WorkflowStep{Date: c.SchoolCommitteeConsultedOn, Notes: c.Note, AdvisoryFailing: c.AdvisoryFailing})
		return nil
	}))
	registerPlanEvent(TypePlanAdopted, decodeInto(func(p *Plan, c PlanApproved, e Event) error {
		p.addStep(e, StatusAdopted, WorkflowStep{Date: c.SchoolCommitteeConsultedOn, Notes: c.Note, AdvisoryFailing: c.AdvisoryFailing})
		return nil
	}))
	registerPlanEvent(TypePlanReopened, decodeInto(func(p *Plan, c PlanReopened, e Event) error {
		p.addStep(e, StatusDraft, WorkflowStep{Notes: c.Reason})
		p.Revision = p.CurrentRevision() + 1
		return nil
	}))
}

// addStep moves the plan to status to and appends the step. The fold takes
// the step as recorded, because the decision checked it; a fold that
// rejected it would make the plan unreadable.
func (p *Plan) addStep(e Event, to PlanStatus, step WorkflowStep) {
	step.Type, step.From, step.To = e.Type, p.CurrentStatus(), to
	step.Revision = p.CurrentRevision()
	step.Sequence, step.Actor = e.Sequence, e.Actor
	step.EffectiveAt, step.RecordedAt = e.EffectiveAt, e.RecordedAt
	p.Status = to
	if p.Revision == 0 {
		p.Revision = 1
	}
	// Appending to a clipped slice copies it, so plans folded from the same
	// earlier state never share the new element.
	p.Workflow = append(slices.Clip(p.Workflow), step)
}

// CurrentStatus returns the plan's status, draft before any step.
func (p *Plan) CurrentStatus() PlanStatus {
	if p.Status == "" {
		return StatusDraft
	}
	return p.Status
}

// CurrentRevision returns the plan's revision, 1 before any reopening.
func (p *Plan) CurrentRevision() int {
	return max(p.Revision, 1)
}

// MarshalJSON writes the status and revision a plan has before its first
// workflow step, so every plan in the API shows them.
func (p Plan) MarshalJSON() ([]byte, error) {
	type plain Plan // drops this method, so Marshal does not recurse
	c := plain(p)
	c.Status, c.Revision = p.CurrentStatus(), p.CurrentRevision()
	return json.Marshal(c)
}

// currentCycle returns the steps of the current revision.
func (p *Plan) currentCycle() []WorkflowStep {
	rev := p.CurrentRevision()
	for i, s := range p.Workflow {
		if s.Revision == rev && s.Type != TypePlanReopened {
			return p.Workflow[i:]
		}
	}
	return nil
}

// lastStep returns the latest step of the given type in the current
// revision.
func (p *Plan) lastStep(eventType string) (WorkflowStep, bool) {
	cycle := p.currentCycle()
	for i := len(cycle) - 1; i >= 0; i-- {
		if cycle[i].Type == eventType {
			return cycle[i], true
		}
	}
	return WorkflowStep{}, false
}

// FirstApproval returns the first step that approved an SIP or adopted a
// DIP, in any revision.
func (p *Plan) FirstApproval() (WorkflowStep, bool) {
	for _, s := range p.Workflow {
		if s.Type == TypePlanApproved || s.Type == TypePlanAdopted {
			return s, true
		}
	}
	return WorkflowStep{}, false
}

// WorkflowAction is a step a caller asks for.
type WorkflowAction string

// Workflow actions.
const (
	ActionConsultCouncil WorkflowAction = "consult_council"
	ActionSubmit         WorkflowAction = "submit" // submits or, after a return, resubmits
	ActionReturn         WorkflowAction = "return"
	ActionApprove        WorkflowAction = "approve"
	ActionAdopt          WorkflowAction = "adopt"
	ActionReopen         WorkflowAction = "reopen"
)

// ActionInfo describes how an action is called and who may call it.
type ActionInfo struct {
	Action     WorkflowAction `json:"action"`
	Path       string         `json:"path"` // POST under /v1/plans/{id}
	Permission Permission     `json:"permission"`
	Roles      []Role         `json:"roles"`
}

var actionPaths = map[WorkflowAction]struct {
	path string
	perm Permission
}{
	ActionConsultCouncil: {"council-consultations", PermCouncilReview},
	ActionSubmit:         {"submissions", PermSubmitPlan},
	ActionReturn:         {"returns", PermApprovePlan},
	ActionApprove:        {"approvals", PermApprovePlan},
	ActionAdopt:          {"adoptions", PermApprovePlan},
	ActionReopen:         {"reopenings", PermEditPlan},
}

// ActionPermission returns the permission an action needs.
func ActionPermission(a WorkflowAction) Permission {
	return actionPaths[a].perm
}

// NextActions lists the actions the plan's kind and status allow.
func NextActions(p *Plan) []WorkflowAction {
	status := p.CurrentStatus()
	if p.Kind == PlanDIP {
		switch status {
		case StatusDraft:
			return []WorkflowAction{ActionAdopt}
		case StatusAdopted:
			return []WorkflowAction{ActionReopen}
		}
		return nil
	}
	switch status {
	case StatusDraft, StatusReturned:
		return []WorkflowAction{ActionConsultCouncil}
	case StatusCouncilConsulted:
		return []WorkflowAction{ActionConsultCouncil, ActionSubmit}
	case StatusSubmitted, StatusResubmitted:
		return []WorkflowAction{ActionReturn, ActionApprove}
	case StatusApproved:
		return []WorkflowAction{ActionReopen}
	}
	return nil
}

// NextActionInfo describes NextActions with their paths and roles. The
// roles are those Authorize accepts on the plan's org type; Authorize also
// checks that the principal acts for the plan's school or district.
func NextActionInfo(p *Plan) []ActionInfo {
	target := OrgSchool
	if p.Kind == PlanDIP {
		target = OrgDistrict
	}
	var out []ActionInfo
	for _, a := range NextActions(p) {
		info := actionPaths[a]
		out = append(out, ActionInfo{Action: a, Path: "/v1/plans/" + p.ID + "/" + info.path,
			Permission: info.perm, Roles: RolesAllowedOn(info.perm, target)})
	}
	return out
}

func describeNext(p *Plan) string {
	infos := NextActionInfo(p)
	if len(infos) == 0 {
		return "none"
	}
	parts := make([]string, len(infos))
	for i, a := range infos {
		parts[i] = fmt.Sprintf("%s (POST %s, role %s)", a.Action, a.Path, joinRoles(a.Roles))
	}
	return strings.Join(parts, "; ")
}

// Editable reports whether the plan's content may change: while it is a
// draft, after the council was consulted and before submission, or after a
// return.
func Editable(p *Plan) bool {
	switch p.CurrentStatus() {
	case StatusDraft, StatusCouncilConsulted, StatusReturned:
		return true
	}
	return false
}

// CheckEditable rejects a content edit to a plan under review or approved.
// An approved plan changes only after a reopening, which starts a new
// revision and is recorded in the workflow.
func CheckEditable(p *Plan) error {
	if Editable(p) {
		return nil
	}
	switch p.CurrentStatus() {
	case StatusApproved, StatusAdopted:
		return Errorf(EConflict, "status",
			"plan %s is %s (revision %d), so its content is fixed; reopen it first with POST /v1/plans/%s/reopenings, which starts revision %d",
			p.ID, p.CurrentStatus(), p.CurrentRevision(), p.ID, p.CurrentRevision()+1)
	}
	return Errorf(EConflict, "status",
		"plan %s is %s and under the approver's review, so its content cannot change; allowed next steps: %s",
		p.ID, p.CurrentStatus(), describeNext(p))
}

// WorkflowCommand asks for one workflow step.
type WorkflowCommand struct {
	Action WorkflowAction
	// Date is the council meeting day (consult_council) or the day the
	// school committee was consulted (approve, adopt), YYYY-MM-DD.
	Date    string
	Notes   string   // notes of the meeting, the submission or approval, or the reason to reopen
	Reasons []string // why the approver returns the plan
	// EffectiveAt is when the step happened; zero means Now.
	EffectiveAt time.Time
	Now         time.Time
	// PlanCreatedAt is when the plan took effect; no step may precede it.
	PlanCreatedAt time.Time
}

// DecideWorkflow checks that the action may follow the plan's status and
// that its inputs are complete, and returns its event. Approval and
// adoption also need every required compliance rule to pass.
func DecideWorkflow(p *Plan, c WorkflowCommand, ctx ComplianceContext) (Draft, error) {
	if !slices.Contains(NextActions(p), c.Action) {
		return Draft{}, Errorf(EConflict, "status", "%s %s is %s, so it cannot %s; allowed next steps: %s",
			strings.ToUpper(string(p.Kind)), p.ID, p.CurrentStatus(), c.Action, describeNext(p))
	}
	at, err := stepTime(p, c)
	if err != nil {
		return Draft{}, err
	}
	d := Draft{EffectiveAt: at}
	switch c.Action {
	case ActionConsultCouncil:
		day, err := checkStepDate("meeting_date", c.Date, at)
		if err != nil {
			return Draft{}, err
		}
		if ret, ok := p.lastStep(TypePlanReturned); ok && day.Before(dayOf(ret.EffectiveAt)) {
			return Draft{}, Errorf(EInvalid, "meeting_date",
				"the plan was returned on %s; after a return the council is consulted again, so the meeting must be on or after that day",
				dayOf(ret.EffectiveAt).Format(time.DateOnly))
		}
		d.Type, d.Payload = TypePlanCouncilConsulted, PlanCouncilConsulted{MeetingDate: c.Date, Notes: strings.TrimSpace(c.Notes)}
	case ActionSubmit:
		d.Type, d.Payload = TypePlanSubmitted, PlanSubmitted{Note: strings.TrimSpace(c.Notes)}
		if _, returned := p.lastStep(TypePlanReturned); returned {
			d.Type = TypePlanResubmitted
		}
	case ActionReturn:
		reasons, err := cleanReasons(c.Reasons)
		if err != nil {
			return Draft{}, err
		}
		d.Type, d.Payload = TypePlanReturned, PlanReturned{Reasons: reasons}
	case ActionApprove, ActionAdopt:
		if _, err := checkStepDate("school_committee_consulted_on", c.Date, at); err != nil {
			return Draft{}, err
		}
		results := CheckCompliance(p, ctx)
		if failing := FailingRules(results, true); len(failing) > 0 {
			return Draft{}, Errorf(EInvalid, "compliance",
				"required compliance rules fail: %s; see GET /v1/plans/%s/compliance for what each one misses",
				strings.Join(failing, ", "), p.ID)
		}
		d.Type = TypePlanApproved
		if c.Action == ActionAdopt {
			d.Type = TypePlanAdopted
		}
		d.Payload = PlanApproved{SchoolCommitteeConsultedOn: c.Date, Note: strings.TrimSpace(c.Notes),
			AdvisoryFailing: FailingRules(results, false)}
	case ActionReopen:
		reason := strings.TrimSpace(c.Notes)
		if reason == "" {
			return Draft{}, Errorf(EInvalid, "reason", "say why the %s plan is reopened; the reason is kept in its workflow", p.CurrentStatus())
		}
		d.Type, d.Payload = TypePlanReopened, PlanReopened{Reason: reason}
	}
	return d, nil
}

// stepTime resolves when a step happens and checks it against the clock,
// the plan's start and the previous step, so that the steps of a plan are
// in order on the effective time line too and an as-of read sees a prefix
// of them.
func stepTime(p *Plan, c WorkflowCommand) (time.Time, error) {
	at := c.EffectiveAt
	if at.IsZero() {
		at = c.Now
		if c.PlanCreatedAt.After(at) {
			at = c.PlanCreatedAt
		}
	}
	if at.After(c.Now) {
		return time.Time{}, Errorf(EInvalid, "effective_date",
			"a workflow step records something that has happened; effective_date %s is later than now", at.Format(time.RFC3339))
	}
	if at.Before(c.PlanCreatedAt) {
		return time.Time{}, Errorf(EInvalid, "effective_date",
			"the step cannot take effect before the plan does (%s)", c.PlanCreatedAt.Format(time.RFC3339))
	}
	if n := len(p.Workflow); n > 0 && at.Before(p.Workflow[n-1].EffectiveAt) {
		last := p.Workflow[n-1]
		return time.Time{}, Errorf(EInvalid, "effective_date",
			"the previous step (%s) took effect %s; a later step cannot take effect before it",
			last.Type, last.EffectiveAt.Format(time.RFC3339))
	}
	return at, nil
}

// checkStepDate parses a required day and checks that it is not after the
// step that records it.
func checkStepDate(field, value string, at time.Time) (time.Time, error) {
	if strings.TrimSpace(value) == "" {
		return time.Time{}, Errorf(EInvalid, field, "%s is required: the day, such as 2017-06-15", field)
	}
	day, err := time.ParseInLocation(time.DateOnly, value, massachusetts)
	if err != nil {
		return time.Time{}, Errorf(EInvalid, field, "%s %q is not a date such as 2017-06-15", field, value)
	}
	if err := checkYear(field, day.Year()); err != nil {
		return time.Time{}, err
	}
	if day.After(dayOf(at)) {
		return time.Time{}, Errorf(EInvalid, field, "%s %s is after the step itself (%s); record the step once the meeting has happened",
			field, value, dayOf(at).Format(time.DateOnly))
	}
	return day, nil
}

func cleanReasons(reasons []string) ([]string, error) {
	var out []string
	for i, r := range reasons {
		r = strings.TrimSpace(r)
		if r == "" {
			return nil, Errorf(EInvalid, fmt.Sprintf("reasons/%d", i), "a reason is blank; write what the principal must change")
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, Errorf(EInvalid, "reasons", "a returned plan needs at least one reason, so the principal and council know what to change")
	}
	return out, nil
}
