package engine

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Live is what a run has done so far, for a progress display that reads it while the
// run goes on (from any goroutine).
type Live struct {
	total, done atomic.Int64
	files       atomic.Int64 // evidence files read (decrypted, for an encrypted backup)
	hashed      atomic.Int64 // bytes hashed for info.json after the modules
	mu          sync.Mutex
	running     map[string]bool
	hashing     atomic.Bool
	decrypting  atomic.Bool
}

// Decrypting notes that every evidence file read is decrypted on the way.
func (l *Live) Decrypting() { l.decrypting.Store(true) }

// Snapshot is a reading of Live.
type Snapshot struct {
	ModulesDone, ModulesTotal int
	// Running names the modules running now, sorted.
	Running []string
	// FilesRead counts the evidence files read so far; Decrypting says each was
	// decrypted (an encrypted backup).
	FilesRead  int64
	Decrypting bool
	// Hashing says the modules are done and the evidence files read are being hashed;
	// BytesHashed counts the bytes hashed so far.
	Hashing     bool
	BytesHashed int64
}

// Snapshot reads l; a nil Live reads as nothing done.
func (l *Live) Snapshot() Snapshot {
	if l == nil {
		return Snapshot{}
	}
	l.mu.Lock()
	running := make([]string, 0, len(l.running))
	for m := range l.running {
		running = append(running, m)
	}
	l.mu.Unlock()
	slices.Sort(running)
	return Snapshot{
		ModulesDone: int(l.done.Load()), ModulesTotal: int(l.total.Load()), Running: running,
		FilesRead: l.files.Load(), Decrypting: l.decrypting.Load(), Hashing: l.hashing.Load(), BytesHashed: l.hashed.Load(),
	}
}

func (l *Live) start(module string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	if l.running == nil {
		l.running = map[string]bool{}
	}
	l.running[module] = true
	l.mu.Unlock()
}

func (l *Live) end(module string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	delete(l.running, module)
	l.mu.Unlock()
	l.done.Add(1)
}

func (l *Live) fileRead() {
	if l != nil {
		l.files.Add(1)
	}
}

func (l *Live) hashedBytes(n int64) {
	if l != nil {
		l.hashed.Add(n)
	}
}
