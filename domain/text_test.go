package domain

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckTextAccepts(t *testing.T) {
	for _, s := range []string{"", "Plain text.", "Tabs\tand\r\nlines", "Accents: é, ñ; Arabic: مرحبا", strings.Repeat("x", MaxTextLength)} {
		if err := CheckText("text", s); err != nil {
			t.Errorf("CheckText(%.20q) = %v, want nil", s, err)
		}
	}
}

func TestCheckTextRejects(t *testing.T) {
	for _, s := range []string{"nul\x00", "esc\x1b[31m", "del\x7f", "bidi\u202Etxt", "isolate\u2066x\u2069", strings.Repeat("x", MaxTextLength+1)} {
		err := CheckText("sections/0/text", s)
		var de *Error
		if !errors.As(err, &de) {
			t.Errorf("CheckText(%.20q) = %v, want a domain error", s, err)
			continue
		}
		if de.Field != "sections/0/text" || de.Code != EInvalid {
			t.Errorf("CheckText(%.20q): field %q code %v, want sections/0/text and invalid", s, de.Field, de.Code)
		}
	}
}
