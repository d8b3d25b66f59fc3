package domain_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/planledger/planledger/domain"
)

func TestFrameworksLoadInOrder(t *testing.T) {
	versions := domain.Frameworks()
	var ids []string
	for _, f := range versions {
		ids = append(ids, f.Version)
	}
	if got := strings.Join(ids, ","); got != "dsi-2010,dsi-2013,dsi-2017" {
		t.Fatalf("versions = %s, want dsi-2010,dsi-2013,dsi-2017", got)
	}
	for _, f := range versions {
		for i, s := range f.Standards {
			if s.Key != domain.DistrictStandards[i].Key {
				t.Errorf("%s standard %d = %s, want %s", f.Version, i, s.Key, domain.DistrictStandards[i].Key)
			}
		}
	}
}

func TestFrameworkNamesByVersion(t *testing.T) {
	for version, want := range map[string]string{
		"dsi-2010": "Leadership and governance",
		"dsi-2013": "Leadership, Governance and Communication",
		"dsi-2017": "Leadership and governance",
	} {
		f, ok := domain.FrameworkVersion(version)
		if !ok {
			t.Fatalf("FrameworkVersion(%s) not found", version)
		}
		s, _ := f.Standard("leadership_governance")
		if s.Name != want {
			t.Errorf("%s leadership_governance name = %q, want %q", version, s.Name, want)
		}
	}
}

func TestFramework2017MatchesRegulation(t *testing.T) {
	f, _ := domain.FrameworkVersion("dsi-2017")
	for i, s := range f.Standards {
		if s.Name != domain.DistrictStandards[i].Name {
			t.Errorf("dsi-2017 standard %s = %q, want the regulation's %q", s.Key, s.Name, domain.DistrictStandards[i].Name)
		}
		if !s.Verified {
			t.Errorf("dsi-2017 standard %s is not verified", s.Key)
		}
		if s.IndicatorsAvailable || len(s.Indicators) > 0 {
			t.Errorf("dsi-2017 standard %s lists indicators, whose 2017 titles were not at hand", s.Key)
		}
	}
	for _, c := range f.Conditions {
		if !c.Verified || c.Descriptor == "" {
			t.Errorf("dsi-2017 condition %s: verified %v, descriptor %q", c.Key, c.Verified, c.Descriptor)
		}
	}
	c, _ := f.Condition("family_school_engagement")
	if c.Number != 10 || c.Title != "Family-school engagement" {
		t.Errorf("condition family_school_engagement = %d %q, want 10 Family-school engagement", c.Number, c.Title)
	}
}

func TestFrameworkOlderConditionsFlagged(t *testing.T) {
	f, _ := domain.FrameworkVersion("dsi-2013")
	for _, c := range f.Conditions {
		if want := c.Number <= 8; c.Verified != want {
			t.Errorf("dsi-2013 condition %d verified = %v, want %v", c.Number, c.Verified, want)
		}
	}
	leadership, _ := f.Standard("leadership_governance")
	if len(leadership.Indicators) != 5 {
		t.Errorf("dsi-2013 leadership_governance has %d indicators, want the 5 verified titles", len(leadership.Indicators))
	}
	curriculum, _ := f.Standard("curriculum_instruction")
	if curriculum.IndicatorsAvailable || curriculum.Verified {
		t.Errorf("dsi-2013 curriculum_instruction: indicators_available %v, verified %v; want both false", curriculum.IndicatorsAvailable, curriculum.Verified)
	}
}

func TestFrameworkForYear(t *testing.T) {
	for _, tc := range []struct {
		year int
		want string
	}{
		{2011, "dsi-2010"}, // July 1, 2010
		{2013, "dsi-2010"}, // July 1, 2012
		{2014, "dsi-2013"},
		{2016, "dsi-2013"}, // the bundled Newburyport DIP
		{2018, "dsi-2013"}, // July 1, 2017 is before October 13, 2017
		{2019, "dsi-2017"},
		{2040, "dsi-2017"},
	} {
		f, err := domain.FrameworkForYear(tc.year)
		if err != nil {
			t.Errorf("FrameworkForYear(%d): %v", tc.year, err)
			continue
		}
		if f.Version != tc.want {
			t.Errorf("FrameworkForYear(%d) = %s, want %s", tc.year, f.Version, tc.want)
		}
	}
	if _, err := domain.FrameworkForYear(2010); domain.ErrorCode(err) != domain.EInvalid {
		t.Errorf("FrameworkForYear(2010) error = %v, want invalid: no version before April 27, 2010", err)
	}
}

func TestFrameworkOnBoundary(t *testing.T) {
	for date, want := range map[string]string{
		"2013-01-22": "dsi-2010",
		"2013-01-23": "dsi-2013",
		"2017-10-12": "dsi-2013",
		"2017-10-13": "dsi-2017",
	} {
		f, err := domain.FrameworkOn(date)
		if err != nil || f.Version != want {
			t.Errorf("FrameworkOn(%s) = %v, %v; want %s", date, f, err, want)
		}
	}
}

