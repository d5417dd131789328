// Package bugreport opens an Android bug report (the zip "adb bugreport" writes, or the
// folder it unpacks to) as an acquisition: every file of the bug report under its own
// name ("main_entry.txt", "FS/data/tombstones/tombstone_00", …), plus the sections of
// its dumpstate text as virtual files under "@sections/", cut once when the bug report
// is opened so that no module reads or splits the big text again.
//
// The opener takes any fs.FS of the bug report's files (a folder or zip opened safely
// by package archive, an archive/zip.Reader, a testing/fstest.MapFS). When the top of
// that fs holds nothing but one folder that holds the bug report (a bug report
// unpacked and zipped again), that folder is the top ([Facts].Prefix).
//
// # Finding the dumpstate text
//
// As MVT does, then a little further: the file that main_entry.txt names (its content
// is the name, e.g. "bugreport-husky-UP1A.231005.007-2024-03-14-10-00-00.txt"); else
// the first dumpState_*.log at the top (older Samsung bug reports); else the first
// bugreport-*.txt at the top; else dumpsys.txt at the top or one folder down.
// [Facts].FoundBy says which; several candidates, or a main_entry.txt that names a
// missing file, are Problems. Without a dumpstate text, the bug report's files are
// still served, "@sections/" is not, and a Problem "dumpstate_missing" says why the
// modules that read sections are skipped.
//
// The text is read once, up to [Options.MaxDumpstateBytes] (1 GiB by default), and
// kept in memory; sections are served as readers over it, without copies. A text cut
// at the limit gives a Problem "limit_reached", and the section that runs into the
// cut is marked [Section].Truncated (in [Bugreport.Sections] and in the FileInfo.Sys
// of its file) with a Problem "section_truncated".
//
// # Section names
//
//   - "@sections/dumpsys/<service>": the text of "DUMP OF SERVICE <service>:" — the
//     lines after that header up to, not including, the separator before the next
//     header, dumpsys's footer ("--------- 0.012s was the duration of dumpsys …") or
//     the next line of dumpstate's own ("------ … ------"). The service name is written
//     with [EscapeName]: '/' is "%2F" ("android.hardware.power.IPower%2Fdefault"), and
//     '%', '~', blanks, control characters and bytes that are not UTF-8 are escaped too.
//     [DumpsysName] gives the name of a service's section.
//   - "@sections/dumpsys-critical/<service>", "@sections/dumpsys-high/<service>": the
//     priority dumps ("DUMP OF SERVICE CRITICAL <service>:", "DUMP OF SERVICE HIGH
//     <service>:"), which dumpstate takes before the full dumpsys; a service registered
//     at several priorities is printed once per priority, with different content (the
//     CRITICAL dump of "activity" is short). They are kept apart so that
//     "@sections/dumpsys/<service>" is always the full dump, the one MVT reads (it
//     looks for "DUMP OF SERVICE <service>:" exactly). ("DUMP OF SERVICE NORMAL x:" is
//     read as the plain header.)
//   - A name seen again is served as "<name>~2", "~3"… in the order of the text, with a
//     Problem "duplicate_section": modules read the first (a dumpstate that dumps a
//     service twice, or text made to look like a section).
//   - "@sections/system_properties": the lines of the "------ SYSTEM PROPERTIES" block
//     ("[name]: [value]"), up to the next line of dashes.
//   - "@sections/dumpstate_header": the dumpstate header, from the "====" banner before
//     "== dumpstate: <date>" up to the first section ("Build:", "Build fingerprint:",
//     "Bootloader:", "Radio:", "Network:", "Kernel:", "Uptime:"… lines).
//
// # Hostile or odd text
//
// Lines may end in "\r\n" and hold invalid UTF-8: section texts are the bytes as they
// are, and parsers must accept both. A "DUMP OF SERVICE" line inside a section that
// dumpsys opened after its separator (a line of 79 dashes), but not itself after a
// separator, is text of that section, not a new section: dumpsys always prints the
// separator before a header, and services (or apps whose dumps are printed) that print
// such a line would otherwise cut the section short or plant a section of another
// name before the real one. These lines give a Problem "embedded_header". In a text
// without any separator (sections cut by hand, as in MVT's test files), every header
// starts a section. A line of dashes inside a section that is not followed by a header
// is text too (dumpsys activity prints such lines between its parts), where MVT would
// stop. A section whose separator and footer are missing ends at the next dumpstate
// line or at the end of the text. See [Split].
package bugreport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
)

