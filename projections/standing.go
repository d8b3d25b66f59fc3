package projections

import (
	"slices"

	"github.com/planledger/planledger/domain"
)

// StandingAt returns the org's classification at the instant under the
// scheme in force then, with its latest entry under an earlier scheme when
// it has none under that one. On the recorded basis only entries recorded
// by the instant count.
func (p *Projector) StandingAt(orgCode string, at AsOf) domain.Standing {
	p.mu.RLock()
	events := slices.Clone(p.levels[orgCode])
	p.mu.RUnlock()
	return domain.StandingAt(levelEntries(events, &at), at.Instant)
}

// LevelsAt returns the org's level history as of the instant: the entries
// in effect by then, on the recorded basis only those recorded by then,
// ordered as Levels orders them.
func (p *Projector) LevelsAt(orgCode string, at AsOf) []domain.LevelEntry {
	p.mu.RLock()
	events := slices.Clone(p.levels[orgCode])
	p.mu.RUnlock()
	var out []domain.LevelEntry
	for _, e := range levelEntries(events, &at) {
		if !e.EffectiveAt.After(at.Instant) {
			out = append(out, e)
		}
	}
	return out
}

// StandingAtVersion is StandingAt limited to the first version events of
// the org's level history, so a reprint leaves out level changes recorded
// after the print, even backdated ones. Version 0 reads every event.
func (p *Projector) StandingAtVersion(orgCode string, at AsOf, version uint64) domain.Standing {
	p.mu.RLock()
	events := p.levels[orgCode]
	if version > 0 && version < uint64(len(events)) {
		events = events[:version]
	}
	events = slices.Clone(events)
	p.mu.RUnlock()
	return domain.StandingAt(levelEntries(events, &at), at.Instant)
}
