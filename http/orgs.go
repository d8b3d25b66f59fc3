package http

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

func (s *Server) registerOrgRoutes(r *mux.Router) {
	r.HandleFunc("/v1/orgs", s.handleOrgList).Methods(http.MethodGet)
	r.HandleFunc("/v1/orgs/{code}", s.handleOrgGet).Methods(http.MethodGet)
	r.HandleFunc("/v1/orgs/{code}/plans", s.handleOrgPlans).Methods(http.MethodGet)
	r.HandleFunc("/v1/orgs/{code}/levels", s.handleLevelChange).Methods(http.MethodPost)
}

// orgSummary is an org with its level in force now.
type orgSummary struct {
	domain.Org
	CurrentLevel *domain.LevelEntry `json:"current_level"`
}

// handleOrgList lists orgs by code. The cursor, or the legacy "after"
// parameter, carries the last code of the previous page, so pages stay
// stable while orgs are added.
func (s *Server) handleOrgList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	typ := domain.OrgType(q.Get("type"))
	if typ != "" && typ != domain.OrgDistrict && typ != domain.OrgSchool {
		writeProblem(w, r, domain.Errorf(domain.EInvalid, "type", "type %q is not district or school", typ))
		return
	}
	page, err := parsePage(r, "orgs", defaultPageSize)
	if err == nil && q.Get("after") != "" {
		page.after, err = legacyAfter(q, page)
	}
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	district, name := q.Get("district"), strings.ToLower(q.Get("q"))
	now, _ := projections.ParseAsOf("", "", time.Now())

	items := []orgSummary{}
	next := ""
	for _, o := range s.cfg.Read.Orgs(typ) {
		if o.Code <= page.after || (district != "" && o.DistrictCode != district) ||
			(name != "" && !strings.Contains(strings.ToLower(o.Name), name)) {
			continue
		}
		if len(items) == page.limit {
			next = items[len(items)-1].Code
			break
		}
		items = append(items, orgSummary{Org: o, CurrentLevel: s.cfg.Read.LevelAt(o.Code, now)})
	}
	body := map[string]any{"items": items, "next_after": next}
	setNextPage(w, r, page, body, next, nil)
	writeJSON(w, http.StatusOK, body)
}

// legacyAfter returns the "after" parameter of the lists that had it before
// cursors, rejecting a request that also sends a cursor.
func legacyAfter(q url.Values, page pageRequest) (string, error) {
	if q.Get("cursor") != "" {
		return "", domain.Errorf(domain.EInvalid, "after", "send either cursor or after, not both; cursor replaces after")
	}
	return q.Get("after"), nil
}

func (s *Server) handleOrgGet(w http.ResponseWriter, r *http.Request) {
	code := mux.Vars(r)["code"]
	org, ok := s.lookupOrg(w, r, code)
	if !ok {
		return
	}
	now, _ := projections.ParseAsOf("", "", time.Now())
	var district *domain.Org
	if org.Type == domain.OrgSchool {
		if d, ok := s.cfg.Read.Org(org.DistrictCode); ok {
			district = &d
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"org":           org,
		"district":      district,
		"current_level": s.cfg.Read.LevelAt(code, now),
		"level_history": s.cfg.Read.Levels(code),
		"level_version": s.cfg.Read.Sequence(domain.KindLevel, code),
		"plans":         planSummaries(s.cfg.Read.PlansFor(code)),
	})
}

func (s *Server) handleOrgPlans(w http.ResponseWriter, r *http.Request) {
	code := mux.Vars(r)["code"]
	if _, ok := s.lookupOrg(w, r, code); !ok {
		return
	}
	page, err := parsePage(r, "org-plans", maxPageSize)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	// Plans are listed in creation order, which only ever grows at the end,
	// so a plan's position in it is a stable key.
	plans := s.cfg.Read.PlansFor(code)
	ordered := make([]positioned[*domain.Plan], len(plans))
	for i, p := range plans {
		ordered[i] = positioned[*domain.Plan]{position: uint64(i + 1), item: p}
	}
	items, next, err := takePage(ordered, page)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	body := map[string]any{"items": planSummaries(items)}
	setNextPage(w, r, page, body, next, nil)
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) lookupOrg(w http.ResponseWriter, r *http.Request, code string) (domain.Org, bool) {
	if err := domain.ValidateOrgCode("code", code); err != nil {
		writeProblem(w, r, err)
		return domain.Org{}, false
	}
	org, ok := s.cfg.Read.Org(code)
	if !ok {
		writeProblem(w, r, domain.Errorf(domain.ENotFound, "code", "no district or school has org code %s", code))
		return domain.Org{}, false
	}
	return org, true
}

