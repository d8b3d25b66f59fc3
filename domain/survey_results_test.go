package domain_test

import (
	"fmt"
	"testing"

	"github.com/planledger/planledger/domain"
)

// surveyWith returns a survey of one likert question with n respondents
// counted for each org, in the order given.
func surveyWith(orgs []string, counts []int) *domain.Survey {
	s := &domain.Survey{OrgCodes: orgs, Responses: map[string]domain.SurveyResponse{},
		Questions: []domain.Question{{ID: "q", Kind: domain.QuestionLikert, Prompt: "q"}}}
	for i, org := range orgs {
		for n := range counts[i] {
			who := fmt.Sprintf("%s-%d", org, n)
			s.Responses[who] = domain.SurveyResponse{SurveyAnswered: domain.SurveyAnswered{Respondent: who, CountsFor: org,
				Answers: map[string]domain.Answer{"q": {Likert: 3}}}}
		}
	}
	return s
}

func TestSurveyResultsComplement(t *testing.T) {
	orgs := []string{"a", "b", "c", "d"}
	cases := []struct {
		name       string
		counts     []int
		suppressed []string // per org: "" reported, or the suppression reason
		overall    bool     // overall suppressed
	}{
		{"none small", []int{5, 6, 7, 0}, []string{"", "", "", domain.SuppressedFewRespondents}, false},
		{"one small", []int{1, 9, 6, 0}, []string{domain.SuppressedFewRespondents, "", domain.SuppressedComplementary, domain.SuppressedFewRespondents}, false},
		{"tie goes to first", []int{6, 2, 6, 0}, []string{domain.SuppressedComplementary, domain.SuppressedFewRespondents, "", domain.SuppressedFewRespondents}, false},
		{"small ones add up", []int{3, 3, 8, 0}, []string{domain.SuppressedFewRespondents, domain.SuppressedFewRespondents, "", domain.SuppressedFewRespondents}, false},
		{"all small", []int{1, 2, 1, 0}, []string{domain.SuppressedFewRespondents, domain.SuppressedFewRespondents, domain.SuppressedFewRespondents, domain.SuppressedFewRespondents}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := surveyWith(orgs, tc.counts).Results()
			if r.Overall.Suppressed != tc.overall {
				t.Errorf("overall suppressed = %v, want %v", r.Overall.Suppressed, tc.overall)
			}
			for i, g := range r.Orgs {
				if g.Suppression != tc.suppressed[i] || g.Suppressed != (tc.suppressed[i] != "") {
					t.Errorf("org %s: suppressed %v (%q), want %q", g.OrgCode, g.Suppressed, g.Suppression, tc.suppressed[i])
				}
				if g.Suppressed && len(g.Questions) != 0 {
					t.Errorf("org %s is suppressed but shows %d questions", g.OrgCode, len(g.Questions))
				}
			}
		})
	}
}
