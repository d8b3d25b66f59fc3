package http

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

func (s *Server) registerSelfEvaluationRoutes(r *mux.Router) {
	r.HandleFunc("/v1/self-evaluations", s.handleSelfEvaluationStart).Methods(http.MethodPost)
	r.HandleFunc("/v1/self-evaluations/{id}", s.handleSelfEvaluationGet).Methods(http.MethodGet)
	r.HandleFunc("/v1/self-evaluations/{id}/ratings/{standard}", s.handleStandardRate).Methods(http.MethodPut)
	r.HandleFunc("/v1/self-evaluations/{id}/evidence", s.handleEvidenceAdd).Methods(http.MethodPost)
	r.HandleFunc("/v1/self-evaluations/{id}/complete", s.handleSelfEvaluationComplete).Methods(http.MethodPost)
	r.HandleFunc("/v1/orgs/{code}/self-evaluations", s.handleSelfEvaluationList).Methods(http.MethodGet)
}

// writeSelfEvaluation sends a self-evaluation view with its follow-up in
// the district's later DIPs, and its version as a strong ETag.
func (s *Server) writeSelfEvaluation(w http.ResponseWriter, status int, view projections.SelfEvaluationView, extra map[string]any) {
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, view.Version))
	body := map[string]any{
		"self_evaluation":   view.SelfEvaluation,
		"as_of":             view.AsOf,
		"last_sequence":     view.LastSequence,
		"last_recorded_at":  view.LastRecordedAt,
		"version":           view.Version,
		"rating_scale":      domain.SelfEvaluationScale,
		"rating_scale_note": domain.SelfEvaluationScaleNote,
		"follow_up":         s.cfg.Read.FollowUpOf(view.SelfEvaluation, view.AsOf),
	}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}

