package projections

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/planledger/planledger/domain"
)

// PriorityEntry is one district or school in the queue for Department
// assistance under the five-level framework.
type PriorityEntry struct {
	Rank         int            `json:"rank"`
	OrgCode      string         `json:"org_code"`
	Name         string         `json:"name"`
	Type         domain.OrgType `json:"type"`
	DistrictCode string         `json:"district_code"`
	Level        int            `json:"level"`
	Reason       string         `json:"reason"`
	// LevelSince is when the org's current run at this level began: the
	// earliest of the consecutive history entries at the current level.
	LevelSince time.Time `json:"level_since"`
	// LevelSincePrecision is that entry's date precision: "year" means
	// the source gave only the reporting year and the date is a convention.
	LevelSincePrecision string    `json:"level_since_precision"`
	DaysAtLevel         int       `json:"days_at_level"`
	Severity            *Severity `json:"severity,omitempty"`
}

// Severity counts a district's schools with a level as of the instant and
// those at Level 3 or above. Level 3 is the lowest-performing 20% of
// schools, and Levels 4 and 5 are chosen from them.
type Severity struct {
	SchoolsWithLevel    int     `json:"schools_with_level"`
	SchoolsAtLevel3Plus int     `json:"schools_at_level_3_plus"`
	SchoolsAtLevel4Plus int     `json:"schools_at_level_4_plus"`
	ShareAtLevel3Plus   float64 `json:"share_at_level_3_plus"` // of schools with a level, to three decimals
}

// levelRun is an org's current level and when its run at that level began.
type levelRun struct {
	current domain.LevelEntry
	since   domain.LevelEntry
}

// currentRuns returns, for every org with a level in force at the
// instant, that level and the start of its run. The level slices only
// grow, so their headers are safe to read after the lock is released.
func (p *Projector) currentRuns(at AsOf) map[string]levelRun {
	p.mu.RLock()
	histories := make(map[string][]domain.Event, len(p.levels))
	for code, events := range p.levels {
		histories[code] = events
	}
	p.mu.RUnlock()

	runs := make(map[string]levelRun, len(histories))
	for code, events := range histories {
		entries := levelEntries(events, &at)
		last := -1
		for i := range entries {
			if !entries[i].EffectiveAt.After(at.Instant) {
				last = i
			}
		}
		if last < 0 {
			continue
		}
		first := last
		for first > 0 && entries[first-1].Level == entries[last].Level {
			first--
		}
		runs[code] = levelRun{current: entries[last], since: entries[first]}
	}
	return runs
}

// AssistancePriority ranks the districts (typ OrgDistrict) or schools (typ
// OrgSchool) that have a level at the instant, because 603 CMR 2.03(1)
// raises the priority for assistance with the severity and duration of
// problems. Entries are ordered by level (highest first), then by time at
// that level (longest first). For districts, ties go to more schools at
// Level 3 or above, then to a higher share of such schools. The org code
// breaks the remaining ties, so the order is total and repeatable.
func (p *Projector) AssistancePriority(at AsOf, typ domain.OrgType) []PriorityEntry {
	runs := p.currentRuns(at)
	var severity map[string]*Severity
	if typ == domain.OrgDistrict {
		severity = p.districtSeverity(runs)
	}
	var out []PriorityEntry
	for _, org := range p.Orgs(typ) {
		run, ok := runs[org.Code]
		if !ok {
			continue
		}
		e := PriorityEntry{
			OrgCode: org.Code, Name: org.Name, Type: org.Type, DistrictCode: org.DistrictCode,
			Level: run.current.Level, Reason: run.current.Reason,
			LevelSince: run.since.EffectiveAt, LevelSincePrecision: run.since.DatePrecision,
			DaysAtLevel: int(at.Instant.Sub(run.since.EffectiveAt).Hours() / 24),
		}
		if severity != nil {
			e.Severity = severity[org.Code]
			if e.Severity == nil {
				e.Severity = &Severity{}
			}
		}
		out = append(out, e)
	}
	slices.SortFunc(out, comparePriority)
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

func comparePriority(a, b PriorityEntry) int {
	if c := cmp.Compare(b.Level, a.Level); c != 0 {
		return c
	}
	// An earlier start means a longer time at the level.
	if c := a.LevelSince.Compare(b.LevelSince); c != 0 {
		return c
	}
	if a.Severity != nil && b.Severity != nil {
		if c := cmp.Compare(b.Severity.SchoolsAtLevel3Plus, a.Severity.SchoolsAtLevel3Plus); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Severity.ShareAtLevel3Plus, a.Severity.ShareAtLevel3Plus); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.OrgCode, b.OrgCode)
}

// districtSeverity counts each district's schools by the level in force.
func (p *Projector) districtSeverity(runs map[string]levelRun) map[string]*Severity {
	out := map[string]*Severity{}
	for _, school := range p.Orgs(domain.OrgSchool) {
		run, ok := runs[school.Code]
		if !ok {
			continue
		}
		s := out[school.DistrictCode]
		if s == nil {
			s = &Severity{}
			out[school.DistrictCode] = s
		}
		s.SchoolsWithLevel++
		if run.current.Level >= 3 {
			s.SchoolsAtLevel3Plus++
		}
		if run.current.Level >= 4 {
			s.SchoolsAtLevel4Plus++
		}
	}
	for _, s := range out {
		s.ShareAtLevel3Plus = math.Round(float64(s.SchoolsAtLevel3Plus)/float64(s.SchoolsWithLevel)*1000) / 1000
	}
	return out
}
