package domain

import (
	"slices"
	"strings"
)

// TemplateRef names the library template and its version a plan was
// created from. The plan.created event stores the merged section texts, so
// a rebuild gives the same plan after the template changes.
type TemplateRef struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
}

// ApplyTemplate fills a new plan from a library template. Fields the
// request states win: its kind must match the template's, its title and
// note replace the template's, a section text it gives replaces the
// template's text for that section, and objectives or goals it gives
// replace the template's skeletons. The result records the template's id
// and version.
func ApplyTemplate(n NewPlan, item LibraryItem) (NewPlan, error) {
	t := item.PlanTemplate
	if t == nil {
		return n, Errorf(EInvalid, "template_id", "library item %s is a %s, not a plan template; list templates at GET /v1/assistance/library?kind=template",
			item.ID, item.Kind)
	}
	switch n.Kind {
	case "":
		n.Kind = t.Kind
	case t.Kind:
	default:
		return n, Errorf(EInvalid, "kind", "template %s makes a %s, but the request asks for a %s; leave kind out or use a %s template",
			item.ID, t.Kind, n.Kind, n.Kind)
	}

	if strings.TrimSpace(n.Title) == "" {
		n.Title = t.Title
	}
	// The template's section texts are guidance for the writer, not plan
	// content, so they go to Prompts for the sections the request leaves
	// unwritten.
	n.Prompts = map[string]string{}
	for key, prompt := range t.Sections {
		if strings.TrimSpace(n.Sections[key]) == "" {
			n.Prompts[key] = prompt
		}
	}

	if len(n.Objectives) == 0 && len(n.Goals) == 0 {
		// Skeletons are copied, so filling in ids never writes the catalog.
		for _, o := range t.Objectives {
			o.Standards = slices.Clone(o.Standards)
			o.Initiatives = slices.Clone(o.Initiatives)
			o.Outcomes = slices.Clone(o.Outcomes)
			n.Objectives = append(n.Objectives, o)
		}
		for _, g := range t.Goals {
			g.Actions = slices.Clone(g.Actions)
			g.Measures = slices.Clone(g.Measures)
			g.Objectives = nil
			n.Goals = append(n.Goals, g)
		}
	}
	n.Template = &TemplateRef{ID: item.ID, Version: item.Version}
	return n, nil
}
