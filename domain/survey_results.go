package domain

import (
	"maps"
	"math"
	"slices"
)

// SurveyMinRespondents is the fewest respondents a group's answers are
// reported for. It follows TELL Mass, which published a school's results
// only with at least 5 respondents, so that no answer can be traced to a
// person in a small group.
const SurveyMinRespondents = 5

// ValueCount is how many respondents gave one value: a likert point "1" to
// "5" or a choice option.
type ValueCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// QuestionResult summarizes the answers to one question. Text answers are
// counted, never shown, because free text can identify its writer.
type QuestionResult struct {
	QuestionID string       `json:"question_id"`
	Kind       string       `json:"kind"`
	Prompt     string       `json:"prompt"`
	Answered   int          `json:"answered"`
	Mean       *float64     `json:"mean,omitempty"` // likert only, to two decimals
	Counts     []ValueCount `json:"counts,omitempty"`
}

// Reasons a group's answers are suppressed.
const (
	// SuppressedFewRespondents is primary suppression: the group has fewer
	// than SurveyMinRespondents respondents.
	SuppressedFewRespondents = "few_respondents"
	// SuppressedComplementary is secondary suppression: the group has
	// enough respondents, but the overall figures minus its figures would
	// reveal a suppressed group's answers.
	SuppressedComplementary = "complementary"
)

// GroupResult is the results of one targeted org, or of all of them.
// Questions is empty when Suppressed, and Suppression then says why.
type GroupResult struct {
	OrgCode     string           `json:"org_code,omitempty"`
	Respondents int              `json:"respondents"`
	Suppressed  bool             `json:"suppressed"`
	Suppression string           `json:"suppression,omitempty"`
	Questions   []QuestionResult `json:"questions,omitempty"`
}

// SurveyResults is the results projection of a survey: every targeted org
// in the survey's order, then all of them together.
type SurveyResults struct {
	MinRespondents int           `json:"min_respondents"`
	Overall        GroupResult   `json:"overall"`
	Orgs           []GroupResult `json:"orgs"`
}

// Results counts each respondent's latest response once, per targeted org
// and overall. A group with fewer than SurveyMinRespondents respondents is
// reported by its count alone (primary suppression).
//
// Every respondent counts for exactly one targeted org, so the overall
// figures minus the reported groups' figures are the figures of the
// suppressed groups together. When those hold between 1 and
// SurveyMinRespondents-1 respondents, the smallest reported group is
// suppressed too (complementary suppression), ties going to the org listed
// first. The suppressed groups then hold at least SurveyMinRespondents
// respondents together. When no group is left to suppress, the overall
// figures have fewer than SurveyMinRespondents respondents and are
// suppressed themselves.
func (s *Survey) Results() SurveyResults {
	byOrg := map[string][]SurveyResponse{}
	var all []SurveyResponse
	// Sorting by respondent makes the result independent of map order.
	for _, who := range slices.Sorted(maps.Keys(s.Responses)) {
		r := s.Responses[who]
		byOrg[r.CountsFor] = append(byOrg[r.CountsFor], r)
		all = append(all, r)
	}
	out := SurveyResults{MinRespondents: SurveyMinRespondents, Overall: s.groupResult("", all)}
	for _, code := range s.OrgCodes {
		out.Orgs = append(out.Orgs, s.groupResult(code, byOrg[code]))
	}
	suppressComplement(out.Orgs)
	return out
}

// suppressComplement applies complementary suppression to groups, whose
// primary suppression is already set; see Results.
func suppressComplement(groups []GroupResult) {
	hidden := 0
	for _, g := range groups {
		if g.Suppressed {
			hidden += g.Respondents
		}
	}
	if hidden == 0 || hidden >= SurveyMinRespondents {
		return
	}
	smallest := -1
	for i, g := range groups {
		if !g.Suppressed && (smallest < 0 || g.Respondents < groups[smallest].Respondents) {
			smallest = i
		}
	}
	if smallest < 0 {
		return
	}
	// Every reported group has at least SurveyMinRespondents respondents,
	// so one more suppressed group is enough.
	g := &groups[smallest]
	g.Suppressed, g.Suppression, g.Questions = true, SuppressedComplementary, nil
}

func (s *Survey) groupResult(code string, responses []SurveyResponse) GroupResult {
	g := GroupResult{OrgCode: code, Respondents: len(responses)}
	if len(responses) < SurveyMinRespondents {
		g.Suppressed, g.Suppression = true, SuppressedFewRespondents
		return g
	}
	for _, q := range s.Questions {
		g.Questions = append(g.Questions, questionResult(q, responses))
	}
	return g
}

func questionResult(q Question, responses []SurveyResponse) QuestionResult {
	out := QuestionResult{QuestionID: q.ID, Kind: q.Kind, Prompt: q.Prompt}
	var values []string
	switch q.Kind {
	case QuestionLikert:
		values = []string{"1", "2", "3", "4", "5"}
	case QuestionChoice:
		values = q.Options
	}
	counts := make([]int, len(values))
	sum := 0
	for _, r := range responses {
		a, ok := r.Answers[q.ID]
		if !ok {
			continue
		}
		out.Answered++
		switch q.Kind {
		case QuestionLikert:
			sum += a.Likert
			counts[a.Likert-1]++
		case QuestionChoice:
			if i := slices.Index(values, a.Choice); i >= 0 {
				counts[i]++
			}
		}
	}
	for i, v := range values {
		out.Counts = append(out.Counts, ValueCount{Value: v, Count: counts[i]})
	}
	if q.Kind == QuestionLikert && out.Answered > 0 {
		mean := math.Round(float64(sum)/float64(out.Answered)*100) / 100
		out.Mean = &mean
	}
	return out
}
