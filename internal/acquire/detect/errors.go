package detect

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/spytrace/spytrace/internal/safetext"
)

// Accepted lists what spytrace reads, in the analyst's words, in the order of the kinds.
var Accepted = []string{
	"an iOS backup made by Finder, iTunes or idevicebackup2, plain or encrypted (its folder, or the folder holding it)",
	"an iOS file-system dump (a folder, .tar or .tar.gz holding private/var)",
	"an iOS sysdiagnose archive (the .tar.gz the iPhone writes, or its folder)",
	"an Android bug report (the zip \"adb bugreport\" writes, or its folder)",
	"an Android backup (the .ab file \"adb backup\" writes, plain or encrypted, its tar, or the folder holding its apps/)",
	"an androidqf collection (its folder, its zip, or the age-encrypted .zip.age)",
	"Android 16 intrusion logs (a folder or zip of the exported .txt files)",
	"an earlier results folder of spytrace or MVT, or a folder of them (to check them again with today's indicators)",
}

// UnknownError is returned for a path that is none of the kinds of evidence spytrace
// reads. Its message says what was seen and lists what is accepted.
type UnknownError struct {
	// Path is the path given to Detect.
	Path string
	// Seen says what the path is, in words: "it is an empty folder", "it is a zip of 3
	// entries (…)", "it is a file of 12.0 KiB starting with the bytes …".
	Seen string
}

// Error says what was seen and lists what spytrace reads, one per line.
func (e *UnknownError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s is not evidence spytrace recognises: %s.\nspytrace reads:", quote(e.Path), e.Seen)
	for _, a := range Accepted {
		b.WriteString("\n  - ")
		b.WriteString(a)
	}
	return b.String()
}

// AmbiguousError is returned for a folder whose sub-folders hold several acquisitions:
// spytrace checks one at a time.
type AmbiguousError struct {
	// Path is the path given to Detect.
	Path string
	// Found are the acquisitions found, one per sub-folder, in name order.
	Found []Result
}

// Error lists the acquisitions found, one per line.
func (e *AmbiguousError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s holds %d acquisitions; give the path of the one to check:", quote(e.Path), len(e.Found))
	for _, r := range e.Found {
		fmt.Fprintf(&b, "\n  - %s: %s", quote(r.Path), r.What)
	}
	return b.String()
}

// quote writes a path or name from the evidence for a message: escaped for a terminal,
// at most 200 bytes, in quotes.
func quote(s string) string {
	return `"` + safetext.Terminal(safetext.Truncate(s, 200)) + `"`
}

// clean writes a value from the evidence into a sentence: escaped for a terminal, at
// most n bytes.
func clean(s string, n int) string {
	return safetext.Terminal(safetext.Truncate(strings.TrimSpace(s), n))
}

// shownNames is how many names a message lists.
const shownNames = 8

// listNames writes names for a message: escaped, shortened, at most shownNames of
// total, "…" for the rest.
func listNames(names []string, total int) string {
	var out []string
	for _, n := range names[:min(len(names), shownNames)] {
		out = append(out, clean(n, 60))
	}
	s := strings.Join(out, ", ")
	if total > len(out) {
		s += fmt.Sprintf(", and %d more", total-len(out))
	}
	return s
}

// entryNames lists directory entries as names, folders with a trailing slash.
func entryNames(es []fs.DirEntry) []string {
	out := make([]string, 0, min(len(es), shownNames))
	for _, e := range es[:min(len(es), shownNames)] {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		out = append(out, n)
	}
	return out
}

// specialFile names a file that is neither a folder nor a regular file.
func specialFile(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe, not a file or folder"
	case m&fs.ModeSocket != 0:
		return "a socket, not a file or folder"
	case m&fs.ModeDevice != 0:
		return "a device, not a file or folder"
	}
	return "a special file, not a file or folder"
}
