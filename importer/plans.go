package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/planledger/planledger/domain"
)

// PlanFile is the JSON document of a plans file: {"plans": [...]}. A file
// may hold several such documents one after another.
type PlanFile struct {
	Plans []PlanBundle `json:"plans"`
}

// PlanBundle is one DIP or SIP of a plans file: the fields of
// domain.CreatePlan, the date the plan took effect, and its DIP objectives
// or SIP goals in the order they are added.
type PlanBundle struct {
	domain.CreatePlan
	// EffectiveDate is the day the plan took effect, YYYY-MM-DD. Its
	// objectives and goals take effect the same day.
	EffectiveDate string             `json:"effective_date"`
	Objectives    []domain.Objective `json:"objectives,omitempty"`
	Goals         []domain.Goal      `json:"goals,omitempty"`
	// Analyses are the data analyses the plan rests on, recorded after its
	// objectives or goals and checked against BundledDataset.
	Analyses []domain.Analysis `json:"analyses,omitempty"`

	// EffectiveAt is EffectiveDate at midnight in Massachusetts, set by
	// ReadPlans.
	EffectiveAt time.Time `json:"-"`
}

// ReadPlans parses a plans file and checks what can be checked without the
// store: ids are UUIDs and unique, kinds are dip or sip, a DIP has only
// objectives and an SIP only goals, and every plan has an effective date.
// Run checks the rest through the domain decisions. Unknown JSON fields are
// errors, so a misspelt field is not silently dropped.
func ReadPlans(r io.Reader) ([]PlanBundle, error) {
	file := sourceName(r, PlansFile)
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var plans []PlanBundle
	for {
		var doc PlanFile
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, jsonError(file, raw, dec.InputOffset(), err)
		}
		plans = append(plans, doc.Plans...)
	}
	if len(plans) == 0 {
		return nil, fmt.Errorf("read %s: no plans: the file must contain {\"plans\": [...]}", file)
	}

	ids := map[string]string{} // every plan, objective and goal id -> its path
	claim := func(id, at string) error {
		if _, err := uuid.Parse(id); err != nil {
			return fmt.Errorf("%s: %s: id %q is not a UUID: give every item a fixed UUID so that a re-import finds it", file, at, id)
		}
		if prev, dup := ids[id]; dup {
			return fmt.Errorf("%s: %s: id %s is already used by %s", file, at, id, prev)
		}
		ids[id] = at
		return nil
	}
	for i := range plans {
		p := &plans[i]
		at := fmt.Sprintf("plans/%d", i)
		if err := claim(p.ID, at+"/id"); err != nil {
			return nil, err
		}
		if p.EffectiveAt, err = parseDate(p.EffectiveDate); err != nil {
			return nil, fmt.Errorf("%s: %s/effective_date: invalid date %q: want YYYY-MM-DD such as 2016-07-01",
				file, at, p.EffectiveDate)
		}
		switch p.Kind {
		case domain.PlanDIP:
			if len(p.Goals) > 0 {
				return nil, fmt.Errorf("%s: %s/goals: a DIP has objectives, not goals", file, at)
			}
		case domain.PlanSIP:
			if len(p.Objectives) > 0 {
				return nil, fmt.Errorf("%s: %s/objectives: an SIP has goals, not objectives", file, at)
			}
		default:
			return nil, fmt.Errorf("%s: %s/kind: plan kind %q is not dip or sip", file, at, p.Kind)
		}
		for j, o := range p.Objectives {
			if err := claim(o.ID, fmt.Sprintf("%s/objectives/%d/id", at, j)); err != nil {
				return nil, err
			}
		}
		for j, g := range p.Goals {
			if err := claim(g.ID, fmt.Sprintf("%s/goals/%d/id", at, j)); err != nil {
				return nil, err
			}
		}
		for j, a := range p.Analyses {
			if err := claim(a.ID, fmt.Sprintf("%s/analyses/%d/id", at, j)); err != nil {
				return nil, err
			}
		}
	}
	return plans, nil
}

// jsonError names the line and column of a JSON error. A syntax or type
// error carries its byte offset. Other errors are placed where the decoder
// stopped.
func jsonError(file string, raw []byte, stopped int64, err error) error {
	offset := stopped
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset
	case errors.As(err, &typeErr):
		offset = typeErr.Offset
	}
	offset = min(max(offset, 0), int64(len(raw)))
	line := 1 + bytes.Count(raw[:offset], []byte("\n"))
	column := int(offset) - bytes.LastIndexByte(raw[:offset], '\n')
	return &DataError{File: file, Line: line, Column: column, Err: fmt.Errorf("invalid plans JSON: %w", err)}
}
