package http

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/pdf"
	"github.com/planledger/planledger/projections"
)

func (s *Server) registerReviewRoutes(r *mux.Router) {
	r.HandleFunc("/v1/reviews", s.handleReviewSchedule).Methods(http.MethodPost)
	r.HandleFunc("/v1/reviews", s.handleReviewList).Methods(http.MethodGet)
	r.HandleFunc("/v1/reviews/{id}", s.handleReviewGet).Methods(http.MethodGet)
	r.HandleFunc("/v1/reviews/{id}/conducted", s.handleReviewConducted).Methods(http.MethodPost)
	r.HandleFunc("/v1/reviews/{id}/findings", s.handleFindingAdd).Methods(http.MethodPost)
	r.HandleFunc("/v1/reviews/{id}/findings/{item}", s.handleFindingRevise).Methods(http.MethodPut)
	r.HandleFunc("/v1/reviews/{id}/findings/{item}/withdrawal", s.handleFindingWithdraw).Methods(http.MethodPost)
	r.HandleFunc("/v1/reviews/{id}/recommendations", s.handleRecommendationAdd).Methods(http.MethodPost)
	r.HandleFunc("/v1/reviews/{id}/recommendations/{item}", s.handleRecommendationRevise).Methods(http.MethodPut)
	r.HandleFunc("/v1/reviews/{id}/recommendations/{item}/withdrawal", s.handleRecommendationWithdraw).Methods(http.MethodPost)
	r.HandleFunc("/v1/reviews/{id}/factual-accuracy", s.handleFactualAccuracy).Methods(http.MethodPost)
	r.HandleFunc("/v1/reviews/{id}/report", s.handleReportIssue).Methods(http.MethodPost)
	r.HandleFunc("/v1/reviews/{id}/corrections", s.handleReportCorrect).Methods(http.MethodPost)
	r.HandleFunc("/v1/reviews/{id}/cancellation", s.handleReviewCancel).Methods(http.MethodPost)
	r.HandleFunc("/v1/reviews/{id}/responses", s.handleReviewResponses).Methods(http.MethodGet)
	r.HandleFunc("/v1/reviews/{id}/pdf", s.handleReviewPDF).Methods(http.MethodGet)
}

// reviewKeyNamespace derives the id of a review scheduled with an
// Idempotency-Key and no id, so a retry names the same review. Changing it
// would let a retry schedule a second review.
var reviewKeyNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("github.com/planledger/planledger/review-key"))

// reviewAt resolves the as_of, basis and version parameters and folds the
// review.
func (s *Server) reviewAt(r *http.Request) (projections.ReviewView, error) {
	at, err := asOfFrom(r)
	if err != nil {
		return projections.ReviewView{}, err
	}
	version, err := versionFrom(r)
	if err != nil {
		return projections.ReviewView{}, err
	}
	return s.cfg.Read.ReviewAt(mux.Vars(r)["id"], at, version)
}

// writeReview sends a review view with its version as a strong ETag.
func writeReview(w http.ResponseWriter, status int, view projections.ReviewView, extra map[string]any) {
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, view.Version))
	body := map[string]any{"review": view.Review, "as_of": view.AsOf, "last_sequence": view.LastSequence,
		"last_stream_sequence": view.LastStreamSequence, "last_recorded_at": view.LastRecordedAt,
		"version": view.Version, "through_version": view.ThroughVersion}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}

