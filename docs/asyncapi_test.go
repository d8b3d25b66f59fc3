package docs_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/planledger/planledger/cloudevents"
	"github.com/planledger/planledger/docs"
	"github.com/planledger/planledger/domain"
	"github.com/planledger/planledger/eventstore"
)

// asyncAPIDocument is the part of the served AsyncAPI document these tests
// read.
type asyncAPIDocument struct {
	AsyncAPI string `json:"asyncapi"`
	Channels map[string]struct {
		Address   string                     `json:"address"`
		Messages  map[string]json.RawMessage `json:"messages"`
		JetStream *struct {
			Stream string `json:"stream"`
		} `json:"x-jetstream"`
	} `json:"channels"`
	Operations map[string]struct {
		Action  string `json:"action"`
		Channel struct {
			Ref string `json:"$ref"`
		} `json:"channel"`
		Messages []struct {
			Ref string `json:"$ref"`
		} `json:"messages"`
	} `json:"operations"`
	Components struct {
		Messages map[string]struct {
			Name        string `json:"name"`
			ContentType string `json:"contentType"`
		} `json:"messages"`
	} `json:"components"`
}

func loadAsyncAPI(t *testing.T) asyncAPIDocument {
	t.Helper()
	var doc asyncAPIDocument
	if err := json.Unmarshal(docs.AsyncAPI, &doc); err != nil {
		t.Fatalf("decode the AsyncAPI document: %v", err)
	}
	return doc
}

// TestAsyncAPIMatchesOfficialSchema validates the served document against
// the AsyncAPI 3.0.0 JSON Schema in testdata/asyncapi.
func TestAsyncAPIMatchesOfficialSchema(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "asyncapi", "3.0.0.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("decode the AsyncAPI JSON Schema: %v", err)
	}
	compiler := jsonschema.NewCompiler()
	if err := compiler.AddResource("asyncapi-3.0.0.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	schema, err := compiler.Compile("asyncapi-3.0.0.json")
	if err != nil {
		t.Fatalf("compile the AsyncAPI JSON Schema: %v", err)
	}
	instance, err := jsonschema.UnmarshalJSON(bytes.NewReader(docs.AsyncAPI))
	if err != nil {
		t.Fatalf("decode the AsyncAPI document: %v", err)
	}
	if err := schema.Validate(instance); err != nil {
		t.Errorf("the AsyncAPI document is not valid AsyncAPI 3.0.0: %v", err)
	}
	if version := loadAsyncAPI(t).AsyncAPI; version != "3.0.0" {
		t.Errorf("asyncapi = %q, want 3.0.0", version)
	}
}

