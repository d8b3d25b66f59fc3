package http

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/planledger/planledger/comparisons"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/pdf"
)

func (s *Server) registerComparisonRoutes(r *mux.Router) {
	r.HandleFunc("/v1/data-elements", s.handleDataElements).Methods(http.MethodGet)
	r.HandleFunc("/v1/orgs/{code}/similar", s.handleSimilar).Methods(http.MethodGet)
	r.HandleFunc("/v1/orgs/{code}/compare", s.handleCompare).Methods(http.MethodGet)
	r.HandleFunc("/v1/plans/{id}/analyses", s.handleAnalysisRecord).Methods(http.MethodPost)
	r.HandleFunc("/v1/plans/{id}/analyses/{item}", s.handleAnalysisRevise).Methods(http.MethodPut)
	r.HandleFunc("/v1/plans/{id}/analyses/{item}", s.handleAnalysisRemove).Methods(http.MethodDelete)
}

// dataset returns the comparison data, or a 503 error when the server was
// started without it.
func (s *Server) dataset() (*comparisons.Dataset, error) {
	if s.cfg.Data == nil {
		return nil, domain.Errorf(domain.EUnavailable, "", "the comparison data is not loaded on this server; start it with the bundled data, as planledger serve does")
	}
	return s.cfg.Data, nil
}

// catalog returns the comparison data as the domain checks it, nil when it
// is not loaded; the domain then reports it unavailable.
func (s *Server) catalog() domain.DataCatalog {
	if s.cfg.Data == nil {
		return nil
	}
	return s.cfg.Data
}

func (s *Server) handleDataElements(w http.ResponseWriter, r *http.Request) {
	data, err := s.dataset()
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"items":               data.Elements(),
		"weights_version":     comparisons.WeightsVersion,
		"similarity_features": comparisons.SimilarityFeatures,
	})
}

// orgCodeFrom reads and checks the {code} path variable.
func orgCodeFrom(r *http.Request) (string, error) {
	code := mux.Vars(r)["code"]
	return code, domain.ValidateOrgCode("code", code)
}

// parseYear reads a school year given by its spring ("2017") or its span
// ("2016-17").
func parseYear(field, value string) (int, error) {
	v := strings.TrimSpace(value)
	if first, second, ok := strings.Cut(v, "-"); ok {
		a, errA := strconv.Atoi(first)
		b, errB := strconv.Atoi(second)
		if errA == nil && errB == nil && len(first) == 4 && len(second) == 2 && (a+1)%100 == b {
			return a + 1, nil
		}
	} else if y, err := strconv.Atoi(v); err == nil && len(v) == 4 {
		return y, nil
	}
	return 0, domain.Errorf(domain.EInvalid, field, "%q is not a school year such as 2017 or 2016-17", value)
}

