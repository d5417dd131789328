package sysdiagnosemobileinstallation

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/fixture"
)

func TestClassifyVariants(t *testing.T) {
	tests := map[string]fields{
		"Install successful for (Customer:com.a.b) [Distributor: (null)]":                      {action: ActionInstalled, installType: "Customer", bundleID: "com.a.b"},
		"Attempting Parallel patch update of com.a.b from 1.2 (1.2) to 5 (1.3)":                {action: ActionPatchUpdate, bundleID: "com.a.b", from: "1.2 (1.2)", version: "5", short: "1.3"},
		"Installing <MIInstallableBundle ID=com.a.b; Persona=P1, Version=7, ShortVersion=1.7>": {action: ActionInstalling, bundleID: "com.a.b", persona: "P1", version: "7", short: "1.7", installableClass: "Bundle"},
		"Destroying container com.a.b with persona (null) at /private/var/containers/Bundle/x": {action: ActionContainerDestroyed, bundleID: "com.a.b", path: "/private/var/containers/Bundle/x"},
		`Install of "/var/mobile/Media/PublicStaging/a b.ipa" type Developer requested by mobile_installation_proxy (pid 99)`: {action: ActionInstallRequested,
			sourcePath: "/var/mobile/Media/PublicStaging/a b.ipa", installType: "Developer", requestedBy: "mobile_installation_proxy"},
	}
	for msg, want := range tests {
		got, ok := classify(&entry{message: msg})
		got.requesterPID = nil
		if !ok || got != want {
			t.Errorf("classify(%q) = %+v, want %+v", msg, got, want)
		}
	}
	if _, ok := classify(&entry{message: "Made container live for a at /b"}); ok {
		t.Error("a container line is an event")
	}
}

func TestParseHeaderTime(t *testing.T) {
	e, ok := parseHeader("Thu Mar 14 09:20:01 2024 [123] <notice> (0x16b) main: Reboot detected")
	if !ok || !e.local.Equal(time.Date(2024, 3, 14, 9, 20, 1, 0, time.UTC)) || e.eventType != "main" || e.message != "Reboot detected" || e.pid != 123 {
		t.Errorf("got %+v %v", e, ok)
	}
}

func FuzzParseLog(f *testing.F) {
	now := time.Date(2024, 4, 2, 10, 15, 30, 0, time.UTC)
	spec := fixture.SampleMobileInstallation(now, 6, 1)
	fixture.PlantMobileInstallationSideload(&spec, now, "com.x.y", "X")
	fixture.PlantMobileInstallationComputerInstall(&spec, now, "com.x.z", "Z")
	for name, file := range fixture.MobileInstallationFiles(spec) {
		if strings.HasPrefix(name, "logs/") {
			f.Add(file.Data)
		}
	}
	f.Add([]byte("Mon Apr  7 07:40:47 2025 [446] <err> (0x1) -[A b]: Destroying container with identifier  at \nx\n"))
	f.Add([]byte("Mon Apr  7 07:40:47 2025 [1] Uninstall requested by x (pid 99999999999 for identity [a"))
	f.Add([]byte("Mon Apr  7 07:40:47 2025 [1] <n (x Install of \"\" type  requested by "))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries := parseLog(data, "f", maxEntries, func(string) {})
		for i := range entries {
			e := &entries[i]
			if !utf8.ValidString(e.message) || len(e.message) > maxMessageLen+1 || e.line < 1 {
				t.Fatalf("bad entry %+v", e)
			}
		}
		for _, r := range interpret(entries, time.FixedZone("", 3600)) {
			if r.Action == "" || (r.Timestamp.IsZero() && r.UTCOffset != "") {
				t.Fatalf("bad record %+v", r)
			}
			_ = r.Summary()
			_ = r.Timeline()
		}
	})
}
