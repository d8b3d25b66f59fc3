package web

import (
	"context"
	"regexp"
	"strings"

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

// maxDiffTokens bounds the changed part of a word diff, counted in tokens
// (words and the whitespace between them) on each side once the common
// start and end are set aside. The diff's cost grows with the product of
// the changed lengths, so a field whose changed part has more tokens than
// this shows as one deletion and one insertion instead. 8,000 tokens is
// about 4,000 words, more than a 20,000-character section holds in real
// prose. Diffing two unrelated 4,000-word texts took about 0.4 s on a
// 2-CPU machine, an estimate of the worst case per field.
const maxDiffTokens = 8000

// wordDiff returns the word-level edit from before to after. Each distinct
// token becomes one rune so the library's character diff runs over words,
// the approach its documentation gives for line diffs. The diff has no time
// limit, because a limit would make the result depend on the machine's
// load: maxDiffTokens bounds its cost instead. Once ctx is done the changed
// part is shown whole too, because nobody is waiting for the page.
func wordDiff(ctx context.Context, before, after string) []Segment {
	if before == after {
		if before == "" {
			return nil
		}
		return []Segment{{Text: before, Op: opEqual}}
	}
	a := tokenPattern.FindAllString(before, -1)
	b := tokenPattern.FindAllString(after, -1)
	prefix := 0
	for prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < len(a)-prefix && suffix < len(b)-prefix && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	var out []Segment
	if prefix > 0 {
		out = append(out, Segment{Text: strings.Join(a[:prefix], ""), Op: opEqual})
	}
	midA, midB := a[prefix:len(a)-suffix], b[prefix:len(b)-suffix]
	if len(midA) > maxDiffTokens || len(midB) > maxDiffTokens || ctx.Err() != nil {
		out = appendWhole(out, midA, midB)
	} else {
		out = append(out, diffTokens(midA, midB)...)
	}
	if suffix > 0 {
		out = append(out, Segment{Text: strings.Join(a[len(a)-suffix:], ""), Op: opEqual})
	}
	return out
}

// appendWhole appends the changed part as one deletion and one insertion.
func appendWhole(out []Segment, deleted, inserted []string) []Segment {
	if len(deleted) > 0 {
		out = append(out, Segment{Text: strings.Join(deleted, ""), Op: opDelete})
	}
	if len(inserted) > 0 {
		out = append(out, Segment{Text: strings.Join(inserted, ""), Op: opInsert})
	}
	return out
}

// diffTokens diffs two token lists with one rune standing for each
// distinct token.
func diffTokens(before, after []string) []Segment {
	tokens := []string{""} // rune 0 is never used
	index := map[string]rune{}
	encode := func(toks []string) []rune {
		out := make([]rune, 0, len(toks))
		for _, tok := range toks {
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
