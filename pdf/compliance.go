package pdf

import (
	"fmt"
	"strings"

	"github.com/planledger/planledger/domain"
)

// unverifiedMark flags a rule whose legal basis no source at hand
// confirmed; the note under the checklist explains it.
const unverifiedMark = "†"

// stepNames are the trail's labels of the workflow event types.
var stepNames = map[string]string{
	domain.TypePlanCouncilConsulted: "School council consulted",
	domain.TypePlanSubmitted:        "Submitted to the superintendent",
	domain.TypePlanReturned:         "Returned to the principal",
	domain.TypePlanResubmitted:      "Resubmitted",
	domain.TypePlanApproved:         "Approved by the superintendent",
	domain.TypePlanAdopted:          "Adopted by the superintendent",
	domain.TypePlanReopened:         "Reopened for revision",
}

// statusAndCompliance prints, on the page after the cover, the plan's
// workflow status with every step taken and the compliance checklist. The
// checklist is computed here from the document, so it always matches the
// plan printed.
func (r *renderer) statusAndCompliance() {
	r.pdf.AddPage()
	r.heading(statusTitle, 0, 2*lineHeight(sizeBody))
	r.paragraph(r.statusLine(), styleBold, sizeBody)
	r.workflowTrail(r.doc.Plan.Workflow)

	results := r.compliance()
	r.heading(checklistTitle, 0, 2*lineHeight(sizeBody))
	r.paragraph(summaryLine(domain.Summarize(results)), styleRegular, sizeBody)
	r.pdf.SetY(r.pdf.GetY() + 2)
	r.checklist(results)
}

// Headings of the status page.
const (
	statusTitle    = "Status and approval"
	checklistTitle = "Compliance checklist"
)

// statusLine states the plan's workflow status and revision.
func (r *renderer) statusLine() string {
	p := r.doc.Plan
	return fmt.Sprintf("Status: %s · revision %d", strings.ReplaceAll(string(p.CurrentStatus()), "_", " "), p.CurrentRevision())
}

// compliance checks the plan printed against the checklist's rules.
func (r *renderer) compliance() []domain.RuleResult {
	p := r.doc.Plan
	return domain.CheckCompliance(&p, domain.ComplianceContext{
		DistrictPlan: r.doc.DistrictPlan, LanguageMinority: r.doc.LanguageMinority})
}

// workflowTrail prints the workflow steps as a table.
func (r *renderer) workflowTrail(steps []domain.WorkflowStep) {
	if len(steps) == 0 {
		r.paragraph(r.noStepText(), styleMuted, sizeBody)
		return
	}
	cols, cells := trailTable(r.contentWidth(), steps)
	t := r.newTable(cols)
	rows := r.layoutRows(t, cells)
	r.pdf.SetY(r.pdf.GetY() + 2)
	r.drawTable(t, rows)
}

// noStepText is printed in place of the trail when no step is recorded.
func (r *renderer) noStepText() string {
	if r.doc.Plan.Kind == domain.PlanDIP {
		return "No workflow step recorded: the plan is a draft that the superintendent has not adopted."
	}
	return "No workflow step recorded: the plan is a draft that has not been taken to the school council or the superintendent."
}

// trailTable returns the trail table's columns for a content width w and
// its rows. ContentOf shares it with workflowTrail.
func trailTable(w float64, steps []domain.WorkflowStep) ([]column, [][]cell) {
	cols := []column{
		{"Effective (UTC)", 26},
		{"Step", 34},
		{"Recorded by", 56},
		{"Details", w - 116},
	}
	cells := make([][]cell, len(steps))
	for i, s := range steps {
		cells[i] = []cell{
			{{text: s.EffectiveAt.UTC().Format("2006-01-02 15:04")}},
			{{text: stepName(s.Type), style: styleBold}, {text: fmt.Sprintf("plan version %d, revision %d", s.Sequence-1, s.Revision), style: styleMuted}},
			{{text: s.Actor}},
			stepDetails(s),
		}
	}
	return cols, cells
}

