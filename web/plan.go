package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/pdf"
	"github.com/planledger/planledger/projections"
)

// planHeader is the plan id, names and links every plan page shows.
type planHeader struct {
	ID          string
	OrgName     string
	OrgHref     string
	Href        string // the plan page, now
	HistoryHref string
	DiffHref    string
}

// planHeader looks the plan up in its current state for the page title and
// links. It fails with ENotFound for an unknown id.
func (u *UI) planHeader(id string) (*domain.Plan, planHeader, []Crumb, error) {
	plan, ok := u.cfg.Read.Plan(id)
	if !ok {
		return nil, planHeader{}, nil, domain.Errorf(domain.ENotFound, "id", "plan %s not found", id)
	}
	base := "/ui/plans/" + url.PathEscape(id)
	h := planHeader{ID: id, Href: base, HistoryHref: base + "/history", DiffHref: base + "/diff",
		OrgHref: "/ui/orgs/" + url.PathEscape(plan.OrgCode)}
	crumbs := []Crumb{{"Districts and schools", "/ui/"}}
	if org, ok := u.cfg.Read.Org(plan.OrgCode); ok {
		h.OrgName = org.Name
		crumbs = append(crumbs, Crumb{org.Name, h.OrgHref})
	}
	return plan, h, crumbs, nil
}

type planPage struct {
	Page
	Header   planHeader
	Form     asOfForm
	Fields   asOfFieldset
	Basis    string
	Version  string // the version field as typed
	Resolved *instantView
	View     *projections.PlanView
	Content  *pdf.Content
	PDFHref  string
	HTMLHref string
	// PinnedHref is this page pinned to the resolved instant and version.
	PinnedHref string
}

// handlePlan shows a plan as of an instant picked in the form, states the
// resolved instant and version, and links the PDF and accessible document
// of exactly that view.
func (u *UI) handlePlan(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	plan, header, crumbs, err := u.planHeader(id)
	if err != nil {
		u.fail(w, r, "Plan not found", err)
		return
	}

	q := r.URL.Query()
	page := planPage{
		Page:    Page{Title: planTitle(plan), Crumbs: crumbs},
		Header:  header,
		Form:    readAsOfForm(q, ""),
		Basis:   q.Get("basis"),
		Version: q.Get("version"),
	}
	if page.Basis == "" {
		page.Basis = projections.BasisEffective
	}

	const legend = "Show the plan as of"
	view, err := u.resolvePlan(id, q, page.Form)
	if err != nil {
		status, message := describeError(err)
		page.Error, page.ErrorField = message, errorField(err)
		page.Fields = page.Form.fieldset(legend, page.Version, page.ErrorField, nil)
		u.render(w, r, status, "plan", page)
		return
	}

	page.Fields = page.Form.fieldset(legend, page.Version, "", &view.AsOf)
	resolved := describeInstant(view.AsOf)
	content := pdf.ContentOf(u.cfg.Document(view))
	page.Resolved, page.View, page.Content = &resolved, &view, &content
	page.PDFHref = PlanPath(id, "pdf", view.AsOf, view.ThroughVersion)
	page.HTMLHref = PlanPath(id, "html", view.AsOf, view.ThroughVersion)
	page.PinnedHref = uiPlanPath(id, view.AsOf, view.ThroughVersion)
	u.render(w, r, http.StatusOK, "plan", page)
}

// resolvePlan reads the basis, instant and version of the plan form and
// folds the plan.
func (u *UI) resolvePlan(id string, q url.Values, form asOfForm) (projections.PlanView, error) {
	basis, err := readBasis(q)
	if err != nil {
		return projections.PlanView{}, err
	}
	at, err := form.resolve(basis, u.now())
	if err != nil {
		return projections.PlanView{}, err
	}
	version, err := readVersion(q, "version")
	if err != nil {
		return projections.PlanView{}, err
	}
	return u.cfg.Read.PlanAtVersion(id, at, version)
}

func planTitle(p *domain.Plan) string {
	if p.Title == "" {
		return "Untitled plan"
	}
	return p.Title
}

type historyPage struct {
	Page
	Header  planHeader
	Entries []historyEntry
}

type historyEntry struct {
	projections.HistoryEntry
	Label        string
	Recorded     string // in Massachusetts time, for people
	Effective    string
	RecordedISO  string // RFC 3339, for the time element
	EffectiveISO string
	PlanHref     string // the plan as recorded right after this event
	DiffHref     string // the change this event made, "" for the first
	PrevSequence uint64
	Changes      []changeRow
	Open         bool // whether the changes list starts expanded
}

type changeRow struct {
	Path string
	Old  []Segment
	New  []Segment
	// OldMissing and NewMissing mark a value added or removed.
	OldMissing, NewMissing bool
}

