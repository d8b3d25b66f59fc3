package http

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

func (s *Server) registerPlanRoutes(r *mux.Router) {
	r.HandleFunc("/v1/plans", s.handlePlanCreate).Methods(http.MethodPost)
	r.HandleFunc("/v1/plans/{id}", s.handlePlanGet).Methods(http.MethodGet)
	r.HandleFunc("/v1/plans/{id}/title", s.handleRetitle).Methods(http.MethodPut)
	r.HandleFunc("/v1/plans/{id}/sections/{key}", s.handleSectionRevise).Methods(http.MethodPut)
	r.HandleFunc("/v1/plans/{id}/objectives", s.handleObjectiveAdd).Methods(http.MethodPost)
	r.HandleFunc("/v1/plans/{id}/objectives/{item}", s.handleObjectiveRevise).Methods(http.MethodPut)
	r.HandleFunc("/v1/plans/{id}/objectives/{item}", s.handleObjectiveRemove).Methods(http.MethodDelete)
	r.HandleFunc("/v1/plans/{id}/goals", s.handleGoalAdopt).Methods(http.MethodPost)
	r.HandleFunc("/v1/plans/{id}/goals/{item}", s.handleGoalRevise).Methods(http.MethodPut)
	r.HandleFunc("/v1/plans/{id}/goals/{item}", s.handleGoalWithdraw).Methods(http.MethodDelete)
	r.HandleFunc("/v1/plans/{id}/alignment", s.handleAlignment).Methods(http.MethodGet)
	r.HandleFunc("/v1/plans/{id}/history", s.handleHistory).Methods(http.MethodGet)
	r.HandleFunc("/v1/plans/{id}/pdf", s.handlePlanPDF).Methods(http.MethodGet)
}

func asOfFrom(r *http.Request) (projections.AsOf, error) {
	q := r.URL.Query()
	return projections.ParseAsOf(q.Get("as_of"), q.Get("basis"), time.Now())
}

// versionFrom reads the optional version a read is pinned to; 0 means the
// latest.
func versionFrom(r *http.Request) (uint64, error) {
	v := r.URL.Query().Get("version")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, domain.Errorf(domain.EInvalid, "version", "version %q is not a plan version such as 3", v)
	}
	return n, nil
}

// planAt resolves the as_of, basis and version parameters and folds the plan.
func (s *Server) planAt(r *http.Request) (projections.PlanView, error) {
	at, err := asOfFrom(r)
	if err != nil {
		return projections.PlanView{}, err
	}
	version, err := versionFrom(r)
	if err != nil {
		return projections.PlanView{}, err
	}
	return s.cfg.Read.PlanAtVersion(mux.Vars(r)["id"], at, version)
}

// writePlan sends a plan view with its version as a strong ETag.
func writePlan(w http.ResponseWriter, status int, view projections.PlanView, extra map[string]any) {
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, view.Version))
	body := map[string]any{"plan": view.Plan, "period": view.Plan.PeriodLabel(), "as_of": view.AsOf,
		"last_sequence": view.LastSequence, "last_stream_sequence": view.LastStreamSequence,
		"last_recorded_at": view.LastRecordedAt, "version": view.Version, "through_version": view.ThroughVersion,
		"progress": domain.ProgressOf(&view.Plan)}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}

