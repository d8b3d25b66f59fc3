package importer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/planledger/planledger/data"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/importer"
)

// Expected counts of a first import of the bundled files. Levels: 1,604
// school and 382 district records from the 2017 profile plus 16 level and
// 17 designation observations; John Avery Parker and Lawrence appear at
// Level 5 on 2017-09-30 in both files, and Henry Lord Middle (00950310,
// closed) is not in enrollments.csv.
const (
	firstOrgs          = bundledSchools + bundledDistricts
	firstLevels        = 1604 + 382 + 16 + 17 - 2 - 1
	firstRepeated      = 2
	firstUnknown       = 1
	bundledObjectives  = 3
	bundledGoals       = 9
	bundledPlanCount   = 5
	bundledAnalyses    = 1
	firstEventsBundled = firstOrgs + firstLevels + bundledPlanCount + bundledObjectives + bundledGoals + bundledAnalyses
)

func runBundled(t *testing.T, store *memStore) (importer.Summary, []importer.Progress) {
	t.Helper()
	src, closeAll, err := importer.BundledSources(data.Bundled())
	if err != nil {
		t.Fatalf("BundledSources: %v", err)
	}
	defer closeAll()
	var reports []importer.Progress
	sum, err := importer.Run(context.Background(), store, store.state, src,
		func(p importer.Progress) { reports = append(reports, p) })
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// The next run expects a read model that has caught up.
	if err := store.state.WaitFor(context.Background(), store.last()); err != nil {
		t.Fatalf("catch up: %v", err)
	}
	return sum, reports
}

func TestRunBundledTwice(t *testing.T) {
	store := newMemStore()
	first, reports := runBundled(t, store)
	want := importer.Summary{
		Events: firstEventsBundled, OrgsRegistered: firstOrgs, LevelsRecorded: firstLevels,
		LevelsPresent: firstRepeated, LevelsUnknownOrg: firstUnknown, UnknownOrgCodes: []string{"00950310"},
		PlansCreated: bundledPlanCount, ObjectivesAdded: bundledObjectives, GoalsAdopted: bundledGoals,
		AnalysesRecorded: bundledAnalyses,
	}
	if fmt.Sprint(first) != fmt.Sprint(want) {
		t.Errorf("first run:\n got %+v\nwant %+v", first, want)
	}
	if int(store.last()) != first.Events {
		t.Errorf("store holds %d events, summary says %d", store.last(), first.Events)
	}
	checkProgress(t, reports)

	second, _ := runBundled(t, store)
	want = importer.Summary{
		OrgsUnchanged: firstOrgs, LevelsPresent: firstLevels + firstRepeated,
		LevelsUnknownOrg: firstUnknown, UnknownOrgCodes: []string{"00950310"}, PlansSkipped: bundledPlanCount,
	}
	if fmt.Sprint(second) != fmt.Sprint(want) {
		t.Errorf("second run:\n got %+v\nwant %+v", second, want)
	}
}

func checkProgress(t *testing.T, reports []importer.Progress) {
	t.Helper()
	var phases []string
	for i, p := range reports {
		if i == 0 || p.Phase != reports[i-1].Phase {
			phases = append(phases, p.Phase)
			if p.Done != 0 {
				t.Errorf("phase %s starts at %d, want 0", p.Phase, p.Done)
			}
			if i > 0 && reports[i-1].Done != reports[i-1].Total {
				t.Errorf("phase %s ended at %d of %d", reports[i-1].Phase, reports[i-1].Done, reports[i-1].Total)
			}
			continue
		}
		if gap := p.Done - reports[i-1].Done; gap > 500 || gap < 0 {
			t.Errorf("phase %s: progress went from %d to %d", p.Phase, reports[i-1].Done, p.Done)
		}
	}
	if got := strings.Join(phases, ","); got != "orgs,levels,plans" {
		t.Errorf("phases = %s, want orgs,levels,plans", got)
	}
	if last := reports[len(reports)-1]; last.Done != last.Total {
		t.Errorf("last report %+v is not complete", last)
	}
}

