package comparisons

import "math/bits"

// GradeLabels name the grades DESE reports enrollment for, lowest first, as
// a grade span prints them ("PK-05", "09-12").
var GradeLabels = []string{"PK", "K", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"}

// Grades is a set of grades with enrolled students. Bit i is GradeLabels[i].
// Students beyond grade 12 (DESE's SP column) are not a grade and have no
// bit.
type Grades uint16

// GradeBit returns the set holding only GradeLabels[i].
func GradeBit(i int) Grades { return 1 << i }

// Span returns the span from the lowest to the highest grade, or "" for an
// empty set. Gaps are not shown, so PK plus 09-12 prints as "PK-12".
func (g Grades) Span() string {
	if g == 0 {
		return ""
	}
	lo := bits.TrailingZeros16(uint16(g))
	hi := 15 - bits.LeadingZeros16(uint16(g))
	if lo == hi {
		return GradeLabels[lo]
	}
	return GradeLabels[lo] + "-" + GradeLabels[hi]
}

// Count returns how many grades the set holds.
func (g Grades) Count() int { return bits.OnesCount16(uint16(g)) }

// Overlaps reports whether two sets share a grade.
func (g Grades) Overlaps(other Grades) bool { return g&other != 0 }

// jaccard returns the shared grades over the grades in either set, 0 when
// both are empty.
func (g Grades) jaccard(other Grades) float64 {
	union := (g | other).Count()
	if union == 0 {
		return 0
	}
	return float64((g & other).Count()) / float64(union)
}
