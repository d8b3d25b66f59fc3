package projections

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"unicode/utf8"

	"github.com/planledger/planledger/domain"
)

// SnapshotFormat is the version of the document Snapshot writes. Restore
// rejects every other version, so bump it whenever the document changes or
// a stored field changes meaning.
const SnapshotFormat = 3

// maxSnapshotSize bounds the decompressed document Restore reads, so a
// corrupt or hostile value cannot exhaust memory. The bundled data
// decompresses to about 2.6 MB.
const maxSnapshotSize = 1 << 30

// Checkpoint describes a projector snapshot.
type Checkpoint struct {
	Format int `json:"format"`
	// Origin names the event log the projector followed, as the caller of
	// Snapshot gave it. Restore rejects a snapshot of another log.
	Origin string `json:"origin"`
	// Applied is the stream sequence of the last applied event. A restored
	// projector resumes after it.
	Applied uint64 `json:"applied"`
}

// SnapshotCheck holds the facts about the event log that Restore checks a
// snapshot against.
type SnapshotCheck struct {
	Origin string // must equal the snapshot's Origin
	// LastSequence is the stream's last sequence. A snapshot past it was
	// taken of a log that has since lost events or been replaced.
	LastSequence uint64
}

// eventRecord is an event as snapshots and dumps encode it. It carries the
// payload as a JSON string, or as base64 when the payload is not valid
// UTF-8. Embedding the payload as raw JSON would let the encoder compact and
// re-escape it, which would change the bytes that the chain hash covers.
type eventRecord struct {
	domain.Event
	Payload      string `json:"payload"` // shadows Event.Payload in the encoding
	PayloadBytes []byte `json:"payload_bytes,omitempty"`
	// The envelope's JSON leaves out the batch position, but a retried
	// plan creation reads it from the stored event, so records keep it.
	BatchIndex int `json:"batch_index,omitempty"`
	BatchSize  int `json:"batch_size,omitempty"`
}

func newEventRecord(e domain.Event) eventRecord {
	r := eventRecord{Event: e, BatchIndex: e.BatchIndex, BatchSize: e.BatchSize}
	r.Event.Payload = nil
	if utf8.Valid(e.Payload) {
		r.Payload = string(e.Payload)
	} else {
		r.PayloadBytes = e.Payload
	}
	return r
}

func (r eventRecord) event() domain.Event {
	e := r.Event
	e.BatchIndex, e.BatchSize = r.BatchIndex, r.BatchSize
	switch {
	case r.PayloadBytes != nil:
		e.Payload = r.PayloadBytes
	case r.Payload != "":
		e.Payload = json.RawMessage(r.Payload)
	}
	return e
}

func newEventRecords(events []domain.Event) []eventRecord {
	out := make([]eventRecord, len(events))
	for i, e := range events {
		out[i] = newEventRecord(e)
	}
	return out
}

// Index entries, sorted by their first field.
type (
	orgPlansEntry struct {
		OrgCode string   `json:"org_code"`
		PlanIDs []string `json:"plan_ids"` // in creation order
	}
	sipEntry struct {
		OrgCode string `json:"org_code"`
		Year    int    `json:"year"`
		PlanID  string `json:"plan_id"`
	}
	sequenceEntry struct {
		Aggregate string `json:"aggregate"` // kind/id
		Sequence  uint64 `json:"sequence"`
	}
	eventIDEntry struct {
		EventID     string `json:"event_id"`
		Kind        string `json:"kind"`
		AggregateID string `json:"aggregate_id"`
		Sequence    uint64 `json:"sequence"`
	}
)

// stateCopy is the projector's state read under the lock, so it can be
// sorted and encoded after the lock is released. The event slices only
// ever grow, so sharing their backing arrays is safe.
type stateCopy struct {
	applied   uint64
	orgs      []domain.Org
	levels    map[string][]domain.Event
	levelLog  []domain.Event
	plans     []planCopy
	orgPlans  []orgPlansEntry
	sips      []sipEntry
	sequences []sequenceEntry
	eventIDs  []eventIDEntry
	records   []recordEntry
	kindIDs   []kindIDsEntry
}

type planCopy struct {
	id      string
	events  []domain.Event
	current *domain.Plan
}

