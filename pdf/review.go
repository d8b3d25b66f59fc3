package pdf

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/planledger/planledger/domain"
)

// ReviewDocument is everything printed in a district review report.
type ReviewDocument struct {
	Review       domain.Review // the review as folded at AsOf
	DistrictName string
	AsOf         time.Time
	AsOfBasis    string // "effective" or "recorded"
	LastSequence uint64 // the last aggregate sequence included
	Version      uint64 // the review version the read was limited to; 0 omits it
	// LastRecordedAt is written as the PDF creation and modification date,
	// so the same events give the same bytes.
	LastRecordedAt time.Time
	Producer       string
	ChainHash      string // of the event at LastSequence; "" prints none
}

// basisReview is the legal basis printed on a review's cover.
const basisReview = "603 CMR 2.03(2); M.G.L. c.15 s.55A"

// reviewTypeNames names each review type as the cover prints it.
var reviewTypeNames = map[domain.ReviewType]string{
	domain.ReviewLevel3:                  "Level 3 district review",
	domain.ReviewLevel4:                  "Level 4 district review",
	domain.ReviewStandard:                "Standard district review",
	domain.ReviewTargetedGovernance:      "Targeted district review: governance and administrative systems",
	domain.ReviewTargetedStudentCentered: "Targeted district review: student-centered systems",
}

// RenderReview lays out a review report as a PDF: a cover with the review's
// facts, then for each standard the review examines its strengths,
// challenges and recommendations, then the district's factual-accuracy
// comments and any corrections. It prints no rating of any standard,
// because no DESE review protocol or report of 2010 to 2017 consulted for
// this product rates standards on a scale.
func RenderReview(doc ReviewDocument) (pdfBytes []byte, err error) {
	rv := doc.Review
	if doc.AsOfBasis != "effective" && doc.AsOfBasis != "recorded" {
		return nil, fmt.Errorf("render review %s: as-of basis %q is not \"effective\" or \"recorded\"", rv.ID, doc.AsOfBasis)
	}
	if doc.LastRecordedAt.IsZero() {
		return nil, fmt.Errorf("render review %s: LastRecordedAt is zero; set it to the recorded time of the last event included", rv.ID)
	}
	if doc.ChainHash != "" && !isChainHash(doc.ChainHash) {
		return nil, fmt.Errorf("render review %s: chain hash %q is not 64 lowercase hex digits", rv.ID, doc.ChainHash)
	}
	defer func() {
		if p := recover(); p != nil {
			pdfBytes, err = nil, fmt.Errorf("render review %s: PDF library panicked: %v", rv.ID, p)
		}
	}()
	r, err := newReviewRenderer(doc)
	if err != nil {
		return nil, fmt.Errorf("render review %s: %w", rv.ID, err)
	}
	rr := &reviewRenderer{renderer: r, doc: doc, numbers: findingNumbers(rv), recNumbers: recommendationNumbers(rv)}
	rr.cover()
	rr.standards()
	rr.factualAccuracy()
	rr.corrections()
	if err := r.pdf.Error(); err != nil {
		return nil, fmt.Errorf("render review %s: %w", rv.ID, err)
	}
	var out bytes.Buffer
	if err := r.pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("write review %s: %w", rv.ID, err)
	}
	return out.Bytes(), nil
}

// reviewRenderer prints a review with the plan renderer's text and layout
// helpers.
type reviewRenderer struct {
	*renderer
	doc        ReviewDocument
	numbers    map[string]int // finding id -> the number the report gives it
	recNumbers map[string]int // recommendation id -> its number
}

