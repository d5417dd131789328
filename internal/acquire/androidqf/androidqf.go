// Package androidqf opens an androidqf collection: the folder androidqf writes, its zip,
// or the age-encrypted zip it streams to (<uuid>.zip.age) when it finds an age public
// key, encrypted to an X25519 key (age-keygen) or, as bugbane's exports are, to a
// passphrase (scrypt).
//
// The format is recognised by content: a folder, a zip (package archive), or a file
// starting with the age header ("age-encryption.org/v1"). An age file is decrypted on
// the fly with filippo.io/age's DecryptReaderAt, which authenticates every 64 KiB chunk
// as it is read and gives the zip reader random access: the plaintext is never written
// to disk and never held whole in memory. The header's stanzas say whether an identity
// or a passphrase is needed, so that the caller asks for the right one; the scrypt work
// factor is bounded by age's default (2^22), so a hostile header cannot make the
// decryption run for hours.
//
// Names are relative to the folder holding the collection's files (acquisition.json,
// packages.json, getprop.txt, …), whether they are at the top of the zip or folder or
// one folder down (androidqf_<uuid>/…): archive's StripSingleTop. Every limit and
// hostile-name rule is archive's.
//
// acquisition.json (uuid, androidqf_version, started and completed in RFC 3339 UTC,
// streaming_mode…) is read at open: its start time is the collection's own date, with
// which checks compare (never the analyst's clock).
package androidqf

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/archive"
)

// Format is what was opened.
type Format string

// Formats.
const (
	FormatFolder     Format = "folder"
	FormatZip        Format = "zip"
	FormatAgeKey     Format = "zip encrypted with age to an X25519 key"
	FormatAgeScrypt  Format = "zip encrypted with age to a passphrase"
	ageHeader               = "age-encryption.org/v1\n"
	maxAgeHeaderSize        = 64 << 10
)

// Errors.
var (
	// ErrIdentityNeeded: the file is encrypted to an age key and no identity was given.
	ErrIdentityNeeded = errors.New("the collection is encrypted with age to a key: give the identity file (--age-identity)")
	// ErrPassphraseNeeded: the file is encrypted to a passphrase and none was given.
	ErrPassphraseNeeded = errors.New("the collection is encrypted with age to a passphrase")
	// ErrWrongKey: none of the identities (or the passphrase) decrypts the file.
	ErrWrongKey = errors.New("the age identity or passphrase does not decrypt this collection")
)

// Options tunes Open.
type Options struct {
	// Identities decrypt a collection encrypted to an X25519 key.
	Identities []age.Identity
	// Passphrase decrypts a collection encrypted to a passphrase. It is never logged.
	Passphrase string
	// Archive bounds the reading of the zip or folder (StripSingleTop is always set).
	Archive archive.Options
}

// Acquisition is acquisition.json, as androidqf writes it.
type Acquisition struct {
	UUID             string    `json:"uuid"`
	AndroidQFVersion string    `json:"androidqf_version"`
	StoragePath      string    `json:"storage_path,omitempty"`
	Started          time.Time `json:"started"`
	Completed        time.Time `json:"completed"`
	StreamingMode    bool      `json:"streaming_mode"`
}

// Collection is an opened androidqf collection.
type Collection struct {
	*archive.FS
	format      Format
	acquisition *Acquisition
	problems    []acquire.Problem
}

var (
	_ acquire.Acquisition = (*Collection)(nil)
	_ acquire.Problems    = (*Collection)(nil)
)

// Kind implements acquire.Acquisition.
func (c *Collection) Kind() acquire.Kind { return acquire.AndroidQF }

// Format says what was opened.
func (c *Collection) Format() Format { return c.format }

// Acquisition returns acquisition.json, or nil when the collection has none (or it
// could not be read: see Problems).
func (c *Collection) Acquisition() *Acquisition { return c.acquisition }

// Problems implements acquire.Problems: the archive's, then the collection's own.
func (c *Collection) Problems() []acquire.Problem {
	return append(c.FS.Problems(), c.problems...)
}

// Encryption reports how the file at p is encrypted: "" (not an age file), "X25519",
// "scrypt" or another stanza type.
func Encryption(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		return "", err
	}
	return stanzaType(f)
}

// stanzaType reads an age header and returns the type of its first recipient stanza,
// or "" when r is not an age file.
func stanzaType(r io.Reader) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, maxAgeHeaderSize))
	first, err := br.ReadString('\n')
	if first != ageHeader {
		return "", nil
	}
	for err == nil {
		var line string
		line, err = br.ReadString('\n')
		if t, ok := strings.CutPrefix(line, "-> "); ok {
			fields := strings.Fields(t)
			if len(fields) > 0 {
				return fields[0], nil
			}
		}
		if strings.HasPrefix(line, "---") {
			break
		}
	}
	return "", fmt.Errorf("age header without a recipient stanza")
}

