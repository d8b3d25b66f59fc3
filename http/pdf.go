package http

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/planledger/planledger/comparisons"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/pdf"
	"github.com/planledger/planledger/projections"
	"github.com/planledger/planledger/web"
)

// handlePlanPDF prints a plan as of an instant. The bytes depend only on the
// events folded in, the resolved instant and the plan version, all printed
// in the footer, so a reprint with those as_of and version values matches.
// The SHA-256 goes in a header for comparison.
func (s *Server) handlePlanPDF(w http.ResponseWriter, r *http.Request) {
	view, err := s.planAt(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	doc := PlanDocument(s.cfg.Read, s.cfg.Data, view, s.producer())

	select {
	case s.pdfs <- struct{}{}:
		defer func() { <-s.pdfs }()
	case <-r.Context().Done():
		return
	}
	start := time.Now()
	body, err := pdf.Render(doc)
	s.cfg.Metrics.ObservePDF("plan", time.Since(start))
	if err != nil {
		writeProblem(w, r, fmt.Errorf("render plan %s: %w", view.Plan.ID, err))
		return
	}
	sum := sha256.Sum256(body)
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%s.pdf"`, view.Plan.OrgCode, view.Plan.Kind))
	w.Header().Set("X-Content-SHA256", hex.EncodeToString(sum[:]))
	w.Header().Set("X-Plan-Last-Sequence", strconv.FormatUint(view.LastSequence, 10))
	w.Header().Set("X-Plan-Version", strconv.FormatUint(view.ThroughVersion, 10))
	setPlanLinks(w, view)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// PlanDocument gathers what a printed plan shows besides the plan itself:
// the org names, its classification under the scheme in force and, for an
// SIP, its DIP, all as of the same instant, and the figures its data
// analyses cite, from data (nil prints them without figures). producer is
// the PDF Producer. The plan PDF endpoint and "planledger verify -pdf" both
// build documents here, so a reprint for verification gives the same bytes.
func PlanDocument(read *projections.Projector, data *comparisons.Dataset, view projections.PlanView, producer string) pdf.Document {
	plan := view.Plan
	org, _ := read.Org(plan.OrgCode)
	district, _ := read.Org(domain.DistrictCodeOf(plan.OrgCode))
	doc := pdf.Document{
		Plan: plan, OrgName: org.Name, DistrictName: district.Name,
		Level: read.LevelAt(plan.OrgCode, view.AsOf), AsOf: view.AsOf.Instant, AsOfBasis: view.AsOf.Basis,
		LastSequence: view.LastSequence, PlanVersion: view.ThroughVersion, LastRecordedAt: view.LastRecordedAt,
		Producer: producer, ChainHash: view.LastHash,
		AccessiblePath:  web.PlanPath(plan.ID, "html", view.AsOf, view.ThroughVersion),
		AnalysisFigures: AnalysisFigures(data, plan),
	}
	standing := read.StandingAt(plan.OrgCode, view.AsOf)
	doc.Standing = &standing
	if plan.Kind == domain.PlanSIP {
		dv, err := read.PlanAt(plan.DistrictPlanID, view.AsOf)
		if err == nil {
			doc.DistrictPlan = &dv.Plan
		}
		doc.LanguageMinority = languageMinorityOf(plan.OrgCode)
	}
	return doc
}
