package comparisons

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/planledger/planledger/domain"
)

// Methods of choosing a comparison group.
const (
	MethodSimilar = "similar" // the orgs Similar returns
	MethodChosen  = "chosen"  // orgs the user picked
)

// MaxChosenPeers bounds a group of orgs picked by the user.
const MaxChosenPeers = 50

// Group is the comparison group of a comparison.
type Group struct {
	Method string `json:"method"`
	// Year and WeightsVersion record how a similar group was computed. Both
	// are empty for a chosen group.
	Year           int           `json:"year,omitempty"`
	WeightsVersion string        `json:"weights_version,omitempty"`
	Peers          []GroupMember `json:"peers"`
}

// GroupMember is one org of a comparison group, with its similarity
// distance when similarity chose it.
type GroupMember struct {
	Org
	Distance *float64 `json:"distance,omitempty"`
}

// Codes returns the org codes of the group's members in order.
func (g Group) Codes() []string {
	out := make([]string, len(g.Peers))
	for i, p := range g.Peers {
		out[i] = p.Code
	}
	return out
}

// SimilarGroup returns the n orgs most similar to code in year as a group.
func (d *Dataset) SimilarGroup(code string, year, n int) (Group, error) {
	res, err := d.Similar(code, year, n)
	if err != nil {
		return Group{}, err
	}
	g := Group{Method: MethodSimilar, Year: year, WeightsVersion: WeightsVersion, Peers: make([]GroupMember, len(res.Peers))}
	for i, p := range res.Peers {
		distance := p.Distance
		g.Peers[i] = GroupMember{Org: p.Org, Distance: &distance}
	}
	return g, nil
}

// ChosenGroup checks orgs a user picked to compare code with: each must be
// in the data, of the same type as code, not code itself, and named once.
// An error names the field as field/i.
func (d *Dataset) ChosenGroup(code string, peers []string, field string) (Group, error) {
	rec, ok := d.orgs[code]
	if !ok {
		return Group{}, domain.Errorf(domain.ENotFound, "code", "no district or school with org code %s is in the comparison data", code)
	}
	if len(peers) == 0 {
		return Group{}, domain.Errorf(domain.EInvalid, field, "name at least one org code to compare %s with", code)
	}
	if len(peers) > MaxChosenPeers {
		return Group{}, domain.Errorf(domain.EInvalid, field, "%d orgs named; compare with at most %d", len(peers), MaxChosenPeers)
	}
	g := Group{Method: MethodChosen, Peers: make([]GroupMember, 0, len(peers))}
	seen := map[string]bool{}
	for i, p := range peers {
		at := fmt.Sprintf("%s/%d", field, i)
		if err := domain.ValidateOrgCode(at, p); err != nil {
			return Group{}, err
		}
		other, ok := d.orgs[p]
		switch {
		case !ok:
			return Group{}, domain.Errorf(domain.EInvalid, at, "no district or school with org code %s is in the comparison data", p)
		case p == code:
			return Group{}, domain.Errorf(domain.EInvalid, at, "%s is the org being compared; name other orgs", p)
		case seen[p]:
			return Group{}, domain.Errorf(domain.EInvalid, at, "%s is named twice", p)
		case other.org.Type != rec.org.Type:
			return Group{}, domain.Errorf(domain.EInvalid, at, "%s is a %s but %s is a %s; compare orgs of one type",
				p, other.org.Type, code, rec.org.Type)
		}
		seen[p] = true
		g.Peers = append(g.Peers, GroupMember{Org: other.org})
	}
	return g, nil
}

// Comparison is several elements side by side over years for an org and
// its comparison group.
type Comparison struct {
	Org      Org                 `json:"org"`
	Years    []int               `json:"years"`
	Group    Group               `json:"group"`
	Elements []ElementComparison `json:"elements"`
}

