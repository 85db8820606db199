package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// kindInfo describes one resource kind: its folder name in the file
// database and whether it belongs to a project.
type kindInfo struct {
	plural        string
	projectScoped bool
}

// servedKinds are the kinds the stand-in provisions, stores and serves.
var servedKinds = map[string]kindInfo{
	"Project":          {plural: "projects"},
	"GlobalDatasource": {plural: "globaldatasources"},
	"Datasource":       {plural: "datasources", projectScoped: true},
	"Dashboard":        {plural: "dashboards", projectScoped: true},
}

// otherPersesKinds are kinds that Perses v0.54.0 knows but the stand-in
// does not implement. It skips them with a warning instead of rejecting
// the whole file, as Perses would for an unknown kind.
var otherPersesKinds = map[string]bool{
	"EphemeralDashboard": true, "Folder": true, "GlobalRole": true, "GlobalRoleBinding": true,
	"GlobalSecret": true, "GlobalVariable": true, "Role": true, "RoleBinding": true,
	"Secret": true, "User": true, "Variable": true,
}

type metadata struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   uint64    `json:"version"`
	Tags      []string  `json:"tags,omitempty"`
	Project   *string   `json:"project,omitempty"`
}

// resource is a Perses resource as the API returns it. Spec is kept as
// JSON so that the stand-in returns exactly what was provisioned.
type resource struct {
	Kind     string          `json:"kind"`
	Metadata metadata        `json:"metadata"`
	Spec     json.RawMessage `json:"spec,omitempty"`
}

func (r *resource) project() string {
	if r.Metadata.Project == nil {
		return ""
	}
	return *r.Metadata.Project
}

// flatten lower-cases the name and project unless the database is case
// sensitive, as Perses does before it stores or looks up a resource.
func (r *resource) flatten(caseSensitive bool) {
	if caseSensitive {
		return
	}
	r.Metadata.Name = strings.ToLower(r.Metadata.Name)
	if r.Metadata.Project != nil {
		lowered := strings.ToLower(*r.Metadata.Project)
		r.Metadata.Project = &lowered
	}
}

// Perses names match this pattern and have at most 75 characters
// (ValidateID in Perses; the stand-in assumes the rule is unchanged in v0.54.0).
var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

const (
	maxNameLength = 75
	maxTags       = 20
	maxTagLength  = 50
)

func validateName(name string) error {
	if name == "" {
		return errors.New("name cannot be empty")
	}
	if len(name) > maxNameLength {
		return fmt.Errorf("name %q has more than %d characters", name, maxNameLength)
	}
	if !namePattern.MatchString(name) {
		return fmt.Errorf("name %q is invalid; it must match %s", name, namePattern)
	}
	return nil
}

func validateTags(tags []string) error {
	if len(tags) > maxTags {
		return fmt.Errorf("metadata.tags has more than %d tags", maxTags)
	}
	for _, tag := range tags {
		if strings.TrimSpace(tag) == "" {
			return errors.New("metadata.tags contains an empty tag")
		}
		if strings.TrimSpace(tag) != tag {
			return fmt.Errorf("tag %q starts or ends with whitespace", tag)
		}
		if utf8.RuneCountInString(tag) > maxTagLength {
			return fmt.Errorf("tag %q has more than %d characters", tag, maxTagLength)
		}
	}
	return nil
}

// loadFolder reads every .json, .yaml and .yml file under dir, at any depth,
// in lexical walk order. A file that fails to parse or validate is reported
// in the returned errors and contributes no resource; the other files still
// load.
func loadFolder(dir string, warn func(string)) ([]*resource, []error) {
	var files []string
	walkErr := filepath.Walk(dir, func(path string, info fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() {
			return nil
		}
		switch filepath.Ext(info.Name()) {
		case ".json", ".yaml", ".yml":
			files = append(files, path)
		}
		return nil
	})
	// Like Perses, a folder that cannot be walked gives no resource at all.
	if walkErr != nil {
		return nil, []error{walkErr}
	}

	var resources []*resource
	var errs []error
	for _, file := range files {
		loaded, err := loadFile(file, warn)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", file, err))
			continue
		}
		resources = append(resources, loaded...)
	}
	return resources, errs
}

// loadFile parses one file holding a resource or a list of resources. The
// format comes from the content, not the extension: content that parses as
// JSON is JSON. Only the first document of a multi-document YAML file is read.
func loadFile(file string, warn func(string)) ([]*resource, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	objects, err := decodeObjects(data)
	if err != nil {
		return nil, fmt.Errorf("unable to read file, format invalid: %w", err)
	}
	if len(objects) == 0 {
		return nil, errors.New("the file holds no resource")
	}

	var result []*resource
	for i, object := range objects {
		kind, ok := object["kind"].(string)
		if !ok {
			return nil, fmt.Errorf("objects[%d] has no kind field", i)
		}
		if otherPersesKinds[kind] {
			warn(fmt.Sprintf("%s: objects[%d] is a %s, which the stand-in does not implement; skipped", file, i, kind))
			continue
		}
		if _, known := servedKinds[kind]; !known {
			return nil, fmt.Errorf("objects[%d]: kind %q is not a Perses resource", i, kind)
		}
		encoded, err := json.Marshal(object)
		if err != nil {
			return nil, fmt.Errorf("objects[%d]: %w", i, err)
		}
		res, err := decodeResource(encoded)
		if err != nil {
			return nil, fmt.Errorf("objects[%d] (%s): %w", i, kind, err)
		}
		result = append(result, res)
	}
	return result, nil
}

