package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

// orgsPerPage is the number of organizations one list page shows.
const orgsPerPage = 50

type orgsPage struct {
	Page
	Query  string
	Type   string
	Rows   []orgRow
	Next   string // the next page's link, or ""
	Search bool   // whether a search or filter narrowed the list
}

type orgRow struct {
	Org          domain.Org
	Href         string
	DistrictName string
	Current      *domain.LevelEntry
	History      []domain.LevelEntry
}

// handleOrgs lists organizations by code, filtered by name and type, with
// each one's level history. "after" is the last code of the previous page.
func (u *UI) handleOrgs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := orgsPage{Page: Page{Title: "Districts and schools"}, Query: strings.TrimSpace(q.Get("q")), Type: q.Get("type")}
	typ := domain.OrgType(page.Type)
	if typ != "" && typ != domain.OrgDistrict && typ != domain.OrgSchool {
		page.Error, page.ErrorField = "Type "+page.Type+" is not district or school; pick one of the listed types.", "type"
		u.render(w, r, http.StatusBadRequest, "orgs", page)
		return
	}
	page.Search = page.Query != "" || typ != ""
	name := strings.ToLower(page.Query)
	after := q.Get("after")
	now, _ := projections.ParseAsOf("", "", u.now())
	for _, o := range u.cfg.Read.Orgs(typ) {
		if o.Code <= after || (name != "" && !strings.Contains(strings.ToLower(o.Name), name) && o.Code != page.Query) {
			continue
		}
		if len(page.Rows) == orgsPerPage {
			next := url.Values{"after": {page.Rows[len(page.Rows)-1].Org.Code}}
			if page.Query != "" {
				next.Set("q", page.Query)
			}
			if page.Type != "" {
				next.Set("type", page.Type)
			}
			page.Next = "/ui/?" + next.Encode()
			break
		}
		page.Rows = append(page.Rows, u.orgRow(o, now))
	}
	u.render(w, r, http.StatusOK, "orgs", page)
}

func (u *UI) orgRow(o domain.Org, now projections.AsOf) orgRow {
	row := orgRow{Org: o, Href: "/ui/orgs/" + url.PathEscape(o.Code),
		Current: u.cfg.Read.LevelAt(o.Code, now), History: u.cfg.Read.Levels(o.Code)}
	if o.Type == domain.OrgSchool {
		if d, ok := u.cfg.Read.Org(o.DistrictCode); ok {
			row.DistrictName = d.Name
		}
	}
	return row
}

type orgPage struct {
	Page
	Org      domain.Org
	District *orgRow
	Current  *domain.LevelEntry
	Levels   []domain.LevelEntry
	Plans    []planLink
	Schools  []orgRow
}

type planLink struct {
	Plan   *domain.Plan
	Href   string
	Kind   string
	Period string
}

// handleOrg shows one organization: its facts, its levels over time, its
// plans and, for a district, its schools.
func (u *UI) handleOrg(w http.ResponseWriter, r *http.Request) {
	code := mux.Vars(r)["code"]
	if err := domain.ValidateOrgCode("code", code); err != nil {
		u.fail(w, r, "Invalid org code", err)
		return
	}
	org, ok := u.cfg.Read.Org(code)
	if !ok {
		u.fail(w, r, "Organization not found", domain.Errorf(domain.ENotFound, "code", "no district or school has org code %s", code))
		return
	}
	now, _ := projections.ParseAsOf("", "", u.now())
	page := orgPage{
		Page:    Page{Title: org.Name, Crumbs: []Crumb{{"Districts and schools", "/ui/"}}},
		Org:     org,
		Current: u.cfg.Read.LevelAt(code, now),
		Levels:  u.cfg.Read.Levels(code),
	}
	if org.Type == domain.OrgSchool {
		if d, ok := u.cfg.Read.Org(org.DistrictCode); ok {
			row := u.orgRow(d, now)
			page.District = &row
			page.Crumbs = append(page.Crumbs, Crumb{d.Name, row.Href})
		}
	} else {
		for _, s := range u.cfg.Read.Orgs(domain.OrgSchool) {
			if s.DistrictCode == code {
				page.Schools = append(page.Schools, u.orgRow(s, now))
			}
		}
	}
	for _, p := range u.cfg.Read.PlansFor(code) {
		page.Plans = append(page.Plans, planLink{
			Plan:   p,
			Href:   "/ui/plans/" + url.PathEscape(p.ID),
			Kind:   kindName(p.Kind),
			Period: p.PeriodLabel(),
		})
	}
	u.render(w, r, http.StatusOK, "org", page)
}

func kindName(k domain.PlanKind) string {
	if k == domain.PlanDIP {
		return "District Improvement Plan"
	}
	return "School Improvement Plan"
}
