package evidence

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Undelivered counts, per camera id, the deliveries waiting on disk: the
// packages in the outbox folder dir that are not yet published, and the
// intents in intentDir (violations whose package was never built; the
// next start builds and delivers them). Each counts once: a violation
// found in both (a crash between the package's write and the intent's
// removal) is delivered twice, under the same event id, and counts twice.
// A package whose event is unreadable counts under the camera id "". A
// folder that does not exist holds nothing.
func Undelivered(dir, intentDir string) (map[string]int, error) {
	out := map[string]int{}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		pkg := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(pkg, publishedMarker)); err == nil {
			continue // delivered; only its removal is left
		}
		var ev Event
		if err := readJSON(filepath.Join(pkg, eventFile), &ev); err != nil {
			out[""]++
			continue
		}
		out[ev.Camera.ID]++
	}
	names, err := filepath.Glob(filepath.Join(intentDir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if camera, _, ok := parseIntentName(filepath.Base(name)); ok {
			out[camera]++
		}
	}
	return out, nil
}