func TestRunBundledEvents(t *testing.T) {
	store := newMemStore()
	runBundled(t, store)

	// Morgan: Level 4 (2010) and Level 5 (2013-10-30) from the observations,
	// the 2017 profile's Level 5, then the status removed on 2022-09-26.
	morgan := store.state.Levels("01370025")
	parker := store.state.Levels("02010115")
	if len(morgan) != 4 || morgan[0].Level != 4 || morgan[1].Level != 5 || morgan[1].DatePrecision != importer.PrecisionDay ||
		!morgan[1].EffectiveAt.Equal(massDate(2013, time.October, 30)) ||
		morgan[1].Actor != "importer:accountability_observations.csv" {
		t.Errorf("Morgan history = %+v, want Level 4, Level 5 from 2013-10-30 (day) by the observations importer, then 2017", morgan)
	}
	if len(morgan) == 4 && (morgan[3].Scheme != domain.SchemeAccountability || morgan[3].Designation != domain.DesignationStatusRemoved ||
		!morgan[3].EffectiveAt.Equal(massDate(2022, time.September, 26)) || morgan[3].DatePrecision != importer.PrecisionDay) {
		t.Errorf("Morgan's last entry = %+v, want the status removed on 2022-09-26 (day)", morgan[3])
	}
	if len(parker) != 3 || parker[1].Actor != "importer:MA_Public_Schools_2017.csv" ||
		parker[1].DatePrecision != importer.PrecisionYear {
		t.Errorf("John Avery Parker history = %+v, want 2013, one 2017 record from the profile and 2018", parker)
	}
	if len(parker) == 3 && (parker[2].Designation != domain.DesignationBroad || parker[2].Percentile != 7) {
		t.Errorf("John Avery Parker 2018 = %+v, want broad/comprehensive support at percentile 7", parker[2])
	}

	org := store.eventsOf(domain.TypeOrgRegistered)[0]
	if org.Actor != "importer:enrollments.csv" {
		t.Errorf("org event actor = %q", org.Actor)
	}
	wantEffective := map[string]time.Time{
		"02040000": massDate(2015, time.July, 1),
		"02040505": massDate(2016, time.July, 1),
	}
	for _, typ := range []string{domain.TypePlanCreated, domain.TypeObjectiveAdded, domain.TypeGoalAdopted} {
		for _, e := range store.eventsOf(typ) {
			plan, _ := store.state.Plan(e.AggregateID)
			if want, ok := wantEffective[plan.OrgCode]; ok && !e.EffectiveAt.Equal(want) {
				t.Errorf("%s for %s takes effect %v, want %v", typ, plan.OrgCode, e.EffectiveAt, want)
			}
			if e.Actor != "importer:newburyport.json" {
				t.Errorf("%s actor = %q", typ, e.Actor)
			}
		}
	}
	dip, ok := store.state.Plan("1496d2f4-3f89-4c37-8c47-d3358c42ebf0")
	if !ok || len(dip.Objectives) != bundledObjectives || dip.Title == "" {
		t.Errorf("DIP in the read model = %+v", dip)
	}
}

// newburyportCSV holds the four Newburyport schools of 2025-26.
const newburyportCSV = enrollmentHeader +
	"2025-26,Newburyport - Edward G. Molin Elementary School,02040030,0,0,0,0,0,153,141,0,0,0,0,0,0,0,0,294\n" +
	"2025-26,Newburyport - Francis T Bresnahan Elementary,02040005,56,117,114,159,121,0,0,0,0,0,0,0,0,0,0,567\n" +
	"2025-26,Newburyport - Newburyport High,02040505,0,0,0,0,0,0,0,0,0,0,187,179,189,190,0,745\n" +
	"2025-26,Newburyport - Rupert A Nock Middle,02040305,0,0,0,0,0,0,0,179,163,156,0,0,0,0,0,498\n"

const observationsHeader = "district_code,district_name,school_code,school_name,grade_span,level_or_status,level_year,notes,source_url\n"

