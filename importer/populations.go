package importer

import (
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/planledger/planledger/domain"
)

// LanguageMinoritySource names the figure ReadLanguageMinority2017 sums.
const LanguageMinoritySource = "First Language Not English, MA_Public_Schools_2017.csv"

// ReadLanguageMinority2017 sums the "First Language Not English" counts of
// each district's schools in MA_Public_Schools_2017.csv, the district's
// language-minority students in 2016-17, keyed by district code. A blank
// count, which 11 rows of the bundled file have, adds nothing, and a
// district whose counts are all blank is left out, so its figure is
// unknown rather than zero.
func ReadLanguageMinority2017(r io.Reader) (map[string]domain.PopulationCount, error) {
	file := sourceName(r, Profile2017File)
	t, err := openTable(r, file, "School Code")
	if err != nil {
		return nil, err
	}
	districtCol, err := t.requireColumn("District Code")
	if err != nil {
		return nil, err
	}
	countCol, err := t.requireColumn("First Language Not English")
	if err != nil {
		return nil, err
	}
	needed := max(districtCol, countCol) + 1
	out := map[string]domain.PopulationCount{}
	for {
		ok, err := t.next(needed)
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		raw := t.value(countCol)
		if raw == "" {
			continue
		}
		// The file writes counts as decimals, such as "30.0".
		n, err := strconv.ParseFloat(strings.ReplaceAll(raw, ",", ""), 64)
		if err != nil || n < 0 || n != math.Trunc(n) {
			return nil, t.fieldError(countCol, "invalid count %q: want a whole number of students such as 30 or 30.0", raw)
		}
		district := padCode(t.value(districtCol))
		if err := domain.ValidateOrgCode("district_code", district); err != nil {
			return nil, t.fieldError(districtCol, "%w", err)
		}
		c := out[district]
		c.OrgCode, c.SchoolYear, c.Source = district, 2017, LanguageMinoritySource
		c.Students += int(n)
		out[district] = c
	}
}
