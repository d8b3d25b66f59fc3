package domain

import "testing"

func TestAuthorizeScopes(t *testing.T) {
	district := Org{Code: "02040000", Type: OrgDistrict, DistrictCode: "02040000"}
	high := Org{Code: "02040505", Type: OrgSchool, DistrictCode: "02040000"}
	nock := Org{Code: "02040305", Type: OrgSchool, DistrictCode: "02040000"}
	holyoke := Org{Code: "01370025", Type: OrgSchool, DistrictCode: "01370000"}

	cases := []struct {
		name   string
		who    Principal
		perm   Permission
		target Org
		want   string // "" for allowed, else the error code
	}{
		{"school editor own school", Principal{"p", RoleSchoolEditor, "02040505"}, PermEditPlan, high, ""},
		{"school editor other school", Principal{"p", RoleSchoolEditor, "02040505"}, PermEditPlan, nock, EForbidden},
		{"school editor district plan", Principal{"p", RoleSchoolEditor, "02040505"}, PermEditPlan, district, EForbidden},
		{"district editor DIP", Principal{"d", RoleDistrictEditor, "02040000"}, PermEditPlan, district, ""},
		{"district editor school SIP", Principal{"d", RoleDistrictEditor, "02040000"}, PermEditPlan, high, EForbidden},
		{"district editor other district", Principal{"d", RoleDistrictEditor, "02040000"}, PermSelfEvaluate, Org{Code: "01370000", Type: OrgDistrict, DistrictCode: "01370000"}, EForbidden},
		{"approver own school", Principal{"s", RoleApprover, "02040000"}, PermApprovePlan, high, ""},
		{"approver other district", Principal{"s", RoleApprover, "02040000"}, PermApprovePlan, holyoke, EForbidden},
		{"council member submits", Principal{"c", RoleCouncilMember, "02040505"}, PermSubmitPlan, high, EForbidden},
		{"council member consults", Principal{"c", RoleCouncilMember, "02040505"}, PermCouncilReview, high, ""},
		{"auditor writes", Principal{"a", RoleAuditor, ""}, PermEditPlan, high, EForbidden},
		{"department level", Principal{"x", RoleDepartment, ""}, PermChangeLevel, holyoke, ""},
		{"department edits plan", Principal{"x", RoleDepartment, ""}, PermEditPlan, high, EForbidden},
		{"no subject", Principal{"", RoleDepartment, ""}, PermChangeLevel, holyoke, EUnauthenticated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Authorize(c.who, c.perm, c.target)
			if c.want == "" {
				if err != nil {
					t.Fatalf("Authorize = %v, want allowed", err)
				}
				return
			}
			if got := ErrorCode(err); got != c.want {
				t.Fatalf("Authorize error code = %q (%v), want %q", got, err, c.want)
			}
		})
	}
}

func TestAuthorizeEveryPermissionHasRule(t *testing.T) {
	perms := []Permission{PermRegisterOrg, PermChangeLevel, PermEditPlan, PermSubmitPlan, PermCouncilReview,
		PermApprovePlan, PermRecordProgress, PermSelfEvaluate, PermReview, PermAssist, PermAnswerSurvey}
	who := Principal{"x", RoleDepartment, ""}
	target := Org{Code: "02040000", Type: OrgDistrict, DistrictCode: "02040000"}
	for _, p := range perms {
		if err := Authorize(who, p, target); ErrorCode(err) == EInternal && err != nil {
			t.Errorf("permission %s has no role rule: %v", p, err)
		}
	}
}

// RolesAllowedOn lists a role for a permission and org type exactly when
// Authorize lets a principal of that role, acting for the org, use it.
func TestRolesAllowedOnMatchesAuthorize(t *testing.T) {
	targets := []Org{
		{Code: "02040000", Type: OrgDistrict, DistrictCode: "02040000"},
		{Code: "02040505", Type: OrgSchool, DistrictCode: "02040000"},
	}
	orgFor := map[OrgScope]map[OrgType]string{
		ScopeAll:      {OrgDistrict: "", OrgSchool: ""},
		ScopeDistrict: {OrgDistrict: "02040000", OrgSchool: "02040000"},
		ScopeSchool:   {OrgSchool: "02040505"}, // no school role acts for a district
	}
	for _, perm := range append(Permissions, PermCommentReview) {
		for _, target := range targets {
			listed := map[Role]bool{}
			for _, r := range RolesAllowedOn(perm, target.Type) {
				listed[r] = true
			}
			for _, role := range Roles {
				org, covered := orgFor[ScopeOf(role)][target.Type]
				if !covered {
					continue
				}
				err := Authorize(Principal{Subject: "s", Role: role, OrgCode: org}, perm, target)
				if (err == nil) != listed[role] {
					t.Errorf("%s on a %s: RolesAllowedOn lists %s = %v, but Authorize returns %v", perm, target.Type, role, listed[role], err)
				}
			}
		}
	}
}

func TestNextActionRolesSIPSubmit(t *testing.T) {
	p := &Plan{ID: "p", Kind: PlanSIP, Status: StatusCouncilConsulted}
	found := false
	for _, info := range NextActionInfo(p) {
		if info.Action != ActionSubmit {
			continue
		}
		found = true
		if len(info.Roles) != 1 || info.Roles[0] != RoleSchoolEditor {
			t.Errorf("SIP submit roles = %v, want school_editor only", info.Roles)
		}
	}
	if !found {
		t.Errorf("next actions of a consulted SIP = %v, want submit among them", NextActions(p))
	}
}
