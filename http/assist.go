package http

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/commands"
	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

// catalog returns the assistance library bundled with the binary. It
// panics on a file that does not parse, which the domain tests catch
// before a release.
var catalog = sync.OnceValue(func() *domain.Library {
	lib, err := domain.ParseLibrary(data.AssistanceLibrary())
	if err != nil {
		panic("bundled assistance library: " + err.Error())
	}
	return lib
})

func (s *Server) registerAssistRoutes(r *mux.Router) {
	catalog() // a broken catalog stops the server here, not at the first request
	r.HandleFunc("/v1/assistance/library", s.handleLibraryList).Methods(http.MethodGet)
	r.HandleFunc("/v1/assistance/library", s.handleLibraryAdd).Methods(http.MethodPost)
	r.HandleFunc("/v1/assistance/library/{id}", s.handleLibraryGet).Methods(http.MethodGet)
	r.HandleFunc("/v1/assistance/library/{id}", s.handleLibraryRevise).Methods(http.MethodPut)
	r.HandleFunc("/v1/assistance/library/{id}", s.handleLibraryRetire).Methods(http.MethodDelete)
	r.HandleFunc("/v1/assistance/interventions", s.handleInterventions).Methods(http.MethodGet)
	r.HandleFunc("/v1/assistance/priority", s.handlePriority).Methods(http.MethodGet)
	s.registerSurveyRoutes(r)
}

// metaStatewide authorizes a write that concerns no single org, such as a
// library item or a survey's issue, and returns its metadata. Only roles
// that act for every org pass, because Authorize checks an empty target
// against any other role's org.
func (s *Server) metaStatewide(r *http.Request, perm domain.Permission, expected *uint64) (commands.Meta, error) {
	principal, ok := principalOf(r)
	if !ok {
		return commands.Meta{}, errNoToken()
	}
	if err := domain.Authorize(principal, perm, domain.Org{}); err != nil {
		if state := stateOf(r); state != nil {
			state.authError = err.Error()
		}
		return commands.Meta{}, err
	}
	exp, err := parseExpected(r, expected)
	if err != nil {
		return commands.Meta{}, err
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if len(key) > maxIdempotencyKey {
		return commands.Meta{}, domain.Errorf(domain.EInvalid, "Idempotency-Key",
			"Idempotency-Key is %d characters; use at most %d, such as a UUID", len(key), maxIdempotencyKey)
	}
	return commands.Meta{Actor: principal.Subject, CorrelationID: requestID(r), Expected: exp, IdempotencyKey: key}, nil
}

// localItem folds a locally added library item; ok is false when the id
// has no events.
func (s *Server) localItem(id string) (*domain.LocalItem, uint64, bool, error) {
	state, version, ok, err := s.cfg.Read.Aggregate(domain.KindLibrary, id, nil)
	if err != nil || !ok {
		return nil, 0, false, err
	}
	item, isItem := state.(*domain.LocalItem)
	return item, version, isItem, nil
}

// libraryItem finds a catalog item or a local item that is not retired.
func (s *Server) libraryItem(id string) (domain.LibraryItem, error) {
	if item, ok := catalog().Item(id); ok {
		return item, nil
	}
	local, _, ok, err := s.localItem(id)
	if err != nil {
		return domain.LibraryItem{}, err
	}
	if !ok || local.Retired {
		return domain.LibraryItem{}, domain.Errorf(domain.ENotFound, "id",
			"no library item %s; list them at GET /v1/assistance/library", id)
	}
	return local.Item, nil
}

func (s *Server) handleLibraryList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	kind := domain.LibraryKind(q.Get("kind"))
	if kind != "" && !slices.Contains(domain.LibraryKinds, kind) {
		writeProblem(w, r, domain.Errorf(domain.EInvalid, "kind", "kind %q is not one of %v", kind, domain.LibraryKinds))
		return
	}
	audience := q.Get("audience")
	if audience != "" && audience != domain.AudienceDistrict && audience != domain.AudienceSchool && audience != domain.AudienceDepartment {
		writeProblem(w, r, domain.Errorf(domain.EInvalid, "audience", "audience %q is not district, school or department", audience))
		return
	}
	level := 0
	if v := q.Get("level"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			writeProblem(w, r, domain.Errorf(domain.EInvalid, "level", "level %q must be a number from 1 to 5", v))
			return
		}
		level = n
	}

	page, err := parsePage(r, "library", maxPageSize)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	// The page key is an item's position: catalog items first, in catalog
	// order, then local items in creation order, retired ones included, so
	// retiring an item shifts no position.
	// NOTE: a release that adds catalog items shifts the local items'
	// positions, so a cursor kept across an upgrade may skip or repeat some.
	var items []positioned[domain.LibraryItem]
	for i, item := range catalog().Items {
		items = append(items, positioned[domain.LibraryItem]{position: uint64(i + 1), item: item})
	}
	for i, id := range s.cfg.Read.AggregateIDs(domain.KindLibrary) {
		local, _, ok, err := s.localItem(id)
		if err != nil {
			writeProblem(w, r, err)
			return
		}
		if ok && !local.Retired {
			items = append(items, positioned[domain.LibraryItem]{position: uint64(len(catalog().Items) + i + 1), item: local.Item})
		}
	}
	matching := []positioned[domain.LibraryItem]{}
	for _, it := range items {
		item := it.item
		if kind != "" && item.Kind != kind {
			continue
		}
		if audience != "" && !slices.Contains(item.Audience, audience) {
			continue
		}
		if level != 0 && len(item.Levels) > 0 && !slices.Contains(item.Levels, level) {
			continue
		}
		matching = append(matching, it)
	}
	out, next, err := takePage(matching, page)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	body := map[string]any{"version": catalog().Version, "note": catalog().Note, "items": out}
	setNextPage(w, r, page, body, next, nil)
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleLibraryGet(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	if item, ok := catalog().Item(id); ok {
		writeJSON(w, http.StatusOK, map[string]any{"item": item, "retired": false})
		return
	}
	local, version, ok, err := s.localItem(id)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	if !ok {
		writeProblem(w, r, domain.Errorf(domain.ENotFound, "id", "no library item %s; list them at GET /v1/assistance/library", id))
		return
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(version, 10)))
	writeJSON(w, http.StatusOK, map[string]any{"item": local.Item, "retired": local.Retired, "version": version})
}

