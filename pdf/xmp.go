package pdf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/planledger/planledger/domain"
)

// XMPNamespace is the XML namespace of the planledger properties in a
// printed plan's XMP metadata. It names the properties and is never fetched.
const XMPNamespace = "https://github.com/planledger/planledger/ns/print/1/"

// footerHashDigits is how many leading hex digits of the chain hash the
// footer prints, and the group size of the full hash on the cover.
const footerHashDigits = 16

// Metadata is the planledger part of a printed plan's XMP packet: the read
// the print came from. fpdf writes the packet uncompressed, so
// ReadMetadata finds it in the PDF bytes without a PDF parser.
type Metadata struct {
	PlanID      string
	PlanVersion uint64 // Document.PlanVersion, 0 when the print states none
	// DIPVersion is Document.DistrictPlanVersion, 0 for a DIP and for an
	// SIP printed before prints recorded it.
	DIPVersion uint64
	// LevelVersion is Document.LevelVersion, 0 for a print made before
	// prints recorded it.
	LevelVersion uint64
	LastSequence uint64
	AsOf         time.Time
	AsOfBasis    string
	ChainHash    string // "" when the last event included is unchained
	Producer     string // the PDF Producer, needed to render the same bytes again
}

// xmpPacket returns the XMP packet for doc. Element names match the HTTP
// API's parameter and field names.
func xmpPacket(doc Document, producer string) []byte {
	var b bytes.Buffer
	// The begin attribute holds a byte order mark, as the XMP packet wrapper
	// requires.
	b.WriteString("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString(`<x:xmpmeta xmlns:x="adobe:ns:meta/">` + "\n")
	b.WriteString(`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` + "\n")
	b.WriteString(`<rdf:Description rdf:about="" xmlns:planledger="` + XMPNamespace + `">` + "\n")
	property := func(name, value string) {
		b.WriteString("<planledger:" + name + ">")
		// EscapeText writes to a bytes.Buffer, which does not fail.
		_ = xml.EscapeText(&b, []byte(value))
		b.WriteString("</planledger:" + name + ">\n")
	}
	property("plan_id", doc.Plan.ID)
	property("plan_version", strconv.FormatUint(doc.PlanVersion, 10))
	if doc.Plan.Kind == domain.PlanSIP && doc.DistrictPlanVersion > 0 {
		property("dip_version", strconv.FormatUint(doc.DistrictPlanVersion, 10))
	}
	if doc.LevelVersion > 0 {
		property("level_version", strconv.FormatUint(doc.LevelVersion, 10))
	}
	property("last_sequence", strconv.FormatUint(doc.LastSequence, 10))
	property("as_of", doc.AsOf.UTC().Format(time.RFC3339Nano))
	property("basis", doc.AsOfBasis)
	property("chain_hash", doc.ChainHash)
	property("producer", producer)
	b.WriteString("</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n")
	b.WriteString(`<?xpacket end="r"?>`)
	return b.Bytes()
}

// xmpDescription is the rdf:Description that xmpPacket writes.
type xmpDescription struct {
	PlanID       *string `xml:"https://github.com/planledger/planledger/ns/print/1/ plan_id"`
	PlanVersion  *string `xml:"https://github.com/planledger/planledger/ns/print/1/ plan_version"`
	DIPVersion   *string `xml:"https://github.com/planledger/planledger/ns/print/1/ dip_version"`
	LevelVersion *string `xml:"https://github.com/planledger/planledger/ns/print/1/ level_version"`
	LastSequence *string `xml:"https://github.com/planledger/planledger/ns/print/1/ last_sequence"`
	AsOf         *string `xml:"https://github.com/planledger/planledger/ns/print/1/ as_of"`
	Basis        *string `xml:"https://github.com/planledger/planledger/ns/print/1/ basis"`
	ChainHash    *string `xml:"https://github.com/planledger/planledger/ns/print/1/ chain_hash"`
	Producer     *string `xml:"https://github.com/planledger/planledger/ns/print/1/ producer"`
}

// ErrNoMetadata is returned by ReadMetadata for a PDF without a planledger
// XMP packet, such as one printed before the packet was added.
var ErrNoMetadata = errors.New("the PDF has no planledger XMP metadata")

// ReadMetadata finds the planledger XMP packet in a printed plan's bytes and
// returns its properties. It returns ErrNoMetadata when no packet carries
// the planledger namespace, and another error when a property is missing
// or invalid.
func ReadMetadata(pdfBytes []byte) (Metadata, error) {
	const open, end = "<x:xmpmeta", "</x:xmpmeta>"
	for rest := pdfBytes; ; {
		start := bytes.Index(rest, []byte(open))
		if start < 0 {
			return Metadata{}, ErrNoMetadata
		}
		length := bytes.Index(rest[start:], []byte(end))
		if length < 0 {
			return Metadata{}, ErrNoMetadata
		}
		packet := rest[start : start+length+len(end)]
		rest = rest[start+length+len(end):]
		if !bytes.Contains(packet, []byte(XMPNamespace)) {
			continue
		}
		var meta struct {
			Description xmpDescription `xml:"RDF>Description"`
		}
		if err := xml.Unmarshal(packet, &meta); err != nil {
			return Metadata{}, fmt.Errorf("read planledger XMP metadata: %w", err)
		}
		return meta.Description.metadata()
	}
}

// metadata checks that every property is present and parses the numbers
// and the instant.
func (d xmpDescription) metadata() (Metadata, error) {
	var missing []string
	text := func(name string, value *string) string {
		if value == nil {
			missing = append(missing, "planledger:"+name)
			return ""
		}
		return strings.TrimSpace(*value)
	}
	planID := text("plan_id", d.PlanID)
	planVersion := text("plan_version", d.PlanVersion)
	lastSequence := text("last_sequence", d.LastSequence)
	asOf := text("as_of", d.AsOf)
	basis := text("basis", d.Basis)
	chainHash := text("chain_hash", d.ChainHash)
	producer := text("producer", d.Producer)
	if len(missing) > 0 {
		return Metadata{}, fmt.Errorf("read planledger XMP metadata: missing %s", strings.Join(missing, ", "))
	}

	meta := Metadata{PlanID: planID, AsOfBasis: basis, ChainHash: chainHash, Producer: producer}
	var err error
	if meta.PlanVersion, err = strconv.ParseUint(planVersion, 10, 64); err != nil {
		return Metadata{}, fmt.Errorf("read planledger XMP metadata: plan_version %q is not a whole number", planVersion)
	}
	// A print of a DIP, or of an SIP before prints recorded the DIP
	// version, has no dip_version.
	if d.DIPVersion != nil {
		dipVersion := strings.TrimSpace(*d.DIPVersion)
		if meta.DIPVersion, err = strconv.ParseUint(dipVersion, 10, 64); err != nil || meta.DIPVersion == 0 {
			return Metadata{}, fmt.Errorf("read planledger XMP metadata: dip_version %q is not a plan version such as 3", dipVersion)
		}
	}
	if d.LevelVersion != nil {
		levelVersion := strings.TrimSpace(*d.LevelVersion)
		if meta.LevelVersion, err = strconv.ParseUint(levelVersion, 10, 64); err != nil || meta.LevelVersion == 0 {
			return Metadata{}, fmt.Errorf("read planledger XMP metadata: level_version %q is not a version such as 3", levelVersion)
		}
	}
	if meta.LastSequence, err = strconv.ParseUint(lastSequence, 10, 64); err != nil {
		return Metadata{}, fmt.Errorf("read planledger XMP metadata: last_sequence %q is not a whole number", lastSequence)
	}
	if meta.AsOf, err = time.Parse(time.RFC3339Nano, asOf); err != nil {
		return Metadata{}, fmt.Errorf("read planledger XMP metadata: as_of %q is not an RFC 3339 instant", asOf)
	}
	meta.AsOf = meta.AsOf.UTC()
	if chainHash != "" && !isChainHash(chainHash) {
		return Metadata{}, fmt.Errorf("read planledger XMP metadata: chain_hash %q is not 64 lowercase hex digits", chainHash)
	}
	return meta, nil
}

// isChainHash reports whether s is 64 lowercase hex digits, the form of
// domain.ChainHash.
func isChainHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
