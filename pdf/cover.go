package pdf

import (
	"fmt"
	"strings"

	"github.com/planledger/planledger/domain"
)

// Statutory basis lines printed on the cover.
const (
	basisDIP = "603 CMR 2.03(5); M.G.L. c.69 s.1I"
	basisSIP = "603 CMR 2.03(5)(b); M.G.L. c.69 s.1I and c.71 s.59C"
)

// coverLabelWidth is the width of the label column of the cover's facts.
const coverLabelWidth = 48.0

// fact is one labelled line of the cover.
type fact struct {
	label string
	value []para
}

// cover prints the first page: the plan kind, title and the facts that
// identify the plan.
func (r *renderer) cover() {
	r.pdf.AddPage()
	r.pdf.Bookmark("Cover", 0, -1)
	r.pdf.SetY(marginTop + 20)
	r.paragraph(r.kindName(), styleBold, 24)
	r.pdf.SetY(r.pdf.GetY() + 3)
	title := r.doc.Plan.Title
	if title == "" {
		r.paragraph("Untitled plan", styleMuted, 16)
	} else {
		r.paragraph(title, styleBold, 16)
	}
	r.pdf.SetY(r.pdf.GetY() + 10)
	for _, f := range r.coverFacts() {
		r.drawFact(f)
	}
}

// coverFacts lists the cover's facts in print order.
func (r *renderer) coverFacts() []fact {
	p := r.doc.Plan
	text := func(s string) []para { return []para{{text: s}} }
	var facts []fact
	if p.Kind == domain.PlanDIP {
		facts = append(facts,
			fact{"District", text(r.orgName())},
			fact{"DESE org code", text(p.OrgCode)})
	} else {
		facts = append(facts,
			fact{"School", text(r.doc.OrgName)},
			fact{"DESE org code", text(p.OrgCode)},
			fact{"District", text(r.doc.DistrictName)},
			fact{"District org code", text(domain.DistrictCodeOf(p.OrgCode))})
	}
	facts = append(facts,
		fact{"Period", text(p.PeriodLabel())},
		r.standingFact())
	if p.Kind == domain.PlanSIP {
		facts = append(facts, fact{"Aligned district plan", r.alignedDIP()})
	}
	basis := basisSIP
	if p.Kind == domain.PlanDIP {
		basis = basisDIP
	}
	facts = append(facts,
		fact{"Statutory basis", text(basis)},
		fact{"Plan ID", text(p.ID)},
		fact{"As of", r.asOfParas()})
	if p.Note != "" {
		facts = append(facts, fact{"Note", text(p.Note)})
	}
	return facts
}

// asOfParas states which events the PDF reflects and, when the last one is
// chained, its full chain hash. The hash is printed in groups of 16 hex
// digits, because at body size it is wider than the value column.
func (r *renderer) asOfParas() []para {
	paras := []para{{text: r.asOfDetail()}}
	if h := r.doc.ChainHash; h != "" {
		var groups []string
		for i := 0; i < len(h); i += footerHashDigits {
			groups = append(groups, h[i:min(i+footerHashDigits, len(h))])
		}
		paras = append(paras, para{text: "Chain hash " + strings.Join(groups, " ")})
	}
	return paras
}

// levelParas describes the org's accountability level and its source.
func (r *renderer) levelParas() []para {
	return entryParas(r.doc.Level)
}

// entryParas describes one classification entry and its source.
func entryParas(lv *domain.LevelEntry) []para {
	if lv == nil {
		return []para{{text: "No level on record", style: styleMuted}}
	}
	effective := "effective " + lv.EffectiveAt.UTC().Format("2006-01-02")
	if lv.DatePrecision == "year" {
		// The date is a convention when the source names only the year.
		effective = fmt.Sprintf("effective %d (the source gives only the year)", lv.EffectiveAt.UTC().Year())
	}
	text := lv.Label()
	if lv.Reason != "" {
		text += " — " + lv.Reason
	}
	paras := []para{{text: text + ", " + effective}}
	if lv.Source != "" {
		paras = append(paras, para{text: "Source: " + lv.Source, style: styleMuted})
	}
	return paras
}

// alignedDIP names the DIP an SIP aligns with.
func (r *renderer) alignedDIP() []para {
	dip := r.doc.DistrictPlan
	id := r.doc.Plan.DistrictPlanID
	switch {
	case dip != nil:
		return []para{
			{text: fmt.Sprintf("%s (%s)", dip.Title, dip.PeriodLabel())},
			{text: "Plan ID " + dip.ID + r.districtPlanVersionText(), style: styleMuted},
		}
	case id != "":
		return []para{{text: "Plan ID " + id + r.districtPlanVersionText() + " (district plan not loaded)", style: styleMuted}}
	default:
		return []para{{text: "None recorded", style: styleMuted}}
	}
}

// districtPlanVersionText is the DIP version as the cover appends it to the
// DIP's plan id, or "" when the document states none.
func (r *renderer) districtPlanVersionText() string {
	if v := r.districtPlanVersion(); v > 0 {
		return fmt.Sprintf(" · version %d", v)
	}
	return ""
}

// drawFact prints a label and its wrapped value side by side, breaking
// pages between lines so a long note cannot run into the footer.
func (r *renderer) drawFact(f fact) {
	valueWidth := r.contentWidth() - coverLabelWidth
	labels := r.wrap(para{text: f.label, style: styleBold}, sizeBody, coverLabelWidth)
	values := r.wrapAll(f.value, sizeBody, valueWidth)
	lh := lineHeight(sizeBody)
	for i := range max(len(labels), len(values)) {
		r.ensureSpace(lh)
		y := r.pdf.GetY()
		if i < len(labels) {
			r.drawLine(labels[i], sizeBody, marginLeft, y, coverLabelWidth)
		}
		if i < len(values) {
			r.drawLine(values[i], sizeBody, marginLeft+coverLabelWidth, y, valueWidth)
		}
		r.pdf.SetXY(marginLeft, y+lh)
	}
	r.pdf.SetY(r.pdf.GetY() + 2)
}

// standingFact is the cover's classification line: the org's entry under
// the scheme in force at the as-of instant or, when it has none there, its
// last entry under the earlier scheme. Without a standing it prints the
// level as before.
func (r *renderer) standingFact() fact {
	st := r.doc.Standing
	if st == nil {
		return fact{"Accountability level", r.levelParas()}
	}
	label := "Accountability status"
	if st.Scheme.ID == domain.SchemeLevels {
		label = "Accountability level"
	}
	scheme := para{text: "Scheme: " + st.Scheme.Name, style: styleMuted}
	switch {
	case st.Current != nil:
		paras := entryParas(st.Current)
		out := []para{paras[0], scheme}
		return fact{label, append(out, paras[1:]...)}
	case st.Earlier != nil:
		earlier, _ := domain.SchemeByID(st.Earlier.Scheme)
		paras := []para{{text: "None on record under " + st.Scheme.Name, style: styleMuted},
			{text: "Last under " + earlier.Name + ":"}}
		return fact{label, append(paras, entryParas(st.Earlier)...)}
	default:
		return fact{label, []para{{text: "None on record under " + st.Scheme.Name, style: styleMuted}}}
	}
}
