package importer

import (
	"fmt"

	"github.com/planledger/planledger/domain"
)

// importPlans creates each plan that does not exist yet and adds its
// objectives or goals. Unlike orgs and levels, every plan event is followed
// by a wait for the read model, because the next decision reads the plan
// (and an SIP's goals read its DIP) from there.
func (r *runner) importPlans(plans []PlanBundle, actor string) error {
	total := 0
	for _, b := range plans {
		total += 1 + bundleItems(b)
	}
	r.report(PhasePlans, 0, total)

	// Orgs and levels were appended without waiting, but plan decisions look
	// orgs up in the read model.
	if r.lastStream > 0 {
		if err := r.state.WaitFor(r.ctx, r.lastStream); err != nil {
			return fmt.Errorf("wait for the read model to apply the imported orgs: %w", err)
		}
	}
	done := 0
	for _, b := range plans {
		if err := r.stopped(); err != nil {
			return err
		}
		if err := r.importPlan(b, actor, &done, total); err != nil {
			return err
		}
	}
	return nil
}

// bundleItems counts the events a bundle adds after plan.created.
func bundleItems(b PlanBundle) int {
	return len(b.Objectives) + len(b.Goals) + len(b.Analyses)
}

func (r *runner) importPlan(b PlanBundle, actor string, done *int, total int) error {
	items := bundleItems(b)
	start := 0
	if existing, ok := r.state.Plan(b.ID); ok {
		n, resumable := resumePoint(existing, r.state.Sequence(domain.KindPlan, b.ID), b)
		if !resumable || n == items {
			r.sum.PlansSkipped++
			*done += 1 + items
			r.report(PhasePlans, *done, total)
			return nil
		}
		r.sum.PlansResumed++
		start = n
		*done += 1 + n
	} else {
		d, err := domain.DecideCreatePlan(b.CreatePlan, r.state)
		if err != nil {
			return planError(b, "create the plan", err)
		}
		d.EffectiveAt = b.EffectiveAt
		if err := r.appendPlan(b.ID, domain.TypePlanCreated+"/"+b.ID, actor, d); err != nil {
			return planError(b, "create the plan", err)
		}
		r.sum.PlansCreated++
		*done++
		r.tick(PhasePlans, *done, total)
	}

	for i := start; i < items; i++ {
		if err := r.stopped(); err != nil {
			return err
		}
		plan, ok := r.state.Plan(b.ID)
		if !ok {
			return planError(b, "add its items", fmt.Errorf("the read model does not show the plan after it was created"))
		}
		var (
			d    domain.Draft
			err  error
			key  string
			what string
		)
		planned := len(b.Objectives) + len(b.Goals)
		if i >= planned {
			d, key, what, err = r.decideAnalysis(plan, b.Analyses[i-planned], i-planned)
		} else if b.Kind == domain.PlanDIP {
			o := b.Objectives[i]
			what = fmt.Sprintf("add objectives/%d (%s)", i, o.Title)
			d, err = domain.DecideAddObjective(plan, o, r.state)
			key = fmt.Sprintf("%s/%s/%s", domain.TypeObjectiveAdded, b.ID, o.ID)
		} else {
			g := b.Goals[i]
			what = fmt.Sprintf("adopt goals/%d (%s)", i, g.Title)
			d, err = domain.DecideAdoptGoal(plan, g, r.state)
			key = fmt.Sprintf("%s/%s/%s", domain.TypeGoalAdopted, b.ID, g.ID)
		}
		if err != nil {
			return planError(b, what, err)
		}
		// An item takes effect with its plan, so an as-of view of the plan's
		// first day shows it whole.
		d.EffectiveAt = b.EffectiveAt
		if err := r.appendPlan(b.ID, key, actor, d); err != nil {
			return planError(b, what, err)
		}
		switch {
		case i >= planned:
			r.sum.AnalysesRecorded++
		case b.Kind == domain.PlanDIP:
			r.sum.ObjectivesAdded++
		default:
			r.sum.GoalsAdopted++
		}
		*done++
		r.tick(PhasePlans, *done, total)
	}
	return nil
}

// decideAnalysis checks the j-th data analysis of a bundle against the
// bundled comparison data.
func (r *runner) decideAnalysis(plan *domain.Plan, a domain.Analysis, j int) (d domain.Draft, key, what string, err error) {
	what = fmt.Sprintf("record analyses/%d (%s)", j, a.Title)
	data, err := BundledDataset()
	if err != nil {
		return d, "", what, err
	}
	d, err = domain.DecideRecordAnalysis(plan, a, data)
	return d, fmt.Sprintf("%s/%s/%s", domain.TypeAnalysisRecorded, plan.ID, a.ID), what, err
}

// appendPlan appends a plan event and waits until the read model shows it.
func (r *runner) appendPlan(planID, key, actor string, d domain.Draft) error {
	ev, err := r.append(domain.KindPlan, planID, key, actor, d)
	if err != nil {
		return err
	}
	if err := r.state.WaitFor(r.ctx, ev.StreamSequence); err != nil {
		return fmt.Errorf("wait for the read model to apply %s: %w", d.Type, err)
	}
	return nil
}

// resumePoint returns how many of the bundle's items an existing plan
// contains, and whether an interrupted import of this bundle explains the
// plan. That is the case when the plan has plan.created plus one event per
// item, with the items in bundle order: objectives or goals, then analyses.
// A plan imported before the bundle had analyses is such a prefix, so a
// re-import adds them. Any other change, such as a revised
// section or a removed objective, makes the plan not resumable, so Run
// never overwrites a user's edits.
func resumePoint(existing *domain.Plan, sequence uint64, b PlanBundle) (int, bool) {
	var have, want []string
	if b.Kind == domain.PlanDIP {
		for _, o := range existing.Objectives {
			have = append(have, o.ID)
		}
		for _, o := range b.Objectives {
			want = append(want, o.ID)
		}
	} else {
		for _, g := range existing.Goals {
			have = append(have, g.ID)
		}
		for _, g := range b.Goals {
			want = append(want, g.ID)
		}
	}
	for _, a := range existing.Analyses {
		have = append(have, a.ID)
	}
	for _, a := range b.Analyses {
		want = append(want, a.ID)
	}
	if existing.Kind != b.Kind || len(have) > len(want) || sequence != uint64(1+len(have)) {
		return 0, false
	}
	for i := range have {
		if have[i] != want[i] {
			return 0, false
		}
	}
	return len(have), true
}

func planError(b PlanBundle, action string, err error) error {
	return fmt.Errorf("import %s plan %s (%s): %s: %w", b.Kind, b.ID, b.Title, action, err)
}