// newReviewRenderer sets up the PDF as newRenderer does for plans, with a
// review's metadata, running head and footer.
func newReviewRenderer(doc ReviewDocument) (*renderer, error) {
	pdf := fpdf.New("P", "mm", "Letter", "")
	r := &renderer{pdf: pdf, doc: Document{AsOf: doc.AsOf, AsOfBasis: doc.AsOfBasis,
		LastSequence: doc.LastSequence, ChainHash: doc.ChainHash, LastRecordedAt: doc.LastRecordedAt}}
	pdf.AliasNbPages("")
	if err := registerFonts(pdf); err != nil {
		return nil, err
	}
	pdf.SetCatalogSort(true)
	recorded := doc.LastRecordedAt.UTC()
	pdf.SetCreationDate(recorded)
	pdf.SetModificationDate(recorded)
	producer := doc.Producer
	if producer == "" {
		producer = "planledger"
	}
	pdf.SetProducer(producer, true)
	title := reviewTitle(doc)
	pdf.SetTitle(clean(title), true)
	pdf.SetAuthor("Massachusetts Department of Elementary and Secondary Education", true)
	pdf.SetSubject(clean(fmt.Sprintf("%s of %s (%s)", reviewTypeName(doc.Review.Type), doc.DistrictName, doc.Review.DistrictCode)), true)
	pdf.SetLang("en-US")
	pdf.SetMargins(marginLeft, marginTop, marginRight)
	pdf.SetAutoPageBreak(true, marginBottom)
	pdf.SetCellMargin(cellPadX)
	pdf.SetLineWidth(0.2)
	pdf.SetDrawColor(150, 150, 150)
	pdf.SetHeaderFunc(func() {
		if pdf.PageNo() > 1 {
			r.setStyle(styleMuted, sizeSmall)
			first := r.splitText(clean(title), r.contentWidth())[0]
			r.drawText(first, marginLeft, runningHeadY, r.contentWidth(), 4)
		}
		pdf.SetXY(marginLeft, marginTop)
	})
	pdf.SetFooterFunc(func() {
		r.setStyle(styleMuted, sizeSmall)
		w := r.contentWidth()
		pdf.SetY(footerY)
		y := pdf.GetY()
		pdf.Line(marginLeft, y-1, marginLeft+w, y-1)
		pdf.SetXY(marginLeft, y)
		pdf.CellFormat(w, 4, r.pageLine(), "", 0, "L", false, 0, "")
		pdf.SetXY(marginLeft, y+4)
		pdf.CellFormat(w, 4, "As of "+reviewAsOfDetail(doc), "", 0, "L", false, 0, "")
	})
	r.setStyle(styleRegular, sizeBody)
	return r, nil
}

func reviewTypeName(t domain.ReviewType) string {
	if name, ok := reviewTypeNames[t]; ok {
		return name
	}
	return string(t)
}

func reviewTitle(doc ReviewDocument) string {
	name := doc.DistrictName
	if name == "" {
		name = doc.Review.DistrictCode
	}
	return fmt.Sprintf("%s: %s", name, reviewTypeName(doc.Review.Type))
}

// reviewAsOfDetail states which events the PDF reflects; with the version,
// passing the instant back as as_of reprints the same bytes.
func reviewAsOfDetail(doc ReviewDocument) string {
	detail := fmt.Sprintf("%s (%s time) · last event sequence %d",
		doc.AsOf.UTC().Format(time.RFC3339Nano), doc.AsOfBasis, doc.LastSequence)
	if doc.Version > 0 {
		detail += fmt.Sprintf(" · review version %d", doc.Version)
	}
	return detail
}

// findingNumbers numbers findings 1, 2, ... in print order: by standard in
// the regulation's order, strengths before challenges.
func findingNumbers(rv domain.Review) map[string]int {
	numbers := map[string]int{}
	for _, key := range rv.Type.ReviewedStandards() {
		for _, polarity := range []domain.Polarity{domain.PolarityStrength, domain.PolarityChallenge} {
			for _, f := range rv.Findings {
				if f.Standard == key && f.Polarity == polarity {
					numbers[f.ID] = len(numbers) + 1
				}
			}
		}
	}
	return numbers
}

// recommendationNumbers numbers recommendations 1, 2, ... in print order.
func recommendationNumbers(rv domain.Review) map[string]int {
	numbers := map[string]int{}
	for _, key := range rv.Type.ReviewedStandards() {
		for _, rec := range rv.Recommendations {
			if rec.Standard == key {
				numbers[rec.ID] = len(numbers) + 1
			}
		}
	}
	return numbers
}

// statusLine states how far the review has gone, so a draft is never taken
// for the issued report.
func statusLine(rv domain.Review) para {
	switch rv.Status {
	case domain.ReviewStatusIssued:
		return para{text: "Issued report"}
	case domain.ReviewStatusCancelled:
		return para{text: "Cancelled before a report was issued: " + rv.CancelReason, style: styleBold}
	case domain.ReviewStatusConducted:
		return para{text: "Draft: the report has not been issued", style: styleBold}
	default:
		return para{text: "Scheduled: the review has not been conducted", style: styleBold}
	}
}