// domainEventTypes returns the value of every string constant named Type...
// in the domain package's source whose value has the form kind.name, which
// is how every event type is declared.
func domainEventTypes(t *testing.T) []string {
	t.Helper()
	files := token.NewFileSet()
	packages, err := parser.ParseDir(files, filepath.Join("..", "domain"), func(info os.FileInfo) bool {
		return !strings.HasSuffix(info.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatalf("parse the domain package: %v", err)
	}
	eventType := regexp.MustCompile(`^[a-z_]+\.[a-z_]+$`)
	var types []string
	for _, pkg := range packages {
		for _, file := range pkg.Files {
			for _, decl := range file.Decls {
				gen, ok := decl.(*ast.GenDecl)
				if !ok || gen.Tok != token.CONST {
					continue
				}
				for _, spec := range gen.Specs {
					value := spec.(*ast.ValueSpec)
					for i, name := range value.Names {
						if !strings.HasPrefix(name.Name, "Type") || i >= len(value.Values) {
							continue
						}
						literal, ok := value.Values[i].(*ast.BasicLit)
						if !ok || literal.Kind != token.STRING {
							continue
						}
						text, err := strconv.Unquote(literal.Value)
						if err == nil && eventType.MatchString(text) {
							types = append(types, text)
						}
					}
				}
			}
		}
	}
	sort.Strings(types)
	if len(types) < 20 {
		t.Fatalf("found %d event types in the domain package, want at least 20", len(types))
	}
	return types
}

// channelKey returns the document's channel name for an aggregate kind
// and a channel family such as Events: the kind in lower camel case, so
// self_evaluation becomes selfEvaluationEvents.
func channelKey(kind, family string) string {
	parts := strings.Split(kind, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "") + family
}

// aggregateKinds returns every aggregate kind the store accepts.
func aggregateKinds() []string {
	kinds := []string{domain.KindOrg, domain.KindLevel, domain.KindPlan}
	return append(kinds, domain.RegisteredKinds()...)
}

// TestAsyncAPIDescribesEveryEventType checks that each event type the
// domain package declares has a stored-event message and a CloudEvent
// message for each of its schema versions. Each must be listed in its
// kind's channels and operations, and no other message may exist.
func TestAsyncAPIDescribesEveryEventType(t *testing.T) {
	doc := loadAsyncAPI(t)
	expected := map[string]bool{}
	for _, eventType := range domainEventTypes(t) {
		kind, _, _ := strings.Cut(eventType, ".")
		for version := 1; version <= domain.SchemaVersionOf(eventType); version++ {
			raw := eventType + ".v" + strconv.Itoa(version)
			ce := "cloudevent." + raw
			expected[raw], expected[ce] = true, true

			if got := doc.Components.Messages[raw].Name; got != eventType {
				t.Errorf("components/messages/%s has name %q, want %s", raw, got, eventType)
			}
			if got := doc.Components.Messages[ce].Name; got != cloudevents.Type(eventType, version) {
				t.Errorf("components/messages/%s has name %q, want %s", ce, got, cloudevents.Type(eventType, version))
			}
			if got := doc.Components.Messages[ce].ContentType; got != cloudevents.ContentType {
				t.Errorf("components/messages/%s has contentType %q, want %s", ce, got, cloudevents.ContentType)
			}
			channels := map[string]string{channelKey(kind, "Events"): raw, channelKey(kind, "LiveEvents"): raw,
				channelKey(kind, "CloudEvents"): ce}
			for channel, message := range channels {
				if _, ok := doc.Channels[channel].Messages[message]; !ok {
					t.Errorf("channel %s lacks message %s", channel, message)
				}
				if !operationSends(doc, channel, message) {
					t.Errorf("no operation sends message %s on channel %s", message, channel)
				}
			}
		}
	}
	for name := range doc.Components.Messages {
		if !expected[name] {
			t.Errorf("components/messages/%s matches no event type and schema version of the domain package", name)
		}
	}
}

// operationSends reports whether a send operation on channel lists message.
func operationSends(doc asyncAPIDocument, channel, message string) bool {
	want := "#/channels/" + channel + "/messages/" + message
	for _, op := range doc.Operations {
		if op.Action != "send" || op.Channel.Ref != "#/channels/"+channel {
			continue
		}
		for _, ref := range op.Messages {
			if ref.Ref == want {
				return true
			}
		}
	}
	return false
}

// TestAsyncAPIDescribesEveryKind checks the channel addresses of each
// aggregate kind against the subject prefixes the code publishes to.
func TestAsyncAPIDescribesEveryKind(t *testing.T) {
	doc := loadAsyncAPI(t)
	families := []struct {
		suffix, prefix, stream string
	}{
		{"Events", eventstore.SubjectPrefix, eventstore.DefaultStreamName},
		{"LiveEvents", eventstore.LiveSubjectPrefix, ""},
		{"CloudEvents", cloudevents.SubjectPrefix, cloudevents.DefaultStreamName},
	}
	parameter := regexp.MustCompile(`^\{[A-Za-z]+\}$`)
	for _, kind := range aggregateKinds() {
		for _, family := range families {
			name := channelKey(kind, family.suffix)
			channel, ok := doc.Channels[name]
			if !ok {
				t.Errorf("the document has no channel %s for kind %s", name, kind)
				continue
			}
			prefix, last, _ := strings.Cut(strings.TrimPrefix(channel.Address, family.prefix+"."+kind+"."), ".")
			if !strings.HasPrefix(channel.Address, family.prefix+"."+kind+".") || !parameter.MatchString(prefix) || last != "" {
				t.Errorf("channel %s has address %q, want %s.%s.{id}", name, channel.Address, family.prefix, kind)
			}
			switch {
			case family.stream == "" && channel.JetStream != nil:
				t.Errorf("channel %s names stream %s, but live subjects are not stored", name, channel.JetStream.Stream)
			case family.stream != "" && (channel.JetStream == nil || channel.JetStream.Stream != family.stream):
				t.Errorf("channel %s does not name its stream %s in x-jetstream", name, family.stream)
			}
		}
	}
	if want := 3 * len(aggregateKinds()); len(doc.Channels) != want {
		t.Errorf("the document has %d channels, want %d: three per aggregate kind", len(doc.Channels), want)
	}
}

// TestAsyncAPIReferencesResolve follows every $ref in the served document.
func TestAsyncAPIReferencesResolve(t *testing.T) {
	var doc any
	if err := json.Unmarshal(docs.AsyncAPI, &doc); err != nil {
		t.Fatal(err)
	}
	refs := 0
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				refs++
				if _, err := resolvePointer(doc, ref); err != "" {
					t.Errorf("$ref %s does not resolve: %s", ref, err)
				}
			}
			for _, value := range v {
				walk(value)
			}
		case []any:
			for _, item := range v {
				walk(item)
			}
		}
	}
	walk(doc)
	if refs == 0 {
		t.Fatal("the document has no $ref")
	}
}

