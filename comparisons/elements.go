package comparisons

// Keys of the data elements. They are stored in plan events, so a key must
// never change meaning: retire a key and add a new one instead.
const (
	KeyEnrollment           = "enrollment"
	KeyGradeSpan            = "grade_span"
	KeyEconDisadvantagedPct = "econ_disadvantaged_pct"
	KeyLowIncomePct         = "low_income_pct"
	KeyELPct                = "el_pct"
	KeySWDPct               = "swd_pct"
	KeyAttendanceRate       = "attendance_rate"
	KeyAverageAbsences      = "average_absences"
	KeyChronicAbsencePct    = "chronic_absence_pct"
	KeyAverageClassSize     = "average_class_size"
	KeyGradRate4Year        = "grad_rate_4yr"
	KeyOutOfSchoolSuspPct   = "out_of_school_suspension_pct"
	KeyInSchoolSuspPct      = "in_school_suspension_pct"
	KeyMCAS38ELAMEPct       = "mcas_g38_ela_me_pct"
	KeyMCAS38MathMEPct      = "mcas_g38_math_me_pct"
	KeyMCAS38ELASGP         = "mcas_g38_ela_sgp"
	KeyMCAS38MathSGP        = "mcas_g38_math_sgp"
	KeyMCAS10ELAMEPct       = "mcas_g10_ela_me_pct"
	KeyMCAS10MathMEPct      = "mcas_g10_math_me_pct"
	KeyMCAS10ELASGP         = "mcas_g10_ela_sgp"
	KeyMCAS10MathSGP        = "mcas_g10_math_sgp"
)

// Units of element values.
const (
	UnitStudents   = "students"
	UnitPercent    = "percent"
	UnitDays       = "days"
	UnitPercentile = "percentile"
	UnitGrades     = "grades"
)

// Element describes one data element: what it measures, in which unit,
// where its values come from and how a district value is built when the
// sources give none. Years is filled in by the dataset.
type Element struct {
	Key         string `json:"key"`
	Label       string `json:"label"`
	Unit        string `json:"unit"`
	Description string `json:"description"`
	Source      string `json:"source"`
	// DistrictRule says how a district's value is aggregated from its
	// schools where no district figure is in the data.
	DistrictRule string `json:"district_rule"`
	// Decimals is the number of decimals values are reported with, and the
	// precision aggregated values are rounded to.
	Decimals int `json:"decimals"`
	// Text marks an element whose values are text (the grade span), which
	// has no median.
	Text  bool  `json:"text,omitempty"`
	Years []int `json:"years"`
}

// Source descriptions shared by several elements. The files are those under
// data/ma in the repository; data/ma/SOURCES.md gives their origin.
const (
	sourceEnrollment  = "DESE Enrollment by Grade (data/ma/enrollments.csv)"
	sourceClassSize   = "DESE Class Size by Gender and Selected Populations (data/ma/dese/3A_1_average_class_size.csv)"
	sourceAttendance  = "DESE Student Attendance (data/ma/dese/2C_1_attendance.csv)"
	sourceGraduation  = "DESE Four-Year Graduation Rates (data/ma/dese/4B_2_four_year_grad.csv)"
	sourceDiscipline  = "DESE Student Discipline (data/ma/dese/2A_1_students_suspended.csv)"
	sourceMCAS38      = "DESE Next-Generation MCAS Achievement Results, grades 3-8, all students (data/ma/mcas/)"
	sourceMCAS10      = "DESE Next-Generation MCAS Achievement Results, grade 10, all students (data/ma/mcas/)"
	ruleStudentsShare = "Schools' percentages weighted by the students counted in the class size report"
	ruleEnrollment    = "Schools' values weighted by their enrollment"
	ruleMCASShare     = "Students meeting or exceeding over students tested, summed over the district's schools"
	ruleMCASGrowth    = "Schools' mean growth percentiles weighted by the students with a growth score"
)