func (s *Server) handlePlanGet(w http.ResponseWriter, r *http.Request) {
	view, err := s.planAt(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	setPlanLinks(w, view)
	writePlan(w, http.StatusOK, view, nil)
}

type createPlanRequest struct {
	domain.NewPlan
	EffectiveDate string `json:"effective_date"`
	// TemplateID names a library template that prefills the plan; see
	// domain.ApplyTemplate for which request fields win.
	TemplateID string `json:"template_id"`
}

func (s *Server) handlePlanCreate(w http.ResponseWriter, r *http.Request) {
	var req createPlanRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	meta, err := s.meta(r, domain.PermEditPlan, req.OrgCode, nil, req.EffectiveDate)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	if req.TemplateID != "" {
		item, err := s.libraryItem(req.TemplateID)
		if err != nil {
			writeProblem(w, r, prefixNotFound(err, "template_id"))
			return
		}
		if req.NewPlan, err = domain.ApplyTemplate(req.NewPlan, item); err != nil {
			writeProblem(w, r, err)
			return
		}
	}
	res, err := s.cfg.Commands.CreatePlan(r.Context(), meta, req.NewPlan)
	if err != nil {
		writeWriteError(w, r, err, nil)
		return
	}
	s.respondPlanWrite(w, r, http.StatusCreated, res)
}

// respondPlanWrite returns the event and the plan as the event left it:
// recorded basis, pinned to the event's version. A retried request therefore
// gets the same body as its first attempt, whatever happened since.
func (s *Server) respondPlanWrite(w http.ResponseWriter, r *http.Request, status int, res commands.Result) {
	ev := res.Event
	at := projections.AsOf{Instant: ev.RecordedAt, Basis: projections.BasisRecorded}
	view, err := s.cfg.Read.PlanAtVersion(ev.AggregateID, at, ev.Sequence)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	view.Version = ev.Sequence // the version this write produced, also the ETag
	w.Header().Set("Location", "/v1/plans/"+ev.AggregateID)
	markReplayed(w, res)
	writePlan(w, status, view, map[string]any{"event": ev})
}

// planEdit is the envelope of every plan edit: the expected sequence and an
// optional effective date beside the edit's own fields.
type planEdit struct {
	ExpectedSequence *uint64 `json:"expected_sequence"`
	EffectiveDate    string  `json:"effective_date"`
}

func (s *Server) changePlan(w http.ResponseWriter, r *http.Request, edit planEdit, status int, decide func(p *domain.Plan) (domain.Draft, error)) {
	id := mux.Vars(r)["id"]
	plan, ok := s.cfg.Read.Plan(id)
	if !ok {
		writeProblem(w, r, domain.Errorf(domain.ENotFound, "id", "plan %s not found", id))
		return
	}
	meta, err := s.meta(r, domain.PermEditPlan, plan.OrgCode, edit.ExpectedSequence, edit.EffectiveDate)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	// Content changes only while the plan is not under review or approved;
	// see domain.CheckEditable.
	res, err := s.cfg.Commands.ChangePlan(r.Context(), meta, id, func(p *domain.Plan) (domain.Draft, error) {
		if err := domain.CheckEditable(p); err != nil {
			return domain.Draft{}, err
		}
		return decide(p)
	})
	if err != nil {
		writeWriteError(w, r, err, edit.ExpectedSequence)
		return
	}
	s.respondPlanWrite(w, r, status, res)
}

func (s *Server) handleRetitle(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		Title string `json:"title"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.changePlan(w, r, req.planEdit, http.StatusOK, func(p *domain.Plan) (domain.Draft, error) {
		return domain.DecideRetitle(p, req.Title)
	})
}

func (s *Server) handleSectionRevise(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		Text *string `json:"text"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	if req.Text == nil {
		writeProblem(w, r, domain.Errorf(domain.EInvalid, "text", "send the section's new text in the text field"))
		return
	}
	key := mux.Vars(r)["key"]
	s.changePlan(w, r, req.planEdit, http.StatusOK, func(p *domain.Plan) (domain.Draft, error) {
		return domain.DecideReviseSection(p, key, *req.Text)
	})
}

func (s *Server) handleObjectiveAdd(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.Objective
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	look := s.cfg.Commands.Lookup()
	s.changePlan(w, r, req.planEdit, http.StatusCreated, func(p *domain.Plan) (domain.Draft, error) {
		return domain.DecideAddObjective(p, req.Objective, look)
	})
}

func (s *Server) handleObjectiveRevise(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.Objective
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	req.Objective.ID = mux.Vars(r)["item"]
	look := s.cfg.Commands.Lookup()
	s.changePlan(w, r, req.planEdit, http.StatusOK, func(p *domain.Plan) (domain.Draft, error) {
		return domain.DecideReviseObjective(p, req.Objective, look)
	})
}

func (s *Server) handleObjectiveRemove(w http.ResponseWriter, r *http.Request) {
	item := mux.Vars(r)["item"]
	s.changePlan(w, r, planEdit{}, http.StatusOK, func(p *domain.Plan) (domain.Draft, error) {
		return domain.DecideRemoveObjective(p, item)
	})
}

func (s *Server) handleGoalAdopt(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.Goal
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	look := s.cfg.Commands.Lookup()
	s.changePlan(w, r, req.planEdit, http.StatusCreated, func(p *domain.Plan) (domain.Draft, error) {
		return domain.DecideAdoptGoal(p, req.Goal, look)
	})
}

func (s *Server) handleGoalRevise(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.Goal
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	req.Goal.ID = mux.Vars(r)["item"]
	look := s.cfg.Commands.Lookup()
	s.changePlan(w, r, req.planEdit, http.StatusOK, func(p *domain.Plan) (domain.Draft, error) {
		return domain.DecideReviseGoal(p, req.Goal, look)
	})
}

func (s *Server) handleGoalWithdraw(w http.ResponseWriter, r *http.Request) {
	item := mux.Vars(r)["item"]
	s.changePlan(w, r, planEdit{}, http.StatusOK, func(p *domain.Plan) (domain.Draft, error) {
		return domain.DecideWithdrawGoal(p, item)
	})
}

func (s *Server) handleAlignment(w http.ResponseWriter, r *http.Request) {
	at, err := asOfFrom(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	a, err := s.cfg.Read.AlignmentFor(mux.Vars(r)["id"], at)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	page, err := parsePage(r, "plan-history", maxPageSize)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	h, err := s.cfg.Read.History(id)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	ordered := make([]positioned[projections.HistoryEntry], len(h))
	for i, entry := range h {
		ordered[i] = positioned[projections.HistoryEntry]{position: entry.Sequence, item: entry}
	}
	items, next, err := takePage(ordered, page)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	body := map[string]any{"plan_id": id, "items": items}
	setNextPage(w, r, page, body, next, nil)
	writeJSON(w, http.StatusOK, body)
}
