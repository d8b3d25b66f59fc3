package projections

import (
	"slices"

	"github.com/planledger/planledger/domain"
)

// Alignment relates a DIP's objectives to the goals of the SIPs that align
// with it, as of one instant.
type Alignment struct {
	DistrictPlanID string               `json:"district_plan_id"`
	DistrictCode   string               `json:"district_code"`
	Title          string               `json:"title"`
	AsOf           AsOf                 `json:"as_of"`
	Objectives     []ObjectiveAlignment `json:"objectives"`
	// Unserved lists DIP objectives that no SIP goal cites.
	Unserved []ObjectiveRef `json:"unserved_objectives"`
	// CitingNone lists SIP goals that cite no DIP objective.
	CitingNone []GoalRef `json:"goals_citing_none"`
	// CitingUnknown lists SIP goals that cite an objective the DIP does not
	// have (at this instant, for example after the objective was removed).
	CitingUnknown []GoalRef `json:"goals_citing_unknown"`
}

// ObjectiveAlignment is one DIP objective and the SIP goals that serve it.
type ObjectiveAlignment struct {
	ObjectiveRef
	ServedBy []GoalRef `json:"served_by"`
}

// ObjectiveRef names a DIP objective.
type ObjectiveRef struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Standards []string `json:"standards"`
}

// GoalRef names an SIP goal and the school plan it belongs to.
type GoalRef struct {
	PlanID     string   `json:"plan_id"`
	OrgCode    string   `json:"org_code"`
	SchoolName string   `json:"school_name"`
	Year       int      `json:"school_year"`
	GoalID     string   `json:"goal_id"`
	Title      string   `json:"title"`
	Unknown    []string `json:"unknown_objectives,omitempty"`
}

// AlignmentFor builds the alignment of the DIP a plan belongs to: the plan
// itself when it is a DIP, its district plan when it is an SIP.
func (p *Projector) AlignmentFor(planID string, at AsOf) (Alignment, error) {
	view, err := p.PlanAt(planID, at)
	if err != nil {
		return Alignment{}, err
	}
	dip := view.Plan
	if dip.Kind == domain.PlanSIP {
		dv, err := p.PlanAt(dip.DistrictPlanID, at)
		if err != nil {
			return Alignment{}, err
		}
		dip = dv.Plan
	}

	out := Alignment{DistrictPlanID: dip.ID, DistrictCode: dip.OrgCode, Title: dip.Title, AsOf: at,
		Objectives: []ObjectiveAlignment{}, Unserved: []ObjectiveRef{},
		CitingNone: []GoalRef{}, CitingUnknown: []GoalRef{}}
	index := map[string]int{}
	for i, o := range dip.Objectives {
		index[o.ID] = i
		out.Objectives = append(out.Objectives, ObjectiveAlignment{
			ObjectiveRef: ObjectiveRef{ID: o.ID, Title: o.Title, Standards: o.Standards},
			ServedBy:     []GoalRef{},
		})
	}

	for _, sip := range p.sipsOf(dip, at) {
		school, _ := p.Org(sip.OrgCode)
		for _, g := range sip.Goals {
			ref := GoalRef{PlanID: sip.ID, OrgCode: sip.OrgCode, SchoolName: school.Name,
				Year: sip.FirstYear, GoalID: g.ID, Title: g.Title}
			if len(g.Objectives) == 0 {
				out.CitingNone = append(out.CitingNone, ref)
			}
			// Collect unknown citations first, so every served_by entry of
			// the goal carries the same list whatever the citation order.
			for _, id := range g.Objectives {
				if _, ok := index[id]; !ok {
					ref.Unknown = append(ref.Unknown, id)
				}
			}
			for _, id := range g.Objectives {
				if i, ok := index[id]; ok {
					out.Objectives[i].ServedBy = append(out.Objectives[i].ServedBy, ref)
				}
			}
			if len(ref.Unknown) > 0 {
				out.CitingUnknown = append(out.CitingUnknown, ref)
			}
		}
	}
	for _, o := range out.Objectives {
		if len(o.ServedBy) == 0 {
			out.Unserved = append(out.Unserved, o.ObjectiveRef)
		}
	}
	return out, nil
}

// sipsOf returns, as of the instant, the SIPs that align with a DIP, ordered
// by school code and year.
func (p *Projector) sipsOf(dip domain.Plan, at AsOf) []domain.Plan {
	p.mu.RLock()
	var ids []string
	for code, planIDs := range p.orgPlans {
		if domain.DistrictCodeOf(code) != dip.OrgCode {
			continue
		}
		for _, id := range planIDs {
			if cur := p.plans[id].current; cur.Kind == domain.PlanSIP && cur.DistrictPlanID == dip.ID {
				ids = append(ids, id)
			}
		}
	}
	p.mu.RUnlock()

	var out []domain.Plan
	for _, id := range ids {
		if v, err := p.PlanAt(id, at); err == nil {
			out = append(out, v.Plan)
		}
	}
	slices.SortFunc(out, func(a, b domain.Plan) int {
		if a.OrgCode != b.OrgCode {
			if a.OrgCode < b.OrgCode {
				return -1
			}
			return 1
		}
		return a.FirstYear - b.FirstYear
	})
	return out
}