// Open opens the collection at p.
func Open(ctx context.Context, p string, opt Options) (*Collection, error) {
	opt.Archive.StripSingleTop = true
	typ, err := Encryption(p)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", p, err)
	}
	c := &Collection{}
	switch typ {
	case "":
		fsys, err := archive.Open(ctx, p, acquire.AndroidQF, opt.Archive)
		if err != nil {
			return nil, err
		}
		c.FS, c.format = fsys, FormatZip
		if fsys.Format() == archive.FormatFolder {
			c.format = FormatFolder
		}
	default:
		if err := c.openAge(ctx, p, typ, opt); err != nil {
			return nil, err
		}
	}
	c.readAcquisition()
	return c, nil
}

func (c *Collection) openAge(ctx context.Context, p, typ string, opt Options) error {
	ids := opt.Identities
	c.format = FormatAgeKey
	if typ == "scrypt" {
		c.format = FormatAgeScrypt
		if opt.Passphrase == "" {
			return ErrPassphraseNeeded
		}
		id, err := age.NewScryptIdentity(opt.Passphrase)
		if err != nil {
			return err
		}
		ids = []age.Identity{id}
	} else if len(ids) == 0 {
		return ErrIdentityNeeded
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	ra, size, err := age.DecryptReaderAt(f, fi.Size(), ids...)
	if err != nil {
		f.Close()
		var nomatch *age.NoIdentityMatchError
		if errors.As(err, &nomatch) {
			return ErrWrongKey
		}
		return fmt.Errorf("decrypt %q: %w", p, err)
	}
	fsys, err := archive.OpenZipReaderAt(ctx, readerAtCloser{ra, f}, size, acquire.AndroidQF, p, opt.Archive)
	if err != nil {
		f.Close()
		return fmt.Errorf("the decrypted collection: %w", err)
	}
	c.FS = fsys
	return nil
}

type readerAtCloser struct {
	io.ReaderAt
	io.Closer
}

// maxAcquisitionJSON bounds acquisition.json.
const maxAcquisitionJSON = 1 << 20

func (c *Collection) readAcquisition() {
	a, err := readAcquisitionJSON(c.FS)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.problem("acquisition_json", "the collection has no acquisition.json: checks that compare with the acquisition date cannot run")
	case err != nil:
		c.problem("acquisition_json", err.Error())
	default:
		c.acquisition = a
	}
}

// readAcquisitionJSON reads and decodes acquisition.json at the top of fsys; its errors
// say what went wrong in words for info.json (fs.ErrNotExist when there is none).
func readAcquisitionJSON(fsys fs.FS) (*Acquisition, error) {
	f, err := fsys.Open("acquisition.json")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("acquisition.json cannot be read: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxAcquisitionJSON+1))
	if err != nil || len(data) > maxAcquisitionJSON {
		return nil, fmt.Errorf("acquisition.json cannot be read whole (%v)", err)
	}
	var a Acquisition
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&a); err != nil {
		return nil, fmt.Errorf("acquisition.json is not what androidqf writes: %v", err)
	}
	return &a, nil
}

func (c *Collection) problem(kind, msg string) {
	c.problems = append(c.problems, acquire.Problem{Kind: kind, Name: "acquisition.json", Message: msg})
}

// Only returns a view of the collection that shows only the given top-level files (for
// reading its dumpsys.txt as a bug report's dumpstate without serving the rest twice).
// The view has no Close: the collection stays the owner.
func (c *Collection) Only(names ...string) fs.FS { return &only{c: c, names: names} }

type only struct {
	c     *Collection
	names []string
}

func (o *only) allowed(name string) bool {
	return name == "." || slices.Contains(o.names, name)
}

func (o *only) Open(name string) (fs.File, error) {
	if !o.allowed(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if name == "." {
		return o.c.FS.Open(".")
	}
	return o.c.FS.Open(name)
}

func (o *only) Stat(name string) (fs.FileInfo, error) {
	if !o.allowed(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return fs.Stat(o.c.FS, name)
}

func (o *only) ReadDir(name string) ([]fs.DirEntry, error) {
	if name != "." {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	es, err := fs.ReadDir(o.c.FS, ".")
	if err != nil {
		return nil, err
	}
	var out []fs.DirEntry
	for _, e := range es {
		if slices.Contains(o.names, e.Name()) && !e.IsDir() {
			out = append(out, e)
		}
	}
	return out, nil
}
