package plainjson

import (
	"encoding/json"
	"testing"
)

// TestReaderMatchesUnmarshal checks each read against json.Unmarshal of
// the same value: where the Reader accepts, both give the same result.
func TestReaderMatchesUnmarshal(t *testing.T) {
	ints := map[string]bool{ // input -> whether Reader accepts it
		"0": true, "7": true, "-7": true, "-0": true, "123456789012345678": true,
		"1234567890123456789": false, "01": false, "1.5": false, "1e3": false, "-": false, "": false, "+1": false,
	}
	for input, accepted := range ints {
		r := NewReader([]byte(input))
		got := r.Int()
		r.End()
		if r.OK() != accepted {
			t.Errorf("Int(%q) ok = %t, want %t", input, r.OK(), accepted)
			continue
		}
		var want int
		if accepted {
			if err := json.Unmarshal([]byte(input), &want); err != nil || got != want {
				t.Errorf("Int(%q) = %d, json.Unmarshal gives %d, %v", input, got, want, err)
			}
		}
	}

	texts := map[string]bool{
		`"plain text"`: true, `""`: true, `"a<b>&c"`: true,
		`"esc\"aped"`: false, `"tab	in"`: false, `"José"`: false, `"open`: false, `null`: false,
	}
	for input, accepted := range texts {
		r := NewReader([]byte(input))
		got := r.Text()
		r.End()
		if r.OK() != accepted {
			t.Errorf("Text(%q) ok = %t, want %t", input, r.OK(), accepted)
			continue
		}
		var want string
		if accepted {
			if err := json.Unmarshal([]byte(input), &want); err != nil || got != want {
				t.Errorf("Text(%q) = %q, json.Unmarshal gives %q, %v", input, got, want, err)
			}
		}
	}
}

func TestReaderStopsAfterMismatch(t *testing.T) {
	r := NewReader([]byte(`{"a":1,"b":2}`))
	r.Expect(`{"x":`)
	if r.OK() {
		t.Fatal("Expect of a missing literal left the reader OK")
	}
	if r.Skip(`{"a":`) {
		t.Error("Skip matched after a failed read")
	}
	if n := r.Int(); n != 0 {
		t.Errorf("Int after a failed read = %d, want 0", n)
	}
}
