package domain

import "github.com/planledger/planledger/internal/plainjson"

// decodePlainOrgRegistered decodes payload into r as json.Unmarshal does,
// for the layout json.Marshal writes with every string plain printable
// ASCII. A read-model rebuild decodes every org registration, the most
// numerous event, so this skips json.Unmarshal's validation pass and
// reflection for them. It returns false, leaving r unchanged, for any
// other payload.
func decodePlainOrgRegistered(payload []byte, r *OrgRegistered) bool {
	// Fields the payload leaves out keep their values, as with
	// json.Unmarshal.
	org := r.Org

	p := plainjson.NewReader(payload)
	p.Expect(`{"code":`)
	org.Code = p.Text()
	p.Expect(`,"type":`)
	org.Type = orgTypeOf(p.Quoted())
	p.Expect(`,"name":`)
	org.Name = p.Text()
	p.Expect(`,"district_code":`)
	org.DistrictCode = p.Text()

	if p.Skip(`,"grade_span":`) {
		org.GradeSpan = p.Text()
	}
	if p.Skip(`,"enrollment":`) {
		org.Enrollment = p.Int()
	}
	if p.Skip(`,"school_year":`) {
		org.SchoolYear = p.Text()
	}
	if p.Skip(`,"source":`) {
		org.Source = p.Text()
	}
	p.Expect(`}`)
	p.End()

	if !p.OK() {
		return false
	}
	r.Org = org
	return true
}

// orgTypeOf returns the known org types without allocating a string.
func orgTypeOf(b []byte) OrgType {
	switch string(b) {
	case string(OrgSchool):
		return OrgSchool
	case string(OrgDistrict):
		return OrgDistrict
	}
	return OrgType(b)
}