type planSummary struct {
	ID             string          `json:"id"`
	Kind           domain.PlanKind `json:"kind"`
	OrgCode        string          `json:"org_code"`
	Title          string          `json:"title"`
	Period         string          `json:"period"`
	FirstYear      int             `json:"first_year"`
	LastYear       int             `json:"last_year"`
	DistrictPlanID string          `json:"district_plan_id,omitempty"`
}

func planSummaries(plans []*domain.Plan) []planSummary {
	out := make([]planSummary, 0, len(plans))
	for _, p := range plans {
		out = append(out, planSummary{ID: p.ID, Kind: p.Kind, OrgCode: p.OrgCode, Title: p.Title,
			Period: p.PeriodLabel(), FirstYear: p.FirstYear, LastYear: p.LastYear, DistrictPlanID: p.DistrictPlanID})
	}
	return out
}

type levelChangeRequest struct {
	Scheme           string  `json:"scheme"`
	Level            int     `json:"level"`
	Designation      string  `json:"designation"`
	Percentile       *int    `json:"percentile"`
	TargetProgress   string  `json:"target_progress"`
	TargetPercent    *int    `json:"target_percent"`
	Reason           string  `json:"reason"`
	Source           string  `json:"source"`
	EffectiveDate    string  `json:"effective_date"`
	DatePrecision    string  `json:"date_precision"`
	ExpectedSequence *uint64 `json:"expected_sequence"`
}

func (s *Server) handleLevelChange(w http.ResponseWriter, r *http.Request) {
	code := mux.Vars(r)["code"]
	var req levelChangeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	meta, err := s.meta(r, domain.PermChangeLevel, code, req.ExpectedSequence, req.EffectiveDate)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	res, err := s.cfg.Commands.ChangeLevel(r.Context(), meta, domain.ChangeLevel{
		OrgCode: code, Scheme: req.Scheme, Level: req.Level, Designation: req.Designation, Percentile: req.Percentile,
		TargetProgress: req.TargetProgress, TargetPercent: req.TargetPercent,
		Reason: req.Reason, Source: req.Source, EffectiveAt: meta.EffectiveAt, DatePrecision: req.DatePrecision})
	if err != nil {
		writeWriteError(w, r, err, req.ExpectedSequence)
		return
	}
	// The history as of the event, not as of now, so a retried request gets
	// the same body as its first attempt.
	var history []domain.LevelEntry
	for _, entry := range s.cfg.Read.Levels(code) {
		if entry.Sequence <= res.Event.Sequence {
			history = append(history, entry)
		}
	}
	markReplayed(w, res)
	writeJSON(w, http.StatusCreated, map[string]any{"event": res.Event, "level_history": history})
}

// maxIdempotencyKey bounds the Idempotency-Key header; keys are meant to be
// UUIDs or similar tokens.
const maxIdempotencyKey = 255

// meta checks that the caller may use perm on the org with orgCode and
// collects the command metadata every write shares.
func (s *Server) meta(r *http.Request, perm domain.Permission, orgCode string, expected *uint64, effective string) (commands.Meta, error) {
	who, err := s.authorize(r, perm, orgCode)
	if err != nil {
		return commands.Meta{}, err
	}
	exp, err := parseExpected(r, expected)
	if err != nil {
		return commands.Meta{}, err
	}
	eff, err := parseEffective(effective)
	if err != nil {
		return commands.Meta{}, err
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if len(key) > maxIdempotencyKey {
		return commands.Meta{}, domain.Errorf(domain.EInvalid, "Idempotency-Key",
			"Idempotency-Key is %d characters; use at most %d, such as a UUID", len(key), maxIdempotencyKey)
	}
	return commands.Meta{Actor: who.Subject, CorrelationID: requestID(r),
		Expected: exp, EffectiveAt: eff, IdempotencyKey: key}, nil
}

// markReplayed sets Idempotent-Replayed when the response repeats the first
// attempt's event for a retried request.
func markReplayed(w http.ResponseWriter, res commands.Result) {
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
}

// writeWriteError sends a write's error. A stale version stated in If-Match
// is 412 Precondition Failed, as HTTP defines conditional requests; one
// stated in the body's expected_sequence is 409 Conflict. Both carry the
// current sequence.
func writeWriteError(w http.ResponseWriter, r *http.Request, err error, bodyExpected *uint64) {
	var conflict *domain.ConflictError
	if errors.As(err, &conflict) && bodyExpected == nil && r.Header.Get("If-Match") != "" {
		p := conflictProblem(r, conflict)
		p.Status, p.Type, p.Title = http.StatusPreconditionFailed, problemTypePrefix+codePreconditionFailed, "Precondition failed"
		writeProblemBody(w, p)
		return
	}
	writeProblem(w, r, err)
}