func TestValidateCitationsAccepts(t *testing.T) {
	c := domain.Citations{
		Standards:  []string{"leadership_governance", "student_support"},
		Indicators: []string{"leadership_governance.improvement_planning"},
		Conditions: []string{"social_emotional_health", "family_school_engagement"},
	}
	if err := domain.ValidateCitations("goals/0", c, "dsi-2013"); err != nil {
		t.Errorf("ValidateCitations: %v", err)
	}
	if err := domain.ValidateCitations("", domain.Citations{}, "dsi-2017"); err != nil {
		t.Errorf("ValidateCitations(empty): %v", err)
	}
}

func TestValidateCitationsRejects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		c       domain.Citations
		version string
		field   string
		detail  string
	}{
		{"unknown version", domain.Citations{}, "dsi-1999", "goals/0", "GET /v1/framework"},
		{"unknown standard", domain.Citations{Standards: []string{"assessment", "governance"}}, "dsi-2017",
			"goals/0/standards/1", "leadership_governance, curriculum_instruction"},
		{"repeated standard", domain.Citations{Standards: []string{"assessment", "assessment"}}, "dsi-2017",
			"goals/0/standards/1", "twice"},
		{"unknown condition", domain.Citations{Conditions: []string{"aligned_curriculum", "cse_9"}}, "dsi-2017",
			"goals/0/conditions/1", "social_emotional_health"},
		{"indicator not available", domain.Citations{Standards: []string{"assessment"}, Indicators: []string{"assessment.data_use"}},
			"dsi-2013", "goals/0/indicators/0", "not at hand"},
		{"indicator of 2013 in 2017", domain.Citations{Standards: []string{"leadership_governance"},
			Indicators: []string{"leadership_governance.improvement_planning"}}, "dsi-2017", "goals/0/indicators/0", "not at hand"},
		{"unknown indicator", domain.Citations{Standards: []string{"leadership_governance"},
			Indicators: []string{"leadership_governance.communication"}}, "dsi-2013", "goals/0/indicators/0",
			"leadership_governance.school_committee_governance"},
		{"malformed indicator", domain.Citations{Indicators: []string{"planning"}}, "dsi-2013", "goals/0/indicators/0",
			"a standard key, a dot and a name"},
		{"indicator without its standard", domain.Citations{Standards: []string{"assessment"},
			Indicators: []string{"leadership_governance.budget_development"}}, "dsi-2010", "goals/0/indicators/0",
			`add "leadership_governance" to standards`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := domain.ValidateCitations("goals/0", tc.c, tc.version)
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("error = %v, want a *domain.Error", err)
			}
			if de.Code != domain.EInvalid {
				t.Errorf("code = %s, want invalid", de.Code)
			}
			if de.Field != tc.field {
				t.Errorf("field = %q, want %q", de.Field, tc.field)
			}
			if !strings.Contains(de.Message, tc.detail) {
				t.Errorf("message %q lacks %q", de.Message, tc.detail)
			}
		})
	}
}

func TestLoadFrameworksRejectsGap(t *testing.T) {
	a := `{"version":"a","effective_from":"2010-01-01","effective_until":"2012-01-01","indicator_count":0,"standards":%s,"conditions":%s}`
	b := `{"version":"b","effective_from":"2013-01-01","indicator_count":0,"standards":%s,"conditions":%s}`
	fsys := fstest.MapFS{
		"f/a.json": {Data: []byte(fillFramework(a))},
		"f/b.json": {Data: []byte(fillFramework(b))},
	}
	_, err := domain.LoadFrameworks(fsys, "f/*.json")
	if err == nil || !strings.Contains(err.Error(), "must follow one another") {
		t.Errorf("LoadFrameworks with a gap: error = %v, want one about versions following one another", err)
	}
}

func TestLoadFrameworksRejectsMissingStandard(t *testing.T) {
	doc := fillFramework(`{"version":"a","effective_from":"2010-01-01","indicator_count":0,"standards":%s,"conditions":%s}`)
	doc = strings.Replace(doc, `{"key":"assessment","number":3,"name":"Assessment"},`, "", 1)
	_, err := domain.LoadFrameworks(fstest.MapFS{"f/a.json": {Data: []byte(doc)}}, "f/*.json")
	if err == nil || !strings.Contains(err.Error(), "lists 5 standards") {
		t.Errorf("LoadFrameworks without assessment: error = %v, want one about 5 standards", err)
	}
}

// fillFramework puts the six standards and eleven numbered conditions into
// a framework document template with two %s verbs.
func fillFramework(template string) string {
	var standards, conditions []string
	for i, s := range domain.DistrictStandards {
		standards = append(standards, `{"key":"`+s.Key+`","number":`+strconv.Itoa(i+1)+`,"name":"`+s.Name+`"}`)
	}
	for i := 1; i <= 11; i++ {
		conditions = append(conditions, `{"key":"c`+strconv.Itoa(i)+`","number":`+strconv.Itoa(i)+`,"title":"Condition"}`)
	}
	out := strings.Replace(template, "%s", "["+strings.Join(standards, ",")+"]", 1)
	return strings.Replace(out, "%s", "["+strings.Join(conditions, ",")+"]", 1)
}
