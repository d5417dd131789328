package applications

import (
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// NotFromAppStore is raised for an app whose installer is neither the App Store nor
// device management, nor one of the Apple and EU channels the other heuristics explain.
var NotFromAppStore = check.Heuristic{
	ID:    "applications/not-from-app-store",
	Level: alert.Medium,
	Meaning: "The App Store's record of this app names an installer that is neither the App Store nor device management (MDM): " +
		"the app reached the phone some other way, for example through an enterprise or developer certificate, a sideloading tool " +
		"or a distribution channel spytrace does not know. Spyware and stalkerware that Apple would not accept in the App Store " +
		"are installed this way, usually by someone holding the unlocked phone or by talking its owner into installing it.",
	FalsePositive: "Employers distribute in-house apps outside the App Store, and some legitimate install paths record other " +
		"installers: MVT users met this on iMessage apps and on apps copied from a computer, and Apple adds new install " +
		"services over time. Web distribution in the EU (iOS 17.5 and later) may record the browser.",
	Advice: "Ask the owner whether they know the app, its developer and how it was installed. Look the bundle identifier up. " +
		"Check Settings > General > VPN & Device Management for enterprise developer certificates and profiles, and look at the " +
		"timeline around the install date for configuration profiles and new processes.",
}

// TestFlight is raised for an app installed through TestFlight.
var TestFlight = check.Heuristic{
	ID:    "applications/testflight",
	Level: alert.Low,
	Meaning: "The app was installed through TestFlight, Apple's channel for beta versions: its developer invited the owner, " +
		"by e-mail or through a public link, to test a pre-release build. Builds shared this way get a lighter review than " +
		"App Store releases, and an invitation link can be sent by anyone who controls a developer account.",
	FalsePositive: "Testing beta versions of well-known apps is common and harmless.",
	Advice:        "Check that the owner joined this beta themselves and recognises the developer; if not, remove the app and the TestFlight invitation.",
}

// ComputerSync is raised for an app whose installer is iOS's sync service.
var ComputerSync = check.Heuristic{
	ID:    "applications/computer-sync",
	Level: alert.Low,
	Meaning: "The app's installer is recorded as com.apple.datausage.atc, which appears to be iOS's sync service (AirTraffic): " +
		"the app was copied from a computer (iTunes, Finder, Apple Configurator) rather than downloaded on the phone. MVT reports " +
		"such apps as not installed from the App Store.",
	FalsePositive: "The value has been reported on apps bought in the App Store and synced from a computer, which older iTunes " +
		"versions and device-management setups did routinely; a purchase record (com.apple.iTunesStore.downloadInfo with an " +
		"Apple ID) points that way.",
	Advice: "Check whether the app carries a purchase record and whether the owner synced the phone with a computer around the " +
		"install date; ask who had access to that computer if the app is unknown to them.",
}

// AlternativeMarketplace is raised for an app installed from an EU alternative
// marketplace.
var AlternativeMarketplace = check.Heuristic{
	ID:    "applications/alternative-marketplace",
	Level: alert.Low,
	Meaning: "The app was installed from an alternative app marketplace. Since iOS 17.4 Apple allows such marketplaces for " +
		"users in the European Union (Digital Markets Act). Their apps pass Apple's notarization (automated checks and a basic " +
		"review) but not full App Store review, so they are less vetted than App Store apps.",
	FalsePositive: "Installing apps from an approved marketplace is legitimate in the EU; this is informational unless the owner " +
		"does not recognise the marketplace or the app.",
	Advice: "Check that the owner installed the marketplace and this app themselves and knows the developer; remove what they do not recognise.",
}

// NoStoreMetadata is raised for an app bundle container of a file-system dump that
// holds no iTunesMetadata.plist.
var NoStoreMetadata = check.Heuristic{
	ID:    "applications/no-store-metadata",
	Level: alert.Low,
	Meaning: "This installed app has no App Store record (iTunesMetadata.plist) in its bundle container: the App Store writes " +
		"one for every app it installs, so the app most likely reached the phone another way: built and installed from a " +
		"developer's computer (Xcode), installed with an enterprise or developer certificate, or sideloaded with a signing tool. " +
		"Stalkerware and spyware that Apple would not accept are installed this way, by someone holding the unlocked phone or by " +
		"talking its owner into it.",
	FalsePositive: "Apps built by the owner or their employer, enterprise in-house apps, some TestFlight betas and apps restored " +
		"in unusual ways lack the record too. Apple's own apps in this folder (bundle identifiers starting with com.apple.) are " +
		"not reported, though any app can claim such an identifier.",
	Advice: "Ask the owner whether they know the app and how it was installed. Look at Settings > General > VPN & Device " +
		"Management for enterprise or developer certificates and profiles, and at the other modules (processes, data usage, " +
		"permissions) for what the app did.",
}

// marketplaces are EU alternative marketplaces, by the bundle-identifier prefix of the
// installer (see the package comment for what is confirmed).
var marketplaces = []struct{ prefix, name string }{
	{"com.rileytestut.AltStore", "AltStore PAL"},
	{"com.epicgames.", "the Epic Games Store"},
	{"com.setapp.", "Setapp Mobile"},
	{"com.aptoide.", "Aptoide"},
	{"com.mobivention.", "the Mobivention App Marketplace"},
}

// appStoreOrMDM are the installers MVT accepts.
var appStoreOrMDM = map[string]bool{
	"com.apple.AppStore":                      true,
	"com.apple.AppStore.ProductPageExtension": true,
	"com.apple.dmd":                           true,
	"dmd":                                     true,
}

type checker struct {
	env *check.Env
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	app, ok := v.(*App)
	if !ok {
		return
	}
	at := app.Isodate.Time
	where := "the installed app " + app.label()
	var ids []string
	candidates := []string{app.BundleID(), app.Name}
	if app.Bundle != nil {
		candidates = append(candidates, app.Bundle.IDs...)
	}
	for _, id := range candidates {
		if id != "" && !contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		if !c.env.Process(r, alert.Critical, id, where, at, app) {
			c.env.AppID(r, alert.Critical, id, where, at, app)
		}
	}
	if b := app.Bundle; b != nil {
		if exe := b.Executable; exe != "" {
			// HIGH, as the filesystem module rates the same path and name.
			if !c.env.FilePath(r, alert.High, exe, "the main binary of "+where, at, app) {
				c.env.Process(r, alert.High, exe, "the main binary of "+where+" at "+exe, at, app)
			}
		}
		noStoreMetadata(app, r)
	}
	installer(app, r)
}

// noStoreMetadata raises NoStoreMetadata for a dump's app without iTunesMetadata.plist,
// unless its bundle identifier is Apple's.
func noStoreMetadata(app *App, r *check.Reporter) {
	b := app.Bundle
	if b.MetadataPath != "" || strings.HasPrefix(app.Name, "com.apple.") {
		return
	}
	what := "the app " + app.label()
	if app.Name == "" {
		what = "an unidentified app"
		if b.DisplayName != "" {
			what = fmt.Sprintf("an app named %q without a bundle identifier", b.DisplayName)
		}
	}
	exe := ""
	if b.Executable != "" {
		exe = ", main binary " + b.Executable
	}
	NoStoreMetadata.Raise(r, fmt.Sprintf("App not installed from the App Store: %s in %s has no iTunesMetadata.plist%s", what, b.Path, exe),
		app.Isodate.Time, app)
}

// installer runs the installer heuristics on sourceApp.
func installer(app *App, r *check.Reporter) {
	source, ok := app.SourceApp()
	if !ok || appStoreOrMDM[source] {
		return
	}
	at := app.Isodate.Time
	on := ""
	if !app.Isodate.IsZero() {
		on = " on " + app.Isodate.String()
	}
	switch source {
	case "com.apple.TestFlight":
		TestFlight.Raise(r, fmt.Sprintf("App %s was installed through TestFlight (Apple's beta channel)%s", app.label(), on), at, app)
		return
	case "com.apple.datausage.atc":
		ComputerSync.Raise(r, fmt.Sprintf("App %s was installed by syncing from a computer (com.apple.datausage.atc)%s", app.label(), on), at, app)
		return
	}
	for _, m := range marketplaces {
		if strings.HasPrefix(source, m.prefix) {
			AlternativeMarketplace.Raise(r, fmt.Sprintf("App %s was installed from %s (%s)%s, an alternative marketplace allowed in the EU: "+
				"legitimate there, but its apps are less vetted than App Store apps", app.label(), m.name, source, on), at, app)
			return
		}
	}
	shown := source
	if shown == "" {
		shown = "an empty or unreadable installer name"
	}
	NotFromAppStore.Raise(r, fmt.Sprintf("Suspicious app not installed from the App Store or MDM: %s, installed by %s%s", app.label(), shown, on), at, app)
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
