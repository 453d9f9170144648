// Package disktest gives tests a real small filesystem they can fill up
// and make read-only: a tmpfs mounted in a temporary folder. The worker's
// outbox, events file and intents then meet the kernel's own ENOSPC and
// EROFS, not an imitation of them.
//
//	d := disktest.Mount(t, 32<<20)
//	d.Fill()      // writes fail with "no space left on device"
//	d.Free()      // and succeed again
//	d.ReadOnly()  // writes fail with "read-only file system"
//	d.ReadWrite()
//
// Mounting needs root (CI runs as root); elsewhere the test is skipped with
// that reason.
package disktest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Disk is a mounted tmpfs.
type Disk struct {
	// Dir is the mount point.
	Dir string

	t      testing.TB
	mu     sync.Mutex
	filler string
}

// Mount mounts a tmpfs of size bytes, unmounted when the test ends.
func Mount(t testing.TB, size int64) *Disk {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs (make test in CI runs as root)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0755", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mounting a %d-byte tmpfs on %s: %v\n%s", size, dir, err, out)
	}
	d := &Disk{Dir: dir, t: t}
	t.Cleanup(func() {
		// Lazy: a process the test started may still hold a file open.
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("unmounting %s: %v\n%s", dir, err, out)
		}
	})
	return d
}

// Fill takes every free byte with a filler file: from now on a write that
// needs a new block fails with ENOSPC.
func (d *Disk) Fill() {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.filler = filepath.Join(d.Dir, ".filler")
	f, err := os.OpenFile(d.filler, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		d.t.Fatalf("filling %s: %v", d.Dir, err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for _, n := range []int{64 << 10, 4 << 10, 1} {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					d.t.Fatalf("filling %s: %v", d.Dir, err)
				}
				break
			}
		}
	}
}

// Free removes the filler.
func (d *Disk) Free() {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.filler == "" {
		return
	}
	if err := os.Remove(d.filler); err != nil {
		d.t.Fatalf("freeing %s: %v", d.Dir, err)
	}
	d.filler = ""
}

// ReadOnly remounts the filesystem read-only: writes and new files fail
// with EROFS, files already open for writing included.
func (d *Disk) ReadOnly() { d.remount("ro") }

// ReadWrite makes it writable again.
func (d *Disk) ReadWrite() { d.remount("rw") }

// remount retries for a while: the kernel refuses to make a filesystem
// read-only while a file on it is open for writing, which the worker does
// for a moment at a time.
func (d *Disk) remount(mode string) {
	d.t.Helper()
	var out []byte
	var err error
	for i := 0; i < 200; i++ {
		if out, err = exec.Command("mount", "-o", "remount,"+mode, d.Dir).CombinedOutput(); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.t.Fatalf("remounting %s %s: %v\n%s", d.Dir, mode, err, out)
}
