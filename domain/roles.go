package domain

import (
	"fmt"
	"strings"
	"unicode"
)

// Role is what a signed-in user may do. A token carries one role and the
// org it acts for.
type Role string

// Roles of people who use planledger.
const (
	// RoleDistrictEditor writes its district's own plans (the DIP) and the
	// district's annual self-evaluation.
	RoleDistrictEditor Role = "district_editor"
	// RoleSchoolEditor writes its school's SIP and submits it, as the
	// principal does under M.G.L. c.71 s.59C.
	RoleSchoolEditor Role = "school_editor"
	// RoleCouncilMember records the school council's part in its school's SIP.
	RoleCouncilMember Role = "council_member"
	// RoleApprover is the superintendent: approves or returns the SIPs of the
	// district's schools and adopts the DIP.
	RoleApprover Role = "approver"
	// RoleAuditor reads everything and writes nothing.
	RoleAuditor Role = "auditor"
	// RoleDepartment is Department (DESE) staff: levels, district reviews,
	// the assistance library and surveys, for every org.
	RoleDepartment Role = "department"
)

// Roles lists every role, for validation and documentation.
var Roles = []Role{RoleDistrictEditor, RoleSchoolEditor, RoleCouncilMember, RoleApprover, RoleAuditor, RoleDepartment}

// OrgScope is the kind of org a role acts for.
type OrgScope string

// Org scopes of the roles.
const (
	ScopeAll      OrgScope = "all"      // every org; the token carries no org
	ScopeDistrict OrgScope = "district" // one district and its schools; org is a district code
	ScopeSchool   OrgScope = "school"   // one school; org is a school code
)

// roleScopes maps each role to the kind of org its token names.
var roleScopes = map[Role]OrgScope{
	RoleDistrictEditor: ScopeDistrict,
	RoleSchoolEditor:   ScopeSchool,
	RoleCouncilMember:  ScopeSchool,
	RoleApprover:       ScopeDistrict,
	RoleAuditor:        ScopeAll,
	RoleDepartment:     ScopeAll,
}

// ScopeOf returns the kind of org role r acts for, or "" for an unknown role.
func ScopeOf(r Role) OrgScope { return roleScopes[r] }

// MaxSubjectLength bounds a principal's subject, which every event it
// writes stores as its actor.
const MaxSubjectLength = 255

// Principal is the signed-in caller of a request.
type Principal struct {
	Subject string `json:"sub"`  // who acts; recorded as the event's actor
	Role    Role   `json:"role"` // one of Roles
	OrgCode string `json:"org"`  // the district or school the role acts for; empty for department and auditor
}

// Validate checks that p can act: a subject, a known role and an org of
// the kind the role acts for. Errors name the token claim at fault (sub,
// role or org).
func (p Principal) Validate() error {
	if strings.TrimSpace(p.Subject) == "" {
		return Errorf(EInvalid, "sub", "sub is empty; it must name the user who acts, such as principal@newburyport")
	}
	if len(p.Subject) > MaxSubjectLength {
		return Errorf(EInvalid, "sub", "sub is %d bytes; use at most %d", len(p.Subject), MaxSubjectLength)
	}
	if strings.IndexFunc(p.Subject, unicode.IsControl) >= 0 {
		return Errorf(EInvalid, "sub", "sub %q contains a control character", p.Subject)
	}
	if !ValidRole(p.Role) {
		return Errorf(EInvalid, "role", "role %q is not one of %s", p.Role, joinRoles(Roles))
	}
	return validateScope(p.Role, p.OrgCode)
}

// validateScope checks that org is the kind of org role acts for. A school
// role given a district code would otherwise pass the org match on the
// district's own plans.
func validateScope(role Role, org string) error {
	scope := roleScopes[role]
	if scope == ScopeAll {
		if org != "" {
			return Errorf(EInvalid, "org", "role %s acts for every org, so it takes no org; remove org %q", role, org)
		}
		return nil
	}
	example := "02040505"
	if scope == ScopeDistrict {
		example = "02040000"
	}
	if org == "" {
		return Errorf(EInvalid, "org", "role %s needs org: the 8-digit DESE code of the %s it acts for, such as %s",
			role, scope, example)
	}
	if err := ValidateOrgCode("org", org); err != nil {
		return Errorf(EInvalid, "org", "org %q is not an 8-digit DESE %s code such as %s", org, scope, example)
	}
	isDistrict := DistrictCodeOf(org) == org
	if scope == ScopeDistrict && !isDistrict {
		return Errorf(EInvalid, "org", "role %s acts for a district, but org %s is a school code; use its district's code %s",
			role, org, DistrictCodeOf(org))
	}
	if scope == ScopeSchool && isDistrict {
		return Errorf(EInvalid, "org", "role %s acts for one school, but org %s is a district code; use the school's code, such as %s",
			role, org, example)
	}
	return nil
}

// Permission is a kind of write that Authorize checks.
type Permission string

