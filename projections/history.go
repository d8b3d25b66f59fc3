package projections

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/planledger/planledger/domain"
)

// HistoryEntry is one event of a plan with the fields it changed.
type HistoryEntry struct {
	Sequence      uint64        `json:"sequence"`
	EventID       string        `json:"event_id"`
	Type          string        `json:"type"`
	Actor         string        `json:"actor"`
	RecordedAt    time.Time     `json:"recorded_at"`
	EffectiveAt   time.Time     `json:"effective_at"`
	CorrelationID string        `json:"correlation_id,omitempty"`
	Changes       []FieldChange `json:"changes"`
}

// FieldChange is one value an event changed. Path names the field with
// stable ids rather than positions: "objectives/<id>/title",
// "sections/mission/text". Old is absent for an added value, New for a
// removed one.
type FieldChange struct {
	Path string `json:"path"`
	Old  any    `json:"old,omitempty"`
	New  any    `json:"new,omitempty"`
}

// History replays a plan in recorded order and reports, per event, who
// changed which fields from what to what.
func (p *Projector) History(id string) ([]HistoryEntry, error) {
	events, ok := p.planEvents(id)
	if !ok {
		return nil, domain.Errorf(domain.ENotFound, "id", "plan %s not found", id)
	}
	var plan domain.Plan
	before := map[string]any{}
	out := make([]HistoryEntry, 0, len(events))
	for _, e := range events {
		if err := plan.Apply(e); err != nil {
			return nil, err
		}
		after, err := flattenPlan(plan)
		if err != nil {
			return nil, err
		}
		out = append(out, HistoryEntry{
			Sequence: e.Sequence, EventID: e.ID, Type: e.Type, Actor: e.Actor,
			RecordedAt: e.RecordedAt, EffectiveAt: e.EffectiveAt, CorrelationID: e.CorrelationID,
			Changes: diff(before, after),
		})
		before = after
	}
	return out, nil
}

func flattenPlan(plan domain.Plan) (map[string]any, error) {
	raw, err := json.Marshal(plan)
	if err != nil {
		return nil, fmt.Errorf("flatten plan %s: %w", plan.ID, err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, fmt.Errorf("flatten plan %s: %w", plan.ID, err)
	}
	flat := map[string]any{}
	flatten("", tree, flat)
	return flat, nil
}

// flatten writes leaf values under slash-separated paths. Array elements
// that carry an "id" or "key" are addressed by it, so inserting or removing
// an element does not show up as a change to every later one.
func flatten(prefix string, v any, out map[string]any) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "/" + k
	}
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			flatten(join(k), child, out)
		}
	case []any:
		for i, child := range t {
			name := fmt.Sprint(i)
			if m, ok := child.(map[string]any); ok {
				if id, ok := m["id"].(string); ok && id != "" {
					name = id
				} else if key, ok := m["key"].(string); ok && key != "" {
					name = key
				}
			}
			flatten(join(name), child, out)
		}
	default:
		out[prefix] = v
	}
}

func diff(before, after map[string]any) []FieldChange {
	var out []FieldChange
	for path, nv := range after {
		if ov, ok := before[path]; !ok || fmt.Sprint(ov) != fmt.Sprint(nv) {
			out = append(out, FieldChange{Path: path, Old: before[path], New: nv})
		}
	}
	for path, ov := range before {
		if _, ok := after[path]; !ok {
			out = append(out, FieldChange{Path: path, Old: ov})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
