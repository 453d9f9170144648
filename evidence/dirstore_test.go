package evidence

import (
	"context"
	"testing"
)

func TestDirStoreRejectsEscapingKeys(t *testing.T) {
	s := DirStore{Root: t.TempDir()}
	for _, key := range []string{"", "../x", "/etc/passwd", "a/../../b"} {
		if _, err := s.Put(context.Background(), key, nil, 0, "text/plain"); err == nil {
			t.Errorf("key %q accepted", key)
		}
	}
}
