package http

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/domain"
)

func (s *Server) registerSchemeRoutes(r *mux.Router) {
	r.HandleFunc("/v1/schemes", s.handleSchemes).Methods(http.MethodGet)
	r.HandleFunc("/v1/orgs/{code}/levels", s.handleOrgLevels).Methods(http.MethodGet)
}

// levelView is a history entry with its classification in words.
type levelView struct {
	domain.LevelEntry
	Label      string `json:"label"`
	SchemeName string `json:"scheme_name"`
}

func newLevelView(e *domain.LevelEntry) *levelView {
	if e == nil {
		return nil
	}
	scheme, _ := domain.SchemeByID(e.Scheme)
	return &levelView{LevelEntry: *e, Label: e.Label(), SchemeName: scheme.Name}
}

// standingView is domain.Standing with the scheme named rather than listed
// in full.
type standingView struct {
	Scheme     string     `json:"scheme"`
	SchemeName string     `json:"scheme_name"`
	Current    *levelView `json:"current"`
	Earlier    *levelView `json:"earlier"`
}

func (s *Server) handleSchemes(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"items": domain.Schemes})
}

// handleOrgLevels lists an org's classifications under every scheme as of
// an instant, oldest first, with its standing under the scheme in force
// then.
func (s *Server) handleOrgLevels(w http.ResponseWriter, r *http.Request) {
	code := mux.Vars(r)["code"]
	if _, ok := s.lookupOrg(w, r, code); !ok {
		return
	}
	at, err := asOfFrom(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	items := []*levelView{}
	for _, e := range s.cfg.Read.LevelsAt(code, at) {
		items = append(items, newLevelView(&e))
	}
	standing := s.cfg.Read.StandingAt(code, at)
	writeJSON(w, http.StatusOK, map[string]any{
		"org_code": code,
		"as_of":    at,
		"standing": standingView{Scheme: standing.Scheme.ID, SchemeName: standing.Scheme.Name,
			Current: newLevelView(standing.Current), Earlier: newLevelView(standing.Earlier)},
		"items":         items,
		"level_version": s.cfg.Read.Sequence(domain.KindLevel, code),
	})
}

// feedItem is a level event as the feed sends it, with its scheme beside
// the envelope, because events of schema version 1 lack it in the payload.
type feedItem struct {
	domain.Event
	Scheme string `json:"scheme,omitempty"`
}

func newFeedItem(e domain.Event) feedItem {
	var c domain.LevelChanged
	if e.Decode(&c) != nil {
		return feedItem{Event: e}
	}
	return feedItem{Event: e, Scheme: c.Scheme}
}

func feedItems(events []domain.Event) []feedItem {
	out := make([]feedItem, len(events))
	for i, e := range events {
		out[i] = newFeedItem(e)
	}
	return out
}
