package domain

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// orgPayloadSamples returns org.registered payloads with a name for each and
// whether decodePlainOrgRegistered should decode it itself.
func orgPayloadSamples(t testing.TB) []orgPayloadSample {
	full, err := json.Marshal(OrgRegistered{Org: Org{Code: "02040505", Type: OrgSchool, Name: "Newburyport High",
		DistrictCode: "02040000", GradeSpan: "09-12", Enrollment: 745, SchoolYear: "2025-26",
		Source: "DESE enrollment by grade (enrollments.csv)"}})
	if err != nil {
		t.Fatal(err)
	}
	minimal, err := json.Marshal(OrgRegistered{Org: Org{Code: "02040000", Type: OrgDistrict, Name: "Newburyport",
		DistrictCode: "02040000"}})
	if err != nil {
		t.Fatal(err)
	}
	html, err := json.Marshal(OrgRegistered{Org: Org{Code: "02040505", Type: OrgSchool, Name: "Arts & Sciences <Academy>",
		DistrictCode: "02040000"}})
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) []byte {
		if !strings.Contains(string(full), old) {
			t.Fatalf("the payload has no %s to replace: %s", old, full)
		}
		return []byte(strings.Replace(string(full), old, new, 1))
	}
	return []orgPayloadSample{
		{"every field", full, true},
		{"required fields only", minimal, true},
		{"other org type", replace(`"type":"school"`, `"type":"charter"`), true},
		{"negative enrollment", replace(`"enrollment":745`, `"enrollment":-3`), true},
		{"zero enrollment", replace(`"enrollment":745`, `"enrollment":0`), true},
		{"escaped name", html, false},
		{"non-ASCII name", replace(`Newburyport High`, `Escuela Núñez`), false},
		{"fields reordered", replace(`{"code":"02040505","type":"school"`, `{"type":"school","code":"02040505"`), false},
		{"upper-case key", replace(`"name":`, `"Name":`), false},
		{"unknown field", replace(`"source":`, `"extra":1,"source":`), false},
		{"space after colon", replace(`"name":`, `"name": `), false},
		{"trailing space", append(append([]byte(nil), full...), ' '), false},
		{"fractional enrollment", replace(`"enrollment":745`, `"enrollment":745.5`), false},
		{"enrollment as string", replace(`"enrollment":745`, `"enrollment":"745"`), false},
		{"huge enrollment", replace(`"enrollment":745`, `"enrollment":12345678901234567890`), false},
		{"null name", replace(`"name":"Newburyport High"`, `"name":null`), false},
		{"truncated", full[:len(full)-1], false},
		{"empty", nil, false},
	}
}

type orgPayloadSample struct {
	name    string
	payload []byte
	plain   bool
}

func TestDecodeOrgRegisteredMatchesUnmarshal(t *testing.T) {
	for _, sample := range orgPayloadSamples(t) {
		t.Run(sample.name, func(t *testing.T) {
			var r OrgRegistered
			if got := decodePlainOrgRegistered(sample.payload, &r); got != sample.plain {
				t.Errorf("decodePlainOrgRegistered ok = %t, want %t", got, sample.plain)
			}
			assertDecodesOrgAsUnmarshal(t, sample.payload)
		})
	}
}

func FuzzDecodeOrgRegistered(f *testing.F) {
	for _, sample := range orgPayloadSamples(f) {
		f.Add(sample.payload)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		assertDecodesOrgAsUnmarshal(t, payload)
	})
}

// assertDecodesOrgAsUnmarshal checks that Event.Decode gives what
// json.Unmarshal gives, both into a zero value and into one already filled,
// whose fields the payload leaves out must stay.
func assertDecodesOrgAsUnmarshal(t *testing.T, payload []byte) {
	t.Helper()
	event := Event{ID: "e1", Type: TypeOrgRegistered, SchemaVersion: SchemaVersionOf(TypeOrgRegistered), Payload: payload}
	filled := OrgRegistered{Org: Org{Code: "99999999", Type: OrgDistrict, Name: "Before", DistrictCode: "99990000",
		GradeSpan: "K-5", Enrollment: 12, SchoolYear: "2016-17", Source: "earlier"}}
	for _, start := range []OrgRegistered{{}, filled} {
		want, got := start, start
		wantErr := json.Unmarshal(payload, &want)
		gotErr := event.Decode(&got)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("Decode(%q) error = %v, json.Unmarshal error = %v", payload, gotErr, wantErr)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode(%q) from %+v:\n got %+v\nwant %+v", payload, start, got, want)
		}
	}
}

// A payload stored under another schema version goes through Upcast, which
// rejects versions it does not know, rather than through the fast path.
func TestDecodeOrgRegisteredChecksVersion(t *testing.T) {
	payload, err := json.Marshal(OrgRegistered{Org: Org{Code: "02040505", Type: OrgSchool, Name: "Newburyport High",
		DistrictCode: "02040000"}})
	if err != nil {
		t.Fatal(err)
	}
	event := Event{ID: "e1", Type: TypeOrgRegistered, SchemaVersion: 99, Payload: payload}
	var r OrgRegistered
	if err := event.Decode(&r); err == nil {
		t.Errorf("Decode of schema version 99 succeeded with %+v, want an error", r)
	}
}
