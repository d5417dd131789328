package heuristics

import "testing"

func TestLists(t *testing.T) {
	if len(RootPackages) != 25 || len(DangerousPermissions) != 20 || len(SystemUpdatePackages) != 9 || len(SecurityPackages) != 4 {
		t.Errorf("list sizes: root %d, dangerous %d, update %d, security %d", len(RootPackages), len(DangerousPermissions), len(SystemUpdatePackages), len(SecurityPackages))
	}
	if len(InterceptionIntents) != 5 {
		t.Errorf("%d interception intents", len(InterceptionIntents))
	}
}

func TestInstallSource(t *testing.T) {
	for _, c := range []struct {
		installer string
		system    bool
		want      string
	}{
		{"", true, SourceSystem},
		{"com.google.android.packageinstaller", true, SourceSystem},
		{"com.android.vending", false, SourcePlayStore},
		{"org.fdroid.fdroid", false, SourceThirdPartyStore},
		{"com.aurora.store", false, SourceThirdPartyStore},
		{"com.google.android.packageinstaller", false, SourcePackageFile},
		{"com.android.packageinstaller", false, SourcePackageFile},
		{"", false, SourceUnknown},
		{"null", false, SourceUnknown},
		{"com.sec.android.app.samsungapps", false, SourceOther},
	} {
		if got := InstallSource(c.installer, c.system); got != c.want {
			t.Errorf("InstallSource(%q, %v) = %q, want %q", c.installer, c.system, got, c.want)
		}
	}
}

func TestIsPlatformName(t *testing.T) {
	for name, want := range map[string]bool{
		"android": true, "com.android.phone": true, "com.google.android.gms": true,
		"com.androidx": false, "com.google.androidx.x": false, "com.example": false, "": false,
	} {
		if got := IsPlatformName(name); got != want {
			t.Errorf("IsPlatformName(%q) = %v", name, got)
		}
	}
}
