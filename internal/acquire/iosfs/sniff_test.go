package iosfs

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
)

// TestSniff checks that Sniff says what Open and OpenSysdiagnose would accept, for
// folders and archives, at the top and one folder down.
func TestSniff(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dump := filepath.Join(dir, "dump")
	writeFolder(t, dump, files(t))
	oneDown := filepath.Join(dir, "case")
	writeFolder(t, filepath.Join(oneDown, "filesystem"), files(t))
	writeFolder(t, filepath.Join(oneDown, "notes"), map[string]string{"a.txt": "a"})
	sysdiag := map[string]string{"ps.txt": "USER PID COMMAND\n", "system_logs.logarchive/Extra/shutdown.log": "x\n"}
	const sdName = "sysdiagnose_2026.03.14_09-26-53+0100_iPhone-OS_iPhone_21D61"
	plain := filepath.Join(dir, "plain")
	writeFolder(t, plain, map[string]string{"a.txt": "a", "b/c.txt": "c"})
	// A link named private/var that leads to a real dump is not followed.
	linked := filepath.Join(dir, "linked")
	if err := os.MkdirAll(filepath.Join(linked, "private"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := os.Symlink(filepath.Join(dump, "private", "var"), filepath.Join(linked, "private", "var")) == nil

	for _, tc := range []struct {
		name string
		path string
		want Sniffed
	}{
		{"dump folder", dump, Sniffed{Kind: acquire.IOSFilesystem, Format: FormatFolder, Top: []string{"System/", "private/"}, TopCount: 2}},
		{"dump one folder down", oneDown, Sniffed{Kind: acquire.IOSFilesystem, Format: FormatFolder, Prefix: "filesystem", Top: []string{"filesystem/", "notes/"}, TopCount: 2}},
		{"dump tar", write("d.bin", tarOf(t, "./", files(t), nil)), Sniffed{Kind: acquire.IOSFilesystem, Format: FormatTar, Top: []string{"System/", "private/"}, TopCount: 2}},
		{"dump tar.gz under a top folder", write("d2.bin", gz(t, tarOf(t, "fs/", files(t), nil))), Sniffed{Kind: acquire.IOSFilesystem, Format: FormatTarGz, Prefix: "fs", Top: []string{"fs/"}, TopCount: 1}},
		{"sysdiagnose tar.gz", write("s.bin", gz(t, tarOf(t, sdName+"/", sysdiag, nil))), Sniffed{Kind: acquire.IOSSysdiagnose, Format: FormatTarGz, Prefix: sdName, Top: []string{sdName + "/"}, TopCount: 1}},
		{"neither, folder", plain, Sniffed{Format: FormatFolder, Top: []string{"a.txt", "b/"}, TopCount: 2}},
		{"neither, tar", write("n.tar", tarOf(t, "", map[string]string{"apps/com.example/_manifest": "m"}, nil)), Sniffed{Format: FormatTar, Top: []string{"apps/"}, TopCount: 1}},
		{"link not followed", linked, Sniffed{Format: FormatFolder, Top: []string{"private/"}, TopCount: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path == linked && !links {
				t.Skip("symbolic links cannot be made here")
			}
			got, err := Sniff(context.Background(), tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	for name, data := range map[string][]byte{
		"zip":   []byte("PK\x03\x04rest of a zip"),
		"text":  []byte("hello"),
		"empty": nil,
		"gzip":  gz(t, []byte("not a tar")),
	} {
		p := write("bad-"+name, data)
		if _, err := Sniff(context.Background(), p); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("%s: %v, want ErrUnknownFormat", name, err)
		}
	}
}

// TestSniffBounded checks that Sniff stops after SniffEntries entries and says so: a
// private/var that comes later is not seen, and the archive is taken for a dump only
// when what was read looks like the root of an iPhone.
func TestSniffBounded(t *testing.T) {
	for _, tc := range []struct {
		name, prefix string
		folders      []string
		want         Sniffed
	}{
		{"no root", "", []string{"Applications"}, Sniffed{Format: FormatTar, Partial: true, Top: []string{"Applications/"}, TopCount: 1}},
		{"root at the top", "", []string{"Applications", "System/Library"},
			Sniffed{Kind: acquire.IOSFilesystem, Format: FormatTar, Partial: true, Guessed: true, Top: []string{"Applications/", "System/"}, TopCount: 2}},
		{"root one folder down", "filesystem1/", []string{"Developer", "System/Library"},
			Sniffed{Kind: acquire.IOSFilesystem, Format: FormatTar, Prefix: "filesystem1", Partial: true, Guessed: true, Top: []string{"filesystem1/"}, TopCount: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := map[string]string{}
			for i := range SniffEntries + 10 {
				fsys[fmt.Sprintf("%s/%06d", tc.folders[i%len(tc.folders)], i)] = ""
			}
			extra := []tarEntry{{hdr: tar.Header{Name: tc.prefix + "private/var/mobile/x", Typeflag: tar.TypeReg}, data: "x"}}
			p := filepath.Join(t.TempDir(), "big.tar")
			if err := os.WriteFile(p, tarOf(t, tc.prefix, fsys, extra), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := Sniff(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