// parsePeerCount reads the n parameter, DefaultPeerCount when absent.
func parsePeerCount(value string) (int, error) {
	if value == "" {
		return comparisons.DefaultPeerCount, nil
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 || n > comparisons.MaxPeerCount {
		return 0, domain.Errorf(domain.EInvalid, "n", "n %q must be a whole number from 1 to %d", value, comparisons.MaxPeerCount)
	}
	return n, nil
}

// splitList splits a comma-separated parameter, dropping empty items.
func splitList(value string) []string {
	var out []string
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (s *Server) handleSimilar(w http.ResponseWriter, r *http.Request) {
	data, err := s.dataset()
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	code, err := orgCodeFrom(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	q := r.URL.Query()
	n, err := parsePeerCount(q.Get("n"))
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	year, err := s.yearOrDefault(data, code, "year", q.Get("year"))
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	res, err := data.Similar(code, year, n)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// yearOrDefault parses a year parameter, or picks the org's latest year
// with every similarity feature when it is absent.
func (s *Server) yearOrDefault(data *comparisons.Dataset, code, field, value string) (int, error) {
	if value != "" {
		return parseYear(field, value)
	}
	if _, ok := data.Org(code); !ok {
		return 0, domain.Errorf(domain.ENotFound, "code", "no district or school with org code %s is in the comparison data", code)
	}
	year, ok := data.DefaultYear(code)
	if !ok {
		return 0, domain.Errorf(domain.EInvalid, field, "%s has no year with enrolled students; name a year", code)
	}
	return year, nil
}

func (s *Server) handleCompare(w http.ResponseWriter, r *http.Request) {
	data, err := s.dataset()
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	code, err := orgCodeFrom(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	if _, ok := data.Org(code); !ok {
		writeProblem(w, r, domain.Errorf(domain.ENotFound, "code", "no district or school with org code %s is in the comparison data", code))
		return
	}

	q := r.URL.Query()
	keys := splitList(q.Get("elements"))
	if err := data.CheckElements(keys, "elements"); err != nil {
		writeProblem(w, r, err)
		return
	}
	var years []int
	for i, v := range splitList(q.Get("years")) {
		y, err := parseYear(fmt.Sprintf("years/%d", i), v)
		if err != nil {
			writeProblem(w, r, err)
			return
		}
		years = append(years, y)
	}
	if _, err := data.CheckYears(keys, years); err != nil {
		writeProblem(w, r, err)
		return
	}

	group, err := s.compareGroup(data, code, years, q.Get("peers"), q.Get("n"), q.Get("peer_year"))
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	res, err := data.Compare(code, keys, years, group)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// compareGroup resolves the peers parameter: "similar" (the default) or
// org codes. A similar group is computed in peer_year, by default the
// latest requested year, or the org's default year when none is requested.
func (s *Server) compareGroup(data *comparisons.Dataset, code string, years []int, peers, n, peerYear string) (comparisons.Group, error) {
	if peers != "" && peers != comparisons.MethodSimilar {
		if n != "" || peerYear != "" {
			field := "n"
			if n == "" {
				field = "peer_year"
			}
			return comparisons.Group{}, domain.Errorf(domain.EInvalid, field, "%s applies only to peers=similar; leave it out with chosen peers", field)
		}
		return data.ChosenGroup(code, splitList(peers), "peers")
	}
	count, err := parsePeerCount(n)
	if err != nil {
		return comparisons.Group{}, err
	}
	year := 0
	switch {
	case peerYear != "":
		year, err = parseYear("peer_year", peerYear)
	case len(years) > 0:
		year = years[0]
		for _, y := range years {
			year = max(year, y)
		}
	default:
		year, err = s.yearOrDefault(data, code, "peer_year", "")
	}
	if err != nil {
		return comparisons.Group{}, err
	}
	g, err := data.SimilarGroup(code, year, count)
	if de, ok := err.(*domain.Error); ok && de.Field == "year" {
		return comparisons.Group{}, domain.Errorf(de.Code, "peer_year", "%s; set peer_year to a year it has", de.Message)
	}
	return g, err
}

// analysisRequest is the body of an analysis write.
type analysisRequest struct {
	planEdit
	domain.Analysis
}

func (s *Server) handleAnalysisRecord(w http.ResponseWriter, r *http.Request) {
	var req analysisRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	data := s.catalog()
	s.changePlan(w, r, req.planEdit, http.StatusCreated, func(p *domain.Plan) (domain.Draft, error) {
		return domain.DecideRecordAnalysis(p, req.Analysis, data)
	})
}

func (s *Server) handleAnalysisRevise(w http.ResponseWriter, r *http.Request) {
	var req analysisRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeProblem(w, r, err)
		return
	}
	req.Analysis.ID = mux.Vars(r)["item"]
	data := s.catalog()
	s.changePlan(w, r, req.planEdit, http.StatusOK, func(p *domain.Plan) (domain.Draft, error) {
		return domain.DecideReviseAnalysis(p, req.Analysis, data)
	})
}

func (s *Server) handleAnalysisRemove(w http.ResponseWriter, r *http.Request) {
	item := mux.Vars(r)["item"]
	s.changePlan(w, r, planEdit{}, http.StatusOK, func(p *domain.Plan) (domain.Draft, error) {
		return domain.DecideRemoveAnalysis(p, item)
	})
}

// AnalysisFigures computes what a plan PDF prints with each of the plan's
// data analyses. With no data every analysis prints without figures.
func AnalysisFigures(data *comparisons.Dataset, plan domain.Plan) map[string]pdf.AnalysisFigures {
	if len(plan.Analyses) == 0 {
		return nil
	}
	out := make(map[string]pdf.AnalysisFigures, len(plan.Analyses))
	for _, a := range plan.Analyses {
		if data == nil {
			out[a.ID] = pdf.AnalysisFigures{Unavailable: "Figures not available: the comparison data is not loaded."}
			continue
		}
		out[a.ID] = analysisFigures(data, plan.OrgCode, a)
	}
	return out
}

func analysisFigures(data *comparisons.Dataset, orgCode string, a domain.Analysis) pdf.AnalysisFigures {
	cited := data.Cited(orgCode, a.Elements, a.Years, a.Comparison.Peers)
	var f pdf.AnalysisFigures
	for _, key := range a.Elements {
		label := key + " (not in the data)"
		if e, ok := data.Element(key); ok {
			label = e.Label
		}
		f.ElementLabels = append(f.ElementLabels, label)
	}
	for _, p := range cited.Group.Peers {
		name := p.Code + " (not in the data)"
		if p.Name != "" {
			name = fmt.Sprintf("%s (%s)", p.Name, p.Code)
		}
		f.PeerNames = append(f.PeerNames, name)
	}
	for _, ec := range cited.Elements {
		for _, row := range ec.Rows {
			f.Rows = append(f.Rows, pdf.FigureRow{
				Element: ec.Label, Year: row.YearLabel,
				Org:           figureText(ec.Element, row.Org),
				Median:        medianText(ec.Element, row),
				PeersWithData: fmt.Sprintf("%d of %d", row.PeersWithData, len(row.Peers)),
			})
		}
	}
	return f
}

// figureText formats a figure with the aggregated mark, "" when missing.
func figureText(e comparisons.Element, f *comparisons.Figure) string {
	if f == nil {
		return ""
	}
	text := f.Text
	if f.Value != nil {
		text = e.Format(*f.Value)
	}
	if f.Aggregated {
		text += " *"
	}
	return text
}

// medianText formats a row's group median, marked when any peer value in
// it is aggregated; a text element has no median.
func medianText(e comparisons.Element, row comparisons.Row) string {
	if e.Text {
		return "n/a"
	}
	if row.Median == nil {
		return ""
	}
	text := e.FormatMedian(*row.Median)
	for _, p := range row.Peers {
		if p.Figure != nil && p.Figure.Aggregated {
			return text + " *"
		}
	}
	return text
}
