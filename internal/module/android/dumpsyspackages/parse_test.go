package dumpsyspackages

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Indentation differs between Android versions and dumps: lists are read relative to
// their headers. appId= (Android 12+) and flags= without pkgFlags= are read too.
func TestParseVariants(t *testing.T) {
	text := strings.Join([]string{
		"Packages:",
		"\tPackage [com.example.tabs] (abc):",
		"\t\tappId=10200",
		"\t\tversionCode=7 minSdk=24 targetSdk=34",
		"\t\tflags=[ SYSTEM HAS_CODE ]",
		"\t\ttimeStamp=2024-01-02 03:04:05.123",
		"\t\tinstallerPackageName=null",
		"\t\tinitiatingPackageName=com.android.shell",
		"\t\trequested permissions:",
		"\t\t\tandroid.permission.CAMERA: restricted=true",
		"\t\tinstall permissions:",
		"\t\t\tandroid.permission.INTERNET: granted=true",
		"\t\t\tandroid.permission.ODD",
		"\t\tUser 0: ceDataInode=1 installed=true",
		"\t\t\tfirstInstallTime=2023-05-06 07:08:09",
		"\t\t\truntime permissions:",
		"\t\t\t\tandroid.permission.CAMERA: granted=false, flags=[ ]",
		"\t\tUser 11: ceDataInode=2 installed=true",
		"\t\t\tfirstInstallTime=2020-01-01 00:00:00",
		"\t\t\truntime permissions:",
		"\t\t\t\tandroid.permission.READ_SMS: granted=true",
		"\t\tlastUpdateTime=2024-01-02 03:04:05",
		"\tPackage [com.example.second] (def):",
		"      userId=10201",
		"",
		"      versionName=2",
		"Hidden system packages:",
		"  Package [com.example.hidden] (123):",
	}, "\r\n")
	got := ParsePackages([]byte(text))
	null := "null"
	want := []Package{
		{Name: "com.example.tabs", UID: "10200", VersionCode: "7", MinSDK: "24", TargetSDK: "34", System: true,
			TimeStamp: "2024-01-02 03:04:05.123", FirstInstallTime: "2023-05-06 07:08:09", LastUpdateTime: "2024-01-02 03:04:05",
			Installer: &null, InitiatingBy: "com.android.shell", Requested: []string{"android.permission.CAMERA"},
			Permissions: []Permission{
				{Name: "android.permission.INTERNET", Granted: ptr(true), Type: "install"},
				{Name: "android.permission.ODD", Type: "install"},
				{Name: "android.permission.CAMERA", Granted: ptr(false), Type: "runtime"},
			}},
		{Name: "com.example.second", UID: "10201", VersionName: "2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseResolverTable(t *testing.T) {
	text := strings.Join([]string{
		"Activity Resolver Table:",
		"  Non-Data Actions:",
		"      android.intent.action.MAIN:",
		"        1 com.a/.Main",
		"Receiver Resolver Table:",
		"  Full MIME Types:",
		"      text/plain:",
		"        2 com.b/.Mime",
		"  Non-Data Actions:",
		"      android.provider.Telephony.SMS_RECEIVED:",
		"        3 com.c/.Sms (2 filters)",
		"",
		"        4 com.d/.Sms",
		"    android.intent.action.PHONE_STATE:", // mis-indented header
		"        5 com.e/.Phone",
		"        junk",
		"  MIME Typed Actions:",
		"      android.intent.action.SEND:",
		"        6 com.f/.Send",
		"Service Resolver Table:",
		"  Non-Data Actions:",
		"      x:",
		"        7 com.g/.Svc",
	}, "\n")
	want := []ResolverEntry{
		{"android.provider.Telephony.SMS_RECEIVED", "com.c", "com.c/.Sms"},
		{"android.provider.Telephony.SMS_RECEIVED", "com.d", "com.d/.Sms"},
		{"android.intent.action.PHONE_STATE", "com.e", "com.e/.Phone"},
	}
	if diff := cmp.Diff(want, ParseResolverTable([]byte(text), ReceiverTable)); diff != "" {
		t.Errorf("receivers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]ResolverEntry{{"android.intent.action.MAIN", "com.a", "com.a/.Main"}}, ParseResolverTable([]byte(text), ActivityTable)); diff != "" {
		t.Errorf("activities (-want +got):\n%s", diff)
	}
}

func TestParseLocal(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2024-01-02 03:04:05":              time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		"2024-01-02 03:04:05.5":            time.Date(2024, 1, 2, 3, 4, 5, 500_000_000, time.UTC),
		" 2024-01-02 03:04:05.123 ":        time.Date(2024, 1, 2, 3, 4, 5, 123_000_000, time.UTC),
		"2024-13-02 03:04:05":              {},
		"2024-01-02 03:04:05x":             {},
		"2024-01-02 03:04:05.-1":           {},
		"2024-01-02 03:04:05.123456789012": {},
		"":                                 {},
	} {
		got, ok := ParseLocal(in)
		if ok != !want.IsZero() || !got.Equal(want) {
			t.Errorf("ParseLocal(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
}

func TestLongLines(t *testing.T) {
	long := "Packages:\n  Package [" + strings.Repeat("a", 2*MaxLine) + "] (x):\n    userId=1\n"
	got := ParsePackages([]byte(long))
	if len(got) != 0 {
		t.Errorf("a header cut before its ] was read as %d packages", len(got))
	}
}

func FuzzParsePackages(f *testing.F) {
	f.Add([]byte("Packages:\n  Package [a.b] (1):\n    userId=1\n    install permissions:\n      x: granted=true\n    User 0: x\n      runtime permissions:\n        y: granted=false\n"))
	f.Add([]byte("Packages:\n\tPackage [x]:\n\t\tversionCode=1 minSdk=2\n\t\tpkgFlags=[ SYSTEM ]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range ParsePackages(data) {
			if p.Name == "" {
				t.Fatal("package without a name")
			}
			rec := NewRecord(p, time.UTC, "UTC")
			_ = rec.Timeline()
		}
	})
}

func FuzzParseResolverTable(f *testing.F) {
	f.Add([]byte("Receiver Resolver Table:\n  Non-Data Actions:\n      a.b:\n        1 c/.d\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, e := range ParseResolverTable(data, ReceiverTable) {
			if e.Intent == "" || e.PackageName == "" && !strings.HasPrefix(e.Component, "/") {
				t.Fatalf("entry %+v", e)
			}
		}
	})
}
