package web

import (
	"regexp"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Segment is a run of text in a diff: kept, inserted or deleted.
type Segment struct {
	Text string
	Op   string // "equal", "insert" or "delete"
}

// Kinds of Segment.
const (
	opEqual  = "equal"
	opInsert = "insert"
	opDelete = "delete"
)

// tokenPattern splits text into words and the whitespace between them, so
// a diff never cuts a word and joining the tokens gives the text back.
var tokenPattern = regexp.MustCompile(`\s+|[^\s]+`)

// wordDiff returns the word-level edit from before to after. Each distinct
// token becomes one rune so the library's character diff runs over words,
// the approach its documentation gives for line diffs. The diff has no time
// limit, because a limit would make the result depend on the machine's load.
func wordDiff(before, after string) []Segment {
	if before == after {
		if before == "" {
			return nil
		}
		return []Segment{{Text: before, Op: opEqual}}
	}
	tokens := []string{""} // rune 0 is never used
	index := map[string]rune{}
	encode := func(s string) []rune {
		var out []rune
		for _, tok := range tokenPattern.FindAllString(s, -1) {
			r, ok := index[tok]
			if !ok {
				r = nextRune(rune(len(tokens) - 1))
				for rune(len(tokens)) <= r {
					tokens = append(tokens, "")
				}
				tokens[r] = tok
				index[tok] = r
			}
			out = append(out, r)
		}
		return out
	}
	a, b := encode(before), encode(after)

	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0
	diffs := dmp.DiffCleanupSemantic(dmp.DiffMainRunes(a, b, false))
	out := make([]Segment, 0, len(diffs))
	for _, d := range diffs {
		var text []byte
		for _, r := range d.Text {
			text = append(text, tokens[r]...)
		}
		op := opEqual
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			op = opInsert
		case diffmatchpatch.DiffDelete:
			op = opDelete
		}
		out = append(out, Segment{Text: string(text), Op: op})
	}
	return out
}

// nextRune returns the rune after r that can stand for a token, skipping
// the UTF-16 surrogate range, which is not valid in a Go string.
func nextRune(r rune) rune {
	r++
	if r >= 0xD800 && r <= 0xDFFF {
		r = 0xE000
	}
	return r
}
