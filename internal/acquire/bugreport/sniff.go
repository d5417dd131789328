package bugreport

import "io/fs"

// SniffBytes is how much of the dumpstate text Sniff reads: enough for the dumpstate
// header, which comes first.
const SniffBytes = 64 << 10

// Sniffed is what [Sniff] learnt about a bug report.
type Sniffed struct {
	// Prefix is the one folder that holds the bug report ("" when it is at the top), as
	// Facts.Prefix.
	Prefix string
	// DumpstateFile is the name of the dumpstate text below Prefix, found as New finds
	// it ("" when there is none).
	DumpstateFile string
	// DumpstateTime, Build and BuildFingerprint are those of the dumpstate header (see
	// Facts), when its first SniffBytes hold them.
	DumpstateTime, Build, BuildFingerprint string
}

// Sniff reports whether fsys holds an Android bug report, by New's rules: main_entry.txt,
// a dumpState_*.log or a bugreport-*.txt at its top, or in the one folder its top holds.
// It lists those folders, reads main_entry.txt (4 KiB at most) and the first
// SniffBytes of the dumpstate text; it cuts no sections.
func Sniff(fsys fs.FS) (Sniffed, bool) {
	var s Sniffed
	base := fsys
	switch {
	case hasCandidate(fsys, "."):
	default:
		p := wrapperFolder(fsys)
		if p == "" {
			return Sniffed{}, false
		}
		sub, err := fs.Sub(fsys, p)
		if err != nil {
			return Sniffed{}, false
		}
		base, s.Prefix = sub, p
	}
	d := findDumpstate(base)
	s.DumpstateFile = d.name
	if d.name == "" {
		return s, true
	}
	text, truncated, _, err := readBounded(base, d.name, SniffBytes)
	if err != nil && len(text) == 0 {
		return s, true
	}
	res := Split(text, truncated, 1)
	s.DumpstateTime, s.Build, s.BuildFingerprint = res.DumpstateTime, res.Build, res.BuildFingerprint
	return s, true
}