// Permissions checked on writes, in the order Permissions lists them.
const (
	PermRegisterOrg    Permission = "register_org"
	PermChangeLevel    Permission = "change_level"
	PermEditPlan       Permission = "edit_plan"       // create a plan or change its content
	PermSubmitPlan     Permission = "submit_plan"     // principal submits an SIP to the superintendent
	PermCouncilReview  Permission = "council_review"  // the school council records its part in an SIP
	PermApprovePlan    Permission = "approve_plan"    // approve, return or adopt a plan
	PermRecordProgress Permission = "record_progress" // record measured results against plan targets
	PermSelfEvaluate   Permission = "self_evaluate"   // a district's annual self-evaluation
	PermReview         Permission = "review"          // schedule, conduct and report a district review
	PermAssist         Permission = "assist"          // manage the assistance library and issue surveys
	PermAnswerSurvey   Permission = "answer_survey"
	// PermCommentReview is the district's check of a draft review report
	// for factual accuracy, by its editor or superintendent.
	PermCommentReview Permission = "comment_review"
)

// Permissions lists every permission, for documentation and tests.
var Permissions = []Permission{PermRegisterOrg, PermChangeLevel, PermEditPlan, PermSubmitPlan, PermCouncilReview,
	PermApprovePlan, PermRecordProgress, PermSelfEvaluate, PermReview, PermAssist, PermAnswerSurvey}

// rolesAllowed maps each permission to the roles that hold it. Authorize checks
// the scope (which orgs) separately.
var rolesAllowed = map[Permission][]Role{
	PermRegisterOrg:    {RoleDepartment},
	PermChangeLevel:    {RoleDepartment},
	PermEditPlan:       {RoleDistrictEditor, RoleSchoolEditor},
	PermSubmitPlan:     {RoleSchoolEditor, RoleDistrictEditor},
	PermCouncilReview:  {RoleCouncilMember},
	PermApprovePlan:    {RoleApprover},
	PermRecordProgress: {RoleDistrictEditor, RoleSchoolEditor},
	PermSelfEvaluate:   {RoleDistrictEditor},
	PermReview:         {RoleDepartment},
	PermAssist:         {RoleDepartment},
	PermAnswerSurvey:   {RoleDistrictEditor, RoleSchoolEditor, RoleCouncilMember, RoleApprover},
	PermCommentReview:  {RoleDistrictEditor, RoleApprover},
}

// RolesAllowed returns the roles that hold permission a, before the org
// scope check.
func RolesAllowed(a Permission) []Role {
	return append([]Role(nil), rolesAllowed[a]...)
}

// RolesAllowedOn returns the roles that hold permission a on an org of
// type target, so a hint about who may act matches what Authorize decides
// for a principal whose org scope covers the target.
func RolesAllowedOn(a Permission, target OrgType) []Role {
	var out []Role
	for _, r := range rolesAllowed[a] {
		if roleActsOn(r, a, target) {
			out = append(out, r)
		}
	}
	return out
}

// roleActsOn reports whether role r may use permission a on an org of type
// target, given that r holds a and its scope covers the org. A district
// editor edits and submits only the district's own plans, because a
// school's plan is the school's to write.
func roleActsOn(r Role, a Permission, target OrgType) bool {
	return r != RoleDistrictEditor || (a != PermEditPlan && a != PermSubmitPlan) || target == OrgDistrict
}

// ValidRole reports whether r is one of Roles.
func ValidRole(r Role) bool {
	for _, known := range Roles {
		if known == r {
			return true
		}
	}
	return false
}

// Authorize decides whether p may use permission a on target, the org whose
// data the write changes. Department staff act on every org. District
// roles act on their district and its schools, except that a district
// editor edits only the district's own plans, because a school's plan is
// the school's to write. School roles act on their own school only. A
// principal that fails Validate is unauthenticated, not forbidden.
func Authorize(p Principal, a Permission, target Org) error {
	if p == (Principal{}) {
		return Errorf(EUnauthenticated, "Authorization", "sign in: send Authorization: Bearer <token>")
	}
	if err := p.Validate(); err != nil {
		return Errorf(EUnauthenticated, "Authorization", "the sign-in cannot act: %s", errorMessage(err))
	}
	allowed, known := rolesAllowed[a]
	if !known {
		return Errorf(EInternal, "", "permission %q has no role rule", a)
	}
	if !roleIn(p.Role, allowed) {
		return Errorf(EForbidden, "Authorization", "role %s may not %s; roles that may: %s",
			roleLabel(p.Role), permissionLabel(a), joinRoles(allowed))
	}
	switch roleScopes[p.Role] {
	case ScopeAll:
		return nil
	case ScopeDistrict:
		if target.DistrictCode != p.OrgCode {
			return Errorf(EForbidden, "Authorization", "%s acts for district %s, not for %s %s",
				p.Role, p.OrgCode, target.Type, target.Code)
		}
		if !roleActsOn(p.Role, a, target.Type) {
			return Errorf(EForbidden, "Authorization",
				"a district editor edits the district's own plans; school %s's plan is written by its school editor", target.Code)
		}
		return nil
	default:
		if target.Code != p.OrgCode {
			return Errorf(EForbidden, "Authorization", "%s acts for school %s, not for %s %s",
				p.Role, p.OrgCode, target.Type, target.Code)
		}
		return nil
	}
}

// errorMessage returns an *Error's message without its code and field.
func errorMessage(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Message
	}
	return err.Error()
}

func roleIn(r Role, roles []Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

func roleLabel(r Role) string {
	if r == "" {
		return "(none)"
	}
	return string(r)
}

func permissionLabel(a Permission) string {
	return fmt.Sprintf("%q", string(a))
}

func joinRoles(roles []Role) string {
	out := ""
	for i, r := range roles {
		if i > 0 {
			out += ", "
		}
		out += string(r)
	}
	return out
}
