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

// frameworkVersions holds one JSON file per version of the district
// standards, indicators and conditions for school effectiveness.
// framework/SOURCES.md gives their sources and what each verified flag
// means.
//
//go:embed framework/dsi-*.json
var frameworkVersions embed.FS

// Bundled returns the embedded files, rooted so that "ma/enrollments.csv"
// opens. The file system is read-only and safe for concurrent use.
func Bundled() fs.FS {
	return bundle
}

// FrameworkVersionsGlob matches the framework version files inside
// FrameworkVersions().
const FrameworkVersionsGlob = "framework/dsi-*.json"

// FrameworkVersions returns the embedded framework version files, rooted so
// that "framework/dsi-2017.json" opens.
func FrameworkVersions() fs.FS {
	return frameworkVersions
}
