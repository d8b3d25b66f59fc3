package web

import (
	"context"
	"fmt"
	"strings"

	"github.com/planledger/planledger/domain"
)

// Statuses of a compared item.
const (
	statusAdded   = "added"
	statusRemoved = "removed"
	statusChanged = "changed"
)

// planDiff compares two states of a plan item by item. Items match by
// section key, objective id and goal id, so a reordered list does not show
// every later item as changed.
type planDiff struct {
	Items []itemDiff // the added, removed and changed items, in plan order
	// Unchanged counts the items that are the same in both states.
	UnchangedSections, UnchangedObjectives, UnchangedGoals int
}

// itemDiff is one added, removed or changed item.
type itemDiff struct {
	Kind   string // "Plan", "Section", "Objective" or "Goal"
	Name   string
	Status string
	Fields []fieldDiff
}

// fieldDiff is one field of an item on both sides.
type fieldDiff struct {
	Label   string
	Changed bool
	Before  []Segment // the equal and deleted segments
	After   []Segment // the equal and inserted segments
}

// Changed reports whether the diff found any difference.
func (d planDiff) Changed() bool { return len(d.Items) > 0 }

// field is a labelled text value of an item.
type field struct{ label, text string }

// diffPlans compares before and after. A nil before is a plan that did not
// exist yet, so everything in after counts as added. objectiveName names a
// DIP objective cited by a goal.
func diffPlans(ctx context.Context, before, after *domain.Plan, objectiveName func(id string) string) planDiff {
	var d planDiff
	if before == nil {
		before = &domain.Plan{}
	}
	if before.Title != after.Title {
		d.Items = append(d.Items, compareItem(ctx, "Plan", "Title", []field{{"Title", before.Title}}, []field{{"Title", after.Title}}))
	}
	if status := statusText(before); status != statusText(after) {
		d.Items = append(d.Items, compareItem(ctx, "Plan", "Status", []field{{"Status", status}}, []field{{"Status", statusText(after)}}))
	}

	sectionText := func(p *domain.Plan) map[string]domain.Section {
		m := map[string]domain.Section{}
		for _, s := range p.Sections {
			m[s.Key] = s
		}
		return m
	}
	old := sectionText(before)
	for _, s := range after.Sections {
		o, ok := old[s.Key]
		switch {
		case !ok:
			d.Items = append(d.Items, compareItem(ctx, "Section", s.Heading, nil, []field{{"Text", s.Text}}))
		case o.Text != s.Text:
			d.Items = append(d.Items, compareItem(ctx, "Section", s.Heading, []field{{"Text", o.Text}}, []field{{"Text", s.Text}}))
		default:
			d.UnchangedSections++
		}
	}

	d.Items, d.UnchangedObjectives = diffList(ctx, d.Items, "Objective", before.Objectives, after.Objectives,
		func(o domain.Objective) string { return o.ID },
		func(o domain.Objective) string { return o.Title },
		objectiveFields)
	d.Items, d.UnchangedGoals = diffList(ctx, d.Items, "Goal", before.Goals, after.Goals,
		func(g domain.Goal) string { return g.ID },
		func(g domain.Goal) string { return g.Title },
		func(g domain.Goal) []field { return goalFields(g, objectiveName) })
	return d
}

// diffList compares two lists of items matched by id: first the items of
// after in its order, then those removed from before.
func diffList[T any](ctx context.Context, items []itemDiff, kind string, before, after []T, id, name func(T) string, fields func(T) []field) ([]itemDiff, int) {
	old := map[string]T{}
	for _, it := range before {
		old[id(it)] = it
	}
	matched := map[string]bool{}
	unchanged := 0
	for _, it := range after {
		prev, ok := old[id(it)]
		if !ok {
			items = append(items, compareItem(ctx, kind, name(it), nil, fields(it)))
			continue
		}
		matched[id(it)] = true
		item := compareItem(ctx, kind, name(it), fields(prev), fields(it))
		if item.Status == "" {
			unchanged++
			continue
		}
		items = append(items, item)
	}
	for _, it := range before {
		if !matched[id(it)] {
			items = append(items, compareItem(ctx, kind, name(it), fields(it), nil))
		}
	}
	return items, unchanged
}

