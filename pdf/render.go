// Package pdf renders a District Improvement Plan (DIP) or School
// Improvement Plan (SIP) as a printable PDF from a plain view model.
//
// The same Document gives the same bytes, because the dates come from the
// last recorded event, the fonts are embedded and the PDF catalogs are
// sorted. The bytes can change with the Go release, whose zlib output the
// page streams depend on, and with the PDF library's version.
package pdf

import (
	"bytes"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/planledger/planledger/domain"
)

// Document is everything printed in a plan PDF.
type Document struct {
	Plan         domain.Plan        // the plan as folded at AsOf
	OrgName      string             // the school or district name, e.g. "Newburyport High"
	DistrictName string             // the district's name, usually equal to OrgName for a DIP
	Level        *domain.LevelEntry // the org's accountability level at AsOf, nil when none is on record
	// Standing, when set, is the org's classification at AsOf under the
	// scheme in force then; the cover prints it in place of Level.
	Standing *domain.Standing
	// DistrictPlan is, for an SIP, the DIP it aligns with. It supplies the
	// titles of the objectives each goal advances. When it is nil, the
	// goals table prints the objective ids.
	DistrictPlan *domain.Plan
	AsOf         time.Time // the instant the plan was resolved to
	AsOfBasis    string    // "effective" or "recorded"
	LastSequence uint64    // the last aggregate sequence included
	PlanVersion  uint64    // the plan version the read was limited to; 0 omits it
	// LastRecordedAt is the recorded time of the last event included. It is
	// written as the PDF creation and modification date, so the same events
	// give the same bytes.
	LastRecordedAt time.Time
	Producer       string // the PDF Producer, e.g. "planledger 0.1.0", or "planledger" when empty
	// ChainHash is the chain hash (domain.ChainHash) of the event at
	// LastSequence. The footer prints its first 16 hex digits and the cover
	// all 64. Empty, for an event stored before chaining, prints neither.
	ChainHash string
	// LanguageMinority is, for an SIP, the district's count of students
	// whose first language is not English, which the compliance checklist
	// needs; nil prints that rule as unknown.
	LanguageMinority *domain.PopulationCount
	// AccessiblePath is the path of the plan's accessible HTML version with
	// the same content, printed under the cover's facts. It must depend only
	// on the fields above, so the PDF stays reproducible. Empty prints none.
	AccessiblePath string
	// AnalysisFigures holds, by analysis id, the names and figures printed
	// with each of the plan's data analyses.
	AnalysisFigures map[string]AnalysisFigures

	// DistrictPlanVersion is, for an SIP, the DIP version the read of
	// DistrictPlan was limited to, so a reprint can fold the same DIP. 0
	// omits it.
	DistrictPlanVersion uint64
	// LevelVersion is the version of the org's level history the cover's
	// classification was read at, so a reprint can read the same. 0 omits it.
	LevelVersion uint64
}

// Page geometry in millimetres (US Letter, portrait).
const (
	marginLeft   = 18.0
	marginRight  = 18.0
	marginTop    = 18.0
	marginBottom = 20.0
	// runningHeadY is where the running head sits, above the top margin.
	runningHeadY = 9.0
	// footerY is the distance from the page bottom to the footer's first
	// line. The footer lies inside the bottom margin.
	footerY = -15.0
)

// Render lays out doc as a PDF and returns its bytes.
func Render(doc Document) (pdfBytes []byte, err error) {
	if err := validate(doc); err != nil {
		return nil, err
	}
	// The library panics on some input it cannot encode. Text is cleaned
	// of the known cases, and this keeps any other from crashing a server.
	defer func() {
		if p := recover(); p != nil {
			pdfBytes, err = nil, fmt.Errorf("render %s %s: PDF library panicked: %v", doc.Plan.Kind, doc.Plan.ID, p)
		}
	}()
	r, err := newRenderer(doc)
	if err != nil {
		return nil, fmt.Errorf("render %s %s: %w", doc.Plan.Kind, doc.Plan.ID, err)
	}
	r.cover()
	r.accessibleLine()
	r.statusAndCompliance()
	r.sections()
	r.analyses()
	if doc.Plan.Kind == domain.PlanDIP {
		r.objectives()
	} else {
		r.goals()
	}
	r.progress()
	if err := r.pdf.Error(); err != nil {
		return nil, fmt.Errorf("render %s %s: %w", doc.Plan.Kind, doc.Plan.ID, err)
	}
	var out bytes.Buffer
	if err := r.pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("write %s %s: %w", doc.Plan.Kind, doc.Plan.ID, err)
	}
	return out.Bytes(), nil
}

