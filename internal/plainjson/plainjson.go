// Package plainjson reads JSON objects written in one fixed layout, field
// by field, without encoding/json's reflection and validation pass. It
// accepts only what encoding/json would decode to the same values: strings
// of printable ASCII without escapes, integers without fraction, exponent
// or leading zeros, and no whitespace. A caller reads the fields in the
// order it expects them and falls back to encoding/json when Reader.OK
// turns false, so the result always equals json.Unmarshal's.
package plainjson

import "time"

// maxDigits is the longest integer Reader accepts. Any 18-digit number fits
// an int64, so longer ones, which could overflow, go to encoding/json.
const maxDigits = 18

// Reader reads data from the start. After the first mismatch OK returns
// false and every later read returns a zero value.
type Reader struct {
	data   []byte
	pos    int
	failed bool
}

// NewReader returns a Reader at the start of data.
func NewReader(data []byte) Reader {
	return Reader{data: data}
}

// OK reports whether every read so far matched.
func (r *Reader) OK() bool {
	return !r.failed
}

// Rest returns the input after the last read.
func (r *Reader) Rest() []byte {
	return r.data[r.pos:]
}

// Expect consumes literal, or fails.
func (r *Reader) Expect(literal string) {
	if !r.Skip(literal) {
		r.failed = true
	}
}

// Skip consumes literal and reports whether it was there.
func (r *Reader) Skip(literal string) bool {
	if r.failed || len(r.data)-r.pos < len(literal) || string(r.data[r.pos:r.pos+len(literal)]) != literal {
		return false
	}
	r.pos += len(literal)
	return true
}

// Quoted returns the bytes between the quotes of a string of printable
// ASCII without backslashes, which encoding/json keeps as they are. Any
// other string fails.
func (r *Reader) Quoted() []byte {
	if r.failed || r.pos >= len(r.data) || r.data[r.pos] != '"' {
		r.failed = true
		return nil
	}
	start := r.pos + 1
	for i := start; i < len(r.data); i++ {
		switch c := r.data[i]; {
		case c == '"':
			r.pos = i + 1
			return r.data[start:i]
		case c < 0x20 || c > 0x7e || c == '\\':
			r.failed = true
			return nil
		}
	}
	r.failed = true
	return nil
}

// Text reads a string as Quoted does.
func (r *Reader) Text() string {
	return string(r.Quoted())
}

// digits returns the digits of a number without sign, rejecting leading
// zeros as JSON does.
func (r *Reader) digits() []byte {
	if r.failed {
		return nil
	}
	start := r.pos
	for r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
		r.pos++
	}
	b := r.data[start:r.pos]
	if len(b) == 0 || len(b) > maxDigits || (len(b) > 1 && b[0] == '0') {
		r.failed = true
		return nil
	}
	return b
}

// Uint reads a non-negative integer.
func (r *Reader) Uint() uint64 {
	var n uint64
	for _, c := range r.digits() {
		n = n*10 + uint64(c-'0')
	}
	return n
}

// Int reads an integer with an optional minus sign.
func (r *Reader) Int() int {
	negative := !r.failed && r.pos < len(r.data) && r.data[r.pos] == '-'
	if negative {
		r.pos++
	}
	n := int(r.Uint())
	if negative {
		return -n
	}
	return n
}

// Time reads a time through time.Time's UnmarshalJSON, as encoding/json
// does.
func (r *Reader) Time() time.Time {
	start := r.pos
	if r.Quoted(); r.failed {
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalJSON(r.data[start:r.pos]); err != nil {
		r.failed = true
		return time.Time{}
	}
	return t
}

// End fails unless the input is fully read.
func (r *Reader) End() {
	if r.pos != len(r.data) {
		r.failed = true
	}
}
