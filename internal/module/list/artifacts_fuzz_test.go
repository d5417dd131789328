package list_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/androidbackup"
	"github.com/spytrace/spytrace/internal/acquire/bugreport"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/list"
	"github.com/spytrace/spytrace/internal/module/moduletest"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// artifact is one file a module reads, as the scenario fixtures hold it.
type artifact struct {
	module module.Module
	kind   acquire.Kind
	name   string
	data   []byte
}

// FuzzArtifacts runs every module whose artifacts the scenario fixtures hold over
// arbitrary bytes in place of one of them (its SQLite database, property list, JSON,
// text or section), alone in an acquisition of its kind, then checks its records with
// indicators that match the scenario's traces. The seeds are the fixtures' own files,
// so mutations keep most of their structure (a flipped byte in a database record
// changes a column's type or length). This is the one fuzz target of the modules that
// read SQLite databases, whose parsing is their queries and row conversions. Nothing
// may panic or hang; every record must be JSON; its timeline events must have text.
func FuzzArtifacts(f *testing.F) {
	arts, err := scenarioArtifacts()
	if err != nil {
		f.Fatal(err)
	}
	if len(arts) < 60 {
		f.Fatalf("only %d artifacts of the modules found in the scenarios", len(arts))
	}
	for i, a := range arts {
		if len(a.data) <= 256<<10 {
			f.Add(uint16(i), a.data)
		}
	}
	ix := moduletest.Index("domains", fixture.DemoPegasusDomain, "processes", fixture.DemoProcess,
		"processes", fixture.DemoDeletedProc, "app_ids", fixture.DemoSideloadedApp, "emails", fixture.DemoAttackerEmail,
		"domains", "thetruthspy.com", "file_paths", "/private/var/db/"+fixture.StagingFolder)
	log := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, which uint16, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		a := arts[int(which)%len(arts)]
		acq := memfs.New(a.kind, fstest.MapFS{a.name: {Data: data, Mode: 0o444, ModTime: fixture.Epoch}})
		svc := &fuzzServices{fsys: acq, tmp: t.TempDir()}
		defer svc.close()
		info := a.module.Info()
		var recs []any
		out := module.NewOutput(func(rec any) error {
			if _, err := json.Marshal(rec); err != nil {
				t.Fatalf("%s: record %T cannot be written: %v", info.Name, rec, err)
			}
			if tl, ok := rec.(module.Timeliner); ok {
				for _, e := range tl.Timeline() {
					if e.Event == "" {
						t.Fatalf("%s: timeline event without a name: %+v", info.Name, e)
					}
				}
			}
			recs = append(recs, rec)
			return nil
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		a.module.Run(ctx, module.NewInput(acq, []string{a.name}, log, svc), out)
		if len(out.Problems()) > 1000 {
			t.Fatalf("%s: %d problems", info.Name, len(out.Problems()))
		}
		c, ok := a.module.(module.Checkable)
		if !ok {
			return
		}
		checker := c.NewChecker(check.NewEnv(ix))
		r := check.NewReporter(info.Name, func(al alert.Alert) {
			if _, err := json.Marshal(al); err != nil {
				t.Fatalf("%s: alert cannot be written: %v", info.Name, err)
			}
		})
		for _, rec := range recs {
			checker.Check(rec, r)
		}
		checker.Finish(r)
	})
}