// resolvePointer returns the value a local reference such as
// #/components/schemas/Goal names, or a reason why there is none.
func resolvePointer(doc any, ref string) (any, string) {
	pointer, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, "not a reference within the document"
	}
	value := doc
	for _, token := range strings.Split(pointer, "/") {
		token = strings.ReplaceAll(strings.ReplaceAll(token, "~1", "/"), "~0", "~")
		object, ok := value.(map[string]any)
		if !ok {
			return nil, "reaches a value that is not an object before " + token
		}
		if value, ok = object[token]; !ok {
			return nil, "no member " + token
		}
	}
	return value, ""
}

// compilePayloads compiles the payload schema of every message of the
// served document as JSON Schema draft 07.
func compilePayloads(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	instance, err := jsonschema.UnmarshalJSON(bytes.NewReader(docs.AsyncAPI))
	if err != nil {
		t.Fatal(err)
	}
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft7)
	if err := compiler.AddResource("asyncapi.json", instance); err != nil {
		t.Fatal(err)
	}
	out := map[string]*jsonschema.Schema{}
	for name := range loadAsyncAPI(t).Components.Messages {
		schema, err := compiler.Compile("asyncapi.json#/components/messages/" + name + "/payload")
		if err != nil {
			t.Errorf("compile the payload schema of message %s: %v", name, err)
			continue
		}
		out[name] = schema
	}
	return out
}

