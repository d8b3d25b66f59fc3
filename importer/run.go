package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/planledger/planledger/domain"
)

// State is the read model Run checks against. It must have applied every
// stored event before Run starts. Run keeps it current for plans by waiting
// after each plan event.
type State interface {
	domain.Lookup
	Sequence(kind, id string) uint64 // aggregate's last sequence, 0 if none
	Levels(orgCode string) []domain.LevelEntry
	// WaitFor blocks until the read model has applied the given stream sequence.
	WaitFor(ctx context.Context, streamSeq uint64) error
}

// Phases of Run, in order.
const (
	PhaseOrgs   = "orgs"
	PhaseLevels = "levels"
	PhasePlans  = "plans"
)

// progressEvery is the largest number of items between two progress
// reports. Each item appends at most one event.
const progressEvery = 500

// maxUnknownExamples caps Summary.UnknownOrgCodes.
const maxUnknownExamples = 10

// Progress is how far one phase of Run has got.
type Progress struct {
	Phase string // PhaseOrgs, PhaseLevels or PhasePlans
	Done  int    // items processed in the phase, appended or skipped
	Total int
}

// Summary counts what Run appended and what it skipped.
type Summary struct {
	Events           int // events appended
	OrgsRegistered   int // new or changed registrations
	OrgsUnchanged    int
	LevelsRecorded   int      // level.changed events of either scheme
	LevelsPresent    int      // already in the org's history, or repeated across the inputs
	LevelsUnknownOrg int      // skipped because no registered org has the code
	UnknownOrgCodes  []string // up to 10 distinct codes of those, in input order
	PlansCreated     int
	PlansResumed     int // existing plans completed after an interrupted import
	PlansSkipped     int // existing plans left as they are
	ObjectivesAdded  int
	GoalsAdopted     int
	AnalysesRecorded int
}

// eventNamespace is the UUID v5 namespace of the importer's event ids.
// Changing it would make a re-import store every event again.
var eventNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("github.com/planledger/planledger/importer"))

// eventID derives an event id from a stable key, so the same import item
// always gets the same id and a store that deduplicates by id keeps one copy
// after a crash and re-run.
func eventID(key string) string {
	return uuid.NewSHA1(eventNamespace, []byte(key)).String()
}

// Run reads the sources and appends the events they imply, in three phases:
//   - org.registered for every org that is new or whose registration changed;
//   - level.changed for every level or designation record not yet in the
//     org's history, where an entry of the same scheme, level or
//     designation and effective date counts as present;
//   - plan.created, then plan.objective_added or plan.goal_adopted per item
//     and plan.analysis_recorded per data analysis, for every plan that does
//     not exist yet.
//
// Every file is parsed before the first append, so a malformed file appends
// nothing. Orgs and levels go through the store's AppendPipeline when it
// has one, with many appends in flight, each aggregate's in order, and
// progress counts an item only once it and every item before it are done.
// Level records for unregistered orgs are skipped and counted. An existing
// plan is left alone unless its events are exactly a prefix of the
// bundle, which only an interrupted import leaves. In that case Run adds the
// rest. progress may be nil. On error the Summary counts what was appended.
func Run(ctx context.Context, store domain.EventStore, state State, src Sources, progress func(Progress)) (Summary, error) {
	in, err := readSources(src)
	if err != nil {
		return Summary{}, err
	}
	r := &runner{
		ctx: ctx, store: store, state: state, progress: progress,
		correlationID: uuid.NewString(),
		sequences:     map[string]uint64{},
		registered:    map[string]bool{},
		recorded:      map[string]bool{},
	}
	if in.orgs != nil {
		r.onlyNewOrgs = src.OnlyNewOrgs
		if err := r.registerOrgs(in.orgs, in.orgsActor); err != nil {
			return r.sum, err
		}
	}
	if in.levels != nil {
		if err := r.recordLevels(in.levels); err != nil {
			return r.sum, err
		}
	}
	if in.plans != nil {
		if err := r.importPlans(in.plans, in.plansActor); err != nil {
			return r.sum, err
		}
	}
	return r.sum, nil
}

// inputs are the parsed sources with the actor each one's events carry.
type inputs struct {
	orgs       []domain.Org
	orgsActor  string
	levels     []actedLevel
	plans      []PlanBundle
	plansActor string
}

type actedLevel struct {
	LevelRecord
	actor string
}

func actorFor(file string) string { return "importer:" + file }

