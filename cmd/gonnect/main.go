// Command gonnect runs a Kafka Connect compatible worker.
//
//	gonnect version
//	gonnect distributed [--check] worker.properties
//	gonnect standalone  [--check] worker.properties [connector.properties|connector.json ...]
//
// Properties use Apache Kafka Connect's keys. Environment variables
// GONNECT_<KEY> override them, with the key upper-cased and dots written as
// underscores (GONNECT_REST_ADVERTISED_HOST_NAME=w1 sets
// rest.advertised.host.name), as Connect's container images do.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/gonnect/gonnect/internal/logging"
	"github.com/gonnect/gonnect/internal/properties"
	"github.com/gonnect/gonnect/internal/version"
	"github.com/gonnect/gonnect/worker"
)

func main() {
	// The sink hot path allocates per record and the live heap stays small
	// (tens of MiB), so the default GOGC=100 collects very often; 200 cut
	// the worker's CPU per record by ~15% at the same peak RSS on the
	// benchmark workload. GOGC still overrides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gonnect:", err)
		os.Exit(1)
	}
}

func usage() error {
	return errors.New("usage: gonnect version | distributed [--check] worker.properties | standalone [--check] worker.properties [connector.properties ...]")
}

func run(args []string) error {
	if len(args) == 0 {
		return usage()
	}
	switch args[0] {
	case "version", "--version", "-v":
		fmt.Printf("gonnect %s (Kafka Connect API %s, commit %s)\n", version.Gonnect, version.ConnectAPI, version.Commit)
		return nil
	case "distributed", "standalone":
	default:
		return usage()
	}
	mode := args[0]
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	check := fs.Bool("check", false, "validate the configuration and exit")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() < 1 || (mode == "distributed" && fs.NArg() != 1) {
		return usage()
	}
	log, loggers, output := newLogger()
	slog.SetDefault(log) // plugins that log through slog.Default share the worker's format
	props, err := properties.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	applyEnv(props, os.Environ())
	if props, err = resolveWorkerProps(props); err != nil {
		return err
	}
	cfg, err := worker.ParseConfig(props, mode == "distributed", log)
	if err != nil {
		return err
	}
	if f := cfg.Values.String(worker.LogFormat); f != "" {
		if err := output.SetFormat(f); err != nil {
			return err
		}
	}
	var connectorFiles []string
	if mode == "standalone" {
		connectorFiles = fs.Args()[1:]
	}
	if *check {
		if err := checkSecurity(cfg); err != nil {
			return err
		}
		fmt.Println("configuration OK")
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if addr := os.Getenv("GONNECT_PPROF"); addr != "" {
		servePprof(ctx, log, addr)
	}
	return runWorker(ctx, log, loggers, cfg, connectorFiles)
}

// notProperties are GONNECT_* variables that are not worker properties:
// the process's own (logging, profiling) and the local servers' directory
// of the project's make targets, which a worker started from them inherits.
var notProperties = map[string]bool{"GONNECT_LOG_LEVEL": true, "GONNECT_LOG_FORMAT": true, "GONNECT_PPROF": true, "GONNECT_STACK_DIR": true}

// applyEnv overrides properties from GONNECT_* environment variables.
func applyEnv(props map[string]string, environ []string) {
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "GONNECT_") || notProperties[k] {
			continue
		}
		key := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(k, "GONNECT_"), "_", "."))
		props[key] = v
	}
}

// newLogger logs to stderr; GONNECT_LOG_LEVEL (DEBUG, INFO, WARN, ERROR) and
// GONNECT_LOG_FORMAT (text, json) choose level and format, until the
// worker's gonnect.log.format chooses the format.
// The registry behind /admin/loggers decides levels per logger, so the base
// handler lets everything through.
func newLogger() (*slog.Logger, *logging.Registry, *logging.Output) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv("GONNECT_LOG_LEVEL"))); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	format := "text"
	if os.Getenv("GONNECT_LOG_FORMAT") == "json" {
		format = "json"
	}
	base, _ := logging.NewOutput(os.Stderr, format, opts)
	loggers := newLoggers(base, level)
	return loggers.Logger("org.apache.kafka.connect.cli"), loggers, base
}
