package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/nats-io/nats.go"

	"github.com/planledger/planledger/comparisons"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
	plhttp "github.com/planledger/planledger/http"
	"github.com/planledger/planledger/importer"
	"github.com/planledger/planledger/pdf"
	"github.com/planledger/planledger/projections"
)

// Kinds of PDF findings that verify -pdf reports, besides the chain
// problems of the plan's own events.
const (
	pdfUnknownPlan       = "unknown plan"
	pdfVersionNotInLog   = "version not in log"
	pdfChainHashDiffers  = "chain hash differs"
	pdfBytesDiffer       = "bytes differ"
	pdfInvalidProperties = "invalid metadata"
)

// verifyPDF checks a printed plan against the log in three ways. The chains
// of the aggregates the print reads must be intact. The plan's event at the
// printed last sequence must have the printed chain hash. A reprint from
// the log at the printed as-of instant, basis and version must give the
// same bytes.
func verifyPDF(ctx context.Context, nc *nats.Conn, path string, out io.Writer, log *slog.Logger) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read printed plan: %w", err)
	}
	meta, err := pdf.ReadMetadata(data)
	if errors.Is(err, pdf.ErrNoMetadata) {
		return fmt.Errorf("%s: %w: only plans printed by a planledger with chain hashes can be verified", path, err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}

	var findings []string
	fail := func(kind, format string, args ...any) {
		findings = append(findings, kind+": "+fmt.Sprintf(format, args...))
	}
	finish := func() error {
		for _, f := range findings {
			fmt.Fprintln(out, f)
		}
		fmt.Fprintf(out, "%s does not match the log: %d problems\n", path, len(findings))
		return errVerifyFailed
	}

	// The plan id becomes a subject, so a crafted id must not add tokens or
	// wildcards that would read other aggregates.
	if !validSubjectToken(meta.PlanID) {
		fail(pdfInvalidProperties, "plan_id %q is not a plan id", meta.PlanID)
		return finish()
	}
	if meta.AsOfBasis != projections.BasisEffective && meta.AsOfBasis != projections.BasisRecorded {
		fail(pdfInvalidProperties, "basis %q is not %q or %q", meta.AsOfBasis, projections.BasisEffective, projections.BasisRecorded)
		return finish()
	}

	// One pass over the log checks the chains and folds the read model that
	// the reprint needs. The server's read model gets the same decoded
	// events and skips those it cannot fold, as this one does.
	read := projections.New(log)
	check := newLogCheck()
	err = readStream(ctx, nc, eventstore.AllSubjects, log, func(subject string, data []byte, streamSeq uint64) {
		if e, ok := check.add(subject, data, streamSeq); ok {
			_ = read.Apply(e)
		}
	})
	if err != nil {
		return err
	}
	check.finish()

	subject := eventstore.Subject(domain.KindPlan, meta.PlanID)
	if _, found := check.aggregates[subject]; !found {
		fail(pdfUnknownPlan, "the log has no events for plan %s", meta.PlanID)
		return finish()
	}
	printed := printSubjects(read, meta.PlanID)
	for _, p := range check.problems {
		if printed[p.Subject] {
			findings = append(findings, p.String())
		}
	}
	compareChainHash(check.aggregates[subject], meta, fail)
	compareReprint(read, data, meta, fail)

	if len(findings) > 0 {
		return finish()
	}
	chain := meta.ChainHash
	if chain == "" {
		chain = "none: the last event included was stored before hash chaining, so only the bytes were compared"
	}
	fmt.Fprintf(out, "matches the log: plan %s version %d%s as of %s (%s time), last event sequence %d, chain %s\n",
		meta.PlanID, meta.PlanVersion, dipVersionText(meta), meta.AsOf.Format(time.RFC3339Nano), meta.AsOfBasis,
		meta.LastSequence, chain)
	return nil
}

// printSubjects returns the subjects of the aggregates that a print of the
// plan reads: the plan, its org's registration and level history, its
// district's registration and, for an SIP, its DIP.
func printSubjects(read *projections.Projector, planID string) map[string]bool {
	subjects := map[string]bool{eventstore.Subject(domain.KindPlan, planID): true}
	plan, ok := read.Plan(planID)
	if !ok {
		return subjects
	}
	subjects[eventstore.Subject(domain.KindOrg, plan.OrgCode)] = true
	subjects[eventstore.Subject(domain.KindLevel, plan.OrgCode)] = true
	subjects[eventstore.Subject(domain.KindOrg, domain.DistrictCodeOf(plan.OrgCode))] = true
	if plan.DistrictPlanID != "" {
		subjects[eventstore.Subject(domain.KindPlan, plan.DistrictPlanID)] = true
	}
	return subjects
}

