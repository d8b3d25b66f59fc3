package importer_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/planledger/planledger/comparisons"
	"github.com/planledger/planledger/importer"
)

// Real rows for Newburyport High (02040505) and Nock Middle (02040305),
// copied from the bundled files, so the loader is checked on a small set
// of files with the bundled layout.
var smallDataset = map[string]string{
	"ma/enrollments.csv": "Raw likert calculation,Likert Score,Admin Data Item,Academic Year,School Name,School Code,PK,K,1,2,3,4,5,6,7,8,9,10,11,12,SP,Total\n" +
		`NA,NA,"",2019-20,Newburyport - Newburyport High,02040505,0,0,0,0,0,0,0,0,0,0,216,182,211,185,3,797` + "\n" +
		`NA,NA,"",2018-19,Newburyport - Newburyport High,02040505,0,0,0,0,0,0,0,0,0,0,178,210,182,184,5,759` + "\n" +
		`NA,NA,"",2018-19,Newburyport - Rupert A Nock Middle,02040305,0,0,0,0,0,0,0,158,200,189,0,0,0,0,0,547` + "\n",
	"ma/dese/3A_1_average_class_size.csv": "Raw likert calculation,Likert Score,Admin Data Item,Academic Year,School Name,DESE ID,Total # of Classes,Average Class Size,Number of Students,Female %,Male %,English Language Learner %,Students with Disabilities %,Economically Disadvantaged %\n" +
		"4.72,4.72,a-reso-i1,2019-20,Newburyport - Newburyport High,02040505,     628,  16.4,        786,  52.9,  47.0,   9.4,   1.8,10.4\n" +
		"4.84,4.84,a-reso-i1,2018-19,Newburyport - Newburyport High,02040505,     634,  15.8,        755,  52.5,  47.4,   1.3,   9.4,8.2\n" +
		"4.12,4.12,a-reso-i1,2018-19,Newburyport - Rupert A Nock Middle,02040305,     312,  19.4,        551,  49.2,  50.8,   1.8,  17.6,8.4\n",
	"ma/dese/2C_1_attendance.csv": "Raw likert calculation,Likert Score,Admin Data Item,Academic Year,School Name,DESE ID,Attendance Rate,Average # of Absences,Absent 10 or more days,Chronically Absent (10% or more),Chronically Absent (20% or more),Unexcused > 9 days\n" +
		"4.48,4.48,a-vale-i1,2019-20,Newburyport-Newburyport High,02040505,  95.5,   4.8,  11.5,   8.8,   0.0\n" +
		"4.24,4.24,a-vale-i2,2019-20,Newburyport-Newburyport High,02040505,  95.5,   4.8,  11.5,   8.8,   0.0\n",
	"ma/dese/4B_2_four_year_grad.csv": "Raw likert calculation,Likert Score,Admin Data Item,Academic Year,School Name,DESE ID,# in Cohort,% Graduated,% Still in School,% Non-Grad Completers,% H.S. Equiv.,% Dropped Out,% Permanently Excluded\n" +
		"4.78,4.78,a-degr-i1,2019-20,Newburyport - Newburyport High,02040505,       183,    95.6,     3.3,     0.0,     0.5,     0.5,     0.0\n",
	"ma/dese/2A_1_students_suspended.csv": "Raw likert calculation,Likert Score,Admin Data Item,Academic Year,School Name,DESE ID,Students,Students Disciplined,% In-School Suspension,% Out-of-School Suspension,% Expulsion,% Removed to Alternate Setting,% Emergency Removal,% Students with a School-Based Arrest,% Students with a Law Enforcement Referral\n" +
		`NA,NA,a-phys-i1,2018-19,Newburyport - Newburyport High,02040505,     769,       1,"","","","","","",""` + "\n" +
		"6.10,5,a-phys-i1,2018-19,Newburyport - Rupert A Nock Middle,02040305,     554,      18,   0.9,   2.5,   0.0,   0.0,   0.0,   0.0\n",
	// The 2017 and 2018 files drop the codes' leading zeros; this row does
	// the same to check the padding.
	"ma/mcas/mcas_public_schools_grades_3-8_all_students_2019.csv": "school_name,school_code,subject,me_num,me_percent,e_num,e_percent,m_num,m_percent,pm_num,pm_percent,nm_num,nm_percent,num_of_students_included,part_rate_percent,avg_scaled_score,sgp,included_in_sgp,ach_pctl,year\n" +
		"Newburyport - Rupert A Nock Middle,2040305,ELA,         310,58,          43,8,         267,50,         196,36,          33,6,         539,,     502.9,          48.5,         524,52,2019\n" +
		"Newburyport - Rupert A Nock Middle,02040305,SCI,         115,61,          20,11,          95,51,          64,34,           8,4,         187,,     505.6,,,71,2019\n" +
		"State,0,ELA,1,50,0,0,1,50,1,50,0,0,2,,500,50,2,50,2019\n",
	"ma/mcas/mcas_public_schools_grade_10_all_students_2019.csv": "school_name,school_code,subject,me_num,me_percent,e_num,e_percent,m_num,m_percent,pm_num,pm_percent,nm_num,nm_percent,num_of_students_included,avg_scaled_score,sgp,included_in_sgp,ach_pctl,year,grade,student_group\n" +
		"Newburyport - Newburyport High,02040505,MATH,         170,83,          37,18,         133,65,          30,15,           6,3,         206,     516.0,          54.3,         187,84,2019,10,ALL\n",
	"ma/district/selectedpopulations_2022.csv": "District Name,District Code,First Language Not English #,First Language Not English %,English Language Learner #,English Language Learner %,Students With Disabilities #,Students With Disabilities %,Low Income #,Low Income %,Free Lunch #,Free Lunch %,Reduced Lunch #,Reduced Lunch %,High Needs #,High Needs #,Economically Disadvantaged #,Economically Disadvantaged %\n" +
		"Newburyport,02040000,138,6.4,51,2.4,452,20.7,286,13.3,,,,,664,30.4,,\n",
	"ma/district/selectedpopulations_2025.csv": "2024-25 Enrollment by Selected Population (District) ,,,,,,,,,,,,,\n" +
		"District Name,District Code,High Needs#,High Needs%,English Learners#,English Learners%,First Language Not English#,First Language Not English%,Low Income#,Low Income%,Students with Disabilities#,Students with Disabilities%,Students with Disabilities#,Students with Disabilities%\n" +
		"Newburyport,02040000,     656,  30.8,      62,   2.9,     148,   7.0,     273,  13.0, , ,     444,  20.9\n",
}