// catalog lists every element in the order the API lists them.
var catalog = []Element{
	{Key: KeyEnrollment, Label: "Enrollment", Unit: UnitStudents, Source: sourceEnrollment,
		Description:  "Students enrolled on October 1, all grades and special education beyond grade 12.",
		DistrictRule: "Sum of the district's schools"},
	{Key: KeyGradeSpan, Label: "Grade span", Unit: UnitGrades, Source: sourceEnrollment, Text: true,
		Description:  "Lowest to highest grade with enrolled students.",
		DistrictRule: "Lowest to highest grade of any of the district's schools"},
	{Key: KeyEconDisadvantagedPct, Label: "Economically disadvantaged", Unit: UnitPercent, Decimals: 1, Source: sourceClassSize,
		Description: "Share of the students counted in the class size report who are economically disadvantaged, " +
			"DESE's income measure from 2014-15 to 2020-21. Not comparable with low_income_pct.",
		DistrictRule: ruleStudentsShare},
	{Key: KeyLowIncomePct, Label: "Low income", Unit: UnitPercent, Decimals: 1, Source: sourceClassSize,
		Description: "Share of students who are low income, DESE's income measure from 2021-22 on. School values are the " +
			"class size report's share of counted students; district values for 2021-22 and 2024-25 are DESE's district " +
			"selected populations report. Not comparable with econ_disadvantaged_pct.",
		DistrictRule: ruleStudentsShare},
	{Key: KeyELPct, Label: "English learners", Unit: UnitPercent, Decimals: 1, Source: sourceClassSize,
		Description: "Share of students who are English learners. School values are the class size report's share of " +
			"counted students; district values for 2021-22 and 2024-25 are DESE's district selected populations report.",
		DistrictRule: ruleStudentsShare},
	{Key: KeySWDPct, Label: "Students with disabilities", Unit: UnitPercent, Decimals: 1, Source: sourceClassSize,
		Description: "Share of students with disabilities. School values are the class size report's share of counted " +
			"students; district values for 2021-22 and 2024-25 are DESE's district selected populations report.",
		DistrictRule: ruleStudentsShare},
	{Key: KeyAttendanceRate, Label: "Attendance rate", Unit: UnitPercent, Decimals: 1, Source: sourceAttendance,
		Description: "Average share of enrolled days that students attended.", DistrictRule: ruleEnrollment},
	{Key: KeyAverageAbsences, Label: "Average absences", Unit: UnitDays, Decimals: 1, Source: sourceAttendance,
		Description: "Average number of days a student was absent.", DistrictRule: ruleEnrollment},
	{Key: KeyChronicAbsencePct, Label: "Chronically absent", Unit: UnitPercent, Decimals: 1, Source: sourceAttendance,
		Description: "Share of students absent 10% or more of their days in membership.", DistrictRule: ruleEnrollment},
	{Key: KeyAverageClassSize, Label: "Average class size", Unit: UnitStudents, Decimals: 1, Source: sourceClassSize,
		Description:  "Average number of students per class.",
		DistrictRule: "Schools' averages weighted by their number of classes"},
	{Key: KeyGradRate4Year, Label: "Four-year graduation rate", Unit: UnitPercent, Decimals: 1, Source: sourceGraduation,
		Description:  "Share of the cohort that graduated within four years; the year is the cohort's graduation year.",
		DistrictRule: "Schools' rates weighted by their cohort size"},
	{Key: KeyOutOfSchoolSuspPct, Label: "Out-of-school suspension", Unit: UnitPercent, Decimals: 1, Source: sourceDiscipline,
		Description: "Share of students with at least one out-of-school suspension. DESE leaves the rate blank for " +
			"a school with very few disciplined students, so those schools have no value.",
		DistrictRule: "Schools' rates weighted by their student count, over schools with a value"},
	{Key: KeyInSchoolSuspPct, Label: "In-school suspension", Unit: UnitPercent, Decimals: 1, Source: sourceDiscipline,
		Description: "Share of students with at least one in-school suspension. DESE leaves the rate blank for " +
			"a school with very few disciplined students, so those schools have no value.",
		DistrictRule: "Schools' rates weighted by their student count, over schools with a value"},
	{Key: KeyMCAS38ELAMEPct, Label: "MCAS ELA, grades 3-8: meeting or exceeding", Unit: UnitPercent, Source: sourceMCAS38,
		Description:  "Share of students in grades 3 to 8 tested in English language arts who met or exceeded expectations.",
		DistrictRule: ruleMCASShare},
	{Key: KeyMCAS38MathMEPct, Label: "MCAS math, grades 3-8: meeting or exceeding", Unit: UnitPercent, Source: sourceMCAS38,
		Description:  "Share of students in grades 3 to 8 tested in mathematics who met or exceeded expectations.",
		DistrictRule: ruleMCASShare},
	{Key: KeyMCAS38ELASGP, Label: "MCAS ELA, grades 3-8: mean growth percentile", Unit: UnitPercentile, Decimals: 1, Source: sourceMCAS38,
		Description: "Mean student growth percentile in English language arts, grades 3 to 8; blank where fewer " +
			"than 20 students have growth scores.",
		DistrictRule: ruleMCASGrowth},
	{Key: KeyMCAS38MathSGP, Label: "MCAS math, grades 3-8: mean growth percentile", Unit: UnitPercentile, Decimals: 1, Source: sourceMCAS38,
		Description: "Mean student growth percentile in mathematics, grades 3 to 8; blank where fewer than 20 " +
			"students have growth scores.",
		DistrictRule: ruleMCASGrowth},
	{Key: KeyMCAS10ELAMEPct, Label: "MCAS ELA, grade 10: meeting or exceeding", Unit: UnitPercent, Source: sourceMCAS10,
		Description:  "Share of grade 10 students tested in English language arts who met or exceeded expectations.",
		DistrictRule: ruleMCASShare},
	{Key: KeyMCAS10MathMEPct, Label: "MCAS math, grade 10: meeting or exceeding", Unit: UnitPercent, Source: sourceMCAS10,
		Description:  "Share of grade 10 students tested in mathematics who met or exceeded expectations.",
		DistrictRule: ruleMCASShare},
	{Key: KeyMCAS10ELASGP, Label: "MCAS ELA, grade 10: mean growth percentile", Unit: UnitPercentile, Decimals: 1, Source: sourceMCAS10,
		Description:  "Mean student growth percentile in English language arts, grade 10.",
		DistrictRule: ruleMCASGrowth},
	{Key: KeyMCAS10MathSGP, Label: "MCAS math, grade 10: mean growth percentile", Unit: UnitPercentile, Decimals: 1, Source: sourceMCAS10,
		Description:  "Mean student growth percentile in mathematics, grade 10.",
		DistrictRule: ruleMCASGrowth},
}

// incomeKey returns the element that measures income in a school year:
// economically disadvantaged through 2020-21, low income from 2021-22.
func incomeKey(year int) string {
	if year >= 2022 {
		return KeyLowIncomePct
	}
	return KeyEconDisadvantagedPct
}
