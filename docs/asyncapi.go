package docs

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v4"
)

//go:embed asyncapi.yaml
var asyncAPISource []byte

// AsyncAPI is the AsyncAPI 3.0 description of planledger's NATS messages as
// JSON: asyncapi.yaml with the OpenAPI component schemas it refers to
// copied in, so the document needs no other file.
var AsyncAPI = mustBuildAsyncAPI()

func mustBuildAsyncAPI() []byte {
	out, err := BuildAsyncAPI(asyncAPISource, OpenAPI)
	if err != nil {
		panic(err)
	}
	return out
}

// schemaRefPrefix starts a reference to a component schema. OpenAPI 3 and
// AsyncAPI 3 keep component schemas at the same place, so a reference
// copied from one document to the other still resolves.
const schemaRefPrefix = "#/components/schemas/"

// BuildAsyncAPI decodes the YAML AsyncAPI document source and adds to its
// components.schemas every schema of the OpenAPI document openAPI that it
// refers to, directly or through other copied schemas. The copies are
// converted from the OpenAPI 3.0 schema dialect to JSON Schema draft 07,
// which AsyncAPI schemas extend. A schema named in both documents, or in
// neither, is an error.
func BuildAsyncAPI(source, openAPI []byte) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(source, &doc); err != nil {
		return nil, fmt.Errorf("decode asyncapi.yaml: %w", err)
	}
	var api struct {
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &api); err != nil {
		return nil, fmt.Errorf("decode the OpenAPI document: %w", err)
	}

	components, _ := doc["components"].(map[string]any)
	if components == nil {
		return nil, fmt.Errorf("asyncapi.yaml has no components")
	}
	schemas, _ := components["schemas"].(map[string]any)
	if schemas == nil {
		schemas = map[string]any{}
		components["schemas"] = schemas
	}
	for name := range schemas {
		if _, dup := api.Components.Schemas[name]; dup {
			return nil, fmt.Errorf("asyncapi.yaml: components/schemas/%s is also in the OpenAPI document; rename one", name)
		}
	}

	// Copy referenced schemas until no reference is left unresolved.
	for {
		missing := missingSchemas(doc, schemas)
		if len(missing) == 0 {
			break
		}
		for _, name := range missing {
			schema, ok := api.Components.Schemas[name]
			if !ok {
				return nil, fmt.Errorf("asyncapi.yaml refers to %s%s, which neither document defines", schemaRefPrefix, name)
			}
			schemas[name] = jsonSchemaOf(schema)
		}
	}

	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the AsyncAPI document: %w", err)
	}
	return append(out, '\n'), nil
}

// missingSchemas returns, sorted, the component schema names that $ref
// values anywhere in v name and schemas lacks.
func missingSchemas(v any, schemas map[string]any) []string {
	found := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for key, value := range v {
				if ref, ok := value.(string); ok && key == "$ref" && strings.HasPrefix(ref, schemaRefPrefix) {
					if name := strings.TrimPrefix(ref, schemaRefPrefix); schemas[name] == nil {
						found[name] = true
					}
				}
				walk(value)
			}
		case []any:
			for _, item := range v {
				walk(item)
			}
		}
	}
	walk(v)
	names := make([]string, 0, len(found))
	for name := range found {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// jsonSchemaOf converts an OpenAPI 3.0 schema object to JSON Schema draft
// 07: nullable becomes a "null" type and example becomes examples. Every
// other keyword planledger's OpenAPI schemas use means the same in both.
func jsonSchemaOf(v any) any {
	schema, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(schema))
	for key, value := range schema {
		switch key {
		case "properties", "patternProperties":
			properties, _ := value.(map[string]any)
			converted := make(map[string]any, len(properties))
			for name, property := range properties {
				converted[name] = jsonSchemaOf(property)
			}
			out[key] = converted
		case "items", "additionalProperties", "not":
			out[key] = jsonSchemaOf(value)
		case "allOf", "anyOf", "oneOf":
			list, _ := value.([]any)
			converted := make([]any, len(list))
			for i, item := range list {
				converted[i] = jsonSchemaOf(item)
			}
			out[key] = converted
		case "example":
			out["examples"] = []any{value}
		case "nullable":
		default:
			out[key] = value
		}
	}
	if nullable, _ := schema["nullable"].(bool); nullable {
		if typ, ok := out["type"].(string); ok {
			out["type"] = []any{typ, "null"}
		} else {
			return map[string]any{"anyOf": []any{out, map[string]any{"type": "null"}}}
		}
	}
	return out
}