// copyState copies the maps of the projector and sorts the copies.
func (p *Projector) copyState() stateCopy {
	p.mu.RLock()
	s := stateCopy{
		applied:  p.applied,
		levels:   make(map[string][]domain.Event, len(p.levels)),
		levelLog: p.levelLog,
	}
	for _, o := range p.orgs {
		s.orgs = append(s.orgs, o)
	}
	for code, events := range p.levels {
		s.levels[code] = events
	}
	for id, rec := range p.plans {
		s.plans = append(s.plans, planCopy{id: id, events: rec.events, current: rec.current})
	}
	for code, ids := range p.orgPlans {
		s.orgPlans = append(s.orgPlans, orgPlansEntry{OrgCode: code, PlanIDs: slices.Clone(ids)})
	}
	for k, id := range p.sips {
		s.sips = append(s.sips, sipEntry{OrgCode: k.org, Year: k.year, PlanID: id})
	}
	for key, seq := range p.sequences {
		s.sequences = append(s.sequences, sequenceEntry{Aggregate: key, Sequence: seq})
	}
	for id, ref := range p.eventIDs {
		s.eventIDs = append(s.eventIDs, eventIDEntry{EventID: id, Kind: ref.Kind, AggregateID: ref.AggregateID, Sequence: ref.Sequence})
	}
	s.records, s.kindIDs = p.copyRecords()
	p.mu.RUnlock()

	slices.SortFunc(s.orgs, func(a, b domain.Org) int { return cmp.Compare(a.Code, b.Code) })
	slices.SortFunc(s.plans, func(a, b planCopy) int { return cmp.Compare(a.id, b.id) })
	slices.SortFunc(s.orgPlans, func(a, b orgPlansEntry) int { return cmp.Compare(a.OrgCode, b.OrgCode) })
	slices.SortFunc(s.sips, func(a, b sipEntry) int {
		return cmp.Or(cmp.Compare(a.OrgCode, b.OrgCode), cmp.Compare(a.Year, b.Year))
	})
	slices.SortFunc(s.sequences, func(a, b sequenceEntry) int { return cmp.Compare(a.Aggregate, b.Aggregate) })
	slices.SortFunc(s.eventIDs, func(a, b eventIDEntry) int { return cmp.Compare(a.EventID, b.EventID) })
	return s
}

// snapshotDocument is the document Snapshot encodes: the state that cannot
// be derived from the rest. Restore derives each org's level history from
// LevelLog and refolds every plan from its events.
type snapshotDocument struct {
	Checkpoint
	Orgs      []domain.Org    `json:"orgs"`      // sorted by code
	LevelLog  []eventRecord   `json:"level_log"` // every level event in stream order
	Plans     []snapshotPlan  `json:"plans"`     // sorted by id
	OrgPlans  []orgPlansEntry `json:"org_plans"`
	SIPs      []sipEntry      `json:"sips"`
	Sequences []sequenceEntry `json:"sequences"`
	EventIDs  []eventIDEntry  `json:"event_ids"`
	Records   []recordEntry   `json:"records"`  // sorted by kind, then id
	KindIDs   []kindIDsEntry  `json:"kind_ids"` // sorted by kind
}

type snapshotPlan struct {
	ID     string        `json:"id"`
	Events []eventRecord `json:"events"`
}

// Snapshot encodes the projector's state as gzip-compressed JSON for
// Restore. origin names the event log the projector follows, such as a
// stream name and its creation time. Level followers are not part of the
// state. Apply may run while Snapshot encodes, because the state is copied
// under the lock first.
func (p *Projector) Snapshot(origin string) (Checkpoint, []byte, error) {
	s := p.copyState()
	cp := Checkpoint{Format: SnapshotFormat, Origin: origin, Applied: s.applied}
	doc := snapshotDocument{
		Checkpoint: cp,
		Orgs:       s.orgs,
		LevelLog:   newEventRecords(s.levelLog),
		OrgPlans:   s.orgPlans,
		SIPs:       s.sips,
		Sequences:  s.sequences,
		EventIDs:   s.eventIDs,
		Records:    s.records,
		KindIDs:    s.kindIDs,
	}
	for _, plan := range s.plans {
		doc.Plans = append(doc.Plans, snapshotPlan{ID: plan.id, Events: newEventRecords(plan.events)})
	}

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(doc); err != nil {
		return Checkpoint{}, nil, fmt.Errorf("encode read-model snapshot at stream sequence %d: %w", cp.Applied, err)
	}
	if err := zw.Close(); err != nil {
		return Checkpoint{}, nil, fmt.Errorf("compress read-model snapshot at stream sequence %d: %w", cp.Applied, err)
	}
	return cp, buf.Bytes(), nil
}

