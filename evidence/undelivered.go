package evidence

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Undelivered counts, per camera id, the violations waiting on disk for
// delivery: the packages in the outbox folder dir that are not yet
// published, and the intents in intentDir (violations whose package was
// never built; the next start builds them). A violation found in both (a
// crash between the package's write and the intent's removal) counts
// once. A package whose event is unreadable counts under the camera id "".
// A folder that does not exist holds nothing.
func Undelivered(dir, intentDir string) (map[string]int, error) {
	byID := map[string]string{} // event id → camera id
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
		if err := readJSON(filepath.Join(pkg, eventFile), &ev); err != nil || ev.EventID == "" {
			byID[e.Name()] = ""
			continue
		}
		byID[ev.EventID] = ev.Camera.ID
	}
	names, err := filepath.Glob(filepath.Join(intentDir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if camera, id, ok := parseIntentName(filepath.Base(name)); ok {
			byID[id] = camera
		}
	}
	out := map[string]int{}
	for _, camera := range byID {
		out[camera]++
	}
	return out, nil
}