// ElementComparison is one element's rows, one per requested year the
// element has data for.
type ElementComparison struct {
	Element
	Rows []Row `json:"rows"`
}

// Row is one element in one year: the org's figure, each peer's, and the
// median of the peers' values (absent for a text element or when no peer
// has a value).
type Row struct {
	Year          int          `json:"year"`
	YearLabel     string       `json:"year_label"`
	Org           *Figure      `json:"org"`
	Peers         []PeerFigure `json:"peers"`
	Median        *float64     `json:"median,omitempty"`
	PeersWithData int          `json:"peers_with_data"`
}

// PeerFigure is one peer's figure, null when the peer has no value.
type PeerFigure struct {
	Code   string  `json:"code"`
	Figure *Figure `json:"figure"`
}

// CheckElements checks element keys: at least one, each known and named
// once. An error names the field as field/i.
func (d *Dataset) CheckElements(keys []string, field string) error {
	if len(keys) == 0 {
		return domain.Errorf(domain.EInvalid, field, "name at least one data element; list them at GET /v1/data-elements")
	}
	if len(keys) > len(d.elements) {
		return domain.Errorf(domain.EInvalid, field, "%d elements named but only %d exist", len(keys), len(d.elements))
	}
	for i, k := range keys {
		if _, ok := d.index[k]; !ok {
			return domain.Errorf(domain.EInvalid, fmt.Sprintf("%s/%d", field, i),
				"%q is not a data element; list them at GET /v1/data-elements", k)
		}
		if slices.Index(keys, k) != i {
			return domain.Errorf(domain.EInvalid, fmt.Sprintf("%s/%d", field, i), "element %s is named twice", k)
		}
	}
	return nil
}

// CheckYears checks requested years against elements that passed
// CheckElements and returns them sorted without repeats. No years means
// every year any element has; otherwise each year must have data for at
// least one element. An error names the field as years/i.
func (d *Dataset) CheckYears(keys []string, years []int) ([]int, error) {
	covered := map[int]bool{}
	for _, k := range keys {
		for _, y := range d.elements[d.index[k]].Years {
			covered[y] = true
		}
	}
	if len(years) == 0 {
		return sortedYears(covered), nil
	}
	for i, y := range years {
		if !covered[y] {
			return nil, domain.Errorf(domain.EInvalid, fmt.Sprintf("years/%d", i),
				"no requested element has data for %s; %s", domain.SchoolYearLabel(y), d.coverage(keys))
		}
	}
	years = slices.Clone(years)
	sort.Ints(years)
	return slices.Compact(years), nil
}

// Compare builds the side-by-side table for the years CheckYears accepts.
func (d *Dataset) Compare(code string, keys []string, years []int, g Group) (Comparison, error) {
	rec, ok := d.orgs[code]
	if !ok {
		return Comparison{}, domain.Errorf(domain.ENotFound, "code", "no district or school with org code %s is in the comparison data", code)
	}
	if err := d.CheckElements(keys, "elements"); err != nil {
		return Comparison{}, err
	}
	years, err := d.CheckYears(keys, years)
	if err != nil {
		return Comparison{}, err
	}

	out := Comparison{Org: rec.org, Years: years, Group: g, Elements: make([]ElementComparison, 0, len(keys))}
	for _, k := range keys {
		e := d.elements[d.index[k]]
		ec := ElementComparison{Element: e, Rows: []Row{}}
		ec.Years = slices.Clone(e.Years)
		for _, y := range years {
			if !slices.Contains(e.Years, y) {
				continue
			}
			ec.Rows = append(ec.Rows, d.row(code, e, y, g))
		}
		out.Elements = append(out.Elements, ec)
	}
	return out, nil
}

