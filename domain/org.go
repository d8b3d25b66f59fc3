package domain

import "strings"

// OrgType distinguishes a district from a school.
type OrgType string

const (
	OrgDistrict OrgType = "district"
	OrgSchool   OrgType = "school"
)

// Org is a Massachusetts district or school, identified by its 8-digit DESE
// organization code.
type Org struct {
	Code         string  `json:"code"`
	Type         OrgType `json:"type"`
	Name         string  `json:"name"`
	DistrictCode string  `json:"district_code"` // a district's own code for a district
	GradeSpan    string  `json:"grade_span,omitempty"`
	Enrollment   int     `json:"enrollment,omitempty"`
	SchoolYear   string  `json:"school_year,omitempty"` // year the name, span and enrollment describe
	Source       string  `json:"source,omitempty"`
}

// OrgRegistered records a district or school becoming known to planledger,
// or a newer description of one (a later registration replaces the fields).
type OrgRegistered struct {
	Org
}

// ValidateOrgCode checks the DESE code shape: exactly eight digits.
func ValidateOrgCode(field, code string) error {
	if len(code) != 8 || strings.Trim(code, "0123456789") != "" {
		return Errorf(EInvalid, field,
			"org code %q is not 8 digits; DESE codes look like 02040000 (district) or 02040505 (school)", code)
	}
	return nil
}

// DistrictCodeOf returns the district code a school code belongs to: its
// first four digits followed by 0000.
func DistrictCodeOf(code string) string {
	if len(code) < 4 {
		return code
	}
	return code[:4] + "0000"
}

// ValidateOrg checks a registration before it is stored.
func ValidateOrg(o Org) error {
	if err := ValidateOrgCode("code", o.Code); err != nil {
		return err
	}
	switch o.Type {
	case OrgDistrict:
		if o.DistrictCode != o.Code {
			return Errorf(EInvalid, "district_code", "a district's district_code must equal its code %s", o.Code)
		}
	case OrgSchool:
		if o.DistrictCode != DistrictCodeOf(o.Code) {
			return Errorf(EInvalid, "district_code",
				"school %s belongs to district %s, not %q", o.Code, DistrictCodeOf(o.Code), o.DistrictCode)
		}
	default:
		return Errorf(EInvalid, "type", "org type %q is not district or school", o.Type)
	}
	if strings.TrimSpace(o.Name) == "" {
		return Errorf(EInvalid, "name", "org %s needs a name", o.Code)
	}
	return nil
}