func (s *Server) handleReviewGet(w http.ResponseWriter, r *http.Request) {
	view, err := s.reviewAt(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	writeReview(w, http.StatusOK, view, nil)
}

// reviewSummary is one row of the review list.
type reviewSummary struct {
	ID              string              `json:"id"`
	DistrictCode    string              `json:"district_code"`
	DistrictName    string              `json:"district_name"`
	Type            domain.ReviewType   `json:"type"`
	Status          domain.ReviewStatus `json:"status"`
	OnSite          domain.DateRange    `json:"on_site"` // as held, or as planned before the visit
	PublishedOn     string              `json:"published_on,omitempty"`
	Findings        int                 `json:"findings"`
	Recommendations int                 `json:"recommendations"`
	Version         uint64              `json:"version"`
}

func (s *Server) handleReviewList(w http.ResponseWriter, r *http.Request) {
	page, err := parsePage(r, "reviews", maxPageSize)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	at, err := page.pinnedAsOf(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	district := r.URL.Query().Get("district")
	if district != "" {
		if err := domain.ValidateOrgCode("district", district); err != nil {
			writeProblem(w, r, err)
			return
		}
		if org, ok := s.cfg.Read.Org(district); !ok || org.Type != domain.OrgDistrict {
			writeProblem(w, r, domain.Errorf(domain.ENotFound, "district", "no district has org code %s; list them at GET /v1/orgs?type=district", district))
			return
		}
	}
	views, err := s.cfg.Read.ReviewsAt(district, at)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	// A review's position in creation order never changes; the ids are
	// read after the views, so they include every review the views do.
	positions := map[string]uint64{}
	for i, id := range s.cfg.Read.AggregateIDs(domain.KindReview) {
		positions[id] = uint64(i + 1)
	}
	ordered := make([]positioned[projections.ReviewView], len(views))
	for i, v := range views {
		ordered[i] = positioned[projections.ReviewView]{position: positions[v.Review.ID], item: v}
	}
	views, next, err := takePage(ordered, page)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	items := make([]reviewSummary, 0, len(views))
	for _, v := range views {
		rv := v.Review
		org, _ := s.cfg.Read.Org(rv.DistrictCode)
		item := reviewSummary{ID: rv.ID, DistrictCode: rv.DistrictCode, DistrictName: org.Name, Type: rv.Type,
			Status: rv.Status, OnSite: rv.OnSiteDates(), Findings: len(rv.Findings),
			Recommendations: len(rv.Recommendations), Version: v.Version}
		if rv.Report != nil {
			item.PublishedOn = rv.Report.PublishedOn
		}
		items = append(items, item)
	}
	body := map[string]any{"items": items, "as_of": at}
	setNextPage(w, r, page, body, next, &at)
	writeJSON(w, http.StatusOK, body)
}

type scheduleReviewRequest struct {
	domain.ScheduleReview
	EffectiveDate string `json:"effective_date"`
}

func (s *Server) handleReviewSchedule(w http.ResponseWriter, r *http.Request) {
	var req scheduleReviewRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	// Checked before sign-in looks the code up, so the error names the
	// request's field rather than the org code in general.
	if err := domain.ValidateOrgCode("district_code", req.DistrictCode); err != nil {
		writeProblem(w, r, err)
		return
	}
	meta, err := s.meta(r, domain.PermReview, req.DistrictCode, nil, req.EffectiveDate)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	req.ScheduledAt = meta.EffectiveAt
	if req.ScheduledAt.IsZero() {
		req.ScheduledAt = time.Now()
	}
	if req.ID == "" && meta.IdempotencyKey != "" {
		req.ID = uuid.NewSHA1(reviewKeyNamespace, []byte(meta.Actor+"\x00"+meta.IdempotencyKey)).String()
	}
	if req.ID, err = domain.NewReviewID(req.ID); err != nil {
		writeProblem(w, r, err)
		return
	}
	level := s.districtLevel(req.DistrictCode, meta.EffectiveAt)
	read := s.cfg.Read
	meta.Creates = true
	res, err := s.cfg.Commands.Execute(r.Context(), meta, domain.KindReview, req.ID,
		func(state domain.State, _ uint64) ([]domain.Draft, error) {
			if state != nil {
				return nil, domain.Errorf(domain.EConflict, "id", "review %s already exists", req.ID)
			}
			d, err := domain.DecideScheduleReview(req.ScheduleReview, read, read, level)
			if err != nil {
				return nil, err
			}
			return []domain.Draft{d}, nil
		})
	if err != nil {
		writeWriteError(w, r, err, nil)
		return
	}
	s.respondReviewWrite(w, r, http.StatusCreated, res)
}

// districtLevel returns the district's Level 1-5 determination in force at
// the instant (now when zero), or nil when none is on record.
func (s *Server) districtLevel(code string, at time.Time) *domain.DistrictLevel {
	if at.IsZero() {
		at = time.Now()
	}
	entry := s.cfg.Read.LevelAt(code, projections.AsOf{Instant: at.UTC(), Basis: projections.BasisEffective})
	if entry == nil || (entry.Scheme != "" && entry.Scheme != domain.SchemeLevels) {
		return nil
	}
	return &domain.DistrictLevel{Level: entry.Level, EffectiveAt: entry.EffectiveAt.UTC(), Source: entry.Source}
}

// respondReviewWrite returns the event and the review as the event left
// it, so a retried request gets the same body as its first attempt.
func (s *Server) respondReviewWrite(w http.ResponseWriter, r *http.Request, status int, res commands.Result) {
	ev := res.Event
	at := projections.AsOf{Instant: ev.RecordedAt, Basis: projections.BasisRecorded}
	view, err := s.cfg.Read.ReviewAt(ev.AggregateID, at, ev.Sequence)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	view.Version = ev.Sequence
	w.Header().Set("Location", "/v1/reviews/"+ev.AggregateID)
	markReplayed(w, res)
	writeReview(w, status, view, map[string]any{"event": ev})
}

// reviewDecision decides one change to an existing review. today is the
// calendar day in Massachusetts on which the change takes effect.
type reviewDecision func(rv *domain.Review, today string) (domain.Draft, error)

// changeReview authorizes the caller for perm on the review's district,
// then runs decide on the current review with the caller's expected
// sequence.
func (s *Server) changeReview(w http.ResponseWriter, r *http.Request, perm domain.Permission, edit planEdit, status int, decide reviewDecision) {
	id := mux.Vars(r)["id"]
	current, ok := s.cfg.Read.Review(id)
	if !ok {
		writeProblem(w, r, domain.Errorf(domain.ENotFound, "id", "review %s not found", id))
		return
	}
	meta, err := s.meta(r, perm, current.DistrictCode, edit.ExpectedSequence, edit.EffectiveDate)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	effective := meta.EffectiveAt
	if effective.IsZero() {
		effective = time.Now()
	}
	today := effective.In(projections.Massachusetts).Format(time.DateOnly)
	res, err := s.cfg.Commands.Execute(r.Context(), meta, domain.KindReview, id,
		func(state domain.State, _ uint64) ([]domain.Draft, error) {
			rv, ok := state.(*domain.Review)
			if !ok || rv == nil {
				return nil, domain.Errorf(domain.ENotFound, "id", "review %s not found", id)
			}
			d, err := decide(rv, today)
			if err != nil {
				return nil, err
			}
			return []domain.Draft{d}, nil
		})
	if err != nil {
		writeWriteError(w, r, err, edit.ExpectedSequence)
		return
	}
	s.respondReviewWrite(w, r, status, res)
}

func (s *Server) handleReviewConducted(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.ConductReview
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.changeReview(w, r, domain.PermReview, req.planEdit, http.StatusOK, func(rv *domain.Review, today string) (domain.Draft, error) {
		return domain.DecideConductReview(rv, req.ConductReview, today)
	})
}

func (s *Server) handleFindingAdd(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.Finding
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.changeReview(w, r, domain.PermReview, req.planEdit, http.StatusCreated, func(rv *domain.Review, _ string) (domain.Draft, error) {
		return domain.DecideAddFinding(rv, req.Finding)
	})
}

func (s *Server) handleFindingRevise(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.Finding
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	req.Finding.ID = mux.Vars(r)["item"]
	s.changeReview(w, r, domain.PermReview, req.planEdit, http.StatusOK, func(rv *domain.Review, _ string) (domain.Draft, error) {
		return domain.DecideReviseFinding(rv, req.Finding)
	})
}

// withdrawalRequest is the body of a finding's or recommendation's
// withdrawal.
type withdrawalRequest struct {
	planEdit
	Reason string `json:"reason"`
}

func (s *Server) handleFindingWithdraw(w http.ResponseWriter, r *http.Request) {
	var req withdrawalRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	item := mux.Vars(r)["item"]
	s.changeReview(w, r, domain.PermReview, req.planEdit, http.StatusOK, func(rv *domain.Review, _ string) (domain.Draft, error) {
		return domain.DecideWithdrawFinding(rv, item, req.Reason)
	})
}

func (s *Server) handleRecommendationAdd(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.Recommendation
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.changeReview(w, r, domain.PermReview, req.planEdit, http.StatusCreated, func(rv *domain.Review, _ string) (domain.Draft, error) {
		return domain.DecideAddRecommendation(rv, req.Recommendation)
	})
}

func (s *Server) handleRecommendationRevise(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.Recommendation
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	req.Recommendation.ID = mux.Vars(r)["item"]
	s.changeReview(w, r, domain.PermReview, req.planEdit, http.StatusOK, func(rv *domain.Review, _ string) (domain.Draft, error) {
		return domain.DecideReviseRecommendation(rv, req.Recommendation)
	})
}

func (s *Server) handleRecommendationWithdraw(w http.ResponseWriter, r *http.Request) {
	var req withdrawalRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	item := mux.Vars(r)["item"]
	s.changeReview(w, r, domain.PermReview, req.planEdit, http.StatusOK, func(rv *domain.Review, _ string) (domain.Draft, error) {
		return domain.DecideWithdrawRecommendation(rv, item, req.Reason)
	})
}

// handleFactualAccuracy records the district's own comments on the draft,
// so it takes a district role, not Department staff.
func (s *Server) handleFactualAccuracy(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.FactualAccuracyCommented
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	// An empty list records that the district found no errors, so a
	// missing or null list must not be read as one.
	if req.Comments == nil {
		writeProblem(w, r, domain.Errorf(domain.EInvalid, "comments",
			"comments is required: send the district's comments, or [] when it found no factual errors"))
		return
	}
	s.changeReview(w, r, domain.PermCommentReview, req.planEdit, http.StatusOK, func(rv *domain.Review, _ string) (domain.Draft, error) {
		return domain.DecideFactualAccuracy(rv, req.FactualAccuracyCommented)
	})
}

func (s *Server) handleReportIssue(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.ReviewReport
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.changeReview(w, r, domain.PermReview, req.planEdit, http.StatusOK, func(rv *domain.Review, today string) (domain.Draft, error) {
		return domain.DecideIssueReport(rv, req.ReviewReport, today)
	})
}

func (s *Server) handleReportCorrect(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		domain.ReviewReportCorrected
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.changeReview(w, r, domain.PermReview, req.planEdit, http.StatusOK, func(rv *domain.Review, _ string) (domain.Draft, error) {
		return domain.DecideCorrectReport(rv, req.ReviewReportCorrected)
	})
}

func (s *Server) handleReviewCancel(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.changeReview(w, r, domain.PermReview, req.planEdit, http.StatusOK, func(rv *domain.Review, _ string) (domain.Draft, error) {
		return domain.DecideCancelReview(rv, req.Reason)
	})
}

func (s *Server) handleReviewResponses(w http.ResponseWriter, r *http.Request) {
	at, err := asOfFrom(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	out, err := s.cfg.Read.ReviewResponsesAt(mux.Vars(r)["id"], at)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleReviewPDF prints a review report as of an instant. Like a plan
// PDF, its bytes depend only on the events folded in, the resolved instant
// and the version, all printed in the footer.
func (s *Server) handleReviewPDF(w http.ResponseWriter, r *http.Request) {
	view, err := s.reviewAt(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	district, _ := s.cfg.Read.Org(view.Review.DistrictCode)
	doc := pdf.ReviewDocument{
		Review: view.Review, DistrictName: district.Name, AsOf: view.AsOf.Instant, AsOfBasis: view.AsOf.Basis,
		LastSequence: view.LastSequence, Version: view.ThroughVersion, LastRecordedAt: view.LastRecordedAt,
		Producer: "planledger " + s.cfg.Version, ChainHash: view.LastHash,
	}

	select {
	case s.pdfs <- struct{}{}:
		defer func() { <-s.pdfs }()
	case <-r.Context().Done():
		return
	}
	start := time.Now()
	body, err := pdf.RenderReview(doc)
	s.cfg.Metrics.ObservePDF("review", time.Since(start))
	if err != nil {
		writeProblem(w, r, fmt.Errorf("render review %s: %w", view.Review.ID, err))
		return
	}
	sum := sha256.Sum256(body)
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-review-%s.pdf"`,
		view.Review.DistrictCode, strings.SplitN(view.Review.ID, "-", 2)[0]))
	w.Header().Set("X-Content-SHA256", hex.EncodeToString(sum[:]))
	w.Header().Set("X-Review-Version", strconv.FormatUint(view.ThroughVersion, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
