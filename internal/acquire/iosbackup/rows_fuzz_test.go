package iosbackup_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/fixture"
)

// maxFuzzRows bounds the Manifest.db rows of one FuzzManifestRows input.
const maxFuzzRows = 64

// FuzzManifestRows opens a backup whose Manifest.db holds arbitrary rows, one per line
// of the input: "fileID<TAB>domain<TAB>relativePath<TAB>flags" ("" for the fileID
// computes the right one; flags that are not a number are stored as text). The stored
// files are those of a small fixture backup. Nothing may panic; no row may fail the
// backup; every row is counted; the file system served passes fstest.TestFS (but for
// its dislike of backslashes in names); and no file of it is read from outside the
// backup folder.
func FuzzManifestRows(f *testing.F) {
	dir := filepath.Join(f.TempDir(), "backup")
	tmp := f.TempDir() // Open makes its private folders in it, and removes them on Close
	b := newFuzzBackup(f, dir)
	var all strings.Builder
	for i, bf := range b.Files {
		line := fmt.Sprintf("%s\t%s\t%s\t%d\n", fixture.FileID(bf.Domain, bf.RelativePath), bf.Domain, bf.RelativePath, bf.Flags)
		all.WriteString(line)
		if i < 4 {
			f.Add(line)
		}
	}
	f.Add(all.String())
	f.Add("\tHomeDomain\t../../etc/passwd\t1\n\tHomeDomain\t/etc/passwd\t1\nZZ\tHomeDomain\tx\t1\n\tHome/Domain\tx\t1\n\tInfo.plist\t\t2\n")
	f.Add("\tHomeDomain\tLibrary/SMS/sms.db\t2\n\tHomeDomain\tLibrary/SMS/sms.db/x\t1\n\tHomeDomain\tLibrary/SMS/sms.db\t1\n\tHomeDomain\tLibrary\tfile\n")
	f.Add("\tHomeDomain\ta\xff/b\t1\n\tHomeDomain\ta//b\t4\n\tHomeDomain\t.\t2\n\tHomeDomain\t\t1\n\tHomeDomain\t\x1b[2Jx\t999\n")
	f.Fuzz(func(t *testing.T, rows string) {
		lines := strings.Split(strings.TrimSuffix(rows, "\n"), "\n")
		if len(lines) > maxFuzzRows {
			return
		}
		writeManifest(t, filepath.Join(dir, "Manifest.db"), lines)
		bk, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{TempDir: tmp, MaxEntries: maxFuzzRows / 2})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer bk.Close()
		if st := bk.Stats(); st.Rows != len(lines) || st.Rejected > st.Rows {
			t.Fatalf("%d rows written, stats %+v", len(lines), st)
		}
		// TestFS wants the name of an entry when the tree is not empty, and refuses
		// names with a backslash: with only such names there is nothing it can check.
		tree := withoutRootFiles{bk}
		top, _ := tree.ReadDir(".")
		top = slices.DeleteFunc(top, func(e fs.DirEntry) bool { return strings.Contains(e.Name(), `\`) })
		if len(top) > 0 {
			err = fstest.TestFS(tree, top[0].Name())
		}
		if err != nil {
			// Bytes that are not UTF-8 are served as \xNN (sqlitex.Text), and a
			// backslash is a valid character of a name (fs.ValidPath), which TestFS
			// reports nonetheless: only other errors count.
			for _, line := range strings.Split(err.Error(), "\n")[1:] {
				if !strings.Contains(line, "contains backslash") {
					t.Fatal(err)
				}
			}
		}
		err = fs.WalkDir(bk, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			p, err := bk.LocalPath(name)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if rel, err := filepath.Rel(dir, p); err != nil || !filepath.IsLocal(rel) {
				t.Fatalf("%s is read from %s, outside the backup", name, p)
			}
			f, err := bk.Open(name)
			if err != nil {
				t.Fatalf("walked %s but: %v", name, err)
			}
			defer f.Close()
			_, err = io.Copy(io.Discard, f)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// withoutRootFiles serves a backup without the files at its root (Manifest.db and the
// property lists): plain files of the backup folder, which fstest.TestFS would read in
// thousands of small reads at every input while the rows build everything else.
type withoutRootFiles struct{ *iosbackup.Backup }

func isRootFile(name string) bool {
	switch name {
	case iosbackup.ManifestDB, iosbackup.InfoPlist, iosbackup.ManifestPlist, iosbackup.StatusPlist:
		return true
	}
	return false
}

func (w withoutRootFiles) Open(name string) (fs.File, error) {
	if isRootFile(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f, err := w.Backup.Open(name)
	if err != nil || name != "." {
		return f, err
	}
	entries, err := w.ReadDir(".")
	if err != nil {
		f.Close()
		return nil, err
	}
	return &rootDir{File: f, entries: entries}, nil
}

func (w withoutRootFiles) Stat(name string) (fs.FileInfo, error) {
	if isRootFile(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return w.Backup.Stat(name)
}

func (w withoutRootFiles) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := w.Backup.ReadDir(name)
	if name == "." {
		entries = slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return isRootFile(e.Name()) })
	}
	return entries, err
}

// rootDir is the open root folder of withoutRootFiles, listing its entries.
type rootDir struct {
	fs.File
	entries []fs.DirEntry
}

func (d *rootDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		out := d.entries
		d.entries = nil
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	k := min(n, len(d.entries))
	out := d.entries[:k]
	d.entries = d.entries[k:]
	return out, nil
}

// newFuzzBackup writes a small backup into dir: a few files, folders and a link among
// sample rows.
func newFuzzBackup(t testing.TB, dir string) *fixture.Backup {
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	b.AddFile("HomeDomain", "Library/SMS/sms.db", []byte("not really sms"))
	b.AddFile("HomeDomain", "Library/SMS-1", []byte("a"))
	b.AddSymlink("RootDomain", "Library/link", "/private/var/root/x")
	fixture.SampleManifestFiles(b, 24, 7)
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	return b
}

// writeManifest replaces the Manifest.db at p with one whose Files table holds the
// rows of lines (see FuzzManifestRows). The table has no primary key, so that fileIDs
// may repeat, as a hostile backup tool could write them.
func writeManifest(t testing.TB, p string, lines []string) {
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE Files (fileID TEXT, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB)"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range lines {
		fields := strings.SplitN(line, "\t", 4)
		for len(fields) < 4 {
			fields = append(fields, "")
		}
		id, domain, rel := fields[0], fields[1], fields[2]
		if id == "" {
			id = fixture.FileID(domain, rel)
		}
		var flags any = fields[3]
		var blob []byte
		if n, err := strconv.ParseInt(fields[3], 10, 64); err == nil {
			flags = n
			blob, err = fixture.MBFile(&fixture.BackupFile{Domain: domain, RelativePath: rel, Flags: int(n), Target: "/private/var/x"}, fixture.Epoch, 1)
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tx.Exec("INSERT INTO Files VALUES (?, ?, ?, ?, ?)", id, domain, rel, flags, blob); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDotRowIsRejected: a row whose relativePath is "." (which fs.ValidPath accepts)
// used to be served as a child "." of its domain, so that fs.WalkDir went into the
// domain again and again until the stack overflowed. It is rejected like "..".
func TestDotRowIsRejected(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backup")
	newFuzzBackup(t, dir)
	writeManifest(t, filepath.Join(dir, "Manifest.db"), []string{"\tHomeDomain\t.\t2", "\tHomeDomain\tLibrary/SMS/sms.db\t1"})
	bk, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	if st := bk.Stats(); st.Rejected != 1 || st.Files != 1 {
		t.Errorf("stats %+v, want the \".\" row rejected", st)
	}
	n := 0
	err = fs.WalkDir(bk, ".", func(name string, d fs.DirEntry, err error) error {
		if n++; n > 100 {
			t.Fatalf("walked %d names, the last %q: a loop", n, name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(bk, "HomeDomain/Library/SMS/sms.db"); err != nil {
		t.Error(err)
	}
}

// TestDomainRowAsFileIsRejected: a domain's own row that says "file" must not hide the
// domain's files from listings and searches.
func TestDomainRowAsFileIsRejected(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backup")
	newFuzzBackup(t, dir)
	writeManifest(t, filepath.Join(dir, "Manifest.db"), []string{"\tHomeDomain\t\t1", "\tHomeDomain\tLibrary/SMS/sms.db\t1"})
	bk, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	if st := bk.Stats(); st.Rejected != 1 {
		t.Errorf("stats %+v, want the domain's file row rejected", st)
	}
	matches, err := fs.Glob(bk, "HomeDomain/Library/SMS/*.db")
	if err != nil || len(matches) != 1 {
		t.Errorf("glob %q %v: the domain's files are hidden", matches, err)
	}
	if err := fstest.TestFS(bk, "HomeDomain/Library/SMS/sms.db"); err != nil {
		t.Error(err)
	}
}

// TestFileRowOverFolderIsRejected: a row that calls "Library/SMS" a file while sms.db is
// listed under it made the listings (a folder "SMS" holding sms.db) contradict the
// lookups (a missing file "SMS"). The file row is rejected and the folder's files stay
// reachable. (Found by FuzzManifestRows.)
func TestFileRowOverFolderIsRejected(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backup")
	newFuzzBackup(t, dir)
	writeManifest(t, filepath.Join(dir, "Manifest.db"), []string{"\tHomeDomain\tLibrary/SMS\t1", "\tHomeDomain\tLibrary/SMS/sms.db\t1"})
	bk, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	if st := bk.Stats(); st.Rejected != 1 {
		t.Errorf("stats %+v, want the file row over the folder rejected", st)
	}
	var problem string
	for _, p := range bk.Problems() {
		if p.Kind == "rejected_row" {
			problem = p.Name + ": " + p.Message
		}
	}
	if !strings.Contains(problem, "HomeDomain/Library/SMS: ") || !strings.Contains(problem, "other rows lie under it") {
		t.Errorf("problem %q, want the file row over the folder named", problem)
	}
	if fi, err := fs.Stat(bk, "HomeDomain/Library/SMS"); err != nil || !fi.IsDir() {
		t.Errorf("HomeDomain/Library/SMS: %v %v, want a folder", fi, err)
	}
	if err := fstest.TestFS(bk, "HomeDomain/Library/SMS/sms.db"); err != nil {
		t.Error(err)
	}
}
