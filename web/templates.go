package web

import (
	"embed"
	"fmt"
	"html/template"
	"strings"

	"github.com/planledger/planledger/domain"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages holds each page's template set: the layout, the shared partials
// and the page's own content template.
var pages = mustParsePages()

func mustParsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"paragraphs": paragraphs,
		"levelDate":  levelDate,
		"formatTime": formatTime,
		"basisLabel": basisLabel,
		"add":        func(a, b int) int { return a + b },
	}
	out := map[string]*template.Template{}
	for _, name := range []string{"orgs", "org", "plan", "history", "diff", "error"} {
		out[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFiles,
			"templates/layout.html", "templates/partials.html", "templates/"+name+".html"))
	}
	out["document"] = template.Must(template.New("document").Funcs(funcs).ParseFS(templateFiles,
		"templates/document.html", "templates/partials.html"))
	return out
}

// paragraphs splits text at line breaks into its non-blank lines, which
// the PDF prints as separate lines too.
func paragraphs(text string) []string {
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return out
}

// levelDate returns when a level took effect, as the source states it: a
// day, or only a year when the source gives no day.
func levelDate(e domain.LevelEntry) string {
	if e.DatePrecision == "year" {
		return fmt.Sprintf("%d (year only)", e.EffectiveAt.UTC().Year())
	}
	return e.EffectiveAt.UTC().Format("2006-01-02")
}

func basisLabel(basis string) string {
	if basis == "recorded" {
		return "recorded time (when planledger stored each change)"
	}
	return "effective time (when each change took hold)"
}