// SectionsDir is the top folder of the virtual section files.
const SectionsDir = "@sections"

// DefaultMaxDumpstateBytes bounds the dumpstate text read into memory.
const DefaultMaxDumpstateBytes = 1 << 30

// Options tune New.
type Options struct {
	// MaxDumpstateBytes bounds the dumpstate text read; 0 means
	// DefaultMaxDumpstateBytes.
	MaxDumpstateBytes int64
	// MaxSections bounds the sections cut; 0 means DefaultMaxSections.
	MaxSections int
}

// Facts are what the opener learnt about the bug report, for info.json.
type Facts struct {
	// DumpstateFile is the name of the dumpstate text in the bug report, "" if none.
	DumpstateFile string `json:"dumpstate_file,omitempty"`
	// FoundBy says how it was found: FoundByMainEntry, FoundByDumpStateLog,
	// FoundByBugreportTxt or FoundByDumpsysTxt.
	FoundBy string `json:"found_by,omitempty"`
	// Prefix is the one folder that held the bug report at the top of the evidence.
	Prefix string `json:"prefix,omitempty"`
	// DumpstateBytes is the number of bytes of dumpstate text read.
	DumpstateBytes int64 `json:"dumpstate_bytes"`
	// Truncated says that the dumpstate text was cut at Options.MaxDumpstateBytes.
	Truncated bool `json:"truncated,omitempty"`
	// DumpstateTime is the date of the "== dumpstate:" line as printed: the device's
	// wall clock, in the zone of persist.sys.timezone (not printed).
	DumpstateTime    string `json:"dumpstate_time,omitempty"`
	Build            string `json:"build,omitempty"`
	BuildFingerprint string `json:"build_fingerprint,omitempty"`
	FormatVersion    string `json:"bugreport_format_version,omitempty"`
	// Sections is the number of section files served.
	Sections int `json:"sections"`
}

// Bugreport is an opened bug report. It implements acquire.Acquisition and
// acquire.Problems. It is safe for concurrent use.
type Bugreport struct {
	base     fs.FS
	closer   io.Closer
	root     string
	text     []byte
	sections []Section
	files    map[string]int           // "@sections/…" → index in sections
	dirs     map[string][]fs.DirEntry // "@sections", "@sections/dumpsys"… → sorted entries
	facts    Facts
	problems []acquire.Problem
	modTime  time.Time
	virtual  bool // "@sections" is served
}

var (
	_ acquire.Acquisition = (*Bugreport)(nil)
	_ acquire.Problems    = (*Bugreport)(nil)
)

// New opens the bug report whose files base serves; root is its path on the analyst's
// machine (for Root). It fails only when base cannot be listed at all; a missing or
// odd dumpstate text is a Problem. Close closes base when base has a Close method.
func New(base fs.FS, root string, opt Options) (*Bugreport, error) {
	if opt.MaxDumpstateBytes <= 0 {
		opt.MaxDumpstateBytes = DefaultMaxDumpstateBytes
	}
	b := &Bugreport{base: base, root: root, files: map[string]int{}, dirs: map[string][]fs.DirEntry{}}
	if c, ok := base.(io.Closer); ok {
		b.closer = c
	}
	if _, err := fs.ReadDir(base, "."); err != nil {
		return nil, fmt.Errorf("bug report %s: %w", root, err)
	}
	if p := wrapperFolder(base); p != "" {
		sub, err := fs.Sub(base, p)
		if err == nil {
			b.base = sub
			b.facts.Prefix = p
		}
	}
	d := findDumpstate(b.base)
	for _, p := range d.problems {
		b.problem(p.kind, p.name, p.msg)
	}
	if d.name == "" {
		b.problem("dumpstate_missing", "", "no dumpstate text was found (main_entry.txt, dumpState_*.log, bugreport-*.txt, dumpsys.txt): the "+SectionsDir+"/ files are not served, and modules that read them are skipped")
		return b, nil
	}
	b.facts.DumpstateFile, b.facts.FoundBy = d.name, d.foundBy
	text, truncated, modTime, err := readBounded(b.base, d.name, opt.MaxDumpstateBytes)
	if err != nil {
		b.problem("dumpstate_unreadable", d.name, "the dumpstate text cannot be read: "+err.Error())
		if len(text) == 0 {
			return b, nil
		}
	}
	b.text, b.modTime = text, modTime
	b.facts.DumpstateBytes, b.facts.Truncated = int64(len(text)), truncated
	if truncated {
		b.problem("limit_reached", d.name, fmt.Sprintf("the dumpstate text is larger than %d bytes; only its first %d bytes were read", opt.MaxDumpstateBytes, len(text)))
	}
	res := Split(text, truncated, opt.MaxSections)
	for _, p := range res.Problems {
		b.problem(p.Kind, d.name, p.Message)
	}
	b.facts.DumpstateTime, b.facts.Build = res.DumpstateTime, res.Build
	b.facts.BuildFingerprint, b.facts.FormatVersion = res.BuildFingerprint, res.FormatVersion
	b.sections = res.Sections
	dumpsys := 0
	for i, s := range b.sections {
		b.files[SectionsDir+"/"+s.Name] = i
		if s.Kind == KindDumpsys {
			dumpsys++
		}
		if s.Truncated {
			b.problem("section_truncated", SectionsDir+"/"+s.Name, "this section runs into the cut of the dumpstate text: its end is missing")
		}
	}
	b.facts.Sections = len(b.sections)
	if dumpsys == 0 {
		b.problem("no_sections", d.name, "the dumpstate text holds no DUMP OF SERVICE section")
	}
	b.virtual = true
	b.buildDirs()
	if _, err := fs.Stat(b.base, SectionsDir); err == nil {
		b.problem("shadowed_name", SectionsDir, "the bug report holds a file or folder named "+SectionsDir+"; it is hidden by the sections of the dumpstate text")
	}
	return b, nil
}

