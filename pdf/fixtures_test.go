package pdf_test

import (
	"fmt"
	"time"

	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/pdf"
)

// Names and codes the fixtures use and the tests look for.
const (
	districtName  = "Newburyport Public Schools"
	districtCode  = "02040000"
	schoolName    = "Newburyport High"
	schoolCode    = "02040505"
	accentedName  = "José Núñez"
	enDashText    = "Molin – grades 3–5"
	dipID         = "dip-02040000-2016"
	sipID         = "sip-02040505-2018"
	producer      = "planledger 0.1.0"
	uncitedGoal   = "Expand the ninth-grade advisory program"
	literacyTitle = "Raise achievement in literacy across all grades"
)

var (
	asOf       = time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC)
	recordedAt = time.Date(2018, 2, 27, 15, 4, 5, 0, time.UTC)
)

// sections fills a plan's section catalog from texts by key; a key without
// text gives an empty section.
func sections(specs []domain.SectionSpec, texts map[string]string) []domain.Section {
	out := make([]domain.Section, len(specs))
	for i, s := range specs {
		out[i] = domain.Section{Key: s.Key, Heading: s.Heading, Text: texts[s.Key]}
	}
	return out
}

// dipPlan is a three-year district plan with three strategic objectives.
func dipPlan() domain.Plan {
	return domain.Plan{
		ID: dipID, Kind: domain.PlanDIP, OrgCode: districtCode,
		FirstYear: 2016, LastYear: 2018,
		Title: "Newburyport Public Schools District Improvement Plan, 2015–2018",
		Note:  "Objectives and initiatives follow the district's published plan; targets marked † are illustrative.",
		Sections: sections(domain.DIPSections, map[string]string{
			"mission":          "The Newburyport Public Schools, in partnership with families and the community, educate every student to reach high standards.",
			"vision":           "Every graduate is ready for college, career and citizenship.",
			"core_values":      "Respect, responsibility, perseverance and curiosity.",
			"data_analysis":    "MCAS results show gaps in grade 3–5 literacy between students with disabilities and their peers.\n\nThe district's attendance rate is 95.1% overall.",
			"theory_of_action": "If the district aligns curriculum, assessment and professional development, then teaching improves and achievement rises for every group of students.",
		}),
		Objectives: []domain.Objective{
			{
				ID: "obj-literacy", Title: literacyTitle,
				Statement: "Align literacy curriculum and assessment from kindergarten through grade 12.",
				Standards: []string{"curriculum_instruction", "assessment"},
				Owner:     "Assistant Superintendent", Timeline: "2015-16 to 2017-18",
				Initiatives: []domain.Initiative{
					{Text: "Adopt a common K–5 literacy curriculum at Bresnahan and " + enDashText, Owner: "Literacy Coordinator", Timeline: "2016-17"},
					{Text: "Train literacy coaches in data meetings", Owner: "Director of Curriculum", Timeline: "2015-16 to 2016-17"},
				},
				Outcomes: []domain.Measure{
					{Description: "Grade 3 ELA students meeting or exceeding expectations", Baseline: "61% (2015)", Target: "70% by 2018", Illustrative: true},
					{Description: "Teachers trained in the new curriculum", Baseline: "0", Target: "All K–5 teachers"},
				},
			},
			{
				ID: "obj-climate", Title: "Strengthen social-emotional learning and school climate",
				Statement: "Build supports so every student feels safe and known by an adult.",
				Standards: []string{"student_support", "leadership_governance"},
				Owner:     "Director of Student Services", Timeline: "2016-17 to 2017-18",
				Initiatives: []domain.Initiative{
					{Text: "Introduce advisory periods at the middle and high school", Owner: "Principals", Timeline: "2016-17"},
				},
				Outcomes: []domain.Measure{
					{Description: "Students reporting an adult they can talk to", Baseline: "72%", Target: "85%"},
				},
			},
			{
				ID: "obj-resources", Title: "Align budget and staffing with the plan's priorities",
				Standards: []string{"financial_asset_management", "human_resources_pd"},
				Owner:     "Business Manager", Timeline: "Annually",
			},
		},
	}
}

