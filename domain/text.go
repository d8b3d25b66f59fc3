package domain

import "unicode/utf8"

// MaxTextLength is the most characters (Unicode code points) a free-text
// value may hold. The longest section of the bundled Newburyport plans is
// far shorter, so 20,000 leaves room for long real prose while bounding
// the work that diffs and printed pages spend on one value.
const MaxTextLength = 20000

// CheckText rejects a free-text value that is longer than MaxTextLength or
// holds a character that would hide or garble text when shown: C0 control
// characters other than tab, line feed and carriage return, DEL, and the
// bidirectional embedding, override and isolate characters U+202A to U+202E
// and U+2066 to U+2069, which can make displayed text read differently from
// what is stored. field names the value in the error.
func CheckText(field, value string) error {
	if n := utf8.RuneCountInString(value); n > MaxTextLength {
		return Errorf(EInvalid, field, "%s is %d characters; shorten it to at most %d", field, n, MaxTextLength)
	}
	for i, r := range value {
		if forbiddenTextRune(r) {
			return Errorf(EInvalid, field, "%s contains the control character U+%04X at byte %d; remove it", field, r, i)
		}
	}
	if !utf8.ValidString(value) {
		return Errorf(EInvalid, field, "%s is not valid UTF-8", field)
	}
	return nil
}

func forbiddenTextRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20 || r == 0x7F:
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
