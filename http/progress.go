package http

import (
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/domain"
)

func (s *Server) registerProgressRoutes(r *mux.Router) {
	r.HandleFunc("/v1/plans/{id}/progress", s.handleProgressGet).Methods(http.MethodGet)
	r.HandleFunc("/v1/plans/{id}/progress", s.handleActualRecord).Methods(http.MethodPost)
}

// handleProgressGet returns every measure of the plan with its actuals and
// status, as of the requested instant and version.
func (s *Server) handleProgressGet(w http.ResponseWriter, r *http.Request) {
	view, err := s.planAt(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	measures := domain.ProgressOf(&view.Plan)
	summary := map[string]int{}
	for _, status := range []string{domain.StatusNoData, domain.StatusOnTrack, domain.StatusOffTrack, domain.StatusMet, domain.StatusNotMet} {
		summary[status] = 0
	}
	for _, m := range measures {
		summary[m.Status]++
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, view.Version))
	writeJSON(w, http.StatusOK, map[string]any{
		"plan_id": view.Plan.ID, "as_of": view.AsOf, "last_sequence": view.LastSequence,
		"version": view.Version, "through_version": view.ThroughVersion,
		"measures": measures, "summary": summary,
	})
}

// handleActualRecord records a measured value against one measure. Like a
// plan edit it needs the plan's version in If-Match or expected_sequence,
// but the permission is record_progress rather than edit_plan.
func (s *Server) handleActualRecord(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.RecordActual
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	id := mux.Vars(r)["id"]
	plan, ok := s.cfg.Read.Plan(id)
	if !ok {
		writeProblem(w, r, domain.Errorf(domain.ENotFound, "id", "plan %s not found", id))
		return
	}
	meta, err := s.meta(r, domain.PermRecordProgress, plan.OrgCode, req.ExpectedSequence, req.EffectiveDate)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	res, err := s.cfg.Commands.ChangePlan(r.Context(), meta, id, func(p *domain.Plan) (domain.Draft, error) {
		return domain.DecideRecordActual(p, req.RecordActual)
	})
	if err != nil {
		writeWriteError(w, r, err, req.ExpectedSequence)
		return
	}
	s.respondPlanWrite(w, r, http.StatusCreated, res)
}
