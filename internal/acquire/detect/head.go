package detect

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/acquire/androidbackup"
)

// headBytes is how much of a file is read to recognise it: a tar header's size.
const headBytes = 512

// shownBytes is how many first bytes an error message shows.
const shownBytes = 16

// magic is what the first bytes of a file say about the evidence it may be.
type magic int

const (
	magicNone magic = iota
	// magicAB is the first line of an .ab file.
	magicAB
	// magicAge is the first line of an age-encrypted file.
	magicAge
	// magicZip is a zip's local header (or the end record of an empty zip).
	magicZip
)

// ageMagic is the first line of an age file (age-encryption.org/v1).
const ageMagic = "age-encryption.org/v1\n"

// sniffMagic says which evidence container head starts with. Tars and gzip streams are
// left to iosfs.Sniff, which recognises them with the rules its opener applies.
func sniffMagic(head []byte) magic {
	switch {
	case bytes.HasPrefix(head, []byte(androidbackup.Magic)):
		return magicAB
	case bytes.HasPrefix(head, []byte(ageMagic)):
		return magicAge
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return magicZip
	}
	return magicNone
}

// signatures name common files by their first bytes, for the message about a file that
// is not evidence.
var signatures = []struct {
	off  int
	sig  string
	what string
}{
	{0, "%PDF-", "a PDF document"},
	{0, "\xff\xd8\xff", "a JPEG image"},
	{0, "\x89PNG\r\n\x1a\n", "a PNG image"},
	{0, "GIF87a", "a GIF image"},
	{0, "GIF89a", "a GIF image"},
	{4, "ftypheic", "a HEIC photo"},
	{4, "ftypheix", "a HEIC photo"},
	{4, "ftypmif1", "a HEIF image"},
	{4, "ftyp", "an MP4 or QuickTime video"},
	{0, "SQLite format 3\x00", "an SQLite database"},
	{0, "bplist00", "a binary property list"},
	{0, "<?xml", "an XML document"},
	{0, "Rar!\x1a\x07", "a RAR archive (not read: spytrace reads zips)"},
	{0, "7z\xbc\xaf\x27\x1c", "a 7-Zip archive (not read: spytrace reads zips)"},
	{0, "\xfd7zXZ\x00", "xz-compressed data (decompress it first)"},
	{0, "\x28\xb5\x2f\xfd", "zstd-compressed data (decompress it first)"},
	{0, "BZh", "bzip2-compressed data (decompress it first)"},
	{0, "\x1f\x8b", "gzip-compressed data that is not a tar"},
	{0, "\x7fELF", "a Linux or Android program (ELF)"},
	{0, "\xcf\xfa\xed\xfe", "a macOS or iOS program (Mach-O)"},
	{0, "MZ", "a Windows program"},
	{0, "ANDROID BACKUP", "a damaged Android backup header"},
	{0, "age-encryption.org/", "an age-encrypted file of an unknown version"},
}

// fileType names the kind of file head starts, "" when unknown.
func fileType(head []byte) string {
	for _, s := range signatures {
		if len(head) >= s.off+len(s.sig) && string(head[s.off:s.off+len(s.sig)]) == s.sig {
			return s.what
		}
	}
	if len(head) > 0 && utf8.Valid(trimPartialRune(head)) && printable(head) {
		return "text"
	}
	return ""
}

// trimPartialRune drops an incomplete UTF-8 sequence cut at the end of head.
func trimPartialRune(head []byte) []byte {
	for i := 1; i <= utf8.UTFMax && i <= len(head); i++ {
		if utf8.RuneStart(head[len(head)-i]) {
			if !utf8.FullRune(head[len(head)-i:]) {
				return head[:len(head)-i]
			}
			break
		}
	}
	return head
}

// printable reports whether head has no control characters but blanks.
func printable(head []byte) bool {
	for _, c := range head {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
		if c == 0x7f {
			return false
		}
	}
	return true
}

// describeHead writes the first bytes of a file for an error message: in hexadecimal,
// then as ASCII with a dot for every other byte.
func describeHead(head []byte) string {
	head = head[:min(len(head), shownBytes)]
	var hex, text strings.Builder
	for i, c := range head {
		if i > 0 {
			hex.WriteByte(' ')
		}
		fmt.Fprintf(&hex, "%02x", c)
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			text.WriteByte(c)
		} else {
			text.WriteByte('.')
		}
	}
	return fmt.Sprintf("%s (%q)", hex.String(), text.String())
}

// describeFile says what a file that is not evidence is, from its size and first bytes.
func describeFile(head []byte, size int64) string {
	if size == 0 {
		return "it is an empty file"
	}
	s := fmt.Sprintf("it is a file of %s starting with the bytes %s", bytesText(size), describeHead(head))
	if t := fileType(head); t != "" {
		s += ": " + t
	}
	return s
}

// bytesText writes a size for people.
func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	}
	f, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if f < unit {
			break
		}
		f, suffix = f/unit, s
	}
	return fmt.Sprintf("%.1f %s", f, suffix)
}
