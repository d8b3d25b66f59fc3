package http

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

func (s *Server) registerSurveyRoutes(r *mux.Router) {
	r.HandleFunc("/v1/surveys", s.handleSurveyList).Methods(http.MethodGet)
	r.HandleFunc("/v1/surveys", s.handleSurveyIssue).Methods(http.MethodPost)
	r.HandleFunc("/v1/surveys/{id}", s.handleSurveyGet).Methods(http.MethodGet)
	r.HandleFunc("/v1/surveys/{id}/responses", s.handleSurveyAnswer).Methods(http.MethodPost)
	r.HandleFunc("/v1/surveys/{id}/close", s.handleSurveyClose).Methods(http.MethodPost)
	r.HandleFunc("/v1/surveys/{id}/results", s.handleSurveyResults).Methods(http.MethodGet)
}

// surveyView is a survey as of an instant, without its responses.
type surveyView struct {
	Survey         *domain.Survey    `json:"survey"`
	Status         string            `json:"status"`
	Respondents    int               `json:"respondents"`
	ResponseCounts []domain.OrgCount `json:"response_counts"`
	Version        uint64            `json:"version"`
	AsOf           projections.AsOf  `json:"as_of"`
}

// surveyAt folds a survey as of an instant.
func (s *Server) surveyAt(id string, at projections.AsOf) (surveyView, error) {
	state, version, ok, err := s.cfg.Read.Aggregate(domain.KindSurvey, id, &at)
	if err != nil {
		return surveyView{}, err
	}
	if !ok {
		return surveyView{}, domain.Errorf(domain.ENotFound, "id", "survey %s not found as of %s", id, at.Describe())
	}
	survey := state.(*domain.Survey)
	return surveyView{Survey: survey, Status: survey.StatusAt(at.Instant), Respondents: len(survey.Responses),
		ResponseCounts: survey.ResponseCounts(), Version: version, AsOf: at}, nil
}

func (s *Server) handleSurveyList(w http.ResponseWriter, r *http.Request) {
	org := r.URL.Query().Get("org")
	var target domain.Org
	if org != "" {
		var ok bool
		if target, ok = s.lookupOrg(w, r, org); !ok {
			return
		}
	}
	page, err := parsePage(r, "surveys", maxPageSize)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	at, err := page.pinnedAsOf(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	after, err := page.afterPosition()
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	// A survey's position in creation order never changes, so it is the
	// page key.
	items := []map[string]any{}
	next, last := "", after
	for i, id := range s.cfg.Read.AggregateIDs(domain.KindSurvey) {
		if uint64(i+1) <= after {
			continue
		}
		view, err := s.surveyAt(id, at)
		if domain.ErrorCode(err) == domain.ENotFound {
			continue // issued after the instant
		}
		if err != nil {
			writeProblem(w, r, err)
			return
		}
		if _, targeted := view.Survey.TargetFor(target); org != "" && !targeted {
			continue
		}
		if len(items) == page.limit {
			next = strconv.FormatUint(last, 10)
			break
		}
		last = uint64(i + 1)
		sv := view.Survey
		items = append(items, map[string]any{"id": sv.ID, "title": sv.Title, "instrument_id": sv.InstrumentID,
			"opens_at": sv.OpensAt, "closes_at": sv.ClosesAt, "org_codes": sv.OrgCodes, "status": view.Status,
			"respondents": view.Respondents, "version": view.Version})
	}
	body := map[string]any{"items": items, "as_of": at}
	setNextPage(w, r, page, body, next, &at)
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleSurveyGet(w http.ResponseWriter, r *http.Request) {
	at, err := asOfFrom(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	view, err := s.surveyAt(mux.Vars(r)["id"], at)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(view.Version, 10)))
	writeJSON(w, http.StatusOK, view)
}

// respondSurveyWrite returns the survey as the write's event left it.
func (s *Server) respondSurveyWrite(w http.ResponseWriter, r *http.Request, status int, res commands.Result, extra map[string]any) {
	ev := res.Event
	view, err := s.surveyAt(ev.AggregateID, projections.AsOf{Instant: ev.RecordedAt, Basis: projections.BasisRecorded})
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	// The status is judged now, not at the event's instant, so a response
	// recorded just before the window closed does not read as open later.
	view.Status = view.Survey.StatusAt(time.Now())
	view.Version = ev.Sequence
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(ev.Sequence, 10)))
	w.Header().Set("Location", "/v1/surveys/"+ev.AggregateID)
	markReplayed(w, res)
	body := map[string]any{"survey": view.Survey, "status": view.Status, "respondents": view.Respondents,
		"response_counts": view.ResponseCounts, "version": view.Version, "event": ev}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}

type issueSurveyRequest struct {
	domain.IssueSurvey
	OpensAt  string `json:"opens_at"`
	ClosesAt string `json:"closes_at"`
}

