// Package web serves the auditor's pages under /ui/ and the accessible HTML
// version of a plan document. Pages are rendered on the server with
// html/template, which escapes every value, and carry no script at all:
// the Content-Security-Policy allows only the embedded stylesheet.
package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/pdf"
	"github.com/planledger/planledger/projections"
)

// Config wires the pages to the read model.
type Config struct {
	Read *projections.Projector
	// Document builds what a printed plan shows for a plan view. The HTTP
	// server passes the builder the PDF endpoint uses, so a page, the
	// accessible document and the PDF state the same facts.
	Document func(view projections.PlanView) pdf.Document
	Logger   *slog.Logger
}

// UI is the set of auditor pages.
type UI struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
}

// New returns the pages for cfg.
func New(cfg Config) *UI {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &UI{cfg: cfg, log: cfg.Logger.With("component", "web"), now: time.Now}
}

// Register adds the pages to r, each under /ui/ and for GET only.
func (u *UI) Register(r *mux.Router) {
	r.HandleFunc("/ui/", u.handleOrgs).Methods(http.MethodGet)
	r.HandleFunc("/ui/orgs/{code}", u.handleOrg).Methods(http.MethodGet)
	r.HandleFunc("/ui/plans/{id}", u.handlePlan).Methods(http.MethodGet)
	r.HandleFunc("/ui/plans/{id}/history", u.handleHistory).Methods(http.MethodGet)
	r.HandleFunc("/ui/plans/{id}/diff", u.handleDiff).Methods(http.MethodGet)
}

//go:embed style.css
var styleSheet string

// contentSecurityPolicy allows nothing but the one inline stylesheet, by
// its hash, and forms that submit to this server. Pages have no script,
// image, font or frame, so any that appeared would be blocked.
var contentSecurityPolicy = func() string {
	sum := sha256.Sum256([]byte(styleSheet))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}()

// setSecurityHeaders sets the headers every HTML response carries.
func setSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// render executes a page template into a buffer first, so a template error
// becomes a 500 rather than half a page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	var buf bytes.Buffer
	if err := pages[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		u.log.Error("render page failed", "page", page, "path", r.URL.Path, "err", err)
		setSecurityHeaders(w)
		w.WriteHeader(http.StatusInternalServerError)
		_ = pages["error"].ExecuteTemplate(w, "layout", errorPage{
			Page:    Page{Title: "Internal error"},
			Message: "The page could not be rendered. The server log has the details.",
		})
		return
	}
	setSecurityHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Page holds what the layout template shows on every page.
type Page struct {
	Title string // the document title and, unless H1 is set, the h1
	H1    string
	// Crumbs lead from the organizations list to the page's parent.
	Crumbs []Crumb
	// Error is a message shown above the content, ErrorField the form
	// field it is about.
	Error      string
	ErrorField string
}

// Crumb is one link of the breadcrumb trail.
type Crumb struct {
	Label string
	Href  string
}

// CSS returns the embedded stylesheet for the layout's style element.
func (Page) CSS() template.CSS { return template.CSS(styleSheet) }

// Heading returns the page's h1 text.
func (p Page) Heading() string {
	if p.H1 != "" {
		return p.H1
	}
	return p.Title
}

type errorPage struct {
	Page
	Message string
}

// fail renders an error page with the status that err's code maps to.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, title string, err error) {
	status, message := describeError(err)
	if status == http.StatusInternalServerError {
		u.log.Error("page failed", "path", r.URL.Path, "err", err)
	}
	u.render(w, r, status, "error", errorPage{Page: Page{Title: title}, Message: message})
}

// describeError returns the HTTP status of err and the message a reader
// may see. Internal errors are not shown.
func describeError(err error) (int, string) {
	var de *domain.Error
	if !errors.As(err, &de) {
		return http.StatusInternalServerError, "An internal error occurred. The server log has the details."
	}
	switch de.Code {
	case domain.EInvalid:
		return http.StatusBadRequest, de.Message
	case domain.ENotFound:
		return http.StatusNotFound, de.Message
	case domain.EUnavailable:
		return http.StatusServiceUnavailable, de.Message
	default:
		return http.StatusInternalServerError, "An internal error occurred. The server log has the details."
	}
}

// errorField returns the field an error names, or "".
func errorField(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Field
	}
	return ""
}

// PlanPath returns the API path of a plan rendering, format "pdf" or
// "html", pinned to a resolved instant, its basis and a plan version, so
// the path gives the same document whenever it is followed. Version 0
// leaves the version out.
func PlanPath(id, format string, at projections.AsOf, version uint64) string {
	path := "/v1/plans/" + url.PathEscape(id) + "/" + format +
		"?as_of=" + at.Instant.UTC().Format(time.RFC3339Nano) + "&basis=" + at.Basis
	if version > 0 {
		path += "&version=" + strconv.FormatUint(version, 10)
	}
	return path
}

// uiPlanPath returns the path of the plan page pinned like PlanPath.
func uiPlanPath(id string, at projections.AsOf, version uint64) string {
	q := url.Values{}
	q.Set("as_of", at.Instant.UTC().Format(time.RFC3339Nano))
	q.Set("basis", at.Basis)
	if version > 0 {
		q.Set("version", strconv.FormatUint(version, 10))
	}
	return "/ui/plans/" + url.PathEscape(id) + "?" + q.Encode()
}
