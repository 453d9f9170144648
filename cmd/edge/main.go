// Command edge is the Stopline edge worker: it pulls the cameras' RTSP
// streams, detects violations and delivers evidence.
//
//	edge [run] [-config FILE] [-out DIR]   run the worker (embedded demo config by default)
//	edge check -config FILE                validate a configuration and exit
//	edge keygen -key FILE [-pub FILE]      make the device's signing key pair
//	edge verify -pub FILE TARGET...        check evidence packages' hashes and signatures
//	edge replay --config FILE --camera ID --input VIDEO --events OUT.jsonl [--evidence DIR]
//	                                       run a camera's pipeline over a video file, as fast as it goes
//	edge eval --labels FILE --events FILE [--tolerance 1s]
//	                                       precision and recall of events against labelled violations
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // edge boxes may lack a zone database; snapshots need local time
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// Before anything else: a supervisor may stop the worker while it is
	// still loading its configuration and models, and that must be a clean
	// stop (exit 0), not death by the signal. Until this line runs (the
	// dynamic loader mapping OpenCV's libraries, the Go runtime starting)
	// the process has done nothing that a stop could lose.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// A log reader that goes away (a pipe to tee or journald closed first
	// on Ctrl-C) must not kill the worker mid-shutdown: its writes to
	// stderr then fail instead, and delivery goes on.
	signal.Ignore(syscall.SIGPIPE)
	err := runContext(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "edge:", err)
		os.Exit(1)
	}
}

// run is runContext with no signal to stop it: the tests' entry point.
func run(args []string, stdout, stderr io.Writer) error {
	return runContext(context.Background(), args, stdout, stderr)
}

// runContext runs one command; ctx ends when the worker is told to stop.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "run"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return runWorker(ctx, args, stdout, stderr)
	case "check":
		return runCheck(args, stdout, stderr)
	case "keygen":
		return runKeygen(args, stdout, stderr)
	case "verify":
		return runVerify(args, stdout, stderr)
	case "replay":
		return runReplay(ctx, args, stdout, stderr)
	case "eval":
		return runEval(args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "stopline edge", version)
		return nil
	default:
		return fmt.Errorf("unknown command %q (run, check, keygen, verify, replay, eval, version)", cmd)
	}
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("edge run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "configuration file (default: the embedded demo configuration)")
	out := fs.String("out", "", "write events, evidence and the outbox (and a key the worker creates) under this folder")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	// The first line: from here on a stop signal is a clean stop.
	log.Info("starting", "version", version, "pid", os.Getpid())

	cfg, err := loadConfig(*configPath, *out)
	if err != nil {
		return err
	}
	if err := preflight(cfg); err != nil {
		return err
	}
	if ctx.Err() != nil {
		log.Info("stopped before starting")
		return nil
	}
	w := &Worker{Config: cfg, Log: log, Version: version}
	if err := w.Start(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "edge: %d cameras; events -> %s, evidence -> %s\n", len(cfg.Cameras), cfg.Output.Events, cfg.Output.Evidence)
	<-ctx.Done()
	log.Info("stopping")
	w.Close()
	fmt.Fprintln(stdout, "edge: stopped:", w.StopSummary())
	return nil
}

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("edge check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *configPath == "" {
		return errors.New("check: -config is required")
	}
	cfg, err := loadConfig(*configPath, "")
	if err != nil {
		return err
	}
	if err := preflight(cfg); err != nil {
		return fmt.Errorf("config %s: %w", *configPath, err)
	}
	fmt.Fprintf(stdout, "%s: %d cameras, valid\n", *configPath, len(cfg.Cameras))
	return nil
}
