package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults of Perses v0.54.0 for the keys the stand-in reads.
const (
	defaultDatabaseFolder   = "./local_db"
	defaultFileExtension    = "yaml"
	defaultProvisioningTick = time.Hour
)

// fileDatabase is the database.file section of the Perses configuration.
type fileDatabase struct {
	Folder        string `yaml:"folder"`
	Extension     string `yaml:"extension"`
	CaseSensitive bool   `yaml:"case_sensitive"`
}

// config holds the keys of the Perses configuration file that the stand-in
// reads. Every other key is accepted and ignored.
type config struct {
	Database struct {
		File *fileDatabase `yaml:"file"`
		SQL  any           `yaml:"sql"`
	} `yaml:"database"`
	Provisioning struct {
		Folders  []string `yaml:"folders"`
		Interval string   `yaml:"interval"`
	} `yaml:"provisioning"`

	provisioningInterval time.Duration
}

// loadConfig reads the configuration file at path, or uses the defaults
// when path is empty, and applies the defaults Perses applies.
func loadConfig(path string) (*config, error) {
	cfg := &config{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read the configuration file: %w", err)
		}
		if err := yaml.Unmarshal(data, cfg); err != nil {
			return nil, fmt.Errorf("parse the configuration file %s: %w", path, err)
		}
	}

	if cfg.Database.SQL != nil && cfg.Database.File != nil {
		return nil, errors.New("database.file and database.sql are both set; Perses accepts only one of them")
	}
	if cfg.Database.SQL != nil {
		return nil, errors.New("database.sql is set, but the stand-in implements only the file database; use database.file")
	}
	if cfg.Database.File == nil {
		cfg.Database.File = &fileDatabase{Folder: defaultDatabaseFolder}
	}
	if cfg.Database.File.Extension == "" {
		cfg.Database.File.Extension = defaultFileExtension
	}
	if ext := cfg.Database.File.Extension; ext != "json" && ext != "yaml" {
		return nil, fmt.Errorf("database.file.extension is %q; expected json or yaml", ext)
	}

	cfg.provisioningInterval = defaultProvisioningTick
	if cfg.Provisioning.Interval != "" {
		interval, err := parseDuration(cfg.Provisioning.Interval)
		if err != nil {
			return nil, fmt.Errorf("provisioning.interval: %w", err)
		}
		// Perses replaces a zero interval with its default.
		if interval > 0 {
			cfg.provisioningInterval = interval
		}
	}
	return cfg, nil
}

// durationPattern is the duration grammar of Perses configuration files:
// units from years down to milliseconds, each at most once, largest first.
var durationPattern = regexp.MustCompile(`^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$`)

var durationUnits = []time.Duration{
	365 * 24 * time.Hour,
	7 * 24 * time.Hour,
	24 * time.Hour,
	time.Hour,
	time.Minute,
	time.Second,
	time.Millisecond,
}

// parseDuration parses a duration such as "10m", "1h30m" or "500ms".
func parseDuration(text string) (time.Duration, error) {
	if text == "0" {
		return 0, nil
	}
	match := durationPattern.FindStringSubmatch(text)
	if text == "" || match == nil {
		return 0, fmt.Errorf("invalid duration %q; expected a form such as 30s, 10m or 1h30m", text)
	}

	var total time.Duration
	for i, unit := range durationUnits {
		if match[i+1] == "" {
			continue
		}
		count, err := strconv.ParseInt(match[i+1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: %w", text, err)
		}
		total += time.Duration(count) * unit
	}
	return total, nil
}