func smallFS(changes map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, body := range smallDataset {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	for name, body := range changes {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return fsys
}

func value(t *testing.T, ds *comparisons.Dataset, code, key string, year int) float64 {
	t.Helper()
	f, ok := ds.Figure(code, key, year)
	if !ok || f.Value == nil {
		t.Fatalf("no %s for %s in %d", key, code, year)
	}
	return *f.Value
}

func TestLoadDatasetSmallFiles(t *testing.T) {
	ds, err := importer.LoadDataset(smallFS(nil))
	if err != nil {
		t.Fatalf("LoadDataset: %v", err)
	}
	checks := []struct {
		code, key string
		year      int
		want      float64
	}{
		// 2018-19 columns are as labelled.
		{"02040505", comparisons.KeyELPct, 2019, 1.3},
		{"02040505", comparisons.KeySWDPct, 2019, 9.4},
		{"02040505", comparisons.KeyEconDisadvantagedPct, 2019, 8.2},
		// 2019-20 columns are rotated in the file and read back in place.
		{"02040505", comparisons.KeyELPct, 2020, 1.8},
		{"02040505", comparisons.KeySWDPct, 2020, 10.4},
		{"02040505", comparisons.KeyEconDisadvantagedPct, 2020, 9.4},
		{"02040505", comparisons.KeyAttendanceRate, 2020, 95.5},
		{"02040505", comparisons.KeyChronicAbsencePct, 2020, 8.8},
		{"02040505", comparisons.KeyGradRate4Year, 2020, 95.6},
		{"02040305", comparisons.KeyMCAS38ELAMEPct, 2019, 58},
		{"02040305", comparisons.KeyMCAS38ELASGP, 2019, 48.5},
		{"02040505", comparisons.KeyMCAS10MathMEPct, 2019, 83},
		{"02040305", comparisons.KeyOutOfSchoolSuspPct, 2019, 2.5},
		// District values from its schools: the EL share weighted by the
		// students counted (755 and 551), the enrollment summed.
		{"02040000", comparisons.KeyELPct, 2019, 1.5},
		{"02040000", comparisons.KeyEnrollment, 2019, 759 + 547},
		// 310 of 539 Nock students: the district share comes from counts.
		{"02040000", comparisons.KeyMCAS38ELAMEPct, 2019, 58},
	}
	for _, c := range checks {
		if got := value(t, ds, c.code, c.key, c.year); got != c.want {
			t.Errorf("%s %s %d = %v, want %v", c.code, c.key, c.year, got, c.want)
		}
	}
	// Newburyport High's suspension rates are blank in 2018-19.
	if f, ok := ds.Figure("02040505", comparisons.KeyOutOfSchoolSuspPct, 2019); ok {
		t.Errorf("blank suspension rate read as %+v", f)
	}
	// The district report's years have no enrollment rows here, so their
	// values are left out rather than creating a district year.
	if _, ok := ds.Figure("02040000", comparisons.KeyELPct, 2025); ok {
		t.Error("a district value for a year without enrollment rows was kept")
	}
	district, _ := ds.Figure("02040000", comparisons.KeyELPct, 2019)
	if !district.Aggregated || district.AggregatedFrom != "2 of 2 schools" {
		t.Errorf("district EL share = %+v, want aggregated from 2 of 2 schools", district)
	}
}

func TestLoadDatasetRejectsDifferingRepeat(t *testing.T) {
	attendance := smallDataset["ma/dese/2C_1_attendance.csv"]
	attendance = strings.Replace(attendance, "a-vale-i2,2019-20,Newburyport-Newburyport High,02040505,  95.5",
		"a-vale-i2,2019-20,Newburyport-Newburyport High,02040505,  94.5", 1)
	_, err := importer.LoadDataset(smallFS(map[string]string{"ma/dese/2C_1_attendance.csv": attendance}))
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "different figures") {
		t.Errorf("error = %v, want one naming line 3 and its different figures", err)
	}
}

func TestLoadDatasetRejectsBadNumber(t *testing.T) {
	grad := strings.Replace(smallDataset["ma/dese/4B_2_four_year_grad.csv"], "95.6", "95.6 percent", 1)
	_, err := importer.LoadDataset(smallFS(map[string]string{"ma/dese/4B_2_four_year_grad.csv": grad}))
	if err == nil || !strings.Contains(err.Error(), "% Graduated") || !strings.Contains(err.Error(), "invalid number") {
		t.Errorf("error = %v, want an invalid number in %% Graduated", err)
	}
}

// A store that imported the DIP before it had an analysis gets the
// analysis on the next import, through the resume path.
func TestRunAddsAnalysisToImportedDIP(t *testing.T) {
	ctx := context.Background()
	plans := bundledPlans(t)
	if len(plans[0].Analyses) != bundledAnalyses {
		t.Fatalf("the bundled DIP has %d analyses, want %d", len(plans[0].Analyses), bundledAnalyses)
	}
	plans[0].Analyses = nil
	older, err := json.Marshal(importer.PlanFile{Plans: plans})
	if err != nil {
		t.Fatal(err)
	}
	store := newMemStore()
	_, err = importer.Run(ctx, store, store.state, importer.Sources{Enrollments: strings.NewReader(newburyportCSV),
		Plans: strings.NewReader(string(older))}, nil)
	if err != nil {
		t.Fatalf("import without analyses: %v", err)
	}
	if err := store.state.WaitFor(ctx, store.last()); err != nil {
		t.Fatal(err)
	}

	sum, err := importer.Run(ctx, store, store.state, importer.Sources{Plans: openBundled(t, bundledPlansPath)}, nil)
	if err != nil {
		t.Fatalf("re-import: %v", err)
	}
	if sum.PlansResumed != 1 || sum.AnalysesRecorded != bundledAnalyses || sum.PlansSkipped != bundledPlanCount-1 {
		t.Errorf("re-import summary = %+v, want the DIP resumed with its analysis and the SIPs skipped", sum)
	}
	dip, _ := store.state.Plan(plans[0].ID)
	if len(dip.Analyses) != 1 || len(dip.Analyses[0].Comparison.Peers) != 10 {
		t.Errorf("DIP analyses after re-import = %+v, want one with ten peers", dip.Analyses)
	}
}
