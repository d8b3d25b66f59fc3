package domain_test

import (
	"strings"
	"testing"

	"github.com/planledger/planledger/domain"
)

var (
	district      = domain.Org{Code: districtCode, Type: domain.OrgDistrict, DistrictCode: districtCode}
	school        = domain.Org{Code: schoolCode, Type: domain.OrgSchool, DistrictCode: districtCode}
	siblingSchool = domain.Org{Code: "02040005", Type: domain.OrgSchool, DistrictCode: districtCode}
	otherDistrict = domain.Org{Code: otherDistrictCode, Type: domain.OrgDistrict, DistrictCode: otherDistrictCode}
	otherSchool   = domain.Org{Code: otherSchoolCode, Type: domain.OrgSchool, DistrictCode: otherDistrictCode}
)

func TestAuthorizeRolesAndScopes(t *testing.T) {
	schoolEditor := domain.Principal{Subject: "principal", Role: domain.RoleSchoolEditor, OrgCode: schoolCode}
	council := domain.Principal{Subject: "council", Role: domain.RoleCouncilMember, OrgCode: schoolCode}
	districtEditor := domain.Principal{Subject: "curriculum", Role: domain.RoleDistrictEditor, OrgCode: districtCode}
	approver := domain.Principal{Subject: "superintendent", Role: domain.RoleApprover, OrgCode: districtCode}
	auditor := domain.Principal{Subject: "auditor", Role: domain.RoleAuditor}
	department := domain.Principal{Subject: "dese", Role: domain.RoleDepartment}

	cases := []struct {
		name   string
		p      domain.Principal
		perm   domain.Permission
		target domain.Org
		want   string // error code, or "" when allowed
	}{
		{"school editor edits its SIP", schoolEditor, domain.PermEditPlan, school, ""},
		{"school editor submits its SIP", schoolEditor, domain.PermSubmitPlan, school, ""},
		{"school editor edits a sibling's SIP", schoolEditor, domain.PermEditPlan, siblingSchool, domain.EForbidden},
		{"school editor edits the DIP", schoolEditor, domain.PermEditPlan, district, domain.EForbidden},
		{"school editor changes a level", schoolEditor, domain.PermChangeLevel, school, domain.EForbidden},
		{"council member reviews its SIP", council, domain.PermCouncilReview, school, ""},
		{"council member edits its SIP", council, domain.PermEditPlan, school, domain.EForbidden},
		{"district editor edits the DIP", districtEditor, domain.PermEditPlan, district, ""},
		{"district editor edits a school's SIP", districtEditor, domain.PermEditPlan, school, domain.EForbidden},
		{"district editor submits a school's SIP", districtEditor, domain.PermSubmitPlan, school, domain.EForbidden},
		{"district editor records a school's progress", districtEditor, domain.PermRecordProgress, school, ""},
		{"district editor edits another DIP", districtEditor, domain.PermEditPlan, otherDistrict, domain.EForbidden},
		{"district editor self-evaluates", districtEditor, domain.PermSelfEvaluate, district, ""},
		{"approver approves a school's SIP", approver, domain.PermApprovePlan, school, ""},
		{"approver adopts the DIP", approver, domain.PermApprovePlan, district, ""},
		{"approver approves another district's SIP", approver, domain.PermApprovePlan, otherSchool, domain.EForbidden},
		{"approver edits the DIP", approver, domain.PermEditPlan, district, domain.EForbidden},
		{"auditor edits a plan", auditor, domain.PermEditPlan, school, domain.EForbidden},
		{"auditor changes a level", auditor, domain.PermChangeLevel, school, domain.EForbidden},
		{"department changes any level", department, domain.PermChangeLevel, otherSchool, ""},
		{"department registers an org", department, domain.PermRegisterOrg, otherDistrict, ""},
		{"department edits a plan", department, domain.PermEditPlan, school, domain.EForbidden},
		{"nobody signed in", domain.Principal{}, domain.PermEditPlan, school, domain.EUnauthenticated},
		{"school role with a district code", domain.Principal{Subject: "x", Role: domain.RoleSchoolEditor, OrgCode: districtCode},
			domain.PermEditPlan, district, domain.EUnauthenticated},
		{"unknown role", domain.Principal{Subject: "x", Role: "principal", OrgCode: schoolCode},
			domain.PermEditPlan, school, domain.EUnauthenticated},
		{"unknown permission", department, "rename_org", school, domain.EInternal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := domain.Authorize(c.p, c.perm, c.target)
			if c.want == "" {
				if err != nil {
					t.Fatalf("Authorize: %v, want allowed", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Authorize allowed it, want %s", c.want)
			}
			if got := domain.ErrorCode(err); got != c.want {
				t.Errorf("code %s, want %s (%v)", got, c.want, err)
			}
		})
	}
}

func TestAuthorizeForbiddenNamesRoles(t *testing.T) {
	err := domain.Authorize(domain.Principal{Subject: "a", Role: domain.RoleAuditor}, domain.PermEditPlan, school)
	if err == nil || !strings.Contains(err.Error(), "roles that may: district_editor, school_editor") {
		t.Errorf("error %v does not name the roles that may edit plans", err)
	}
}

func TestPrincipalValidate(t *testing.T) {
	cases := []struct {
		name  string
		p     domain.Principal
		field string // "" when valid
	}{
		{"school editor", domain.Principal{Subject: "a", Role: domain.RoleSchoolEditor, OrgCode: schoolCode}, ""},
		{"approver", domain.Principal{Subject: "a", Role: domain.RoleApprover, OrgCode: districtCode}, ""},
		{"department", domain.Principal{Subject: "a", Role: domain.RoleDepartment}, ""},
		{"blank sub", domain.Principal{Subject: "  ", Role: domain.RoleDepartment}, "sub"},
		{"long sub", domain.Principal{Subject: strings.Repeat("a", domain.MaxSubjectLength+1), Role: domain.RoleDepartment}, "sub"},
		{"control character in sub", domain.Principal{Subject: "a\nforged log line", Role: domain.RoleDepartment}, "sub"},
		{"unknown role", domain.Principal{Subject: "a", Role: "admin"}, "role"},
		{"school role without org", domain.Principal{Subject: "a", Role: domain.RoleCouncilMember}, "org"},
		{"school role with district code", domain.Principal{Subject: "a", Role: domain.RoleCouncilMember, OrgCode: districtCode}, "org"},
		{"district role with school code", domain.Principal{Subject: "a", Role: domain.RoleApprover, OrgCode: schoolCode}, "org"},
		{"malformed org", domain.Principal{Subject: "a", Role: domain.RoleDistrictEditor, OrgCode: "0204"}, "org"},
		{"auditor with org", domain.Principal{Subject: "a", Role: domain.RoleAuditor, OrgCode: schoolCode}, "org"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v, want valid", err)
				}
				return
			}
			checkError(t, err, domain.EInvalid, c.field)
		})
	}
}

func TestRolesAllowedCoversPermissions(t *testing.T) {
	for _, perm := range domain.Permissions {
		roles := domain.RolesAllowed(perm)
		if len(roles) == 0 {
			t.Errorf("permission %s has no role", perm)
		}
		for _, r := range roles {
			if !domain.ValidRole(r) {
				t.Errorf("permission %s names unknown role %s", perm, r)
			}
		}
	}
	for _, r := range domain.Roles {
		if domain.ScopeOf(r) == "" {
			t.Errorf("role %s has no org scope", r)
		}
	}
}
