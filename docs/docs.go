// Package docs carries the API description the server publishes at
// /openapi.json, so the binary serves the same document the repository has.
package docs

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

// The description is split so each area of the API keeps its own file:
// openapi.json holds the info, shared components and the plan and level
// routes, and every docs/openapi/*.json adds paths, tags and components.
//
//go:embed openapi.json openapi
var files embed.FS

// OpenAPI is the OpenAPI 3 description of the HTTP API: openapi.json with
// every fragment merged in.
var OpenAPI = mustMerge()

func mustMerge() []byte {
	out, err := Merge(files)
	if err != nil {
		panic(err)
	}
	return out
}

// fragment is the part of an OpenAPI document a fragment file may add.
type fragment struct {
	Tags       []json.RawMessage                     `json:"tags"`
	Paths      map[string]json.RawMessage            `json:"paths"`
	Components map[string]map[string]json.RawMessage `json:"components"`
}

// Merge reads openapi.json and openapi/*.json from fsys and returns one
// document. A path or component named twice is an error, so two fragments
// cannot silently override each other.
func Merge(fsys fs.FS) ([]byte, error) {
	raw, err := fs.ReadFile(fsys, "openapi.json")
	if err != nil {
		return nil, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decode openapi.json: %w", err)
	}
	var base fragment
	if err := json.Unmarshal(raw, &base); err != nil {
		return nil, fmt.Errorf("decode openapi.json: %w", err)
	}
	names, err := fs.Glob(fsys, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var part fragment
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&part); err != nil {
			return nil, fmt.Errorf("decode %s: %w", name, err)
		}
		if err := base.add(part, path.Base(name)); err != nil {
			return nil, err
		}
	}
	for key, value := range map[string]any{"tags": base.Tags, "paths": base.Paths, "components": base.Components} {
		encoded, err := json.Marshal(value)
		if err != nil {
			return nil, err
		}
		doc[key] = encoded
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (f *fragment) add(part fragment, name string) error {
	f.Tags = append(f.Tags, part.Tags...)
	for p, item := range part.Paths {
		if _, dup := f.Paths[p]; dup {
			return fmt.Errorf("%s: path %s is already described", name, p)
		}
		f.Paths[p] = item
	}
	for section, entries := range part.Components {
		if f.Components[section] == nil {
			f.Components[section] = map[string]json.RawMessage{}
		}
		for key, value := range entries {
			if _, dup := f.Components[section][key]; dup {
				return fmt.Errorf("%s: components/%s/%s is already described", name, section, key)
			}
			f.Components[section][key] = value
		}
	}
	return nil
}
