package http

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

// Every list route pages the same way (docs/api.md): limit sets the page
// size, cursor continues after the last item of the previous page, and a
// response with more items after it carries next_cursor and a Link header
// with rel="next". A cursor names the last item by a key that never
// changes once the item exists: an org code, a stream or aggregate
// sequence, or the item's position in an append-only creation order. So
// items appended between two page requests never shift a page, and no item
// is skipped or repeated.

// pageCursor is the decoded form of an opaque cursor.
type pageCursor struct {
	// List names the list the cursor belongs to, so a cursor from one list
	// is rejected on another instead of silently meaning something else.
	List string `json:"l"`
	// Key is the ordering key of the last item returned.
	Key string `json:"k"`
	// AsOf and Basis pin a list read as of an instant to the instant the
	// first page resolved, so later pages show the same moment.
	AsOf  *time.Time `json:"t,omitempty"`
	Basis string     `json:"b,omitempty"`
}

func (c pageCursor) encode() string {
	raw, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("encode page cursor: %v", err)) // the struct always encodes
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// pageRequest is a list request's page: at most limit items after the item
// whose key is after ("" starts at the first item).
type pageRequest struct {
	list  string
	limit int
	after string
	asOf  *projections.AsOf // from the cursor, for lists read as of an instant
}

// parsePage reads limit and cursor for the list named list. defaultLimit
// applies without limit.
func parsePage(r *http.Request, list string, defaultLimit int) (pageRequest, error) {
	q := r.URL.Query()
	page := pageRequest{list: list, limit: defaultLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return page, domain.Errorf(domain.EInvalid, "limit", "limit %q must be a number from 1 to %d", v, maxPageSize)
		}
		page.limit = n
	}
	v := q.Get("cursor")
	if v == "" {
		return page, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(v)
	var c pageCursor
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil {
		return page, domain.Errorf(domain.EInvalid, "cursor",
			"cursor %q is not a cursor this server issued; send next_cursor from the previous page unchanged", v)
	}
	if c.List != list {
		return page, domain.Errorf(domain.EInvalid, "cursor",
			"this cursor belongs to another list; send the next_cursor this list returned, or omit cursor to start over")
	}
	page.after = c.Key
	if c.AsOf != nil {
		page.asOf = &projections.AsOf{Instant: c.AsOf.UTC(), Basis: c.Basis}
	}
	return page, nil
}

// afterPosition returns the position the page continues after, for lists
// keyed by a position or sequence; 0 starts at the first item, whose
// position is 1.
func (p pageRequest) afterPosition() (uint64, error) {
	if p.after == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(p.after, 10, 64)
	if err != nil {
		return 0, domain.Errorf(domain.EInvalid, "cursor", "this cursor does not belong to this list; omit cursor to start over")
	}
	return n, nil
}

// pinnedAsOf resolves the instant of a list read as of an instant: the
// cursor's instant on later pages, else the as_of and basis parameters.
// A later page whose parameters name another instant is an error, because
// its items would come from a different moment than the first page's.
func (p pageRequest) pinnedAsOf(r *http.Request) (projections.AsOf, error) {
	at, err := asOfFrom(r)
	if err != nil || p.asOf == nil {
		return at, err
	}
	q := r.URL.Query()
	if (q.Get("as_of") != "" && !at.Instant.Equal(p.asOf.Instant)) || (q.Get("basis") != "" && at.Basis != p.asOf.Basis) {
		return at, domain.Errorf(domain.EInvalid, "as_of",
			"as_of and basis differ from the first page's (%s, %s); repeat them unchanged or omit them with a cursor",
			p.asOf.Instant.Format(time.RFC3339Nano), p.asOf.Basis)
	}
	return *p.asOf, nil
}

// positioned is a list item with its ordering key.
type positioned[T any] struct {
	position uint64
	item     T
}

// takePage returns the page of items, which must be in ascending position
// order, and the key of its last item when more items follow.
func takePage[T any](items []positioned[T], page pageRequest) ([]T, string, error) {
	after, err := page.afterPosition()
	if err != nil {
		return nil, "", err
	}
	out := make([]T, 0, min(page.limit, len(items)))
	for i, it := range items {
		if it.position <= after {
			continue
		}
		if len(out) == page.limit {
			return out, strconv.FormatUint(items[i-1].position, 10), nil
		}
		out = append(out, it.item)
	}
	return out, "", nil
}

// setNextPage adds next_cursor to body and a Link header with rel="next"
// when next, the key of the page's last item, is not empty. at is the
// instant a list read as of an instant resolved, or nil.
func setNextPage(w http.ResponseWriter, r *http.Request, page pageRequest, body map[string]any, next string, at *projections.AsOf) {
	if next == "" {
		return
	}
	c := pageCursor{List: page.list, Key: next}
	if at != nil {
		instant := at.Instant
		c.AsOf, c.Basis = &instant, at.Basis
	}
	cursor := c.encode()
	body["next_cursor"] = cursor
	q := r.URL.Query()
	q.Del("after")
	q.Set("cursor", cursor)
	link := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	w.Header().Add("Link", fmt.Sprintf("<%s>; rel=\"next\"", link.String()))
}
