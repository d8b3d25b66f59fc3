package comparisons

import (
	"slices"

	"github.com/planledger/planledger/domain"
)

// The dataset is the catalog plan analyses are checked against.
var _ domain.DataCatalog = (*Dataset)(nil)

// ElementYears returns the years an element has data for.
func (d *Dataset) ElementYears(key string) ([]int, bool) {
	i, ok := d.index[key]
	if !ok {
		return nil, false
	}
	return slices.Clone(d.elements[i].Years), true
}

// OrgType returns the type of an org in the data.
func (d *Dataset) OrgType(code string) (domain.OrgType, bool) {
	rec, ok := d.orgs[code]
	if !ok {
		return "", false
	}
	return rec.org.Type, true
}

// HasFigure reports whether an org has a value of an element in a year.
func (d *Dataset) HasFigure(code, key string, year int) bool {
	_, ok := d.Figure(code, key, year)
	return ok
}

// SimilarPeers returns the codes of the n orgs most similar to code.
func (d *Dataset) SimilarPeers(code string, year, n int) ([]string, string, error) {
	g, err := d.SimilarGroup(code, year, n)
	if err != nil {
		return nil, "", err
	}
	return g.Codes(), g.WeightsVersion, nil
}

// KnownWeightsVersion reports whether version is a weights version
// similarity has used. Only the current one exists so far.
func (d *Dataset) KnownWeightsVersion(version string) bool {
	return version == WeightsVersion
}
