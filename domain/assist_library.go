package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// LibraryKind is one of the forms of assistance 603 CMR 2.03(6)(a) names:
// examples, tools, templates, protocols and surveys.
type LibraryKind string

// Library kinds, in the regulation's order.
const (
	LibraryExample  LibraryKind = "example"
	LibraryTool     LibraryKind = "tool"
	LibraryTemplate LibraryKind = "template"
	LibraryProtocol LibraryKind = "protocol"
	LibrarySurvey   LibraryKind = "survey"
)

// LibraryKinds lists every library kind.
var LibraryKinds = []LibraryKind{LibraryExample, LibraryTool, LibraryTemplate, LibraryProtocol, LibrarySurvey}

// Audiences of a library item.
const (
	AudienceDistrict   = "district"
	AudienceSchool     = "school"
	AudienceDepartment = "department"
)

// Origins of a library item.
const (
	OriginCatalog = "catalog" // shipped with planledger, every fact sourced
	OriginLocal   = "local"   // added by Department staff through the API
)

// LibraryItem is one form of assistance the Department offers. A catalog
// item's description paraphrases its sources, and Verified is true only
// when every statement in it comes from those sources. Caveat states what
// the sources leave open, such as a date.
type LibraryItem struct {
	ID          string      `json:"id"`
	Version     int         `json:"version"`
	Kind        LibraryKind `json:"kind"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Audience    []string    `json:"audience"`
	// Levels lists the accountability levels the item is meant for; empty
	// means every level.
	Levels     []int    `json:"levels,omitempty"`
	Publisher  string   `json:"publisher"`
	SourceURLs []string `json:"source_urls"`
	Verified   bool     `json:"verified"`
	Caveat     string   `json:"caveat,omitempty"`
	Origin     string   `json:"origin"`
	// PlanTemplate, on a template, is what creating a plan from it fills in.
	PlanTemplate *PlanTemplate `json:"plan_template,omitempty"`
	// Instrument, on a survey or self-assessment tool, contains the
	// questions of every survey issued from the item.
	Instrument *Instrument `json:"instrument,omitempty"`
}

// PlanTemplate prefills a new plan: section texts by section key and, for
// a plan created without items of its own, skeleton objectives (DIP) or
// goals (SIP) whose placeholder targets the planning team replaces.
type PlanTemplate struct {
	Kind       PlanKind          `json:"kind"`
	Title      string            `json:"title"`
	Sections   map[string]string `json:"sections"`
	Objectives []Objective       `json:"objectives,omitempty"`
	Goals      []Goal            `json:"goals,omitempty"`
}

// Question kinds of a survey instrument.
const (
	QuestionLikert = "likert" // a whole number from 1 to 5
	QuestionChoice = "choice" // one of Options
	QuestionText   = "text"   // free text up to MaxAnswerText characters
)

// MaxAnswerText caps one free-text answer, so a survey's responses stay
// well inside a NATS message each.
const MaxAnswerText = 4000

// Question is one item of a survey instrument.
type Question struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"`
	Prompt    string   `json:"prompt"`
	Options   []string `json:"options,omitempty"`    // choice only
	LowLabel  string   `json:"low_label,omitempty"`  // likert only: what 1 means
	HighLabel string   `json:"high_label,omitempty"` // likert only: what 5 means
	Required  bool     `json:"required,omitempty"`
}

// Instrument is the questionnaire of a survey. Adaptation states which
// parts come from the source and which were written for planledger.
type Instrument struct {
	Adaptation string     `json:"adaptation"`
	Questions  []Question `json:"questions"`
}

// Intervention is the degree of Department intervention and the priority
// for assistance that one accountability level brings, with its sources.
type Intervention struct {
	Level      int      `json:"level"`
	Priority   string   `json:"priority"`
	Summary    string   `json:"summary"`
	Measures   []string `json:"measures"`
	SourceURLs []string `json:"source_urls"`
	// LibraryItems names catalog items meant for this level.
	LibraryItems []string `json:"library_items,omitempty"`
}

// Library is the versioned catalog of assistance shipped with planledger
// and the intervention table by level.
type Library struct {
	Version       string         `json:"version"`
	Note          string         `json:"note"`
	Items         []LibraryItem  `json:"items"`
	Interventions []Intervention `json:"interventions"`
}

