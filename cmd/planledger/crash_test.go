//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// Sizes and bounds of the import crash test.
const (
	// generatedRows is the number of level rows in the generated
	// observations file, one level event each.
	generatedRows = 100_000
	// firstGeneratedYear is the first year of the generated rows, decades
	// before the bundled levels. The test still counts rows that repeat one.
	firstGeneratedYear = 1950
	// killAfterDone is the reported progress of the levels phase after
	// which the import is killed.
	killAfterDone = 30_000
	// killAfterTime kills the import this long after its levels phase
	// started when it has not reported killAfterDone by then.
	killAfterTime = 20 * time.Second
	// importTimeout bounds each run of the binary that must finish.
	importTimeout = 4 * time.Minute
	// loadSampleEvery picks every n-th level aggregate for a cross-check
	// through Store.Load.
	loadSampleEvery = 200
)

// TestImportResumesAfterKill kills "planledger import" with SIGKILL while it
// appends 100,000 level changes, then runs the same import again. Every
// event the killed run reported done must have survived the kill, and after
// the second run every generated level must be stored exactly once.
func TestImportResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 100,000 events and runs for one to two minutes")
	}
	started := time.Now()
	bin := buildPlanledger(t)
	dir := filepath.Join(t.TempDir(), "data")
	t.Logf("built the binary in %s", time.Since(started).Round(time.Millisecond))

	phase := time.Now()
	runImportToEnd(t, bin, "-data", dir, "-nats-listen", "127.0.0.1:-1", "-log-format", "json", "-bundled")
	bundled := readStoredLog(t, dir)
	bundled.assertConsistent(t, "after the bundled import")
	bundledLevels := bundled.levels
	orgs := bundled.orgs
	t.Logf("bundled import: %d events, %d orgs, %d level changes in %s",
		len(bundled.events), len(orgs), len(bundledLevels), time.Since(phase).Round(time.Millisecond))

	rows := generateLevelRows(orgs, generatedRows)
	csvPath := filepath.Join(t.TempDir(), "generated_observations.csv")
	writeObservationsCSV(t, csvPath, orgs, rows)
	// The importer skips a record whose org already has the same level
	// taking effect at the same instant.
	bundledKeys := map[string]bool{}
	for _, level := range bundledLevels {
		bundledKeys[level.key()] = true
	}
	expectedSkips := 0
	for _, row := range rows {
		if bundledKeys[row.key()] {
			expectedSkips++
		}
	}
	expectedNew := len(rows) - expectedSkips
	t.Logf("generated %d rows for years %d to %d; %d repeat a bundled level",
		len(rows), firstGeneratedYear, rows[len(rows)-1].year, expectedSkips)

	importArgs := []string{"-data", dir, "-nats-listen", "127.0.0.1:-1", "-log-format", "json", "-observations", csvPath}
	phase = time.Now()
	reportedDone := runImportUntilKilled(t, bin, importArgs...)
	t.Logf("killed the import after it reported %d of %d levels done, %s after its start",
		reportedDone, len(rows), time.Since(phase).Round(time.Millisecond))

	atKill := readStoredLog(t, dir)
	atKill.assertConsistent(t, "after the kill")
	storedAtKill := atKill.levelKeys()
	// The importer appends the records sorted by org code and then by date,
	// and reports an item done only after its append returned.
	sorted := slices.Clone(rows)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].org.Code != sorted[j].org.Code {
			return sorted[i].org.Code < sorted[j].org.Code
		}
		return sorted[i].effective.Before(sorted[j].effective)
	})
	missing := 0
	for i, row := range sorted[:reportedDone] {
		if storedAtKill[row.key()] == 0 {
			if missing < 10 {
				t.Errorf("after the kill, level %d of %s effective %s is missing, although the import reported %d done and it is item %d",
					row.level, row.org.Code, row.effective.Format(time.DateOnly), reportedDone, i+1)
			}
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of the %d levels reported done before the kill are missing", missing, reportedDone)
	}
	generatedAtKill := 0
	for _, row := range rows {
		if storedAtKill[row.key()] > 0 && !bundledKeys[row.key()] {
			generatedAtKill++
		}
	}
	levelsAtKill := len(atKill.levels)
	t.Logf("after the kill the store has %d level changes, %d of them generated", levelsAtKill, generatedAtKill)

	phase = time.Now()
	finished := runImportToEnd(t, bin, importArgs...)
	t.Logf("second import finished in %s with levels_recorded %v and levels_present %v",
		time.Since(phase).Round(time.Millisecond), finished["levels_recorded"], finished["levels_present"])
	if got, want := jsonInt(finished["levels_recorded"]), expectedNew-generatedAtKill; got != want {
		t.Errorf("second import levels_recorded = %d, want %d (%d new rows less %d stored before the kill)",
			got, want, expectedNew, generatedAtKill)
	}
	if got, want := jsonInt(finished["levels_present"]), expectedSkips+generatedAtKill; got != want {
		t.Errorf("second import levels_present = %d, want %d", got, want)
	}

	final := readStoredLog(t, dir)
	final.assertConsistent(t, "after the second import")
	finalLevels := final.levels
	if want := len(bundledLevels) + expectedNew; len(finalLevels) != want {
		t.Errorf("store has %d level changes, want %d: %d bundled and %d generated",
			len(finalLevels), want, len(bundledLevels), expectedNew)
	}
	if levelsAtKill > len(finalLevels) {
		t.Errorf("store had %d level changes after the kill but %d at the end", levelsAtKill, len(finalLevels))
	}
	if want := len(bundled.events) + expectedNew; len(final.events) != want {
		t.Errorf("store has %d events, want %d: %d after the bundled import and %d generated levels",
			len(final.events), want, len(bundled.events), expectedNew)
	}
	assertLevelCountsPerOrg(t, bundled.levels, rows, bundledKeys, final.levels)
	assertEventsKept(t, bundled, final)
	assertGeneratedStored(t, rows, finalLevels, bundledKeys)
	t.Logf("test ran %s", time.Since(started).Round(time.Millisecond))
}

