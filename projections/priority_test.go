package projections_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/projections"
)

// bundledProjector folds every event of the bundled data, imported through
// the real importer into the embedded store.
func bundledProjector(t *testing.T) *projections.Projector {
	t.Helper()
	b := sharedBundledStore(t)
	p := projections.New(slog.New(slog.DiscardHandler))
	for _, e := range b.events {
		if err := p.Apply(e); err != nil {
			t.Fatalf("apply bundled event %d: %v", e.StreamSequence, err)
		}
	}
	return p
}

func TestPriorityBundledLevel5First(t *testing.T) {
	p := bundledProjector(t)
	queue := p.AssistancePriority(mustAsOf(t, "2018-06-30", ""), domain.OrgDistrict)
	if len(queue) < 300 {
		t.Fatalf("queue has %d districts, want the 382 districts with a 2017 level", len(queue))
	}

	// Lawrence has been at Level 5 since the 2013 record, Holyoke since
	// 2015 (after Level 4 in 2013) and Southbridge since the 2017 profile.
	want := []struct {
		code  string
		since string
	}{
		{"01490000", "2013-09-30"},
		{"01370000", "2015-09-30"},
		{"02770000", "2017-09-30"},
	}
	for i, w := range want {
		e := queue[i]
		if e.OrgCode != w.code || e.Level != 5 || e.Rank != i+1 {
			t.Errorf("rank %d: %s at level %d, want %s at level 5", i+1, e.OrgCode, e.Level, w.code)
			continue
		}
		if got := e.LevelSince.In(projections.Massachusetts).Format(time.DateOnly); got != w.since {
			t.Errorf("%s level since %s, want %s", e.OrgCode, got, w.since)
		}
		if e.LevelSincePrecision != domain.PrecisionYear {
			t.Errorf("%s level since precision %q, want year", e.OrgCode, e.LevelSincePrecision)
		}
	}
	if queue[3].Level != 4 {
		t.Errorf("rank 4 is %s at level %d, want the first Level 4 district", queue[3].OrgCode, queue[3].Level)
	}
	holyoke := queue[1]
	if holyoke.Severity == nil || holyoke.Severity.SchoolsWithLevel == 0 {
		t.Fatalf("Holyoke severity = %+v, want its schools counted", holyoke.Severity)
	}

	for i := 1; i < len(queue); i++ {
		a, b := queue[i-1], queue[i]
		if a.Level < b.Level {
			t.Fatalf("rank %d (%s, level %d) comes before a higher level (%s, level %d)", i, a.OrgCode, a.Level, b.OrgCode, b.Level)
		}
		if a.Level == b.Level && a.LevelSince.After(b.LevelSince) {
			t.Fatalf("rank %d (%s) has a shorter time at level %d than rank %d (%s)", i, a.OrgCode, a.Level, i+1, b.OrgCode)
		}
		if a.Level == b.Level && a.LevelSince.Equal(b.LevelSince) {
			sa, sb := a.Severity, b.Severity
			if sa.SchoolsAtLevel3Plus < sb.SchoolsAtLevel3Plus ||
				(sa.SchoolsAtLevel3Plus == sb.SchoolsAtLevel3Plus && sa.ShareAtLevel3Plus < sb.ShareAtLevel3Plus) ||
				(*sa == *sb && a.OrgCode > b.OrgCode) {
				t.Fatalf("rank %d (%s, %+v) and rank %d (%s, %+v) break the severity and code tie-breaks",
					i, a.OrgCode, *sa, i+1, b.OrgCode, *sb)
			}
		}
	}
}

func TestPriorityBundledBeforeLevels(t *testing.T) {
	p := bundledProjector(t)
	// Only the observations file has levels before 2017, and of its
	// districts only Lawrence was at Level 5 on 2014-06-30.
	queue := p.AssistancePriority(mustAsOf(t, "2014-06-30", ""), domain.OrgDistrict)
	if len(queue) == 0 || queue[0].OrgCode != "01490000" || queue[0].Level != 5 {
		t.Fatalf("as of 2014-06-30 the queue starts with %+v, want Lawrence at level 5", queue)
	}
	for _, e := range queue[1:] {
		if e.Level == 5 {
			t.Errorf("%s is at level 5 as of 2014-06-30; only Lawrence was", e.OrgCode)
		}
	}
}

func TestPriorityRunAndSeverity(t *testing.T) {
	l := newEventLog(t)
	l.org(districtCode, domain.OrgDistrict, "Newburyport")
	l.org(schoolCode, domain.OrgSchool, "Newburyport High")
	l.org(secondSchoolCode, domain.OrgSchool, "Newburyport Middle")
	l.org(otherDistrictCode, domain.OrgDistrict, "Boston")
	l.org(otherSchoolCode, domain.OrgSchool, "Boston school")
	recorded := day(2018, time.January, 1)
	// Newburyport: 4, then 3, then 3 again: its Level 3 run starts in 2015.
	l.level(districtCode, 4, recorded, day(2013, time.September, 30))
	l.level(districtCode, 3, recorded, day(2015, time.September, 30))
	l.level(districtCode, 3, recorded, day(2016, time.September, 30))
	l.level(schoolCode, 3, recorded, day(2015, time.September, 30))
	l.level(secondSchoolCode, 1, recorded, day(2015, time.September, 30))
	// Boston: Level 3 from the same day, one school of one at Level 3.
	l.level(otherDistrictCode, 3, recorded, day(2015, time.September, 30))
	l.level(otherSchoolCode, 3, recorded, day(2015, time.September, 30))

	queue := l.p.AssistancePriority(mustAsOf(t, "2017-06-30", ""), domain.OrgDistrict)
	if len(queue) != 2 {
		t.Fatalf("queue = %+v, want two districts", queue)
	}
	// Same level and start; each has one school at Level 3, but Boston's
	// share (1 of 1) beats Newburyport's (1 of 2).
	if queue[0].OrgCode != otherDistrictCode || queue[1].OrgCode != districtCode {
		t.Errorf("order = %s, %s; want Boston first on the share of schools at Level 3+", queue[0].OrgCode, queue[1].OrgCode)
	}
	nbpt := queue[1]
	if !nbpt.LevelSince.Equal(day(2015, time.September, 30)) {
		t.Errorf("Newburyport level since %s, want the 2015 start of its Level 3 run", nbpt.LevelSince)
	}
	if want := (projections.Severity{SchoolsWithLevel: 2, SchoolsAtLevel3Plus: 1, ShareAtLevel3Plus: 0.5}); *nbpt.Severity != want {
		t.Errorf("Newburyport severity = %+v, want %+v", *nbpt.Severity, want)
	}

	schools := l.p.AssistancePriority(mustAsOf(t, "2017-06-30", ""), domain.OrgSchool)
	if len(schools) != 3 || schools[2].OrgCode != secondSchoolCode || schools[0].Severity != nil {
		t.Errorf("school queue = %+v, want the Level 1 school last and no severity on schools", schools)
	}
	if schools[0].OrgCode != otherSchoolCode {
		t.Errorf("school queue starts with %s, want %s by code among equal Level 3 runs", schools[0].OrgCode, otherSchoolCode)
	}
}
