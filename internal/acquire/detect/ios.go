package detect

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/iosrelease"
	"github.com/spytrace/spytrace/internal/module/ios/backupinfo"
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnoseinfo"
	"github.com/spytrace/spytrace/internal/plistx"
)

// Bounds of the root property lists read for the description of a backup.
const (
	maxManifestPlist = 16 << 20 // it holds the keybag and the list of apps
	maxInfoPlist     = 8 << 20  // it can hold app data ("iTunes Files"): left unread above
)

// sqliteMagic starts every SQLite database; an encrypted backup's Manifest.db lacks it.
const sqliteMagic = "SQLite format 3\x00"

// iosBackupHere recognises an iOS backup at the top of dir, with iosbackup.Find's rule,
// and describes it from Manifest.plist (or Info.plist) without opening Manifest.db.
func iosBackupHere(dir string) (Result, bool) {
	if found, err := iosbackup.Find(dir); err != nil || found != dir {
		return Result{}, false
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Result{}, false
	}
	defer root.Close()
	regular := func(name string) bool {
		fi, err := root.Lstat(name)
		return err == nil && fi.Mode().IsRegular()
	}
	hasDB, hasManifest, hasMBDB := regular(iosbackup.ManifestDB), regular(iosbackup.ManifestPlist), regular("Manifest.mbdb")
	if !hasDB && !hasManifest && !hasMBDB {
		return Result{}, false // only links of those names: never followed
	}
	r := Result{Kind: IOSBackup, Path: dir}
	manifest := readPlist(root, iosbackup.ManifestPlist, maxManifestPlist)
	r.Encrypted, _ = plistx.Bool(manifest, "IsEncrypted")
	if !r.Encrypted && hasDB {
		// iOS 10.2 and later encrypt Manifest.db itself.
		if head := readStart(root, iosbackup.ManifestDB, len(sqliteMagic)); len(head) > 0 && !bytes.HasPrefix(head, []byte(sqliteMagic)) {
			r.Encrypted = true
		}
	}
	r.What = "an iOS backup"
	if r.Encrypted {
		r.What = "an encrypted iOS backup"
	}
	lockdown, _ := plistx.AsMap(manifest["Lockdown"])
	product, version := plistx.String(lockdown, "ProductType"), plistx.String(lockdown, "ProductVersion")
	if product == "" && version == "" {
		info := readPlist(root, iosbackup.InfoPlist, maxInfoPlist)
		product, version = plistx.String(info, "Product Type"), plistx.String(info, "Product Version")
	}
	r.What += deviceText(product, version)
	switch {
	case !hasDB && hasMBDB:
		r.What += ", made by iOS 9 or older (Manifest.mbdb), a format spytrace does not read"
	case !hasDB:
		r.What += ", without its Manifest.db"
	}
	return r, true
}

// deviceText writes " of an iPhone 14 Pro (iOS 17.5)" from a product type and an iOS
// version, "" when neither is known.
func deviceText(product, version string) string {
	name := backupinfo.ModelName(product)
	if name == "" {
		name = clean(product, 40)
	}
	version = clean(version, 20)
	switch {
	case name != "" && version != "":
		return fmt.Sprintf(" of %s %s (iOS %s)", article(name), name, version)
	case name != "":
		return fmt.Sprintf(" of %s %s", article(name), name)
	case version != "":
		return " of a device with iOS " + version
	}
	return ""
}

// article returns "an" before a vowel, "a" before anything else.
func article(s string) string {
	if s != "" && strings.ContainsRune("aeiouAEIOU", rune(s[0])) {
		return "an"
	}
	return "a"
}

// readPlist decodes a property list of root, bounded; nil when absent, too large or
// not a dictionary.
func readPlist(root *os.Root, name string, limit int64) map[string]any {
	data := readStart(root, name, int(limit)+1)
	if len(data) == 0 || int64(len(data)) > limit {
		return nil
	}
	v, err := plistx.Decode(data, plistx.Limits{MaxBytes: limit})
	if err != nil {
		return nil
	}
	m, _ := plistx.AsMap(v)
	return m
}

// readStart reads at most n bytes of the regular file name of root (never through a
// link).
func readStart(root *os.Root, name string, n int) []byte {
	fi, err := root.Lstat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	f, err := root.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	if hi, err := f.Stat(); err != nil || !os.SameFile(fi, hi) {
		return nil
	}
	data, _ := io.ReadAll(io.LimitReader(f, int64(n)))
	return data
}

// dumpWhat describes a file-system dump.
func dumpWhat(format, prefix string) string {
	w := "an iOS file-system dump (" + format + ")"
	if prefix != "" {
		w += ", rooted in its folder " + quote(prefix)
	}
	return w
}

// sysdiagnoseWhat describes a sysdiagnose archive; prefix is its top folder inside an
// archive, whose name the iPhone writes with the date, the model class and the build.
func sysdiagnoseWhat(format, prefix string) string {
	w := "an iOS sysdiagnose archive (" + format + ")"
	if prefix == "" {
		return w
	}
	n, err := sysdiagnoseinfo.ParseArchiveName(prefix)
	if err != nil {
		return w
	}
	w += " taken " + n.LocalTime + " (UTC" + n.TimezoneOffset + ", the phone's clock)"
	device := clean(n.ModelClass, 20)
	if device == "" {
		device = "device"
	}
	version := n.Version
	if version == "" {
		if rel, ok := iosrelease.ByBuild(n.Build); ok {
			version = rel.Version
		}
	}
	switch {
	case version != "":
		w += fmt.Sprintf(" on %s %s with iOS %s (%s)", article(device), device, clean(version, 20), clean(n.Build, 20))
	case n.Build != "":
		w += fmt.Sprintf(" on %s %s with the iOS build %s", article(device), device, clean(n.Build, 20))
	}
	return w
}
