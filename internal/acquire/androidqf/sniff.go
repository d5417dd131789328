package androidqf

import (
	"io/fs"
	"path"
	"slices"
)

// ownFiles are files androidqf writes at the top of a collection that no other
// acquisition holds there (getprop.txt, ps.txt and dumpsys.txt are left out: intrusion
// logs exports, sysdiagnose archives and bug reports have files of those names).
var ownFiles = []string{
	"backup.ab", "bugreport.zip", "files.json", "getprop.json", "mounts.json", "packages.json",
	"processes.json", "root_binaries.json", "settings.json", "settings_*.txt",
}

// Sniffed is what [Sniff] learnt about a collection.
type Sniffed struct {
	// Acquisition is its acquisition.json, nil when it has none that decodes.
	Acquisition *Acquisition
	// Files are the top-level files androidqf writes that were found, sorted: the
	// patterns of ownFiles that matched.
	Files []string
}

// Sniff reports whether the top of fsys (a folder or zip opened by package archive with
// StripSingleTop, as Open opens it) holds an androidqf collection: an acquisition.json
// naming a uuid or an androidqf version, or at least two of the files androidqf writes
// that no other acquisition has at its top (packages.json, processes.json,
// settings_*.txt, bugreport.zip, backup.ab…). It lists the top and reads
// acquisition.json (1 MiB at most). It cannot look inside an age-encrypted file; see
// [Encryption] for those.
func Sniff(fsys fs.FS) (Sniffed, bool) {
	var s Sniffed
	// An acquisition.json that does not decode, or names neither, proves nothing: the
	// files decide.
	if a, err := readAcquisitionJSON(fsys); err == nil && (a.UUID != "" || a.AndroidQFVersion != "") {
		s.Acquisition = a
	}
	top, _ := fs.ReadDir(fsys, ".")
	for _, pat := range ownFiles {
		for _, e := range top {
			if ok, _ := path.Match(pat, e.Name()); ok && e.Type().IsRegular() {
				s.Files = append(s.Files, pat)
				break
			}
		}
	}
	slices.Sort(s.Files)
	return s, s.Acquisition != nil || len(s.Files) >= 2
}