func TestRunSkipsUnknownOrgs(t *testing.T) {
	obs := observationsHeader + "02040000,Newburyport,02040505,Newburyport High,09-12,Level 1,2014,,https://example.org/a\n"
	for i := 0; i < 12; i++ {
		obs += fmt.Sprintf("099%02d000,Nowhere,,,PK-12,Level 3,2014,,https://example.org/b\n", i)
	}
	store := newMemStore()
	sum, err := importer.Run(context.Background(), store, store.state, importer.Sources{
		Enrollments: strings.NewReader(newburyportCSV), Observations: strings.NewReader(obs)}, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if sum.LevelsRecorded != 1 {
		t.Errorf("recorded %d levels, want 1 (Newburyport High)", sum.LevelsRecorded)
	}
	if sum.LevelsUnknownOrg != 12 {
		t.Errorf("skipped %d unknown-org levels, want 12", sum.LevelsUnknownOrg)
	}
	if len(sum.UnknownOrgCodes) != 10 || sum.UnknownOrgCodes[0] != "09900000" {
		t.Errorf("unknown org examples = %v, want the first 10 codes from 09900000", sum.UnknownOrgCodes)
	}
}

func TestRunResumesInterruptedPlans(t *testing.T) {
	sources := func(t *testing.T) importer.Sources {
		return importer.Sources{Enrollments: strings.NewReader(newburyportCSV),
			Plans: openBundled(t, bundledPlansPath)}
	}
	store := newMemStore()
	store.failAfter = 5 + 2 // five orgs, the DIP and its first objective
	_, err := importer.Run(context.Background(), store, store.state, sources(t), nil)
	if !errors.Is(err, errInjected) {
		t.Fatalf("Run error = %v, want the injected failure", err)
	}
	store.failAfter = 0
	if err := store.state.WaitFor(context.Background(), store.last()); err != nil {
		t.Fatal(err)
	}

	sum, err := importer.Run(context.Background(), store, store.state, sources(t), nil)
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if sum.PlansResumed != 1 || sum.ObjectivesAdded != 2 || sum.PlansCreated != 4 || sum.GoalsAdopted != bundledGoals {
		t.Errorf("re-run summary = %+v, want the DIP resumed with 2 objectives and 4 SIPs created", sum)
	}
	dip, _ := store.state.Plan("1496d2f4-3f89-4c37-8c47-d3358c42ebf0")
	if dip == nil || len(dip.Objectives) != bundledObjectives {
		t.Errorf("DIP after resume = %+v", dip)
	}
}

func TestRunLeavesEditedPlan(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	src := importer.Sources{Enrollments: strings.NewReader(newburyportCSV), Plans: openBundled(t, bundledPlansPath)}
	if _, err := importer.Run(ctx, store, store.state, src, nil); err != nil {
		t.Fatalf("Run: %v", err)
	}
	dipID := "1496d2f4-3f89-4c37-8c47-d3358c42ebf0"
	if err := store.state.WaitFor(ctx, store.last()); err != nil {
		t.Fatal(err)
	}
	ev, err := store.Append(ctx, domain.AppendRequest{AggregateKind: domain.KindPlan, AggregateID: dipID,
		ExpectedSequence: store.state.Sequence(domain.KindPlan, dipID),
		Draft:            domain.Draft{Type: domain.TypePlanRetitled, Payload: domain.PlanRetitled{Title: "Edited"}},
		Metadata:         domain.Metadata{Actor: "test", EventID: uuid.NewString()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.state.WaitFor(ctx, ev.StreamSequence); err != nil {
		t.Fatal(err)
	}

	src.Plans = openBundled(t, bundledPlansPath)
	src.Enrollments = nil
	sum, err := importer.Run(ctx, store, store.state, src, nil)
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if sum.Events != 0 || sum.PlansSkipped != bundledPlanCount {
		t.Errorf("re-run summary = %+v, want every plan skipped and nothing appended", sum)
	}
	if dip, _ := store.state.Plan(dipID); dip.Title != "Edited" {
		t.Errorf("DIP title = %q, want the edit kept", dip.Title)
	}
}

func TestRunRejectsGoalCitingUnknownObjective(t *testing.T) {
	plans := bundledPlans(t)
	plans[1].Goals[0].Objectives = []string{uuid.NewString()}
	doc, err := json.Marshal(importer.PlanFile{Plans: plans})
	if err != nil {
		t.Fatal(err)
	}
	store := newMemStore()
	_, err = importer.Run(context.Background(), store, store.state, importer.Sources{
		Enrollments: strings.NewReader(newburyportCSV), Plans: strings.NewReader(string(doc))}, nil)
	if domain.ErrorCode(err) != domain.EInvalid || !strings.Contains(err.Error(), "objectives/0") ||
		!strings.Contains(err.Error(), "goals/0") {
		t.Errorf("error = %v, want an invalid objectives/0 on goals/0", err)
	}
	if n := len(store.eventsOf(domain.TypeGoalAdopted)); n != 0 {
		t.Errorf("%d goals adopted before the invalid one, want 0", n)
	}
}

func TestRunReregistersChangedOrg(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	if _, err := importer.Run(ctx, store, store.state, importer.Sources{Enrollments: strings.NewReader(newburyportCSV)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.state.WaitFor(ctx, store.last()); err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(newburyportCSV, "187,179,189,190,0,745", "187,179,189,191,0,746", 1)
	sum, err := importer.Run(ctx, store, store.state, importer.Sources{Enrollments: strings.NewReader(changed)}, nil)
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if sum.OrgsRegistered != 2 || sum.OrgsUnchanged != 3 {
		t.Errorf("re-run summary = %+v, want the high school and its district registered again", sum)
	}
	if err := store.state.WaitFor(ctx, store.last()); err != nil {
		t.Fatal(err)
	}

	// Changing back to the first fields is a third registration with its
	// own event id; memStore rejects a repeated id.
	if _, err := importer.Run(ctx, store, store.state, importer.Sources{Enrollments: strings.NewReader(newburyportCSV)}, nil); err != nil {
		t.Fatalf("third run: %v", err)
	}
	var sequences []uint64
	for _, e := range store.eventsOf(domain.TypeOrgRegistered) {
		if e.AggregateID == "02040505" {
			sequences = append(sequences, e.Sequence)
		}
	}
	if fmt.Sprint(sequences) != "[1 2 3]" {
		t.Errorf("registrations of 02040505 have sequences %v, want [1 2 3]", sequences)
	}
}

func TestRunOnlyNewOrgsKeepsExisting(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	changed := strings.Replace(newburyportCSV, "187,179,189,190,0,745", "187,179,189,191,0,746", 1)
	if _, err := importer.Run(ctx, store, store.state, importer.Sources{Enrollments: strings.NewReader(changed)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.state.WaitFor(ctx, store.last()); err != nil {
		t.Fatal(err)
	}
	before := len(store.eventsOf(domain.TypeOrgRegistered))

	// The older file with OnlyNewOrgs must not revert the newer registration.
	src := importer.Sources{Enrollments: strings.NewReader(newburyportCSV), OnlyNewOrgs: true}
	sum, err := importer.Run(ctx, store, store.state, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.OrgsRegistered != 0 {
		t.Errorf("OnlyNewOrgs registered %d orgs, want 0", sum.OrgsRegistered)
	}
	if after := len(store.eventsOf(domain.TypeOrgRegistered)); after != before {
		t.Errorf("org registrations went from %d to %d", before, after)
	}
	if org, _ := store.state.Org("02040505"); org.Enrollment != 746 {
		t.Errorf("Newburyport High enrollment %d, want the newer 746", org.Enrollment)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	store := newMemStore()
	sum, err := importer.Run(ctx, store, store.state, importer.Sources{Enrollments: strings.NewReader(newburyportCSV)}, nil)
	if !errors.Is(err, context.Canceled) || sum.Events != 0 {
		t.Errorf("Run = %+v, %v; want context.Canceled and no events", sum, err)
	}
}

// The files are parsed concurrently, but an error in the enrollment file
// still wins over one in a later file, and nothing is appended.
func TestRunReportsEnrollmentErrorFirst(t *testing.T) {
	badEnrollments := strings.Replace(newburyportCSV, ",745\n", ",many\n", 1)
	badObservations := observationsHeader + "02040000,Newburyport,02040505,Newburyport High,09-12,Level 1 then Level,2014,,https://example.org/a\n"
	store := newMemStore()
	_, err := importer.Run(context.Background(), store, store.state, importer.Sources{
		Enrollments: strings.NewReader(badEnrollments), Observations: strings.NewReader(badObservations)}, nil)
	var de *importer.DataError
	if !errors.As(err, &de) {
		t.Fatalf("Run error = %v, want a *DataError", err)
	}
	if de.File != importer.EnrollmentsFile {
		t.Errorf("error names %s, want %s: %v", de.File, importer.EnrollmentsFile, err)
	}
	if n := store.last(); n != 0 {
		t.Errorf("store holds %d events after a parse error, want 0", n)
	}

	_, err = importer.Run(context.Background(), store, store.state, importer.Sources{
		Enrollments: strings.NewReader(newburyportCSV), Observations: strings.NewReader(badObservations)}, nil)
	if !errors.As(err, &de) || de.File != importer.ObservationsFile {
		t.Errorf("Run with only the observations malformed = %v, want a *DataError in %s", err, importer.ObservationsFile)
	}
	if n := store.last(); n != 0 {
		t.Errorf("store holds %d events after a parse error in the observations, want 0", n)
	}
}

// orgPrefixChecker returns a progress function that checks, at every
// report of the orgs phase, that the orgs it counts as done are stored.
// Orgs are imported in code order, one event each.
func orgPrefixChecker(t *testing.T, store *memStore) (func(importer.Progress), *[]importer.Progress) {
	orgs, err := importer.ReadEnrollments(openBundled(t, data.EnrollmentsPath))
	if err != nil {
		t.Fatalf("ReadEnrollments: %v", err)
	}
	var reports []importer.Progress
	return func(p importer.Progress) {
		reports = append(reports, p)
		if p.Phase != importer.PhaseOrgs {
			return
		}
		stored := map[string]bool{}
		for _, e := range store.eventsOf(domain.TypeOrgRegistered) {
			stored[e.AggregateID] = true
		}
		for _, o := range orgs[:p.Done] {
			if !stored[o.Code] {
				t.Errorf("progress reported %d orgs done, but org %s among them is not stored", p.Done, o.Code)
				return
			}
		}
	}, &reports
}

func TestRunPipelineOutOfOrder(t *testing.T) {
	store := newMemStore()
	src, closeAll, err := importer.BundledSources(data.Bundled())
	if err != nil {
		t.Fatalf("BundledSources: %v", err)
	}
	defer closeAll()
	progress, reports := orgPrefixChecker(t, store)
	sum, err := importer.Run(context.Background(), reorderingStore{store}, store.state, src, progress)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := importer.Summary{
		Events: firstEventsBundled, OrgsRegistered: firstOrgs, LevelsRecorded: firstLevels,
		LevelsPresent: firstRepeated, LevelsUnknownOrg: firstUnknown, UnknownOrgCodes: []string{"00950310"},
		PlansCreated: bundledPlanCount, ObjectivesAdded: bundledObjectives, GoalsAdopted: bundledGoals, AnalysesRecorded: bundledAnalyses,
	}
	if fmt.Sprint(sum) != fmt.Sprint(want) {
		t.Errorf("summary:\n got %+v\nwant %+v", sum, want)
	}
	if int(store.last()) != sum.Events {
		t.Errorf("store holds %d events, summary says %d", store.last(), sum.Events)
	}
	checkProgress(t, *reports)
}

func TestRunPipelineFailureStopsImport(t *testing.T) {
	store := newMemStore()
	store.failAfter = 1000
	src, closeAll, err := importer.BundledSources(data.Bundled())
	if err != nil {
		t.Fatalf("BundledSources: %v", err)
	}
	defer closeAll()
	progress, reports := orgPrefixChecker(t, store)
	sum, err := importer.Run(context.Background(), reorderingStore{store}, store.state, src, progress)
	if !errors.Is(err, errInjected) {
		t.Fatalf("Run error = %v, want the injected failure", err)
	}
	if sum.Events != 1000 || sum.OrgsRegistered != 1000 {
		t.Errorf("summary counts %d events and %d orgs, want the 1000 stored", sum.Events, sum.OrgsRegistered)
	}
	for _, p := range *reports {
		if p.Phase != importer.PhaseOrgs {
			t.Errorf("progress reached phase %s after the failure", p.Phase)
		}
	}
	if last := (*reports)[len(*reports)-1]; last.Done > 1000 {
		t.Errorf("last progress report counts %d orgs done, but only 1000 were stored", last.Done)
	}
}
