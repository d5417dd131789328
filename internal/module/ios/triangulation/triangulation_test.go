package triangulation_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/datausage"
	"github.com/spytrace/spytrace/internal/module/ios/locationdclients"
	"github.com/spytrace/spytrace/internal/module/ios/osanalyticsaddaily"
	"github.com/spytrace/spytrace/internal/module/ios/triangulation"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

const wrm = "com.apple.locationd.bundle-/System/Library/LocationBundles/WRMLinkSelection.bundle"

type plan struct {
	burst       bool // attachment folders + ImageIO at t0
	attachment  bool // a real attachment inside the folders, at t0
	nehelper    bool // nehelper first seen at t0+2m
	backupAgent bool // BackupAgent in DataUsage and netUsageBaseline, days later
	location    bool // WRMLinkSelection stopped at t0+3m
	noDeps      bool // leave DataUsage, addaily and clients.plist out
}

func run(t *testing.T, p plan) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	fixture.SampleManifestFiles(b, 200, 7)
	du := fixture.SampleDataUsage(fixture.Epoch, 40, 7)
	osa := fixture.SampleOSAnalytics(fixture.Epoch, 20, 7)
	loc := fixture.SampleLocationdClients(fixture.Epoch, 10, 7)
	if p.burst {
		fixture.PlantTriangulationBurst(b, "ab", "11", t0)
	}
	if p.attachment {
		fixture.PlantFile(b, fixture.TriangulationAttachmentsDomain, fixture.TriangulationAttachments+"/ab/11/ABCD-1234/IMG_0001.HEIC", t0)
	}
	if p.nehelper {
		fixture.PlantProcess(&du, "nehelper", "", t0.Add(2*time.Minute))
	}
	if p.backupAgent {
		fixture.PlantProcess(&du, triangulation.BackupAgent, "", t0.Add(72*time.Hour))
		fixture.PlantNetUsageBaseline(&osa, triangulation.BackupAgent, t0.Add(96*time.Hour))
	}
	if p.location {
		fixture.PlantLocationdClient(&loc, wrm, t0.Add(3*time.Minute))
	}
	if !p.noDeps {
		for _, err := range []error{fixture.AddDataUsage(b, du), fixture.AddOSAnalytics(b, osa), fixture.AddLocationdClients(b, loc)} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), nil, triangulation.New(),
		datausage.New(), osanalyticsaddaily.New(), locationdclients.New())
}

func summary(o *moduletest.Outcome) []string {
	var out []string
	for _, a := range o.Alerts {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339)))
	}
	return out
}

