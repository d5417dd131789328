// Package safely turns panics into errors. Every reader of evidence is fuzzed, but a
// parser bug that is still there must fail only the piece of work that met it (a
// module, a file to hash or decrypt, an indicator file), never the whole run: a panic
// in a goroutine that does not recover it ends the process, with no results folder.
package safely

import (
	"bytes"
	"fmt"
	"path/filepath"
	"runtime"
)

// PanicError is a recovered panic.
type PanicError struct {
	Value any
	// Stack is where it happened, as "function (file:line)" lines: no addresses nor
	// goroutine numbers, so that logs stay the same from one run to the next.
	Stack []byte
}

func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v", p.Value) }

// Do runs f and returns its panic, if any, as a *PanicError.
func Do(f func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: stack()}
		}
	}()
	f()
	return nil
}

// stack returns the stack of the panicking goroutine, from the function that panicked.
func stack() []byte {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(4, pcs) // runtime.Callers, stack, the deferred function, gopanic
	frames := runtime.CallersFrames(pcs[:n])
	var b bytes.Buffer
	for {
		fr, more := frames.Next()
		fmt.Fprintf(&b, "%s (%s:%d)\n", fr.Function, filepath.Base(fr.File), fr.Line)
		if !more {
			break
		}
	}
	return b.Bytes()
}
