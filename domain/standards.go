package domain

// Standard is one of the six district standards of 603 CMR 2.03(4)(a), the
// areas that reviews, improvement planning and assistance are judged on.
type Standard struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// DistrictStandards lists the six standards in the regulation's order.
var DistrictStandards = []Standard{
	{"leadership_governance", "Leadership and governance"},
	{"curriculum_instruction", "Curriculum and instruction"},
	{"assessment", "Assessment"},
	{"human_resources_pd", "Human resources and professional development"},
	{"student_support", "Student support"},
	{"financial_asset_management", "Financial and asset management"},
}

// StandardName returns the name of a standard key, or "" when the key is unknown.
func StandardName(key string) string {
	for _, s := range DistrictStandards {
		if s.Key == key {
			return s.Name
		}
	}
	return ""
}

// SectionSpec is one narrative section of a plan, in print order.
type SectionSpec struct {
	Key     string `json:"key"`
	Heading string `json:"heading"`
}

// DIPSections follow DESE's Planning for Success district plan: mission,
// vision and core values, then data analysis and theory of action. The
// objectives, initiatives and outcomes tables print after these.
var DIPSections = []SectionSpec{
	{"mission", "Mission"},
	{"vision", "Vision"},
	{"core_values", "Core values"},
	{"data_analysis", "Data analysis: student achievement and gaps between student groups"},
	{"theory_of_action", "Theory of action"},
	{"professional_development", "Professional development, induction and mentoring"},
	{"evaluation_process", "Benchmarks and process for evaluating initiatives"},
}

// SIPSections follow the subjects a school improvement plan must address
// under M.G.L. c.71 s.59C as DESE summarizes them, after the school's needs
// assessment. The goals table prints after these.
var SIPSections = []SectionSpec{
	{"school_council", "School council"},
	{"needs_assessment", "Assessment of school needs"},
	{"class_size", "Impact of class size and student-to-teacher ratios"},
	{"support_staff_ratio", "Ratio of students to other supportive adults"},
	{"class_size_reduction", "Plan for reducing class size"},
	{"professional_development", "Professional development and its funding"},
	{"parental_involvement", "Parental involvement"},
	{"safety_discipline", "School safety and discipline"},
	{"tolerance_respect", "Tolerance and respect for all groups"},
	{"extracurricular", "Extra-curricular activities"},
	{"diverse_learning_needs", "Meeting diverse learning needs, including students with disabilities"},
	{"other", "Other subjects chosen by the principal and council"},
}

// SectionsFor returns the section catalog of a plan kind.
func SectionsFor(kind PlanKind) []SectionSpec {
	if kind == PlanDIP {
		return DIPSections
	}
	return SIPSections
}
