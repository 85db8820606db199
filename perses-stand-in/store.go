package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// errNotFound is returned by fileStore.get for a resource with no file.
var errNotFound = errors.New("document not found")

// fileStore is the file database of Perses v0.54.0: one file per resource
// at <folder>/<plural>/<project>/<name>.<extension> for project resources
// and <folder>/<plural>/<name>.<extension> for the others. It keeps no
// state in memory, so what survives a restart is what the folder keeps.
type fileStore struct {
	folder        string
	extension     string
	caseSensitive bool
}

func (s *fileStore) path(kind, project, name string) string {
	info := servedKinds[kind]
	parts := []string{s.folder, info.plural}
	if info.projectScoped {
		parts = append(parts, project)
	}
	parts = append(parts, name)
	return filepath.Join(parts...) + "." + s.extension
}

func (s *fileStore) normalize(text string) string {
	if s.caseSensitive {
		return text
	}
	return strings.ToLower(text)
}

// get reads one resource. On a case-insensitive file system a file found
// under another case is treated as missing, as Perses does.
func (s *fileStore) get(kind, project, name string) (*resource, error) {
	project, name = s.normalize(project), s.normalize(name)
	res, err := s.read(s.path(kind, project, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	if res.Metadata.Name != name {
		return nil, errNotFound
	}
	return res, nil
}

// list returns the resources of a kind, in one project or in all of them
// when project is empty, whose file name starts with namePrefix.
func (s *fileStore) list(kind, project, namePrefix string) ([]*resource, error) {
	info := servedKinds[kind]
	root := filepath.Join(s.folder, info.plural)
	if info.projectScoped && project != "" {
		root = filepath.Join(root, project)
	}
	// NOTE: Perses lower-cases the whole query path, the database folder
	// included, when the database is not case sensitive; the stand-in does
	// the same, so a folder with capitals lists nothing in either.
	root, namePrefix = s.normalize(root), s.normalize(namePrefix)

	result := []*resource{}
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return result, nil
	}
	err := filepath.Walk(root, func(path string, info fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() || filepath.Ext(info.Name()) != "."+s.extension || !strings.HasPrefix(info.Name(), namePrefix) {
			return nil
		}
		res, readErr := s.read(path)
		if readErr != nil {
			return readErr
		}
		result = append(result, res)
		return nil
	})
	return result, err
}

// upsert creates the resource, or updates it when it exists: an update
// keeps createdAt and increments the version, as Perses does on every
// provisioning pass, changed or not.
func (s *fileStore) upsert(res *resource) (created bool, err error) {
	now := time.Now().UTC()
	file := s.path(res.Kind, res.project(), res.Metadata.Name)

	previous, readErr := s.read(file)
	switch {
	case readErr == nil:
		res.Metadata.CreatedAt = previous.Metadata.CreatedAt
		res.Metadata.Version = previous.Metadata.Version + 1
	case errors.Is(readErr, fs.ErrNotExist):
		res.Metadata.CreatedAt = now
		res.Metadata.Version = 0
		created = true
	default:
		return false, readErr
	}
	res.Metadata.UpdatedAt = now

	data, err := s.encode(res)
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return false, err
	}
	return created, os.WriteFile(file, data, 0o600)
}

func (s *fileStore) encode(res *resource) ([]byte, error) {
	data, err := json.Marshal(res)
	if err != nil || s.extension == "json" {
		return data, err
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		return nil, err
	}
	return yaml.Marshal(generic)
}

func (s *fileStore) read(file string) (*resource, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if s.extension == "yaml" {
		var generic any
		if err := yaml.Unmarshal(data, &generic); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if data, err = json.Marshal(toJSONValue(generic)); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	var res resource
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &res, nil
}