func (s *Server) handleSelfEvaluationGet(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	if _, _, err := domain.ParseSelfEvaluationID(id); err != nil {
		writeProblem(w, r, err)
		return
	}
	at, err := asOfFrom(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	view, err := s.cfg.Read.SelfEvaluationAt(id, at)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	s.writeSelfEvaluation(w, http.StatusOK, view, nil)
}

// selfEvaluationSummary is one entry of a district's list.
type selfEvaluationSummary struct {
	ID               string     `json:"id"`
	Year             int        `json:"year"`
	SchoolYear       string     `json:"school_year"`
	FrameworkVersion string     `json:"framework_version"`
	Rated            int        `json:"rated"` // standards rated so far, of six
	Completed        bool       `json:"completed"`
	CompletedAt      *time.Time `json:"completed_at,omitempty"`
}

func (s *Server) handleSelfEvaluationList(w http.ResponseWriter, r *http.Request) {
	code := mux.Vars(r)["code"]
	org, ok := s.lookupOrg(w, r, code)
	if !ok {
		return
	}
	if org.Type != domain.OrgDistrict {
		writeProblem(w, r, domain.Errorf(domain.EInvalid, "code", "%s is a school; self-evaluations belong to its district %s", code, org.DistrictCode))
		return
	}
	at, err := asOfFrom(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	items := []selfEvaluationSummary{}
	for _, e := range s.cfg.Read.SelfEvaluationsOf(code, at) {
		items = append(items, selfEvaluationSummary{ID: e.ID, Year: e.Year, SchoolYear: domain.SchoolYearLabel(e.Year),
			FrameworkVersion: e.FrameworkVersion, Rated: len(e.Ratings), Completed: e.Completed, CompletedAt: e.CompletedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"district_code": code, "as_of": at, "items": items})
}

type startSelfEvaluationRequest struct {
	domain.StartSelfEvaluation
	EffectiveDate string `json:"effective_date"`
}

func (s *Server) handleSelfEvaluationStart(w http.ResponseWriter, r *http.Request) {
	var req startSelfEvaluationRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	meta, err := s.meta(r, domain.PermSelfEvaluate, req.DistrictCode, nil, req.EffectiveDate)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	look := s.cfg.Commands.Lookup()
	id := domain.SelfEvaluationID(req.DistrictCode, req.Year)
	// The decision reports an id in use, after Execute has replayed a
	// keyed retry.
	meta.Creates = true
	res, err := s.cfg.Commands.Execute(r.Context(), meta, domain.KindSelfEvaluation, id,
		func(state domain.State, _ uint64) ([]domain.Draft, error) {
			current, _ := state.(*domain.SelfEvaluation)
			d, err := domain.DecideStartSelfEvaluation(req.StartSelfEvaluation, current, look)
			return []domain.Draft{d}, err
		})
	if err != nil {
		writeWriteError(w, r, err, nil)
		return
	}
	s.respondSelfEvaluationWrite(w, r, http.StatusCreated, res)
}

// changeSelfEvaluation authorizes an edit of an existing self-evaluation
// for its district and runs decide on its current state.
func (s *Server) changeSelfEvaluation(w http.ResponseWriter, r *http.Request, edit planEdit, status int,
	decide func(e *domain.SelfEvaluation) (domain.Draft, error)) {
	id := mux.Vars(r)["id"]
	code, _, err := domain.ParseSelfEvaluationID(id)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	if _, ok := s.cfg.Read.SelfEvaluation(id); !ok {
		writeProblem(w, r, domain.Errorf(domain.ENotFound, "id", "self-evaluation %s not found; start it with POST /v1/self-evaluations", id))
		return
	}
	meta, err := s.meta(r, domain.PermSelfEvaluate, code, edit.ExpectedSequence, edit.EffectiveDate)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	res, err := s.cfg.Commands.Execute(r.Context(), meta, domain.KindSelfEvaluation, id,
		func(state domain.State, _ uint64) ([]domain.Draft, error) {
			current, ok := state.(*domain.SelfEvaluation)
			if !ok || current == nil {
				return nil, domain.Errorf(domain.ENotFound, "id", "self-evaluation %s not found", id)
			}
			if !meta.EffectiveAt.IsZero() && meta.EffectiveAt.Before(current.StartedAt) {
				return nil, domain.Errorf(domain.EInvalid, "effective_date",
					"the change cannot take effect before the self-evaluation started (%s)", current.StartedAt.Format(time.RFC3339))
			}
			d, err := decide(current)
			return []domain.Draft{d}, err
		})
	if err != nil {
		writeWriteError(w, r, err, edit.ExpectedSequence)
		return
	}
	s.respondSelfEvaluationWrite(w, r, status, res)
}

// respondSelfEvaluationWrite returns the event and the self-evaluation as
// of its recorded time, so a retried request gets the body of its first
// attempt unless another edit was recorded in the same microsecond.
func (s *Server) respondSelfEvaluationWrite(w http.ResponseWriter, r *http.Request, status int, res commands.Result) {
	ev := res.Event
	at := projections.AsOf{Instant: ev.RecordedAt, Basis: projections.BasisRecorded}
	view, err := s.cfg.Read.SelfEvaluationAt(ev.AggregateID, at)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	view.Version = ev.Sequence // the version this write produced, also the ETag
	w.Header().Set("Location", "/v1/self-evaluations/"+ev.AggregateID)
	markReplayed(w, res)
	s.writeSelfEvaluation(w, status, view, map[string]any{"event": ev})
}

func (s *Server) handleStandardRate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		Rating     int      `json:"rating"`
		Indicators []string `json:"indicators"`
		Rationale  string   `json:"rationale"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	rate := domain.RateStandard{Standard: mux.Vars(r)["standard"], Rating: req.Rating, Indicators: req.Indicators, Rationale: req.Rationale}
	s.changeSelfEvaluation(w, r, req.planEdit, http.StatusOK, func(e *domain.SelfEvaluation) (domain.Draft, error) {
		return domain.DecideRateStandard(e, rate)
	})
}

func (s *Server) handleEvidenceAdd(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.AddEvidence
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.changeSelfEvaluation(w, r, req.planEdit, http.StatusCreated, func(e *domain.SelfEvaluation) (domain.Draft, error) {
		return domain.DecideAddEvidence(e, req.AddEvidence)
	})
}

func (s *Server) handleSelfEvaluationComplete(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		Summary string `json:"summary"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.changeSelfEvaluation(w, r, req.planEdit, http.StatusOK, func(e *domain.SelfEvaluation) (domain.Draft, error) {
		return domain.DecideCompleteSelfEvaluation(e, req.Summary)
	})
}