func (d *Dataset) row(code string, e Element, year int, g Group) Row {
	r := Row{Year: year, YearLabel: domain.SchoolYearLabel(year), Peers: make([]PeerFigure, len(g.Peers))}
	if f, ok := d.Figure(code, e.Key, year); ok {
		r.Org = &f
	}
	var values []float64
	for i, p := range g.Peers {
		r.Peers[i].Code = p.Code
		f, ok := d.Figure(p.Code, e.Key, year)
		if !ok {
			continue
		}
		r.Peers[i].Figure = &f
		r.PeersWithData++
		if f.Value != nil {
			values = append(values, *f.Value)
		}
	}
	if m, ok := median(values); ok {
		m = round(m, e.Decimals+1)
		r.Median = &m
	}
	return r
}

// coverage describes the years each element covers, for an error message.
func (d *Dataset) coverage(keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s covers %s", k, yearRange(d.elements[d.index[k]].Years))
	}
	return strings.Join(parts, ", ")
}

// median returns the middle value, or the mean of the two middle values.
func median(values []float64) (float64, bool) {
	if len(values) == 0 {
		return 0, false
	}
	s := slices.Clone(values)
	sort.Float64s(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid], true
	}
	return (s[mid-1] + s[mid]) / 2, true
}

// Format prints a value of the element with its unit, e.g. "779",
// "12.3%", "51.5".
func (e Element) Format(v float64) string {
	s := strconv.FormatFloat(v, 'f', e.Decimals, 64)
	if e.Unit == UnitStudents {
		whole, fraction, hasFraction := strings.Cut(s, ".")
		s = thousands(whole)
		if hasFraction {
			s += "." + fraction
		}
	}
	if e.Unit == UnitPercent {
		s += "%"
	}
	return s
}

// FormatMedian prints a median, which carries one more decimal than the
// element's values so a median between two values is not rounded to one.
func (e Element) FormatMedian(v float64) string {
	wider := e
	wider.Decimals++
	s := strconv.FormatFloat(v, 'f', wider.Decimals, 64)
	// A median that is itself a value prints like one.
	if strings.HasSuffix(s, "0") {
		return e.Format(v)
	}
	return wider.Format(v)
}

// thousands puts commas in a whole number: "2295" becomes "2,295".
func thousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Cited returns the figures a plan analysis cites, for printing. Unlike
// Compare it checks nothing, because a stored analysis must print even if
// the data no longer has one of its elements, years or peers. Such an
// element is left out, and such a peer keeps its code with no name and no
// figures.
func (d *Dataset) Cited(code string, keys []string, years []int, peers []string) Comparison {
	out := Comparison{Years: slices.Clone(years), Group: Group{Peers: make([]GroupMember, len(peers))}}
	if rec, ok := d.orgs[code]; ok {
		out.Org = rec.org
	} else {
		out.Org = Org{Code: code}
	}
	for i, p := range peers {
		if rec, ok := d.orgs[p]; ok {
			out.Group.Peers[i] = GroupMember{Org: rec.org}
		} else {
			out.Group.Peers[i] = GroupMember{Org: Org{Code: p}}
		}
	}
	for _, k := range keys {
		i, ok := d.index[k]
		if !ok {
			continue
		}
		e := d.elements[i]
		ec := ElementComparison{Element: e, Rows: []Row{}}
		for _, y := range years {
			if slices.Contains(e.Years, y) {
				ec.Rows = append(ec.Rows, d.row(code, e, y, out.Group))
			}
		}
		out.Elements = append(out.Elements, ec)
	}
	return out
}

// DefaultYear returns the latest year in which an org has every similarity
// feature, or else its latest year with students; false when it has none.
func (d *Dataset) DefaultYear(code string) (int, bool) {
	years := d.Years(code)
	fallback, found := 0, false
	for i := len(years) - 1; i >= 0; i-- {
		v, _, ok := d.vectorOf(code, years[i])
		if !ok {
			continue
		}
		if !found {
			fallback, found = years[i], true
		}
		if v.has == [5]bool{true, true, true, true, true} {
			return years[i], true
		}
	}
	return fallback, found
}
