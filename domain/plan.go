package domain

import (
	"fmt"
	"slices"
)

// PlanKind is DIP (a district's three-year improvement plan) or SIP (a
// school's annual improvement plan).
type PlanKind string

const (
	PlanDIP PlanKind = "dip"
	PlanSIP PlanKind = "sip"
)

// Plan is the state of one DIP or SIP, folded from its events. Years are
// school years named by their spring, as DESE does: 2017 is 2016-17.
type Plan struct {
	ID             string      `json:"id"`
	Kind           PlanKind    `json:"kind"`
	OrgCode        string      `json:"org_code"`
	DistrictPlanID string      `json:"district_plan_id,omitempty"` // the DIP an SIP aligns with
	FirstYear      int         `json:"first_year"`
	LastYear       int         `json:"last_year"`
	Title          string      `json:"title"`
	Note           string      `json:"note,omitempty"` // provenance, e.g. which text is illustrative
	Sections       []Section   `json:"sections"`
	Objectives     []Objective `json:"objectives,omitempty"`
	Goals          []Goal      `json:"goals,omitempty"`
	// Template names the library template the plan was created from.
	Template *TemplateRef `json:"template,omitempty"`
	// Status is where the plan stands in its approval workflow, Revision
	// counts its approvals reopened plus one, and Workflow lists every step
	// taken (workflow.go). A plan without steps is a draft of revision 1.
	Status   PlanStatus     `json:"status"`
	Revision int            `json:"revision"`
	Workflow []WorkflowStep `json:"workflow,omitempty"`
	// Actuals are the measured values recorded against the plan's
	// measures, one per measure and year, in the order recorded.
	Actuals []MeasureActual `json:"actuals,omitempty"`
	// Analyses are the data analyses the plan rests on; see analysis.go.
	Analyses []Analysis `json:"analyses,omitempty"`
}

// Section is a narrative part of a plan.
type Section struct {
	Key     string `json:"key"`
	Heading string `json:"heading"`
	Text    string `json:"text"`
	// Prompt is the guidance of the template the plan was created from,
	// for a section the creation left unwritten. It is never plan content.
	Prompt string `json:"prompt,omitempty"`
}

// Objective is a DIP strategic objective with its initiatives and outcomes.
type Objective struct {
	ID          string       `json:"id"`
	Title       string       `json:"title"`
	Statement   string       `json:"statement"`
	Standards   []string     `json:"standards"` // keys of DistrictStandards
	Owner       string       `json:"owner"`     // a role title, never a person's name
	Timeline    string       `json:"timeline"`
	Initiatives []Initiative `json:"initiatives"`
	Outcomes    []Measure    `json:"outcomes"`
	// Answers lists the district review recommendations the objective
	// responds to.
	Answers []RecommendationRef `json:"answers,omitempty"`
	// Indicators and Conditions complete Standards as the objective's
	// citations of the framework (see Citations).
	Indicators []string `json:"indicators,omitempty"`
	Conditions []string `json:"conditions,omitempty"`
	// SelfEvaluations names the self-evaluation ratings the objective
	// answers.
	SelfEvaluations []SelfEvaluationRef `json:"self_evaluations,omitempty"`
}

// Initiative is a strategic initiative serving one objective.
type Initiative struct {
	Text     string `json:"text"`
	Owner    string `json:"owner"`
	Timeline string `json:"timeline"`
}

// Measure is a measurable outcome with its target.
type Measure struct {
	Description string `json:"description"`
	Baseline    string `json:"baseline,omitempty"`
	Target      string `json:"target"`
	// Illustrative marks a target written for the bundled data, not taken
	// from the source plan.
	Illustrative bool `json:"illustrative,omitempty"`
	// ID optionally names the measure within its goal or objective, so
	// actuals recorded against it follow it when measures are reordered.
	ID string `json:"id,omitempty"`
	// BaselineValue, TargetValue, Unit, Direction and TargetYear state the
	// baseline and target as numbers where the plan gives them, so that
	// progress can be computed (see ProgressOf).
	BaselineValue *float64 `json:"baseline_value,omitempty"`
	TargetValue   *float64 `json:"target_value,omitempty"`
	Unit          string   `json:"unit,omitempty"`        // such as "%" or "students"
	Direction     string   `json:"direction,omitempty"`   // DirectionHigher or DirectionLower is better
	TargetYear    int      `json:"target_year,omitempty"` // school year by its spring; 0 means the plan's last year
}

// Goal is an SIP performance goal.
type Goal struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Statement  string    `json:"statement"`
	Owner      string    `json:"owner"`
	Timeline   string    `json:"timeline"`
	Actions    []Action  `json:"actions"`
	Measures   []Measure `json:"measures"`
	Objectives []string  `json:"objectives"` // ids of the DIP objectives the goal advances
	// Answers lists the recommendations of reviews of the school's
	// district that the goal responds to.
	Answers []RecommendationRef `json:"answers,omitempty"`
	// Standards, Indicators and Conditions are the goal's own citations of
	// the framework (see Citations), besides those of its objectives.
	Standards  []string `json:"standards,omitempty"`
	Indicators []string `json:"indicators,omitempty"`
	Conditions []string `json:"conditions,omitempty"`
}

// Action is a step toward an SIP goal.
type Action struct {
	Text     string `json:"text"`
	Owner    string `json:"owner"`
	Timeline string `json:"timeline"`
}

