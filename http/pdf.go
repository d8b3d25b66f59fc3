package http

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/pdf"
	"github.com/planledger/planledger/projections"
)

// handlePlanPDF prints a plan as of an instant. The bytes depend only on the
// events folded in, the resolved instant, the plan version and, for an SIP,
// the DIP version, all printed in the footer, so a reprint with those as_of,
// version and dip_version values matches. The SHA-256 goes in a header for
// comparison.
func (s *Server) handlePlanPDF(w http.ResponseWriter, r *http.Request) {
	view, err := s.planAt(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	dipVersion, err := dipVersionFrom(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	doc, err := PlanDocument(s.cfg.Read, view, "planledger "+s.cfg.Version, dipVersion)
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
	body, err := pdf.Render(doc)
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
	if doc.DistrictPlanVersion > 0 {
		w.Header().Set("X-DIP-Version", strconv.FormatUint(doc.DistrictPlanVersion, 10))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// dipVersionFrom reads the optional DIP version an SIP print is pinned to,
// 0 when absent, which means the DIP's latest.
func dipVersionFrom(r *http.Request) (uint64, error) {
	v := r.URL.Query().Get("dip_version")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, domain.Errorf(domain.EInvalid, "dip_version", "dip_version %q is not a plan version such as 3", v)
	}
	return n, nil
}

// PlanDocument gathers what a printed plan shows besides the plan itself:
// the org names, its level and, for an SIP, its DIP, all as of the same
// instant. producer is the PDF Producer. The plan PDF endpoint and
// "planledger verify -pdf" both build documents here, so a reprint for
// verification gives the same bytes.
//
// An SIP's DIP is read at dipVersion, or at its latest version when
// dipVersion is 0, and the document states that version. A change to the
// DIP recorded after a print, even one that takes effect before the print's
// instant, then stays out of a reprint at the printed DIP version.
// PlanDocument returns an error only for a dipVersion the DIP does not have,
// or one given for a DIP.
func PlanDocument(read *projections.Projector, view projections.PlanView, producer string, dipVersion uint64) (pdf.Document, error) {
	plan := view.Plan
	org, _ := read.Org(plan.OrgCode)
	district, _ := read.Org(domain.DistrictCodeOf(plan.OrgCode))
	doc := pdf.Document{
		Plan: plan, OrgName: org.Name, DistrictName: district.Name,
		Level: read.LevelAt(plan.OrgCode, view.AsOf), AsOf: view.AsOf.Instant, AsOfBasis: view.AsOf.Basis,
		LastSequence: view.LastSequence, PlanVersion: view.ThroughVersion, LastRecordedAt: view.LastRecordedAt,
		Producer: producer, ChainHash: view.LastHash,
	}
	if plan.Kind != domain.PlanSIP {
		if dipVersion > 0 {
			return pdf.Document{}, domain.Errorf(domain.EInvalid, "dip_version",
				"dip_version applies to a printed SIP, and plan %s is a %s", plan.ID, plan.Kind)
		}
		return doc, nil
	}

	latest := read.Sequence(domain.KindPlan, plan.DistrictPlanID)
	if dipVersion > latest {
		return pdf.Document{}, domain.Errorf(domain.ENotFound, "dip_version",
			"district plan %s has %d versions, so dip_version %d does not exist yet", plan.DistrictPlanID, latest, dipVersion)
	}
	if dipVersion == 0 {
		dipVersion = latest
	}
	// A DIP that did not exist as of the instant, or cannot be folded,
	// prints as its id. That is stated at the same DIP version too, so a
	// reprint repeats it.
	if dipVersion > 0 {
		if dv, err := read.PlanAtVersion(plan.DistrictPlanID, view.AsOf, dipVersion); err == nil {
			doc.DistrictPlan = &dv.Plan
		}
		doc.DistrictPlanVersion = dipVersion
	}
	return doc, nil
}