func (rr *reviewRenderer) cover() {
	rv := rr.doc.Review
	rr.pdf.AddPage()
	rr.pdf.Bookmark("Cover", 0, -1)
	rr.pdf.SetY(marginTop + 20)
	rr.paragraph("District Review Report", styleBold, 24)
	rr.pdf.SetY(rr.pdf.GetY() + 3)
	rr.paragraph(reviewTitle(rr.doc), styleBold, 16)
	rr.pdf.SetY(rr.pdf.GetY() + 10)
	text := func(s string) []para { return []para{{text: s}} }
	facts := []fact{
		{"District", text(rr.doc.DistrictName)},
		{"DESE org code", text(rv.DistrictCode)},
		{"Review type", text(reviewTypeName(rv.Type))},
		{"Status", []para{statusLine(rv)}},
		{"Standards reviewed", text(standardNames(rv.Type.ReviewedStandards()))},
		{"District level when scheduled", districtLevelParas(rv.DistrictLevel)},
		{"Document review (planned)", text(dateRange(rv.PlannedDocReview))},
		{"On-site visit", onSiteParas(rv)},
	}
	if x := rv.EmergencyException; x != nil {
		facts = append(facts, fact{"Emergency exception", []para{
			{text: fmt.Sprintf("Board vote of %s: %s", x.BoardVoteDate, x.Reason)},
			{text: orNone(x.Source, "Source: "), style: styleMuted},
		}})
	}
	if rv.Evidence != nil {
		facts = append(facts, fact{"Evidence", evidenceParas(*rv.Evidence)})
	}
	if rep := rv.Report; rep != nil {
		report := []para{{text: "Published " + rep.PublishedOn}}
		if rep.SourceURL != "" {
			report = append(report, para{text: "Source: " + rep.SourceURL, style: styleMuted})
		}
		if rep.FactualAccuracyNote != "" {
			report = append(report, para{text: "Factual accuracy: " + rep.FactualAccuracyNote, style: styleMuted})
		}
		facts = append(facts, fact{"Report", report})
	}
	facts = append(facts,
		fact{"Legal basis", text(basisReview)},
		fact{"Review ID", text(rv.ID)},
		fact{"As of", rr.asOfParas()})
	for _, f := range facts {
		rr.drawFact(f)
	}
}

// asOfParas is the plan cover's as-of fact with the review's version.
func (rr *reviewRenderer) asOfParas() []para {
	paras := rr.renderer.asOfParas()
	paras[0] = para{text: reviewAsOfDetail(rr.doc)}
	return paras
}

func orNone(value, label string) string {
	if value == "" {
		return label + "none recorded"
	}
	return label + value
}

func standardNames(keys []string) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = domain.StandardName(k)
	}
	return strings.Join(names, "; ")
}

func dateRange(d domain.DateRange) string {
	if d.Start == d.End {
		return d.Start
	}
	return d.Start + " to " + d.End
}

func districtLevelParas(lv *domain.DistrictLevel) []para {
	if lv == nil {
		return []para{{text: "No level on record", style: styleMuted}}
	}
	paras := []para{{text: fmt.Sprintf("Level %d, effective %s", lv.Level, lv.EffectiveAt.UTC().Format(time.DateOnly))}}
	if lv.Source != "" {
		paras = append(paras, para{text: "Source: " + lv.Source, style: styleMuted})
	}
	return paras
}

func onSiteParas(rv domain.Review) []para {
	if rv.OnSite == nil {
		return []para{{text: dateRange(rv.PlannedOnSite) + " (planned)"}}
	}
	paras := []para{{text: dateRange(*rv.OnSite) + " (held)"}}
	if *rv.OnSite != rv.PlannedOnSite {
		paras = append(paras, para{text: "Planned " + dateRange(rv.PlannedOnSite), style: styleMuted})
	}
	return paras
}

// groupNames prints interview groups as words, not keys.
var groupNames = map[string]string{
	"district_leaders": "district leaders", "school_leaders": "school leaders", "school_committee": "school committee",
	"teachers_union": "teachers' union", "teachers": "teachers", "parents": "parents", "students": "students",
	"municipal_officials": "municipal officials", "other": "others",
}

func groupCounts(counts []domain.GroupCount) string {
	parts := make([]string, len(counts))
	for i, gc := range counts {
		parts[i] = fmt.Sprintf("%s %d", groupNames[gc.Group], gc.Count)
	}
	return strings.Join(parts, ", ")
}

func evidenceParas(ev domain.EvidenceSources) []para {
	paras := []para{{text: fmt.Sprintf("%d documents reviewed; %d classroom observations", ev.DocumentsReviewed, ev.ClassroomObservations)}}
	if ev.DARTData {
		paras = append(paras, para{text: "District Analysis and Review Tools (DART) data"})
	}
	if len(ev.Interviews) > 0 {
		paras = append(paras, para{text: "Interviews: " + groupCounts(ev.Interviews)})
	}
	if len(ev.FocusGroups) > 0 {
		paras = append(paras, para{text: "Focus groups: " + groupCounts(ev.FocusGroups)})
	}
	return paras
}