// Event payloads of the plan aggregate.
type (
	PlanCreated struct {
		ID             string            `json:"id"`
		Kind           PlanKind          `json:"kind"`
		OrgCode        string            `json:"org_code"`
		DistrictPlanID string            `json:"district_plan_id,omitempty"`
		FirstYear      int               `json:"first_year"`
		LastYear       int               `json:"last_year"`
		Title          string            `json:"title"`
		Note           string            `json:"note,omitempty"`
		Sections       map[string]string `json:"sections,omitempty"`
		Template       *TemplateRef      `json:"template,omitempty"`
		Prompts        map[string]string `json:"prompts,omitempty"` // template guidance per unwritten section
	}
	PlanRetitled struct {
		Title string `json:"title"`
	}
	SectionRevised struct {
		Key  string `json:"key"`
		Text string `json:"text"`
	}
	ObjectiveAdded struct {
		Objective Objective `json:"objective"`
	}
	ObjectiveRevised struct {
		Objective Objective `json:"objective"`
	}
	ObjectiveRemoved struct {
		ObjectiveID string `json:"objective_id"`
	}
	GoalAdopted struct {
		Goal Goal `json:"goal"`
	}
	GoalRevised struct {
		Goal Goal `json:"goal"`
	}
	GoalWithdrawn struct {
		GoalID string `json:"goal_id"`
	}
)

// Apply folds one event into the plan. It must be deterministic: the same
// events in the same order give the same plan, so "now" and "as of" reads
// share this code.
func (p *Plan) Apply(e Event) error {
	switch e.Type {
	case TypePlanCreated:
		var c PlanCreated
		if err := e.Decode(&c); err != nil {
			return err
		}
		*p = Plan{ID: c.ID, Kind: c.Kind, OrgCode: c.OrgCode, DistrictPlanID: c.DistrictPlanID,
			FirstYear: c.FirstYear, LastYear: c.LastYear, Title: c.Title, Note: c.Note, Template: c.Template}
		for _, spec := range SectionsFor(c.Kind) {
			p.Sections = append(p.Sections, Section{Key: spec.Key, Heading: spec.Heading, Text: c.Sections[spec.Key],
				Prompt: c.Prompts[spec.Key]})
		}
	case TypePlanRetitled:
		var c PlanRetitled
		if err := e.Decode(&c); err != nil {
			return err
		}
		p.Title = c.Title
	case TypeSectionRevised:
		var c SectionRevised
		if err := e.Decode(&c); err != nil {
			return err
		}
		if i := p.sectionIndex(c.Key); i >= 0 {
			p.Sections[i].Text = c.Text
		}
	case TypeObjectiveAdded:
		var c ObjectiveAdded
		if err := e.Decode(&c); err != nil {
			return err
		}
		p.Objectives = append(p.Objectives, c.Objective)
	case TypeObjectiveRevised:
		var c ObjectiveRevised
		if err := e.Decode(&c); err != nil {
			return err
		}
		if i := p.ObjectiveIndex(c.Objective.ID); i >= 0 {
			p.Objectives[i] = c.Objective
		}
	case TypeObjectiveRemoved:
		var c ObjectiveRemoved
		if err := e.Decode(&c); err != nil {
			return err
		}
		if i := p.ObjectiveIndex(c.ObjectiveID); i >= 0 {
			p.Objectives = slices.Delete(p.Objectives, i, i+1)
		}
	case TypeGoalAdopted:
		var c GoalAdopted
		if err := e.Decode(&c); err != nil {
			return err
		}
		p.Goals = append(p.Goals, c.Goal)
	case TypeGoalRevised:
		var c GoalRevised
		if err := e.Decode(&c); err != nil {
			return err
		}
		if i := p.GoalIndex(c.Goal.ID); i >= 0 {
			p.Goals[i] = c.Goal
		}
	case TypeGoalWithdrawn:
		var c GoalWithdrawn
		if err := e.Decode(&c); err != nil {
			return err
		}
		if i := p.GoalIndex(c.GoalID); i >= 0 {
			p.Goals = slices.Delete(p.Goals, i, i+1)
		}
	default:
		if apply, ok := planEvents[e.Type]; ok {
			return apply(p, e)
		}
		return fmt.Errorf("apply plan event %s: unknown type %q", e.ID, e.Type)
	}
	return nil
}

func (p *Plan) sectionIndex(key string) int {
	return slices.IndexFunc(p.Sections, func(s Section) bool { return s.Key == key })
}

// ObjectiveIndex returns the position of an objective, or -1.
func (p *Plan) ObjectiveIndex(id string) int {
	return slices.IndexFunc(p.Objectives, func(o Objective) bool { return o.ID == id })
}

// GoalIndex returns the position of a goal, or -1.
func (p *Plan) GoalIndex(id string) int {
	return slices.IndexFunc(p.Goals, func(g Goal) bool { return g.ID == id })
}

// SchoolYearLabel names a school year by its span, 2017 -> "2016-17".
func SchoolYearLabel(year int) string {
	return fmt.Sprintf("%d-%02d", year-1, year%100)
}

// PeriodLabel names a plan's period, e.g. "2015-16 to 2017-18".
func (p *Plan) PeriodLabel() string {
	if p.FirstYear == p.LastYear {
		return SchoolYearLabel(p.FirstYear)
	}
	return SchoolYearLabel(p.FirstYear) + " to " + SchoolYearLabel(p.LastYear)
}