func (s *Server) handleSurveyIssue(w http.ResponseWriter, r *http.Request) {
	var req issueSurveyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	meta, err := s.metaStatewide(r, domain.PermAssist, nil)
	if err != nil {
		writeProblem(w, r, err)
		return
	}

	c := req.IssueSurvey
	if c.ID == "" {
		// A keyed retry must name the survey its first attempt issued.
		c.ID = commands.KeyedAggregateID(meta, domain.KindSurvey)
	}
	if c.ID, err = domain.NormalizeSurveyID(c.ID); err != nil {
		writeProblem(w, r, err)
		return
	}
	if c.OpensAt, err = parseWindowTime("opens_at", req.OpensAt, false); err != nil {
		writeProblem(w, r, err)
		return
	}
	if c.ClosesAt, err = parseWindowTime("closes_at", req.ClosesAt, true); err != nil {
		writeProblem(w, r, err)
		return
	}
	if c.InstrumentID == "" {
		writeProblem(w, r, domain.Errorf(domain.EInvalid, "instrument_id",
			"name the library item whose questions the survey asks; list them at GET /v1/assistance/library?kind=survey"))
		return
	}

	// An id in use is reported by the decision.
	meta.Creates = true
	item, err := s.libraryItem(c.InstrumentID)
	if err != nil {
		writeProblem(w, r, prefixNotFound(err, "instrument_id"))
		return
	}
	now := time.Now()
	res, err := s.cfg.Commands.Execute(r.Context(), meta, domain.KindSurvey, c.ID,
		func(state domain.State, _ uint64) ([]domain.Draft, error) {
			d, err := domain.DecideIssueSurvey(state, c, item, s.cfg.Read, now)
			return []domain.Draft{d}, err
		})
	if err != nil {
		writeWriteError(w, r, err, nil)
		return
	}
	s.respondSurveyWrite(w, r, http.StatusCreated, res, nil)
}

// prefixNotFound renames the field of a not-found error to the request
// field that named the missing thing.
func prefixNotFound(err error, field string) error {
	var de *domain.Error
	if errors.As(err, &de) && de.Code == domain.ENotFound {
		return domain.Errorf(domain.ENotFound, field, "%s", de.Message)
	}
	return err
}

func (s *Server) handleSurveyAnswer(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Answers map[string]json.RawMessage `json:"answers"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	id := mux.Vars(r)["id"]
	principal, _ := principalOf(r)
	if principal.OrgCode == "" && principal.Subject != "" {
		// A role that acts for every org names none to answer for, and
		// none of those roles may answer; this reports the role.
		if err := domain.Authorize(principal, domain.PermAnswerSurvey, domain.Org{}); err != nil {
			writeProblem(w, r, err)
			return
		}
	}
	meta, err := s.meta(r, domain.PermAnswerSurvey, principal.OrgCode, nil, "")
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	org, known := s.cfg.Read.Org(principal.OrgCode)
	if !known {
		writeProblem(w, r, domain.Errorf(domain.EForbidden, "Authorization",
			"the token's org %s is not a registered district or school", principal.OrgCode))
		return
	}

	// Responses of different respondents do not depend on each other, so
	// Execute decides again when another response was stored first. Two
	// racing responses by one respondent are both stored, the later
	// replacing the earlier.
	meta.Commutative = true
	res, err := s.cfg.Commands.Execute(r.Context(), meta, domain.KindSurvey, id,
		func(state domain.State, _ uint64) ([]domain.Draft, error) {
			survey, _ := state.(*domain.Survey)
			if survey == nil {
				return nil, domain.Errorf(domain.ENotFound, "id", "survey %s not found", id)
			}
			d, err := domain.DecideAnswerSurvey(survey, principal, org, req.Answers, time.Now())
			return []domain.Draft{d}, err
		})
	if err != nil {
		writeWriteError(w, r, err, nil)
		return
	}
	var answered domain.SurveyAnswered
	if err := res.Event.Decode(&answered); err != nil {
		writeProblem(w, r, err)
		return
	}
	status := http.StatusCreated
	if answered.Replaces {
		status = http.StatusOK
	}
	s.respondSurveyWrite(w, r, status, res, map[string]any{"response": map[string]any{
		"respondent": answered.Respondent, "org_code": answered.OrgCode, "counts_for": answered.CountsFor,
		"answers": answered.Answers, "replaced": answered.Replaces,
	}})
}

func (s *Server) handleSurveyClose(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Reason           string  `json:"reason"`
		ExpectedSequence *uint64 `json:"expected_sequence"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			writeProblem(w, r, err)
			return
		}
	}
	id := mux.Vars(r)["id"]
	meta, err := s.metaStatewide(r, domain.PermAssist, req.ExpectedSequence)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	if meta.Expected == nil {
		// Closing depends on no field a respondent changes, so a caller
		// that states no version closes the survey as it is now.
		current := s.cfg.Read.Sequence(domain.KindSurvey, id)
		meta.Expected = &current
	}
	res, err := s.cfg.Commands.Execute(r.Context(), meta, domain.KindSurvey, id,
		func(state domain.State, _ uint64) ([]domain.Draft, error) {
			survey, _ := state.(*domain.Survey)
			d, err := domain.DecideCloseSurvey(survey, req.Reason)
			return []domain.Draft{d}, err
		})
	if err != nil {
		writeWriteError(w, r, err, req.ExpectedSequence)
		return
	}
	s.respondSurveyWrite(w, r, http.StatusOK, res, nil)
}

// handleSurveyResults returns the counts and means per question. Anyone may
// read them once the survey is closed or its window has ended. Before that
// only Department staff may, so early results cannot sway later respondents.
func (s *Server) handleSurveyResults(w http.ResponseWriter, r *http.Request) {
	at, err := asOfFrom(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	view, err := s.surveyAt(mux.Vars(r)["id"], at)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	if view.Status != domain.SurveyClosed && view.Status != domain.SurveyEnded {
		if _, err := s.metaStatewide(r, domain.PermAssist, nil); err != nil {
			var de *domain.Error
			if errors.As(err, &de) {
				err = domain.Errorf(de.Code, de.Field, "the survey is %s; its results are public once it closes, and until then only Department staff may read them (%s)",
					view.Status, de.Message)
			}
			writeProblem(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"survey_id": view.Survey.ID, "title": view.Survey.Title,
		"status": view.Status, "as_of": at, "version": view.Version, "results": view.Survey.Results()})
}