// compareItem diffs the fields of an item. A nil side is an item missing
// there. The status is "" when every field is equal.
func compareItem(ctx context.Context, kind, name string, before, after []field) itemDiff {
	item := itemDiff{Kind: kind, Name: name}
	switch {
	case before == nil:
		item.Status = statusAdded
	case after == nil:
		item.Status = statusRemoved
	}
	labels := before
	if labels == nil {
		labels = after
	}
	for i, f := range labels {
		var b, a string
		if before != nil {
			b = before[i].text
		}
		if after != nil {
			a = after[i].text
		}
		fd := fieldDiff{Label: f.label, Changed: a != b}
		for _, seg := range wordDiff(ctx, b, a) {
			if seg.Op != opInsert {
				fd.Before = append(fd.Before, seg)
			}
			if seg.Op != opDelete {
				fd.After = append(fd.After, seg)
			}
		}
		if fd.Changed && item.Status == "" {
			item.Status = statusChanged
		}
		item.Fields = append(item.Fields, fd)
	}
	return item
}

// objectiveFields lists an objective's fields as text. Both sides of a
// compared objective list the same labels in the same order.
func objectiveFields(o domain.Objective) []field {
	var standards []string
	for _, k := range o.Standards {
		if name := domain.StandardName(k); name != "" {
			standards = append(standards, name)
		} else {
			standards = append(standards, k+" (unknown standard)")
		}
	}
	var initiatives []string
	for _, in := range o.Initiatives {
		initiatives = append(initiatives, withOwner(in.Text, in.Owner, in.Timeline))
	}
	var selfEvaluations []string
	for _, ref := range o.SelfEvaluations {
		selfEvaluations = append(selfEvaluations, ref.ID+" ("+ref.Standard+")")
	}
	return []field{
		{"Title", o.Title},
		{"Statement", o.Statement},
		{"District standards", strings.Join(standards, "\n")},
		{"Indicators and conditions", citedKeys(o.Indicators, o.Conditions)},
		{"Self-evaluations answered", strings.Join(selfEvaluations, "\n")},
		{"Review recommendations answered", answersText(o.Answers)},
		{"Owner", o.Owner},
		{"Timeline", o.Timeline},
		{"Initiatives", strings.Join(initiatives, "\n")},
		{"Outcomes", measuresText(o.Outcomes)},
	}
}

// goalFields lists a goal's fields as text.
func goalFields(g domain.Goal, objectiveName func(string) string) []field {
	var actions []string
	for _, a := range g.Actions {
		actions = append(actions, withOwner(a.Text, a.Owner, a.Timeline))
	}
	var objectives []string
	for _, id := range g.Objectives {
		objectives = append(objectives, objectiveName(id))
	}
	return []field{
		{"Title", g.Title},
		{"Statement", g.Statement},
		{"Owner", g.Owner},
		{"Timeline", g.Timeline},
		{"Measures", measuresText(g.Measures)},
		{"Actions", strings.Join(actions, "\n")},
		{"DIP objectives advanced", strings.Join(objectives, "\n")},
		{"Standards, indicators and conditions", citedKeys(g.Standards, g.Indicators, g.Conditions)},
		{"Review recommendations answered", answersText(g.Answers)},
	}
}

// statusText states a plan's workflow status and revision, "" for no plan.
func statusText(p *domain.Plan) string {
	if p.ID == "" {
		return ""
	}
	return fmt.Sprintf("%s, revision %d", strings.ReplaceAll(string(p.CurrentStatus()), "_", " "), p.CurrentRevision())
}

// citedKeys lists framework keys one a line, in the order given.
func citedKeys(groups ...[]string) string {
	var keys []string
	for _, g := range groups {
		keys = append(keys, g...)
	}
	return strings.Join(keys, "\n")
}

// answersText lists review recommendations one a line.
func answersText(refs []domain.RecommendationRef) string {
	var lines []string
	for _, ref := range refs {
		lines = append(lines, ref.ReviewID+" recommendation "+ref.RecommendationID)
	}
	return strings.Join(lines, "\n")
}

// withOwner appends " (owner, timeline)" to text when either is set.
func withOwner(text, owner, timeline string) string {
	var parts []string
	for _, p := range []string{owner, timeline} {
		if strings.TrimSpace(p) != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return text
	}
	return fmt.Sprintf("%s (%s)", text, strings.Join(parts, ", "))
}

// measuresText writes one measure a line as "description: baseline →
// target", as the printed plan does.
func measuresText(ms []domain.Measure) string {
	var lines []string
	for _, m := range ms {
		baseline := m.Baseline
		if baseline == "" {
			baseline = "no baseline"
		}
		target := m.Target
		if target == "" {
			target = "no target set"
		}
		if m.Illustrative {
			target += " (illustrative)"
		}
		lines = append(lines, fmt.Sprintf("%s: %s → %s", m.Description, baseline, target))
	}
	return strings.Join(lines, "\n")
}