// generatedRow is one level record of the generated observations file.
type generatedRow struct {
	org       domain.Org
	level     int
	year      int
	effective time.Time // September 30 of year, midnight in Massachusetts
}

func (r generatedRow) key() string {
	return levelKey(r.org.Code, r.level, r.effective)
}

// levelKey identifies a level change by org, level and effective instant,
// the triple the importer treats as already present.
func levelKey(orgCode string, level int, effective time.Time) string {
	return fmt.Sprintf("%s/%d/%s", orgCode, level, effective.UTC().Format(time.RFC3339Nano))
}

// generateLevelRows returns n rows, one per org and year: every org in
// code order for firstGeneratedYear, then for the next year, and so on,
// with levels cycling through 1 to 5.
func generateLevelRows(orgs []domain.Org, n int) []generatedRow {
	massachusetts, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(fmt.Sprintf("load time zone America/New_York: %v", err))
	}
	rows := make([]generatedRow, 0, n)
	for year := firstGeneratedYear; len(rows) < n; year++ {
		for _, org := range orgs {
			if len(rows) == n {
				break
			}
			rows = append(rows, generatedRow{
				org:       org,
				level:     len(rows)%5 + 1,
				year:      year,
				effective: time.Date(year, time.September, 30, 0, 0, 0, 0, massachusetts),
			})
		}
	}
	return rows
}

