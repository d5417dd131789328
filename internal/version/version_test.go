package version

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	i := Info{Version: "1.2.3", Commit: "abc123", GoVersion: "go1.26.8", Platform: "linux/amd64"}
	if got := i.String(); got != "spytrace 1.2.3 (commit abc123) go1.26.8 linux/amd64" {
		t.Errorf("String() = %q", got)
	}
	i.Commit = ""
	if got := i.String(); strings.Contains(got, "commit") {
		t.Errorf("String() without commit = %q", got)
	}
}

// TestLinkTimeCommit checks that the commit set by scripts/build.sh's -X flag is
// reported.
func TestLinkTimeCommit(t *testing.T) {
	old := Commit
	defer func() { Commit = old }()
	Commit = "0123456789abcdef"
	if got := Get(); got.Commit != Commit || !strings.Contains(got.String(), Commit) {
		t.Errorf("Get() = %+v", got)
	}
}
