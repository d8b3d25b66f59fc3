package domain_test

import (
	"testing"

	"github.com/planledger/planledger/domain"
)

func TestValidateOrgCodeAcceptsEightDigits(t *testing.T) {
	for _, code := range []string{"02040000", "02040505", "00000000", "99999999"} {
		if err := domain.ValidateOrgCode("code", code); err != nil {
			t.Errorf("ValidateOrgCode(%q): got error %v, want nil", code, err)
		}
	}
}

func TestValidateOrgCodeRejectsBadShapes(t *testing.T) {
	tests := []struct {
		name string
		code string
	}{
		{"seven digits", "0204050"},
		{"nine digits", "020405050"},
		{"letters", "ABCDEFGH"},
		{"letter inside", "0204a505"},
		{"letter at end", "0204050x"},
		{"space inside", "0204 505"},
		{"empty", ""},
		{"surrounding spaces", " 02040505 "},
		{"negative sign", "-2040505"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.ValidateOrgCode("org_code", tt.code)
			checkError(t, err, domain.EInvalid, "org_code")
		})
	}
}

func TestDistrictCodeOf(t *testing.T) {
	tests := []struct {
		code string
		want string
	}{
		{"02040505", "02040000"},
		{"02040000", "02040000"},
		{"00350012", "00350000"},
		{"123", "123"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := domain.DistrictCodeOf(tt.code); got != tt.want {
			t.Errorf("DistrictCodeOf(%q): got %q, want %q", tt.code, got, tt.want)
		}
	}
}

func TestValidateOrgAcceptsDistrictAndSchool(t *testing.T) {
	orgs := []domain.Org{
		{Code: districtCode, Type: domain.OrgDistrict, Name: "Example District", DistrictCode: districtCode},
		{Code: schoolCode, Type: domain.OrgSchool, Name: "Example School", DistrictCode: districtCode},
	}
	for _, o := range orgs {
		if err := domain.ValidateOrg(o); err != nil {
			t.Errorf("ValidateOrg(%s %s): got error %v, want nil", o.Type, o.Code, err)
		}
	}
}

func TestValidateOrgRejectsBadOrgs(t *testing.T) {
	tests := []struct {
		name  string
		org   domain.Org
		field string
	}{
		{
			name:  "seven digit code",
			org:   domain.Org{Code: "0204050", Type: domain.OrgSchool, Name: "School", DistrictCode: districtCode},
			field: "code",
		},
		{
			name:  "letters in code",
			org:   domain.Org{Code: "0204ABCD", Type: domain.OrgSchool, Name: "School", DistrictCode: districtCode},
			field: "code",
		},
		{
			name:  "empty code",
			org:   domain.Org{Type: domain.OrgDistrict, Name: "District"},
			field: "code",
		},
		{
			name:  "school in another district",
			org:   domain.Org{Code: schoolCode, Type: domain.OrgSchool, Name: "School", DistrictCode: otherDistrictCode},
			field: "district_code",
		},
		{
			name:  "school naming itself",
			org:   domain.Org{Code: schoolCode, Type: domain.OrgSchool, Name: "School", DistrictCode: schoolCode},
			field: "district_code",
		},
		{
			name:  "school without district",
			org:   domain.Org{Code: schoolCode, Type: domain.OrgSchool, Name: "School"},
			field: "district_code",
		},
		{
			name:  "district naming another",
			org:   domain.Org{Code: districtCode, Type: domain.OrgDistrict, Name: "District", DistrictCode: otherDistrictCode},
			field: "district_code",
		},
		{
			name:  "unknown type",
			org:   domain.Org{Code: districtCode, Type: "charter", Name: "District", DistrictCode: districtCode},
			field: "type",
		},
		{
			name:  "blank name",
			org:   domain.Org{Code: districtCode, Type: domain.OrgDistrict, Name: "  ", DistrictCode: districtCode},
			field: "name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, domain.ValidateOrg(tt.org), domain.EInvalid, tt.field)
		})
	}
}
