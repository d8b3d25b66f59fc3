package domain

import (
	"fmt"
	"slices"
)

// SelfEvaluationRef names one rating of a self-evaluation that a DIP
// objective answers: the self-evaluation's id and the rated standard.
type SelfEvaluationRef struct {
	ID       string `json:"id"`
	Standard string `json:"standard"`
}

// Citations returns what the objective cites.
func (o Objective) Citations() Citations {
	return Citations{Standards: o.Standards, Indicators: o.Indicators, Conditions: o.Conditions}
}

// Citations returns what the goal cites itself, not through its objectives.
func (g Goal) Citations() Citations {
	return Citations{Standards: g.Standards, Indicators: g.Indicators, Conditions: g.Conditions}
}

// validatePlanCitations checks an item's citations against the framework
// version of the plan, or against the latest version when p is nil, as for
// a plan template that no school year fixes. Nothing cited needs no
// version, so a plan for a year before the first version may still hold
// uncited goals.
func validatePlanCitations(p *Plan, c Citations) error {
	if c.Empty() {
		return nil
	}
	if p == nil {
		return ValidateCitations("", c, frameworks[len(frameworks)-1].Version)
	}
	f, err := FrameworkForPlan(p)
	if err != nil {
		return prefixField(err, "standards")
	}
	return ValidateCitations("", c, f.Version)
}

// validateSelfEvaluationRefs checks that each self-evaluation an objective
// answers belongs to the plan's district, ends before the plan does, has
// rated the standard, and that the objective cites that standard.
func validateSelfEvaluationRefs(p *Plan, o Objective, look Lookup) error {
	if len(o.SelfEvaluations) == 0 {
		return nil
	}
	if p == nil {
		return Errorf(EInvalid, "self_evaluations", "a template objective answers no self-evaluation; leave self_evaluations out")
	}
	evals, ok := look.(SelfEvaluationLookup)
	if !ok {
		return Errorf(EInternal, "self_evaluations", "self-evaluations cannot be looked up here")
	}
	seen := map[SelfEvaluationRef]bool{}
	for i, ref := range o.SelfEvaluations {
		field := fmt.Sprintf("self_evaluations/%d", i)
		if seen[ref] {
			return Errorf(EInvalid, field, "the objective cites %s's rating of %s twice", ref.ID, ref.Standard)
		}
		seen[ref] = true
		s, ok := evals.SelfEvaluation(ref.ID)
		if !ok {
			return Errorf(EInvalid, field+"/id", "self-evaluation %q not found; list the district's at GET /v1/orgs/%s/self-evaluations", ref.ID, p.OrgCode)
		}
		if s.DistrictCode != p.OrgCode {
			return Errorf(EInvalid, field+"/id", "self-evaluation %s belongs to district %s, not to this plan's district %s", s.ID, s.DistrictCode, p.OrgCode)
		}
		if s.Year >= p.LastYear {
			return Errorf(EInvalid, field+"/id", "self-evaluation %s is for %s, which leaves no later year of this plan (%s) to answer it",
				s.ID, SchoolYearLabel(s.Year), p.PeriodLabel())
		}
		if _, ok := s.Rating(ref.Standard); !ok {
			return Errorf(EInvalid, field+"/standard", "self-evaluation %s has not rated %q", s.ID, ref.Standard)
		}
		if !slices.Contains(o.Standards, ref.Standard) {
			return Errorf(EInvalid, field+"/standard", "the objective answers the rating of %s but does not cite it; add %q to standards", ref.Standard, ref.Standard)
		}
	}
	return nil
}