func decodeObjects(data []byte) ([]map[string]any, error) {
	var list []map[string]any
	var single map[string]any

	if json.Valid(data) {
		if err := json.Unmarshal(data, &list); err == nil {
			return list, nil
		}
		if err := json.Unmarshal(data, &single); err != nil {
			return nil, err
		}
		return singleOrNone(single), nil
	}

	var yamlList []any
	if err := yaml.Unmarshal(data, &yamlList); err == nil {
		for i, item := range yamlList {
			object, ok := toJSONValue(item).(map[string]any)
			if !ok {
				return nil, fmt.Errorf("item %d of the list is not an object", i)
			}
			list = append(list, object)
		}
		return list, nil
	}
	var yamlSingle any
	if err := yaml.Unmarshal(data, &yamlSingle); err != nil {
		return nil, err
	}
	if yamlSingle == nil {
		return nil, nil
	}
	object, ok := toJSONValue(yamlSingle).(map[string]any)
	if !ok {
		return nil, errors.New("the document is neither an object nor a list of objects")
	}
	return []map[string]any{object}, nil
}

func singleOrNone(object map[string]any) []map[string]any {
	if object == nil {
		return nil
	}
	return []map[string]any{object}
}

// toJSONValue turns maps with non-string keys, which YAML allows, into maps
// that encoding/json can marshal.
func toJSONValue(value any) any {
	switch typed := value.(type) {
	case map[string]any:
		for key, item := range typed {
			typed[key] = toJSONValue(item)
		}
		return typed
	case map[any]any:
		converted := make(map[string]any, len(typed))
		for key, item := range typed {
			converted[fmt.Sprint(key)] = toJSONValue(item)
		}
		return converted
	case []any:
		for i, item := range typed {
			typed[i] = toJSONValue(item)
		}
		return typed
	default:
		return value
	}
}

// decodeResource decodes and validates one resource the way Perses
// v0.54.0 does when it unmarshals it, without the plugin schema checks.
func decodeResource(data []byte) (*resource, error) {
	var res resource
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, err
	}
	if err := validateName(res.Metadata.Name); err != nil {
		return nil, fmt.Errorf("metadata.name: %w", err)
	}
	if err := validateTags(res.Metadata.Tags); err != nil {
		return nil, err
	}

	info := servedKinds[res.Kind]
	if !info.projectScoped {
		res.Metadata.Project = nil
	} else if res.Metadata.Project == nil {
		empty := ""
		res.Metadata.Project = &empty
	}

	switch res.Kind {
	case "Dashboard":
		spec, err := normalizeDashboardSpec(res.Spec)
		if err != nil {
			return nil, err
		}
		res.Spec = spec
	case "Datasource", "GlobalDatasource":
		if err := validateDatasourceSpec(res.Spec); err != nil {
			return nil, err
		}
	}
	res.Spec = compactJSON(res.Spec)
	return &res, nil
}

func isEmptySpec(spec json.RawMessage) bool {
	trimmed := bytes.TrimSpace(spec)
	return len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) || bytes.Equal(trimmed, []byte("{}"))
}

type dashboardSpec struct {
	Panels    map[string]json.RawMessage `json:"panels"`
	Variables []struct {
		Spec struct {
			Name string `json:"name"`
		} `json:"spec"`
	} `json:"variables"`
	Layouts []struct {
		Spec struct {
			Items []struct {
				Content struct {
					Ref string `json:"$ref"`
				} `json:"content"`
			} `json:"items"`
		} `json:"spec"`
	} `json:"layouts"`
	Duration string `json:"duration"`
}

// panelReference matches the JSON reference of a grid item to a panel.
var panelReference = regexp.MustCompile(`^#/spec/panels/([a-zA-Z0-9_.-]+)$`)

// normalizeDashboardSpec checks a dashboard spec and sets the default
// duration of 1h when it has none, as Perses stores it.
func normalizeDashboardSpec(raw json.RawMessage) (json.RawMessage, error) {
	if isEmptySpec(raw) {
		return nil, errors.New("spec cannot be empty")
	}
	var spec dashboardSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	for key := range spec.Panels {
		if err := validateName(key); err != nil {
			return nil, fmt.Errorf("spec.panels: %w", err)
		}
	}
	seen := map[string]bool{}
	for i, variable := range spec.Variables {
		if seen[variable.Spec.Name] {
			return nil, fmt.Errorf("variable %q (index %d) already exists", variable.Spec.Name, i)
		}
		seen[variable.Spec.Name] = true
	}
	for _, layout := range spec.Layouts {
		for _, item := range layout.Spec.Items {
			if item.Content.Ref == "" {
				continue
			}
			match := panelReference.FindStringSubmatch(item.Content.Ref)
			if match == nil {
				return nil, fmt.Errorf("layout reference %q does not point to a panel", item.Content.Ref)
			}
			if _, ok := spec.Panels[match[1]]; !ok {
				return nil, fmt.Errorf("layout reference %q points to a panel that does not exist", item.Content.Ref)
			}
		}
	}
	if spec.Duration != "" {
		return raw, nil
	}

	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	fields["duration"] = json.RawMessage(`"1h"`)
	return json.Marshal(fields)
}

func validateDatasourceSpec(raw json.RawMessage) error {
	if isEmptySpec(raw) {
		return errors.New("spec cannot be empty")
	}
	var spec struct {
		Plugin struct {
			Kind string `json:"kind"`
		} `json:"plugin"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	if spec.Plugin.Kind == "" {
		return errors.New("spec.plugin.kind cannot be empty")
	}
	return nil
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	var buffer bytes.Buffer
	if err := json.Compact(&buffer, raw); err != nil {
		return raw
	}
	return buffer.Bytes()
}