func (b *Bugreport) problem(kind, name, msg string) {
	b.problems = append(b.problems, acquire.Problem{Kind: kind, Name: strings.ToValidUTF8(name, "\uFFFD"), Message: msg})
}

// buildDirs lists the virtual folders.
func (b *Bugreport) buildDirs() {
	b.dirs[SectionsDir] = nil
	seenDir := map[string]bool{}
	for i, s := range b.sections {
		full := SectionsDir + "/" + s.Name
		dir, base := path.Split(full)
		dir = strings.TrimSuffix(dir, "/")
		b.dirs[dir] = append(b.dirs[dir], fs.FileInfoToDirEntry(b.fileInfo(base, i)))
		for dir != SectionsDir && !seenDir[dir] {
			seenDir[dir] = true
			parent, name := path.Split(dir)
			parent = strings.TrimSuffix(parent, "/")
			b.dirs[parent] = append(b.dirs[parent], fs.FileInfoToDirEntry(b.dirInfo(name)))
			dir = parent
		}
	}
	for _, entries := range b.dirs {
		slices.SortFunc(entries, func(x, y fs.DirEntry) int { return strings.Compare(x.Name(), y.Name()) })
	}
}

// Kind implements acquire.Acquisition.
func (b *Bugreport) Kind() acquire.Kind { return acquire.AndroidBugreport }

// Root implements acquire.Acquisition.
func (b *Bugreport) Root() string { return b.root }

// Close closes base when it has a Close method.
func (b *Bugreport) Close() error {
	if b.closer != nil {
		return b.closer.Close()
	}
	return nil
}

// Problems implements acquire.Problems.
// They follow those of the base file system when it reports its own (an archive's unsafe
// names, limits), which may grow as files are read.
func (b *Bugreport) Problems() []acquire.Problem {
	var out []acquire.Problem
	if p, ok := b.base.(acquire.Problems); ok {
		out = append(out, p.Problems()...)
	}
	return append(out, b.problems...)
}

// Facts returns what was learnt about the bug report.
func (b *Bugreport) Facts() Facts { return b.facts }

// Sections returns the sections served, in the order of the dumpstate text; their
// names are below SectionsDir.
func (b *Bugreport) Sections() []Section { return slices.Clone(b.sections) }

// SectionNames returns the full names ("@sections/dumpsys/package"…) of the sections
// served, in the order of the dumpstate text.
func (b *Bugreport) SectionNames() []string {
	out := make([]string, len(b.sections))
	for i, s := range b.sections {
		out[i] = SectionsDir + "/" + s.Name
	}
	return out
}

// SectionText returns the text of a section by its full name, without a copy. The
// caller must not modify it.
func (b *Bugreport) SectionText(name string) ([]byte, bool) {
	i, ok := b.files[name]
	if !ok {
		return nil, false
	}
	s := b.sections[i]
	return b.text[s.Start:s.End:s.End], true
}

