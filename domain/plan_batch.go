package domain

import (
	"encoding/json"
	"fmt"
	"strings"
)

// NewPlan is a plan created together with its first objectives (a DIP) or
// goals (an SIP). Its events are stored as one atomic batch, so no reader
// ever sees the plan without the items it was created with.
type NewPlan struct {
	CreatePlan
	Objectives []Objective `json:"objectives,omitempty"`
	Goals      []Goal      `json:"goals,omitempty"`
}

// DecideNewPlan validates the plan and each item against the plan as the
// earlier drafts leave it, and returns the drafts in order: plan.created,
// then one plan.objective_added or plan.goal_adopted per item. An item's
// error names it, e.g. "goals/2/measures".
func DecideNewPlan(n NewPlan, look Lookup) ([]Draft, error) {
	created, err := DecideCreatePlan(n.CreatePlan, look)
	if err != nil {
		return nil, err
	}
	drafts := []Draft{created}
	plan := &Plan{}
	if err := applyDraft(plan, created); err != nil {
		return nil, err
	}
	for i, o := range n.Objectives {
		d, err := DecideAddObjective(plan, o, look)
		if err != nil {
			return nil, prefixField(err, fmt.Sprintf("objectives/%d", i))
		}
		if err := applyDraft(plan, d); err != nil {
			return nil, err
		}
		drafts = append(drafts, d)
	}
	for i, g := range n.Goals {
		d, err := DecideAdoptGoal(plan, g, look)
		if err != nil {
			return nil, prefixField(err, fmt.Sprintf("goals/%d", i))
		}
		if err := applyDraft(plan, d); err != nil {
			return nil, err
		}
		drafts = append(drafts, d)
	}
	return drafts, nil
}

// applyDraft folds a draft into a plan the way its stored event will be.
func applyDraft(p *Plan, d Draft) error {
	payload, err := json.Marshal(d.Payload)
	if err != nil {
		return fmt.Errorf("encode %s draft: %w", d.Type, err)
	}
	return p.Apply(Event{Type: d.Type, SchemaVersion: SchemaVersionOf(d.Type), Payload: payload})
}

// prefixField puts an item's position before the field an error names.
func prefixField(err error, prefix string) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	field := prefix
	if e.Field != "" {
		field = prefix + "/" + strings.TrimPrefix(e.Field, "/")
	}
	return &Error{Code: e.Code, Field: field, Message: e.Message}
}
