package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/engine"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/report/results"
)

// changingAcquisition serves HomeDomain/notes.txt as a file whose size changes while it
// is read, as a file on disk does when another program writes to it: its Stat gives the
// size of the notes, and its reads give either the notes followed by an endless stream
// (growing) or only the first 20 bytes of the notes (shrunk).
type changingAcquisition struct {
	acquire.Acquisition
	grow bool
}

func (c changingAcquisition) Open(name string) (fs.File, error) {
	f, err := c.Acquisition.Open(name)
	if err != nil || name != "HomeDomain/notes.txt" {
		return f, err
	}
	fi, _ := f.Stat()
	data, _ := io.ReadAll(f)
	f.Close()
	content := io.Reader(strings.NewReader(string(data[:20])))
	if c.grow {
		content = io.MultiReader(strings.NewReader(string(data)), endless{})
	}
	return &changingFile{r: content, data: data, grow: c.grow, info: fi}, nil
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "appended line\n"[i%14]
	}
	return len(p), nil
}

type changingFile struct {
	r    io.Reader
	data []byte
	grow bool
	info fs.FileInfo
}

func (f *changingFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *changingFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *changingFile) Close() error               { return nil }

// ReadAt serves the same bytes at offsets.
func (f *changingFile) ReadAt(p []byte, off int64) (int, error) {
	if !f.grow {
		if off >= 20 {
			return 0, io.EOF
		}
		n := copy(p, f.data[off:20])
		if n < len(p) {
			return n, io.EOF
		}
		return n, nil
	}
	for i := range p {
		if pos := off + int64(i); pos < int64(len(f.data)) {
			p[i] = f.data[pos]
		} else {
			p[i] = 'x'
		}
	}
	return len(p), nil
}

// offsetReader reads HomeDomain/notes.txt with ReadAt, 64 bytes at a time, to its end.
func offsetReader(read *[]byte) module.Module {
	return &fake{
		info: module.Info{Name: "offsets", Paths: []string{"HomeDomain/notes.txt"}},
		run: func(ctx context.Context, in *module.Input, out *module.Output) error {
			f, err := in.Open(in.Files[0])
			if err != nil {
				return err
			}
			defer f.Close()
			ra, ok := f.(io.ReaderAt)
			if !ok {
				return errors.New("the file served does not read at offsets")
			}
			buf := make([]byte, 64)
			for off := int64(0); ; off += 64 {
				n, err := ra.ReadAt(buf, off)
				*read = append(*read, buf[:n]...)
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
				if off > 1<<20 {
					return errors.New("read past 1 MiB: the read is not bounded")
				}
			}
		},
	}
}

func TestFileGrowingWhileRead(t *testing.T) {
	notes, _ := fs.ReadFile(acquisition(), "HomeDomain/notes.txt")
	var atOffsets []byte
	res := runChanging(t, true, offsetReader(&atOffsets))
	status := statusOf(res)
	if st := status["reader"]; st.State != module.OK || st.Records != 5 {
		t.Errorf("reader: %+v, want ok with the 5 notes read up to the size at opening", st)
	}
	if string(atOffsets) != string(notes) {
		t.Errorf("read at offsets %q, want the %d bytes of the file at opening", atOffsets, len(notes))
	}
	assertChanged(t, res, "more when read")
	sum := sha256.Sum256(notes)
	for _, h := range res.Hashes {
		if h.Name == "HomeDomain/notes.txt" && (h.SHA256 != hex.EncodeToString(sum[:]) || h.Size != int64(len(notes))) {
			t.Errorf("hash %+v, want that of the %d bytes read", h, len(notes))
		}
	}
}

func TestFileShrinkingWhileRead(t *testing.T) {
	var atOffsets []byte
	res := runChanging(t, false, offsetReader(&atOffsets))
	status := statusOf(res)
	for _, name := range []string{"reader", "offsets"} {
		if st := status[name]; st.State != module.Failed || !strings.Contains(st.Reason, "shrank while it was read") {
			t.Errorf("%s: %+v, want failed because the file shrank", name, st)
		}
	}
	assertChanged(t, res, "ended after 20")
	for _, h := range res.Hashes {
		if h.Name == "HomeDomain/notes.txt" && (h.SHA256 != "" || !strings.Contains(h.Error, "shrank")) {
			t.Errorf("hash %+v, want none, with the reason", h)
		}
	}
}

func runChanging(t *testing.T, grow bool, extra module.Module) *engine.Result {
	t.Helper()
	res, _, err := runExtra(t, context.Background(), changingAcquisition{Acquisition: acquisition(), grow: grow}, engine.Limits{}, extra)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// runExtra runs the fake modules and extra on acq with lim, into a new results folder
// (out), and returns Run's result and error.
func runExtra(t *testing.T, ctx context.Context, acq acquire.Acquisition, lim engine.Limits, extra ...module.Module) (res *engine.Result, out string, err error) {
	t.Helper()
	out = filepath.Join(t.TempDir(), "results")
	dir, err := results.Create(out, false)
	if err != nil {
		t.Fatal(err)
	}
	res, err = engine.Run(ctx, engine.Config{Acquisition: acq, Modules: append(modules(), extra...), Results: dir, Workers: 2, Limits: lim})
	return res, out, err
}

func statusOf(res *engine.Result) map[string]module.Status {
	out := map[string]module.Status{}
	for _, st := range res.Statuses {
		out[st.Module] = st
	}
	return out
}

func assertChanged(t *testing.T, res *engine.Result, how string) {
	t.Helper()
	alerts := 0
	for _, a := range res.Alerts {
		if a.Check == engine.ChangedWhileRead.ID && a.Module == "acquisition" {
			alerts++
			if !strings.Contains(a.Message, "HomeDomain/notes.txt") || !strings.Contains(a.Message, how) {
				t.Errorf("alert %q, want the file named and %q", a.Message, how)
			}
		}
	}
	if alerts != 1 {
		t.Errorf("%d %s alerts, want 1", alerts, engine.ChangedWhileRead.ID)
	}
	problems := 0
	for _, p := range res.Problems {
		if p.Kind == "changed_while_read" && p.Name == "HomeDomain/notes.txt" {
			problems++
		}
	}
	if problems != 1 {
		t.Errorf("problems %+v, want one changed_while_read", res.Problems)
	}
}
