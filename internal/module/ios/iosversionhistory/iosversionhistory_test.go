package iosversionhistory_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/iosversionhistory"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

const dir = fixture.AnalyticsJournalDir + "/"

var cest = time.FixedZone("CEST", 2*3600)

func runFS(t *testing.T, f fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.IOSFilesystem, f), nil, iosversionhistory.New())
}

func run(t *testing.T, journals ...fixture.AnalyticsJournal) *moduletest.Outcome {
	t.Helper()
	f, err := fixture.AnalyticsFiles(fixture.AnalyticsSpec{Journals: journals})
	if err != nil {
		t.Fatal(err)
	}
	return runFS(t, f)
}

func TestInfo(t *testing.T) {
	info := iosversionhistory.New().Info()
	if info.Name != "ios_version_history" || info.Class != "IOSVersionHistory" || info.Kinds[0] != acquire.IOSFilesystem ||
		info.Paths[0] != "private/var/db/analyticsd/Analytics-Journal-*.ips" {
		t.Errorf("info %+v", info)
	}
}

func TestRecords(t *testing.T) {
	o := run(t,
		fixture.AnalyticsJournal{At: time.Date(2023, 6, 2, 3, 4, 30, 0, cest), OSVersion: "iPhone OS 16.5 (20F66)"},
		fixture.AnalyticsJournal{At: time.Date(2023, 4, 10, 23, 59, 1, 250e6, time.UTC), OSVersion: "iPhone OS 16.4.1 (20E252)"},
		fixture.AnalyticsJournal{Name: "Analytics-Journal-odd.ips", Raw: []byte(`{"timestamp":"2023-05-01 10:00:00 +02:00","os_version":"iOS"}`)},
	)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s)", o.Status.State, o.Status.Reason)
	}
	want := []map[string]any{
		{"isodate": "2023-04-10 23:59:01.250000", "os_version": "iPhone OS 16.4.1 (20E252)", "version": "16.4.1", "build": "20E252", "artifact": "Analytics-Journal-2023-04-10-235901.ips"},
		{"isodate": "2023-05-01 08:00:00.000000", "os_version": "iOS", "version": "", "build": "", "artifact": "Analytics-Journal-odd.ips"},
		{"isodate": "2023-06-02 01:04:30.000000", "os_version": "iPhone OS 16.5 (20F66)", "version": "16.5", "build": "20F66", "artifact": "Analytics-Journal-2023-06-02-030430.ips"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2023-04-10 23:59:01.250000","IOSVersionHistory","ios_version","Recorded iOS version iPhone OS 16.4.1 (20E252)"`,
		`"2023-05-01 08:00:00.000000","IOSVersionHistory","ios_version","Recorded iOS version iOS"`,
		`"2023-06-02 01:04:30.000000","IOSVersionHistory","ios_version","Recorded iOS version iPhone OS 16.5 (20F66)"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func TestBadJournals(t *testing.T) {
	good := fixture.AnalyticsJournal{At: time.Date(2023, 6, 2, 3, 4, 30, 0, cest), OSVersion: "iPhone OS 16.5 (20F66)"}
	tests := []struct {
		name, reason string
		data         []byte
	}{
		{"not_json", "not a JSON object", []byte("garbage\n{}")},
		{"missing_key", `no "timestamp"`, []byte(`{"timestamp":"2023-05-01 10:00:00.00 +0200"}` + "\n")},
		{"bad_date", "not a date", []byte(`{"timestamp":"yesterday","os_version":"x"}`)},
		{"out_of_range", "out of range", []byte(`{"timestamp":"1900-05-01 10:00:00.00 +0200","os_version":"x"}`)},
		{"long_line", "longer than", []byte(`{"timestamp":"` + strings.Repeat("1", iosversionhistory.MaxHeader) + `"}`)},
		{"empty", "not a JSON object", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := fixture.AnalyticsJournal{Name: "Analytics-Journal-bad.ips", Raw: tc.data}
			if tc.data == nil {
				bad.Raw = []byte{}
			}
			o := run(t, bad)
			if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, tc.reason) {
				t.Errorf("alone: status %s (%q), want failed with %q", o.Status.State, o.Status.Reason, tc.reason)
			}
			o = run(t, bad, good)
			if o.Status.State != module.Partial || o.Status.Records != 1 || len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], tc.reason) {
				t.Errorf("with a good one: status %+v, want partial with 1 record and the problem", o.Status)
			}
		})
	}
	t.Run("absent", func(t *testing.T) {
		o := runFS(t, fstest.MapFS{dir + "Analytics-Daily-2023.ips": &fstest.MapFile{Data: []byte("{}")}})
		if o.Status.State != module.Skipped {
			t.Errorf("status %+v, want skipped", o.Status)
		}
	})
}

func TestSample(t *testing.T) {
	spec := fixture.SampleAnalytics(fixture.Epoch, 10, 3)
	o := run(t, spec.Journals...)
	if o.Status.State != module.OK || o.Status.Records != len(spec.Journals) || len(o.Alerts) != 0 {
		t.Errorf("status %+v, alerts %v", o.Status, o.Alerts)
	}
}

func TestParseHeader(t *testing.T) {
	for _, tc := range []struct {
		line string
		want time.Time
	}{
		{`{"timestamp":"2023-05-25 03:04:30.00 +0200","os_version":"v"}`, time.Date(2023, 5, 25, 1, 4, 30, 0, time.UTC)},
		{`{"timestamp":"2023-05-25 03:04:30.123456 -0500","os_version":"v"}`, time.Date(2023, 5, 25, 8, 4, 30, 123456000, time.UTC)},
		{`{"timestamp":"2023-05-25 03:04:30 Z","os_version":"v"}`, time.Date(2023, 5, 25, 3, 4, 30, 0, time.UTC)},
	} {
		h, err := iosversionhistory.ParseHeader([]byte(tc.line))
		if err != nil || !h.Time.Equal(tc.want) || h.Time.Location() != time.UTC {
			t.Errorf("%s: %v, %v; want %v", tc.line, h.Time, err, tc.want)
		}
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte(`{"timestamp":"2023-05-25 03:04:30.00 +0200","bug_type":"211","os_version":"iPhone OS 16.5 (20F66)"}`))
	f.Add([]byte(`{"timestamp":"2023-05-25 03:04:30 +02:00","os_version":""}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		h, err := iosversionhistory.ParseHeader(line)
		if err == nil && (h.Time.IsZero() || h.Time.Location() != time.UTC) {
			t.Fatalf("accepted %q with time %v", line, h.Time)
		}
	})
}
