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
	if err := addCommonResponses(base.Paths); err != nil {
		return nil, err
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

// Responses the server's middleware can send on routes whose fragments do
// not list them.
const (
	notModifiedRef = `{"$ref":"#/components/responses/NotModified"}`
	unavailableRef = `{"$ref":"#/components/responses/Unavailable"}`
)

// availableWhileStarting marks an operation that responds as usual while
// the server starts, such as /livez. Every other route responds 503 then.
const availableWhileStarting = "x-available-while-starting"

// addCommonResponses lists on every operation the responses that the HTTP
// middleware can send on any route, so fragments need not repeat them: 304
// on each GET whose 200 response has a body, except event streams, which
// carry no ETag, and 503 while the server starts, except on operations
// marked x-available-while-starting.
func addCommonResponses(paths map[string]json.RawMessage) error {
	for p, raw := range paths {
		var item map[string]json.RawMessage
		if err := json.Unmarshal(raw, &item); err != nil {
			return fmt.Errorf("path %s: %w", p, err)
		}
		for method, rawOp := range item {
			if method == "parameters" || method == "summary" || method == "description" || method == "servers" {
				continue
			}
			op, err := addOperationResponses(method, rawOp)
			if err != nil {
				return fmt.Errorf("%s %s: %w", method, p, err)
			}
			item[method] = op
		}
		var err error
		if paths[p], err = json.Marshal(item); err != nil {
			return err
		}
	}
	return nil
}

func addOperationResponses(method string, raw json.RawMessage) (json.RawMessage, error) {
	var op map[string]json.RawMessage
	if err := json.Unmarshal(raw, &op); err != nil {
		return nil, err
	}
	var responses map[string]json.RawMessage
	if err := json.Unmarshal(op["responses"], &responses); err != nil {
		return nil, fmt.Errorf("responses: %w", err)
	}
	var ok struct {
		Content map[string]json.RawMessage `json:"content"`
	}
	if raw200, found := responses["200"]; found {
		if err := json.Unmarshal(raw200, &ok); err != nil {
			return nil, fmt.Errorf("200 response: %w", err)
		}
	}
	_, stream := ok.Content["text/event-stream"]
	if _, listed := responses["304"]; method == "get" && !listed && !stream && len(ok.Content) > 0 {
		responses["304"] = json.RawMessage(notModifiedRef)
	}
	var available bool
	if flag, found := op[availableWhileStarting]; found {
		if err := json.Unmarshal(flag, &available); err != nil {
			return nil, fmt.Errorf("%s: %w", availableWhileStarting, err)
		}
	}
	if _, listed := responses["503"]; !listed && !available {
		responses["503"] = json.RawMessage(unavailableRef)
	}
	var err error
	if op["responses"], err = json.Marshal(responses); err != nil {
		return nil, err
	}
	return json.Marshal(op)
}