// sipPlan is a one-year school plan aligned with dipPlan.
func sipPlan() domain.Plan {
	return domain.Plan{
		ID: sipID, Kind: domain.PlanSIP, OrgCode: schoolCode, DistrictPlanID: dipID,
		FirstYear: 2018, LastYear: 2018,
		Title: "Newburyport High School Improvement Plan 2017–18",
		Note:  "Goals follow the school council's published plan; the target marked † is illustrative.",
		Sections: sections(domain.SIPSections, map[string]string{
			"school_council":   "The council is co-chaired by the principal and " + accentedName + " (parent) and meets monthly.",
			"needs_assessment": "Ninth-grade course failures rose to 9% in 2016-17. Transition work with the " + enDashText + " team and the Nock Middle School continues.",
			"class_size":       "Average class size is 21 students.",
		}),
		Goals: []domain.Goal{
			{
				ID: "goal-ela", Title: "Raise ELA achievement for students with disabilities",
				Statement: "Narrow the gap in grade 10 ELA between students with disabilities and all students.",
				Owner:     "Principal", Timeline: "2017-18",
				Actions: []domain.Action{
					{Text: "Co-teach grade 9 and 10 English sections", Owner: "English Department Head", Timeline: "September 2017 – June 2018"},
					{Text: "Hold monthly data meetings on reading benchmarks", Owner: "Special Education Team Chair", Timeline: "Monthly"},
				},
				Measures: []domain.Measure{
					{Description: "Grade 10 ELA students with disabilities meeting expectations", Baseline: "48%", Target: "58%", Illustrative: true},
				},
				Objectives: []string{"obj-literacy"},
			},
			{
				ID: "goal-climate", Title: "Improve attendance and connection in ninth grade",
				Owner: "Assistant Principal", Timeline: "2017-18",
				Actions: []domain.Action{
					{Text: "Call home after a second unexcused absence", Owner: "Attendance Officer", Timeline: "Ongoing"},
				},
				Measures: []domain.Measure{
					{Description: "Ninth graders chronically absent", Baseline: "11%", Target: "8%"},
				},
				Objectives: []string{"obj-climate", "obj-literacy"},
			},
			{
				ID: "goal-advisory", Title: uncitedGoal,
				Owner: "Guidance Director", Timeline: "2017-18",
				Actions: []domain.Action{
					{Text: "Pilot a weekly advisory block", Owner: "Guidance Director", Timeline: "Spring 2018"},
				},
				Measures: []domain.Measure{
					{Description: "Students with an assigned advisor", Target: "100%"},
				},
			},
		},
	}
}

// manyGoals appends n generated goals to p so the goals table spans pages.
func manyGoals(p domain.Plan, n int) domain.Plan {
	for i := range n {
		p.Goals = append(p.Goals, domain.Goal{
			ID:        fmt.Sprintf("goal-gen-%02d", i+1),
			Title:     fmt.Sprintf("Generated goal %02d for grades 9–12", i+1),
			Statement: "Improve the percentage of students meeting expectations on the common assessment by the end of the school year.",
			Owner:     "Department Head", Timeline: "2017-18",
			Actions: []domain.Action{
				{Text: "Review common assessment results in department meetings", Owner: "Department Head", Timeline: "Quarterly"},
			},
			Measures: []domain.Measure{
				{Description: "Students meeting expectations", Baseline: "60%", Target: "65%"},
			},
			Objectives: []string{"obj-literacy"},
		})
	}
	return p
}

// sipDocument wraps an SIP with its DIP, level and as-of facts.
func sipDocument(p domain.Plan) pdf.Document {
	dip := dipPlan()
	return pdf.Document{
		Plan: p, OrgName: schoolName, DistrictName: districtName,
		Level: &domain.LevelEntry{
			LevelChanged: domain.LevelChanged{
				OrgCode: schoolCode, Level: 2,
				Reason:        "Not meeting gap narrowing goals",
				Source:        "DESE 2017 accountability report",
				DatePrecision: "day",
			},
			EffectiveAt: time.Date(2017, 9, 29, 0, 0, 0, 0, time.UTC),
			RecordedAt:  time.Date(2017, 10, 2, 14, 0, 0, 0, time.UTC),
			Sequence:    7,
		},
		DistrictPlan: &dip,
		AsOf:         asOf, AsOfBasis: "effective",
		LastSequence: 42, LastRecordedAt: recordedAt,
		Producer: producer,
	}
}

// dipDocument wraps the DIP with no level on record.
func dipDocument() pdf.Document {
	return pdf.Document{
		Plan: dipPlan(), OrgName: districtName, DistrictName: districtName,
		AsOf: asOf, AsOfBasis: "recorded",
		LastSequence: 19, LastRecordedAt: recordedAt,
		Producer: producer,
	}
}
