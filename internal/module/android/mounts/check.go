package mounts

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// SystemRW is raised when /system is mounted read-write.
var SystemRW = check.Heuristic{
	ID:    "mounts/system-rw",
	Level: alert.High,
	Meaning: "The /system partition, which holds Android itself, was mounted read-write. Android always mounts it " +
		"read-only (and verifies it at boot); it is made writable only on a rooted phone, to change system files, " +
		"which is also how some spyware hides in the system.",
	FalsePositive: "The owner may have rooted the phone or installed a custom ROM on purpose; development builds and " +
		"emulators also allow it.",
	Advice: "Ask the owner whether the phone was rooted or modified. If not, treat it as compromised: keep the " +
		"collection, stop using the phone for sensitive communication, and ask a digital-security helpline for help.",
}

// SystemPartitionRW is raised when another system partition is mounted read-write.
var SystemPartitionRW = check.Heuristic{
	ID:    "mounts/system-partition-rw",
	Level: alert.High,
	Meaning: "A system partition (vendor, product, system_ext…) was mounted read-write. Android mounts them read-only; " +
		"a writable system partition means the phone was rooted or modified so that system files can be changed.",
	FalsePositive: "Rooted phones, custom ROMs, development builds and emulators do this on purpose. A few vendors " +
		"mount a small vendor data folder under such a path read-write; look at the exact mount point.",
	Advice: "Check the mount point and ask the owner whether the phone was rooted or modified. If nobody did it, treat " +
		"the phone as compromised and ask a digital-security helpline for help.",
}

// SuspiciousOptionsAlert is raised for a system partition with unusual mount options.
var SuspiciousOptionsAlert = check.Heuristic{
	ID:    "mounts/suspicious-options",
	Level: alert.Medium,
	Meaning: "A system partition was mounted with options Android does not normally use for it (remount, noatime, " +
		"nodiratime). Remounting system partitions with different options is a step of rooting or of modifying the " +
		"system.",
	FalsePositive: "Vendors choose mount options freely, and some mount system partitions with noatime or nodiratime " +
		"on unmodified phones. Compare with another phone of the same model and version before drawing conclusions.",
	Advice: "Look at the other alerts (root binaries, read-write partitions, root packages). Alone, this is weak " +
		"evidence; keep the collection and ask a digital-security helpline if other signs of rooting appear.",
}

type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	var zero time.Time
	if rec.MountPoint != "" {
		c.env.FilePath(r, alert.Critical, rec.MountPoint, fmt.Sprintf("the mount point of %s (mounts.json)", rec.Device), zero, rec)
	}
	if rec.Device != "" {
		c.env.FilePath(r, alert.Critical, rec.Device, fmt.Sprintf("the device mounted on %s (mounts.json)", rec.MountPoint), zero, rec)
	}
	if !rec.IsSystemPartition {
		return
	}
	if rec.IsReadWrite {
		if rec.MountPoint == "/system" {
			SystemRW.Raise(r, fmt.Sprintf("Root detected: /system partition is mounted as read-write (rw) (%s, %s)", rec.Device, rec.MountOptions), zero, rec)
		} else {
			SystemPartitionRW.Raise(r, fmt.Sprintf("System partition %s is mounted as read-write (rw); this may indicate system modifications (%s, %s)",
				rec.MountPoint, rec.Device, rec.MountOptions), zero, rec)
		}
	}
	var opts []string
	for _, o := range rec.OptionsList {
		if o == "rw" || !slices.Contains(SuspiciousOptions, o) || slices.Contains(opts, o) {
			continue
		}
		if o == "noatime" && slices.Contains(NoatimeAllowed, rec.MountPoint) {
			continue
		}
		opts = append(opts, o)
	}
	if len(opts) > 0 {
		SuspiciousOptionsAlert.Raise(r, fmt.Sprintf("Suspicious mount options found for %s: %s", rec.MountPoint, strings.Join(opts, ", ")), zero, rec)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
