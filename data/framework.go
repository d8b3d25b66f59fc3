package data

import _ "embed"

// AssistanceLibraryPath is the bundled assistance library inside this
// repository, described in framework/SOURCES.md.
const AssistanceLibraryPath = "framework/assistance-library.json"

//go:embed framework/assistance-library.json
var assistanceLibrary []byte

// AssistanceLibrary returns the bundled assistance library: the forms of
// assistance the Department offers and the intervention by level, as JSON
// that domain.ParseLibrary reads. Callers must not modify the slice.
func AssistanceLibrary() []byte {
	return assistanceLibrary
}