// writeObservationsCSV writes rows in the layout of the bundled
// accountability_observations.csv. Each status gives only the year, as
// "Level 3 (1950)", so the importer must date it September 30.
func writeObservationsCSV(t *testing.T, path string, orgs []domain.Org, rows []generatedRow) {
	t.Helper()
	file, err := os.Create(path)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	defer file.Close()
	out := csv.NewWriter(file)
	records := [][]string{{"district_code", "district_name", "school_code", "school_name", "grade_span",
		"level_or_status", "level_year", "notes", "source_url"}}
	for _, row := range rows {
		districtCode, districtName, schoolCode, schoolName := row.org.Code, row.org.Name, "", ""
		if row.org.Type == domain.OrgSchool {
			districtCode, districtName, schoolCode, schoolName = row.org.DistrictCode, "", row.org.Code, row.org.Name
		}
		records = append(records, []string{districtCode, districtName, schoolCode, schoolName, row.org.GradeSpan,
			fmt.Sprintf("Level %d (%d)", row.level, row.year), strconv.Itoa(row.year),
			"generated for the import crash test", "generated by TestImportResumesAfterKill"})
	}
	if err := out.WriteAll(records); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	if err := file.Close(); err != nil {
		t.Fatalf("close %s: %v", path, err)
	}
}

// buildPlanledger builds this command into a temporary folder and returns
// the binary's path. The binary is built without the race detector, so
// the imports run at their normal speed.
func buildPlanledger(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "planledger")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("find the go command to build planledger: %v", err)
	}
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -o %s .: %v\n%s", bin, err, out)
	}
	return bin
}

// importCommand returns "planledger import" with args, with every
// PLANLEDGER_ variable removed from its environment so only the flags and
// the defaults apply, such as -sync-always true.
func importCommand(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, append([]string{"import"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PLANLEDGER_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// runImportToEnd runs an import to completion and returns the fields of its
// "import finished" log line.
func runImportToEnd(t *testing.T, bin string, args ...string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), importTimeout)
	defer cancel()
	cmd := importCommand(ctx, bin, args...)
	killWithTestProcess(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("planledger import %s: %v\n%s", strings.Join(args, " "), err, lastLines(out, 20))
	}
	for _, line := range strings.Split(string(out), "\n") {
		if entry := parseLogLine(line); entry["msg"] == "import finished" {
			return entry
		}
	}
	t.Fatalf("planledger import %s logged no \"import finished\" line:\n%s", strings.Join(args, " "), lastLines(out, 20))
	return nil
}

// runImportUntilKilled starts an import, follows its progress log and
// sends SIGKILL once the levels phase reports killAfterDone items done or
// has run for killAfterTime. It returns the last done count reported
// before the kill.
func runImportUntilKilled(t *testing.T, bin string, args ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), importTimeout)
	defer cancel()
	cmd := importCommand(ctx, bin, args...)
	killWithTestProcess(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("pipe stderr of planledger import: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start planledger import: %v", err)
	}
	var waitOnce sync.Once
	var waitErr error
	wait := func() error {
		waitOnce.Do(func() { waitErr = cmd.Wait() })
		return waitErr
	}
	t.Cleanup(func() {
		// A test that failed before the kill must not leave the import running.
		_ = cmd.Process.Kill()
		_ = wait()
	})

	reportedDone := -1
	killed := false
	var levelsStarted time.Time
	var tail []string
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		line := lines.Text()
		tail = append(tail[max(0, len(tail)-19):], line)
		entry := parseLogLine(line)
		if entry["msg"] != "import progress" || entry["phase"] != "levels" {
			continue
		}
		if levelsStarted.IsZero() {
			levelsStarted = time.Now()
		}
		reportedDone = jsonInt(entry["done"])
		if reportedDone >= jsonInt(entry["total"]) {
			break
		}
		if reportedDone >= killAfterDone || time.Since(levelsStarted) >= killAfterTime {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("send SIGKILL to planledger import (pid %d): %v", cmd.Process.Pid, err)
			}
			killed = true
			break
		}
	}
	// Wait closes the pipe, so the rest of the output is read first.
	_, _ = io.Copy(io.Discard, stderr)
	err = wait()

	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("planledger import ended with %v before the kill, want death by SIGKILL:\n%s", err, strings.Join(tail, "\n"))
	}
	status, ok := exitErr.Sys().(syscall.WaitStatus)
	if !killed || !ok || !status.Signaled() || status.Signal() != syscall.SIGKILL {
		t.Fatalf("planledger import ended with %v, want death by the test's SIGKILL:\n%s", err, strings.Join(tail, "\n"))
	}
	if reportedDone < 0 {
		t.Fatalf("planledger import reported no progress of the levels phase before the kill:\n%s", strings.Join(tail, "\n"))
	}
	return reportedDone
}