func readSources(src Sources) (inputs, error) {
	var in inputs
	// The enrollment file is the largest input, so it is parsed on its own
	// goroutine while this one parses the rest.
	var orgs []domain.Org
	var orgsErr error
	var wg sync.WaitGroup
	if src.Enrollments != nil {
		in.orgsActor = actorFor(sourceName(src.Enrollments, EnrollmentsFile))
		wg.Go(func() { orgs, orgsErr = ReadEnrollments(src.Enrollments) })
	}
	err := readLevelsAndPlans(src, &in)
	wg.Wait()
	// The enrollment file's error comes first, as when the files were
	// parsed one after the other.
	if orgsErr != nil {
		return in, orgsErr
	}
	in.orgs = orgs
	return in, err
}

// readLevelsAndPlans parses every source but the enrollment file into in.
func readLevelsAndPlans(src Sources, in *inputs) error {
	if src.Profile2017 != nil {
		actor := actorFor(sourceName(src.Profile2017, Profile2017File))
		records, err := ReadProfile2017(src.Profile2017)
		if err != nil {
			return err
		}
		for _, rec := range records {
			in.levels = append(in.levels, actedLevel{rec, actor})
		}
	}
	if src.Observations != nil {
		actor := actorFor(sourceName(src.Observations, ObservationsFile))
		records, err := ReadObservations(src.Observations)
		if err != nil {
			return err
		}
		for _, rec := range records {
			in.levels = append(in.levels, actedLevel{rec, actor})
		}
	}
	// Each org's history is appended oldest first. The sort is stable, so
	// when two files give the same level and date, the 2017 profile's
	// record is the one kept.
	slices.SortStableFunc(in.levels, func(a, b actedLevel) int {
		if c := strings.Compare(a.OrgCode, b.OrgCode); c != 0 {
			return c
		}
		return a.EffectiveAt.Compare(b.EffectiveAt)
	})
	if src.Plans != nil {
		in.plansActor = actorFor(sourceName(src.Plans, PlansFile))
		var err error
		if in.plans, err = ReadPlans(src.Plans); err != nil {
			return err
		}
	}
	return nil
}

// runner is the state of one Run.
type runner struct {
	ctx           context.Context
	store         domain.EventStore
	state         State
	progress      func(Progress)
	correlationID string

	// sequences holds the last sequence of each aggregate appended in this
	// run, so appends need not wait for the read model to catch up.
	sequences  map[string]uint64
	lastStream uint64          // highest stream sequence appended
	registered map[string]bool // org codes registered or confirmed in this run
	recorded   map[string]bool // event keys of levels appended in this run
	// onlyNewOrgs leaves existing registrations alone; see Sources.OnlyNewOrgs.
	onlyNewOrgs bool

	// mu guards what the append pipeline's done functions update while the
	// org and level phases queue appends: the counts of stored events in
	// sum, lastStream and the phase's progress.
	mu  sync.Mutex
	sum Summary
}

func (r *runner) report(phase string, done, total int) {
	if r.progress != nil {
		r.progress(Progress{Phase: phase, Done: done, Total: total})
	}
}

// tick reports progress every progressEvery items and at the end of a phase.
func (r *runner) tick(phase string, done, total int) {
	if done%progressEvery == 0 || done == total {
		r.report(phase, done, total)
	}
}

func (r *runner) sequence(kind, id string) uint64 {
	if seq, ok := r.sequences[kind+"/"+id]; ok {
		return seq
	}
	return r.state.Sequence(kind, id)
}

// append stores one event after the aggregate's last known sequence.
func (r *runner) append(kind, id, key, actor string, d domain.Draft) (domain.Event, error) {
	expected := r.sequence(kind, id)
	ev, err := r.store.Append(r.ctx, domain.AppendRequest{
		AggregateKind: kind, AggregateID: id, ExpectedSequence: expected, Draft: d,
		Metadata: domain.Metadata{Actor: actor, CorrelationID: r.correlationID, EventID: eventID(key)},
	})
	if err != nil {
		return ev, fmt.Errorf("append %s to %s %s after sequence %d: %w", d.Type, kind, id, expected, err)
	}
	next := ev.Sequence
	if next == 0 {
		next = expected + 1
	}
	r.sequences[kind+"/"+id] = next
	r.lastStream = max(r.lastStream, ev.StreamSequence)
	r.sum.Events++
	return ev, nil
}

func (r *runner) stopped() error {
	if err := r.ctx.Err(); err != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		return fmt.Errorf("import stopped after %d events: %w", r.sum.Events, err)
	}
	return nil
}

func (r *runner) registerOrgs(orgs []domain.Org, actor string) error {
	run := r.beginPhase(PhaseOrgs, len(orgs))
	return r.endPhase(run, r.queueOrgs(run, orgs, actor))
}