// validate rejects documents that would print misleading text or lose
// determinism.
func validate(doc Document) error {
	if doc.Plan.Kind != domain.PlanDIP && doc.Plan.Kind != domain.PlanSIP {
		return fmt.Errorf("render plan %s: kind %q is not %q or %q", doc.Plan.ID, doc.Plan.Kind, domain.PlanDIP, domain.PlanSIP)
	}
	if doc.AsOfBasis != "effective" && doc.AsOfBasis != "recorded" {
		return fmt.Errorf("render plan %s: as-of basis %q is not \"effective\" or \"recorded\"", doc.Plan.ID, doc.AsOfBasis)
	}
	// A zero date makes the library fall back to the wall clock, so two
	// renders of the same plan would differ.
	if doc.LastRecordedAt.IsZero() {
		return fmt.Errorf("render plan %s: LastRecordedAt is zero; set it to the recorded time of the last event included", doc.Plan.ID)
	}
	if doc.ChainHash != "" && !isChainHash(doc.ChainHash) {
		return fmt.Errorf("render plan %s: chain hash %q is not 64 lowercase hex digits", doc.Plan.ID, doc.ChainHash)
	}
	return nil
}

// renderer carries the PDF under construction and the layout state that the
// page header callback needs.
type renderer struct {
	pdf *fpdf.Fpdf
	doc Document
	// activeTable is the table whose rows are being drawn, or nil. The page
	// header callback repeats its header row on each new page.
	activeTable *table
}

func newRenderer(doc Document) (*renderer, error) {
	pdf := fpdf.New("P", "mm", "Letter", "")
	r := &renderer{pdf: pdf, doc: doc}

	// AliasNbPages must come before the fonts, because registerFonts
	// depends on it.
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
	pdf.SetTitle(clean(doc.Plan.Title), true)
	pdf.SetAuthor(clean(r.orgName()), true)
	pdf.SetSubject(clean(r.subject()), true)
	pdf.SetLang("en-US")
	pdf.SetXmpMetadata(xmpPacket(doc, producer))

	pdf.SetMargins(marginLeft, marginTop, marginRight)
	// Every break is made by the layout code before it draws. The automatic
	// break stays on with the same margin only as a guard.
	pdf.SetAutoPageBreak(true, marginBottom)
	pdf.SetCellMargin(cellPadX)
	pdf.SetLineWidth(0.2)
	pdf.SetDrawColor(150, 150, 150)
	pdf.SetHeaderFunc(r.pageHeader)
	pdf.SetFooterFunc(r.pageFooter)
	r.setStyle(styleRegular, sizeBody)
	return r, nil
}

// kindName names the plan kind as the cover prints it.
func (r *renderer) kindName() string {
	if r.doc.Plan.Kind == domain.PlanDIP {
		return "District Improvement Plan"
	}
	return "School Improvement Plan"
}

// orgName returns the name of the plan's org, falling back to the district
// name for a DIP whose OrgName is empty.
func (r *renderer) orgName() string {
	if r.doc.OrgName == "" && r.doc.Plan.Kind == domain.PlanDIP {
		return r.doc.DistrictName
	}
	return r.doc.OrgName
}

func (r *renderer) subject() string {
	return fmt.Sprintf("%s %s for %s (%s)", r.kindName(), r.doc.Plan.PeriodLabel(), r.orgName(), r.doc.Plan.OrgCode)
}

