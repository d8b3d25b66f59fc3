package http

import (
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/importer"
	"github.com/planledger/planledger/projections"
)

// registerWorkflowRoutes adds the approval workflow, the compliance
// checklist and the district's overdue list.
func (s *Server) registerWorkflowRoutes(r *mux.Router) {
	r.HandleFunc("/v1/plans/{id}/council-consultations", s.handleCouncilConsultation).Methods(http.MethodPost)
	r.HandleFunc("/v1/plans/{id}/submissions", s.handleSubmission).Methods(http.MethodPost)
	r.HandleFunc("/v1/plans/{id}/returns", s.handleReturn).Methods(http.MethodPost)
	r.HandleFunc("/v1/plans/{id}/approvals", s.handleApproval(domain.ActionApprove)).Methods(http.MethodPost)
	r.HandleFunc("/v1/plans/{id}/adoptions", s.handleApproval(domain.ActionAdopt)).Methods(http.MethodPost)
	r.HandleFunc("/v1/plans/{id}/reopenings", s.handleReopening).Methods(http.MethodPost)
	r.HandleFunc("/v1/plans/{id}/workflow", s.handleWorkflow).Methods(http.MethodGet)
	r.HandleFunc("/v1/plans/{id}/compliance", s.handleCompliance).Methods(http.MethodGet)
	r.HandleFunc("/v1/orgs/{code}/overdue", s.handleOverdue).Methods(http.MethodGet)
}

// languageMinority returns the bundled 2016-17 counts of students whose
// first language is not English, per district. They decide whether an SIP's
// professional development must address English learners, and are read
// once, on first use.
var languageMinority = sync.OnceValue(func() map[string]domain.PopulationCount {
	f, err := data.Bundled().Open(data.Profile2017Path)
	if err != nil {
		slog.Error("open bundled school profile; the English learner rule will report unknown", "err", err)
		return nil
	}
	defer f.Close()
	counts, err := importer.ReadLanguageMinority2017(f)
	if err != nil {
		slog.Error("read language-minority counts; the English learner rule will report unknown", "err", err)
		return nil
	}
	return counts
})

// languageMinorityOf returns a district's count, or nil when none is on
// record.
func languageMinorityOf(orgCode string) *domain.PopulationCount {
	c, ok := languageMinority()[domain.DistrictCodeOf(orgCode)]
	if !ok {
		return nil
	}
	return &c
}

// ComplianceContext gathers what the rules need for a plan as of the
// instant: for an SIP, its DIP at the same instant and its district's
// language-minority count.
func ComplianceContext(read *projections.Projector, plan domain.Plan, at projections.AsOf) domain.ComplianceContext {
	ctx := domain.ComplianceContext{}
	if plan.Kind != domain.PlanSIP {
		return ctx
	}
	if dv, err := read.PlanAt(plan.DistrictPlanID, at); err == nil {
		ctx.DistrictPlan = &dv.Plan
	}
	ctx.LanguageMinority = languageMinorityOf(plan.OrgCode)
	return ctx
}

// currentComplianceContext is ComplianceContext for the current state, on
// which a command decides.
func (s *Server) currentComplianceContext(plan *domain.Plan) domain.ComplianceContext {
	ctx := domain.ComplianceContext{}
	if plan.Kind != domain.PlanSIP {
		return ctx
	}
	if dip, ok := s.cfg.Read.Plan(plan.DistrictPlanID); ok {
		ctx.DistrictPlan = dip
	}
	ctx.LanguageMinority = languageMinorityOf(plan.OrgCode)
	return ctx
}

// workflowStep authorizes the action's permission on the plan's org and
// records the step. The decision reads the plan at the version the caller
// states.
func (s *Server) workflowStep(w http.ResponseWriter, r *http.Request, edit planEdit, cmd domain.WorkflowCommand) {
	id := mux.Vars(r)["id"]
	plan, ok := s.cfg.Read.Plan(id)
	if !ok {
		writeProblem(w, r, domain.Errorf(domain.ENotFound, "id", "plan %s not found", id))
		return
	}
	meta, err := s.meta(r, domain.ActionPermission(cmd.Action), plan.OrgCode, edit.ExpectedSequence, edit.EffectiveDate)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	created, _ := s.cfg.Read.CreatedAt(id)
	cmd.EffectiveAt, cmd.Now, cmd.PlanCreatedAt = meta.EffectiveAt, time.Now().UTC(), created
	res, err := s.cfg.Commands.ChangePlan(r.Context(), meta, id, func(p *domain.Plan) (domain.Draft, error) {
		return domain.DecideWorkflow(p, cmd, s.currentComplianceContext(p))
	})
	if err != nil {
		writeWriteError(w, r, err, edit.ExpectedSequence)
		return
	}
	s.respondPlanWrite(w, r, http.StatusOK, res)
}

