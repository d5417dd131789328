package safely

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

func boom(m map[string]int) { m["x"] = 1 } // a nil map: a runtime panic

func TestDo(t *testing.T) {
	if err := Do(func() {}); err != nil {
		t.Fatalf("no panic: %v", err)
	}
	err := Do(func() { boom(nil) })
	var p *PanicError
	if !errors.As(err, &p) {
		t.Fatalf("%v (%T), want a *PanicError", err, err)
	}
	if !strings.Contains(err.Error(), "assignment to entry in nil map") {
		t.Errorf("message %q", err)
	}
	if !strings.Contains(string(p.Stack), "safely.boom (safely_test.go:10)") || strings.Contains(string(p.Stack), "gopanic") {
		t.Errorf("stack lacks the panicking function, or holds the panic's own frames:\n%s", p.Stack)
	}
	if strings.Contains(string(p.Stack), "0x") || strings.Contains(string(p.Stack), "goroutine") {
		t.Errorf("stack holds addresses or goroutine numbers:\n%s", p.Stack)
	}
}

// TestDoInGoroutine: a panic in a goroutine of its own, which would end the process,
// is an error of that goroutine's work.
func TestDoInGoroutine(t *testing.T) {
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = Do(func() {
				if i%2 == 1 {
					panic("odd")
				}
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i%2 == 1) {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
}