// contentWidth is the width between the side margins.
func (r *renderer) contentWidth() float64 {
	w, _ := r.pdf.GetPageSize()
	return w - marginLeft - marginRight
}

// bodyLimit is the lowest y that content may reach on a page.
func (r *renderer) bodyLimit() float64 {
	_, h := r.pdf.GetPageSize()
	return h - marginBottom
}

// ensureSpace starts a new page unless h millimetres remain above the
// bottom margin.
func (r *renderer) ensureSpace(h float64) {
	if r.pdf.GetY()+h > r.bodyLimit() {
		r.pdf.AddPage()
	}
}

// pageHeader draws the running head on every page after the cover and, in
// a table, repeats the table's header row. The library calls it from
// AddPage.
func (r *renderer) pageHeader() {
	if r.pdf.PageNo() > 1 {
		r.setStyle(styleMuted, sizeSmall)
		head := fmt.Sprintf("%s · %s · %s", r.orgName(), r.kindName(), r.doc.Plan.PeriodLabel())
		// Only the first line prints, so a long org name cannot run into
		// the body.
		first := r.splitText(clean(head), r.contentWidth())[0]
		r.drawText(first, marginLeft, runningHeadY, r.contentWidth(), 4)
	}
	r.pdf.SetXY(marginLeft, marginTop)
	if r.activeTable != nil {
		r.drawRow(r.activeTable, r.activeTable.header, true)
	}
}

// pageFooter prints the page line and the as-of line. Both are
// left-aligned because the library aligns the page-count alias by its own
// width, not by the width of the number that replaces it.
func (r *renderer) pageFooter() {
	r.setStyle(styleMuted, sizeSmall)
	w := r.contentWidth()
	r.pdf.SetY(footerY)
	y := r.pdf.GetY()
	r.pdf.Line(marginLeft, y-1, marginLeft+w, y-1)
	r.pdf.SetXY(marginLeft, y)
	r.pdf.CellFormat(w, 4, r.pageLine(), "", 0, "L", false, 0, "")
	r.pdf.SetXY(marginLeft, y+4)
	r.pdf.CellFormat(w, 4, r.asOfLine(), "", 0, "L", false, 0, "")
}

// asOfLine states which events the PDF reflects.
func (r *renderer) asOfLine() string {
	return "As of " + r.asOfDetail()
}

// pageLine is the footer's first line: the page number, the start of the
// last event's chain hash when it is chained, an SIP's DIP version and the
// level history's version. They go here because the as-of line, with a
// nanosecond instant, nearly fills the width already.
func (r *renderer) pageLine() string {
	line := fmt.Sprintf("Page %d of {nb}", r.pdf.PageNo())
	if r.doc.ChainHash != "" {
		line += " · chain " + r.doc.ChainHash[:footerHashDigits]
	}
	if v := r.districtPlanVersion(); v > 0 {
		line += fmt.Sprintf(" · DIP version %d", v)
	}
	if r.doc.LevelVersion > 0 {
		line += fmt.Sprintf(" · levels version %d", r.doc.LevelVersion)
	}
	return line
}

// districtPlanVersion returns the DIP version an SIP's print states, 0 for
// a DIP or when the document states none.
func (r *renderer) districtPlanVersion() uint64 {
	if r.doc.Plan.Kind != domain.PlanSIP {
		return 0
	}
	return r.doc.DistrictPlanVersion
}

// asOfDetail is asOfLine without its leading "As of". The instant keeps its
// fraction of a second, so passing it back as as_of, with the plan version
// and for an SIP the DIP version, reprints this document.
func (r *renderer) asOfDetail() string {
	detail := fmt.Sprintf("%s (%s time) · last event sequence %d",
		r.doc.AsOf.UTC().Format(time.RFC3339Nano), r.doc.AsOfBasis, r.doc.LastSequence)
	if r.doc.PlanVersion > 0 {
		detail += fmt.Sprintf(" · plan version %d", r.doc.PlanVersion)
	}
	return detail
}
