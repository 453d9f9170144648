package evidence

import (
	"sync"
	"time"
)

// holding is what a builder keeps in memory while the disk refuses it (a
// full or read-only filesystem): intents not yet written and packages the
// outbox could not take. Everything is tried again every RetryEvery, in
// order, and goes to disk as soon as the disk takes it; nothing is dropped.
// Finished packages are held up to HoldBytes; past that a violation is
// held as its intent (the violation and its detection frame) and its
// package is built again when the disk returns, with the video the ring
// buffer still has.
type holding struct {
	mu sync.Mutex
	// intents are violations whose intent could not be written, keyed by
	// the intent's path.
	intents map[string]*pending
	// saved are intents written by a retry whose package is not in the
	// outbox yet: it must remove them once it is.
	saved map[string]bool
	// packages are in detection order: the outbox keeps that order.
	packages []heldPackage
	bytes    int64
	wake     chan struct{}
	// retryDone is closed when the retry loop has ended.
	retryDone chan struct{}
}

type heldPackage struct {
	p   pending
	pkg *Package // nil: over HoldBytes, rebuilt when the disk returns
}

func packageBytes(pkg *Package) int64 {
	var n int64
	for _, f := range pkg.Files {
		n += int64(len(f.Data))
	}
	return n
}

// holdIntent keeps a violation whose intent the disk refused.
func (b *Builder) holdIntent(p pending) {
	b.hold.mu.Lock()
	defer b.hold.mu.Unlock()
	if b.hold.intents == nil {
		b.hold.intents = map[string]*pending{}
	}
	b.hold.intents[b.intentPath(p)] = &p
	b.reportHeldLocked()
}

// add hands a finished package to the outbox, or holds it when the disk
// refuses it (or when older packages are still held: the order stays).
func (b *Builder) add(p pending, pkg Package) {
	b.hold.mu.Lock()
	defer b.hold.mu.Unlock()
	if len(b.hold.packages) == 0 {
		if b.addLocked(p, pkg) {
			return
		}
	}
	h := heldPackage{p: p, pkg: &pkg}
	if size := packageBytes(&pkg); b.hold.bytes+size <= b.HoldBytes {
		b.hold.bytes += size
	} else {
		h.pkg = nil
		b.Log.Warn("memory for refused packages is full; the violation is kept and its package will be built again",
			"track", p.v.TrackID, "hold_bytes", b.HoldBytes)
	}
	b.hold.packages = append(b.hold.packages, h)
	b.reportHeldLocked()
}

// addLocked tries the outbox once; it reports whether the package is
// there now.
func (b *Builder) addLocked(p pending, pkg Package) bool {
	if err := b.Outbox.Add(pkg); err != nil {
		b.Disk.fail(err)
		b.Log.Error("evidence package not written to the outbox; kept in memory and tried again", "event", pkg.Event.EventID, "err", err)
		return false
	}
	b.Disk.ok()
	// A held intent is no longer needed: the package is on disk.
	key := b.intentPath(p)
	delete(b.hold.intents, key)
	if b.hold.saved[key] {
		p.intentSaved = true
		delete(b.hold.saved, key)
	}
	b.removeIntent(p)
	b.added(p, pkg)
	return true
}

func (b *Builder) retryLoop() {
	defer close(b.hold.retryDone)
	t := time.NewTicker(b.RetryEvery)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
			b.retryHeld()
		}
	}
}

// retryHeld writes the held intents, then hands the held packages to the
// outbox in order, stopping at the first the disk still refuses.
func (b *Builder) retryHeld() {
	b.hold.mu.Lock()
	defer b.hold.mu.Unlock()
	for key, p := range b.hold.intents {
		if err := b.saveIntent(*p); err != nil {
			b.Disk.fail(err)
			break
		}
		b.Disk.ok()
		if b.hold.saved == nil {
			b.hold.saved = map[string]bool{}
		}
		b.hold.saved[key] = true
		delete(b.hold.intents, key)
		b.Log.Info("violation saved to disk after the disk refused it", "track", p.v.TrackID)
	}
	for len(b.hold.packages) > 0 {
		h := b.hold.packages[0]
		if h.pkg == nil {
			pkg, err := b.build(h.p)
			if err != nil {
				b.Log.Error("evidence package not built again", "track", h.p.v.TrackID, "err", err)
				break
			}
			h.pkg = &pkg
		} else {
			b.hold.bytes -= packageBytes(h.pkg)
		}
		if !b.addLocked(h.p, *h.pkg) {
			if b.hold.bytes+packageBytes(h.pkg) <= b.HoldBytes {
				b.hold.packages[0].pkg = h.pkg
				b.hold.bytes += packageBytes(h.pkg)
			}
			break
		}
		b.hold.packages = b.hold.packages[1:]
	}
	b.reportHeldLocked()
}

// Held counts the violations this builder holds in memory because the
// disk refused them, and the bytes of their packages.
func (b *Builder) Held() (violations int, bytes int64) {
	b.hold.mu.Lock()
	defer b.hold.mu.Unlock()
	return b.heldLocked(), b.hold.bytes
}

func (b *Builder) heldLocked() int {
	n := len(b.hold.packages)
	for key := range b.hold.intents {
		held := false
		for _, h := range b.hold.packages {
			if b.intentPath(h.p) == key {
				held = true
			}
		}
		if !held {
			n++
		}
	}
	return n
}

func (b *Builder) reportHeldLocked() {
	b.Disk.setHeld(b.Camera.ID, b.heldLocked())
}