// parseLogLine decodes one JSON log line, or returns nil for other text.
func parseLogLine(line string) map[string]any {
	var entry map[string]any
	if json.Unmarshal([]byte(line), &entry) != nil {
		return nil
	}
	return entry
}

// jsonInt returns a JSON number as an int, or -1 when v is not a number.
func jsonInt(v any) int {
	f, ok := v.(float64)
	if !ok {
		return -1
	}
	return int(f)
}

func lastLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// storedLog contains the events of a store folder in stream order, with
// the level changes and org registrations decoded.
type storedLog struct {
	events []domain.Event
	levels []storedLevel
	orgs   []domain.Org // latest registration of each org, in code order
}

// storedLevel is one stored level.changed event with its decoded payload.
type storedLevel struct {
	event   domain.Event
	payload domain.LevelChanged
}

func (l storedLevel) key() string {
	return levelKey(l.payload.OrgCode, l.payload.Level, l.event.EffectiveAt)
}

// readStoredLog starts an embedded server on dir, reads every event with
// an ordered consumer, cross-checks a sample of level aggregates through
// Store.Load and stops the server again, which releases the folder lock.
func readStoredLog(t *testing.T, dir string) *storedLog {
	t.Helper()
	started := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	embedded, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{
		Port: -1, StoreDir: dir, SyncAlways: true, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("start embedded NATS on %s: %v", dir, err)
	}
	defer embedded.Shutdown()
	nc, err := nats.Connect(embedded.ClientURL(), embedded.Credentials().AdminOption())
	if err != nil {
		t.Fatalf("connect to %s: %v", embedded.ClientURL(), err)
	}
	defer nc.Close()
	// Replicas 0 keeps the stream's configuration as the import left it.
	store, err := eventstore.Open(ctx, nc, eventstore.StoreConfig{})
	if err != nil {
		t.Fatalf("open event store in %s: %v", dir, err)
	}
	last, err := store.LastSequence(ctx)
	if err != nil {
		t.Fatalf("LastSequence: %v", err)
	}

	log := &storedLog{}
	if last > 0 {
		log.events = readAllEvents(ctx, t, nc, last)
	}
	if uint64(len(log.events)) != last {
		t.Errorf("stream holds %d events up to LastSequence %d, want one per sequence", len(log.events), last)
	}
	log.decodePayloads(t)
	t.Logf("read %d events in %s", len(log.events), time.Since(started).Round(time.Millisecond))

	byOrg := log.levelsByOrg()
	codes := slices.Sorted(maps.Keys(byOrg))
	for i := 0; i < len(codes); i += loadSampleEvery {
		loaded, err := store.Load(ctx, domain.KindLevel, codes[i])
		if err != nil {
			t.Errorf("Load level %s: %v", codes[i], err)
			continue
		}
		scanned := byOrg[codes[i]]
		if len(loaded) != len(scanned) {
			t.Errorf("Load level %s returned %d events, the stream scan found %d", codes[i], len(loaded), len(scanned))
			continue
		}
		for j := range loaded {
			if loaded[j].ID != scanned[j].event.ID {
				t.Errorf("Load level %s event %d is %s, the stream scan found %s", codes[i], j, loaded[j].ID, scanned[j].event.ID)
			}
		}
	}
	return log
}

