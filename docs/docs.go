// Package docs carries the API description the server publishes at
// /openapi.json, so the binary serves the same document the repository has.
package docs

import _ "embed"

// OpenAPI is the OpenAPI 3 description of the HTTP API.
//
//go:embed openapi.json
var OpenAPI []byte