type libraryItemRequest struct {
	domain.LibraryItem
	ExpectedSequence *uint64 `json:"expected_sequence"`
}

func (s *Server) handleLibraryAdd(w http.ResponseWriter, r *http.Request) {
	var req libraryItemRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	meta, err := s.metaStatewide(r, domain.PermAssist, req.ExpectedSequence)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	// The id names the aggregate, so it must be checked before the store sees it.
	if err := domain.ValidateLibraryID(req.ID); err != nil {
		writeProblem(w, r, err)
		return
	}
	// The decision reports an id in use as such, not as a missing If-Match.
	meta.Creates = true
	res, err := s.cfg.Commands.Execute(r.Context(), meta, domain.KindLibrary, req.ID,
		func(state domain.State, _ uint64) ([]domain.Draft, error) {
			d, err := domain.DecideAddLibraryItem(state, req.LibraryItem, catalog())
			return []domain.Draft{d}, err
		})
	if err != nil {
		writeWriteError(w, r, err, req.ExpectedSequence)
		return
	}
	s.respondLibraryWrite(w, r, http.StatusCreated, res.Event, res.Replayed)
}

func (s *Server) handleLibraryRevise(w http.ResponseWriter, r *http.Request) {
	var req libraryItemRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	id := mux.Vars(r)["id"]
	if req.ID != "" && req.ID != id {
		writeProblem(w, r, domain.Errorf(domain.EInvalid, "id", "the body names item %s but the path names %s; an item's id cannot change", req.ID, id))
		return
	}
	req.ID = id
	if rejectCatalogID(w, r, id) {
		return
	}
	meta, err := s.metaStatewide(r, domain.PermAssist, req.ExpectedSequence)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	res, err := s.cfg.Commands.Execute(r.Context(), meta, domain.KindLibrary, id,
		func(state domain.State, _ uint64) ([]domain.Draft, error) {
			d, err := domain.DecideReviseLibraryItem(state, req.LibraryItem)
			return []domain.Draft{d}, err
		})
	if err != nil {
		writeWriteError(w, r, err, req.ExpectedSequence)
		return
	}
	s.respondLibraryWrite(w, r, http.StatusOK, res.Event, res.Replayed)
}

func (s *Server) handleLibraryRetire(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	if rejectCatalogID(w, r, id) {
		return
	}
	meta, err := s.metaStatewide(r, domain.PermAssist, nil)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	reason := r.URL.Query().Get("reason")
	res, err := s.cfg.Commands.Execute(r.Context(), meta, domain.KindLibrary, id,
		func(state domain.State, _ uint64) ([]domain.Draft, error) {
			d, err := domain.DecideRetireLibraryItem(state, id, reason)
			return []domain.Draft{d}, err
		})
	if err != nil {
		writeWriteError(w, r, err, nil)
		return
	}
	s.respondLibraryWrite(w, r, http.StatusOK, res.Event, res.Replayed)
}

// rejectCatalogID stops a change to a catalog item, which only a new
// catalog version can change.
func rejectCatalogID(w http.ResponseWriter, r *http.Request, id string) bool {
	if _, ok := catalog().Item(id); ok {
		writeProblem(w, r, domain.Errorf(domain.EInvalid, "id",
			"%s is a catalog item; catalog items change only with a new planledger release", id))
		return true
	}
	return false
}