// readAllEvents reads stream sequences 1 to last of the event stream.
func readAllEvents(ctx context.Context, t *testing.T, nc *nats.Conn, last uint64) []domain.Event {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	consumer, err := js.OrderedConsumer(ctx, eventstore.DefaultStreamName, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		t.Fatalf("create ordered consumer on %s: %v", eventstore.DefaultStreamName, err)
	}
	iter, err := consumer.Messages()
	if err != nil {
		t.Fatalf("read %s: %v", eventstore.DefaultStreamName, err)
	}
	defer iter.Stop()

	events := make([]domain.Event, 0, last)
	for {
		msg, err := iter.Next(jetstream.NextContext(ctx))
		if err != nil {
			t.Fatalf("read %s after %d events: %v", eventstore.DefaultStreamName, len(events), err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			t.Fatalf("read metadata of message on %s: %v", msg.Subject(), err)
		}
		var event domain.Event
		if err := json.Unmarshal(msg.Data(), &event); err != nil {
			t.Fatalf("decode event at stream sequence %d: %v", meta.Sequence.Stream, err)
		}
		event.StreamSequence = meta.Sequence.Stream
		if want := eventstore.Subject(event.AggregateKind, event.AggregateID); msg.Subject() != want {
			t.Errorf("event %s of %s %s is on subject %s, want %s",
				event.ID, event.AggregateKind, event.AggregateID, msg.Subject(), want)
		}
		events = append(events, event)
		if meta.Sequence.Stream >= last {
			return events
		}
	}
}

// assertConsistent checks that every aggregate's sequences run 1, 2, 3 in
// stream order, that no event id is stored twice and that no org has the
// same level taking effect at the same instant twice.
func (log *storedLog) assertConsistent(t *testing.T, when string) {
	t.Helper()
	ids := map[string]uint64{}
	sequences := map[string]uint64{}
	errorsLeft := 10
	report := func(format string, args ...any) {
		if errorsLeft > 0 {
			t.Errorf("%s: "+format, append([]any{when}, args...)...)
		}
		errorsLeft--
	}
	for _, event := range log.events {
		if first, dup := ids[event.ID]; dup {
			report("event %s is stored at stream sequences %d and %d", event.ID, first, event.StreamSequence)
		}
		ids[event.ID] = event.StreamSequence
		aggregate := event.AggregateKind + "/" + event.AggregateID
		if want := sequences[aggregate] + 1; event.Sequence != want {
			report("%s event %s at stream sequence %d has sequence %d, want %d",
				aggregate, event.ID, event.StreamSequence, event.Sequence, want)
		}
		sequences[aggregate] = event.Sequence
	}
	for key, n := range log.levelKeys() {
		if n > 1 {
			report("level change %s is stored %d times", key, n)
		}
	}
	if errorsLeft < 0 {
		t.Errorf("%s: %d more inconsistencies not listed", when, -errorsLeft)
	}
}

// decodePayloads fills log.levels and log.orgs from log.events.
func (log *storedLog) decodePayloads(t *testing.T) {
	t.Helper()
	byCode := map[string]domain.Org{}
	for _, event := range log.events {
		switch event.Type {
		case domain.TypeLevelChanged:
			var payload domain.LevelChanged
			if err := json.Unmarshal(event.Payload, &payload); err != nil {
				t.Fatalf("decode level.changed %s at stream sequence %d: %v", event.ID, event.StreamSequence, err)
			}
			log.levels = append(log.levels, storedLevel{event: event, payload: payload})
		case domain.TypeOrgRegistered:
			var registered domain.OrgRegistered
			if err := json.Unmarshal(event.Payload, &registered); err != nil {
				t.Fatalf("decode org.registered %s at stream sequence %d: %v", event.ID, event.StreamSequence, err)
			}
			byCode[registered.Code] = registered.Org
		}
	}
	for _, code := range slices.Sorted(maps.Keys(byCode)) {
		log.orgs = append(log.orgs, byCode[code])
	}
}

// levelKeys counts the stored level changes by levelKey.
func (log *storedLog) levelKeys() map[string]int {
	keys := map[string]int{}
	for _, level := range log.levels {
		keys[level.key()]++
	}
	return keys
}

func (log *storedLog) levelsByOrg() map[string][]storedLevel {
	byOrg := map[string][]storedLevel{}
	for _, level := range log.levels {
		byOrg[level.event.AggregateID] = append(byOrg[level.event.AggregateID], level)
	}
	return byOrg
}

// assertLevelCountsPerOrg checks that each org's level aggregate contains
// its bundled level changes plus one per generated row that does not repeat
// a bundled level.
func assertLevelCountsPerOrg(t *testing.T, bundledLevels []storedLevel, rows []generatedRow, bundledKeys map[string]bool, finalLevels []storedLevel) {
	t.Helper()
	want := map[string]int{}
	for _, level := range bundledLevels {
		want[level.event.AggregateID]++
	}
	for _, row := range rows {
		if !bundledKeys[row.key()] {
			want[row.org.Code]++
		}
	}
	got := map[string]int{}
	for _, level := range finalLevels {
		got[level.event.AggregateID]++
	}
	errorsLeft := 10
	for _, code := range slices.Sorted(maps.Keys(want)) {
		if got[code] != want[code] && errorsLeft > 0 {
			t.Errorf("level aggregate %s contains %d events, want %d", code, got[code], want[code])
			errorsLeft--
		}
	}
	for code := range got {
		if _, ok := want[code]; !ok {
			t.Errorf("level aggregate %s contains %d events, want none", code, got[code])
		}
	}
}

// assertEventsKept checks that every event of before is still stored at
// the same stream sequence in after.
func assertEventsKept(t *testing.T, before, after *storedLog) {
	t.Helper()
	for i, event := range before.events {
		if i >= len(after.events) || after.events[i].ID != event.ID {
			t.Errorf("event %s at stream sequence %d is no longer there", event.ID, event.StreamSequence)
			return
		}
	}
}

// assertGeneratedStored checks that each generated row is stored exactly
// once in its org's level history, with level, September 30 date and year
// precision as the row gives them. Rows that repeat a bundled level are
// not stored again.
func assertGeneratedStored(t *testing.T, rows []generatedRow, levels []storedLevel, bundledKeys map[string]bool) {
	t.Helper()
	stored := map[string][]storedLevel{}
	for _, level := range levels {
		stored[level.key()] = append(stored[level.key()], level)
	}
	errorsLeft := 10
	for _, row := range rows {
		matches := stored[row.key()]
		want := 1
		if len(matches) != want {
			if errorsLeft > 0 {
				t.Errorf("level %d of %s effective %s is stored %d times, want %d",
					row.level, row.org.Code, row.effective.Format(time.DateOnly), len(matches), want)
			}
			errorsLeft--
			continue
		}
		if bundledKeys[row.key()] {
			continue
		}
		level := matches[0]
		date := level.event.EffectiveAt.In(row.effective.Location()).Format(time.DateOnly)
		if wantDate := fmt.Sprintf("%04d-09-30", row.year); date != wantDate {
			t.Errorf("level of %s for %d takes effect on %s, want %s", row.org.Code, row.year, date, wantDate)
		}
		if level.payload.DatePrecision != domain.PrecisionYear {
			t.Errorf("level of %s for %d has date precision %q, want %q",
				row.org.Code, row.year, level.payload.DatePrecision, domain.PrecisionYear)
		}
		if level.event.AggregateID != row.org.Code || level.payload.OrgCode != row.org.Code {
			t.Errorf("level of %s for %d is stored on level aggregate %s with org code %s",
				row.org.Code, row.year, level.event.AggregateID, level.payload.OrgCode)
		}
	}
	if errorsLeft < 0 {
		t.Errorf("%d more generated levels are not stored exactly once", -errorsLeft)
	}
}