// TestAsyncAPIPayloadsMatchExamples checks the payload schemas against the
// example message of docs/events.md, its CloudEvent, and altered copies
// that the schemas must reject.
func TestAsyncAPIPayloadsMatchExamples(t *testing.T) {
	payloads := compilePayloads(t)
	stored := `{"id":"0191a2b3-c4d5-7e6f-8a9b-2c3d4e5f6a7b","type":"level.changed","schema_version":2,
		"aggregate_kind":"level","aggregate_id":"02040505","sequence":2,
		"recorded_at":"2024-05-01T14:30:00.123456Z","effective_at":"2017-09-30T04:00:00Z",
		"actor":"nps-planning-office","correlation_id":"3f0c8b9e-2d41-4b7a-9c55-0e6f1a2b3c4d",
		"prev_hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"hash":"770966fa3d5a49ce47284d9a2a13acc382ef2188c353d24ac9ff6cb87bdda86f",
		"payload":{"org_code":"02040505","scheme":"levels","level":1,"reason":"Meeting gap narrowing goals",
			"source":"DESE school profile, 2017 accountability data","date_precision":"day"}}`
	var event domain.Event
	if err := json.Unmarshal([]byte(stored), &event); err != nil {
		t.Fatal(err)
	}
	event.StreamSequence = 4391
	ce, err := cloudevents.FromEvent(event)
	if err != nil {
		t.Fatal(err)
	}
	ceJSON, err := json.Marshal(ce)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name, message, body string
		valid               bool
	}{
		{"stored event", "level.changed.v2", stored, true},
		{"CloudEvent", "cloudevent.level.changed.v2", string(ceJSON), true},
		{"stored event under another type", "plan.retitled.v1", stored, false},
		{"CloudEvent under another version", "cloudevent.level.changed.v1", string(ceJSON), false},
		{"level out of range", "level.changed.v2", strings.Replace(stored, `"level":1`, `"level":7`, 1), false},
		{"stream sequence in the envelope", "level.changed.v2",
			strings.Replace(stored, `"sequence":2,`, `"sequence":2,"stream_sequence":4391,`, 1), false},
		{"upper-case attribute", "cloudevent.level.changed.v2",
			strings.Replace(string(ceJSON), `"actor"`, `"Actor"`, 1), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			schema := payloads[c.message]
			if schema == nil {
				t.Fatalf("no payload schema for message %s", c.message)
			}
			instance, err := jsonschema.UnmarshalJSON(strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			err = schema.Validate(instance)
			if c.valid && err != nil {
				t.Errorf("message %s rejects a valid body: %v", c.message, err)
			}
			if !c.valid && err == nil {
				t.Errorf("message %s accepts an invalid body", c.message)
			}
		})
	}
}

func TestBuildAsyncAPIRejectsDuplicateSchema(t *testing.T) {
	source := []byte("asyncapi: 3.0.0\ncomponents:\n  schemas:\n    Goal:\n      type: object\n")
	_, err := docs.BuildAsyncAPI(source, docs.OpenAPI)
	if err == nil || !strings.Contains(err.Error(), "Goal") {
		t.Errorf("BuildAsyncAPI error = %v, want one naming the schema Goal defined twice", err)
	}
}

func TestBuildAsyncAPIRejectsUnknownSchema(t *testing.T) {
	source := []byte("asyncapi: 3.0.0\ncomponents:\n  messages:\n    m:\n      payload:\n        $ref: '#/components/schemas/Nowhere'\n")
	_, err := docs.BuildAsyncAPI(source, docs.OpenAPI)
	if err == nil || !strings.Contains(err.Error(), "Nowhere") {
		t.Errorf("BuildAsyncAPI error = %v, want one naming the missing schema Nowhere", err)
	}
}

func TestBuildAsyncAPIConvertsNullable(t *testing.T) {
	source := []byte("asyncapi: 3.0.0\ncomponents:\n  messages:\n    m:\n      payload:\n        $ref: '#/components/schemas/Goal'\n")
	out, err := docs.BuildAsyncAPI(source, docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	actions := doc.Components.Schemas["Goal"].Properties["actions"]
	if got, _ := json.Marshal(actions["type"]); string(got) != `["array","null"]` {
		t.Errorf("Goal.actions has type %s, want [\"array\",\"null\"] for the nullable OpenAPI array", got)
	}
	if _, ok := actions["nullable"]; ok {
		t.Error("Goal.actions keeps the OpenAPI keyword nullable")
	}
	if _, ok := doc.Components.Schemas["Measure"]; !ok {
		t.Error("Measure, which Goal refers to, was not copied")
	}
}
