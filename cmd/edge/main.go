// Command edge is the Stopline edge worker: it pulls the cameras' RTSP
// streams, detects violations and delivers evidence. `edge help` lists its
// commands (the table in commands below); `edge help COMMAND` or
// `edge COMMAND -h` shows a command's flags.
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
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	_ "time/tzdata" // edge boxes may lack a zone database; snapshots need local time

	"github.com/stopline/stopline/ops"
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

// command is one subcommand of edge: its name, a one-line summary for the
// list, how it is called, and what runs it.
type command struct {
	name, summary string
	// synopsis is how it is called, a line per form; detail, if any, says
	// more about its arguments.
	synopsis, detail string
	// run is nil for a command listed but not built into this binary.
	run func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is edge's command table, in the order help lists them. It is a
// function, not a variable, because help refers back to it.
func commands() []command {
	noCtx := func(f func([]string, io.Writer, io.Writer) error) func(context.Context, []string, io.Writer, io.Writer) error {
		return func(_ context.Context, args []string, stdout, stderr io.Writer) error { return f(args, stdout, stderr) }
	}
	return []command{
		{"run", "run the worker (the default command; without -config, the embedded demo configuration)",
			"edge [run] [-config FILE] [-out DIR] [-log-level LEVEL]", "", runWorker},
		{"check", "validate a configuration and exit",
			"edge check -config FILE", "", noCtx(runCheck)},
		{"scene", "draw a camera's scene over a frame of a clip or a stream, or save the frame",
			"edge scene draw [-config FILE] [-camera ID] [-input CLIP [-at 5s] | -url RTSP] -o scene.png [-grid 40]\n" +
				"edge scene frame [-config FILE] [-camera ID] [-input CLIP [-at 5s] | -url RTSP] -o frame.png",
			"With neither -input nor -url the frame comes from the camera's own url.", runScene},
		{"reference", "save the picture a camera's moved and blurred checks compare with",
			"edge reference -config FILE [-camera ID] [-input CLIP [-at 5s] | -url RTSP] [-o FILE]",
			"Default -o: <camera id>.reference.png next to the configuration, where the worker looks for it.", runReference},
		{"keygen", "make the device's signing key pair",
			"edge keygen -key FILE [-pub FILE]", "", noCtx(runKeygen)},
		{"verify", "check evidence packages' hashes and signatures",
			"edge verify -pub device.pub [-config edge.yaml | -s3-endpoint host:port] TARGET...",
			"TARGET is a package folder, a folder tree of packages, or s3://bucket/prefix", noCtx(runVerify)},
		{"replay", "run a camera's pipeline over a video file, as fast as it goes",
			"edge replay --config FILE --camera ID --input VIDEO --events OUT.jsonl [--evidence DIR] [--key FILE] [--start TIME] [--debug-video OUT.mp4]", "", runReplay},
		{"eval", "precision and recall of events against labelled violations",
			"edge eval --labels FILE --events FILE [--camera ID] [--tolerance 1s] [--min-precision P] [--min-recall R] [--min-cases N]",
			"The label format: testdata/labels/README.md.", noCtx(runEval)},
		{"plates", "read licence plates from images or a clip, or score them against labels",
			"edge plates --input DIR|FILE [--labels labels.csv] [--every 1s] [--detect-side 480]",
			"The label format: testdata/plates/README.md.", runPlates},
		{"bench", "measure how many cameras the worker carries per core, next to ffmpeg's decode-only ceiling",
			"edge bench [-scenarios S1-motion,S1-both,S2-motion,S2-both] [-cores 0] [-max 48] [-duration 10s] [-simcam PATH]",
			"Makes its streams from a real clip with ffmpeg, serves N cameras with simcam over loopback RTSP, runs the worker\n" +
				"pinned to -cores and searches for the largest N it sustains. Run from the repository (the clip is in testdata/).", runBench},
		{"version", "print the version",
			"edge version", "", noCtx(runVersion)},
		// runContext answers help itself: a run here would refer back to this table.
		{"help", "list the commands, or show one command's flags",
			"edge help [COMMAND]", "", nil},
	}
}

// runContext runs one command; ctx ends when the worker is told to stop.
// A request for help (edge help [CMD], edge -h, edge CMD -h) prints to
// stdout and succeeds.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelpFlag(args[0]) {
		return printHelp(stdout)
	}
	name := "run"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		switch len(args) {
		case 0:
			return printHelp(stdout)
		case 1:
			cmd, ok := findCommand(args[0])
			if !ok {
				printHelp(stderr)
				return fmt.Errorf("help: unknown command %q (%s)", args[0], strings.Join(commandNames(), ", "))
			}
			if cmd.name == "help" {
				return printHelp(stdout)
			}
			return printCommandHelp(ctx, cmd, []string{"-h"}, stdout)
		default:
			return fmt.Errorf("help: one command at a time, not %q", args)
		}
	}
	cmd, ok := findCommand(name)
	if !ok {
		printHelp(stderr)
		return fmt.Errorf("unknown command %q (%s)", name, strings.Join(commandNames(), ", "))
	}
	if slices.ContainsFunc(flagArgs(args), isHelpFlag) {
		// The command prints its own usage (to stdout, as asked for); it
		// gets its arguments as given so that one with subcommands (edge
		// scene draw -h) can show the right one.
		return printCommandHelp(ctx, cmd, args, stdout)
	}
	if cmd.run == nil {
		return fmt.Errorf("%s: not built into this edge binary", name)
	}
	err := cmd.run(ctx, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		// A help flag the scan above did not see (one given as -help=true).
		return nil
	}
	return err
}

