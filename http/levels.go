package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/domain"
)

// sseHeartbeat keeps idle feed connections open through proxies.
const sseHeartbeat = 20 * time.Second

func (s *Server) registerLevelRoutes(r *mux.Router) {
	r.HandleFunc("/v1/level-changes", s.handleLevelChanges).Methods(http.MethodGet)
	r.HandleFunc("/v1/level-changes/stream", s.handleLevelStream).Methods(http.MethodGet)
}

// afterSequence reads the stream sequence to resume after, from the SSE
// Last-Event-ID header or the "after" query parameter.
func afterSequence(r *http.Request) (uint64, error) {
	v := r.Header.Get("Last-Event-ID")
	field := "Last-Event-ID"
	if v == "" {
		v, field = r.URL.Query().Get("after"), "after"
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, domain.Errorf(domain.EInvalid, field, "%s %q is not a stream sequence number", field, v)
	}
	return n, nil
}

// handleLevelChanges returns level-change events after a stream sequence,
// oldest first, for clients that poll instead of streaming. next_after is
// the resume point even on the last page; next_cursor appears only when
// more events are already stored.
func (s *Server) handleLevelChanges(w http.ResponseWriter, r *http.Request) {
	page, err := parsePage(r, "level-changes", maxPageSize)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	after, err := page.afterPosition()
	if err == nil && page.after == "" {
		after, err = afterSequence(r)
	} else if err == nil && (r.Header.Get("Last-Event-ID") != "" || r.URL.Query().Get("after") != "") {
		err = domain.Errorf(domain.EInvalid, "cursor", "send one of cursor, after or Last-Event-ID, not several")
	}
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	backlog, _, cancel := s.cfg.Read.FollowLevels(after)
	cancel()
	more := len(backlog) > page.limit
	if more {
		backlog = backlog[:page.limit]
	}
	next := after
	if len(backlog) > 0 {
		next = backlog[len(backlog)-1].StreamSequence
	}
	body := map[string]any{"items": feedItems(backlog), "next_after": next}
	if more {
		setNextPage(w, r, page, body, strconv.FormatUint(next, 10), nil)
	}
	writeJSON(w, http.StatusOK, body)
}

// handleLevelStream sends level changes as server-sent events: first every
// event after the resume point, then each new one as it is applied. Each
// event's SSE id is its stream sequence, so a reconnecting client resumes
// with Last-Event-ID and misses nothing.
func (s *Server) handleLevelStream(w http.ResponseWriter, r *http.Request) {
	after, err := afterSequence(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeProblem(w, r, domain.Errorf(domain.EInternal, "", "response writer cannot stream"))
		return
	}
	// The stream stays open for as long as the client reads it, so it lifts
	// the server's read and write deadlines. A lapsed read deadline would
	// also cancel the request context and end the stream.
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.log.Warn("level stream: lift read deadline", "err", err, "request_id", requestID(r))
	}
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.log.Warn("level stream: lift write deadline", "err", err, "request_id", requestID(r))
	}
	backlog, live, cancel := s.cfg.Read.FollowLevels(after)
	defer cancel()

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	for _, e := range backlog {
		if err := writeSSE(w, e); err != nil {
			return
		}
	}
	flusher.Flush()

	tick := time.NewTicker(sseHeartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.stopping:
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
			flusher.Flush()
		case e, open := <-live:
			if !open {
				return // fell behind; the client reconnects with Last-Event-ID
			}
			if err := writeSSE(w, e); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

func writeSSE(w http.ResponseWriter, e domain.Event) error {
	data, err := json.Marshal(newFeedItem(e))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.StreamSequence, e.Type, data)
	return err
}
