package detect

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/androidbackup"
	"github.com/spytrace/spytrace/internal/acquire/androidqf"
	"github.com/spytrace/spytrace/internal/acquire/archive"
	"github.com/spytrace/spytrace/internal/acquire/iosfs"
)

// maxZipEntries bounds the central directory read of a zip (androidqf collections with
// their APKs and file lists are the largest zips spytrace reads).
const maxZipEntries = 200_000

// maxABHeader bounds what is read of an .ab header (its lines are at most 1 KiB).
const maxABHeader = 16 << 10

// detectFile recognises a regular file by its first bytes (see the package comment).
func detectFile(ctx context.Context, p string, size int64) (Result, error) {
	head, err := readHead(p)
	if err != nil {
		return Result{}, fmt.Errorf("detect %q: %w", p, err)
	}
	switch sniffMagic(head) {
	case magicAB:
		return androidBackupFile(p)
	case magicAge:
		return ageFile(p)
	case magicZip:
		return detectZip(ctx, p, head, size, true)
	}
	r, ok, err := detectTar(ctx, p)
	if ok || err != nil {
		return r, err
	}
	// A zip with data prepended to it (a self-extracting archive) is recognised by its
	// end record.
	return detectZip(ctx, p, head, size, false)
}

// readHead reads the first headBytes of the regular file p.
func readHead(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	head := make([]byte, headBytes)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	return head[:n], nil
}

// androidBackupFile describes an .ab file from its header.
func androidBackupFile(p string) (Result, error) {
	f, err := os.Open(p)
	if err != nil {
		return Result{}, fmt.Errorf("detect %q: %w", p, err)
	}
	defer f.Close()
	r := Result{Kind: AndroidBackup, Path: p}
	h, err := androidbackup.ReadHeader(bufio.NewReader(io.LimitReader(f, maxABHeader)))
	if err != nil {
		r.What = "an Android backup (.ab) whose header cannot be read: " + clean(err.Error(), 200)
		return r, nil
	}
	r.Encrypted = h.Encryption == androidbackup.EncryptionAES256
	details := fmt.Sprintf("format version %d", h.Version)
	if h.Compressed {
		details += ", compressed"
	}
	if r.Encrypted {
		r.What = "an encrypted Android backup (.ab, " + details + ", AES-256; it needs its password)"
	} else {
		r.What = "an Android backup (.ab, " + details + ")"
	}
	return r, nil
}

// ageFile describes an age-encrypted file, taken for an androidqf collection (androidqf
// streams its zip through age when it finds a public key).
func ageFile(p string) (Result, error) {
	r := Result{Kind: AndroidQF, Path: p, Encrypted: true}
	typ, err := androidqf.Encryption(p)
	switch {
	case err != nil:
		r.What = "an age-encrypted androidqf collection whose header is damaged (" + clean(err.Error(), 200) + ")"
	case typ == "X25519":
		r.What = "an androidqf collection encrypted with age to a key (it needs the age identity file)"
	case typ == "scrypt":
		r.What = "an androidqf collection encrypted with age to a passphrase (it needs the passphrase)"
	default:
		r.What = "an androidqf collection encrypted with age to a recipient of type " + quote(typ)
	}
	return r, nil
}

// detectTar recognises a tar or a .tar.gz with iosfs.Sniff: an iOS dump, a sysdiagnose,
// or (a plain tar with apps/ at its top) an Android backup. ok is false when p is
// neither a tar nor a .tar.gz.
func detectTar(ctx context.Context, p string) (Result, bool, error) {
	s, err := iosfs.Sniff(ctx, p)
	switch {
	case errors.Is(err, iosfs.ErrUnknownFormat):
		return Result{}, false, nil
	case err != nil:
		return Result{}, false, fmt.Errorf("detect %q: %w", p, err)
	}
	format := string(s.Format)
	switch {
	case s.Kind == acquire.IOSFilesystem:
		what := dumpWhat(format, s.Prefix)
		if s.Guessed {
			what += fmt.Sprintf(", recognised by the folders of an iPhone's root: its private/var is not among its first %d entries", iosfs.SniffEntries)
		}
		return Result{Kind: IOSFilesystem, Path: p, What: what}, true, nil
	case s.Kind == acquire.IOSSysdiagnose:
		return Result{Kind: IOSSysdiagnose, Path: p, What: sysdiagnoseWhat(format, s.Prefix)}, true, nil
	case s.Format == iosfs.FormatTar && slices.Contains(s.Top, "apps/"):
		return Result{Kind: AndroidBackup, Path: p, What: `an Android backup as a plain tar (apps/ at its top, as "abe unpack" writes it)`}, true, nil
	}
	seen := "it is a " + format
	if s.Partial {
		seen += fmt.Sprintf(" (of which the first %d entries were read)", iosfs.SniffEntries)
	}
	switch {
	case s.TopCount == 0:
		seen += " with no entries"
	default:
		seen += fmt.Sprintf(" whose top holds %s", listNames(s.Top, s.TopCount))
	}
	if s.Format == iosfs.FormatTarGz && slices.Contains(s.Top, "apps/") {
		seen += `; an Android backup's tar is read uncompressed: decompress it first`
	}
	return Result{}, true, &UnknownError{Path: p, Seen: seen}
}

// detectZip recognises a zip: an androidqf collection, a bug report, intrusion logs.
// magic says that the file starts like a zip; without it, a file that is no zip at all
// is an UnknownError about its first bytes.
func detectZip(ctx context.Context, p string, head []byte, size int64, magic bool) (Result, error) {
	a, err := archive.Open(ctx, p, acquire.AndroidQF, archive.Options{StripSingleTop: true, MaxEntries: maxZipEntries})
	switch {
	case err != nil && !magic && errors.Is(err, archive.ErrNotArchive):
		return Result{}, &UnknownError{Path: p, Seen: describeFile(head, size)}
	case err != nil && errors.Is(err, archive.ErrNotArchive):
		return Result{}, &UnknownError{Path: p, Seen: "it starts as a zip does, but cannot be read as one (" + zipCause(err) + ")"}
	case err != nil:
		return Result{}, fmt.Errorf("detect %q: %w", p, err)
	}
	defer a.Close()
	if what, ok := androidQF(a, "zip"); ok {
		return Result{Kind: AndroidQF, Path: p, What: what}, nil
	}
	if what, ok := bugReport(a, "zip"); ok {
		return Result{Kind: AndroidBugreport, Path: p, What: what}, nil
	}
	what, ok, err := intrusionLogs(ctx, p, "zip")
	if err != nil {
		return Result{}, err
	}
	if ok {
		return Result{Kind: AndroidIntrusionLogs, Path: p, What: what}, nil
	}
	return Result{}, &UnknownError{Path: p, Seen: zipSeen(a)}
}

// zipCause is what archive.Open says is wrong with a zip, without the path it names.
func zipCause(err error) string {
	if inner := errors.Unwrap(err); inner != nil {
		err = inner
	}
	return clean(strings.TrimPrefix(err.Error(), archive.ErrNotArchive.Error()+": "), 200)
}