func TestBurst(t *testing.T) {
	o := run(t, plan{burst: true, nehelper: true, location: true})
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	want := []string{"MEDIUM triangulation/co-occurrence " + t0.Format(time.RFC3339)}
	if diff := cmp.Diff(want, summary(o)); diff != "" {
		t.Fatalf("alerts (-want +got):\n%s", diff)
	}
	msg := o.Alerts[0].Message
	for _, part := range []string{"file changes, network use, location, SMS attachment folders", "sms M MediaDomain/Library/SMS/Attachments/ab/11",
		"file M RootDomain/Library/Preferences/com.apple.ImageIO.plist", "net NetFirst nehelper", "location LocationTimeStopped " + wrm} {
		if !strings.Contains(msg, part) {
			t.Errorf("message %q lacks %q", msg, part)
		}
	}
	// The records are the events, in time order, with their sources.
	var got []string
	for _, r := range o.List(t) {
		if r["isodate"].(string) < t0.Format("2006-01-02") || r["isodate"].(string) > t0.Add(time.Hour).Format("2006-01-02 15:04:05") {
			continue
		}
		got = append(got, fmt.Sprint(r["isodate"], " ", r["class"], " ", r["event"], " ", r["source"], " ", r["name"]))
	}
	wantRecs := []string{
		"2023-05-02 08:00:00.000000 sms B manifest MediaDomain/Library/SMS/Attachments/ab",
		"2023-05-02 08:00:00.000000 sms C manifest MediaDomain/Library/SMS/Attachments/ab",
		"2023-05-02 08:00:00.000000 sms M manifest MediaDomain/Library/SMS/Attachments/ab",
		"2023-05-02 08:00:00.000000 sms B manifest MediaDomain/Library/SMS/Attachments/ab/11",
		"2023-05-02 08:00:00.000000 sms C manifest MediaDomain/Library/SMS/Attachments/ab/11",
		"2023-05-02 08:00:00.000000 sms M manifest MediaDomain/Library/SMS/Attachments/ab/11",
		"2023-05-02 08:00:40.000000 file B manifest RootDomain/Library/Preferences/com.apple.ImageIO.plist",
		"2023-05-02 08:00:40.000000 file C manifest RootDomain/Library/Preferences/com.apple.ImageIO.plist",
		"2023-05-02 08:00:40.000000 file M manifest RootDomain/Library/Preferences/com.apple.ImageIO.plist",
		"2023-05-02 08:02:00.000000 net NetFirst datausage nehelper",
		"2023-05-02 08:02:05.000000 net NetTimestamp2 datausage nehelper",
		"2023-05-02 08:03:00.000000 location LocationTimeStopped locationd_clients " + wrm,
		"2023-05-02 08:04:00.000000 net NetTimestamp datausage nehelper",
	}
	if diff := cmp.Diff(wantRecs, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, nil, triangulation.New())
}

func TestRealAttachmentIsInnocent(t *testing.T) {
	// The same burst with a real attachment in the new folder is an ordinary message
	// (alone, the folders and ImageIO.plist would be two classes).
	o := run(t, plan{burst: true, attachment: true})
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v, want none", summary(o))
	}
}

func TestSingleClassIsInnocent(t *testing.T) {
	o := run(t, plan{nehelper: true})
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v, want none", summary(o))
	}
}

func TestBackupAgent(t *testing.T) {
	o := run(t, plan{backupAgent: true})
	want := []string{"HIGH triangulation/backupagent-network " + t0.Add(72*time.Hour).Format(time.RFC3339)}
	if diff := cmp.Diff(want, summary(o)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, nil, triangulation.New())
}

func TestBackupAgent2IsInnocent(t *testing.T) {
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	du := fixture.SampleDataUsage(fixture.Epoch, 10, 1)
	fixture.PlantProcess(&du, "BackupAgent2", "", t0)
	osa := fixture.SampleOSAnalytics(fixture.Epoch, 5, 1)
	fixture.PlantNetUsageBaseline(&osa, "BackupAgent2", t0)
	if err := fixture.AddDataUsage(b, du); err != nil {
		t.Fatal(err)
	}
	if err := fixture.AddOSAnalytics(b, osa); err != nil {
		t.Fatal(err)
	}
	o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, triangulation.New(), datausage.New(), osanalyticsaddaily.New(), locationdclients.New())
	if len(o.Alerts) != 0 || o.Status.State != module.OK {
		t.Errorf("status %s, alerts %v, want ok and none", o.Status.State, summary(o))
	}
}

func TestSourcesMissing(t *testing.T) {
	// Without DataUsage, addaily and clients.plist the file events are still judged:
	// new attachment folders and ImageIO.plist are two classes.
	o := run(t, plan{burst: true, noDeps: true})
	if o.Status.State != module.OK || o.Status.Records == 0 || len(o.AlertsOf(triangulation.CoOccurrence.ID)) != 1 {
		t.Errorf("status %+v, alerts %v", o.Status, summary(o))
	}
	// With nothing at all the module is skipped.
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	o = moduletest.Run(t, moduletest.OpenBackup(t, b), nil, triangulation.New(), datausage.New(), osanalyticsaddaily.New(), locationdclients.New())
	if o.Status.State != module.Skipped {
		t.Errorf("status %+v, want skipped", o.Status)
	}
}