// Restore replaces the state of a projector that has applied nothing yet
// with a snapshot from Snapshot, and returns the snapshot's checkpoint. The
// caller then resumes from the stream sequence after Checkpoint.Applied.
// Restore rejects a snapshot that does not decode, has another format or
// origin, or is past check.LastSequence, and then leaves the projector
// unchanged, so the caller can rebuild it from the start of the log.
func (p *Projector) Restore(data []byte, check SnapshotCheck) (Checkpoint, error) {
	doc, err := decodeSnapshot(data)
	if err != nil {
		return Checkpoint{}, err
	}
	cp := doc.Checkpoint
	if cp.Origin != check.Origin {
		return cp, fmt.Errorf("read-model snapshot is of event log %q, not %q", cp.Origin, check.Origin)
	}
	if cp.Applied > check.LastSequence {
		return cp, fmt.Errorf("read-model snapshot is at stream sequence %d, past the stream's last sequence %d",
			cp.Applied, check.LastSequence)
	}
	next, err := restoredState(doc, p.log)
	if err != nil {
		return cp, err
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.applied != 0 || len(p.sequences) != 0 || len(p.pending) != 0 {
		return cp, fmt.Errorf("restore read-model snapshot: projector has already applied events up to stream sequence %d", p.applied)
	}
	p.applied = cp.Applied
	p.orgs, p.levels, p.levelLog = next.orgs, next.levels, next.levelLog
	p.plans, p.orgPlans, p.sips = next.plans, next.orgPlans, next.sips
	p.sequences, p.eventIDs = next.sequences, next.eventIDs
	p.records, p.kindIDs = next.records, next.kindIDs
	close(p.changed)
	p.changed = make(chan struct{})
	return cp, nil
}

// decodeSnapshot decompresses and decodes a snapshot and checks its format.
func decodeSnapshot(data []byte) (snapshotDocument, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return snapshotDocument{}, fmt.Errorf("read-model snapshot is not gzip data: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxSnapshotSize+1))
	if err != nil {
		return snapshotDocument{}, fmt.Errorf("decompress read-model snapshot: %w", err)
	}
	if len(raw) > maxSnapshotSize {
		return snapshotDocument{}, fmt.Errorf("read-model snapshot is larger than %d bytes decompressed", maxSnapshotSize)
	}
	var doc snapshotDocument
	if err := json.Unmarshal(raw, &doc); err != nil {
		// A document of another format may not decode at all, and its
		// version makes the better error.
		var header struct {
			Checkpoint
		}
		if json.Unmarshal(raw, &header) == nil && header.Format != SnapshotFormat {
			return snapshotDocument{}, fmt.Errorf("read-model snapshot has format %d; this build reads format %d", header.Format, SnapshotFormat)
		}
		return snapshotDocument{}, fmt.Errorf("decode read-model snapshot: %w", err)
	}
	if doc.Format != SnapshotFormat {
		return snapshotDocument{}, fmt.Errorf("read-model snapshot has format %d; this build reads format %d", doc.Format, SnapshotFormat)
	}
	return doc, nil
}

// projectorState is the part of a Projector that Restore replaces.
type projectorState struct {
	orgs      map[string]domain.Org
	levels    map[string][]domain.Event
	levelLog  []domain.Event
	plans     map[string]*planRecord
	orgPlans  map[string][]string
	sips      map[sipKey]string
	sequences map[string]uint64
	eventIDs  map[string]EventRef
	records   map[aggregateKey][]domain.Event
	kindIDs   map[string][]string
}

// restoredState rebuilds the projector's maps from a decoded snapshot. It
// refolds every plan, which also rebuilds the in-memory plan snapshots.
func restoredState(doc snapshotDocument, log *slog.Logger) (projectorState, error) {
	s := projectorState{
		orgs:      make(map[string]domain.Org, len(doc.Orgs)),
		levels:    map[string][]domain.Event{},
		levelLog:  make([]domain.Event, 0, len(doc.LevelLog)),
		plans:     make(map[string]*planRecord, len(doc.Plans)),
		orgPlans:  make(map[string][]string, len(doc.OrgPlans)),
		sips:      make(map[sipKey]string, len(doc.SIPs)),
		sequences: make(map[string]uint64, len(doc.Sequences)),
		eventIDs:  make(map[string]EventRef, len(doc.EventIDs)),
	}
	for _, o := range doc.Orgs {
		s.orgs[o.Code] = o
	}
	for _, r := range doc.LevelLog {
		e := r.event()
		if e.AggregateKind != domain.KindLevel {
			return projectorState{}, fmt.Errorf("read-model snapshot lists %s event %s as a level event", e.AggregateKind, e.ID)
		}
		s.levelLog = append(s.levelLog, e)
		s.levels[e.AggregateID] = append(s.levels[e.AggregateID], e)
	}
	refoldErrors := 0
	for _, plan := range doc.Plans {
		if len(plan.Events) == 0 {
			return projectorState{}, fmt.Errorf("read-model snapshot has plan %s without events", plan.ID)
		}
		rec := &planRecord{current: &domain.Plan{}}
		for _, r := range plan.Events {
			e := r.event()
			if e.AggregateKind != domain.KindPlan || e.AggregateID != plan.ID {
				return projectorState{}, fmt.Errorf("read-model snapshot lists %s %s event %s under plan %s",
					e.AggregateKind, e.AggregateID, e.ID, plan.ID)
			}
			// Apply returned the same error when the event first arrived.
			if rec.add(e) != nil {
				refoldErrors++
			}
		}
		s.plans[plan.ID] = rec
	}
	if refoldErrors > 0 {
		log.Warn("restored read model has plan events that do not fold; reads that include them fail",
			"events", refoldErrors)
	}
	for _, entry := range doc.OrgPlans {
		s.orgPlans[entry.OrgCode] = entry.PlanIDs
	}
	for _, entry := range doc.SIPs {
		s.sips[sipKey{entry.OrgCode, entry.Year}] = entry.PlanID
	}
	for _, entry := range doc.Sequences {
		s.sequences[entry.Aggregate] = entry.Sequence
	}
	for _, entry := range doc.EventIDs {
		s.eventIDs[entry.EventID] = EventRef{Kind: entry.Kind, AggregateID: entry.AggregateID, Sequence: entry.Sequence}
	}
	var err error
	if s.records, s.kindIDs, err = restoreRecords(doc.Records, doc.KindIDs); err != nil {
		return projectorState{}, err
	}
	return s, nil
}

// dumpDocument is the document Dump encodes: every structure the projector
// keeps, including those a snapshot derives, so that a restore which
// rebuilds one wrongly shows up as a difference.
type dumpDocument struct {
	Applied   uint64          `json:"applied"`
	Orgs      []domain.Org    `json:"orgs"`
	Levels    []dumpLevels    `json:"levels"`    // sorted by org code
	LevelLog  []dumpLevelRef  `json:"level_log"` // in stream order
	Plans     []dumpPlan      `json:"plans"`     // sorted by id
	OrgPlans  []orgPlansEntry `json:"org_plans"`
	SIPs      []sipEntry      `json:"sips"`
	Sequences []sequenceEntry `json:"sequences"`
	EventIDs  []eventIDEntry  `json:"event_ids"`
	Records   []recordEntry   `json:"records"`
	KindIDs   []kindIDsEntry  `json:"kind_ids"`
}

type dumpLevels struct {
	OrgCode string        `json:"org_code"`
	Events  []eventRecord `json:"events"`
}

// dumpLevelRef names one entry of the level log without repeating the
// event, which Levels already lists.
type dumpLevelRef struct {
	OrgCode        string `json:"org_code"`
	Sequence       uint64 `json:"sequence"`
	StreamSequence uint64 `json:"stream_sequence"`
	EventID        string `json:"event_id"`
}

type dumpPlan struct {
	ID      string        `json:"id"`
	Events  []eventRecord `json:"events"`
	Current *domain.Plan  `json:"current"`
}

// Dump returns a canonical encoding of everything the projector holds:
// indented JSON with maps turned into sorted lists. Two projectors that
// applied the same events, or one restored from a snapshot of the other
// and then fed the rest, return the same bytes. Level followers, the
// in-memory plan snapshots and the part of an atomic batch still arriving
// are left out. None of them is state at the applied stream sequence.
func (p *Projector) Dump() ([]byte, error) {
	s := p.copyState()
	doc := dumpDocument{
		Applied:   s.applied,
		Orgs:      s.orgs,
		OrgPlans:  s.orgPlans,
		SIPs:      s.sips,
		Sequences: s.sequences,
		EventIDs:  s.eventIDs,
		Records:   s.records,
		KindIDs:   s.kindIDs,
	}
	codes := make([]string, 0, len(s.levels))
	for code := range s.levels {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		doc.Levels = append(doc.Levels, dumpLevels{OrgCode: code, Events: newEventRecords(s.levels[code])})
	}
	for _, e := range s.levelLog {
		doc.LevelLog = append(doc.LevelLog, dumpLevelRef{OrgCode: e.AggregateID, Sequence: e.Sequence,
			StreamSequence: e.StreamSequence, EventID: e.ID})
	}
	for _, plan := range s.plans {
		doc.Plans = append(doc.Plans, dumpPlan{ID: plan.id, Events: newEventRecords(plan.events), Current: plan.current})
	}
	out, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return nil, fmt.Errorf("dump read model at stream sequence %d: %w", s.applied, err)
	}
	return out, nil
}
