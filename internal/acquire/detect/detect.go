// Package detect says what a piece of evidence is from its content, never from its
// name, so that "spytrace check PATH" runs the right check and tells the analyst what
// it found: an iOS backup (plain or encrypted), an iOS file-system dump, a sysdiagnose
// archive, an Android bug report, an Android backup, an androidqf collection, Android
// intrusion logs, or an earlier results folder of spytrace or MVT. It writes nothing;
// what it returns is a [Result] (which check, which path to give the opener, a sentence
// for the analyst) or an [*UnknownError] that lists what spytrace reads and what was
// seen instead.
//
// # Recognition is the openers'
//
// The rules are those of the openers in the sibling packages, through their cheap
// "is this mine?" functions: iosbackup.Find, iosfs.Sniff, bugreport.Sniff,
// androidqf.Sniff and androidqf.Encryption, androidbackup.ReadHeader, archive.Open
// (which reads a zip's central directory, nothing more), recheck.Find and recheck.Open
// for results folders, intrusionlog's Reader on the first lines of a file. Detect never
// decrypts, extracts or reads an archive whole: it reads a file's first 512 bytes, a
// zip's central directory, a tar's first 20,000 entries (256 MiB decompressed for a
// .tar.gz), a few small files (Manifest.plist, acquisition.json, main_entry.txt,
// info.json), the first 64 KiB of a dumpstate text and of a few log files, and stats a
// few names.
//
// # Order
//
// A file is recognised by its first bytes, which cannot be two things at once: the
// "ANDROID BACKUP\n" line of an .ab, the "age-encryption.org/v1" line of an age file
// (an androidqf collection streamed encrypted), a zip's local header, a tar header or
// gzip's magic (a tar, or a .tar.gz), and last a zip found by its end record (data
// prepended to it). A tar is a dump when it has private/var at its top or one folder
// down (or, when its first entries end before that, the System/ and Applications/
// folders of an iPhone's root), a sysdiagnose when it has sysdiagnose.log, ps.txt,
// system_logs.logarchive or crashes_and_spins there, an Android backup when apps/ is at
// its top. A zip is
// looked into as a folder is, for the Android kinds (the iOS openers read no zips).
//
// In a folder (or a zip), kinds that contain others come first:
//
//  1. an earlier results folder, when it has an info.json that spytrace or MVT wrote:
//     an androidqf check's results hold mounts.json and root_binaries.json, which
//     androidqf collections hold too;
//  2. an androidqf collection (acquisition.json, or two of the files only androidqf
//     writes at its top): it holds a bugreport.zip, a backup.ab, a dumpsys.txt, a ps.txt
//     (a sysdiagnose marker), a getprop.txt and intrusion_logs/, each of which alone
//     would suggest another kind;
//  3. an Android bug report (main_entry.txt, dumpState_*.log or bugreport-*.txt at its
//     top or in its only folder): its FS/ copies arbitrary device files;
//  4. an iOS backup (Manifest.db, Manifest.plist or Manifest.mbdb at its top);
//  5. an iOS file-system dump (a private/var folder at its top), before a sysdiagnose:
//     a dump's folders can hold files of a sysdiagnose's names, never the reverse;
//  6. a sysdiagnose (its markers at its top);
//  7. an extracted Android backup (an apps/ folder at its top);
//  8. then each sub-folder, by rules 2 to 7: the folder that holds one acquisition is
//     taken for it (Result.Path is then that sub-folder); a folder that holds several
//     is an [*AmbiguousError] that lists them;
//  9. Android intrusion logs: a .txt file, at most six folders down, whose first lines
//     are intrusion-log events (in zips nested in the folder or zip too). This comes
//     after the sub-folders because an androidqf collection one folder down holds
//     intrusion_logs/ too;
//  10. results folders below the path (a folder of cases), or an MVT results folder
//     without info.json (recheck.Find, four folders deep at most).
//
// # Hostile input
//
// The path itself may be a symbolic link (the analyst chose it); nothing under it is
// followed: folders are read through os.Root with Lstat (package archive's folder
// backend, iosfs's), sub-folders that are links are skipped, and files that are not
// regular are never opened (a named pipe would block). Every read is bounded, and
// names and values from the evidence are escaped (safetext.Terminal) and shortened in
// What and in error messages.
package detect

import (
	"context"
	"fmt"
	"os"

	"github.com/spytrace/spytrace/internal/acquire"
)

// Kind says what a piece of evidence is, and so which check reads it.
type Kind string

// Kinds. Those of acquisitions are the acquire.Kind values of their openers.
const (
	IOSBackup            = Kind(acquire.IOSBackup)
	IOSFilesystem        = Kind(acquire.IOSFilesystem)
	IOSSysdiagnose       = Kind(acquire.IOSSysdiagnose)
	AndroidBugreport     = Kind(acquire.AndroidBugreport)
	AndroidBackup        = Kind(acquire.AndroidBackup)
	AndroidQF            = Kind(acquire.AndroidQF)
	AndroidIntrusionLogs = Kind(acquire.AndroidIntrusionLogs)
	// Results is an earlier results folder of spytrace or MVT, or a folder of them, to
	// be checked again (spytrace check-iocs).
	Results Kind = "results"
)

// Acquisition returns the acquisition kind to open, and false for Results.
func (k Kind) Acquisition() (acquire.Kind, bool) {
	if k == Results || k == "" {
		return "", false
	}
	return acquire.Kind(k), true
}

// Result is what Detect found.
type Result struct {
	// Kind is what the evidence is.
	Kind Kind
	// Path is the path to give the opener of Kind: the path given to Detect, or the
	// sub-folder of it that holds the acquisition (see the package comment, rule 8).
	Path string
	// Encrypted says that opening it needs a password, a passphrase or a key: an
	// encrypted iOS backup, an encrypted .ab, an age-encrypted androidqf collection.
	Encrypted bool
	// What is a sentence for the analyst: "an encrypted iOS backup of an iPhone 14 Pro
	// (iOS 17.5)" when the details are cheaply known, "an encrypted iOS backup" when
	// not. Text from the evidence in it is escaped for a terminal.
	What string
}

// Detect says what the evidence at path is (see the package comment). It returns an
// [*UnknownError] for a path it does not recognise, an [*AmbiguousError] for a folder
// that holds several acquisitions, and other errors when path cannot be read.
func Detect(path string) (Result, error) {
	return DetectContext(context.Background(), path)
}

// DetectContext is Detect with a context that can stop the reading of a large
// archive's first entries.
func DetectContext(ctx context.Context, path string) (Result, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Result{}, fmt.Errorf("detect %q: %w", path, err)
	}
	switch {
	case fi.IsDir():
		return detectFolder(ctx, path)
	case fi.Mode().IsRegular():
		return detectFile(ctx, path, fi.Size())
	}
	return Result{}, &UnknownError{Path: path, Seen: "it is " + specialFile(fi.Mode())}
}