// historyOpenLimit is the largest number of changed fields an event may
// have for its list to start expanded. A plan's creation sets every field
// and starts collapsed.
const historyOpenLimit = 12

// handleHistory lists a plan's events, newest first, with who changed
// which fields from what to what.
func (u *UI) handleHistory(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	plan, header, crumbs, err := u.planHeader(id)
	if err != nil {
		u.fail(w, r, "Plan not found", err)
		return
	}
	items, err := u.cfg.Read.History(id)
	if err != nil {
		u.fail(w, r, "History not available", err)
		return
	}
	crumbs = append(crumbs, Crumb{planTitle(plan), header.Href})
	page := historyPage{Page: Page{Title: "History of " + planTitle(plan), Crumbs: crumbs}, Header: header}
	for i := len(items) - 1; i >= 0; i-- {
		e := items[i]
		recorded := projections.AsOf{Instant: e.RecordedAt, Basis: projections.BasisRecorded}
		entry := historyEntry{
			HistoryEntry: e,
			Label:        eventLabel(e.Type),
			Recorded:     formatTime(e.RecordedAt),
			Effective:    formatTime(e.EffectiveAt),
			RecordedISO:  e.RecordedAt.UTC().Format(time.RFC3339Nano),
			EffectiveISO: e.EffectiveAt.UTC().Format(time.RFC3339Nano),
			PlanHref:     uiPlanPath(id, recorded, e.Sequence),
			Open:         len(e.Changes) <= historyOpenLimit,
		}
		if i > 0 {
			// Versions, not instants, bound the change, because the events
			// of one batch share their recorded time.
			entry.PrevSequence = items[i-1].Sequence
			entry.DiffHref = diffPath(id, recorded, entry.PrevSequence, e.Sequence)
		}
		for _, c := range e.Changes {
			entry.Changes = append(entry.Changes, changeRowOf(r.Context(), c))
		}
		page.Entries = append(page.Entries, entry)
	}
	u.render(w, r, http.StatusOK, "history", page)
}

// changeRowOf renders one changed field with a word diff of its old and
// new values.
func changeRowOf(ctx context.Context, c projections.FieldChange) changeRow {
	row := changeRow{Path: c.Path, OldMissing: c.Old == nil, NewMissing: c.New == nil}
	for _, seg := range wordDiff(ctx, valueText(c.Old), valueText(c.New)) {
		if seg.Op != opInsert {
			row.Old = append(row.Old, seg)
		}
		if seg.Op != opDelete {
			row.New = append(row.New, seg)
		}
	}
	return row
}

// valueText writes a changed value, a JSON leaf, as text.
func valueText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	default:
		return "(unsupported value)"
	}
}

// eventLabel names a plan event type for people.
func eventLabel(typ string) string {
	switch typ {
	case domain.TypePlanCreated:
		return "Plan created"
	case domain.TypePlanRetitled:
		return "Plan retitled"
	case domain.TypeSectionRevised:
		return "Section revised"
	case domain.TypeObjectiveAdded:
		return "Objective added"
	case domain.TypeObjectiveRevised:
		return "Objective revised"
	case domain.TypeObjectiveRemoved:
		return "Objective removed"
	case domain.TypeGoalAdopted:
		return "Goal adopted"
	case domain.TypeGoalRevised:
		return "Goal revised"
	case domain.TypeGoalWithdrawn:
		return "Goal withdrawn"
	case domain.TypePlanCouncilConsulted:
		return "School council consulted"
	case domain.TypePlanSubmitted:
		return "Submitted to the superintendent"
	case domain.TypePlanReturned:
		return "Returned to the principal"
	case domain.TypePlanResubmitted:
		return "Resubmitted"
	case domain.TypePlanApproved:
		return "Approved by the superintendent"
	case domain.TypePlanAdopted:
		return "Adopted by the superintendent"
	case domain.TypePlanReopened:
		return "Reopened for revision"
	default:
		return typ
	}
}

// diffPath returns the diff page comparing a plan at two versions, both
// read as recorded at one instant.
func diffPath(id string, at projections.AsOf, fromVersion, toVersion uint64) string {
	instant := at.Instant.UTC().Format(time.RFC3339Nano)
	q := url.Values{}
	q.Set("from_as_of", instant)
	q.Set("from_version", strconv.FormatUint(fromVersion, 10))
	q.Set("to_as_of", instant)
	q.Set("to_version", strconv.FormatUint(toVersion, 10))
	q.Set("basis", at.Basis)
	return "/ui/plans/" + url.PathEscape(id) + "/diff?" + q.Encode()
}
