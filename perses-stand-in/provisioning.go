package main

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"time"
)

// provisioner loads the provisioning folders into the store once at start
// and then every interval, like the provisioning task of Perses v0.54.0:
// projects first, create or update, never delete.
type provisioner struct {
	folders  []string
	interval time.Duration
	store    *fileStore
	logger   *slog.Logger
}

func (p *provisioner) run(ctx context.Context) {
	if len(p.folders) == 0 {
		return
	}
	p.reload()

	ticker := time.NewTicker(p.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			p.reload()
		}
	}
}

func (p *provisioner) reload() {
	started := time.Now()
	warn := func(message string) { p.logger.Warn(message) }

	var resources []*resource
	for _, folder := range p.folders {
		loaded, errs := loadFolder(folder, warn)
		for _, err := range errs {
			p.logger.Warn("unable to load a provisioning file", "folder", folder, "error", err)
		}
		resources = append(resources, loaded...)
	}

	// A resource can only be created in a project that exists, so every
	// project of this pass goes first, whichever file it came from.
	sort.SliceStable(resources, func(i, j int) bool {
		return resources[i].Kind == "Project" && resources[j].Kind != "Project"
	})

	var created, updated, rejected int
	for _, res := range resources {
		res.flatten(p.store.caseSensitive)
		if project := res.project(); project != "" && !p.projectExists(project) {
			p.logger.Error("unable to provision a resource: its project does not exist", "kind", res.Kind, "name", res.Metadata.Name, "project", project)
			rejected++
			continue
		}
		isNew, err := p.store.upsert(res)
		if err != nil {
			p.logger.Error("unable to store a resource", "kind", res.Kind, "name", res.Metadata.Name, "project", res.project(), "error", err)
			rejected++
			continue
		}
		if isNew {
			created++
		} else {
			updated++
		}
	}
	p.logger.Info("provisioning pass finished", "created", created, "updated", updated, "rejected", rejected, "duration", time.Since(started).String())
}

// projectExists treats a failed lookup other than "not found" as an
// existing project, so that a read error does not drop resources.
func (p *provisioner) projectExists(name string) bool {
	_, err := p.store.get("Project", "", name)
	return !errors.Is(err, errNotFound)
}
