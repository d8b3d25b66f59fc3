package pdf_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/planledger/planledger/domain"
)

// vocabulary supplies words of varied width, with accents and dashes, for
// generated plan text.
var vocabulary = strings.Fields("students teachers literacy mathematics attendance " +
	"advisory Núñez José – grades 3–5 curriculum assessment benchmark " +
	"social-emotional interdisciplinary family engagement co-teaching data " +
	"professional development ninth-grade MCAS % 2017-18 Superintendent")

// words returns n words drawn from vocabulary.
func words(rng *rand.Rand, n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = vocabulary[rng.IntN(len(vocabulary))]
	}
	return strings.Join(out, " ")
}

// randomSIP builds an SIP whose cells range from empty to longer than a
// page, so rows of many heights meet page breaks at varied positions.
func randomSIP(rng *rand.Rand) domain.Plan {
	p := sipPlan()
	p.Goals = nil
	for i := range 1 + rng.IntN(25) {
		g := domain.Goal{
			ID:        fmt.Sprintf("goal-%d", i),
			Title:     words(rng, 1+rng.IntN(12)),
			Statement: words(rng, rng.IntN(60)),
			Owner:     words(rng, rng.IntN(3)),
			Timeline:  words(rng, rng.IntN(3)),
		}
		if rng.IntN(2) == 0 {
			g.Objectives = []string{"obj-literacy"}
		}
		actions := rng.IntN(6)
		if rng.IntN(10) == 0 {
			actions = 150 // taller than a page
		}
		for range actions {
			g.Actions = append(g.Actions, domain.Action{Text: words(rng, 1+rng.IntN(20)), Owner: "Principal", Timeline: "2017-18"})
		}
		for range rng.IntN(4) {
			g.Measures = append(g.Measures, domain.Measure{
				Description: words(rng, 1+rng.IntN(15)), Baseline: "40%", Target: "50%",
				Illustrative: rng.IntN(3) == 0,
			})
		}
		p.Goals = append(p.Goals, g)
	}
	return p
}

// randomDIP builds a DIP with many objectives, initiatives and outcomes.
func randomDIP(rng *rand.Rand) domain.Plan {
	p := dipPlan()
	p.Objectives = nil
	for i := range 1 + rng.IntN(10) {
		o := domain.Objective{
			ID:        fmt.Sprintf("obj-%d", i),
			Title:     words(rng, 2+rng.IntN(10)),
			Statement: words(rng, rng.IntN(80)),
			Standards: []string{"assessment", "student_support"},
			Owner:     "Assistant Superintendent", Timeline: "2015-16 to 2017-18",
		}
		for range rng.IntN(8) {
			o.Initiatives = append(o.Initiatives, domain.Initiative{Text: words(rng, 1+rng.IntN(40)), Owner: "Principals", Timeline: "2016-17"})
		}
		for range rng.IntN(6) {
			o.Outcomes = append(o.Outcomes, domain.Measure{
				Description: words(rng, 1+rng.IntN(20)), Baseline: "61%", Target: "70%",
				Illustrative: rng.IntN(2) == 0,
			})
		}
		p.Objectives = append(p.Objectives, o)
	}
	return p
}

func TestRenderRandomPlansStayInMargins(t *testing.T) {
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 2018))

		sip := sipDocument(randomSIP(rng))
		path, _ := renderFile(t, fmt.Sprintf("random-sip-%d", seed), sip)
		checkMargins(t, path, sipRunningHead, "effective", 42)

		dip := dipDocument()
		dip.Plan = randomDIP(rng)
		path, _ = renderFile(t, fmt.Sprintf("random-dip-%d", seed), dip)
		checkMargins(t, path, dipRunningHead, "recorded", 19)
	}
}
