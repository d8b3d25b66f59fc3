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
// events folded in, the resolved instant, the plan version, the level
// history's version and, for an SIP, the DIP version, all printed in the
// footer, so a reprint with those as_of, version, level_version and
// dip_version values matches. The SHA-256 goes in a header for comparison.
func (s *Server) handlePlanPDF(w http.ResponseWriter, r *http.Request) {
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
	if doc.DistrictPlanVersion > 0 {
		w.Header().Set("X-DIP-Version", strconv.FormatUint(doc.DistrictPlanVersion, 10))
	}
	w.Header().Set("X-Level-Version", strconv.FormatUint(doc.LevelVersion, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// PrintPins limits what a plan print folds besides the plan itself: the
// DIP version an SIP's print shows and the version of the org's level
// history. Zero means the latest. A print states both, so a reprint with
// them leaves out changes recorded later, even backdated ones.
type PrintPins struct {
	DIPVersion   uint64
	LevelVersion uint64
}

// printPinsFrom reads the optional dip_version and level_version of a
// print request.
func printPinsFrom(r *http.Request) (PrintPins, error) {
	var pins PrintPins
	for _, p := range []struct {
		name string
		to   *uint64
	}{{"dip_version", &pins.DIPVersion}, {"level_version", &pins.LevelVersion}} {
		v := r.URL.Query().Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			return PrintPins{}, domain.Errorf(domain.EInvalid, p.name, "%s %q is not a version such as 3; take it from the print's footer", p.name, v)
		}
		*p.to = n
	}
	return pins, nil
}

// PlanDocument gathers what a printed plan shows besides the plan itself:
// the org names, its classification under the scheme in force and, for an
// SIP, its DIP, all as of the same instant, and the figures its data
// analyses cite, from data (nil prints them without figures). producer is
// the PDF Producer. The plan PDF endpoint and "planledger verify -pdf" both
// build documents here, so a reprint for verification gives the same bytes.
//
// The DIP and the level history are read at the versions pins gives, or at
// their latest, and the document states the versions it read. A change
// recorded after a print, even one that takes effect before the print's
// instant, therefore stays out of a reprint.
//
// PlanDocument returns an error only for a pinned version that does not
// exist, or a DIP version given for a DIP.
func PlanDocument(read *projections.Projector, data *comparisons.Dataset, view projections.PlanView, producer string, pins PrintPins) (pdf.Document, error) {
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
	latestLevel := read.Sequence(domain.KindLevel, plan.OrgCode)
	if pins.LevelVersion > latestLevel {
		return pdf.Document{}, domain.Errorf(domain.ENotFound, "level_version",
			"the level history of %s has %d versions, so level_version %d does not exist yet", plan.OrgCode, latestLevel, pins.LevelVersion)
	}
	if pins.LevelVersion == 0 {
		pins.LevelVersion = latestLevel
	}
	standing := read.StandingAtVersion(plan.OrgCode, view.AsOf, pins.LevelVersion)
	doc.Standing = &standing
	doc.LevelVersion = pins.LevelVersion
	if plan.Kind != domain.PlanSIP {
		if pins.DIPVersion > 0 {
			return pdf.Document{}, domain.Errorf(domain.EInvalid, "dip_version",
				"dip_version applies to a printed SIP, and plan %s is a %s", plan.ID, plan.Kind)
		}
		return doc, nil
	}
	doc.LanguageMinority = languageMinorityOf(plan.OrgCode)

	latest := read.Sequence(domain.KindPlan, plan.DistrictPlanID)
	if pins.DIPVersion > latest {
		return pdf.Document{}, domain.Errorf(domain.ENotFound, "dip_version",
			"district plan %s has %d versions, so dip_version %d does not exist yet", plan.DistrictPlanID, latest, pins.DIPVersion)
	}
	if pins.DIPVersion == 0 {
		pins.DIPVersion = latest
	}
	// A DIP that did not exist as of the instant, or cannot be folded,
	// prints as its id. That is stated at the same DIP version too, so a
	// reprint repeats it.
	if pins.DIPVersion > 0 {
		if dv, err := read.PlanAtVersion(plan.DistrictPlanID, view.AsOf, pins.DIPVersion); err == nil {
			doc.DistrictPlan = &dv.Plan
		}
		doc.DistrictPlanVersion = pins.DIPVersion
	}
	return doc, nil
}