// compareChainHash checks that the plan has the printed version and that
// its event at the printed last sequence carries the printed chain hash.
// entries are the plan's events in stream order.
func compareChainHash(entries []chainEntry, meta pdf.Metadata, fail func(kind, format string, args ...any)) {
	var latest uint64
	var last *chainEntry
	for i, e := range entries {
		latest = max(latest, e.sequence)
		// The first event stored with a sequence is the one readers fold.
		if e.sequence == meta.LastSequence && last == nil {
			last = &entries[i]
		}
	}
	if meta.PlanVersion > latest {
		fail(pdfVersionNotInLog, "the PDF states plan version %d, but the log holds %d versions of plan %s",
			meta.PlanVersion, latest, meta.PlanID)
		return
	}
	if last == nil {
		fail(pdfVersionNotInLog, "the PDF states last event sequence %d, but the log has no such event of plan %s",
			meta.LastSequence, meta.PlanID)
		return
	}
	if last.hash != meta.ChainHash {
		fail(pdfChainHashDiffers, "the PDF states chain hash %s for aggregate sequence %d, but the log holds %s "+
			"at stream sequence %d: the log was changed after printing, or the PDF was altered",
			orNone(meta.ChainHash), meta.LastSequence, orNone(last.hash), last.streamSeq)
	}
}

// compareReprint folds the plan from the read model at the printed as-of
// instant, basis and version, and an SIP's DIP at the printed DIP version,
// renders it as the PDF endpoint does, and compares the bytes.
func compareReprint(read *projections.Projector, printed []byte, meta pdf.Metadata, fail func(kind, format string, args ...any)) {
	at := projections.AsOf{Instant: meta.AsOf, Basis: meta.AsOfBasis}
	view, err := read.PlanAtVersion(meta.PlanID, at, meta.PlanVersion)
	if err != nil {
		fail(pdfBytesDiffer, "the plan cannot be read from the log as printed: %v", err)
		return
	}
	// The server prints analyses with figures from the bundled comparison
	// data, which this binary embeds too.
	var data *comparisons.Dataset
	if len(view.Plan.Analyses) > 0 {
		if data, err = importer.BundledDataset(); err != nil {
			fail(pdfBytesDiffer, "the comparison data of the plan's analyses cannot be loaded: %v", err)
			return
		}
	}
	pins := plhttp.PrintPins{DIPVersion: meta.DIPVersion, LevelVersion: meta.LevelVersion}
	doc, err := plhttp.PlanDocument(read, data, view, meta.Producer, pins)
	switch {
	case domain.ErrorCode(err) == domain.ENotFound:
		fail(pdfVersionNotInLog, "the PDF states DIP version %d and level history version %d: %v",
			meta.DIPVersion, meta.LevelVersion, err)
		return
	case err != nil:
		fail(pdfInvalidProperties, "%v", err)
		return
	}
	// A print made before prints stated these versions read the DIP and the
	// levels at their latest versions and printed no version.
	if meta.DIPVersion == 0 {
		doc.DistrictPlanVersion = 0
	}
	if meta.LevelVersion == 0 {
		doc.LevelVersion = 0
	}
	reprint, err := pdf.Render(doc)
	if err != nil {
		fail(pdfBytesDiffer, "the plan cannot be reprinted from the log: %v", err)
		return
	}
	if bytes.Equal(reprint, printed) {
		return
	}
	detail := fmt.Sprintf("a reprint from the log as of %s (%s time) at plan version %d%s has %d bytes (SHA-256 %s), "+
		"the file has %d bytes (SHA-256 %s); the first difference is at byte offset %d",
		meta.AsOf.Format(time.RFC3339Nano), meta.AsOfBasis, meta.PlanVersion, dipVersionText(meta),
		len(reprint), sha256Hex(reprint), len(printed), sha256Hex(printed), firstDifference(reprint, printed))
	// The bytes also depend on the Go release and the PDF library, so a
	// print from another planledger build can differ without any change.
	if ours := "planledger " + version; meta.Producer != ours {
		detail += fmt.Sprintf("; the PDF was made by %q and this is %q, whose output can differ", meta.Producer, ours)
	}
	fail(pdfBytesDiffer, "%s", detail)
}

// dipVersionText names the printed DIP version for a report, or is empty
// when the PDF states none.
func dipVersionText(meta pdf.Metadata) string {
	if meta.DIPVersion == 0 {
		return ""
	}
	return fmt.Sprintf(" with DIP version %d", meta.DIPVersion)
}

// validSubjectToken reports whether id can be one NATS subject token:
// non-empty, without '.', '*', '>', whitespace or control characters.
func validSubjectToken(id string) bool {
	return id != "" && !strings.ContainsFunc(id, func(r rune) bool {
		return r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r)
	})
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// firstDifference returns the offset of the first byte where a and b
// differ, or the shorter length when one is a prefix of the other.
func firstDifference(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

func orNone(h string) string {
	if h == "" {
		return "(none)"
	}
	return h
}