// Dumpstate returns the dumpstate text read (possibly cut at the limit), without a
// copy, or nil. The caller must not modify it.
func (b *Bugreport) Dumpstate() []byte { return b.text[:len(b.text):len(b.text)] }

func (b *Bugreport) isVirtual(name string) bool {
	return b.virtual && (name == SectionsDir || strings.HasPrefix(name, SectionsDir+"/"))
}

// Open implements fs.FS.
func (b *Bugreport) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if b.isVirtual(name) {
		if i, ok := b.files[name]; ok {
			s := b.sections[i]
			return &sectionFile{Reader: bytes.NewReader(b.text[s.Start:s.End:s.End]), info: b.fileInfo(path.Base(name), i)}, nil
		}
		if entries, ok := b.dirs[name]; ok {
			return listed(name, b.dirInfo(path.Base(name)), entries), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f, err := b.base.Open(name)
	if err != nil || name != "." || !b.virtual {
		return f, err
	}
	// The top folder lists the base's entries and "@sections".
	info, err := f.Stat()
	f.Close()
	if err != nil {
		return nil, err
	}
	entries, err := b.ReadDir(".")
	if err != nil {
		return nil, err
	}
	return listed(name, info, entries), nil
}

// ReadDir implements fs.ReadDirFS.
func (b *Bugreport) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	if b.isVirtual(name) {
		if entries, ok := b.dirs[name]; ok {
			return slices.Clone(entries), nil
		}
		if _, ok := b.files[name]; ok {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
		}
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	entries, err := fs.ReadDir(b.base, name)
	if name != "." || !b.virtual {
		return entries, err
	}
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return e.Name() == SectionsDir })
	out = append(out, fs.FileInfoToDirEntry(b.dirInfo(SectionsDir)))
	slices.SortFunc(out, func(x, y fs.DirEntry) int { return strings.Compare(x.Name(), y.Name()) })
	return out, nil
}

// Stat implements fs.StatFS.
func (b *Bugreport) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	if b.isVirtual(name) {
		if i, ok := b.files[name]; ok {
			return b.fileInfo(path.Base(name), i), nil
		}
		if _, ok := b.dirs[name]; ok {
			return b.dirInfo(path.Base(name)), nil
		}
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return fs.Stat(b.base, name)
}

// readBounded reads at most max bytes of the named file; truncated says that there
// was more.
func readBounded(fsys fs.FS, name string, max int64) (text []byte, truncated bool, modTime time.Time, err error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, false, time.Time{}, err
	}
	defer f.Close()
	hint := int64(64 << 10)
	if fi, err := f.Stat(); err == nil {
		modTime = fi.ModTime()
		if fi.Size() > 0 {
			hint = fi.Size()
		}
	}
	hint = min(hint, max) + 1
	buf := make([]byte, 0, hint)
	r := io.LimitReader(f, max+1)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(max+1-int64(len(buf)), int64(cap(buf))+1)))
		}
		n, rerr := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return buf, false, modTime, rerr
		}
	}
	if int64(len(buf)) > max {
		return buf[:max:max], true, modTime, nil
	}
	return buf, false, modTime, nil
}

// fileInfo describes a section file.
func (b *Bugreport) fileInfo(name string, i int) fileInfo {
	s := b.sections[i]
	return fileInfo{name: name, size: s.End - s.Start, mode: 0o444, modTime: b.modTime, sys: &s}
}

func (b *Bugreport) dirInfo(name string) fileInfo {
	return fileInfo{name: name, mode: fs.ModeDir | 0o555, modTime: b.modTime}
}

type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
	sys     any
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi fileInfo) ModTime() time.Time { return fi.modTime }
func (fi fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi fileInfo) Sys() any           { return fi.sys }

// sectionFile serves a section's text; it implements io.ReaderAt and io.Seeker.
type sectionFile struct {
	*bytes.Reader
	info fileInfo
}

func (f *sectionFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *sectionFile) Close() error               { return nil }

// listed is an open virtual folder (or the merged top folder) whose entries are known.
func listed(name string, info fs.FileInfo, entries []fs.DirEntry) *acquire.DirFile {
	return &acquire.DirFile{Name: name, Info: info, List: func() ([]fs.DirEntry, error) { return slices.Clone(entries), nil }}
}
