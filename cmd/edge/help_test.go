package main

import (
	"strings"
	"testing"
)

// TestHelpPrintsToStdoutAndSucceeds: every way of asking for help prints
// usage to stdout, names every command, and exits 0; a command's help also
// shows its flags.
func TestHelpPrintsToStdoutAndSucceeds(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string // besides every command's name
	}{
		{"help", []string{"help"}, []string{"edge help COMMAND", "print the version"}},
		{"--help", []string{"--help"}, []string{"edge help COMMAND", "check evidence packages' hashes"}},
		{"-h", []string{"-h"}, []string{"edge help COMMAND"}},
		{"check --help", []string{"check", "--help"}, []string{"edge check: validate a configuration", "-config"}},
		{"replay -h", []string{"replay", "-h"}, []string{"usage: edge replay --config FILE", "-start", "-evidence"}},
		{"help eval", []string{"help", "eval"}, []string{"usage: edge eval --labels FILE", "-tolerance", "-min-recall"}},
		{"eval -h after flags", []string{"eval", "--labels", "x.yaml", "-h"}, []string{"usage: edge eval", "-min-cases"}},
		{"run's flags", []string{"-config", "x.yaml", "-h"}, []string{"usage: edge [run]", "-log-level"}},
		{"help scene", []string{"help", "scene"}, []string{"edge scene: draw a camera's scene"}},
		{"version -h", []string{"version", "-h"}, []string{"usage: edge version"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runEdge(tc.args...)
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if stderr != "" {
				t.Errorf("stderr %q, want help on stdout only", stderr)
			}
			for _, w := range append(tc.want, "run", "check", "scene", "keygen", "verify", "replay", "eval", "version", "help") {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout does not say %q:\n%s", w, stdout)
				}
			}
			if strings.Contains(stdout, "help requested") {
				t.Errorf("stdout reports the help request as an error:\n%s", stdout)
			}
		})
	}
}

// TestHelpListsEveryCommandOnOneLine: the top-level list has a line per
// command of the table, its name first.
func TestHelpListsEveryCommandOnOneLine(t *testing.T) {
	stdout, _, err := runEdge("help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands() {
		found := false
		for _, line := range strings.Split(stdout, "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == c.name && strings.Contains(line, c.summary) {
				found = true
			}
		}
		if !found {
			t.Errorf("no line for %s:\n%s", c.name, stdout)
		}
	}
}

// TestHelpUnknownCommandFails: a misspelt command or help topic exits
// non-zero and lists the commands on stderr; a misspelt flag still fails.
func TestHelpUnknownCommandFails(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		list    bool // the commands are listed on stderr
	}{
		{"unknown command", []string{"evall"}, `unknown command "evall"`, true},
		{"unknown command asking for help", []string{"evall", "-h"}, `unknown command "evall"`, true},
		{"help on an unknown command", []string{"help", "evall"}, `unknown command "evall"`, true},
		{"unknown flag", []string{"check", "-nope"}, "-nope", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runEdge(tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one saying %q; stdout:\n%s", err, tc.wantErr, stdout)
			}
			if !tc.list {
				return
			}
			for _, w := range []string{"run", "check", "scene", "keygen", "verify", "replay", "eval", "version"} {
				if !strings.Contains(stderr, "  "+w+" ") {
					t.Errorf("stderr does not list %s:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestHelpVersion: edge version prints the version and takes no arguments.
func TestHelpVersion(t *testing.T) {
	stdout, _, err := runEdge("version")
	if err != nil || stdout != "stopline edge "+version+"\n" {
		t.Errorf("version: %q, %v", stdout, err)
	}
	if _, _, err := runEdge("version", "extra"); err == nil {
		t.Error("version with an argument: no error")
	}
}