func stepName(eventType string) string {
	if name, ok := stepNames[eventType]; ok {
		return name
	}
	return eventType
}

// stepDetails lists what a step recorded besides who took it and when.
func stepDetails(s domain.WorkflowStep) cell {
	var c cell
	switch s.Type {
	case domain.TypePlanCouncilConsulted:
		c = append(c, para{text: "Council met " + s.Date})
	case domain.TypePlanApproved, domain.TypePlanAdopted:
		c = append(c, para{text: "School committee consulted " + s.Date})
	}
	for _, reason := range s.Reasons {
		c = append(c, para{text: "• " + reason})
	}
	if s.Notes != "" {
		label := "Notes: "
		if s.Type == domain.TypePlanReopened {
			label = "Reason: "
		}
		c = append(c, para{text: label + s.Notes})
	}
	if len(s.AdvisoryFailing) > 0 {
		c = append(c, para{text: "Advisory rules failing when approved: " + strings.Join(s.AdvisoryFailing, ", "), style: styleMuted})
	}
	if len(c) == 0 {
		return muted("—")
	}
	return c
}

// summaryLine counts the checklist in one sentence.
func summaryLine(s domain.ComplianceSummary) string {
	line := fmt.Sprintf("%d of %d rules pass.", s.Passed, s.Rules)
	if len(s.RequiredFailing) > 0 {
		line += fmt.Sprintf(" Required rules failing, which block approval: %s.", strings.Join(s.RequiredFailing, ", "))
	} else {
		line += " No required rule fails."
	}
	if len(s.AdvisoryFailing) > 0 {
		line += fmt.Sprintf(" Advisory rules failing: %s.", strings.Join(s.AdvisoryFailing, ", "))
	}
	if len(s.Unknown) > 0 {
		line += fmt.Sprintf(" Could not be checked: %s.", strings.Join(s.Unknown, ", "))
	}
	return line
}

// checklist prints one row per rule: the rule, its citation and whether
// the plan passes it.
func (r *renderer) checklist(results []domain.RuleResult) {
	cols, cells, footnote := checklistTable(r.contentWidth(), results)
	t := r.newTable(cols)
	rows := r.layoutRows(t, cells)
	if footnote != "" {
		t.after = r.noteHeight(footnote)
	}
	r.drawTable(t, rows)
	if footnote != "" {
		r.note(footnote)
	}
}

// checklistTable returns the checklist's columns for a content width w,
// its rows and its footnote, "" when none. ContentOf shares it with
// checklist.
func checklistTable(w float64, results []domain.RuleResult) ([]column, [][]cell, string) {
	cols := []column{
		{"Rule", 58},
		{"Citation", 50},
		{"Result", w - 108},
	}
	cells := make([][]cell, len(results))
	// Every unverified rule today shares one explanation; the first one
	// found is printed under the table.
	unverified := ""
	for i, res := range results {
		kind := "advisory"
		if res.Required {
			kind = "required"
		}
		citation := res.Citation
		if res.Unverified != "" {
			citation += " " + unverifiedMark
			if unverified == "" {
				unverified = res.Unverified
			}
		}
		cells[i] = []cell{
			{{text: res.Title, style: styleBold}, {text: res.ID + " · " + kind, style: styleMuted}},
			{{text: citation}, {text: res.Basis, style: styleMuted}},
			{{text: resultLabel(res.Status), style: styleBold}, {text: res.Detail}},
		}
	}

	footnote := ""
	if unverified != "" {
		footnote = unverifiedMark + " Legal basis UNVERIFIED. " + unverified
	}
	return cols, cells, footnote
}

func resultLabel(status string) string {
	switch status {
	case domain.RulePass:
		return "Pass"
	case domain.RuleFail:
		return "Fail"
	case domain.RuleNotApplicable:
		return "Not applicable"
	case domain.RuleUnknown:
		return "Unknown"
	}
	return status
}
