package domain

import (
	"encoding/json"
	"fmt"
)

// schemaVersions lists the event types whose payload changed shape, with
// their current version. Every other type is at CurrentSchemaVersion.
var schemaVersions = map[string]int{
	TypeLevelChanged: 3, // 2 added scheme; 3 added the accountability scheme's fields
}

// SchemaVersionOf returns the schema version new events of a type are
// written with.
func SchemaVersionOf(eventType string) int {
	if v, ok := schemaVersions[eventType]; ok {
		return v
	}
	return CurrentSchemaVersion
}

// upcaster rewrites a payload from one schema version to the next.
type upcaster func(payload map[string]any) error

// upcasters holds, per event type, the step from version N to N+1 at index
// N-1. Stored events are never rewritten: readers upcast as they decode.
var upcasters = map[string][]upcaster{
	TypeLevelChanged: {
		// Version 1 predates classification schemes; every level it
		// recorded is a Level 1-5 determination.
		func(p map[string]any) error {
			if _, ok := p["scheme"]; !ok {
				p["scheme"] = SchemeLevels
			}
			return nil
		},
		// Version 3 added designation, percentile and target fields and
		// made level optional. A version 2 payload is a valid version 3
		// one. The version changed anyway so that an older build rejects
		// a designation instead of reading it as Level 0.
		func(map[string]any) error { return nil },
	},
}

// Upcast returns payload in the current shape of eventType. A payload
// already current is returned unchanged. A version newer than this build
// supports, or a version below 1, is an error rather than a silent misread.
func Upcast(eventType string, version int, payload json.RawMessage) (json.RawMessage, error) {
	current := SchemaVersionOf(eventType)
	switch {
	case version == current:
		return payload, nil
	case version < 1:
		return nil, fmt.Errorf("schema version %d is invalid", version)
	case version > current:
		return nil, fmt.Errorf("schema version %d is newer than %d, the latest this build reads; upgrade planledger", version, current)
	}
	var fields map[string]any
	if err := json.Unmarshal(payload, &fields); err != nil {
		return nil, fmt.Errorf("decode version %d payload: %w", version, err)
	}
	steps := upcasters[eventType]
	for v := version; v < current; v++ {
		if v-1 >= len(steps) {
			return nil, fmt.Errorf("no upcaster from version %d to %d", v, v+1)
		}
		if err := steps[v-1](fields); err != nil {
			return nil, fmt.Errorf("upcast from version %d: %w", v, err)
		}
	}
	return json.Marshal(fields)
}
