package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/domain"
)

// registerFrameworkRoutes serves the framework catalog, the coverage of a
// district's plans and the districts' annual self-evaluations.
func (s *Server) registerFrameworkRoutes(r *mux.Router) {
	r.HandleFunc("/v1/framework", s.handleFrameworkList).Methods(http.MethodGet)
	r.HandleFunc("/v1/framework/{version}", s.handleFrameworkGet).Methods(http.MethodGet)
	r.HandleFunc("/v1/orgs/{code}/coverage", s.handleCoverage).Methods(http.MethodGet)
	s.registerSelfEvaluationRoutes(r)
}

// frameworkSummary is a framework version without its items.
type frameworkSummary struct {
	Version        string `json:"version"`
	Title          string `json:"title"`
	EffectiveFrom  string `json:"effective_from"`
	EffectiveUntil string `json:"effective_until,omitempty"`
	SourceURL      string `json:"source_url"`
}

func (s *Server) handleFrameworkList(w http.ResponseWriter, r *http.Request) {
	items := []frameworkSummary{}
	for _, f := range domain.Frameworks() {
		items = append(items, frameworkSummary{Version: f.Version, Title: f.Title, EffectiveFrom: f.EffectiveFrom,
			EffectiveUntil: f.EffectiveUntil, SourceURL: f.SourceURL})
	}
	current, err := domain.FrameworkAt(time.Now())
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "current": current.Version})
}

func (s *Server) handleFrameworkGet(w http.ResponseWriter, r *http.Request) {
	version := mux.Vars(r)["version"]
	f, ok := domain.FrameworkVersion(version)
	if !ok {
		writeProblem(w, r, domain.Errorf(domain.ENotFound, "version", "framework version %q not found; list the versions at GET /v1/framework", version))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"framework": f, "rating_scale": domain.SelfEvaluationScale,
		"rating_scale_note": domain.SelfEvaluationScaleNote})
}

// handleCoverage shows which standards and conditions a district's plans
// serve, as of an instant and optionally for one school year.
func (s *Server) handleCoverage(w http.ResponseWriter, r *http.Request) {
	code := mux.Vars(r)["code"]
	if err := domain.ValidateOrgCode("code", code); err != nil {
		writeProblem(w, r, err)
		return
	}
	at, err := asOfFrom(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	year := 0
	if v := r.URL.Query().Get("year"); v != "" {
		if year, err = strconv.Atoi(v); err != nil || year < 2000 || year > 2100 {
			writeProblem(w, r, domain.Errorf(domain.EInvalid, "year", "year %q is not a school year such as 2017 (for 2016-17)", v))
			return
		}
	}
	c, err := s.cfg.Read.CoverageOf(code, at, year)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
