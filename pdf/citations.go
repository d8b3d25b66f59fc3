package pdf

import (
	"fmt"
	"strings"

	"github.com/planledger/planledger/domain"
)

// framework returns the framework version the plan's citations were
// checked against, nil for a plan that starts before the first version.
// Names are printed from it, so a 2015-16 DIP shows the 2013 protocol's
// names.
func (r *renderer) framework() *domain.Framework {
	f, err := domain.FrameworkForPlan(&r.doc.Plan)
	if err != nil {
		return nil
	}
	return f
}

// citationsHeader is the title of the objectives table's citations column.
func (r *renderer) citationsHeader() string {
	if f := r.framework(); f != nil {
		return "Standards and conditions (" + f.Version + ")"
	}
	return "Standards and conditions"
}

// objectiveCitationsCell names what an objective cites: its standards,
// then its indicators and conditions, then the self-evaluation ratings it
// answers.
func (r *renderer) objectiveCitationsCell(o domain.Objective) cell {
	c := r.citationParas(o.Citations(), false)
	for _, ref := range o.SelfEvaluations {
		c = append(c, para{text: "Answers self-evaluation " + ref.ID + ": " + r.standardName(ref.Standard), style: styleMuted})
	}
	if len(c) == 0 {
		return muted("None cited")
	}
	return c
}

// citationParas lists citations as paragraphs. Labelled, as in an SIP
// goal's cell, each group starts with "Standards:", "Indicators:" or
// "Conditions:" on one paragraph; otherwise each item has its own.
func (r *renderer) citationParas(c domain.Citations, labelled bool) cell {
	var standards, indicators, conditions []string
	for _, key := range c.Standards {
		standards = append(standards, r.standardName(key))
	}
	for _, key := range c.Indicators {
		indicators = append(indicators, r.indicatorTitle(key))
	}
	for _, key := range c.Conditions {
		conditions = append(conditions, r.conditionTitle(key))
	}
	if labelled {
		var out cell
		for _, group := range []struct {
			label string
			items []string
		}{{"Standards", standards}, {"Indicators", indicators}, {"Conditions", conditions}} {
			if len(group.items) > 0 {
				out = append(out, para{text: group.label + ": " + strings.Join(group.items, "; "), style: styleMuted})
			}
		}
		return out
	}
	var out cell
	for _, s := range standards {
		out = append(out, para{text: s})
	}
	for _, ind := range indicators {
		out = append(out, para{text: "Indicator: " + ind, style: styleMuted})
	}
	for _, cond := range conditions {
		out = append(out, para{text: "Condition " + cond})
	}
	return out
}

// standardName returns a standard's name in the plan's framework version,
// or the key marked unknown.
func (r *renderer) standardName(key string) string {
	if f := r.framework(); f != nil {
		if s, ok := f.Standard(key); ok {
			return s.Name
		}
	}
	if name := domain.StandardName(key); name != "" {
		return name
	}
	return key + " (unknown standard)"
}

func (r *renderer) indicatorTitle(key string) string {
	if f := r.framework(); f != nil {
		if ind, ok := f.Indicator(key); ok {
			return ind.Title
		}
	}
	return key + " (unknown indicator)"
}

// conditionTitle returns "N. Title" for a condition, N being its number in
// 603 CMR 2.03(4)(b).
func (r *renderer) conditionTitle(key string) string {
	if f := r.framework(); f != nil {
		if c, ok := f.Condition(key); ok {
			return fmt.Sprintf("%d. %s", c.Number, c.Title)
		}
	}
	return key + " (unknown condition)"
}
