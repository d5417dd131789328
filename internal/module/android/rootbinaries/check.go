package rootbinaries

import (
	"fmt"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// RootBinary is raised for every root binary found.
var RootBinary = check.Heuristic{
	ID:    "root_binaries/root-binary",
	Level: alert.High,
	Meaning: "androidqf found a program used to get root (administrator) rights on the phone, such as su, Magisk, SuperSU " +
		"or KingRoot. A rooted phone has lost much of Android's protection: any app given root can read every other app's " +
		"data, and spyware installed with physical access often roots the phone or relies on root.",
	FalsePositive: "The owner may have rooted the phone on purpose, or bought it rooted (some second-hand and custom-ROM " +
		"phones are). BusyBox alone is a set of ordinary command-line tools that some ROMs ship; without su or Magisk it " +
		"does not give root.",
	Advice: "Ask the owner whether the phone was rooted on purpose and by whom. If not, treat the phone as compromised: " +
		"keep the collection, stop using the phone for sensitive communication, and ask a digital-security helpline for " +
		"help (a factory reset does not always remove root).",
}

type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	RootBinary.Raise(r, fmt.Sprintf("Found root binary %q at path %q (%s)", rec.BinaryName, rec.Path, rec.Description), time.Time{}, rec)
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