// standards prints, for each standard the review examines, its strength
// findings, challenge findings and recommendations.
func (rr *reviewRenderer) standards() {
	rv := rr.doc.Review
	rr.pdf.AddPage()
	for _, key := range rv.Type.ReviewedStandards() {
		rr.heading(domain.StandardName(key), 0, 2*lineHeight(sizeBody))
		rr.findings(key, domain.PolarityStrength, "Strengths")
		rr.findings(key, domain.PolarityChallenge, "Challenges")
		rr.recommendations(key)
	}
}

func (rr *reviewRenderer) findings(standard string, polarity domain.Polarity, title string) {
	rr.heading(title, 1, lineHeight(sizeBody))
	printed := 0
	for _, f := range rr.doc.Review.Findings {
		if f.Standard != standard || f.Polarity != polarity {
			continue
		}
		printed++
		rr.subheading(fmt.Sprintf("Finding %d. %s", rr.numbers[f.ID], f.Summary), 2*lineHeight(sizeBody))
		rr.paragraph(f.Evidence, styleRegular, sizeBody)
		rr.citations(f.Citations, standard)
	}
	if printed == 0 {
		rr.paragraph("None recorded.", styleMuted, sizeBody)
	}
}

func (rr *reviewRenderer) recommendations(standard string) {
	rr.heading("Recommendations", 1, lineHeight(sizeBody))
	printed := 0
	for _, rec := range rr.doc.Review.Recommendations {
		if rec.Standard != standard {
			continue
		}
		printed++
		rr.subheading(fmt.Sprintf("Recommendation %d", rr.recNumbers[rec.ID]), 2*lineHeight(sizeBody))
		rr.paragraph(rec.Statement, styleRegular, sizeBody)
		refs := make([]string, len(rec.FindingIDs))
		for i, id := range rec.FindingIDs {
			refs[i] = fmt.Sprintf("Finding %d", rr.numbers[id])
		}
		rr.paragraph("Rests on: "+strings.Join(refs, ", "), styleMuted, sizeBody)
		rr.citations(rec.Citations, standard)
	}
	if printed == 0 {
		rr.paragraph("None recorded.", styleMuted, sizeBody)
	}
}

// citations prints what an item cites beyond the standard it is printed
// under.
func (rr *reviewRenderer) citations(c domain.Citations, standard string) {
	var parts []string
	var others []string
	for _, s := range c.Standards {
		if s != standard {
			others = append(others, domain.StandardName(s))
		}
	}
	if len(others) > 0 {
		parts = append(parts, "also cites "+strings.Join(others, "; "))
	}
	if len(c.Indicators) > 0 {
		parts = append(parts, "indicators "+strings.Join(c.Indicators, ", "))
	}
	if len(c.Conditions) > 0 {
		parts = append(parts, "conditions "+strings.Join(c.Conditions, ", "))
	}
	if len(parts) > 0 {
		rr.paragraph("Citations: "+strings.Join(parts, "; "), styleMuted, sizeBody)
	}
}

func (rr *reviewRenderer) factualAccuracy() {
	rv := rr.doc.Review
	if len(rv.FactualAccuracy) == 0 {
		return
	}
	rr.heading("District factual-accuracy review", 0, 2*lineHeight(sizeBody))
	for i, round := range rv.FactualAccuracy {
		when := round.RecordedAt.In(time.UTC).Format(time.DateOnly)
		if round.SubmittedOn != "" {
			when = round.SubmittedOn
		}
		rr.subheading(fmt.Sprintf("Comments %d, submitted %s", i+1, when), lineHeight(sizeBody))
		if len(round.Comments) == 0 {
			rr.paragraph("The district found no factual errors.", styleRegular, sizeBody)
		}
		for _, c := range round.Comments {
			text := c.Text
			if n, ok := rr.numbers[c.FindingID]; ok {
				text = fmt.Sprintf("On finding %d: %s", n, c.Text)
			}
			rr.paragraph(text, styleRegular, sizeBody)
		}
	}
}

func (rr *reviewRenderer) corrections() {
	rv := rr.doc.Review
	if len(rv.Corrections) == 0 {
		return
	}
	rr.heading("Corrections after issue", 0, 2*lineHeight(sizeBody))
	for _, c := range rv.Corrections {
		item := fmt.Sprintf("recommendation %d", rr.recNumbers[c.RecommendationID])
		if c.FindingID != "" {
			item = fmt.Sprintf("finding %d", rr.numbers[c.FindingID])
		}
		rr.paragraph(fmt.Sprintf("%s: corrected %s. %s", c.RecordedAt.UTC().Format(time.DateOnly), item, c.Reason),
			styleRegular, sizeBody)
	}
}
