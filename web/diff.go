package web

import (
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

type diffPage struct {
	Page
	Header      planHeader
	From, To    asOfForm
	FromFields  asOfFieldset
	ToFields    asOfFieldset
	FromVersion string // the version fields as typed
	ToVersion   string
	Basis       string
	Before      *diffSide
	After       *diffSide
	Diff        *planDiff
}

// diffSide is one of the two compared states.
type diffSide struct {
	at       projections.AsOf
	Resolved instantView
	// View is nil when the plan did not exist yet at the instant, and the
	// whole plan then counts as added.
	View *projections.PlanView
	Href string // the plan page of this state
}

// handleDiff compares a plan at two instants side by side. Without a
// "from" instant it shows only the form.
func (u *UI) handleDiff(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	plan, header, crumbs, err := u.planHeader(id)
	if err != nil {
		u.fail(w, r, "Plan not found", err)
		return
	}

	q := r.URL.Query()
	crumbs = append(crumbs, Crumb{planTitle(plan), header.Href})
	page := diffPage{
		Page:        Page{Title: "Compare versions of " + planTitle(plan), Crumbs: crumbs},
		Header:      header,
		From:        readAsOfForm(q, "from_"),
		To:          readAsOfForm(q, "to_"),
		FromVersion: q.Get("from_version"),
		ToVersion:   q.Get("to_version"),
		Basis:       q.Get("basis"),
	}
	if page.Basis == "" {
		page.Basis = projections.BasisEffective
	}

	const fromLegend, toLegend = "Earlier state", "Later state"
	page.FromFields = page.From.fieldset(fromLegend, page.FromVersion, "", nil)
	page.ToFields = page.To.fieldset(toLegend, page.ToVersion, "", nil)
	if page.From.empty() && page.FromVersion == "" {
		u.render(w, r, http.StatusOK, "diff", page)
		return
	}
	before, after, err := u.diffSides(id, q, page.From, page.To)
	if err != nil {
		status, message := describeError(err)
		page.Error, page.ErrorField = message, errorField(err)
		page.FromFields.ErrorField, page.ToFields.ErrorField = page.ErrorField, page.ErrorField
		u.render(w, r, status, "diff", page)
		return
	}

	page.Before, page.After = before, after
	page.FromFields = page.From.fieldset(fromLegend, page.FromVersion, "", &before.at)
	page.ToFields = page.To.fieldset(toLegend, page.ToVersion, "", &after.at)
	var beforePlan *domain.Plan
	if before.View != nil {
		beforePlan = &before.View.Plan
	}
	d := diffPlans(r.Context(), beforePlan, &after.View.Plan, u.objectiveNamer(after.View))
	page.Diff = &d
	u.render(w, r, http.StatusOK, "diff", page)
}

// diffSides resolves and folds both compared states. The earlier state may
// predate the plan. The later one must not, since there would be nothing to
// compare.
func (u *UI) diffSides(id string, q url.Values, from, to asOfForm) (*diffSide, *diffSide, error) {
	basis, err := readBasis(q)
	if err != nil {
		return nil, nil, err
	}
	now := u.now()
	side := func(form asOfForm, versionField string, mayPredate bool) (*diffSide, error) {
		at, err := form.resolve(basis, now)
		if err != nil {
			return nil, prefixed(err, form.Prefix)
		}
		version, err := readVersion(q, versionField)
		if err != nil {
			return nil, err
		}
		s := &diffSide{at: at, Resolved: describeInstant(at)}
		view, err := u.cfg.Read.PlanAtVersion(id, at, version)
		switch {
		case err == nil:
			s.View = &view
			s.Href = uiPlanPath(id, at, view.ThroughVersion)
		case mayPredate && errorField(err) == "as_of":
			// The plan did not exist yet at this instant.
		default:
			return nil, prefixed(err, form.Prefix)
		}
		return s, nil
	}
	before, err := side(from, "from_version", true)
	if err != nil {
		return nil, nil, err
	}
	after, err := side(to, "to_version", false)
	if err != nil {
		return nil, nil, err
	}
	return before, after, nil
}

// objectiveNamer names the DIP objectives an SIP's goals cite by their
// number and title in the DIP as of the later compared instant.
func (u *UI) objectiveNamer(view *projections.PlanView) func(string) string {
	var dip *domain.Plan
	if view.Plan.Kind == domain.PlanSIP && view.Plan.DistrictPlanID != "" {
		if dv, err := u.cfg.Read.PlanAt(view.Plan.DistrictPlanID, view.AsOf); err == nil {
			dip = &dv.Plan
		}
	}
	return func(id string) string {
		if dip == nil {
			return id
		}
		i := dip.ObjectiveIndex(id)
		if i < 0 {
			return id + " (not in the district plan)"
		}
		return dip.Objectives[i].Title
	}
}
