package web

import (
	"context"
	"math/rand"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// sides joins a diff's segments back into the text of each side.
func sides(segs []Segment) (before, after string) {
	var b, a strings.Builder
	for _, s := range segs {
		if s.Op != opInsert {
			b.WriteString(s.Text)
		}
		if s.Op != opDelete {
			a.WriteString(s.Text)
		}
	}
	return b.String(), a.String()
}

func TestWordDiffCases(t *testing.T) {
	for _, c := range []struct {
		name, before, after string
		want                []Segment
	}{
		{"same", "a b", "a b", []Segment{{"a b", opEqual}}},
		{"both empty", "", "", nil},
		{"added text", "", "new text", []Segment{{"new text", opInsert}}},
		{"removed text", "old text", "", []Segment{{"old text", opDelete}}},
		{"one word replaced", "Raise grade 10 ELA achievement", "Raise grade 9 ELA achievement",
			[]Segment{{"Raise grade ", opEqual}, {"10", opDelete}, {"9", opInsert}, {" ELA achievement", opEqual}}},
		{"word inserted", "meet monthly", "meet twice monthly",
			[]Segment{{"meet ", opEqual}, {"twice ", opInsert}, {"monthly", opEqual}}},
		{"no cut inside a word", "counselors", "counsellors", []Segment{{"counselors", opDelete}, {"counsellors", opInsert}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := wordDiff(context.Background(), c.before, c.after)
			if len(got) != len(c.want) {
				t.Fatalf("wordDiff(%q, %q) = %v, want %v", c.before, c.after, got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("segment %d = %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestWordDiffKeepsBothTexts(t *testing.T) {
	before := "The council will review the plan's measures in January and June 2017.\nIt reports to families."
	after := "The council reviews the measures in\tJanuary, March and June 2017.\n\nIt reports to families and staff."
	b, a := sides(wordDiff(context.Background(), before, after))
	if b != before {
		t.Errorf("before side = %q, want %q", b, before)
	}
	if a != after {
		t.Errorf("after side = %q, want %q", a, after)
	}
}

func TestWordDiffManyTokens(t *testing.T) {
	// More distinct tokens than runes below the surrogate range, so the
	// token runes must skip it.
	var before, after strings.Builder
	for i := range 60000 {
		before.WriteString("w")
		before.WriteString(strings.Repeat("x", i%7))
		before.WriteString(strconv.Itoa(i))
		before.WriteString(" ")
	}
	after.WriteString(before.String())
	after.WriteString("tail")
	segs := wordDiff(context.Background(), before.String(), after.String())
	b, a := sides(segs)
	if b != before.String() || a != after.String() {
		t.Fatalf("a diff of 60,000 distinct words does not give both texts back")
	}
	if last := segs[len(segs)-1]; last.Op != opInsert || last.Text != "tail" {
		t.Errorf("last segment = %+v, want the inserted word tail", last)
	}
}

// randomWords returns n words of four letters drawn from rng.
func randomWords(rng *rand.Rand, n int) string {
	words := make([]string, n)
	for i := range words {
		b := make([]byte, 4)
		for j := range b {
			b[j] = byte('a' + rng.Intn(26))
		}
		words[i] = string(b)
	}
	return strings.Join(words, " ")
}

func TestWordDiffLongReplacement(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	oldMiddle, newMiddle := randomWords(rng, maxDiffTokens), randomWords(rng, maxDiffTokens)
	segs := wordDiff(context.Background(), "Intro: "+oldMiddle+" end.", "Intro: "+newMiddle+" end.")
	want := []Segment{{"Intro: ", opEqual}, {oldMiddle, opDelete}, {newMiddle, opInsert}, {" end.", opEqual}}
	if !reflect.DeepEqual(segs, want) {
		t.Fatalf("a replacement longer than maxDiffTokens gave %d segments, want the 4 of a whole replacement", len(segs))
	}
}

func TestWordDiffCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := wordDiff(ctx, "one two three four", "one too three four")
	want := []Segment{{"one ", opEqual}, {"two", opDelete}, {"too", opInsert}, {" three four", opEqual}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("wordDiff after cancel = %v, want %v", got, want)
	}
	got = wordDiff(ctx, "one two three four", "one too three for")
	want = []Segment{{"one ", opEqual}, {"two three four", opDelete}, {"too three for", opInsert}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("wordDiff after cancel = %v, want %v", got, want)
	}
}