// queueOrgs queues the registrations. The first failed append stops it at
// the next org.
func (r *runner) queueOrgs(run *phaseRun, orgs []domain.Org, actor string) error {
	for i, o := range orgs {
		if err := r.stopped(); err != nil {
			return err
		}
		r.registered[o.Code] = true
		if current, ok := r.state.Org(o.Code); ok && (current == o || r.onlyNewOrgs) {
			r.sum.OrgsUnchanged++
			r.skipItem(run.progress, i)
			continue
		}
		if err := domain.ValidateOrg(o); err != nil {
			return fmt.Errorf("register org %s (%s): %w", o.Code, o.Name, err)
		}
		fields, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("register org %s: encode its fields: %w", o.Code, err)
		}
		// The key names the sequence the event follows, so a registration
		// that changes back to earlier fields still gets a new id.
		digest := sha256.Sum256(fields)
		key := fmt.Sprintf("%s/%s/%d/%s", domain.TypeOrgRegistered, o.Code,
			r.sequence(domain.KindOrg, o.Code), hex.EncodeToString(digest[:8]))
		d := domain.Draft{Type: domain.TypeOrgRegistered, Payload: domain.OrgRegistered{Org: o}}
		if err := r.queueAppend(run, i, domain.KindOrg, o.Code, key, actor, d, func() { r.sum.OrgsRegistered++ }); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) recordLevels(levels []actedLevel) error {
	run := r.beginPhase(PhaseLevels, len(levels))
	return r.endPhase(run, r.queueLevels(run, levels))
}

// queueLevels queues the level changes. The first failed append stops it
// at the next record.
func (r *runner) queueLevels(run *phaseRun, levels []actedLevel) error {
	for i, l := range levels {
		if err := r.stopped(); err != nil {
			return err
		}
		if err := r.recordLevel(run, i, l); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) recordLevel(run *phaseRun, i int, l actedLevel) error {
	known := r.registered[l.OrgCode]
	if !known {
		_, known = r.state.Org(l.OrgCode)
	}
	d, err := domain.DecideLevelChange(domain.ChangeLevel{OrgCode: l.OrgCode, Scheme: l.Scheme, Level: l.Level,
		Designation: l.Designation, Percentile: l.Percentile, TargetProgress: l.TargetProgress, TargetPercent: l.TargetPercent,
		Reason: l.Reason, Source: l.Source, EffectiveAt: l.EffectiveAt, DatePrecision: l.DatePrecision}, known)
	if !known && domain.ErrorCode(err) == domain.ENotFound {
		r.sum.LevelsUnknownOrg++
		if len(r.sum.UnknownOrgCodes) < maxUnknownExamples && !slices.Contains(r.sum.UnknownOrgCodes, l.OrgCode) {
			r.sum.UnknownOrgCodes = append(r.sum.UnknownOrgCodes, l.OrgCode)
		}
		r.skipItem(run.progress, i)
		return nil
	}
	if err != nil {
		return fmt.Errorf("record %s of %s from %s: %w", l.describe(), l.OrgCode, l.Source, err)
	}

	key := levelKey(l.LevelRecord)
	if r.recorded[key] || inHistory(r.state.Levels(l.OrgCode), l.LevelRecord) {
		r.sum.LevelsPresent++
		r.skipItem(run.progress, i)
		return nil
	}
	r.recorded[key] = true
	return r.queueAppend(run, i, domain.KindLevel, l.OrgCode, key, l.actor, d, func() { r.sum.LevelsRecorded++ })
}

// levelKey names a level record for its event id. Level 1-5 records keep
// the key they had before designations existed, so a re-import of an older
// store finds its events.
func levelKey(rec LevelRecord) string {
	at := rec.EffectiveAt.UTC().Format(time.RFC3339)
	if rec.Scheme == domain.SchemeAccountability {
		return fmt.Sprintf("%s/%s/%s/%s/%s", domain.TypeLevelChanged, rec.OrgCode, rec.Scheme, rec.Designation, at)
	}
	return fmt.Sprintf("%s/%s/%d/%s", domain.TypeLevelChanged, rec.OrgCode, rec.Level, at)
}

// describe names the record's level or designation in errors.
func (rec LevelRecord) describe() string {
	if rec.Scheme == domain.SchemeAccountability {
		return "designation " + rec.Designation
	}
	return fmt.Sprintf("level %d", rec.Level)
}

// inHistory reports whether the history has the record's level, or its
// designation, taking effect at the same instant.
func inHistory(history []domain.LevelEntry, rec LevelRecord) bool {
	scheme := rec.Scheme
	if scheme == "" {
		scheme = domain.SchemeLevels
	}
	for _, e := range history {
		if e.Scheme == scheme && e.Level == rec.Level && e.Designation == rec.Designation &&
			e.EffectiveAt.Equal(rec.EffectiveAt) {
			return true
		}
	}
	return false
}
