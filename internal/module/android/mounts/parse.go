package mounts

import (
	"strings"

	"github.com/spytrace/spytrace/internal/safetext"
)

// Line formats.
const (
	FormatMount      = "mount"       // "dev on /mnt type fs (opts)"
	FormatProcMounts = "proc_mounts" // "dev /mnt fs opts 0 0"
)

// SystemMountPoints are MVT's system partitions: a mount point that starts with one of
// them (MVT's rule, by string prefix) is a system partition.
var SystemMountPoints = []string{"/system", "/vendor", "/product", "/system_ext"}

// SuspiciousOptions are MVT's suspicious options on a system partition.
var SuspiciousOptions = []string{"rw", "remount", "noatime", "nodiratime"}

// NoatimeAllowed are the mount points where MVT accepts noatime.
var NoatimeAllowed = []string{"/system_dlkm", "/system_ext", "/product", "/vendor", "/vendor_dlkm"}

const maxField = 4096

// ParseLine reads one line of `mount` or of /proc/mounts; ok is false for a line of
// neither shape.
func ParseLine(line string) (*Record, bool) {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil, false
	}
	var r Record
	if dev, rest, found := strings.Cut(line, " on "); found && strings.Contains(rest, " type ") {
		mp, fsPart, _ := strings.Cut(rest, " type ")
		r.Device = strings.TrimSpace(dev)
		r.MountPoint = strings.TrimSpace(mp)
		fsPart = strings.TrimSpace(fsPart)
		if i := strings.IndexByte(fsPart, '('); i >= 0 && strings.HasSuffix(fsPart, ")") {
			r.FilesystemType = strings.TrimSpace(fsPart[:i])
			r.MountOptions = strings.TrimSpace(fsPart[i+1 : len(fsPart)-1])
		} else {
			r.FilesystemType = fsPart
		}
		r.Format = FormatMount
	} else {
		f := strings.Fields(line)
		// dev mnt fs opts [freq passno]
		if len(f) < 4 || len(f) > 6 || !strings.HasPrefix(f[1], "/") {
			return nil, false
		}
		for _, x := range f[4:] {
			if strings.Trim(x, "0123456789") != "" {
				return nil, false
			}
		}
		r.Device = unescape(f[0])
		r.MountPoint = unescape(f[1])
		r.FilesystemType = unescape(f[2])
		r.MountOptions = unescape(f[3])
		r.Format = FormatProcMounts
	}
	if r.Device == "" || r.MountPoint == "" || r.FilesystemType == "" {
		return nil, false
	}
	r.Device = clean(r.Device)
	r.MountPoint = clean(r.MountPoint)
	r.FilesystemType = clean(r.FilesystemType)
	r.MountOptions = clean(r.MountOptions)
	r.OptionsList = []string{}
	for _, o := range strings.Split(r.MountOptions, ",") {
		if o = strings.TrimSpace(o); o != "" && len(r.OptionsList) < 256 {
			r.OptionsList = append(r.OptionsList, o)
		}
	}
	r.IsSystemPartition = isSystem(r.MountPoint)
	r.IsReadWrite = has(r.OptionsList, "rw")
	return &r, true
}

func clean(s string) string { return safetext.EscapeInvalid(safetext.Truncate(s, maxField)) }

func isSystem(mp string) bool {
	for _, p := range SystemMountPoints {
		if strings.HasPrefix(mp, p) {
			return true
		}
	}
	return false
}

func has(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// unescape decodes the octal escapes of /proc/mounts (\040 space, \011 tab, \012
// newline, \134 backslash).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] <= '3' && isOct(s[i+1]) && isOct(s[i+2]) && isOct(s[i+3]) {
			v := (s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
			b.WriteByte(v)
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOct(c byte) bool { return c >= '0' && c <= '7' }
