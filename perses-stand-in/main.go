// Command perses-stand-in is a small stand-in for the Perses server
// v0.54.0 in conformance tests: it provisions resources from folders into
// a file database and serves them read-only over the Perses HTTP API.
// It is not Perses; docs/live.md lists what it does and does not do.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// shutdownTimeout bounds how long open requests may run after SIGTERM;
// a pod gets 30 seconds by default before SIGKILL.
const shutdownTimeout = 5 * time.Second

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "perses-stand-in: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	flags := flag.NewFlagSet("perses-stand-in", flag.ContinueOnError)
	configPath := flags.String("config", "", "path to the Perses configuration file (YAML)")
	listenAddress := flags.String("web.listen-address", ":8080", "address the HTTP API listens on")
	logLevel := flags.String("log.level", "info", "log level: debug, info, warn or error")
	// Accepted so the stand-in starts with the arguments the Perses chart
	// passes to Perses; the stand-in has no metrics and logs no call sites.
	flags.Bool("web.hide-port", false, "accepted for compatibility with Perses; ignored")
	flags.String("web.telemetry-path", "/metrics", "accepted for compatibility with Perses; ignored")
	flags.Bool("log.method-trace", false, "accepted for compatibility with Perses; ignored")
	if err := flags.Parse(args); err != nil {
		return err
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log.level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	store := &fileStore{folder: cfg.Database.File.Folder, extension: cfg.Database.File.Extension, caseSensitive: cfg.Database.File.CaseSensitive}
	logger.Info("starting the Perses stand-in", "version", standInVersion, "listen", *listenAddress, "database", store.folder, "extension", store.extension,
		"provisioning_folders", cfg.Provisioning.Folders, "provisioning_interval", cfg.provisioningInterval.String())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	prov := &provisioner{folders: cfg.Provisioning.Folders, interval: cfg.provisioningInterval, store: store, logger: logger}
	go prov.run(ctx)

	server := &http.Server{Addr: *listenAddress, Handler: (&api{store: store, logger: logger}).routes(), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- server.ListenAndServe() }()

	select {
	case err := <-serveErr:
		return fmt.Errorf("HTTP server on %s: %w", *listenAddress, err)
	case <-ctx.Done():
	}

	logger.Info("stopping the Perses stand-in")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("HTTP server shutdown: %w", err)
	}
	return nil
}