// scenarioArtifacts returns, for each module, the files of the scenario fixtures (iOS
// backup, file-system dump, sysdiagnose; Android bug report, androidqf, backup,
// intrusion logs) that the module reads, up to maxArtifacts, in registry order.
func scenarioArtifacts() ([]artifact, error) {
	type source struct {
		kind acquire.Kind
		fsys fs.FS
	}
	var sources []source
	size := fixture.Size{ManifestFiles: 20, Messages: 8, Visits: 8, Tabs: 2, Processes: 6, Lookups: 4, Permissions: 4,
		Apps: 4, Calls: 4, Contacts: 4, CalendarEvents: 4, WhatsAppMessages: 8, Interactions: 6, Shortcuts: 2,
		ChromeVisits: 6, Favicons: 4, FirefoxVisits: 6, WebKitDomains: 4, SessionEntries: 4, Clients: 4}
	b, dump, _, err := fixture.ScenarioFilesystem(size, true)
	if err != nil {
		return nil, err
	}
	backup := fstest.MapFS{}
	for _, bf := range b.Files {
		if bf.Flags == 1 {
			backup[bf.Domain+"/"+bf.RelativePath] = &fstest.MapFile{Data: bf.Content}
		}
	}
	sources = append(sources, source{acquire.IOSBackup, backup}, source{acquire.IOSFilesystem, dump})
	sysd, _, _, err := fixture.ScenarioSysdiagnose(true)
	if err != nil {
		return nil, err
	}
	sources = append(sources, source{acquire.IOSSysdiagnose, sysd})
	brFiles, _, err := fixture.ScenarioBugreportFiles(true)
	if err != nil {
		return nil, err
	}
	br, err := bugreport.New(brFiles, "bugreport.zip", bugreport.Options{})
	if err != nil {
		return nil, err
	}
	sources = append(sources, source{acquire.AndroidBugreport, br})
	aqf, _, err := fixture.ScenarioAndroidQF(true)
	if err != nil {
		return nil, err
	}
	aqfFS := fstest.MapFS{}
	for name, data := range aqf {
		aqfFS[name] = &fstest.MapFile{Data: data}
	}
	sources = append(sources, source{acquire.AndroidQF, aqfFS})
	ab, _, err := fixture.ScenarioAndroidBackup(true, "")
	if err != nil {
		return nil, err
	}
	var want []string
	for _, m := range list.ForKind(acquire.AndroidBackup) {
		want = append(want, m.Info().Paths...)
	}
	abFS, err := androidbackup.Read(context.Background(), bytes.NewReader(ab), androidbackup.Options{Want: want})
	if err != nil {
		return nil, err
	}
	sources = append(sources, source{acquire.AndroidBackup, abFS})
	logs, _, err := fixture.ScenarioIntrusionLogs(true)
	if err != nil {
		return nil, err
	}
	sources = append(sources, source{acquire.AndroidIntrusionLogs, logs})

	var arts []artifact
	for _, m := range list.All() {
		info := m.Info()
		n := 0
		for _, src := range sources {
			if !slices.Contains(info.Kinds, src.kind) {
				continue
			}
			for _, name := range matches(src.fsys, info) {
				data, err := fs.ReadFile(src.fsys, name)
				if err != nil || len(data) == 0 || n >= maxArtifacts {
					continue
				}
				arts = append(arts, artifact{module: m, kind: src.kind, name: name, data: data})
				n++
			}
		}
	}
	return arts, nil
}

// maxArtifacts bounds the files of each module that FuzzArtifacts feeds it in place of.
const maxArtifacts = 6

// matches returns the files of fsys that info's Paths or Names select, sorted.
func matches(fsys fs.FS, info module.Info) []string {
	var out []string
	for _, p := range info.Paths {
		m, _ := fs.Glob(fsys, p)
		out = append(out, m...)
	}
	if len(info.Names) > 0 {
		fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && slices.Contains(info.Names, path.Base(name)) {
				out = append(out, name)
			}
			return nil
		})
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// fuzzServices are the module.Services of FuzzArtifacts: bounded reads of the
// acquisition, databases copied into a private folder, no dependency.
type fuzzServices struct {
	fsys acquire.Acquisition
	tmp  string
	dbs  []*sqlitex.DB
}

func (s *fuzzServices) ReadFile(name string) ([]byte, error) {
	f, err := s.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 8<<20+1))
	if len(data) > 8<<20 {
		return nil, fmt.Errorf("read %q: larger than the limit", name)
	}
	return data, err
}

func (s *fuzzServices) Open(name string) (fs.File, error) { return s.fsys.Open(name) }

func (s *fuzzServices) OpenSQLite(ctx context.Context, name string) (*sqlitex.DB, error) {
	db, err := sqlitex.Open(ctx, s.fsys, name, sqlitex.Options{TempDir: s.tmp, MaxCopyBytes: 16 << 20})
	if db != nil {
		s.dbs = append(s.dbs, db)
	}
	return db, err
}

func (s *fuzzServices) Dependency(string) ([]any, error) {
	return nil, errors.New("no dependency in this test")
}

func (s *fuzzServices) close() {
	for _, db := range s.dbs {
		db.Close()
	}
}