// libraryIDPattern keeps ids usable in URLs and NATS subjects.
var libraryIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,63}$`)

// ParseLibrary decodes and validates a library file. Unknown fields are
// errors, so a misspelt field in the data file fails the build's tests
// instead of being dropped.
func ParseLibrary(raw []byte) (*Library, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var lib Library
	if err := dec.Decode(&lib); err != nil {
		return nil, fmt.Errorf("decode assistance library: %w", err)
	}
	if strings.TrimSpace(lib.Version) == "" {
		return nil, fmt.Errorf("assistance library has no version")
	}
	seen := map[string]bool{}
	for i, item := range lib.Items {
		if seen[item.ID] {
			return nil, fmt.Errorf("assistance library item %d: id %q is used twice", i, item.ID)
		}
		seen[item.ID] = true
		if item.Origin != OriginCatalog {
			return nil, fmt.Errorf("assistance library item %s: origin must be %q", item.ID, OriginCatalog)
		}
		if !item.Verified {
			return nil, fmt.Errorf("assistance library item %s: only verified items ship in the catalog", item.ID)
		}
		if err := ValidateLibraryItem(item); err != nil {
			return nil, fmt.Errorf("assistance library item %s: %w", item.ID, err)
		}
	}
	for want := 1; want <= 5; want++ {
		i := slices.IndexFunc(lib.Interventions, func(iv Intervention) bool { return iv.Level == want })
		if i < 0 {
			return nil, fmt.Errorf("assistance library has no intervention for level %d", want)
		}
		iv := lib.Interventions[i]
		if iv.Summary == "" || len(iv.SourceURLs) == 0 {
			return nil, fmt.Errorf("intervention for level %d needs a summary and a source", want)
		}
		for _, id := range iv.LibraryItems {
			if !seen[id] {
				return nil, fmt.Errorf("intervention for level %d names unknown library item %q", want, id)
			}
		}
	}
	if len(lib.Interventions) != 5 {
		return nil, fmt.Errorf("assistance library has %d interventions; want one per level 1 to 5", len(lib.Interventions))
	}
	return &lib, nil
}

// ValidateLibraryID checks that an id can name a library item in URLs and
// event subjects.
func ValidateLibraryID(id string) error {
	if !libraryIDPattern.MatchString(id) {
		return Errorf(EInvalid, "id", "library id %q must be 2 to 64 lower-case letters, digits or hyphens, such as tell-mass", id)
	}
	return nil
}

// ValidateLibraryItem checks an item's fields, its plan template and its
// instrument. Field names in errors are JSON paths within the item.
func ValidateLibraryItem(item LibraryItem) error {
	if err := ValidateLibraryID(item.ID); err != nil {
		return err
	}
	if item.Version < 1 {
		return Errorf(EInvalid, "version", "library item version %d must be 1 or more", item.Version)
	}
	if !slices.Contains(LibraryKinds, item.Kind) {
		return Errorf(EInvalid, "kind", "library kind %q is not one of %v", item.Kind, LibraryKinds)
	}
	if strings.TrimSpace(item.Title) == "" {
		return Errorf(EInvalid, "title", "a library item needs a title")
	}
	if strings.TrimSpace(item.Description) == "" {
		return Errorf(EInvalid, "description", "a library item needs a description")
	}

	if len(item.Audience) == 0 {
		return Errorf(EInvalid, "audience", "name at least one audience: %s, %s or %s", AudienceDistrict, AudienceSchool, AudienceDepartment)
	}
	for i, a := range item.Audience {
		if a != AudienceDistrict && a != AudienceSchool && a != AudienceDepartment {
			return Errorf(EInvalid, fmt.Sprintf("audience/%d", i), "audience %q is not %s, %s or %s", a, AudienceDistrict, AudienceSchool, AudienceDepartment)
		}
	}
	for i, l := range item.Levels {
		if l < 1 || l > 5 {
			return Errorf(EInvalid, fmt.Sprintf("levels/%d", i), "level %d is outside 1 to 5", l)
		}
	}

	if item.Verified && len(item.SourceURLs) == 0 {
		return Errorf(EInvalid, "source_urls", "a verified item needs at least one source URL")
	}
	for i, u := range item.SourceURLs {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return Errorf(EInvalid, fmt.Sprintf("source_urls/%d", i), "source %q is not an http or https URL", u)
		}
	}

	if item.PlanTemplate != nil {
		if item.Kind != LibraryTemplate {
			return Errorf(EInvalid, "plan_template", "only a template carries a plan_template; this item is a %s", item.Kind)
		}
		if err := validatePlanTemplate(*item.PlanTemplate); err != nil {
			return prefixField(err, "plan_template")
		}
	}
	if item.Instrument != nil {
		if item.Kind != LibrarySurvey && item.Kind != LibraryTool {
			return Errorf(EInvalid, "instrument", "only a survey or a tool carries an instrument; this item is a %s", item.Kind)
		}
		if err := validateInstrument(*item.Instrument); err != nil {
			return prefixField(err, "instrument")
		}
	}
	return nil
}

func validatePlanTemplate(t PlanTemplate) error {
	if t.Kind != PlanDIP && t.Kind != PlanSIP {
		return Errorf(EInvalid, "kind", "plan kind %q is not dip or sip", t.Kind)
	}
	if strings.TrimSpace(t.Title) == "" {
		return Errorf(EInvalid, "title", "a plan template needs a default title")
	}
	if err := validateSections(t.Kind, t.Sections); err != nil {
		return err
	}
	if t.Kind == PlanSIP && len(t.Objectives) > 0 {
		return Errorf(EInvalid, "objectives", "an SIP template has goals, not objectives")
	}
	if t.Kind == PlanDIP && len(t.Goals) > 0 {
		return Errorf(EInvalid, "goals", "a DIP template has objectives, not goals")
	}
	for i, o := range t.Objectives {
		if o.ID != "" {
			return Errorf(EInvalid, fmt.Sprintf("objectives/%d/id", i), "a skeleton objective has no id; each plan gets new ones")
		}
		if err := validateObjective(nil, o, nil); err != nil {
			return prefixField(err, fmt.Sprintf("objectives/%d", i))
		}
	}
	for i, g := range t.Goals {
		if g.ID != "" || len(g.Objectives) > 0 {
			return Errorf(EInvalid, fmt.Sprintf("goals/%d", i), "a skeleton goal has no id and cites no objective")
		}
		if strings.TrimSpace(g.Title) == "" {
			return Errorf(EInvalid, fmt.Sprintf("goals/%d/title", i), "a goal needs a title")
		}
		if len(g.Measures) == 0 {
			return Errorf(EInvalid, fmt.Sprintf("goals/%d/measures", i), "a goal needs at least one measure")
		}
		if err := validateMeasures(fmt.Sprintf("goals/%d/measures", i), g.Measures); err != nil {
			return err
		}
	}
	return nil
}

func validateInstrument(in Instrument) error {
	if strings.TrimSpace(in.Adaptation) == "" {
		return Errorf(EInvalid, "adaptation", "say which parts of the instrument come from its source and which were written for it")
	}
	if len(in.Questions) == 0 {
		return Errorf(EInvalid, "questions", "an instrument needs at least one question")
	}
	return validateQuestions(in.Questions)
}

// questionIDPattern keeps question ids usable as JSON object keys in
// answers and as path segments in error fields.
var questionIDPattern = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

func validateQuestions(qs []Question) error {
	seen := map[string]bool{}
	for i, q := range qs {
		field := fmt.Sprintf("questions/%d", i)
		if !questionIDPattern.MatchString(q.ID) {
			return Errorf(EInvalid, field+"/id", "question id %q must be 1 to 40 lower-case letters, digits or underscores", q.ID)
		}
		if seen[q.ID] {
			return Errorf(EInvalid, field+"/id", "question id %q is used twice", q.ID)
		}
		seen[q.ID] = true
		if strings.TrimSpace(q.Prompt) == "" {
			return Errorf(EInvalid, field+"/prompt", "question %s needs a prompt", q.ID)
		}
		switch q.Kind {
		case QuestionLikert, QuestionText:
			if len(q.Options) > 0 {
				return Errorf(EInvalid, field+"/options", "only a choice question has options")
			}
		case QuestionChoice:
			if len(q.Options) < 2 {
				return Errorf(EInvalid, field+"/options", "choice question %s needs at least two options", q.ID)
			}
			for j, opt := range q.Options {
				if strings.TrimSpace(opt) == "" || slices.Index(q.Options, opt) != j {
					return Errorf(EInvalid, fmt.Sprintf("%s/options/%d", field, j), "option %q is empty or repeated", opt)
				}
			}
		default:
			return Errorf(EInvalid, field+"/kind", "question kind %q is not %s, %s or %s", q.Kind, QuestionLikert, QuestionChoice, QuestionText)
		}
		if q.Kind != QuestionLikert && (q.LowLabel != "" || q.HighLabel != "") {
			return Errorf(EInvalid, field+"/low_label", "only a likert question has scale labels")
		}
	}
	return nil
}

// Item returns a catalog item by id.
func (l *Library) Item(id string) (LibraryItem, bool) {
	i := slices.IndexFunc(l.Items, func(it LibraryItem) bool { return it.ID == id })
	if i < 0 {
		return LibraryItem{}, false
	}
	return l.Items[i], true
}

// InterventionFor returns the intervention of a level 1 to 5.
func (l *Library) InterventionFor(level int) (Intervention, bool) {
	i := slices.IndexFunc(l.Interventions, func(iv Intervention) bool { return iv.Level == level })
	if i < 0 {
		return Intervention{}, false
	}
	return l.Interventions[i], true
}