// isHelpFlag reports whether arg asks for help the way the flag package
// understands it.
func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}

// flagArgs is args up to a "--", after which nothing is a flag.
func flagArgs(args []string) []string {
	if i := slices.Index(args, "--"); i >= 0 {
		return args[:i]
	}
	return args
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

// printHelp writes the list of commands.
func printHelp(w io.Writer) error {
	fmt.Fprintln(w, "Stopline edge worker")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: edge [COMMAND] [flags]   (no command: run)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "A command's flags: edge help COMMAND, or edge COMMAND -h.")
	return nil
}

// printCommandHelp writes what a command does, then how it is called and
// its flags. Those come from the command itself, run with args (which ask
// for help) and its output sent to w: the flags are declared in one place.
func printCommandHelp(ctx context.Context, cmd command, args []string, w io.Writer) error {
	fmt.Fprintf(w, "edge %s: %s\n\n", cmd.name, cmd.summary)
	if cmd.run == nil {
		writeSynopsis(w, cmd)
	} else if err := cmd.run(ctx, args, w, w); err != nil && !errors.Is(err, flag.ErrHelp) {
		return err
	}
	fmt.Fprintf(w, "\nOther commands: %s (edge help lists them).\n", strings.Join(commandNames(), ", "))
	return nil
}

// usageOf makes a command's flag usage (on -h, and after a flag error) say
// how it is called, then its flags.
func usageOf(fs *flag.FlagSet, name string) {
	fs.Usage = func() {
		if cmd, ok := findCommand(name); ok {
			writeSynopsis(fs.Output(), cmd)
		}
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(fs.Output(), "\nflags:")
			fs.PrintDefaults()
		}
	}
}

func writeSynopsis(w io.Writer, cmd command) {
	for i, line := range strings.Split(cmd.synopsis, "\n") {
		if i == 0 {
			fmt.Fprintln(w, "usage: "+line)
		} else {
			fmt.Fprintln(w, "       "+line)
		}
	}
	if cmd.detail != "" {
		fmt.Fprintln(w, cmd.detail)
	}
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("edge version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	usageOf(fs, "version")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("version: unexpected arguments %q", fs.Args())
	}
	fmt.Fprintln(stdout, "stopline edge", version)
	return nil
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("edge run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	usageOf(fs, "run")
	configPath := fs.String("config", "", "configuration file (default: the embedded demo configuration)")
	out := fs.String("out", "", "write events, evidence and the outbox under this folder, and the key unless the configuration names one")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this `file` (go tool pprof), for edge bench")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
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
	// What edge check warns about (a camera no rule can fire for, ...)
	// is worth a line in the log of the worker that runs it too.
	for _, w := range cfg.Warnings() {
		log.Warn("configuration", "warning", w)
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

// startCPUProfile profiles the process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("edge check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	usageOf(fs, "check")
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
		return ops.PrefixLines("config "+*configPath+": ", err)
	}
	describeConfig(stdout, cfg)
	fmt.Fprintf(stdout, "%s: %d cameras, valid\n", *configPath, len(cfg.Cameras))
	return nil
}
