// Package data carries planledger's bundled Massachusetts data inside the
// binary, so a fresh install can load real districts, schools, levels and
// example plans without any file beside it. ma/SOURCES.md gives the origin,
// columns and caveats of every file.
package data

import (
	"embed"
	"io/fs"
)

// Paths of the bundled files inside the file system that Bundled returns.
const (
	EnrollmentsPath  = "ma/enrollments.csv"
	Profile2017Path  = "ma/MA_Public_Schools_2017.csv"
	ObservationsPath = "ma/accountability_observations.csv"
	PlansGlob        = "ma/plans/*.json"
)

//go:embed ma
var bundle embed.FS

// Bundled returns the embedded files, rooted so that "ma/enrollments.csv"
// opens. The file system is read-only and safe for concurrent use.
func Bundled() fs.FS {
	return bundle
}
