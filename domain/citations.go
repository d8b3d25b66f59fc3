package domain

import (
	"fmt"
	"strings"
)

// Citations names the district standards, indicators and conditions for
// school effectiveness that a DIP objective, SIP goal, self-evaluation
// rating or review finding serves, by their framework keys.
type Citations struct {
	Standards  []string `json:"standards,omitempty"`
	Indicators []string `json:"indicators,omitempty"`
	Conditions []string `json:"conditions,omitempty"`
}

// Empty reports whether nothing is cited.
func (c Citations) Empty() bool {
	return len(c.Standards) == 0 && len(c.Indicators) == 0 && len(c.Conditions) == 0
}

// ValidateCitations checks citations against one framework version (see
// FrameworkVersion and FrameworkForYear). Every key must exist in that
// version, no key may repeat within its list, and the standard of each
// cited indicator must be cited too. An error names the entry at fault
// under field, e.g. "goals/0/conditions/1" for field "goals/0", and lists
// the valid keys. It does not require any citation; use Empty for that.
func ValidateCitations(field string, c Citations, version string) error {
	f, ok := FrameworkVersion(version)
	if !ok {
		return Errorf(EInvalid, field, "framework version %q is unknown; list the versions at GET /v1/framework", version)
	}
	if err := checkKeys(field, "standards", c.Standards, func(key string) error {
		if _, ok := f.Standard(key); !ok {
			return fmt.Errorf("%q is not a district standard; use one of %s", key, f.standardKeys())
		}
		return nil
	}); err != nil {
		return err
	}
	if err := checkKeys(field, "indicators", c.Indicators, func(key string) error {
		return f.checkIndicator(key, c.Standards)
	}); err != nil {
		return err
	}
	return checkKeys(field, "conditions", c.Conditions, func(key string) error {
		if _, ok := f.Condition(key); !ok {
			return fmt.Errorf("%q is not a condition for school effectiveness; use one of %s", key, f.conditionKeys())
		}
		return nil
	})
}

// checkKeys runs check on each key of one list and rejects repeats.
func checkKeys(field, list string, keys []string, check func(key string) error) error {
	seen := map[string]bool{}
	for i, key := range keys {
		at := joinField(field, fmt.Sprintf("%s/%d", list, i))
		if seen[key] {
			return Errorf(EInvalid, at, "%s cites %q twice; list it once", list, key)
		}
		seen[key] = true
		if err := check(key); err != nil {
			return Errorf(EInvalid, at, "%v", err)
		}
	}
	return nil
}

func (f *Framework) checkIndicator(key string, standards []string) error {
	if _, ok := f.Indicator(key); ok {
		standard := IndicatorStandard(key)
		for _, s := range standards {
			if s == standard {
				return nil
			}
		}
		return fmt.Errorf("indicator %q belongs to standard %q; add %q to standards as well", key, standard, standard)
	}
	s, ok := f.Standard(IndicatorStandard(key))
	switch {
	case !ok:
		return fmt.Errorf("%q is not an indicator: an indicator key is a standard key, a dot and a name, such as %q; see GET /v1/framework/%s",
			key, "leadership_governance.improvement_planning", f.Version)
	case !s.IndicatorsAvailable:
		return fmt.Errorf("framework %s lists no indicators for standard %q because their titles were not at hand; cite the standard alone",
			f.Version, s.Key)
	default:
		keys := make([]string, len(s.Indicators))
		for i, ind := range s.Indicators {
			keys[i] = ind.Key
		}
		return fmt.Errorf("%q is not an indicator of %s in framework %s; use one of %s", key, s.Key, f.Version, strings.Join(keys, ", "))
	}
}

func (f *Framework) standardKeys() string {
	keys := make([]string, len(f.Standards))
	for i, s := range f.Standards {
		keys[i] = s.Key
	}
	return strings.Join(keys, ", ")
}

func (f *Framework) conditionKeys() string {
	keys := make([]string, len(f.Conditions))
	for i, c := range f.Conditions {
		keys[i] = c.Key
	}
	return strings.Join(keys, ", ")
}

// joinField puts a parent field path before a child path.
func joinField(parent, child string) string {
	if parent == "" {
		return child
	}
	return strings.TrimSuffix(parent, "/") + "/" + child
}