func (s *Server) handleCouncilConsultation(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		MeetingDate string `json:"meeting_date"`
		Notes       string `json:"notes"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.workflowStep(w, r, req.planEdit, domain.WorkflowCommand{Action: domain.ActionConsultCouncil, Date: req.MeetingDate, Notes: req.Notes})
}

func (s *Server) handleSubmission(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		Note string `json:"note"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.workflowStep(w, r, req.planEdit, domain.WorkflowCommand{Action: domain.ActionSubmit, Notes: req.Note})
}

func (s *Server) handleReturn(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		Reasons []string `json:"reasons"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.workflowStep(w, r, req.planEdit, domain.WorkflowCommand{Action: domain.ActionReturn, Reasons: req.Reasons})
}

// handleApproval approves an SIP or adopts a DIP.
func (s *Server) handleApproval(action domain.WorkflowAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			planEdit
			SchoolCommitteeConsultedOn string `json:"school_committee_consulted_on"`
			Note                       string `json:"note"`
		}
		if err := decodeJSON(w, r, &req); err != nil {
			writeProblem(w, r, err)
			return
		}
		s.workflowStep(w, r, req.planEdit, domain.WorkflowCommand{Action: action, Date: req.SchoolCommitteeConsultedOn, Notes: req.Note})
	}
}

func (s *Server) handleReopening(w http.ResponseWriter, r *http.Request) {
	var req struct {
		planEdit
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	s.workflowStep(w, r, req.planEdit, domain.WorkflowCommand{Action: domain.ActionReopen, Notes: req.Reason})
}

func (s *Server) handleWorkflow(w http.ResponseWriter, r *http.Request) {
	at, err := asOfFrom(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	view, err := s.cfg.Read.Workflow(mux.Vars(r)["id"], at)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

// complianceReport is the body of GET /v1/plans/{id}/compliance.
type complianceReport struct {
	PlanID       string                   `json:"plan_id"`
	Kind         domain.PlanKind          `json:"kind"`
	OrgCode      string                   `json:"org_code"`
	Title        string                   `json:"title"`
	Status       domain.PlanStatus        `json:"status"`
	Revision     int                      `json:"revision"`
	AsOf         projections.AsOf         `json:"as_of"`
	LastSequence uint64                   `json:"last_sequence"`
	Version      uint64                   `json:"version"`
	Summary      domain.ComplianceSummary `json:"summary"`
	Rules        []domain.RuleResult      `json:"rules"`
	// DistrictPlanID and LanguageMinority are the context the SIP rules
	// were checked with.
	DistrictPlanID   string                  `json:"district_plan_id,omitempty"`
	LanguageMinority *domain.PopulationCount `json:"language_minority,omitempty"`
}

func (s *Server) handleCompliance(w http.ResponseWriter, r *http.Request) {
	view, err := s.planAt(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	plan := view.Plan
	ctx := ComplianceContext(s.cfg.Read, plan, view.AsOf)
	results := domain.CheckCompliance(&plan, ctx)
	report := complianceReport{
		PlanID: plan.ID, Kind: plan.Kind, OrgCode: plan.OrgCode, Title: plan.Title,
		Status: plan.CurrentStatus(), Revision: plan.CurrentRevision(), AsOf: view.AsOf,
		LastSequence: view.LastSequence, Version: view.Version,
		Summary: domain.Summarize(results), Rules: results, LanguageMinority: ctx.LanguageMinority,
	}
	if ctx.DistrictPlan != nil {
		report.DistrictPlanID = ctx.DistrictPlan.ID
	}
	writeJSON(w, http.StatusOK, report)
}

func (s *Server) handleOverdue(w http.ResponseWriter, r *http.Request) {
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
		year, err = strconv.Atoi(v)
		if err != nil || year < 2000 || year > 2100 {
			writeProblem(w, r, domain.Errorf(domain.EInvalid, "year",
				"year %q is not a school year named by its spring, such as 2018 for 2017-18", v))
			return
		}
	}
	report, err := s.cfg.Read.Overdue(code, at, year)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, report)
}