// respondLibraryWrite returns the local item as the write's event left it.
func (s *Server) respondLibraryWrite(w http.ResponseWriter, r *http.Request, status int, ev domain.Event, replayed bool) {
	at := projections.AsOf{Instant: ev.RecordedAt, Basis: projections.BasisRecorded}
	state, _, ok, err := s.cfg.Read.Aggregate(domain.KindLibrary, ev.AggregateID, &at)
	if err == nil && !ok {
		err = domain.Errorf(domain.EInternal, "", "library item %s has no events after a write", ev.AggregateID)
	}
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	local := state.(*domain.LocalItem)
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(ev.Sequence, 10)))
	w.Header().Set("Location", "/v1/assistance/library/"+ev.AggregateID)
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, status, map[string]any{"item": local.Item, "retired": local.Retired, "version": ev.Sequence, "event": ev})
}

func (s *Server) handleInterventions(w http.ResponseWriter, r *http.Request) {
	page, err := parsePage(r, "interventions", maxPageSize)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	ivs := catalog().Interventions
	ordered := make([]positioned[domain.Intervention], len(ivs))
	for i, iv := range ivs {
		ordered[i] = positioned[domain.Intervention]{position: uint64(i + 1), item: iv}
	}
	items, next, err := takePage(ordered, page)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	body := map[string]any{"version": catalog().Version, "items": items}
	setNextPage(w, r, page, body, next, nil)
	writeJSON(w, http.StatusOK, body)
}

// priorityItem is a queue entry with the intervention its level brings.
type priorityItem struct {
	projections.PriorityEntry
	Intervention interventionBrief `json:"intervention"`
}

type interventionBrief struct {
	Priority string `json:"priority"`
	Summary  string `json:"summary"`
}

// priorityOrdering states the queue's order in the response, so a reader
// need not look it up.
const priorityOrdering = "level (5 first); then days at that level (longest first); then, for districts, " +
	"schools at Level 3 or above (most first) and their share of the district's schools with a level (highest first); then org code"

func (s *Server) handlePriority(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if scheme := q.Get("scheme"); scheme != "" && scheme != domain.SchemeLevels {
		writeProblem(w, r, domain.Errorf(domain.EInvalid, "scheme",
			"scheme %q is not supported; use %q, the five-level framework of 2012 to 2017", scheme, domain.SchemeLevels))
		return
	}
	typ := domain.OrgType(q.Get("type"))
	switch typ {
	case "":
		typ = domain.OrgDistrict
	case domain.OrgDistrict, domain.OrgSchool:
	default:
		writeProblem(w, r, domain.Errorf(domain.EInvalid, "type", "type %q is not district or school", typ))
		return
	}
	minLevel := 1
	if v := q.Get("min_level"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			writeProblem(w, r, domain.Errorf(domain.EInvalid, "min_level", "min_level %q must be a number from 1 to 5", v))
			return
		}
		minLevel = n
	}
	page, err := parsePage(r, "priority", maxPageSize)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	// The queue's order depends on levels, not on immutable keys, so the
	// page key is a rank in the queue as of the instant the first page
	// resolved, which the cursor pins. With basis=recorded that queue
	// cannot change; with the effective basis only a backdated level change
	// recorded between two pages can shift it.
	at, err := page.pinnedAsOf(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}

	var ranked []positioned[projections.PriorityEntry]
	for _, e := range s.cfg.Read.AssistancePriority(at, typ) {
		if e.Level >= minLevel {
			ranked = append(ranked, positioned[projections.PriorityEntry]{position: uint64(len(ranked) + 1), item: e})
		}
	}
	entries, next, err := takePage(ranked, page)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	items := make([]priorityItem, 0, len(entries))
	for _, e := range entries {
		iv, _ := catalog().InterventionFor(e.Level)
		items = append(items, priorityItem{PriorityEntry: e, Intervention: interventionBrief{Priority: iv.Priority, Summary: iv.Summary}})
	}
	body := map[string]any{
		"scheme": domain.SchemeLevels, "type": typ, "as_of": at, "ordering": priorityOrdering,
		"total": len(ranked), "items": items, "interventions": catalog().Interventions,
	}
	setNextPage(w, r, page, body, next, &at)
	writeJSON(w, http.StatusOK, body)
}

// parseWindowTime reads a survey window bound: an RFC 3339 instant, or a
// date in America/New_York meaning the start of that day for opens_at and
// the end of it (the next day's start) for closes_at.
func parseWindowTime(field, value string, endOfDay bool) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, value, projections.Massachusetts); err == nil {
		if endOfDay {
			d = d.AddDate(0, 0, 1)
		}
		return d.UTC(), projections.CheckYear(field, d)
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		return time.Time{}, domain.Errorf(domain.EInvalid, field, "%s %q is neither a date like 2017-10-01 nor an RFC 3339 instant", field, value)
	}
	return t.UTC(), projections.CheckYear(field, t)
}
