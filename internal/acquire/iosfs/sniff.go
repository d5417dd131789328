package iosfs

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/spytrace/spytrace/internal/acquire"
)

// Bounds of Sniff on an archive. A plain tar is read header by header, its contents
// skipped by seeking, so only the entry count bounds it; a .tar.gz has to be
// decompressed to reach its next header, so the bytes decompressed bound it too.
const (
	// SniffEntries is the number of archive entries Sniff reads at most.
	SniffEntries = 20_000
	// SniffGzipBytes is the number of decompressed bytes of a .tar.gz Sniff reads at
	// most.
	SniffGzipBytes = 256 << 20
	// sniffTop is the most names Sniffed.Top lists.
	sniffTop = 64
)

// Sniffed is what [Sniff] learnt about a path.
type Sniffed struct {
	// Kind is acquire.IOSFilesystem when a private/var folder was seen at the top or one
	// folder down (or see Guessed), acquire.IOSSysdiagnose when a sysdiagnose marker was (sysdiagnose.log,
	// ps.txt, system_logs.logarchive, crashes_and_spins), "" when neither was. A
	// dump's marker wins when both are seen.
	Kind acquire.Kind
	// Format is what the path is: a folder, a tar or a .tar.gz.
	Format Format
	// Prefix is the top folder that holds the root ("" when the root is the top), as
	// [Dump.Prefix] would say.
	Prefix string
	// Top lists the names at the top (sorted, folders with a trailing "/", at most 64):
	// for an archive, those of the entries read.
	Top []string
	// TopCount is the number of names at the top, listed or not.
	TopCount int
	// Partial says that an archive was read only in part (SniffEntries or
	// SniffGzipBytes reached, or it is damaged after its first entries): what it holds
	// further was not seen.
	Partial bool
	// Guessed says that Kind is acquire.IOSFilesystem although private/var was not
	// seen: an archive read only in part whose root (at the top or one folder down)
	// holds System/ beside Applications/, Developer/ or usr/, as the root of an iPhone
	// does. A dump of the whole file system lists those before private/ and can hold
	// more entries in them than Sniff reads.
	Guessed bool
}

// Sniff says whether p looks like an iOS file-system dump or a sysdiagnose archive,
// with the rules Open and OpenSysdiagnose apply, at a fraction of their cost: a folder
// is looked at through an os.Root (its top and the names a root needs, with Lstat, no
// link followed); an archive is recognised by its first bytes and only its first
// entries are indexed (see SniffEntries, SniffGzipBytes), nothing is extracted or
// kept. A file that is neither a tar nor a .tar.gz is an error wrapping
// ErrUnknownFormat; a folder or archive of neither kind is not an error (Kind "").
func Sniff(ctx context.Context, p string) (Sniffed, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return Sniffed{}, fmt.Errorf("sniff %q: %w", p, err)
	}
	var b backend
	var s Sniffed
	if fi.IsDir() {
		top, err := filepath.Abs(p)
		if err != nil {
			return Sniffed{}, fmt.Errorf("sniff %q: %w", p, err)
		}
		r, err := os.OpenRoot(top)
		if err != nil {
			return Sniffed{}, fmt.Errorf("sniff %q: %w", p, err)
		}
		b, s.Format = &folder{root: r, dir: top, dirs: map[string]bool{}}, FormatFolder
	} else {
		x, format, err := sniffArchive(ctx, p)
		if err != nil {
			return Sniffed{}, fmt.Errorf("sniff %q: %w", p, err)
		}
		b, s.Format, s.Partial = x, format, x.truncated
	}
	defer b.close()
	for _, kind := range []acquire.Kind{acquire.IOSFilesystem, acquire.IOSSysdiagnose} {
		prefix, _, err := chooseRoot(b, kind)
		if err == nil {
			s.Kind, s.Prefix = kind, prefix
			break
		}
	}
	top, err := b.readDir(".")
	if err != nil {
		return Sniffed{}, fmt.Errorf("sniff %q: %w", p, err)
	}
	if s.Kind == "" && s.Partial {
		for _, dir := range append([]*fileInfo{{name: "."}}, top...) {
			if (dir.name == "." || dir.IsDir()) && looksLikeOSRoot(b, dir.name) {
				s.Kind, s.Guessed = acquire.IOSFilesystem, true
				if dir.name != "." {
					s.Prefix = dir.name
				}
				break
			}
		}
	}
	s.TopCount = len(top)
	for _, fi := range top[:min(len(top), sniffTop)] {
		name := fi.Name()
		if fi.IsDir() {
			name += "/"
		}
		s.Top = append(s.Top, name)
	}
	return s, nil
}

// sniffArchive indexes the first entries of the tar or .tar.gz at p.
func sniffArchive(ctx context.Context, p string) (*tarIndex, Format, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, "", fmt.Errorf("%w: not a regular file", ErrUnknownFormat)
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	format, err := sniff(head[:n])
	if err != nil {
		return nil, "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	opt := Options{MaxEntries: SniffEntries}
	if format == FormatTarGz {
		opt.MaxBytes = SniffGzipBytes
	}
	// Without Want, no content is kept but the small container metadata plists, and
	// without SpillDir nothing is written.
	x, err := indexTar(ctx, f, fi.Size(), format == FormatTarGz, opt)
	if err != nil {
		return nil, "", err
	}
	for _, n := range x.nodes {
		n.data = nil // the index only answers stat and readDir
	}
	return x, format, nil
}

// looksLikeOSRoot reports whether dir holds System/ beside Applications/, Developer/ or
// usr/, as the root of an iPhone's file system does.
func looksLikeOSRoot(b backend, dir string) bool {
	isDir := func(name string) bool {
		fi, err := b.stat(path.Join(dir, name))
		return err == nil && fi.IsDir()
	}
	return isDir("System") && (isDir("Applications") || isDir("Developer") || isDir("usr"))
}
