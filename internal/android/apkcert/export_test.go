package apkcert

// SetTailWindow changes the tail kept by FromStream and returns a function restoring it.
func SetTailWindow(n int) func() {
	old := tailWindow
	tailWindow = n
	return func() { tailWindow = old }
}
