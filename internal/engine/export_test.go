package engine

import "time"

// SetAbandonGrace sets how long a module whose context ended is waited for, and
// returns a function that restores it.
func SetAbandonGrace(d time.Duration) (restore func()) {
	old := abandonGrace
	abandonGrace = d
	return func() { abandonGrace = old }
}
