package http

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/pdf"
	"github.com/planledger/planledger/projections"
	"github.com/planledger/planledger/web"
)

// registerWebRoutes adds the accessible plan document and the auditor's
// pages under /ui/.
func (s *Server) registerWebRoutes(r *mux.Router) {
	r.HandleFunc("/v1/plans/{id}/html", s.handlePlanHTML).Methods(http.MethodGet)
	web.New(web.Config{
		Read: s.cfg.Read,
		Document: func(view projections.PlanView) pdf.Document {
			// Without pins PlanDocument reads the latest versions and
			// cannot fail.
			doc, _ := PlanDocument(s.cfg.Read, s.cfg.Data, view, s.producer(), PrintPins{})
			return doc
		},
		Logger: s.cfg.Logger,
	}).Register(r)
}

// producer is the PDF Producer of every plan document this server prints.
func (s *Server) producer() string {
	return "planledger " + s.cfg.Version
}

// handlePlanHTML serves the accessible HTML version of the plan PDF: the
// same content in the same order, pinned to the same instant and version.
func (s *Server) handlePlanHTML(w http.ResponseWriter, r *http.Request) {
	view, err := s.planAt(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	pins, err := printPinsFrom(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	doc, err := PlanDocument(s.cfg.Read, s.cfg.Data, view, s.producer(), pins)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	body, err := web.RenderDocument(doc, web.PlanPath(view.Plan.ID, "pdf", view.AsOf, view.ThroughVersion))
	if err != nil {
		writeProblem(w, r, fmt.Errorf("render plan %s as HTML: %w", view.Plan.ID, err))
		return
	}
	web.SetHeaders(w)
	setPlanLinks(w, view)
	w.Header().Set("X-Plan-Last-Sequence", strconv.FormatUint(view.LastSequence, 10))
	w.Header().Set("X-Plan-Version", strconv.FormatUint(view.ThroughVersion, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// setPlanLinks sets a Link header (RFC 8288) to the PDF and the accessible
// HTML version of a plan view, both pinned to the view's resolved instant,
// basis and version, so following either later gives the same content.
func setPlanLinks(w http.ResponseWriter, view projections.PlanView) {
	id, at, version := view.Plan.ID, view.AsOf, view.ThroughVersion
	w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="alternate"; type="application/pdf", <%s>; rel="alternate"; type="text/html"`,
		web.PlanPath(id, "pdf", at, version), web.PlanPath(id, "html", at, version)))
}
